"""``openblas.kernels()``: the kernels that NumPy's OpenBLAS runs, as the bench records them."""

import os
import platform
import subprocess
import sys

from threadpoolctl import threadpool_info

from retroprop import openblas


def _numpy_openblas() -> dict | None:
    return next((info for info in threadpool_info()
                 if info.get("prefix") == "libscipy_openblas"), None)


def test_kernels_are_the_ones_threadpoolctl_reports():
    info = _numpy_openblas()
    assert openblas.kernels() == (None if info is None else info["architecture"])


def test_kernels_follow_openblas_coretype():
    """OPENBLAS_CORETYPE chooses the kernels when OpenBLAS loads; Haswell's (AVX2) run on
    every x86-64 CPU of the last ten years."""
    code = "import retroprop as rp; print(rp.openblas.kernels())"
    shown = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True, env={**os.environ, "OPENBLAS_CORETYPE": "Haswell"}
                           ).stdout.strip()
    ships = _numpy_openblas() is not None
    assert shown == ("Haswell" if ships and platform.machine() == "x86_64" else
                     str(openblas.kernels()))
