"""Data files split into train and test: both sides are never empty."""

import numpy as np
import pytest

import retroprop as rp


@pytest.fixture
def npz(tmp_path):
    path = tmp_path / "xy.npz"
    np.savez(path, X=np.arange(20.0).reshape(10, 2), y=np.arange(10) % 2)
    return path


@pytest.mark.parametrize("test_size, sizes", [(0.2, (8, 2)), (0.01, (9, 1)), (0.99, (1, 9))])
def test_the_split_keeps_a_row_on_each_side(npz, test_size, sizes):
    (X, _), (X_test, _) = rp.datasets.load_npz(npz, test_size=test_size)
    assert (len(X), len(X_test)) == sizes


@pytest.mark.parametrize("test_size", [0, 1.0, 1.5, -0.5, "0.2", True])
def test_a_test_size_outside_0_1_is_refused(npz, test_size):
    with pytest.raises(ValueError, match=rf"xy.npz: test_size must be in \(0, 1\), got "
                                         rf"{test_size!r}"):
        rp.datasets.load_npz(npz, test_size=test_size)
