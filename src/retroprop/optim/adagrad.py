"""Adagrad: per-weight rates that shrink with the accumulated squared gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, check_range
from retroprop.optim.optimizer import Closure, Optimizer


class Adagrad(Optimizer):
    """Duchi, Hazan and Singer (2011):  G ← G + (∂E/∂w)²,  w ← w - η_t ∂E/∂w / (√G + ε),
    with η_t = η / (1 + (t - 1) lr_decay). Same update as ``torch.optim.Adagrad``. Not
    named in the lectures: one of the adaptive learning rates ("tasas de aprendizaje
    adaptativas") that Berzal, "Backpropagation" (Granada), "En la práctica: Optimización"
    lists to speed up convergence.

    ``maximize=True`` (keyword only) ascends E, as PyTorch: ∂E/∂w is replaced by
    g = -∂E/∂w + λ w (``weight_decay`` λ) above, the same steps as minimizing -E.
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_lr(group["eps"], "eps")
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value"):
            check_range(group[name], name, 0.0, float("inf"))

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """η_t / (√G + ε): the per-weight rate of the last step."""
        state = self.state.get(param)
        if not state:
            return 0.0
        group = self.group_of(param)
        rate = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        return rate / (np.sqrt(state["sum"]) + group["eps"])

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients():
            state = self.state.setdefault(param, {})
            if "sum" not in state:
                state["step"] = 0
                state["sum"] = np.full_like(param.data, group["initial_accumulator_value"])
            state["step"] += 1
            state["sum"] += grad * grad
            rate = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            param.data -= rate * grad / (np.sqrt(state["sum"]) + group["eps"])
        return loss
