"""All parameters as one vector w ∈ R^N: the view of the full-batch methods
(conjugate gradient, L-BFGS, Newton, Levenberg–Marquardt)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retroprop.tensor.tensor import Tensor


def gather(params: Sequence[Tensor]) -> np.ndarray:
    """w: a copy of every parameter, concatenated."""
    return np.concatenate([p.data.reshape(-1) for p in params])


def gather_grad(params: Sequence[Tensor]) -> np.ndarray:
    """∂E/∂w: every gradient concatenated (zeros for parameters without one)."""
    return np.concatenate([np.zeros(p.size, p.dtype) if p.grad is None else p.grad.reshape(-1)
                           for p in params])


def only_with_gradients(params: Sequence[Tensor], direction: np.ndarray) -> np.ndarray:
    """``direction`` with the entries of the parameters that have no gradient (frozen with
    ``requires_grad = False``, or not reached by the loss) set to 0, in place: a direction
    built from earlier steps (a conjugate direction, curvature pairs) must not move them,
    as the first-order methods skip them."""
    offset = 0
    for p in params:
        if p.grad is None:
            direction[offset:offset + p.size] = 0
        offset += p.size
    return direction


def trained_norm(params: Sequence[Tensor], vector: np.ndarray) -> float:
    """‖vector‖ over the entries of the parameters that have a gradient: the scale of a
    finite-difference step, which a frozen parameter (``requires_grad = False``) must not
    change, so that the others move as if it were not there."""
    offsets = np.cumsum([0, *(p.size for p in params)])
    return float(np.linalg.norm(np.concatenate(
        [vector[start:end] for p, start, end in zip(params, offsets, offsets[1:], strict=False)
         if p.grad is not None] or [vector[:0]])))


def scatter(params: Sequence[Tensor], vector: np.ndarray) -> None:
    """Copy ``vector`` back into the parameters, in place."""
    offset = 0
    for p in params:
        p.data[...] = vector[offset:offset + p.size].reshape(p.shape)
        offset += p.size


def add(params: Sequence[Tensor], step: float, direction: np.ndarray) -> None:
    """w ← w + step · direction, in place."""
    offset = 0
    for p in params:
        p.data += (step * direction[offset:offset + p.size]).reshape(p.shape).astype(p.dtype)
        offset += p.size
