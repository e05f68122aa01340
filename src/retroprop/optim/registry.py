"""Optimizers by name, for the command line and configuration files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retroprop.optim.optimizer import Optimizer
from retroprop.optim.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD}


def create(name: str, params: Iterable[Any], **hyperparameters: Any) -> Optimizer:
    """``create("sgd", model.parameters(), lr=0.1, momentum=0.9)``."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(sorted(OPTIMIZERS))}")
    return OPTIMIZERS[key](params, **hyperparameters)
