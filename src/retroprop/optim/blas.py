"""The in-place updates y ← y + α x and y ← β y + α x of the optimizers (BLAS level 1,
``axpy`` and OpenBLAS's ``axpby``).

An optimizer step is a few passes over every weight array. In NumPy,
``y += alpha * x`` is two passes on one core, through a temporary. NumPy's
wheels ship their own OpenBLAS, whose ``axpy`` does it in one pass, in
place, on all cores (the threads that already run NumPy's matrix
products). When that library is loaded in this process we call it through
ctypes; otherwise (NumPy built on another BLAS, small or non-contiguous
arrays) the same update runs in NumPy. Both agree to rounding: BLAS may
compute α x + y with one fused multiply-add.

``axpby`` (a momentum buffer's v ← μ v + g) replaces a scaling pass and an ``axpy`` pass
by one pass. OpenBLAS runs it on one thread, which is also what keeps it fast when the
other cores are busy: waking BLAS threads for a pass of a few microseconds can cost more
than the pass.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.openblas import numpy_openblas

#: Below this many elements one NumPy pass costs less than the call into BLAS.
MIN_SIZE = 4096

_Axpy = Callable[[int, float, int, int, int, int], None]
_Axpby = Callable[[int, float, int, int, float, int, int], None]


def _routines(name: str, with_beta: bool) -> dict[np.dtype, Any]:
    """NumPy's OpenBLAS ``cblas_?{name}`` for float32 and float64, by dtype: arguments
    (n, α, x, incx, y, incy), or (n, α, x, incx, β, y, incy) ``with_beta``."""
    library = numpy_openblas()
    if library is None:
        return {}
    routines = {}
    for dtype, scalar, letter in ((np.float32, ctypes.c_float, "s"),
                                  (np.float64, ctypes.c_double, "d")):
        routine = getattr(library, f"scipy_cblas_{letter}{name}64_", None)
        if routine is None:
            return {}
        routine.restype = None
        vector = [ctypes.c_void_p, ctypes.c_int64]
        beta = [scalar] if with_beta else []
        routine.argtypes = [ctypes.c_int64, scalar, *vector, *beta, *vector]
        routines[np.dtype(dtype)] = routine
    return routines


_AXPY: dict[np.dtype, _Axpy] = _routines("axpy", with_beta=False)
_AXPBY: dict[np.dtype, _Axpby] = _routines("axpby", with_beta=True)


_BYTE = ctypes.c_byte


def _address(a: np.ndarray) -> int:
    """The address of the first element of the contiguous array ``a``: through a ctypes
    view of its buffer, 0.25 µs where ``a.ctypes.data`` takes 0.73 µs (eight such calls per
    step of an MLP), or ``a.ctypes.data`` for a read-only array, which ctypes cannot view."""
    if a.flags.writeable:
        return ctypes.addressof(_BYTE.from_buffer(  # an ndarray exports its buffer
            a if a.flags.c_contiguous else a.T))  # type: ignore[arg-type]
    return a.ctypes.data


def uses_blas() -> bool:
    """Whether :func:`axpy_` can call NumPy's OpenBLAS in this process."""
    return bool(_AXPY)


def _same_flat_order(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether both arrays are one block of memory, element i of one at the place of
    element i of the other (both row-major, or both column-major)."""
    return ((x.flags.c_contiguous and y.flags.c_contiguous)
            or (x.flags.f_contiguous and y.flags.f_contiguous))


def axpy_(y: np.ndarray, alpha: float, x: np.ndarray) -> None:
    """y ← y + α x, in place; ``x`` has the shape and dtype of ``y``."""
    routine = _AXPY.get(y.dtype)
    if (routine is not None and y.size >= MIN_SIZE and x.dtype == y.dtype
            and x.shape == y.shape and _same_flat_order(x, y)):
        routine(y.size, float(alpha), _address(x), 1, _address(y), 1)
    elif alpha == 1:
        y += x
    else:
        y += alpha * x


def axpby_(y: np.ndarray, alpha: float, x: np.ndarray, beta: float) -> None:
    """y ← β y + α x, in place, in one pass; ``x`` has the shape and dtype of ``y``."""
    routine = _AXPBY.get(y.dtype)
    if (routine is not None and y.size >= MIN_SIZE and x.dtype == y.dtype
            and x.shape == y.shape and _same_flat_order(x, y)):
        routine(y.size, float(alpha), _address(x), 1, float(beta), _address(y), 1)
        return
    y *= y.dtype.type(beta)
    axpy_(y, alpha, x)
