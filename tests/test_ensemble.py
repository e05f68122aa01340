"""Bagging beats its average member (seed 001), trained in parallel processes."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import retroprop as rp


def test_bagging_beats_the_average_member_on_fashion_mnist():
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist(download=False)
    flat = lambda a: rp.datasets.scale(a).reshape(len(a), -1)  # noqa: E731
    X, y, X_test, y_test = flat(X[:3000]), y[:3000], flat(X_test[:3000]), y_test[:3000]
    bagging = rp.ensemble.Bagging(lambda: rp.models.mlp([784, 128, 10]), n_models=5,
                                  n_jobs=2, seed=0)
    bagging.fit(X, y, epochs=8, batch_size=64)
    members = [np.mean(rp.ensemble.predict_proba(m, X_test).argmax(1) == y_test)
               for m in bagging.models_]
    ensemble = bagging.score(X_test, y_test)
    assert ensemble > np.mean(members) + 0.005, (ensemble, members)
    geometric = rp.ensemble.average(bagging.models_, X_test, mean="geometric")
    assert np.mean(geometric.argmax(1) == y_test) > np.mean(members)


def _smooth_regression(n=300):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (n, 2)).astype(np.float32)
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    return X, y.astype(np.float32)


def _regressor():
    return rp.models.mlp([2, 32, 1], activation="tanh")


@pytest.mark.parametrize("column", [False, True])
def test_bagging_regression_fits_a_smooth_target(column):
    X, y = _smooth_regression()
    target = y.reshape(-1, 1) if column else y
    bagging = rp.ensemble.Bagging(_regressor, n_models=3, seed=0)
    bagging.fit(X[:200], target[:200], epochs=80, batch_size=32)
    assert bagging.predict(X[200:]).shape == target[200:].shape
    assert bagging.score(X[200:], target[200:]) > 0.8


def test_bagging_refuses_what_it_cannot_combine():
    X, y = _smooth_regression(20)
    with pytest.raises(ValueError, match="geometric"):
        rp.ensemble.Bagging(_regressor, mean="geometric").fit(X, y, epochs=1)
    with pytest.raises(TypeError, match=r"CrossEntropyLoss .* or MSELoss"):
        rp.ensemble.Bagging(_regressor, loss=rp.nn.BCEWithLogitsLoss).fit(X, y, epochs=1)
    bagging = rp.ensemble.Bagging(_regressor, n_models=1).fit(X, y, epochs=1)
    with pytest.raises(TypeError, match="no class probabilities"):
        bagging.predict_proba(X)


@pytest.mark.parametrize("where", ["processes", "every CPU", "threads"])
def test_bagging_on_local_processes_or_threads_equals_serial(where):
    X, y = _smooth_regression(100)
    serial = rp.ensemble.Bagging(_regressor, n_models=4, seed=4).fit(X, y, epochs=20,
                                                                     batch_size=8)
    with ThreadPoolExecutor(2) as threads:
        options = {"processes": {"n_jobs": 2}, "every CPU": {"n_jobs": -1},
                   "threads": {"executor": threads}}[where]
        parallel = rp.ensemble.Bagging(_regressor, n_models=4, seed=4, **options).fit(
            X, y, epochs=20, batch_size=8)
    for a, b in zip(serial.models_, parallel.models_, strict=True):
        for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(),
                                     strict=True):
            np.testing.assert_array_equal(p, q, err_msg=name)


def _two_blobs(n=60):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    X[: n // 2] += 4
    return X, (np.arange(n) < n // 2).astype(int)


def _classifier():
    return rp.models.mlp([2, 8, 2])


@pytest.mark.parametrize("names", [np.array([1, 2]), np.array([-1, 1]), np.array(["no", "yes"]),
                                   np.array([False, True])], ids=str)
def test_bagging_takes_any_class_labels_as_scikit_learn_does(names):
    X, index = _two_blobs()
    y = names[index]
    bagging = rp.ensemble.Bagging(_classifier, n_models=2).fit(
        X, y, epochs=10, validation_data=(X[:10], y[:10]))
    np.testing.assert_array_equal(bagging.classes_, names)
    predicted = bagging.predict(X)
    assert predicted.dtype == y.dtype and set(predicted) <= set(names)
    assert bagging.score(X, y) == np.mean(predicted == y) > 0.9
    with pytest.raises(ValueError, match=r"labels \[.*\] are not among the classes of y"):
        rp.ensemble.Bagging(_classifier, n_models=1).fit(
            X, y, epochs=1, validation_data=(X[:2], np.array([names[0], "other"])))


def test_bagging_keeps_integer_labels_as_output_columns():
    X, y = _two_blobs()
    bagging = rp.ensemble.Bagging(lambda: rp.models.mlp([2, 8, 3]), n_models=1).fit(
        X, y + 1, epochs=1)  # labels 1 and 2 of three classes: class 0 has no examples
    np.testing.assert_array_equal(bagging.classes_, [0, 1, 2])
    assert bagging.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize("build, y, message", [
    (_classifier, np.arange(60) % 2 * 1.0, r"outputs of shape \(2,\) per example but y has "
                                          r"targets of shape \(1,\) \(y is real-valued"),
    (lambda: rp.models.mlp([2, 8, 1]), np.arange(60) % 2, "y has 2 classes .* 1 outputs"),
    (_classifier, np.arange(60) % 3 - 1, r"y has 3 classes \[-1, 0, 1\] but the model has 2"),
    (lambda: rp.models.mlp([2, 8, 1]), np.zeros((60, 2)), r"outputs of shape \(1,\) per "
                                                          r"example but y has targets of "
                                                          r"shape \(2,\)$"),
], ids=["float-labels", "one-output", "three-classes", "two-targets"])
def test_bagging_refuses_targets_its_members_cannot_output(build, y, message):
    X = np.zeros((60, 2), np.float32)
    with pytest.raises(ValueError, match=message):
        rp.ensemble.Bagging(build, n_models=1).fit(X, y, epochs=1)


def test_bagging_scores_as_scikit_learn():
    from sklearn.metrics import r2_score

    X, y = _smooth_regression(80)
    targets = np.column_stack([10 * y, 0.1 * X[:, 0]])  # outputs of very different scales
    bagging = rp.ensemble.Bagging(lambda: rp.models.mlp([2, 16, 2]), n_models=2).fit(
        X, targets, epochs=3)
    assert bagging.score(X, targets) == pytest.approx(r2_score(targets, bagging.predict(X)))
    column = rp.ensemble.Bagging(_regressor, n_models=1).fit(X, y, epochs=3,
                                                             validation_data=(X, y))
    expected = r2_score(y, column.predict(X))
    assert column.score(X, y) == pytest.approx(expected)
    assert column.score(X, y.reshape(-1, 1)) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"y has targets of shape \(2,\) but the ensemble "
                                         r"predicts \(\)"):
        column.score(X, targets)
    X, labels = _two_blobs()
    classifier = rp.ensemble.Bagging(_classifier, n_models=1).fit(X, labels, epochs=3)
    accuracy = np.mean(classifier.predict(X) == labels)
    assert classifier.score(X, labels.reshape(-1, 1)) == accuracy
    assert classifier.score(X, np.eye(2)[labels]) == accuracy  # one-hot rows
    with pytest.raises(ValueError, match="X has 60 examples but y has 10"):
        classifier.score(X, labels[:10])


def test_bagging_checks_its_arguments():
    X, y = _two_blobs()
    bagging = rp.ensemble.Bagging(_classifier, n_models=np.int64(2), n_jobs=np.int64(1))
    assert len(bagging.fit(X, y, epochs=1, verbose=0).models_) == 2
    with pytest.raises(ValueError, match=r"X must hold examples of shape \(2,\) in rows, as "
                                         r"in fit, got shape \(2,\)"):
        bagging.predict(X[0])
    with pytest.raises(ValueError, match="n_models must be a positive integer, got True"):
        rp.ensemble.Bagging(_classifier, n_models=True)
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got None"):
        rp.ensemble.Bagging(_classifier, seed=None)
    with pytest.raises(TypeError, match=r"build_model must be a function .* got a Sequential"):
        rp.ensemble.Bagging(_classifier())
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'epoch'.*Trainer\.fit"):
        rp.ensemble.Bagging(_classifier).fit(X, y, epoch=1)
    with pytest.raises(RuntimeError, match="call fit before predicting"):
        rp.ensemble.Bagging(_classifier).predict(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_geometric_mean_of_models_sure_of_different_classes(dtype):
    sure = np.array([[1, 0], [0, 1]], dtype)
    combined = rp.ensemble.combine([sure, sure[::-1]], "geometric")
    np.testing.assert_allclose(combined, 0.5)
    with pytest.raises(ValueError, match=r"same shape \(n, C\), got \[\(2, 2\), \(2, 3\)\]"):
        rp.ensemble.combine([sure, np.ones((2, 3)) / 3])


@pytest.mark.parametrize("validation", [(np.zeros((2, 2)), np.zeros(2), None, None),
                                        np.zeros(2)], ids=["four", "array"])
def test_bagging_names_validation_data_that_is_not_a_pair(validation):
    X, y = _two_blobs()
    with pytest.raises(ValueError, match=r"Bagging.fit: validation_data must be a pair "
                                         r"\(X_val, y_val\), got (tuple of length 4|ndarray)"):
        rp.ensemble.Bagging(_classifier, n_models=1).fit(X, y, epochs=1,
                                                         validation_data=validation)


def test_bagging_sample_weight_follows_the_bootstrap_rows():
    """Rows of weight 0 count for nothing in any member: replacing them by other data
    changes no member (the weights stayed at their positions while the rows were drawn,
    so that drawn rows took other rows' weights)."""
    X, y = _two_blobs()
    weight = np.r_[np.ones(20), np.zeros(20), np.ones(20)]
    noise_X, noise_y = X.copy(), y.copy()
    noise_X[20:40] = np.random.default_rng(5).normal(size=(20, 2)) * 10
    noise_y[20:40] = 1 - noise_y[20:40]
    fitted = [rp.ensemble.Bagging(_classifier, n_models=2, seed=3).fit(
        data, labels, epochs=3, batch_size=None, sample_weight=weight)
        for data, labels in ((X, y), (noise_X, noise_y))]
    for first, second in zip(*(bagging.models_ for bagging in fitted), strict=True):
        for key, value in first.state_dict().items():
            np.testing.assert_array_equal(value, second.state_dict()[key])
    with pytest.raises(ValueError, match=r"Bagging.fit: sample_weight must have shape \(60,\)"):
        rp.ensemble.Bagging(_classifier, n_models=1).fit(X, y, sample_weight=np.ones(3))


def test_bagging_class_weight_names_the_labels_of_y():
    """class_weight={2: 5} with labels 1 and 2 weighs class 2, as class_weight={1: 5} does
    for labels 0 and 1 (it weighed output column 2, refused, and {1: 5} the wrong class)."""
    X, index = _two_blobs()
    runs = [rp.ensemble.Bagging(_classifier, n_models=1).fit(
        X, names[index], epochs=2, class_weight=weight, validation_data=(X, names[index],
                                                                          np.ones(len(X))))
        for names, weight in ((np.array([1, 2]), {2: 5.0}), (np.array([0, 1]), {1: 5.0}),
                              (np.array([0, 1]), None))]
    states = [bagging.models_[0].state_dict() for bagging in runs]
    for key, value in states[0].items():
        np.testing.assert_array_equal(value, states[1][key])
    assert not np.array_equal(states[0]["0.weight"], states[2]["0.weight"])
    with pytest.raises(ValueError, match=r"class_weight names \[0\], which are not classes "
                                         r"of y \[1, 2\]"):
        rp.ensemble.Bagging(_classifier, n_models=1).fit(X, index + 1, class_weight={0: 2.0})
