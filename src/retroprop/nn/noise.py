"""Noise as a regularizer (Berzal, Fuentes Pineda): on inputs or activities (``GaussianNoise``),
binary stochastic activities (``StochasticBinary``). Noise on the weights is the
``weight_noise`` option of ``Linear``; noise on the targets is ``label_smoothing``."""

from __future__ import annotations

import numpy as np

from retroprop.checks import check_rate
from retroprop.nn.module import Module
from retroprop.random import generator
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class GaussianNoise(Module):
    """y = x + ε, ε ~ N(0, std²) in training; the identity in inference.

    On the inputs of a linear unit, Gaussian noise of variance σ² adds σ² Σ w² to the
    expected squared error: an L2 penalty (Berzal).
    """

    stochastic = True

    config_attributes = ("std",)

    def __init__(self, std: float) -> None:
        super().__init__()
        check_rate(std, "GaussianNoise: std")
        self.std = float(std)

    def noise(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return generator().normal(0.0, self.std, shape).astype(dtype)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.std == 0:
            return x
        return x + self.noise(x.shape, x.dtype)

    def extra_repr(self) -> str:
        return f"std={self.std}"


class StochasticBinarySample(Function):
    """s ~ Bernoulli(σ(v)) forward; the logistic unit's gradient σ(v)(1 - σ(v)) backward."""

    def forward(self, v: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        self.p = 0.5 * (1 + np.tanh(0.5 * v))
        return (uniform < self.p).astype(v.dtype)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad * self.p * (1 - self.p)


class StochasticBinary(Module):
    """Logistic units that emit 1 with probability p = σ(v) and 0 otherwise in training
    (noise in the activities, Berzal), with the plain logistic gradient backward; in
    inference they output p itself."""

    stochastic = True

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x.sigmoid()
        uniform = generator().random(x.shape).astype(x.dtype)
        return StochasticBinarySample.apply(x, uniform=uniform)
