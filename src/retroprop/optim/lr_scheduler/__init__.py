"""Learning-rate (and momentum) schedules, with ``torch.optim.lr_scheduler``'s interface:
build with an optimizer, call ``step()`` once per epoch (or per batch).

Every schedule follows one protocol (:class:`Scheduler`): ``step(metric=None)``,
``state_dict()`` / ``load_state_dict()``, and ``requires_metric`` (the plateau rule and the
bold driver need the monitored value); ``rp.callbacks.LearningRateScheduler`` drives any of
them from ``fit``, after every epoch or (``interval="batch"``, for ``OneCycleLR``) every
batch. A schedule of the learning rate refuses an optimizer that has none
(``has_lr = False``: vSGD, Levenberg–Marquardt).

PyTorch's schedules, with its names, arguments, defaults and numbers (``get_last_lr()``):
``LambdaLR``, ``MultiplicativeLR``, ``StepLR``, ``MultiStepLR``, ``ConstantLR``,
``LinearLR``, ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR``,
``CosineAnnealingWarmRestarts``, ``OneCycleLR``, ``SequentialLR``, ``ChainedScheduler``,
``ReduceLROnPlateau``; and ``WarmUp`` (a linear warm-up in closed form).

Berzal ("Backpropagation") asks for a global rate that adapts: lower it when the
validation error stalls (``ReduceLROnPlateau``), or raise it a little while the error falls
and cut it when the error rises (``BoldDriver``); momentum starts at 0.5 and rises to 0.9
or 0.99 (``MomentumSchedule``).
"""

from retroprop.optim.lr_scheduler.adaptive import BoldDriver, ReduceLROnPlateau, check_plateau
from retroprop.optim.lr_scheduler.base import LRScheduler, Scheduler
from retroprop.optim.lr_scheduler.combined import ChainedScheduler, SequentialLR
from retroprop.optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, OneCycleLR
from retroprop.optim.lr_scheduler.decay import (
           CosineAnnealingLR,
           ExponentialLR,
           MultiStepLR,
           PolynomialLR,
           StepLR,
)
from retroprop.optim.lr_scheduler.lambdas import LambdaLR, MultiplicativeLR
from retroprop.optim.lr_scheduler.momentum import MomentumSchedule
from retroprop.optim.lr_scheduler.warmup import ConstantLR, LinearLR, WarmUp

__all__ = ["BoldDriver", "ChainedScheduler", "ConstantLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "ExponentialLR", "LRScheduler", "LambdaLR",
           "LinearLR", "MomentumSchedule", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
           "PolynomialLR", "ReduceLROnPlateau", "Scheduler", "SequentialLR", "StepLR",
           "WarmUp", "check_plateau"]
