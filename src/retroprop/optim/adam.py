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
    mean square (Berzal, "Backpropagation", Granada) plus momentum, both corrected for
    their zero start.

    ``amsgrad=True`` (Reddi, Kale and Kumar, "On the convergence of Adam and beyond",
    ICLR 2018) divides by the running maximum v̂ of v instead, so that a falling v does
    not enlarge the steps; as in PyTorch the maximum is taken of the uncorrected v and
    the current correction then applied to it:

        v̂ ← max(v̂, v),   w ← w - η (m / (1 - β1ᵗ)) / (√(v̂ / (1 - β2ᵗ)) + ε)

    kept in the state as ``max_exp_avg_sq`` (v̂ = 0 at the start). A state without it (saved
    with ``amsgrad=False``, or before the flag existed) resumes with v̂ started at the saved v.

    ``maximize=True`` ascends E, with g = -∂E/∂w + λ w: the same steps as minimizing -E,
    the way Berzal, "Backpropagation" (Granada) maximizes the log-likelihood by minimizing
    J = -log L.

    Parameters
    ----------
    params : iterable of Parameter or of parameter groups
    lr : float, default 0.001
    betas : (β1, β2), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    amsgrad : bool, default False
    maximize : bool, default False (keyword only, as in PyTorch)
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False
                 ) -> None:
        super().__init__(params, dict(lr=lr, betas=pair(betas, "betas"), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_lr(group["eps"], "eps")
        for index, beta in enumerate(group["betas"]):
            check_range(beta, f"betas[{index}]", 0.0, 1.0)
        check_range(group["weight_decay"], "weight_decay", 0.0, float("inf"))

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """η / (√(v / (1 - β2ᵗ)) + ε) (v̂ for v with ``amsgrad``): the per-weight rate of
        the last step."""
        state = self.state.get(param)
        if not state:
            return 0.0
        group = self.group_of(param)
        correction2 = 1 - group["betas"][1] ** state["step"]
        v = state["exp_avg_sq"]
        if group["amsgrad"]:  # v̂, once a step has taken it
            v = state.get("max_exp_avg_sq", v)
        return group["lr"] / (np.sqrt(v / correction2) + group["eps"])

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
            amsgrad = group["amsgrad"]
            if amsgrad and "max_exp_avg_sq" not in state:  # v̂ starts at v (0 at the start)
                state["max_exp_avg_sq"] = v.copy(order="K")
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            if amsgrad:
                v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            correction1 = 1 - beta1 ** state["step"]
            correction2 = 1 - beta2 ** state["step"]
            denominator = np.sqrt(v) / np.sqrt(correction2) + group["eps"]
            param.data -= (lr / correction1) * m / denominator
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as
    ``torch.optim.AdamW``: w ← w (1 - η λ) before the Adam step, instead of adding λ w
    to the gradient. Default λ = 0.01. ``amsgrad`` (v̂ ← max(v̂, v) in the denominator,
    Reddi et al. 2018) and ``maximize`` (g = -∂E/∂w; the decay still shrinks w) as in
    :class:`Adam`."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, amsgrad: bool = False, *, maximize: bool = False
                 ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
