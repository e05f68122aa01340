"""``nn.RNN`` (Berzal, "Backpropagation", Granada, "Redes recurrentes") against
``torch.nn.RNN`` in float64, forward and backpropagation through time, and against finite
differences."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn


def twin_of(ours, **options):
    theirs = torch.nn.RNN(ours.input_size, ours.hidden_size, num_layers=ours.num_layers,
                          nonlinearity=ours.nonlinearity, bias=ours.bias,
                          batch_first=ours.batch_first, **options).double()
    named = dict(theirs.named_parameters())
    assert set(named) == {name for name, _ in ours.named_parameters()}
    for name, param in ours.named_parameters():
        named[name].data = torch.tensor(param.data.copy())
    return theirs, named


@pytest.mark.parametrize("options", [
    {}, {"num_layers": 2}, {"nonlinearity": "relu"}, {"bias": False},
    {"batch_first": True, "num_layers": 3},
])
@pytest.mark.parametrize("with_h0", [False, True])
def test_forward_and_bptt_match_torch(options, with_h0):
    rp.manual_seed(0)
    ours = nn.RNN(3, 4, dtype=np.float64, **options)
    theirs, named = twin_of(ours)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 3) if ours.batch_first else (6, 2, 3))
    h0 = rng.normal(size=(ours.num_layers, 2, 4)) if with_h0 else None
    mine_x = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    mine_h0 = rp.Tensor(h0, requires_grad=True, dtype=np.float64) if with_h0 else None
    their_x = torch.tensor(x, requires_grad=True)
    their_h0 = torch.tensor(h0, requires_grad=True) if with_h0 else None
    output, h_n = ours(mine_x, mine_h0)
    expected, expected_h = theirs(their_x, their_h0)
    np.testing.assert_allclose(output.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.data, expected_h.detach().numpy(), rtol=1e-10, atol=1e-12)
    g_out, g_h = rng.normal(size=output.shape), rng.normal(size=h_n.shape)
    ((output * rp.Tensor(g_out, dtype=np.float64)).sum()
     + (h_n * rp.Tensor(g_h, dtype=np.float64)).sum()).backward()
    ((expected * torch.tensor(g_out)).sum() + (expected_h * torch.tensor(g_h)).sum()).backward()
    np.testing.assert_allclose(mine_x.grad, their_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    if with_h0:
        np.testing.assert_allclose(mine_h0.grad, their_h0.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad, named[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_one_unbatched_sequence_matches_torch():
    rp.manual_seed(2)
    ours = nn.RNN(2, 3, dtype=np.float64)
    theirs, _ = twin_of(ours)
    x = np.random.default_rng(3).normal(size=(5, 2))
    output, h_n = ours(rp.Tensor(x, dtype=np.float64))
    expected, expected_h = theirs(torch.tensor(x))
    assert output.shape == (5, 3) and h_n.shape == (1, 3)
    np.testing.assert_allclose(output.data, expected.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(h_n.data, expected_h.detach().numpy(), rtol=1e-10)


def test_bptt_finite_differences():
    rp.manual_seed(4)
    ours = nn.RNN(2, 3, num_layers=2, dtype=np.float64)
    rng = np.random.default_rng(5)
    x, h0 = rng.normal(size=(4, 2, 2)), rng.normal(size=(2, 2, 3))
    g_out, g_h = rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 2, 3))

    def loss(x, h0):
        output, h_n = ours(x, h0)
        return (output * rp.Tensor(g_out, dtype=np.float64)).sum() + \
            (h_n * rp.Tensor(g_h, dtype=np.float64)).sum()

    assert rp.gradcheck(loss, [rp.Tensor(x, requires_grad=True, dtype=np.float64),
                               rp.Tensor(h0, requires_grad=True, dtype=np.float64)])
    inputs = [rp.Tensor(x, dtype=np.float64), rp.Tensor(h0, dtype=np.float64)]
    ours.zero_grad()  # gradcheck's backward passes have accumulated into them
    loss(*inputs).backward()
    eps = 1e-6
    for name, param in ours.named_parameters():
        numeric = np.zeros_like(param.data)
        for index in np.ndindex(param.shape):
            original = param.data[index]
            values = []
            for shift in (eps, -eps):
                param.data[index] = original + shift
                with rp.no_grad():
                    values.append(loss(*inputs).item())
            param.data[index] = original
            numeric[index] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(param.grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_bad_arguments():
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 2, nonlinearity="sigmoid")
    rnn = nn.RNN(3, 2)
    with pytest.raises(ValueError, match=r"expected input of shape \(T, N, 3\)"):
        rnn(np.zeros((4, 2, 5), np.float32))
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 2, 2\)"):
        rnn(np.zeros((4, 2, 3), np.float32), np.zeros((2, 2, 2), np.float32))


@pytest.mark.parametrize("batch_first, shape", [(False, (0, 2, 3)), (True, (2, 0, 3)),
                                                (False, (0, 3)), (True, (0, 3))])
def test_an_empty_sequence_is_named(batch_first, shape):
    """T = 0 failed inside ``stack`` ("needs a non-empty sequence of tensors")."""
    with pytest.raises(ValueError, match=r"holds sequences of length T = 0"):
        nn.RNN(3, 2, batch_first=batch_first)(np.zeros(shape, np.float32))


def test_an_empty_batch_gives_empty_outputs():
    output, h_n = nn.RNN(3, 2, num_layers=2)(np.zeros((4, 0, 3), np.float32))
    assert output.shape == (4, 0, 2) and h_n.shape == (2, 0, 2)
