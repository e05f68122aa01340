"""Factory functions with PyTorch's names: ``tensor``, ``zeros``, ``ones``, ``randn``,
``from_numpy``.

Floating values take the default dtype (float32 unless changed, see
:func:`~retroprop.tensor.tensor.set_default_dtype`) or the ``dtype`` asked for; integer and
boolean values keep an integer or boolean dtype (labels, masks, indices), which cannot
require a gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.random import generator
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


def _made(data: np.ndarray, requires_grad: bool, where: str) -> Tensor:
    if requires_grad and data.dtype.kind not in "f":
        raise TypeError(
            f"{where}: only floating tensors can require a gradient, got dtype {data.dtype}"
        )
    return Tensor._wrap(data, bool(requires_grad))


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array, a tensor).

    Floating data (or any data with ``dtype`` float32/float64 given) becomes the default
    dtype or ``dtype``; integer data becomes int64 and boolean data stays boolean, as
    ``torch.tensor`` does.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], requires_grad=True)
    >>> rp.tensor([0, 2]).dtype
    dtype('int64')
    """
    values = np.array(data.data if isinstance(data, Tensor) else data, copy=True)
    if dtype is None and values.dtype.kind in "iu":
        values = values.astype(np.int64, copy=False)
    elif dtype is not None or values.dtype.kind != "b":
        values = values.astype(_float_dtype(dtype), copy=False)
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
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _made(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _made(np.ones(_shape(size, "ones"), _float_dtype(dtype)), requires_grad, "ones")


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Draws from N(0, 1), from the library's generator (reproducible with
    :func:`retroprop.manual_seed`): ``randn(2, 3)`` or ``randn((2, 3))``."""
    draws = generator().standard_normal(_shape(size, "randn"))
    return _made(draws.astype(_float_dtype(dtype), copy=False), requires_grad, "randn")
