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


@pytest.mark.parametrize("where", ["processes", "threads"])
def test_bagging_on_local_processes_or_threads_equals_serial(where):
    X, y = _smooth_regression(100)
    serial = rp.ensemble.Bagging(_regressor, n_models=4, seed=4).fit(X, y, epochs=20,
                                                                     batch_size=8)
    with ThreadPoolExecutor(2) as threads:
        options = {"n_jobs": 2} if where == "processes" else {"executor": threads}
        parallel = rp.ensemble.Bagging(_regressor, n_models=4, seed=4, **options).fit(
            X, y, epochs=20, batch_size=8)
    for a, b in zip(serial.models_, parallel.models_, strict=True):
        for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(),
                                     strict=True):
            np.testing.assert_array_equal(p, q, err_msg=name)
