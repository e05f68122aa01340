"""n_layers_, n_outputs_ and out_activation_, compared with scikit-learn's MLPs fitted on the
same data, and used as scikit-learn's are: to compute the outputs from coefs_."""

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.exceptions import NotFittedError
from sklearn.neural_network._base import ACTIVATIONS

from retroprop.sklearn import MLPClassifier, MLPRegressor

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")]

X = np.random.default_rng(0).normal(size=(60, 4))
TARGETS = {
    "multiclass": (X[:, 0] > 0).astype(int) + (X[:, 1] > 0),
    "multiclass strings": np.array(["a", "b", "c", "d"])[np.arange(60) % 4],
    "multilabel": np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0].astype(int),
    "binary": (X[:, 0] > 0).astype(int),
}
REGRESSION = {"one target": X[:, 0], "a column": X[:, :1], "three targets": X[:, :3]}
HIDDEN = [(5,), (6, 3), (4, 4, 2)]


def attributes(estimator):
    return estimator.n_layers_, estimator.n_outputs_, estimator.out_activation_


def fitted(cls, hidden, y):
    return cls(hidden_layer_sizes=hidden, max_iter=3, random_state=0).fit(X, y)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("kind", ["multiclass", "multiclass strings", "multilabel"])
def test_classifier_attributes_equal_scikit_learns(kind, hidden):
    ours, theirs = (fitted(cls, hidden, TARGETS[kind])
                    for cls in (MLPClassifier, sk.MLPClassifier))
    assert attributes(ours) == attributes(theirs)
    assert ours.n_layers_ == len(hidden) + 2 == len(ours.coefs_) + 1
    assert ours.coefs_[-1].shape[1] == ours.n_outputs_


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("kind", list(REGRESSION))
def test_regressor_attributes_equal_scikit_learns(kind, hidden):
    ours, theirs = (fitted(cls, hidden, REGRESSION[kind])
                    for cls in (MLPRegressor, sk.MLPRegressor))
    assert attributes(ours) == attributes(theirs)
    assert ours.coefs_[-1].shape[1] == ours.n_outputs_


def test_two_classes_keep_two_softmax_outputs_where_scikit_learn_has_one_logistic():
    ours, theirs = (fitted(cls, (5,), TARGETS["binary"])
                    for cls in (MLPClassifier, sk.MLPClassifier))
    assert attributes(theirs) == (3, 1, "logistic")
    assert attributes(ours) == (3, 2, "softmax")


def forward(estimator, activation):
    """The outputs computed from coefs_ and intercepts_ with scikit-learn's activations
    (which work in place)."""
    a = X
    for i, (w, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_, strict=True)):
        a = a @ w + b
        last = i == estimator.n_layers_ - 2
        ACTIVATIONS[estimator.out_activation_ if last else activation](a)
    return a


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("kind", list(TARGETS) + list(REGRESSION))
def test_the_attributes_rebuild_the_outputs_from_coefs(kind, activation):
    if kind in TARGETS:
        clf = MLPClassifier((6, 3), activation=activation, max_iter=3, random_state=0)
        clf.fit(X, TARGETS[kind])
        np.testing.assert_allclose(forward(clf, activation), clf.predict_proba(X), rtol=1e-6)
    else:
        reg = MLPRegressor((6, 3), activation=activation, max_iter=3, random_state=0)
        reg.fit(X, REGRESSION[kind])
        outputs = forward(reg, activation)
        np.testing.assert_allclose(outputs.reshape(reg.predict(X).shape), reg.predict(X),
                                   rtol=1e-6)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_the_attributes_need_a_fitted_estimator(cls):
    estimator = cls((3,))
    for name in ("n_layers_", "n_outputs_", "out_activation_"):
        assert not hasattr(estimator, name)
        with pytest.raises(NotFittedError):
            getattr(estimator, name)
