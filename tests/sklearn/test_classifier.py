"""MLPClassifier's targets and class weights (``retroprop/sklearn/classifier.py``)."""

import copy

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.sklearn import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def data():
    X = np.random.default_rng(0).normal(size=(60, 3))
    return X, (X[:, 0] > 0).astype(int)


def test_partial_fit_takes_multilabel_targets(data):
    X, y = data
    Y = np.c_[y, 1 - y, X[:, 1] > 0].astype(int)
    clf = MLPClassifier((4,), random_state=0).partial_fit(X, Y, classes=[0, 1, 2])
    clf.partial_fit(X, Y)
    assert clf.n_iter_ == 2 and clf.predict(X).shape == (60, 3)
    assert clf.predict_proba(X).shape == (60, 3)
    with pytest.raises(ValueError, match="y has 2 labels, expected 3"):
        clf.partial_fit(X, Y[:, :2])
    with pytest.raises(ValueError, match="y has 3 labels, expected 2"):
        MLPClassifier((4,)).partial_fit(X, Y, classes=[0, 1])


def test_partial_fit_refuses_balanced_class_weight(data):
    X, y = data
    clf = MLPClassifier((4,), class_weight="balanced")
    with pytest.raises(ValueError, match=r"class_weight='balanced' is not supported for "
                                         r"partial_fit.*compute_class_weight"):
        clf.partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("class_weight", [{0: -1.0}, {1: -0.5}, {0: np.nan}, {1: np.inf}])
def test_a_negative_or_not_finite_class_weight_is_refused(data, class_weight):
    X, y = data
    with pytest.raises(ValueError, match=r"class_weight: the weights must be finite and >= 0"):
        MLPClassifier((4,), max_iter=1, class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(weight=[1.0, 3.0]),
                                  nn.CrossEntropyLoss(label_smoothing=0.1, weight=[2.0, 0.5])],
                         ids=repr)
def test_a_loss_with_class_weights_keeps_its_weighted_mean(data, loss):
    """A loss module with class weights c averages as its own mean, Σ c_{t_i} ℓ_i / Σ c_{t_i}
    (as the estimator's class_weight does), not Σ c_{t_i} ℓ_i / n."""
    X, y = data
    settings = dict(alpha=0.0, max_iter=1, batch_size=len(X), shuffle=False, random_state=0)
    weighted = MLPClassifier((4,), loss=loss, **settings).fit(X, y)
    network = copy.deepcopy(weighted)
    network._initialize(X.shape[1], 2, X.dtype)  # the same draws: the network before its step
    outputs = network.model_(rp.tensor(X, dtype=X.dtype))
    assert weighted.loss_curve_[0] == pytest.approx(loss(outputs, y).item(), rel=1e-6)
