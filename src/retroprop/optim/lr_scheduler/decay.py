"""Decaying rates, as PyTorch's chainable schedules: ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``PolynomialLR`` and ``CosineAnnealingLR``.

Each step computes the next rate from the current one, as ``torch.optim.lr_scheduler``
does (its ``get_lr``), so that ``get_last_lr()`` gives PyTorch's numbers (the closed form,
the docstring's formula, differs from them in the last bits) and two schedules chained
multiply their factors. ``restart`` (used by ``SequentialLR``) starts again from the base
rates, as PyTorch's closed form at epoch 0.
"""

from __future__ import annotations

import math

from retroprop.checks import check_count, check_rate
from retroprop.optim.lr_scheduler.base import LRScheduler, check_gamma, check_milestones
from retroprop.optim.optimizer import Optimizer


class StepLR(LRScheduler):
    """lr = base · γ^⌊epoch / step_size⌋ (``torch.optim.lr_scheduler.StepLR``): the rate
    is multiplied by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_count(step_size, "StepLR: step_size")
        self.gamma = check_gamma(gamma, "StepLR: gamma")
        super().__init__(optimizer)

    def rates(self) -> list[float]:
        if self.last_epoch % self.step_size:
            return self.get_last_lr()
        return [lr * self.gamma for lr in self.get_last_lr()]


class MultiStepLR(LRScheduler):
    """lr = base · γ^(number of milestones <= epoch) (``torch.optim.lr_scheduler
    .MultiStepLR``): the rate is multiplied by ``gamma`` at each milestone.

    ``milestones`` must be increasing positive integers (PyTorch also takes a milestone
    twice, for γ², and does not check the order).
    """

    def __init__(self, optimizer: Optimizer, milestones: list[int], gamma: float = 0.1
                 ) -> None:
        self.milestones = check_milestones(milestones, "MultiStepLR: milestones")
        self.gamma = check_gamma(gamma, "MultiStepLR: gamma")
        super().__init__(optimizer)

    def rates(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self.get_last_lr()
        return [lr * self.gamma for lr in self.get_last_lr()]


class ExponentialLR(LRScheduler):
    """lr = base · γ^epoch (``torch.optim.lr_scheduler.ExponentialLR``)."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_gamma(gamma, "ExponentialLR: gamma")
        super().__init__(optimizer)

    def rates(self) -> list[float]:
        return [lr * self.gamma for lr in self.get_last_lr()]


class PolynomialLR(LRScheduler):
    """lr = base · (1 - min(epoch, total_iters) / total_iters)^power
    (``torch.optim.lr_scheduler.PolynomialLR``): down to 0 in ``total_iters`` steps
    (a straight line for ``power=1``), then 0.

    Recursively, as PyTorch: lr ← lr · ((1 - t/T) / (1 - (t-1)/T))^power for t <= T.
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0
                 ) -> None:
        self.total_iters = check_count(total_iters, "PolynomialLR: total_iters")
        check_rate(power, "PolynomialLR: power")
        self.power = float(power)
        super().__init__(optimizer)

    def rates(self) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if t > total:
            return self.get_last_lr()
        factor = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * factor for lr in self.get_last_lr()]


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (base - η_min) (1 + cos(π epoch / T_max)) / 2
    (``torch.optim.lr_scheduler.CosineAnnealingLR``; SGDR without restarts, see
    ``CosineAnnealingWarmRestarts`` for them).

    Recursively, as PyTorch: lr ← η_min + (lr - η_min) (1 + cos(π t / T_max)) /
    (1 + cos(π (t-1) / T_max)); past ``T_max`` the rate rises again along the cosine.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_count(T_max, "CosineAnnealingLR: T_max")
        check_rate(eta_min, "CosineAnnealingLR: eta_min")
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def rates(self) -> list[float]:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - period) % (2 * period) == 0:  # leaving the bottom: 1 + cos = 0 before
            rise = (1 - math.cos(math.pi / period)) / 2
            return [lr + (base - low) * rise
                    for lr, base in zip(self.get_last_lr(), self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - low) + low for lr in self.get_last_lr()]
