"""A loss weighted per example, for ``sample_weight`` and ``class_weight``.

The Trainer passes each batch's targets to the loss; the estimators append each example's
weight to its targets as one more column, so the weights follow the examples through
shuffling and batching. The loss of a batch B is

    L_B = (1/|B|) Σ_{i∈B} w_i ℓ_i,

with the weights scaled to average 1 over the training set, so that on the full batch
L = Σ w_i ℓ_i / Σ w_i: an integer weight k counts as k copies of the example.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.nn import functional as F
from retroprop.nn.loss import Loss
from retroprop.nn.module import Module
from retroprop.tensor.tensor import Tensor

PerExample = Callable[[Tensor, np.ndarray], Tensor]


def _cross_entropy(outputs: Tensor, target: np.ndarray) -> Tensor:
    return F.cross_entropy(outputs, target[:, 0].astype(np.int64), "none")


def _one_hot(outputs: Tensor, target: np.ndarray) -> np.ndarray:
    """The targets in the outputs' shape: a single column of class indices against k > 1
    outputs (a classifier trained on squared error, as the lectures train, or on one
    binary cross-entropy per class) becomes one-hot rows; anything else is unchanged."""
    if target.shape[1] == 1 and outputs.shape[1] > 1:
        return np.eye(outputs.shape[1], dtype=outputs.dtype)[target[:, 0].astype(np.int64)]
    return target


class _PerOutput:
    """The per-example mean over the outputs of an element-wise loss ``F.*_loss`` (a class,
    not a closure, so that fitted estimators pickle)."""

    def __init__(self, loss: Callable[[Tensor, np.ndarray, str], Tensor]) -> None:
        self.loss = loss

    def __call__(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        return self.loss(outputs, _one_hot(outputs, target), "none").mean(axis=1)


_squared_error = _PerOutput(F.mse_loss)
_absolute_error = _PerOutput(F.l1_loss)


def _binary_cross_entropy(outputs: Tensor, target: np.ndarray) -> Tensor:
    return F.binary_cross_entropy_with_logits(outputs, _one_hot(outputs, target),
                                              "none").mean(axis=1)


#: Losses by name: each returns one loss per example.
LOSSES: dict[str, PerExample] = {
    "cross_entropy": _cross_entropy, "log_loss": _cross_entropy,
    "squared_error": _squared_error, "mse": _squared_error,
    "absolute_error": _absolute_error, "l1": _absolute_error,
    "huber": _PerOutput(F.huber_loss),
    "binary_cross_entropy": _binary_cross_entropy,
}  # fmt: skip


def per_example_loss(loss: Any) -> PerExample:
    """A function ``(outputs, target) -> losses of shape (n,)`` from a name in
    :data:`LOSSES`, a loss module (``rp.nn.MSELoss()``: used with ``reduction="none"``) or a
    callable that already returns one loss per example."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"The 'loss' parameter must be one of {sorted(LOSSES)}, a loss "
                             f"module or a callable. Got {loss!r} instead.")
        return LOSSES[loss]
    if isinstance(loss, Module) and hasattr(loss, "reduction"):
        unreduced = copy.deepcopy(loss)
        unreduced.reduction = "none"
        return _ExampleMean(unreduced)
    if callable(loss):
        return loss
    raise ValueError(f"The 'loss' parameter must be a str among {sorted(LOSSES)}, a loss "
                     f"module or a callable. Got {loss!r} instead.")


class _ExampleMean:
    """A loss module with ``reduction="none"``, averaged over all but the first axis."""

    def __init__(self, loss: Module) -> None:
        self.loss = loss

    def __call__(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        if target.ndim == 2 and target.shape[1] == 1 and outputs.shape[1] != 1:
            target = target[:, 0]
        losses = self.loss(outputs, target)
        return losses.mean(axis=tuple(range(1, losses.ndim))) if losses.ndim > 1 else losses


class WeightedLoss(Loss):
    """L_B = (1/|B|) Σ w_i ℓ_i (module docstring); the target's last column holds w_i.

    Parameters
    ----------
    per_example : callable
        ``(outputs, target) -> Tensor`` of shape (n,), as from :func:`per_example_loss`.
    """

    def __init__(self, per_example: PerExample) -> None:
        super().__init__("mean")
        self.per_example = per_example

    def forward(self, outputs: Tensor, target: Any) -> Tensor:
        target = np.asarray(target)
        weights = target[:, -1].astype(outputs.dtype)
        losses = self.per_example(outputs, target[:, :-1])
        if losses.shape != (len(target),):
            raise ValueError(f"loss: a callable loss must return one loss per example, shape "
                             f"({len(target)},); got shape {losses.shape}")
        return (losses * weights).sum() * (1.0 / len(target))

    def residuals(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        """r_ij = √w_i (y_ij − t_ij), so that ½ Σ r² is the weighted squared error that
        Levenberg–Marquardt minimizes (squared error only)."""
        if self.per_example is not _squared_error:
            raise TypeError("Levenberg–Marquardt minimizes a sum of squares ½ Σ r²: use it "
                            "with loss='squared_error'")
        target = np.asarray(target)
        scale = np.sqrt(target[:, -1:]).astype(outputs.dtype)
        return (outputs - _one_hot(outputs, target[:, :-1]).astype(outputs.dtype)) * scale


def pack(targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Targets (n,) or (n, k) with each example's weight appended as the last column."""
    targets = targets.reshape(len(targets), -1)
    return np.hstack([targets, weights.reshape(-1, 1)]).astype(np.float64)
