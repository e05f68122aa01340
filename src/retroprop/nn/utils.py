"""Gradient clipping (Fuentes Pineda: a remedy for exploding gradients), and the
parameters as one vector and back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop import ops
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


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one vector w, in order, as
    ``torch.nn.utils.parameters_to_vector``: in the graph, so that a loss computed from
    it differentiates back to the parameters. The second-order methods of the lectures
    (Newton, conjugate gradient, Levenberg–Marquardt; Berzal, "Backpropagation", Granada)
    work on this one vector of all the weights."""
    flat = [_parameter(p, i, "parameters_to_vector").reshape(-1)
            for i, p in enumerate(parameters)]
    if not flat:
        raise ValueError("parameters_to_vector: got no parameters")
    return ops.cat(flat)


def vector_to_parameters(vec: Tensor | np.ndarray, parameters: Iterable[Tensor]) -> None:
    """Write the vector ``vec`` back into the parameters, in order (the inverse of
    :func:`parameters_to_vector`), as ``torch.nn.utils.vector_to_parameters``: in place,
    into each parameter's own array (optimizers and layers holding it see the new
    values, and a graph that used the old ones refuses ``backward``). ``vec`` must have
    exactly as many elements as the parameters and their dtype (PyTorch takes a longer
    one and converts)."""
    values = vec.data if isinstance(vec, Tensor) else vec
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        seen = f"shape {values.shape}" if isinstance(values, np.ndarray) else \
            type(vec).__name__
        raise TypeError(f"vector_to_parameters: vec must be a 1-D Tensor, got {seen}")
    params = [_parameter(p, i, "vector_to_parameters") for i, p in enumerate(parameters)]
    total = sum(p.data.size for p in params)
    if values.size != total:
        raise ValueError(f"vector_to_parameters: vec has {values.size} elements, the "
                         f"parameters {total}")
    for param in params:
        if param.dtype != values.dtype:
            raise TypeError(f"vector_to_parameters: vec has dtype {values.dtype}, a "
                            f"parameter of shape {param.shape} {param.dtype}; convert vec")
    start = 0
    for param in params:
        param.data[...] = values[start:start + param.data.size].reshape(param.shape)
        param._version += 1
        start += param.data.size


def _parameter(param: Any, index: int, where: str) -> Tensor:
    if not isinstance(param, Tensor):
        raise TypeError(f"{where}: expected Tensors (model.parameters()), got "
                        f"{type(param).__name__} at position {index}")
    return param
