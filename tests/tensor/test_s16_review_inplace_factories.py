"""Review of the sixteenth session's tensor methods: bad arguments of the in-place methods
and of the integer factories are clear errors, as PyTorch's are, never wrapped values or
NumPy's own messages."""

import numpy as np
import pytest
import torch

import retroprop as rp


@pytest.mark.parametrize(("call", "message"), [
    (lambda: rp.randint(0, 2**40, (2,), dtype=rp.int32),
     r"randint \(dtype int32\): high - 1=1099511627775 does not fit the dtype int32"),
    (lambda: rp.randint(-5, 3, (3,), dtype=rp.uint8),
     r"randint \(dtype uint8\): low=-5 does not fit the dtype uint8"),
    (lambda: rp.randint(0, 3, (3,), dtype=rp.bool),
     r"randint \(dtype bool\): high - 1=2 does not fit the dtype bool"),
    (lambda: rp.randperm(300, dtype=rp.int8),
     r"randperm \(dtype int8\): n - 1=299 does not fit the dtype int8"),
])
def test_integer_draws_that_the_dtype_cannot_hold_are_refused(call, message):
    """They wrapped around (randint(0, 2**40, dtype=int32) gave negative numbers);
    PyTorch refuses them."""
    with pytest.raises(ValueError, match=message):
        call()


def test_draws_at_the_edges_of_the_dtype_are_kept():
    rp.manual_seed(0)
    drawn = rp.randint(0, 256, (2000,), dtype=rp.uint8).numpy()
    assert drawn.dtype == np.uint8 and drawn.max() == 255
    assert sorted(rp.randperm(128, dtype=rp.int8).tolist()) == list(range(128))
    assert torch.randperm(128, dtype=torch.int8).max() == 127  # as PyTorch


def test_alpha_that_is_no_number_is_named():
    """An array alpha failed in ``alpha == 1`` with NumPy's 'truth value is ambiguous'."""
    with pytest.raises(TypeError, match=r"add_: alpha must be a number, got array"):
        rp.ones(2).add_(rp.ones(2), alpha=np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"sub_: alpha must be a number, got Tensor"):
        rp.ones(2).sub_(rp.ones(2), alpha=rp.ones(2))


@pytest.mark.parametrize(("bounds", "shown"), [
    ({"min": 1.5}, "min=1.5, max=None"),
    ({"max": np.array([1.0, 1.0, 1.0])}, "min=None, max=array"),
])
def test_clamp_of_an_integer_tensor_refuses_fractional_bounds(bounds, shown):
    """NumPy's UFuncTypeError came out as it was; PyTorch refuses the cast as well."""
    t = rp.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=f"clamp_: t has dtype int64 and the bounds {shown}"):
        t.clamp_(**bounds)
    assert t.tolist() == [1, 2, 3] and t._version == 0
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2, 3]).clamp_(min=1.5)
    assert t.clamp_(min=2).tolist() == [2, 2, 3]


def test_clamp_takes_array_bounds_as_torch_tensors():
    """Array bounds failed in the min <= max check with 'truth value is ambiguous'."""
    low, high = np.array([1.0, 2.5, 2.0]), np.array([2.0, 3.0, 2.5])
    values = np.array([0.0, 2.0, 3.0])
    expected = torch.tensor(values).clamp_(min=torch.tensor(low), max=torch.tensor(high))
    ours = rp.tensor(values, dtype=rp.float64)
    np.testing.assert_array_equal(ours.clamp(min=low, max=high).numpy(), expected.numpy())
    np.testing.assert_array_equal(ours.clamp_(min=low, max=high).numpy(), expected.numpy())
    with pytest.raises(ValueError, match=r"clamp: min=\[1. 4.\] is greater than max=\[2. 3.\]"):
        rp.zeros(2).clamp(min=np.array([1.0, 4.0]), max=np.array([2.0, 3.0]))


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's, in NumPy 2
def test_numpy_nonzero_of_a_tensor_is_the_method_as_with_torch():
    """What ``nonzero``'s docstring says: NumPy calls the method, as on a PyTorch tensor,
    and its own form needs the array."""
    values = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    ours, theirs = rp.tensor(values), torch.tensor(values)
    np.testing.assert_array_equal(np.nonzero(ours).numpy(), np.nonzero(theirs).numpy())
    np.testing.assert_array_equal(np.argwhere(ours), np.argwhere(theirs))
    assert np.argwhere(ours).shape == (2, 3)  # the transpose of NumPy's (3, 2)
    for got, expected in zip(np.nonzero(ours.numpy()), np.nonzero(values), strict=True):
        np.testing.assert_array_equal(got, expected)
