"""Activation layers φ(v) (FAMAF clase 21; Berzal, "Backpropagation", Granada; Moreno,
Zacatecas); the rules and derivatives live in
:mod:`retroprop.ops.activation`.

``get_activation("relu")`` builds one from its name, as ``activation=``
arguments do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from retroprop import ops
from retroprop.checks import check_lr
from retroprop.nn.module import Module
from retroprop.ops import activation
from retroprop.tensor.tensor import Tensor


class Step(Module):
    """φ(v) = 1 if v >= 0 else 0: the McCulloch–Pitts threshold unit (Berzal,
    "Backpropagation", Granada, "Perceptrones"). Gradient 0 everywhere
    (undefined at 0): train it with the perceptron rule, not backpropagation."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.step(x)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.Step().forward(x)


class Sign(Module):
    """φ(v) = sgn(v) ∈ {-1, 0, +1} (FAMAF clase 21, "Signo"). Gradient 0 everywhere
    (undefined at 0). The perceptron of Haykin's table 1.1 (in Berzal) maps 0 to -1
    instead: :func:`retroprop.models.perceptron.sgn`."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sign(x)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.Sign().forward(x)


class Sigmoid(Module):
    """Logistic φ(v) = 1 / (1 + e^(-a v)), in (0, 1), with slope a (Berzal, "Backpropagation",
    Granada, "Funciones de activación sigmoidales"); the default a = 1 is PyTorch's ``nn.Sigmoid``.
    φ'(v) = a φ(v)(1 - φ(v)); a large a approaches the step function."""

    config_attributes = ("slope",)

    def __init__(self, slope: float = 1.0) -> None:
        super().__init__()
        check_lr(slope, "Sigmoid: slope")
        self.slope = float(slope)

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x, self.slope)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.Sigmoid().forward(x, self.slope)

    def extra_repr(self) -> str:
        return "" if self.slope == 1 else f"slope={self.slope}"


class Tanh(Module):
    """φ(v) = tanh v = (eᵛ - e⁻ᵛ)/(eᵛ + e⁻ᵛ), in (-1, 1); tanh(v) = 2·logistic(2v) - 1, a
    symmetric sigmoid that usually converges faster than the logistic (Berzal,
    "Backpropagation", Granada, "Funciones de activación")."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.Tanh().forward(x)


class LeCunTanh(Module):
    """φ(v) = 1.7159 tanh(2v/3): φ(±1) = ±1 and maximal second derivative at ±1
    (Berzal, "Backpropagation", Granada, LeCun's Efficient BackProp)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.lecun_tanh(x)


class TanhLinear(Module):
    """φ(v) = tanh(v) + a·v: the linear term avoids flat spots (Berzal, "Backpropagation",
    Granada)."""

    config_attributes = ("a",)

    def __init__(self, a: float = 0.01) -> None:
        super().__init__()
        self.a = a

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh_linear(x, self.a)

    def extra_repr(self) -> str:
        return f"a={self.a}"


class ReLU(Module):
    """φ(v) = max(0, v): v if v >= 0, else 0 (Berzal, "Backpropagation", Granada, "ReLU";
    FAMAF clase 21 and Fuentes Pineda, UNAM: a non-saturating activation against vanishing
    gradients). φ'(0) is taken as 0, as PyTorch.

    ``inplace`` is accepted so that PyTorch's ``nn.ReLU(inplace=True)`` runs unchanged, and
    changes nothing but the ``repr``: the output is the same, training keeps the input for
    the backward pass, and inference already writes over buffers that nothing else holds
    (:mod:`retroprop.nn.plan`), which is the memory PyTorch's flag saves."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.relu_array(x)

    def _infer_in_place(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        return activation.relu_into(x)


class LeakyReLU(Module):
    """φ(v) = v for v > 0, else negative_slope·v (FAMAF clase 21, "Leaky ReLU"); the
    default slope 0.01 is PyTorch's."""

    config_attributes = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(x, self.negative_slope)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.LeakyReLU().forward(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """φ(v) = v for v > 0, else α(eᵛ - 1) (FAMAF clase 21, "ELU"); α = 1 by default, as
    PyTorch."""

    config_attributes = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        if alpha < 0:
            raise ValueError(f"ELU: alpha must be >= 0, got {alpha}")
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return ops.elu(x, self.alpha)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return activation.ELU().forward(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(Module):
    """φ(v)_i = e^(v_i) / Σ_j e^(v_j) along ``dim`` (Berzal, "Backpropagation", appendix
    "Softmax": ∂y_i/∂z_i = y_i(1 - y_i); Moreno, Zacatecas, "Softmax"). For training,
    :class:`~retroprop.nn.CrossEntropyLoss` fuses it with the loss."""

    config_attributes = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return ops.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """φ(v)_i = v_i - log Σ_j e^(v_j) along ``dim``."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.log_softmax(x, self.dim)


class Identity(Module):
    """φ(v) = v (a linear unit)."""

    def forward(self, x: Tensor) -> Tensor:
        return x

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return x


ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "step": Step, "sign": Sign, "sigmoid": Sigmoid, "logistic": Sigmoid, "tanh": Tanh,
    "lecun_tanh": LeCunTanh, "tanh_linear": TanhLinear, "relu": ReLU,
    "leaky_relu": LeakyReLU, "elu": ELU, "softmax": Softmax, "log_softmax": LogSoftmax,
    "linear": Identity, "identity": Identity,
}  # fmt: skip


def get_activation(name: str | Module) -> Module:
    """A new activation layer from its name (``"relu"``), or the given module."""
    if isinstance(name, Module):
        return name
    key = name.lower().replace("-", "_") if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[key]()
