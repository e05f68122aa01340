"""One training epoch, then the test set's accuracy, as a benchmark contender: retroprop's
Trainer, or the same network (weights copied in) trained by a plain PyTorch loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import retroprop as rp
from retroprop._optional import require
from retroprop.bench.mirror import torch_copy
from retroprop.train.trainer import PREDICT_BATCH

Network = Callable[[], rp.nn.Sequential]


def retroprop_epoch(network: Network, batch: int, **optimizer: Any) -> Callable[..., float]:
    """One epoch of SGD on ``network()`` with :class:`retroprop.Trainer`."""
    def train(X, y, X_test, y_test) -> float:
        model = network()
        trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                             rp.optim.SGD(model.parameters(), **optimizer), metrics=[])
        trainer.fit(X, y, epochs=1, batch_size=batch, verbose=0)
        return float(np.mean(trainer.predict_classes(X_test) == y_test))
    return train


def torch_epoch(network: Network, batch: int, **optimizer: Any) -> Callable[..., float]:
    """One epoch of SGD on ``network()``'s PyTorch twin, then its test accuracy."""
    def train(X, y, X_test, y_test) -> float:
        torch = require("torch", extra="bench")
        model = torch_copy(network())
        model.train()
        sgd = torch.optim.SGD(model.parameters(), **optimizer)
        criterion = torch.nn.CrossEntropyLoss()
        inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
        for index in torch.randperm(len(X)).split(batch):
            sgd.zero_grad()
            criterion(model(inputs[index]), labels[index]).backward()
            sgd.step()
        model.eval()
        with torch.no_grad():  # in the chunks that Trainer.predict uses
            predicted = torch.cat([model(part).argmax(1) for part in
                                   torch.from_numpy(X_test).split(PREDICT_BATCH)]).numpy()
        return float(np.mean(predicted == y_test))
    return train
