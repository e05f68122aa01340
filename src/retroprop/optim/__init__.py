"""Optimizers (seed 001, "En la práctica: Optimización") and learning-rate schedules."""

from retroprop.optim.optimizer import Optimizer
from retroprop.optim.registry import OPTIMIZERS, create
from retroprop.optim.sgd import SGD

__all__ = ["OPTIMIZERS", "SGD", "Optimizer", "create"]
