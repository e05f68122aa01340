"""Peak memory of one training epoch (batch 128, float32), retroprop against PyTorch CPU,
for the MLP 784-256-128-10 and LeNet-5 on Fashion-MNIST.

Each measurement runs in a fresh Python process that imports only its own library, loads
the data and trains two batches (the library's one-time loads: kernels, thread pools),
returns the memory those freed to the system (glibc's ``malloc_trim``); then the
process's peak resident set size is reset (Linux: ``/proc/self/clear_refs``)
and one epoch is trained from scratch. The figure is the peak during the epoch minus the
resident size before it: what training adds (activations, gradients, optimizer state,
scratch buffers)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
from pathlib import Path

from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.threads import blas_threads

NETWORKS = ("mlp", "lenet5")
TARGET = 1.0  # issue 16: no more than PyTorch's peak


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"memory benchmark: no {field} in /proc/self/status")


def _epoch_peak_mib(library: str, network: str, settings: Settings) -> float:
    """In this process: MiB that one epoch adds to the resident set at its peak."""
    import retroprop as rp
    from retroprop.bench import data
    from retroprop.bench.cnn import BATCH
    from retroprop.bench.epochs import retroprop_epoch, torch_epoch
    from retroprop.bench.mlp import SIZES

    build = rp.models.lenet5 if network == "lenet5" else (lambda: rp.models.mlp(SIZES))
    epoch = {"retroprop": retroprop_epoch, "pytorch": torch_epoch}[library](
        build, BATCH, lr=0.01, momentum=0.9)
    arrays = data.fashion(settings, flat=network == "mlp")
    rp.manual_seed(0)
    X, y, X_test, y_test = arrays
    epoch(X[:2 * BATCH], y[:2 * BATCH], X_test[:BATCH], y_test[:BATCH])  # one-time loads
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # what the warm-up freed goes back
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
    before = _status_kib("VmRSS")
    epoch(*arrays)
    return (_status_kib("VmHWM") - before) / 1024


def measure(library: str, network: str, settings: Settings) -> float:
    """The epoch's peak in a fresh process (see the module docstring)."""
    command = [sys.executable, "-c", "import retroprop.bench.memory as m; from "
               "retroprop.bench.settings import Settings; "
               f"print(m._epoch_peak_mib({library!r}, {network!r}, {settings!r}))"]
    threads = str(blas_threads() or "")  # the child starts with the parent's thread count
    environment = os.environ | {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=environment if threads else None)
    if done.returncode:
        raise RuntimeError(f"memory benchmark ({library}, {network}) failed:\n{done.stderr}")
    return float(done.stdout.split()[-1])


def rows(settings: Settings) -> list[Row]:
    if not Path("/proc/self/clear_refs").exists():
        raise OSError("the memory benchmark needs Linux's /proc/self/clear_refs")
    table = []
    for network in NETWORKS:
        peaks: dict[str, list[float]] = {"retroprop": [], "pytorch": []}
        for _ in range(settings.rounds_or(2)):
            for library in peaks:
                peaks[library].append(measure(library, network, settings))
        name = "MLP 784-256-128-10" if network == "mlp" else "LeNet-5"
        table.append(row("memory", f"{name} epoch peak, batch 128", "MiB",
                         peaks["retroprop"], "pytorch", peaks["pytorch"], TARGET))
    return table
