"""The lectures' claims about generalization and deep networks, on real data."""

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def deep_sigmoid(batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(8):
        layers.append(nn.Linear(64, 64))
        if batch_norm:
            layers.append(nn.BatchNorm1d(64))
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers, nn.Linear(64, 10))


def test_batch_norm_lets_a_deep_sigmoid_network_train(digits_flat):
    """Seed 003: normalization layers against vanishing gradients."""
    X, y = digits_flat
    losses = {}
    for batch_norm in (False, True):
        rp.manual_seed(0)
        model = deep_sigmoid(batch_norm)
        trainer = rp.Trainer(model, nn.CrossEntropyLoss(),
                             rp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        losses[batch_norm] = trainer.fit(X, y, epochs=5, batch_size=32,
                                         verbose=0).history["loss"][-1]
    assert losses[False] > 2.0  # stalls near log(10) = 2.30: predicts the class prior
    assert losses[True] < 0.5


def test_multi_task_learning_trains_both_heads(digits_flat):
    """Seed 003: one shared trunk, a classification head and a regression head."""
    X, y = digits_flat
    ink = X.mean(axis=1, keepdims=True) * 10  # a second task: how much ink the digit has
    model = nn.MultiTask(nn.Linear(64, 32, activation="relu"), nn.Linear(32, 10),
                         nn.Linear(32, 1))
    loss = nn.MultiTaskLoss([nn.CrossEntropyLoss(), nn.MSELoss()], output_sizes=[10, 1],
                            weights=[1.0, 0.5])
    trainer = rp.Trainer(model, loss, rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    history = trainer.fit(X, np.column_stack([y, ink]), epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    out = trainer.predict(X)
    assert np.mean(out[:, :10].argmax(1) == y) > 0.95
    assert np.mean((out[:, 10:] - ink) ** 2) < 0.3 * ink.var()  # explains most of the variance
    with pytest.raises(ValueError, match="expected 11 output and 2 target columns"):
        loss(rp.Tensor(np.zeros((3, 11))), np.zeros((3, 3)))


def test_geometric_mean_of_seed_001():
    a = np.array([[0.3, 0.2, 0.5]])
    b = np.array([[0.1, 0.8, 0.1]])
    expected = np.sqrt([0.03, 0.16, 0.05]) / np.sqrt([0.03, 0.16, 0.05]).sum()
    np.testing.assert_allclose(rp.ensemble.combine([a, b], "geometric"), [expected])
    np.testing.assert_allclose(rp.ensemble.combine([a, b]), [[0.2, 0.5, 0.3]])
    with pytest.raises(ValueError, match="zero models"):
        rp.ensemble.combine([])
