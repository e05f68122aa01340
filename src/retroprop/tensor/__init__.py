"""The reverse-mode engine: ``Tensor``, the tape's ``Function`` nodes, ``no_grad``,
``gradcheck``, and the factory functions (``tensor``, ``zeros``, ``ones``, ``zeros_like``,
``ones_like``, ``randn``, ``rand``, ``arange``, ``from_numpy``)."""

from retroprop.tensor.factory import (
    arange,
    from_numpy,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from retroprop.tensor.function import Function
from retroprop.tensor.grad_mode import enable_grad, is_grad_enabled, no_grad
from retroprop.tensor.gradcheck import GradcheckError, gradcheck
from retroprop.tensor.tensor import Tensor, get_default_dtype, set_default_dtype

__all__ = [
    "Function",
    "GradcheckError",
    "Tensor",
    "arange",
    "enable_grad",
    "from_numpy",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "set_default_dtype",
    "tensor",
    "zeros",
    "zeros_like",
]
