"""Conversions between dtypes as PyTorch makes them: ``to``, ``float``, ``double``, ``long``,
``int``, ``bool``; differentiable between float32 and float64, integer results outside
the graph, the same dtype giving the tensor itself, and clear refusals of what is not a
dtype or a device retroprop has."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import retroprop as rp

VALUES = np.array([[-1.7, 0.0, 2.5], [3.2, -0.4, 1.0]])


@pytest.mark.parametrize(("method", "dtype", "torch_dtype"), [
    ("float", np.float32, torch.float32), ("double", np.float64, torch.float64),
    ("long", np.int64, torch.int64), ("int", np.int32, torch.int32),
    ("bool", np.bool_, torch.bool)])
@pytest.mark.parametrize("source", [np.float32, np.float64])
def test_conversion_methods_give_torchs_values_and_dtypes(method, dtype, torch_dtype, source):
    x = rp.Tensor(VALUES, dtype=source, requires_grad=True)
    t = torch.tensor(VALUES, dtype=torch.float32 if source == np.float32 else torch.float64,
                     requires_grad=True)
    made, expected = getattr(x, method)(), getattr(t, method)()
    assert made.dtype == dtype and expected.dtype == torch_dtype
    np.testing.assert_array_equal(made.data, expected.detach().numpy())
    assert made.requires_grad == expected.requires_grad == (np.dtype(dtype).kind == "f")
    assert (made is x) == (expected is t)  # the same dtype: the tensor itself


@pytest.mark.parametrize(("source", "target"), [(np.float32, np.float64),
                                                (np.float64, np.float32)])
def test_the_gradient_comes_back_in_the_inputs_dtype_as_torch(source, target):
    to_torch = {np.float32: torch.float32, np.float64: torch.float64}
    x = rp.Tensor(VALUES, dtype=source, requires_grad=True)
    t = torch.tensor(VALUES, dtype=to_torch[source], requires_grad=True)
    (x.to(target).exp() * 3).sum().backward()
    (t.to(to_torch[target]).exp() * 3).sum().backward()
    assert x.grad.dtype == source
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6)


def test_integer_results_do_not_require_grad_and_start_new_leaves():
    x = rp.Tensor(VALUES, requires_grad=True)
    labels = x.long()
    assert labels.dtype == np.int64 and not labels.requires_grad and labels.is_leaf
    np.testing.assert_array_equal(labels.data, [[-1, 0, 2], [3, 0, 1]])  # toward zero
    with pytest.raises(RuntimeError, match="floating"):
        labels.requires_grad_()
    back = labels.float().requires_grad_()  # a new leaf, as torch's
    (back * 2).sum().backward()
    np.testing.assert_array_equal(back.grad, np.full((2, 3), 2.0, np.float32))
    assert x.grad is None


def test_accuracy_as_a_pytorch_loop_writes_it():
    predictions, labels = rp.tensor([0, 2, 1, 1]), rp.tensor([0, 2, 2, 1])
    accuracy = (predictions == labels).float().mean().item()
    assert accuracy == (torch.tensor([0, 2, 1, 1]) == torch.tensor([0, 2, 2, 1])
                        ).float().mean().item() == 0.75


@pytest.mark.parametrize("spelling", [np.float64, np.dtype("float64"), float, "float64", "f8"])
def test_dtypes_by_any_spelling(spelling):
    assert rp.ones(2).to(spelling).dtype == np.float64


def test_python_types_mean_what_they_mean_in_torch():
    x, t = rp.ones(2), torch.ones(2)
    for kind, torch_dtype in ((float, torch.float64), (int, torch.int64), (bool, torch.bool)):
        assert x.to(kind).dtype == np.dtype(str(torch_dtype).removeprefix("torch."))
        assert t.to(kind).dtype == torch_dtype


def test_to_takes_torchs_call_forms():
    x = rp.Tensor([1.5, 2.0], requires_grad=True)
    assert x.to() is x and x.to("cpu") is x and x.to(device="cpu:0") is x
    assert x.to(np.float32) is x and x.to(x) is x
    assert x.to("cpu", np.float64).dtype == np.float64
    assert x.to(dtype="int32", device="cpu").dtype == np.int32
    assert x.to(rp.tensor([1])).dtype == np.int64  # another tensor's dtype
    assert x.cpu() is x and x.detach().cpu().numpy() is x.data
    copy = x.to(np.float32, copy=True)
    assert copy is not x and copy.requires_grad and not np.shares_memory(copy.data, x.data)
    copy.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_another_device_is_refused_clearly(device):
    with pytest.raises(ValueError, match=rf"CPU only, got device '{device}'"):
        rp.ones(2).to(device)
    with pytest.raises(ValueError, match="CPU only"):
        rp.ones(2).to(device=device)


@pytest.mark.parametrize("value", ["banana", 3, np.float16, "complex64", object, [1, 2]])
def test_what_is_not_a_supported_dtype_is_refused_by_name(value):
    with pytest.raises(TypeError, match=r"to: expected a dtype, one of float32, float64, .*"
                                        rf"got {re.escape(repr(value))}"):
        rp.ones(2).to(value)


def test_two_dtypes_or_too_many_arguments_are_refused():
    with pytest.raises(TypeError, match="two dtypes"):
        rp.ones(2).to(np.float64, dtype=np.float32)
    with pytest.raises(TypeError, match="at most a device and a dtype"):
        rp.ones(2).to("cpu", np.float64, np.float32)
