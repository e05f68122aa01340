"""Schedules made of schedules: one after another (``SequentialLR``) or all at each step
(``ChainedScheduler``), as PyTorch's."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any, cast

from retroprop.optim.lr_scheduler.base import LRScheduler, Scheduler, check_milestones
from retroprop.optim.optimizer import Optimizer


class _Composite(Scheduler):
    """Schedules of one optimizer, saved with their own ``state_dict``."""

    unsaved = ("optimizer", "schedulers")
    #: Its schedules, each built on the optimizer, refused it or warned already.
    changes_lr = False

    def __init__(self, optimizer: Optimizer, schedulers: Iterable[Scheduler],
                 kind: type[Scheduler] = Scheduler) -> None:
        name = type(self).__name__
        self.schedulers = list(schedulers)
        if not self.schedulers:
            raise ValueError(f"{name}: schedulers is empty: give at least one schedule")
        super().__init__(optimizer)
        for index, schedule in enumerate(self.schedulers):
            if not isinstance(schedule, kind):
                raise TypeError(f"{name}: schedulers[{index}] must be a {kind.__name__}, "
                                f"got {type(schedule).__name__}")
            if schedule.requires_metric:
                raise ValueError(f"{name}: schedulers[{index}] ({type(schedule).__name__}) "
                                 "needs the monitored value at each step, which "
                                 f"{name}.step() does not give: drive it on its own")
            if schedule.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{index}] ({type(schedule).__name__}) "
                                 f"was built on another optimizer than {name}'s")

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(),
                "schedulers": [schedule.state_dict() for schedule in self.schedulers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        state = dict(state)
        saved = state.pop("schedulers")
        if len(saved) != len(self.schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state holds "
                             f"{len(saved)} schedules, this one {len(self.schedulers)}")
        for schedule, part in zip(self.schedulers, saved, strict=True):
            schedule.load_state_dict(part)
        self._load(state)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class SequentialLR(_Composite):
    """``schedulers[i]`` from step ``milestones[i-1]`` to ``milestones[i]``
    (``torch.optim.lr_scheduler.SequentialLR``): a warm-up, then a decay,
    ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)],
    milestones=[5])``.

    Built, every group's rate goes back to its ``initial_lr`` and the first schedule
    starts again from it; at a milestone the next schedule starts from the base rates
    (its step 0), then steps on its own.

    Examples
    --------
    >>> import retroprop as rp
    >>> from retroprop.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
    >>> optimizer = rp.optim.SGD(rp.models.mlp([4, 3]).parameters(), lr=1.0)
    >>> schedule = SequentialLR(optimizer, [LinearLR(optimizer, 0.25, total_iters=3),
    ...                                     CosineAnnealingLR(optimizer, T_max=4)], [3])
    >>> rates = [optimizer.param_groups[0]["lr"]]
    >>> for epoch in range(7):
    ...     schedule.step()
    ...     rates.append(round(optimizer.param_groups[0]["lr"], 4))
    >>> rates
    [0.25, 0.5, 0.75, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Iterable[LRScheduler],
                 milestones: Iterable[int]) -> None:
        super().__init__(optimizer, schedulers, LRScheduler)
        self.milestones = check_milestones(milestones, "SequentialLR: milestones")
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(self.schedulers)} schedules need "
                             f"{len(self.schedulers) - 1} milestones, got "
                             f"{list(self.milestones)}")
        self.last_epoch = 0
        initial = [group["initial_lr"] for group in optimizer.param_groups]
        cast(LRScheduler, self.schedulers[0]).restart(initial)

    def step(self, metric: float | None = None) -> None:
        self._no_value(metric)
        self.last_epoch += 1
        index = bisect_right(self.milestones, self.last_epoch)
        schedule = cast(LRScheduler, self.schedulers[index])
        if index > 0 and self.milestones[index - 1] == self.last_epoch:
            schedule.hand_over()
        else:
            schedule.step()


class ChainedScheduler(_Composite):
    """Every schedule's ``step()`` at each step, in order
    (``torch.optim.lr_scheduler.ChainedScheduler``): chainable schedules (``StepLR``,
    ``ExponentialLR``, ``ConstantLR``, ``LinearLR``, ...) multiply their factors;
    ``MomentumSchedule`` may join in. ``optimizer`` defaults to the first schedule's."""

    def __init__(self, schedulers: Iterable[Scheduler], optimizer: Optimizer | None = None
                 ) -> None:
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        super().__init__(optimizer, schedulers)  # type: ignore[arg-type]

    def step(self, metric: float | None = None) -> None:
        self._no_value(metric)
        for schedule in self.schedulers:
            schedule.step()
