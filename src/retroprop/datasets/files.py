"""User data from CSV or NPZ files, and loading any data set by name."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from retroprop.datasets.loaders import (
    DIGITS_MAXIMUM,
    Split,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    scale,
)

NAMES = ("digits", "mnist", "fashion-mnist")


def load_csv(path: str | os.PathLike[str], test_size: float = 0.2, seed: int = 0) -> Split:
    """Rows of numbers, the last column the label; a first row that is not numeric is a header.
    Split into train and test by a seeded shuffle."""
    path = Path(path)
    with path.open() as handle:
        first = handle.readline()
    try:
        [float(v) for v in first.strip().split(",")]
        skip = 0
    except ValueError:
        skip = 1
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path}: not a numeric CSV file ({error})") from None
    if table.shape[1] < 2:
        raise ValueError(f"{path}: needs at least two columns (features, then the label)")
    return _split(table[:, :-1], table[:, -1], test_size, seed, str(path))


def load_npz(path: str | os.PathLike[str], test_size: float = 0.2, seed: int = 0) -> Split:
    """Arrays ``X_train, y_train, X_test, y_test``, or ``X, y`` (then split), without pickles."""
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
        if {"X_train", "y_train", "X_test", "y_test"} <= keys:
            return ((data["X_train"], data["y_train"]), (data["X_test"], data["y_test"]))
        if {"X", "y"} <= keys:
            return _split(data["X"], data["y"], test_size, seed, str(path))
    raise ValueError(
        f"{path}: an NPZ data file needs arrays X_train, y_train, X_test, y_test, or X and y; "
        f"found {sorted(keys)}"
    )


def _split(X: np.ndarray, y: np.ndarray, test_size: float, seed: int, where: str) -> Split:
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} rows but y has {len(y)}")
    if len(X) < 2:
        raise ValueError(f"{where}: needs at least two rows, got {len(X)}")
    order = np.random.default_rng(seed).permutation(len(X))
    cut = max(1, round(len(X) * test_size))
    test, train = order[:cut], order[cut:]
    if np.all(y == np.round(y)):
        y = y.astype(np.int64)
    return (X[train], y[train]), (X[test], y[test])


def load(name: str) -> tuple[Split, float | None]:
    """A data set by name (``digits``, ``mnist``, ``fashion-mnist``) or path (.csv, .npz),
    with the pixel maximum to scale images by (None for feature tables)."""
    if name == "digits":
        return load_digits(), DIGITS_MAXIMUM
    if name == "mnist":
        return load_mnist(), 255.0
    if name == "fashion-mnist":
        return load_fashion_mnist(), 255.0
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".npz"):
        if not Path(name).is_file():
            raise FileNotFoundError(f"data file {name} does not exist")
        return (load_csv(name) if suffix == ".csv" else load_npz(name)), None
    raise ValueError(
        f"unknown dataset {name!r}: use one of {', '.join(NAMES)} or a path to a .csv or .npz file"
    )


__all__ = ["NAMES", "load", "load_csv", "load_npz", "scale"]
