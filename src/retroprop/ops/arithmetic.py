"""Arithmetic with NumPy broadcasting: +, -, *, /, unary minus, powers.

The engine sums each gradient back over broadcast axes, so these rules
are written for same-shaped operands.
"""

from __future__ import annotations

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor, as_tensor


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad, (-grad if self.needs_input_grad[1] else None)


class Neg(Function):
    """z = -a."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: np.ndarray) -> Gradients:
        return -grad


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: np.ndarray) -> Gradients:
        return (
            grad * self.b if self.needs_input_grad[0] else None,
            grad * self.a if self.needs_input_grad[1] else None,
        )


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b² = -z/b."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.b = b
        self.out = a / b
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        grad_a = grad / self.b
        return (
            grad_a if self.needs_input_grad[0] else None,
            -grad_a * self.out if self.needs_input_grad[1] else None,
        )


class PowScalar(Function):
    """z = a^p for a constant p;  dz/da = p a^(p-1), and 0 for p = 0 (z = 1 even at a = 0,
    as in PyTorch)."""

    keeps_integers = True

    def forward(self, a: np.ndarray, exponent: float) -> np.ndarray:
        self.a, self.exponent = a, exponent
        return a**exponent

    def backward(self, grad: np.ndarray) -> Gradients:
        if self.exponent == 0:
            return np.zeros_like(grad)
        return grad * (self.exponent * self.a ** (self.exponent - 1))


class Pow(Function):
    """z = a^b with both tensors;  dz/da = b a^(b-1), dz/db = z ln a.

    PyTorch's conventions where these are 0·∞: dz/da = 0 where b = 0, and dz/db = 0 where
    a = 0 and b >= 0.
    """

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        a, b, zero = self.a, self.b, grad.dtype.type(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad_b = None
            if self.needs_input_grad[0]:
                grad_a = np.where(b == 0, zero, grad * b * a ** (b - 1))
            if self.needs_input_grad[1]:
                grad_b = np.where((a == 0) & (b >= 0), zero, grad * self.out * np.log(a))
        return grad_a, grad_b


def add(a: Tensor, b: Tensor | float | np.ndarray) -> Tensor:
    """a + b with broadcasting."""
    return Add.apply(a, as_tensor(b, like=a))


def sub(a: Tensor, b: Tensor | float | np.ndarray) -> Tensor:
    """a - b with broadcasting."""
    return Sub.apply(a, as_tensor(b, like=a))


def mul(a: Tensor, b: Tensor | float | np.ndarray) -> Tensor:
    """a * b (element-wise) with broadcasting."""
    return Mul.apply(a, as_tensor(b, like=a))


def div(a: Tensor, b: Tensor | float | np.ndarray) -> Tensor:
    """a / b (element-wise) with broadcasting."""
    return Div.apply(a, as_tensor(b, like=a))


def neg(a: Tensor) -> Tensor:
    """-a."""
    return Neg.apply(a)


def pow(a: Tensor, exponent: Tensor | float | np.ndarray) -> Tensor:
    """a ** exponent; a number is a constant exponent, a tensor exponent is differentiated
    too, an array is a constant tensor exponent."""
    if isinstance(exponent, Tensor):
        return Pow.apply(a, exponent)
    if isinstance(exponent, np.ndarray) and exponent.ndim:
        return Pow.apply(a, as_tensor(exponent, like=a))
    if isinstance(exponent, int | np.integer) and exponent >= 0 and a.dtype.kind in "biu":
        # an integer tensor to a whole-number power stays integer, as in PyTorch, where a
        # float exponent (labels ** 2.0) gives floats
        return PowScalar.apply(a, exponent=int(exponent))
    return PowScalar.apply(a, exponent=float(exponent))


def rpow(a: Tensor, base: float | np.ndarray) -> Tensor:
    """base ** a for a constant base (``2 ** t``); dz/da = z ln(base)."""
    return Pow.apply(as_tensor(base, like=a), a)


def pos(a: Tensor) -> Tensor:
    """+a: ``a`` itself, as in PyTorch and NumPy."""
    return a
