"""One training step (forward, backward, SGD update) of the 784-256-128-10 MLP at batch 128,
float32, in retroprop and in PyTorch CPU."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.mirror import torch_copy
from retroprop.bench.mlp import SIZES
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import interleaved

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


def rows(settings: Settings) -> list[Row]:
    """Seconds per step, in alternating blocks of steps."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    rp.manual_seed(0)
    times = interleaved(_steps(x, y), rounds=settings.rounds_or(10),
                        repeat=5 if settings.quick else 50, pause=settings.pause)
    return [row("step", f"MLP 784-256-128-10 SGD step, batch {BATCH}", "s",
                times["retroprop"], "pytorch", times["pytorch"], 1.0)]
