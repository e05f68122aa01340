"""What MLPClassifier and MLPRegressor share (``retroprop/sklearn/base.py``): continued
fits, early stopping and parameter validation, on both estimators."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from retroprop.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [MLPClassifier, MLPRegressor]


def _data(estimator, n=60):
    X = np.random.default_rng(0).normal(size=(n, 3))
    y = (X[:, 0] > 0).astype(int) if estimator is MLPClassifier else X[:, 0] - X[:, 1]
    return X, y


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_partial_fit_refuses_early_stopping_as_scikit_learn_does(estimator):
    X, y = _data(estimator)
    model = estimator((4,), max_iter=3, early_stopping=True, random_state=0).fit(X, y)
    extra = {"classes": [0, 1]} if estimator is MLPClassifier else {}
    for fitted in (model, estimator((4,), early_stopping=True)):
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
            fitted.partial_fit(X, y, **extra)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("early_first", [True, False])
def test_warm_start_may_switch_early_stopping(estimator, early_first):
    X, y = _data(estimator)
    model = estimator((4,), max_iter=3, early_stopping=early_first, warm_start=True,
                      random_state=0).fit(X, y)
    model.set_params(early_stopping=not early_first).fit(X, y)
    assert model.n_iter_ == 6 and np.isfinite(model.loss_curve_).all()
    if early_first:  # the second fit follows the training loss
        assert model.best_loss_ == min(model.loss_curve_[3:])
    else:
        assert len(model.validation_scores_) == 3


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_early_stopping_refuses_a_validation_set_of_one_example(estimator):
    """As scikit-learn: R² of one example is NaN, so the scores never improved and the
    fit ran on silently (a multilabel target is split without stratification)."""
    X, y = _data(estimator, n=10)
    if estimator is MLPClassifier:
        y = np.c_[y, 1 - y]
    model = estimator((4,), max_iter=5, early_stopping=True, validation_fraction=0.1)
    with pytest.raises(ValueError, match=r"validation set is too small \(1 example of 10\); "
                                         r"increase validation_fraction \(now 0.1\)"):
        model.fit(X, y)
    assert model.set_params(validation_fraction=0.2).fit(X, y).n_iter_ >= 1


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_early_stopping_on_a_data_frame_does_not_warn_about_feature_names(estimator):
    X, y = _data(estimator)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = estimator((4,), max_iter=3, early_stopping=True, random_state=0).fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    assert len(model.validation_scores_) == 3


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("continued", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(("before", "after"), [
    (dict(solver="adam", learning_rate_init=0.01), dict(learning_rate_init=1e-12)),
    (dict(solver="sgd", learning_rate_init=0.01), dict(learning_rate_init=1e-12)),
    (dict(solver="sgd", momentum=0.9), dict(momentum=0.0, learning_rate_init=1e-12)),
    (dict(solver="adam", learning_rate_init=0.01), dict(solver="sgd", learning_rate_init=1e-12)),
])
def test_a_continued_fit_uses_the_changed_solver_settings(estimator, continued, before,
                                                         after):
    """learning_rate_init (and the other solver settings) changed between continued fits
    take effect: at a rate of 1e-12 the weights stay (they were silently kept before)."""
    X, y = _data(estimator)
    extra = {"classes": [0, 1]} if estimator is MLPClassifier else {}
    model = estimator((4,), max_iter=1, warm_start=True, random_state=0, **before)
    model.partial_fit(X, y, **extra) if continued == "partial_fit" else model.fit(X, y)
    weights = model.coefs_ + model.intercepts_
    model.set_params(**after)
    model.partial_fit(X, y) if continued == "partial_fit" else model.fit(X, y)
    assert type(model.optimizer_).__name__.lower() == model.solver
    group = model.optimizer_.param_groups[0]
    assert group["lr"] == model.learning_rate_init
    assert group.get("momentum", model.momentum) == model.momentum
    for a, b in zip(weights, model.coefs_ + model.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_an_unchanged_continued_fit_keeps_the_optimizer_and_its_state():
    X, y = _data(MLPClassifier)
    model = MLPClassifier((4,), max_iter=1, warm_start=True, random_state=0).fit(X, y)
    optimizer, state = model.optimizer_, dict(model.optimizer_.state)
    model.set_params(max_iter=2).fit(X, y)
    assert model.optimizer_ is optimizer and set(state) == set(optimizer.state)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_an_unknown_init_is_refused_naming_the_parameter(estimator):
    X, y = _data(estimator)
    with pytest.raises(ValueError, match=r"'init' parameter of .* must be .* Got 'bogus'"):
        estimator((4,), max_iter=1).set_params(init="bogus").fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_refused_continued_fit_leaves_the_optimizer_as_it_was(estimator):
    """The changed solver settings are applied after X and y are checked: a fit refused for
    its data does not change the rate of the fitted estimator's optimizer."""
    X, y = _data(estimator)
    model = estimator((4,), solver="sgd", max_iter=1, warm_start=True, random_state=0).fit(X, y)
    optimizer = model.optimizer_
    model.set_params(learning_rate_init=0.5, solver="adam")
    with pytest.raises(ValueError, match="X has 2 features"):
        model.fit(X[:, :2], y)
    assert model.optimizer_ is optimizer and optimizer.param_groups[0]["lr"] == 0.001
