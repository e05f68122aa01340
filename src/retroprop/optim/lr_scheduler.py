"""Learning-rate (and momentum) schedules, with ``torch.optim.lr_scheduler``'s interface:
build with an optimizer, call ``step()`` once per epoch (or per batch).

Seed 001 asks for a global rate that adapts: lower it when the validation error stalls
(``ReduceLROnPlateau``), or raise it a little while the error falls and cut it when the
error rises (``BoldDriver``); momentum starts at 0.5 and rises to 0.9 or 0.99
(``MomentumSchedule``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retroprop.optim.optimizer import Optimizer


class LRScheduler:
    """Base: ``lr = base_lr · factor(epoch)`` for every group after each ``step()``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.factor(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class StepLR(LRScheduler):
    """lr = base · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base · γ^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if not 0 < gamma:
            raise ValueError(f"ExponentialLR: gamma must be positive, got {gamma}")
        super().__init__(optimizer)
        self.gamma = gamma

    def factor(self, epoch: int) -> float:
        return self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (base - η_min) (1 + cos(π epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def step(self) -> None:
        self.last_epoch += 1
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.eta_min + (base - self.eta_min) * cosine


class WarmUp(LRScheduler):
    """Linear warm-up: lr rises from start_factor · base to base over ``steps`` steps."""

    def __init__(self, optimizer: Optimizer, steps: int, start_factor: float = 0.1) -> None:
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f"WarmUp: steps must be a positive integer, got {steps!r}")
        if not 0 < start_factor <= 1:
            raise ValueError(f"WarmUp: start_factor must be in (0, 1], got {start_factor}")
        super().__init__(optimizer)
        self.steps, self.start_factor = steps, start_factor
        for group, base in zip(optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * start_factor

    def factor(self, epoch: int) -> float:
        return self.start_factor + (1 - self.start_factor) * min(epoch, self.steps) / self.steps


class ReduceLROnPlateau:
    """Multiply the rate by ``factor`` when ``step(metric)`` has not improved by
    ``threshold`` (relative) for ``patience`` calls; then wait ``cooldown`` calls."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.optimizer, self.mode, self.factor = optimizer, mode, factor
        self.patience, self.threshold, self.cooldown, self.min_lr = (patience, threshold,
                                                                     cooldown, min_lr)
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = self.cooldown_left = 0

    def step(self, metric: float) -> None:
        better = metric < self.best * (1 - self.threshold) if self.mode == "min" \
            else metric > self.best * (1 + self.threshold)
        if better:
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                group["lr"] = max(group["lr"] * self.factor, self.min_lr)
            self.cooldown_left, self.bad_epochs = self.cooldown, 0


class BoldDriver:
    """The adaptive global rate of seed 001 ("bold driver", Vogl et al. 1988; Battiti 1989).

    Call ``step(loss)`` after each epoch (or full-batch step) with the error of the
    current weights: if it fell, keep the weights and multiply the rate by ``increase``
    (a little, 1.05); if it rose, go back to the weights of the last accepted point (undo
    the step) and multiply the rate by ``decrease`` (0.5). When the error was measured at
    other weights than the current ones (a training epoch reports the error *before* its
    updates), pass them as ``weights``. It keeps one copy of the parameters.
    """

    def __init__(self, optimizer: Optimizer, increase: float = 1.05, decrease: float = 0.5
                 ) -> None:
        if not increase > 1 or not 0 < decrease < 1:
            raise ValueError(f"BoldDriver: need increase > 1 and 0 < decrease < 1, got "
                             f"{increase} and {decrease}")
        self.optimizer, self.increase, self.decrease = optimizer, increase, decrease
        self.best_loss = math.inf
        self.saved = self.snapshot()
        self.undone = 0

    @property
    def params(self) -> list[Any]:
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def snapshot(self) -> list[np.ndarray]:
        """A copy of the parameters."""
        return [p.data.copy() for p in self.params]

    def step(self, loss: float, weights: list[np.ndarray] | None = None) -> bool:
        """Returns True when the point was accepted, False when the step was undone."""
        accepted = loss <= self.best_loss
        if accepted:
            self.best_loss = loss
            self.saved = self.snapshot() if weights is None else weights
        else:
            for param, saved in zip(self.params, self.saved, strict=True):
                param.data[...] = saved
            self.optimizer.state.clear()  # velocities belong to the undone path
            self.undone += 1
        factor = self.increase if accepted else self.decrease
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
        return accepted


class MomentumSchedule:
    """Momentum rising linearly from ``start`` to ``end`` over ``steps`` calls of
    ``step()`` (seed 001: 0.5 while gradients are large, then 0.9 or 0.99)."""

    def __init__(self, optimizer: Optimizer, start: float = 0.5, end: float = 0.9,
                 steps: int = 10) -> None:
        if "momentum" not in optimizer.defaults:
            raise ValueError(f"MomentumSchedule: {type(optimizer).__name__} has no momentum")
        for name, value in (("start", start), ("end", end)):
            if not 0 <= value < 1:
                raise ValueError(f"MomentumSchedule: {name} must be in [0, 1), got {value}")
        self.optimizer, self.start, self.end, self.steps = optimizer, start, end, steps
        self.count = 0
        self._apply()

    def _apply(self) -> None:
        value = self.start + (self.end - self.start) * min(self.count, self.steps) / self.steps
        for group in self.optimizer.param_groups:
            group["momentum"] = value

    def step(self) -> None:
        self.count += 1
        self._apply()
