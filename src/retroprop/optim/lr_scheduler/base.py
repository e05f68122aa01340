"""The protocol of every schedule (:class:`Scheduler`) and the base of the schedules of the
learning rate (:class:`LRScheduler`, as ``torch.optim.lr_scheduler.LRScheduler``)."""

from __future__ import annotations

import copy
import itertools
import warnings
from typing import Any, ClassVar

from retroprop.checks import check_count, check_rate, is_real
from retroprop.optim.optimizer import Optimizer
from retroprop.stacklevel import user_stacklevel


def warn_initial_lr(name: str, optimizer: Optimizer) -> None:
    """Warn, at the user's line, that a schedule of an optimizer with ``lr_is_initial``
    changes nothing after the first step."""
    warnings.warn(f"{name}: {type(optimizer).__name__} reads lr only to size its first step "
                  "(Rprop's initial step sizes, as PyTorch's; conjugate gradient's first "
                  "trial step) and then adapts its steps on its own: the schedule changes "
                  "nothing after the first step", UserWarning, stacklevel=user_stacklevel())


class Scheduler:
    """The protocol of every schedule.

    ``step(metric=None)`` after each epoch (or batch); ``requires_metric`` says whether
    ``metric`` (the monitored value) is needed (the others refuse one); ``epoch_begin()``
    is called by the driver before an epoch whose training loss will be the next metric;
    ``state_dict()`` and ``load_state_dict()`` save and restore everything but the
    optimizer.
    """

    #: Whether ``step`` needs the monitored value.
    requires_metric: ClassVar[bool] = False
    #: Whether the schedule changes the learning rate (and so needs ``optimizer.has_lr``).
    changes_lr: ClassVar[bool] = True
    #: The attributes that ``state_dict`` leaves out.
    unsaved: ClassVar[tuple[str, ...]] = ("optimizer",)

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an Optimizer, got "
                            f"{type(optimizer).__name__}")
        if self.changes_lr and not optimizer.has_lr:
            raise TypeError(f"{name}: {type(optimizer).__name__} has no learning rate "
                            "(has_lr = False), so there is no rate to schedule")
        if self.changes_lr and optimizer.lr_is_initial:
            warn_initial_lr(name, optimizer)
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

    def _no_value(self, metric: float | None) -> None:
        """Refuse a value given to ``step`` by a schedule that needs none: PyTorch's
        deprecated ``step(epoch)`` jumps to that epoch, which would here be one silent step."""
        if metric is not None:
            raise TypeError(f"{type(self).__name__}.step() takes no value: it counts its own "
                            f"steps; got step({metric!r}) (PyTorch's deprecated step(epoch) "
                            "is not offered: load a state_dict to continue elsewhere)")

    def state_dict(self) -> dict[str, Any]:
        # parts with a state of their own (the plateau rule's improvement test, a wrapped
        # schedule) give their state_dict, so that the whole can be stored in a checkpoint
        return {k: v.state_dict() if hasattr(v, "load_state_dict") else copy.deepcopy(v)
                for k, v in self.__dict__.items() if k not in self.unsaved}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        self._load(state)

    def _check_state(self, state: Any) -> None:
        """Refuse what is no schedule's state: an optimizer's ``state_dict()`` swapped with
        the schedule's in a checkpoint became attributes of the schedule, silently."""
        name = type(self).__name__
        expected = set(self.state_dict())
        if not isinstance(state, dict) or (expected and not expected & set(state)):
            held = sorted(map(str, state)) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{name}.load_state_dict: expected the state_dict() of a {name} "
                             f"(with {sorted(expected)}), got {held} (an optimizer's state "
                             "goes to optimizer.load_state_dict)")

    def _load(self, state: dict[str, Any]) -> None:
        """Set the saved attributes; parts with a state of their own load theirs."""
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
    """Base of the schedules of the rate, as ``torch.optim.lr_scheduler.LRScheduler``.

    Built, it records each group's ``initial_lr`` (kept in the group, as PyTorch does, so
    that a second schedule built on the same optimizer starts from the same rates:
    ``base_lrs``) and sets the rates of step 0 (:meth:`start`); each ``step()`` adds 1 to
    ``last_epoch`` and sets :meth:`rates`. PyTorch's *chainable* schedules (``StepLR``,
    ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
    ``CosineAnnealingLR``, ``MultiplicativeLR``) compute the next rate from the current one,
    as here, so that two of them chained multiply their effects and ``get_last_lr()`` gives
    PyTorch's numbers; resuming them needs the optimizer's state too (its rates), as in
    PyTorch. The others compute from ``base_lrs``. An ``initial_lr`` already in a group
    stays (a schedule built for a second run starts from it, as in PyTorch): delete it to
    start from the current rate.

    Subclasses set their settings, then call ``super().__init__(optimizer)``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        super().__init__(optimizer)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._set(self.start(self.get_last_lr()))

    def start(self, rates: list[float]) -> list[float]:
        """The rates of step 0 from ``rates`` (the groups' rates when built): unchanged,
        unless the schedule starts elsewhere (``ConstantLR``, ``LinearLR``, ``LambdaLR``)."""
        return rates

    def rates(self) -> list[float]:
        """The rates at step ``last_epoch`` >= 1 (PyTorch's ``get_lr``)."""
        raise NotImplementedError

    def step(self, metric: float | None = None) -> None:
        self._no_value(metric)
        self._check_groups()
        self.last_epoch += 1
        self._set(self.rates())

    def restart(self, rates: list[float]) -> None:
        """Step 0 again, from ``rates`` (``SequentialLR`` when built restarts its first
        schedule from the initial rates)."""
        self.last_epoch = 0
        self._set(self.start(rates))

    def hand_over(self) -> None:
        """``SequentialLR`` reached this schedule's milestone: step 0 from ``base_lrs``
        (PyTorch's closed form at epoch 0)."""
        self.restart(self.base_lrs)

    def _set(self, rates: list[float]) -> None:
        """Give each group its new rate, which must be finite and at least 0 (0: no step,
        where cosine annealing ends). A group added after the schedule was built has no
        base rate: refused (PyTorch's closed forms leave it out, its chained ones decay it
        from its own rate)."""
        self._check_groups()
        for rate in rates:
            try:
                check_rate(rate, f"{type(self).__name__}: the learning rate at step "
                                 f"{self.last_epoch}")
            except ValueError as error:
                if not rate < 0:
                    raise
                raise ValueError(f"{error} (a chainable schedule computes it from the "
                                 "optimizer's current rate, which another schedule on the "
                                 "same optimizer, as in a ChainedScheduler, may have "
                                 "lowered below its floor)") from None
        for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate

    def _check_groups(self) -> None:
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: built for an optimizer with {len(self.base_lrs)} "
                f"parameter group(s), which now has {groups} (add_param_group after the "
                "schedule): build the schedule again after adding the group")

    def get_last_lr(self) -> list[float]:
        """Each group's current rate. PyTorch returns the rates its last step set, the
        same unless they were changed since, or the schedule's state was loaded without
        the optimizer's (PyTorch then gives the saved rates, here the optimizer's)."""
        return [group["lr"] for group in self.optimizer.param_groups]


def check_factor(value: Any, name: str, low_open: bool = True) -> float:
    """A multiplicative factor in (0, 1] (or [0, 1] when not ``low_open``), as a float."""
    if not is_real(value) or not ((0 < value if low_open else 0 <= value) and value <= 1):
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def check_gamma(value: Any, name: str) -> float:
    """A decay factor: a positive finite number, as a float."""
    if not is_real(value) or not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_milestones(value: Any, name: str) -> tuple[int, ...]:
    """Strictly increasing positive integers (steps at which something happens)."""
    try:
        steps = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a list of increasing positive integers, got "
                         f"{value!r}") from None
    counts = tuple(check_count(step, f"{name}[{i}]") for i, step in enumerate(steps))
    if any(b <= a for a, b in itertools.pairwise(counts)):
        raise ValueError(f"{name} must be increasing, got {list(counts)}")
    return counts
