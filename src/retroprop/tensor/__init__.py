"""The reverse-mode engine: ``Tensor``, the tape's ``Function`` nodes, ``no_grad``,
``gradcheck``."""

from retroprop.tensor.function import Function
from retroprop.tensor.grad_mode import enable_grad, is_grad_enabled, no_grad
from retroprop.tensor.gradcheck import GradcheckError, gradcheck
from retroprop.tensor.tensor import Tensor, get_default_dtype, set_default_dtype

__all__ = [
    "Function",
    "GradcheckError",
    "Tensor",
    "enable_grad",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_default_dtype",
]
