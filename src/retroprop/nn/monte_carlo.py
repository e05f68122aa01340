"""Monte-Carlo dropout: the spread of a stochastic network's predictions (Berzal)."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.nn.module import Module, evaluating
from retroprop.ops.activation import softmax
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor


def predict_mc(model: Module, X: Any, samples: int = 30, probabilities: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
    """Run the model ``samples`` times with dropout (and noise) active; return the mean
    prediction and its standard deviation, a measure of the model's uncertainty.

    Only the stochastic layers (``module.stochastic``: dropout, noise, weight noise) are
    put in training mode; everything else, batch normalization included, stays in
    inference mode, so running statistics are used and never updated.

    Parameters
    ----------
    model : Module
    X : array (n, ...)
    samples : int
    probabilities : bool, default True
        Apply a softmax to each run's outputs (for classifiers that output logits).

    Returns
    -------
    mean, std : arrays of the output's shape
    """
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"predict_mc: samples must be a positive integer, got {samples!r}")
    with evaluating(model), no_grad():
        for module in model.modules():
            if module.stochastic:
                module.training = True
        inputs = Tensor(np.asarray(X), dtype=model.dtype)
        runs = []
        for _ in range(samples):
            out = model(inputs)
            runs.append((softmax(out, -1) if probabilities else out).data)
    stacked = np.stack(runs)
    return stacked.mean(axis=0), stacked.std(axis=0)
