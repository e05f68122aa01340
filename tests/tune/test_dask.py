"""A real Dask LocalCluster (two worker processes on loopback) gives the serial results."""

import distributed
import numpy as np
import pytest

import retroprop as rp
from retroprop.parallel import connect
from tests.tune.problems import build, digits


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def test_search_cross_validation_and_bagging_equal_the_serial_run(client):
    assert len(client.scheduler_info()["workers"]) == 2
    (X, y), validation = digits(600, 200)
    space = {"hidden": rp.tune.choice([4, 16]), "lr": rp.tune.log_uniform(1e-3, 0.5)}
    options = dict(method="random", n_trials=4, validation_data=validation, epochs=1, seed=5)
    serial = rp.tune(build, space, X, y, **options)
    remote = rp.tune(build, space, X, y, executor=client, **options)
    assert [r["score"] for r in remote.trials] == [r["score"] for r in serial.trials]
    assert len({row["pid"] for row in remote.trials}) == 2  # both workers ran trials

    serial_cv = rp.cross_validate(build, X, y, cv=3, epochs=1, seed=1)
    remote_cv = rp.cross_validate(build, X, y, cv=3, epochs=1, seed=1, executor=client)
    np.testing.assert_array_equal(remote_cv.scores["accuracy"], serial_cv.scores["accuracy"])

    serial_bag = rp.ensemble.Bagging(build, n_models=3, seed=2).fit(X, y, epochs=1)
    remote_bag = rp.ensemble.Bagging(build, n_models=3, seed=2, executor=client).fit(X, y,
                                                                                     epochs=1)
    np.testing.assert_array_equal(remote_bag.predict_proba(X), serial_bag.predict_proba(X))


def test_train_cv_on_the_cluster_by_its_address(client, capsys):
    from retroprop.cli import main

    address = client.scheduler.address
    assert main(["train", "--cv", "2", "--epochs", "1", "--hidden", "8",
                 "--scheduler", address]) == 0
    remote = capsys.readouterr().out
    assert main(["train", "--cv", "2", "--epochs", "1", "--hidden", "8"]) == 0
    assert capsys.readouterr().out == remote  # the same folds and scores as locally


def test_a_scheduler_that_does_not_answer_is_named():
    with pytest.raises(OSError, match=r"no Dask scheduler answered at tcp://127.0.0.1:9 "):
        connect("tcp://127.0.0.1:9", timeout=1)


def test_weighted_folds_and_trials_on_dask_equal_the_serial_run(client):
    (X, y), _ = digits(300, 0)
    w = np.random.default_rng(3).integers(0, 4, len(y)).astype(np.float64)
    weights = dict(sample_weight=w, class_weight="balanced", epochs=1)
    serial = rp.cross_validate(build, X, y, cv=3, **weights)
    remote = rp.cross_validate(build, X, y, cv=3, executor=client, **weights)
    np.testing.assert_array_equal(remote.scores["loss"], serial.scores["loss"])
    space = {"lr": rp.tune.choice([0.05, 0.2])}
    serial_search = rp.tune(build, space, X, y, method="grid", cv=2, refit=False, **weights)
    remote_search = rp.tune(build, space, X, y, method="grid", cv=2, refit=False,
                            executor=client, **weights)
    assert [r["score"] for r in remote_search.trials] == [r["score"] for r in
                                                            serial_search.trials]
