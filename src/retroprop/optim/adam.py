"""Adam and AdamW: moving averages of the gradient and of its square, with bias correction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, check_range, pair
from retroprop.optim.optimizer import Closure, Optimizer


class Adam(Optimizer):
    """Kingma and Ba (2015), as ``torch.optim.Adam``:

        m ← β1 m + (1 - β1) g,   v ← β2 v + (1 - β2) g²
        w ← w - η (m / (1 - β1ᵗ)) / (√(v / (1 - β2ᵗ)) + ε)

    with g = ∂E/∂w + λ w when ``weight_decay`` λ > 0 (an L2 penalty). rmsprop's running
    mean square (Berzal) plus momentum, both corrected for their zero start.
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=pair(betas, "betas"), eps=eps,
                                      weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_lr(group["eps"], "eps")
        for index, beta in enumerate(group["betas"]):
            check_range(beta, f"betas[{index}]", 0.0, 1.0)
        check_range(group["weight_decay"], "weight_decay", 0.0, float("inf"))

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """η / (√(v / (1 - β2ᵗ)) + ε): the per-weight rate of the last step."""
        state = self.state.get(param)
        if not state:
            return 0.0
        group = self.group_of(param)
        correction2 = 1 - group["betas"][1] ** state["step"]
        return group["lr"] / (np.sqrt(state["exp_avg_sq"] / correction2) + group["eps"])

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients(l2=not self.decoupled):
            lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
            if decay and self.decoupled:
                param.data *= 1 - lr * decay
            state = self.state.setdefault(param, {})
            if "step" not in state:
                state.update(step=0, exp_avg=np.zeros_like(param.data),
                             exp_avg_sq=np.zeros_like(param.data))
            state["step"] += 1
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            correction1 = 1 - beta1 ** state["step"]
            correction2 = 1 - beta2 ** state["step"]
            denominator = np.sqrt(v) / np.sqrt(correction2) + group["eps"]
            param.data -= (lr / correction1) * m / denominator
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as
    ``torch.optim.AdamW``: w ← w (1 - η λ) before the Adam step, instead of adding λ w
    to the gradient. Default λ = 0.01."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
