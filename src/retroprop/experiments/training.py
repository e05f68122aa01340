"""Experiments on training: learning rates, optimizer paths on 2-D surfaces, weight
perturbation against backpropagation, regularization, batch normalization (seeds 001,
003, 004)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from retroprop import nn
from retroprop._optional import pyplot
from retroprop.callbacks.early_stopping import EarlyStopping
from retroprop.datasets.loaders import DIGITS_MAXIMUM, load_digits, load_fashion_mnist, scale
from retroprop.experiments.result import ExperimentResult, Panel, check_positive
from retroprop.models.mlp import mlp
from retroprop.optim.minimize import minimize
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer


def _digits() -> tuple[np.ndarray, ...]:
    (X, y), (X_test, y_test) = load_digits()
    flat = lambda a: scale(a.reshape(len(a), -1), DIGITS_MAXIMUM)  # noqa: E731
    return flat(X), y, flat(X_test), y_test


def learning_rate(rates: tuple[float, float, float] = (0.001, 0.1, 5.0), epochs: int = 20,
                  seed: int = 0) -> ExperimentResult:
    """Seed 004's three panels: the same MLP on the digits with a rate too small (slow
    progress), right, and too big (oscillation or divergence)."""
    check_positive("learning_rate", epochs=epochs, **{f"rates[{i}]": r
                                                      for i, r in enumerate(rates)})
    X, y, X_test, y_test = _digits()
    rows, panel = [], Panel("training loss", ylabel="loss", log_y=True)
    for rate, label in zip(rates, ("too small", "right", "too big"), strict=True):
        manual_seed(seed)
        model = mlp([64, 32, 10])
        trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=rate))
        try:
            losses = trainer.fit(X, y, epochs=epochs, verbose=0).history["loss"]
            accuracy = trainer.evaluate(X_test, y_test)["accuracy"]
        except FloatingPointError:
            losses, accuracy = [float("inf")], float("nan")
        rows.append([f"η = {rate} ({label})", losses[0], losses[-1], accuracy])
        panel.curves[f"η = {rate} ({label})"] = (list(range(1, len(losses) + 1)), losses)
    return ExperimentResult("learning-rate", ["rate", "first loss", "last loss",
                                              "test accuracy"], rows, [panel])


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
    "rmsprop": ("rmsprop", {"lr": 0.01}), "adam": ("adam", {"lr": 0.05}),
    "rprop": ("rprop", {"lr": 0.01}), "cg": ("cg", {"max_iter": 1}),
    "l-bfgs": ("lbfgs", {"max_iter": 1, "max_eval": 25}),
    "newton": ("newton", {"hessian": "exact"}),
}
# Rosenbrock's valley is a thousand times more curved across than along: first-order
# methods need a rate ten times smaller there.
RATE_SCALE = {"elongated bowl": 1.0, "saddle": 1.0, "rosenbrock": 0.1}


def optimizer_paths(steps: int = 200) -> ExperimentResult:
    """The paths of the optimizers of seed 001 on three 2-D surfaces: an elongated bowl
    (slow zig-zag of gradient descent across the ellipse), a saddle point (escaping it)
    and Rosenbrock's valley, drawn over the contour lines. Newton's method, which seeks
    any point of zero gradient, lands on the saddle point itself."""
    check_positive("optimizer_paths", steps=steps)
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


def _plot_paths(result: ExperimentResult, path: str) -> None:
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


def weight_perturbation(evaluations: int = 2000, seed: int = 0) -> ExperimentResult:
    """Seed 001: learning by perturbing a random weight and keeping the change if the error
    falls needs one forward pass per weight tried, while backpropagation gets the
    derivative for every weight from one forward and one backward pass; with the same
    number of passes, backpropagation goes much further ("too inefficient")."""
    check_positive("weight_perturbation", evaluations=evaluations)
    X, y, X_test, y_test = _digits()
    curves, rows = {}, []
    manual_seed(seed)
    model = mlp([64, 16, 10])
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    rng = np.random.default_rng(seed)
    with no_grad():
        best = loss_fn(model(X), y).item()
        losses = [best]
        for _ in range(evaluations - 1):
            param = params[rng.integers(len(params))]
            index = tuple(rng.integers(s) for s in param.shape)
            old = param.data[index]
            param.data[index] = old + rng.normal(0, 0.1)
            trial = loss_fn(model(X), y).item()
            if trial < best:
                best = trial
            else:
                param.data[index] = old
            losses.append(best)
    curves["weight perturbation"] = losses
    rows.append(["weight perturbation", evaluations, losses[-1],
                 float(np.mean(model(X_test).data.argmax(1) == y_test))])
    manual_seed(seed)
    model = mlp([64, 16, 10])
    trainer = Trainer(model, loss_fn, SGD(model.parameters(), lr=0.5), metrics=[])
    steps = evaluations // 2  # one forward and one backward pass per step
    history = trainer.fit(X, y, epochs=steps, batch_size=None, verbose=0)
    backprop = [v for v in history.history["loss"] for _ in range(2)]
    curves["backpropagation"] = backprop
    rows.append(["backpropagation", evaluations, backprop[-1],
                 float(np.mean(trainer.predict_classes(X_test) == y_test))])
    panel = Panel("training loss for the same number of passes", xlabel="passes",
                  ylabel="loss", log_y=True,
                  curves={k: (list(range(1, len(v) + 1)), v) for k, v in curves.items()})
    return ExperimentResult("weight-perturbation", ["method", "passes", "final loss",
                                                    "test accuracy"], rows, [panel])


def _small_fashion(n: int) -> tuple[np.ndarray, ...]:
    (X, y), (X_test, y_test) = load_fashion_mnist(download=False)
    flat = lambda a: scale(a).reshape(len(a), -1)  # noqa: E731
    return flat(X[:n]), y[:n], flat(X[n:2 * n]), y[n:2 * n], flat(X_test), y_test


def regularization(n: int = 1000, epochs: int = 60, seed: int = 0) -> ExperimentResult:
    """Seed 001 and 003 on a small overfitting setup (Fashion-MNIST, ``n`` training images,
    a wide tanh MLP): none, L2, L1, dropout, early stopping, input noise and max-norm."""
    check_positive("regularization", n=n, epochs=epochs)
    X, y, X_val, y_val, X_test, y_test = _small_fashion(n)
    settings = {"none": {}, "L2 (λ = 0.01)": {"l2": 1e-2}, "L1 (λ = 1e-4)": {"l1": 1e-4},
                "dropout 0.5": {"dropout": 0.5}, "early stopping": {"early": True},
                "input noise σ = 0.3": {"noise": 0.3}, "max-norm 2": {"max_norm": 2.0}}
    rows, panel = [], Panel("validation loss", ylabel="loss")
    for name, options in settings.items():
        manual_seed(seed)
        model = mlp([784, 512, 512, 10], activation="tanh", dropout=options.get("dropout", 0))
        if "noise" in options:
            model = nn.Sequential(nn.GaussianNoise(options["noise"]), *model)
        nn.regularize(model, l1=options.get("l1", 0.0), l2=options.get("l2", 0.0),
                      max_norm=options.get("max_norm"))
        trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05))
        callbacks = [EarlyStopping(patience=5)] if options.get("early") else []
        start = time.perf_counter()
        history = trainer.fit(X, y, epochs=epochs, batch_size=64, verbose=0,
                              validation_data=(X_val, y_val), callbacks=callbacks)
        error = 1 - trainer.evaluate(X_test, y_test)["accuracy"]
        rows.append([name, len(history.epoch), error, time.perf_counter() - start])
        losses = history.history["val_loss"]
        panel.curves[name] = (list(range(1, len(losses) + 1)), losses)
    return ExperimentResult("regularization", ["setting", "epochs", "test error", "seconds"],
                            rows, [panel], notes=[f"{n} training images of Fashion-MNIST"])


def batch_norm(depth: int = 8, epochs: int = 5, seed: int = 0) -> ExperimentResult:
    """Seed 003: a deep sigmoid MLP on the digits with and without batch normalization."""
    check_positive("batch_norm", depth=depth, epochs=epochs)
    X, y, X_test, y_test = _digits()
    rows, panel = [], Panel("training loss", ylabel="loss")
    for use in (False, True):
        manual_seed(seed)
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(64, 64)] + ([nn.BatchNorm1d(64)] if use else []) + \
                [nn.Sigmoid()]
        model = nn.Sequential(*layers, nn.Linear(64, 10))
        trainer = Trainer(model, nn.CrossEntropyLoss(),
                          SGD(model.parameters(), lr=0.1, momentum=0.9))
        losses = trainer.fit(X, y, epochs=epochs, batch_size=32, verbose=0).history["loss"]
        label = "with batch norm" if use else "without"
        rows.append([label, losses[0], losses[-1], trainer.evaluate(X_test, y_test)["accuracy"]])
        panel.curves[label] = (list(range(1, epochs + 1)), losses)
    return ExperimentResult("batch-norm", ["network", "first loss", "last loss",
                                           "test accuracy"], rows, [panel],
                            notes=[f"{depth} hidden sigmoid layers of 64 units"])
