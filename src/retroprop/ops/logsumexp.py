"""log Σ exp over axes, computed stably, as ``torch.logsumexp``.

z = m + log Σ_j exp(a_j - m) with m the largest a_j (no overflow for large a_j; m is
taken as 0 where it is ±∞, as PyTorch does, so that a row of -∞ gives -∞ and one
holding +∞ gives +∞); dz/da_j = exp(a_j - z), the softmax of the row (Berzal,
"Backpropagation", Granada, "Softmax").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retroprop.ops.axes import check_axes
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class LogSumExp(Function):
    """z = log Σ_axes exp(a);  dz/da = exp(a - z) (the softmax over the axes)."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.a, self.axes = a, axes
        if a.size:
            largest = a.max(axis=axes, keepdims=True)
            shift = np.where(np.isinf(largest), a.dtype.type(0), largest)
        else:  # no elements: log 0 = -inf, as in PyTorch
            shift = np.zeros([1 if i in axes else n for i, n in enumerate(a.shape)], a.dtype)
        with np.errstate(divide="ignore"):
            self.out = np.log(np.exp(a - shift).sum(axis=axes, keepdims=True)) + shift
        return self.out if keepdims else self.out.squeeze(axis=axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        kept = grad.reshape(self.out.shape)
        with np.errstate(invalid="ignore"):  # NaN where a and z are both ±inf, as PyTorch
            return kept * np.exp(self.a - self.out)


def logsumexp(a: Tensor, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
    """log Σ exp(a) over ``dim`` (an axis or a tuple of them), as ``torch.logsumexp``,
    without overflow; integers are computed in the default floating dtype.

    Examples
    --------
    >>> import retroprop as rp
    >>> round(rp.tensor([1000.0, 1000.0], dtype=rp.float64).logsumexp(0).item(), 4)
    1000.6931
    """
    axes = check_axes(dim, a.ndim, "logsumexp", name="dim", shape=a.shape, empty_is_all=True)
    return LogSumExp.apply(a, axes=axes, keepdims=bool(keepdim))
