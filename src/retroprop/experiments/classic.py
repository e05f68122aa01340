"""Experiments on single neurons and on gradient descent in one dimension (seeds 001, 004)."""

from __future__ import annotations

import numpy as np

from retroprop.experiments.result import ExperimentResult, Panel, check_positive
from retroprop.models.neurons import LinearNeuron
from retroprop.models.perceptron import Perceptron
from retroprop.optim.minimize import minimize


def gradient_descent(x0: float = 7.0, lr: float = 0.6, steps: int = 4,
                     rates: tuple[float, float, float] = (0.05, 0.6, 1.05),
                     compare_steps: int = 20) -> ExperimentResult:
    """Seed 004: gradient descent on f(x) = (x - 4)² + 3 from x0 = 7 with η = 0.6 gives
    3.4, 4.12, 3.976, 4.0048; then a rate too small, right and too big."""
    check_positive("gradient_descent", lr=lr, steps=steps, compare_steps=compare_steps,
                   **{f"rates[{i}]": r for i, r in enumerate(rates)})
    f = lambda x: ((x - 4) ** 2 + 3).sum()  # noqa: E731
    main = minimize(f, [x0], lr=lr, steps=steps)
    rows = [[k, float(p[0]), main.values[k]] for k, p in enumerate(main.path)]
    panel = Panel("f(x) = (x - 4)² + 3: x after each step", xlabel="step", ylabel="x")
    for rate, label in zip(rates, ("too small", "right", "too big"), strict=True):
        run = minimize(f, [x0], lr=rate, steps=compare_steps)
        panel.curves[f"η = {rate} ({label})"] = (list(range(compare_steps + 1)),
                                                 [float(p[0]) for p in run.path])
    return ExperimentResult("gradient-descent", ["step", "x", "f(x)"], rows, [panel],
                            data={"iterates": [float(p[0]) for p in main.path]})


def delta_rule(eta: float = 1 / 35, weeks: int = 200, seed: int = 0) -> ExperimentResult:
    """Seed 001's cafeteria: true prices (150, 50, 100) cents for portions (2, 5, 3); start
    at 50 each; one delta-rule step Δw_i = η x_i (t - y) with η = 1/35 turns the estimate
    500 into 880 (residual -30); then weeks of random orders learn the prices."""
    check_positive("delta_rule", eta=eta, weeks=weeks)
    prices = np.array([150.0, 50.0, 100.0])
    portions = np.array([2.0, 5.0, 3.0])
    neuron = LinearNeuron([50.0, 50.0, 50.0])
    total = float(portions @ prices)
    before = float(neuron.step(portions, total, eta)[0])
    after = float(neuron.predict(portions)[0])
    rows = [["first week", before, after, total - after, *neuron.weights.round(4)]]
    rng = np.random.default_rng(seed)
    orders = rng.integers(1, 6, (weeks, 3)).astype(float)
    errors = []
    for order in orders:
        rate = 1.0 / float(order @ order)  # normalized step: the week's error goes to zero
        neuron.step(order, float(order @ prices), rate)
        errors.append(float(np.abs(neuron.weights - prices).max()))
    rows.append([f"after {weeks} weeks", "", "", "", *neuron.weights.round(4)])
    panel = Panel("largest price error", xlabel="week", ylabel="|w - price| (cents)",
                  log_y=True, curves={"delta rule": (list(range(1, weeks + 1)), errors)})
    return ExperimentResult(
        "delta-rule", ["", "estimate before", "estimate after", "residual t - y",
                       "w_coffee", "w_juice", "w_toast"], rows, [panel],
        data={"before": before, "after": after, "residual": total - after,
              "weights": neuron.weights.copy()})


def perceptron(max_epochs: int = 50) -> ExperimentResult:
    """Seed 001: the perceptron finds separating weights for AND and OR (linearly
    separable) and never settles on XOR and EQ."""
    check_positive("perceptron", max_epochs=max_epochs)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    problems = {"AND": [-1, -1, -1, 1], "OR": [-1, 1, 1, 1], "XOR": [-1, 1, 1, -1],
                "EQ": [1, -1, -1, 1]}
    rows, outcomes = [], {}
    for name, d in problems.items():
        model = Perceptron(max_epochs=max_epochs).fit(X, np.array(d))
        outcomes[name] = model.result_.converged
        rows.append([name, model.result_.converged, model.result_.epochs,
                     model.result_.mistakes, model.result_.message])
    return ExperimentResult("perceptron", ["problem", "converged", "epochs", "mistakes",
                                           "result"], rows, data={"converged": outcomes})
