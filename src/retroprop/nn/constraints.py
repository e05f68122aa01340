"""Weight constraints, applied after every optimizer step (Berzal, "Restricciones sobre
los pesos"): instead of penalizing large weights, keep them inside a set.

Each constraint works on a layer's weight and its *norm axes*, the axes that hold one
unit's incoming weights: axis 1 of a ``Linear`` weight (out, in), axes (1, 2, 3) of a
``Conv2d`` weight (out, in, kh, kw). (Keras's ``MaxNorm`` defaults to axis 0 of its
(in, out) kernels, the same thing; applying a Keras habit to a PyTorch-layout weight is
the classic mistake.)
"""

from __future__ import annotations

import numpy as np


class Constraint:
    """Project ``weight`` (in place) onto the constraint set."""

    def __call__(self, weight: np.ndarray, axes: tuple[int, ...]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MaxNorm(Constraint):
    """||w_i|| <= c for every unit's incoming weight vector w_i: a vector that grew past c
    is rescaled to length c (Berzal)."""

    def __init__(self, max_value: float) -> None:
        if not max_value > 0:
            raise ValueError(f"MaxNorm: max_norm must be positive, got {max_value!r}")
        self.max_value = float(max_value)

    def __call__(self, weight: np.ndarray, axes: tuple[int, ...]) -> None:
        norms = np.sqrt(np.sum(weight * weight, axis=axes, keepdims=True))
        over = norms > self.max_value
        if over.any():
            weight *= np.where(over, self.max_value / np.maximum(norms, 1e-12), 1.0).astype(
                weight.dtype)

    def __repr__(self) -> str:
        return f"MaxNorm({self.max_value})"


class UnitNorm(Constraint):
    """||w_i|| = 1 for every unit."""

    def __call__(self, weight: np.ndarray, axes: tuple[int, ...]) -> None:
        norms = np.sqrt(np.sum(weight * weight, axis=axes, keepdims=True))
        weight /= np.maximum(norms, 1e-12).astype(weight.dtype)


class NonNeg(Constraint):
    """w >= 0 element-wise."""

    def __call__(self, weight: np.ndarray, axes: tuple[int, ...]) -> None:
        np.maximum(weight, 0, out=weight)
