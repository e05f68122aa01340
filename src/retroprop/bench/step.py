"""One training step (forward, backward, SGD update) of the 784-256-128-10 MLP at batch 128,
float32, in retroprop and in PyTorch CPU; prints both times and the ratio."""

from __future__ import annotations

import numpy as np

import retroprop as rp
from retroprop import nn
from retroprop.bench.timing import interleaved

SIZES = (784, 256, 128, 10)
BATCH = 128


def _retroprop_step(x: np.ndarray, y: np.ndarray):
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    optimizer = rp.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    inputs = rp.Tensor(x)

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(inputs), y).backward()
        optimizer.step()

    return step


def _torch_step(x: np.ndarray, y: np.ndarray):
    import torch

    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(inputs), labels).backward()
        optimizer.step()

    return step


def run(rounds: int = 10, repeat: int = 50) -> dict[str, float]:
    """Median seconds per step for each library, and the ratio retroprop / PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    rp.manual_seed(0)
    times = interleaved({"retroprop": _retroprop_step(x, y), "pytorch": _torch_step(x, y)},
                        rounds=rounds, repeat=repeat)
    return {**times, "ratio": times["retroprop"] / times["pytorch"]}


def main() -> None:
    result = run()
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, one SGD step")
    print(f"  retroprop  {result['retroprop'] * 1e3:8.3f} ms")
    print(f"  pytorch    {result['pytorch'] * 1e3:8.3f} ms")
    print(f"  ratio      {result['ratio']:8.2f}x  (target <= 1.0x)")


if __name__ == "__main__":
    main()
