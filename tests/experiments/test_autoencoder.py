"""The denoising autoencoder (Berzal, "Backpropagation", Granada, "Dropout"): the training
loop against the same loop in PyTorch (float64), and the experiment's claim."""

import numpy as np
import torch

import retroprop as rp
from retroprop.experiments.autoencoder import autoencoder, train_autoencoder


def torch_training(model, X, epochs, noise, lr, batch_size, seed):
    """The same masks and batch orders (same NumPy generator), in PyTorch."""
    linears = [m for m in model if isinstance(m, rp.nn.Linear)]
    twin = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.Sigmoid(),
                               torch.nn.Linear(16, 64)).double()
    for ours, theirs in zip(linears, [twin[0], twin[2]], strict=True):
        theirs.weight.data = torch.tensor(ours.weight.data.copy())
        theirs.bias.data = torch.tensor(ours.bias.data.copy())
    optimizer = torch.optim.Adam(twin.parameters(), lr=lr)
    cost = torch.nn.BCEWithLogitsLoss()
    rng, losses = np.random.default_rng(seed), []
    for _ in range(epochs):
        keep = rng.random(X.shape) >= noise
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = cost(twin(torch.tensor(X[rows] * keep[rows])), torch.tensor(X[rows]))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / len(X))
    return losses, twin


def test_training_matches_pytorch_step_by_step():
    X = np.random.default_rng(0).random((230, 64))
    model = autoencoder(64, 16, seed=3)
    expected, twin = torch_training(model, X, epochs=3, noise=0.3, lr=0.01, batch_size=50,
                                    seed=5)
    losses = train_autoencoder(model, X, epochs=3, noise=0.3, lr=0.01, batch_size=50, seed=5)
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    np.testing.assert_allclose(model[2].weight.data, twin[2].weight.detach().numpy(),
                               rtol=1e-9, atol=1e-12)


def test_the_denoising_autoencoder_rebuilds_corrupted_digits_better(tmp_path):
    result = rp.experiments.run("denoising-autoencoder", epochs=40)
    corrupted, clean = result.data["corrupted"], result.data["clean"]
    assert corrupted["denoising"] < 0.85 * corrupted["plain"]
    assert clean["plain"] < clean["denoising"]  # the plain one is better at the identity
    identity = result.rows[0][3]  # the corrupted input itself, as a "reconstruction"
    assert corrupted["denoising"] < 0.5 * identity
    for curve in result.data["losses"].values():
        assert curve[-1] < 0.8 * curve[0]
    result.plot(tmp_path / "dae.png")
    assert (tmp_path / "dae.png").read_bytes()[:4] == b"\x89PNG"


def test_train_autoencoder_names_bad_arguments():
    import pytest

    X = np.zeros((4, 64))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        train_autoencoder(autoencoder(64, 4), X, epochs=1, noise=0.3, batch_size=0)
    with pytest.raises(ValueError, match=r"noise must be in \[0, 1\), got 1.5"):
        train_autoencoder(autoencoder(64, 4), X, epochs=1, noise=1.5)
