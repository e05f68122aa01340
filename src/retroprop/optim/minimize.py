"""``minimize``: run any optimizer on a plain function of a tensor (Tobón & Aguirre's gradient
descent on f(x) = (x - 4)² + 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retroprop.nn.parameter import Parameter
from retroprop.optim.registry import create
from retroprop.tensor.tensor import Tensor


@dataclass
class MinimizeResult:
    """x: the last point; fun: f(x); path: every point from x0 on; values: f along it."""

    x: np.ndarray
    fun: float
    path: list[np.ndarray] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    nit: int = 0


def minimize(fn: Callable[[Tensor], Tensor], x0: Any, method: str = "sgd", steps: int = 100,
             tol: float | None = None, **options: Any) -> MinimizeResult:
    """Minimize ``fn`` from ``x0`` with the optimizer named ``method`` (float64).

    Parameters
    ----------
    fn : callable
        Takes a tensor x, returns a tensor with one element.
    x0 : array_like
    method : str
        A name of :data:`retroprop.optim.OPTIMIZERS` ("sgd", "adam", "rprop", "lbfgs",
        "cg", "newton", ...).
    steps : int
        Calls of ``optimizer.step``.
    tol : float, optional
        Stop when a step moves x by at most ``tol`` (max norm).
    **options
        Passed to the optimizer (``lr=0.6``, ``momentum=0.9``, ...).

    Examples
    --------
    >>> r = minimize(lambda x: ((x - 4) ** 2 + 3).sum(), [7.0], lr=0.6, steps=4)
    >>> [round(float(p[0]), 4) for p in r.path]
    [7.0, 3.4, 4.12, 3.976, 4.0048]
    """
    maximize = options.get("maximize", False)
    if isinstance(maximize, bool | np.bool_) and maximize:  # others: the optimizer's error
        raise ValueError("minimize: maximize=True would climb fn, the opposite of what "
                         "minimize does; minimize lambda x: -fn(x) instead")
    x = Parameter(np.array(x0, dtype=np.float64))
    optimizer = create(method, [x], **options)

    def closure() -> float:
        optimizer.zero_grad()
        value = fn(x)
        if value.size != 1:
            raise ValueError(f"minimize: fn must return one value, got shape {value.shape}")
        value.backward()
        return value.item()

    result = MinimizeResult(x=x.data, fun=float(fn(x).item()), path=[x.data.copy()])
    result.values.append(result.fun)
    for _ in range(steps):
        before = x.data.copy()
        optimizer.step(closure)
        result.nit += 1
        result.path.append(x.data.copy())
        result.values.append(float(fn(x).item()))
        if tol is not None and np.abs(x.data - before).max() <= tol:
            break
    result.x, result.fun = x.data.copy(), result.values[-1]
    return result
