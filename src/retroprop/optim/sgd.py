"""Stochastic gradient descent, with momentum and Nesterov's method (Berzal,
"Backpropagation", Granada; Tobón & Aguirre, UNAL Manizales)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retroprop.checks import check_lr, check_range
from retroprop.optim.blas import axpby_, axpy_
from retroprop.optim.optimizer import Closure, Optimizer


class SGD(Optimizer):
    """Gradient descent, w ← w - η ∂E/∂w (Tobón & Aguirre), with momentum and Nesterov.

    Momentum (Berzal) accumulates a velocity, v(t) = μ v(t-1) - η ∂E/∂w,
    and moves the weights by it, Δw(t) = v(t). As ``torch.optim.SGD`` we
    keep b = -v/η, so that changing η between steps scales the whole step:

        g = ∂E/∂w + λ w                  (``weight_decay`` λ, an L2 penalty)
        b ← μ b + (1 - dampening) g      (b = g at the first step)
        w ← w - η b                      (standard momentum)
        w ← w - η (g + μ b)              (Nesterov: jump along b, then correct)

    Nesterov's method in Berzal, "Backpropagation" (Granada), "Momentos: Método de
    Nesterov", first jumps along the accumulated gradient, θ + μv, then measures the
    gradient there and corrects: v ← μ v - η ∇E(θ + μv), θ ← θ + v. As in PyTorch (and
    Sutskever et al. 2013), the parameters here hold the point *after the jump*,
    w = θ + μv, where the gradient is measured: the closure and ``∂E/∂w`` are evaluated at
    w, and the lecture's θ (before the jump) is w - μv = w + ημ b. Both sequences converge to
    the same minimum.

    ``maximize=True`` ascends E, as ``torch.optim.SGD``: g = -∂E/∂w + λ w in the rules above
    (the penalty still shrinks the weights), the same steps as minimizing -E, the way
    Berzal, "Backpropagation" (Granada) maximizes the log-likelihood by minimizing
    J = -log L.

    Parameters
    ----------
    params : iterable of Parameter or of parameter groups
    lr : float, default 0.001
        Learning rate η > 0 (PyTorch's default).
    momentum : float, default 0
        μ in [0, 1); Berzal starts at 0.5 and raises it to 0.9 or 0.99
        (see :class:`~retroprop.optim.MomentumSchedule`).
    dampening : float, default 0
    nesterov : bool, default False
        Needs momentum > 0 and dampening = 0.
    weight_decay : float, default 0
    maximize : bool, default False
        Keyword only, as in PyTorch.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> w = rp.nn.Parameter(np.array([7.0]))
    >>> opt = rp.optim.SGD([w], lr=0.6)
    >>> loss = ((w - 4) ** 2 + 3).sum(); loss.backward(); opt.step()
    >>> round(float(w.data[0]), 4)  # Tobón & Aguirre: 3.4
    3.4
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.001, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_range(group["momentum"], "momentum", 0.0, 1.0)
        check_range(group["dampening"], "dampening", 0.0, 1.0, high_open=False)
        check_range(group["weight_decay"], "weight_decay", 0.0, float("inf"))
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients():
            lr, momentum = group["lr"], group["momentum"]
            if not momentum:
                axpy_(param.data, -lr, grad)
                continue
            state = self.state.setdefault(param, {})
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy(order="K")
            else:
                axpby_(buffer, 1 - group["dampening"], grad, momentum)
            if group["nesterov"]:
                axpy_(param.data, -lr, grad)
                axpy_(param.data, -lr * momentum, buffer)
            else:
                axpy_(param.data, -lr, buffer)
        return loss
