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


def test_plot_history_places_validation_freq_and_initial_epoch(tmp_path, monkeypatch):
    """With validation_freq=2 the val_ lists are shorter, as Keras's: their points go to the
    epochs that validated (the plot was a ValueError, x and y of different lengths), and
    the epochs are numbered from initial_epoch + 1."""
    import matplotlib.axes

    X = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    model = nn.Linear(3, 2)
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit(X, (X[:, 0] > 0).astype(int), epochs=6, initial_epoch=1,
                          validation_split=0.25, validation_freq=2, verbose=0)
    drawn = []
    plot = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot", lambda self, x, y, **kw: (
        drawn.append((kw["label"], list(x))), plot(self, x, y, **kw))[1])
    rp.viz.plot_history(history, tmp_path / "curves.png")
    assert drawn[:2] == [("training", [2, 3, 4, 5, 6]), ("validation", [2, 4, 6])]
    with pytest.raises(ValueError, match=r"history\['val_loss'\] has 3 values for the 5 "
                                         r"epochs \[1, 2, 3, 4, 5\] .*pass the History"):
        rp.viz.plot_history(history.history, tmp_path / "curves.png")
