"""Splitting a data set: training, validation and test sets, and k-fold cross-validation
(FAMAF: "conjunto de entrenamiento, de testeo y de verificación"; Berzal)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import cast

import numpy as np

from retroprop.checks import check_count, check_range
from retroprop.random import generator
from retroprop.stacklevel import user_stacklevel


def train_val_test_split(X: np.ndarray, y: np.ndarray, val_size: float = 0.1,
                         test_size: float = 0.1, shuffle: bool = True,
                         seed: int | None = None) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Split into ``(X_train, y_train), (X_val, y_val), (X_test, y_test)``.

    ``val_size`` and ``test_size`` are fractions of the whole set (each part's size is
    rounded; at least one training row must remain); the shuffle uses ``seed``, or the
    library generator (``rp.manual_seed``).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_val_test_split: X has {len(X)} rows but y has {len(y)}")
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        check_range(value, f"train_val_test_split: {name}", 0, 1)
    if val_size + test_size >= 1:
        raise ValueError(
            f"train_val_test_split: val_size + test_size = {val_size + test_size} leaves no "
            "training data"
        )
    n = len(X)
    n_test, n_val = round(n * test_size), round(n * val_size)
    if n_test + n_val >= n:
        raise ValueError(
            f"train_val_test_split: of {n} rows, val_size={val_size} takes {n_val} and "
            f"test_size={test_size} takes {n_test}, which leaves no training data"
        )
    rng = np.random.default_rng(seed) if seed is not None else generator()
    order = rng.permutation(n) if shuffle else np.arange(n)
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return (X[train], y[train]), (X[val], y[val]), (X[test], y[test])


class KFold:
    """k-fold cross-validation: each of ``n_splits`` folds (an integer >= 2, Python's or
    NumPy's) is the validation set once.

    Examples
    --------
    >>> import numpy as np
    >>> [len(val) for _, val in KFold(3).split(np.zeros(10))]
    [4, 3, 3]
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int | None = None
                 ) -> None:
        check_count(n_splits, f"{type(self).__name__}: n_splits", 2)
        self.n_splits, self.shuffle, self.seed = int(n_splits), shuffle, seed

    def split(self, X: np.ndarray, y: np.ndarray | None = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, validation_indices)`` for each fold (``y`` is unused)."""
        n = len(X)
        if n < self.n_splits:
            raise ValueError(f"{type(self).__name__}: {self.n_splits} folds need at least as "
                             f"many rows, got {n}")
        for fold in self._folds(n, y):
            yield np.setdiff1d(np.arange(n), fold, assume_unique=True), np.sort(fold)

    def _order(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed) if self.seed is not None else generator()
        return rng.permutation(n) if self.shuffle else np.arange(n)

    def _folds(self, n: int, y: np.ndarray | None) -> list[np.ndarray]:
        return np.array_split(self._order(n), self.n_splits)


class StratifiedKFold(KFold):
    """k-fold cross-validation that keeps each class's share in every fold: the examples
    of each class are dealt to the folds in turn (Berzal, "Backpropagation":
    cross-validation, N subsets and N error estimates).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0] * 6 + [1] * 3)
    >>> [np.bincount(y[val]).tolist() for _, val in StratifiedKFold(3).split(y, y)]
    [[2, 1], [2, 1], [2, 1]]
    """

    def split(self, X: np.ndarray, y: np.ndarray | None = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, validation_indices)``; ``y`` holds the class labels."""
        if y is None:
            raise ValueError("StratifiedKFold.split: y (the class labels) is required")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"StratifiedKFold.split: y must be labels of shape ({len(X)},), "
                             f"got shape {y.shape}")
        fewest = np.unique(y, return_counts=True)[1].min(initial=self.n_splits)
        if fewest < self.n_splits:
            warnings.warn(f"StratifiedKFold: the least populated class in y has {fewest} "
                          f"members, fewer than n_splits={self.n_splits}: some validation "
                          "folds will not hold it (as scikit-learn warns)", UserWarning,
                          stacklevel=user_stacklevel())
        return super().split(X, y)

    def _folds(self, n: int, y: np.ndarray | None) -> list[np.ndarray]:
        order = self._order(n)
        # Group the (shuffled) examples by class, then deal them to the folds in turn.
        labels = cast(np.ndarray, y)  # split() has refused y=None
        by_class = order[np.argsort(labels[order], kind="stable")]
        return [by_class[start::self.n_splits] for start in range(self.n_splits)]
