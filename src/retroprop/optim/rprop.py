"""Resilient backpropagation (Berzal, "rprop"): only the sign of the gradient is used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_lr, pair
from retroprop.optim.optimizer import Closure, Optimizer

VARIANTS = ("rprop+", "rprop-", "irprop+", "irprop-")


class Rprop(Optimizer):
    """Each weight has its own step Δ_ij, adapted from the signs of its last two gradients:

        Δ ← min(Δ η+, Δ_max)   if ∂E/∂w(t) · ∂E/∂w(t-1) > 0   (η+ = 1.2)
        Δ ← max(Δ η-, Δ_min)   if the product is < 0           (η- = 0.5)
        w ← w - sign(∂E/∂w) Δ

    with Δ in [1e-6, 50] (Schuster's advice in Berzal's lecture). The variants differ on a sign
    change (Igel and Hüsken, 2000, "Improving the Rprop learning algorithm"):

    * ``"rprop+"``: undo the previous weight change (backtracking), forget the gradient;
    * ``"rprop-"``: no backtracking, move with the new Δ;
    * ``"irprop+"``: undo the previous change only if the error E rose (needs a closure);
    * ``"irprop-"`` (default, as ``torch.optim.Rprop``): do not move that weight this step
      and forget the gradient.

    Rprop needs full-batch gradients: averaged over mini-batches, small consistent gradients
    and a rare large opposite one do not cancel (Berzal, "Backpropagation"); the Trainer
    warns once per ``fit`` (``full_batch = True``). The error of the last step, which
    ``"irprop+"`` compares with, is kept in ``global_state``.

    ``maximize=True`` (keyword only) ascends E, as ``torch.optim.Rprop``: ∂E/∂w is replaced
    by -∂E/∂w above, and ``"irprop+"`` undoes a change when E fell: the same steps as
    minimizing -E.

    Parameters
    ----------
    lr : float, default 0.01
        The initial step Δ_0 of every weight, read at the weight's first step only (as
        PyTorch's): a schedule of the rate changes nothing after it, and warns.
    etas : (η-, η+), default (0.5, 1.2)
    step_sizes : (Δ_min, Δ_max), default (1e-6, 50)
    variant : str, default "irprop-"
    maximize : bool, default False
    """

    full_batch = True
    lr_is_initial = True

    def __init__(self, params: Iterable[Any], lr: float = 0.01,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50.0), variant: str = "irprop-",
                 *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, etas=pair(etas, "etas"),
                                      step_sizes=pair(step_sizes, "step_sizes"),
                                      variant=variant, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        minus, plus = group["etas"]
        if not 0 < minus < 1 < plus:
            raise ValueError(f"Rprop: etas must be (eta_minus, eta_plus) with 0 < eta_minus < 1 "
                             f"< eta_plus, got {group['etas']}")
        low, high = group["step_sizes"]
        if not 0 < low < high:
            raise ValueError(f"Rprop: step_sizes must be (min, max) with 0 < min < max, got "
                             f"{group['step_sizes']}")
        if group["variant"] not in VARIANTS:
            raise ValueError(f"Rprop: variant must be one of {VARIANTS}, got {group['variant']!r}")

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        change_of_error = None
        if loss is not None:
            value = float(loss)
            previous = self.global_state.get("previous_loss")
            change_of_error = 0.0 if previous is None else value - previous
            self.global_state["previous_loss"] = value
        along, square = 0.0, 0.0
        for group in self.param_groups:
            variant, maximize = group["variant"], group["maximize"]
            if variant == "irprop+" and change_of_error is None:
                raise RuntimeError("Rprop(variant='irprop+') compares errors: call "
                                   "step(closure) with a closure that returns the loss")
            error_rose = change_of_error is not None and (
                change_of_error < 0 if maximize else change_of_error > 0)
            minus, plus = group["etas"]
            low, high = group["step_sizes"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = np.negative(param.grad) if maximize else param.grad.copy(order="K")
                square += float(np.vdot(grad, grad))
                state = self.state.setdefault(param, {})
                if "step_size" not in state:
                    state["step_size"] = np.full_like(param.data, group["lr"])
                    state["prev"] = np.zeros_like(param.data)
                    state["change"] = np.zeros_like(param.data)
                product = np.sign(grad * state["prev"])
                factor = np.where(product > 0, plus, np.where(product < 0, minus, 1.0))
                step_size = state["step_size"]
                step_size *= factor.astype(step_size.dtype)
                np.clip(step_size, low, high, out=step_size)
                flipped = product < 0
                change = -np.sign(grad) * step_size
                if variant in ("rprop+", "irprop+"):
                    undo = flipped if variant == "rprop+" else flipped & bool(error_rose)
                    change = np.where(flipped, np.where(undo, -state["change"], 0), change)
                    grad[flipped] = 0
                elif variant == "irprop-":
                    grad[flipped] = 0
                    change[flipped] = 0
                along -= float(np.vdot(change, param.grad)) * (-1 if maximize else 1)
                param.data += change.astype(param.dtype)
                state["change"] = change
                state["prev"] = grad
        self._record_descent_rate(along, square)
        return loss

