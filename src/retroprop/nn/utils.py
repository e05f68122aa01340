"""Gradient clipping (Fuentes Pineda: a remedy for exploding gradients)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from retroprop.tensor.tensor import Tensor


def clip_grad_norm_(parameters: Iterable[Tensor], max_norm: float, norm_type: float = 2.0
                    ) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    g ← g · min(1, max_norm / ||g||), with ||g|| the ``norm_type``-norm of
    all gradients concatenated. Returns the norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    if norm_type == np.inf:
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads)
                      ** (1.0 / norm_type))
    if total > max_norm:
        factor = max_norm / (total + 1e-6)
        for grad in grads:
            grad *= factor
    return total


def clip_grad_value_(parameters: Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient element to [-clip_value, clip_value], in place."""
    if not clip_value > 0:
        raise ValueError(f"clip_grad_value_: clip_value must be positive, got {clip_value}")
    for param in parameters:
        if param.grad is not None:
            np.clip(param.grad, -clip_value, clip_value, out=param.grad)
