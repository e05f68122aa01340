"""Parts of a data set: :class:`Subset` and :func:`random_split`, as PyTorch's
``torch.utils.data`` (the training, validation and test sets of FAMAF's notes and Berzal's
lectures, cut from one :class:`~retroprop.data.Dataset`)."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.checks import is_real
from retroprop.data.loader import Dataset, as_dataset, check_index, fetch
from retroprop.random import generator as library_generator
from retroprop.stacklevel import user_stacklevel


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``: ``Subset(d, idx)[i] == d[idx[i]]``, as
    ``torch.utils.data.Subset``.

    Parameters
    ----------
    dataset : Dataset, tuple of arrays or list of examples
    indices : sequence of int
        Each in ``[-len(dataset), len(dataset))``; negative ones count from the end, as
        Python's, and are kept as their non-negative equals (``self.indices``, an int64
        array). PyTorch checks them only when an example is read; here an index out of
        range is an IndexError at once.

    Notes
    -----
    Indexing the subset takes negative indices as Python's sequences do, and raises an
    IndexError past either end, as PyTorch's does. Its ``get_batch`` gathers through the
    data set's own ``get_batch`` when it has one, so a :class:`~retroprop.data.DataLoader`
    over a subset of a :class:`~retroprop.data.TensorDataset` stays vectorised.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> part = rp.data.Subset(rp.data.TensorDataset(np.arange(10) * 10), [1, -1])
    >>> len(part), part[-1]
    (2, (np.int64(90),))
    """

    def __init__(self, dataset: Dataset | tuple[Any, ...] | list[Any],
                 indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = as_dataset(dataset, "Subset: dataset")
        values = np.asarray(indices)
        if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a 1-d sequence of integers, got "
                            f"{values.dtype} values of shape {values.shape}")
        n = len(self.dataset)
        outside = (values < -n) | (values >= n)
        if outside.any():
            raise IndexError(f"Subset: indices must be in [-{n}, {n}) for a data set of {n} "
                             f"examples, got {values[outside][0]} at position "
                             f"{np.flatnonzero(outside)[0]}")
        self.indices = values.astype(np.int64) % max(n, 1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[check_index(index, len(self), "Subset")])]

    def get_batch(self, indices: np.ndarray) -> Any:
        """The examples at ``indices`` of the subset, gathered from the data set."""
        return fetch(self.dataset, self.indices[indices])


def _split_lengths(lengths: Sequence[float], n: int) -> list[int]:
    """Counts from ``lengths``: integers are counts that must sum to ``n``; fractions
    (any float among them) must sum to 1 and give ``floor(n * fraction)`` each, the
    remainder handed out one by one from the first part on, as ``torch.utils.data.
    random_split`` does."""
    where = "random_split"
    if isinstance(lengths, str) or not isinstance(lengths, Sequence | np.ndarray) or not len(
            lengths):
        raise TypeError(f"{where}: lengths must be a non-empty sequence of counts or "
                        f"fractions, got {lengths!r}")
    if not all(map(is_real, lengths)):
        raise TypeError(f"{where}: lengths must be numbers, got {list(lengths)!r}")
    if all(isinstance(length, numbers.Integral) for length in lengths):
        counts = [int(length) for length in lengths]
        if min(counts) < 0:
            raise ValueError(f"{where}: lengths must be >= 0, got {counts}")
        if sum(counts) != n:
            raise ValueError(f"{where}: lengths {counts} sum to {sum(counts)}, not to the "
                             f"{n} examples of the data set")
        return counts
    fractions = [float(length) for length in lengths]
    if not all(0 <= fraction <= 1 for fraction in fractions):
        raise ValueError(f"{where}: fractions must be in [0, 1], got {fractions}")
    total = sum(fractions)
    if not (math.isclose(total, 1) and total <= 1):
        raise ValueError(f"{where}: fractions {fractions} sum to {total}, not 1 (give "
                         f"integer counts, or fractions that sum to 1)")
    counts = [math.floor(n * fraction) for fraction in fractions]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, count in enumerate(counts):
        if count == 0:
            warnings.warn(f"random_split: part {i} ({fractions[i]} of {n} examples) is empty",
                          UserWarning, stacklevel=user_stacklevel())
    return counts


def random_split(dataset: Dataset | tuple[Any, ...] | list[Any],
                 lengths: Sequence[float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of the given
    lengths, as ``torch.utils.data.random_split``.

    Parameters
    ----------
    dataset : Dataset, tuple of arrays or list of examples
    lengths : sequence of int, or of float
        Integer counts that sum to ``len(dataset)``, or fractions that sum to 1: then
        each part has ``floor(fraction * len(dataset))`` examples and the remainder goes
        one example at a time to the parts in order (part 0, 1, ...), PyTorch 2's rule; an
        empty part is warned of, as PyTorch does. PyTorch also reads integers that sum to
        1 (``[1, 0]``) as fractions; here integers are always counts.
    generator : numpy.random.Generator, optional
        The permutation is drawn from it, else from the library's generator
        (``rp.manual_seed``).

    Returns
    -------
    list of Subset
        Their indices, in order, make one random permutation of ``range(len(dataset))``.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> _ = rp.manual_seed(0)
    >>> train, val, test = rp.data.random_split((np.arange(10.0),), [0.7, 0.2, 0.1])
    >>> len(train), len(val), len(test)
    (7, 2, 1)
    """
    dataset = as_dataset(dataset, "random_split: dataset")
    counts = _split_lengths(lengths, len(dataset))
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator or None, "
                        f"got {type(generator).__name__}")
    order = (library_generator() if generator is None else generator).permutation(len(dataset))
    ends = np.cumsum(counts)
    return [Subset(dataset, order[end - count:end]) for end, count in zip(ends, counts,
                                                                         strict=True)]
