"""How each layer of :mod:`retroprop.nn` is written in ONNX (opset 17), in inference form.

Each converter receives the exporter, the module, the name of its input in the graph,
a sample input (a tensor of the right shape, for layers whose ONNX form depends on the
shape) and the module's dotted path; it returns the name of its output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop import nn
from retroprop.ops.pooling import adaptive_matrix
from retroprop.tensor.tensor import Tensor

if TYPE_CHECKING:
    from retroprop.onnx.export import Exporter

Converter = Callable[["Exporter", Any, str, Tensor, str], str]


def _pads(padding: tuple[int, int]) -> list[int]:
    """ONNX lists the start paddings of each axis, then the end ones."""
    return [*padding, *padding]


# ---------------------------------------------------------------------- containers
def sequential(ex: Exporter, module: nn.Sequential, x: str, sample: Tensor, path: str) -> str:
    for name, child in module.named_children():
        x, sample = ex.convert(child, x, sample, f"{path}.{name}" if path else name)
    return x


def residual(ex: Exporter, module: nn.Residual, x: str, sample: Tensor, path: str) -> str:
    """y = x + f(x)."""
    inner, _ = ex.convert(module.module, x, sample, f"{path}.module" if path else "module")
    return ex.graph.node("Add", [x, inner], f"{path}.add")


def flatten(ex: Exporter, module: nn.Flatten, x: str, sample: Tensor, path: str) -> str:
    """Reshape to the kept leading axes (0 copies an axis, the batch included), -1, then
    the kept trailing axes (``end_dim``), whose sizes are the sample's."""
    start, end = module.start_dim % sample.ndim, module.end_dim % sample.ndim
    shape = ex.graph.constant([0] * start + [-1] + list(sample.shape[end + 1:]),
                              f"{path}.shape", np.int64)
    return ex.graph.node("Reshape", [x, shape], path or "flatten")


# ---------------------------------------------------------------------- layers with weights
def linear(ex: Exporter, module: nn.Linear, x: str, sample: Tensor, path: str) -> str:
    """y = x Wᵀ + b as MatMul with Wᵀ (any number of leading axes), then the activation."""
    g = ex.graph
    weight = g.constant(module.weight.data.T, f"{path}.weight_t")
    y = g.node("MatMul", [x, weight], f"{path}.matmul")
    if module.bias is not None:
        y = g.node("Add", [y, g.constant(module.bias.data, f"{path}.bias")], f"{path}.add")
    if module.activation is not None:
        y, _ = ex.convert(module.activation, y, sample, f"{path}.activation")
    return y


def conv2d(ex: Exporter, module: nn.Conv2d, x: str, sample: Tensor, path: str) -> str:
    g = ex.graph
    inputs = [x, g.constant(module.weight.data, f"{path}.weight")]
    if module.bias is not None:
        inputs.append(g.constant(module.bias.data, f"{path}.bias"))
    return g.node("Conv", inputs, path, kernel_shape=list(module.kernel_size),
                  strides=list(module.stride), pads=_pads(module.padding),
                  dilations=list(module.dilation), group=module.groups)


def batch_norm(ex: Exporter, module: Any, x: str, sample: Tensor, path: str) -> str:
    """Inference form: (x - running_mean) / √(running_var + ε) · γ + β.

    ε is added to the variance here, in the model's dtype as retroprop adds it, and the
    node's ``epsilon`` is 0: ONNX attributes are float32, which would round ε (0.1 by
    1.5e-9) in a float64 model."""
    g = ex.graph
    ones, zeros = np.ones(module.num_features), np.zeros(module.num_features)
    scale = ones if module.weight is None else module.weight.data
    shift = zeros if module.bias is None else module.bias.data
    variance = module.running_var + module.running_var.dtype.type(module.eps)
    inputs = [x, g.constant(scale, f"{path}.weight"), g.constant(shift, f"{path}.bias"),
              g.constant(module.running_mean, f"{path}.running_mean"),
              g.constant(variance, f"{path}.running_var_plus_eps")]
    return g.node("BatchNormalization", inputs, path, epsilon=0.0)


def layer_norm(ex: Exporter, module: nn.LayerNorm, x: str, sample: Tensor, path: str) -> str:
    g = ex.graph
    shape = module.normalized_shape
    inputs = [x, g.constant(np.ones(shape) if module.weight is None else module.weight.data,
                            f"{path}.weight")]
    if module.bias is not None:
        inputs.append(g.constant(module.bias.data, f"{path}.bias"))
    return g.node("LayerNormalization", inputs, path, axis=-len(shape),
                  epsilon=float(module.eps))


# ---------------------------------------------------------------------- pooling
def max_pool(ex: Exporter, module: nn.MaxPool2d, x: str, sample: Tensor, path: str) -> str:
    return ex.graph.node("MaxPool", [x], path, kernel_shape=list(module.kernel_size),
                         strides=list(module.stride), pads=_pads(module.padding),
                         dilations=list(module.dilation))


def avg_pool(ex: Exporter, module: nn.AvgPool2d, x: str, sample: Tensor, path: str) -> str:
    """Zero padding counts in the mean, as in retroprop and PyTorch's default."""
    return ex.graph.node("AveragePool", [x], path, kernel_shape=list(module.kernel_size),
                         strides=list(module.stride), pads=_pads(module.padding),
                         count_include_pad=1)


def adaptive_avg_pool(ex: Exporter, module: nn.AdaptiveAvgPool2d, x: str, sample: Tensor,
                      path: str) -> str:
    """y = P_h x P_wᵀ with the averaging matrices of the sample's height and width."""
    g = ex.graph
    (height, width), (out_h, out_w) = sample.shape[2:], module.output_size
    rows = g.constant(adaptive_matrix(height, out_h, g.dtype), f"{path}.rows")
    cols = g.constant(adaptive_matrix(width, out_w, g.dtype).T, f"{path}.cols_t")
    y = g.node("MatMul", [rows, x], f"{path}.rows_matmul")
    return g.node("MatMul", [y, cols], path)


# ---------------------------------------------------------------------- inference-time identities
def identity(ex: Exporter, module: nn.Module, x: str, sample: Tensor, path: str) -> str:
    """Layers that do nothing at inference (Identity, GaussianNoise, inverted Dropout)."""
    return x


def dropout(ex: Exporter, module: nn.Dropout, x: str, sample: Tensor, path: str) -> str:
    """Identity for inverted dropout; × (1 - p) for the lecture's ``scale="inference"``."""
    if module.p == 0 or module.scale == "train":
        return x
    keep = ex.graph.constant(1.0 - module.p, f"{path}.keep")
    return ex.graph.node("Mul", [x, keep], path)


# ---------------------------------------------------------------------- activations
def _unary(op: str, **attributes: Any) -> Converter:
    def convert(ex: Exporter, module: Any, x: str, sample: Tensor, path: str) -> str:
        values = {name: float(getattr(module, attr)) for name, attr in attributes.items()}
        return ex.graph.node(op, [x], path, **values)
    convert.__doc__ = f"The ONNX operator {op}."
    return convert


def softmax(op: str) -> Converter:
    def convert(ex: Exporter, module: nn.Softmax, x: str, sample: Tensor, path: str) -> str:
        return ex.graph.node(op, [x], path, axis=module.dim)
    return convert


def leaky_relu(ex: Exporter, module: nn.LeakyReLU, x: str, sample: Tensor, path: str) -> str:
    """x for x >= 0, else a·x: PRelu with the slope a as a constant of the model's dtype
    (LeakyRelu's ``alpha`` attribute is float32, rounded in a float64 model)."""
    g = ex.graph
    return g.node("PRelu", [x, g.constant(module.negative_slope, f"{path}.negative_slope")],
                  path)


def sigmoid(ex: Exporter, module: nn.Sigmoid, x: str, sample: Tensor, path: str) -> str:
    """1 / (1 + e^(-a x)): the slope a multiplies the input first when it is not 1."""
    g = ex.graph
    if module.slope != 1:
        x = g.node("Mul", [x, g.constant(module.slope, f"{path}.slope")], f"{path}.in")
    return g.node("Sigmoid", [x], path)


def step(ex: Exporter, module: nn.Step, x: str, sample: Tensor, path: str) -> str:
    """1 where x >= 0 else 0: a comparison cast back to the model's dtype."""
    g = ex.graph
    positive = g.node("GreaterOrEqual", [x, g.constant(0.0, f"{path}.zero")], f"{path}.ge")
    return g.node("Cast", [positive], path, to=g.elem_type())


def lecun_tanh(ex: Exporter, module: nn.LeCunTanh, x: str, sample: Tensor, path: str) -> str:
    """1.7159 · tanh(2x/3)."""
    g = ex.graph
    scaled = g.node("Mul", [x, g.constant(2.0 / 3.0, f"{path}.two_thirds")], f"{path}.in")
    tanh = g.node("Tanh", [scaled], f"{path}.tanh")
    return g.node("Mul", [tanh, g.constant(1.7159, f"{path}.gain")], path)


def tanh_linear(ex: Exporter, module: nn.TanhLinear, x: str, sample: Tensor, path: str) -> str:
    """tanh(x) + a·x."""
    g = ex.graph
    tanh = g.node("Tanh", [x], f"{path}.tanh")
    slope = g.node("Mul", [x, g.constant(module.a, f"{path}.a")], f"{path}.linear")
    return g.node("Add", [tanh, slope], path)


CONVERTERS: dict[type, Converter] = {
    nn.Sequential: sequential, nn.Residual: residual, nn.Flatten: flatten,
    nn.Linear: linear, nn.Conv2d: conv2d,
    nn.BatchNorm1d: batch_norm, nn.BatchNorm2d: batch_norm, nn.LayerNorm: layer_norm,
    nn.MaxPool2d: max_pool, nn.AvgPool2d: avg_pool, nn.AdaptiveAvgPool2d: adaptive_avg_pool,
    nn.Dropout: dropout, nn.GaussianNoise: identity, nn.Identity: identity,
    nn.StochasticBinary: _unary("Sigmoid"),
    nn.Step: step, nn.Sign: _unary("Sign"), nn.Sigmoid: sigmoid,
    nn.Tanh: _unary("Tanh"), nn.LeCunTanh: lecun_tanh, nn.TanhLinear: tanh_linear,
    nn.ReLU: _unary("Relu"), nn.LeakyReLU: leaky_relu,
    nn.ELU: _unary("Elu", alpha="alpha"),
    nn.Softmax: softmax("Softmax"), nn.LogSoftmax: softmax("LogSoftmax"),
}  # fmt: skip
"""The converter of each exportable class (exact classes: a subclass may change forward)."""
