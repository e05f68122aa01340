"""The linear neuron trained by the delta rule, and the logistic neuron (seed 001)."""

from __future__ import annotations

import numpy as np

from retroprop.models.perceptron import with_bias_input

MODES = ("online", "batch")


class LinearNeuron:
    """y = Σ w_i x_i (no bias unless ``bias=True``), trained by the delta rule

        Δw_i = η x_i (t - y)

    online (after each example) or in batch (the sum over the examples). Seed 001's
    cafeteria: prices (150, 50, 100) cents, portions (2, 5, 3), start at 50 each,
    η = 1/35: the estimate 500 becomes 880 after one step, residual -30.

    Parameters
    ----------
    weights : array, optional
        Initial weights (zeros by default).
    bias : bool, default False
    """

    def __init__(self, weights: np.ndarray | list[float] | None = None, bias: bool = False
                 ) -> None:
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.bias = bias

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        inputs = with_bias_input(X) if self.bias else X
        if self.weights is None:
            self.weights = np.zeros(inputs.shape[1])
        if inputs.shape[1] != len(self.weights):
            raise ValueError(f"{type(self).__name__}: inputs have {inputs.shape[1]} values, "
                             f"the neuron has {len(self.weights)} weights")
        return inputs

    def output(self, inputs: np.ndarray) -> np.ndarray:
        return inputs @ self.weights

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.output(self._inputs(X))

    def step(self, x: np.ndarray, t: float | np.ndarray, eta: float) -> np.ndarray:
        """One delta-rule update on examples x (one or several, summed); returns y before."""
        inputs = self._inputs(x)
        y = self.output(inputs)
        self.weights = self.weights + eta * inputs.T @ (np.atleast_1d(t) - y)
        return y

    def fit(self, X: np.ndarray, t: np.ndarray, eta: float = 0.01, epochs: int = 100,
            mode: str = "online") -> list[float]:
        """Train; returns the mean squared error after each epoch."""
        if mode not in MODES:
            raise ValueError(f"{type(self).__name__}.fit: mode must be one of {MODES}, got "
                             f"{mode!r}")
        if not eta > 0:
            raise ValueError(f"{type(self).__name__}.fit: eta must be positive, got {eta}")
        X, t = np.asarray(X, dtype=np.float64), np.asarray(t, dtype=np.float64)
        errors = []
        for _ in range(epochs):
            if mode == "online":
                for x, target in zip(X, t, strict=True):
                    self.step(x, target, eta)
            else:
                self.step(X, t, eta)
            errors.append(float(np.mean((self.predict(X) - t) ** 2)))
        return errors


class LogisticNeuron(LinearNeuron):
    """y = σ(Σ w_i x_i + b), trained on the cross-entropy, whose gradient gives the same
    rule as the delta rule: Δw_i = η x_i (t - y) (seed 001)."""

    def __init__(self, weights: np.ndarray | list[float] | None = None, bias: bool = True
                 ) -> None:
        super().__init__(weights, bias)

    def output(self, inputs: np.ndarray) -> np.ndarray:
        return 0.5 * (1 + np.tanh(0.5 * (inputs @ self.weights)))
