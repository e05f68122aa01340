"""Full-batch L-BFGS on the digits: retroprop's ``optim.LBFGS`` against SciPy's
``minimize(method="L-BFGS-B")`` on the same network (MLP 64-32-10, tanh, float64), the
same loss (mean cross-entropy) and the same starting weights, both with 10 stored pairs.
SciPy's objective is computed by retroprop (forward and backward), so the two differ only
in the optimizer. The target loss is the one SciPy reaches in ``ITERATIONS`` iterations;
each contender is timed until it first evaluates a point with a loss at least that low."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench import data
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import trained_rounds
from retroprop.optim import flat

SIZES = (64, 32, 10)
ITERATIONS, QUICK_ITERATIONS = 50, 20
HISTORY = 10


class _Reached(Exception):
    """Raised by the objective at the first point whose loss is at most the target."""


def _objective(X: np.ndarray, y: np.ndarray, target: float
               ) -> tuple[list[rp.nn.Parameter], Callable[[], rp.Tensor]]:
    """The network's parameters, and a closure that zeroes their gradients, evaluates the
    loss on the whole set, back-propagates it, and raises :class:`_Reached` at the
    target."""
    rp.manual_seed(0)
    model = rp.models.mlp(SIZES, activation="tanh", dtype=np.float64)
    params = list(model.parameters())
    inputs, criterion = rp.Tensor(X, dtype=np.float64), rp.nn.CrossEntropyLoss()

    def closure() -> rp.Tensor:
        for param in params:
            param.grad = None
        loss = criterion(model(inputs), y)
        loss.backward()
        if loss.item() <= target:
            raise _Reached
        return loss

    return params, closure


def retroprop_lbfgs(X: np.ndarray, y: np.ndarray, target: float, limit: int) -> float:
    """The loss at which retroprop's L-BFGS (default tolerances) stopped: the target when
    it reached it; steps are repeated while they lower the loss, up to ``limit``
    iterations in all."""
    params, closure = _objective(X, y, target)
    optimizer = rp.optim.LBFGS(params, max_iter=limit, history_size=HISTORY)
    loss = np.inf
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            while optimizer.shared_state.get("n_iter", 0) < limit:
                previous, loss = loss, float(optimizer.step(closure))
                if loss >= previous:
                    break
    except _Reached:
        return target
    return loss


def scipy_lbfgs(X: np.ndarray, y: np.ndarray, target: float, limit: int) -> float:
    """The loss at which SciPy's L-BFGS-B (default tolerances) stopped: the target when it
    reached it."""
    minimize = require("scipy.optimize", extra="bench").minimize
    params, closure = _objective(X, y, target)

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        flat.scatter(params, w)
        loss = closure()
        return loss.item(), flat.gather_grad(params)

    try:
        result = minimize(loss_and_grad, flat.gather(params), jac=True, method="L-BFGS-B",
                          options=dict(maxiter=limit, maxcor=HISTORY))
        return float(result.fun)
    except _Reached:
        return target


def rows(settings: Settings) -> list[Row]:
    X, y = data.digits()
    iterations = QUICK_ITERATIONS if settings.quick else ITERATIONS
    target = scipy_lbfgs(X, y, -np.inf, iterations)
    limit = 5 * iterations  # retroprop may take more iterations than SciPy, not unboundedly
    contenders = {"retroprop": lambda: retroprop_lbfgs(X, y, target, limit),
                  "scipy": lambda: scipy_lbfgs(X, y, target, limit)}
    results = trained_rounds(contenders, (), settings.rounds_or(5), lambda _: None,
                             pause=settings.pause)
    reached = results["retroprop"]["accuracy"]  # the last value returned: here, a loss
    result = row("lbfgs", f"digits MLP 64-32-10, time to SciPy's loss after {iterations} "
                 "iterations", "s", results["retroprop"]["rounds"], "scipy L-BFGS-B",
                 results["scipy"]["rounds"], 1.0, target_loss=target, retroprop_loss=reached,
                 reached=bool(reached <= target))
    result["met"] = result["met"] and result["reached"]  # a fast stop short of it is no win
    return [result]
