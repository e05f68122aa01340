"""Threads for the benchmarks: NumPy's BLAS and PyTorch get the same count, under any
``threadpoolctl`` limit in force."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from retroprop._optional import require


def blas_threads() -> int | None:
    """The thread count of NumPy's BLAS under the current threadpoolctl limits."""
    threadpool_info = require("threadpoolctl", extra="bench").threadpool_info
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return min(counts) if counts else None


@contextlib.contextmanager
def same_threads(threads: int | None) -> Iterator[int | None]:
    """Limit NumPy's BLAS to ``threads`` (None: leave it) and give PyTorch as many."""
    threadpool_limits = require("threadpoolctl", extra="bench").threadpool_limits
    with threadpool_limits(threads, user_api="blas") if threads else contextlib.nullcontext():
        count = blas_threads()
        torch = require("torch", extra="bench")
        previous = torch.get_num_threads()
        if count:
            torch.set_num_threads(count)
        try:
            yield count
        finally:
            torch.set_num_threads(previous)
