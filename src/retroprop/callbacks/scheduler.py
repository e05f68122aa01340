"""``LearningRateScheduler``: drive a schedule of :mod:`retroprop.optim.lr_scheduler` (or a
Keras-style function) from the training loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retroprop.callbacks.base import Callback, Logs, monitored
from retroprop.optim.lr_scheduler import BoldDriver, ReduceLROnPlateau


class LearningRateScheduler(Callback):
    """Step a schedule at the end of every epoch.

    Parameters
    ----------
    schedule : scheduler or callable
        A scheduler (``StepLR``, ``CosineAnnealingLR``, ``WarmUp``, ``MomentumSchedule``,
        ...), stepped after each epoch; a metric-driven one (``ReduceLROnPlateau``,
        ``BoldDriver``) gets ``logs[monitor]``. A function ``f(epoch, lr) -> lr`` (Keras)
        sets the rate of every group at the start of each epoch.
    monitor : str, default "loss"
        The value given to metric-driven schedules. BoldDriver watching the training
        error "loss" (measured during the epoch, before its updates) is told the weights
        of the epoch's start; with "val_loss" it judges the current weights.
    """

    def __init__(self, schedule: Any, monitor: str = "loss") -> None:
        self.schedule, self.monitor = schedule, monitor
        self.function: Callable[[int, float], float] | None = None
        self.weights: list[Any] | None = None
        if not hasattr(schedule, "step"):
            if not callable(schedule):
                raise TypeError("LearningRateScheduler: schedule must be a scheduler or a "
                                f"function f(epoch, lr), got {type(schedule).__name__}")
            self.function = schedule

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if isinstance(self.schedule, BoldDriver) and not self.monitor.startswith("val_"):
            self.weights = self.schedule.snapshot()  # the epoch's loss is measured here
        if self.function is not None:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = float(self.function(epoch, group["lr"]))

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.function is not None:
            return
        value = monitored(logs, self.monitor, "LearningRateScheduler") \
            if isinstance(self.schedule, ReduceLROnPlateau | BoldDriver) else None
        if isinstance(self.schedule, BoldDriver):
            self.schedule.step(value, self.weights)  # type: ignore[arg-type]
        elif isinstance(self.schedule, ReduceLROnPlateau):
            self.schedule.step(value)  # type: ignore[arg-type]
        else:
            self.schedule.step()
