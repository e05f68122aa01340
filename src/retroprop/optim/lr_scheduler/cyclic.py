"""Cycles of the rate: cosine annealing with warm restarts (SGDR) and the one-cycle policy,
as PyTorch's ``CosineAnnealingWarmRestarts`` and ``OneCycleLR`` (closed forms, from the
base rates; not chainable)."""

from __future__ import annotations

import math
from typing import Any

from retroprop.checks import check_count, check_lr, check_range, check_rate
from retroprop.optim.lr_scheduler.base import LRScheduler
from retroprop.optim.optimizer import Optimizer


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = η_min + (base - η_min) (1 + cos(π T_cur / T_i)) / 2
    (``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``; Loshchilov & Hutter, SGDR).

    ``T_cur`` counts the steps since the last restart; at ``T_cur = T_i`` the rate jumps
    back to the base rate and the next period is ``T_mult`` times longer (T_0 = ``T_0``).
    Stepped per batch, ``T_0`` counts batches (PyTorch's fractional ``step(epoch)`` is
    not offered).
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1,
                 eta_min: float = 0.0) -> None:
        self.T_0 = check_count(T_0, "CosineAnnealingWarmRestarts: T_0")
        self.T_mult = check_count(T_mult, "CosineAnnealingWarmRestarts: T_mult")
        check_rate(eta_min, "CosineAnnealingWarmRestarts: eta_min")
        self.eta_min = float(eta_min)
        self.T_i, self.T_cur = self.T_0, 0
        super().__init__(optimizer)

    def start(self, rates: list[float]) -> list[float]:
        return self.rates()

    def restart(self, rates: list[float]) -> None:
        self.T_i, self.T_cur = self.T_0, 0
        super().restart(rates)

    def step(self, metric: float | None = None) -> None:
        self._no_value(metric)
        self.T_cur += 1
        if self.T_cur >= self.T_i:
            self.T_cur -= self.T_i
            self.T_i *= self.T_mult
        super().step()

    def rates(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


def _per_group(value: Any, name: str, groups: int) -> list[float]:
    """One number for every group, or a list (tuple) of one per group."""
    values = list(value) if isinstance(value, list | tuple) else [value] * groups
    if len(values) != groups:
        raise ValueError(f"OneCycleLR: {name} must be a number or a list of one per "
                         f"parameter group ({groups}), got a list of {len(values)}")
    return values


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin, "Super-convergence"), as
    ``torch.optim.lr_scheduler.OneCycleLR``: stepped after every batch, the rate rises from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of ``total_steps``,
    then falls to ``max_lr / (div_factor · final_div_factor)``; each phase anneals along a
    cosine, a + (b - a)(1 - cos(π p)) / 2, or a line, a + (b - a) p, for p from 0 to 1.
    ``three_phase=True`` falls back to the initial rate symmetrically first, then to the
    minimum (the paper's form; PyTorch's default is fastai's two phases).

    ``cycle_momentum`` (default True, as PyTorch) moves the momentum the other way, from
    ``max_momentum`` to ``base_momentum`` and back: SGD's, RMSprop's or AdaptiveGains's
    ``momentum`` (set even if it was 0), Adam's and AdamW's β₁ (``betas[0]``). An optimizer
    with neither (Adagrad, Rprop, the full-batch methods) is refused unless
    ``cycle_momentum=False``, as in PyTorch.

    ``total_steps``, or ``epochs`` and ``steps_per_epoch`` (total = their product); a step
    past ``total_steps`` is refused. At step ``total_steps`` (set after the last batch,
    never used) a linear anneal may pass below 0, which PyTorch sets: 0 here. Drive it
    from ``fit`` with ``LearningRateScheduler(schedule, interval="batch")``.

    Examples
    --------
    >>> import retroprop as rp
    >>> optimizer = rp.optim.SGD(rp.models.mlp([4, 3]).parameters(), lr=0.1, momentum=0.9)
    >>> schedule = rp.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    >>> group = optimizer.param_groups[0]
    >>> round(group["lr"], 4), group["momentum"]
    (0.04, 0.95)
    >>> rates = []
    >>> for batch in range(9):  # after each batch's optimizer.step()
    ...     schedule.step()
    ...     rates.append(round(group["lr"], 4))
    >>> rates
    [0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False) -> None:
        if not isinstance(optimizer, Optimizer) or not optimizer.has_lr:
            super().__init__(optimizer)  # refuses it
        if total_steps is not None:
            self.total_steps = check_count(total_steps, "OneCycleLR: total_steps")
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (check_count(epochs, "OneCycleLR: epochs")
                                * check_count(steps_per_epoch, "OneCycleLR: steps_per_epoch"))
        else:
            raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch; "
                             f"got total_steps=None, epochs={epochs!r}, "
                             f"steps_per_epoch={steps_per_epoch!r}")
        check_range(pct_start, "OneCycleLR: pct_start", 0.0, 1.0, high_open=False)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        check_lr(div_factor, "OneCycleLR: div_factor")
        check_lr(final_div_factor, "OneCycleLR: final_div_factor")
        self.pct_start, self.anneal_strategy = float(pct_start), anneal_strategy
        self.three_phase, self.cycle_momentum = bool(three_phase), bool(cycle_momentum)
        self._check_phases()
        groups = optimizer.param_groups
        self.max_lrs = [float(lr) for lr in _per_group(max_lr, "max_lr", len(groups))]
        for index, lr in enumerate(self.max_lrs):
            check_lr(lr, f"OneCycleLR: max_lr[{index}]" if isinstance(max_lr, list | tuple)
                     else "OneCycleLR: max_lr")
        self.min_lrs = [lr / div_factor / final_div_factor for lr in self.max_lrs]
        if self.cycle_momentum:
            self._momenta(optimizer, max_momentum, base_momentum)
        for group, lr in zip(groups, self.max_lrs, strict=True):
            group["initial_lr"] = lr / div_factor
        super().__init__(optimizer)

    def _check_phases(self) -> None:
        begin = 0.0
        for end, *_ in self._phases():
            if end == begin:
                raise ValueError(
                    f"OneCycleLR: pct_start={self.pct_start} with total_steps="
                    f"{self.total_steps} gives a phase of no steps (it ends at step "
                    f"{end:g}, where it begins): change pct_start or total_steps")
            begin = end

    def _momenta(self, optimizer: Optimizer, max_momentum: Any, base_momentum: Any) -> None:
        name = type(optimizer).__name__
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(f"OneCycleLR: {name} has no momentum or betas to cycle: pass "
                             "cycle_momentum=False")
        self.use_beta1 = "betas" in optimizer.defaults
        groups = len(optimizer.param_groups)
        self.max_momenta = [float(m) for m in _per_group(max_momentum, "max_momentum", groups)]
        self.base_momenta = [float(m) for m in _per_group(base_momentum, "base_momentum",
                                                          groups)]
        for values, name in ((self.max_momenta, "max_momentum"),
                             (self.base_momenta, "base_momentum")):
            for value in values:
                check_range(value, f"OneCycleLR: {name}", 0.0, 1.0)

    def _phases(self) -> list[tuple[float, str, str, str, str]]:
        """(last step, rate from, rate to, momentum from, momentum to) of each phase."""
        total, pct = self.total_steps, self.pct_start
        if self.three_phase:
            return [(float(pct * total) - 1, "initial", "max", "max", "base"),
                    (float(2 * pct * total) - 2, "max", "initial", "base", "max"),
                    (total - 1, "initial", "min", "max", "max")]
        return [(float(pct * total) - 1, "initial", "max", "max", "base"),
                (total - 1, "max", "min", "base", "max")]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def start(self, rates: list[float]) -> list[float]:
        return self.rates()

    def rates(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: step {step} is past total_steps="
                             f"{self.total_steps}: build the schedule for the whole run "
                             "(epochs × batches per epoch)")
        phases = self._phases()
        begin = 0.0
        for index, phase in enumerate(phases):
            if step <= phase[0] or index == len(phases) - 1:
                break
            begin = phase[0]
        end, lr_from, lr_to, momentum_from, momentum_to = phase
        pct = (step - begin) / (end - begin)
        rates = []
        for index, group in enumerate(self.optimizer.param_groups):
            lrs = {"initial": self.base_lrs[index], "max": self.max_lrs[index],
                   "min": self.min_lrs[index]}
            # past the last phase's end (step total_steps, after the last batch) a linear
            # anneal goes below the minimum, and below 0: PyTorch sets that rate, here 0
            rates.append(max(self._anneal(lrs[lr_from], lrs[lr_to], pct), 0.0))
            if self.cycle_momentum:
                momenta = {"max": self.max_momenta[index], "base": self.base_momenta[index]}
                momentum = self._anneal(momenta[momentum_from], momenta[momentum_to], pct)
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return rates
