"""The reverse-mode engine: ``Tensor``, the tape's ``Function`` nodes, ``no_grad``,
``gradcheck``, and the factory functions (``tensor``, ``zeros``, ``ones``, ``randn``,
``from_numpy``)."""

from retroprop.tensor.factory import from_numpy, ones, randn, tensor, zeros
from retroprop.tensor.function import Function
from retroprop.tensor.grad_mode import enable_grad, is_grad_enabled, no_grad
from retroprop.tensor.gradcheck import GradcheckError, gradcheck
from retroprop.tensor.tensor import Tensor, get_default_dtype, set_default_dtype

__all__ = [
    "Function",
    "GradcheckError",
    "Tensor",
    "enable_grad",
    "from_numpy",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "randn",
    "set_default_dtype",
    "tensor",
    "zeros",
]
