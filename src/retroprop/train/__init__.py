"""Training: the ``Trainer`` loop and metrics."""

from retroprop.train import metrics
from retroprop.train.trainer import Trainer

__all__ = ["Trainer", "metrics"]
