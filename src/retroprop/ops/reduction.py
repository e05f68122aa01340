"""Reductions over axes: sum, mean, max, min, and argmax (not differentiable).

Each takes NumPy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=``. As in
PyTorch, a 0-d tensor has one axis to name (0 or -1), an axis out of range raises
``IndexError`` and one that is not an integer ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retroprop.ops.axes import check_axis, chosen
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor

Axis = int | Sequence[int] | None


def _axes(ndim: int, axis: Axis, where: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (all axes for None; none for a 0-d
    tensor)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else axis
    if not isinstance(axes, Sequence):
        raise TypeError(f"{where}: axis must be an integer or a tuple of integers, got {axis!r}")
    resolved = {check_axis(a, ndim, where) for a in axes}
    if len(resolved) != len(axes):
        raise ValueError(f"{where}: axis {axis!r} names an axis twice")
    return tuple(sorted(resolved)) if ndim else ()


class Sum(Function):
    """z = Σ_axis a;  dz/da = 1 for every summed element."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.shape = a.shape
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.broadcast_to(grad.reshape(self.kept), self.shape)


class Mean(Function):
    """z = (1/n) Σ_axis a;  dz/da = 1/n."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.shape = a.shape
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        self.count = int(np.prod([a.shape[i] for i in axes]))
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN for no elements, as PyTorch
            return np.asarray(a.sum(axis=axes, keepdims=keepdims) / a.dtype.type(self.count))

    def backward(self, grad: np.ndarray) -> Gradients:
        count = grad.dtype.type(self.count or 1)  # no elements: an empty gradient
        return np.broadcast_to(grad.reshape(self.kept) / count, self.shape)


class Max(Function):
    """z = max_axis a;  the gradient goes to the maximal elements, split evenly between ties
    (as ``torch.amax``)."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        empty = [i for i in axes if a.shape[i] == 0]
        if empty:
            raise IndexError(f"max/min: cannot reduce axis {empty[0]} of size 0 "
                             f"(tensor of shape {a.shape}): it has no largest element")
        self.axes = axes
        kept = a.max(axis=axes, keepdims=True)
        self.mask = a == kept
        self.kept = kept.shape
        return kept if keepdims else kept.squeeze(axis=axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        count = self.mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
        return self.mask * (grad.reshape(self.kept) / count)


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: bool | None = None) -> Tensor:
    """Σ of the elements over ``axis`` (or ``dim``; all axes when None)."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "sum")
    return Sum.apply(a, axes=_axes(a.ndim, axis, "sum"), keepdims=keepdims)


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: bool | None = None) -> Tensor:
    """Mean of the elements over ``axis`` (or ``dim``; all axes when None); NaN for an empty
    tensor, as in PyTorch."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "mean")
    return Mean.apply(a, axes=_axes(a.ndim, axis, "mean"), keepdims=keepdims)


def max(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: bool | None = None) -> Tensor:
    """Largest element over ``axis`` (or ``dim``), as ``torch.amax``; ties share the
    gradient. Only the values, also with ``dim=`` (``torch.max(x, dim)`` also gives the
    indices: take them from :func:`argmax`)."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "max")
    return Max.apply(a, axes=_axes(a.ndim, axis, "max"), keepdims=keepdims)


def min(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: bool | None = None) -> Tensor:
    """Smallest element over ``axis`` (or ``dim``): -max(-a), as ``torch.amin``."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "min")
    return -Max.apply(-a, axes=_axes(a.ndim, axis, "min"), keepdims=keepdims)


def argmax(a: Tensor, axis: int | None = None, keepdims: bool = False, *,
           dim: int | None = None, keepdim: bool | None = None) -> Tensor:
    """Index of the largest element along ``axis`` (or ``dim``; of the flattened tensor when
    None), the first one on ties; an integer tensor without gradient, as ``torch.argmax``."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "argmax")
    if a.size == 0:
        raise IndexError(f"argmax: the tensor of shape {a.shape} has no elements")
    if axis is None or a.ndim == 0:
        if axis is not None:
            check_axis(axis, 0, "argmax")
        index = np.argmax(a.data).reshape((1,) * a.ndim if keepdims else ())
    else:
        index = np.argmax(a.data, axis=check_axis(axis, a.ndim, "argmax"), keepdims=keepdims)
    return Tensor._wrap(np.asarray(index, dtype=np.int64))
