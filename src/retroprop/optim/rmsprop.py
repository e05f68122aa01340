"""rmsprop (Berzal): divide each gradient by a running root mean square of its recent
values, "the mini-batch version of rprop"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, check_range
from retroprop.optim.optimizer import Closure, Optimizer


class RMSprop(Optimizer):
    """MeanSquare(w, t) = α MeanSquare(w, t-1) + (1 - α) (∂E/∂w)²

        w ← w - η ∂E/∂w / (√MeanSquare + ε)

    ``centered`` subtracts the square of a running mean of the gradient (an estimate
    of its variance); ``momentum`` μ accumulates b ← μ b + ∂E/∂w / (√MeanSquare + ε).
    Same update and defaults as ``torch.optim.RMSprop`` (η = 0.01, α = 0.99), where
    Berzal's slides use α = 0.9 (``RMSprop(params, alpha=0.9)``).

    ``maximize=True`` (keyword only) ascends E, as PyTorch: ∂E/∂w is replaced by
    g = -∂E/∂w + λ w (``weight_decay`` λ) everywhere above, the same steps as minimizing -E.
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_range(group["alpha"], "alpha", 0.0, 1.0)
        check_range(group["momentum"], "momentum", 0.0, 1.0)
        check_range(group["weight_decay"], "weight_decay", 0.0, float("inf"))
        check_lr(group["eps"], "eps")

    def _denominator(self, group: dict[str, Any], state: dict[str, Any]) -> np.ndarray:
        """√MeanSquare + ε (centered: √(MeanSquare - mean²) + ε)."""
        square = state["square_avg"]
        if group["centered"]:
            mean = state["grad_avg"]
            return np.sqrt(square - mean * mean) + group["eps"]
        return np.sqrt(square) + group["eps"]

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """η / (√MeanSquare + ε): the per-weight rate of the last step."""
        state = self.state.get(param)
        if not state:
            return 0.0
        group = self.group_of(param)
        return group["lr"] / self._denominator(group, state)

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients():
            alpha = group["alpha"]
            state = self.state.setdefault(param, {})
            square = state.setdefault("square_avg", np.zeros_like(param.data))
            square *= alpha
            square += (1 - alpha) * grad * grad
            if group["centered"]:
                mean = state.setdefault("grad_avg", np.zeros_like(param.data))
                mean *= alpha
                mean += (1 - alpha) * grad
            denominator = self._denominator(group, state)
            if group["momentum"]:
                buffer = state.setdefault("momentum_buffer", np.zeros_like(param.data))
                buffer *= group["momentum"]
                buffer += grad / denominator
                param.data -= group["lr"] * buffer
            else:
                param.data -= group["lr"] * grad / denominator
        return loss
