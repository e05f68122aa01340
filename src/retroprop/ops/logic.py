"""Comparisons and logic as PyTorch's methods: ``eq``, ``ne``, ``lt``, ``le``, ``gt``,
``ge``, ``isnan``, ``isfinite``, ``logical_not``, ``logical_and``, ``logical_or``, ``any``,
``all`` and ``nonzero``.

Each gives a boolean tensor (``nonzero`` int64 indices) outside the graph: none of them
has a gradient, as in PyTorch. The comparisons are the operators (``x.eq(y)`` is
``x == y``) with a clear error where the shapes do not broadcast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from retroprop.ops.axes import check_axes
from retroprop.tensor.tensor import Tensor

Axis = int | Sequence[int] | None


def _values(a: Any, name: str, where: str) -> np.ndarray:
    if isinstance(a, Tensor):
        return a.data
    if isinstance(a, str) or a is None:
        raise TypeError(f"{where}: {name} must be a tensor, an array or a number, got {a!r}")
    return np.asarray(a)


def _pairwise(ufunc: np.ufunc, name: str, text: str) -> Callable[[Tensor, Any], Tensor]:
    def method(a: Tensor, other: Any) -> Tensor:
        left, right = _values(a, "input", name), _values(other, "other", name)
        try:
            np.broadcast_shapes(left.shape, right.shape)
        except ValueError:
            raise ValueError(f"{name}: shapes {left.shape} and {right.shape} do not "
                             "broadcast (each axis must match or be 1)") from None
        return Tensor._wrap(np.asarray(ufunc(left, right)))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{text}, element-wise with broadcasting, as ``torch.{name}`` (a bool tensor)."
    return method


eq = _pairwise(np.equal, "eq", "a == other")
ne = _pairwise(np.not_equal, "ne", "a != other")
lt = _pairwise(np.less, "lt", "a < other")
le = _pairwise(np.less_equal, "le", "a <= other")
gt = _pairwise(np.greater, "gt", "a > other")
ge = _pairwise(np.greater_equal, "ge", "a >= other")
logical_and = _pairwise(np.logical_and, "logical_and", "a and other (nonzero is true)")
logical_or = _pairwise(np.logical_or, "logical_or", "a or other (nonzero is true)")


def logical_not(a: Tensor) -> Tensor:
    """True where ``a`` is zero (False), as ``torch.logical_not`` (a bool tensor)."""
    return Tensor._wrap(np.logical_not(_values(a, "input", "logical_not")))


def isnan(a: Tensor) -> Tensor:
    """True where ``a`` is NaN, as ``torch.isnan`` (a bool tensor)."""
    values = _values(a, "input", "isnan")
    return Tensor._wrap(np.isnan(values) if values.dtype.kind in "fc"
                        else np.zeros(values.shape, bool))


def isfinite(a: Tensor) -> Tensor:
    """True where ``a`` is neither NaN nor ±inf, as ``torch.isfinite`` (a bool tensor)."""
    values = _values(a, "input", "isfinite")
    return Tensor._wrap(np.isfinite(values) if values.dtype.kind in "fc"
                        else np.ones(values.shape, bool))


def _reduce(pick: Callable[..., Any], a: Tensor, dim: Axis, keepdim: bool, where: str
            ) -> Tensor:
    values = _values(a, "input", where)
    axes = check_axes(dim, values.ndim, where, name="dim", shape=values.shape)
    return Tensor._wrap(np.asarray(pick(values, axis=axes, keepdims=keepdim)))


def any(a: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """Whether some element is nonzero, over ``dim`` (an axis, a tuple of them, or every
    axis), as ``torch.any`` (a bool tensor)."""
    return _reduce(np.any, a, dim, keepdim, "any")


def all(a: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """Whether every element is nonzero, over ``dim``, as ``torch.all`` (a bool tensor)."""
    return _reduce(np.all, a, dim, keepdim, "all")


def nonzero(a: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements, as ``torch.nonzero``: an int64 tensor of shape
    (n, a.ndim), one row per element in row-major order; with ``as_tuple=True`` one 1-D
    tensor per axis (NumPy's ``nonzero``, usable as an index).

    NumPy's ``np.nonzero(t)`` calls this method, as it calls a PyTorch tensor's, so it
    gives this (n, ndim) tensor rather than NumPy's tuple, and ``np.argwhere(t)`` its
    transpose (with PyTorch too): on a tensor call ``np.nonzero(t.numpy())``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[0, 3], [5, 0]]).nonzero().tolist()
    [[0, 1], [1, 0]]
    """
    values = _values(a, "input", "nonzero")
    if as_tuple:
        found = np.nonzero(values.reshape(1) if values.ndim == 0 else values)
        return tuple(Tensor._wrap(i.astype(np.int64, copy=False)) for i in found)
    return Tensor._wrap(np.argwhere(values).astype(np.int64, copy=False))
