"""Reductions over axes: sum, mean, max."""

from __future__ import annotations

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor

Axis = int | tuple[int, ...] | None


def _axes(ndim: int, axis: Axis) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes))


class Sum(Function):
    """z = Σ_axis a;  dz/da = 1 for every summed element."""

    def forward(self, a: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        axes = _axes(a.ndim, axis)
        self.shape = a.shape
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.broadcast_to(grad.reshape(self.kept), self.shape)


class Mean(Function):
    """z = (1/n) Σ_axis a;  dz/da = 1/n."""

    def forward(self, a: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        axes = _axes(a.ndim, axis)
        self.shape = a.shape
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        self.count = int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.broadcast_to(grad.reshape(self.kept) / grad.dtype.type(self.count), self.shape)


class Max(Function):
    """z = max_axis a;  the gradient goes to the maximal elements, split evenly between ties
    (as ``torch.amax``)."""

    def forward(self, a: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        self.axes = _axes(a.ndim, axis)
        kept = a.max(axis=self.axes, keepdims=True)
        self.mask = a == kept
        self.kept = kept.shape
        return kept if keepdims else kept.squeeze(axis=self.axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        count = self.mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
        return self.mask * (grad.reshape(self.kept) / count)


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Σ of the elements over ``axis`` (all axes when None)."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean of the elements over ``axis`` (all axes when None)."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Largest element over ``axis``; ties share the gradient."""
    return Max.apply(a, axis=axis, keepdims=keepdims)


def min(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Smallest element over ``axis``: -max(-a)."""
    return -Max.apply(-a, axis=axis, keepdims=keepdims)
