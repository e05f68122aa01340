"""In-place arithmetic, ``t += u``, ``t -= u``, ``t *= u``, ``t /= u``, ``t[index] = u``, and
PyTorch's in-place methods ``add_``, ``sub_``, ``mul_``, ``div_``, ``zero_``, ``fill_``,
``copy_``, ``clamp_``.

Outside the graph (inside ``no_grad()``, or when neither operand requires a gradient) the
result is written into the tensor's own array, which every reference to the tensor sees,
and the tensor's version counter goes up, so that a graph that used the old values refuses
``backward``. This is the manual update of a PyTorch training loop (without these methods
Python rebound the name to a new tensor: a parameter updated by ``for p in params: p -= ...``
never changed)::

    with rp.no_grad():
        w -= lr * w.grad

While recording, a leaf that requires a gradient (a parameter) is refused, as PyTorch
refuses it. Any other tensor of the graph (``out += identity`` in a residual block) is
computed out of place and the name bound to the result: PyTorch's values and gradients,
though other references to the old tensor keep its old values.

A write through a view, ``x.reshape(...)``, ``x.view(...)``, ``x.T`` or a basic slice
``x[0]``, or through ``x.detach()``, raises ``x``'s version too, as PyTorch's shared
version counter does. Unlike PyTorch, a write into ``x`` seen by a node that kept a view
of it or ``x.detach()``, and a write into an output that its own operation kept for
``backward`` (``y = w.sigmoid()``, then ``y *= 2`` under ``no_grad()``) are not seen:
``backward`` through such a graph uses the new values. Write into a ``clone()`` there.
Writes into ``x.data``, the NumPy array, are not counted, as PyTorch's ``x.data``.

The methods (``w.add_(w.grad, alpha=-lr)``, ``w.zero_()``) write into ``.data`` and return
the tensor itself, and ``t[index] = u`` writes into it, outside the graph only: while
recording they are refused on a tensor that requires a gradient (or with an operand that
does), where PyTorch records an in-place node for a tensor that is not a leaf; there
write ``y = y + u`` (``rp.where(mask, u, y)``) out of place.
``Tensor.grad`` is a NumPy array, which has no such methods: ``w.grad.zero_()`` is
``w.grad = None`` (or ``optimizer.zero_grad()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.ops.arithmetic import add, div, mul, sub
from retroprop.ops.elementwise import check_bounds
from retroprop.ops.shape import as_index
from retroprop.tensor import grad_mode
from retroprop.tensor.dtypes import fill_value
from retroprop.tensor.tensor import Tensor, as_tensor, written

InPlace = Callable[[Tensor, Any], Tensor]


def _in_place(op: InPlace, ufunc: np.ufunc, symbol: str) -> InPlace:
    """``self (symbol)= other``: written into ``self`` outside the graph, recorded as ``op``
    out of place inside it."""

    def method(self: Tensor, other: Any) -> Tensor:
        if _recording(self, other):
            _refuse_leaf(self, f"t {symbol}= ...", f"t = t {symbol} ...")
            return op(self, other)
        _write(self, as_tensor(other, like=self).data, ufunc, f"t {symbol}= u in place")
        return self

    method.__doc__ = (f"self {symbol}= other: in place outside the graph, refused on a leaf "
                      "that requires grad while recording, out of place otherwise")
    return method


def _recording(target: Tensor, other: Any = None) -> bool:
    """Whether a change of ``target`` by ``other`` would have to enter the graph."""
    return grad_mode.is_grad_enabled() and (target.requires_grad
                                            or getattr(other, "requires_grad", False))


def _refuse_leaf(target: Tensor, call: str, instead: str) -> None:
    """PyTorch's refusal of an in-place change of a leaf that requires grad."""
    if target.requires_grad and target._ctx is None:
        raise RuntimeError(
            f"{call}: t is a leaf tensor that requires grad (a parameter, shape "
            f"{target.shape}), and an in-place change of it cannot be recorded, as in "
            f"PyTorch; to update it, write it inside `with rp.no_grad():`, or use "
            f"{instead} to compute a new tensor")


def _writeable(target: Tensor, call: str) -> np.ndarray:
    """The target's array, refused where it is read-only."""
    if not target.data.flags.writeable:
        raise ValueError(f"{call}: t's array (shape {target.shape}) is read-only "
                         "(np.broadcast_to, a read-only memory map): write into t.clone() "
                         "instead")
    return target.data


def _write(target: Tensor, operand: np.ndarray, ufunc: np.ufunc, call: str) -> None:
    """target.data = ufunc(target.data, operand), in the target's array, keeping its shape
    and dtype; ``call`` names the operation in the messages."""
    seen = (f"{call}: t has shape {target.shape} and dtype {target.dtype}, "
            f"u has shape {operand.shape} and dtype {operand.dtype}")
    if operand.dtype != target.data.dtype:
        raise TypeError(f"{seen}; retroprop never converts silently: convert u first")
    _writeable(target, call)
    try:
        ufunc(target.data, operand, out=target.data)
    except (TypeError, ValueError) as error:  # u broadcasts to a larger shape; int /= int
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"{seen}; the result must keep t's shape and dtype ({error})") from None
    written(target)


iadd = _in_place(add, np.add, "+")
isub = _in_place(sub, np.subtract, "-")
imul = _in_place(mul, np.multiply, "*")
itruediv = _in_place(div, np.true_divide, "/")


# ------------------------------------------------------------------ PyTorch's methods
def _outside_graph(target: Tensor, other: Any, call: str, instead: str) -> None:
    """Refuse an in-place method that would have to be recorded (see the module's text)."""
    if _recording(target, other):
        _refuse_leaf(target, call, instead)
        raise RuntimeError(
            f"{call}: retroprop records no in-place methods, and t (shape {target.shape}) "
            f"or the operand requires grad while recording; use {instead} to compute a "
            f"new tensor, or write it inside `with rp.no_grad():`")


def _arithmetic(ufunc: np.ufunc, symbol: str, name: str, scaled: bool
                ) -> Callable[..., Tensor]:
    def operand(self: Tensor, other: Any, alpha: Any) -> np.ndarray:
        _outside_graph(self, other, name, f"t = t {symbol} ...")
        if isinstance(other, str | bytes) or other is None:
            raise TypeError(f"{name}: other must be a tensor, an array or a number, got "
                            f"{other!r}")
        values = as_tensor(other, like=self).data
        if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.number):
            raise TypeError(f"{name}: alpha must be a number, got {alpha!r}")
        if alpha == 1:
            return values
        if self.dtype.kind != "f" and not isinstance(alpha, int | np.integer):
            raise TypeError(f"{name}: alpha must be an integer for a tensor of dtype "
                            f"{self.dtype}, got {alpha!r} (as in PyTorch)")
        return values * self.dtype.type(alpha)

    if scaled:
        def method(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
            _write(self, operand(self, other, alpha), ufunc, name)
            return self

        method.__doc__ = (f"self {symbol}= alpha · other in place (``torch.Tensor.{name}``), "
                          "outside the graph; returns self")
    else:
        def method(self: Tensor, other: Any) -> Tensor:  # type: ignore[misc]
            _write(self, operand(self, other, 1), ufunc, name)
            return self

        method.__doc__ = (f"self {symbol}= other in place (``torch.Tensor.{name}``), "
                          "outside the graph; returns self")
    method.__name__ = method.__qualname__ = name
    return method


add_ = _arithmetic(np.add, "+", "add_", scaled=True)
sub_ = _arithmetic(np.subtract, "-", "sub_", scaled=True)
mul_ = _arithmetic(np.multiply, "*", "mul_", scaled=False)
div_ = _arithmetic(np.true_divide, "/", "div_", scaled=False)


def fill_(a: Tensor, value: Any) -> Tensor:
    """Every element set to ``value`` (a number or a 0-d tensor) in place, as
    ``torch.Tensor.fill_``; outside the graph; returns ``a``."""
    return _fill(a, value, "fill_")


def zero_(a: Tensor) -> Tensor:
    """Every element set to 0 in place, as ``torch.Tensor.zero_``; outside the graph;
    returns ``a``."""
    return _fill(a, 0, "zero_")


def _fill(a: Tensor, value: Any, call: str) -> Tensor:
    _outside_graph(a, value, call, "rp.full_like(t, value)")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"{call}: value must be a number or a 0-d tensor, got a tensor "
                             f"of shape {value.shape}")
        value = value.item()
    number = fill_value(value, a.dtype, call, "value")
    _writeable(a, call)[...] = number
    written(a)
    return a


def setitem(a: Tensor, index: Any, value: Any) -> None:
    """``a[index] = value`` in place, as ``torch.Tensor.__setitem__``, outside the graph:
    the elements that ``a[index]`` picks (NumPy's basic and advanced indexing, tensors as
    indices too) take ``value``, a number (which must fit ``a``'s dtype, as for
    :func:`fill_`) or a tensor that broadcasts to them (converted to ``a``'s dtype, as
    :func:`copy_` converts it; an array, list or tuple too, as NumPy takes them, where
    PyTorch takes tensors only). The version of ``a`` goes up, and that of the
    tensors whose memory it shares (a view's base, a detached tensor's source)."""
    call = "t[index] = value"
    _outside_graph(a, value, call, "rp.where(mask, value, t) or t.masked_fill(mask, value)")
    target = _writeable(a, call)
    key = as_index(index, call)
    if isinstance(value, Tensor | np.ndarray | list | tuple):
        values = np.asarray(value.data if isinstance(value, Tensor) else value)
        shape = values.shape
        # leading axes of size 1 dropped, as PyTorch drops them (t[0, 1] = u of shape (1,))
        lead = next((i for i, n in enumerate(shape) if n != 1), len(shape))
        try:
            target[key] = values.reshape(shape[lead:]).astype(a.dtype, copy=False)
        except ValueError as error:  # not broadcastable to the picked elements
            raise ValueError(f"{call}: value of shape {shape} does not broadcast to "
                             f"t[index] of shape {target[key].shape} ({error})") from None
    else:
        target[key] = fill_value(value, a.dtype, call, "value")
    written(a)


def copy_(a: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """``src`` (a tensor, array or number, broadcast to ``a``'s shape) copied into ``a`` in
    place and converted to its dtype, as ``torch.Tensor.copy_``; outside the graph;
    returns ``a``."""
    _outside_graph(a, src, "copy_", "t = src.clone()")
    values = np.asarray(src.data if isinstance(src, Tensor) else src)
    try:
        shape = np.broadcast_shapes(values.shape, a.shape)
    except ValueError:
        shape = None
    if shape != a.shape:
        raise ValueError(f"copy_: src of shape {values.shape} does not broadcast to t's "
                         f"shape {a.shape}")
    np.copyto(_writeable(a, "copy_"), values, casting="unsafe")
    written(a)
    return a


def clamp_(a: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``a`` limited to [min, max] in place, as ``torch.Tensor.clamp_`` (see
    :func:`~retroprop.ops.clamp`); outside the graph; returns ``a``."""
    _outside_graph(a, None, "clamp_", "t = t.clamp(...)")
    check_bounds(min, max, "clamp_", ("min", "max"))
    try:
        np.clip(_writeable(a, "clamp_"), min, max, out=a.data)
    except TypeError:  # a fractional bound of an integer tensor: no cast, as in PyTorch
        raise TypeError(f"clamp_: t has dtype {a.dtype} and the bounds min={min!r}, "
                        f"max={max!r} are not of its kind; the result must keep t's dtype: "
                        "give integer bounds, or clamp t.float()") from None
    written(a)
    return a
