"""rp.cross_validate: one trained model per fold, stratified for classes."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

import retroprop as rp
from retroprop.data import KFold, StratifiedKFold
from retroprop.sklearn import MLPRegressor
from tests.tune.problems import build, digits


def test_folds_partition_the_rows_and_keep_class_shares():
    y = np.array([0] * 30 + [1] * 6 + [2] * 9)
    X = np.zeros((45, 1))
    seen = []
    for train, val in StratifiedKFold(3, shuffle=True, seed=0).split(X, y):
        assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == 45
        assert np.bincount(y[val]).tolist() == [10, 2, 3]
        seen.extend(val)
    assert sorted(seen) == list(range(45))
    plain = [np.bincount(y[v], minlength=3) for _, v in KFold(3).split(X)]
    assert plain[0].tolist() == [15, 0, 0]  # unshuffled k-fold does not stratify
    with pytest.raises(ValueError, match=r"y \(the class labels\) is required"):
        list(StratifiedKFold(3).split(X))


def test_cross_validate_scores_each_fold_of_the_digits():
    (X, y), _ = digits(900, 0)
    result = rp.cross_validate(lambda: build(32), X, y, cv=3, epochs=3, lr=0.1,
                               return_models=True)
    assert result.scores["accuracy"].shape == (3,)
    assert result.mean["accuracy"] == pytest.approx(np.mean(result.scores["accuracy"]))
    assert result.std["loss"] == pytest.approx(np.std(result.scores["loss"]))
    assert result.mean["accuracy"] > 0.85 and len(result.models) == 3
    assert not np.array_equal(result.models[0][0].weight.data, result.models[1][0].weight.data)
    assert "mean" in result.table()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cross_validate_regression_estimator_and_local_processes():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (150, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1]).astype(np.float32)
    regressor = MLPRegressor((8,), max_iter=5)
    serial = rp.cross_validate(regressor, X, y, cv=3, seed=2)
    assert list(serial.scores) == ["score"] and serial.scores["score"].shape == (3,)
    modules = rp.cross_validate(lambda: rp.models.mlp([2, 8, 1]), X, y, cv=3, epochs=2)
    parallel = rp.cross_validate(lambda: rp.models.mlp([2, 8, 1]), X, y, cv=3, epochs=2,
                                 n_jobs=2)
    np.testing.assert_array_equal(modules.scores["loss"], parallel.scores["loss"])


def test_cross_validate_bad_input():
    X, y = np.zeros((10, 2), np.float32), np.arange(10) % 2
    with pytest.raises(ValueError,
                       match=r"cv \(the number of folds\) must be an integer >= 2, got 1"):
        rp.cross_validate(build, X, y, cv=1)
    with pytest.raises(ValueError, match=r"unknown training options \['epoch'\]"):
        rp.cross_validate(build, X, y, cv=2, epoch=3)
    with pytest.raises(ValueError, match="X has 10 examples but y has 9"):
        rp.cross_validate(build, X, y[:9], cv=2)
    with pytest.raises(ValueError, match="n_jobs must be a positive integer"):
        rp.cross_validate(build, X, y, cv=2, n_jobs=0)
    with pytest.raises(TypeError, match=r"executor must be None .* got str"):
        rp.cross_validate(build, X, y, cv=2, executor="tcp://127.0.0.1:8786")
    # an unknown optimizer, or a sampler whose last weight vector is no fit (SGLD's samples
    # are averaged: rp.callbacks.PosteriorSamples), named before any fold trains
    with pytest.raises(ValueError, match="optimizer: unknown optimizer 'sdg'; known: "):
        rp.cross_validate(build, X, y, cv=2, optimizer="sdg")
    with pytest.raises(ValueError, match=r"optimizer: 'SGLD' draws weight vectors from the "
                       r"posterior.*PosteriorSamples"):
        rp.cross_validate(build, X, y, cv=2, optimizer="SGLD")
    # a network, not a function that builds one: named before any fold trains
    for search in (lambda model: rp.cross_validate(model, X, y, cv=2),
                   lambda model: rp.tune.search(model, {"lr": rp.tune.uniform(0.01, 0.1)}, X, y,
                                                n_trials=1)):
        with pytest.raises(TypeError, match=r"model must be a function returning a fresh "
                           r"Module \(lambda: rp.models.mlp\(\[...\]\)\), got a Linear"):
            search(rp.nn.Linear(2, 2))
    # string labels for a model function (an estimator encodes them): named, not MSELoss's
    # "needs numeric targets" from inside a fold
    words = np.array(["cat", "dog"])[y]
    for search in (lambda: rp.cross_validate(build, X, words, cv=2),
                   lambda: rp.tune.search(build, {"lr": rp.tune.uniform(0.01, 0.1)}, X, words,
                                          n_trials=1, cv=2)):
        with pytest.raises(ValueError, match=r"y holds labels of dtype <U3 \(such as 'cat'\), "
                                             r"and a model function trains on integer class "
                                             r"labels .* or use an rp.sklearn estimator"):
            search()


def test_full_batch_optimizers_get_the_whole_training_set():
    import warnings

    (X, y), _ = digits(300, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the Trainer warns when a full-batch method gets less
        result = rp.cross_validate(lambda: build(16), X, y, cv=2, optimizer="lbfgs", epochs=2)
    assert result.mean["accuracy"] > 0.5


class TrainingShares(ClassifierMixin, BaseEstimator):
    """A classifier whose score is 1 when it was fitted on 20, 4 and 6 examples of the three
    classes of ``LABELS`` (the shares of a stratified 3-fold), else 0."""

    def __init__(self, c=0):
        self.c = c

    def fit(self, X, y):
        self.classes_, self.counts_ = np.unique(y, return_counts=True)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return float(self.counts_.tolist() == [20, 4, 6])


LABELS = np.array([0] * 30 + [1] * 6 + [2] * 9)


@pytest.mark.parametrize("y", [np.array(["barbera", "barolo", "grignolino"])[LABELS],
                               LABELS.astype(np.float64)], ids=["strings", "floats"])
def test_a_classifier_is_cross_validated_and_tuned_on_stratified_folds(y):
    X = np.zeros((len(y), 1))
    assert rp.cross_validate(TrainingShares(), X, y, cv=3).scores["score"].tolist() == [1.0] * 3
    result = rp.tune(TrainingShares(), {"c": rp.tune.choice([0, 1])}, X, y, method="grid",
                     cv=3)
    assert [r["score"] for r in result.trials] == [1.0, 1.0]


class StandardizedInputs(TrainingShares):
    """A classifier whose score is 1 when its training inputs have mean 0 and standard
    deviation 1 in every column (standardized with their own statistics), else 0."""

    def fit(self, X, y):
        self.standardized_ = bool(np.allclose(X.mean(axis=0), 0, atol=1e-6)
                                  and np.allclose(X.std(axis=0), 1, atol=1e-6))
        return super().fit(X, y)

    def score(self, X, y, sample_weight=None):
        return float(self.standardized_)


def test_preprocess_is_fitted_on_the_training_rows_of_each_fold_and_trial():
    rng = np.random.default_rng(0)
    X, y = rng.normal(3.0, 2.0, (45, 2)), LABELS
    result = rp.cross_validate(StandardizedInputs(), X, y, cv=3,
                               preprocess=rp.data.StandardScaler())
    assert result.scores["score"].tolist() == [1.0] * 3
    X_val = X[:9] + 1.0
    for options, refit_rows in (({"cv": 3}, X),
                                ({"validation_data": (X_val, y[:9])}, np.vstack([X, X_val]))):
        tuned = rp.tune(StandardizedInputs(), {"c": rp.tune.choice([0])}, X, y,
                        method="grid", preprocess=rp.data.StandardScaler(), **options)
        assert tuned.best_score == 1.0 and tuned.best_model.standardized_
        np.testing.assert_allclose(tuned.preprocess.mean_, refit_rows.mean(axis=0))
    with pytest.raises(TypeError, match=r"preprocess must be None or a transformer with fit "
                                        r"and transform.*got str"):
        rp.cross_validate(StandardizedInputs(), X, y, cv=3, preprocess="standardize")
