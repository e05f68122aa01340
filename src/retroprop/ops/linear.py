"""The fused affine map of a fully connected layer, f = W x + b (seed 001, seed 004)."""

from __future__ import annotations

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Linear(Function):
    """y = x Wᵀ + b for a batch of rows x (shape (..., in)), W of shape (out, in).

    dL/dx = dL/dy W,   dL/dW = (dL/dy)ᵀ x,   dL/db = Σ_batch dL/dy.

    One BLAS call per product, no transposed copies, and no dL/dx when the
    input needs none (the first layer).
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
                ) -> np.ndarray:
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        x, weight = self.x, self.weight
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ weight if self.needs_input_grad[0] else None
        grad_w = rows.T @ x.reshape(-1, x.shape[-1]) if self.needs_input_grad[1] else None
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_w
        grad_b = rows.sum(axis=0) if self.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, with W of shape (out_features, in_features)."""
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input has {x.shape[-1] if x.ndim else 'no'} features (shape {x.shape}) "
            f"but the weight of shape {weight.shape} expects {weight.shape[1]}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
