"""Small problems shared by the search tests (importable by worker processes)."""

import time

import numpy as np
from sklearn.datasets import load_digits

import retroprop as rp


def digits(n_train=1000, n_val=500):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return (X[:n_train], y[:n_train]), (X[n_train:n_train + n_val], y[n_train:n_train + n_val])


def build(hidden=4):
    """An MLP for the 8x8 digits with ``hidden`` units."""
    return rp.models.mlp([64, hidden, 10])


def slow_build(hidden=4):
    """``build``, slowed down so that a search can be killed between trials."""
    time.sleep(0.3)
    return build(hidden)


def failing_build(hidden=4):
    if hidden == 16:
        raise RuntimeError("no 16 today")
    return build(hidden)


def run_stored_search(storage, n_trials):
    """The search the resume test kills (run as a script)."""
    (X, y), (X_val, y_val) = digits(300, 100)
    space = {"hidden": rp.tune.choice([4, 8, 16]), "lr": rp.tune.log_uniform(1e-3, 0.5)}
    rp.tune(slow_build, space, X, y, validation_data=(X_val, y_val), n_trials=n_trials,
            storage=storage, epochs=1, round_size=1, resume=False)


if __name__ == "__main__":
    import sys

    run_stored_search(sys.argv[1], int(sys.argv[2]))
