"""Operations that move elements without changing them: reshape (view, squeeze,
unsqueeze), transpose (permute), indexing, concatenation (stack), copies.

Axes are checked as PyTorch checks them: out of range raises ``IndexError``, not an
integer ``TypeError``; an index tensor must hold integers or booleans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.ops.axes import check_axes, check_axis, chosen, tensor_input
from retroprop.tensor.function import Function, Gradients, ViewFunction
from retroprop.tensor.tensor import Tensor


class Reshape(ViewFunction):
    """z = a viewed with a new shape;  dL/da = dL/dz viewed with a's shape."""

    keeps_integers = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                f"into {tuple(shape)}"
            ) from None

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad.reshape(self.shape)


class Transpose(ViewFunction):
    """z = a with axes permuted;  dL/da = dL/dz with the inverse permutation."""

    keeps_integers = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...] | None = None,
                where: str = "transpose") -> np.ndarray:
        axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(axes)
        resolved = [check_axis(a_, a.ndim, where, shape=a.shape) for a_ in axes]
        if sorted(resolved) != list(range(a.ndim)):
            raise ValueError(
                f"{where}: axes {axes} are not a permutation of the {a.ndim} axes of a tensor "
                f"of shape {a.shape}"
            )
        self.inverse = tuple(np.argsort(resolved))
        return a.transpose(resolved)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad.transpose(self.inverse)


def _is_basic(index: Any) -> bool:
    """Whether ``index`` selects each element at most once (slices, integers, None, ...)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, slice | int | np.integer) or p is None or p is Ellipsis for p in parts)


class GetItem(ViewFunction):
    """z = a[index];  dL/da scatters dL/dz back, adding where an element was taken twice."""

    keeps_integers = True

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.index, self.dtype = a.shape, index, a.dtype
        return a[index]

    def backward(self, grad: np.ndarray) -> Gradients:
        out = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            out[self.index] = grad
        else:
            np.add.at(out, self.index, grad)
        return out


class Clone(Function):
    """z = a copy of a;  dL/da = dL/dz."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.copy()

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad


class Concatenate(Function):
    """z = [a_1, a_2, ...] joined along ``axis``;  each a_k gets its slice of dL/dz."""

    keeps_integers = True

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        try:
            return np.concatenate(arrays, axis=axis)
        except ValueError as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"concatenate along axis {axis}: shapes {shapes}: {error}") from None

    def backward(self, grad: np.ndarray) -> Gradients:
        return tuple(np.split(grad, self.splits, axis=self.axis))


def reshape(a: Tensor, *shape: int | tuple[int, ...]) -> Tensor:
    """``a`` with a new shape (one entry may be -1)."""
    dims = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    return Reshape.apply(a, shape=tuple(dims))


def transpose(a: Tensor, *axes: int | Sequence[int]) -> Tensor:
    """``a`` with its axes permuted.

    ``transpose(dim0, dim1)``: those two axes swapped, as ``torch.transpose``, on a tensor of
    any rank (``x.transpose(-2, -1)`` on a batch of matrices). PyTorch's meaning holds where
    NumPy's differs: NumPy reads two integers as a permutation, so that
    ``a.transpose(0, 1)`` of a matrix is the matrix itself in NumPy and its transpose here.
    A permutation of every axis, as one sequence or one integer per axis of a tensor with
    three or more: ``transpose((2, 0, 1))`` or ``transpose(2, 0, 1)`` (``torch.permute``).
    No axes: all reversed (``.T``).
    """
    if len(axes) == 2:
        first, second = (check_axis(axis, a.ndim, "transpose") for axis in axes)
        order: Any = list(range(a.ndim))
        if a.ndim:
            order[first], order[second] = second, first
    else:
        order = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple | list) else axes
    return Transpose.apply(a, axes=tuple(order) if order else None)


def index_array(index: Any, where: str) -> Any:
    """A tensor or array used as an index, as its array of integers or booleans."""
    array = index.data if isinstance(index, Tensor) else index
    if isinstance(array, np.ndarray) and array.dtype.kind not in "biu":
        raise IndexError(
            f"{where}: an index tensor or array must hold integers or booleans, got dtype "
            f"{array.dtype}; convert it first (e.g. index.numpy().astype(int))"
        )
    return array


def as_index(index: Any, where: str = "getitem") -> Any:
    """``index`` (one part or a tuple of them) for NumPy: tensors and arrays in it as their
    arrays of integers or booleans (:func:`index_array`)."""
    if isinstance(index, tuple):
        return tuple([index_array(part, where) for part in index])
    return index_array(index, where)


def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]`` with NumPy's basic and advanced indexing."""
    return GetItem.apply(a, index=as_index(index))


def clone(a: Tensor) -> Tensor:
    """A copy of ``a`` that stays in the graph (unlike ``detach``)."""
    return Clone.apply(a)


def _joined(tensors: Sequence[Tensor], where: str) -> Sequence[Tensor]:
    """``tensors``, a non-empty list or tuple of Tensors (as PyTorch takes them)."""
    if isinstance(tensors, Tensor) or (isinstance(tensors, Sequence) and not tensors):
        seen = "one Tensor" if isinstance(tensors, Tensor) else repr(tensors)
        raise ValueError(f"{where}: needs a non-empty sequence of tensors, got {seen}")
    if not isinstance(tensors, Sequence):
        raise TypeError(f"{where}: expected a list or tuple of Tensors, got "
                        f"{type(tensors).__name__}")
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{where}: expected a sequence of Tensors, got "
                            f"{type(tensor).__name__} at position {index}; make it one with "
                            "rp.tensor(...)")
    return tensors


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = _joined(tensors, "concatenate")
    return Concatenate.apply(*tensors, axis=check_axis(axis, tensors[0].ndim, "concatenate"))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """``torch.cat``: :func:`concatenate` along ``dim``."""
    return concatenate(tensors, axis=dim)


def stack(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None
          ) -> Tensor:
    """Join tensors of one shape along a new axis ``axis`` (or ``dim``, PyTorch's name;
    0 by default), as ``torch.stack`` and ``np.stack``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.stack([rp.zeros(2, 3), rp.ones(2, 3)], dim=1).shape
    (2, 2, 3)
    """
    tensors = _joined(tensors, "stack")
    axis, _ = chosen(axis, dim, False, None, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: every tensor must have one shape, got shapes "
                         f"{', '.join(str(t.shape) for t in tensors)}")
    position = check_axis(0 if axis is None else axis, tensors[0].ndim + 1, "stack",
                          shape=tensors[0].shape)
    return concatenate([unsqueeze(t, position) for t in tensors], axis=position)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes from ``start_dim`` to ``end_dim`` (both included) into one: all of
    them by default, as ``torch.flatten``; ``start_dim=1`` keeps the batch, (N, C, H, W) ->
    (N, C·H·W), as ``nn.Flatten`` does by default. A 0-d tensor gives shape (1,), as in
    PyTorch.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.zeros(2, 3, 4, 5).flatten(1, 2).shape
    (2, 12, 5)
    """
    ndim = tensor_input(a, "flatten").ndim
    start = check_axis(start_dim, ndim, "flatten", name="start_dim")
    end = check_axis(end_dim, ndim, "flatten", name="end_dim")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor with {ndim} dimensions (expected start_dim <= end_dim)")
    return reshape(a, (*a.shape[:start], int(np.prod(a.shape[start:end + 1])),  # (an empty
                       *a.shape[end + 1:]))  # batch too)


def view(a: Tensor, *shape: int | tuple[int, ...]) -> Tensor:
    """``a`` with a new shape, as ``torch.Tensor.view``: :func:`reshape` by another name
    (one entry may be -1).

    PyTorch's ``view`` always shares memory and refuses a shape that would need a copy (a
    transposed matrix flattened), telling to call ``reshape``; retroprop's shares memory
    where NumPy can and copies otherwise, so ``view`` never refuses. Either way the result
    is differentiable.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.zeros(8, 1, 8, 8).view(-1, 64).shape
    (8, 64)
    """
    return reshape(a, *shape)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """``a`` with a new axis of size 1 at position ``dim`` (-a.ndim - 1 <= dim <= a.ndim),
    as ``torch.unsqueeze``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.zeros(2, 3).unsqueeze(1).shape, rp.zeros(2, 3).unsqueeze(-1).shape
    ((2, 1, 3), (2, 3, 1))
    """
    position = check_axis(dim, a.ndim + 1, "unsqueeze", name="dim", shape=a.shape)
    return reshape(a, (*a.shape[:position], 1, *a.shape[position:]))


def squeeze(a: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """``a`` without its axes of size 1: all of them, or those among ``dim`` (an integer or
    a tuple), as ``torch.squeeze``; an axis in ``dim`` whose size is not 1 is kept, as in
    PyTorch (NumPy raises).

    Examples
    --------
    >>> import retroprop as rp
    >>> x = rp.zeros(2, 1, 3, 1)
    >>> x.squeeze().shape, x.squeeze(1).shape, x.squeeze((0, 3)).shape
    ((2, 3), (2, 3, 1), (2, 1, 3))
    """
    axes = check_axes(dim, a.ndim, "squeeze", name="dim", shape=a.shape)
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1)))


def permute(a: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """``a`` with its axes in the order ``dims`` (a permutation of every axis, as integers
    or one sequence), as ``torch.permute``: axis i of the result is axis ``dims[i]`` of
    ``a``. Unlike :func:`transpose`, two integers are a permutation of a matrix's two axes,
    never a swap of two axes of a larger tensor.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    order = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
    for dim in order:
        check_axis(dim, a.ndim, "permute", name="dim", shape=a.shape)
    return Transpose.apply(a, axes=tuple(order), where="permute")


def t(a: Tensor) -> Tensor:
    """``a.t()``: a matrix transposed, and a tensor of 0 or 1 dimensions as it is, as
    ``torch.Tensor.t``; more dimensions are refused (``transpose(-2, -1)`` swaps the last
    two)."""
    if a.ndim > 2:
        raise ValueError(f"t: expected a tensor with at most 2 dimensions, got shape "
                         f"{a.shape}; use transpose(-2, -1) to swap the last two")
    return transpose(a) if a.ndim == 2 else a


def contiguous(a: Tensor) -> Tensor:
    """``a.contiguous()``: ``a`` itself when its values lie in C order, else a C-ordered copy
    in the graph, as ``torch.Tensor.contiguous`` (retroprop's operations take either)."""
    return a if a.data.flags.c_contiguous else clone(a)


def view_as(a: Tensor, other: Tensor) -> Tensor:
    """``a.view(other.shape)``, as ``torch.Tensor.view_as`` (see :func:`view`)."""
    return reshape(a, shape_of(other, "view_as"))


def reshape_as(a: Tensor, other: Tensor) -> Tensor:
    """``a.reshape(other.shape)``, as ``torch.Tensor.reshape_as``."""
    return reshape(a, shape_of(other, "reshape_as"))


def shape_of(other: Any, where: str) -> tuple[int, ...]:
    if not isinstance(other, Tensor):
        raise TypeError(f"{where}: other must be a Tensor, got {type(other).__name__}")
    return other.shape
