"""Running sums and products along an axis: ``cumsum`` and ``prod``, as PyTorch's.

cumsum: z_i = Σ_{j<=i} a_j, so dL/da_j = Σ_{i>=j} dL/dz_i, the running sum of dL/dz taken
from the other end. prod: z = Π_j a_j, so dz/da_j = Π_{k≠j} a_k, computed as the product
of the elements before j times the product of those after it (no division): exact where
some a_k are zero, as PyTorch's gradient (with one zero only that element gets a
gradient; with two or more, none does).
"""

from __future__ import annotations

import numpy as np

from retroprop.ops.axes import check_axis
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


def _reversed_cumsum(grad: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(grad, axis), axis), axis)


class CumSum(Function):
    """z_i = Σ_{j<=i} a_j along ``axis``;  dL/da_j = Σ_{i>=j} dL/dz_i."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        return np.cumsum(a, axis, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)

    def backward(self, grad: np.ndarray) -> Gradients:
        return _reversed_cumsum(grad, self.axis)


def _exclusive_cumprod(a: np.ndarray, axis: int) -> np.ndarray:
    """The product of the elements before each one along ``axis`` (1 for the first)."""
    shifted = np.ones_like(a)
    inner = [slice(None)] * a.ndim
    outer = list(inner)
    inner[axis], outer[axis] = slice(1, None), slice(None, -1)
    shifted[tuple(inner)] = np.cumprod(a[tuple(outer)], axis)
    return shifted


class Prod(Function):
    """z = Π_axis a;  dz/da_j = Π_{k≠j} a_k (products before and after j, no division)."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
        self.a, self.axis, self.keepdims = a, axis, keepdims
        dtype = np.int64 if a.dtype.kind in "biu" else a.dtype
        return np.asarray(np.prod(a, axis, dtype=dtype, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Gradients:
        a, axis = self.a, self.axis
        before = _exclusive_cumprod(a, axis)
        after = np.flip(_exclusive_cumprod(np.flip(a, axis), axis), axis)
        kept = grad if self.keepdims else np.expand_dims(grad, axis)
        return kept * (before * after)


def cumsum(a: Tensor, dim: int) -> Tensor:
    """The running sum along ``dim``, as ``torch.cumsum`` (integers and booleans give
    int64, as there).

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1.0, 2.0, 3.0]).cumsum(0).tolist()
    [1.0, 3.0, 6.0]
    """
    axis = check_axis(dim, a.ndim, "cumsum", name="dim")
    if a.ndim == 0:
        return CumSum.apply(a.reshape(1), axis=0).reshape(())
    return CumSum.apply(a, axis=axis)


def prod(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The product of all the elements, or along ``dim`` (one axis, as ``torch.prod``);
    the gradient is PyTorch's where elements are zero (see the module's text).

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
    [2.0, 12.0]
    """
    if dim is None:
        if keepdim:
            raise TypeError("prod: keepdim needs a dim, as in PyTorch; got dim=None")
        return Prod.apply(a.reshape(-1), axis=0, keepdims=False)
    axis = check_axis(dim, a.ndim, "prod", name="dim")
    if a.ndim == 0:
        return Prod.apply(a.reshape(1), axis=0, keepdims=False)
    return Prod.apply(a, axis=axis, keepdims=bool(keepdim))
