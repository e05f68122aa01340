"""Line search satisfying the strong Wolfe conditions (Nocedal & Wright, Numerical
Optimization, algorithms 3.5 and 3.6), with cubic interpolation.

Along a direction d from w, with φ(t) = E(w + t d), a step t is accepted when

    φ(t) <= φ(0) + c1 t φ'(0)          (sufficient decrease, Armijo)
    |φ'(t)| <= c2 |φ'(0)|              (curvature)

The search first extrapolates until it brackets such a step, then zooms into
the bracket. It makes at most 1 + ``max_iterations`` evaluations and never loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Evaluate = Callable[[float], tuple[float, np.ndarray]]


@dataclass
class Point:
    t: float
    value: float
    grad: np.ndarray
    slope: float  # φ'(t) = ∇E(w + t d) · d


@dataclass
class LineSearchResult:
    t: float
    value: float
    grad: np.ndarray
    evaluations: int
    converged: bool  # False: gave up within its budget (the step still decreases E, if any)


def cubic_minimizer(a: Point, b: Point, low: float | None = None, high: float | None = None
                    ) -> float:
    """Minimizer of the cubic through (t, φ, φ') at a and b, clipped to [low, high]
    (the interval between a and b by default); its midpoint when the cubic has none."""
    if low is None or high is None:
        low, high = min(a.t, b.t), max(a.t, b.t)
    if a.t == b.t:  # a bracket that collapsed (tolerance_change=0): nothing to fit
        return min(max(a.t, low), high)
    d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.t - b.t)
    square = d1 * d1 - a.slope * b.slope
    if square < 0:
        return (low + high) / 2
    d2 = math.sqrt(square)
    first, second = (a, b) if a.t <= b.t else (b, a)
    denominator = second.slope - first.slope + 2 * d2
    if denominator == 0:
        return (low + high) / 2
    t = second.t - (second.t - first.t) * (second.slope + d2 - d1) / denominator
    return min(max(t, low), high)


def strong_wolfe(evaluate: Evaluate, direction: np.ndarray, start: Point, t: float,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_iterations: int = 25) -> LineSearchResult:
    """Find t satisfying the strong Wolfe conditions along ``direction``.

    ``evaluate(t)`` returns (E, ∇E) at w + t d; ``start`` is the point t = 0.
    """
    scale = float(np.abs(direction).max())
    previous = start
    value, grad = evaluate(t)
    current = Point(t, value, grad, float(grad @ direction))
    evaluations = 1
    bracket: list[Point] | None = None
    while evaluations <= max_iterations:
        if current.value > start.value + c1 * current.t * start.slope or \
                (evaluations > 2 and current.value >= previous.value):
            bracket = [previous, current]
            break
        if abs(current.slope) <= -c2 * start.slope:
            return LineSearchResult(current.t, current.value, current.grad, evaluations, True)
        if current.slope >= 0:
            bracket = [previous, current]
            break
        t_low, t_high = current.t + 0.01 * (current.t - previous.t), current.t * 10
        t = cubic_minimizer(previous, current, t_low, t_high)
        previous = current
        value, grad = evaluate(t)
        current = Point(t, value, grad, float(grad @ direction))
        evaluations += 1
    if bracket is None:
        bracket = [start, current]

    # Zoom: keep a bracket [low, high] whose low end has the smaller value.
    stuck = False
    converged = False
    while evaluations <= max_iterations:
        low, high = (bracket[0], bracket[1]) if bracket[0].value <= bracket[1].value \
            else (bracket[1], bracket[0])
        if abs(high.t - low.t) * scale < tolerance_change:
            break
        t = cubic_minimizer(bracket[0], bracket[1])
        left, right = min(low.t, high.t), max(low.t, high.t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            # Too close to an end: after two such steps in a row, move inside the bracket.
            if stuck or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        value, grad = evaluate(t)
        trial = Point(t, value, grad, float(grad @ direction))
        evaluations += 1
        if trial.value > start.value + c1 * t * start.slope or trial.value >= low.value:
            bracket = [low, trial]
        else:
            if abs(trial.slope) <= -c2 * start.slope:
                converged = True
                bracket = [trial, high]
                break
            bracket = [trial, low] if trial.slope * (high.t - low.t) >= 0 else [trial, high]
    best = bracket[0] if bracket[0].value <= bracket[1].value else bracket[1]
    return LineSearchResult(best.t, best.value, best.grad, evaluations, converged)
