"""Rounding: ``floor``, ``ceil``, ``trunc`` and ``round``, as PyTorch's.

Each is flat between its jumps, so its derivative is 0 wherever it exists, and PyTorch
gives a zero gradient everywhere (the jumps included); so does retroprop. A network
trained through them learns nothing from that path (as with the binary units ``step``
and ``sign``). Integer tensors come back as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Rounding(Function):
    """z = r(a) for a rounding function r;  dz/da = 0."""

    keeps_integers = True

    def forward(self, a: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return a.copy() if a.dtype.kind in "biu" else fn(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.zeros_like(grad)


def floor(a: Tensor) -> Tensor:
    """The largest integer <= a, element-wise (``torch.floor``); zero gradient."""
    return Rounding.apply(a, fn=np.floor)


def ceil(a: Tensor) -> Tensor:
    """The smallest integer >= a, element-wise (``torch.ceil``); zero gradient."""
    return Rounding.apply(a, fn=np.ceil)


def trunc(a: Tensor) -> Tensor:
    """a without its fractional part, toward 0 (``torch.trunc``); zero gradient."""
    return Rounding.apply(a, fn=np.trunc)


def round(a: Tensor, *, decimals: int = 0) -> Tensor:
    """a rounded to ``decimals`` decimal places, halves to the even neighbour (``torch.round``
    and NumPy's ``round``: 0.5 → 0, 1.5 → 2); zero gradient."""
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    return Rounding.apply(a, fn=lambda values: np.round(values, int(decimals)))
