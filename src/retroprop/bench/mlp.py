"""One epoch of the 784-256-128-10 MLP (ReLU, SGD with momentum 0.9, lr 0.01, float32) on
Fashion-MNIST at batch 128 and 1024 with retroprop, PyTorch CPU and scikit-learn's
MLPClassifier, and the same epoch as a plain NumPy loop (:mod:`retroprop.bench.numpy_loop`):
epoch seconds (training, then the test set's prediction) and retroprop's ratios to each.
The row against scikit-learn also gives the NumPy loop's own ratio to it (``numpy_loop``),
the best that a library on NumPy could reach in that run."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import retroprop as rp
from retroprop._optional import require
from retroprop.bench import data
from retroprop.bench.epochs import retroprop_epoch, torch_epoch
from retroprop.bench.numpy_loop import numpy_epoch
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import ratio_summary, trained_rounds

SIZES = (784, 256, 128, 10)
LR, MOMENTUM = 0.01, 0.9
#: targets of issue 16 (retroprop's time / theirs) by batch size
TARGETS = {128: {"pytorch": 0.85, "scikit-learn": 1 / 1.5, "NumPy loop": None},
           1024: {"pytorch": 1.0, "scikit-learn": 1 / 1.5, "NumPy loop": None}}


def sklearn_epoch(batch: int) -> Callable[..., float]:
    def train(X, y, X_test, y_test) -> float:
        ConvergenceWarning = require("sklearn.exceptions", extra="bench").ConvergenceWarning
        MLPClassifier = require("sklearn.neural_network", extra="bench").MLPClassifier
        model = MLPClassifier(hidden_layer_sizes=SIZES[1:-1], solver="sgd",
                              batch_size=min(batch, len(X)),
                              learning_rate_init=LR, momentum=MOMENTUM,
                              nesterovs_momentum=False, max_iter=1, alpha=0.0,
                              random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        return float(model.score(X_test, y_test))
    return train


def network() -> rp.nn.Sequential:
    return rp.models.mlp(SIZES)


def rows(settings: Settings) -> list[Row]:
    """Per batch size: retroprop's epoch against PyTorch's, scikit-learn's and the NumPy
    loop's, each round after a warm-up round."""
    arrays = data.fashion(settings, flat=True)
    table = []
    for batch, targets in TARGETS.items():
        contenders = {"retroprop": retroprop_epoch(network, batch, lr=LR, momentum=MOMENTUM),
                      "pytorch": torch_epoch(network, batch, lr=LR, momentum=MOMENTUM),
                      "scikit-learn": sklearn_epoch(batch),
                      "NumPy loop": numpy_epoch(network, batch, lr=LR, momentum=MOMENTUM)}
        results = trained_rounds(contenders, arrays, settings.rounds_or(5),
                                 rp.manual_seed, pause=settings.pause)
        ours = results["retroprop"]
        for name, target in targets.items():
            theirs = results[name]["rounds"]
            extra: dict[str, Any] = {}
            if name == "scikit-learn":
                floor = ratio_summary(results["NumPy loop"]["rounds"], theirs)
                extra = {"numpy_loop": floor, "note": f"NumPy loop {floor['ratio']:.2f}"}
            table.append(row("mlp", f"784-256-128-10 epoch, batch {batch}", "s", ours["rounds"],
                             name, theirs, target, accuracy=ours["accuracy"],
                             reference_accuracy=results[name]["accuracy"], **extra))
    return table
