"""A search space: each hyperparameter's name and its domain (Berzal, "Backpropagation":
the hyperparameters — layers, units, η — chosen on a validation set or by
cross-validation).

>>> from retroprop import tune
>>> space = {"learning_rate_init": tune.log_uniform(1e-4, 1e-1),
...          "hidden_layer_sizes": tune.choice([(32,), (64, 32)]),
...          "alpha": tune.uniform(0.0, 1e-2), "batch_size": tune.integer(16, 128)}
>>> check_space(space)["hidden_layer_sizes"]
choice([(32,), (64, 32)])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def _is_integer(value: Any) -> bool:
    """An integral number, Python's or NumPy's, that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Domain:
    """The values one hyperparameter may take."""

    def suggest(self, trial: Any, name: str) -> Any:
        """Ask an Optuna trial for a value (stored in the trial as Optuna's type)."""
        raise NotImplementedError

    def decode(self, stored: Any) -> Any:
        """The value for the model from what Optuna stored."""
        return stored

    def grid(self, name: str) -> list[Any]:
        raise ValueError(f"grid search needs a finite set of values for {name!r}: give "
                         f"choice([...]) or integer(low, high), not {self!r}")


@dataclass(frozen=True)
class choice(Domain):  # lower case: reads as a function in a space declaration
    """One of ``values`` (any objects: tuples of layer sizes, names, numbers)."""

    values: Sequence[Any]

    def __post_init__(self) -> None:
        if isinstance(self.values, str) or not isinstance(self.values, Sequence) \
                or len(self.values) == 0:
            raise ValueError(f"choice needs a non-empty list of values, got {self.values!r}")
        object.__setattr__(self, "values", list(self.values))
        if len(set(self.keys())) != len(self.values):
            raise ValueError(f"choice: the values {self.values!r} repeat")

    def keys(self) -> list[Any]:
        """What Optuna stores: the value itself when it is a plain number, string, bool or
        None, else its ``repr``."""
        return [v if v is None or isinstance(v, bool | int | float | str) else repr(v)
                for v in self.values]

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_categorical(name, self.keys())

    def decode(self, stored: Any) -> Any:
        return self.values[self.keys().index(stored)]

    def grid(self, name: str) -> list[Any]:
        return self.keys()

    def __repr__(self) -> str:
        return f"choice({self.values!r})"


@dataclass(frozen=True)
class uniform(Domain):
    """A real number drawn uniformly from [low, high]."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"{type(self).__name__} needs finite low < high, got "
                             f"low={self.low!r}, high={self.high!r}")

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_float(name, self.low, self.high)


@dataclass(frozen=True)
class log_uniform(uniform):
    """A positive real number whose logarithm is uniform in [log low, log high] (learning
    rates, penalties)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low <= 0:
            raise ValueError(f"log_uniform needs 0 < low < high, got low={self.low!r}")

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_float(name, self.low, self.high, log=True)


@dataclass(frozen=True)
class integer(Domain):
    """An integer in [low, high] (both included), optionally on a log scale; ``low`` and
    ``high`` may be Python or NumPy integers and are kept as Python ints."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        if not (_is_integer(self.low) and _is_integer(self.high)
                and self.low <= self.high) or (self.log and self.low <= 0):
            raise ValueError(f"integer needs integers low <= high (low > 0 on a log scale), "
                             f"got low={self.low!r}, high={self.high!r}")
        object.__setattr__(self, "low", int(self.low))
        object.__setattr__(self, "high", int(self.high))

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def grid(self, name: str) -> list[Any]:
        return list(range(self.low, self.high + 1))


#: The names used in configuration files (``retroprop tune CONFIG.toml``).
DOMAINS = {"choice": choice, "uniform": uniform, "log_uniform": log_uniform,
           "integer": integer}


def check_space(space: Any) -> dict[str, Domain]:
    """The space as ``{name: Domain}``; a clear error for an empty or malformed one."""
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"the search space must be a non-empty dict {{name: domain}}, got "
                         f"{space!r}")
    for name, domain in space.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"search space: parameter names must be strings, got {name!r}")
        if not isinstance(domain, Domain):
            raise TypeError(f"search space: {name!r} must be choice([...]), uniform(a, b), "
                            f"log_uniform(a, b) or integer(a, b), got {domain!r}")
    return dict(space)


def parse_space(table: Mapping[str, Any]) -> dict[str, Domain]:
    """A space from a configuration table: ``lr = { log_uniform = [1e-4, 1e-1] }``,
    ``hidden = { choice = [[32], [64, 32]] }`` (lists become tuples)."""
    space: dict[str, Domain] = {}
    for name, spec in table.items():
        if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in DOMAINS:
            raise ValueError(f"[space] {name}: write {{ choice = [...] }}, {{ uniform = [a, b] "
                             f"}}, {{ log_uniform = [a, b] }} or {{ integer = [a, b] }}; got "
                             f"{spec!r}")
        kind, args = next(iter(spec.items()))
        if not isinstance(args, list):
            raise ValueError(f"[space] {name}: {kind} takes a list, got {args!r}")
        if kind == "choice":
            space[name] = choice([tuple(v) if isinstance(v, list) else v for v in args])
        else:
            if len(args) != 2:
                raise ValueError(f"[space] {name}: {kind} takes [low, high], got {args!r}")
            space[name] = DOMAINS[kind](*args)
    return check_space(space)
