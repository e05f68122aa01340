"""BFGS: the quasi-Newton method with a full inverse-Hessian estimate (Berzal,
"Backpropagation", Granada, "Métodos quasi-Newton, p.ej. BFGS")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.optim.lbfgs import LBFGS

#: The largest inverse-Hessian estimate BFGS agrees to store (float64 bytes).
MAX_MATRIX_BYTES = 2 << 30


def bfgs_update(inverse_hessian: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The BFGS update of H ≈ (∇²E)⁻¹ from a step s = Δw and a gradient change y = Δ∇E:

        H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ,   ρ = 1 / (yᵀ s),

    computed in O(N²) as H - ρ (s uᵀ + u sᵀ) + (ρ² yᵀu + ρ) s sᵀ with u = H y. The new H
    is symmetric, positive definite when H is and yᵀs > 0, and satisfies the secant
    condition H y = s.
    """
    rho = 1.0 / float(y @ s)
    u = inverse_hessian @ y
    updated = inverse_hessian - rho * (np.outer(s, u) + np.outer(u, s))
    updated += (rho * rho * float(y @ u) + rho) * np.outer(s, s)
    return updated


class BFGS(LBFGS):
    """Broyden–Fletcher–Goldfarb–Shanno, full batch: keeps a dense estimate H of the
    inverse Hessian, built from the steps s = Δw and gradient changes y = Δ∇E by
    :func:`bfgs_update`, and moves w ← w + t d along d = -H ∇E with a step t from a
    strong-Wolfe line search. Memory and time O(N²) per iteration, as the lecture says
    ("algoritmo cuadrático, O(N²)"), against O(N³) for Newton and O(m N) for
    :class:`~retroprop.optim.LBFGS`; for small networks only.

    Everything but the direction is :class:`~retroprop.optim.LBFGS`'s (and
    ``torch.optim.LBFGS``'s): the iterations, step sizes, line search and stopping rules.
    H starts as the identity, is rescaled to (yᵀs / yᵀy) I before the first update
    (Nocedal and Wright, eq. 6.20), and pairs with yᵀs <= 1e-10 (no positive curvature)
    are skipped (L-BFGS instead rescales its H0 with every new pair and replays the last
    ``history_size`` pairs). Only batch learning, as the lecture notes.

    Parameters
    ----------
    lr : float, default 1
        Step size (the first iteration scales it by min(1, 1/Σ|∇E|)).
    max_iter : int, default 20
        Iterations per ``step(closure)``.
    max_eval : int, default max_iter * 5 // 4
    tolerance_grad, tolerance_change : float
    line_search : "strong_wolfe" or None, default "strong_wolfe"
        With None the step is ``lr`` itself.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> x = rp.nn.Parameter(np.array([-1.2, 1.0]))
    >>> opt = rp.optim.BFGS([x], max_iter=100)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure); np.round(x.data, 4).tolist()
    [1.0, 1.0]
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, line_search: str | None = "strong_wolfe"
                 ) -> None:
        # each new pair is folded into H at once (see _direction): one pair is ever stored
        super().__init__(params, lr=lr, max_iter=max_iter, max_eval=max_eval,
                         tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                         history_size=1, line_search=line_search)
        size = sum(p.size for p in self.params)
        if size * size * 8 > MAX_MATRIX_BYTES:
            raise ValueError(f"BFGS: {size} parameters need a {size}×{size} inverse Hessian "
                             f"({size * size * 8 / 2**30:.1f} GiB); use LBFGS for this model")

    def _check_group(self, group: dict[str, Any]) -> None:
        try:
            super()._check_group(group)
        except ValueError as error:
            raise ValueError(f"BFGS{str(error).removeprefix('LBFGS')}") from None

    def _direction(self, grad: np.ndarray, steps: list[np.ndarray],  # type: ignore[override]
                   changes: list[np.ndarray], rho: list[float], scale: float) -> np.ndarray:
        """d = -H g, after folding the pair that L-BFGS has just stored into H."""
        state = self.shared_state
        if "inverse_hessian" not in state:
            state["inverse_hessian"] = np.eye(grad.size)
        for s, y in zip(steps, changes, strict=True):
            if not state.get("updated"):  # H0 = (yᵀs / yᵀy) I before the first update
                state["inverse_hessian"] *= float(y @ s) / float(y @ y)
                state["updated"] = True
            state["inverse_hessian"] = bfgs_update(state["inverse_hessian"], s, y)
        for memory in (steps, changes, rho):
            memory.clear()
        return -(state["inverse_hessian"] @ grad)
