"""Regularization on a small over-fitting setup (Berzal, "Backpropagation" (Granada),
section "En la práctica: Generalización"; Fuentes Pineda, "Introducción al Deep Learning"
(UNAM), módulo 8)."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop import nn
from retroprop.callbacks.base import Callback
from retroprop.callbacks.early_stopping import EarlyStopping
from retroprop.experiments.digits import flat_digits
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.models.mlp import mlp
from retroprop.nn.constraints import MaxNorm
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer


class DataLoss(Callback):
    """After every epoch, the cross-entropy alone (without the penalty terms that the
    Trainer adds to its ``loss`` and ``val_loss``) on named data sets."""

    def __init__(self, **datasets: tuple[np.ndarray, np.ndarray]) -> None:
        self.datasets = datasets
        self.losses: dict[str, list[float]] = {name: [] for name in datasets}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for name, (X, y) in self.datasets.items():
            logits = self.trainer.predict(X)
            with no_grad():
                self.losses[name].append(nn.CrossEntropyLoss()(Tensor(logits), y).item())


def _largest_unit_norm(model: nn.Module) -> tuple[float, int, int]:
    """The largest norm of a unit's incoming weights, and how many units are within 0.1%
    of ``bound`` (set by max-norm), out of how many."""
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    norms = np.concatenate([np.linalg.norm(layer.weight.data, axis=1) for layer in layers])
    bounds = np.concatenate([np.full(layer.out_features, layer.constraint.max_value
                                     if isinstance(layer.constraint, MaxNorm) else np.inf)
                             for layer in layers])
    return float(norms.max()), int((norms >= 0.999 * bounds).sum()), len(norms)


DROPOUT_WIDTH, DROPOUT_LR = 256, 0.05


def regularization(n: int = 100, epochs: int = 300, hidden: int = 128, lr: float = 0.3,
                   max_norm: float = 1.0, seed: int = 0) -> ExperimentResult:
    """Berzal, section "Generalización" (weight decay L2 and L1, "Restricciones sobre los
    pesos", noise on the inputs, early stopping, dropout) on a network that over-fits:
    ``n`` = 100 training digits, a 64-128-128-10 tanh network, plain SGD (η = 0.3,
    mini-batches of 32) for ``epochs`` epochs.

    Dropout (Berzal, "Dropout": "reduce significativamente el error, evitando el
    sobreaprendizaje") is compared on the kind of network it is meant for, wide ReLU
    layers: a 64-256-256-10 ReLU network at η = 0.05, without ("none, ReLU 256") and with
    dropout 0.5 after each hidden layer ("dropout 0.5, ReLU 256"), on the same digits. On
    the tanh network at η = 0.3 the noise of dropout outweighs its benefit.

    The validation loss drawn and tabulated is the cross-entropy alone: the penalty that
    the Trainer adds to ``val_loss`` (the lecture's J = E + λ/2 Σ w²) would make L2 and
    L1 look worse than they are. Without regularization the training loss falls towards
    zero while the validation loss, past its minimum, rises: over-fitting (said in the
    notes). The max-norm bound ``max_norm`` = 1 lies below the norms that the network
    reaches without it (the table's largest ||w_i||), so it binds: the table counts the
    units held at it. With noise on the inputs the validation loss jumps from epoch to
    epoch at this rate.
    """
    check_positive("regularization", lr=lr, max_norm=max_norm)
    check_counts("regularization", n=n, epochs=epochs, hidden=hidden)
    X, y, X_test, y_test = flat_digits()
    if n + 200 > len(X):
        raise ValueError(f"regularization: n must be an integer <= {len(X) - 200} (the rest "
                         f"of the training digits validate), got {n!r}")
    train, val = (X[:n], y[:n]), (X[n:n + 500], y[n:n + 500])
    settings: dict[str, dict[str, Any]] = {
        "none": {}, "L2 (λ = 1e-3)": {"l2": 1e-3}, "L1 (λ = 1e-4)": {"l1": 1e-4},
        "early stopping (patience 20)": {"early": 20}, "input noise σ = 0.3": {"noise": 0.3},
        f"max-norm {max_norm:g}": {"max_norm": max_norm},
        f"none, ReLU {DROPOUT_WIDTH}": {"relu": True},
        f"dropout 0.5, ReLU {DROPOUT_WIDTH}": {"relu": True, "dropout": 0.5}}
    rows, curves = [], {}
    data: dict[str, dict[str, Any]] = {}
    for name, options in settings.items():
        manual_seed(seed)
        width, rate = (DROPOUT_WIDTH, DROPOUT_LR) if "relu" in options else (hidden, lr)
        model = mlp([64, width, width, 10], activation="relu" if "relu" in options else "tanh",
                    dropout=options.get("dropout", 0))
        if "noise" in options:
            model = nn.Sequential(nn.GaussianNoise(options["noise"]), *model)
        nn.regularize(model, l1=options.get("l1", 0.0), l2=options.get("l2", 0.0),
                      max_norm=options.get("max_norm"))
        trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=rate))
        monitor = DataLoss(train=train, validation=val)
        callbacks: list[Callback] = [monitor]
        if "early" in options:
            callbacks.append(EarlyStopping(patience=options["early"],
                                           restore_best_weights=True))
        history = trainer.fit(*train, epochs=epochs, batch_size=32, verbose=0,
                              validation_data=val, callbacks=callbacks)
        losses = np.array(monitor.losses["validation"])
        largest, at_bound, units = _largest_unit_norm(model)
        test_error = 1 - trainer.evaluate(X_test, y_test)["accuracy"]
        data[name] = {"validation": losses, "train": np.array(monitor.losses["train"]),
                      "val_loss_with_penalty": np.array(history.history["val_loss"]),
                      "largest_norm": largest, "at_bound": at_bound, "units": units,
                      "test_error": test_error}
        rows.append([name, len(losses), float(losses.min()), int(losses.argmin()) + 1,
                     float(losses[-1]), test_error, largest,
                     f"{at_bound}/{units}" if "max_norm" in options else ""])
        curves[name] = (list(range(1, len(losses) + 1)), losses.tolist())
    base = data["none"]
    best = int(base["validation"].argmin())
    rise = base["validation"][-1] / base["validation"][best]
    base["overfits"] = bool(rise > 1.02)
    verdict = (f"none over-fits: its validation loss is lowest at epoch {best + 1} "
               f"({base['validation'][best]:.3f}) and rises to {base['validation'][-1]:.3f} "
               f"by epoch {len(base['validation'])}, while its training loss falls to "
               f"{base['train'][-1]:.2g}" if rise > 1.02 else
               f"none has not over-fitted yet in {len(base['validation'])} epochs")
    plain, dropped = (data[f"{prefix}, ReLU {DROPOUT_WIDTH}"]
                      for prefix in ("none", "dropout 0.5"))
    notes = [f"{n} training digits, 500 validation digits; validation loss = cross-entropy "
             "without the penalty", verdict,
             f"dropout 0.5 on the 64-{DROPOUT_WIDTH}-{DROPOUT_WIDTH}-10 ReLU network "
             f"(η = {DROPOUT_LR}): best validation loss {dropped['validation'].min():.3f} "
             f"against {plain['validation'].min():.3f} without it, test error "
             f"{dropped['test_error']:.3f} against {plain['test_error']:.3f}"]
    over = Panel("no regularization: training against validation", ylabel="cross-entropy",
                 log_y=True, curves={
                     "training": (list(range(1, len(base["train"]) + 1)),
                                  base["train"].tolist()),
                     "validation": (list(range(1, len(base["validation"]) + 1)),
                                    base["validation"].tolist())})
    over.draw = lambda axis: axis.axvline(best + 1, color="grey", ls="--", lw=0.8)
    noisy = ("input noise σ = 0.3", f"none, ReLU {DROPOUT_WIDTH}",
             f"dropout 0.5, ReLU {DROPOUT_WIDTH}")
    panels = [over] + [
        Panel(title, ylabel="validation cross-entropy (no penalty)", log_y=True,
              curves={k: v for k, v in curves.items() if k == "none" or (k in noisy) == group},
              draw=lambda axis: axis.set_ylim(0.15, 1.0))
        for title, group in (("penalties, constraint, early stopping", False),
                             ("noise: on the inputs, dropout", True))]
    return ExperimentResult("regularization", ["setting", "epochs", "best val loss",
                                               "at epoch", "final val loss", "test error",
                                               "largest ||w_i||", "units at the bound"],
                            rows, panels, notes, data=data)
