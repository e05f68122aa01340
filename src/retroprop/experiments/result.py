"""What every experiment returns: a table to print and curves to draw."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retroprop._optional import pyplot
from retroprop.checks import check_count, check_lr
from retroprop.tensor.tensor import Tensor


@dataclass
class Panel:
    """One picture: named curves (x, y), axis labels, optional log scale, and ``draw``, a
    function given the matplotlib axis for what curves cannot show (contour lines,
    images, arrows); it runs before the curves are drawn."""

    title: str
    curves: dict[str, tuple[Sequence[float], Sequence[float]]] = field(default_factory=dict)
    xlabel: str = "epoch"
    ylabel: str = ""
    log_y: bool = False
    draw: Callable[[Any], object] | None = None


@dataclass
class ExperimentResult:
    """A lecture experiment's outcome: ``table()`` as text, ``plot(path)`` as a PNG."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    panels: list[Panel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[Any, Any] = field(default_factory=dict)

    def table(self) -> str:
        """The rows under the column names, each column as wide as its widest cell; then
        the notes. A row must have one cell per column."""
        for number, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"ExperimentResult {self.name!r}: row {number} has {len(row)} "
                                 f"cells, the table has {len(self.columns)} columns "
                                 f"{self.columns}")
        cells = [[_cell(v) for v in row] for row in self.rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)])
                  for i, c in enumerate(self.columns)]
        lines = [self.name, "  ".join(c.ljust(w) for c, w in zip(self.columns, widths,
                                                                  strict=True)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
                  for row in cells]
        return "\n".join(lines + self.notes)

    def plot(self, path: str | os.PathLike[str]) -> None:
        plt = pyplot()

        panels = self.panels or [Panel(self.name)]
        columns = min(len(panels), 3)
        rows = -(-len(panels) // columns)
        figure, axes = plt.subplots(rows, columns, figsize=(5.5 * columns, 4.2 * rows),
                                    squeeze=False)
        for axis in axes.flat[len(panels):]:
            axis.set_visible(False)
        for axis, panel in zip(axes.flat, panels, strict=False):
            if panel.draw is not None:
                panel.draw(axis)
            for label, (x, y) in panel.curves.items():
                axis.plot(x, y, marker="." if len(x) < 60 else None, label=label)
            axis.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
            if panel.log_y:
                axis.set_yscale("log")
            if not axis.images:
                axis.grid(alpha=0.3)
            if axis.get_legend_handles_labels()[0]:
                axis.legend(fontsize=8)
        figure.suptitle(self.name)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)


def check_positive(where: str, **values: float) -> None:
    """Experiment parameters that are amounts (rates, noise levels, tolerances) must be
    positive finite real numbers: say which one is not."""
    for name, value in values.items():
        check_lr(value, f"{where}: {name}")


def check_counts(where: str, minimum: int = 1, **values: int) -> None:
    """Experiment parameters that count (epochs, steps, units, examples) must be integers
    (Python's or NumPy's, not bools, not 2.0) of at least ``minimum``: say which is not."""
    for name, value in values.items():
        check_count(value, f"{where}: {name}", minimum)


def check_count_list(where: str, name: str, values: Sequence[int], minimum: int = 1,
                     maximum: int | None = None) -> tuple[int, ...]:
    """A non-empty sequence of counts in [``minimum``, ``maximum``] (the degrees, widths or
    components that an experiment compares), returned as Python ints; an error saying which
    one is not."""
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray) \
            or len(values) == 0:
        raise ValueError(f"{where}: {name} must be a non-empty sequence of integers, got "
                         f"{values!r}")
    for i, value in enumerate(values):
        check_count(value, f"{where}: {name}[{i}]", minimum)
        if maximum is not None and value > maximum:
            raise ValueError(f"{where}: {name}[{i}] must be an integer in [{minimum}, "
                             f"{maximum}], got {value!r}")
    return tuple(int(value) for value in values)


def grad_of(tensor: Tensor) -> np.ndarray:
    """The gradient ``backward()`` left on ``tensor``; an error if it has none."""
    if tensor.grad is None:
        raise RuntimeError(f"no gradient on the tensor of shape {tensor.shape}: backward() "
                           "did not reach it")
    return tensor.grad


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
