"""Differentiable operations: one class per rule (forward beside its vector-Jacobian
product) and a function per operation.

Importing this package also gives :class:`~retroprop.tensor.Tensor` its
operators and methods (``a + b``, ``a @ b``, ``a.sum()``, ``a.relu()``, ...),
from the table ``TENSOR_METHODS`` below, so that the engine in
:mod:`retroprop.tensor` never imports the operations built on it.
"""

from collections.abc import Callable
from typing import Any

from retroprop.ops.activation import (
    elu,
    leaky_relu,
    lecun_tanh,
    log_softmax,
    relu,
    sigmoid,
    sign,
    softmax,
    step,
    tanh,
    tanh_linear,
)
from retroprop.ops.arithmetic import add, div, mul, neg, pow, sub
from retroprop.ops.elementwise import abs, clip, exp, log, sqrt, where
from retroprop.ops.linear import linear
from retroprop.ops.matmul import matmul
from retroprop.ops.reduction import max, mean, min, sum
from retroprop.ops.shape import concatenate, flatten, getitem, reshape, stack, transpose
from retroprop.tensor.tensor import Tensor, as_tensor


def _reflected(op: Callable[[Tensor, Any], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    def method(self: Tensor, other: Any) -> Tensor:
        return op(as_tensor(other, like=self), self)

    method.__doc__ = f"other {op.__name__} self"
    return method


TENSOR_METHODS: dict[str, Callable[..., Any]] = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__pow__": pow, "__neg__": neg, "__getitem__": getitem,
    "sum": sum, "mean": mean, "max": max, "min": min,
    "reshape": reshape, "transpose": transpose, "flatten": flatten,
    "exp": exp, "log": log, "abs": abs, "sqrt": sqrt, "clip": clip,
    "sigmoid": sigmoid, "tanh": tanh, "relu": relu,
    "softmax": softmax, "log_softmax": log_softmax,
}  # fmt: skip

for _name, _method in TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)
Tensor.T = property(lambda self: transpose(self))  # type: ignore[attr-defined]

__all__ = [
    "TENSOR_METHODS",
    "abs",
    "add",
    "clip",
    "concatenate",
    "div",
    "elu",
    "exp",
    "flatten",
    "getitem",
    "leaky_relu",
    "lecun_tanh",
    "linear",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "mean",
    "min",
    "mul",
    "neg",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "sign",
    "softmax",
    "sqrt",
    "stack",
    "step",
    "sub",
    "sum",
    "tanh",
    "tanh_linear",
    "transpose",
    "where",
]
