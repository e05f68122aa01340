"""Differentiable operations: one class per rule (forward beside its vector-Jacobian
product) and a function per operation.

Importing this package also gives :class:`~retroprop.tensor.Tensor` its
operators and methods (``a + b``, ``a @ b``, ``a.sum()``, ``a.relu()``, ...),
from the table ``TENSOR_METHODS`` below, so that the engine in
:mod:`retroprop.tensor` never imports the operations built on it (``Tensor``
declares them for type checkers; a test keeps the two lists equal).
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
from retroprop.ops.arithmetic import add, div, mul, neg, pos, pow, rpow, sub
from retroprop.ops.cast import cpu, to, to_bool, to_double, to_float, to_int, to_long
from retroprop.ops.elementwise import (
    abs,
    clamp,
    clip,
    cos,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    sin,
    sqrt,
    where,
)
from retroprop.ops.gather import gather, topk
from retroprop.ops.inplace import iadd, imul, isub, itruediv
from retroprop.ops.linear import linear
from retroprop.ops.matmul import matmul
from retroprop.ops.norm import norm
from retroprop.ops.reduction import (
    amax,
    amin,
    argmax,
    argmin,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from retroprop.ops.shape import (
    cat,
    clone,
    concatenate,
    contiguous,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
    view,
)
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
    "__pow__": pow, "__rpow__": rpow, "__neg__": neg, "__pos__": pos, "__abs__": abs,
    "__iadd__": iadd, "__isub__": isub, "__imul__": imul, "__itruediv__": itruediv,
    "__getitem__": getitem,
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin, "gather": gather, "topk": topk,
    "var": var, "std": std, "norm": norm,
    "reshape": reshape, "view": view, "transpose": transpose, "permute": permute, "t": t,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten, "clone": clone,
    "contiguous": contiguous,
    "to": to, "cpu": cpu, "float": to_float, "double": to_double, "long": to_long, "int": to_int,
    "bool": to_bool,
    "exp": exp, "log": log, "log1p": log1p, "abs": abs, "sqrt": sqrt, "sin": sin, "cos": cos,
    "clip": clip, "clamp": clamp, "pow": pow, "matmul": matmul,
    "sigmoid": sigmoid, "tanh": tanh, "relu": relu,
    "softmax": softmax, "log_softmax": log_softmax,
}  # fmt: skip

for _name, _method in TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)

__all__ = [
    "TENSOR_METHODS",
    "abs",
    "add",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "cat",
    "clamp",
    "clip",
    "clone",
    "concatenate",
    "contiguous",
    "cos",
    "cpu",
    "div",
    "elu",
    "exp",
    "flatten",
    "gather",
    "getitem",
    "leaky_relu",
    "lecun_tanh",
    "linear",
    "log",
    "log1p",
    "log_softmax",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "norm",
    "permute",
    "pos",
    "pow",
    "relu",
    "reshape",
    "rpow",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "step",
    "sub",
    "sum",
    "t",
    "tanh",
    "tanh_linear",
    "to",
    "to_bool",
    "to_double",
    "to_float",
    "to_int",
    "to_long",
    "topk",
    "transpose",
    "unsqueeze",
    "var",
    "view",
    "where",
]
