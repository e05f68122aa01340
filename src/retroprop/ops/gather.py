"""Picking elements along an axis by index: ``gather`` (differentiable), ``topk``, ``sort``
and ``argsort``, as ``torch.gather``, ``torch.topk``, ``torch.sort`` and ``torch.argsort``.

For a 2-D ``a`` and ``dim=1``, gather gives z[i, j] = a[i, index[i, j]]; its
vector-Jacobian product adds each dL/dz[i, j] into dL/da[i, index[i, j]] (an index
picked twice gets both contributions). This is how the cross-entropy's
"- log p of the true class" picks one output per row (Berzal, "Backpropagation",
Granada, "Softmax"), written as an operation of its own.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from retroprop.ops.axes import check_axis, tensor_input
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Gather(Function):
    """z = a[..., index[...], ...] along ``axis``;  dL/da = scatter-add of dL/dz."""

    keeps_integers = True  # picks elements: labels stay integers, as torch.gather's

    def forward(self, a: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
        self.shape, self.grid = a.shape, _grid(index, axis)
        return a[self.grid]

    def backward(self, grad: np.ndarray) -> Gradients:
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(out, self.grid, grad)
        return out


def _grid(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """The advanced index of ``a`` that gather reads: ``index`` on ``axis``, and on every
    other axis the position itself (``np.ix_``-style ranges that broadcast)."""
    ranges = np.ix_(*(np.arange(n) for n in index.shape)) if index.ndim else ()
    return tuple(index if k == axis else r for k, r in enumerate(ranges))


def _index(index: Any, a: Tensor, axis: int, where: str) -> np.ndarray:
    """``index`` as an int64 array that fits ``a``: the same number of dimensions, no
    larger than ``a`` on the other axes, every entry from 0 to the size of ``axis`` less
    one (as PyTorch, which refuses negative entries too)."""
    values = np.asarray(index.data if isinstance(index, Tensor) else index)
    if values.dtype.kind not in "iu":
        raise TypeError(f"{where}: index must hold integers, got dtype {values.dtype}")
    if values.ndim != a.ndim:
        raise ValueError(f"{where}: index must have as many dimensions as the input "
                         f"({a.ndim}, shape {a.shape}), got shape {values.shape}")
    if any(n > m for k, (n, m) in enumerate(zip(values.shape, a.shape, strict=True))
           if k != axis):
        raise ValueError(f"{where}: index of shape {values.shape} is larger than the input "
                         f"of shape {a.shape} on an axis other than dim={axis}")
    size = a.shape[axis] if a.ndim else 1
    if values.size and (values.min() < 0 or values.max() >= size):
        raise IndexError(f"{where}: index holds values from {values.min()} to "
                         f"{values.max()}, out of range for dim {axis} of size {size} "
                         f"(expected 0 to {size - 1}: negative indices are refused, as in "
                         "PyTorch)")
    return values.astype(np.int64, copy=False)


def gather(a: Tensor, dim: int, index: Any) -> Tensor:
    """``torch.gather(a, dim, index)``: out[i][j] = a[i][index[i][j]] for ``dim=1`` (and
    so on for other axes and dimensions); ``index`` has ``a``'s number of dimensions and
    the output its shape."""
    axis = check_axis(dim, tensor_input(a, "gather").ndim, "gather", name="dim")
    picked = _index(index, a, axis, "gather")
    if a.ndim == 0:
        return Gather.apply(a.reshape(1), axis=0, index=picked.reshape(1)).reshape(())
    return Gather.apply(a, axis=axis, index=picked)


class TopK(NamedTuple):
    """``torch.topk``'s result: the values (in the graph) and their int64 indices."""

    values: Tensor
    indices: Tensor


def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> TopK:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their
    indices, as ``torch.topk``. Always sorted, largest (smallest) first; among equal
    values the lower index comes first (PyTorch leaves that order unspecified); NaN counts
    as larger than every number, as in PyTorch. The values are a :func:`gather` (of the
    input's dtype), so the gradient reaches the elements picked."""
    axis = check_axis(dim, tensor_input(a, "topk").ndim, "topk", name="dim")
    size = a.shape[axis] if a.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an integer from 0 to {size} (the size of dim "
                         f"{axis} of the input of shape {a.shape}), got {k!r}")
    indices = np.take(_order(a, axis, descending=largest), np.arange(k), axis=axis)
    if a.ndim == 0:
        indices = indices.reshape(())
    return TopK(gather(a, axis, indices), Tensor._wrap(indices))


def _order(a: Tensor, axis: int, descending: bool) -> np.ndarray:
    """The int64 indices that sort ``a`` along ``axis`` (a 0-d tensor as one element), a
    stable sort: equal values keep their order; NaN counts as the largest, as PyTorch."""
    data = a.data.reshape(1) if a.ndim == 0 else a.data
    floats = data.dtype.kind == "f"
    # descending: the order of -x, or of ~x = -x - 1 for integers (no overflow at the
    # smallest int64, and decreasing for unsigned and boolean values too)
    keys = (-data if floats else ~data) if descending else data
    order = np.argsort(keys, axis=axis, kind="stable")
    if descending and floats:  # NaN, sorted last, counts as the largest: first
        nan = np.isnan(np.take_along_axis(data, order, axis))
        order = np.take_along_axis(order, np.argsort(~nan, axis=axis, kind="stable"), axis)
    return order.astype(np.int64, copy=False)


class Sort(NamedTuple):
    """``torch.sort``'s result: the sorted values (in the graph) and their int64 indices."""

    values: Tensor
    indices: Tensor


def sort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
         ) -> Sort:
    """``a`` sorted along ``dim``, and where each value came from, as ``torch.sort``.

    The sort is always stable (equal values keep their order, which PyTorch promises only
    with ``stable=True``), and NaN sorts as the largest value (last, or first when
    ``descending``), as in PyTorch. The values are a :func:`gather`, so their gradient goes
    back to the elements they came from.

    Examples
    --------
    >>> import retroprop as rp
    >>> values, indices = rp.tensor([3.0, 1.0, 2.0]).sort(descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    axis = check_axis(dim, tensor_input(a, "sort").ndim, "sort", name="dim")
    indices = _order(a, axis, descending=bool(descending))
    if a.ndim == 0:
        indices = indices.reshape(())
    return Sort(gather(a, axis, indices), Tensor._wrap(indices))


def argsort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
            ) -> Tensor:
    """The int64 indices that sort ``a`` along ``dim``, as ``torch.argsort`` (the indices of
    :func:`sort`: stable, NaN largest)."""
    return sort(tensor_input(a, "argsort"), dim, descending, stable=stable).indices
