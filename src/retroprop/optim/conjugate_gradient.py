"""Nonlinear conjugate gradient, Polak–Ribière (Haykin, table 4.3, in Berzal's lecture)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_count, check_lr, check_range
from retroprop.optim import flat
from retroprop.optim.full_batch import FullBatchOptimizer
from retroprop.optim.optimizer import Closure
from retroprop.stacklevel import user_stacklevel


class ConjugateGradient(FullBatchOptimizer):
    """Full-batch conjugate gradient with β = max(0, PR) and restarts (Haykin, table 4.3):

        r(0) = -g(0),  s(0) = r(0)
        η(n): line search on E(w(n) + η s(n)) (strong Wolfe conditions)
        w(n+1) = w(n) + η(n) s(n),  r(n+1) = -g(n+1)
        β(n+1) = max{ r(n+1)ᵀ(r(n+1) - r(n)) / r(n)ᵀr(n), 0 }
        s(n+1) = r(n+1) + β(n+1) s(n)

    restarting with s = r every ``restart`` iterations (default N, the number of
    weights) and whenever s is not a descent direction, and stopping when
    ||r(n)|| <= eps ||r(0)||. On an N-dimensional quadratic with an exact line search
    (``c2`` → 0) it reaches the minimum in at most N iterations (Berzal).
    ``step(closure)`` runs up to ``max_iter`` iterations.

    Parameters
    ----------
    lr : float, default 1
        First trial step of the first line search (scaled as L-BFGS does); each later
        search starts from the step length the last one found, so that a schedule of the
        rate changes nothing after the first step, and warns.
    max_iter : int, default 20
    max_eval : int, default max_iter * 5
    eps : float, default 1e-8
        Relative residual ||r(n)|| / ||r(0)|| at which to stop.
    c2 : float, default 0.1
        Curvature parameter of the line search (0.1 is the usual choice for CG).
    restart : int, optional
    tolerance_change : float, default 1e-12
    """

    allows_projection = False  # it carries the direction s(n) of the last step
    lr_is_initial = True

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, eps: float = 1e-8, c2: float = 0.1,
                 restart: int | None = None, tolerance_change: float = 1e-12) -> None:
        super().__init__(params, dict(lr=lr, max_iter=max_iter,
                                      max_eval=max_eval or max_iter * 5, eps=eps, c2=c2,
                                      restart=restart, tolerance_change=tolerance_change))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        if not 0 < group["c2"] < 1:
            raise ValueError(f"ConjugateGradient: c2 must be in (0, 1), got {group['c2']}")
        for name in ("max_iter", "max_eval"):
            check_count(group[name], f"ConjugateGradient: {name}")
        if group["restart"] is not None:
            check_count(group["restart"], "ConjugateGradient: restart")
        for name in ("eps", "tolerance_change"):
            check_range(group[name], f"ConjugateGradient: {name}", 0.0, float("inf"))

    @property
    def converged(self) -> bool:
        """Whether ||r(n)|| <= eps ||r(0)|| was reached."""
        return bool(self.shared_state.get("converged", False))

    def step(self, closure: Closure | None = None) -> float:
        closure = self._required_closure(closure)
        group = self.param_groups[0]
        state = self.shared_state
        first_loss, grad = self._loss_and_grad(closure)
        loss, evaluations = first_loss, 1
        residual = -grad
        norm = float(np.linalg.norm(residual))
        state.setdefault("initial_norm", norm)
        restart = group["restart"] or grad.size
        for _ in range(group["max_iter"]):
            if norm <= group["eps"] * state["initial_norm"] or norm == 0:
                state["converged"] = True
                break
            direction = state.get("direction")
            previous = state.get("residual")
            count = state.get("since_restart", 0)
            if direction is None or previous is None or count >= restart:
                direction, count = residual.copy(), 0
            else:
                beta = max(float(residual @ (residual - previous)) / float(previous @ previous),
                           0.0)
                direction = residual + beta * direction
                direction = flat.only_with_gradients(self.params, direction)
                if float(direction @ residual) <= 0:  # not a descent direction: restart
                    direction, count = residual.copy(), 0
            t = group["lr"] * min(1.0, 1.0 / float(np.abs(residual).sum())) \
                if "steps" not in state else state["last_t"]
            result = self._line_search(closure, loss, grad, direction, t,
                                       group["max_eval"] - evaluations, c2=group["c2"])
            evaluations += result.evaluations
            if result.value >= loss:
                warnings.warn("ConjugateGradient: the line search could not decrease the loss; "
                              "stopping this step", RuntimeWarning, stacklevel=user_stacklevel())
                state["direction"] = None
                break
            flat.add(self.params, result.t, direction)
            loss, grad = result.value, result.grad
            state.update(direction=direction, residual=residual, since_restart=count + 1,
                         last_t=result.t, steps=state.get("steps", 0) + 1)
            residual = -grad
            norm = float(np.linalg.norm(residual))
            if evaluations >= group["max_eval"]:
                break
        else:
            state["converged"] = norm <= group["eps"] * state["initial_norm"]
        return first_loss
