"""The perceptron: which problems it learns, and its rule seen in weight space (Berzal,
"Backpropagation" (Granada), section "Perceptrones")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retroprop.experiments.result import ExperimentResult, Panel, check_counts
from retroprop.models.perceptron import Perceptron, with_bias_input

GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0], "EQ": [1, 0, 0, 1]}
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
# One input x1 and the bias input +1: weight space is the plane (b, w1). Class 1 below 1.5.
LINE_INPUTS = np.array([[0.5], [1.0], [2.0], [3.0]])
LINE_TARGETS = np.array([1, 1, 0, 0])


@dataclass
class RuleRun:
    """The weights after every change (``path[0]`` is the start), the mistakes of each
    epoch, and whether an epoch ended without a mistake."""

    path: np.ndarray
    mistakes: list[int]
    converged: bool


def add_or_subtract(X: np.ndarray, targets: np.ndarray, max_epochs: int = 50,
                    start: np.ndarray | None = None) -> RuleRun:
    """The perceptron rule with 0/1 outputs, as Berzal's slide "Algoritmo de aprendizaje"
    states it, on x = [+1, x_1, ..., x_m]:

        y = 1 if wᵀx >= 0 else 0;   w ← w + x if y wrongly 0,   w ← w - x if y wrongly 1

    that is w ← w + (t - y) x. Haykin's Table 1.1 (``rp.models.Perceptron``) writes the same
    rule with ±1 outputs, w ← w + η (d - y) x: with η = 1/2 its steps are the same ±x.

    Parameters
    ----------
    X : array (n, m)
    targets : array (n,) of 0 and 1
    max_epochs : int
    start : array (m + 1,), optional
        The first weights [b, w_1, ..., w_m] (zeros by default).

    Examples
    --------
    >>> run = add_or_subtract(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 0, 0, 1]))
    >>> run.converged, run.path[-1].tolist()
    (True, [-3.0, 2.0, 1.0])
    """
    inputs = with_bias_input(X)
    targets = np.asarray(targets)
    if targets.shape != (len(inputs),) or not np.isin(targets, (0, 1)).all():
        raise ValueError(f"add_or_subtract: targets must hold 0 or 1 for each of the "
                         f"{len(inputs)} examples, got {targets.tolist()}")
    weights = np.zeros(inputs.shape[1]) if start is None else np.array(start, dtype=float)
    path, mistakes = [weights.copy()], []
    for _ in range(max_epochs):
        errors = 0
        for x, target in zip(inputs, targets, strict=True):
            output = int(weights @ x >= 0)
            if output != target:
                weights = weights + (target - output) * x  # add or subtract the input
                path.append(weights.copy())
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            return RuleRun(np.array(path), mistakes, True)
    return RuleRun(np.array(path), mistakes, False)


def perceptron(max_epochs: int = 50) -> ExperimentResult:
    """Berzal, "Backpropagation" (Granada), section "Perceptrones".

    The table: the perceptron convergence algorithm (Haykin's ±1 form and the slide's
    0/1 "add or subtract the input" form) finds separating weights for AND and OR and
    never settles on XOR and EQ ("Limitaciones").

    The figure, "Interpretación geométrica": in weight space (here (b, w1): one input and
    the bias) each training case is a line through the origin perpendicular to its input
    vector [+1, x1]; the weights must lie on its good side (the arrow). The feasible
    solutions form a cone with its apex at the origin (shaded), and each step of the rule
    adds or subtracts an input, crossing a case's line, until the weights enter the cone.
    Then the mistakes of every epoch for the four gates, and the lines learned for AND
    and OR in data space.
    """
    check_counts("perceptron", max_epochs=max_epochs)
    rows, converged, runs = [], {}, {}
    for name, targets in GATES.items():
        model = Perceptron(max_epochs=max_epochs).fit(GATE_INPUTS, 2 * np.array(targets) - 1)
        run = add_or_subtract(GATE_INPUTS, np.array(targets), max_epochs)
        converged[name], runs[name] = model.result_.converged, run
        rows.append([name, model.result_.converged, model.result_.epochs,
                     model.result_.mistakes, run.converged, len(run.mistakes),
                     sum(run.mistakes), model.result_.message])
    line = add_or_subtract(LINE_INPUTS, LINE_TARGETS, max_epochs)
    panels = [
        Panel("weight space: one line per case, the feasible cone, the rule's steps",
              xlabel="bias b (weight of the input +1)", ylabel="w1",
              draw=lambda axis: _draw_weight_space(axis, line)),
        Panel("mistakes per epoch (add or subtract the input)", ylabel="mistakes",
              curves={name: (list(range(1, len(run.mistakes) + 1)), run.mistakes)
                      for name, run in runs.items()}),
        Panel("data space: the learned lines", xlabel="x1", ylabel="x2",
              draw=lambda axis: _draw_data_space(axis, runs)),
    ]
    notes = [f"weight space: x1 = {LINE_INPUTS.ravel().tolist()}, classes "
             f"{LINE_TARGETS.tolist()}; the rule reaches w = {line.path[-1].tolist()} after "
             f"{len(line.path) - 1} steps"]
    return ExperimentResult(
        "perceptron", ["problem", "converged (±1)", "epochs", "mistakes", "converged (0/1)",
                       "epochs (0/1)", "mistakes (0/1)", "result"], rows, panels, notes,
        data={"converged": converged, "runs": runs, "weight_space": line})


def _draw_weight_space(axis: Any, run: RuleRun) -> None:
    inputs = with_bias_input(LINE_INPUTS)
    reach = 1.15 * max(np.abs(run.path).max(), 1.0)
    grid = np.linspace(-reach, reach, 300)
    b, w1 = np.meshgrid(grid, grid)
    feasible = np.ones_like(b, dtype=bool)
    for x, target in zip(inputs, LINE_TARGETS, strict=True):
        side = 1 if target else -1
        feasible &= side * (b * x[0] + w1 * x[1]) > 0
        direction = np.array([-x[1], x[0]]) / np.linalg.norm(x)  # along the line
        ends = np.outer([-2 * reach, 2 * reach], direction)
        drawn = axis.plot(ends[:, 0], ends[:, 1], lw=1)[0]
        normal = side * x / np.linalg.norm(x) * 0.25 * reach
        axis.annotate("", xy=normal, xytext=(0, 0), arrowprops={
            "arrowstyle": "->", "color": drawn.get_color()})
        axis.text(*(0.8 * reach * direction), f"case x1 = {x[1]:g}, t = {target}",
                  color=drawn.get_color(), fontsize=7, ha="right")
    axis.contourf(b, w1, feasible, levels=[0.5, 1.5], colors=["tab:green"], alpha=0.2)
    axis.plot(run.path[:, 0], run.path[:, 1], "k.-", lw=0.8, label="w after each step")
    axis.plot(*run.path[-1], "k*", markersize=10, label="final w (feasible)")
    axis.set_xlim(-reach, reach)
    axis.set_ylim(-reach, reach)


def _draw_data_space(axis: Any, runs: dict[str, RuleRun]) -> None:
    for target, marker in ((0, "o"), (1, "s")):
        points = GATE_INPUTS[np.array(GATES["AND"]) == target]
        axis.scatter(points[:, 0], points[:, 1], marker=marker, c="k",
                     label=f"AND = {target}")
    xs = np.linspace(-0.5, 1.5, 2)
    for name in ("AND", "OR"):
        b, w1, w2 = runs[name].path[-1]
        axis.plot(xs, -(b + w1 * xs) / w2,
                  label=f"{name}: {w1:g} x1 + {w2:g} x2 + {b:g} = 0 (class 1 where >= 0)")
    axis.set_xlim(-0.5, 1.5)
    axis.set_ylim(-0.5, 2.2)
