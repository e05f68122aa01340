"""L-BFGS: a quasi-Newton method with limited memory (Berzal, "Métodos quasi-Newton")."""

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


class LBFGS(FullBatchOptimizer):
    """Limited-memory BFGS, full batch: estimates H⁻¹∇E from the last ``history_size``
    pairs s = Δw, y = Δ∇E by the two-loop recursion, and moves w ← w + t d with
    d ≈ -H⁻¹∇E. Memory O(history_size · N) instead of BFGS's O(N²).

    Follows ``torch.optim.LBFGS`` (the same iterations, step sizes, tolerances and
    defaults), so the two agree step by step, except that a parameter without a gradient
    (frozen after some steps) does not move where PyTorch's follows the curvature memory.
    ``step(closure)`` runs up to ``max_iter`` iterations; it stops earlier when
    max |∇E| <= ``tolerance_grad``, or when the step or the change of E falls below
    ``tolerance_change``.

    Parameters
    ----------
    lr : float, default 1
        Step size (the first iteration scales it by min(1, 1/Σ|∇E|)).
    max_iter : int, default 20
    max_eval : int, default max_iter * 5 // 4
    tolerance_grad, tolerance_change : float
    history_size : int, default 100
    line_search : "strong_wolfe" or None, default "strong_wolfe"
        With None the step is ``lr`` itself (PyTorch's default).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> x = rp.nn.Parameter(np.array([-1.2, 1.0]))
    >>> opt = rp.optim.LBFGS([x], max_iter=100)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure); np.round(x.data, 4).tolist()  # the minimum (1, 1)
    [1.0, 1.0]
    """

    allows_projection = False  # it carries the curvature pairs s, y of earlier steps

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search: str | None = "strong_wolfe") -> None:
        super().__init__(params, dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval or max_iter * 5 // 4,
            tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
            history_size=history_size, line_search=line_search))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        for name in ("max_iter", "max_eval", "history_size"):
            check_count(group[name], f"LBFGS: {name}")
        for name in ("tolerance_grad", "tolerance_change"):
            check_range(group[name], f"LBFGS: {name}", 0.0, float("inf"))
        if group["line_search"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search must be 'strong_wolfe' or None, got "
                             f"{group['line_search']!r}")

    @staticmethod
    def _direction(grad: np.ndarray, steps: list[np.ndarray], changes: list[np.ndarray],
                   rho: list[float], scale: float) -> np.ndarray:
        """d = -H⁻¹ g by the two-loop recursion over the stored (s, y) pairs."""
        q = -grad
        alphas = []
        for s, y, r in zip(reversed(steps), reversed(changes), reversed(rho), strict=True):
            alpha = float(s @ q) * r
            q = q - alpha * y
            alphas.append(alpha)
        d = q * scale
        for s, y, r, alpha in zip(steps, changes, rho, reversed(alphas), strict=True):
            beta = float(y @ d) * r
            d = d + (alpha - beta) * s
        return d

    def step(self, closure: Closure | None = None) -> float:
        closure = self._required_closure(closure)
        group = self.param_groups[0]
        state = self.shared_state
        first_loss, grad = self._loss_and_grad(closure)
        loss, evaluations = first_loss, 1
        state["func_evals"] = state.get("func_evals", 0) + 1
        if np.abs(grad).max() <= group["tolerance_grad"]:
            return first_loss
        steps, changes, rho = (state.setdefault(k, []) for k in ("old_steps", "old_dirs", "rho"))
        for iteration in range(1, group["max_iter"] + 1):
            state["n_iter"] = state.get("n_iter", 0) + 1
            if state["n_iter"] == 1:
                direction, state["scale"] = -grad, 1.0
            else:
                y = grad - state["prev_grad"]
                s = state["direction"] * state["t"]
                ys = float(y @ s)
                if ys > 1e-10:  # keep only pairs with positive curvature
                    if len(steps) == group["history_size"]:
                        for memory in (steps, changes, rho):
                            memory.pop(0)
                    steps.append(s)
                    changes.append(y)
                    rho.append(1.0 / ys)
                    state["scale"] = ys / float(y @ y)
                direction = flat.only_with_gradients(
                    self.params, self._direction(grad, steps, changes, rho, state["scale"]))
            state["prev_grad"], previous_loss = grad.copy(), loss
            t = min(1.0, 1.0 / float(np.abs(grad).sum())) * group["lr"] \
                if state["n_iter"] == 1 else group["lr"]
            state["direction"], state["t"] = direction, t
            if float(grad @ direction) > -group["tolerance_change"]:
                break
            used = 0
            if group["line_search"] == "strong_wolfe":
                result = self._line_search(closure, loss, grad, direction, t,
                                           group["max_eval"] - evaluations)
                if result.value >= loss:
                    state["func_evals"] += result.evaluations  # they were made all the same
                    warnings.warn(f"{type(self).__name__}: the line search could not decrease "
                                  "the loss; stopping this step", RuntimeWarning,
                                  stacklevel=user_stacklevel())
                    break
                t, loss, grad, used = result.t, result.value, result.grad, result.evaluations
                state["t"] = t
                flat.add(self.params, t, direction)
            else:
                flat.add(self.params, t, direction)
                if iteration != group["max_iter"]:
                    loss, grad = self._loss_and_grad(closure)
                    used = 1
            evaluations += used
            state["func_evals"] += used
            if iteration == group["max_iter"] or evaluations >= group["max_eval"]:
                break
            if np.abs(grad).max() <= group["tolerance_grad"]:
                break
            if np.abs(direction * t).max() <= group["tolerance_change"]:
                break
            if abs(loss - previous_loss) < group["tolerance_change"]:
                break
        return first_loss
