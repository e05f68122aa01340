"""One training step (forward, backward, SGD update) of the 784-256-128-10 MLP at batch 128,
float32, in retroprop and in PyTorch CPU; prints both times and the ratio."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.mirror import torch_copy
from retroprop.bench.timing import interleaved

SIZES = (784, 256, 128, 10)
BATCH = 128


def _steps(x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], None]]:
    torch = require("torch", extra="bench")

    model = rp.models.mlp(SIZES)
    twin = torch_copy(model)
    optimizer = rp.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9)
    criterion, twin_criterion = rp.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    inputs, twin_inputs, twin_labels = rp.Tensor(x), torch.from_numpy(x), torch.from_numpy(y)

    def ours() -> None:
        optimizer.zero_grad()
        criterion(model(inputs), y).backward()
        optimizer.step()

    def theirs() -> None:
        twin_optimizer.zero_grad()
        twin_criterion(twin(twin_inputs), twin_labels).backward()
        twin_optimizer.step()

    return {"retroprop": ours, "pytorch": theirs}


def run(rounds: int = 10, repeat: int = 50) -> dict[str, float]:
    """Median seconds per step for each library, and the ratio retroprop / PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    rp.manual_seed(0)
    times = interleaved(_steps(x, y), rounds=rounds, repeat=repeat)
    return {**times, "ratio": times["retroprop"] / times["pytorch"]}


def main() -> None:
    result = run()
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, one SGD step (momentum 0.9)")
    print(f"  retroprop  {result['retroprop'] * 1e3:8.3f} ms")
    print(f"  pytorch    {result['pytorch'] * 1e3:8.3f} ms")
    print(f"  ratio      {result['ratio']:8.2f}x  (target <= 1.0x)")


if __name__ == "__main__":
    main()
