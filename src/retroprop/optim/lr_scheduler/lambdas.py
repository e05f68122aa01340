"""Rates given by the user's functions of the step: ``LambdaLR`` (a factor of the base
rate) and ``MultiplicativeLR`` (a factor of the current rate), as PyTorch's.

The functions are not saved by ``state_dict()``: a schedule is resumed by building it
again with its functions and loading its state (the step count). PyTorch saves the
attributes of callable objects (not of functions or lambdas); here neither.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from retroprop.optim.lr_scheduler.base import LRScheduler, Scheduler
from retroprop.optim.optimizer import Optimizer

Factor = Callable[[int], float]


def _functions(where: str, optimizer: Optimizer, lr_lambda: Any) -> list[Factor]:
    """One function per group: the one given, or a list (tuple) of one per group."""
    groups = len(optimizer.param_groups)
    functions = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * groups
    if len(functions) != groups:
        raise ValueError(f"{where}: lr_lambda must be a function or a list of one per "
                         f"parameter group ({groups}), got a list of {len(functions)}")
    for index, function in enumerate(functions):
        if not callable(function):
            raise TypeError(f"{where}: lr_lambda must be a function of the step, got "
                            f"{type(function).__name__}"
                            + (f" at index {index}" if isinstance(lr_lambda, list | tuple)
                               else ""))
    return functions


class _Functions(LRScheduler):
    """A schedule driven by functions of the step, which ``state_dict`` leaves out."""

    unsaved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Factor | Sequence[Factor]) -> None:
        Scheduler.__init__(self, optimizer)  # the optimizer first: its groups are counted
        self.lr_lambdas = _functions(type(self).__name__, optimizer, lr_lambda)
        super().__init__(optimizer)


class LambdaLR(_Functions):
    """lr = base · λ(epoch) (``torch.optim.lr_scheduler.LambdaLR``), with one function λ
    or a list of one per parameter group."""

    def start(self, rates: list[float]) -> list[float]:
        return self.rates()

    def rates(self) -> list[float]:
        return [base * float(function(self.last_epoch))
                for function, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_Functions):
    """lr ← lr · λ(epoch) at each step (``torch.optim.lr_scheduler.MultiplicativeLR``),
    with one function λ or a list of one per parameter group."""

    def rates(self) -> list[float]:
        return [lr * float(function(self.last_epoch))
                for function, lr in zip(self.lr_lambdas, self.get_last_lr(), strict=True)]

    def hand_over(self) -> None:
        """At a ``SequentialLR`` milestone PyTorch multiplies the current rate by λ(0)."""
        self.last_epoch = 0
        self._set(self.rates())
