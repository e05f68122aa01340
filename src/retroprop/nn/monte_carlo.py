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
        Apply a softmax over the classes to each run's outputs, (n, C) logits with C >= 2.
        One output column is refused (its softmax is always 1, which read as "certain"):
        pass ``probabilities=False``, and for a logit end the model with a ``Sigmoid``.

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
            if probabilities and (out.ndim != 2 or out.shape[1] < 2):
                raise ValueError(
                    f"predict_mc: probabilities=True takes the softmax of logits of shape "
                    f"(n, C) with C >= 2 classes, but the model outputs shape {out.shape}; "
                    "the softmax of one column is always 1. Pass probabilities=False (for "
                    "one logit, end the model with a Sigmoid)")
            runs.append((softmax(out, -1) if probabilities else out).data)
    stacked = np.stack(runs)
    return stacked.mean(axis=0), stacked.std(axis=0)
