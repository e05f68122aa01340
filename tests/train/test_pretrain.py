"""Greedy layer-wise pre-training (Berzal, "Backpropagation" (Granada), "En la práctica:
Generalización": "Generative pre-training"): what it trains, on which codes, with which
cost, and what it refuses."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.experiments.pretraining import LayerLosses
from retroprop.train import pretrain
from retroprop.train.pretrain import masking_noise, pretrain_layerwise

from .conftest import weights


@pytest.fixture
def images(digits):
    return digits[0][:300]


@pytest.fixture
def fits(monkeypatch):
    """Every Trainer.fit that pre-training makes: its trainer, inputs, targets, options,
    and the autoencoder's weights before it trained."""
    calls = []
    original = rp.Trainer.fit

    def spy(trainer, X, y, **options):
        start = {k: v.copy() for k, v in trainer.model.state_dict().items()}
        calls.append((trainer, X.copy(), y.copy(), options, start))
        return original(trainer, X, y, **options)

    monkeypatch.setattr(pretrain.Trainer, "fit", spy)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_only_the_hidden_layers_change(images, dtype):
    model = rp.models.mlp([64, 20, 12, 10], activation="sigmoid", dtype=dtype)
    before = weights(model)
    assert pretrain_layerwise(model, images, epochs=2, noise=0.2) is model
    after = weights(model)
    assert all(after[name].dtype == dtype for name in after)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):  # the hidden layers
        assert not np.allclose(after[name], before[name]), name
    for name in ("4.weight", "4.bias"):  # the output layer, as initialized
        assert np.array_equal(after[name], before[name]), name
    assert set(after) == set(before)  # no decoder left behind in the model


def test_each_layers_reconstruction_error_falls(images):
    model = rp.models.mlp([64, 32, 16, 8, 10], activation="sigmoid")
    layers = LayerLosses()
    pretrain_layerwise(model, images, epochs=15, noise=0.25,
                       optimizer=lambda p: rp.optim.Adam(p, lr=0.01), callbacks=[layers])
    assert len(layers.losses) == 3  # one autoencoder per hidden layer
    for curve in layers.losses:
        assert len(curve) == 15 and curve[-1] < 0.85 * curve[0]


def test_codes_come_from_the_trained_layers_below_without_noise(images, fits):
    # dropout after each hidden layer: the codes are computed in evaluation mode
    model = rp.models.mlp([64, 20, 12, 10], activation="sigmoid", dropout=0.5)
    pretrain_layerwise(model, images, epochs=2, noise=0.3)
    assert len(fits) == 2
    (_, first, target, options, _), (_, second, target2, _, _) = fits
    np.testing.assert_array_equal(first, images)  # layer 1 rebuilds the clean images
    np.testing.assert_array_equal(target, first)
    with rp.no_grad():  # layer 2's codes: layer 1 (as pretrained, no longer changed by
        expected = model[:3].eval()(rp.Tensor(images)).data  # layer 2's training)
    np.testing.assert_allclose(second, expected, rtol=1e-6)
    np.testing.assert_array_equal(target2, second)
    # the inputs, not the targets, are corrupted
    corrupted = options["augment"](np.ones((200, 50), np.float32))
    assert set(np.unique(corrupted)) == {0.0, 1.0}
    assert corrupted.mean() == pytest.approx(0.7, abs=0.02)


def torch_autoencoder(start, X, epochs, lr):
    """Full-batch Adam on the cross-entropy of σ(V σ(W x + b) + c) against x, in PyTorch:
    the encoder's (W, b) after ``epochs`` steps."""
    weights = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    optimizer = torch.optim.Adam(weights.values(), lr=lr)
    x = torch.tensor(X)
    for _ in range(epochs):
        optimizer.zero_grad()
        codes = torch.sigmoid(x @ weights["0.weight"].T + weights["0.bias"])
        logits = codes @ weights["2.weight"].T + weights["2.bias"]
        torch.nn.functional.binary_cross_entropy_with_logits(logits, x).backward()
        optimizer.step()
    return weights["0.weight"].detach().numpy(), weights["0.bias"].detach().numpy()


def test_each_layer_trains_as_the_same_autoencoder_in_pytorch(images, fits):
    model = rp.models.mlp([64, 16, 8, 10], activation="sigmoid", dtype=np.float64)
    pretrain_layerwise(model, images.astype(np.float64), epochs=6, batch_size=None,
                       optimizer=lambda p: rp.optim.Adam(p, lr=0.01))
    for (_, codes, _, _, start), layer in zip(fits, (model[0], model[2]), strict=True):
        weight, bias = torch_autoencoder(start, codes, epochs=6, lr=0.01)
        np.testing.assert_allclose(layer.weight.data, weight, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.bias.data, bias, rtol=1e-9, atol=1e-12)


def test_masking_noise_sets_a_fraction_of_the_inputs_to_zero_without_rescaling():
    assert masking_noise(0.0) is None
    batch = np.full((400, 100), 0.5)
    kept = masking_noise(0.25)(batch)
    assert set(np.unique(kept)) == {0.0, 0.5} and np.mean(kept == 0) == pytest.approx(
        0.25, abs=0.01)


def test_the_cost_follows_the_range_of_the_codes(images, fits):
    # pixels in [0, 1]: cross-entropy; tanh codes in [-1, 1]: squared error
    model = rp.models.mlp([64, 20, 12, 10], activation="tanh")
    pretrain_layerwise(model, images, epochs=1)
    assert [type(trainer.loss).__name__ for trainer, *_ in fits] == ["BCEWithLogitsLoss",
                                                                     "MSELoss"]
    model = rp.models.mlp([64, 20, 10], activation="sigmoid")
    pretrain_layerwise(model, images, epochs=1, reconstruction="squared")
    assert type(fits[-1][0].loss).__name__ == "MSELoss"


@pytest.mark.parametrize(("build", "batch_size"), [
    (lambda p: rp.optim.SGD(p, lr=0.5, momentum=0.9), 32),
    (lambda p: rp.optim.RMSprop(p, lr=0.01), 32),
    (lambda p: rp.optim.Rprop(p), None),
    (lambda p: rp.optim.LBFGS(p), None),
], ids=["sgd-momentum", "rmsprop", "rprop", "lbfgs"])
def test_any_optimizer(images, build, batch_size):
    model = rp.models.mlp([64, 16, 8, 10], activation="sigmoid")
    before = weights(model)
    layers = LayerLosses()
    pretrain_layerwise(model, images, epochs=8, optimizer=build, batch_size=batch_size,
                       callbacks=[layers])
    assert len(layers.losses) == 2
    for curve in layers.losses:
        assert curve[-1] < 0.9 * curve[0]
    assert np.array_equal(model[4].weight.data, before["4.weight"])


def test_images_through_a_flatten_first(digits):
    (X, _), _ = rp.datasets.load_digits()
    X = rp.datasets.scale(X[:100], rp.datasets.DIGITS_MAXIMUM).reshape(100, 8, 8)
    model = rp.nn.Sequential(rp.nn.Flatten(), rp.nn.Linear(64, 12), rp.nn.Sigmoid(),
                             rp.nn.Linear(12, 10))
    before = model[1].weight.data.copy()
    pretrain_layerwise(model, X, epochs=1)
    assert not np.allclose(model[1].weight.data, before)


def test_modes_and_the_library_generator_are_left_as_they_were(images):
    model = rp.models.mlp([64, 16, 8, 10], activation="sigmoid", dropout=0.5)
    model.train()
    rp.manual_seed(7)
    state = rp.random.generator().bit_generator.state
    pretrain_layerwise(model, images, epochs=1, noise=0.2, seed=3)
    assert all(module.training for module in model.modules())
    assert rp.random.generator().bit_generator.state == state
    model.eval()
    pretrain_layerwise(model, images, epochs=1)
    assert not any(module.training for module in model.modules())


def test_the_seed_fixes_the_result(images):
    runs = []
    for _ in range(2):
        rp.manual_seed(0)
        model = rp.models.mlp([64, 16, 10], activation="sigmoid")
        pretrain_layerwise(model, images, epochs=2, noise=0.3, seed=11)
        runs.append(model[0].weight.data.copy())
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize(("model", "options", "error", "message"), [
    (lambda: rp.nn.Linear(64, 10), {}, TypeError, "model must be a Sequential MLP"),
    (lambda: rp.nn.Sequential(rp.nn.Conv2d(1, 2, 3), rp.nn.Flatten(), rp.nn.Linear(72, 10)),
     {}, ValueError, r"layer 0 \(Conv2d\) is convolutional"),
    (lambda: rp.nn.Sequential(rp.nn.Linear(64, 8), rp.nn.BatchNorm1d(8), rp.nn.Sigmoid(),
                              rp.nn.Linear(8, 10)),
     {}, ValueError, r"layer 1 \(BatchNorm1d\) has learned parameters"),
    (lambda: rp.nn.Sequential(rp.nn.Linear(64, 8), rp.nn.Sigmoid(), rp.nn.MaxPool2d(2),
                              rp.nn.Linear(8, 10)),
     {}, ValueError, r"does not go through the hidden layers: layer 2 \(MaxPool2d\)"),
    (lambda: rp.nn.Sequential(rp.nn.Linear(64, 10), rp.nn.Softmax(1)), {}, ValueError,
     "the model has 1 Linear layer; it needs a hidden layer"),
    (lambda: rp.models.mlp([64, 8, 10]), {"optimizer": "adam"}, TypeError,
     "optimizer must be a function that builds an optimizer"),
    (lambda: rp.models.mlp([64, 8, 10]), {"optimizer": lambda p: None}, TypeError,
     r"optimizer\(params\) must return an Optimizer, got NoneType"),
    (lambda: rp.models.mlp([64, 8, 10]), {"noise": 1.0}, ValueError,
     r"noise must be in \[0, 1\), got 1.0"),
    (lambda: rp.models.mlp([64, 8, 10]), {"epochs": 0}, ValueError,
     "epochs must be a positive integer, got 0"),
    (lambda: rp.models.mlp([64, 8, 10]), {"reconstruction": "bce"}, ValueError,
     "reconstruction must be one of"),
    (lambda: rp.models.mlp([64, 8, 10]), {"X": np.ones((5, 63))}, ValueError,
     r"X of shape \(5, 63\) does not go through the hidden layers: layer 0 \(Linear\)"),
    (lambda: rp.models.mlp([8, 4, 10]), {"X": np.ones((5, 8, 8))}, ValueError,
     r"X of shape \(5, 8, 8\) does not go through the hidden layers: the hidden layers give "
     r"\(1, 8, 4\), not rows of codes \(n, features\): flatten the inputs"),
    (lambda: rp.models.mlp([64, 8, 10]), {"X": np.ones(64)}, ValueError,
     r"X must be a non-empty numeric array of examples \(n, ...\), got shape \(64,\)"),
    (lambda: rp.models.mlp([64, 8, 10]), {"X": np.full((5, 64), np.nan)}, ValueError,
     "X holds 320 NaN"),
    (lambda: rp.models.mlp([64, 8, 10], activation="tanh"),
     {"X": np.full((5, 64), -2.0), "reconstruction": "cross-entropy"}, ValueError,
     r"\(layer 0\): reconstruction='cross-entropy' needs codes in \[0, 1\], got values in "
     r"\[-2, -2\]"),
    (lambda: rp.models.mlp([64, 8, 10]), {"batch_size": 0}, ValueError,
     r"^pretrain_layerwise: batch_size must be a positive integer or None, got 0"),
    (lambda: rp.models.mlp([64, 8, 10]), {"callbacks": rp.callbacks.History()}, TypeError,
     r"^pretrain_layerwise: callbacks must be a list of callbacks, got one History"),
], ids=["not-sequential", "conv", "batch-norm", "pooling", "no-hidden", "optimizer-object",
        "optimizer-result", "noise", "epochs", "reconstruction", "features", "images", "one-axis",
        "nan", "cross-entropy-range", "batch-size", "one-callback"])
def test_what_it_cannot_pretrain_is_named(model, options, error, message):
    X = options.pop("X", np.full((5, 64), 0.5))
    with pytest.raises(error, match=message):
        pretrain_layerwise(model(), X, epochs=options.pop("epochs", 1), **options)


def test_a_linear_layer_with_its_own_activation_is_a_block(images, fits):
    model = rp.nn.Sequential(rp.nn.Linear(64, 12, activation="tanh"), rp.nn.Linear(12, 10))
    before = model[0].weight.data.copy()
    pretrain_layerwise(model, images, epochs=1)
    assert len(fits) == 1 and not np.allclose(model[0].weight.data, before)


def test_callbacks_given_as_an_iterator_reach_every_layer(images):
    """``callbacks`` is read once: an iterator (a generator) reaches every layer's fit, not
    only the first one's."""
    layers = LayerLosses()
    pretrain_layerwise(rp.models.mlp([64, 8, 6, 10]), images, epochs=2,
                       callbacks=(callback for callback in [layers]))
    assert [len(losses) for losses in layers.losses] == [2, 2]


def test_the_docstring_example_runs():
    import doctest

    failures, tried = doctest.testmod(pretrain)
    assert tried > 0 and failures == 0
