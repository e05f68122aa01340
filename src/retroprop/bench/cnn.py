"""One epoch of LeNet-5 (tanh, average pooling, SGD with momentum, batch 128, float32) on
Fashion-MNIST with retroprop and with the same network in PyTorch CPU; prints both epoch
times, test accuracies and the ratio (median over rounds of the ratio within a round)."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.timing import paired_ratios, trained_rounds

BATCH, LR, MOMENTUM = 128, 0.05, 0.9


def _torch_twin(model: rp.nn.Module):
    torch = require("torch", extra="bench")

    t = torch.nn
    twin = t.Sequential(t.Conv2d(1, 6, 5, padding=2), t.Tanh(), t.AvgPool2d(2),
                        t.Conv2d(6, 16, 5), t.Tanh(), t.AvgPool2d(2), t.Flatten(),
                        t.Linear(400, 120), t.Tanh(), t.Linear(120, 84), t.Tanh(),
                        t.Linear(84, 10))
    with torch.no_grad():
        for param, copy in zip(model.parameters(), twin.parameters(), strict=True):
            copy.copy_(torch.from_numpy(param.data))
    return twin


def _retroprop(X, y, X_test, y_test) -> float:
    model = rp.models.lenet5()
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM), metrics=[])
    trainer.fit(X, y, epochs=1, batch_size=BATCH, verbose=0)
    return float(np.mean(trainer.predict_classes(X_test) == y_test))


def _pytorch(X, y, X_test, y_test) -> float:
    torch = require("torch", extra="bench")

    model = _torch_twin(rp.models.lenet5())
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    for index in torch.randperm(len(X)).split(BATCH):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs[index]), labels[index]).backward()
        optimizer.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(1).numpy()
    return float(np.mean(predicted == y_test))


def run(rounds: int = 2) -> dict[str, dict[str, Any]]:
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist()
    data = (rp.datasets.scale(X)[:, None], y, rp.datasets.scale(X_test)[:, None], y_test)
    return trained_rounds({"retroprop": _retroprop, "pytorch": _pytorch}, data, rounds,
                          rp.manual_seed)


def main() -> None:
    results = run()
    ratio = statistics.median(paired_ratios(results["retroprop"]["rounds"],
                                            results["pytorch"]["rounds"]))
    print(f"One epoch of LeNet-5 on Fashion-MNIST, batch {BATCH}, SGD lr {LR} momentum "
          f"{MOMENTUM}, float32")
    for name, result in results.items():
        print(f"  {name:<10} {result['seconds']:7.2f} s   test accuracy {result['accuracy']:.4f}")
    print(f"  ratio      {ratio:7.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
