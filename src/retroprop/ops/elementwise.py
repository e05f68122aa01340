"""Element-wise functions: exp, log, log1p, sin, cos, abs, square, clip (clamp), where,
masked_fill, maximum, minimum."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.ops.arithmetic import PowScalar
from retroprop.tensor.dtypes import fill_value
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor, as_tensor


class Exp(Function):
    """z = eᵃ;  dz/da = z."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad * self.out


class Log(Function):
    """z = ln a;  dz/da = 1/a."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad / self.a


class Log1p(Function):
    """z = ln(1 + a), exact for small a;  dz/da = 1/(1 + a)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log1p(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad / (1 + self.a)


class Sin(Function):
    """z = sin a;  dz/da = cos a."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.sin(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad * np.cos(self.a)


class Cos(Function):
    """z = cos a;  dz/da = -sin a."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.cos(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return -grad * np.sin(self.a)


class Abs(Function):
    """z = |a|;  dz/da = sign(a) (0 at a = 0, as in PyTorch)."""

    keeps_integers = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad * np.sign(self.a)


class Clip(Function):
    """z = min(max(a, low), high);  dz/da = 1 where low <= a <= high (the bounds included,
    as in PyTorch), else 0."""

    keeps_integers = True

    def forward(self, a: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        self.inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            self.inside &= a >= low
        if high is not None:
            self.inside &= a <= high
        return np.clip(a, low, high)

    def backward(self, grad: np.ndarray) -> Gradients:
        return grad * self.inside


class Where(Function):
    """z = a where condition else b;  a gets dL/dz where the condition holds, b elsewhere."""

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray, condition: np.ndarray) -> np.ndarray:
        self.condition = np.asarray(condition, dtype=bool)
        return np.where(self.condition, a, b)

    def backward(self, grad: np.ndarray) -> Gradients:
        zero = grad.dtype.type(0)
        return (
            np.where(self.condition, grad, zero) if self.needs_input_grad[0] else None,
            np.where(self.condition, zero, grad) if self.needs_input_grad[1] else None,
        )


class Maximum(Function):
    """z = max(a, b) element-wise;  dL/dz goes to the larger operand, split in half where
    a = b (as PyTorch)."""

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad: np.ndarray) -> Gradients:
        half = grad.dtype.type(0.5)
        grad_a = grad * ((self.a > self.b) + (self.a == self.b) * half)
        return grad_a, (grad - grad_a if self.needs_input_grad[1] else None)


def exp(a: Tensor) -> Tensor:
    """eᵃ element-wise."""
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    """Natural logarithm element-wise."""
    return Log.apply(a)


def log1p(a: Tensor) -> Tensor:
    """ln(1 + a) element-wise, accurate where a is tiny (``torch.log1p``)."""
    return Log1p.apply(a)


def sin(a: Tensor) -> Tensor:
    """sin a element-wise (radians)."""
    return Sin.apply(a)


def cos(a: Tensor) -> Tensor:
    """cos a element-wise (radians)."""
    return Cos.apply(a)


def abs(a: Tensor) -> Tensor:
    """``|a|`` element-wise."""
    return Abs.apply(a)


def sqrt(a: Tensor) -> Tensor:
    """√a element-wise (a ** 0.5)."""
    return PowScalar.apply(a, exponent=0.5)


def check_bounds(low: float | None, high: float | None, where: str,
                  names: tuple[str, str]) -> None:
    for name, bound in zip(names, (low, high), strict=True):
        if isinstance(bound, Tensor):
            raise TypeError(f"{where}: {name} must be a number or an array, got a Tensor; for a "
                            f"bound that takes a gradient use rp.maximum(x, {names[0]}) or "
                            f"rp.minimum(x, {names[1]})")
        if bound is not None and (isinstance(bound, bool | str) or not isinstance(
                bound, int | float | np.number | np.ndarray)):
            raise TypeError(f"{where}: {name} must be a number, an array or None, got {bound!r}")
    if low is None and high is None:
        raise ValueError(f"{where}: {names[0]} and {names[1]} are both None; give at least "
                         "one bound")
    if low is not None and high is not None and np.any(np.greater(low, high)):
        raise ValueError(
            f"{where}: {names[0]}={low} is greater than {names[1]}={high}; expected "
            f"{names[0]} <= {names[1]} (PyTorch would set every element to {names[1]})"
        )


def clip(a: Tensor, low: float | None = None, high: float | None = None) -> Tensor:
    """``a`` limited to [low, high]; the gradient is cut where the limit is active."""
    check_bounds(low, high, "clip", ("low", "high"))
    return Clip.apply(a, low=low, high=high)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """``torch.clamp``: :func:`clip` with PyTorch's argument names (``x.clamp(min=0)``);
    ``min > max`` is refused, where PyTorch sets every element to ``max``."""
    check_bounds(min, max, "clamp", ("min", "max"))
    return Clip.apply(a, low=min, high=max)


def where(condition: np.ndarray | Tensor, a: Tensor | float, b: Tensor | float) -> Tensor:
    """Element-wise choice: ``a`` where ``condition`` is true, else ``b``."""
    if isinstance(condition, Tensor):
        condition = condition.data
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError("where: a or b must be a Tensor")
    return Where.apply(as_tensor(a, like=like), as_tensor(b, like=like), condition=condition)


def maximum(a: Tensor, other: Tensor | float | np.ndarray) -> Tensor:
    """The larger of ``a`` and ``other`` element-wise, with broadcasting, as
    ``torch.maximum``; where they are equal each gets half the gradient (PyTorch's split).

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.maximum(rp.tensor([1.0, -2.0, 3.0]), 0.0).tolist()
    [1.0, 0.0, 3.0]
    """
    return Maximum.apply(_first(a, "maximum"), as_tensor(other, like=a))


def _first(a: Tensor, where: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{where}: the first operand must be a Tensor, got "
                        f"{type(a).__name__} (the second may be a number)")
    return a


def minimum(a: Tensor, other: Tensor | float | np.ndarray) -> Tensor:
    """The smaller of ``a`` and ``other`` element-wise: -maximum(-a, -other), as
    ``torch.minimum`` (ties split the gradient in half)."""
    return -maximum(-_first(a, "minimum"), -as_tensor(other, like=a))


def square(a: Tensor) -> Tensor:
    """a² element-wise, as ``torch.square``; dz/da = 2a."""
    return PowScalar.apply(a, exponent=2)


def masked_fill(a: Tensor, mask: Any, value: Any) -> Tensor:
    """``a`` with ``value`` where the boolean ``mask`` (broadcast with ``a``) is True, as
    ``torch.Tensor.masked_fill``: the gradient reaches ``a`` where the mask is False, and a
    0-d tensor ``value`` that requires a gradient gets the sum over the filled places. A
    fractional value for an integer tensor is refused (PyTorch truncates it).

    Examples
    --------
    >>> import retroprop as rp
    >>> x = rp.tensor([1.0, 2.0, 3.0])
    >>> x.masked_fill(x > 1.5, 0.0).tolist()
    [1.0, 0.0, 0.0]
    """
    condition = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if condition.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be boolean (e.g. x > 0), got dtype "
                        f"{condition.dtype}, as in PyTorch")
    try:
        np.broadcast_shapes(condition.shape, a.shape)
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {condition.shape} does not broadcast "
                         f"with the input of shape {a.shape}") from None
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got a "
                             f"tensor of shape {value.shape}")
        filled = value
    else:
        filled = Tensor._wrap(np.asarray(fill_value(value, a.dtype, "masked_fill", "value")))
    return Where.apply(filled, a, condition=condition)
