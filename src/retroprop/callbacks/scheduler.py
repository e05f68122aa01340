"""``LearningRateScheduler``: drive any schedule of :mod:`retroprop.optim.lr_scheduler` (or a
Keras-style function) from the training loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retroprop.callbacks.base import Callback, Logs, monitored
from retroprop.checks import check_rate
from retroprop.optim.lr_scheduler import Scheduler
from retroprop.optim.lr_scheduler.base import warn_initial_lr


class LearningRateScheduler(Callback):
    """Step a schedule at the end of every epoch (or batch).

    Parameters
    ----------
    schedule : Scheduler or callable
        Any schedule of the :class:`~retroprop.optim.lr_scheduler.Scheduler` protocol
        (``StepLR``, ``CosineAnnealingLR``, ``WarmUp``, ``MomentumSchedule``,
        ``ReduceLROnPlateau``, ``BoldDriver``, ...), stepped after each epoch; one that
        ``requires_metric`` gets ``logs[monitor]``. A function ``f(epoch, lr) -> lr``
        (Keras) sets the rate of every group at the start of each epoch.
    interval : {"epoch", "batch"}, default "epoch"
        When the schedule steps: after every epoch, or after every training batch
        (``OneCycleLR``, and ``CosineAnnealingWarmRestarts`` counted in batches; PyTorch
        users call ``scheduler.step()`` in the batch loop). A full-batch optimizer takes
        one batch an epoch. Metric-driven schedules and functions step per epoch only.
        The logs' ``"lr"`` is the rate of the first group at the epoch's end: the rate the
        epoch trained with, or per batch the rate after its last batch's step (the next
        batch's).
    monitor : str, default "loss"
        The value given to metric-driven schedules. The training "loss" is measured during
        the epoch, before its updates: the schedule is told at the epoch's start
        (``epoch_begin``); a "val_" value judges the current weights.
    verbose : int, default 0
        1: print Keras's line as a function sets the rate, "Epoch N: LearningRateScheduler
        setting learning rate to LR." (epochs counted from 1).
    """

    def __init__(self, schedule: Scheduler | Callable[[int, float], float],
                 monitor: str = "loss", interval: str = "epoch", verbose: int = 0) -> None:
        if interval not in ("epoch", "batch"):
            raise ValueError("LearningRateScheduler: interval must be 'epoch' or 'batch', "
                             f"got {interval!r}")
        self.monitor, self.interval, self.verbose = monitor, interval, verbose
        self.schedule: Scheduler | None = None
        self.function: Callable[[int, float], float] | None = None
        #: The schedule's class (None: a function), saved in training checkpoints: a
        #: resumed fit must drive the same kind (another would load a state not its own).
        self.schedule_class = type(schedule).__name__ if isinstance(schedule, Scheduler) \
            else None
        if isinstance(schedule, Scheduler):
            self.schedule = schedule
        elif callable(schedule):
            self.function = schedule
        else:
            raise TypeError("LearningRateScheduler: schedule must be a Scheduler or a "
                            f"function f(epoch, lr), got {type(schedule).__name__}")
        if interval == "batch" and (self.schedule is None or self.schedule.requires_metric):
            what = "a function f(epoch, lr)" if self.schedule is None else \
                f"{type(self.schedule).__name__}, which needs the monitored value,"
            raise ValueError(f"LearningRateScheduler: {what} steps once an epoch: "
                             "interval='batch' is for schedules such as OneCycleLR")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "schedule_class" in state:  # (checkpoints written before 2026-11-25 do not say)
            saved, own = (entry or "a function f(epoch, lr)" for entry in
                          (state["schedule_class"]["value"], self.schedule_class))
            if saved != own:
                raise ValueError(f"LearningRateScheduler: the training checkpoint's schedule "
                                 f"is {saved}, this run's {own}: resume with the schedule the "
                                 "run began with")
        super().load_state_dict(state)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Refuse a function without a rate to set, and a schedule built on another optimizer
        than the Trainer's (its rates would change nothing that trains); warn of a function
        for an optimizer that reads its rate only at the first step, as schedules do."""
        optimizer = self.trainer.optimizer
        if self.function is not None and not optimizer.has_lr:
            raise TypeError(f"LearningRateScheduler: {type(optimizer).__name__} "
                            "has no learning rate to schedule")
        if self.function is not None and optimizer.lr_is_initial:
            warn_initial_lr("LearningRateScheduler", optimizer)
        if self.schedule is not None and self.schedule.optimizer is not optimizer:
            raise ValueError(f"LearningRateScheduler: {self.schedule!r} was built on a "
                             f"{type(self.schedule.optimizer).__name__} that is not the "
                             "Trainer's optimizer (was the optimizer built again after the "
                             "schedule?): build the schedule on the optimizer you train with")

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.function is not None:
            for group in self.trainer.optimizer.param_groups:
                rate = self.function(epoch, group["lr"])
                check_rate(rate, f"LearningRateScheduler: the function's learning rate for "
                                 f"epoch {epoch}")
                group["lr"] = float(rate)
            if self.verbose:
                print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{self.trainer.optimizer.param_groups[0]['lr']}.")
        elif self.schedule is not None and self.schedule.requires_metric \
                and not self.monitor.startswith("val_"):
            self.schedule.epoch_begin()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.interval == "batch" and self.schedule is not None:
            self.schedule.step()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.schedule is None or self.interval == "batch":
            return
        metric: Any = monitored(logs, self.monitor, "LearningRateScheduler",
                                getattr(self, "params", None)) \
            if self.schedule.requires_metric else None
        if self.schedule.requires_metric and metric is None:
            return  # an epoch without validation (fit's validation_freq)
        self.schedule.step(metric)

    def __repr__(self) -> str:
        what = self.schedule if self.schedule is not None else self.function
        return (f"LearningRateScheduler({what!r}, monitor={self.monitor!r}, "
                f"interval={self.interval!r})")
