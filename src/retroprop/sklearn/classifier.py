"""``MLPClassifier``: scikit-learn's multilayer perceptron classifier on retroprop."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from retroprop.ops.activation import sigmoid, softmax
from retroprop.sklearn.base import BaseMLP
from retroprop.sklearn.estimator_doc import PARAMETERS
from retroprop.tensor.tensor import Tensor
from retroprop.train.weighted_loss import class_factors


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = f"""A multilayer perceptron classifier trained by backpropagation (Berzal,
    "Backpropagation"), with scikit-learn's interface: it works in pipelines, grid searches
    and ``cross_val_score``.

    Compared with ``sklearn.neural_network.MLPClassifier`` it adds every optimizer of
    ``rp.optim`` as a ``solver``, dropout, batch normalization, initializers, max-norm and
    L1 penalties, custom losses, ``class_weight`` and ``sample_weight``; with
    ``warm_start=True`` the optimizer keeps its state between fits. Softmax outputs with
    cross-entropy (sigmoid outputs with the sum of the labels' binary cross-entropies for
    multilabel targets, scikit-learn's log loss). The
    network computes in the dtype of X (float32 or float64), as scikit-learn's does.

    Parameters
    ----------
{PARAMETERS}
    class_weight : dict, "balanced" or None, default None
        Weights of the classes in the loss: ``{{label: weight}}`` (finite, >= 0), or
        "balanced" (n / (n_classes · count of the class); not with ``partial_fit``);
        multiplied with ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_ : retroprop Module
        The trained network (``rp.save(clf.model_, path)`` saves it).
    optimizer_ : Optimizer
    coefs_, intercepts_ : lists of ndarray
        Weight matrices (fan_in, fan_out) and biases of the Linear layers.
    n_layers_ : int
        ``len(hidden_layer_sizes) + 2``: the input, hidden and output layers, as
        scikit-learn counts them.
    n_outputs_ : int
        Output units: the number of classes (or of labels for multilabel targets).
    out_activation_ : {{"softmax", "logistic"}}
        "softmax" for classes, "logistic" for multilabel targets, as scikit-learn. For two
        classes scikit-learn has one logistic output (``n_outputs_ == 1``, "logistic");
        here the network keeps two softmax outputs, which give the same probabilities
        (softmax of (a, b) is the logistic of b − a), so ``n_outputs_ == 2`` and
        "softmax" describe ``coefs_[-1]``.
    loss_ : float
        Training loss (with the penalties) of the last epoch, as scikit-learn's.
    loss_curve_ : list of float
        Training loss (with the penalties) after each epoch.
    best_loss_ : float or None
    validation_scores_ : list of float or None
        Accuracy on the held-out set after each epoch (``early_stopping=True``).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run (over every ``fit`` of a warm start).
    t_ : int
        Training examples seen.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from retroprop.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), max_iter=300, learning_rate_init=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseMLP._parameter_constraints,
        "class_weight": [None, dict, StrOptions({"balanced"})]}

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, batch_norm: bool = False, init: Any = None,
                 max_norm: float | None = None, l1: float = 0.0, loss: Any = None,
                 class_weight: Any = None) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, batch_norm=batch_norm, init=init, max_norm=max_norm, l1=l1,
            loss=loss)
        self.class_weight = class_weight

    @property
    def _default_loss(self) -> str:
        return "log_loss"

    def _targets(self, y: Any, first: bool) -> np.ndarray:
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if first and not hasattr(self, "classes_"):
            self._multilabel = multilabel
            self.classes_ = np.arange(y.shape[1]) if multilabel else np.unique(y)
        if multilabel != self._multilabel:
            raise ValueError(f"y is {'multilabel' if multilabel else 'one label per example'}"
                             f" but {type(self).__name__} was fitted on the other kind.")
        if multilabel:
            if y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {y.shape[1]} labels, expected {len(self.classes_)}.")
            return np.asarray(y, dtype=np.float64)
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"y contains labels {unseen[:10].tolist()} not in classes "
                             f"{self.classes_.tolist()}.")
        return np.searchsorted(self.classes_, y)

    def _n_outputs(self, targets: np.ndarray) -> int:
        return len(self.classes_)

    def _class_weights(self, targets: np.ndarray) -> np.ndarray:
        """Each example's class weight: ``class_weight[label]`` (1 for labels it does not
        name), or for "balanced" n / (n_classes · count of the class) over the classes
        present."""
        if self.class_weight is None:
            return np.ones(len(targets))
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel targets.")
        if not isinstance(self.class_weight, dict):
            return class_factors(targets, "balanced")
        unknown = [k for k in self.class_weight if k not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(f"class_weight names labels {unknown} that are not classes "
                             f"of y {self.classes_.tolist()}.")
        per_class = np.array([float(self.class_weight.get(c, 1.0))
                              for c in self.classes_.tolist()])
        if not np.all(np.isfinite(per_class) & (per_class >= 0)):
            raise ValueError(f"class_weight: the weights must be finite and >= 0, got "
                             f"{self.class_weight!r}.")
        return per_class[targets]

    def _score_targets(self, X: np.ndarray, targets: np.ndarray,
                       weights: np.ndarray | None = None) -> float:
        outputs = self._forward(X)
        decided = (outputs > 0).astype(int) if self._multilabel else outputs.argmax(axis=1)
        return float(accuracy_score(targets.astype(int), decided, sample_weight=weights))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on (X, y) for up to ``max_iter`` epochs (continuing if ``warm_start``).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) labels, or (n_samples, n_labels) indicators
        sample_weight : array-like, shape (n_samples,), optional
            Each example's weight in the loss; an integer weight k counts as k copies.
        """
        self._validate_params()
        if not self.warm_start and hasattr(self, "classes_"):
            del self.classes_
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> MLPClassifier:
        """One epoch over (X, y); the first call needs ``classes`` (all labels to expect, or
        for multilabel targets the label indices ``range(n_labels)``).

        ``class_weight="balanced"`` is refused, as by scikit-learn's ``SGDClassifier``: the
        class counts of one call's examples are not those of the training set.
        """
        self._validate_params()
        if isinstance(self.class_weight, str):  # "balanced", the only string it accepts
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: the class counts "
                "of each call's examples are not those of the training set. Compute the "
                "weights once with sklearn.utils.class_weight.compute_class_weight("
                "'balanced', classes=classes, y=y) on (a large sample of) all the labels and "
                "pass them as a dict to class_weight.")
        if not hasattr(self, "model_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(classes)
            self._multilabel = type_of_target(y) == "multilabel-indicator"
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={list(classes)}` is not the same as on the last call "
                             f"to partial_fit, was: {self.classes_.tolist()}")
        return self._fit(X, y, sample_weight, incremental=True)

    @property
    def out_activation_(self) -> str:
        """The output activation by scikit-learn's name: "softmax" for classes (two of
        them too: see the class docstring), "logistic" for multilabel targets."""
        check_is_fitted(self, "model_")
        return "logistic" if self._multilabel else "softmax"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes): softmax of the outputs (sigmoid
        of each for multilabel targets)."""
        outputs = Tensor._wrap(self._outputs(X))
        probabilities = sigmoid(outputs) if self._multilabel else softmax(outputs, 1)
        return probabilities.data

    def predict_log_proba(self, X: Any) -> np.ndarray:
        return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class (or, for multilabel targets, each label with p > 0.5)."""
        outputs = self._outputs(X)
        if self._multilabel:
            return (outputs > 0).astype(int)
        return self.classes_[outputs.argmax(axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

