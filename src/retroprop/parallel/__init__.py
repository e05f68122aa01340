"""Running independent tasks (trials, folds, ensemble members) serially, on local worker
processes or on a Dask cluster, with the same results everywhere."""

from retroprop.parallel.executor import Outcome, connect, run_all, run_tasks
from retroprop.parallel.seeding import task_seed, using_generator

__all__ = ["Outcome", "connect", "run_all", "run_tasks", "task_seed", "using_generator"]
