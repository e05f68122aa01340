"""Metrics: accuracy, top-k accuracy, confusion matrix, MSE, MAE, R².

Each takes the true targets and the model's outputs (scores, logits or
probabilities for classifiers; predictions for regressors) as arrays. The targets of a
classifier are integer labels (n,) or rows (n, k) of one-hot codes or probabilities, whose
argmax is the label (Keras's ``categorical_accuracy``).

Each also takes ``sample_weight``, one weight w_i >= 0 per example, as scikit-learn's
metrics do (the Trainer's ``weighted_metrics``): a metric that averages a score s_i per
example (a hit, an error averaged over the example's outputs) becomes Σ w_i s_i / Σ w_i
(NaN when the weights sum to 0), and R² weighs its sums as scikit-learn's ``r2_score``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from retroprop.train.weighted_loss import check_sample_weight


def predicted_labels(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """argmax of each row; for one column (binary output), 1 where score > threshold."""
    scores = np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(len(scores), -1)[:, 0] > threshold).astype(np.int64)


def true_labels(y_true: np.ndarray) -> np.ndarray:
    """The class of each example: integer labels (n,) or (n, 1) as they are, the argmax of
    target rows (n, k) with k > 1 (one-hot codes or probabilities)."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        return y_true.argmax(axis=1)
    return y_true.reshape(len(y_true), -1)[:, 0]


def _mean(per_example: np.ndarray, sample_weight: np.ndarray | None, where: str) -> float:
    """The mean of each example's score (averaged over its other axes):
    (1/n) Σ s_i, or with weights Σ w_i s_i / Σ w_i (NaN when they sum to 0); ``where``:
    the metric, for the error on weights of another length, negative or not finite."""
    scores = per_example.reshape(len(per_example), -1).mean(axis=1)
    if sample_weight is None:
        return float(scores.mean())
    weights = check_sample_weight(sample_weight, len(scores), where)
    total = weights.sum()
    return float(weights @ scores / total) if total > 0 else float("nan")


def accuracy(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5,
             sample_weight: np.ndarray | None = None) -> float:
    """Fraction of examples whose predicted label equals the true one
    (:func:`true_labels`: one-hot targets count by their argmax, not their first column);
    with ``sample_weight``, Σ w_i [correct_i] / Σ w_i (scikit-learn's ``accuracy_score``)."""
    return _mean(predicted_labels(scores, threshold) == true_labels(y_true), sample_weight,
                 "accuracy")


def binary_accuracy(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5,
                    sample_weight: np.ndarray | None = None) -> float:
    """Fraction of outputs on the right side of ``threshold``: (1/(n k)) Σ [(y > θ) = t] over
    the n examples and k outputs, each a yes/no decision of its own (binary and multi-label
    cross-entropy; Keras's ``binary_accuracy``). For one output it is :func:`accuracy`.
    With ``sample_weight``, each example's fraction of right outputs weighs w_i."""
    scores = np.asarray(scores)
    return _mean((scores > threshold) == np.asarray(y_true).reshape(scores.shape),
                 sample_weight, "binary_accuracy")


def top_k_accuracy(y_true: np.ndarray, scores: np.ndarray, k: int = 5,
                   sample_weight: np.ndarray | None = None) -> float:
    """Fraction of examples whose true label (:func:`true_labels`) is among the k highest
    scores; with ``sample_weight``, Σ w_i [hit_i] / Σ w_i (scikit-learn's
    ``top_k_accuracy_score``)."""
    scores = np.asarray(scores)
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"top_k_accuracy: k must be in [1, {scores.shape[1]}], got {k}")
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return _mean((top == true_labels(y_true)[:, None]).any(axis=1), sample_weight,
                 "top_k_accuracy")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
                     ) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as class j."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: y_true has shape {y_true.shape}, y_pred "
                         f"{y_pred.shape}")
    k = num_classes or int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1)
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _errors(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """y - t, the targets in the predictions' shape."""
    return np.asarray(y_pred) - np.asarray(y_true).reshape(np.shape(y_pred))


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray,
                       sample_weight: np.ndarray | None = None) -> float:
    """(1/n) Σ (y - t)² (averaged over the outputs); with ``sample_weight``,
    Σ w_i e_i / Σ w_i, e_i the example's mean squared error (scikit-learn's)."""
    return _mean(_errors(y_true, y_pred) ** 2, sample_weight, "mean_squared_error")


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray,
                        sample_weight: np.ndarray | None = None) -> float:
    """(1/n) Σ |y - t| (averaged over the outputs); with ``sample_weight``,
    Σ w_i e_i / Σ w_i, e_i the example's mean absolute error (scikit-learn's)."""
    return _mean(np.abs(_errors(y_true, y_pred)), sample_weight, "mean_absolute_error")


def r2_score(y_true: np.ndarray, y_pred: np.ndarray,
             sample_weight: np.ndarray | None = None) -> float:
    """R²_j = 1 - Σ_n (t_nj - y_nj)² / Σ_n (t_nj - mean_n t_nj)² for each output j, averaged
    over the outputs, as scikit-learn's ``r2_score`` (``multioutput="uniform_average"``) and
    Keras's ``R2Score``. An output whose targets are constant scores 1 when predicted
    exactly, 0 otherwise (scikit-learn's ``force_finite``; constant in value: scikit-learn
    finds them by a zero denominator, which rounding misses, scoring ~-1e31 for 3 targets
    of 0.1). With ``sample_weight``, both
    sums weigh each example by w_n and the mean is the weighted one, as scikit-learn's
    ``r2_score(sample_weight=)``."""
    y_pred = np.asarray(y_pred)
    y_pred = y_pred.reshape(len(y_pred), -1)
    y_true = np.asarray(y_true).reshape(y_pred.shape)
    weight = 1.0 if sample_weight is None else \
        check_sample_weight(sample_weight, len(y_pred), "r2_score")[:, None]
    if sample_weight is not None and not np.sum(weight) > 0:
        return float("nan")
    residual = np.sum(weight * (y_true - y_pred) ** 2, axis=0)
    mean = np.average(y_true, axis=0, weights=None if sample_weight is None else
                      np.ravel(weight))
    total = np.sum(weight * (y_true - mean) ** 2, axis=0)
    # constant targets by their values, not by total == 0: the mean of n copies of 0.1
    # (n = 3, 6, 7, ...), or a weighted mean, can differ from 0.1 in its last bit, which
    # left a total of 1e-33 and an R² of -5e31 (as scikit-learn's)
    counted = y_true if sample_weight is None else y_true[np.ravel(weight) > 0]
    constant = np.all(counted == counted[:1], axis=0)
    scores = np.where(constant, (residual == 0).astype(float),
                      1 - residual / np.where(constant, 1, total))
    return float(scores.mean())


Metric = Callable[[np.ndarray, np.ndarray], float]
#: a metric that also takes ``sample_weight=`` (``Trainer(weighted_metrics=...)``)
WeightedMetric = Callable[..., float]

METRICS: dict[str, Metric] = {
    "accuracy": accuracy, "acc": accuracy, "top_k_accuracy": top_k_accuracy,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "r2": r2_score, "r2_score": r2_score,
}  # fmt: skip


def get_metric(metric: str | Metric, threshold: float = 0.5, binary: bool = False
               ) -> tuple[str, Metric]:
    """(name, function) for a metric name (``"accuracy"``, ``"top3_accuracy"``, ``"mse"``)
    or a callable ``f(y_true, outputs)`` (a name's function also takes ``sample_weight=``);
    ``threshold`` is the decision threshold of binary accuracy (0 for logits); ``binary``:
    every output is a decision of its own (the loss's ``Loss.binary``), and "accuracy" is
    :func:`binary_accuracy`."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    name = str(metric)
    if name in ("accuracy", "acc"):
        return "accuracy", partial(binary_accuracy if binary else accuracy,
                                   threshold=threshold)
    if name.startswith("top") and name.endswith("_accuracy") and name[3:-9].isdigit():
        return name, partial(top_k_accuracy, k=int(name[3:-9]))
    if name in METRICS:
        return name, METRICS[name]
    raise ValueError(f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))}, "
                     "topK_accuracy, or a function f(y_true, outputs)")


__all__ = ["METRICS", "accuracy", "binary_accuracy", "confusion_matrix", "get_metric",
           "mean_absolute_error", "mean_squared_error", "predicted_labels", "r2_score",
           "top_k_accuracy", "true_labels"]
