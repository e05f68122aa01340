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


def test_view_with_minus_one_as_torch_and_of_a_transposed_matrix_too():
    x, t = _pair((4, 1, 8, 8))
    _same(x.view(-1, 64), t.view(-1, 64), x, t)
    assert x.view(4, -1).shape == x.view((4, -1)).shape == (4, 64)
    y, u = _pair((3, 4))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        u.T.view(12)
    _same(y.T.view(12), u.T.reshape(12), y, u)  # retroprop copies where torch refuses
    with pytest.raises(ValueError, match=r"shape \(3, 4\) \(12 elements\) into \(5, -1\)"):
        y.view(5, -1)


@pytest.mark.parametrize(("shape", "dim"), [
    ((2, 1, 3, 1), None), ((2, 1, 3, 1), 1), ((2, 1, 3, 1), -1), ((2, 1, 3, 1), (1, 3)),
    ((2, 1, 3, 1), 0),  # size 2: kept, as torch (NumPy raises)
    ((2, 1, 3, 1), (0, 2, -1)), ((1, 1), ()), ((), 0), ((), None), ((1,), (0,)),
])
def test_squeeze_as_torch(shape, dim):
    x, t = _pair(shape)
    _same(x.squeeze() if dim is None else x.squeeze(dim),
          t.squeeze() if dim is None else t.squeeze(dim), x, t)


@pytest.mark.parametrize(("shape", "dim"), [((2, 3), 0), ((2, 3), 2), ((2, 3), -1),
                                            ((2, 3), -3), ((), 0), ((), -1), ((4,), 1)])
def test_unsqueeze_as_torch(shape, dim):
    x, t = _pair(shape)
    _same(x.unsqueeze(dim), t.unsqueeze(dim), x, t)


@pytest.mark.parametrize("dims", [(1, 0, 2), (-1, -2, -3), ((2, 1, 0),), ([0, 2, 1],)])
def test_permute_as_torch(dims):
    x, t = _pair((2, 3, 4))
    _same(x.permute(*dims), t.permute(*dims), x, t)


@pytest.mark.parametrize(("call", "torch_call", "error", "message"), [
    (lambda x: x.unsqueeze(4), lambda t: t.unsqueeze(4), IndexError,
     r"unsqueeze: dim 4 is out of range for a tensor with shape \(2, 1, 3\) "
     r"\(expected -4 to 3\)"),
    (lambda x: x.squeeze(3), lambda t: t.squeeze(3), IndexError,
     r"squeeze: dim 3 is out of range for a tensor with shape \(2, 1, 3\)"),
    (lambda x: x.squeeze((1, -2)), lambda t: t.squeeze((1, -2)), ValueError,
     r"squeeze: dim \(1, -2\) names an axis twice"),
    (lambda x: x.squeeze(1.0), lambda t: t.squeeze(1.0), TypeError,
     "squeeze: dim must be an integer"),
    (lambda x: x.permute(0, 1), lambda t: t.permute(0, 1), ValueError,
     r"permute: axes \(0, 1\) are not a permutation of the 3 axes of a tensor of shape "
     r"\(2, 1, 3\)"),
    (lambda x: x.permute(0, 1, 1), lambda t: t.permute(0, 1, 1), ValueError,
     "not a permutation"),
    (lambda x: x.permute(0, 1, 3), lambda t: t.permute(0, 1, 3), IndexError,
     r"permute: dim 3 is out of range for a tensor with shape \(2, 1, 3\)"),
    (lambda x: rp.stack([x, x.view(3, 2)]), lambda t: torch.stack([t, t.view(3, 2)]),
     ValueError, r"stack: every tensor must have one shape, got shapes \(2, 1, 3\), \(3, 2\)"),
    (lambda x: rp.stack([x, x], dim=4), lambda t: torch.stack([t, t], dim=4), IndexError,
     r"stack: axis 4 is out of range for a tensor with shape \(2, 1, 3\)"),
    # were AttributeError 'memoryview' object has no attribute 'dtype' and 'generator' object
    # is not subscriptable
    (lambda x: rp.stack([x, x.numpy()]), lambda t: torch.stack([t, t.numpy()]), TypeError,
     "stack: expected a sequence of Tensors, got ndarray at position 1"),
    (lambda x: rp.cat(v for v in [x]), lambda t: torch.cat(v for v in [t]), TypeError,
     "concatenate: expected a list or tuple of Tensors, got generator"),
])
def test_bad_dims_name_the_argument_and_the_shape(call, torch_call, error, message):
    x, t = _pair((2, 1, 3))
    with pytest.raises((IndexError, RuntimeError, TypeError)):
        torch_call(t)
    with pytest.raises(error, match=message):
        call(x)


def test_stack_takes_dim_or_axis_not_both():
    a, b = rp.zeros(2, 3), rp.ones(2, 3)
    np.testing.assert_array_equal(rp.stack([a, b], 1).data, rp.stack([a, b], dim=1).data)
    np.testing.assert_array_equal(rp.stack([a, b], axis=1).data,
                                  torch.stack([torch.zeros(2, 3), torch.ones(2, 3)], 1))
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        rp.stack([a, b], 0, dim=1)


@pytest.mark.parametrize("call", [
    lambda v: v.view(-1, 2), lambda v: v.unsqueeze(1), lambda v: v.squeeze(),
    lambda v: v.permute(1, 0), lambda v: rp.stack([v, v], dim=1) if isinstance(v, rp.Tensor)
    else torch.stack([v, v], dim=1),
])
def test_shape_operations_take_an_empty_batch_as_torch(call):
    x, t = _pair((0, 4))
    _same(call(x), call(t), x, t)


@pytest.mark.parametrize("shape", [(2, 3), (3,), ()])
def test_t_as_torch(shape):
    x, t = _pair(shape)
    _same(x.t() * 1.0, t.t() * 1.0, x, t)


def test_t_of_more_than_two_dimensions_is_refused_as_torch():
    x, t = _pair((2, 3, 4))
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        t.t()
    with pytest.raises(ValueError, match=r"t: expected a tensor with at most 2 dimensions, "
                                         r"got shape \(2, 3, 4\)"):
        x.t()


def test_contiguous_gives_the_tensor_itself_or_a_c_ordered_copy_as_torch():
    x, t = _pair((3, 4))
    assert x.contiguous() is x and t.contiguous() is t
    made, expected = x.T.contiguous(), t.T.contiguous()
    assert made.data.flags.c_contiguous and expected.is_contiguous()
    _same(made, expected, x, t)
