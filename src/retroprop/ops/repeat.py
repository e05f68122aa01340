"""Operations that repeat or reorder elements: ``expand`` (``expand_as``), ``repeat`` and
``flip``, as PyTorch's.

An element used k times in the output gets the sum of its k gradients: ``expand`` sums
dL/dz over the axes it stretched (the bias's Σ over the rows in Berzal,
"Backpropagation", Granada), ``repeat`` over the copies; ``flip`` reverses dL/dz.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.ops.axes import check_axes
from retroprop.ops.shape import shape_of
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor, unbroadcast


class Expand(Function):
    """z = a broadcast to a larger shape (a read-only view, no copy);  dL/da = dL/dz summed
    over the axes that were added or stretched."""

    keeps_integers = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(self, grad: np.ndarray) -> Gradients:
        return unbroadcast(grad, self.shape)


class Repeat(Function):
    """z = a tiled ``reps[k]`` times along axis k (``np.tile``);  dL/da = the sum of dL/dz
    over the copies."""

    keeps_integers = True

    def forward(self, a: np.ndarray, reps: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        self.padded = (1,) * (len(reps) - a.ndim) + a.shape
        self.reps = reps
        return np.tile(a.reshape(self.padded), reps)

    def backward(self, grad: np.ndarray) -> Gradients:
        pairs = [n for pair in zip(self.reps, self.padded, strict=True) for n in pair]
        return grad.reshape(pairs).sum(axis=tuple(range(0, len(pairs), 2))).reshape(self.shape)


class Flip(Function):
    """z = a with the order of its elements reversed along ``axes`` (a copy);  dL/da = dL/dz
    reversed along the same axes."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.axes = axes
        return np.flip(a, axes).copy()

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.flip(grad, self.axes)


def _sizes(sizes: tuple[Any, ...], where: str, name: str) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch; each an integer."""
    dims = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], Sequence) else sizes
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"{where}: {name} must be integers, got {dims!r}")
    return tuple(int(n) for n in dims)


def expand(a: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """``a`` broadcast to ``sizes`` without copying, as ``torch.Tensor.expand``: each axis of
    size 1 may grow, -1 keeps an axis as it is, and new axes may be added in front.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.zeros(3, 1).expand(2, -1, 4).shape
    (2, 3, 4)
    """
    target = _sizes(sizes, "expand", "sizes")
    if len(target) < a.ndim:
        raise ValueError(f"expand: sizes {target} name fewer axes than the tensor of shape "
                         f"{a.shape} has ({a.ndim}); expected at least {a.ndim}")
    lead = len(target) - a.ndim
    shape = []
    for k, n in enumerate(target):
        old = a.shape[k - lead] if k >= lead else None
        if n == -1 and old is not None:
            n = old
        if n < 0 or (old is not None and old != 1 and n != old):
            expected = "a size of at least 0" if old is None else f"{old} or -1"
            raise ValueError(f"expand: size {target[k]} at position {k} does not fit the "
                             f"tensor of shape {a.shape} (expected {expected}; only axes of "
                             f"size 1 can grow), sizes {target}")
        shape.append(n)
    return Expand.apply(a, shape=tuple(shape))


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    """``a.expand(other.shape)``, as ``torch.Tensor.expand_as``."""
    return expand(a, shape_of(other, "expand_as"))


def repeat(a: Tensor, *repeats: int | Sequence[int]) -> Tensor:
    """``a`` copied ``repeats[k]`` times along axis k, as ``torch.Tensor.repeat`` (NumPy's
    ``tile``): at least one count per axis, extra counts add axes in front.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = _sizes(repeats, "repeat", "repeats")
    if len(reps) < a.ndim or any(n < 0 for n in reps):
        raise ValueError(f"repeat: expected one non-negative count per axis of the tensor of "
                         f"shape {a.shape} (at least {a.ndim}), got {reps}")
    return Repeat.apply(a, reps=reps)


def flip(a: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """``a`` reversed along the axes ``dims`` (a copy), as ``torch.flip``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[1, 2], [3, 4]]).flip(1).tolist()
    [[2, 1], [4, 3]]
    """
    axes = dims[0] if len(dims) == 1 and isinstance(dims[0], Sequence) else dims
    if not axes:
        raise ValueError("flip: expected the axes to reverse (dims), got none")
    return Flip.apply(a, axes=check_axes(axes, a.ndim, "flip", name="dims", shape=a.shape))
