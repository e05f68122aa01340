"""Factory functions with PyTorch's names: ``tensor``, ``zeros``, ``ones``, ``zeros_like``,
``ones_like``, ``randn``, ``rand``, ``arange``, ``from_numpy``, ``empty``, ``full``,
``full_like``, ``randn_like``, ``randint``, ``randperm``, ``linspace``, ``eye``,
``as_tensor``, ``is_tensor``, and the methods ``new_zeros``, ``new_ones``, ``new_full``,
``new_tensor``.

Floating values take the default dtype (float32 unless changed, see
:func:`~retroprop.tensor.tensor.set_default_dtype`) or the ``dtype`` asked for; integer and
boolean values keep an integer or boolean dtype (labels, masks, indices), which cannot
require a gradient. Each takes PyTorch's ``device=``: None or ``"cpu"`` (the only device;
another is refused).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.random import generator
from retroprop.tensor.device import check_device
from retroprop.tensor.dtypes import fill_value, resolve_dtype
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


def _made(data: np.ndarray, requires_grad: bool, where: str, device: Any = None) -> Tensor:
    check_device(device, where)
    if requires_grad and data.dtype.kind not in "f":
        raise TypeError(
            f"{where}: only floating tensors can require a gradient, got dtype {data.dtype}"
        )
    return Tensor._wrap(data, bool(requires_grad))


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *,
           device: Any = None) -> Tensor:
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
    return _made(values, requires_grad, "tensor", device)


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


def _any_dtype(dtype: Any, where: str) -> np.dtype:
    """The default floating dtype, or ``dtype`` (integer and boolean ones too)."""
    return get_default_dtype() if dtype is None else resolve_dtype(dtype, where)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; of the default floating
    dtype, or ``dtype`` (``rp.long`` for counts, as in PyTorch)."""
    return _made(np.zeros(_shape(size, "zeros"), _any_dtype(dtype, "zeros")), requires_grad,
                 "zeros", device=device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``; of the default floating dtype,
    or ``dtype``."""
    return _made(np.ones(_shape(size, "ones"), _any_dtype(dtype, "ones")), requires_grad,
                 "ones", device=device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the shape of ``input`` and its dtype (or ``dtype``: any that
    :func:`~retroprop.tensor.dtypes.resolve_dtype` takes), as ``torch.zeros_like``."""
    return _like(np.zeros, input, dtype, requires_grad, "zeros_like", device)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the shape of ``input`` and its dtype (or ``dtype``), as
    ``torch.ones_like``."""
    return _like(np.ones, input, dtype, requires_grad, "ones_like", device)


def _like(fill: Any, input: Tensor, dtype: Any, requires_grad: bool, where: str,
          device: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(input).__name__}")
    resolved = input.dtype if dtype is None else resolve_dtype(dtype, where)
    return _made(fill(input.shape, resolved), requires_grad, where, device)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Draws from N(0, 1), from the library's generator (reproducible with
    :func:`retroprop.manual_seed`): ``randn(2, 3)`` or ``randn((2, 3))``."""
    draws = generator().standard_normal(_shape(size, "randn"))
    return _made(draws.astype(_float_dtype(dtype), copy=False), requires_grad, "randn",
                 device=device)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    """Draws from the uniform distribution on [0, 1), from the library's generator
    (reproducible with :func:`retroprop.manual_seed`): ``rand(2, 3)`` or ``rand((2, 3))``, as
    ``torch.rand``."""
    draws = generator().random(_shape(size, "rand"))
    return _made(draws.astype(_float_dtype(dtype), copy=False), requires_grad, "rand",
                 device=device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
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
    return _made(values.astype(resolved, copy=False), requires_grad, "arange", device=device)


def _integer(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{where}: {name} must be an integer, got {value!r}")
    return int(value)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """A new tensor of shape ``size``, as ``torch.empty``; its values are zeros (PyTorch
    leaves them unset: write them before reading)."""
    return _made(np.zeros(_shape(size, "empty"), _any_dtype(dtype, "empty")), requires_grad,
                 "empty", device=device)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` holding ``fill_value`` everywhere, as ``torch.full``: of the
    default floating dtype for a float, int64 for an integer, bool for a bool (or
    ``dtype``; a fractional value for an integer dtype is refused)."""
    shape = _shape((size,), "full")
    return _made(np.full(shape, _filled(fill_value, dtype, "full")), requires_grad, "full",
                 device=device)


def _filled(value: Any, dtype: Any, where: str) -> Any:
    """``value`` as a scalar of ``dtype``, or of the dtype PyTorch infers from it."""
    if dtype is None:
        kind = np.bool_ if isinstance(value, bool | np.bool_) else np.int64 if isinstance(
            value, int | np.integer) else get_default_dtype()
        resolved = np.dtype(kind)
    else:
        resolved = resolve_dtype(dtype, where)
    return fill_value(value, resolved, where)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor with the shape of ``input`` and its dtype (or ``dtype``) holding
    ``fill_value``, as ``torch.full_like``."""
    _check_tensor(input, "full_like")
    value = _filled(fill_value, input.dtype if dtype is None else dtype, "full_like")
    return _made(np.full(input.shape, value), requires_grad, "full_like", device=device)


def _check_tensor(value: Any, where: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(value).__name__}")


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Draws from N(0, 1) with the shape of ``input`` and its floating dtype (or
    ``dtype``), from the library's generator, as ``torch.randn_like``."""
    _check_tensor(input, "randn_like")
    check_device(device, "randn_like")
    chosen = input.dtype if dtype is None else resolve_dtype(dtype, "randn_like")
    if chosen.kind != "f":
        raise TypeError(f"randn_like: draws need a floating dtype, got {chosen} (give "
                        "dtype=rp.float32)")
    return randn(input.shape, dtype=chosen, device=device, requires_grad=requires_grad)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high), as ``torch.randint``: ``randint(high,
    size)`` or ``randint(low, high, size)`` (``size`` also by name); int64 unless
    ``dtype``; from the library's generator (reproducible with
    :func:`retroprop.manual_seed`).

    Examples
    --------
    >>> import retroprop as rp
    >>> _ = rp.manual_seed(0)
    >>> rp.randint(0, 10, (5,)).dtype
    dtype('int64')
    """
    if size is not None:
        args = (*args, size)
    if len(args) not in (2, 3):
        raise TypeError(f"randint: expected (high, size) or (low, high, size), got "
                        f"{len(args)} arguments {args!r}")
    low, high, size = (0, *args) if len(args) == 2 else args
    low, high = _integer(low, "low", "randint"), _integer(high, "high", "randint")
    if low >= high:
        raise ValueError(f"randint: expected low < high, got low={low} and high={high}")
    shape = _shape((size,), "randint")
    resolved = np.dtype(np.int64) if dtype is None else resolve_dtype(dtype, "randint")
    _check_range(resolved, "randint", low=low, **{"high - 1": high - 1})
    draws = generator().integers(low, high, shape, dtype=np.int64)
    return _made(draws.astype(resolved, copy=False), requires_grad, "randint", device=device)


def _check_range(dtype: np.dtype, where: str, **bounds: int) -> None:
    """Refuse draws that ``dtype`` cannot hold (they would wrap around), as PyTorch does."""
    for name, value in bounds.items():
        fill_value(value, dtype, f"{where} (dtype {dtype})", name)


def randperm(n: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
             ) -> Tensor:
    """The numbers 0 to n - 1 in random order (int64 unless ``dtype``), as
    ``torch.randperm``, from the library's generator."""
    count = _integer(n, "n", "randperm")
    if count < 0:
        raise ValueError(f"randperm: n must be non-negative, got {count}")
    resolved = np.dtype(np.int64) if dtype is None else resolve_dtype(dtype, "randperm")
    _check_range(resolved, "randperm", **{"n - 1": max(count - 1, 0)})
    draws = generator().permutation(count)
    return _made(draws.astype(resolved, copy=False), requires_grad, "randperm", device=device)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included, as
    ``torch.linspace`` (the default floating dtype unless ``dtype``; an integer dtype
    truncates toward 0, as there)."""
    count = _integer(steps, "steps", "linspace")
    if count < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {count}")
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"linspace: {name} must be a number, got {value!r}")
    resolved = _any_dtype(dtype, "linspace")
    values = np.linspace(float(start), float(end), count)
    return _made(values.astype(resolved), requires_grad, "linspace", device=device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n × m matrix (n × n by default) with ones on its diagonal, as ``torch.eye``."""
    rows = _integer(n, "n", "eye")
    columns = rows if m is None else _integer(m, "m", "eye")
    if rows < 0 or columns < 0:
        raise ValueError(f"eye: n and m must be non-negative, got n={rows}, m={columns}")
    resolved = _any_dtype(dtype, "eye")
    return _made(np.eye(rows, columns, dtype=resolved), requires_grad, "eye", device=device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor without copying where it can, as ``torch.as_tensor``: a tensor
    of that dtype is returned as it is, a NumPy array of that dtype is shared (as
    :func:`from_numpy`), anything else is copied (as :func:`tensor`)."""
    check_device(device, "as_tensor")
    resolved = None if dtype is None else resolve_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        if resolved is None or resolved == data.dtype:
            return data
        return data.to(resolved)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and (
            resolved is None or resolved == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=resolved)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a retroprop :class:`~retroprop.tensor.Tensor`, as
    ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


# ----------------------------------------------------- methods: new tensors like ``self``
def new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``x.new_full(size, value)``: a tensor of ``x``'s dtype (or ``dtype``) and shape
    ``size`` holding ``fill_value``, as ``torch.Tensor.new_full``."""
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                requires_grad=requires_grad)


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False
              ) -> Tensor:
    """``x.new_zeros(2, 3)``: zeros of ``x``'s dtype (or ``dtype``), as
    ``torch.Tensor.new_zeros``."""
    return new_full(self, _shape(size, "new_zeros"), 0, dtype=dtype,
                    requires_grad=requires_grad)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False
             ) -> Tensor:
    """``x.new_ones(2, 3)``: ones of ``x``'s dtype (or ``dtype``), as
    ``torch.Tensor.new_ones``."""
    return new_full(self, _shape(size, "new_ones"), 1, dtype=dtype,
                    requires_grad=requires_grad)


def new_tensor(self: Tensor, data: Any, *, dtype: Any = None, requires_grad: bool = False
               ) -> Tensor:
    """``x.new_tensor(data)``: a copy of ``data`` in ``x``'s dtype (or ``dtype``), as
    ``torch.Tensor.new_tensor``."""
    resolved = resolve_dtype(self.dtype if dtype is None else dtype, "new_tensor")
    values = np.array(data.data if isinstance(data, Tensor) else data, copy=True)
    return _made(values.astype(resolved, copy=False), requires_grad, "new_tensor")
