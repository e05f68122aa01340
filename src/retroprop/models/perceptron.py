"""Rosenblatt's perceptron and the McCulloch–Pitts threshold unit (seed 001)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sgn(v: np.ndarray) -> np.ndarray:
    """Haykin's signum for the perceptron: +1 if v > 0, -1 if v <= 0."""
    return np.where(v > 0, 1, -1)


def with_bias_input(X: np.ndarray) -> np.ndarray:
    """x = [+1, x_1, ..., x_m]: the bias is the weight of a fixed input +1 (seed 001)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"inputs must be a 2-D array (examples, features), got shape {X.shape}")
    return np.hstack([np.ones((len(X), 1)), X])


@dataclass
class PerceptronResult:
    converged: bool
    epochs: int
    mistakes: int
    message: str


class Perceptron:
    """The perceptron convergence algorithm exactly as Haykin's Table 1.1 (seed 001):

        w(0) = 0;  y(n) = sgn(wᵀ(n) x(n));  w(n+1) = w(n) + η [d(n) - y(n)] x(n)

    with x = [+1, x_1, ..., x_m] (the bias b = w_0) and d(n) ∈ {+1, -1}. Presented one
    example at a time, epoch after epoch, it stops when an epoch makes no mistake; it
    finds separating weights whenever they exist, and reports "not linearly separable
    within N epochs" otherwise (XOR, EQ).

    Parameters
    ----------
    eta : float in (0, 1], default 1
    max_epochs : int, default 100

    Attributes
    ----------
    weights_ : ndarray (m + 1,), [b, w_1, ..., w_m]
    result_ : PerceptronResult
    """

    def __init__(self, eta: float = 1.0, max_epochs: int = 100) -> None:
        if not 0 < eta <= 1:
            raise ValueError(f"Perceptron: eta must be in (0, 1], got {eta}")
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"Perceptron: max_epochs must be a positive integer, got "
                             f"{max_epochs!r}")
        self.eta, self.max_epochs = eta, max_epochs

    def fit(self, X: np.ndarray, d: np.ndarray) -> Perceptron:
        inputs = with_bias_input(X)
        d = np.asarray(d)
        if len(d) != len(inputs) or not np.isin(d, (-1, 1)).all():
            raise ValueError(f"Perceptron.fit: d must hold +1 or -1 for each of the "
                             f"{len(inputs)} examples, got {np.unique(d).tolist()}")
        self.weights_ = np.zeros(inputs.shape[1])
        mistakes = 0
        for epoch in range(1, self.max_epochs + 1):
            errors = 0
            for x, target in zip(inputs, d, strict=True):
                y = sgn(self.weights_ @ x)
                if y != target:
                    self.weights_ = self.weights_ + self.eta * (target - y) * x
                    errors += 1
            mistakes += errors
            if errors == 0:
                self.result_ = PerceptronResult(True, epoch, mistakes,
                                                f"converged after {epoch} epochs and "
                                                f"{mistakes} mistakes")
                return self
        self.result_ = PerceptronResult(False, self.max_epochs, mistakes,
                                        f"not linearly separable within {self.max_epochs} "
                                        "epochs")
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return sgn(with_bias_input(X) @ self.weights_)


class McCullochPitts:
    """A binary threshold unit: y = 1 if Σ w_i x_i >= θ, else 0 (McCulloch and Pitts 1943).

    Examples
    --------
    >>> import numpy as np
    >>> gate = McCullochPitts([1, 1], threshold=2)  # AND
    >>> gate.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]])).tolist()
    [0, 0, 0, 1]
    """

    def __init__(self, weights: list[float] | np.ndarray, threshold: float) -> None:
        self.weights, self.threshold = np.asarray(weights, dtype=np.float64), float(threshold)

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.weights):
            raise ValueError(f"McCullochPitts: expected inputs of shape (n, {len(self.weights)}),"
                             f" got {X.shape}")
        return (X @ self.weights >= self.threshold).astype(np.int64)
