"""Opt-in flushing of denormal (subnormal) floats to zero, as ``torch.set_flush_denormal``.

Numbers below the smallest normal float (1.2e-38 in float32) are *denormal*; x86
processors handle them in microcode, often a hundred times slower than normal numbers.
They appear in training: the momentum buffer of a dead ReLU unit decays geometrically,
v ← μ v, into the denormal range, and every later multiply by it is slow. With the flush
on, the processor's MXCSR register has FTZ (results that would be denormal become 0)
and DAZ (denormal inputs are read as 0) set, which changes such values to exactly zero
and costs nothing otherwise.

The setting belongs to the calling thread (NumPy's element-wise work runs there; BLAS
worker threads keep their own). It is off unless asked for: results then differ from
IEEE arithmetic in the last, subnormal digits.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_FTZ, _DAZ = 0x8000, 0x0040  # MXCSR bits: flush to zero, denormals are zero


class _FloatEnvironment(ctypes.Structure):
    """``fenv_t`` of glibc and musl on x86-64: the x87 environment, then MXCSR."""

    _fields_ = [("x87", ctypes.c_ubyte * 28), ("mxcsr", ctypes.c_uint32)]


def _libm() -> ctypes.CDLL | None:
    """The C math library with ``fegetenv``/``fesetenv``, on x86-64 Linux; else None."""
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        return ctypes.CDLL("libm.so.6")
    except OSError:
        return None


def _environment(libm: ctypes.CDLL) -> _FloatEnvironment:
    environment = _FloatEnvironment()
    if libm.fegetenv(ctypes.byref(environment)):
        raise OSError("set_flush_denormal: fegetenv failed")
    return environment


def set_flush_denormal(mode: bool) -> bool:
    """Flush denormal floats to zero (``True``) or keep IEEE gradual underflow
    (``False``, the default) in the calling thread.

    Returns ``True`` where supported (x86-64 Linux), ``False`` elsewhere, where nothing
    changes, as :func:`torch.set_flush_denormal`.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> if rp.set_flush_denormal(True):
    ...     assert np.float32(1e-40) * np.float32(1) == 0
    >>> _ = rp.set_flush_denormal(False)
    >>> bool(np.float32(1e-40) * np.float32(1) > 0)
    True
    """
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal: mode must be True or False, got {mode!r}")
    libm = _libm()
    if libm is None:
        return False
    environment = _environment(libm)
    if mode:
        environment.mxcsr |= _FTZ | _DAZ
    else:
        environment.mxcsr &= ~(_FTZ | _DAZ) & 0xFFFFFFFF
    if libm.fesetenv(ctypes.byref(environment)):
        raise OSError("set_flush_denormal: fesetenv failed")
    return True


def get_flush_denormal() -> bool:
    """Whether denormal floats are flushed to zero in the calling thread."""
    libm = _libm()
    return libm is not None and _environment(libm).mxcsr & (_FTZ | _DAZ) == _FTZ | _DAZ
