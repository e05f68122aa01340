"""Factory functions with PyTorch's names: ``tensor``, ``zeros``, ``ones``, ``zeros_like``,
``ones_like``, ``randn``, ``rand``, ``arange``, ``from_numpy``.

Floating values take the default dtype (float32 unless changed, see
:func:`~retroprop.tensor.tensor.set_default_dtype`) or the ``dtype`` asked for; integer and
boolean values keep an integer or boolean dtype (labels, masks, indices), which cannot
require a gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.random import generator
from retroprop.tensor.dtypes import resolve_dtype
from retroprop.tensor.tensor import Tensor, _check_float_dtype, get_default_dtype


def _shape(size: tuple[Any, ...], where: str) -> tuple[int, ...]:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` alike, as in PyTorch."""
    dims = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else size
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"{where}: sizes must be non-negative integers, got {dims!r}")
    return tuple(int(n) for n in dims)


def _float_dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else _check_float_dtype(dtype, "dtype")


def _any_dtype(dtype: Any, where: str) -> np.dtype:
    """``dtype`` (floating, integer or boolean, as ``torch.zeros(3, dtype=torch.long)``),
    else the default floating dtype."""
    return get_default_dtype() if dtype is None else resolve_dtype(dtype, where)


def _made(data: np.ndarray, requires_grad: bool, where: str) -> Tensor:
    if requires_grad and data.dtype.kind not in "f":
        raise TypeError(
            f"{where}: only floating tensors can require a gradient, got dtype {data.dtype}"
        )
    return Tensor._wrap(data, bool(requires_grad))


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array, a tensor).

    Floating data becomes the default dtype, integer data int64 and boolean data stays
    boolean, as ``torch.tensor`` does; a ``dtype`` given (``rp.float64``, ``rp.long``, any
    that :func:`~retroprop.tensor.dtypes.resolve_dtype` takes) converts to it.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], requires_grad=True)
    >>> rp.tensor([0, 2]).dtype
    dtype('int64')
    """
    values = np.array(data.data if isinstance(data, Tensor) else data, copy=True)
    if dtype is not None:
        values = values.astype(resolve_dtype(dtype, "tensor"), copy=False)
    elif values.dtype.kind in "iu":
        values = values.astype(np.int64, copy=False)
    elif values.dtype.kind != "b":
        values = values.astype(get_default_dtype(), copy=False)
    return _made(values, requires_grad, "tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy, its dtype kept), as
    ``torch.from_numpy``. Floating arrays must be float32 or float64; integer and boolean
    arrays (labels, masks) are kept as they are."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    if array.dtype.kind == "f":
        _check_float_dtype(array.dtype, "from_numpy: the array's dtype")
    elif array.dtype.kind not in "biu":
        raise TypeError(f"from_numpy: arrays of dtype {array.dtype} are not supported")
    return Tensor._wrap(array)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``, of the default floating
    dtype or ``dtype`` (``rp.long`` too)."""
    return _made(np.zeros(_shape(size, "zeros"), _any_dtype(dtype, "zeros")), requires_grad,
                 "zeros")


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``, of the default floating dtype
    or ``dtype`` (``rp.long`` too)."""
    return _made(np.ones(_shape(size, "ones"), _any_dtype(dtype, "ones")), requires_grad,
                 "ones")


def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the shape of ``input`` and its dtype (or ``dtype``: any that
    :func:`~retroprop.tensor.dtypes.resolve_dtype` takes), as ``torch.zeros_like``."""
    return _like(np.zeros, input, dtype, requires_grad, "zeros_like")


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the shape of ``input`` and its dtype (or ``dtype``), as
    ``torch.ones_like``."""
    return _like(np.ones, input, dtype, requires_grad, "ones_like")


def _like(fill: Any, input: Tensor, dtype: Any, requires_grad: bool, where: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(input).__name__}")
    resolved = input.dtype if dtype is None else resolve_dtype(dtype, where)
    return _made(fill(input.shape, resolved), requires_grad, where)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Draws from N(0, 1), from the library's generator (reproducible with
    :func:`retroprop.manual_seed`): ``randn(2, 3)`` or ``randn((2, 3))``."""
    draws = generator().standard_normal(_shape(size, "randn"))
    return _made(draws.astype(_float_dtype(dtype), copy=False), requires_grad, "randn")


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Draws from the uniform distribution on [0, 1), from the library's generator
    (reproducible with :func:`retroprop.manual_seed`): ``rand(2, 3)`` or ``rand((2, 3))``, as
    ``torch.rand``."""
    draws = generator().random(_shape(size, "rand"))
    return _made(draws.astype(_float_dtype(dtype), copy=False), requires_grad, "rand")


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """The numbers start, start + step, ... up to ``end`` excluded, as ``torch.arange``:
    ``arange(5)`` is 0 to 4, ``arange(1, 2, 0.25)`` is 1, 1.25, 1.5, 1.75.

    The dtype is int64 when ``start``, ``end`` and ``step`` are all integers, else the
    default floating dtype (float32 unless changed), or ``dtype``; there are
    ⌈(end - start) / step⌉ values, each computed as start + i·step in float64 (PyTorch's
    may differ in the last bit). An integer ``dtype`` with a fractional argument is
    refused (PyTorch truncates the arguments first, which changes the count), as is a step
    that does not lead from ``start`` toward ``end``.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.arange(4).tolist(), rp.arange(4).dtype
    ([0, 1, 2, 3], dtype('int64'))
    >>> rp.arange(1, 2, 0.25).tolist()
    [1.0, 1.25, 1.5, 1.75]
    """
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer
                                                     | np.floating):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the step {step!r} goes away from end={end!r} "
                         f"(start={start!r}); expected a step of the sign of end - start")
    integers = all(isinstance(v, int | np.integer) for v in (start, end, step))
    resolved = (np.dtype(np.int64) if integers else get_default_dtype()) if dtype is None \
        else resolve_dtype(dtype, "arange")
    if resolved.kind != "f" and any(float(v) != int(v) for v in (start, end, step)):
        raise ValueError(f"arange: dtype {resolved} with a fractional start, end or step "
                         f"({start!r}, {end!r}, {step!r}); PyTorch would truncate them "
                         "first: give whole numbers")
    if integers:
        values = np.arange(start, end, step, dtype=np.int64)
    else:
        count = int(np.ceil((end - start) / step))
        values = start + np.arange(count, dtype=np.float64) * step
    return _made(values.astype(resolved, copy=False), requires_grad, "arange")
