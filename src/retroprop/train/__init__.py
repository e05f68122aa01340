"""Training: the ``Trainer`` loop, metrics and greedy layer-wise pre-training."""

from retroprop.train import metrics
from retroprop.train.pretrain import pretrain_layerwise
from retroprop.train.trainer import Trainer

__all__ = ["Trainer", "metrics", "pretrain_layerwise"]
