"""Epochs on plots are integers numbered from 1, as in the console and history.csv."""

import matplotlib

from retroprop.viz.curves import epoch_axis


def test_epoch_ticks_are_integers():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    axis.plot([1, 2, 3], [0.9, 0.5, 0.4])
    epoch_axis(axis)
    figure.canvas.draw()
    ticks = [t for t in axis.get_xticks() if 1 <= t <= 3]
    plt.close(figure)
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert axis.get_xlabel() == "epoch"
