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


# ------------------------------------------------------------------ t[index] = value
SETITEMS = {
    # the two-layer network of "Learning PyTorch with Examples": grad_h[h < 0] = 0
    "mask": lambda t, lib: t.__setitem__(t < 0, 0),
    "column": lambda t, lib: t.__setitem__((slice(None), 0), lib.tensor([1.0, 2.0, 3.0])),
    "rows": lambda t, lib: t.__setitem__([0, 2], 1.5),
    "row_broadcast": lambda t, lib: t.__setitem__(1, lib.tensor([1.0, 2.0, 3.0, 4.0])),
    "integer_value": lambda t, lib: t.__setitem__((0, slice(1, 3)), lib.tensor([7, 8])),
    "index_tensor": lambda t, lib: t.__setitem__(lib.tensor([2, 0]), -1.0),
    "ellipsis": lambda t, lib: t.__setitem__((Ellipsis, -1), 0.25),
}


@pytest.mark.parametrize("name", sorted(SETITEMS))
def test_setitem_writes_as_torch(name):
    data = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours, theirs = rp.tensor(data), torch.tensor(data)
    version = ours._version
    SETITEMS[name](ours, rp)
    SETITEMS[name](theirs, torch)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == np.float32 and ours._version == version + 1


def test_setitem_of_an_integer_tensor_as_torch_and_a_fraction_refused():
    ours, theirs = rp.zeros(4, dtype=rp.long), torch.zeros(4, dtype=torch.long)
    ours[1:3] = 5
    theirs[1:3] = 5
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match=r"t\[index\] = value: value=1.5 does not fit the "
                                         r"dtype int64 exactly"):
        ours[0] = 1.5  # PyTorch truncates it to 1


def test_setitem_through_a_slice_writes_the_base_and_raises_its_version():
    base, expected = rp.zeros((2, 3)), torch.zeros((2, 3))
    row, expected_row = base[1], expected[1]
    row[0] = 4.0
    expected_row[0] = 4.0
    np.testing.assert_array_equal(base.numpy(), expected.numpy())
    assert base._version == 1


def test_setitem_of_a_saved_tensor_makes_backward_refuse_as_torch():
    for lib, message in [(rp, "input 1 of Mul .* was modified in place"),
                         (torch, "modified by an inplace operation")]:
        w = lib.ones(3, requires_grad=True)
        a = lib.tensor([1.0, 2.0, 3.0])
        loss = (w * a).sum()
        a[0] = 5.0
        with pytest.raises(RuntimeError, match=message):
            loss.backward()


def test_setitem_of_a_parameter_under_no_grad_as_torch_refused_while_recording():
    w = rp.zeros(3, requires_grad=True)
    with rp.no_grad():
        w[0] = 2.0
    np.testing.assert_array_equal(w.numpy(), [2.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"t\[index\] = value: t is a leaf tensor that "
                                           r"requires grad"):
        w[1] = 1.0
    y = w * 2  # PyTorch records the write into y; retroprop asks for rp.where
    with pytest.raises(RuntimeError, match=r"records no in-place methods.*rp.where\(mask, "
                                           r"value, t\)"):
        y[y > 1] = 0.0
    with pytest.raises(RuntimeError, match="records no in-place methods"):
        rp.zeros(3)[0] = w.sum()


@pytest.mark.parametrize("index, value, error, message", [
    ((slice(None), 0), np.ones(4), ValueError,
     r"t\[index\] = value: value of shape \(4,\) does not broadcast to t\[index\] of "
     r"shape \(3,\)"),
    (np.array([0.0, 1.0]), 1.0, IndexError,
     r"t\[index\] = value: an index tensor or array must hold integers or booleans, got "
     r"dtype float64"),
    (0, "one", TypeError, r"t\[index\] = value: value must be a number, got 'one'"),
])
def test_setitem_refuses_bad_input(index, value, error, message):
    with pytest.raises(error, match=message):
        rp.zeros((3, 4))[index] = value


def test_setitem_of_a_read_only_array_is_refused():
    t = rp.from_numpy(np.broadcast_to(np.zeros(3, dtype=np.float32), (2, 3)))
    with pytest.raises(ValueError, match=r"t\[index\] = value: t's array \(shape \(2, 3\)\) "
                                         "is read-only"):
        t[0] = 1.0
