"""One large array operation split over the cores (intra-op parallelism), on the threads
of NumPy's OpenBLAS.

NumPy runs its copies and element-wise work on one core; only the BLAS products use
several. In a convolutional network that leaves im2col, col2im, pooling and batch norm,
half of a training step, on one core, where PyTorch splits them over all of them.
:func:`parallel_for` splits such work over the batch, ``body(start, stop)`` once per
thread, each call on its own range: NumPy releases the GIL in the array work, so the
calls run at the same time.

The calls run on OpenBLAS's worker threads, through its exported ``blas_level1_thread``
(the routine that splits its own level-1 kernels over its threads), not on a second pool
of Python threads: after every product OpenBLAS's workers keep spinning for a while
(about 0.1 s) waiting for the next one, and a second pool would share the cores with
them (measured: a ReLU split over two Python threads right after a product took longer
than on one thread, 1.04 against 1.0 ms, and 0.56 ms on OpenBLAS's threads). Inside the
split, BLAS runs on one thread per call, so that a product in ``body`` runs on the core
of the call that made it.

Where it applies: NumPy's bundled OpenBLAS (NumPy's wheels for Linux, and for macOS
where they ship OpenBLAS). On Windows, with another BLAS, with one thread
(``OPENBLAS_NUM_THREADS=1``, ``threadpoolctl.threadpool_limits(1)``: the current limit is
read at every call), or when the split is off, ``body(0, count)`` runs once in the
calling thread. Splits do not
nest and only one runs at a time: a ``parallel_for`` inside ``body``, or in a second
Python thread while one runs, takes the serial path.

``import retroprop`` turns the split on unless the environment variable
``RETROPROP_INTRAOP`` is ``0``; :func:`set_intraop_parallel` switches it at run time.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from collections.abc import Callable

import numpy as np

from retroprop.openblas import numpy_openblas

#: Work (elements read and written) below which one thread is faster: handing a range to
#: another thread costs 25–40 µs (an empty split, then waits for the GIL between NumPy
#: calls).
MIN_WORK = 1 << 21

_Int = ctypes.c_int64
#: OpenBLAS's level-1 kernel type, as its ``legacy_exec`` calls it for a real mode:
#: (m, n, k, alpha, a, lda, b, ldb, c, ldc, buffer) -> int
_KERNEL = ctypes.CFUNCTYPE(ctypes.c_int, _Int, _Int, _Int, ctypes.c_double, ctypes.c_void_p,
                           _Int, ctypes.c_void_p, _Int, ctypes.c_void_p, _Int, ctypes.c_void_p)
#: ``mode`` argument: real double precision in current OpenBLAS (``BLAS_DOUBLE |
#: BLAS_REAL``); whatever it means in another version, the integer arguments that the
#: kernel reads keep their places, and :meth:`_Pool._calibrate` checks the ranges
_MODE = 0x0003


class _Pool:
    """``blas_level1_thread`` of one OpenBLAS library, with a Python kernel that runs
    the current ``body`` on the range OpenBLAS hands it.

    OpenBLAS gives each thread its part of [0, count) as a length ``m`` and an offset
    of the ``a`` pointer, ``start << shift`` bytes past ``a`` for ``lda = 1``, where
    ``shift`` depends on the mode's element size; :meth:`_calibrate` finds it once,
    and an OpenBLAS that splits in any other way is not used.
    """

    def __init__(self, library: ctypes.CDLL) -> None:
        self.split = library.blas_level1_thread
        self.split.restype = ctypes.c_int
        self.split.argtypes = [ctypes.c_int, _Int, _Int, _Int, ctypes.c_void_p,
                               ctypes.c_void_p, _Int, ctypes.c_void_p, _Int,
                               ctypes.c_void_p, _Int, ctypes.c_void_p, ctypes.c_int]
        self.get_threads = library.scipy_openblas_get_num_threads64_
        self.get_threads.restype, self.get_threads.argtypes = ctypes.c_int, []
        self.set_threads = library.scipy_openblas_set_num_threads64_
        self.set_threads.restype, self.set_threads.argtypes = None, [ctypes.c_int]
        self.kernel = _KERNEL(self._run_range)  # kept alive as long as the pool
        self.alpha = ctypes.c_double(1.0)
        self.lock = threading.Lock()
        self.body: Callable[[int, int], None] = _nothing
        self.errors: list[BaseException] = []
        self.shift: int | None = None  # until the first split
        self.usable = True

    def _run_range(self, m: int, n: int, k: int, alpha: float, a: int | None, lda: int,
                   b: int | None, ldb: int, c: int | None, ldc: int,
                   buffer: int | None) -> int:
        try:
            start = (a or 0) >> (self.shift or 0)
            self.body(start, start + m)
        except BaseException as error:  # the caller raises it again
            self.errors.append(error)
        return 0

    def _call(self, count: int, threads: int) -> None:
        self.split(_MODE, count, 0, 0, ctypes.addressof(self.alpha), None, 1, None, 1,
                   None, 0, ctypes.cast(self.kernel, ctypes.c_void_p), threads)

    def _calibrate(self, threads: int) -> bool:
        """Find ``shift`` from a split of [0, 1024·threads) that records its ranges;
        False (the pool unusable) unless they tile the interval in order."""
        seen: list[tuple[int, int]] = []
        self.body = lambda start, stop: seen.append((start, stop - start))
        count = 1024 * threads
        self._call(count, threads)
        seen.sort()
        *starts, total = [0, *itertools.accumulate(length for _, length in seen)]
        if (len(seen) < 2 or seen[0][0] != 0 or min(length for _, length in seen) < 1
                or total != count):
            return False
        shift = (seen[1][0] // starts[1]).bit_length() - 1
        if any(offset != start << shift for (offset, _), start in zip(seen, starts,
                                                                       strict=True)):
            return False
        self.shift = shift
        return True

    def run(self, count: int, body: Callable[[int, int], None]) -> bool:
        """``body`` over [0, count) on OpenBLAS's threads; False, having run nothing,
        when there is one thread or another split is running."""
        limit = self.get_threads()
        threads = min(limit, count)
        if threads < 2 or not self.usable or not self.lock.acquire(blocking=False):
            return False
        try:
            self.set_threads(1)  # products inside body run on their own thread
            try:
                if self.shift is None:
                    self.usable = self._calibrate(threads)
                    if not self.usable:
                        return False
                self.body, self.errors = body, []
                self._call(count, threads)
            finally:
                self.set_threads(limit)
            if self.errors:
                raise self.errors[0]
            return True
        finally:
            self.body = _nothing
            self.lock.release()


def _nothing(start: int, stop: int) -> None:
    """The body between splits."""


def _make_pool() -> _Pool | None:
    library = numpy_openblas()
    if library is None or not all(hasattr(library, name) for name in (
            "blas_level1_thread", "scipy_openblas_get_num_threads64_",
            "scipy_openblas_set_num_threads64_")):
        return None
    return _Pool(library)


_POOL = _make_pool()
if _POOL is not None and hasattr(os, "register_at_fork"):
    # a child process starts with one thread: a split that a parent's thread was
    # running at the fork is not running there
    os.register_at_fork(after_in_child=lambda: setattr(_POOL, "lock", threading.Lock()))
_enabled = _POOL is not None and os.environ.get("RETROPROP_INTRAOP", "1") != "0"


def set_intraop_parallel(mode: bool) -> bool:
    """Split large array operations (convolution, pooling, batch norm, activations of
    large feature maps) over the threads of NumPy's OpenBLAS (``True``, the default)
    or run them on the calling thread (``False``). Results are the same either way, to
    rounding in batch norm's sums.

    Returns whether the split is possible here (NumPy's bundled OpenBLAS); where it is
    not, operations run on one thread whatever the mode. The number of threads is
    OpenBLAS's: ``threadpoolctl.threadpool_limits(1)`` or ``OPENBLAS_NUM_THREADS=1``
    turn the split off too.

    Examples
    --------
    >>> import retroprop as rp
    >>> possible = rp.set_intraop_parallel(True)
    >>> rp.get_intraop_parallel() == possible
    True
    """
    global _enabled
    if not isinstance(mode, bool):
        raise TypeError(f"set_intraop_parallel: mode must be True or False, got {mode!r}")
    _enabled = mode and _POOL is not None
    return _POOL is not None


def get_intraop_parallel() -> bool:
    """Whether large array operations are split over OpenBLAS's threads."""
    return _enabled


def parallel_for(count: int, body: Callable[[int, int], None], *, work: int) -> None:
    """Run ``body(start, stop)`` over ranges that cover [0, count) once, one per BLAS
    thread when ``work`` reaches :data:`MIN_WORK`, else ``body(0, count)`` in the
    calling thread. ``work`` is the elements that the operation reads and writes, fewer
    for passes cheaper than a copy. The ranges must be independent: ``body`` writes only
    what belongs to its own range. An exception in any range is raised here once every
    range has run."""
    if not (_enabled and work >= MIN_WORK and count > 1 and _POOL is not None
            and _POOL.run(count, body)):
        body(0, count)


def outer_axis(x: np.ndarray) -> int:
    """The one of the first two axes of ``x`` (batch and channels) that is outer in
    memory: ranges of it are whole blocks, which NumPy works through faster than ranges
    of the inner one (a max pooling over half the channels of a CNHW array takes half
    the time of the whole, over half the images 1.3 times that)."""
    return 1 if x.ndim > 1 and abs(x.strides[1]) > abs(x.strides[0]) else 0


def along(axis: int, start: int, stop: int) -> tuple[slice, ...]:
    """The index of [start, stop) along ``axis``."""
    return (slice(None),) * axis + (slice(start, stop),)


def parallel_parts(body: Callable[..., object], *arrays: np.ndarray, work: int) -> None:
    """``body(*arrays)`` itself for small ``work`` and arrays of fewer than two axes;
    else ``body`` on ranges of all of them along the outer of the first array's first
    two axes (:func:`outer_axis`), one range per thread, through :func:`parallel_for`.
    The arrays share those two axes (views of the same feature maps)."""
    first = arrays[0]
    if first.ndim < 2 or work < MIN_WORK or not _enabled:
        body(*arrays)
        return
    axis = outer_axis(first)

    def ranges(start: int, stop: int) -> None:
        index = along(axis, start, stop)
        body(*(array[index] for array in arrays))

    parallel_for(first.shape[axis], ranges, work=work)
