"""Reductions over axes: sum, mean, max, min, amax, amin, var, std, and argmax, argmin
(not differentiable).

Each takes NumPy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=``, but for
``var`` and ``std``, which take PyTorch's arguments only (their default correction is
PyTorch's, not NumPy's). ``max`` and ``min`` answer as the library whose spelling they
are given: the values for ``axis=`` (``np.max``), the values and their indices for one
``dim`` (``torch.max(x, dim)``). As in
PyTorch, a 0-d tensor has one axis to name (0 or -1), an axis out of range raises
``IndexError`` and one that is not an integer ``TypeError``.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from retroprop.ops.axes import check_axes, check_axis, chosen, tensor_input
from retroprop.ops.cast import to
from retroprop.ops.gather import gather
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.dtypes import resolve_dtype
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.grad_mode import is_grad_enabled
from retroprop.tensor.tensor import Tensor

Axis = int | Sequence[int] | None


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


class Var(Function):
    """z = Σ_axis (a - ā)² / max(0, n - c), ā the mean over the axes, n their number of
    elements and c the correction;  dz/da = 2 (a - ā) / max(0, n - c)."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...], correction: float,
                keepdims: bool) -> np.ndarray:
        count = int(np.prod([a.shape[i] for i in axes]))
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN or inf as PyTorch
            self.centered = a - a.sum(axis=axes, keepdims=True) / a.dtype.type(count)
            self.divisor = a.dtype.type(builtins.max(0.0, count - correction))
            squares = (self.centered * self.centered).sum(axis=axes, keepdims=keepdims)
            return np.asarray(squares / self.divisor)

    def backward(self, grad: np.ndarray) -> Gradients:
        with np.errstate(invalid="ignore", divide="ignore"):
            return grad.reshape(self.kept) * (2 * self.centered / self.divisor)


class Std(Var):
    """z = √var (see :class:`Var`);  dz/da = (a - ā) / (max(0, n - c) z), and 0 where
    z = 0 (all the elements equal), as PyTorch."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...], correction: float,
                keepdims: bool) -> np.ndarray:
        self.out = np.sqrt(super().forward(a, axes, correction, keepdims=True))
        return self.out if keepdims else self.out.squeeze(axis=axes)

    def backward(self, grad: np.ndarray) -> Gradients:
        with np.errstate(invalid="ignore", divide="ignore"):
            local = self.centered * (grad.reshape(self.kept) / (self.divisor * self.out))
        return np.where(self.out == 0, grad.dtype.type(0), local)


def _converted(a: Tensor, dtype: Any, where: str) -> Tensor:
    """``a`` converted to ``dtype`` before a reduction (``dtype=`` of ``torch.sum``), as
    :func:`retroprop.to` does: differentiable between float32 and float64."""
    a = tensor_input(a, where)
    if dtype is None:
        return a
    resolved = resolve_dtype(dtype, f"{where}(dtype=...)")
    if where == "mean" and resolved.kind != "f":
        raise TypeError(f"mean: dtype must be a floating dtype (a mean of integers is a "
                        f"fraction), got {resolved}")
    if resolved.kind != "f" and a.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{where}: dtype={resolved} has no gradient, and the input "
                           "requires one (as PyTorch refuses it); sum in a floating dtype, or "
                           "detach() the input or work under rp.no_grad()")
    return to(a, resolved)


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Σ of the elements over ``axis`` (or ``dim``; all axes when None), after converting
    them to ``dtype`` where given, as ``torch.sum`` (an integer tensor summed in float).

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1, 2, 4]).sum(dtype=rp.float32)
    Tensor(7.)
    """
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "sum")
    a = _converted(a, dtype, "sum")
    total = Sum.apply(a, axes=check_axes(axis, a.ndim, "sum"), keepdims=keepdims)
    return total if dtype is None else to(total, a.dtype)  # NumPy sums int32 in int64


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Mean of the elements over ``axis`` (or ``dim``; all axes when None), after converting
    them to ``dtype`` where given (a floating dtype), as ``torch.mean``; NaN for an empty
    tensor, as in PyTorch."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "mean")
    a = _converted(a, dtype, "mean")
    return Mean.apply(a, axes=check_axes(axis, a.ndim, "mean"), keepdims=keepdims)


class MaxDim(NamedTuple):
    """``torch.max(x, dim)``'s result: the largest values along ``dim`` (in the graph) and
    their int64 indices."""

    values: Tensor
    indices: Tensor


class MinDim(NamedTuple):
    """``torch.min(x, dim)``'s result: the smallest values along ``dim`` (in the graph) and
    their int64 indices."""

    values: Tensor
    indices: Tensor


def max(a: Tensor, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool = False) -> Tensor | MaxDim:
    """Largest element: of the whole tensor, over NumPy's ``axis=``, or along PyTorch's
    ``dim`` with its index.

    Which one the call gives follows the spelling of the axis, as each library does:

    * ``x.max()`` (no axis): the largest element, a 0-d tensor, as ``torch.max(x)``;
    * ``x.max(dim)``, ``x.max(dim=1)`` (one integer, positional or named ``dim``): the
      named tuple ``(values, indices)`` of ``torch.max(x, dim)``, so that
      ``_, predicted = x.max(1)`` works as in PyTorch; the indices are int64, and both keep
      the axis with ``keepdim=True``;
    * ``x.max(axis=1)``, ``x.max(axis=(0, 2), keepdims=True)`` (NumPy's spelling, one axis
      or several): the values only, as ``np.max`` and ``torch.amax``.

    Gradient: over all elements or ``axis=``, it is split evenly between tied largest
    elements (as ``torch.amax`` and ``torch.max(x)``); along ``dim``, all of it goes to
    the element whose index is returned: the first of tied ones, or the first NaN (NaN
    counts as the largest), as PyTorch on the CPU. A ``dim`` of size 0 raises
    ``IndexError``, as in PyTorch.

    Examples
    --------
    >>> import retroprop as rp
    >>> outputs = rp.tensor([[0.1, 2.0, 0.3], [1.5, -1.0, 1.5]])
    >>> _, predicted = outputs.max(1)
    >>> predicted.tolist()
    [1, 0]
    >>> outputs.max(axis=1).tolist()
    [2.0, 1.5]
    """
    return _extreme(a, dim, keepdim, axis, keepdims, "max")


def min(a: Tensor, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool = False) -> Tensor | MinDim:
    """Smallest element, as :func:`max` gives the largest: of the whole tensor, over
    ``axis=`` (the values, as ``np.min`` and ``torch.amin``), or along ``dim`` as the named
    tuple ``(values, indices)`` of ``torch.min(x, dim)`` (the first of tied smallest
    elements, or the first NaN, gets the gradient)."""
    return _extreme(a, dim, keepdim, axis, keepdims, "min")


def _extreme(a: Tensor, dim: Any, keepdim: bool | None, axis: Axis, keepdims: bool,
             where: str) -> Any:
    """:func:`max` or :func:`min` (``where``), from either spelling of the axis."""
    a = tensor_input(a, where)
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, where)
    if dim is None:
        return (amax if where == "max" else amin)(a, axis, keepdims)
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        if isinstance(dim, Tensor | np.ndarray):  # torch.max(a, b): the element-wise one
            seen = f"a {type(dim).__name__} of shape {dim.shape}"
            hint = (f"for the element-wise {where}imum of two tensors (torch.{where}(a, b)) "
                    f"use rp.{where}imum(a, b)")
        else:
            seen, hint = repr(dim), (f"over several axes take the values with "
                                     f"{where}(axis=...) or a{where}(dim=...)")
        raise TypeError(f"{where}: dim must be an integer (the one axis along which the "
                        f"values and their indices are taken, as torch.{where}(x, dim)), "
                        f"got {seen}; {hint}")
    pick = np.argmax if where == "max" else np.argmin
    axis = check_axis(dim, a.ndim, where, name="dim")
    indices = _index(a, pick, axis, True, where)
    values = gather(a, axis, indices.data)
    if not keepdims and a.ndim:
        values, indices = values.squeeze(axis), Tensor._wrap(indices.data.squeeze(axis))
    return (MaxDim if where == "max" else MinDim)(values, indices)


def amax(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: bool | None = None) -> Tensor:
    """Largest element over ``axis`` (or ``dim``, one axis or several; all when None), as
    ``torch.amax``: the values only; ties share the gradient evenly."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "amax")
    return Max.apply(a, axes=check_axes(axis, tensor_input(a, "amax").ndim, "amax"),
                     keepdims=keepdims)


def amin(a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: bool | None = None) -> Tensor:
    """Smallest element over ``axis`` (or ``dim``): -amax(-a), as ``torch.amin``."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "amin")
    axes = check_axes(axis, tensor_input(a, "amin").ndim, "amin")
    return -Max.apply(-a, axes=axes, keepdims=keepdims)


def _index(a: Tensor, pick: Any, axis: int | None, keepdims: bool, where: str) -> Tensor:
    """``pick`` (np.argmax or np.argmin) along ``axis`` or over the flattened tensor, as an
    int64 tensor without gradient; an empty axis to search is refused, another empty axis
    gives an empty result (as PyTorch)."""
    if axis is None or a.ndim == 0:
        if a.size == 0:
            raise IndexError(f"{where}: the tensor of shape {a.shape} has no elements")
        if axis is not None:
            check_axis(axis, 0, where)
        index = pick(a.data).reshape((1,) * a.ndim if keepdims else ())
    else:
        axis = check_axis(axis, a.ndim, where)
        if a.shape[axis] == 0:
            raise IndexError(f"{where}: axis {axis} of the tensor of shape {a.shape} has no "
                             "elements")
        index = pick(a.data, axis=axis, keepdims=keepdims)
    return Tensor._wrap(np.asarray(index, dtype=np.int64))


def argmax(a: Tensor, axis: int | None = None, keepdims: bool = False, *,
           dim: int | None = None, keepdim: bool | None = None) -> Tensor:
    """Index of the largest element along ``axis`` (or ``dim``; of the flattened tensor when
    None), the first one on ties; an integer tensor without gradient, as ``torch.argmax``."""
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "argmax")
    return _index(tensor_input(a, "argmax"), np.argmax, axis, keepdims, "argmax")


def argmin(a: Tensor, axis: int | None = None, keepdims: bool = False, *,
           dim: int | None = None, keepdim: bool | None = None) -> Tensor:
    """Index of the smallest element along ``axis`` (or ``dim``; of the flattened tensor
    when None), the first one on ties; an integer tensor without gradient, as
    ``torch.argmin``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[3.0, 1.0, 1.0], [0.0, 2.0, -1.0]]).argmin(dim=1).tolist()
    [1, 2]
    """
    axis, keepdims = chosen(axis, dim, keepdims, keepdim, "argmin")
    return _index(tensor_input(a, "argmin"), np.argmin, axis, keepdims, "argmin")


def _correction(unbiased: bool | None, correction: float | None, where: str) -> float:
    """Bessel's correction c from either argument (1 when neither is given)."""
    if unbiased is not None and correction is not None:
        raise TypeError(f"{where}: got both unbiased={unbiased!r} and correction="
                        f"{correction!r}; give one")
    if correction is None:
        return 0.0 if unbiased is False else 1.0
    if isinstance(correction, bool) or not isinstance(correction, int | float | np.number):
        raise TypeError(f"{where}: correction must be a number, got {correction!r}")
    return float(correction)


def _spread(cls: type[Var], a: Tensor, dim: Axis, unbiased: bool | None, keepdim: bool,
            correction: float | None, where: str) -> Tensor:
    c = _correction(unbiased, correction, where)
    axes = check_axes(dim, a.ndim, where, name="dim", shape=a.shape, empty_is_all=True)
    count = int(np.prod([a.shape[i] for i in axes]))
    if count - c <= 0:
        warnings.warn(f"{where}: {count} element(s) with correction={c:g} leave no degrees "
                      "of freedom; the result is NaN or inf, as in PyTorch",
                      RuntimeWarning, stacklevel=user_stacklevel())
    return cls.apply(a, axes=axes, correction=c, keepdims=keepdim)


def var(a: Tensor, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over ``dim`` (all elements when None), with PyTorch's arguments and default.

    σ² = Σ (a - ā)² / (n - c), with Bessel's correction c = 1 by default (the unbiased
    sample variance), as ``torch.var``; NumPy's ``np.var`` divides by n (``ddof=0``): pass
    ``correction=0`` or ``unbiased=False`` for that. Where n - c <= 0 (one element with
    c = 1) the result is NaN, or inf, with a warning, as PyTorch.

    Parameters
    ----------
    dim : int or tuple of int, optional
        The axes to reduce; None or an empty tuple, all of them (as PyTorch).
    unbiased : bool, optional
        PyTorch's older spelling: True is c = 1, False is c = 0.
    keepdim : bool, default False
        Keep the reduced axes with size 1.
    correction : float, optional
        c, the number subtracted from n (1 unless ``unbiased=False``).

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1.0, 2.0, 3.0, 4.0]).var().item()
    1.6666666...
    >>> rp.tensor([1.0, 2.0, 3.0, 4.0]).var(correction=0).item()
    1.25
    """
    return _spread(Var, a, dim, unbiased, keepdim, correction, "var")


def std(a: Tensor, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Standard deviation √var over ``dim``, with Bessel's correction c = 1 by default as
    ``torch.std`` (NumPy's ``np.std`` uses c = 0); see :func:`var` for the arguments. The
    gradient is 0 where every element is equal (σ = 0), as PyTorch.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1).tolist()
    [1.4142135..., 0.0]
    """
    return _spread(Std, a, dim, unbiased, keepdim, correction, "std")
