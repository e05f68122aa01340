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
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from retroprop.data.samplers import draw
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


def default_collate(examples: Sequence[Any]) -> Any:
    """A list of examples as one batch: a tuple of stacked arrays when the examples are tuples
    (or lists) such as ``(x, y)``, else one stacked array, as PyTorch's
    ``torch.utils.data.default_collate`` stacks them (into NumPy arrays here; dicts of
    arrays, which it also takes, are refused). A ``collate_fn`` may call it.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> xb, yb = rp.data.default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> xb.shape, yb.tolist()
    ((2, 3), [1, 0])
    """
    if isinstance(examples[0], tuple | list):
        return tuple(_stack(field) for field in zip(*examples, strict=True))
    return _stack(examples)


def fetch(dataset: Dataset | list[Any], indices: np.ndarray) -> Any:
    """The batch at ``indices`` (an integer array): gathered by the data set's ``get_batch``
    in one indexing per array when it has one, else stacked example by example."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    return default_collate([dataset[int(i)] for i in indices])


def as_dataset(dataset: Any, where: str) -> Dataset | list[Any]:
    """``dataset`` as the loader takes it: a tuple of arrays made a :class:`TensorDataset`,
    a Dataset or a list of examples kept; anything else a TypeError naming ``where``."""
    if isinstance(dataset, tuple):
        return TensorDataset(*dataset)
    if not isinstance(dataset, Dataset | list):
        raise TypeError(f"{where} must be a Dataset, a tuple of arrays or a list of examples, "
                        f"got {type(dataset).__name__}")
    return dataset


def check_index(index: Any, length: int, where: str) -> int:
    """``index`` as a non-negative int below ``length``, counting from the end when negative
    as Python's sequences do; an IndexError naming ``where`` when it is out of range (so that
    ``list(dataset)`` stops), a TypeError when it is not an integer."""
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{where}: index must be an integer, got {type(index).__name__}")
    if not -length <= int(index) < length:
        raise IndexError(f"{where}: index {index} is out of range for {length} examples")
    return int(index) % length


class DataLoader:
    """Iterate over a data set in batches.

    Parameters
    ----------
    dataset : Dataset, a tuple of arrays (made a :class:`TensorDataset`), or a list of examples
        A list is a sequence of examples, as in PyTorch: ``list(zip(X, y))`` gives the
        batches ``(xb, yb)``; ``(X, y)`` as a tuple gives the same.
    batch_size : int or None, default 32
        1 for online learning, None for the whole set (or the sampler's whole epoch) in
        one batch.
    shuffle : bool, default False
        A new order every epoch (each ``iter``), from the library's generator.
    drop_last : bool, default False
        Leave out the last batch when it is smaller than ``batch_size``.
    transform : callable, optional
        Applied to each batch of inputs (the first array), such as the transforms of
        :mod:`retroprop.data.augment`, which take a whole batch.
    target_transform : callable, optional
        Applied to each batch of targets (the second array).
    sampler : Sampler or iterable of int, optional
        The order of the examples in each epoch, instead of ``shuffle``: a
        :class:`~retroprop.data.WeightedRandomSampler` (drawn whole, in one call), or any
        iterable of indices with a length (a list, a PyTorch sampler), read once per epoch.
        Cut into batches of ``batch_size`` as PyTorch cuts it.
    batch_sampler : iterable of sequences of int, optional
        The batches themselves, as index lists (PyTorch's ``BatchSampler``); then
        ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last`` must keep their defaults,
        as in PyTorch.
    collate_fn : callable, optional
        Given the list of a batch's examples (``dataset[i]`` each), returns the batch, as
        PyTorch's ``collate_fn``. By default (:func:`default_collate`) a data set with a
        ``get_batch`` (a :class:`TensorDataset`, a :class:`~retroprop.data.Subset` of one)
        is gathered with one NumPy indexing per array, without a Python loop over the
        examples, and other data sets are stacked example by example.
    num_workers : int, default 0
        PyTorch's number of loading processes, taken so that its calls run as written
        (``num_workers=2`` of the tutorials): the batches are the same, and retroprop
        always gathers them in the calling process.

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
                 target_transform: Transform | None = None, *,
                 sampler: Iterable[int] | None = None,
                 batch_sampler: Iterable[Sequence[int]] | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 num_workers: int = 0) -> None:
        self.dataset = as_dataset(dataset, "DataLoader: dataset")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int | np.integer) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got "
                             f"{num_workers!r}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int | np.integer) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got "
                             f"{batch_size!r}")
        for name, function in (("transform", transform), ("target_transform", target_transform),
                               ("collate_fn", collate_fn)):
            if function is not None and not callable(function):
                raise TypeError(f"DataLoader: {name} must be callable, got "
                                f"{type(function).__name__}")
        for name, indices in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if indices is not None and not isinstance(indices, Iterable):
                raise TypeError(f"DataLoader: {name} must be an iterable of indices, got "
                                f"{type(indices).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True exclude each other (the "
                             "sampler sets the order)")
        if batch_sampler is not None:
            given = [f"{name}={value!r:.40}" for name, value, default in (
                ("batch_size", batch_size, 32), ("shuffle", shuffle, False),
                ("sampler", sampler, None), ("drop_last", drop_last, False)) if value != default]
            if given:
                raise ValueError(f"DataLoader: batch_sampler makes the batches; got "
                                 f"{', '.join(given)}, which must then keep their defaults "
                                 "(batch_size=32, shuffle=False, sampler=None, "
                                 "drop_last=False), as in PyTorch")
            batch_size = None
        self.shuffle, self.drop_last = shuffle, drop_last
        self.batch_size = None if batch_size is None else int(batch_size)
        self.sampler, self.batch_sampler, self.collate_fn = sampler, batch_sampler, collate_fn
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        """The number of batches per epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        n = len(self.dataset if self.sampler is None else self.sampler)  # type: ignore[arg-type]
        size = self.batch_size or max(n, 1)
        return n // size if self.drop_last else math.ceil(n / size)

    def _checked(self, indices: Any, name: str) -> np.ndarray:
        """The indices a sampler gave, as an integer array, each in [0, len(dataset))."""
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise TypeError(f"DataLoader: {name} must give integer indices, got "
                            f"{indices.dtype} values of shape {indices.shape}")
        n = len(self.dataset)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            bad = indices[(indices < 0) | (indices >= n)][0]
            raise IndexError(f"DataLoader: {name} gave index {bad}, out of range for the "
                             f"{n} examples of the data set")
        return indices.astype(np.intp)

    def _batch_indices(self) -> Iterator[np.ndarray]:
        """One epoch's batches, as index arrays."""
        if self.batch_sampler is not None:
            for batch in self.batch_sampler:
                yield self._checked(batch, "batch_sampler")
            return
        if self.sampler is not None:
            order = self._checked(draw(self.sampler), "sampler")
        else:
            n = len(self.dataset)
            order = generator().permutation(n) if self.shuffle else np.arange(n)
        size = self.batch_size or max(len(order), 1)
        stop = len(order) // size * size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def __iter__(self) -> Iterator[Any]:
        for indices in self._batch_indices():
            if self.collate_fn is None:
                batch = fetch(self.dataset, indices)
            else:
                batch = self.collate_fn([self.dataset[int(i)] for i in indices])
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
