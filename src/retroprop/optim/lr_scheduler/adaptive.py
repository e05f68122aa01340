"""Rates that follow the error: the plateau rule (``ReduceLROnPlateau``) and the bold
driver (``BoldDriver``), the adaptive global rate of Berzal's "Backpropagation" (Granada):
lower the rate when the validation error stalls, or raise it a little while the error
falls and cut it when the error rises."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retroprop.checks import check_count, check_rate, is_real
from retroprop.optim.improvement import Improvement
from retroprop.optim.lr_scheduler.base import Scheduler
from retroprop.optim.optimizer import Optimizer


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
