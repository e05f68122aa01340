"""Generative pre-training (Berzal, "Backpropagation" (Granada), "En la práctica:
Generalización"): the experiment's claim, that pre-training lowers the test error of a deep
sigmoid network trained on few labels."""

import numpy as np
import pytest

import retroprop as rp

RANDOM, LABELLED, ALL = ("random initialization", "pre-trained on the labelled images",
                         "pre-trained on all training images")


def test_pretraining_lowers_the_test_error_of_a_deep_sigmoid_network(tmp_path):
    result = rp.experiments.run("generative-pretraining", seed=0)
    data = result.data
    assert list(data) == [RANDOM, LABELLED, ALL]
    for run in data.values():  # the same supervised budget; every network fits its labels
        assert len(run["train"]) == len(run["test"]) == 100
        assert run["train"][-1] == 0
    # the claim: better generalization, clearest with the unlabelled images
    assert data[ALL]["test"][-1] < data[RANDOM]["test"][-1] - 0.05
    assert data[LABELLED]["test"][-1] < data[RANDOM]["test"][-1]
    assert data[ALL]["test"].min() < data[RANDOM]["test"].min() - 0.05
    # and fits its labels sooner (Bengio et al. 2007: pre-training also helps optimization)
    fitted = {name: int(np.argmax(run["train"] == 0)) for name, run in data.items()}
    assert max(fitted[LABELLED], fitted[ALL]) < fitted[RANDOM] / 2
    # one autoencoder per hidden layer, whose reconstruction error falls
    assert data[RANDOM]["reconstruction"] == []
    for name in (LABELLED, ALL):
        assert len(data[name]["reconstruction"]) == 3
        for curve in data[name]["reconstruction"]:
            assert curve[-1] < 0.8 * curve[0]
    # as many pre-training updates on 50 images (2 batches of 32) as on 1438 (45 batches)
    assert len(data[ALL]["reconstruction"][0]) == 20
    assert len(data[LABELLED]["reconstruction"][0]) == 20 * 45 // 2
    assert [row[1] for row in result.rows] == [0, 50, 1438]
    assert result.rows[2][3] == pytest.approx(data[ALL]["test"][-1])
    assert "pre-trained on all training images" in result.table()
    result.plot(tmp_path / "pretraining.png")
    assert (tmp_path / "pretraining.png").stat().st_size > 30_000


def test_the_errors_are_those_of_the_final_weights():
    from retroprop.experiments.pretraining import ErrorRates

    X = np.random.default_rng(0).random((40, 4)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    model = rp.models.mlp([4, 8, 2])
    errors = ErrorRates(train=(X, y))
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.Adam(model.parameters()))
    trainer.fit(X, y, epochs=3, verbose=0, callbacks=[errors])
    assert len(errors.errors["train"]) == 3
    assert errors.errors["train"][-1] == pytest.approx(1 - trainer.evaluate(X, y)["accuracy"])
