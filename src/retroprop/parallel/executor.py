"""Where independent tasks run: trials of a search, folds of a cross-validation, members
of a bagging ensemble.

* ``executor=None, n_jobs=1``: one after the other, in this process;
* ``executor=None, n_jobs=k``: ``k`` local worker processes (joblib's loky processes,
  which come with scikit-learn); a negative ``n_jobs`` counts from the CPUs, as joblib and
  scikit-learn read it: -1 every CPU, -2 all but one, ... (``cpus + 1 + n_jobs``, with
  ``joblib.cpu_count()``, which respects the CPU affinity and container limits); ``None``
  is 1 (:func:`resolve_jobs`);
* ``executor=dask.distributed.Client(...)``: the workers of a Dask cluster
  (``pip install retroprop[tune]``);
* any ``concurrent.futures.Executor``.

Each task runs with one BLAS thread when tasks run side by side, so that k workers on k
cores do not fight over threads. Tasks in the same process run one at a time (retroprop's
random generator is one per process), so a Dask worker with several threads or a
``ThreadPoolExecutor`` gives the serial results too, without the speed-up. A task that
raises does not stop the others: its :class:`Outcome` holds the error. Results do not
depend on where a task ran: the callers give each task its own seed
(:mod:`retroprop.parallel.seeding`).
"""

from __future__ import annotations

import numbers
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import Any

from retroprop._optional import require
from retroprop.checks import check_count

INSTALL_HINT = "pip install retroprop[tune]"

#: Held while a task runs: tasks swap the process's random generator for their own.
_TASK_LOCK = threading.Lock()


@dataclass
class Outcome:
    """What one task gave: its ``value``, or the ``error`` it raised (type, message and
    traceback as text)."""

    index: int
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Shared:
    """What every task shares, sent once to each Dask worker (``Client.scatter``)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _run(fn: Callable[..., Any], index: int, args: tuple[Any, ...], one_thread: bool
         ) -> Outcome:
    """Run one task, catching its error; with ``one_thread`` BLAS uses a single thread."""
    from threadpoolctl import threadpool_limits

    if args and isinstance(args[0], _Shared):
        args = (args[0].value, *args[1:])
    try:
        with _TASK_LOCK:
            if one_thread:
                with threadpool_limits(1):
                    return Outcome(index, fn(*args))
            return Outcome(index, fn(*args))
    except Exception as error:  # a failed task is recorded, the others go on
        return Outcome(index, error=f"{type(error).__name__}: {error}\n"
                                    f"{traceback.format_exc(limit=-3)}")


def is_dask_client(executor: Any) -> bool:
    return type(executor).__module__.startswith("distributed") and hasattr(executor, "scatter")


def resolve_jobs(n_jobs: int | None, name: str) -> int:
    """The number of local worker processes that ``n_jobs`` asks for, as joblib and
    scikit-learn read it: a positive count as it is; -1 every CPU, -2 all but one, ...
    (``joblib.cpu_count() + 1 + n_jobs``, so that the count respects the CPU affinity and
    container limits); None means 1, as in scikit-learn. 0, a negative value that leaves
    fewer than one worker, a bool or a float is a ValueError naming ``name`` and the value."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool) and n_jobs < 0:
        cpus = _cpu_count()
        jobs = cpus + 1 + int(n_jobs)
        if jobs < 1:
            raise ValueError(f"{name} = {n_jobs} leaves {cpus} + 1 + ({n_jobs}) = {jobs} "
                             f"workers of the {cpus} CPUs this process may use; a negative "
                             f"value must be at least {-cpus} (-1: every CPU), got {n_jobs}")
        return jobs
    return check_count(n_jobs, name, also="or a negative one counting from the CPUs (-1: "
                                           "every CPU, -2: all but one, ...)")


def _cpu_count() -> int:
    """The CPUs that this process may use, as joblib (it comes with scikit-learn) counts
    them."""
    return int(require("joblib", extra="sklearn").cpu_count())


def check_executor(executor: Any, n_jobs: int | None, where: str) -> int:
    """Refuse what cannot run tasks, naming the argument; return the number of local
    workers that ``n_jobs`` asks for (:func:`resolve_jobs`)."""
    jobs = resolve_jobs(n_jobs, f"{where}: n_jobs")
    if executor is not None and not (is_dask_client(executor)
                                     or isinstance(executor, Executor)):
        raise TypeError(f"{where}: executor must be None (local processes), a "
                        "dask.distributed.Client or a concurrent.futures.Executor, got "
                        f"{type(executor).__name__}")
    return jobs


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: Any = None,
              n_jobs: int | None = 1, shared: Any = None) -> Iterator[Outcome]:
    """Run ``fn(shared, *task)`` for every task; yield each :class:`Outcome` as it finishes
    (``outcome.index`` is the task's position in ``tasks``).

    ``shared`` (the data, say) is sent once to each worker rather than with every task.
    ``n_jobs`` local processes run the tasks when no ``executor`` is given; -1 is every
    CPU, -2 all but one, ... (:func:`resolve_jobs`).
    """
    n_jobs = check_executor(executor, n_jobs, "run_tasks")
    if executor is None and (n_jobs == 1 or len(tasks) <= 1):
        for index, task in enumerate(tasks):
            yield _run(fn, index, (shared, *task), one_thread=False)
    elif executor is None:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=min(n_jobs, len(tasks)), backend="loky",
                            return_as="generator_unordered")
        yield from parallel(delayed(_run)(fn, index, (shared, *task), True)
                            for index, task in enumerate(tasks))
    elif is_dask_client(executor):
        from distributed import as_completed as dask_completed

        data = executor.scatter(_Shared(shared), broadcast=True)
        futures = [executor.submit(_run, fn, index, (data, *task), True, pure=False)
                   for index, task in enumerate(tasks)]
        for future in dask_completed(futures):
            yield future.result()
    else:
        futures = [executor.submit(_run, fn, index, (shared, *task), True)
                   for index, task in enumerate(tasks)]
        for future in as_completed(futures):
            yield future.result()


def run_all(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: Any = None,
            n_jobs: int | None = 1, shared: Any = None, what: str = "task") -> list[Any]:
    """The values of every task in task order; raise if any task failed (with its error)."""
    outcomes = sorted(run_tasks(fn, tasks, executor, n_jobs, shared), key=lambda o: o.index)
    for outcome in outcomes:
        if not outcome.ok:
            raise RuntimeError(f"{what} {outcome.index} failed: {outcome.error}")
    return [outcome.value for outcome in outcomes]


def connect(address: str, timeout: float = 10.0) -> Any:
    """A ``dask.distributed.Client`` connected to the scheduler at ``address``
    (``tcp://host:port``); a clear error when Dask is missing or nobody answers."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(f"running on a Dask cluster needs dask.distributed: {INSTALL_HINT}"
                          ) from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as error:
        raise OSError(f"no Dask scheduler answered at {address} within {timeout:g} s "
                      f"({type(error).__name__}: {error})") from None
