"""Random draws owned by one task: a trial, a fold, an ensemble member or an estimator.

Every draw in retroprop comes from the library's generator (:mod:`retroprop.random`).
A task that must give the same result wherever it runs (in this process, in a local worker
or on a Dask worker) runs inside :func:`using_generator` with a generator of its own,
seeded from the task's seed; the library's generator is left where it was.
"""

from __future__ import annotations

import numpy as np

from retroprop.random import using_generator

__all__ = ["task_seed", "using_generator"]


def task_seed(seed: int, index: int) -> int:
    """The seed of task ``index`` of a job seeded with ``seed``: independent streams
    (NumPy's ``SeedSequence``), the same on every machine."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
