"""Weight penalties and constraints (seed 001, "Weight decay", "Restricciones sobre los
pesos")."""

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def test_l2_penalty_gradient_is_lambda_w():
    layer = nn.Linear(6, 4, l2=0.3, dtype=np.float64)
    penalty = layer.penalty()
    assert penalty.item() == pytest.approx(0.15 * np.sum(layer.weight.data ** 2))
    penalty.backward()
    np.testing.assert_allclose(layer.weight.grad, 0.3 * layer.weight.data)
    assert layer.bias.grad is None  # biases are not penalized unless asked
    biased = nn.Linear(6, 4, l2=0.3, penalize_bias=True, dtype=np.float64)
    biased.bias.data[:] = 1.0
    biased.penalty().backward()
    np.testing.assert_allclose(biased.bias.grad, 0.3 * np.ones(4))


def test_penalty_is_part_of_the_reported_loss():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 6)).astype(np.float32), rng.integers(0, 3, 50)
    model = nn.Sequential(nn.Linear(6, 3, l2=0.5))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    data_loss = nn.CrossEntropyLoss()(model(X), y).item()
    expected = data_loss + 0.25 * float(np.sum(model[0].weight.data.astype(np.float64) ** 2))
    assert trainer.evaluate(X, y)["loss"] == pytest.approx(expected, rel=1e-5)


def sparse_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 20)).astype(np.float32)
    true = np.zeros(20, dtype=np.float32)
    true[[2, 7, 11]] = [3.0, -2.0, 1.5]
    return X, (X @ true)[:, None] + 0.01 * rng.standard_normal((400, 1)).astype(np.float32)


def test_l1_drives_irrelevant_weights_exactly_to_zero():
    X, y = sparse_regression()
    layer = nn.Linear(20, 1, l1=0.05)
    trainer = rp.Trainer(layer, nn.MSELoss(), rp.optim.SGD(layer.parameters(), lr=0.05))
    trainer.fit(X, y, epochs=30, batch_size=32, verbose=0)
    weights = layer.weight.data[0]
    assert np.all(weights[[0, 1, 3, 4, 5, 6, 8, 9, 10]] == 0.0)
    assert np.count_nonzero(weights) <= 5 and np.all(np.abs(weights[[2, 7, 11]]) > 1)
    plain = nn.Linear(20, 1)
    rp.Trainer(plain, nn.MSELoss(), rp.optim.SGD(plain.parameters(), lr=0.05)).fit(
        X, y, epochs=30, batch_size=32, verbose=0)
    assert np.count_nonzero(plain.weight.data) == 20  # no penalty: nothing is exactly zero


class Norms(rp.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.largest = 0.0

    def on_batch_end(self, batch, logs=None):
        for layer in self.model:
            if isinstance(layer, nn.Linear):
                norms = np.linalg.norm(layer.weight.data, axis=1)  # each unit's incoming weights
                self.largest = max(self.largest, float(norms.max()))


def test_max_norm_holds_after_every_step(digits_flat):
    X, y = digits_flat
    model = nn.regularize(rp.models.mlp([64, 32, 10]), max_norm=0.5)
    monitor = Norms()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=0.5, momentum=0.9))
    trainer.fit(X, y, epochs=2, batch_size=16, verbose=0, callbacks=[monitor])
    assert 0.45 < monitor.largest <= 0.5 + 1e-6


def test_unit_norm_and_non_negativity():
    w = np.array([[3.0, 4.0], [-1.0, 0.0]])
    nn.constraints.UnitNorm()(w, (1,))
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), [1.0, 1.0])
    nn.constraints.NonNeg()(w, (1,))
    assert w.min() >= 0
    layer = nn.Linear(3, 2, constraint=nn.constraints.NonNeg())
    layer.weight.data[:] = -1
    layer.project_(lambda param: 0.1)
    assert layer.weight.data.min() == 0


def test_weight_noise_trains_and_is_off_in_inference():
    layer = nn.Linear(4, 2, weight_noise=0.5)
    x = np.ones((3, 4), dtype=np.float32)
    assert not np.array_equal(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    layer.train()
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.full((2, 4), 3.0))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: nn.Dropout(1.0), r"p \(probability of dropping\) must be in \[0, 1\)"),
    (lambda: nn.Dropout(-0.1), "must be in"),
    (lambda: nn.Linear(3, 2, l2=-1), "l2 must be >= 0"),
    (lambda: nn.Linear(3, 2, max_norm=0), "max_norm must be positive"),
    (lambda: nn.GaussianNoise(-1), "std must be a finite number >= 0, got -1"),
    (lambda: nn.GaussianNoise(float("nan")), "std must be a finite number >= 0, got nan"),
    (lambda: nn.GaussianNoise(float("inf")), "std must be a finite number >= 0, got inf"),
    (lambda: nn.GaussianNoise(True), "std must be a finite number >= 0, got True"),
    (lambda: rp.ensemble.Bagging(lambda: rp.models.mlp([2, 2]), n_models=0),
     "n_models must be a positive integer"),
])
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_batch_norm_errors():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 4\)"):
        bn(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"input has 3 features .* expected 4"):
        bn(np.ones((5, 3)))
    bn.eval()
    assert bn(np.ones((1, 4))).shape == (1, 4)  # population statistics: fine


@pytest.mark.parametrize("make, attribute", [
    (lambda v: nn.Dropout(np.float32(v)), "p"),
    (lambda v: nn.GaussianNoise(np.float32(v)), "std"),
    (lambda v: nn.Sigmoid(np.float32(v)), "slope"),
])
def test_layer_settings_take_numpy_numbers(make, attribute):
    """They were refused ("must be in [0, 1), got 0.25"): NumPy numbers count as numbers,
    as everywhere else (``retroprop.checks``)."""
    layer = make(0.25)
    assert getattr(layer, attribute) == 0.25 and type(getattr(layer, attribute)) is float
