"""Bagging beats its average member (seed 001), trained in parallel processes."""

import numpy as np

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
