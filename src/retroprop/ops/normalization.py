"""Standardization over some axes, the core of batch and layer normalization
(Fuentes Pineda, UNAM, "Capas de normalización").

    x̂ = (x - μ) / √(σ² + ε),   μ, σ² the mean and (biased) variance over ``axes``

Backward, with n the number of elements averaged and g = dL/dx̂:

    dL/dx = (1 / (n √(σ² + ε))) (n g - Σ g - x̂ Σ (g x̂))      (sums over ``axes``)

Batch normalization in training fuses the per-channel affine map y = γ x̂ + β into the
same node (:class:`BatchNormalize`): with g = dL/dy, dL/dβ = Σ g, dL/dγ = Σ g x̂ and
dL/dx = (γ / (n √(σ² + ε))) (n g - Σ g - x̂ Σ (g x̂)), sums over every axis but the
channels; the sums serve both the parameters and the input, and no intermediate
tensor of the unfused graph (x̂ γ, its gradient) is made.
"""

from __future__ import annotations

import numpy as np

from retroprop.intraop import along, parallel_for
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


class BatchNormalize(Function):
    """y = γ x̂ + β per channel (axis 1), x̂ = (x - μ_B) / √(σ²_B + ε), from the centred
    input x - μ_B and the biased batch variance σ²_B computed by :func:`batch_norm` (the
    centred array becomes x̂ in place)."""

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, *,
                centered: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
        self.count = x.size // x.shape[1]
        shape = var.shape
        self.inv_std = inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
        self.x_hat = x_hat = centered
        self.weight = gamma = weight.reshape(shape)
        beta = bias.reshape(shape)
        out = np.empty_like(x_hat)

        def affine(start: int, stop: int) -> None:
            """Channels [start, stop): x̂ in place of x - μ, then γ x̂ + β."""
            part = along(1, start, stop)  # of the maps and of the per-channel arrays
            np.multiply(x_hat[part], inv_std[part], out=x_hat[part])
            np.multiply(x_hat[part], gamma[part], out=out[part])
            out[part] += beta[part]

        parallel_for(x.shape[1], affine, work=x.size * 3)
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        x_hat, n, shape = self.x_hat, self.count, self.inv_std.shape
        total = np.empty(shape, x_hat.dtype)
        projection = np.empty(shape, x_hat.dtype)
        grad_x = np.empty_like(x_hat) if self.needs_input_grad[0] else None
        scale = self.weight * self.inv_std

        def gradients(start: int, stop: int) -> None:
            """Σg and Σ g x̂ of channels [start, stop), then their part of dL/dx."""
            part = along(1, start, stop)
            g, x_hat_part = grad[part], x_hat[part]
            total[part] = channel_sum(g, keepdims=True)
            projection[part] = channel_sum(g, x_hat_part, keepdims=True)
            if grad_x is not None:
                # (g - Σg/n - x̂ Σ(g x̂)/n) γ/√(σ² + ε)
                into = grad_x[part]
                np.multiply(x_hat_part, projection[part] / n, out=into)
                np.subtract(g, into, out=into)
                into -= total[part] / n
                into *= scale[part]

        parallel_for(x_hat.shape[1], gradients, work=x_hat.size * 4)
        return grad_x, projection.reshape(-1), total.reshape(-1)


def channel_axes(x: np.ndarray | Tensor) -> tuple[int, ...]:
    """Every axis but the channels (axis 1)."""
    return (0, *range(2, x.ndim))


def channel_sum(a: np.ndarray, b: np.ndarray | None = None, *,
                keepdims: bool = False) -> np.ndarray:
    """Σ a, or Σ a·b, over every axis but the channels (axis 1), shape (C,) (or
    (1, C, 1, ...) with ``keepdims``): one pass of ``np.einsum``, without the temporary
    product, about twice as fast as ``(a * b).sum`` over 4-D feature maps (and ``a.sum``
    over them) at batch 128."""
    axes = "n" + "c" + "hwdlm"[:a.ndim - 2]
    total = np.einsum(f"{axes}->c", a) if b is None else \
        np.einsum(f"{axes},{axes}->c", a, b)
    return total.reshape(1, a.shape[1], *[1] * (a.ndim - 2)) if keepdims else total


def batch_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5
               ) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(γ x̂ + β, μ_B, σ²_B) with the batch statistics of each channel (axis 1); μ_B and
    σ²_B keep the reduced axes as size 1. Same values as ``standardize(x, axes)`` times
    γ plus β, in one node."""
    shape = (1, x.shape[1], *[1] * (x.ndim - 2))
    count = x.dtype.type(x.size // x.shape[1])
    data = x.data
    mean = np.empty(shape, data.dtype)
    var = np.empty(shape, data.dtype)
    centered = np.empty_like(data)  # x's memory layout

    def statistics(start: int, stop: int) -> None:
        """μ_B and σ²_B of channels [start, stop), and x - μ_B."""
        part = along(1, start, stop)
        mean[part] = channel_sum(data[part], keepdims=True) / count
        np.subtract(data[part], mean[part], out=centered[part])
        var[part] = channel_sum(centered[part], centered[part], keepdims=True) / count

    parallel_for(x.shape[1], statistics, work=data.size * 3)
    out = BatchNormalize.apply(x, weight, bias, centered=centered, var=var, eps=eps)
    return out, mean, var
