"""In-place arithmetic, ``t += u``, ``t -= u``, ``t *= u``, ``t /= u``, as PyTorch gives it.

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
``x[0]``, raises ``x``'s version too, as PyTorch's shared version counter does. Unlike
PyTorch, a write through ``x.detach()``, a write into ``x`` seen by a node that kept a view
of it, and a write into an output that its own operation kept for ``backward``
(``y = w.sigmoid()``, then ``y *= 2`` under ``no_grad()``) are not seen: ``backward``
through such a graph uses the new values. Write into a ``clone()`` there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.ops.arithmetic import add, div, mul, sub
from retroprop.tensor import grad_mode
from retroprop.tensor.tensor import Tensor, as_tensor

InPlace = Callable[[Tensor, Any], Tensor]


def _in_place(op: InPlace, ufunc: np.ufunc, symbol: str) -> InPlace:
    """``self (symbol)= other``: written into ``self`` outside the graph, recorded as ``op``
    out of place inside it."""

    def method(self: Tensor, other: Any) -> Tensor:
        if grad_mode.is_grad_enabled() and (self.requires_grad
                                            or getattr(other, "requires_grad", False)):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"t {symbol}= ...: t is a leaf tensor that requires grad (a parameter, "
                    f"shape {self.shape}), and an in-place change of it cannot be recorded, "
                    f"as in PyTorch; to update it, write it inside `with rp.no_grad():`, "
                    f"or use t = t {symbol} ... to compute a new tensor"
                )
            return op(self, other)
        _write(self, as_tensor(other, like=self).data, ufunc, symbol)
        return self

    method.__doc__ = (f"self {symbol}= other: in place outside the graph, refused on a leaf "
                      "that requires grad while recording, out of place otherwise")
    return method


def _write(target: Tensor, operand: np.ndarray, ufunc: np.ufunc, symbol: str) -> None:
    """target.data (symbol)= operand, in the target's array, keeping its shape and dtype."""
    seen = (f"t {symbol}= u in place: t has shape {target.shape} and dtype {target.dtype}, "
            f"u has shape {operand.shape} and dtype {operand.dtype}")
    if operand.dtype != target.data.dtype:
        raise TypeError(f"{seen}; retroprop never converts silently: convert u first")
    if not target.data.flags.writeable:
        raise ValueError(f"{seen}; t's array is read-only (np.broadcast_to, a read-only "
                         "memory map): write into t.clone() instead")
    try:
        ufunc(target.data, operand, out=target.data)
    except (TypeError, ValueError) as error:  # u broadcasts to a larger shape; int /= int
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"{seen}; the result must keep t's shape and dtype ({error})") from None
    target._version += 1
    base = getattr(target, "_base", None)  # a view's write is its base's (as in PyTorch)
    while base is not None:
        base._version += 1
        base = getattr(base, "_base", None)


iadd = _in_place(add, np.add, "+")
isub = _in_place(sub, np.subtract, "-")
imul = _in_place(mul, np.multiply, "*")
itruediv = _in_place(div, np.true_divide, "/")
