"""scikit-learn's ``learning_rate`` schedules ("constant", "invscaling", "adaptive") with
``power_t``, Adam's ``beta_1``, ``beta_2``, ``epsilon`` and L-BFGS's ``max_fun``
(``retroprop/sklearn/stopping.py``), compared with scikit-learn's own MLP and optimizers."""

import pickle
import re
import warnings
from itertools import pairwise
from types import SimpleNamespace

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer
from sklearn.utils._param_validation import InvalidParameterError

import retroprop as rp
from retroprop.nn.functional import cross_entropy
from retroprop.optim.sgd import SGD
from retroprop.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

OURS = {"classifier": MLPClassifier, "regressor": MLPRegressor}
THEIRS = {"classifier": sk.MLPClassifier, "regressor": sk.MLPRegressor}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def _targets(kind, iris):
    X, y = iris
    return y if kind == "classifier" else X[:, 0] - X[:, 1]


def _partial_fit(model, kind, X, y):
    extra = {"classes": [0, 1, 2]} if kind == "classifier" else {}
    return model.partial_fit(X, y, **extra)


def _lr(model):
    return model.optimizer_.param_groups[0]["lr"]


# ---------------------------------------------------------------- the schedules against sklearn
@pytest.mark.parametrize("kind", OURS)
@pytest.mark.parametrize(("power_t", "batch_size"), [(0.5, "auto"), (0.25, 32), (1.0, 7)])
def test_invscaling_rate_after_each_partial_fit_equals_scikit_learns(iris, kind, power_t,
                                                                    batch_size):
    X, y = iris[0], _targets(kind, iris)
    common = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate="invscaling",
                  learning_rate_init=0.02, power_t=power_t, batch_size=batch_size,
                  shuffle=False, random_state=0)
    ours, theirs = OURS[kind](**common), THEIRS[kind](**common)
    for _ in range(5):
        _partial_fit(ours, kind, X, y)
        _partial_fit(theirs, kind, X, y)
        assert ours.t_ == theirs.t_
        assert _lr(ours) == pytest.approx(theirs._optimizer.learning_rate, rel=1e-14)
    assert _lr(ours) < 0.02 * (4 * len(X)) ** -power_t  # it did decrease


def _record(monkeypatch, cls, method, value):
    """Wrap ``cls.method`` so that each call first records ``value(self)`` (the rate of
    the step it is about to take)."""
    values = []
    original = getattr(cls, method)

    def recording(self, *args, **kwargs):
        values.append(value(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, recording)
    return values


@pytest.mark.parametrize(("schedule", "early_stopping", "extra"), [
    ("invscaling", False, {}),
    ("invscaling", False, {"class_weight": "balanced", "dropout": 0.2}),
    ("adaptive", False, {}),
    ("adaptive", True, {}),
    ("adaptive", True, {"class_weight": {0: 2.0}}),
    ("constant", False, {}),
])
def test_the_rate_of_every_step_of_a_fit_equals_scikit_learns(iris, monkeypatch, schedule,
                                                              early_stopping, extra):
    """With tol=2 neither the loss nor the accuracy can improve enough after the first
    epoch, so "adaptive" divides the rate every n_iter_no_change + 1 epochs and stops once
    it is at most 1e-6, whatever the weights: the same epochs in both. The other schedules
    run all 30 epochs."""
    X, y = iris
    common = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate=schedule,
                  learning_rate_init=0.1, batch_size=40, shuffle=False, random_state=0,
                  tol=2.0, n_iter_no_change=1 if schedule == "adaptive" else 30,
                  max_iter=30, early_stopping=early_stopping)
    ours = _record(monkeypatch, SGD, "step", lambda opt: opt.param_groups[0]["lr"])
    theirs = _record(monkeypatch, SGDOptimizer, "update_params",
                           lambda opt: opt.learning_rate)
    model = MLPClassifier(**common, **extra).fit(X, y)
    reference = sk.MLPClassifier(**common).fit(X, y)
    assert model.n_iter_ == reference.n_iter_ and model.t_ == reference.t_
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)
    assert len(set(ours)) == {"constant": 1, "invscaling": 30, "adaptive": 9}[schedule]


def _scikit_learns_adaptive_rates(losses, learning_rate_init, tol, n_iter_no_change):
    """The rate after each epoch that scikit-learn's MLP (its own no-improvement count and
    SGDOptimizer) would set for this training-loss curve."""
    fake = SimpleNamespace(loss_curve_=[], best_loss_=np.inf, tol=tol,
                           _no_improvement_count=0)
    optimizer = SGDOptimizer([np.zeros(1)], learning_rate_init, "adaptive")
    rates = []
    for loss in losses:
        fake.loss_curve_.append(loss)
        sk.MLPClassifier._update_no_improvement_count(fake, False, None, None, None)
        if fake._no_improvement_count > n_iter_no_change and \
                not optimizer.trigger_stopping("", False):
            fake._no_improvement_count = 0
        rates.append(optimizer.learning_rate)
    return rates


@pytest.mark.parametrize("kind", OURS)
@pytest.mark.parametrize(("tol", "n_iter_no_change"), [(0.02, 1), (0.005, 2)])
def test_adaptive_divides_at_the_epochs_scikit_learn_would_on_this_loss_curve(
        iris, kind, tol, n_iter_no_change):
    X, y = iris[0], _targets(kind, iris)
    model = OURS[kind]((8,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.05,
                       tol=tol, n_iter_no_change=n_iter_no_change, batch_size=30,
                       random_state=0)
    rates = [_lr(_partial_fit(model, kind, X, y)) for _ in range(25)]
    expected = _scikit_learns_adaptive_rates(model.loss_curve_, 0.05, tol, n_iter_no_change)
    assert rates == pytest.approx(expected, rel=1e-14)
    losses = model.loss_curve_
    assert rates[-1] < 0.05 and any(b <= a - tol for a, b in pairwise(losses))


def test_adaptive_fit_with_a_real_loss_curve_stops_only_when_the_rate_is_tiny(iris):
    X, y = iris
    model = MLPClassifier((8,), solver="sgd", learning_rate="adaptive", tol=0.05,
                          n_iter_no_change=1, learning_rate_init=0.05, max_iter=500,
                          random_state=0).fit(X, y)
    expected = _scikit_learns_adaptive_rates(model.loss_curve_, 0.05, 0.05, 1)
    assert _lr(model) == pytest.approx(expected[-1], rel=1e-14)
    assert _lr(model) <= 1e-6 and model.n_iter_ < 500


@pytest.mark.parametrize("solver", ["adam", "rmsprop", "lbfgs"])
@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_other_solvers_ignore_the_schedule_as_scikit_learns_do(iris, solver, schedule):
    X, y = iris
    common = dict(hidden_layer_sizes=(8,), solver=solver, learning_rate_init=0.01,
                  max_iter=8, tol=2.0, n_iter_no_change=1, random_state=0)
    scheduled = MLPClassifier(learning_rate=schedule, **common).fit(X, y)
    constant = MLPClassifier(**common).fit(X, y)
    assert scheduled.loss_curve_ == constant.loss_curve_
    assert _lr(scheduled) == _lr(constant)


# ---------------------------------------------------------------- continued fits, copies
@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_warm_start_k_fits_continue_the_schedule_as_one_fit(iris, schedule):
    X, y = iris
    common = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate=schedule,
                  learning_rate_init=0.1, tol=2.0, random_state=0,
                  n_iter_no_change=1 if schedule == "adaptive" else 10)
    once = MLPClassifier(max_iter=6, **common).fit(X, y)
    stepwise = MLPClassifier(max_iter=1, warm_start=True, **common)
    rates = [_lr(stepwise.fit(X, y)) for _ in range(6)]
    assert _lr(once) == rates[-1] < rates[0]
    assert stepwise.loss_curve_ == once.loss_curve_
    np.testing.assert_array_equal(stepwise.coefs_[0], once.coefs_[0])


def test_a_changed_schedule_restarts_at_learning_rate_init(iris):
    X, y = iris
    model = MLPClassifier((8,), solver="sgd", learning_rate="adaptive", tol=2.0,
                          n_iter_no_change=1, learning_rate_init=0.1, max_iter=5,
                          warm_start=True, random_state=0).fit(X, y)
    assert _lr(model) == pytest.approx(0.1 / 25)
    model.set_params(learning_rate="constant", max_iter=2).fit(X, y)
    assert _lr(model) == 0.1
    model.set_params(learning_rate="invscaling", power_t=0.5).fit(X, y)
    assert _lr(model) == pytest.approx(0.1 / (model.t_ + 1) ** 0.5)


def test_pickled_and_cloned_estimators_keep_the_schedule(iris, tmp_path):
    X, y = iris
    model = MLPClassifier((8,), solver="sgd", learning_rate="adaptive", tol=2.0,
                          n_iter_no_change=1, learning_rate_init=0.1, random_state=0)
    for _ in range(3):
        model.partial_fit(X, y, classes=[0, 1, 2])
    copy = pickle.loads(pickle.dumps(model))
    assert _lr(copy) == _lr(model) == pytest.approx(0.02)
    for fitted in (model, copy):
        for _ in range(2):
            fitted.partial_fit(X, y)
    assert _lr(copy) == _lr(model) == pytest.approx(0.004)
    np.testing.assert_array_equal(copy.coefs_[0], model.coefs_[0])
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "model_")
    rp.save(model.model_, tmp_path / "net.rpz")
    with rp.no_grad():
        logits = rp.load(tmp_path / "net.rpz")(rp.Tensor(X, dtype=model.model_.dtype)).data
    np.testing.assert_array_equal(model.classes_[logits.argmax(1)], model.predict(X))


def test_grid_search_over_the_schedule_and_the_betas_in_parallel(iris):
    X, y = iris
    search = GridSearchCV(
        MLPClassifier((8,), learning_rate_init=0.05, max_iter=20, random_state=0),
        {"solver": ["sgd", "adam"], "learning_rate": ["constant", "adaptive"],
         "beta_1": [0.5, 0.9]}, cv=2, n_jobs=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.beta_1 in (0.5, 0.9)
    assert search.best_score_ > 0.7


@pytest.mark.parametrize("options", [
    dict(solver="sgd", learning_rate="adaptive", n_iter_no_change=1, class_weight="balanced"),
    dict(solver="sgd", learning_rate="invscaling", power_t=0.3, early_stopping=True),
    dict(solver="adam", beta_1=0.5, beta_2=0.9, epsilon=1e-6),
    dict(solver="lbfgs", max_fun=30),
])
def test_rp_cross_validate_gives_the_same_scores_on_worker_processes(iris, options):
    X, y = iris
    model = MLPClassifier((8,), learning_rate_init=0.05, max_iter=15, **options)
    serial = rp.cross_validate(model, X, y, cv=2, return_models=True)
    parallel = rp.cross_validate(model, X, y, cv=2, n_jobs=2, return_models=True)
    np.testing.assert_array_equal(serial.scores["score"], parallel.scores["score"])
    for ours, theirs in zip(serial.models, parallel.models, strict=True):
        assert _lr(ours) == _lr(theirs) and ours.n_iter_ == theirs.n_iter_


# ---------------------------------------------------------------- Adam's beta_1, beta_2, epsilon
@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_betas_and_epsilon_reach_the_adam_solvers(iris, solver):
    X, y = iris
    model = MLPClassifier((4,), solver=solver, beta_1=0.5, beta_2=0.99, epsilon=1e-4,
                          max_iter=1, warm_start=True, random_state=0).fit(X, y)
    group = model.optimizer_.param_groups[0]
    assert tuple(group["betas"]) == (0.5, 0.99) and group["eps"] == 1e-4
    optimizer = model.optimizer_
    model.set_params(beta_1=0.8, epsilon=1e-6).fit(X, y)  # a warm start sets them, keeps state
    assert model.optimizer_ is optimizer and optimizer.state
    assert tuple(group["betas"]) == (0.8, 0.99) and group["eps"] == 1e-6


def test_other_solvers_ignore_the_betas(iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(4,), solver="rmsprop", max_iter=3, random_state=0)
    changed = MLPClassifier(beta_1=0.1, beta_2=0.2, epsilon=0.5, **common).fit(X, y)
    assert changed.loss_curve_ == MLPClassifier(**common).fit(X, y).loss_curve_


def test_scikit_learns_epsilon_is_ours_divided_by_the_root_of_the_bias_correction():
    """What the epsilon docstring says: scikit-learn adds ε to √v before the bias
    correction, which is retroprop's (PyTorch's) Adam with ε / √(1 − β2ᵗ) at step t."""
    rng = np.random.default_rng(0)
    beta_1, beta_2, epsilon = 0.8, 0.95, 1e-2  # a large ε, for a visible difference
    start = rng.normal(size=5)
    param = rp.nn.Parameter(start.copy())
    ours = rp.optim.Adam([param], lr=0.1, betas=(beta_1, beta_2), eps=epsilon)
    plain = rp.nn.Parameter(start.copy())
    unchanged = rp.optim.Adam([plain], lr=0.1, betas=(beta_1, beta_2), eps=epsilon)
    theirs = [start.copy()]
    reference = AdamOptimizer(theirs, 0.1, beta_1, beta_2, epsilon)
    for t in range(1, 6):
        grad = rng.normal(size=5) * 1e-2
        param.grad, plain.grad = grad.copy(), grad.copy()
        ours.param_groups[0]["eps"] = epsilon / np.sqrt(1 - beta_2 ** t)
        ours.step()
        unchanged.step()
        reference.update_params(theirs, [grad])
        np.testing.assert_allclose(param.data, theirs[0], rtol=1e-12, atol=1e-15)
    assert not np.allclose(plain.data, theirs[0], rtol=1e-6, atol=0)


# ---------------------------------------------------------------- max_fun
def _counting_loss(calls):
    def loss(outputs, target):
        calls.append(1)
        return cross_entropy(outputs, target.ravel(), reduction="none")
    return loss


@pytest.mark.filterwarnings("ignore:LBFGS. the line search could not decrease")
@pytest.mark.parametrize("max_fun", [2, 5, 12, 40])
def test_max_fun_bounds_the_loss_evaluations_of_lbfgs(iris, max_fun):
    X, y = iris
    calls = []
    model = MLPClassifier((8,), solver="lbfgs", max_fun=max_fun, max_iter=100, tol=0.0,
                          random_state=0, loss=_counting_loss(calls))
    with pytest.warns(ConvergenceWarning, match=f"max_fun={max_fun}"):
        model.fit(X, y)
    assert max_fun - 1 <= len(calls) <= max_fun
    assert model.optimizer_.state[model.optimizer_.params[0]]["func_evals"] == len(calls)
    assert model.optimizer_.param_groups[0]["max_eval"] == 25  # its own, given back
    calls.clear()
    with pytest.warns(ConvergenceWarning, match=f"max_fun={max_fun}"):
        model.set_params(warm_start=True).fit(X, y)  # a fit of its own
    assert max_fun - 1 <= len(calls) <= max_fun


def test_the_max_fun_warning_counts_the_epochs_of_its_own_fit(iris):
    """max_fun bounds each fit: the warning of a warm fit counts that fit's epochs, not
    the n_iter_ of all fits."""
    X, y = iris
    model = MLPClassifier((8,), solver="lbfgs", max_fun=2, random_state=0, warm_start=True)
    for _ in range(2):
        with pytest.warns(ConvergenceWarning, match=r"\(max_fun=2\) was reached after 1 "
                                                    r"epoch\(s\) and"):
            model.fit(X, y)
    assert model.n_iter_ == 2


def test_lbfgs_counts_the_evaluations_of_a_line_search_that_fails(iris):
    """Near a minimum the line search cannot decrease the loss and the step stops; its
    evaluations count all the same in ``func_evals`` (max_fun relies on it)."""
    X, y = iris
    calls = []
    model = MLPClassifier((8,), solver="lbfgs", max_iter=25, tol=0.0, random_state=0,
                          loss=_counting_loss(calls))
    with pytest.warns(RuntimeWarning, match="line search could not decrease"):
        model.fit(X, y)
    assert model.optimizer_.state[model.optimizer_.params[0]]["func_evals"] == len(calls)


def test_max_fun_of_one_evaluates_twice_as_scikit_learns_lbfgs(iris, monkeypatch):
    X, y = iris
    calls = []
    theirs = _record(monkeypatch, sk.MLPClassifier, "_loss_grad_lbfgs", lambda est: 1)
    MLPClassifier((8,), solver="lbfgs", max_fun=1, random_state=0,
                  loss=_counting_loss(calls)).fit(X, y)
    sk.MLPClassifier((8,), solver="lbfgs", max_fun=1, random_state=0).fit(X, y)
    assert len(calls) == len(theirs) == 2


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_an_ample_max_fun_gives_no_warning(iris, solver):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPClassifier((8,), solver=solver, max_fun=1000, max_iter=300, tol=1e-2,
                      learning_rate_init=0.05, random_state=0).fit(X, y)


def test_other_solvers_ignore_max_fun(iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(4,), solver="cg", max_iter=3, random_state=0)
    assert MLPClassifier(max_fun=2, **common).fit(X, y).loss_curve_ == \
        MLPClassifier(**common).fit(X, y).loss_curve_


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kind", OURS)
@pytest.mark.parametrize(("name", "value"), [
    ("learning_rate", "linear"), ("learning_rate", None), ("power_t", -0.5),
    ("beta_1", 1.0), ("beta_2", -0.1), ("beta_2", "0.9"), ("epsilon", 0.0),
    ("max_fun", 0), ("max_fun", 1.5),
])
def test_bad_values_get_scikit_learns_message_naming_the_parameter(iris, kind, name, value):
    X, y = iris[0], _targets(kind, iris)
    with pytest.raises(InvalidParameterError) as theirs:
        THEIRS[kind](**{name: value}).fit(X, y)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter") as ours:
        OURS[kind](**{name: value}).fit(X, y)
    assert _sorted_sets(str(ours.value)) == _sorted_sets(str(theirs.value))


def _sorted_sets(message):
    """The message with the options of each "{...}" sorted: two equal sets of strings may
    list them in different orders (string hashes vary with PYTHONHASHSEED)."""
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m[1].split(", "))) + "}",
                  message)


@pytest.mark.parametrize("kind", OURS)
def test_the_new_parameters_have_scikit_learns_defaults(kind):
    names = ("learning_rate", "power_t", "beta_1", "beta_2", "epsilon", "max_fun")
    ours, theirs = OURS[kind]().get_params(), THEIRS[kind]().get_params()
    assert {name: ours[name] for name in names} == {name: theirs[name] for name in names}


NEW_PARAMETERS = ("learning_rate", "power_t", "beta_1", "beta_2", "epsilon", "max_fun")


def test_an_estimator_pickled_before_the_new_parameters_existed_takes_their_defaults(iris):
    """A fitted estimator pickled by a version without these parameters (their attributes
    absent from its pickled state) shows its repr and trains on, as that version did."""
    X, y = iris
    fitted = MLPClassifier((5,), max_iter=3, random_state=0, warm_start=True).fit(X, y)
    reference = pickle.loads(pickle.dumps(fitted))
    state = fitted.__getstate__()
    for name in NEW_PARAMETERS:
        del state[name]
    older = MLPClassifier.__new__(MLPClassifier)
    older.__setstate__(state)
    assert repr(older) == repr(reference)
    older.fit(X, y)
    reference.fit(X, y)
    for ours, theirs in zip(older.coefs_, reference.coefs_, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_estimators_warnings_point_at_the_users_line(iris, kind):
    """The clipped batch size, max_iter and max_fun warnings name the line that called
    fit or partial_fit, as retroprop's warnings do."""
    X, y = iris[0], _targets(kind, iris)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        OURS[kind]((3,), solver="sgd", max_iter=2, batch_size=500).fit(X, y)
        OURS[kind]((3,), solver="lbfgs", max_fun=3).fit(X, y)
        OURS[kind]((3,), solver="sgd", batch_size=500).partial_fit(
            X, y, **({"classes": [0, 1, 2]} if kind == "classifier" else {}))
    assert len(caught) == 4
    assert {warning.filename for warning in caught} == {__file__}


@pytest.mark.parametrize("settings", [
    {"learning_rate": "adaptive"}, {"learning_rate": "adaptive", "early_stopping": True},
    {"learning_rate": "constant"}, {"learning_rate": "constant", "early_stopping": True}])
def test_verbose_prints_scikit_learns_lines(iris, capsys, settings):
    """With verbose=True the estimators print scikit-learn's lines: the loss of each epoch,
    the validation score, and why the rate is divided or the fit stops (a tol no epoch
    meets makes the sequence the same whatever the losses)."""
    X, y = iris
    printed = []
    for estimator in (MLPClassifier, sk.MLPClassifier):
        estimator((4,), solver="sgd", learning_rate_init=1e-4, tol=1e10, n_iter_no_change=2,
                  max_iter=50, verbose=True, random_state=0, **settings).fit(X, y)
        printed.append(re.sub(r"(loss = |Validation score: )[-0-9.]+", r"\1#",
                              capsys.readouterr().out))
    assert printed[0] == printed[1]
    assert "did not improve more than tol=10000000000.000000 for 2 consecutive" in printed[0]
