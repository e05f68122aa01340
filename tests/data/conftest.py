import pytest

import retroprop as rp


@pytest.fixture(scope="session")
def digits_flat():
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM), y
