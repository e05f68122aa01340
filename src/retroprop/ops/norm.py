"""Vector p-norms over axes, as ``torch.norm`` and ``torch.linalg.vector_norm``::

    ‖a‖_p = (Σ |a|^p)^(1/p),   ‖a‖_∞ = max |a|,   ‖a‖_-∞ = min |a|

Backward, with z = ‖a‖_p and g = dL/dz::

    dL/da = g sign(a) |a|^(p-1) / z^(p-1)      (a / z for p = 2, sign(a) for p = 1)

and, for p = ±∞, g sign(a) shared evenly between the elements where ``|a| = z``.
PyTorch's conventions where these are 0/0: the gradient is 0 where z = 0 (the norm of
zeros) and where a = 0 (for p < 1, where ``|a|^(p-1)`` is infinite).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.ops.axes import check_axes
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Norm(Function):
    """z = ‖a‖_p over ``axes`` (p > 0 finite);  dz/da = sign(a) |a|^(p-1) / z^(p-1)."""

    def forward(self, a: np.ndarray, p: float, axes: tuple[int, ...], keepdims: bool
                ) -> np.ndarray:
        self.a, self.p = a, p
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        if p == 2:
            total = (a * a).sum(axis=axes, keepdims=True)
        else:
            total = (np.abs(a) ** a.dtype.type(p)).sum(axis=axes, keepdims=True)
        self.out = total ** a.dtype.type(1 / p)
        return self.out if keepdims else self.out.squeeze(axis=axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        a, p, out, zero = self.a, self.p, self.out, grad.dtype.type(0)
        grad = grad.reshape(self.kept)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 1:
                return grad * np.sign(a)
            if p == 2:
                local = a / out
            else:
                power = a.dtype.type(p - 1)
                local = np.sign(a) * np.abs(a) ** power / out**power
        return np.where((out == 0) | (a == 0), zero, grad * local)


class InfinityNorm(Function):
    """z = max |a| (or min |a|) over ``axes``;  dz/da = sign(a) where |a| = z, shared evenly
    between ties, 0 elsewhere (as PyTorch)."""

    def forward(self, a: np.ndarray, largest: bool, axes: tuple[int, ...], keepdims: bool
                ) -> np.ndarray:
        magnitude = np.abs(a)
        pick = np.max if largest else np.min
        out = pick(magnitude, axis=axes, keepdims=True)
        self.kept = out.shape
        ties = magnitude == out
        self.share = np.sign(a) * ties / ties.sum(axis=axes, keepdims=True).astype(a.dtype)
        return out if keepdims else out.squeeze(axis=axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad.reshape(self.kept) * self.share


def norm(a: Tensor, p: float | str = 2, dim: int | Sequence[int] | None = None,
         keepdim: bool = False) -> Tensor:
    """The vector p-norm ``‖a‖_p = (Σ |a|^p)^(1/p)`` over ``dim`` (all elements when None),
    as ``torch.norm`` and ``torch.linalg.vector_norm``.

    Parameters
    ----------
    p : float or 'fro', default 2
        A positive number, ``inf`` (``max |a|``) or ``-inf`` (``min |a|``); ``'fro'``, PyTorch's
        default, is the 2-norm of the elements.
    dim : int or tuple of int, optional
        The axes to reduce; None or an empty tuple, all of them (as PyTorch).
    keepdim : bool, default False
        Keep the reduced axes with size 1.

    Notes
    -----
    The gradient at a = 0 is 0 (not NaN), as PyTorch gives it; see the module.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[3.0, -4.0], [0.0, 1.0]]).norm(dim=1).tolist()
    [5.0, 1.0]
    >>> rp.tensor([3.0, -4.0]).norm(1).item(), rp.tensor([3.0, -4.0]).norm(float("inf")).item()
    (7.0, 4.0)
    """
    order = _order(p)
    axes = check_axes(dim, a.ndim, "norm", name="dim", shape=a.shape, empty_is_all=True)
    if np.isinf(order):
        if any(a.shape[axis] == 0 for axis in axes):
            raise ValueError(f"norm: the {order:g} norm over dim {dim!r} of a tensor of shape "
                             f"{a.shape} reduces an empty axis; max and min have no value there "
                             "(PyTorch refuses it too)")
        return InfinityNorm.apply(a, largest=order > 0, axes=axes, keepdims=keepdim)
    return Norm.apply(a, p=order, axes=axes, keepdims=keepdim)


def _order(p: Any) -> float:
    if p == "fro":
        return 2.0
    if (isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating)
            or np.isnan(p) or (p <= 0 and not np.isneginf(p))):
        raise ValueError(f"norm: p must be a positive number, inf, -inf or 'fro', got {p!r}")
    return float(p)
