"""Hyperparameter search: ``rp.tune(model, space, X, y, method=...)`` (the same as
``rp.tune.search``) over a space of ``choice``, ``uniform``, ``log_uniform`` and
``integer`` domains, by grid, random, Bayesian (Gaussian process) or genetic search, with
Optuna's samplers and storage (``pip install retroprop[tune]``)."""

import sys
import types
from typing import Any

from retroprop.tune.result import TuneResult
from retroprop.tune.search import METHODS, search
from retroprop.tune.space import choice, integer, log_uniform, parse_space, uniform

__all__ = ["METHODS", "TuneResult", "choice", "integer", "log_uniform", "parse_space",
           "search", "uniform"]


class _CallableModule(types.ModuleType):
    """Lets ``rp.tune(...)`` call :func:`search` while ``rp.tune.choice`` stays a name."""

    def __call__(self, *args: Any, **kwargs: Any) -> TuneResult:
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
