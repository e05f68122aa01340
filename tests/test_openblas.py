"""``openblas.kernels()``: the kernels that NumPy's OpenBLAS runs, as the bench records them."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from retroprop import openblas


def _numpy_kernels() -> str | None:
    """What threadpoolctl reports for NumPy's own OpenBLAS (SciPy loads another copy), or
    None where ``kernels()`` cannot reach it (another BLAS, or Windows)."""
    root = Path(np.__file__).resolve().parent
    folders = {root.parent / "numpy.libs", root / ".dylibs"}
    info = next((info for info in threadpool_info() if info.get("internal_api") == "openblas"
                 and Path(info["filepath"]).resolve().parent in folders), None)
    return None if info is None or os.name == "nt" else info["architecture"]


def test_kernels_are_the_ones_threadpoolctl_reports():
    assert openblas.kernels() == _numpy_kernels()


def test_kernels_follow_openblas_coretype():
    """OPENBLAS_CORETYPE chooses the kernels when OpenBLAS loads; Haswell's (AVX2) run on
    every x86-64 CPU of the last ten years."""
    code = "import retroprop as rp; print(rp.openblas.kernels())"
    shown = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True, env={**os.environ, "OPENBLAS_CORETYPE": "Haswell"}
                           ).stdout.strip()
    reachable = _numpy_kernels() is not None
    assert shown == ("Haswell" if reachable and platform.machine() == "x86_64" else
                     str(openblas.kernels()))
