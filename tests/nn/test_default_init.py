"""Linear and Conv2d start as PyTorch's do (weight and bias from U(-1/√fan_in, 1/√fan_in));
every other initializer leaves the bias at zero (Berzal, "Backpropagation" (Granada));
saved models keep the weights they were saved with, whatever default drew them."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

import retroprop as rp
from retroprop import nn

FIXTURE = Path(__file__).parents[1] / "fixtures" / "model_format_v1.rpz"
LAYERS = 300

#: (retroprop layer, PyTorch layer, fan-in of the weight)
KINDS = {
    "linear": (lambda: nn.Linear(150, 20), lambda: torch.nn.Linear(150, 20), 150),
    "conv2d": (lambda: nn.Conv2d(6, 8, 5, groups=2), lambda: torch.nn.Conv2d(6, 8, 5, groups=2),
               3 * 5 * 5),
}


def drawn(make, count=LAYERS):
    """The weights and the biases of ``count`` new layers (retroprop's or torch's), each
    pooled into one float64 vector."""
    layers = [make() for _ in range(count)]
    return tuple(np.concatenate([np.asarray(getattr(layer, name).data, np.float64).ravel()
                                 for layer in layers]) for name in ("weight", "bias"))


def assert_uniform(values, bound):
    """``values`` look drawn from U(-bound, bound): inside it, reaching near its ends, with
    mean 0 and variance bound²/3 within 5 standard errors (Var[x²] = 4 bound⁴/45)."""
    n = len(values)
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > bound * (1 - 20 / n)
    variance = bound ** 2 / 3
    assert abs(values.mean()) < 5 * math.sqrt(variance / n)
    assert abs(values.var() - variance) < 5 * math.sqrt(4 * bound ** 4 / 45 / n)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_default_draws_weight_and_bias_as_pytorch(kind):
    ours, theirs, fan_in = KINDS[kind]
    rp.manual_seed(0)
    torch.manual_seed(0)
    weights, biases = drawn(ours)
    with torch.no_grad():
        torch_weights, torch_biases = drawn(theirs)
    bound = 1 / math.sqrt(fan_in)
    for values in (weights, biases, torch_weights, torch_biases):
        assert_uniform(values, bound)
    # The same distribution as torch's layers, sample against sample.
    assert stats.ks_2samp(weights, torch_weights).pvalue > 1e-3
    assert stats.ks_2samp(biases, torch_biases).pvalue > 1e-3
    layer = ours()
    assert layer.init.__name__ == "pytorch" and layer.get_config()["init"] == "pytorch"
    assert layer.weight.dtype == layer.bias.dtype == np.float32


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_reset_parameters_draws_again_by_the_same_rule(kind):
    layer = KINDS[kind][0]()
    bound = 1 / math.sqrt(KINDS[kind][2])
    before = layer.weight.data.copy(), layer.bias.data.copy()
    layer.reset_parameters()
    assert not np.array_equal(layer.weight.data, before[0])
    assert not np.array_equal(layer.bias.data, before[1])
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound


@pytest.mark.parametrize("name", sorted(set(rp.init.INITIALIZERS) - {"pytorch", "zeros"}))
def test_every_other_initializer_leaves_the_bias_at_zero(name):
    linear = nn.Linear(30, 7, init=name)
    conv = nn.Conv2d(2, 4, 3, init=name)
    for layer in (linear, conv):
        assert np.abs(layer.weight.data).max() > 0
        np.testing.assert_array_equal(layer.bias.data, np.zeros(layer.bias.shape))
        layer.bias.data[...] = 1
        layer.reset_parameters()
        np.testing.assert_array_equal(layer.bias.data, np.zeros(layer.bias.shape))


def test_lecun_uniform_is_the_old_rule():
    """init="lecun_uniform" gives Berzal's LeCun rule, U(±√(3/fan_in)), variance 1/fan_in."""
    rp.manual_seed(1)
    weights = np.concatenate([nn.Linear(150, 20, init="lecun_uniform").weight.data.ravel()
                              for _ in range(LAYERS)]).astype(np.float64)
    assert_uniform(weights, math.sqrt(3 / 150))


def test_an_initializer_with_a_bias_method_draws_the_bias():
    class Ones:
        def __call__(self, shape, dtype=None):
            return np.ones(shape, dtype)

        def bias(self, weight_shape, dtype=None):
            return np.full(weight_shape[0], 0.5, dtype)

    layer = nn.Linear(3, 2, init=Ones(), dtype=np.float64)
    np.testing.assert_array_equal(layer.bias.data, [0.5, 0.5])

    class Wrong(Ones):
        def bias(self, weight_shape, dtype=None):
            return np.zeros(weight_shape, dtype)

    with pytest.raises(ValueError, match=r"bias method gave shape \(2, 3\) for a weight of "
                                         r"shape \(2, 3\); expected \(2,\)"):
        nn.Linear(3, 2, init=Wrong())


def parameters(model):
    return {name: param.data.copy() for name, param in model.named_parameters()}


def test_a_saved_model_keeps_its_drawn_biases(tmp_path):
    rp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    assert np.abs(model[3].bias.data).max() > 0
    rp.save(model, tmp_path / "m.rpz")
    for seed in (0, 1):  # the seed at load time must not matter
        rp.manual_seed(seed)
        loaded = rp.load(tmp_path / "m.rpz")
        saved = parameters(model)
        for name, value in parameters(loaded).items():
            np.testing.assert_array_equal(value, saved[name])
        assert loaded[3].get_config()["init"] == "pytorch"
        assert loaded[0].get_config() == model[0].get_config()


def test_files_of_the_old_default_load_their_own_weights():
    """tests/fixtures/model_format_v1.rpz was written when Linear defaulted to
    lecun_uniform with zero biases (its header says so): it loads as lecun_uniform layers
    holding the stored weights, whatever the seed."""
    with np.load(FIXTURE) as archive:
        stored = {name: archive[name] for name in archive.files}
    header = json.loads(stored["__retroprop__"].tobytes())
    layers = [entry["__module__"] for entry in header["architecture"]["args"]["modules"]]
    assert [layer["args"].get("init") for layer in layers if "Linear" in layer["class"]] == \
        ["lecun_uniform", "lecun_uniform"]
    loaded = []
    for seed in (0, 1):
        rp.manual_seed(seed)
        model = rp.load(FIXTURE)
        assert model[0].init.__name__ == model[2].init.__name__ == "lecun_uniform"
        for name, value in parameters(model).items():
            np.testing.assert_array_equal(value, stored[f"model/{name}"])
        loaded.append(model.eval()(np.ones((2, 3), np.float32)).data)
    np.testing.assert_array_equal(*loaded)
