"""Rates that start low and reach the base rate: ``ConstantLR``, ``LinearLR`` (PyTorch's,
chainable: each step from the current rate) and ``WarmUp`` (retroprop's closed form of a
linear warm-up)."""

from __future__ import annotations

from retroprop.checks import check_count
from retroprop.optim.lr_scheduler.base import LRScheduler, check_factor
from retroprop.optim.optimizer import Optimizer


class ConstantLR(LRScheduler):
    """lr = base · factor for epoch < total_iters, then base
    (``torch.optim.lr_scheduler.ConstantLR``): a constant warm-up.

    ``factor`` in (0, 1] (PyTorch also takes 0, and then divides by it at ``total_iters``).
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5
                 ) -> None:
        self.factor = check_factor(factor, "ConstantLR: factor")
        self.total_iters = check_count(total_iters, "ConstantLR: total_iters")
        super().__init__(optimizer)

    def start(self, rates: list[float]) -> list[float]:
        return [lr * self.factor for lr in rates]

    def rates(self) -> list[float]:
        if self.last_epoch != self.total_iters:
            return self.get_last_lr()
        return [lr * (1.0 / self.factor) for lr in self.get_last_lr()]


class LinearLR(LRScheduler):
    """lr = base · (s + (e - s) · min(epoch, total_iters) / total_iters)
    (``torch.optim.lr_scheduler.LinearLR``): the factor goes in a straight line from
    ``start_factor`` s in (0, 1] to ``end_factor`` e in [0, 1] over ``total_iters`` steps,
    then stays (a warm-up for e = 1, a decay to e otherwise).

    Recursively, as PyTorch: lr ← lr · (1 + (e - s) / (T s + (t - 1)(e - s))) for t <= T;
    with e = 0 a rate that rounding takes below 0 at t = T is 0 (PyTorch sets it).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5) -> None:
        self.start_factor = check_factor(start_factor, "LinearLR: start_factor")
        self.end_factor = check_factor(end_factor, "LinearLR: end_factor", low_open=False)
        self.total_iters = check_count(total_iters, "LinearLR: total_iters")
        super().__init__(optimizer)

    def start(self, rates: list[float]) -> list[float]:
        return [lr * self.start_factor for lr in rates]

    def rates(self) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if t > total:
            return self.get_last_lr()
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (total * self.start_factor + (t - 1) * change)
        # with end_factor = 0 the last factor is 0 up to rounding, -1e-16 say: PyTorch
        # sets that rate (-7e-19), here 0
        return [max(lr * factor, 0.0) for lr in self.get_last_lr()]


class WarmUp(LRScheduler):
    """Linear warm-up: lr = base · (s + (1 - s) · min(epoch, steps) / steps), rising from
    ``start_factor`` s · base to base over ``steps`` steps. The closed form of
    ``LinearLR(start_factor=s, end_factor=1, total_iters=steps)``, from the base rates."""

    def __init__(self, optimizer: Optimizer, steps: int, start_factor: float = 0.1) -> None:
        self.steps = check_count(steps, "WarmUp: steps")
        self.start_factor = check_factor(start_factor, "WarmUp: start_factor")
        super().__init__(optimizer)

    def start(self, rates: list[float]) -> list[float]:
        return [base * self.start_factor for base in self.base_lrs]

    def rates(self) -> list[float]:
        factor = self.start_factor + (1 - self.start_factor) * min(self.last_epoch,
                                                                   self.steps) / self.steps
        return [base * factor for base in self.base_lrs]
