"""sample_weight and class_weight through rp.cross_validate and rp.tune.search: each fold
trains with its training rows' weights, as a hand loop over the same folds calling
Trainer.fit with them does, bit for bit."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.class_weight import compute_class_weight

import retroprop as rp
from retroprop.model_selection import folds
from retroprop.parallel.seeding import task_seed, using_generator
from retroprop.sklearn import MLPClassifier, MLPRegressor
from retroprop.train.weighted_loss import balanced
from tests.tune.problems import build, digits


@pytest.fixture(scope="module")
def data():
    (X, y), (X_val, y_val) = digits(240, 90)
    weights = np.random.default_rng(0).integers(0, 4, len(y)).astype(np.float64)
    return X, y, weights, X_val, y_val


def _hand_module(X, y, train, seed, weights, lr=0.05, epochs=2, hidden=8):
    """One fold as cross_validate trains it, by hand: Trainer.fit with the fold's weights."""
    with using_generator(np.random.default_rng(seed)):
        model = build(hidden)
        trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                             rp.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
        trainer.fit(X[train], y[train], epochs=epochs, batch_size=32, verbose=0,
                    sample_weight=weights)
    return trainer


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_each_fold_trains_as_trainer_fit_with_its_training_rows_weights(data, class_weight):
    X, y, w, _, _ = data
    result = rp.cross_validate(lambda: build(8), X, y, cv=3, seed=4, epochs=2, sample_weight=w,
                               class_weight=class_weight, return_models=True)
    scored = rp.cross_validate(lambda: build(8), X, y, cv=3, seed=4, epochs=2, sample_weight=w,
                               class_weight=class_weight, weighted_score=True)
    for fold, (train, test) in enumerate(folds(X, y, 3, None, 4, build)):
        fold_weights = w[train]
        if class_weight == "balanced":  # scikit-learn's, over the fold's training rows
            classes = np.unique(y[train])
            per_class = compute_class_weight("balanced", classes=classes, y=y[train])
            fold_weights = fold_weights * per_class[np.searchsorted(classes, y[train])]
        trainer = _hand_module(X, y, train, task_seed(4, fold), fold_weights)
        for mine, theirs in zip(result.models[fold].parameters(), trainer.model.parameters(),
                                strict=True):
            np.testing.assert_array_equal(mine.data, theirs.data)
        assert result.scores["loss"][fold] == trainer.evaluate(X[test], y[test])["loss"]
        weighted = trainer.evaluate(X[test], y[test], sample_weight=w[test])
        assert scored.scores["loss"][fold] == weighted["loss"]
        assert scored.scores["accuracy"][fold] == result.scores["accuracy"][fold]
    assert not np.array_equal(result.scores["loss"], scored.scores["loss"])


def test_weights_of_one_and_class_weight_match_the_unweighted_and_sample_weight(data):
    X, y, _, _, _ = data
    plain = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=2)
    ones = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=2,
                             sample_weight=np.ones(len(y)), class_weight={3: 1.0})
    for name in plain.scores:
        np.testing.assert_array_equal(plain.scores[name], ones.scores[name])
    table = {0: 3.0, 4: 0.5, 7: 0.0}
    by_class = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=2, class_weight=table)
    by_row = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=2,
                               sample_weight=[table.get(label, 1.0) for label in y])
    for name in plain.scores:
        np.testing.assert_array_equal(by_class.scores[name], by_row.scores[name])
    assert not np.array_equal(by_class.scores["loss"], plain.scores["loss"])


def test_integer_weights_equal_repeated_rows_for_a_full_batch_fold():
    """Two folds of a full-batch, deterministic training: weight 2 = the row twice."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    w = rng.integers(0, 3, 40).astype(np.float64)
    weighted = rp.cross_validate(lambda: rp.models.mlp([3, 4, 2]), X, y, cv=2, epochs=5,
                                 batch_size=None, momentum=0.0, sample_weight=w,
                                 return_models=True)
    for fold, (train, _) in enumerate(folds(X, y, 2, None, 0, build)):
        rows = np.repeat(train, w[train].astype(int))
        with using_generator(np.random.default_rng(task_seed(0, fold))):
            model = rp.models.mlp([3, 4, 2])
            trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                                 rp.optim.SGD(model.parameters(), lr=0.05))
            trainer.fit(X[rows], y[rows], epochs=5, batch_size=None, verbose=0)
        for mine, theirs in zip(weighted.models[fold].parameters(), model.parameters(),
                                strict=True):
            np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-5, atol=1e-6)


def test_an_estimator_gets_sample_weight_in_fit_and_class_weight_as_its_parameter(data):
    X, y, w, _, _ = data
    estimator = MLPClassifier((8,), max_iter=3)
    result = rp.cross_validate(estimator, X, y, cv=2, seed=1, sample_weight=w,
                               class_weight="balanced", return_models=True)
    for fold, (train, test) in enumerate(folds(X, y, 2, None, 1, estimator)):
        seed = task_seed(1, fold)
        with using_generator(np.random.default_rng(seed)):
            hand = clone(estimator).set_params(class_weight="balanced",
                                               random_state=seed % 2**31)
            hand.fit(X[train], y[train], sample_weight=w[train])
        assert result.models[fold].class_weight == "balanced"
        assert result.scores["score"][fold] == hand.score(X[test], y[test])
    scored = rp.cross_validate(estimator, X, y, cv=2, seed=1, sample_weight=w,
                               weighted_score=True, return_models=True)
    for fold, (_, test) in enumerate(folds(X, y, 2, None, 1, estimator)):
        assert scored.scores["score"][fold] == scored.models[fold].score(
            X[test], y[test], sample_weight=w[test])


def test_weighted_folds_on_two_processes_equal_one(data):
    X, y, w, _, _ = data
    one = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=1, sample_weight=w,
                            class_weight="balanced")
    two = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=1, sample_weight=w,
                            class_weight="balanced", n_jobs=2)
    for name in one.scores:
        np.testing.assert_array_equal(one.scores[name], two.scores[name])
    search = dict(method="grid", cv=2, epochs=1, sample_weight=w, class_weight="balanced",
                  refit=False)
    serial = rp.tune.search(lambda: build(8), SPACE, X, y, **search)
    parallel = rp.tune.search(lambda: build(8), SPACE, X, y, n_jobs=2, **search)
    assert [t["score"] for t in serial.trials] == [t["score"] for t in parallel.trials]


def test_weights_follow_the_rows_through_each_folds_standardization(data):
    X, y, w, _, _ = data
    X = X * 3.0 + 1.0
    result = rp.cross_validate(lambda: build(8), X, y, cv=2, epochs=1, sample_weight=w,
                               preprocess=rp.data.StandardScaler(), return_models=True)
    for fold, (train, test) in enumerate(folds(X, y, 2, None, 0, build)):
        scaler = rp.data.StandardScaler().fit(X[train])  # fitted unweighted
        trainer = _hand_module(scaler.transform(X), y, train, task_seed(0, fold), w[train],
                               epochs=1)
        assert result.scores["loss"][fold] == trainer.evaluate(scaler.transform(X[test]),
                                                               y[test])["loss"]


def test_balanced_is_scikit_learns():
    y = np.array([0] * 7 + [2] * 3 + [5] * 11)
    classes = np.unique(y)
    expected = compute_class_weight("balanced", classes=classes, y=y)
    assert balanced(y) == dict(zip(classes.tolist(), expected.tolist(), strict=True))
    labels = np.array(["b", "a", "a", "c"])
    assert balanced(labels) == pytest.approx({"a": 4 / 6, "b": 4 / 3, "c": 4 / 3})


def test_bad_weights_are_refused_naming_the_argument_and_the_fold():
    X = np.zeros((12, 2), np.float32)
    y = np.array([0, 1] * 6)
    run = lambda **weights: rp.cross_validate(build, X, y, cv=2, **weights)  # noqa: E731
    with pytest.raises(ValueError, match=r"cross_validate: sample_weight must have shape "
                                         r"\(12,\).*got shape \(11,\)"):
        run(sample_weight=np.ones(11))
    with pytest.raises(ValueError, match=r"cross_validate: sample_weight must be finite and "
                                         r">= 0, got sample_weight\[3\] = -1.0"):
        run(sample_weight=np.where(np.arange(12) == 3, -1.0, 1.0))
    with pytest.raises(ValueError, match=r"sample_weight\[5\] = nan"):
        run(sample_weight=np.where(np.arange(12) == 5, np.nan, 1.0))
    train = folds(X, y, 2, None, 0, build)[1][0]
    zero_in_fold_1 = np.ones(12)
    zero_in_fold_1[train] = 0.0
    with pytest.raises(ValueError, match=r"cross_validate: fold 1: the sample_weight of its 6 "
                                         r"training rows sum to zero"):
        run(sample_weight=zero_in_fold_1)
    with pytest.raises(ValueError, match=r"cross_validate: fold 0: the sample_weight of its 6 "
                                         r"held-out rows sum to zero"):
        run(sample_weight=zero_in_fold_1, weighted_score=True)  # fold 0 holds them out
    with pytest.raises(ValueError, match=r"fold 0: the class_weight of its 6 training rows"):
        run(class_weight={0: 0, 1: 0.0})
    with pytest.raises(ValueError, match=r"class_weight names \[7\], which are not classes "
                                         r"of y \[0, 1\]"):
        run(class_weight={7: 2.0})
    with pytest.raises(ValueError, match=r"class_weight\[1\] = -2"):
        run(class_weight={1: -2})
    with pytest.raises(ValueError, match=r"class_weight must be a dict .* or 'balanced', got "
                                         r"'balance'"):
        run(class_weight="balance")
    with pytest.raises(TypeError, match=r"class_weight must be a dict .* got list"):
        run(class_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"weighted_score=True .* give sample_weight"):
        run(weighted_score=True)
    with pytest.raises(ValueError, match="class_weight needs class labels, got real-valued"):
        rp.cross_validate(lambda: rp.models.mlp([2, 1]), X, y + 0.5, cv=2,
                          class_weight="balanced")
    with pytest.raises(ValueError, match=r"y holds labels of dtype <U1 .* encode them"):
        # (gave 'invalid literal'): string labels are named before the weights are made
        rp.cross_validate(build, X, np.array(["a", "b"])[y], cv=2, class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight: MLPRegressor has no class_weight "
                                         "parameter"):
        rp.cross_validate(MLPRegressor(), X, y.astype(float), cv=2, class_weight="balanced")


# ---------------------------------------------------------------------- search
SPACE = {"lr": rp.tune.choice([0.05, 0.2])}


def test_a_cv_search_scores_each_trial_as_cross_validate_with_the_weights(data):
    X, y, w, _, _ = data
    result = rp.tune.search(lambda: build(8), SPACE, X, y, method="grid", cv=3, epochs=2,
                            sample_weight=w, class_weight="balanced", refit=False)
    for trial in result.trials:
        expected = rp.cross_validate(lambda: build(8), X, y, cv=3, epochs=2, lr=trial["lr"],
                                     seed=task_seed(0, trial["number"]), sample_weight=w,
                                     class_weight="balanced")
        assert trial["score"] == expected.mean["accuracy"]
    plain = rp.tune.search(lambda: build(8), SPACE, X, y, method="grid", cv=3, epochs=2,
                           refit=False)
    ones = rp.tune.search(lambda: build(8), SPACE, X, y, method="grid", cv=3, epochs=2,
                          refit=False, sample_weight=np.ones(len(y)))
    assert [t["score"] for t in plain.trials] == [t["score"] for t in ones.trials]
    assert [t["score"] for t in plain.trials] != [t["score"] for t in result.trials]


def test_a_validation_search_trains_scores_and_refits_with_the_weights(data):
    X, y, w, X_val, y_val = data
    w_val = np.random.default_rng(2).uniform(0, 2, len(y_val))
    result = rp.tune.search(lambda: build(8), SPACE, X, y, method="grid", metric="loss",
                            validation_data=(X_val, y_val, w_val), epochs=2, sample_weight=w,
                            class_weight={1: 4.0})
    rows = np.arange(len(X))
    per_row = w * np.where(y == 1, 4.0, 1.0)
    for trial in result.trials:
        trainer = _hand_module(X, y, rows, task_seed(0, trial["number"]), per_row,
                               lr=trial["lr"])
        assert trial["score"] == trainer.evaluate(X_val, y_val, sample_weight=w_val)["loss"]
    X_all, y_all = np.concatenate([X, X_val]), np.concatenate([y, y_val])
    all_weights = np.concatenate([w, w_val]) * np.where(y_all == 1, 4.0, 1.0)
    refit = _hand_module(X_all, y_all, np.arange(len(X_all)), task_seed(0, result.best_trial),
                         all_weights, lr=result.best_params["lr"])
    for mine, theirs in zip(result.best_model.parameters(), refit.model.parameters(),
                            strict=True):
        np.testing.assert_array_equal(mine.data, theirs.data)
    with pytest.raises(ValueError, match=r"tune: validation_data: sample_weight must have "
                                         r"shape \(90,\)"):
        rp.tune.search(lambda: build(8), SPACE, X, y, validation_data=(X_val, y_val, w),
                       n_trials=1)
    with pytest.raises(ValueError, match=r"tune: X, y: the sample_weight of its 240 training "
                                         r"rows sum to zero"):
        rp.tune.search(lambda: build(8), SPACE, X, y, validation_data=(X_val, y_val),
                       n_trials=1, sample_weight=np.zeros(len(y)))
    one_row = np.zeros(len(y))
    one_row[7] = 1.0  # the fold that holds it out trains on rows of weight 0
    with pytest.raises(RuntimeError, match=r"every trial failed; the first error: ValueError: "
                                           r"tune: fold [01]: the sample_weight of its"):
        rp.tune.search(lambda: build(8), SPACE, X, y, cv=2, n_trials=1, sample_weight=one_row)
    with pytest.raises(ValueError, match="weighted_score=True weighs the held-out rows of cv "
                                         "folds"):
        rp.tune.search(lambda: build(8), SPACE, X, y, validation_data=(X_val, y_val),
                       n_trials=1, sample_weight=w, weighted_score=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_estimator_search_takes_class_weight_as_its_parameter(data):
    X, y, w, _, _ = data
    space = {"alpha": rp.tune.choice([0.0, 0.01])}
    given = rp.tune.search(MLPClassifier((8,), max_iter=3), space, X, y, method="grid", cv=2,
                           class_weight="balanced", sample_weight=w)
    preset = rp.tune.search(MLPClassifier((8,), max_iter=3, class_weight="balanced"), space,
                            X, y, method="grid", cv=2, sample_weight=w)
    assert [t["score"] for t in given.trials] == [t["score"] for t in preset.trials]
    assert given.best_model.class_weight == "balanced"
    unweighted = rp.tune.search(MLPClassifier((8,), max_iter=3), space, X, y, method="grid",
                                cv=2)
    assert [t["score"] for t in given.trials] != [t["score"] for t in unweighted.trials]
    with pytest.raises(ValueError, match="tune: class_weight is given and searched in the "
                                         "space; give one"):
        rp.tune.search(MLPClassifier(), {"class_weight": rp.tune.choice([None, "balanced"])},
                       X, y, n_trials=1, class_weight="balanced")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_estimator_is_scored_on_a_weighted_validation_triple(data):
    X, y, w, X_val, y_val = data
    w_val = np.random.default_rng(5).uniform(0, 2, len(y_val))
    estimator = MLPClassifier((8,), max_iter=3)
    space = {"alpha": rp.tune.choice([0.0, 0.01])}
    result = rp.tune.search(estimator, space, X, y, method="grid", sample_weight=w,
                            validation_data=(X_val, y_val, w_val), refit=False)
    for trial in result.trials:
        seed = task_seed(0, trial["number"])
        with using_generator(np.random.default_rng(seed)):
            hand = clone(estimator).set_params(alpha=trial["alpha"], random_state=seed % 2**31)
            hand.fit(X, y, sample_weight=w)
        assert trial["score"] == hand.score(X_val, y_val, sample_weight=w_val)
        assert trial["score"] != hand.score(X_val, y_val)
