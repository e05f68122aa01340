"""Data sets one after another: :class:`ConcatDataset`, as PyTorch's
``torch.utils.data.ConcatDataset`` (several sources of examples trained on as one set)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.data.loader import Dataset, TensorDataset, check_index, fetch


class ConcatDataset(Dataset):
    """The examples of ``datasets[0]``, then those of ``datasets[1]``, and so on.

    Parameters
    ----------
    datasets : iterable of Dataset (tuples of arrays and lists of examples too)
        At least one.

    Attributes
    ----------
    cumulative_sizes : list of int
        The running total of the data sets' lengths, as PyTorch's.

    Notes
    -----
    Negative indices count from the end, as in PyTorch; an index past either end is an
    IndexError here (PyTorch raises a ValueError for one past the start). ``get_batch``
    gathers each data set's share of a batch in one call (vectorised where the data set
    has a ``get_batch``) and puts the examples back in the batch's order.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> both = rp.data.ConcatDataset([(np.arange(3),), (np.arange(10, 12),)])
    >>> len(both), both[3], both[-1]
    (5, (np.int64(10),), (np.int64(11),))
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        if not isinstance(datasets, Iterable) or isinstance(datasets, str):
            raise TypeError(f"ConcatDataset: datasets must be a list of data sets, got "
                            f"{type(datasets).__name__}")
        self.datasets: list[Dataset | list[Any]] = []
        for i, dataset in enumerate(datasets):
            if isinstance(dataset, tuple):
                dataset = TensorDataset(*dataset)
            if not isinstance(dataset, Dataset | list):
                raise TypeError(f"ConcatDataset: datasets[{i}] must be a Dataset, a tuple of "
                                f"arrays or a list of examples, got {type(dataset).__name__}")
            self.datasets.append(dataset)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets is empty; give at least one data set")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def _locate(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each index, the data set that holds it and its index there."""
        which = np.searchsorted(self.cumulative_sizes, indices, side="right")
        starts = np.concatenate(([0], self.cumulative_sizes[:-1]))
        return which, indices - starts[which]

    def __getitem__(self, index: int) -> Any:
        which, local = self._locate(np.array([check_index(index, len(self), "ConcatDataset")]))
        return self.datasets[int(which[0])][int(local[0])]

    def get_batch(self, indices: np.ndarray) -> Any:
        """The examples at ``indices``: one gathering per data set, not per example."""
        which, local = self._locate(np.asarray(indices))
        positions, parts = [], []
        for d in np.unique(which) if len(which) else [0]:  # an empty batch: from the first
            where = np.flatnonzero(which == d)
            positions.append(where)
            parts.append(fetch(self.datasets[int(d)], local[where]))
        back = np.argsort(np.concatenate(positions), kind="stable")
        if isinstance(parts[0], tuple):
            return tuple(np.concatenate(field)[back] for field in zip(*parts, strict=True))
        return np.concatenate(parts)[back]
