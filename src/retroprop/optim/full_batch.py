"""Shared machinery of the full-batch methods, which see the weights as one vector."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.optim import flat
from retroprop.optim.line_search import LineSearchResult, Point, strong_wolfe
from retroprop.optim.optimizer import Closure, Optimizer


class FullBatchOptimizer(Optimizer):
    """Base of the methods that take ``step(closure)`` and run up to ``max_iter`` iterations
    per step (as ``torch.optim.LBFGS``). The closure must zero the gradients, compute the
    loss on the whole training set, call ``backward()`` and return the loss."""

    requires_closure = True

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} does not support parameter groups: "
                             "it treats all parameters as one vector")
        self.params = self.param_groups[0]["params"]

    @property
    def shared_state(self) -> dict[str, Any]:
        """The method's state, kept under the first parameter."""
        return self.state.setdefault(self.params[0], {})

    def _loss_and_grad(self, closure: Closure) -> tuple[float, np.ndarray]:
        loss = float(self._evaluate(closure))
        return loss, flat.gather_grad(self.params).astype(np.float64)

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
