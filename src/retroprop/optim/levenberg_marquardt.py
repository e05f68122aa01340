"""Levenberg–Marquardt for sum-of-squares losses (MATLAB's ``trainlm``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr
from retroprop.optim import flat
from retroprop.optim.optimizer import Optimizer
from retroprop.tensor.grad_mode import enable_grad, no_grad
from retroprop.tensor.tensor import Tensor

Residuals = Callable[[], Tensor]


class LevenbergMarquardt(Optimizer):
    """Minimize E = ½ Σ r_i(w)² by steps that blend Gauss–Newton and gradient descent:

        (JᵀJ + μ I) Δ = -Jᵀ r,    w ← w + Δ

    with J = ∂r/∂w. A step that lowers E is kept and μ ← μ · mu_decrease; one that does
    not is undone and μ ← μ · mu_increase (Marquardt 1963; MATLAB's ``trainlm`` uses
    μ = 0.001, ×0.1, ×10). Large μ gives short gradient-descent steps, small μ
    Gauss–Newton steps.

    J is never formed: Jᵀr is the gradient of E (one backward pass), J v a forward
    difference of the residuals, and Jᵀu a backward pass with u as output gradient, so
    (JᵀJ + μI)Δ = -Jᵀr is solved by linear conjugate gradient (``cg_iter`` iterations,
    each one forward and one backward pass). With ``cg_iter`` >= the number of weights
    the solve is exact.

    ``step(residuals)`` takes a closure that returns the residual tensor r (for example
    ``model(X) - Y``; any shape) and runs up to ``max_iter`` iterations. The Trainer
    builds that closure itself when the loss is ``MSELoss``.

    Parameters
    ----------
    mu : float, default 1e-3
    mu_decrease, mu_increase : float, default 0.1 and 10
    mu_max : float, default 1e10
        Give up the iteration when μ grows past this (no step lowers E).
    max_iter : int, default 1
    cg_iter : int, default 100
    """

    step_kind = "residuals"
    full_batch = True
    has_lr = False
    allows_projection = False  # μ is tuned to the points its own steps reached

    def __init__(self, params: Iterable[Any], mu: float = 1e-3, mu_decrease: float = 0.1,
                 mu_increase: float = 10.0, mu_max: float = 1e10, max_iter: int = 1,
                 cg_iter: int = 100) -> None:
        super().__init__(params, dict(mu=mu, mu_decrease=mu_decrease, mu_increase=mu_increase,
                                      mu_max=mu_max, max_iter=max_iter, cg_iter=cg_iter))
        if len(self.param_groups) != 1:
            raise ValueError("LevenbergMarquardt does not support parameter groups")
        self.params = self.param_groups[0]["params"]
        self._first_grad: np.ndarray | None = None

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["mu"], "mu")
        if not 0 < group["mu_decrease"] < 1 < group["mu_increase"]:
            raise ValueError("LevenbergMarquardt: need 0 < mu_decrease < 1 < mu_increase, got "
                             f"{group['mu_decrease']} and {group['mu_increase']}")
        max_iter = group["max_iter"]
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
            raise ValueError(f"LevenbergMarquardt: max_iter must be an integer >= 1, got "
                             f"{max_iter!r}")

    @property
    def mu(self) -> float:
        return float(self.state.get(self.params[0], {}).get("mu", self.param_groups[0]["mu"]))

    def _values(self, residuals: Residuals) -> np.ndarray:
        with no_grad():
            return residuals().data.astype(np.float64).reshape(-1)

    def _solve(self, residuals: Residuals, r: Tensor, mu: float) -> np.ndarray:
        """Δ with (JᵀJ + μI)Δ = -Jᵀr, by conjugate gradient."""
        w = flat.gather(self.params).astype(np.float64)
        base = r.data.astype(np.float64).reshape(-1)

        def transpose_product(u: np.ndarray) -> np.ndarray:  # Jᵀ u
            for p in self.params:
                p.grad = None
            r.backward(u.reshape(r.shape).astype(r.dtype), retain_graph=True)
            return flat.gather_grad(self.params).astype(np.float64)

        def product(v: np.ndarray) -> np.ndarray:  # J v by a forward difference
            scale = 1 + flat.trained_norm(self.params, w)
            h = np.sqrt(np.finfo(r.dtype).eps) * scale / np.linalg.norm(v)
            flat.scatter(self.params, w + h * v)
            shifted = self._values(residuals)
            flat.scatter(self.params, w)
            return (shifted - base) / h

        gradient = transpose_product(base)
        if self._first_grad is None:
            self._first_grad = gradient
        delta = np.zeros_like(w)
        residual = -gradient
        direction = residual.copy()
        rr = start = float(residual @ residual)
        for _ in range(self.param_groups[0]["cg_iter"]):
            jd = product(direction)
            curvature = float(jd @ jd) + mu * float(direction @ direction)
            alpha = rr / curvature
            delta += alpha * direction
            residual -= alpha * (transpose_product(jd) + mu * direction)
            new = float(residual @ residual)
            if new <= 1e-20 * start:
                break
            direction = residual + (new / rr) * direction
            rr = new
        return delta

    def step(self, closure: Residuals | None = None) -> float:
        if closure is None:
            raise RuntimeError("LevenbergMarquardt.step needs a closure that returns the "
                               "residuals r(w) (e.g. model(X) - Y)")
        group = self.param_groups[0]
        state = self.state.setdefault(self.params[0], {})
        mu = state.get("mu", group["mu"])
        first = 0.0
        start = flat.gather(self.params).astype(np.float64)
        self._first_grad = None
        for iteration in range(group["max_iter"]):
            with enable_grad():
                r = closure()
            error = 0.5 * float(np.sum(r.data.astype(np.float64) ** 2))
            if iteration == 0:
                first = error
            w = flat.gather(self.params)
            while mu <= group["mu_max"]:
                delta = self._solve(closure, r, mu)
                flat.scatter(self.params, w + delta)
                trial = self._values(closure)
                new_error = 0.5 * float(trial @ trial)
                if np.isfinite(new_error) and new_error < error:
                    mu *= group["mu_decrease"]
                    break
                flat.scatter(self.params, w)
                mu *= group["mu_increase"]
            else:
                break
        for p in self.params:
            p.grad = None
        state["mu"] = mu
        if self._first_grad is not None:
            change = flat.gather(self.params).astype(np.float64) - start
            self._record_descent_rate(-float(change @ self._first_grad),
                                      float(self._first_grad @ self._first_grad))
        return first
