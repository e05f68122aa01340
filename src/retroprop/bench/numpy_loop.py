"""The MLP epoch of :mod:`retroprop.bench.mlp` written out in NumPy with no framework at
all: the floor for any library built on NumPy and its BLAS.

It trains what :func:`retroprop.bench.epochs.retroprop_epoch` trains, with the same work:
the Trainer's batches (:func:`retroprop.data.batch_indices`, so the same order after the
same seed), the network's initial weights in their memory order, the same BLAS products
(no gradient for the data), the softmax cross-entropy and its value at every batch, SGD
with momentum by the same in-place BLAS updates as :class:`retroprop.optim.SGD`, and the
test set's prediction in the Trainer's chunks. What it leaves out is everything that makes
a library: tensors, the tape, modules, checks and callbacks.

The bench reports retroprop's time over this loop's (the framework's overhead) and this
loop's time over scikit-learn's: what a target against scikit-learn asks of the
arithmetic alone, before any framework. The inference bench times :func:`forward` the same
way against PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from retroprop.bench.epochs import Network
from retroprop.data.batches import batch_indices
from retroprop.nn.activation import ReLU
from retroprop.nn.container import Sequential
from retroprop.nn.linear import Linear
from retroprop.ops.activation import relu_zero
from retroprop.ops.linear import affine
from retroprop.optim.blas import axpby_, axpy_
from retroprop.train.trainer import PREDICT_BATCH

Layers = list[tuple[np.ndarray, np.ndarray]]


def numpy_epoch(network: Network, batch: int, lr: float, momentum: float
                ) -> Callable[..., float]:
    """One epoch of SGD with momentum on the ReLU MLP ``network()`` (its ``Linear`` layers,
    ReLU between them), then the test accuracy, in plain NumPy."""
    def train(X, y, X_test, y_test) -> float:
        layers = linear_layers(network())
        train_epoch(layers, X, y, batch, lr, momentum)
        predicted = np.concatenate([forward(layers, X_test[i:i + PREDICT_BATCH])[-1]
                                    .argmax(axis=1)
                                    for i in range(0, len(X_test), PREDICT_BATCH)])
        return float(np.mean(predicted == y_test))
    return train


def linear_layers(model: Sequential) -> Layers:
    """The (W, b) arrays themselves of the ``Linear`` layers of ``model``, which must be
    what this loop computes: ``Linear``, ``ReLU``, ``Linear``, ..., ``Linear``, each
    ``Linear`` with a bias and no activation of its own."""
    modules = list(model)
    kinds = [type(module).__name__ for module in modules]
    if len(modules) % 2 == 0 or any(not isinstance(module, Linear if k % 2 == 0 else ReLU)
                                    for k, module in enumerate(modules)):
        raise ValueError(f"NumPy loop: expected Linear, ReLU, ..., Linear, got {kinds}")
    layers = []
    for module in modules[::2]:
        if module.bias is None or module.activation is not None:
            raise ValueError("NumPy loop: every Linear layer needs a bias and no activation "
                             f"of its own, got {module!r}")
        layers.append((module.weight.data, module.bias.data))
    return layers


def train_epoch(layers: Layers, X: np.ndarray, y: np.ndarray, batch: int, lr: float,
                momentum: float) -> None:
    """One epoch over the Trainer's batches, updating the (W, b) arrays of ``layers`` in
    place: v ← μ v + g (v = g at the first step), w ← w - η v, as ``optim.SGD``."""
    params = [p for layer in layers for p in layer]
    velocities: list[np.ndarray | None] = [None] * len(params)
    for index in batch_indices(len(X), batch):
        loss, grads = _gradients(layers, X.take(index, axis=0), y.take(index, axis=0))
        if not math.isfinite(loss):  # where a training loop stops
            raise FloatingPointError(f"NumPy loop: the loss became {loss}")
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            velocity = velocities[i]
            if velocity is None:
                velocity = velocities[i] = grad.copy(order="K")
            else:
                axpby_(velocity, 1.0, grad, momentum)
            axpy_(param, -lr, velocity)


def forward(layers: Layers, x: np.ndarray) -> list[np.ndarray]:
    """The input and each layer's output: x Wᵀ + b (:func:`affine`: ``np.dot``, and the
    bias added as a row at batch 1), then ReLU (in place) but after the last. Its last
    element is the MLP's output, which the inference bench times too. The ReLU takes the
    maximum with what ``nn.ReLU`` takes it with (:func:`relu_zero`)."""
    outputs = [x]
    for k, (weight, bias) in enumerate(layers):
        h = affine(outputs[-1], weight, bias)
        if k < len(layers) - 1:
            np.maximum(h, relu_zero(h), out=h)
        outputs.append(h)
    return outputs


def _gradients(layers: Layers, x: np.ndarray, labels: np.ndarray
               ) -> tuple[float, list[np.ndarray]]:
    """The batch's mean softmax cross-entropy L, and dL/dW and dL/db of each layer in the
    order W, b, W, b, ..."""
    outputs = forward(layers, x)
    logits, rows = outputs[-1], np.arange(len(x))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1)
    loss = float(np.mean(np.log(sums) - shifted[rows, labels]))
    grad = exp / sums[:, None]  # dL/dz = (softmax(z) - onehot) / N
    grad[rows, labels] -= 1
    grad /= len(x)
    grads: list[np.ndarray] = []
    for k in range(len(layers) - 1, -1, -1):
        weight, previous = layers[k][0], outputs[k]
        grads[:0] = [np.matmul(grad.T, previous, out=np.empty_like(weight)), grad.sum(axis=0)]
        if k:
            grad = grad @ weight
            grad *= previous > 0
    return loss, grads
