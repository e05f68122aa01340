"""``Tensor.size``: NumPy's number of elements, which PyTorch's ``size()`` method it also is.

NumPy users read ``x.size`` as the element count and PyTorch users call ``x.size()`` for
the shape and ``x.size(0)`` for one axis; :class:`Size` is the count as an ``int`` that
answers both calls, so code written either way runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class Size(int):
    """The number of elements of a tensor of shape ``shape`` (an ``int``), callable as
    ``torch.Tensor.size``: ``size()`` gives the shape, ``size(dim)`` its length on ``dim``
    (negative counts from the end; a 0-d tensor has none, as in PyTorch)."""

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        size = super().__new__(cls, math.prod(shape))
        size.shape = shape
        return size

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return self.shape
        span = len(self.shape)
        if isinstance(dim, bool | np.bool_) or not isinstance(dim, int | np.integer) \
                or not -span <= dim < span:
            expected = (f"an integer from {-span} to {span - 1}" if span else
                        "None (a 0-d tensor has no dimensions)")
            raise IndexError(f"size: dim must be {expected} for a tensor of shape "
                             f"{self.shape}, got {dim!r}")
        return self.shape[int(dim)]

    def __reduce__(self) -> tuple[Any, ...]:  # pickles as the plain count
        return int, (int(self),)
