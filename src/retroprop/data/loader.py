"""``Dataset`` and ``DataLoader`` for hand-written training loops, as in PyTorch: batches
of examples, in a new random order each epoch drawn from the library's generator (so
``rp.manual_seed`` fixes it), optionally without the last short batch, with transforms
applied batch by batch (Berzal, "Backpropagation" (Granada): online, mini-batch and
batch learning; shuffling).

Batches are NumPy arrays, which modules and losses accept as they are::

    loader = rp.data.DataLoader(rp.data.TensorDataset(X, y), batch_size=64, shuffle=True)
    for epoch in range(10):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from retroprop.random import generator

Transform = Callable[[np.ndarray], np.ndarray]


class Dataset:
    """Base of data sets: ``len(dataset)`` examples, ``dataset[i]`` one example (a tuple
    such as ``(x, y)``). A subclass may also define ``get_batch(indices)`` returning the
    batch as stacked arrays, which :class:`DataLoader` then uses instead of stacking the
    examples one by one."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class TensorDataset(Dataset):
    """Arrays of the same length seen as examples: ``TensorDataset(X, y)[i] == (X[i], y[i])``.

    Parameters
    ----------
    *arrays : array-like, each of shape (n, ...)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        self.arrays = tuple(np.asarray(getattr(a, "data", a)) for a in arrays)
        lengths = [len(a) if a.ndim else -1 for a in self.arrays]
        if len(set(lengths)) != 1 or lengths[0] < 0:
            raise ValueError(f"TensorDataset: the arrays must have the same length (first "
                             f"axis), got shapes {[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """The examples at ``indices``, gathered in one indexing per array."""
        return tuple(a[indices] for a in self.arrays)


def _stack(values: Any) -> np.ndarray:
    """Examples (arrays, numbers or strings) stacked along a new first axis; other objects (a
    dict) would make an array of objects, which no module takes: an error."""
    batch = np.stack(values)
    if batch.dtype.kind == "O":
        raise TypeError(f"DataLoader: examples must be arrays or numbers, or tuples of them; "
                        f"got {type(values[0]).__name__} values")
    return batch


class DataLoader:
    """Iterate over a data set in batches.

    Parameters
    ----------
    dataset : Dataset, a tuple of arrays (made a :class:`TensorDataset`), or a list of examples
        A list is a sequence of examples, as in PyTorch: ``list(zip(X, y))`` gives the
        batches ``(xb, yb)``; ``(X, y)`` as a tuple gives the same.
    batch_size : int or None, default 32
        1 for online learning, None for the whole set in one batch.
    shuffle : bool, default False
        A new order every epoch (each ``iter``), from the library's generator.
    drop_last : bool, default False
        Leave out the last batch when it is smaller than ``batch_size``.
    transform : callable, optional
        Applied to each batch of inputs (the first array), such as the transforms of
        :mod:`retroprop.data.augment`, which take a whole batch.
    target_transform : callable, optional
        Applied to each batch of targets (the second array).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> _ = rp.manual_seed(0)
    >>> loader = rp.data.DataLoader((np.arange(10.0), np.arange(10)), batch_size=4,
    ...                             shuffle=True, drop_last=True)
    >>> len(loader), [xb.shape for xb, yb in loader]
    (2, [(4,), (4,)])
    """

    def __init__(self, dataset: Dataset | tuple[Any, ...] | list[Any],
                 batch_size: int | None = 32, shuffle: bool = False, drop_last: bool = False,
                 transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        if isinstance(dataset, tuple):
            dataset = TensorDataset(*dataset)
        if not isinstance(dataset, Dataset | list):
            raise TypeError(f"DataLoader: dataset must be a Dataset, a tuple of arrays or a "
                            f"list of examples, got {type(dataset).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int | np.integer) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got "
                             f"{batch_size!r}")
        for name, function in (("transform", transform), ("target_transform", target_transform)):
            if function is not None and not callable(function):
                raise TypeError(f"DataLoader: {name} must be callable, got "
                                f"{type(function).__name__}")
        self.dataset, self.shuffle, self.drop_last = dataset, shuffle, drop_last
        self.batch_size = None if batch_size is None else int(batch_size)
        self.transform, self.target_transform = transform, target_transform

    def _size(self) -> int:
        return self.batch_size or max(len(self.dataset), 1)

    def __len__(self) -> int:
        """The number of batches per epoch."""
        n, size = len(self.dataset), self._size()
        return n // size if self.drop_last else math.ceil(n / size)

    def _fetch(self, indices: np.ndarray) -> Any:
        """The batch: a tuple of stacked arrays when examples are tuples, else an array."""
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            return get_batch(indices)
        examples = [self.dataset[int(i)] for i in indices]
        if isinstance(examples[0], tuple | list):
            return tuple(_stack(field) for field in zip(*examples, strict=True))
        return _stack(examples)

    def __iter__(self) -> Iterator[Any]:
        n, size = len(self.dataset), self._size()
        order = generator().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * size, size):
            batch = self._fetch(order[start:start + size])
            if not isinstance(batch, tuple):
                yield batch if self.transform is None else self.transform(batch)
                continue
            fields = list(batch)
            if self.transform is not None:
                fields[0] = self.transform(fields[0])
            if self.target_transform is not None and len(fields) > 1:
                fields[1] = self.target_transform(fields[1])
            yield tuple(fields)

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
