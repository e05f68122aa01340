"""Where the engine meets in-place writes and shapes: a tensor written in place after the
forward pass (an optimizer's step) is refused by ``backward``, as PyTorch's version counter
refuses it; gradients reach inputs of fewer axes than the output; only floating tensors
require gradients."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn
from retroprop.nn import functional as F


def _model_and_loss():
    rp.manual_seed(0)
    model = nn.Linear(3, 2)
    loss = (model(np.ones((4, 3), np.float32)) ** 2).sum()
    return model, loss


@pytest.mark.parametrize("write", ["sgd", "adam", "lbfgs", "load_state_dict", "max_norm"])
def test_backward_refuses_an_input_written_in_place_after_the_forward_pass(write):
    model, loss = _model_and_loss()
    loss.backward(retain_graph=True)
    if write == "max_norm":
        nn.regularize(model, max_norm=0.1).project_(lambda param: 0.0)
    elif write == "load_state_dict":
        model.load_state_dict(model.state_dict())
    elif write == "lbfgs":
        optimizer = rp.optim.LBFGS(model.parameters(), max_iter=2)

        def closure():
            optimizer.zero_grad()
            again = (model(np.ones((4, 3), np.float32)) ** 2).sum()
            again.backward()
            return again

        optimizer.step(closure)
    else:
        optimizer = {"sgd": rp.optim.SGD(model.parameters(), lr=0.1),
                     "adam": rp.optim.Adam(model.parameters())}[write]
        optimizer.step()
    with pytest.raises(RuntimeError, match=r"input 1 of Linear \(shape \(2, 3\)\) was "
                                           r"modified in place after the forward pass"):
        loss.backward()


def test_a_step_without_gradients_moves_nothing_and_is_no_write():
    model, loss = _model_and_loss()
    with pytest.warns(RuntimeWarning, match="none of its parameters has a gradient"):
        rp.optim.SGD(model.parameters(), lr=0.1).step()
    loss.backward()
    assert model.weight.grad is not None


def test_pytorch_refuses_the_same_where_it_saved_the_weight():
    """PyTorch checks the tensors a node saved: the second layer's weight, which the
    gradient of the hidden layer needs. retroprop checks every input of a node, so it
    also refuses a one-layer model, whose gradient would not have used the weight."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    loss = model(torch.ones(4, 3)).pow(2).sum()
    loss.backward(retain_graph=True)
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_backward_then_step_then_a_new_graph_is_the_usual_loop():
    model, loss = _model_and_loss()
    optimizer = rp.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss = (model(np.ones((4, 3), np.float32)) ** 2).sum()
    assert model.weight._version == 3


def test_a_bias_of_shape_1_by_out_gets_its_gradient_as_pytorch_gives_it():
    x, w, b = np.arange(12.).reshape(4, 3), np.ones((2, 3)), np.zeros((1, 2))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.linear(tx, tw, tb).sum().backward()
    rx, rw, rb = (rp.Tensor(a, requires_grad=True, dtype=np.float64) for a in (x, w, b))
    F.linear(rx, rw, rb).sum().backward()
    for ours, theirs in ((rx, tx), (rw, tw), (rb, tb)):
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_only_floating_tensors_require_gradients():
    labels = rp.Tensor._wrap(np.arange(3))
    with pytest.raises(RuntimeError, match=r"floating-point dtype .* got int64"):
        labels.requires_grad_()
    assert labels.requires_grad_(False) is labels
