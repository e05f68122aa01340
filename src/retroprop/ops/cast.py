"""Conversion to another dtype, as ``torch.Tensor.to``, ``.float()``, ``.double()``,
``.long()``, ``.int()`` and ``.bool()``.

Between float32 and float64 the conversion is differentiable: the gradient comes back
converted to the input's dtype. A conversion to an integer or boolean dtype gives a tensor
outside the graph (it cannot require a gradient), and one from an integer or boolean tensor
starts a new leaf, as in PyTorch. Converting to the dtype a tensor already has gives the
tensor itself, as in PyTorch. retroprop computes on the CPU (NumPy) only: ``to("cpu")``
gives the tensor itself, another device an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.ops.shape import clone
from retroprop.tensor.device import check_device, is_device
from retroprop.tensor.dtypes import resolve_dtype
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Cast(Function):
    """z = a in another floating dtype;  dL/da = dL/dz in a's dtype."""

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad.astype(self.dtype)


def _cast(a: Tensor, dtype: np.dtype, copy: bool = False) -> Tensor:
    if dtype == a.dtype:
        return clone(a) if copy else a
    if dtype.kind == "f" and a.dtype.kind == "f":
        return Cast.apply(a, dtype=dtype)
    return Tensor._wrap(a.data.astype(dtype))


def requested_dtype(args: tuple[Any, ...], dtype: Any, device: Any, where: str) -> Any:
    """The dtype that PyTorch's forms of ``to`` ask for (``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other)``, ``dtype=``, ``device=``), None where only a device
    is given; a device other than the CPU is refused."""
    if len(args) > 2:
        raise TypeError(f"{where}: expected at most a device and a dtype, got {len(args)} "
                        f"arguments {args!r}")
    for arg in args:
        if isinstance(arg, Tensor):
            arg = arg.dtype
        elif is_device(arg):
            device = arg
            continue
        if dtype is not None:
            raise TypeError(f"{where}: got two dtypes, {dtype!r} and {arg!r}; give one")
        dtype = arg
    check_device(device, where)
    return dtype


def to(a: Tensor, *args: Any, dtype: Any = None, device: Any = None,
       non_blocking: bool = False, copy: bool = False) -> Tensor:
    """``a`` in another dtype, as ``torch.Tensor.to``: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other)`` (the dtype of the tensor ``other``), or with
    ``dtype=`` and ``device=``.

    Parameters
    ----------
    *args
        A dtype (``np.float64``, ``float``, ``"float64"``), the device ``"cpu"``, or a
        tensor whose dtype to take.
    dtype : dtype, optional
        float32, float64, int8, int16, int32, int64, uint8 or bool.
    device : str, optional
        ``"cpu"``; retroprop has no other device, and refuses one.
    non_blocking : bool, default False
        Accepted for PyTorch's code; it changes nothing on the CPU.
    copy : bool, default False
        Give a new tensor even when the dtype is already ``dtype``.

    Returns
    -------
    Tensor
        ``a`` itself when nothing changes (as PyTorch); else a new tensor, differentiable
        between float32 and float64, without gradient for an integer or boolean dtype.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> x = rp.ones(2, requires_grad=True)
    >>> x.to(np.float64).dtype, x.to("cpu") is x, x.to("int64").requires_grad
    (dtype('float64'), True, False)
    """
    dtype = requested_dtype(args, dtype, device, "to")
    if dtype is None:
        return clone(a) if copy else a
    return _cast(a, resolve_dtype(dtype, "to"), copy)


def cpu(a: Tensor) -> Tensor:
    """``a.cpu()``: ``a`` itself, as PyTorch gives a tensor already on the CPU (retroprop's
    only device), so that ``pred.cpu().numpy()`` runs unchanged."""
    return a


def to_float(a: Tensor) -> Tensor:
    """``a.float()``: ``a`` as float32, differentiable (see :func:`to`)."""
    return _cast(a, np.dtype(np.float32))


def to_double(a: Tensor) -> Tensor:
    """``a.double()``: ``a`` as float64, differentiable (see :func:`to`)."""
    return _cast(a, np.dtype(np.float64))


def to_long(a: Tensor) -> Tensor:
    """``a.long()``: ``a`` as int64 (truncated toward zero), without gradient."""
    return _cast(a, np.dtype(np.int64))


def to_int(a: Tensor) -> Tensor:
    """``a.int()``: ``a`` as int32 (truncated toward zero), without gradient."""
    return _cast(a, np.dtype(np.int32))


def to_bool(a: Tensor) -> Tensor:
    """``a.bool()``: True where ``a`` is nonzero, without gradient."""
    return _cast(a, np.dtype(np.bool_))


def type_as(a: Tensor, other: Tensor) -> Tensor:
    """``a`` in the dtype of ``other``, as ``torch.Tensor.type_as`` (``a.to(other.dtype)``:
    ``a`` itself when the dtypes match, differentiable between float32 and float64)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
    return _cast(a, other.dtype)
