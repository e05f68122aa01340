"""Inference throughput (samples per second, evaluation mode, no gradient recording) of
the 784-256-128-10 MLP and of LeNet-5 at batch 1, 64 and 10000, float32, retroprop
against the same network in PyTorch CPU. The ratio is retroprop's throughput over
PyTorch's (higher is better); each times a call on its own tensor type, made once
outside the timed calls. At batch 10000 the target, at most 1.1x PyTorch's time,
is a throughput ratio of at least 1/1.1. For the MLP, the same forward pass as bare NumPy
calls (:func:`retroprop.bench.numpy_loop.forward`) is timed in the same rounds, and each
MLP row gives its throughput ratio to PyTorch (``numpy_loop``): the best that a library on
NumPy could reach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.mirror import torch_copy
from retroprop.bench.mlp import SIZES
from retroprop.bench.numpy_loop import forward, linear_layers
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import interleaved, ratio_summary

NETWORKS: dict[str, tuple[Callable[[], rp.nn.Sequential], tuple[int, ...]]] = {
    "MLP 784-256-128-10": (lambda: rp.models.mlp(SIZES), (784,)),
    "LeNet-5": (rp.models.lenet5, (1, 28, 28)),
}
BATCHES = (1, 64, 10000)
TARGETS = {1: 2.0, 64: None, 10000: 1 / 1.1}
QUICK_BATCHES = {1: 1, 64: 64, 10000: 256}


def _calls(network: Callable[[], rp.nn.Sequential], x: np.ndarray
           ) -> dict[str, Callable[[], object]]:
    torch = require("torch", extra="bench")
    model = network()
    twin = torch_copy(model)
    model.eval()
    twin.eval()
    tensor, inputs = rp.Tensor(x), torch.from_numpy(x)  # each library's input, made once

    def ours() -> object:
        with rp.no_grad():
            return model(tensor)

    def theirs() -> object:
        with torch.no_grad():
            return twin(inputs)

    calls: dict[str, Callable[[], object]] = {"retroprop": ours, "pytorch": theirs}
    if all(isinstance(m, rp.nn.Linear | rp.nn.ReLU) for m in model):
        layers = linear_layers(model)
        calls["NumPy"] = lambda: forward(layers, x)[-1]
    return calls


def rows(settings: Settings) -> list[Row]:
    quick = settings.quick
    rng = np.random.default_rng(0)
    table = []
    for name, (network, shape) in NETWORKS.items():
        for batch in BATCHES:
            size = QUICK_BATCHES[batch] if quick else batch
            x = rng.random((size, *shape), dtype=np.float32)
            repeat = max(1, (200 if quick else 2000) // size)
            seconds = interleaved(_calls(network, x), rounds=settings.rounds_or(5),
                                  repeat=repeat, warmup=3, pause=settings.pause)
            rates = {contender: [size / s for s in times] for contender, times in
                     seconds.items()}
            extra: dict[str, Any] = {}
            if "NumPy" in rates:
                floor = ratio_summary(rates["NumPy"], rates["pytorch"])
                extra = {"numpy_loop": floor, "note": f"NumPy {floor['ratio']:.2f}"}
            table.append(row("inference", f"{name}, batch {size}", "samples/s",
                             rates["retroprop"], "pytorch", rates["pytorch"],
                             TARGETS[batch], lower_is_better=False, **extra))
    return table
