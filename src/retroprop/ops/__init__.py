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
from retroprop.ops.cast import cpu, to, to_bool, to_double, to_float, to_int, to_long, type_as
from retroprop.ops.cumulative import cumsum, prod
from retroprop.ops.elementwise import (
    abs,
    clamp,
    clip,
    cos,
    exp,
    log,
    log1p,
    masked_fill,
    maximum,
    minimum,
    sin,
    sqrt,
    square,
    where,
)
from retroprop.ops.gather import argsort, gather, sort, topk
from retroprop.ops.inplace import (
    add_,
    clamp_,
    copy_,
    div_,
    fill_,
    iadd,
    imul,
    isub,
    itruediv,
    mul_,
    setitem,
    sub_,
    zero_,
)
from retroprop.ops.linear import linear
from retroprop.ops.logic import (
    all,
    any,
    eq,
    ge,
    gt,
    isfinite,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    ne,
    nonzero,
)
from retroprop.ops.logsumexp import logsumexp
from retroprop.ops.matmul import dot, matmul, mm, outer
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
from retroprop.ops.repeat import expand, expand_as, flip, repeat
from retroprop.ops.rounding import ceil, floor, round, trunc
from retroprop.ops.shape import (
    cat,
    clone,
    concatenate,
    contiguous,
    flatten,
    getitem,
    permute,
    reshape,
    reshape_as,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
    view,
    view_as,
)
from retroprop.ops.split import chunk, split
from retroprop.tensor.factory import new_full, new_ones, new_tensor, new_zeros
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
    "__getitem__": getitem, "__setitem__": setitem,
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
    # PyTorch's idioms of manual training loops (in place under no_grad, comparisons, ...)
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "zero_": zero_, "fill_": fill_,
    "copy_": copy_, "clamp_": clamp_,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "any": any, "all": all,
    "isnan": isnan, "isfinite": isfinite, "logical_not": logical_not,
    "logical_and": logical_and, "logical_or": logical_or, "nonzero": nonzero,
    "expand": expand, "expand_as": expand_as, "repeat": repeat, "flip": flip,
    "chunk": chunk, "split": split, "cumsum": cumsum, "prod": prod, "logsumexp": logsumexp,
    "square": square, "sign": sign, "floor": floor, "ceil": ceil, "trunc": trunc,
    "round": round, "masked_fill": masked_fill, "mm": mm, "dot": dot, "outer": outer,
    "view_as": view_as, "reshape_as": reshape_as, "type_as": type_as,
    "new_zeros": new_zeros, "new_ones": new_ones, "new_full": new_full,
    "new_tensor": new_tensor, "sort": sort, "argsort": argsort,
}  # fmt: skip

for _name, _method in TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)

__all__ = [
    "TENSOR_METHODS",
    "abs",
    "add",
    "add_",
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "cat",
    "ceil",
    "chunk",
    "clamp",
    "clamp_",
    "clip",
    "clone",
    "concatenate",
    "contiguous",
    "copy_",
    "cos",
    "cpu",
    "cumsum",
    "div",
    "div_",
    "dot",
    "elu",
    "eq",
    "exp",
    "expand",
    "expand_as",
    "fill_",
    "flatten",
    "flip",
    "floor",
    "gather",
    "ge",
    "getitem",
    "gt",
    "isfinite",
    "isnan",
    "le",
    "leaky_relu",
    "lecun_tanh",
    "linear",
    "log",
    "log1p",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "mul_",
    "ne",
    "neg",
    "nonzero",
    "norm",
    "outer",
    "permute",
    "pos",
    "pow",
    "prod",
    "relu",
    "repeat",
    "reshape",
    "reshape_as",
    "round",
    "rpow",
    "setitem",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "step",
    "sub",
    "sub_",
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
    "trunc",
    "type_as",
    "unsqueeze",
    "var",
    "view",
    "view_as",
    "where",
    "zero_",
]
