"""PyTorch's in-place initializers, ``rp.nn.init.kaiming_normal_(layer.weight)``: the same
distributions as ``torch.nn.init`` (moments against the formula and a two-sample test
against torch's own draws), in place, in the array's own memory order."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

import retroprop as rp
from retroprop import nn
from retroprop.nn import init

SHAPE = (120, 40, 3, 3)  # a convolution's weight: fan_in 360, fan_out 1080

# name: (retroprop call, torch call) with the same arguments
CASES = {
    "uniform_": (lambda t: init.uniform_(t, -0.3, 0.7),
                 lambda t: torch.nn.init.uniform_(t, -0.3, 0.7)),
    "normal_": (lambda t: init.normal_(t, 0.5, 0.2), lambda t: torch.nn.init.normal_(t, 0.5, 0.2)),
    "trunc_normal_": (lambda t: init.trunc_normal_(t, 0.1, 1.0, -0.5, 1.5),
                      lambda t: torch.nn.init.trunc_normal_(t, 0.1, 1.0, -0.5, 1.5)),
    "xavier_uniform_": (lambda t: init.xavier_uniform_(t, gain=2.0),
                        lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0)),
    "xavier_normal_": (init.xavier_normal_, torch.nn.init.xavier_normal_),
    "kaiming_uniform_": (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_),
    "kaiming_uniform_sqrt5": (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)),
                              lambda t: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    "kaiming_normal_fan_out": (
        lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
        lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
    "kaiming_normal_tanh": (lambda t: init.kaiming_normal_(t, nonlinearity="tanh"),
                            lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="tanh")),
    "orthogonal_": (lambda t: init.orthogonal_(t, gain=1.5),
                    lambda t: torch.nn.init.orthogonal_(t, gain=1.5)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_draws_have_torchs_distribution(name):
    ours, theirs = CASES[name]
    rp.manual_seed(0)
    torch.manual_seed(0)
    weight = rp.Tensor(np.zeros(SHAPE))
    assert ours(weight) is weight
    reference = theirs(torch.zeros(SHAPE, dtype=torch.float64)).numpy()
    assert weight.data.std() == pytest.approx(reference.std(), rel=0.02)
    assert weight.data.mean() == pytest.approx(reference.mean(), abs=0.01 * reference.std())
    if "uniform" in name or "trunc" in name:  # the same bounds
        assert weight.data.min() >= reference.min() - 0.01 * reference.std()
        assert weight.data.max() <= reference.max() + 0.01 * reference.std()
    assert stats.ks_2samp(weight.data.ravel()[:20000], reference.ravel()[:20000]).pvalue > 1e-3


def test_orthogonal_rows_are_orthonormal_times_the_gain():
    weight = init.orthogonal_(np.zeros((6, 4, 2)), gain=2.0).reshape(6, 8)
    np.testing.assert_allclose(weight @ weight.T, 4.0 * np.eye(6), atol=1e-12)
    tall = init.orthogonal_(np.zeros((9, 3)))
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, 6.0, 7.0), (0.0, 1.0, -41.0, -40.0), (0.0, 1.0, 5.0, 5.01),
    (1.0, 0.5, 0.0, math.inf), (0.0, 1.0, -math.inf, -4.0)])
def test_trunc_normal_draws_intervals_far_in_a_tail(mean, std, a, b):
    # a normal draw lands in [6, 7] once in 10⁹: drawing again until all are inside hung
    rp.manual_seed(0)
    values = init.trunc_normal_(np.zeros(20000), mean, std, a, b)
    assert a <= values.min() and values.max() <= b
    truncated = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert stats.kstest(values, truncated.cdf).pvalue > 1e-3


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu", None)])
def test_calculate_gain_is_torchs(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_fills_in_place_keeping_memory_order_dtype_and_counting_a_version():
    layer = nn.Linear(5, 3)
    weight, before = layer.weight, layer.weight._version
    array = weight.data
    init.kaiming_normal_(weight, nonlinearity="relu")
    assert weight.data is array and array.flags.f_contiguous and array.dtype == np.float32
    assert weight._version == before + 1
    init.zeros_(layer.bias)
    np.testing.assert_array_equal(layer.bias.data, 0.0)
    init.constant_(layer.bias, 0.25)
    np.testing.assert_array_equal(layer.bias.data, 0.25)
    init.ones_(layer.bias)
    np.testing.assert_array_equal(layer.bias.data, 1.0)
    init.eye_(weight)
    np.testing.assert_array_equal(weight.data, np.eye(3, 5))


def test_model_apply_with_a_pytorch_init_function_trains():
    def init_weights(module):
        if isinstance(module, nn.Linear):
            init.xavier_uniform_(module.weight)
            init.zeros_(module.bias)

    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    model.apply(init_weights)
    assert all((m.bias.data == 0).all() for m in model if isinstance(m, nn.Linear))
    X = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = X @ np.array([1.0, -1.0, 0.5, 0.0], np.float32)
    history = rp.Trainer(model, nn.MSELoss(), rp.optim.Adam(model.parameters(), lr=0.01)).fit(
        X, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_draws_follow_manual_seed():
    rp.manual_seed(3)
    first = init.normal_(np.zeros(5)).copy()
    rp.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(np.zeros(5)), first)


@pytest.mark.parametrize("call, error, message", [
    (lambda: init.xavier_uniform_(np.zeros(3)), ValueError,
     r"xavier_uniform_: fan in and fan out cannot be computed for a tensor of shape \(3,\)"),
    (lambda: init.kaiming_normal_(np.zeros((2, 2)), mode="fan"), ValueError,
     "kaiming_normal_: mode must be 'fan_in' or 'fan_out', got 'fan'"),
    (lambda: init.kaiming_uniform_(np.zeros((2, 0))), ValueError, "has fan_in 0"),
    (lambda: init.calculate_gain("swish"), ValueError, "unsupported nonlinearity 'swish'"),
    (lambda: init.calculate_gain("leaky_relu", "0.1"), ValueError,
     "negative_slope '0.1' is not a valid number"),
    (lambda: init.normal_(np.zeros(3, dtype=np.int64)), TypeError,
     "normal_: expected a floating-point Tensor or array to fill in place, got ndarray of "
     "dtype int64"),
    (lambda: init.uniform_([0.0, 1.0]), TypeError, "got list"),
    (lambda: init.uniform_(np.zeros(3), 1.0, 0.0), ValueError,
     "uniform_: needs finite bounds a <= b, got a=1.0, b=0.0"),
    (lambda: init.uniform_(np.zeros(3), 0.0, math.inf), ValueError, "b=inf"),
    (lambda: init.normal_(np.zeros(3), std=-1.0), ValueError,
     "normal_: std must be a finite number >= 0, got -1.0"),
    (lambda: init.xavier_normal_(np.zeros((3, 3)), gain=-1.0), ValueError,
     "normal_: std must be a finite number >= 0"),
    (lambda: init.trunc_normal_(np.zeros(3), a=1.0, b=1.0), ValueError, "needs a < b"),
    (lambda: init.trunc_normal_(np.zeros(3), std=-1.0), ValueError,
     r"trunc_normal_: needs a finite mean and a positive finite std, got mean=0.0, std=-1.0"),
    (lambda: init.trunc_normal_(np.zeros(3), mean=5.0, std=0.0), ValueError, "std=0.0"),
    (lambda: init.eye_(np.zeros((2, 2, 2))), ValueError, "eye_: needs a matrix"),
    (lambda: init.orthogonal_(np.zeros(4)), ValueError, "at least 2 dimensions"),
    # a layer's init: a function that fills a tensor, or a factory, called with the shape
    (lambda: nn.Linear(3, 2, init=init.kaiming_normal_), TypeError,
     r"init: kaiming_normal_ fills an existing tensor in place: call "
     r"kaiming_normal_\(layer.weight\) after building the layer"),
    (lambda: nn.Conv2d(1, 2, 3, init=init.he_normal), TypeError,
     r"init: he_normal makes an initializer: pass he_normal\(\) or the name 'he_normal'"),
    # (these said "constant() takes 1 positional argument but 2 were given" and alike)
    (lambda: nn.Linear(3, 2, init=init.constant), TypeError,
     r"init: constant makes an initializer: pass constant\(value\)"),
    (lambda: nn.Linear(3, 2, init=init.Constant), TypeError,
     r"init: Constant is a class: pass an initializer made from it, such as Constant\(...\)"),
    (lambda: nn.Linear(3, 2, init=init.PyTorchDefault), TypeError,
     r"init: PyTorchDefault is a class"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
