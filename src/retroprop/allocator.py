"""Reuse of freed memory between training steps (glibc's ``malloc`` on Linux).

A training step of a convolutional network allocates and frees arrays of several
megabytes: feature maps, their gradients, the temporaries of batch norm and pooling.
With glibc's defaults, ``free`` hands large blocks back to the operating system
(``munmap``, or trimming the top of the heap once more than a dynamic threshold of
at most 64 MiB is free there), and the next step's ``malloc`` gets fresh pages that
the kernel must fault in and zero one by one. For the convnet of
``examples/fashion_convnet.py`` at batch 128 that was about 6000 page faults and a
quarter of the step's time.

With memory reuse on, glibc serves blocks of up to :data:`MMAP_THRESHOLD` from its
heap and keeps up to :data:`TRIM_THRESHOLD` of free memory at the top of the heap for
the next ``malloc`` instead of returning it (``mallopt``'s ``M_MMAP_THRESHOLD`` and
``M_TRIM_THRESHOLD``, the settings that the environment variables
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` make at start-up). The cost:
a process keeps up to that much freed memory resident after its peak, and the peak itself
grows a little, since blocks in the heap are resident while they wait (LeNet-5's epoch at
batch 128: 81 MiB instead of 73 MiB; PERFORMANCE.md). The setting belongs to the process,
and PyTorch or any other library in it benefits too.

``import retroprop`` turns it on where the C library is a 64-bit glibc, unless the
environment variable ``RETROPROP_MEMORY_REUSE`` is ``0`` or the program already tunes
``malloc`` itself (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
``MALLOC_TOP_PAD_``, ``MALLOC_MMAP_MAX_`` or ``glibc.malloc`` tunables in
``GLIBC_TUNABLES``), whose settings are then left as they are. Elsewhere (macOS,
Windows, musl, 32-bit systems) nothing changes. ``mallopt`` is not thread-safe: call
:func:`set_memory_reuse` before starting threads.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import warnings

#: Largest block served from the heap (the largest value glibc documents for this setting
#: on 64-bit systems); larger ones keep their own pages, returned when freed.
MMAP_THRESHOLD = 32 * 2**20
#: Free memory that may stay at the top of the heap for later use.
TRIM_THRESHOLD = 256 * 2**20
#: glibc's values when nothing adjusts them (the start of its dynamic thresholds).
GLIBC_DEFAULT = 128 * 2**10
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, <malloc.h>
#: environment variables through which a program tunes glibc's malloc itself
_OWN_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                 "MALLOC_MMAP_MAX_")

_reuse = False


def _glibc() -> ctypes.CDLL | None:
    """The running 64-bit glibc, which has ``mallopt``; None elsewhere."""
    if (sys.platform != "linux" or platform.libc_ver()[0] != "glibc"
            or ctypes.sizeof(ctypes.c_void_p) < 8):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return libc


def set_memory_reuse(mode: bool) -> bool:
    """Keep freed memory for the next allocation (``True``, what ``import retroprop``
    does) or set glibc's default thresholds of 128 KiB (``False``).

    Returns ``True`` where the C library is glibc, ``False`` elsewhere, where nothing
    changes. ``False`` restores glibc's default values but not their dynamic growth,
    which glibc stops for good once a program sets them; to keep glibc's behaviour
    untouched, set the environment variable ``RETROPROP_MEMORY_REUSE=0`` before
    importing retroprop.

    Examples
    --------
    >>> import retroprop as rp
    >>> supported = rp.set_memory_reuse(True)
    >>> rp.get_memory_reuse() == supported
    True
    """
    global _reuse
    if not isinstance(mode, bool):
        raise TypeError(f"set_memory_reuse: mode must be True or False, got {mode!r}")
    libc = _glibc()
    if libc is None:
        return False
    mmap, trim = (MMAP_THRESHOLD, TRIM_THRESHOLD) if mode else (GLIBC_DEFAULT, GLIBC_DEFAULT)
    if not (libc.mallopt(_M_MMAP_THRESHOLD, mmap) and libc.mallopt(_M_TRIM_THRESHOLD, trim)):
        libc.mallopt(_M_MMAP_THRESHOLD, GLIBC_DEFAULT)  # never half of the setting
        libc.mallopt(_M_TRIM_THRESHOLD, GLIBC_DEFAULT)
        _reuse = False
        raise OSError(f"set_memory_reuse: mallopt refused the thresholds {mmap} and {trim}")
    _reuse = mode
    return True


def get_memory_reuse() -> bool:
    """Whether retroprop has set glibc to keep freed memory for reuse."""
    return _reuse


def configure_at_import() -> None:
    """Turn memory reuse on, unless ``RETROPROP_MEMORY_REUSE=0`` or the program tunes
    glibc's malloc itself; a refusal is a warning, never an import error."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if (os.environ.get("RETROPROP_MEMORY_REUSE", "1") == "0" or "glibc.malloc." in tunables
            or any(name in os.environ for name in _OWN_SETTINGS)):
        return
    try:
        set_memory_reuse(True)
    except OSError as error:
        warnings.warn(f"{error}; glibc's defaults stay", RuntimeWarning, stacklevel=2)
