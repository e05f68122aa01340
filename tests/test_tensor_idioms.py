"""The tensor idioms of manual training loops (PyTorch's tutorials, "What is torch.nn
really?", lecture exercises), each against PyTorch: in-place methods under ``no_grad``,
comparisons and logic, sorting, splitting, the new factories, ``set_grad_enabled`` and
``nn.utils.parameters_to_vector``. The gradients of the differentiable ones are in the op
registry (``tests/ops/test_registry.py``) and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn


def pair(data):
    """The same values as a retroprop tensor and a PyTorch tensor."""
    return rp.from_numpy(np.array(data)), torch.from_numpy(np.array(data))


# ------------------------------------------------------------------ in-place methods
IN_PLACE = {
    "add_": lambda t, u: t.add_(u), "add_alpha": lambda t, u: t.add_(u, alpha=-0.25),
    "sub_": lambda t, u: t.sub_(u), "sub_alpha": lambda t, u: t.sub_(u, alpha=3),
    "mul_": lambda t, u: t.mul_(u), "div_": lambda t, u: t.div_(u),
    "add_number": lambda t, u: t.add_(2.5), "mul_number": lambda t, u: t.mul_(-2),
    "zero_": lambda t, u: t.zero_(), "fill_": lambda t, u: t.fill_(-1.5),
    "copy_": lambda t, u: t.copy_(u), "copy_broadcast": lambda t, u: t.copy_(u[0]),
    "clamp_": lambda t, u: t.clamp_(-0.5, 0.25), "clamp_min": lambda t, u: t.clamp_(min=0),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_methods_write_into_the_array_and_return_self(name):
    rng = np.random.default_rng(0)
    data, other = rng.normal(size=(3, 4)), rng.uniform(0.5, 2, (3, 4))
    ours, theirs = rp.from_numpy(data.copy()), torch.from_numpy(data.copy())
    array = ours.data
    result = IN_PLACE[name](ours, rp.from_numpy(other))
    expected = IN_PLACE[name](theirs, torch.from_numpy(other))
    assert result is ours and ours.data is array and ours._version == 1
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-15)


def test_manual_sgd_loop_as_in_the_tutorial_matches_torch():
    """"What is torch.nn really?": a linear model updated by hand under no_grad (with
    ``w.grad = None`` where PyTorch writes ``w.grad.zero_()``), step by step as PyTorch."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    w0, b0 = rng.normal(size=(5, 3)) / 5 ** 0.5, np.zeros(3)
    ours = [rp.tensor(w0, dtype=np.float64, requires_grad=True),
            rp.tensor(b0, dtype=np.float64, requires_grad=True)]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    held = [p.data for p in ours]
    for _ in range(4):
        loss = rp.nn.functional.cross_entropy(rp.from_numpy(x) @ ours[0] + ours[1],
                                              rp.from_numpy(y))
        loss.backward()
        expected = torch.nn.functional.cross_entropy(torch.from_numpy(x) @ theirs[0]
                                                     + theirs[1], torch.from_numpy(y))
        expected.backward()
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
        with rp.no_grad():
            ours[0].sub_(rp.from_numpy(ours[0].grad) * 0.5)
            ours[1].add_(ours[1].grad, alpha=-0.5)
        with torch.no_grad():
            theirs[0].sub_(theirs[0].grad * 0.5)
            theirs[1].add_(theirs[1].grad, alpha=-0.5)
        for p in ours:
            p.grad = None
        for p in theirs:
            p.grad.zero_()
    for mine, reference, array in zip(ours, theirs, held, strict=True):
        assert mine.data is array
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_",
                                  "clamp_"])
def test_in_place_methods_on_a_parameter_while_recording_are_refused_as_in_torch(name):
    call = IN_PLACE[name]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        call(torch.ones(2, 3, requires_grad=True), torch.ones(2, 3))
    w = rp.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^{name}: t is a leaf tensor that requires grad "
                                           r"\(a parameter, shape \(2, 3\)\)"):
        call(w, rp.ones(2, 3))
    assert w._version == 0 and (w.numpy() == 1).all()


def test_in_place_methods_are_not_recorded_in_a_graph():
    w = rp.ones(3, requires_grad=True)
    hidden = w * 2
    with pytest.raises(RuntimeError, match=r"mul_: retroprop records no in-place methods.*"
                                           r"use t = t \* \.\.\."):
        hidden.mul_(3)
    with pytest.raises(RuntimeError, match="add_: retroprop records no in-place methods"):
        rp.zeros(3).add_(w)


def test_a_graph_that_used_the_old_values_refuses_backward():
    w = rp.ones(3, requires_grad=True)
    loss = (w * w).sum()
    with rp.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        loss.backward()


def test_an_in_place_method_through_a_view_counts_as_a_write_of_its_base():
    w = rp.ones(4, requires_grad=True)
    loss = (w * w).sum()
    with rp.no_grad():
        first, _ = w.split(2)
        first.zero_()
    assert w.numpy().tolist() == [0, 0, 1, 1] and w._version == 1
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        loss.backward()


def test_an_optimizer_sees_the_values_written_in_place():
    model = nn.Linear(3, 2)
    optimizer = rp.optim.SGD(model.parameters(), lr=0.1)
    with rp.no_grad():
        model.weight.fill_(0.5)
        model.bias.zero_()
    model(rp.ones(4, 3)).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(model.weight.numpy(), 0.5 - 0.1 * 4, rtol=1e-6)
    np.testing.assert_allclose(model.bias.numpy(), -0.1 * 4, rtol=1e-6)


def test_grad_is_a_numpy_array_without_zero_():
    """The documented choice: ``w.grad`` is an ndarray, so ``w.grad.zero_()`` does not
    exist; ``w.grad = None`` (or ``optimizer.zero_grad()``) forgets it."""
    w = rp.ones(2, requires_grad=True)
    (w * 3).sum().backward()
    assert isinstance(w.grad, np.ndarray) and not hasattr(w.grad, "zero_")


# ------------------------------------------------------------------ comparisons and logic
VALUES = [[1.0, np.nan, -2.0, 0.0], [np.inf, 0.5, 0.0, -np.inf], [3.0, 3.0, -1.0, 2.0]]
LOGIC = {
    "eq": lambda t, u: t.eq(u), "ne": lambda t, u: t.ne(u), "lt": lambda t, u: t.lt(u),
    "le": lambda t, u: t.le(u), "gt": lambda t, u: t.gt(0.5), "ge": lambda t, u: t.ge(u[0]),
    "isnan": lambda t, u: t.isnan(), "isfinite": lambda t, u: t.isfinite(),
    "logical_not": lambda t, u: t.logical_not(), "logical_and": lambda t, u: t.logical_and(u),
    "logical_or": lambda t, u: t.logical_or(u), "any": lambda t, u: t.any(),
    "any_dim": lambda t, u: t.any(1), "all_keepdim": lambda t, u: t.all(dim=0, keepdim=True),
    "all": lambda t, u: (t > -5).all(), "nonzero": lambda t, u: t.nonzero(),
    "nonzero_tuple": lambda t, u: t.nonzero(as_tuple=True)[1],
    "rp_isnan": lambda t, u: (rp if isinstance(t, rp.Tensor) else torch).isnan(t),
}


@pytest.mark.parametrize("name", sorted(LOGIC))
def test_comparisons_and_logic_are_torchs(name):
    ours, theirs = pair(VALUES)
    other_ours, other_theirs = pair(np.array(VALUES)[::-1].copy())
    got = LOGIC[name](ours, other_ours)
    expected = LOGIC[name](theirs, other_theirs)
    assert got.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert not got.requires_grad


@pytest.mark.parametrize("shape", [(), (5,), (2, 0), (2, 3, 2)])
def test_nonzero_of_any_shape_is_torchs(shape):
    data = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(np.int64)
    ours, theirs = pair(data)
    assert ours.nonzero().numpy().tolist() == theirs.nonzero().tolist()
    assert ours.nonzero().shape == tuple(theirs.nonzero().shape)
    for mine, reference in zip(ours.nonzero(as_tuple=True), theirs.nonzero(as_tuple=True),
                               strict=True):
        assert mine.numpy().tolist() == reference.tolist()


# ------------------------------------------------------------------ sorting and splitting
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_are_torchs_stable_sort_with_nan_largest(dim, descending):
    data = np.array([[2.0, np.nan, 1.0, 2.0], [0.0, 0.0, -1.0, 5.0], [np.nan, 3.0, 1.0, 0.0]])
    ours, theirs = pair(data)
    values, indices = ours.sort(dim, descending)
    expected = theirs.sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    assert indices.dtype == np.int64
    argsort = rp.argsort(ours, dim, descending)
    np.testing.assert_array_equal(argsort.numpy(), torch.argsort(
        theirs, dim=dim, descending=descending, stable=True).numpy())


def test_sort_of_integer_labels():
    labels, reference = pair(np.array([3, 0, 7, 7, 1], dtype=np.uint8))
    assert labels.sort(descending=True).values.tolist() == [7, 7, 3, 1, 0]
    assert labels.argsort().tolist() == reference.argsort(stable=True).tolist()


@pytest.mark.parametrize("length", [0, 1, 5, 6, 7])
@pytest.mark.parametrize("parts", [1, 2, 3, 4])
def test_chunk_and_split_cut_as_torch(length, parts):
    ours, theirs = pair(np.arange(2 * length).reshape(2, length))
    mine, reference = ours.chunk(parts, dim=1), theirs.chunk(parts, dim=1)
    assert [p.numpy().tolist() for p in mine] == [p.tolist() for p in reference]
    assert isinstance(mine, tuple)
    if length:
        mine, reference = ours.split(parts, 1), theirs.split(parts, 1)
        assert [p.numpy().tolist() for p in mine] == [p.tolist() for p in reference]
    sizes = [length // 2, length - length // 2]
    assert [p.shape for p in rp.split(ours, sizes, dim=-1)] == \
        [tuple(p.shape) for p in torch.split(theirs, sizes, dim=-1)]


def test_pieces_are_views_in_the_graph():
    x = rp.arange(6.0).reshape(2, 3).requires_grad_()
    first, second = x.split([1, 2], dim=1)
    assert np.shares_memory(first.numpy(), x.numpy())
    (first.sum() * 2 + second.sum() * 3).backward()
    assert x.grad.tolist() == [[2, 3, 3], [2, 3, 3]]


# ------------------------------------------------------------------ more methods
def test_integer_tensors_keep_their_values_and_dtypes_as_torch():
    ours, theirs = pair(np.array([[3, -2], [0, 5]]))
    for name in ("floor", "ceil", "trunc", "round", "sign", "square"):
        got, expected = getattr(ours, name)(), getattr(theirs, name)()
        assert got.dtype == np.int64 and got.tolist() == expected.tolist(), name
    assert ours.cumsum(0).tolist() == theirs.cumsum(0).tolist()
    assert ours.prod(1).tolist() == theirs.prod(1).tolist()
    assert ours.prod().dtype == np.int64
    assert rp.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]
    assert ours.logsumexp(1).dtype == np.float32


def test_new_tensors_take_the_dtype_of_self_as_torch():
    for data in (np.zeros((2, 3)), np.zeros(2, dtype=np.int64), np.zeros(2, np.float32)):
        ours, theirs = pair(data)
        cases = [(ours.new_zeros(2, 3), theirs.new_zeros(2, 3)),
                 (ours.new_ones((4,)), theirs.new_ones((4,))),
                 (ours.new_full((2,), 3), theirs.new_full((2,), 3)),
                 (ours.new_tensor([1, 2]), theirs.new_tensor([1, 2])),
                 (ours.new_zeros(2, dtype=rp.bool), theirs.new_zeros(2, dtype=torch.bool))]
        for got, expected in cases:
            assert got.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
            assert got.numpy().tolist() == expected.tolist()
    assert rp.zeros(2).new_ones(2, requires_grad=True).requires_grad


def test_masked_fill_value_of_an_integer_tensor():
    labels = rp.tensor([1, 2, 3])
    assert labels.masked_fill(labels > 1, -100).tolist() == [1, -100, -100]


# ------------------------------------------------------------------ factories
def test_randint_and_randperm_follow_manual_seed():
    rp.manual_seed(7)
    first = rp.randint(3, 9, (200,)), rp.randperm(10), rp.randint(4, size=(2, 3))
    rp.manual_seed(7)
    second = rp.randint(3, 9, (200,)), rp.randperm(10), rp.randint(4, size=(2, 3))
    for a, b in zip(first, second, strict=True):
        assert a.dtype == np.int64 and np.array_equal(a.numpy(), b.numpy())
    assert set(first[0].tolist()) == set(range(3, 9))
    assert sorted(first[1].tolist()) == list(range(10))
    assert first[2].shape == (2, 3) and first[2].numpy().max() < 4
    assert rp.randint(0, 5, (3,), dtype=rp.float32).dtype == np.float32
    assert rp.randperm(0).shape == (0,)


FACTORIES = {
    "linspace": lambda lib: lib.linspace(-1, 2, 7),
    "linspace_one": lambda lib: lib.linspace(0, 1, 1),
    "linspace_long": lambda lib: lib.linspace(0, 10, 4, dtype=lib.long),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 4, dtype=lib.float64),
    "full_float": lambda lib: lib.full((2, 3), 1.5),
    "full_int": lambda lib: lib.full((2,), 7),
    "full_bool": lambda lib: lib.full((2,), True),
    "full_dtype": lambda lib: lib.full((2,), 7, dtype=lib.float64),
    "full_like": lambda lib: lib.full_like(lib.zeros(2, 3, dtype=lib.long), 4),
    "full_like_dtype": lambda lib: lib.full_like(lib.zeros(2), 0.5, dtype=lib.float64),
    "empty": lambda lib: lib.empty(2, 3).shape,
    "empty_dtype": lambda lib: lib.empty((2,), dtype=lib.float64).dtype,
    "zeros_long": lambda lib: lib.zeros(3, dtype=lib.long),
    "ones_bool": lambda lib: lib.ones((2, 1), dtype=lib.bool),
    "as_tensor_list": lambda lib: lib.as_tensor([1, 2]),
    "as_tensor_dtype": lambda lib: lib.as_tensor([1, 2], dtype=lib.float64),
    "randn_like": lambda lib: (lib.randn_like(lib.zeros(3, 2, dtype=lib.float64)).dtype,
                               lib.randn_like(lib.zeros(3, 2)).shape),
    "is_tensor": lambda lib: (lib.is_tensor(lib.zeros(1)), lib.is_tensor(np.zeros(1))),
}


def plain(value):
    """A result of either library as comparable Python values."""
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, torch.Tensor | rp.Tensor):
        return (plain(value.dtype), value.tolist())
    if isinstance(value, torch.dtype):
        return str(value).removeprefix("torch.")
    if isinstance(value, np.dtype):
        return str(value)
    return tuple(value) if isinstance(value, torch.Size) else value


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_are_torchs(name):
    got, expected = plain(FACTORIES[name](rp)), plain(FACTORIES[name](torch))
    if name.startswith("linspace"):
        assert got[0] == expected[0]
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    else:
        assert got == expected


def test_as_tensor_shares_what_it_can():
    array = np.ones(3)
    assert rp.as_tensor(array).numpy() is array and rp.as_tensor(array).dtype == np.float64
    x = rp.ones(2, requires_grad=True)
    assert rp.as_tensor(x) is x
    assert rp.as_tensor(array, dtype=rp.float32).dtype == np.float32
    assert rp.as_tensor(x, dtype=rp.float64).requires_grad


def test_set_grad_enabled_as_function_context_and_decorator():
    w = rp.ones(2, requires_grad=True)
    try:
        rp.set_grad_enabled(False)
        assert not (w * 2).requires_grad and not rp.is_grad_enabled()
    finally:
        rp.set_grad_enabled(True)
    for training in (True, False):
        with rp.set_grad_enabled(training):
            assert (w * 2).requires_grad is training
        assert rp.is_grad_enabled()
    with rp.no_grad(), rp.set_grad_enabled(True):
        assert (w * 2).requires_grad

    @rp.set_grad_enabled(False)
    def predict(x):
        return x * 2

    assert rp.is_grad_enabled() and not predict(w).requires_grad and rp.is_grad_enabled()


def test_parameters_to_vector_and_back_as_torch():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    vector = nn.utils.parameters_to_vector(model.parameters())
    expected = torch.nn.utils.parameters_to_vector(reference.parameters())
    np.testing.assert_array_equal(vector.numpy(), expected.detach().numpy())
    (vector ** 2).sum().backward()
    np.testing.assert_allclose(model[0].weight.grad, 2 * model[0].weight.numpy())
    arrays = [p.data for p in model.parameters()]
    versions = [p._version for p in model.parameters()]
    new = np.arange(vector.size, dtype=np.float32)
    nn.utils.vector_to_parameters(rp.from_numpy(new), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), reference.parameters())
    for mine, theirs, array, version in zip(model.parameters(), reference.parameters(),
                                            arrays, versions, strict=True):
        assert mine.data is array and mine._version == version + 1
        np.testing.assert_array_equal(mine.numpy(), theirs.detach().numpy())


# ------------------------------------------------------------------ bad calls
BAD_CALLS = [
    (lambda: rp.zeros(3).add_(rp.zeros(2, 3)), ValueError,
     r"add_: t has shape \(3,\) .* u has shape \(2, 3\)"),
    (lambda: rp.zeros(3).add_(rp.zeros(3, dtype=rp.float64)), TypeError,
     "never converts silently"),
    (lambda: rp.zeros(3, dtype=rp.long).add_(rp.ones(3, dtype=rp.long), alpha=0.5), TypeError,
     "add_: alpha must be an integer for a tensor of dtype int64, got 0.5"),
    (lambda: rp.zeros(3, dtype=rp.long).div_(2), TypeError,
     "the result must keep t's shape and dtype"),
    (lambda: rp.zeros(3).add_(1, alpha="2"), TypeError, "add_: alpha must be a number, got '2'"),
    (lambda: rp.zeros(3).mul_(None), TypeError,
     "mul_: other must be a tensor, an array or a number, got None"),
    (lambda: rp.zeros(3).fill_(rp.zeros(2)), ValueError,
     r"fill_: value must be a number or a 0-d tensor, got a tensor of shape \(2,\)"),
    (lambda: rp.zeros(3, dtype=rp.long).fill_(0.5), ValueError,
     "fill_: value=0.5 does not fit the dtype int64 exactly"),
    (lambda: rp.zeros(3).copy_(rp.zeros(4)), ValueError,
     r"copy_: src of shape \(4,\) does not broadcast to t's shape \(3,\)"),
    (lambda: rp.zeros(3).clamp_(), ValueError, "clamp_: min and max are both None"),
    (lambda: rp.from_numpy(np.broadcast_to(np.zeros(1), (3,))).zero_(), ValueError,
     r"zero_: t's array \(shape \(3,\)\) is read-only"),
    (lambda: rp.zeros(2, 3).eq(rp.zeros(2)), ValueError,
     r"eq: shapes \(2, 3\) and \(2,\) do not broadcast"),
    (lambda: rp.zeros(2, 3).any(dim=2), IndexError, "any: dim 2 is out of range"),
    (lambda: rp.zeros(2, 3).expand(3, 3), ValueError,
     r"expand: size 3 at position 0 does not fit the tensor of shape \(2, 3\) \(expected 2 "
     r"or -1"),
    (lambda: rp.zeros(2, 3).expand(3), ValueError,
     r"expand: sizes \(3,\) name fewer axes than the tensor of shape \(2, 3\) has \(2\)"),
    (lambda: rp.zeros(2, 3).expand(2, 1.5), TypeError, r"expand: sizes must be integers"),
    (lambda: rp.zeros(2, 3).repeat(2), ValueError,
     r"repeat: expected one non-negative count per axis of the tensor of shape \(2, 3\)"),
    (lambda: rp.zeros(2, 3).flip(0, 0), ValueError, "flip: dims .* names an axis twice"),
    (lambda: rp.zeros(2, 3).flip(), ValueError, "flip: expected the axes to reverse"),
    (lambda: rp.zeros(2, 3).chunk(0), ValueError, "chunk: chunks must be positive, got 0"),
    (lambda: rp.zeros(2, 3).split([1, 1], 1), ValueError,
     r"split: sections \[1, 1\] must be non-negative and add up to 3"),
    (lambda: rp.zeros(2, 3).split(0, 1), ValueError,
     "split: split_size_or_sections must be positive"),
    (lambda: rp.zeros(2, 3).split(1.5), TypeError, "split: split_size_or_sections must be"),
    (lambda: rp.tensor(1.0).split(1), ValueError, "split: expected a tensor with at least one"),
    (lambda: rp.zeros(2, 3).cumsum(2), IndexError, "cumsum: dim 2 is out of range"),
    (lambda: rp.zeros(2, 3).prod((0, 1)), TypeError, r"prod: dim must be an integer"),
    (lambda: rp.zeros(2, 3).prod(keepdim=True), TypeError, "prod: keepdim needs a dim"),
    (lambda: rp.zeros(2, 3).logsumexp(3), IndexError, "logsumexp: dim 3 is out of range"),
    (lambda: rp.zeros(2).round(decimals=1.5), TypeError, "round: decimals must be an integer"),
    (lambda: rp.zeros(3).masked_fill(np.array([1, 0, 1]), 2.0), TypeError,
     "masked_fill: mask must be boolean .* got dtype int64"),
    (lambda: rp.zeros(3).masked_fill(np.zeros(2, bool), 2.0), ValueError,
     r"masked_fill: mask of shape \(2,\) does not broadcast with the input of shape \(3,\)"),
    (lambda: rp.zeros(3).masked_fill(np.zeros(3, bool), rp.zeros(3)), ValueError,
     r"masked_fill: value must be a number or a 0-d tensor, got a tensor of shape \(3,\)"),
    (lambda: rp.zeros(3, dtype=rp.long).masked_fill(np.zeros(3, bool), 0.5), ValueError,
     "masked_fill: value=0.5 does not fit the dtype int64"),
    (lambda: rp.zeros(2, 3).mm(rp.zeros(3)), ValueError,
     r"mm: mat2 must be a matrix \(2-D\), got shape \(3,\)"),
    (lambda: rp.zeros(2, 3).mm(rp.zeros(2, 3)), ValueError,
     r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"),
    (lambda: rp.zeros(3).dot(rp.zeros(4)), ValueError,
     r"dot: the vectors must have one length, got shapes \(3,\) and \(4,\)"),
    (lambda: rp.zeros(3, 1).outer(rp.zeros(4)), ValueError,
     r"outer: input must be a vector \(1-D\), got shape \(3, 1\)"),
    (lambda: rp.zeros(3).view_as(np.zeros(3)), TypeError,
     "view_as: other must be a Tensor, got ndarray"),
    (lambda: rp.zeros(3).reshape_as(rp.zeros(2, 2)), ValueError,
     r"reshape: cannot reshape a tensor of shape \(3,\)"),
    (lambda: rp.zeros(3).type_as("float64"), TypeError, "type_as: other must be a Tensor"),
    (lambda: rp.zeros(3).sort(dim=1), IndexError, "sort: dim 1 is out of range"),
    (lambda: rp.zeros(2).new_full((2,), "a"), TypeError,
     "new_full: fill_value must be a number|full: fill_value must be a number"),
    (lambda: rp.randint(5, 3, (2,)), ValueError,
     "randint: expected low < high, got low=5 and high=3"),
    (lambda: rp.randint(5), TypeError, "randint: expected \\(high, size\\) or"),
    (lambda: rp.randint(0.5, (2,)), TypeError, "randint: high must be an integer, got 0.5"),
    (lambda: rp.randperm(-1), ValueError, "randperm: n must be non-negative, got -1"),
    (lambda: rp.linspace(0, 1, -1), ValueError, "linspace: steps must be non-negative"),
    (lambda: rp.linspace("0", 1, 3), TypeError, "linspace: start must be a number"),
    (lambda: rp.eye(-2), ValueError, "eye: n and m must be non-negative"),
    (lambda: rp.full((2, -1), 1.0), ValueError, "full: sizes must be non-negative integers"),
    (lambda: rp.full((2,), 1.5, dtype=rp.long), ValueError,
     "full: fill_value=1.5 does not fit the dtype int64"),
    (lambda: rp.full_like(np.zeros(2), 1.0), TypeError,
     "full_like: expected a Tensor, got ndarray"),
    (lambda: rp.randn_like(rp.zeros(2, dtype=rp.long)), TypeError,
     "randn_like: draws need a floating dtype, got int64"),
    (lambda: rp.as_tensor([1.0], dtype="float16"), TypeError, "as_tensor: expected a dtype"),
    (lambda: rp.set_grad_enabled(1), TypeError,
     "set_grad_enabled: mode must be True or False, got 1"),
    (lambda: nn.utils.parameters_to_vector([]), ValueError,
     "parameters_to_vector: got no parameters"),
    (lambda: nn.utils.parameters_to_vector([np.zeros(2)]), TypeError,
     "parameters_to_vector: expected Tensors .* got ndarray at position 0"),
    (lambda: nn.utils.vector_to_parameters(rp.zeros(5), nn.Linear(2, 3).parameters()),
     ValueError, "vector_to_parameters: vec has 5 elements, the parameters 9"),
    (lambda: nn.utils.vector_to_parameters(rp.zeros(3, 3), nn.Linear(2, 3).parameters()),
     TypeError, r"vector_to_parameters: vec must be a 1-D Tensor, got shape \(3, 3\)"),
    (lambda: nn.utils.vector_to_parameters(rp.zeros(9, dtype=rp.float64),
                                           nn.Linear(2, 3).parameters()),
     TypeError, "vector_to_parameters: vec has dtype float64"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS)
def test_bad_calls_name_the_argument_the_value_and_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


TOP_LEVEL = {
    "cumsum": ((1,), {}), "prod": ((), {"dim": 0}), "logsumexp": ((1,), {}),
    "flip": (((0, 1),), {}), "square": ((), {}), "sign": ((), {}), "floor": ((), {}),
    "ceil": ((), {}), "trunc": ((), {}), "round": ((), {"decimals": 1}),
    "any": ((), {"dim": 1}), "all": ((), {}), "isnan": ((), {}), "isfinite": ((), {}),
    "nonzero": ((), {}), "argsort": ((), {"dim": 0}), "eq": ((0.5,), {}),
    "logical_not": ((), {}),
}


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_top_level_functions_are_torchs(name):
    args, kwargs = TOP_LEVEL[name]
    ours, theirs = pair(np.random.default_rng(4).normal(size=(3, 4)).round(1))
    got = getattr(rp, name)(ours, *args, **kwargs)
    expected = getattr(torch, name)(theirs, *args, **kwargs)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)


def test_star_import_keeps_any_all_and_round_pythons():
    namespace: dict = {}
    exec("from retroprop import *", namespace)
    assert not {"any", "all", "round"} & set(namespace)
    assert {"sort", "cumsum", "randint", "set_grad_enabled"} <= set(namespace)
