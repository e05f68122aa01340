"""Sample mean and variance of each initializer match its formula (seeds 002, 003)."""

import math

import numpy as np
import pytest

import retroprop as rp

FAN_OUT, FAN_IN = 400, 600  # a weight of shape (out, in)
N = FAN_OUT * FAN_IN

EXPECTED_VARIANCE = {
    "lecun_normal": 1 / FAN_IN,
    "lecun_uniform": 1 / FAN_IN,
    "glorot_normal": 2 / (FAN_IN + FAN_OUT),
    "glorot_uniform": 2 / (FAN_IN + FAN_OUT),
    "he_normal": 2 / FAN_IN,
    "he_uniform": 2 / FAN_IN,
    "pytorch": 1 / (3 * FAN_IN),  # PyTorch's U(±1/√fan_in), Linear's default
}


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
def test_variance_formula(name):
    w = rp.init.get(name)((FAN_OUT, FAN_IN), np.float64)
    variance = EXPECTED_VARIANCE[name]
    # Standard error of the mean is sqrt(var/N); of the variance about var*sqrt(2/N) (5 sigma).
    assert abs(w.mean()) < 5 * math.sqrt(variance / N)
    assert abs(w.var() - variance) < 5 * variance * math.sqrt(2 / N)


def test_uniform_bounds_follow_the_seed():
    w = rp.init.glorot_uniform()((FAN_OUT, FAN_IN))
    assert np.abs(w).max() <= math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(rp.init.uniform(0.05)((100,))).max() <= 0.05


def test_normal_and_constant():
    w = rp.init.normal(std=0.1)((1000, 1000), np.float64)
    assert abs(w.std() - 0.1) < 0.001
    np.testing.assert_array_equal(rp.init.constant(0.5)((2, 2)), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(rp.init.zeros()((3,)), np.zeros(3))
    with pytest.raises(ValueError, match="std must be a positive"):
        rp.init.normal(std=-1)


def test_conv_shaped_fans():
    assert rp.init.fans((16, 6, 5, 5)) == (6 * 25, 16 * 25)
    assert rp.init.fans((10, 20)) == (20, 10)


@pytest.mark.parametrize("name", sorted(rp.init.INITIALIZERS))
def test_a_layer_with_any_named_initializer_pickles_and_copies(name):
    """Models pickle (multiprocessing, copy) whatever their initializer; retroprop itself
    never loads pickles from files."""
    import copy
    import pickle

    layer = rp.nn.Linear(3, 2, init=name)
    for twin in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        np.testing.assert_array_equal(twin.weight.data, layer.weight.data)
        assert repr(twin.init) == repr(layer.init)
        twin.reset_parameters()  # the copied initializer still draws
        assert twin.weight.shape == (2, 3)
