"""User data from CSV or NPZ files, and loading any data set by name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retroprop.checks import is_real
from retroprop.datasets.loaders import (
    DIGITS_MAXIMUM,
    FASHION_MNIST_CLASSES,
    Split,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    scale,
)
from retroprop.datasets.table import read_table

NAMES = ("digits", "mnist", "fashion-mnist")


@dataclass
class DataSet:
    """A data set ready to train on, with what a report needs to show it.

    Attributes
    ----------
    train, test : (X, y) pairs
    maximum : float or None
        The pixel maximum to scale images by; None for a table of features.
    source : str
        The data set's name, or the absolute path of its file.
    class_names : list of str or None
        One per class index (Fashion-MNIST's clothes, a CSV file's words).
    feature_names : list of str or None
        A CSV file's column names.
    """

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    maximum: float | None
    source: str
    class_names: list[str] | None = None
    feature_names: list[str] | None = None

    @property
    def kind(self) -> str:
        """``"images"`` for examples of 2 or more axes (H, W) or (C, H, W), else
        ``"features"``."""
        return "images" if self.train[0].ndim >= 3 else "features"


def canonical_name(name: str) -> str:
    """A built-in data set's name in its usual spelling (``Fashion_MNIST`` ->
    ``fashion-mnist``); other names unchanged."""
    folded = name.strip().lower().replace("_", "-")
    return folded if folded in NAMES else name


def load_csv(path: str | os.PathLike[str], test_size: float = 0.2, seed: int = 0,
             label_column: int | str | None = None, missing: str = "error") -> Split:
    """A CSV file of examples (see :func:`retroprop.datasets.table.read_table` for the
    header, separators, decimal commas, word labels and missing cells), split into train
    and test by a seeded shuffle. Labels that are words become class indices in the
    sorted order of the words."""
    table = read_table(path, label_column, missing)
    return _split(table.X, table.y, test_size, seed, str(path))


def load_npz(path: str | os.PathLike[str], test_size: float = 0.2, seed: int = 0) -> Split:
    """Arrays ``X_train, y_train, X_test, y_test``, or ``X, y`` (then split), read by
    :func:`retroprop.safe_npz.read_npz`: no pickles, every size checked before allocating
    (a malformed file raises ``DataFileError``)."""
    from retroprop.safe_npz import read_npz

    data = read_npz(path, where="load_npz: ")
    keys = set(data)
    if {"X_train", "y_train", "X_test", "y_test"} <= keys:
        return ((data["X_train"], data["y_train"]), (data["X_test"], data["y_test"]))
    if {"X", "y"} <= keys:
        return _split(data["X"], data["y"], test_size, seed, str(path))
    raise ValueError(
        f"{path}: an NPZ data file needs arrays X_train, y_train, X_test, y_test, or X and y; "
        f"found {sorted(keys)}"
    )


def _split(X: np.ndarray, y: np.ndarray, test_size: float, seed: int, where: str) -> Split:
    """Shuffle with ``seed`` and cut ``test_size`` of the rows for testing: at least one row
    for each side (``test_size`` in (0, 1))."""
    if not (is_real(test_size) and 0 < test_size < 1):
        raise ValueError(f"{where}: test_size must be in (0, 1), got {test_size!r}")
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} rows but y has {len(y)}")
    if len(X) < 2:
        raise ValueError(f"{where}: needs at least two rows, got {len(X)}")
    order = np.random.default_rng(seed).permutation(len(X))
    cut = min(max(1, round(len(X) * test_size)), len(X) - 1)
    test, train = order[:cut], order[cut:]
    if y.dtype.kind == "f" and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    return (X[train], y[train]), (X[test], y[test])


def load_dataset(name: str, label_column: int | str | None = None,
                 missing: str = "error") -> DataSet:
    """A data set by name (``digits``, ``mnist``, ``fashion-mnist``, in any case, ``_`` or
    ``-``) or by the path of a .csv or .npz file, with its class names and kind.

    ``label_column`` and ``missing`` apply to CSV files (see
    :func:`retroprop.datasets.table.read_table`).
    """
    canonical = canonical_name(name)
    if canonical == "digits":
        return DataSet(*load_digits(), DIGITS_MAXIMUM, canonical)
    if canonical in ("mnist", "fashion-mnist"):
        split = load_mnist() if canonical == "mnist" else load_fashion_mnist()
        names = list(FASHION_MNIST_CLASSES) if canonical == "fashion-mnist" else None
        return DataSet(*split, 255.0, canonical, names)
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(NAMES)} or a path "
                         "to a .csv or .npz file")
    if not path.is_file():
        raise FileNotFoundError(f"data file {name} does not exist")
    source = str(path.resolve())
    if suffix == ".npz":
        if label_column is not None:
            raise ValueError(f"{name}: label_column applies to CSV files; an NPZ file names "
                             "its label arrays (y or y_train, y_test)")
        (X, y), (X_test, y_test) = load_npz(path)
        if y.dtype.kind in "US":  # words: class indices in sorted order, names kept
            words, codes = np.unique(np.concatenate([y, y_test]), return_inverse=True)
            y, y_test = codes[:len(y)].astype(np.int64), codes[len(y):].astype(np.int64)
            return DataSet((X, y), (X_test, y_test), None, source, [str(w) for w in words])
        return DataSet((X, y), (X_test, y_test), None, source)
    table = read_table(path, label_column, missing)
    return DataSet(*_split(table.X, table.y, 0.2, 0, str(path)), None, source,
                   table.class_names, table.feature_names)


def load(name: str) -> tuple[Split, float | None]:
    """A data set by name (``digits``, ``mnist``, ``fashion-mnist``) or path (.csv, .npz),
    with the pixel maximum to scale images by (None for feature tables). See
    :func:`load_dataset` for the class names and more options."""
    data = load_dataset(name)
    return (data.train, data.test), data.maximum


__all__ = ["NAMES", "DataSet", "canonical_name", "load", "load_csv", "load_dataset",
           "load_npz", "scale"]
