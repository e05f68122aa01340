"""Learning-rate (and momentum) schedules, with ``torch.optim.lr_scheduler``'s interface:
build with an optimizer, call ``step()`` once per epoch (or per batch).

Every schedule follows one protocol (:class:`Scheduler`): ``step(metric=None)``,
``state_dict()`` / ``load_state_dict()``, and ``requires_metric`` (the plateau rule and the
bold driver need the monitored value); ``rp.callbacks.LearningRateScheduler`` drives any of
them from ``fit``. A schedule of the learning rate refuses an optimizer that has none
(``has_lr = False``: vSGD, Levenberg–Marquardt).

Berzal ("Backpropagation") asks for a global rate that adapts: lower it when the
validation error stalls (``ReduceLROnPlateau``), or raise it a little while the error falls
and cut it when the error rises (``BoldDriver``); momentum starts at 0.5 and rises to 0.9
or 0.99 (``MomentumSchedule``).
"""

from __future__ import annotations

import copy
import math
from typing import Any, ClassVar

import numpy as np

from retroprop.checks import check_count, check_rate, is_real
from retroprop.optim.improvement import Improvement
from retroprop.optim.optimizer import Optimizer


class Scheduler:
    """The protocol of every schedule.

    ``step(metric=None)`` after each epoch (or batch); ``requires_metric`` says whether
    ``metric`` (the monitored value) is needed; ``epoch_begin()`` is called by the driver
    before an epoch whose training loss will be the next metric; ``state_dict()`` and
    ``load_state_dict()`` save and restore everything but the optimizer.
    """

    #: Whether ``step`` needs the monitored value.
    requires_metric: ClassVar[bool] = False
    #: Whether the schedule changes the learning rate (and so needs ``optimizer.has_lr``).
    changes_lr: ClassVar[bool] = True

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an Optimizer, got "
                            f"{type(optimizer).__name__}")
        if self.changes_lr and not optimizer.has_lr:
            raise TypeError(f"{name}: {type(optimizer).__name__} has no learning rate "
                            "(has_lr = False), so there is no rate to schedule")
        self.optimizer = optimizer

    def step(self, metric: float | None = None) -> bool | None:
        """Update the rates; a schedule may return whether it accepted the step
        (``BoldDriver``), the others return None."""
        raise NotImplementedError

    def epoch_begin(self) -> None:
        """The next metric is measured during the coming epoch, from the current weights."""

    def _metric(self, metric: float | None) -> float:
        if self.requires_metric and metric is None:
            raise ValueError(f"{type(self).__name__}.step needs the monitored value: "
                             "step(metric)")
        return float(metric)  # type: ignore[arg-type]

    def state_dict(self) -> dict[str, Any]:
        # parts with a state of their own (the plateau rule's improvement test, a wrapped
        # schedule) give their state_dict, so that the whole can be stored in a checkpoint
        return {k: v.state_dict() if hasattr(v, "load_state_dict") else copy.deepcopy(v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, value in copy.deepcopy(dict(state)).items():
            part = self.__dict__.get(name)
            if part is not None and hasattr(part, "load_state_dict"):
                part.load_state_dict(value)
            else:
                setattr(self, name, value)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()
                             if k != "optimizer" and not k.startswith("_")
                             and isinstance(v, int | float | str | bool | tuple))
        return f"{type(self).__name__}({settings})"


class LRScheduler(Scheduler):
    """Base: ``lr = base_lr · factor(epoch)`` for every group after each ``step()``."""

    def __init__(self, optimizer: Optimizer) -> None:
        super().__init__(optimizer)
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self, metric: float | None = None) -> None:
        self.last_epoch += 1
        self._set([base * self.factor(self.last_epoch) for base in self.base_lrs])

    def _set(self, rates: list[float]) -> None:
        """Give each group its new rate, which must be finite and at least 0 (0: no step,
        where cosine annealing ends). A group added after the schedule was built has no
        base rate: refused (PyTorch's closed forms leave it out, its chained ones decay it
        from its own rate)."""
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: built for an optimizer with {len(self.base_lrs)} "
                f"parameter group(s), which now has {groups} (add_param_group after the "
                "schedule): build the schedule again after adding the group")
        for rate in rates:
            check_rate(rate, f"{type(self).__name__}: the learning rate at step "
                             f"{self.last_epoch}")
        for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base · γ^⌊epoch / step_size⌋."""

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        check_count(step_size, "StepLR: step_size")
        if not is_real(gamma) or not 0 < gamma < math.inf:
            raise ValueError(f"StepLR: gamma must be a positive number, got {gamma!r}")
        super().__init__(optimizer)
        self.step_size, self.gamma = int(step_size), float(gamma)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base · γ^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if not is_real(gamma) or not 0 < gamma < math.inf:
            raise ValueError(f"ExponentialLR: gamma must be a positive number, got {gamma!r}")
        super().__init__(optimizer)
        self.gamma = gamma

    def factor(self, epoch: int) -> float:
        return self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (base - η_min) (1 + cos(π epoch / T_max)) / 2."""

    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        check_count(T_max, "CosineAnnealingLR: T_max")
        if not is_real(eta_min) or not 0 <= eta_min < math.inf:
            raise ValueError(f"CosineAnnealingLR: eta_min must be a number >= 0, got "
                             f"{eta_min!r}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = int(T_max), float(eta_min)

    def step(self, metric: float | None = None) -> None:
        self.last_epoch += 1
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        self._set([self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs])


class WarmUp(LRScheduler):
    """Linear warm-up: lr rises from start_factor · base to base over ``steps`` steps."""

    def __init__(self, optimizer: Optimizer, steps: int, start_factor: float = 0.1) -> None:
        check_count(steps, "WarmUp: steps")
        if not is_real(start_factor) or not 0 < start_factor <= 1:
            raise ValueError(f"WarmUp: start_factor must be in (0, 1], got {start_factor!r}")
        super().__init__(optimizer)
        self.steps, self.start_factor = int(steps), float(start_factor)
        for group, base in zip(optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * start_factor

    def factor(self, epoch: int) -> float:
        return self.start_factor + (1 - self.start_factor) * min(epoch, self.steps) / self.steps


def check_plateau(where: str, factor: Any, patience: Any, cooldown: Any, min_lr: Any) -> None:
    """The arguments of the plateau rule, shared by this schedule and the callback of its
    name: ``factor`` in (0, 1), ``patience`` and ``cooldown`` integers >= 0, ``min_lr`` one
    number >= 0 (PyTorch's list of one per group is not offered)."""
    if not is_real(factor) or not 0 < factor < 1:
        raise ValueError(f"{where}: factor must be in (0, 1), got {factor!r}")
    check_count(patience, f"{where}: patience", 0)
    check_count(cooldown, f"{where}: cooldown", 0)
    check_rate(min_lr, f"{where}: min_lr")


class ReduceLROnPlateau(Scheduler):
    """The plateau rule (Berzal, "Backpropagation": lower the rate when the validation
    error stalls), as ``torch.optim.lr_scheduler.ReduceLROnPlateau``: multiply every
    group's rate by ``factor`` when ``step(metric)`` has not improved for more than
    ``patience`` calls (``patience`` bad calls are tolerated, the next one lowers the
    rate), then wait ``cooldown`` calls; never below ``min_lr``.

    Improvement is :class:`~retroprop.optim.improvement.Improvement` with
    ``min_delta=threshold``, relative by default (``threshold_mode="rel"``, PyTorch's) or
    absolute (``"abs"``, what ``rp.callbacks.ReduceLROnPlateau``'s ``min_delta`` gives).
    The callback of that name drives this same rule, so both give one sequence.
    """

    requires_metric = True

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        super().__init__(optimizer)
        check_plateau("ReduceLROnPlateau", factor, patience, cooldown, min_lr)
        check_rate(eps, "ReduceLROnPlateau: eps")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.improvement = Improvement(mode, threshold, threshold_mode == "rel",
                                       "ReduceLROnPlateau")
        self.factor, self.patience, self.cooldown, self.min_lr, self.eps = (
            float(factor), int(patience), int(cooldown), float(min_lr), float(eps))
        self.bad_epochs = self.cooldown_left = 0

    @property
    def best(self) -> float:
        return self.improvement.best

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau({self.improvement!r}, factor={self.factor}, "
                f"patience={self.patience}, cooldown={self.cooldown}, min_lr={self.min_lr}; "
                f"{self.bad_epochs} bad epochs)")

    def step(self, metric: float | None = None) -> None:
        if self.improvement.update(self._metric(metric)):
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                new = max(group["lr"] * self.factor, self.min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_left, self.bad_epochs = self.cooldown, 0


class BoldDriver(Scheduler):
    """The adaptive global rate of Berzal's "Backpropagation" ("bold driver", Vogl et al.
    1988; Battiti 1989).

    Call ``step(loss)`` after each epoch (or full-batch step) with the error of the
    current weights: if it fell, keep the weights and multiply the rate by ``increase``
    (a little, 1.05); if it rose, go back to the weights of the last accepted point (undo
    the step) and multiply the rate by ``decrease`` (0.5). When the error was measured at
    other weights than the current ones (a training epoch reports the error *before* its
    updates), pass them as ``weights``, or call ``epoch_begin()`` before the epoch (the
    driving callback does). It keeps one copy of the parameters.
    """

    requires_metric = True

    def __init__(self, optimizer: Optimizer, increase: float = 1.05, decrease: float = 0.5
                 ) -> None:
        super().__init__(optimizer)
        if not increase > 1 or not 0 < decrease < 1:
            raise ValueError(f"BoldDriver: need increase > 1 and 0 < decrease < 1, got "
                             f"{increase} and {decrease}")
        self.increase, self.decrease = increase, decrease
        self.best_loss = math.inf
        self.saved = self.snapshot()
        self.pending: list[np.ndarray] | None = None
        self.undone = 0

    @property
    def params(self) -> list[Any]:
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def snapshot(self) -> list[np.ndarray]:
        """A copy of the parameters."""
        return [p.data.copy() for p in self.params]

    def epoch_begin(self) -> None:
        self.pending = self.snapshot()

    def step(self, metric: float | None = None, weights: list[np.ndarray] | None = None
             ) -> bool:
        """Returns True when the point was accepted, False when the step was undone."""
        loss = self._metric(metric)
        weights = weights if weights is not None else self.pending
        self.pending = None
        accepted = loss <= self.best_loss
        if accepted:
            self.best_loss = loss
            self.saved = self.snapshot() if weights is None else weights
        else:
            # a parameter of a group added since (add_param_group) has no earlier point
            for param, saved in zip(self.params, self.saved, strict=False):
                param.data[...] = saved
                param._version += 1
            self.optimizer.clear_state()  # velocities belong to the undone path
            self.undone += 1
        factor = self.increase if accepted else self.decrease
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
        return accepted


class MomentumSchedule(Scheduler):
    """Momentum rising linearly from ``start`` to ``end`` over ``steps`` calls of
    ``step()`` (Berzal, "Backpropagation": 0.5 while gradients are large, then 0.9 or
    0.99)."""

    changes_lr = False

    def __init__(self, optimizer: Optimizer, start: float = 0.5, end: float = 0.9,
                 steps: int = 10) -> None:
        super().__init__(optimizer)
        if "momentum" not in optimizer.defaults:
            raise ValueError(f"MomentumSchedule: {type(optimizer).__name__} has no momentum")
        for name, value in (("start", start), ("end", end)):
            if not 0 <= value < 1:
                raise ValueError(f"MomentumSchedule: {name} must be in [0, 1), got {value}")
        check_count(steps, "MomentumSchedule: steps")
        self.start, self.end, self.steps = start, end, int(steps)
        self.count = 0
        self._apply()

    def _apply(self) -> None:
        value = self.start + (self.end - self.start) * min(self.count, self.steps) / self.steps
        for group in self.optimizer.param_groups:
            group["momentum"] = value

    def step(self, metric: float | None = None) -> None:
        self.count += 1
        self._apply()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._apply()
