"""Seed 001 and 003: on a small overfitting setup (Fashion-MNIST, 1000 training images, a
wide tanh MLP), dropout, L2 and early stopping each lower the test error of the
unregularized run with the same seed."""

import pytest

import retroprop as rp


@pytest.fixture(scope="module")
def small_fashion():
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist(download=False)
    flat = lambda a: rp.datasets.scale(a).reshape(len(a), -1)  # noqa: E731
    return (flat(X[:1000]), y[:1000], flat(X[1000:2000]), y[1000:2000], flat(X_test), y_test)


def heldout_error(data, dropout=0.0, l2=0.0, early_stopping=False):
    X, y, X_val, y_val, X_test, y_test = data
    rp.manual_seed(0)
    model = rp.nn.regularize(rp.models.mlp([784, 512, 512, 10], activation="tanh",
                                           dropout=dropout), l2=l2)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(),
                                                                       lr=0.05))
    callbacks = [rp.callbacks.EarlyStopping(patience=5)] if early_stopping else []
    trainer.fit(X, y, epochs=60, batch_size=64, verbose=0, callbacks=callbacks,
                validation_data=(X_val, y_val) if early_stopping else None)
    return 1 - trainer.evaluate(X_test, y_test)["accuracy"]


def test_each_regularizer_lowers_the_test_error(small_fashion):
    plain = heldout_error(small_fashion)
    errors = {"dropout": heldout_error(small_fashion, dropout=0.5),
              "l2": heldout_error(small_fashion, l2=1e-2),
              "early stopping": heldout_error(small_fashion, early_stopping=True)}
    for name, error in errors.items():
        assert error < plain, (name, error, plain)
