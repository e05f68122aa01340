"""Learning curves: loss and metrics per epoch, training against validation."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from retroprop._optional import pyplot
from retroprop.callbacks.history import History


def curve_names(history: Mapping[str, Sequence[float]]) -> list[str]:
    """The quantities with a training curve: loss and metrics, not their ``val_`` twins, the
    rate, or per-layer values such as ``grad_norm/0.weight``."""
    return [k for k in history if "/" not in k and not k.startswith("val_") and k != "lr"]


def epoch_axis(axis: Any) -> None:
    """Label the x axis "epoch", with integer ticks (epochs 1, 2, ... as the console and
    ``history.csv`` number them)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_history(history: History | Mapping[str, Sequence[float]],
                 path: str | os.PathLike[str], title: str = "Learning curves") -> None:
    """Save a PNG with one panel per quantity (loss, then each metric), each showing the
    training curve and, if present, the validation curve, against epochs numbered from 1
    (integer ticks). ``history`` is what ``Trainer.fit`` returns or its ``.history``
    dictionary; the History's own epoch numbers (``fit``'s ``initial_epoch``) and the
    epochs it validated (``validation_freq``, where its ``val_`` lists are shorter, as
    Keras's) place the points, and a dictionary must have a value every epoch."""
    plt = pyplot()

    epochs: Sequence[int] | None = None
    frequency = 1
    if isinstance(history, History):
        epochs = [epoch + 1 for epoch in history.epoch]
        frequency = getattr(history, "params", {}).get("validation_freq", 1)
        history = history.history
    names = curve_names(history)
    if not names:
        raise ValueError("plot_history: the history holds no curves")
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        numbers = epochs or range(1, len(history[name]) + 1)
        axis.plot(numbers, history[name], marker="o", label="training")
        if f"val_{name}" in history:
            validated = [epoch for epoch in numbers if epoch % frequency == 0]
            if len(validated) != len(history[f"val_{name}"]):
                raise ValueError(f"plot_history: history['val_{name}'] has "
                                 f"{len(history[f'val_{name}'])} values for the "
                                 f"{len(validated)} epochs {list(validated)[:10]} (fit's "
                                 f"validation_freq?): pass the History that fit returned")
            axis.plot(validated, history[f"val_{name}"], marker="s", label="validation")
        epoch_axis(axis)
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
