"""A loss weighted per example, for ``sample_weight`` and ``class_weight`` (``Trainer.fit``
and the scikit-learn estimators share it).

Each example's weight is appended to its targets as one more column (:func:`pack`), so the
weights follow the examples through shuffling and batching. The loss of a batch B is

    L_B = (1/|B|) Σ_{i∈B} w_i ℓ_i        (losses with ``reduction="mean"``)
    L_B = Σ_{i∈B} w_i ℓ_i                (``reduction="sum"``, as ``QuadraticLoss``'s E),

where ℓ_i is example i's loss (its ``reduction="none"`` losses gathered over the example's
elements as the loss's ``example_reduction`` says) and the weights are scaled to average 1
over the data set (:func:`mean_one`). With every weight 1 it is the unweighted loss; on the
full batch L = Σ w_i ℓ_i / Σ w_i, so an integer weight k counts as k copies of the example.
Keras's "sum_over_batch_size" divides Σ w_i ℓ_i by the batch size with the weights as
given: the same loss times the weights' mean, a constant factor.

A mean that divides by other than the number of examples, as ``NLLLoss``'s (and
``CrossEntropyLoss``'s, with labels) with class weights c or an ``ignore_index``
(Σ ℓ_i / Σ d_i, with d_i = c_{t_i}, 0 for an ignored example), is weighted in the same spirit:

    L_B = (Σ_{i∈B} w_i ℓ_i / Σ_{i∈B} w_i d_i) · (1/|B|) Σ_{i∈B} w_i,

the unweighted loss when every weight is 1, Σ w_i ℓ_i / Σ w_i d_i on the full batch (k
copies again), and the first formula when every d_i is 1.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from retroprop.nn import functional as F
from retroprop.nn.loss import BCELoss, CrossEntropyLoss, Loss, NLLLoss
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
    """One loss per example from an element-wise loss ``F.*_loss``: the mean over the
    outputs, or with ``half_sum`` half their sum (½ Σ_j (y_j − t_j)², scikit-learn's
    squared error; a class, not a closure, so that a fitted estimator pickles).
    ``half_sum`` is a class default too: an instance pickled before it existed is a mean."""

    half_sum = False

    def __init__(self, loss: Callable[[Tensor, np.ndarray, str], Tensor],
                 half_sum: bool = False) -> None:
        self.loss, self.half_sum = loss, half_sum

    def __call__(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        losses = self.loss(outputs, _one_hot(outputs, target), "none")
        return losses.sum(axis=1) * 0.5 if self.half_sum else losses.mean(axis=1)


_squared_error = _PerOutput(F.mse_loss, half_sum=True)
_mean_squared_error = _PerOutput(F.mse_loss)
_absolute_error = _PerOutput(F.l1_loss)


def _binary_cross_entropy(outputs: Tensor, target: np.ndarray) -> Tensor:
    return F.binary_cross_entropy_with_logits(outputs, _one_hot(outputs, target),
                                              "none").mean(axis=1)


def _log_loss(outputs: Tensor, target: np.ndarray) -> Tensor:
    """scikit-learn's log loss: the cross-entropy of a label (one column of class indices),
    or of label indicators (multilabel targets) the sum over the labels of their binary
    cross-entropies, −Σ_j [t_j log σ(z_j) + (1 − t_j) log(1 − σ(z_j))]."""
    if target.shape[1] == 1:
        return _cross_entropy(outputs, target)
    return F.binary_cross_entropy_with_logits(outputs, target, "none").sum(axis=1)


def _poisson(outputs: Tensor, target: np.ndarray) -> Tensor:
    """scikit-learn's half Poisson deviance with the log link, for counts t >= 0 and the
    outputs z = log μ: Σ_j [t_j log(t_j / μ_j) − t_j + μ_j] = Σ_j [e^{z_j} − t_j z_j] +
    Σ_j [t_j log t_j − t_j] (0 at μ = t; gradient e^z − t)."""
    target = target.astype(outputs.dtype)
    t_log_t = target * np.log(np.where(target > 0, target, 1))  # 0 log 0 = 0
    constant = (t_log_t - target).sum(axis=1)
    return (outputs.exp() - outputs * target).sum(axis=1) + constant


#: Losses by name: each returns one loss per example.
LOSSES: dict[str, PerExample] = {
    "cross_entropy": _cross_entropy, "log_loss": _log_loss,
    "squared_error": _squared_error, "mse": _mean_squared_error,
    "absolute_error": _absolute_error, "l1": _absolute_error,
    "huber": _PerOutput(F.huber_loss), "poisson": _poisson,
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
    if isinstance(loss, NLLLoss | BCELoss):
        takes, instead = ("log-probabilities", "CrossEntropyLoss(weight=..., ignore_index=...), "
                          "which is LogSoftmax followed by NLLLoss") \
            if isinstance(loss, NLLLoss) else \
            ("probabilities", "BCEWithLogitsLoss(weight=..., pos_weight=...), which is a "
             "Sigmoid followed by BCELoss")
        raise ValueError(f"loss={loss!r} takes {takes}, but the network's outputs are logits "
                         f"(the estimator's predict_proba applies the softmax or sigmoid): use "
                         f"rp.nn.{instead}")
    if isinstance(loss, Module) and hasattr(loss, "reduction"):
        # an element-wise loss (MSELoss, HuberLoss, BCEWithLogitsLoss, ...) compares a
        # classifier's outputs with one-hot rows, as the losses named by a string do
        elementwise = isinstance(loss, Loss) and (not loss.is_classifier or loss.binary)
        return _ExampleMean(unreduced_copy(loss), one_hot=elementwise)
    if callable(loss):
        return loss
    raise ValueError(f"The 'loss' parameter must be a str among {sorted(LOSSES)}, a loss "
                     f"module or a callable. Got {loss!r} instead.")


def unreduced_copy(loss: Module) -> Module:
    """A copy of ``loss`` with ``reduction="none"``, its other settings kept."""
    unreduced = copy.deepcopy(loss)
    unreduced.reduction = "none"
    return unreduced


class _ExampleMean:
    """A loss module with ``reduction="none"``, gathered over all but the first axis by its
    ``example_reduction`` (the mean, or the sum for ``QuadraticLoss``), or by their sum
    when ``summed``. A single column of class indices against k > 1 outputs becomes the
    labels, or with ``one_hot`` one-hot rows."""

    def __init__(self, loss: Module, summed: bool = False, one_hot: bool = False) -> None:
        self.loss, self.one_hot = loss, one_hot
        self.summed = summed or getattr(loss, "example_reduction", "mean") == "sum"

    def __call__(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        if target.ndim == 2 and target.shape[1] == 1 and outputs.shape[1] != 1:
            target = _one_hot(outputs, target) if self.one_hot else target[:, 0]
        losses = self.loss(outputs, target)
        if losses.ndim == 1:
            return losses
        axes = tuple(range(1, losses.ndim))
        return losses.sum(axis=axes) if self.summed else losses.mean(axis=axes)


class WeightedLoss(Loss):
    """L_B = (1/|B|) Σ w_i ℓ_i, or Σ w_i ℓ_i for ``reduction="sum"`` (module docstring);
    the target's last column holds w_i (:func:`pack`).

    Parameters
    ----------
    per_example : callable
        ``(outputs, target) -> Tensor`` of shape (n,), as from :func:`per_example_loss`.
    reduction : {"mean", "sum"}, default "mean"
    target_shape : tuple of int, optional
        The shape of one example's targets and their dtype (``target_dtype``), which the
        packed float64 columns are turned back into (labels become integers again); by
        default the columns are passed on as they are.
    shares : callable, optional
        ``(outputs, targets) -> d`` of shape (n,) (or None: all 1), each example's part in
        the denominator of the loss's mean where it is not 1 (``NLLLoss`` or
        ``CrossEntropyLoss`` with class weights or an ``ignore_index``: module docstring;
        the estimators' loss modules too, :func:`class_shares`).
    """

    def __init__(self, per_example: PerExample, reduction: str = "mean",
                 target_shape: tuple[int, ...] | None = None,
                 target_dtype: np.dtype | None = None,
                 shares: Callable[[Tensor, np.ndarray], np.ndarray | None] | None = None
                 ) -> None:
        super().__init__(reduction)
        self.per_example, self.shares = per_example, shares
        self.target_shape, self.target_dtype = target_shape, target_dtype

    def unpack(self, target: Any) -> tuple[np.ndarray, np.ndarray]:
        """The targets and the weights of a packed array."""
        target = np.asarray(target)
        targets = target[:, :-1]
        if self.target_shape is not None:
            targets = targets.reshape((len(target), *self.target_shape)).astype(
                self.target_dtype)
        return targets, target[:, -1]

    def forward(self, outputs: Tensor, target: Any) -> Tensor:
        targets, weights = self.unpack(target)
        losses = self.per_example(outputs, targets)
        if losses.shape != (len(weights),):
            raise ValueError(f"loss: a callable loss must return one loss per example, shape "
                             f"({len(weights)},); got shape {losses.shape}")
        total = (losses * weights.astype(outputs.dtype)).sum()
        if self.reduction == "sum":
            return total
        shares = None if self.shares is None or not weights.sum() > 0 else \
            self.shares(outputs, targets)  # (a batch of weight 0 adds 0)
        if shares is None:
            return total * (1.0 / len(weights))
        denominator = (weights * shares).sum()
        if not denominator > 0:  # every weighted example ignored: NaN, zero gradient, as
            return total * 0.0 + math.nan  # the loss's own
        return total * float(weights.sum() / (len(weights) * denominator))

    def residuals(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        """r_ij = √w_i r⁰_ij, with r⁰ the unweighted loss's residuals, so that ½ Σ r² is the
        weighted squared error that Levenberg–Marquardt minimizes (squared errors only)."""
        targets, weights = self.unpack(target)
        scale = np.sqrt(weights).astype(outputs.dtype).reshape((-1,) + (1,) * (outputs.ndim - 1))
        if isinstance(self.per_example, _PerOutput) and self.per_example.loss is F.mse_loss:
            return (outputs - _one_hot(outputs, targets).astype(outputs.dtype)) * scale
        if isinstance(self.per_example, _ExampleMean) and isinstance(self.per_example.loss, Loss):
            if self.per_example.one_hot:
                targets = _one_hot(outputs, targets)
            return self.per_example.loss.residuals(outputs, targets) * scale
        raise TypeError("Levenberg–Marquardt minimizes a sum of squares ½ Σ r²: use it "
                        "with loss='squared_error' or a squared-error loss module")


def pack(targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Targets (n,) or (n, ...) with each example's weight appended as the last column."""
    targets = targets.reshape(len(targets), -1)
    return np.hstack([targets, weights.reshape(-1, 1)]).astype(np.float64)


def weighted(loss: Module, targets: np.ndarray, where: str) -> WeightedLoss:
    """``loss`` weighted per example, for targets like ``targets`` (the Trainer's: labels or
    arrays of the loss's checked dtype); refused for a loss without a per-example form."""
    from retroprop.nn.multitask import MultiTaskLoss

    if isinstance(loss, MultiTaskLoss):
        raise TypeError(f"{where}: sample_weight and class_weight are not supported with "
                        "MultiTaskLoss (it sums its heads' mean losses and has no loss per "
                        "example); give its heads' losses weights= instead, or train "
                        "without example weights")
    reduction = getattr(loss, "reduction", None)
    if reduction not in ("mean", "sum"):
        raise TypeError(f"{where}: sample_weight and class_weight need a loss with a "
                        f"per-example form (reduction='none') reduced by 'mean' or 'sum'; "
                        f"{type(loss).__name__} has reduction={reduction!r}")
    per_example = _ExampleMean(unreduced_copy(loss), summed=reduction == "sum")
    shares = class_shares(loss) if reduction == "mean" else None
    return WeightedLoss(per_example, reduction, targets.shape[1:], targets.dtype, shares)


def class_shares(loss: Any) -> _ClassShares | None:
    """The denominators d_i of ``loss``'s mean (:class:`WeightedLoss`'s ``shares``) where
    they are not all 1: ``NLLLoss`` and ``CrossEntropyLoss`` (class weights,
    ``ignore_index``); None for any other loss."""
    if isinstance(loss, NLLLoss | CrossEntropyLoss):
        return _ClassShares(loss.weight, loss.ignore_index)
    return None


class _ClassShares:
    """Each example's part d_i = c_{t_i} in ``NLLLoss``'s (``CrossEntropyLoss``'s) mean
    Σ ℓ_i / Σ d_i: its class's weight c (1 without ``weight``), 0 for the label
    ``ignore_index``; None where every d_i is 1 (no weights and no ignored label, or rows
    of probabilities, over which ``CrossEntropyLoss``'s mean divides by n)."""

    def __init__(self, weight: Any, ignore_index: int) -> None:
        self.weight, self.ignore_index = weight, ignore_index

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> np.ndarray | None:
        targets = np.asarray(targets)
        if targets.ndim == 2 and targets.shape[1] > 1:  # probabilities
            return None
        labels = targets.reshape(-1).astype(np.int64)  # (an estimator's are float columns)
        ignored = labels == self.ignore_index
        if self.weight is None and not ignored.any():
            return None
        classes = np.ones(outputs.shape[1]) if self.weight is None else np.asarray(
            self.weight.data if isinstance(self.weight, Tensor) else self.weight, np.float64)
        return np.where(ignored, 0.0, classes[np.where(ignored, 0, labels)])


# ---------------------------------------------------------------------- the weights
def mean_one(weights: np.ndarray, where: str) -> np.ndarray:
    """``weights`` scaled to average 1 (n / Σ w), refused when they sum to zero."""
    total = weights.sum()
    if not total > 0:
        raise ValueError(f"{where}: the weights sum to zero; at least one example must have "
                         "a positive weight.")
    return weights * (len(weights) / total)


def check_sample_weight(sample_weight: Any, n: int, where: str) -> np.ndarray:
    """``sample_weight`` as float64 of shape (n,), finite and >= 0, or a clear error."""
    weights = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor)
                         else sample_weight)
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"{where}: sample_weight must be numeric, got dtype {weights.dtype}")
    if weights.shape != (n,):
        raise ValueError(f"{where}: sample_weight must have shape ({n},), one weight per "
                         f"example, got shape {weights.shape}")
    weights = weights.astype(np.float64)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"{where}: sample_weight must be finite and >= 0, got "
                         f"sample_weight[{index}] = {weights[index]}")
    return weights


def class_labels(targets: np.ndarray, where: str) -> np.ndarray:
    """Each example's class, as Keras reads it for ``class_weight``: the labels, a single
    column of 0/1 targets, or the argmax of one-hot (or probability) rows."""
    if targets.dtype.kind not in "biuf":
        raise TypeError(f"{where}: class_weight needs integer class labels (or one-hot rows), "
                        f"got dtype {targets.dtype}: encode the labels as 0 .. C-1 "
                        "(sklearn.preprocessing.LabelEncoder), or use an estimator such as "
                        "rp.sklearn.MLPClassifier, which takes any labels")
    if targets.ndim == 2 and targets.shape[1] > 1:
        if np.any(targets < 0) or np.any(np.abs(targets.sum(axis=1) - 1) > 1e-3):
            raise ValueError(f"{where}: class_weight needs class labels, got real-valued "
                             f"targets of shape {targets.shape} whose rows are not one-hot "
                             "(or probabilities): use sample_weight")
        targets = targets.argmax(axis=1)
    elif targets.ndim == 2:
        targets = targets[:, 0]
    if targets.ndim != 1:
        raise ValueError(f"{where}: class_weight needs one class per example (labels, or "
                         f"one-hot rows); got targets of shape {targets.shape}")
    if targets.dtype.kind == "f" and not np.array_equal(targets, np.round(targets)):
        raise ValueError(f"{where}: class_weight needs class labels, got real-valued targets "
                         "(a regression): use sample_weight")
    return targets.astype(np.int64)


def per_class_weights(class_weight: Any, labels: np.ndarray, n_classes: int,
                      where: str) -> np.ndarray:
    """Each example's ``class_weight[label]``; a class that ``class_weight`` does not name
    weighs 1, as in Keras. Keys must be classes of the labels or of the model's outputs
    (0 .. ``n_classes`` - 1), values finite and >= 0."""
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"{where}: class_weight must be a dict {{label: weight}}, got "
                        f"{type(class_weight).__name__}")
    present = set(np.unique(labels).tolist())
    unknown = [k for k in class_weight
               if isinstance(k, bool) or not isinstance(k, int | np.integer)
               or (int(k) not in present and not 0 <= int(k) < n_classes)]
    if unknown:
        raise ValueError(f"{where}: class_weight names {unknown}, which are not classes: y "
                         f"has the labels {sorted(present)} and the model "
                         f"{n_classes} classes (0 .. {n_classes - 1})")
    check_class_weight_values(class_weight, where)
    weights = np.ones(len(labels))
    for key, value in class_weight.items():
        weights[labels == int(key)] = float(value)
    return weights


def balanced(labels: np.ndarray) -> dict[Any, float]:
    """scikit-learn's "balanced" class weights of ``labels``: n / (n_classes · count(c))
    for each class c present."""
    classes, counts = np.unique(labels, return_counts=True)
    weights = len(labels) / (len(classes) * counts.astype(np.float64))
    return dict(zip(classes.tolist(), weights.tolist(), strict=True))


def class_factors(labels: np.ndarray, class_weight: Mapping[Any, float] | str
                  ) -> np.ndarray:
    """Each row's class weight c_{y_i} (float64): ``class_weight[label]``, 1 for a label
    it does not name, or :func:`balanced` over ``labels``."""
    table = balanced(labels) if isinstance(class_weight, str) else class_weight
    classes, inverse = np.unique(labels, return_inverse=True)
    per_class = np.array([float(table.get(c, 1.0)) for c in classes.tolist()])
    return per_class[inverse.reshape(-1)]


def check_class_weight_values(class_weight: Mapping[Any, Any], where: str) -> None:
    """Every weight of a ``class_weight`` dict is a finite number >= 0."""
    for key, value in class_weight.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"{where}: class_weight must map each class to a finite weight "
                             f">= 0, got class_weight[{key!r}] = {value!r}")


def digest(weights: np.ndarray | None) -> str | None:
    """A short fingerprint of the weights, for the run signature that a resumed ``fit``
    must match (:mod:`retroprop.train.resume`)."""
    if weights is None:
        return None
    return hashlib.sha256(np.ascontiguousarray(weights, dtype=np.float64).tobytes()
                          ).hexdigest()[:16]
