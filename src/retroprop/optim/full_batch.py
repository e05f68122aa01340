"""Shared machinery of the full-batch methods, which see the weights as one vector."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from retroprop.optim import flat
from retroprop.optim.line_search import LineSearchResult, Point, strong_wolfe
from retroprop.optim.optimizer import Closure, Optimizer


class FullBatchOptimizer(Optimizer):
    """Base of the methods that take ``step(closure)`` and run up to ``max_iter`` iterations
    per step (as ``torch.optim.LBFGS``). The closure must zero the gradients, compute the
    loss on the whole training set, call ``backward()`` and return the loss."""

    step_kind = "closure"
    full_batch = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _recording_descent_rate(cls.step)  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        self._first_grad: np.ndarray | None = None
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} does not support parameter groups: "
                             "it treats all parameters as one vector")
        self.params = self.param_groups[0]["params"]

    def _loaded_state(self, param: Any, saved: dict[str, Any]) -> dict[str, Any]:
        """The method's vectors stay float64 whatever the parameters' dtype."""
        return copy.deepcopy(saved)

    @property
    def shared_state(self) -> dict[str, Any]:
        """The method's state, kept under the first parameter."""
        return self.state.setdefault(self.params[0], {})

    def _loss_and_grad(self, closure: Closure) -> tuple[float, np.ndarray]:
        loss = float(self._evaluate(closure))
        grad = flat.gather_grad(self.params).astype(np.float64)
        if self._first_grad is None:
            self._first_grad = grad
        return loss, grad

    def _directional(self, closure: Closure, origin: np.ndarray, direction: np.ndarray):
        """E and ∇E at w + t d, for the line search; leaves w unchanged."""
        def evaluate(t: float) -> tuple[float, np.ndarray]:
            flat.add(self.params, t, direction)
            try:
                return self._loss_and_grad(closure)
            finally:
                flat.scatter(self.params, origin)
        return evaluate

    def _line_search(self, closure: Closure, loss: float, grad: np.ndarray,
                     direction: np.ndarray, t: float, budget: int, c2: float = 0.9
                     ) -> LineSearchResult:
        origin = flat.gather(self.params)
        start = Point(0.0, loss, grad, float(grad @ direction))
        return strong_wolfe(self._directional(closure, origin, direction), direction, start, t,
                            c2=c2, tolerance_change=self.param_groups[0]["tolerance_change"],
                            max_iterations=max(budget, 0))


def _recording_descent_rate(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a full-batch ``step`` so that it records the step length along steepest descent,
    η = max(0, −⟨Δw, g⟩ / ⟨g, g⟩) with g the gradient at the step's start (the step size of
    the L1 soft-threshold, see ``Optimizer.prox_rate``)."""

    @functools.wraps(step)
    def wrapper(self: FullBatchOptimizer, closure: Any = None) -> Any:
        start = flat.gather(self.params).astype(np.float64)
        self._first_grad = None
        loss = step(self, closure)
        grad = self._first_grad
        if grad is not None:
            change = flat.gather(self.params).astype(np.float64) - start
            self._record_descent_rate(-float(change @ grad), float(grad @ grad))
        return loss

    return wrapper
