"""A 20-trial random search on the 8x8 digits (a 64-64-10 MLP, 10 epochs per trial), run
serially and on two local worker processes; prints both times and the speed-up. Close to
2x on two free cores means the trials do not fight over BLAS threads (each worker uses
one). The worker pool is started before timing, as a long search would amortize it."""

from __future__ import annotations

import time

import numpy as np

import retroprop as rp
from retroprop.tune import TuneResult, choice, log_uniform, search

TRIALS = 20
WORKERS = 2


def _build(hidden: int = 64) -> rp.nn.Module:
    return rp.models.mlp([64, hidden, 10])


def _search(X: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray],
            n_jobs: int) -> tuple[float, TuneResult]:
    space = {"lr": log_uniform(1e-3, 0.3), "hidden": choice([32, 64, 128])}
    start = time.perf_counter()
    result = search(_build, space, X, y, method="random", n_trials=TRIALS,
                     validation_data=validation, epochs=10, round_size=TRIALS, n_jobs=n_jobs,
                     refit=False)
    return time.perf_counter() - start, result


def run() -> dict[str, float]:
    """Seconds for the serial and the two-process search, and the speed-up."""
    from joblib import Parallel, delayed

    (X, y), _ = rp.datasets.load_digits()
    X = rp.datasets.scale(X.reshape(len(X), -1), 16.0)
    train, validation = (X[:1300], y[:1300]), (X[1300:], y[1300:])
    Parallel(n_jobs=WORKERS, backend="loky")(delayed(_build)(8) for _ in range(WORKERS))  # warm-up
    serial, serial_result = _search(*train, validation, 1)
    parallel, parallel_result = _search(*train, validation, WORKERS)
    if serial_result.scores().tolist() != parallel_result.scores().tolist():
        raise RuntimeError("bench tune: the two-process search differs from the serial one")
    return {"serial": serial, "parallel": parallel, "speedup": serial / parallel}


def main() -> None:
    result = run()
    print(f"random search, {TRIALS} trials on the digits (64-h-10 MLP, 10 epochs each)")
    print(f"  serial       {result['serial']:8.2f} s")
    print(f"  {WORKERS} workers    {result['parallel']:8.2f} s")
    print(f"  speed-up     {result['speedup']:8.2f}x  (target close to {WORKERS}x on "
          f"{WORKERS} free cores)")


if __name__ == "__main__":
    main()
