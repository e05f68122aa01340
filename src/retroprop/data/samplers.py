"""Samplers: the order in which a :class:`~retroprop.data.DataLoader` presents the examples,
as PyTorch's ``torch.utils.data`` samplers, drawn a whole epoch at a time.

A :class:`WeightedRandomSampler` presents some examples more often than others: the rare
classes of an imbalanced data set, as class-balanced mini-batches do, or the examples with
a large error (Berzal, "Backpropagation" (Granada): class-balanced batches, presenting more
often the examples with large error; ``Trainer.fit(sampling=...)`` does the same for arrays).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from retroprop.checks import check_count
from retroprop.random import generator


class Sampler:
    """Base of samplers: ``draw()`` returns one epoch's indices as an integer array (in one
    vectorised draw); iterating gives them one by one, as PyTorch's samplers do."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def draw(self) -> np.ndarray:
        """One epoch's indices."""
        raise NotImplementedError(f"{type(self).__name__} does not define draw")

    def __iter__(self) -> Iterator[int]:
        return iter(self.draw().tolist())


def draw(sampler: Iterable[int]) -> np.ndarray:
    """One epoch's indices from ``sampler``: a :class:`Sampler` draws them at once, any other
    iterable (a list, a PyTorch sampler) is read through."""
    if isinstance(sampler, Sampler):
        return sampler.draw()
    return np.asarray(list(sampler))


class WeightedRandomSampler(Sampler):
    """Indices from 0 to ``len(weights) - 1`` drawn with probabilities proportional to
    ``weights``, as ``torch.utils.data.WeightedRandomSampler``:

    .. math:: P(i) = w_i / \\sum_j w_j

    Parameters
    ----------
    weights : array-like of shape (n,)
        Finite, non-negative, not all zero; need not sum to 1. For class-balanced batches,
        ``1 / count[y]`` for each example's class ``y``.
    num_samples : int
        Indices drawn per epoch (the loader's epoch length), at least 1.
    replacement : bool, default True
        With replacement an index may come several times; without, at most once, so
        ``num_samples`` may not exceed the number of non-zero weights.
    generator : numpy.random.Generator, optional
        Draws from it instead of the library's generator (``rp.manual_seed``).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> _ = rp.manual_seed(0)
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> sampler = rp.data.WeightedRandomSampler(1.0 / np.bincount(y)[y], num_samples=1000)
    >>> bool(abs(y[sampler.draw()].mean() - 0.5) < 0.05)
    True
    """

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True,
                 generator: np.random.Generator | None = None) -> None:
        where = "WeightedRandomSampler"
        values = np.asarray(weights, dtype=np.float64)
        if values.ndim != 1 or not values.size:
            raise ValueError(f"{where}: weights must be a non-empty 1-d sequence, got shape "
                             f"{values.shape}")
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise ValueError(f"{where}: weights must be finite and >= 0, got "
                             f"{values[bad][0]} at index {np.flatnonzero(bad)[0]}")
        if not values.sum() > 0:
            raise ValueError(f"{where}: weights are all zero; at least one must be positive")
        self.num_samples = check_count(num_samples, f"{where}: num_samples")
        if not isinstance(replacement, bool | np.bool_):
            raise ValueError(f"{where}: replacement must be a bool, got {replacement!r}")
        if not replacement and self.num_samples > np.count_nonzero(values):
            raise ValueError(f"{where}: without replacement num_samples={num_samples} cannot "
                             f"exceed the {np.count_nonzero(values)} non-zero weights")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"{where}: generator must be a numpy.random.Generator or None, "
                            f"got {type(generator).__name__}")
        self.weights, self.replacement = values, bool(replacement)
        self.generator = generator

    def __len__(self) -> int:
        return self.num_samples

    def draw(self) -> np.ndarray:
        """``num_samples`` indices, in one draw."""
        rng = generator() if self.generator is None else self.generator
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum())

    def __repr__(self) -> str:
        return (f"WeightedRandomSampler({len(self.weights)} weights, "
                f"num_samples={self.num_samples}, replacement={self.replacement})")
