import numpy as np
import pytest

import retroprop as rp


@pytest.fixture(scope="session")
def digits():
    (X, y), (X_test, y_test) = rp.datasets.load_digits()
    flat = lambda a: rp.datasets.scale(a, rp.datasets.DIGITS_MAXIMUM).reshape(len(a), -1)  # noqa: E731
    return flat(X), y, flat(X_test), y_test


def make_trainer(lr=0.1, momentum=0.9, sizes=(64, 32, 10), **kwargs):
    model = rp.models.mlp(sizes)
    optimizer = rp.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer, **kwargs)


def weights(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def same_weights(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def diverging(X, y):
    """A linear model on MSE with a learning rate far too large: the weights grow
    geometrically until the loss overflows to inf and NaN."""
    model = rp.models.mlp([X.shape[1], 10])
    trainer = rp.Trainer(model, rp.nn.MSELoss(), rp.optim.SGD(model.parameters(), lr=10.0))
    return trainer, X * 10, np.eye(10, dtype=np.float32)[y]
