"""``Linear``: a fully connected layer, f(x) = φ(W x + b) (Berzal; Tobón & Aguirre)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop import ops
from retroprop.nn import init as initializers
from retroprop.nn.activation import get_activation
from retroprop.nn.constraints import Constraint
from retroprop.nn.module import Module, Stale, infer
from retroprop.nn.regularized import WeightLayer
from retroprop.ops.linear import affine, row_bias
from retroprop.tensor.tensor import Tensor


class Linear(WeightLayer):
    """Fully connected layer y = x Wᵀ + b, then an optional activation φ.

    The lectures write one unit as y_k = φ(Σ_j w_kj x_j + b_k), the bias
    b_k being the weight of a fixed input +1 (Berzal); a batch of rows x
    of shape (N, in_features) gives y of shape (N, out_features). Moreno
    (Zacatecas, "Capa totalmente conectada") keeps the bias as column 0 of
    one matrix, Y = [1 X] W̃ᵀ with W̃ = [b | W]: the same numbers.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of x and y.
    bias : bool, default True
        Learn b.
    init : str or initializer, default "pytorch"
        Initializer of W (see :mod:`retroprop.nn.init`). PyTorch's default holds:
        W and b from U(-1/√in_features, 1/√in_features), as ``torch.nn.Linear``.
        ``init="lecun_uniform"`` gives LeCun's rule of Berzal, "Backpropagation"
        (Granada), Var[w] = 1/in_features; under it and every other named
        initializer (``"he_normal"``, ``"glorot_uniform"``, ...) b starts at zero, as
        in the lectures and Keras.
    activation : str or Module, optional
        φ applied after the affine map (``"relu"``, ``"tanh"``, ...).
    dtype : float32 or float64, optional
        Defaults to the default dtype (float32).
    l1, l2 : float, default 0
        Weight penalties (see :class:`~retroprop.nn.regularized.WeightLayer`).
    max_norm : float, optional
        Largest norm of each unit's incoming weights, row i of W (axis 1).
    constraint : Constraint, optional
        Another projection (``UnitNorm()``, ``NonNeg()``).
    penalize_bias : bool, default False
    weight_noise : float, default 0
        Std of Gaussian noise on W in training forward passes.

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
        PyTorch's shape, stored column-major (Fortran order): in memory it is
        Wᵀ, row-major of shape (in_features, out_features), as Keras stores
        its kernel. Then x Wᵀ and the gradient xᵀ (dL/dy) are BLAS products
        with no transposed operand, about 10% faster than with W row-major.
    bias : Parameter, shape (out_features,), or None

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> layer = rp.nn.Linear(3, 2, init="he_normal", activation="relu")
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    infers_new = True  # the product's new array (the activation's, with one)

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: Any = "pytorch", activation: str | Module | None = None,
                 dtype: Any = None, l1: float = 0.0, l2: float = 0.0,
                 max_norm: float | None = None, constraint: Constraint | None = None,
                 penalize_bias: bool = False, weight_noise: float = 0.0) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = in_features, out_features
        self.init = initializers.get(init)
        self._init_parameters((out_features, in_features), bias, dtype, order="F")
        self.activation = None if activation is None else get_activation(activation)
        self._setup_regularization(l1, l2, max_norm, constraint, penalize_bias, weight_noise)

    config_attributes = (*WeightLayer.config_attributes, "activation")

    def forward(self, x: Tensor) -> Tensor:
        try:
            out = ops.linear(x, self.noisy_weight(), self.bias)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None
        return out if self.activation is None else self.activation(out)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        arrays = self._arrays(x.dtype)
        if arrays is None or not x.ndim or x.shape[-1] != self.in_features:
            return None
        out = affine(x, *arrays)
        return out if self.activation is None else infer(self.activation, out)

    def _infer_step(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray | None] | None:
        """x Wᵀ + b as :func:`affine` computes it for rows like ``x``, with W transposed
        and b (:func:`row_bias`) taken once; no activation of its own."""
        arrays = self._arrays(x.dtype)
        if (arrays is None or self.activation is not None or x.ndim != 2
                or x.shape[1] != self.in_features):
            return super()._infer_step(x)
        weight, bias = self.weight, self.bias
        held, held_bias = arrays
        transposed = held.T
        if held_bias is None or bias is None:
            def product(x: np.ndarray) -> np.ndarray:
                if weight.data is not held:
                    raise Stale
                return np.dot(x, transposed)
            return product
        row = row_bias(held_bias, len(x))

        def affine_map(x: np.ndarray) -> np.ndarray:
            if weight.data is not held or bias.data is not held_bias:
                raise Stale
            out = np.dot(x, transposed)
            out += row
            return out
        return affine_map

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}{self.regularization_repr()}")
