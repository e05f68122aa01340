"""Standardization over some axes, the core of batch and layer normalization
(Fuentes Pineda, UNAM, "Capas de normalización").

    x̂ = (x - μ) / √(σ² + ε),   μ, σ² the mean and (biased) variance over ``axes``

Backward, with n the number of elements averaged and g = dL/dx̂:

    dL/dx = (1 / (n √(σ² + ε))) (n g - Σ g - x̂ Σ (g x̂))      (sums over ``axes``)
"""

from __future__ import annotations

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Standardize(Function):
    """x̂ = (x - μ) / √(σ² + ε) with μ and σ² given (computed by the caller over ``axes``)."""

    def forward(self, x: np.ndarray, mean: np.ndarray, var: np.ndarray, axes: tuple[int, ...],
                eps: float) -> np.ndarray:
        self.axes = axes
        self.inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
        self.out = (x - mean) * self.inv_std
        self.count = int(np.prod([x.shape[a] for a in axes]))  # (an empty batch too)
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        x_hat, n = self.out, self.count
        total = grad.sum(axis=self.axes, keepdims=True)
        projection = (grad * x_hat).sum(axis=self.axes, keepdims=True)
        return (self.inv_std / n) * (n * grad - total - x_hat * projection)


def standardize(x: Tensor, axes: tuple[int, ...], eps: float = 1e-5
                ) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(x̂, μ, σ²) over ``axes`` (μ and σ² keep the reduced axes as size 1)."""
    mean = x.data.mean(axis=axes, keepdims=True)
    var = x.data.var(axis=axes, keepdims=True)
    return Standardize.apply(x, mean=mean, var=var, axes=axes, eps=eps), mean, var
