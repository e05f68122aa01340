"""scikit-learn's gallery examples and typical uses of its MLPs, ported by swapping
``from sklearn.neural_network import MLPClassifier`` for retroprop's: each test asserts what
the example shows, next to scikit-learn's own estimator on the same data where it can.

Ported: "Compare Stochastic learning strategies for MLPClassifier", "Varying regularization
in Multi-layer Perceptron", "Visualization of MLP weights on MNIST" (on Fashion-MNIST), the
pipeline of "Restricted Boltzmann Machine features for digit classification", and the
typical uses (pipelines, searches, ``cross_val_score``, ``clone``, ``partial_fit`` loops,
early stopping, the fitted attributes, ``verbose``, feature names)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_circles,
    make_classification,
    make_moons,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import retroprop as rp
from retroprop.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DIGITS = load_digits(return_X_y=True)


def digits(n=None):
    X, y = DIGITS
    return X[:n] / 16, y[:n]


# ---------------------------------------------------------------- the same steps
def _one_epoch_from_the_same_weights(ours_cls, theirs_cls, X, y, **kwargs):
    """Fit both estimators one full-batch plain-SGD epoch from retroprop's initial weights;
    give them and those weights."""
    common = dict(hidden_layer_sizes=(7,), solver="sgd", momentum=0.0, batch_size=len(X),
                  shuffle=False, learning_rate_init=0.1, max_iter=1, warm_start=True,
                  random_state=0, alpha=0.01, **kwargs)
    ours, theirs = ours_cls(**common).fit(X, y), theirs_cls(**common).fit(X, y)
    start = ours.coefs_
    theirs.coefs_ = ours.coefs_
    theirs.intercepts_ = ours.intercepts_
    ours.fit(X, y)
    theirs.fit(X, y)
    return ours, theirs, start


X_SMALL, Y_SMALL = digits(300)
X_REG, Y_REG = make_regression(100, 4, n_targets=2, random_state=0)
X_ML, Y_ML = make_multilabel_classification(100, 5, n_classes=3, random_state=0)
SAME_STEPS = {
    "multiclass": (MLPClassifier, sk.MLPClassifier, X_SMALL, Y_SMALL),
    "one target": (MLPRegressor, sk.MLPRegressor, X_REG, Y_REG[:, 0] / 100),
    "multilabel": (MLPClassifier, sk.MLPClassifier, X_ML / 10, Y_ML),
    "poisson": (MLPRegressor, sk.MLPRegressor, X_REG / 100,
                np.random.default_rng(0).poisson(3.0, size=len(X_REG)).astype(float)),
}


@pytest.mark.parametrize("kind", SAME_STEPS)
def test_an_epoch_from_the_same_weights_is_scikit_learns(kind):
    """From the same weights, one epoch gives scikit-learn's loss (with its L2 penalty) and
    weights: the regressor's squared error is scikit-learn's ½ (y − t)² (it was PyTorch's
    (y − t)², twice the loss and the steps), the multilabel log loss sums over the labels
    (it took their mean), ``loss="poisson"`` is scikit-learn's half Poisson deviance
    with the log link (it was not offered)."""
    ours, theirs, _ = _one_epoch_from_the_same_weights(
        *SAME_STEPS[kind], **({"loss": "poisson"} if kind == "poisson" else {}))
    assert ours.loss_curve_[-1] == pytest.approx(theirs.loss_curve_[-1], rel=1e-10)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    X = SAME_STEPS[kind][2]
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10, atol=1e-12)
    assert ours.out_activation_ == theirs.out_activation_


def test_poisson_regression_predicts_positive_counts():
    """``MLPRegressor(loss="poisson")`` fits counts about as scikit-learn's (R² of its
    predictions e^z, which are positive), and refuses negative targets by name."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 1)).astype(float)
    scores = []
    for cls in (MLPRegressor, sk.MLPRegressor):
        reg = cls(hidden_layer_sizes=(16,), loss="poisson", max_iter=300,
                  learning_rate_init=0.01, random_state=0).fit(X, y)
        scores.append(reg.score(X, y))
    assert reg.out_activation_ == "exp" and np.all(reg.predict(X) > 0)
    assert scores[0] > scores[1] - 0.05 and scores[0] > 0.5
    with pytest.raises(ValueError, match=r"loss='poisson' needs counts y >= 0.*-1\.0"):
        MLPRegressor(loss="poisson", max_iter=1).fit(X, -np.ones(200))


def test_several_targets_take_scikit_learns_steps():
    """Two targets: the same steps as scikit-learn's, which minimizes ½ Σ_j (y_j − t_j)²
    averaged over the examples but reports it divided by the number of targets; the
    loss_curve_ here is the loss that the steps minimize (the porting guide says so)."""
    ours, theirs, start = _one_epoch_from_the_same_weights(MLPRegressor, sk.MLPRegressor,
                                                           X_REG, Y_REG / 100)
    for a, b in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    penalty = 0.5 * 0.01 * sum((w ** 2).sum() for w in start) / len(X_REG)
    assert ours.loss_ - penalty == pytest.approx(2 * (theirs.loss_ - penalty), rel=1e-10)


# ---------------------------------------------------- Compare stochastic learning strategies
#: The example's settings and the least training score on the digits (scikit-learn's MLP
#: reaches 0.956, 0.993, 0.994, 0.639, 0.909, 0.913 and 0.992 with random_state=0).
PARAMS = [
    ({"solver": "sgd", "learning_rate": "constant", "momentum": 0,
      "learning_rate_init": 0.2}, 0.9),
    ({"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
      "nesterovs_momentum": False, "learning_rate_init": 0.2}, 0.95),
    ({"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
      "nesterovs_momentum": True, "learning_rate_init": 0.2}, 0.95),
    ({"solver": "sgd", "learning_rate": "invscaling", "momentum": 0,
      "learning_rate_init": 0.2}, 0.55),
    ({"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
      "nesterovs_momentum": False, "learning_rate_init": 0.2}, 0.85),
    ({"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
      "nesterovs_momentum": True, "learning_rate_init": 0.2}, 0.85),
    ({"solver": "adam", "learning_rate_init": 0.01}, 0.95),
]


@pytest.mark.parametrize(("params", "least"), PARAMS)
def test_compare_stochastic_learning_strategies_on_digits(params, least, capsys):
    """The example's digits panel (15 epochs, MinMaxScaler) prints the score and
    ``"Training set loss: %f" % mlp.loss_`` and plots ``loss_curve_``: the constant rates
    with momentum and Adam fit the digits, plain "invscaling" lags behind, as
    scikit-learn's. ``loss_`` is the last epoch's loss, a float (it was the loss module, and
    the example's ``%f`` failed)."""
    X = MinMaxScaler().fit_transform(DIGITS[0])
    y = DIGITS[1]
    mlp = MLPClassifier(random_state=0, max_iter=15, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        mlp.fit(X, y)
    print("Training set score: %f" % mlp.score(X, y))  # noqa: UP031 (the example's)
    print("Training set loss: %f" % mlp.loss_)  # noqa: UP031
    assert re.fullmatch(r"Training set score: \d\.\d{6}\nTraining set loss: \d\.\d{6}\n",
                        capsys.readouterr().out)
    assert isinstance(mlp.loss_, float) and mlp.loss_ == mlp.loss_curve_[-1]
    assert len(mlp.loss_curve_) == mlp.n_iter_ == 15
    assert mlp.t_ == 15 * len(X)
    assert mlp.score(X, y) > least
    assert mlp.loss_curve_[-1] < mlp.loss_curve_[0]


# --------------------------------------------------- Varying regularization in the MLP
def _linearly_separable():
    X, y = make_classification(n_features=2, n_redundant=0, n_informative=2, random_state=0,
                               n_clusters_per_class=1)
    X += 2 * np.random.RandomState(2).uniform(size=X.shape)
    return X, y


REGULARIZATION_DATA = {"moons": lambda: make_moons(noise=0.3, random_state=0),
                       "circles": lambda: make_circles(noise=0.2, factor=0.5, random_state=1),
                       "linearly separable": _linearly_separable}


@pytest.mark.parametrize("alpha", [0.1, 10.0])
@pytest.mark.parametrize("data", REGULARIZATION_DATA)
def test_varying_regularization(data, alpha):
    """The example's pipeline: StandardScaler and ``MLPClassifier(solver="lbfgs",
    early_stopping=True, hidden_layer_sizes=[10, 10])``, its decision surface from
    ``predict_proba(...)[:, 1]``. "lbfgs" ignores ``early_stopping`` as scikit-learn's does
    (it held out a tenth of the 60 training points and stopped after 12 epochs): the test
    scores are scikit-learn's, or near."""
    X, y = REGULARIZATION_DATA[data]()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
    fitted = []
    for cls in (MLPClassifier, sk.MLPClassifier):
        clf = make_pipeline(StandardScaler(), cls(
            solver="lbfgs", alpha=alpha, random_state=1, max_iter=2000, early_stopping=True,
            hidden_layer_sizes=[10, 10]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # LBFGS's line search at a minimum
            fitted.append(clf.fit(X_train, y_train))
    ours, theirs = fitted
    assert ours[-1].validation_scores_ is None and ours[-1].best_validation_score_ is None
    xx, yy = np.meshgrid(np.linspace(-3, 3, 5), np.linspace(-3, 3, 5))
    Z = ours.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))[:, 1].reshape(xx.shape)
    assert Z.shape == (5, 5) and np.all((Z >= 0) & (Z <= 1))
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.1


# ------------------------------------------- Visualization of MLP weights (Fashion-MNIST)
def test_visualization_of_mlp_weights_on_fashion_mnist(capsys):
    """The example's MLP on 28×28 images (Fashion-MNIST here, 3000 of them, for
    ``fetch_openml("mnist_784")``): ``verbose=10`` prints scikit-learn's lines, each column
    of ``coefs_[0]`` is a 28×28 picture, and the training score is scikit-learn's or near."""
    (images, labels), _ = rp.datasets.load_fashion_mnist(download=False)
    X = images[:3000].reshape(3000, -1) / 255.0
    y = labels[:3000]
    printed, scores = [], []
    for cls in (MLPClassifier, sk.MLPClassifier):
        mlp = cls(hidden_layer_sizes=(40,), max_iter=8, alpha=1e-4, solver="sgd", verbose=10,
                  random_state=1, learning_rate_init=0.2)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            mlp.fit(X, y)
        printed.append(re.sub(r"\d", "0", capsys.readouterr().out))
        scores.append(mlp.score(X, y))
        vmin, vmax = mlp.coefs_[0].min(), mlp.coefs_[0].max()
        pictures = [coef.reshape(28, 28) for coef in mlp.coefs_[0].T]
        assert len(pictures) == 40 and vmin < 0 < vmax
    assert printed[0] == printed[1] == "Iteration 0, loss = 0.00000000\n" * 8
    assert scores[0] > scores[1] - 0.05 and scores[0] > 0.8


# ------------------------------------------ Restricted Boltzmann Machine features (pipeline)
def test_rbm_features_feed_the_mlp_in_a_pipeline():
    """The example's pipeline with retroprop's MLP after the RBM (in the place of its
    LogisticRegression): scaled digits → BernoulliRBM features → classifier, parameters
    set through the pipeline's ``step__name``; it scores about as scikit-learn's MLP in the
    same place (0.83 to 0.88 for random_state 0 to 3, scikit-learn's 0.86 to 0.89)."""
    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scores = []
    for cls in (MLPClassifier, sk.MLPClassifier):
        rbm = BernoulliRBM(random_state=0, verbose=False)
        model = Pipeline(steps=[("rbm", rbm), ("mlp", cls(random_state=0))])
        model.set_params(rbm__learning_rate=0.06, rbm__n_iter=10, rbm__n_components=64,
                         mlp__hidden_layer_sizes=(32,), mlp__learning_rate_init=0.01)
        scores.append(model.fit(X_train, y_train).score(X_test, y_test))
        assert model.named_steps["mlp"].coefs_[0].shape == (64, 32)
    assert scores[0] >= scores[1] - 0.06 and scores[0] > 0.8  # seeds vary by ±0.03


# ------------------------------------------------------------------------ typical uses
def test_searches_over_hidden_layer_sizes_alpha_and_learning_rate_init():
    """GridSearchCV and RandomizedSearchCV (``loguniform``) over the MLP's own parameters in
    a pipeline: the best parameters are among those tried and refit on all the data."""
    X, y = digits(400)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, learning_rate_init=0.01,
                                                         random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(16,), (32, 16)],
                               "mlpclassifier__alpha": [1e-4, 1e-1]}, cv=2)
    grid.fit(X, y)
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] in [(16,), (32, 16)]
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_score_ > 0.8
    search = RandomizedSearchCV(
        MLPClassifier(max_iter=30, random_state=0),
        {"learning_rate_init": loguniform(1e-3, 1e-1), "alpha": loguniform(1e-5, 1e-1)},
        n_iter=3, cv=2, random_state=0)
    search.fit(X, y)
    assert 1e-3 <= search.best_params_["learning_rate_init"] <= 1e-1
    assert search.best_estimator_.n_iter_ <= 30


def test_cross_val_score_clone_and_get_params_equal_scikit_learns():
    X, y = digits(300)
    ours = MLPClassifier((16,), max_iter=40, random_state=0)
    theirs = sk.MLPClassifier((16,), max_iter=40, random_state=0)
    scores = cross_val_score(ours, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > cross_val_score(theirs, X, y, cv=3).mean() - 0.1
    fitted = clone(ours).fit(X, y)
    copy = clone(fitted)
    assert not hasattr(copy, "model_") and copy.get_params() == ours.get_params()
    shared = {k: v for k, v in theirs.get_params().items()}
    assert {k: ours.get_params()[k] for k in shared} == shared


def test_partial_fit_loop_over_mini_batches():
    """``partial_fit`` over chunks, the classes given on the first call: one epoch per call,
    ``t_`` the examples seen, the loss falling."""
    X, y = digits(600)
    for cls in (MLPClassifier, sk.MLPClassifier):
        clf = cls((32,), learning_rate_init=0.01, random_state=0)
        for epoch in range(5):
            for start in range(0, 600, 200):
                clf.partial_fit(X[start:start + 200], y[start:start + 200],
                                classes=np.arange(10) if epoch == start == 0 else None)
        assert clf.t_ == 5 * 600 and len(clf.loss_curve_) == 15
        assert clf.loss_curve_[-1] < clf.loss_curve_[0] and clf.score(X, y) > 0.85
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
            cls(early_stopping=True).partial_fit(X, y, classes=np.arange(10))


def test_early_stopping_with_validation_fraction_and_fitted_attributes():
    """Each fitted attribute has scikit-learn's type and shape after a fit with early
    stopping (``validation_scores_`` one per epoch, ``best_loss_`` None, ``loss_`` the last
    epoch's), and after one without it."""
    X, y = digits(500)
    for early in (True, False):
        fits = [cls((20, 10), early_stopping=early, validation_fraction=0.2, max_iter=30,
                    random_state=0).fit(X, y) for cls in (MLPClassifier, sk.MLPClassifier)]
        for fit in fits:
            assert isinstance(fit.loss_, float) and fit.loss_ == fit.loss_curve_[-1]
            assert isinstance(fit.n_iter_, int) and isinstance(fit.t_, int)
            assert len(fit.loss_curve_) == fit.n_iter_
            if early:
                assert fit.best_loss_ is None and len(fit.validation_scores_) == fit.n_iter_
                assert fit.best_validation_score_ == max(fit.validation_scores_)
                assert fit.t_ == fit.n_iter_ * 400  # the training part only
            else:
                assert fit.validation_scores_ is None and fit.best_validation_score_ is None
                assert fit.best_loss_ == min(fit.loss_curve_)
        ours, theirs = fits
        assert [w.shape for w in ours.coefs_] == [w.shape for w in theirs.coefs_]
        assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
        assert (ours.n_layers_, ours.n_outputs_, ours.out_activation_) == \
            (theirs.n_layers_, theirs.n_outputs_, theirs.out_activation_)
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
        probabilities = ours.predict_proba(X)
        assert probabilities.shape == theirs.predict_proba(X).shape == (500, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)
        np.testing.assert_array_equal(ours.classes_[probabilities.argmax(1)], ours.predict(X))


def test_warm_start_continues_the_network():
    X, y = digits(300)
    clf = MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first = clf.coefs_[0].copy()
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 10 and clf.loss_curve_[5] < clf.loss_curve_[0]
    assert not np.array_equal(first, clf.coefs_[0])


@pytest.mark.parametrize("early", [False, True])
def test_verbose_prints_scikit_learns_lines(early, capsys):
    """The same lines as scikit-learn's (numbers aside), the stopping message too."""
    X, y = digits(300)
    printed = []
    for cls in (MLPClassifier, sk.MLPClassifier):
        cls((8,), verbose=True, early_stopping=early, tol=10.0, n_iter_no_change=2,
            max_iter=20, random_state=0).fit(X, y)
        printed.append(re.sub(r"\d+\.\d+|\d+", "N", capsys.readouterr().out))
    assert printed[0] == printed[1]
    assert printed[0].endswith("consecutive epochs. Stopping.\n")


def test_feature_names_and_set_output():
    """A DataFrame's column names become ``feature_names_in_``; an array at predict warns as
    scikit-learn's does; a pipeline with ``set_output(transform="pandas")`` feeds it."""
    X, y = digits(200)
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == list(frame.columns) and clf.n_features_in_ == 64
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(X)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame.rename(columns={"pixel0": "other"}))
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=5, random_state=0))
    pipe.set_output(transform="pandas").fit(frame, y)
    assert list(pipe[-1].feature_names_in_) == list(frame.columns)


def test_an_estimator_pickled_with_the_loss_module_in_loss_unpickles():
    """A version that kept the loss module in ``loss_`` (and took PyTorch's mean squared
    error for the regressor) pickled a fitted estimator: it unpickles with scikit-learn's
    ``loss_``, the last epoch's loss, and trains on with the loss it was fitted with."""
    from retroprop.nn import functional as F
    from retroprop.train.weighted_loss import _PerOutput

    X, y = X_REG, Y_REG[:, 0] / 100
    fitted = MLPRegressor((5,), max_iter=3, random_state=0, warm_start=True).fit(X, y)
    state = fitted.__getstate__()
    state["loss_"] = state.pop("_criterion")
    old_mean = _PerOutput.__new__(_PerOutput)
    old_mean.__dict__.update(loss=F.mse_loss)  # as that version pickled it: no half_sum
    state["loss_"].per_example = old_mean
    older = MLPRegressor.__new__(MLPRegressor)
    older.__setstate__(state)
    assert older.loss_ == fitted.loss_curve_[-1] and isinstance(older.loss_, float)
    outputs = rp.Tensor(np.array([[1.0], [3.0]]))
    assert older._criterion.per_example(outputs, np.zeros((2, 1))).tolist() == [1.0, 9.0]
    older.fit(X, y)
    assert older.n_iter_ == 6 and older.loss_ == older.loss_curve_[-1]


def test_poisson_predictions_follow_the_fitted_loss_not_a_later_set_params():
    """The log link belongs to the fitted network, as scikit-learn's ``out_activation_``:
    ``set_params(loss=...)`` without a new fit changes neither ``predict`` nor
    ``out_activation_`` (it changed both here, the network's log μ read as μ)."""
    X, y = SAME_STEPS["poisson"][2:]
    outcomes = []
    for cls in (MLPRegressor, sk.MLPRegressor):
        reg = cls(hidden_layer_sizes=(5,), loss="poisson", max_iter=5, random_state=0).fit(X, y)
        before = reg.predict(X)
        reg.set_params(loss="squared_error")
        outcomes.append((reg.out_activation_, np.array_equal(reg.predict(X), before)))
    assert outcomes[0] == outcomes[1] == ("exp", True)
