"""Metrics: accuracy, top-k accuracy, confusion matrix, MSE, MAE, R².

Each takes the true targets and the model's outputs (scores, logits or
probabilities for classifiers; predictions for regressors) as arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def predicted_labels(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """argmax of each row; for one column (binary output), 1 where score > threshold."""
    scores = np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(len(scores), -1)[:, 0] > threshold).astype(np.int64)


def accuracy(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of examples whose predicted label equals the true one."""
    y_true = np.asarray(y_true).reshape(len(scores), -1)[:, 0]
    return float(np.mean(predicted_labels(scores, threshold) == y_true))


def top_k_accuracy(y_true: np.ndarray, scores: np.ndarray, k: int = 5) -> float:
    """Fraction of examples whose true label is among the k highest scores."""
    scores = np.asarray(scores)
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"top_k_accuracy: k must be in [1, {scores.shape[1]}], got {k}")
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float(np.mean((top == np.asarray(y_true)[:, None]).any(axis=1)))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
                     ) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as class j."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: y_true has shape {y_true.shape}, y_pred "
                         f"{y_pred.shape}")
    k = num_classes or int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1)
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """(1/n) Σ (y - t)²."""
    return float(np.mean((np.asarray(y_pred) - np.asarray(y_true).reshape(np.shape(y_pred)))
                         ** 2))


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """(1/n) Σ |y - t|."""
    return float(np.mean(np.abs(np.asarray(y_pred) - np.asarray(y_true).reshape(
        np.shape(y_pred)))))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """R² = 1 - Σ (t - y)² / Σ (t - mean t)² (over all outputs)."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true).reshape(y_pred.shape)
    total = np.sum((y_true - y_true.mean(axis=0)) ** 2)
    return float(1 - np.sum((y_true - y_pred) ** 2) / total) if total > 0 else 0.0


Metric = Callable[[np.ndarray, np.ndarray], float]

METRICS: dict[str, Metric] = {
    "accuracy": accuracy, "acc": accuracy, "top_k_accuracy": top_k_accuracy,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "r2": r2_score, "r2_score": r2_score,
}  # fmt: skip


def get_metric(metric: str | Metric, threshold: float = 0.5) -> tuple[str, Metric]:
    """(name, function) for a metric name (``"accuracy"``, ``"top3_accuracy"``, ``"mse"``)
    or a callable ``f(y_true, outputs)``; ``threshold`` is the decision threshold of binary
    accuracy (0 for logits)."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    name = str(metric)
    if name in ("accuracy", "acc"):
        return "accuracy", lambda y, out: accuracy(y, out, threshold)
    if name.startswith("top") and name.endswith("_accuracy") and name[3:-9].isdigit():
        k = int(name[3:-9])
        return name, lambda y, out: top_k_accuracy(y, out, k)
    if name in METRICS:
        return name, METRICS[name]
    raise ValueError(f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))}, "
                     "topK_accuracy, or a function f(y_true, outputs)")


__all__ = ["METRICS", "accuracy", "confusion_matrix", "get_metric", "mean_absolute_error",
           "mean_squared_error", "predicted_labels", "r2_score", "top_k_accuracy"]
