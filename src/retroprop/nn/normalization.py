"""Normalization layers (Fuentes Pineda, UNAM, "Capas de normalización"): batch normalization with
population statistics at inference, and layer normalization."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.nn.module import Array, Module
from retroprop.nn.parameter import Parameter
from retroprop.ops.normalization import batch_norm, channel_axes, standardize
from retroprop.tensor.tensor import Tensor, _check_float_dtype, get_default_dtype


class _BatchNorm(Module):
    """y = γ (x - μ_B) / √(σ²_B + ε) + β per channel (Fuentes Pineda, "Normalización por
    lotes (1)", steps 1-4).

    In training, μ_B and σ²_B are the statistics of the mini-batch, and the running
    (population) estimates are updated as in PyTorch, with the unbiased variance
    m/(m - 1) σ²_B of each batch of m values per channel:

    * ``momentum`` α in [0, 1] (default 0.1): an exponential average,
      running ← (1 - α) running + α · batch statistic;
    * ``momentum=None``: the cumulative average over the k batches seen so far,
      running ← running + (batch statistic - running) / k, so that after training
      E[x] = mean of the batch means and Var[x] = mean of the unbiased batch variances:
      the population statistics of Fuentes Pineda, UNAM, "Normalización por lotes (2)",
      step 3 (Ioffe and Szegedy's algorithm 2), and PyTorch's ``momentum=None``.

    In ``eval()`` the population statistics replace the batch ones (Fuentes Pineda, step 3:
    "transformar estadísticos del lote a estadísticos de población").
    ``num_batches_tracked`` counts the training batches, as in PyTorch.
    """

    expected_ndim: tuple[int, ...] = (2,)

    config_attributes = ("eps", "momentum")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive integer, "
                             f"got {num_features!r}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(
                momentum, int | float) or not 0 <= momentum <= 1):
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None (a "
                             f"cumulative average), got {momentum!r}")
        resolved = get_default_dtype() if dtype is None else _check_float_dtype(dtype, "dtype")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, resolved)) if affine else None
        self.bias = Parameter(np.zeros(num_features, resolved)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, resolved))
        self.register_buffer("running_var", np.ones(num_features, resolved))
        self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def _shape(self, x: Tensor | np.ndarray) -> tuple[int, ...]:
        """The shape that broadcasts a per-channel vector against x."""
        return (1, self.num_features) + (1,) * (x.ndim - 2)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if x.ndim not in self.expected_ndim:
            dims = " or ".join(map(str, self.expected_ndim))
            raise ValueError(f"{name}: expected input with {dims} dimensions, got shape "
                             f"{x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: input has {x.shape[1]} features (channels) on axis 1, "
                             f"expected {self.num_features}")
        if x.dtype != self.running_mean.dtype:
            raise TypeError(f"{name}: input of dtype {x.dtype}, but the layer keeps "
                            f"{self.running_mean.dtype} statistics; retroprop never converts "
                            "silently: convert the input or the model (model.to(dtype))")
        if self.training:
            per_channel = x.size // x.shape[1]
            if per_channel <= 1:
                raise ValueError(f"{name}: batch statistics need more than one value per "
                                 f"channel in training, got input of shape {x.shape}; use a "
                                 "larger batch or eval()")
            weight, bias = self.weight, self.bias
            if weight is not None and bias is not None:  # γ and β applied in the same node
                out, mean, var = batch_norm(x, weight, bias, self.eps)
                self._track(mean.reshape(-1), var.reshape(-1), per_channel)
                return out
            out, mean, var = standardize(x, channel_axes(x), self.eps)
            self._track(mean.reshape(-1), var.reshape(-1), per_channel)
            return out
        return self._population(x, self.weight, self.bias)

    def _population(self, x: Array, weight: Array | None, bias: Array | None) -> Array:
        """Evaluation mode: γ (x - E[x]) / √(Var[x] + ε) + β with the running statistics,
        for a tensor (``forward``) or an array (``_infer``)."""
        shape = self._shape(x)
        inv_std = 1.0 / np.sqrt(self.running_var + x.dtype.type(self.eps))
        out = (x - self.running_mean.reshape(shape)) * inv_std.reshape(shape)
        if weight is None or bias is None:  # affine=False
            return out
        return out * weight.reshape(shape) + bias.reshape(shape)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        weight, bias = (None if p is None else p.data for p in (self.weight, self.bias))
        if (x.ndim not in self.expected_ndim or x.shape[1] != self.num_features
                or any(a is not None and a.dtype != x.dtype
                       for a in (self.running_mean, self.running_var, weight, bias))):
            return None
        return self._population(x, weight, bias)

    def _track(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        """Move the running statistics towards this batch's (in place)."""
        count = self.num_batches_tracked
        count += 1
        factor = 1.0 / float(count) if self.momentum is None else self.momentum
        for running, value in ((self.running_mean, mean), (self.running_var, var * (n / (n - 1)))):
            running *= 1 - factor
            running += factor * value

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, statistics per feature C.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> bn = rp.nn.BatchNorm1d(3)
    >>> y = bn(np.random.default_rng(0).normal(5, 2, (64, 3)))
    >>> bool(abs(y.data.mean()) < 1e-5)
    True
    """

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, statistics per channel."""

    expected_ndim = (4,)


class LayerNorm(Module):
    """y = γ (x - μ) / √(σ² + ε) + β with μ, σ² over the last dimensions of each example
    (``normalized_shape``); the same in training and inference (Ba et al. 2016)."""

    config_attributes = ("eps",)

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        resolved = get_default_dtype() if dtype is None else _check_float_dtype(dtype, "dtype")
        self.normalized_shape, self.eps = shape, eps
        self.weight = Parameter(np.ones(shape, resolved)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, resolved)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if x.shape[-k:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: input of shape {x.shape} does not end with "
                             f"normalized_shape {self.normalized_shape}")
        out, _, _ = standardize(x, tuple(range(x.ndim - k, x.ndim)), self.eps)
        if self.weight is None or self.bias is None:  # affine=False
            return out
        return out * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
