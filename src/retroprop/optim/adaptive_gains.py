"""Per-weight adaptive gains (Berzal, "Tasas de aprendizaje adaptativas", after Hinton)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, check_range
from retroprop.optim.optimizer import Closure, Optimizer


class AdaptiveGains(Optimizer):
    """A global rate times a local gain per weight, Δw_ij = -η g_ij ∂E/∂w_ij, where

        g_ij(t) = g_ij(t-1) + gain_up      if ∂E/∂w_ij(t) · ∂E/∂w_ij(t-1) > 0
        g_ij(t) = g_ij(t-1) · gain_down    otherwise

    (additive increase, multiplicative decrease), clipped to [gain_min, gain_max].
    Gains start at 1 and are first updated at the second step, when a previous
    gradient exists. With ``momentum`` μ the change becomes a velocity,
    v ← μ v - η g ⊙ ∂E/∂w, w ← w + v (Berzal suggests combining them).

    Parameters
    ----------
    lr : float
    momentum : float, default 0
    gain_up : float, default 0.05
    gain_down : float, default 0.95
    gain_min, gain_max : float, default 0.1 and 10
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.01, momentum: float = 0.0,
                 gain_up: float = 0.05, gain_down: float = 0.95, gain_min: float = 0.1,
                 gain_max: float = 10.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, gain_up=gain_up,
                                      gain_down=gain_down, gain_min=gain_min, gain_max=gain_max))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_range(group["momentum"], "momentum", 0.0, 1.0)
        check_range(group["gain_down"], "gain_down", 0.0, 1.0)
        check_range(group["gain_up"], "gain_up", 0.0, float("inf"))
        if not 0 < group["gain_min"] <= 1 <= group["gain_max"]:
            raise ValueError(f"AdaptiveGains: need 0 < gain_min <= 1 <= gain_max, got "
                             f"gain_min={group['gain_min']}, gain_max={group['gain_max']}")

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """η g_ij: the per-weight rate of the last step."""
        state = self.state.get(param)
        return 0.0 if not state else self.group_of(param)["lr"] * state["gains"]

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients():
            state = self.state.setdefault(param, {})
            if "gains" not in state:
                state["gains"] = np.ones_like(param.data)
            else:
                agree = grad * state["previous_grad"] > 0
                gains = state["gains"]
                gains[agree] += group["gain_up"]
                gains[~agree] *= group["gain_down"]
                np.clip(gains, group["gain_min"], group["gain_max"], out=gains)
            state["previous_grad"] = grad.copy(order="K")
            change = -group["lr"] * state["gains"] * grad
            if group["momentum"]:
                velocity = state.setdefault("velocity", np.zeros_like(param.data))
                velocity *= group["momentum"]
                velocity += change
                change = velocity
            param.data += change
        return loss
