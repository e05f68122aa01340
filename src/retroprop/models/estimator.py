"""What the lectures' single-unit models share, in scikit-learn's shape: ``fit`` returns the
model, ``predict``, ``score``, the weights after every epoch in ``weights_history_`` (to
draw the decision line moving), a ``repr`` with the settings, and a single example (a
1-D vector) accepted wherever a batch is."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


def as_examples(X: Any, where: str, features: int | None = None) -> np.ndarray:
    """X as a float64 (examples, features) array of finite numbers, at least one example; a
    1-D vector is one example."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{where}: inputs must be one example (a vector) or a 2-D array "
                         f"(examples, features) with at least one example, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{where}: inputs must be finite numbers, got "
                         f"{np.count_nonzero(~np.isfinite(X))} NaN or infinite values")
    if features is not None and X.shape[1] != features:
        raise ValueError(f"{where}: the model takes {features} inputs per example, got "
                         f"{X.shape[1]}")
    return X


def as_targets(y: Any, n: int, where: str) -> np.ndarray:
    """y as a 1-D array of ``n`` targets (a scalar is the target of one example)."""
    y = np.atleast_1d(np.asarray(y))
    if y.shape != (n,):
        hint = (" (a 1-D X is one example: give n examples of one input as X of shape (n, 1))"
                if n == 1 else "")
        raise ValueError(f"{where}: expected {n} targets (one per example), got shape "
                         f"{y.shape}{hint}")
    return y


def as_real_targets(y: Any, n: int, where: str) -> np.ndarray:
    """y as a float64 vector of ``n`` finite targets (a regressor's, or one step's)."""
    y = as_targets(y, n, where)
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: targets must be numbers, got {y[:5].tolist()} "
                         f"(dtype {y.dtype})") from None
    if not np.isfinite(y).all():
        raise ValueError(f"{where}: targets must be finite numbers, got "
                         f"{np.count_nonzero(~np.isfinite(y))} NaN or infinite values")
    return y


class LectureModel:
    """Base of ``Perceptron``, ``McCullochPitts``, ``LinearNeuron`` and ``LogisticNeuron``.

    Subclasses store their constructor arguments under the same names, define ``fit`` and
    ``predict``, and set ``is_classifier``: ``score`` is then the accuracy (classifiers)
    or R² (regressors), as in scikit-learn.
    """

    is_classifier = True

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, by name."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        def shown(value: Any) -> str:
            if isinstance(value, np.ndarray):
                return repr(value.tolist())
            return repr(value)

        settings = ", ".join(f"{k}={shown(v)}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({settings})"

    def predict(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of ``predict(X)`` against ``y`` for a classifier; the coefficient of
        determination R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)² for a regressor."""
        predicted = self.predict(X)
        y = as_targets(y, len(predicted), f"{type(self).__name__}.score")
        if self.is_classifier:
            return float(np.mean(predicted == y))
        y = y.astype(np.float64)
        spread = float(np.sum((y - y.mean()) ** 2))
        residual = float(np.sum((y - predicted) ** 2))
        return 1.0 - residual / spread if spread > 0 else float(residual == 0)
