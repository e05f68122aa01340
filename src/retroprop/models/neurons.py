"""The linear neuron trained by the delta rule, and the logistic neuron (Berzal,
"Backpropagation" (Granada): "La regla delta" and "Neurona sigmoidal")."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.checks import check_count, check_lr
from retroprop.models.estimator import LectureModel, as_examples, as_real_targets, as_targets
from retroprop.models.perceptron import two_classes, with_bias_input

MODES = ("online", "batch")
RULES = ("squared_error", "cross_entropy")


class LinearNeuron(LectureModel):
    """y = Σ w_i x_i (no bias unless ``bias=True``), trained by the delta rule on the
    squared error E = ½ Σ_n (t_n - y_n)²:

        Δw_i = -η ∂E/∂w_i = η Σ_n x_i^n (t_n - y_n)

    online (after each example) or in batch (the sum over the examples). Berzal's
    cafeteria: prices (150, 50, 100) cents, portions (2, 5, 3), start at 50 each,
    η = 1/35: the estimate 500 becomes 880 after one step, residual -30.

    Parameters
    ----------
    weights : array, optional
        Initial weights ([b, w_1, ...] with ``bias=True``); zeros by default.
    bias : bool, default False
    eta : float, default 0.01
    epochs : int, default 100
    mode : {"online", "batch"}, default "online"

    Attributes
    ----------
    weights : ndarray, the current weights (also ``weights_``)
    weights_history_ : ndarray (epochs + 1, m)
        The weights before training and after each epoch of the last ``fit``.
    errors_ : list of float
        The mean squared error after each epoch.

    Examples
    --------
    >>> neuron = LinearNeuron([50.0, 50.0, 50.0])
    >>> float(neuron.step([2, 5, 3], 850, eta=1 / 35)[0]), float(neuron.predict([2, 5, 3])[0])
    (500.0, 880.0)
    """

    is_classifier = False

    def __init__(self, weights: np.ndarray | list[float] | None = None, bias: bool = False,
                 eta: float = 0.01, epochs: int = 100, mode: str = "online") -> None:
        name = type(self).__name__
        if mode not in MODES:
            raise ValueError(f"{name}: mode must be one of {MODES}, got {mode!r}")
        check_lr(eta, f"{name}: eta")
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.bias, self.eta, self.mode = bias, eta, mode
        self.epochs = check_count(epochs, f"{name}: epochs")

    @property
    def weights_(self) -> np.ndarray:
        """The current weights; an error before they exist (not given, no ``fit`` yet)."""
        if self.weights is None:
            raise ValueError(f"{type(self).__name__}: no weights yet; give them or call fit")
        return self.weights

    def _inputs(self, X: Any, start: bool = False) -> np.ndarray:
        """The examples with the input +1 if ``bias``; ``start``: zero weights if none yet
        (training), else their absence is an error (predicting)."""
        X = as_examples(X, type(self).__name__)
        inputs = with_bias_input(X) if self.bias else X
        if self.weights is None and start:
            self.weights = np.zeros(inputs.shape[1])
        if len(self.weights_) != inputs.shape[1]:
            raise ValueError(f"{type(self).__name__}: inputs have {inputs.shape[1]} values, "
                             f"the neuron has {len(self.weights_)} weights")
        return inputs

    def output(self, inputs: np.ndarray) -> np.ndarray:
        return inputs @ self.weights

    def gradient_factor(self, y: np.ndarray) -> np.ndarray | float:
        """dy/dz, the slope of the output function (1 for the linear neuron)."""
        return 1.0

    def predict(self, X: Any) -> np.ndarray:
        """The output y for each example (a 1-D vector is one example)."""
        return self.output(self._inputs(X))

    def step(self, x: Any, t: Any, eta: float) -> np.ndarray:
        """One update on examples x (one or several, summed); returns y before it."""
        name = type(self).__name__
        check_lr(eta, f"{name}.step: eta")
        inputs = self._inputs(x, start=True)
        y = self.output(inputs)
        with np.errstate(over="ignore", invalid="ignore"):  # _update raises on overflow
            self._update(inputs, as_real_targets(t, len(inputs), f"{name}.step"), eta)
        return y

    def fit(self, X: Any, t: Any) -> LinearNeuron:
        """Train for ``epochs`` epochs, online or in batch; returns the neuron. A rate too
        large for the inputs makes the weights diverge: a FloatingPointError once a step
        would leave them non-finite, with ``weights_history_`` and ``errors_`` up to then."""
        inputs = self._inputs(X, start=True)
        t = as_real_targets(t, len(inputs), f"{type(self).__name__}.fit")
        history, self.errors_ = [self.weights_.copy()], []
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # once, not at every step:
                for _ in range(self.epochs):  # overflow is _update's FloatingPointError
                    if self.mode == "online":
                        for x, target in zip(inputs, t, strict=True):
                            self._update(x[None], target, self.eta)
                    else:
                        self._update(inputs, t, self.eta)
                    history.append(self.weights_.copy())
                    self.errors_.append(float(np.mean((self.output(inputs) - t) ** 2)))
        finally:
            self.weights_history_ = np.array(history)
        return self

    def _update(self, inputs: np.ndarray, t: np.ndarray | float, eta: float) -> None:
        """w <- w + η Σ_n x^n (t^n - y^n) dy/dz^n over the rows of ``inputs``; the weights
        stay as they were, and a FloatingPointError says so, if the step overflows. The
        caller silences NumPy's overflow warnings (``np.errstate``) around its loop."""
        y = self.output(inputs)
        weights = self.weights + eta * inputs.T @ ((np.atleast_1d(t) - y)
                                                   * self.gradient_factor(y))
        if not np.isfinite(weights).all():
            raise FloatingPointError(
                f"{type(self).__name__}: the weights diverged: a step with eta={eta} would "
                f"make them non-finite (they stay at their last finite values, largest |w| = "
                f"{np.abs(self.weights_).max():.3g}); use a smaller eta (batch steps converge "
                f"for eta < 2 / the largest eigenvalue of XᵀX)")
        self.weights = weights


class LogisticNeuron(LinearNeuron):
    """y = σ(z) = 1 / (1 + e^(-z)), z = b + Σ w_i x_i, trained by gradient descent.

    By default on the squared error E = ½ Σ (t - y)², as in Berzal, "Backpropagation"
    (Granada), "Neurona sigmoidal": ∂E/∂w_i = -Σ_n x_i^n y^n (1 - y^n) (t^n - y^n), so

        Δw_i = η Σ_n x_i^n y^n (1 - y^n) (t^n - y^n)   (rule="squared_error")

    with the "extra term" y(1 - y), the slope of the logistic function. With
    ``rule="cross_entropy"`` it descends the cross-entropy -Σ [t ln y + (1 - t) ln(1 - y)]
    instead, whose gradient cancels that slope: Δw_i = η Σ_n x_i^n (t^n - y^n) (logistic
    regression; the same step as the delta rule).

    ``predict`` gives the class (``classes_``, any two labels; y >= 1/2 is the second),
    ``predict_proba`` the output y, and ``score`` the accuracy.

    Parameters
    ----------
    weights, bias, eta, epochs, mode : as :class:`LinearNeuron` (``bias`` True here)
    rule : {"squared_error", "cross_entropy"}, default "squared_error"
    """

    is_classifier = True

    def __init__(self, weights: np.ndarray | list[float] | None = None, bias: bool = True,
                 eta: float = 0.1, epochs: int = 100, mode: str = "online",
                 rule: str = "squared_error") -> None:
        if rule not in RULES:
            raise ValueError(f"LogisticNeuron: rule must be one of {RULES}, got {rule!r}")
        super().__init__(weights, bias, eta, epochs, mode)
        self.rule = rule

    def output(self, inputs: np.ndarray) -> np.ndarray:
        return 0.5 * (1 + np.tanh(0.5 * (inputs @ self.weights)))  # σ(z), without overflow

    def gradient_factor(self, y: np.ndarray) -> np.ndarray | float:
        """y(1 - y) for the squared error; 1 for the cross-entropy."""
        return y * (1 - y) if self.rule == "squared_error" else 1.0

    def fit(self, X: Any, t: Any) -> LogisticNeuron:
        """Train on examples and their two-class labels (0/1, or any two labels)."""
        n = len(as_examples(X, "LogisticNeuron.fit"))
        self.classes_, signs = two_classes(as_targets(t, n, "LogisticNeuron.fit"),
                                           "LogisticNeuron.fit")
        super().fit(X, (signs + 1) // 2)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """y = σ(z): the probability of the second class, for each example."""
        return self.output(self._inputs(X))

    def predict(self, X: Any) -> np.ndarray:
        classes = getattr(self, "classes_", np.array([0, 1]))
        return classes[(self.predict_proba(X) >= 0.5).astype(np.int64)]
