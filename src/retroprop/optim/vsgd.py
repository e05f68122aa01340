"""vSGD: "No more pesky learning rates" (Schaul, Zhang and LeCun, ICML 2013; Berzal)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_count, check_lr, check_range
from retroprop.optim.optimizer import Closure, Optimizer
from retroprop.random import generator


class VSGD(Optimizer):
    """Variance-based SGD: an element-wise rate from running averages, no rate to tune.

    For each weight, with memory τ (in steps) and averages over the last ~τ steps of the
    gradient ḡ, of its square v̄ and of the curvature h̄:

        ḡ ← (1 - 1/τ) ḡ + (1/τ) g
        v̄ ← (1 - 1/τ) v̄ + (1/τ) g²
        h̄ ← (1 - 1/τ) h̄ + (1/τ) h
        η* = ḡ² / (h̄ v̄)
        τ ← (1 - ḡ²/v̄) τ + 1
        w ← w - η* g

    (the "vSGD-l" variant, one rate per weight). The rate is large when the gradient is
    consistent (ḡ² ≈ v̄) and the curvature small, small when the gradient is mostly
    noise. The diagonal curvature h is estimated by finite differences through the
    closure, h = |u ⊙ (∇E(w + δu) - ∇E(w)) / δ| with u a random ±1 vector (so that
    E[u ⊙ H u] = diag H), one extra gradient per step; ``step`` therefore needs a
    closure. As in the paper, the first ``warmup`` steps only gather statistics
    (with v̄ and h̄ overestimated by ``overestimate``) and τ starts at ``warmup``.

    Parameters
    ----------
    warmup : int, default 10
        n0, the steps of the slow start.
    overestimate : float, default 2
        C, the factor on v̄ and h̄ after the slow start.
    delta : float, default 1e-4
        Relative size of the finite-difference perturbation.
    curvature_floor : float, default 0.1
        h̄ is taken at least this fraction of its mean over the tensor, so that weights
        with almost no curvature (common in ReLU networks) do not get unbounded rates;
        the ratio ḡ²/v̄ is clipped to [0, 1] (not in the paper, which assumes smooth
        curvature estimates).
    eps : float, default 1e-8
        Floor of h̄ and v̄.
    """

    step_kind = "closure"
    has_lr = False

    def __init__(self, params: Iterable[Any], warmup: int = 10, overestimate: float = 2.0,
                 delta: float = 1e-4, curvature_floor: float = 0.1, eps: float = 1e-8) -> None:
        super().__init__(params, dict(warmup=warmup, overestimate=overestimate, delta=delta,
                                      curvature_floor=curvature_floor, eps=eps))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_count(group["warmup"], "VSGD: warmup")
        check_range(group["overestimate"], "VSGD: overestimate", 1.0, float("inf"))
        check_range(group["curvature_floor"], "VSGD: curvature_floor", 0.0, float("inf"))
        check_lr(group["delta"], "delta")
        check_lr(group["eps"], "eps")

    def prox_rate(self, param: Any) -> float | np.ndarray:
        """The per-weight rate η* of the last step (0 during the slow start, which does not
        move the weights)."""
        rate = self.state.get(param, {}).get("rate")
        return 0.0 if rate is None else rate

    def _curvature(self, closure: Closure) -> dict[Any, np.ndarray]:
        """Diagonal curvature estimates h, by one extra gradient at w + δ u."""
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        grads = {p: p.grad.copy(order="K") for p in params}
        directions = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in grads:
                    u = generator().integers(0, 2, p.shape).astype(p.dtype) * 2 - 1
                    size = group["delta"] * (1.0 + np.abs(p.data))
                    directions[p] = (u, size.astype(p.dtype))
                    p.data += u * size
        self._evaluate(closure)
        curvature = {}
        for p, (u, size) in directions.items():
            p.data -= u * size
            shifted = p.grad if p.grad is not None else grads[p]
            curvature[p] = np.abs(u * (shifted - grads[p]) / size)
            p.grad = grads[p]
        return curvature

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        curvature = self._curvature(closure)  # type: ignore[arg-type]
        for group in self.param_groups:
            n0, eps = group["warmup"], group["eps"]
            for param, h in curvature.items():
                if not any(param is p for p in group["params"]):
                    continue
                g = param.grad
                state = self.state.setdefault(param, {})
                if "seen" not in state:
                    state.update(seen=0, g_avg=np.zeros_like(g), v_avg=np.zeros_like(g),
                                 h_avg=np.zeros_like(g), tau=np.full_like(g, float(n0)))
                state.pop("rate", None)
                if state["seen"] < n0:  # slow start: plain averages of the first n0 steps
                    state["seen"] += 1
                    k = state["seen"]
                    state["g_avg"] += (g - state["g_avg"]) / k
                    state["v_avg"] += (g * g - state["v_avg"]) / k
                    state["h_avg"] += (h - state["h_avg"]) / k
                    if k == n0:
                        state["v_avg"] *= group["overestimate"]
                        state["h_avg"] *= group["overestimate"]
                    continue
                tau = state["tau"]
                weight = 1.0 / tau
                state["g_avg"] += weight * (g - state["g_avg"])
                state["v_avg"] += weight * (g * g - state["v_avg"])
                state["h_avg"] += weight * (h - state["h_avg"])
                v = np.maximum(state["v_avg"], eps)
                ratio = np.minimum(state["g_avg"] ** 2 / v, 1.0)
                floor = max(group["curvature_floor"] * float(state["h_avg"].mean()), eps)
                rate = ratio / np.maximum(state["h_avg"], floor)
                state["tau"] = (1 - ratio) * tau + 1
                state["rate"] = rate
                param.data -= rate * g
        return loss
