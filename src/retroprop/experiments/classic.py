"""Gradient descent in one dimension (Tobón & Aguirre, "Redes Neuronales Artificiales"
(UNAL Manizales)) and the linear neuron's delta rule (Berzal, "Backpropagation"
(Granada))."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.models.neurons import LinearNeuron
from retroprop.optim.minimize import minimize


def gradient_descent(x0: float = 7.0, lr: float = 0.6, steps: int = 4,
                     rates: tuple[float, float, float] = (0.05, 0.6, 1.05),
                     compare_steps: int = 20) -> ExperimentResult:
    """Tobón & Aguirre, "Redes Neuronales Artificiales" (UNAL Manizales), section 3
    "Gradiente descendiente": gradient descent on f(x) = (x - 4)² + 3 from x0 = 7 with
    α = 0.6 gives 3.4, 4.12, 3.976, 4.0048; then a rate too small, right and too big."""
    if len(rates) != 3:
        raise ValueError(f"gradient_descent: rates must be three learning rates (too small, "
                         f"right, too big), got {rates!r}")
    check_positive("gradient_descent", lr=lr, **{f"rates[{i}]": r for i, r in enumerate(rates)})
    check_counts("gradient_descent", steps=steps, compare_steps=compare_steps)
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
    """The cafeteria of Berzal, "Backpropagation" (Granada), section "Neurona lineal":
    coffee, juice and toast cost 50, 150 and 100 cents; a week of 5 coffees, 2 juices
    and 3 toasts is billed 850. From an estimate of 50 each (total 500, residual 350) one
    delta-rule step Δw_i = η x_i (t - y) with the slide's η = 1/35 gives
    Δw = (+50, +20, +30): the new total is 880 (residual -30), and the coffee estimate got
    worse (50 → 100, its price is 50). Then ``weeks`` random orders of 1 to 5 portions,
    with the same fixed η, learn the three prices.

    The rule is the gradient of the lecture's E = ½ (t - y)² (no mean over examples).

    Examples
    --------
    >>> result = delta_rule(weeks=10)
    >>> result.data["delta"].tolist(), result.data["after"]
    ([50.0, 20.0, 30.0], 880.0)
    """
    check_positive("delta_rule", eta=eta)
    check_counts("delta_rule", weeks=weeks)
    prices = np.array([50.0, 150.0, 100.0])
    portions = np.array([5.0, 2.0, 3.0])
    neuron = LinearNeuron([50.0, 50.0, 50.0])
    start = neuron.weights_.copy()
    total = float(portions @ prices)
    before = float(neuron.step(portions, total, eta)[0])
    after = float(neuron.predict(portions)[0])
    delta = neuron.weights_ - start
    rate = str(Fraction(eta).limit_denominator(1000))
    rows = [["portions x", *portions, ""],
            ["price (cents)", *prices, total],
            ["estimate w", *start, f"y = {before:g}, t - y = {total - before:g}"],
            [f"Δw = η x (t - y), η = {rate}", *(f"{d:+.4g}" for d in delta), ""],
            ["new estimate w", *neuron.weights_, f"y = {after:g}, t - y = {total - after:g}"]]
    rng = np.random.default_rng(seed)
    errors = []
    for order in rng.integers(1, 6, (weeks, 3)).astype(float):
        neuron.step(order, float(order @ prices), eta)
        errors.append(float(np.abs(neuron.weights_ - prices).max()))
    rows.append([f"after {weeks} weeks", *neuron.weights_.round(4), ""])
    worse = bool(abs(start[0] + delta[0] - prices[0]) > abs(start[0] - prices[0]))
    notes = ["the coffee estimate got worse: "
             f"{start[0]:g} → {start[0] + delta[0]:g} cents, its price is {prices[0]:g}"
             if worse else "the coffee estimate improved"]
    panel = Panel(f"largest price error (fixed η = {rate})", xlabel="week",
                  ylabel="|w - price| (cents)", log_y=True,
                  curves={"delta rule": (list(range(1, weeks + 1)), errors)})
    return ExperimentResult(
        "delta-rule", ["", "coffee", "juice", "toast", "bill"], rows, [panel], notes,
        data={"before": before, "after": after, "residual": total - after, "delta": delta,
              "coffee_got_worse": worse, "weights": neuron.weights_.copy()})
