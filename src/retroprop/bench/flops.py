"""Achieved GFLOP/s of one training epoch of the 784-256-128-10 MLP (batch 128, float32,
no test prediction), for retroprop and PyTorch, as a fraction of the machine's float32
matrix-product rate measured in the same rounds (NumPy's BLAS on square matrices).

Only the matrix products are counted, 2·m·k·n each: per sample, the forward pass costs
2·Σ n_in·n_out, the weight gradients as much again, and the gradients of the hidden
layers' inputs 2·Σ_{l≥2} n_in·n_out (no gradient for the data). Element-wise work and
the update are free in this count, so 100 % is out of reach."""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np

import retroprop as rp
from retroprop.bench import data
from retroprop.bench.epochs import retroprop_epoch, torch_epoch
from retroprop.bench.mlp import LR, MOMENTUM, SIZES, network
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import trained_rounds

BATCH = 128
MATMUL_SIZE, QUICK_MATMUL_SIZE = 1024, 256


def epoch_flops(samples: int, sizes: tuple[int, ...] = SIZES) -> float:
    """Floating-point operations of the matrix products of one training epoch."""
    layers = [a * b for a, b in itertools.pairwise(sizes)]
    return samples * (4.0 * sum(layers) + 2.0 * sum(layers[1:]))


def matmul_rate(size: int, repeat: int = 5) -> float:
    """GFLOP/s of the best of ``repeat`` float32 products of two size×size matrices."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((size, size), dtype=np.float32) for _ in range(2))
    out = a @ b
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def rows(settings: Settings) -> list[Row]:
    X, y, _, _ = data.fashion(settings, flat=True)
    size = QUICK_MATMUL_SIZE if settings.quick else MATMUL_SIZE
    matmul: list[float] = []

    def matmul_contender(*_: Any) -> float:
        matmul.append(matmul_rate(size))
        return matmul[-1]

    contenders = {"matmul": matmul_contender,
                  "retroprop": retroprop_epoch(network, BATCH, lr=LR, momentum=MOMENTUM),
                  "pytorch": torch_epoch(network, BATCH, lr=LR, momentum=MOMENTUM)}
    # the epochs' test prediction is of one sample: negligible
    results = trained_rounds(contenders, (X, y, X[:1], y[:1]), settings.rounds_or(3),
                             rp.manual_seed, pause=settings.pause)
    matmul = matmul[1:]  # after the warm-up round's
    flops = epoch_flops(len(X))
    return [row("flops", f"MLP epoch GFLOP/s, batch {BATCH}, vs {size}² float32 matmul",
                "GFLOP/s", [flops / seconds / 1e9 for seconds in results[name]["rounds"]],
                f"matmul ({name})", matmul, lower_is_better=False)
            for name in ("retroprop", "pytorch")]
