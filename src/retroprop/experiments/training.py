"""Experiments on training: learning rates, optimizer paths on 2-D surfaces,
batch normalization (Berzal, "Backpropagation" (Granada); Fuentes Pineda,
"Introducción al Deep Learning" (UNAM); Tobón & Aguirre, "Redes Neuronales Artificiales"
(UNAL Manizales))."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np

from retroprop import nn
from retroprop._optional import pyplot
from retroprop.experiments.digits import flat_digits
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.models.mlp import mlp
from retroprop.optim.minimize import minimize
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer


def learning_rate(rates: tuple[float, float, float] = (0.01, 1.0, 5.0), epochs: int = 100,
                  seed: int = 0) -> ExperimentResult:
    """Tobón & Aguirre, "Redes Neuronales Artificiales" (UNAL Manizales), section 5
    "Problemas con el gradiente" ("Desvanecimiento y Explosión del gradiente III"), panels
    "Too small", "Just right", "Big Learning Rate": gradient descent w ← w - η ∂E/∂w on
    the same 64-32-10 tanh network and the digits, with full-batch steps (one step per
    epoch, so that the curve is E itself, free of mini-batch noise).

    Too small a rate (η = 0.01) makes slow progress; the right one (η = 1) brings E down
    steadily; too big a rate (η = 5) makes the model diverge, "en vez de acercarse al
    mínimo se aleje": E rises far above its start and swings from step to step. The table
    counts the steps at which E rose."""
    check_positive("learning_rate", **{f"rates[{i}]": r for i, r in enumerate(rates)})
    check_counts("learning_rate", epochs=epochs)
    X, y, X_test, y_test = flat_digits()
    rows, panel = [], Panel("training loss (full batch)", xlabel="step", ylabel="loss",
                            log_y=True)
    for rate, label in zip(rates, ("too small", "right", "too big"), strict=True):
        manual_seed(seed)
        model = mlp([64, 32, 10], activation="tanh")
        trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=rate))
        try:
            losses = trainer.fit(X, y, epochs=epochs, batch_size=None,
                                 verbose=0).history["loss"]
            accuracy = trainer.evaluate(X_test, y_test)["accuracy"]
        except FloatingPointError:
            losses, accuracy = [float("inf")], float("nan")
        rises = int(np.sum(np.diff(losses) > 0))
        rows.append([f"η = {rate} ({label})", losses[0], losses[-1], max(losses), rises,
                     accuracy])
        panel.curves[f"η = {rate} ({label})"] = (list(range(1, len(losses) + 1)), losses)
    return ExperimentResult("learning-rate", ["rate", "first loss", "last loss", "highest loss",
                                              "steps that rose", "test accuracy"], rows,
                            [panel])


SURFACES: dict[str, tuple[Callable[[Tensor], Tensor], list[float], tuple[float, ...]]] = {
    "elongated bowl": (lambda x: (0.5 * x[0] ** 2 + 10 * x[1] ** 2).sum(), [-4.0, 1.0],
                       (-5, 5, -2, 2)),
    "saddle": (lambda x: (x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4).sum(), [-2.0, 1e-3],
               (-2.5, 2.5, -2.5, 2.5)),
    "rosenbrock": (lambda x: ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum(),
                   [-1.2, 1.0], (-2, 2, -1, 3)),
}
METHODS: dict[str, tuple[str, dict]] = {
    "gradient descent": ("sgd", {"lr": 0.01}), "momentum": ("sgd", {"lr": 0.01, "momentum": 0.9}),
    "nesterov": ("sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "rmsprop": ("rmsprop", {"lr": 0.01, "alpha": 0.9}), "adam": ("adam", {"lr": 0.05}),
    "rprop": ("rprop", {"lr": 0.01}), "cg": ("cg", {"max_iter": 1}),
    "l-bfgs": ("lbfgs", {"max_iter": 1, "max_eval": 25}),
    "newton": ("newton", {"hessian": "exact"}),
}
# Rosenbrock's valley is a thousand times more curved across than along: first-order
# methods need a rate ten times smaller there.
RATE_SCALE = {"elongated bowl": 1.0, "saddle": 1.0, "rosenbrock": 0.1}


def optimizer_paths(steps: int = 200) -> ExperimentResult:
    """Berzal, "Backpropagation" (Granada), section "En la práctica: Optimización":
    the paths of gradient descent, momentum, Nesterov, rmsprop, Adam, rprop, conjugate
    gradient, L-BFGS and Newton on three 2-D surfaces, drawn over the contour lines: an
    elongated bowl (slow zig-zag of gradient descent across the ellipse), a saddle point
    (escaping it) and Rosenbrock's valley. Newton's method, which seeks any point of zero
    gradient, lands on the saddle point itself."""
    check_counts("optimizer_paths", steps=steps)
    rows, data = [], {}
    for surface, (fn, start, _) in SURFACES.items():
        for method, (name, options) in METHODS.items():
            if "lr" in options:
                options = {**options, "lr": options["lr"] * RATE_SCALE[surface]}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = minimize(fn, start, method=name, steps=steps, **options)
            path = np.array(result.path)
            finite = np.isfinite(path).all(axis=1)
            data[(surface, method)] = path[finite]
            rows.append([surface, method, *np.round(path[finite][-1], 4), result.values[-1]])
    outcome = ExperimentResult("optimizer-paths", ["surface", "method", "x", "y", "f"], rows,
                               data=data)
    outcome.plot = lambda path: _plot_paths(outcome, path)  # type: ignore[method-assign]
    return outcome


def _plot_paths(result: ExperimentResult, path: str | os.PathLike[str]) -> None:
    plt = pyplot()

    figure, axes = plt.subplots(1, len(SURFACES), figsize=(6 * len(SURFACES), 5))
    for axis, (surface, (fn, _, box)) in zip(axes, SURFACES.items(), strict=True):
        xs, ys = np.meshgrid(np.linspace(box[0], box[1], 200), np.linspace(box[2], box[3], 200))
        with no_grad():
            values = np.array([[fn(Tensor(np.array([a, b]), dtype=np.float64)).item()
                                for a, b in zip(row_x, row_y, strict=True)]
                               for row_x, row_y in zip(xs, ys, strict=True)])
        axis.contour(xs, ys, values, levels=30, cmap="Greys", linewidths=0.6)
        for method in METHODS:
            trace = result.data[(surface, method)]
            axis.plot(trace[:, 0], trace[:, 1], marker=".", markersize=3, label=method)
        axis.set(title=surface, xlim=box[:2], ylim=box[2:])
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def batch_norm(depth: int = 8, epochs: int = 5, seed: int = 0) -> ExperimentResult:
    """Fuentes Pineda, "Introducción al Deep Learning" (UNAM), módulo 8, section
    "Normalización por lotes": a deep sigmoid MLP on the digits with and without batch
    normalization after each linear layer,

        x̂ = (x - μ_B) / √(σ²_B + ε),   y = γ x̂ + β

    with μ_B and σ²_B the mini-batch's mean and (biased) variance of each unit while
    training, and the population statistics (running averages) at test time. With it the
    saturating sigmoid network trains ("hace posible usar funciones de activación
    saturadas"); without it the loss barely moves in the same epochs. Weights start from
    LeCun's U(±√(3/fan_in)) (Berzal, "Backpropagation" (Granada)), biases at zero."""
    check_counts("batch_norm", depth=depth, epochs=epochs)
    X, y, X_test, y_test = flat_digits()
    rows, panel = [], Panel("training loss", ylabel="loss")
    for use in (False, True):
        manual_seed(seed)
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(64, 64, init="lecun_uniform")] + \
                ([nn.BatchNorm1d(64)] if use else []) + [nn.Sigmoid()]
        model = nn.Sequential(*layers, nn.Linear(64, 10, init="lecun_uniform"))
        trainer = Trainer(model, nn.CrossEntropyLoss(),
                          SGD(model.parameters(), lr=0.1, momentum=0.9))
        losses = trainer.fit(X, y, epochs=epochs, batch_size=32, verbose=0).history["loss"]
        label = "with batch norm" if use else "without"
        rows.append([label, losses[0], losses[-1], trainer.evaluate(X_test, y_test)["accuracy"]])
        panel.curves[label] = (list(range(1, epochs + 1)), losses)
    return ExperimentResult("batch-norm", ["network", "first loss", "last loss",
                                           "test accuracy"], rows, [panel],
                            notes=[f"{depth} hidden sigmoid layers of 64 units"])
