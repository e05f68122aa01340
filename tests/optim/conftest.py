import numpy as np
import pytest
import torch

import retroprop as rp


@pytest.fixture
def problem():
    """A small tanh MLP in float64, its PyTorch twin, and a batch of data."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 5))
    y = rng.integers(0, 3, 32)
    model = rp.nn.Sequential(rp.nn.Linear(5, 8, dtype=np.float64), rp.nn.Tanh(),
                             rp.nn.Linear(8, 3, dtype=np.float64))
    twin = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for ours, theirs in zip((model[0], model[2]), (twin[0], twin[2]), strict=True):
            theirs.weight.copy_(torch.from_numpy(np.array(ours.weight.data)))
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    return model, twin, X, y


def closure_for(optimizer, fn, x):
    """A closure that evaluates ``fn(x)`` and its gradient, for ``optimizer.step``."""
    def closure():
        optimizer.zero_grad()
        value = fn(x)
        value.backward()
        return value
    return closure


def rp_closure(model, optimizer, X, y):
    def closure():
        optimizer.zero_grad()
        loss = rp.nn.CrossEntropyLoss()(model(X), y)
        loss.backward()
        return loss
    return closure


def torch_closure(twin, optimizer, X, y):
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(twin(inputs), labels)
        loss.backward()
        return loss
    return closure


@pytest.fixture(scope="session")
def digits_flat():
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM), y


def assert_steps_agree(problem, optimizer, reference, what, steps=20):
    """``steps`` steps of ``optimizer`` on ``problem``'s model and of the torch
    ``reference`` on its twin leave the same weights (rtol 1e-9) after every step."""
    model, twin, X, y = problem
    step, reference_step = rp_closure(model, optimizer, X, y), torch_closure(twin, reference, X, y)
    for index in range(steps):
        optimizer.step(step)
        reference.step(reference_step)
        for mine, expected in zip(model.parameters(), twin.parameters(), strict=True):
            np.testing.assert_allclose(mine.data, expected.detach().numpy(), rtol=1e-9,
                                       atol=1e-11, err_msg=f"{what}, step {index + 1}")
