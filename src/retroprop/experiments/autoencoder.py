"""A denoising autoencoder (Berzal, "Backpropagation", Granada, "Dropout": dropout on the
input layer, "los 'denoising autoencoders' de Bengio et al. utilizan este truco")."""

from __future__ import annotations

import numpy as np

from retroprop import nn
from retroprop.checks import check_range
from retroprop.datasets.loaders import DIGITS_MAXIMUM, load_digits, scale
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.optim.adam import Adam
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor


def autoencoder(inputs: int, hidden: int, seed: int = 0, dtype: type = np.float64
                ) -> nn.Sequential:
    """x → σ(W₁ x + b₁) → W₂ h + b₂: the logits of the reconstruction σ(W₂ h + b₂)."""
    manual_seed(seed)
    return nn.Sequential(nn.Linear(inputs, hidden, init="glorot_uniform", dtype=dtype),
                         nn.Sigmoid(),
                         nn.Linear(hidden, inputs, init="glorot_uniform", dtype=dtype))


def train_autoencoder(model: nn.Sequential, X: np.ndarray, epochs: int, noise: float,
                      lr: float = 0.01, batch_size: int = 100, seed: int = 0) -> list[float]:
    """Train ``model`` to rebuild each clean x from a corrupted x ⊙ m, with m a fresh
    Bernoulli(1 - ``noise``) mask per pixel and epoch: dropout on the inputs without
    rescaling ("masking noise", Vincent et al. 2008); ``noise=0`` is a plain autoencoder.
    Cost: binary cross-entropy of σ(model(x ⊙ m)) against x, Adam, mini-batches in a fresh
    order each epoch. Masks and orders come from ``np.random.default_rng(seed)``: per epoch
    first the masks (``rng.random(X.shape) >= noise``), then the order
    (``rng.permutation``). Returns the mean training loss of each epoch."""
    check_counts("train_autoencoder", epochs=epochs, batch_size=batch_size)
    check_range(noise, "train_autoencoder: noise", 0, 1)
    rng = np.random.default_rng(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    cost = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(epochs):
        keep = rng.random(X.shape) >= noise
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = cost(model(Tensor(X[rows] * keep[rows], dtype=X.dtype)), X[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / len(X))
    return losses


def reconstruction_error(model: nn.Sequential, inputs: np.ndarray, clean: np.ndarray
                         ) -> float:
    """Mean squared error per pixel between σ(model(inputs)) and the clean images."""
    with no_grad():
        rebuilt = model(Tensor(inputs, dtype=inputs.dtype)).sigmoid().data
    return float(np.mean((rebuilt - clean) ** 2))


def denoising_autoencoder(epochs: int = 40, hidden: int = 32, noise: float = 0.3,
                          lr: float = 0.01, seed: int = 0) -> ExperimentResult:
    """A plain and a denoising autoencoder 64 → ``hidden`` → 64 on scikit-learn's 8×8
    digits, trained alike except that the denoising one sees its inputs with a fraction
    ``noise`` of the pixels dropped (set to 0), and must rebuild the clean image. Both
    are then asked to rebuild the test images from clean inputs and from inputs corrupted
    the same way: the denoising autoencoder rebuilds corrupted digits better (Berzal: dropout
    on the input layer is the trick of Bengio et al.'s denoising autoencoders).

    ``result.data``: ``"clean"`` and ``"corrupted"`` map "plain"/"denoising" to the test
    reconstruction errors (mean squared error per pixel), ``"losses"`` to the training
    curves."""
    check_positive("denoising_autoencoder", noise=noise, lr=lr)
    check_counts("denoising_autoencoder", epochs=epochs, hidden=hidden)
    if not noise < 1:
        raise ValueError(f"denoising_autoencoder: noise must be in (0, 1), got {noise!r}")
    (X, _), (X_test, _) = load_digits(seed=seed)
    X = scale(X.reshape(len(X), -1), DIGITS_MAXIMUM).astype(np.float64)
    X_test = scale(X_test.reshape(len(X_test), -1), DIGITS_MAXIMUM).astype(np.float64)
    corrupted = X_test * (np.random.default_rng(seed + 1).random(X_test.shape) >= noise)
    data: dict[str, dict[str, object]] = {"clean": {}, "corrupted": {}, "losses": {}}
    rows: list[list[object]] = [["none (the input itself)", "", 0.0,
                                 float(np.mean((corrupted - X_test) ** 2))]]
    panel = Panel("training loss", ylabel="cross-entropy")
    for name, level in (("plain", 0.0), ("denoising", noise)):
        model = autoencoder(X.shape[1], hidden, seed)
        losses = train_autoencoder(model, X, epochs, level, lr, seed=seed)
        data["losses"][name] = losses
        data["clean"][name] = reconstruction_error(model, X_test, X_test)
        data["corrupted"][name] = reconstruction_error(model, corrupted, X_test)
        rows.append([name, level, data["clean"][name], data["corrupted"][name]])
        panel.curves[name] = (list(range(1, epochs + 1)), losses)
    return ExperimentResult(
        "denoising-autoencoder", ["autoencoder", "training noise", "test MSE (clean input)",
                                  f"test MSE ({noise:.0%} pixels dropped)"], rows, [panel],
        notes=[f"8×8 digits, 64 → {hidden} → 64 sigmoid units, {epochs} epochs of Adam"],
        data=data)
