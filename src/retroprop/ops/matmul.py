"""Matrix product with NumPy's ``@`` semantics (1-D operands and batch broadcasting), and
PyTorch's stricter forms ``mm`` (two matrices), ``dot`` (two vectors) and ``outer``."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.tensor import Tensor, as_tensor, unbroadcast


class MatMul(Function):
    """Z = A B;  dL/dA = dL/dZ Bᵀ,  dL/dB = Aᵀ dL/dZ.

    A 1-D ``a`` is treated as a row (1, n) and a 1-D ``b`` as a column
    (n, 1), as NumPy does; batch dimensions broadcast and their gradients
    are summed back.
    """

    keeps_integers = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: operands must have at least one dimension, got a scalar")
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not align: "
                f"{inner_a} (last axis of the first) != {inner_b} "
                f"({'only' if b.ndim == 1 else 'second-to-last'} axis of the second)"
            )
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad: np.ndarray) -> Gradients:
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        if a.ndim == 1:
            g2 = g2[..., None, :]
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def matmul(a: Tensor, b: Tensor | np.ndarray) -> Tensor:
    """a @ b with NumPy semantics."""
    return MatMul.apply(a, as_tensor(b, like=a))


def _dims(a: Any, ndim: int, name: str, where: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{where}: {name} must be a Tensor, got {type(a).__name__}")
    if a.ndim != ndim:
        kind = "a matrix (2-D)" if ndim == 2 else "a vector (1-D)"
        raise ValueError(f"{where}: {name} must be {kind}, got shape {a.shape}")
    return a


def mm(a: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices, (n, m) @ (m, p), as ``torch.mm`` (no broadcasting)."""
    return matmul(_dims(a, 2, "input", "mm"), _dims(mat2, 2, "mat2", "mm"))


def dot(a: Tensor, other: Tensor) -> Tensor:
    """Σ_i a_i other_i of two vectors of one length, a 0-d tensor, as ``torch.dot``."""
    _dims(a, 1, "input", "dot"), _dims(other, 1, "other", "dot")
    if a.shape != other.shape:
        raise ValueError(f"dot: the vectors must have one length, got shapes {a.shape} and "
                         f"{other.shape}")
    return matmul(a, other)


def outer(a: Tensor, vec2: Tensor) -> Tensor:
    """The outer product a vec2ᵀ of two vectors, z_ij = a_i vec2_j, as ``torch.outer``."""
    _dims(a, 1, "input", "outer"), _dims(vec2, 1, "vec2", "outer")
    return matmul(a.reshape(-1, 1), vec2.reshape(1, -1))
