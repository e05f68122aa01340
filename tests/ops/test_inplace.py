"""In-place operators as PyTorch gives them: written in place outside the graph (the manual
update of a training loop), refused on a parameter while recording, recorded out of place
for the other tensors of a graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp

SYMBOLS = ["+", "-", "*", "/"]


def apply_in_place(symbol, target, operand):
    if symbol == "+":
        target += operand
    elif symbol == "-":
        target -= operand
    elif symbol == "*":
        target *= operand
    else:
        target /= operand
    return target


def test_the_manual_training_loop_of_pytorch_updates_the_parameters():
    # Before: ``p -= ...`` bound the loop variable to a new tensor; the parameters never moved.
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    start = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    mine = [rp.Tensor(p, requires_grad=True, dtype=np.float64) for p in start]
    theirs = [torch.tensor(p, requires_grad=True) for p in start]
    for params, data, target, grad_of, no_grad in [
        (mine, rp.Tensor(x, dtype=np.float64), rp.Tensor(y, dtype=np.float64),
         lambda p: p.grad, rp.no_grad),
        (theirs, torch.tensor(x), torch.tensor(y), lambda p: p.grad, torch.no_grad),
    ]:
        for _ in range(3):
            loss = ((data @ params[0] + params[1] - target) ** 2).mean()
            loss.backward()
            with no_grad():
                for p in params:
                    p -= 0.1 * grad_of(p)
                    p.grad = None
    for p, reference in zip(mine, theirs, strict=True):
        assert p.requires_grad and p.is_leaf
        np.testing.assert_allclose(p.data, reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_in_place_outside_the_graph_writes_the_array_every_reference_sees(symbol):
    data = np.array([1.0, 2.0, 4.0])
    operand = np.array([2.0, 0.5, -1.0])
    for make, values in [(rp.Tensor, lambda t: t.data), (torch.tensor, lambda t: t.numpy())]:
        plain = make(data.copy())
        weight = make(data.copy(), requires_grad=True)
        alias, array = plain, values(plain)
        result = apply_in_place(symbol, plain, make(operand))
        assert result is alias and np.shares_memory(values(plain), array)
        with (rp.no_grad() if make is rp.Tensor else torch.no_grad()):
            before = weight
            apply_in_place(symbol, weight, make(operand))
        assert weight is before and weight.requires_grad and weight.is_leaf
        expected = {"+": data + operand, "-": data - operand,
                    "*": data * operand, "/": data / operand}[symbol]
        np.testing.assert_allclose(values(plain), expected)
        np.testing.assert_allclose(values(weight.detach()), expected)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_in_place_on_a_parameter_while_recording_is_refused_as_torch(symbol):
    with pytest.raises(RuntimeError, match="leaf"):
        apply_in_place(symbol, torch.ones(2, requires_grad=True), 2.0)
    weight = rp.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*no_grad"):
        apply_in_place(symbol, weight, 2.0)
    np.testing.assert_array_equal(weight.data, [1.0, 2.0])


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_in_place_inside_the_graph_gives_torch_values_and_gradients(symbol):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, 4)
    grads = []
    for make in (lambda v: rp.Tensor(v, requires_grad=True, dtype=np.float64),
                 lambda v: torch.tensor(v, requires_grad=True)):
        x, w = make(a), make(b)
        out = x * 2.0
        out = apply_in_place(symbol, out, w)  # a residual block's ``out += identity``
        (out * out).sum().backward()
        grads.append((out.data if isinstance(out, rp.Tensor) else out.detach().numpy(),
                      x.grad, w.grad))
    for mine, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-12)


def test_writing_an_input_in_place_makes_backward_refuse_as_torch():
    for make in (rp.Tensor, torch.tensor):
        x = make([1.0, 2.0])
        weight = make([3.0, 4.0], requires_grad=True)
        loss = (weight * x).sum()
        x += 1.0
        with pytest.raises(RuntimeError, match="modified"):
            loss.backward()


def test_in_place_errors_name_the_shapes_and_dtypes():
    target = rp.Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"t has shape \(3,\).*u has shape \(2, 3\)"):
        target += np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match=r"float32.*float64.*never converts"):
        target -= rp.Tensor([1.0, 1.0, 1.0], dtype=np.float64)
    labels = rp.tensor([1, 2])
    labels += 1
    np.testing.assert_array_equal(labels.data, [2, 3])
    with pytest.raises(TypeError, match="int64"):
        labels /= 2
    with pytest.raises(TypeError, match="int64"):
        labels *= 0.5
    np.testing.assert_array_equal(labels.data, [2, 3])


def test_in_place_into_a_read_only_array_says_so_and_leaves_it():
    target = rp.Tensor(np.broadcast_to(np.ones(3, np.float32), (2, 3)))
    with pytest.raises(ValueError, match=r"read-only.*clone\(\)"):
        target += 1.0
    np.testing.assert_array_equal(target.data, np.ones((2, 3)))
    assert target._version == 0
