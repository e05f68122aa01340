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


def kernels() -> str | None:
    """The kernels that NumPy's OpenBLAS runs, as it names them (``"Haswell"``: AVX2,
    ``"SkylakeX"``: AVX-512, ...), None where NumPy uses another BLAS. OpenBLAS chooses them
    for the CPU when it loads, unless the environment variable ``OPENBLAS_CORETYPE`` names
    them; the benchmarks record both, since the choice can halve the matrix-product rate.

    >>> import retroprop as rp
    >>> name = rp.openblas.kernels()
    >>> name is None or isinstance(name, str)
    True
    """
    library = numpy_openblas()
    corename = getattr(library, "scipy_openblas_get_corename64_", None)
    if corename is None:
        return None
    corename.restype = ctypes.c_char_p
    name = corename()
    return name.decode() if name else None
