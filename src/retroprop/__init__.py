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
from retroprop.ops import abs as abs  # rp.abs and rp.sum, left out of __all__ (below)
from retroprop.ops import (
    amax,
    amin,
    argmax,
    argmin,
    cat,
    clamp,
    exp,
    flatten,
    gather,
    log,
    log_softmax,
    matmul,
    maximum,
    mean,
    minimum,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    topk,
    where,
)
from retroprop.ops import sum as sum
from retroprop.random import get_rng_state, manual_seed, set_rng_state
from retroprop.serialization import load, load_model, load_optimizer_state, save
from retroprop.tensor import (
    GradcheckError,
    Tensor,
    arange,
    enable_grad,
    from_numpy,
    get_default_dtype,
    gradcheck,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    set_default_dtype,
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
# ``__all__`` so that ``from retroprop import *`` does not hide them either (nor ``abs`` and
# ``sum``, which are ``rp.abs`` and ``rp.sum`` only).
float32 = float = _np.float32
float64 = double = _np.float64
int8, uint8, bool = _np.int8, _np.uint8, _np.bool_
int16 = short = _np.int16
int32 = int = _np.int32
int64 = long = _np.int64


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
    "callbacks",
    "cat",
    "clamp",
    "cross_validate",
    "data",
    "datasets",
    "enable_grad",
    "ensemble",
    "exp",
    "experiments",
    "flatten",
    "from_numpy",
    "gather",
    "get_default_dtype",
    "get_flush_denormal",
    "get_intraop_parallel",
    "get_memory_reuse",
    "get_rng_state",
    "gradcheck",
    "init",
    "is_grad_enabled",
    "load",
    "load_model",
    "load_optimizer_state",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "metrics",
    "minimum",
    "models",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "onnx",
    "ops",
    "optim",
    "predict_mc",
    "rand",
    "randn",
    "relu",
    "reshape",
    "save",
    "set_default_dtype",
    "set_flush_denormal",
    "set_intraop_parallel",
    "set_memory_reuse",
    "set_rng_state",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "tanh",
    "tensor",
    "topk",
    "viz",
    "where",
    "zeros",
    "zeros_like",
]
