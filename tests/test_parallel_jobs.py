"""``n_jobs`` as joblib and scikit-learn read it: -1 every CPU, -2 all but one, ..."""

import os
import sys

import joblib
import numpy as np
import pytest

from retroprop.parallel import run_all
from retroprop.parallel.executor import check_executor, resolve_jobs


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(joblib, "cpu_count", lambda: 4)


@pytest.mark.parametrize(("n_jobs", "workers"), [
    (1, 1), (3, 3), (np.int64(2), 2), (None, 1),
    (-1, 4), (-2, 3), (-4, 1), (np.int64(-1), 4),
])
def test_negative_n_jobs_count_from_the_cpus(four_cpus, n_jobs, workers):
    jobs = resolve_jobs(n_jobs, "n_jobs")
    assert jobs == workers and type(jobs) is int


@pytest.mark.parametrize(("n_jobs", "message"), [
    (0, "Bagging: n_jobs must be a positive integer or a negative one counting from the CPUs "
        r"\(-1: every CPU, -2: all but one, ...\), got 0"),
    (-5, r"Bagging: n_jobs = -5 leaves 4 \+ 1 \+ \(-5\) = 0 workers of the 4 CPUs this "
         r"process may use; a negative value must be at least -4 \(-1: every CPU\), got -5"),
    (-100, "Bagging: n_jobs = -100 leaves"),
    (True, "n_jobs must be a positive integer .*, got True"),
    (2.0, "n_jobs must be a positive integer .*, got 2.0"),
    (-1.0, "n_jobs must be a positive integer .*, got -1.0"),
    ("2", "n_jobs must be a positive integer .*, got '2'"),
])
def test_n_jobs_that_leave_no_worker_are_refused(four_cpus, n_jobs, message):
    with pytest.raises(ValueError, match=message):
        check_executor(None, n_jobs, "Bagging")


def test_minus_one_counts_the_cpus_as_joblib_does():
    assert resolve_jobs(-1, "n_jobs") == joblib.cpu_count() >= 1
    assert resolve_jobs(-joblib.cpu_count(), "n_jobs") == 1


def test_counting_the_cpus_without_joblib_names_the_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)  # `import joblib` now fails
    assert resolve_jobs(3, "n_jobs") == 3  # a count needs no CPU count
    with pytest.raises(ImportError, match=r"local worker processes \(n_jobs\) need 'joblib'"
                                          r'.*pip install "retroprop\[sklearn\]"'):
        resolve_jobs(-1, "n_jobs")


def _pid(shared, index):
    return shared, index, os.getpid()


def test_run_all_with_minus_one_starts_a_worker_per_cpu(monkeypatch):
    started = []
    parallel = joblib.Parallel

    def recording(*args, **kwargs):
        started.append(kwargs["n_jobs"])
        return parallel(*args, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", recording)
    tasks = [(i,) for i in range(joblib.cpu_count() + 1)]
    values = run_all(_pid, tasks, n_jobs=-1, shared="data")
    assert [(shared, index) for shared, index, _ in values] == [("data", i)
                                                                for i in range(len(tasks))]
    if joblib.cpu_count() > 1:  # one CPU: -1 is one worker, which runs here, serially
        assert started == [joblib.cpu_count()]
        assert os.getpid() not in {pid for _, _, pid in values}
