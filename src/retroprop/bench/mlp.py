"""One epoch of the 784-256-128-10 MLP (ReLU, SGD with momentum 0.9, lr 0.01, batch 128,
float32) on Fashion-MNIST with retroprop, PyTorch CPU and scikit-learn's MLPClassifier;
prints epoch time and test accuracy of each, and retroprop's time ratios (the median over
rounds of the ratio within a round, with their range)."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.mirror import torch_copy
from retroprop.bench.timing import paired_ratios, trained_rounds

SIZES = (784, 256, 128, 10)
BATCH, LR, MOMENTUM = 128, 0.01, 0.9


def _data() -> tuple[np.ndarray, ...]:
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist()
    flat = lambda images: rp.datasets.scale(images).reshape(len(images), -1)  # noqa: E731
    return flat(X), y, flat(X_test), y_test


def _retroprop(X, y, X_test, y_test) -> float:
    model = rp.models.mlp(SIZES)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM))
    trainer.fit(X, y, epochs=1, batch_size=BATCH, verbose=0)
    return trainer.evaluate(X_test, y_test)["accuracy"]


def _pytorch(X, y, X_test, y_test) -> float:
    torch = require("torch", extra="bench")

    model = torch_copy(rp.models.mlp(SIZES))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    for index in torch.randperm(len(X)).split(BATCH):
        optimizer.zero_grad()
        criterion(model(inputs[index]), labels[index]).backward()
        optimizer.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(1).numpy()
    return float(np.mean(predicted == y_test))


def _sklearn(X, y, X_test, y_test) -> float:
    ConvergenceWarning = require("sklearn.exceptions", extra="bench").ConvergenceWarning
    MLPClassifier = require("sklearn.neural_network", extra="bench").MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=SIZES[1:-1], solver="sgd", batch_size=BATCH,
                          learning_rate_init=LR, momentum=MOMENTUM, nesterovs_momentum=False,
                          max_iter=1, alpha=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return float(model.score(X_test, y_test))


CONTENDERS: dict[str, Callable[..., float]] = {
    "retroprop": _retroprop, "pytorch": _pytorch, "scikit-learn": _sklearn}


def run(rounds: int = 5) -> dict[str, dict[str, Any]]:
    """Per library: the epoch seconds (training and test prediction) of each round after a
    warm-up round, their median, and the test accuracy."""
    data = _data()
    return trained_rounds(CONTENDERS, data, rounds, rp.manual_seed)


def main() -> None:
    results = run()
    ours = results["retroprop"]["rounds"]
    print(f"One epoch of MLP {'-'.join(map(str, SIZES))} on Fashion-MNIST (60k images), "
          f"batch {BATCH}, SGD lr {LR} momentum {MOMENTUM}, float32")
    print(f"  {'library':<13}{'epoch (s)':>10}{'test acc':>10}{'retroprop / it':>16}"
          "   per round")
    for name, result in results.items():
        ratios = paired_ratios(ours, result["rounds"])
        print(f"  {name:<13}{result['seconds']:>10.2f}{result['accuracy']:>10.4f}"
              f"{statistics.median(ratios):>15.2f}x   {min(ratios):.2f}-{max(ratios):.2f}")
    print(f"  epoch: median of {len(ours)} rounds after a warm-up round; ratio: median over "
          "rounds of the two times within a round")
    print("  targets: retroprop / pytorch <= 1.0x, retroprop / scikit-learn < 1.0x")


if __name__ == "__main__":
    main()
