"""argmin, var and std at their edges, against PyTorch: ties, one element (NaN with
PyTorch's default correction), equal elements (σ = 0), 0-d tensors, and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"axis": 0}, {"dim": -1, "keepdim": True},
                                    {"dim": None, "keepdim": True}])
def test_argmin_as_torch(kwargs):
    values = np.random.default_rng(1).integers(0, 3, (4, 5)).astype(float)  # with ties
    torch_kwargs = {("dim" if k == "axis" else k): v for k, v in kwargs.items()}
    result = rp.Tensor(values, requires_grad=True).argmin(**kwargs)
    assert result.dtype == np.int64 and not result.requires_grad
    np.testing.assert_array_equal(result.data, torch.tensor(values).argmin(**torch_kwargs))
    with pytest.raises(IndexError, match="argmin: axis 2 is out of range"):
        rp.Tensor(values).argmin(dim=2)


def _both(values, requires_grad=True):
    return (rp.Tensor(values, requires_grad=requires_grad, dtype=np.float64),
            torch.tensor(values, requires_grad=requires_grad, dtype=torch.float64))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize(("values", "kwargs"), [
    ([3.0], {}),  # one element, c = 1: 0/0
    (3.0, {}),  # a 0-d tensor: one element
    ([[1.0, 2.0], [4.0, 8.0]], {"dim": 0, "correction": 2}),  # n - c = 0 with spread: inf
])
def test_no_degrees_of_freedom_give_nan_or_inf_with_a_warning_as_torch(name, values, kwargs):
    x, t = _both(values)
    with pytest.warns(RuntimeWarning, match=rf"{name}: .* no degrees of freedom"):
        made = getattr(x, name)(**kwargs)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        expected = getattr(t, name)(**kwargs)
    np.testing.assert_array_equal(made.data, expected.detach().numpy())
    if np.isnan(made.data).all():  # (PyTorch's gradient where n < c... is its own)
        made.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(x.grad, t.grad.numpy())
        assert np.isnan(x.grad).all()


@pytest.mark.parametrize("dim", [None, 1])
def test_std_of_equal_elements_has_gradient_zero_as_torch(dim):
    x, t = _both([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
    x.std(dim).sum().backward()
    t.std(dim).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    if dim is not None:
        np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_the_default_correction_is_torchs_not_numpys():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    x = rp.Tensor(values, dtype=np.float64)
    np.testing.assert_allclose(x.var().item(), np.var(values, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.var(values), rtol=1e-15)
    np.testing.assert_allclose(x.std(correction=0).item(), np.std(values), rtol=1e-15)
    assert x.var().item() == torch.tensor(values).var().item()


def test_var_of_an_empty_tensor_is_nan_as_torch():
    with pytest.warns(RuntimeWarning):
        made = rp.Tensor(np.ones((0, 3))).var(dim=0)
    with pytest.warns(UserWarning):
        expected = torch.ones(0, 3).var(dim=0)
    np.testing.assert_array_equal(made.data, expected.numpy())


def test_bad_arguments_are_refused():
    x = rp.Tensor([[1.0, 2.0], [3.0, 5.0]])
    with pytest.raises(TypeError, match="both unbiased=True and correction=0"):
        x.var(unbiased=True, correction=0)
    with pytest.raises(TypeError, match="correction must be a number, got 'one'"):
        x.std(correction="one")
    with pytest.raises(IndexError, match=r"var: dim 2 is out of range for a tensor with "
                                         r"shape \(2, 2\)"):
        x.var(2)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")  # torch's
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_of_an_empty_batch_over_its_features_as_torch(name):
    x, t = _both(np.ones((0, 4)))
    made, expected = getattr(x, name)(dim=1), getattr(t, name)(dim=1)
    assert made.shape == tuple(expected.shape) == (0,)
    made.sum().backward()
    expected.sum().backward()
    assert x.grad.shape == tuple(t.grad.shape) == (0, 4)


@pytest.mark.parametrize("name", ["var", "std", "norm"])
def test_an_empty_dim_reduces_every_axis_as_torch(name):
    # PyTorch reads dim=() and dim=[] as all dimensions; NumPy's axis=() reduces none.
    # (PyTorch 2.13's backward of var and std with dim=() is inf, treating it as no
    # reduction: the gradient is compared with that of dim=None.)
    x = np.random.default_rng(4).standard_normal((3, 4))
    theirs = torch.tensor(x, requires_grad=True)
    getattr(theirs, name)().backward()
    for dim in ((), []):
        ours = rp.Tensor(x, requires_grad=True, dtype=np.float64)
        value = getattr(ours, name)(dim=dim)
        value.backward()
        np.testing.assert_allclose(value.data, getattr(torch.tensor(x), name)(dim=dim).numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_extremes_of_an_empty_batch_are_empty_as_torch(name):
    # only the axis searched must have elements: a batch of no rows gives no indices
    x, t = rp.zeros(0, 3), torch.zeros(0, 3)
    for keepdim in (False, True):
        ours = getattr(x, name)(dim=1, keepdim=keepdim)
        assert ours.shape == tuple(getattr(t, name)(dim=1, keepdim=keepdim).shape)
        assert ours.dtype == np.int64
    with pytest.raises(IndexError, match=rf"{name}: axis 0 of the tensor of shape \(0, 3\) has "
                                         "no elements"):
        getattr(x, name)(dim=0)
    with pytest.raises(IndexError, match=rf"{name}: the tensor of shape \(0, 3\) has no elements"):
        getattr(x, name)()
