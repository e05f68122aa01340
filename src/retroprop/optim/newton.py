"""Newton's method (Berzal, "Backpropagation", Granada, "Técnicas de optimización de
segundo orden"): Δw = -η H(w)⁻¹ ∂E/∂w, with the Hessian exact (small networks) or used only through
Hessian-vector products solved by conjugate gradient ("Hessian-free")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, check_range
from retroprop.optim import flat
from retroprop.optim.full_batch import FullBatchOptimizer
from retroprop.optim.optimizer import Closure

HESSIANS = ("exact", "cg")
#: The damping above which a step that raises E is no longer solved again (each try
#: that raises E is undone and the next solves with 3/2 the damping).
MAX_DAMPING = 1e10


class Newton(FullBatchOptimizer):
    """Newton's method: the lecture's plain step (``plain=True``) or, by default, a damped
    and safeguarded one: solve (H + λI) Δ = -∂E/∂w, then w ← w + η Δ.

    ``plain=True`` is Berzal's rule as the slide writes it, Δw = -η H(w)⁻¹ ∂E/∂w at
    every iteration: no damping (λ = 0, ``damping`` is ignored), no adaptation and no
    rejection of a step that raises E. Near a minimum it converges quadratically, but
    "si la función de error no es cuadrática, ni siquiera tenemos garantías de
    convergencia" (the slide): where H is not positive definite the step can climb. With
    ``hessian="exact"`` the step is H⁻¹∇E itself (least squares if H is singular); with
    ``"cg"``, conjugate gradient still stops at a direction of negative curvature.

    On a quadratic surface H⁻¹ turns the ellipsoids of constant error into spheres and
    one step with η = 1, λ = 0 lands on the minimum (Berzal).

    * ``hessian="exact"``: H column by column, by central differences of the gradient
      (exact on quadratics up to rounding),
      H e_j ≈ (∇E(w + ε e_j) - ∇E(w - ε e_j)) / 2ε: 2N gradients, O(N³) to solve;
      for small networks, as the seed warns.
    * ``hessian="cg"`` (Hessian-free, Martens 2010): products H v ≈ (∇E(w + εv) -
      ∇E(w - εv)) / 2ε inside linear conjugate gradient, never forming H; stops at
      ``cg_iter`` iterations, at a residual of ``cg_tol`` relative, or at a direction of
      negative curvature.

    By default the damping λ adapts (Levenberg–Marquardt rule): the ratio
    ρ = (E(w) - E(w + p)) / (E(w) - m(p)) of actual to predicted decrease, for the step
    taken p = η Δ and the quadratic model at the old weights
    m(p) = E(w) + ∇E(w)ᵀp + ½ pᵀH(w)p, multiplies λ by 2/3 when ρ > 3/4 and by 3/2 when
    ρ < 1/4, and a step that raises E is undone and solved again with the larger damping
    (up to ``MAX_DAMPING``; a step to a NaN or infinite E counts as ρ < 1/4), so that each
    iteration lowers E or keeps the weights; a closure whose E is not finite at the start
    leaves the weights as they are.
    ``step(closure)`` runs up to ``max_iter`` iterations, and stops when E changes by less
    than ``tolerance_change``.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> def rosenbrock(x):
    ...     return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()
    >>> result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method="newton", steps=1,
    ...                            hessian="exact", plain=True, max_iter=10)
    >>> np.round(result.x, 6).tolist()
    [1.0, 1.0]
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, damping: float = 1e-3,
                 hessian: str = "cg", max_iter: int = 1, cg_iter: int = 50,
                 cg_tol: float = 1e-10, adapt_damping: bool = True,
                 tolerance_change: float = 1e-12, plain: bool = False) -> None:
        super().__init__(params, dict(lr=lr, damping=damping, hessian=hessian,
                                      max_iter=max_iter, cg_iter=cg_iter, cg_tol=cg_tol,
                                      adapt_damping=adapt_damping,
                                      tolerance_change=tolerance_change, plain=plain))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_range(group["damping"], "damping", 0.0, float("inf"))
        if not isinstance(group["plain"], bool):
            raise ValueError(f"Newton: plain must be True or False, got {group['plain']!r}")
        if group["hessian"] not in HESSIANS:
            raise ValueError(f"Newton: hessian must be one of {HESSIANS}, got "
                             f"{group['hessian']!r}")

    def _hessian_vector(self, closure: Closure, w: np.ndarray) -> Callable[[np.ndarray],
                                                                          np.ndarray]:
        def product(v: np.ndarray) -> np.ndarray:
            size = float(np.linalg.norm(v))
            if size == 0:
                return np.zeros_like(v)
            # Central differences: the step that balances rounding and truncation is
            # about the cube root of the machine epsilon.
            eps = np.cbrt(np.finfo(self.params[0].dtype).eps) * \
                (1 + flat.trained_norm(self.params, w)) / size
            gradients = []
            for sign in (1, -1):
                flat.scatter(self.params, w + sign * eps * v)
                gradients.append(self._loss_and_grad(closure)[1])
            flat.scatter(self.params, w)
            return (gradients[0] - gradients[1]) / (2 * eps)
        return product

    def hessian(self, closure: Closure) -> np.ndarray:
        """The full Hessian at the current weights, by central differences (symmetrized).
        The rows and columns of the parameters without a gradient (frozen with
        ``requires_grad = False``, or not reached by the loss) are 0: they are not trained."""
        w = flat.gather(self.params).astype(np.float64)
        self._loss_and_grad(closure)  # the gradients at w tell which parameters train
        trained = flat.only_with_gradients(self.params, np.ones(w.size))
        product = self._hessian_vector(closure, w)
        columns = [product(np.eye(1, w.size, j)[0]) if trained[j] else np.zeros(w.size)
                   for j in range(w.size)]
        matrix = np.stack(columns, axis=1)
        return (matrix + matrix.T) / 2

    def _solve(self, closure: Closure, grad: np.ndarray, damping: float,
               hessian: np.ndarray | None) -> np.ndarray:
        """Δ with (H + λI) Δ = -∂E/∂w: with the exact ``hessian`` at the current weights, or
        by conjugate gradient on Hessian-vector products (``hessian`` None)."""
        group = self.param_groups[0]
        if hessian is not None:
            matrix = hessian + damping * np.eye(grad.size)
            return np.linalg.lstsq(matrix, -grad, rcond=None)[0]
        product = self._hessian_vector(closure, flat.gather(self.params).astype(np.float64))
        delta = np.zeros_like(grad)
        residual = -grad.copy()
        direction = residual.copy()
        start = float(residual @ residual)
        rr = start
        for _ in range(group["cg_iter"]):
            hd = product(direction) + damping * direction
            curvature = float(direction @ hd)
            if curvature <= 0:  # negative curvature: keep what we have (or steepest descent)
                return delta if delta.any() else -grad
            alpha = rr / curvature
            delta += alpha * direction
            residual -= alpha * hd
            new = float(residual @ residual)
            if new <= group["cg_tol"] ** 2 * start:
                break
            direction = residual + (new / rr) * direction
            rr = new
        return delta

    def _predicted_decrease(self, closure: Closure, w: np.ndarray, grad: np.ndarray,
                            step: np.ndarray) -> float:
        """The decrease that the quadratic model at the old weights w predicts for the step
        p actually taken (p = η Δ): E(w) - m(p) = -(∇E(w)ᵀp + ½ pᵀH(w)p), as in the
        Levenberg–Marquardt and trust-region rules. Leaves the weights at w."""
        curvature = self._hessian_vector(closure, w.astype(np.float64))(step)
        return -(float(grad @ step) + 0.5 * float(step @ curvature))

    def step(self, closure: Closure | None = None) -> float:
        closure = self._required_closure(closure)
        group = self.param_groups[0]
        self.shared_state.setdefault("damping", group["damping"])
        first_loss, grad = self._loss_and_grad(closure)
        loss = first_loss
        for _ in range(group["max_iter"] if np.isfinite(first_loss) else 0):
            taken = self._iterate(closure, group, loss, grad)
            if taken is None:
                break
            change = abs(loss - taken[0])
            loss, grad = taken
            if change < group["tolerance_change"] or not np.isfinite(loss):
                break
        return first_loss

    def _iterate(self, closure: Closure, group: dict[str, Any], loss: float,
                 grad: np.ndarray) -> tuple[float, np.ndarray] | None:
        """One iteration from the current weights: the plain step, or damped steps until
        one does not raise E, the damping adapted after each (as Levenberg–Marquardt
        retries a rejected step with more damping, up to ``MAX_DAMPING``). Returns the
        new E and its gradient, or None when no step lowered E (the weights are kept):
        the damping reached its ceiling, or a step changed E by less than
        ``tolerance_change`` (rounding, at a minimum)."""
        state, plain = self.shared_state, group["plain"]
        adapt = group["adapt_damping"] and not plain
        w = flat.gather(self.params)
        # the exact Hessian once per iteration: a retry solves at the same weights
        hessian = self.hessian(closure) if group["hessian"] == "exact" else None
        while True:
            delta = self._solve(closure, grad, 0.0 if plain else state["damping"], hessian)
            predicted = (self._predicted_decrease(closure, w, grad, group["lr"] * delta)
                         if adapt else 0.0)
            flat.add(self.params, group["lr"], delta)
            new_loss, new_grad = self._loss_and_grad(closure)
            if plain:
                return new_loss, new_grad
            if adapt:
                ratio = ((loss - new_loss) / predicted
                         if predicted > 0 and np.isfinite(new_loss) else -1.0)
                if ratio > 0.75:
                    state["damping"] *= 2 / 3
                elif ratio < 0.25:
                    state["damping"] = max(state["damping"] * 1.5, 1e-8)
            if np.isfinite(new_loss) and new_loss <= loss:
                return new_loss, new_grad
            flat.scatter(self.params, w)
            if (not adapt or state["damping"] > MAX_DAMPING
                    or abs(new_loss - loss) < group["tolerance_change"]):
                self._loss_and_grad(closure)  # the gradients of the weights kept
                return None
