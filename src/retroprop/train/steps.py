"""How one batch becomes one optimizer step, chosen once per ``fit`` from the optimizer's
``step_kind`` (see :mod:`retroprop.optim.optimizer`).

* :class:`GradientStep`: forward, loss (with the penalties), backward, clipping, ``step()``
  (the gradient methods of Berzal, "Backpropagation", and of Tobón & Aguirre).
* :class:`ClosureStep`: ``step(closure)`` for methods that evaluate the loss several times
  per step (conjugate gradient, quasi-Newton, Newton, vSGD's curvature probe).
* :class:`ResidualStep`: ``step(residuals)`` for Levenberg–Marquardt.

Within one closure or residual step every evaluation sees the same function: dropout masks
and noise are drawn from the same seed each time (:func:`retroprop.random.fixed_draws`),
and buffers such as batch norm's running statistics are reset before each evaluation and
end the step updated once, as one gradient step would leave them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.ops.shape import concatenate
from retroprop.random import fixed_draws, generator
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor

if TYPE_CHECKING:
    from retroprop.train.trainer import Trainer

StepResult = tuple[float, np.ndarray]


class GradientStep:
    """zero_grad, forward, loss, backward, clip, ``optimizer.step(closure)``, constraints.
    The closure returns the loss just computed (what it would give if it computed it
    again), for the methods that compare errors (``Rprop(variant="irprop+")``)."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def __call__(self, xb: np.ndarray, yb: np.ndarray) -> StepResult:
        trainer = self.trainer
        trainer.optimizer.zero_grad()
        loss, outputs = trainer.compute_loss(xb, yb)
        if loss is None or not math.isfinite(value := loss.item()):
            return math.nan if loss is None else value, outputs
        loss.backward()
        trainer.clip_gradients()
        trainer.optimizer.step(lambda: value)  # the batch's loss, for methods that compare
        trainer.constrain()
        return value, outputs


class _RepeatedEvaluations:
    """Shared by the steps whose optimizer evaluates the model several times."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.buffers = [array for _, array in trainer.model.named_buffers()]

    @contextmanager
    def same_function(self) -> Iterator[Callable[[Callable[[], Any]], Any]]:
        """Yield ``evaluate(fn)``, which runs ``fn`` with this step's noise and buffers."""
        seed = int(generator().integers(2**63))
        start = [array.copy() for array in self.buffers]
        after_first: list[np.ndarray] = []

        def evaluate(fn: Callable[[], Any]) -> Any:
            for array, saved in zip(self.buffers, start, strict=True):
                np.copyto(array, saved)
            with fixed_draws(seed):
                result = fn()
            if not after_first:
                after_first.extend(array.copy() for array in self.buffers)
            return result

        yield evaluate
        for array, saved in zip(self.buffers, after_first or start, strict=True):
            np.copyto(array, saved)


class ClosureStep(_RepeatedEvaluations):
    """``optimizer.step(closure)``; the closure zeroes the gradients, computes the loss on the
    batch (the whole training set for full-batch methods) and calls backward. The value it
    returns leaves out the L1 terms, which the proximal step after the step minimizes, so
    that line searches compare a function with its own gradient. (The Trainer refuses
    gradient clipping with these methods: a clipped gradient is not the loss's.)"""

    def __call__(self, xb: np.ndarray, yb: np.ndarray) -> StepResult:
        trainer = self.trainer
        first: list[StepResult] = []

        def loss_and_gradient() -> float:
            trainer.optimizer.zero_grad()
            loss, outputs = trainer.compute_loss(xb, yb)
            value = math.nan if loss is None else loss.item()
            if loss is not None and math.isfinite(value):
                loss.backward()
            if not first:
                first.append((value, outputs))
            return value - sum(m.proximal_penalty() for m in trainer.penalized)

        with self.same_function() as evaluate:
            trainer.optimizer.step(lambda: evaluate(loss_and_gradient))
        trainer.constrain()
        return first[0]


class ResidualStep(_RepeatedEvaluations):
    """``optimizer.step(residuals)`` with r = (the loss's residuals, √λ w for every L2
    penalty), so that ½ Σ r² is the loss E with its L2 terms (Levenberg–Marquardt)."""

    def __call__(self, xb: np.ndarray, yb: np.ndarray) -> StepResult:
        trainer = self.trainer
        penalties = [m.penalty_residuals for m in trainer.penalized]

        def residuals() -> Tensor:
            outputs = trainer.model(Tensor._wrap(xb))
            parts = [trainer.training_loss.residuals(outputs, yb).reshape(-1)]
            parts += [term for terms in penalties for term in terms()]
            return parts[0] if len(parts) == 1 else concatenate(parts)

        with self.same_function() as evaluate:
            with no_grad():
                loss, outputs = evaluate(lambda: trainer.compute_loss(xb, yb))
            value = math.nan if loss is None else loss.item()
            if math.isfinite(value):
                trainer.optimizer.step(lambda: evaluate(residuals))
        if math.isfinite(value):
            trainer.constrain()
        return value, outputs


STRATEGIES: dict[str, type[GradientStep] | type[ClosureStep] | type[ResidualStep]] = {
    "gradient": GradientStep, "closure": ClosureStep, "residuals": ResidualStep,
}


def step_strategy(trainer: Trainer) -> Callable[[np.ndarray, np.ndarray], StepResult]:
    """The strategy for ``trainer.optimizer.step_kind``; an unknown kind is an error."""
    kind = trainer.optimizer.step_kind
    if kind not in STRATEGIES:
        raise TypeError(f"Trainer: {type(trainer.optimizer).__name__}.step_kind is {kind!r}; "
                        f"the Trainer knows {sorted(STRATEGIES)}")
    return STRATEGIES[kind](trainer)
