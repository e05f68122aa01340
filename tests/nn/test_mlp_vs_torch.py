"""A whole MLP 784-256-128-10 (ReLU, cross-entropy) gives PyTorch's loss and gradients."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn


@pytest.mark.parametrize(("dtype", "torch_dtype", "rtol"),
                         [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-5)])
def test_mlp_loss_and_gradients_match_torch(dtype, torch_dtype, rtol):
    rng = np.random.default_rng(0)
    x = rng.random((64, 784))
    y = rng.integers(0, 10, 64)
    ours = nn.Sequential(nn.Linear(784, 256, dtype=dtype), nn.ReLU(),
                         nn.Linear(256, 128, dtype=dtype), nn.ReLU(),
                         nn.Linear(128, 10, dtype=dtype))
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                 torch.nn.Linear(128, 10)).to(torch_dtype)
    for layer in (0, 2, 4):
        ours[layer].bias.data[:] = rng.standard_normal(ours[layer].bias.shape) * 0.1
        theirs[layer].weight.data = torch.tensor(ours[layer].weight.data)
        theirs[layer].bias.data = torch.tensor(ours[layer].bias.data)

    loss = nn.CrossEntropyLoss()(ours(rp.Tensor(x, dtype=dtype)), y)
    loss.backward()
    expected = torch.nn.functional.cross_entropy(
        theirs(torch.tensor(x, dtype=torch_dtype)), torch.tensor(y))
    expected.backward()

    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=rtol)
    for (name, param), reference in zip(ours.named_parameters(), theirs.parameters(),
                                        strict=True):
        scale = np.abs(reference.grad.numpy()).max()
        np.testing.assert_allclose(param.grad, reference.grad.numpy(), rtol=rtol,
                                   atol=rtol * scale, err_msg=name)
