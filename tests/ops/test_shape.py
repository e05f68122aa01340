"""Shape operations with PyTorch's signatures where NumPy reads the same call otherwise:
``transpose(dim0, dim1)`` swaps two axes, values and gradients against PyTorch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp


def _pair(shape):
    values = np.random.default_rng(0).standard_normal(shape)
    return (rp.Tensor(values, requires_grad=True, dtype=np.float64),
            torch.tensor(values, requires_grad=True))


def _same(mine: rp.Tensor, theirs: torch.Tensor, x: rp.Tensor, t: torch.Tensor) -> None:
    assert mine.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(mine.data, theirs.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(mine.shape)
    mine.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize(("shape", "dims"), [
    ((3, 4), (0, 1)),  # NumPy: the identity permutation; PyTorch: the transpose
    ((3, 4), (-2, -1)),
    ((3, 4), (1, 0)),
    ((2, 3, 4), (1, 2)),  # NumPy: not a permutation (it raised)
    ((2, 3, 4), (-1, 0)),
    ((2, 3, 4, 5), (-2, -1)),
    ((5,), (0, -1)),
    ((), (0, -1)),
])
def test_transpose_of_two_dims_swaps_them_as_torch(shape, dims):
    x, t = _pair(shape)
    _same(x.transpose(*dims), t.transpose(*dims), x, t)


@pytest.mark.parametrize("spread", [False, True], ids=["sequence", "integers"])
@pytest.mark.parametrize("order", [(2, 0, 1), (0, 2, 1), (-1, 0, 1)])
def test_transpose_of_a_full_permutation_permutes_as_torch(order, spread):
    x, t = _pair((2, 3, 4))
    _same(x.transpose(*order) if spread else x.transpose(order), t.permute(order), x, t)


@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (0, 3)])
def test_flatten_without_arguments_flattens_everything_as_torch(shape):
    x, t = _pair(shape)
    _same(x.flatten(), t.flatten(), x, t)
    assert rp.ops.flatten(rp.Tensor(np.ones(shape))).shape == tuple(torch.flatten(t).shape)
