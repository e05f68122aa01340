"""Opt-in flushing of denormal floats (``rp.set_flush_denormal``)."""

import platform
import subprocess
import sys

import numpy as np
import pytest

import retroprop as rp

TINY32, TINY64 = np.float32(1e-40), np.float64(1e-310)  # denormal in each precision


SUPPORTED = sys.platform == "linux" and platform.machine().lower() in ("x86_64", "amd64")


@pytest.fixture
def flushing():
    assert rp.set_flush_denormal(True) is SUPPORTED  # elsewhere: False, nothing changes
    try:
        yield
    finally:
        rp.set_flush_denormal(False)


def test_off_by_default_in_a_new_process():
    code = ("import numpy as np, retroprop as rp; "
            "print(rp.get_flush_denormal(), np.float32(1e-40) * np.float32(1) > 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]


def test_a_denormal_times_one_becomes_zero_when_on(flushing):
    assert rp.get_flush_denormal() is SUPPORTED
    if not SUPPORTED:  # the request changed nothing
        assert TINY32 * np.float32(1) == TINY32
        return
    assert TINY32 * np.float32(1) == 0
    assert TINY64 * 1.0 == 0
    decayed = np.full(1000, 1e-30, dtype=np.float32) * np.float32(1e-10)  # a denormal result
    assert not decayed.any()
    assert np.float32(0.1) * np.float32(3) == pytest.approx(0.3)  # normal numbers untouched


def test_turning_it_off_restores_gradual_underflow(flushing):
    rp.set_flush_denormal(False)
    assert not rp.get_flush_denormal()
    assert TINY32 * np.float32(1) == TINY32
    assert np.float32(1e-30) * np.float32(1e-10) > 0


def test_momentum_of_a_dead_unit_ends_at_zero_instead_of_denormal(flushing):
    weight = rp.nn.Parameter(np.ones(4, dtype=np.float32))
    optimizer = rp.optim.SGD([weight], lr=0.1, momentum=0.5)
    weight.grad = np.full(4, 1e-30, dtype=np.float32)
    optimizer.step()
    for _ in range(40):  # the unit is dead: zero gradient, the buffer halves every step
        weight.grad = np.zeros(4, dtype=np.float32)
        optimizer.step()
    buffer = optimizer.state[weight]["momentum_buffer"]
    assert not buffer.any() if SUPPORTED else buffer.all()  # else still denormal


def test_mode_must_be_a_bool():
    with pytest.raises(TypeError, match="mode must be True or False, got 1"):
        rp.set_flush_denormal(1)
