"""NumPy's bundled OpenBLAS, for the few routines that retroprop calls through ctypes
(the optimizers' ``axpy``/``axpby``, the thread count, and the thread pool that
:mod:`retroprop.intraop` shares)."""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path

import numpy as np


@functools.cache
def numpy_openblas() -> ctypes.CDLL | None:
    """NumPy's bundled OpenBLAS (64-bit integers, ``scipy_`` symbols), only if NumPy has
    already loaded it: a second copy would start a second thread pool on the same cores,
    and the two would slow each other down. None for NumPy built on another BLAS."""
    no_load = getattr(os, "RTLD_NOLOAD", None)
    if no_load is None:  # Windows
        return None
    root = Path(np.__file__).parent
    for folder in (root.parent / "numpy.libs", root / ".dylibs"):
        for path in sorted(folder.glob("libscipy_openblas64_*")):
            try:
                library = ctypes.CDLL(str(path), mode=no_load | os.RTLD_LAZY)
            except OSError:
                continue
            if hasattr(library, "scipy_cblas_saxpy64_"):
                return library
    return None
