"""Rosenblatt's perceptron and the McCulloch–Pitts threshold unit (Berzal,
"Backpropagation" (Granada): the perceptron and its learning procedure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retroprop.checks import check_count, is_real
from retroprop.models.estimator import LectureModel, as_examples, as_targets


def sgn(v: np.ndarray) -> np.ndarray:
    """Haykin's signum for the perceptron: +1 if v > 0, -1 if v <= 0."""
    return np.where(v > 0, 1, -1)


def with_bias_input(X: np.ndarray) -> np.ndarray:
    """x = [+1, x_1, ..., x_m]: the bias is the weight of a fixed input +1 (Berzal)."""
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


def two_classes(y: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The two class labels (sorted; -1, +1 when the labels are among them) and the
    targets as -1 for the first and +1 for the second."""
    labels = np.unique(y)
    if len(labels) > 2:
        raise ValueError(f"{where}: a single unit separates two classes, got {len(labels)}: "
                         f"{labels[:10].tolist()}")
    if labels.dtype.kind in "iuf" and set(labels.tolist()) <= {-1, 1}:
        labels = np.array([-1, 1])
    elif len(labels) == 1:
        raise ValueError(f"{where}: the targets hold one class, {labels.tolist()}; give "
                         "examples of both classes (or -1/+1 labels)")
    return labels, np.where(y == labels[1], 1, -1)


def _run_epochs(model: Any, inputs: np.ndarray, d: np.ndarray, update: Any) -> None:
    """Present the examples one at a time, epoch after epoch, until an epoch makes no
    mistake; keep the weights after each epoch."""
    model.weights_history_ = [model.weights_.copy()]
    model.mistakes_ = []
    for _ in range(model.max_epochs):
        errors = 0
        for x, target in zip(inputs, d, strict=True):
            errors += update(x, target)
        model.mistakes_.append(errors)
        model.weights_history_.append(model.weights_.copy())
        if errors == 0:
            break
    model.weights_history_ = np.array(model.weights_history_)
    total, epoch = sum(model.mistakes_), len(model.mistakes_)
    converged = model.mistakes_[-1] == 0
    message = (f"converged after {epoch} epochs and {total} mistakes" if converged else
               f"not linearly separable within {model.max_epochs} epochs")
    model.result_ = PerceptronResult(converged, epoch, total, message)


class Perceptron(LectureModel):
    """The perceptron convergence algorithm exactly as Haykin's Table 1.1 (quoted in Berzal,
    "Backpropagation" (Granada)):

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
    weights_history_ : ndarray (epochs + 1, m + 1)
        w(0), then the weights after each epoch: the decision line b + w·x = 0 moving.
    mistakes_ : list of int, the mistakes of each epoch
    classes_ : ndarray (2,)
        The labels, any two (words, 0/1, -1/+1): the first is d = -1, the second d = +1.
    result_ : PerceptronResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> model = Perceptron().fit(X, [0, 0, 0, 1])   # AND
    >>> model.predict(X).tolist(), model.score(X, [0, 0, 0, 1]), model.predict([1, 1])
    ([0, 0, 0, 1], 1.0, array([1]))
    """

    # Set by ``fit`` (through ``_run_epochs``).
    weights_history_: np.ndarray
    mistakes_: list[int]
    result_: PerceptronResult

    def __init__(self, eta: float = 1.0, max_epochs: int = 100) -> None:
        if not is_real(eta) or not 0 < eta <= 1:
            raise ValueError(f"Perceptron: eta must be a number in (0, 1], got {eta!r}")
        self.eta, self.max_epochs = eta, check_count(max_epochs, "Perceptron: max_epochs")

    def fit(self, X: Any, d: Any) -> Perceptron:
        """Learn from examples X (n, m) or one example (m,), and their two-class labels."""
        inputs = with_bias_input(as_examples(X, "Perceptron.fit"))
        self.classes_, targets = two_classes(as_targets(d, len(inputs), "Perceptron.fit"),
                                             "Perceptron.fit")
        self.weights_ = np.zeros(inputs.shape[1])

        def update(x: np.ndarray, target: int) -> int:
            y = sgn(self.weights_ @ x)
            if y == target:
                return 0
            self.weights_ = self.weights_ + self.eta * (target - y) * x
            return 1

        _run_epochs(self, inputs, targets, update)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """v = b + w·x for each example: the side of the hyperplane and how far."""
        if not hasattr(self, "weights_"):
            raise ValueError("Perceptron: no weights yet; call fit")
        inputs = as_examples(X, "Perceptron", len(self.weights_) - 1)
        return with_bias_input(inputs) @ self.weights_

    def predict(self, X: Any) -> np.ndarray:
        """The class of each example (of ``classes_``): the second where sgn(v) = +1."""
        side = (sgn(self.decision_function(X)) + 1) // 2
        return self.classes_[side]


class McCullochPitts(LectureModel):
    """A binary threshold unit: y = 1 if Σ w_i x_i >= θ, else 0 (McCulloch and Pitts 1943).

    Its weights and threshold can be set by hand (logic gates) or learned by the
    perceptron's learning procedure in Berzal's form ("Backpropagation" (Granada)), the
    threshold learned as the weight of a fixed input (θ = -b): for each example, if the
    unit wrongly outputs 0, add the input vector to the weights; if it wrongly outputs 1,
    subtract it.

    Parameters
    ----------
    weights : array (m,), optional
        Zeros when learned without a start.
    threshold : float, default 0
    max_epochs : int, default 100

    Examples
    --------
    >>> import numpy as np
    >>> gate = McCullochPitts([1, 1], threshold=2)  # AND
    >>> gate.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]])).tolist()
    [0, 0, 0, 1]
    >>> McCullochPitts().fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]).result_.converged
    True
    """

    def __init__(self, weights: list[float] | np.ndarray | None = None, threshold: float = 0.0,
                 max_epochs: int = 100) -> None:
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.threshold = float(threshold)
        self.max_epochs = check_count(max_epochs, "McCullochPitts: max_epochs")

    @property
    def weights_(self) -> np.ndarray:
        """[-θ, w_1, ..., w_m]: the threshold as the (negative) weight of the input +1."""
        if self.weights is None:
            raise ValueError("McCullochPitts: no weights yet; give them or call fit")
        return np.concatenate([[-self.threshold], self.weights])

    @weights_.setter
    def weights_(self, value: np.ndarray) -> None:
        self.threshold, self.weights = float(-value[0]), np.asarray(value[1:])

    def fit(self, X: Any, y: Any) -> McCullochPitts:
        """Learn weights and threshold from examples and their 0/1 outputs."""
        inputs = with_bias_input(as_examples(X, "McCullochPitts.fit"))
        y = as_targets(y, len(inputs), "McCullochPitts.fit")
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"McCullochPitts.fit: the outputs must be 0 or 1, got "
                             f"{np.unique(y)[:10].tolist()}")
        if self.weights is None:
            self.weights = np.zeros(inputs.shape[1] - 1)
        if self.weights.shape != (inputs.shape[1] - 1,):
            raise ValueError(f"McCullochPitts.fit: inputs have {inputs.shape[1] - 1} values "
                             f"per example, the unit has weights of shape "
                             f"{self.weights.shape}")

        def update(x: np.ndarray, target: int) -> int:
            output = int(self.weights_ @ x >= 0)
            if output == target:
                return 0
            self.weights_ = self.weights_ + (x if target == 1 else -x)
            return 1

        _run_epochs(self, inputs, y, update)
        return self

    def predict(self, X: Any) -> np.ndarray:
        if self.weights is None:
            raise ValueError("McCullochPitts: no weights yet; give them or call fit")
        X = as_examples(X, "McCullochPitts", len(self.weights))
        return (X @ self.weights >= self.threshold).astype(np.int64)
