"""Weight penalties and constraints of a layer (Berzal, "Backpropagation": "Weight decay"
and "Restricciones sobre los pesos"), in one place: the Trainer adds ``penalty()`` to the
loss and calls ``project_(prox_rate)`` after every optimizer step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np

from retroprop.nn.constraints import Constraint, MaxNorm
from retroprop.nn.init import Initializer, initial_bias
from retroprop.nn.module import Module
from retroprop.nn.parameter import Parameter
from retroprop.random import generator
from retroprop.tensor.tensor import Tensor

ModuleT = TypeVar("ModuleT", bound=Module)


class WeightLayer(Module):
    """Base of the layers with a ``weight`` (and maybe a ``bias``): ``Linear``, ``Conv2d``.

    Attributes
    ----------
    l2 : float
        Adds (λ/2) Σ w² to the loss, so ∂/∂w gains λ w.
    l1 : float
        λ Σ |w| (no ½: Fuentes Pineda's (λ/2)‖θ‖₁, "Introducción al Deep Learning", is
        ``l1`` = λ/2), minimized by a proximal (soft-threshold) step after each update,
        w ← sign(w) max(|w| - η λ, 0), so that weights land exactly on zero (a plain
        subgradient step never does). η is the step size the optimizer took for that
        weight (``Optimizer.prox_rate``: the learning rate of SGD, the per-weight rate of
        Adam or RMSprop, the step length along steepest descent of rprop and of Newton's
        method). Its value is added to the reported loss. Conjugate gradient, L-BFGS,
        BFGS and Levenberg–Marquardt refuse it, and constraints (their
        ``allows_projection`` is False).
    constraint : Constraint or None
        Projection after each update (``max_norm=c`` gives ``MaxNorm(c)``).
    penalize_bias : bool
        Whether the penalties also apply to the bias (not by default).
    weight_noise : float
        Standard deviation of Gaussian noise added to the weights in each training
        forward pass (0 by default).
    """

    #: Axes of the weight that hold one unit's incoming weights (see ``nn.constraints``).
    norm_axes: tuple[int, ...] = (1,)
    #: the tensor path draws its weight from ``noisy_weight``, the array path from
    #: ``_arrays``: a subclass that overrides one does not inherit ``_infer``
    infer_uses = ("noisy_weight", "_arrays")
    config_attributes: ClassVar[tuple[str, ...]] = ("l1", "l2", "penalize_bias", "weight_noise")

    def get_config(self) -> dict[str, Any]:
        """As ``Module.get_config``, with the current penalties and constraint (set by
        ``nn.regularize`` after construction, say): a max-norm as ``max_norm``, any other
        constraint as ``constraint``."""
        config = super().get_config()
        if "constraint" in config and "max_norm" in config:
            max_norm = type(self.constraint) is MaxNorm
            config["max_norm"] = self.constraint.max_value if max_norm else None  # type: ignore[union-attr]
            config["constraint"] = None if max_norm else self.constraint
        return config
    weight: Parameter
    bias: Parameter | None
    init: Initializer

    def _init_parameters(self, shape: tuple[int, ...], bias: bool, dtype: Any,
                         order: Literal["C", "F"] = "C") -> None:
        """W of ``shape`` drawn by ``self.init`` (in memory ``order``), then b (``bias``)
        by :func:`~retroprop.nn.init.initial_bias`: PyTorch's U(-1/√fan_in, 1/√fan_in) under
        the default ``init="pytorch"``, zeros under the others."""
        self.weight = Parameter(np.asarray(self.init(shape, dtype), order=order))
        self.bias = Parameter(initial_bias(self.init, shape, self.weight.dtype)) if bias \
            else None

    def reset_parameters(self) -> None:
        """Draw W again from the initializer and b as at construction
        (:meth:`_init_parameters`), in place."""
        self.weight.data[...] = self.init(self.weight.shape, self.weight.dtype)
        self.weight._version += 1
        if self.bias is not None:
            self.bias.data[...] = initial_bias(self.init, self.weight.shape, self.bias.dtype)
            self.bias._version += 1

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        """Noise on the weights makes the layer random in training."""
        return bool(self.weight_noise)

    def noisy_weight(self) -> Tensor:
        """The weight used by the forward pass: w + ε, ε ~ N(0, weight_noise²), in training
        (noise on the weights, Berzal), w itself otherwise. The gradient reaches w."""
        if not (self.training and self.weight_noise):
            return self.weight
        return self.weight + generator().normal(0.0, self.weight_noise, self.weight.shape).astype(
            self.weight.dtype)

    def _arrays(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None] | None:
        """W and b (None without a bias) as arrays, for the array path of inference, when
        both have ``dtype`` (the input's); None otherwise, where the tensor path refuses
        to mix dtypes."""
        weight, bias = self.weight.data, None if self.bias is None else self.bias.data
        if weight.dtype != dtype or (bias is not None and bias.dtype != dtype):
            return None
        return weight, bias

    def _setup_regularization(self, l1: float, l2: float, max_norm: float | None,
                              constraint: Constraint | None, penalize_bias: bool,
                              weight_noise: float = 0.0) -> None:
        for name, value in (("l1", l1), ("l2", l2), ("weight_noise", weight_noise)):
            if not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{type(self).__name__}: {name} must be >= 0, got {value!r}")
        self.weight_noise = float(weight_noise)
        if max_norm is not None and constraint is not None:
            raise ValueError(f"{type(self).__name__}: give max_norm or constraint, not both")
        self.l1, self.l2, self.penalize_bias = float(l1), float(l2), penalize_bias
        self.constraint = MaxNorm(max_norm) if max_norm is not None else constraint

    def _penalized(self) -> list[Parameter]:
        params = [self.weight]
        if self.penalize_bias and self.bias is not None:
            params.append(self.bias)
        return params

    def penalty(self) -> Tensor | None:
        """(l2/2) Σ w² (differentiable) + l1 Σ |w| (a constant: its step is proximal)."""
        if not (self.l1 or self.l2):
            return None
        total: Tensor | None = None
        for param in self._penalized():
            terms = []
            if self.l2:
                terms.append((param * param).sum() * (self.l2 / 2))
            if self.l1:
                terms.append(Tensor._wrap(np.asarray(self.l1 * np.abs(param.data).sum(),
                                                     dtype=param.dtype)))
            for term in terms:
                total = term if total is None else total + term
        return total

    def proximal_penalty(self) -> float:
        """l1 Σ |w|, minimized by the soft-threshold of ``project_``."""
        if not self.l1:
            return 0.0
        return self.l1 * sum(float(np.abs(p.data).sum()) for p in self._penalized())

    def penalty_residuals(self) -> list[Tensor]:
        """√λ w for the L2 penalty (λ/2) Σ w² = ½ Σ (√λ w)²; L1 has its proximal step."""
        if not self.l2:
            return []
        return [param.reshape(-1) * float(np.sqrt(self.l2)) for param in self._penalized()]

    @property
    def projects(self) -> bool:
        """Whether ``project_`` moves the weights: with L1 or a constraint."""
        return bool(self.l1) or self.constraint is not None

    def project_(self, prox_rate: Callable[[Parameter], float | np.ndarray]) -> None:
        """After an update: L1 soft-threshold with the step size taken, then the
        constraint, unless the weight is frozen (``requires_grad = False``): as Keras
        constrains only the variables it updates, a frozen weight keeps the values it
        was given."""
        if self.l1:
            for param in self._penalized():
                threshold = prox_rate(param) * self.l1
                shrunk = np.abs(param.data) - threshold
                np.maximum(shrunk, 0, out=shrunk)
                param.data[...] = np.sign(param.data) * shrunk
                param._version += 1
        if self.constraint is not None and self.weight.requires_grad:
            self.constraint(self.weight.data, self.norm_axes)
            self.weight._version += 1

    def regularization_repr(self) -> str:
        parts = [f"l1={self.l1}"] if self.l1 else []
        parts += [f"l2={self.l2}"] if self.l2 else []
        parts += [f"constraint={self.constraint!r}"] if self.constraint is not None else []
        return "".join(", " + p for p in parts)


def regularize(model: ModuleT, l1: float = 0.0, l2: float = 0.0, max_norm: float | None = None,
               constraint: Constraint | None = None, penalize_bias: bool = False,
               weight_noise: float = 0.0) -> ModuleT:
    """Set the same penalties and constraint on every layer with weights; returns the model.

    Examples
    --------
    >>> import retroprop as rp
    >>> model = rp.nn.regularize(rp.models.mlp([4, 8, 2]), l2=1e-3, max_norm=3.0)
    >>> model[0].l2, model[2].constraint
    (0.001, MaxNorm(3.0))
    """
    for module in model.modules():
        if isinstance(module, WeightLayer):
            module._setup_regularization(l1, l2, max_norm, constraint, penalize_bias,
                                         weight_noise)
    return model
