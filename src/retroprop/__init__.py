"""retroprop: classic neural networks trained by backpropagation, on NumPy.

>>> import numpy as np, retroprop as rp
>>> x = rp.Tensor(np.ones((2, 3)), requires_grad=True)
>>> (x * 2).sum().backward()
>>> x.grad.sum()
np.float32(12.0)
"""

import numpy as _np

from retroprop import (
    allocator,
    autograd,
    callbacks,
    data,
    datasets,
    ensemble,
    experiments,
    models,
    nn,
    onnx,
    ops,
    optim,
    viz,
)
from retroprop.allocator import get_memory_reuse, set_memory_reuse
from retroprop.denormal import get_flush_denormal, set_flush_denormal
from retroprop.errors import DataFileError, FileFormatError, ModelFileError
from retroprop.intraop import get_intraop_parallel, set_intraop_parallel
from retroprop.model_selection import cross_validate
from retroprop.nn import init, predict_mc
from retroprop.ops import abs as abs  # rp.abs, rp.sum, rp.max, rp.min: not in __all__ (below)
from retroprop.ops import (
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    cat,
    ceil,
    chunk,
    clamp,
    cos,
    cumsum,
    dot,
    eq,
    exp,
    flatten,
    flip,
    floor,
    gather,
    ge,
    gt,
    isfinite,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    maximum,
    mean,
    minimum,
    mm,
    ne,
    nonzero,
    outer,
    prod,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    stack,
    tanh,
    topk,
    trunc,
    where,
)
from retroprop.ops import max as max
from retroprop.ops import min as min
from retroprop.ops import sum as sum
from retroprop.random import get_rng_state, manual_seed, set_rng_state
from retroprop.serialization import load, load_model, load_optimizer_state, save
from retroprop.tensor import (
    GradcheckError,
    Tensor,
    arange,
    as_tensor,
    empty,
    enable_grad,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    gradcheck,
    is_grad_enabled,
    is_tensor,
    linspace,
    no_grad,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randn_like,
    randperm,
    set_default_dtype,
    set_grad_enabled,
    tensor,
    zeros,
    zeros_like,
)
from retroprop.train import Trainer, metrics

allocator.configure_at_import()

#: The version of retroprop (the one place it is written; pyproject.toml reads it here).
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``rp.sklearn`` and ``rp.tune`` are imported on first use (scikit-learn, Optuna)."""
    if name in ("sklearn", "tune"):
        import importlib

        return importlib.import_module(f"retroprop.{name}")
    raise AttributeError(f"module 'retroprop' has no attribute {name!r}")


# PyTorch's dtype names (``torch.float32``, ``torch.long``, ...) as NumPy's types, so that
# ``rp.zeros(3, dtype=rp.long)`` and ``x.dtype == rp.float32`` read as in PyTorch. As there,
# ``float`` is float32, ``double`` float64, ``short`` int16, ``int`` int32 and ``long``
# int64 (Python's own ``float`` and ``int`` given as a dtype still mean float64 and int64).
# Last in this file, where they no longer hide Python's built-in names, and left out of
# ``__all__`` so that ``from retroprop import *`` does not hide them either (nor ``abs``,
# ``sum``, ``max`` and ``min``, which are ``rp.abs``, ``rp.sum``, ``rp.max`` and ``rp.min``
# only).
float32 = float = _np.float32
float64 = double = _np.float64
int8, uint8, bool = _np.int8, _np.uint8, _np.bool_
int16 = short = _np.int16
int32 = int = _np.int32
int64 = long = _np.int64
# ``torch.any``, ``torch.all`` and ``torch.round`` likewise: here, but not in ``__all__``.
any, all, round = ops.any, ops.all, ops.round


__all__ = [
    "DataFileError",
    "FileFormatError",
    "GradcheckError",
    "ModelFileError",
    "Tensor",
    "Trainer",
    "__version__",
    "amax",
    "amin",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "as_tensor",
    "autograd",
    "callbacks",
    "cat",
    "ceil",
    "chunk",
    "clamp",
    "cos",
    "cross_validate",
    "cumsum",
    "data",
    "datasets",
    "dot",
    "empty",
    "enable_grad",
    "ensemble",
    "eq",
    "exp",
    "experiments",
    "eye",
    "flatten",
    "flip",
    "floor",
    "from_numpy",
    "full",
    "full_like",
    "gather",
    "ge",
    "get_default_dtype",
    "get_flush_denormal",
    "get_intraop_parallel",
    "get_memory_reuse",
    "get_rng_state",
    "gradcheck",
    "gt",
    "init",
    "is_grad_enabled",
    "is_tensor",
    "isfinite",
    "isnan",
    "le",
    "linspace",
    "load",
    "load_model",
    "load_optimizer_state",
    "log",
    "log1p",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "lt",
    "manual_seed",
    "masked_fill",
    "matmul",
    "maximum",
    "mean",
    "metrics",
    "minimum",
    "mm",
    "models",
    "ne",
    "nn",
    "no_grad",
    "nonzero",
    "ones",
    "ones_like",
    "onnx",
    "ops",
    "optim",
    "outer",
    "predict_mc",
    "prod",
    "rand",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "relu",
    "reshape",
    "save",
    "set_default_dtype",
    "set_flush_denormal",
    "set_grad_enabled",
    "set_intraop_parallel",
    "set_memory_reuse",
    "set_rng_state",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "square",
    "stack",
    "tanh",
    "tensor",
    "topk",
    "trunc",
    "viz",
    "where",
    "zeros",
    "zeros_like",
]
