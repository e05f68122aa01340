"""MLPClassifier and MLPRegressor inside scikit-learn's tooling, warm starts, weights."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import retroprop as rp
from retroprop.optim import OPTIMIZERS
from retroprop.optim.registry import SAMPLERS
from retroprop.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_pipeline_in_grid_search_and_cross_val_score(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier(
        (32,), max_iter=15, learning_rate_init=0.01, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1.0],
                                 "mlpclassifier__hidden_layer_sizes": [(4,), (32,)]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] == (32,)
    assert search.best_score_ > 0.9
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9


@pytest.mark.parametrize("options", [
    dict(solver="adam"),
    dict(solver="sgd", momentum=0.9, dropout=0.2, batch_norm=True),
    dict(solver="rmsprop", l1=1e-3, max_norm=2.0, batch_size=50),
    dict(solver="lbfgs"),
])
def test_warm_start_k_fits_equal_one_fit_bit_for_bit(digits, options):
    X, y = digits[0][:300] / 16, digits[1][:300]
    common = dict(hidden_layer_sizes=(16,), random_state=3, learning_rate_init=0.01,
                  n_iter_no_change=100, **options)
    once = MLPClassifier(max_iter=4, **common).fit(X, y)
    stepwise = MLPClassifier(max_iter=1, warm_start=True, **common)
    for _ in range(4):
        stepwise.fit(X, y)
    assert stepwise.n_iter_ == once.n_iter_ == 4
    assert stepwise.loss_curve_ == once.loss_curve_
    for a, b in zip(stepwise.coefs_ + stepwise.intercepts_, once.coefs_ + once.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stepwise.predict_proba(X), once.predict_proba(X))


def test_without_warm_start_a_second_fit_starts_over(digits):
    X, y = digits[0][:300] / 16, digits[1][:300]
    clf = MLPClassifier((16,), max_iter=2, random_state=0)
    first = clf.fit(X, y).coefs_[0]
    again = clf.fit(X, y).coefs_[0]
    np.testing.assert_array_equal(first, again)
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(("name", "value"), [("hidden_layer_sizes", (8, 4)),
                                           ("activation", "tanh"), ("batch_norm", True),
                                           ("dropout", 0.2), ("loss", "log_loss")])
def test_warm_start_refuses_a_changed_architecture(digits, name, value):
    X, y = digits[0][:100] / 16, digits[1][:100]
    clf = MLPClassifier(16, max_iter=1, warm_start=True, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=[16]).fit(X, y)  # the same sizes, written otherwise
    clf.set_params(**{name: value})
    message = rf"{name} is {value!r} but the fitted network was built with {name}="
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="warm_start and partial_fit continue that network"):
        clf.partial_fit(X, y)
    assert clf.set_params(warm_start=False).fit(X, y).n_iter_ == 1  # a new network


def test_pickle_keeps_the_optimizer_state_and_the_random_stream(digits):
    X, y = digits[0][:300] / 16, digits[1][:300]
    clf = MLPClassifier((16,), solver="adam", max_iter=2, warm_start=True, dropout=0.1,
                        random_state=0).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    clf.fit(X, y)
    copy.fit(X, y)
    np.testing.assert_array_equal(copy.coefs_[0], clf.coefs_[0])


def test_clone_is_unfitted_and_rp_save_round_trips(digits, tmp_path):
    X, y = digits[0][:300] / 16, digits[1][:300]
    clf = MLPClassifier((16,), max_iter=3, random_state=0).fit(X, y)
    fresh = clone(clf)
    assert not hasattr(fresh, "model_") and fresh.get_params() == clf.get_params()
    rp.save(clf.model_, tmp_path / "clf.rpz")
    model = rp.load(tmp_path / "clf.rpz")
    with rp.no_grad():
        logits = model(rp.Tensor(X, dtype=model.dtype)).data
    np.testing.assert_array_equal(clf.classes_[logits.argmax(1)], clf.predict(X))


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(600, n_features=6, n_informative=4, weights=[0.9, 0.1],
                               class_sep=0.5, random_state=0)
    return StandardScaler().fit_transform(X), y


def _minority_recall(X, y, **options):
    clf = MLPClassifier((8,), max_iter=60, learning_rate_init=0.01, random_state=0, **options)
    return recall_score(y, clf.fit(X, y).predict(X))


def test_class_weight_and_sample_weight_favour_the_minority_class(imbalanced):
    X, y = imbalanced
    plain = _minority_recall(X, y)
    balanced = _minority_recall(X, y, class_weight="balanced")
    assert balanced > plain + 0.2
    clf = MLPClassifier((8,), max_iter=60, learning_rate_init=0.01, random_state=0)
    weighted = recall_score(y, clf.fit(X, y, sample_weight=np.where(y == 1, 9.0, 1.0)).predict(X))
    assert weighted > plain + 0.2


def test_zero_weight_class_is_never_predicted(imbalanced):
    X, y = imbalanced
    clf = MLPClassifier((8,), max_iter=30, learning_rate_init=0.01, random_state=0,
                        class_weight={0: 0.0, 1: 1.0}).fit(X, y)
    assert (clf.predict(X) == 1).all()


@pytest.mark.parametrize("solver", sorted(set(OPTIMIZERS) - SAMPLERS))
def test_every_optimizer_is_a_solver(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=80)
    reg = MLPRegressor((8,), solver=solver, max_iter=20, learning_rate_init=0.01,
                       activation="tanh", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        reg.fit(X, y)
    assert np.isfinite(reg.loss_curve_).all()
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_a_posterior_sampler_is_not_a_solver(estimator):
    """An estimator keeps one weight vector; SGLD's samples are for averaging."""
    assert SAMPLERS == {"sgld"}
    with pytest.raises(ValueError, match=r"'solver' parameter .* must be a str among .*"
                                         r"Got 'sgld' instead"):
        estimator((4,), solver="sgld", max_iter=2).fit(np.ones((6, 2)), [0, 1] * 3)


def test_custom_loss_module_and_callable():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = X[:, 0] - X[:, 1]
    for module, name in ((rp.nn.MSELoss(), "mse"),
                         (rp.nn.QuadraticLoss(reduction="mean"), "squared_error")):
        by_module = MLPRegressor((8,), loss=module, max_iter=30, random_state=0,
                                 learning_rate_init=0.01).fit(X, y)
        by_name = MLPRegressor((8,), loss=name, max_iter=30, random_state=0,
                               learning_rate_init=0.01).fit(X, y)
        np.testing.assert_allclose(by_module.loss_curve_, by_name.loss_curve_, rtol=1e-6)

    def absolute(outputs, target):
        return (outputs - target).abs().mean(axis=1) if hasattr(outputs, "abs") else \
            ((outputs - target) * (outputs - target)).mean(axis=1)

    assert MLPRegressor((8,), loss=absolute, max_iter=5, random_state=0).fit(X, y).n_iter_ == 5


def test_bad_input_messages():
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="'solver' parameter of MLPClassifier must be"):
        MLPClassifier(solver="magic").fit(X, y)
    with pytest.raises(ValueError, match="one loss per example"):
        MLPRegressor(loss=lambda out, t: ((out - t) * (out - t)).mean(), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="'loss' parameter must be one of"):
        MLPRegressor(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)


def test_early_stopping_records_validation_scores_and_keeps_the_best(digits):
    X, y = digits[0][:600] / 16, digits[1][:600]
    clf = MLPClassifier((16,), early_stopping=True, n_iter_no_change=3, max_iter=200,
                        learning_rate_init=0.01, random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None


@pytest.mark.parametrize(("n", "batch_size"), [(201, "auto"), (33, 16), (273, 16)])
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_batch_norm_trains_when_an_epoch_would_end_with_one_example(estimator, n, batch_size):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(int) if estimator is MLPClassifier else X[:, 0] - X[:, 1]
    model = estimator((8,), batch_norm=True, batch_size=batch_size, max_iter=3,
                      random_state=0).fit(X, y)
    assert model.n_iter_ == 3 and np.all(np.isfinite(model.loss_curve_))


@pytest.mark.parametrize("loss, solver", [("squared_error", "adam"),
                                          ("binary_cross_entropy", "adam"),
                                          ("squared_error", "levenberg_marquardt")])
def test_a_classifier_trains_on_squared_error_and_per_class_cross_entropy(loss, solver):
    """Class labels become one-hot targets for a loss that compares the outputs with a
    target of their shape (the lectures train classifiers on the squared error)."""
    X, y = load_digits(return_X_y=True)
    if solver == "levenberg_marquardt":  # full batch: a small problem
        X, y = X[:150], y[:150] % 3
    clf = MLPClassifier((8,) if solver != "adam" else (32,), loss=loss, solver=solver,
                        max_iter=30 if solver == "adam" else 5, learning_rate_init=0.01,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert clf.fit(X / 16, y).score(X / 16, y) > 0.9


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_a_regressor_fitted_with_each_named_loss_pickles(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    reg = MLPRegressor((4,), loss=loss, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, X.sum(axis=1))
    copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
