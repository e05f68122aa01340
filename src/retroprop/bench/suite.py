"""``retroprop bench``: run every benchmark, or one by name, print the table, and write
``bench-results.json`` and ``bench-results.md``.

The libraries compared share the machine's cores the same way: PyTorch is given as many
threads as NumPy's BLAS has (so a ``threadpoolctl.threadpool_limits`` around the run, or
``--threads``, holds for both; see :mod:`retroprop.bench.threads`)."""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from retroprop._optional import require
from retroprop.bench import results
from retroprop.bench.results import Row
from retroprop.bench.settings import Settings
from retroprop.bench.threads import same_threads
from retroprop.openblas import kernels

#: the table's benchmarks, in the order ``retroprop bench`` runs them
TABLE = ("step", "mlp", "cnn", "inference", "lbfgs", "memory", "flops")
#: benchmarks outside the table, each printing its own report
EXTRAS = ("optimizers", "tune")
NAMES = ("all", *TABLE, *EXTRAS)
FULL = Settings()
#: what a benchmark needs besides NumPy, PyTorch and threadpoolctl (which every one in the
#: table needs). They are imported before any thread limit is set, because threadpoolctl
#: limits only the BLAS libraries already loaded (SciPy's optimizers load their own).
NEEDS = {"mlp": ["sklearn"], "lbfgs": ["sklearn", "scipy.optimize"],
         "optimizers": ["matplotlib"], "tune": ["sklearn", "joblib"]}


def require_references(names: Sequence[str]) -> None:
    """Import what the benchmarks ``names`` compare with; an :class:`ImportError` names
    the ``pip install`` to run."""
    modules = ["torch", "threadpoolctl"] if any(name in TABLE for name in names) else []
    for name in names:
        modules += NEEDS.get(name, [])
    for module in modules:
        require(module, extra="bench")


def machine(threads: int | None) -> dict[str, Any]:
    """The machine and libraries, with the kernels of NumPy's OpenBLAS and the environment's
    ``OPENBLAS_CORETYPE`` that may have chosen them: the AVX2 or AVX-512 kernels differ by
    up to 2x in matrix-product rate (PERFORMANCE.md)."""
    torch = require("torch", extra="bench")
    return {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__, "threads": threads,
            "blas_kernels": kernels(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def run(names: Sequence[str], settings: Settings = FULL, threads: int | None = None
        ) -> tuple[list[Row], dict[str, Any]]:
    """Rows of the benchmarks ``names`` (each in :data:`TABLE`), and the machine's
    description."""
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"retroprop bench: threads must be a positive integer, got {threads!r}")
    require_references(names)
    rows: list[Row] = []
    with same_threads(threads) as count:
        info = machine(count)
        for name in names:
            print(f"retroprop bench: running {name}{' (quick)' if settings.quick else ''}",
                  file=sys.stderr, flush=True)
            rows += importlib.import_module(f"retroprop.bench.{name}").rows(settings)
    return rows, info


def main(name: str = "all", settings: Settings = FULL, output: str = ".",
         threads: int | None = None) -> int:
    """The ``retroprop bench`` command; returns its exit status."""
    try:
        if name in EXTRAS:
            require_references([name])
            importlib.import_module(f"retroprop.bench.{name}").main()
            return 0
        rows, info = run(TABLE if name == "all" else [name], settings, threads)
    except ImportError as error:
        print(f"retroprop: error: {error}", file=sys.stderr)
        return 2
    json_path, markdown_path = results.write(rows, info, output, asdict(settings))
    print(results.markdown(rows))
    if settings.quick:
        print("(--quick: random stand-in data and tiny sizes; a check that the benchmarks "
              "run, not a measurement)")
    print(f"written: {json_path}, {markdown_path}")
    return 0
