"""Momentum that rises during training (Berzal, "Backpropagation", Granada)."""

from __future__ import annotations

from typing import Any

from retroprop.checks import check_count
from retroprop.optim.lr_scheduler.base import Scheduler
from retroprop.optim.optimizer import Optimizer


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
        self._no_value(metric)
        self.count += 1
        self._apply()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._apply()
