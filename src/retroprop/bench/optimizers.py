"""Every optimizer on the same networks: the full-batch methods on the digits (MLP
64-32-10, tanh), the mini-batch ones on Fashion-MNIST (MLP 784-256-128-10, ReLU, batch
128); prints final loss, test accuracy and time, and plots loss against epochs."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import retroprop as rp
from retroprop._optional import pyplot

MINI_BATCH: dict[str, dict[str, Any]] = {
    "sgd": dict(lr=0.05), "momentum": dict(lr=0.05, momentum=0.9),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "adaptive_gains": dict(lr=0.01, momentum=0.9), "rmsprop": dict(lr=0.001),
    "adagrad": dict(lr=0.05), "adam": dict(lr=0.001), "adamw": dict(lr=0.001),
    "vsgd": dict(),
}  # fmt: skip
FULL_BATCH: dict[str, dict[str, Any]] = {
    "rprop": dict(lr=0.01), "lbfgs": dict(max_iter=10), "cg": dict(max_iter=10),
    "newton": dict(max_iter=1, cg_iter=30), "levenberg_marquardt": dict(cg_iter=30),
}  # fmt: skip


def _name(label: str) -> str:
    return "sgd" if label in ("momentum", "nesterov") else label


def _train(label: str, options: dict[str, Any], sizes: list[int], activation: str,
           data: tuple[np.ndarray, ...], epochs: int, batch_size: int | None
           ) -> dict[str, Any]:
    X, y, X_test, y_test = data
    rp.manual_seed(0)
    model = rp.models.mlp(sizes, activation=activation)
    mse = label == "levenberg_marquardt"
    loss = rp.nn.MSELoss() if mse else rp.nn.CrossEntropyLoss()
    targets = np.eye(sizes[-1], dtype=np.float32)[y] if mse else y
    trainer = rp.Trainer(model, loss, rp.optim.create(_name(label), model.parameters(),
                                                      **options), metrics=[])
    start = time.perf_counter()
    history = trainer.fit(X, targets, epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(trainer.predict_classes(X_test) == y_test))
    return {"losses": history.history["loss"], "accuracy": accuracy, "seconds": seconds}


def run(epochs_full: int = 30, epochs_mini: int = 3) -> dict[str, dict[str, Any]]:
    (X, y), (X_test, y_test) = rp.datasets.load_digits()
    digits = (rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM), y,
              rp.datasets.scale(X_test.reshape(len(X_test), -1), rp.datasets.DIGITS_MAXIMUM),
              y_test)
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist()
    fashion = (rp.datasets.scale(X).reshape(len(X), -1), y,
               rp.datasets.scale(X_test).reshape(len(X_test), -1), y_test)
    results = {}
    for label, options in FULL_BATCH.items():
        results[f"{label} (digits, full batch)"] = _train(
            label, options, [64, 32, 10], "tanh", digits, epochs_full, None)
    for label, options in MINI_BATCH.items():
        results[f"{label} (fashion, batch 128)"] = _train(
            label, options, [784, 256, 128, 10], "relu", fashion, epochs_mini, 128)
    return results


def plot(results: dict[str, dict[str, Any]], path: str | Path) -> None:
    plt = pyplot()

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, result in results.items():
        axis = axes[0] if "full batch" in name else axes[1]
        axis.plot(range(1, len(result["losses"]) + 1), result["losses"], marker=".",
                  label=name.split(" (")[0])
    for axis, title in zip(axes, ("digits, full batch", "Fashion-MNIST, mini-batches"),
                           strict=True):
        axis.set(title=title, xlabel="epoch", ylabel="training loss", yscale="log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # line searches that give up
        results = run()
    print(f"  {'optimizer':<40}{'final loss':>12}{'test acc':>10}{'time (s)':>10}")
    for name, result in results.items():
        print(f"  {name:<40}{result['losses'][-1]:>12.4g}{result['accuracy']:>10.4f}"
              f"{result['seconds']:>10.2f}")
    plot(results, "optimizers.png")
    print("  loss curves written to optimizers.png")


if __name__ == "__main__":
    main()
