"""Loss modules (seeds 001-003): ``loss = criterion(output, target)``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from retroprop.nn import functional as F
from retroprop.nn.module import Module
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.tensor import Tensor


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if not isinstance(reduction, str):  # the class called as a loss: CrossEntropyLoss(y, t)
            name = type(self).__name__
            raise TypeError(f"{name}: reduction must be a string, got a "
                            f"{type(reduction).__name__}; a loss is created first, then "
                            f"called: {name}()(output, target), and a Trainer takes "
                            f"loss={name}(), not the class {name}")
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """L = (1/n) Σ (y - t)²: the quadratic error of the delta rule and of seed 000."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a sigmoid)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits: sigmoid and loss fused, stable for large |z|."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax and categorical cross-entropy fused; its gradient is y - t (seed 003).

    The input is logits (N, C) (no softmax layer before it); the target is
    integer labels (N,) or probabilities (N, C).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> loss = rp.nn.CrossEntropyLoss()(rp.Tensor(np.zeros((2, 4))), np.array([0, 3]))
    >>> round(loss.item(), 4)  # log 4
    1.3863
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        _warn_if_probabilities(input)
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)


def _warn_if_probabilities(input: Tensor) -> None:
    """Rows that are non-negative and sum to 1 look like a softmax's output: the softmax
    would then be applied twice, and the network learns slowly."""
    data = getattr(input, "data", input)
    if np.ndim(data) == 2 and data.shape[1] > 1 and data.min() >= 0 and np.allclose(
            data.sum(axis=1), 1, atol=1e-4):
        warnings.warn("CrossEntropyLoss takes logits and applies the softmax itself, but its "
                      "input rows are non-negative and sum to 1, as a softmax's output: "
                      "remove the Softmax layer before the loss", UserWarning,
                      stacklevel=user_stacklevel())
