"""Learning curves from what ``Trainer.fit`` returns."""

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


@pytest.fixture(scope="module")
def history():
    rp.manual_seed(0)
    X = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    model = nn.Sequential(nn.Linear(3, 2))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.1),
                         metrics=["accuracy"])
    return trainer.fit(X, (X[:, 0] > 0).astype(int), epochs=1, validation_split=0.25,
                       verbose=0)


@pytest.mark.parametrize("given", ["History", "dict"])
def test_plot_history_takes_the_history_or_its_dictionary(history, tmp_path, given):
    """``plot_history(trainer.fit(...))`` draws (it was TypeError: 'History' object is not
    iterable), as does the dictionary, with one epoch."""
    rp.viz.plot_history(history if given == "History" else history.history,
                        tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_plot_history_with_nan_and_infinite_losses(tmp_path):
    rp.viz.plot_history({"loss": [1.0, float("nan"), float("inf")],
                         "val_loss": [1.0, 2.0, float("nan")]}, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
