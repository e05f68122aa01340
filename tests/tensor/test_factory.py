"""The factory functions a PyTorch port reaches for besides ``tensor``/``zeros``/``ones``/
``randn`` (tested in ``test_tensor_api.py``): ``zeros_like``, ``ones_like``, ``rand`` and
``arange``, with PyTorch's dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp


@pytest.mark.parametrize("name", ["zeros_like", "ones_like"])
def test_like_keeps_the_shape_and_dtype_as_torch(name):
    fill = getattr(rp, name)
    for source, reference in ((rp.randn(2, 3, dtype=np.float64), torch.randn(2, 3).double()),
                              (rp.tensor([[1, 2]]), torch.tensor([[1, 2]])),
                              (rp.Tensor(np.ones((0, 4))), torch.ones(0, 4))):
        made, expected = fill(source), getattr(torch, name)(reference)
        assert made.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(made.data, expected.numpy())
        assert not made.requires_grad and not np.shares_memory(made.data, source.data)
    made = fill(rp.tensor([1, 2]), dtype=np.float64, requires_grad=True)
    assert made.dtype == np.float64 and made.requires_grad and made.is_leaf
    assert fill(rp.ones(2), dtype="int32").dtype == np.int32
    with pytest.raises(TypeError, match="only floating tensors can require a gradient"):
        fill(rp.tensor([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match=rf"{name}: expected a Tensor, got ndarray"):
        fill(np.ones(2))
    with pytest.raises(TypeError, match=rf"{name}: expected a dtype"):
        fill(rp.ones(2), dtype="complex64")


def test_rand_draws_uniformly_from_the_seeded_generator():
    rp.manual_seed(3)
    first = rp.rand(200, 50)
    rp.manual_seed(3)
    np.testing.assert_array_equal(first.data, rp.rand((200, 50)).data)
    assert first.dtype == np.float32 and first.shape == (200, 50) and not first.requires_grad
    assert 0.0 <= first.data.min() and first.data.max() < 1.0
    assert abs(first.data.mean() - 0.5) < 0.01 and abs(first.data.var() - 1 / 12) < 0.005
    assert not np.array_equal(first.data, rp.rand(200, 50).data)  # the generator moves on
    made = rp.rand(2, dtype=np.float64, requires_grad=True)
    assert made.dtype == np.float64 and made.requires_grad
    with pytest.raises(ValueError, match="rand: sizes must be non-negative integers"):
        rp.rand(2, -3)


@pytest.mark.parametrize("args", [(5,), (2, 9), (9, 2, -3), (0, 1, 0.1), (-3, 3.5, 0.7),
                                  (0.0, 3), (1, 2.5), (5, 5), (1e-3,)])
def test_arange_values_and_dtypes_as_torch(args):
    made, expected = rp.arange(*args), torch.arange(*args)
    assert made.dtype == (np.int64 if expected.dtype == torch.int64 else np.float32)
    assert expected.dtype in (torch.int64, torch.float32)
    np.testing.assert_array_equal(made.data, expected.numpy())


def test_arange_with_a_dtype_as_torch():
    for args, dtype, torch_dtype in (((0, 1, 0.1), np.float64, torch.float64),
                                     ((4,), np.float32, torch.float32),
                                     ((0.0, 6.0, 2.0), np.int32, torch.int32),
                                     ((4,), np.float64, torch.float64)):
        made, expected = rp.arange(*args, dtype=dtype), torch.arange(*args, dtype=torch_dtype)
        assert made.dtype == dtype
        np.testing.assert_array_equal(made.data, expected.numpy())
    rp.set_default_dtype(np.float64)
    try:
        assert rp.arange(0.5, 2).dtype == np.float64 and rp.arange(3).dtype == np.int64
    finally:
        rp.set_default_dtype(np.float32)
    assert rp.arange(3.0, requires_grad=True).requires_grad


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: rp.arange(0, 5, 0), ValueError, "step must be nonzero"),
    (lambda: rp.arange(0, 5, -1), ValueError, r"step -1 goes away from end=5 \(start=0\)"),
    (lambda: rp.arange(3, 1), ValueError, r"step 1 goes away from end=1 \(start=3\)"),
    (lambda: rp.arange(0, 1, 0.25, dtype=np.int64), ValueError,
     "dtype int64 with a fractional start, end or step"),
    (lambda: rp.arange("5"), TypeError, "arange: end must be a number, got '5'"),
    (lambda: rp.arange(0, float("inf")), ValueError, "arange: end must be finite, got inf"),
    (lambda: rp.arange(True), TypeError, "end must be a number, got True"),
    (lambda: rp.arange(3, requires_grad=True), TypeError, "only floating tensors"),
])
def test_arange_refuses_what_torch_refuses_or_would_truncate(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_torch_refuses_the_same_ranges():
    for args in ((0, 5, 0), (0, 5, -1), (3, 1)):
        with pytest.raises(RuntimeError):
            torch.arange(*args)
