"""Activation functions φ(v) of FAMAF, Berzal and Moreno, each with its derivative.

The binary units (``Step``, ``Sign``) are flat almost everywhere: their
derivative is 0 except at v = 0, where it does not exist, so backward
returns zeros (as PyTorch does for ``sign`` and ``heaviside``). Learning
with them needs the perceptron rule, not backpropagation (Berzal).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from retroprop.intraop import MIN_WORK, parallel_parts
from retroprop.ops.axes import check_axis, chosen, tensor_input
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor


class Step(Function):
    """φ(v) = 1 if v >= 0 else 0 (Heaviside, McCulloch–Pitts threshold);  φ'(v) = 0."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return (a >= 0).astype(a.dtype)

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.zeros_like(grad)


class Sign(Function):
    """φ(v) = sgn(v) ∈ {-1, 0, +1} (0 at v = 0, as ``torch.sign``);  φ'(v) = 0."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.sign(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.zeros_like(grad)


class Sigmoid(Function):
    """Logistic φ(v) = 1 / (1 + e^(-a v)) = (1 + tanh(a v/2)) / 2 (stable form), slope a
    (Berzal, "Backpropagation", Granada, "Funciones de activación sigmoidales"; a = 1 is
    PyTorch's);
    φ'(v) = a φ(v)(1 - φ(v))."""

    def forward(self, v: np.ndarray, slope: float = 1.0) -> np.ndarray:
        self.slope = v.dtype.type(slope)
        out = np.tanh(v * (self.slope * v.dtype.type(0.5)))
        out += 1
        out *= 0.5
        self.out = out
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        derivative = grad * self.out * (1 - self.out)
        return derivative if self.slope == 1 else derivative * self.slope


class Tanh(Function):
    """φ(v) = tanh v;  φ'(v) = 1 - φ(v)²."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size * 2 < MIN_WORK:  # one thread (and the fewest calls at batch 1)
            self.out = np.tanh(a)
            return self.out
        self.out = out = np.empty_like(a)
        parallel_parts(lambda a, out: np.tanh(a, out=out), a, out, work=a.size * 2)
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        derivative = np.empty_like(self.out)
        # three passes as fast as copies: worth a split only for large maps
        parallel_parts(_tanh_derivative, self.out, grad, derivative, work=grad.size)
        return derivative


def _tanh_derivative(out: np.ndarray, grad: np.ndarray, into: np.ndarray) -> None:
    """into = (1 - out²) grad."""
    np.multiply(out, out, out=into)
    np.subtract(1, into, out=into)
    into *= grad


#: read-only 0-d zeros by dtype, for :func:`relu_zero`
_ZEROS: dict[np.dtype, np.ndarray] = {}


def relu_zero(a: np.ndarray) -> np.ndarray:
    """What ``np.maximum(a, ·)`` takes for max(0, a): a row of zeros, since NumPy's maximum
    with a scalar is not vectorized (2.5x slower at 128 × 256), but a 0-d zero of a's
    dtype up to 2048 elements, where the row costs more than it saves. Not the Python
    scalar 0, which NumPy converts at every call: 0.25 µs more, a third of a batch-1
    ReLU."""
    if a.size > 2048:
        return np.zeros(a.shape[-1:], a.dtype)
    zero = _ZEROS.get(a.dtype)
    if zero is None:
        zero = _ZEROS[a.dtype] = np.zeros((), a.dtype)
        zero.flags.writeable = False
    return zero


def relu_array(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(0, a) in ``out`` (a new array by default, ``a`` itself to work in place), split
    over the cores when it is large: the forward of :class:`ReLU`, and of ``nn.ReLU``
    without a graph."""
    zero = relu_zero(a)
    if a.size * 2 < MIN_WORK:  # one thread (and the fewest calls at batch 1)
        return np.maximum(a, zero, out=out)
    into = np.empty_like(a) if out is None else out
    parallel_parts(lambda a, into: np.maximum(a, zero, out=into), a, into, work=a.size * 2)
    return into


def relu_into(like: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """a ↦ max(0, a) computed into a itself and returned, for arrays of the shape and
    dtype of ``like``, with :func:`relu_zero` taken once: the ``ReLU`` of an inference
    plan, on the new array of the layer before it."""
    if like.size * 2 >= MIN_WORK:
        return lambda a: relu_array(a, a)
    zero = relu_zero(like)

    def relu_(a: np.ndarray) -> np.ndarray:
        return np.maximum(a, zero, out=a)
    return relu_


class ReLU(Function):
    """φ(v) = max(0, v);  φ'(v) = 1 for v > 0, else 0."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = relu_array(a)
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        if grad.size * 3 < MIN_WORK:
            return grad * (self.out > 0)
        result = np.empty_like(grad)
        parallel_parts(lambda grad, out, result: np.multiply(grad, out > 0, out=result),
                       grad, self.out, result, work=grad.size * 3)
        return result


class LeakyReLU(Function):
    """φ(v) = v for v > 0, else s·v;  φ'(v) = 1 or s."""

    def forward(self, a: np.ndarray, negative_slope: float) -> np.ndarray:
        self.positive = a > 0
        self.slope = a.dtype.type(negative_slope)
        return np.where(self.positive, a, a * self.slope)

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.where(self.positive, grad, grad * self.slope)


class ELU(Function):
    """φ(v) = v for v > 0, else α(eᵛ - 1);  φ'(v) = 1 or φ(v) + α."""

    def forward(self, a: np.ndarray, alpha: float) -> np.ndarray:
        self.positive = a > 0
        self.alpha = a.dtype.type(alpha)
        self.out = np.where(self.positive, a, self.alpha * np.expm1(np.minimum(a, 0)))
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        return np.where(self.positive, grad, grad * (self.out + self.alpha))


class Softmax(Function):
    """φ(v)_i = e^(v_i) / Σ_j e^(v_j) along ``axis`` (shifted by the max for stability);
    dL/dv = φ ⊙ (dL/dφ - Σ_j φ_j dL/dφ_j)."""

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        out = np.exp(a - a.max(axis=axis, keepdims=True))
        out /= out.sum(axis=axis, keepdims=True)
        self.out = out
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        return self.out * (grad - (grad * self.out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """φ(v)_i = v_i - log Σ_j e^(v_j) (log-sum-exp);  dL/dv = dL/dφ - softmax(v) Σ_j dL/dφ_j."""

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        shifted = a - a.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.out = shifted
        return shifted

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


def step(v: Tensor) -> Tensor:
    """Heaviside step: 1 where v >= 0, else 0; zero gradient."""
    return Step.apply(v)


def sign(v: Tensor) -> Tensor:
    """sgn(v) ∈ {-1, 0, 1}; zero gradient."""
    return Sign.apply(v)


def sigmoid(v: Tensor, slope: float = 1.0) -> Tensor:
    """Logistic function 1 / (1 + e^(-slope · v))."""
    return Sigmoid.apply(v, slope=slope)


def tanh(v: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(v)


def relu(v: Tensor) -> Tensor:
    """max(0, v)."""
    return ReLU.apply(v)


def leaky_relu(v: Tensor, negative_slope: float = 0.01) -> Tensor:
    """v for v > 0, else negative_slope · v."""
    return LeakyReLU.apply(v, negative_slope=negative_slope)


def elu(v: Tensor, alpha: float = 1.0) -> Tensor:
    """v for v > 0, else α(eᵛ - 1)."""
    return ELU.apply(v, alpha=alpha)


def _softmax_axis(v: Tensor, dim: int | None, axis: int | None, where: str) -> int:
    """The axis given as ``dim`` (PyTorch) or ``axis`` (NumPy), the last by default; a 0-d
    tensor is treated as one element along its axis."""
    dim, _ = chosen(axis, dim, False, None, where)
    ndim = tensor_input(v, where).ndim
    return check_axis(-1 if dim is None else dim, ndim, where) if ndim else -1


def softmax(v: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """e^(v_i) / Σ_j e^(v_j) along ``dim`` (or ``axis``; the last by default)."""
    return Softmax.apply(v, axis=_softmax_axis(v, dim, axis, "softmax"))


def log_softmax(v: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log softmax(v) along ``dim`` (or ``axis``; the last by default), by log-sum-exp."""
    return LogSoftmax.apply(v, axis=_softmax_axis(v, dim, axis, "log_softmax"))


def lecun_tanh(v: Tensor) -> Tensor:
    """1.7159 · tanh(2v/3), LeCun's recommended sigmoid (Berzal, Efficient BackProp)."""
    return Tanh.apply(v * (2.0 / 3.0)) * 1.7159


def tanh_linear(v: Tensor, a: float = 0.01) -> Tensor:
    """tanh(v) + a·v: a small linear term that removes flat spots (Berzal)."""
    return Tanh.apply(v) + v * a
