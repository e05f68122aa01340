"""Warnings point at the user's line, and common silent mistakes are warned about."""

import warnings

import numpy as np
import pytest

import retroprop as rp


def test_cross_entropy_of_softmax_probabilities_warns_at_the_users_line():
    model = rp.nn.Sequential(rp.nn.Linear(3, 4), rp.nn.Softmax(1))
    with pytest.warns(UserWarning, match="remove the Softmax layer") as caught:
        rp.nn.CrossEntropyLoss()(model(np.ones((5, 3), dtype=np.float32)), np.zeros(5, int))
    assert caught[0].filename == __file__


def test_cross_entropy_of_logits_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logits = rp.Tensor(np.random.default_rng(0).normal(size=(5, 4)))
        rp.nn.CrossEntropyLoss()(logits, np.zeros(5, int))
        rp.nn.CrossEntropyLoss()(rp.Tensor(np.full((5, 4), 0.25)) - 1, np.zeros(5, int))


def test_a_warning_raised_deep_in_fit_points_at_the_fit_call():
    X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = rp.nn.Sequential(rp.nn.Linear(2, 4), rp.nn.Tanh(), rp.nn.Linear(4, 2))
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    monitor = rp.callbacks.GradientMonitor(exploding=1e-9)  # every gradient "explodes"
    with pytest.warns(RuntimeWarning, match="exploding gradients") as caught:
        trainer.fit(X, y, epochs=1, batch_size=8, verbose=0, callbacks=[monitor])
    assert caught[0].filename == __file__


def test_user_stacklevel_counts_library_frames():
    from retroprop.stacklevel import user_stacklevel

    assert user_stacklevel() == 1  # called from outside the library: this very line


def test_a_loss_class_instead_of_an_instance_is_named_briefly():
    model = rp.nn.Linear(3, 2)
    outputs = model(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"loss=CrossEntropyLoss\(\), not the class") as error:
        rp.nn.CrossEntropyLoss(outputs, np.zeros(4, int))  # the class called as a loss
    assert len(str(error.value)) < 300 and "Tensor(" not in str(error.value)
    with pytest.raises(TypeError, match=r"CrossEntropyLoss\(\), not the class"):
        rp.Trainer(model, rp.nn.CrossEntropyLoss, rp.optim.SGD(model.parameters()))


def test_counts_of_any_integral_type():
    from retroprop.checks import check_count

    assert check_count(np.int64(2), "fit: epochs") == 2
    assert type(check_count(np.int32(3), "f: e")) is int
    with pytest.raises(ValueError, match=r"fit: epochs must be a positive integer, got True"):
        check_count(True, "fit: epochs")
    with pytest.raises(ValueError, match=r"fit: batch_size must be a positive integer, got 2\.5"):
        check_count(2.5, "fit: batch_size")
    with pytest.raises(ValueError, match=r"fit: epochs must be an integer >= 0, got -1"):
        check_count(-1, "fit: epochs", 0)
