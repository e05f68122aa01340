"""The benchmarks' data: Fashion-MNIST and the digits, or, with ``quick``, a small random
stand-in of the same shape (a fast check that every benchmark runs, not a measurement)."""

from __future__ import annotations

import numpy as np

import retroprop as rp
from retroprop.bench.settings import Settings

QUICK_TRAIN, QUICK_TEST = 256, 64


def fashion(settings: Settings, flat: bool) -> tuple[np.ndarray, ...]:
    """(X, y, X_test, y_test), float32 images in [0, 1] as (N, 784) or (N, 1, 28, 28);
    the first ``settings.samples`` training and test images when that is set."""
    if settings.quick:
        rng = np.random.default_rng(0)
        X = rng.random((QUICK_TRAIN + QUICK_TEST, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, QUICK_TRAIN + QUICK_TEST)
        (X, y), (X_test, y_test) = (X[:QUICK_TRAIN], y[:QUICK_TRAIN]), \
            (X[QUICK_TRAIN:], y[QUICK_TRAIN:])
    else:
        (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist()
        X, X_test = rp.datasets.scale(X), rp.datasets.scale(X_test)
        X, y = X[:settings.samples], y[:settings.samples]
        X_test, y_test = X_test[:settings.samples], y_test[:settings.samples]
    shape = (-1, 784) if flat else (-1, 1, 28, 28)
    return X.reshape(shape), y, X_test.reshape(shape), y_test


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits' training images as float64 (N, 64) in [0, 1], and their labels."""
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM
                             ).astype(np.float64), y
