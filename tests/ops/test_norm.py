"""Vector norms at their edges, against PyTorch: the gradient at zero (0, not NaN), zeros
among nonzero elements for p < 1, ties of the ∞-norm, 0-d tensors, and bad orders."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.ops.harness import PRECISIONS, Case, fixed, matches_torch

ORDERS = [2, 1, 3, 0.5, np.inf, -np.inf, "fro"]

AT_ZERO = [
    Case(f"norm_{p}_of_zeros", lambda a, p=p: a.norm(p), lambda a, p=p: a.norm(p),
         [fixed(np.zeros((2, 3)))]) for p in ORDERS
] + [
    Case(f"norm_{p}_zero_row", lambda a, p=p: a.norm(p, dim=1),
         lambda a, p=p: a.norm(p, dim=1), [fixed([[0.0, 0.0], [3.0, -4.0]])]) for p in ORDERS
] + [
    Case(f"norm_{p}_zero_among_others", lambda a, p=p: a.norm(p), lambda a, p=p: a.norm(p),
         [fixed([1.5, 0.0, -2.0])]) for p in ORDERS
] + [
    Case("norm_inf_ties", lambda a: a.norm(np.inf, dim=-1),
         lambda a: a.norm(np.inf, dim=-1), [fixed([[1.0, -2.0, 2.0], [2.0, 2.0, 2.0]])]),
    Case("norm_minus_inf_ties", lambda a: a.norm(-np.inf), lambda a: a.norm(-np.inf),
         [fixed([1.0, -1.0, 2.0])]),
    Case("norm_0d", lambda a: a.norm(), torch.norm, [fixed(-1.5)]),
    Case("norm_0d_dim", lambda a: a.norm(3, dim=0, keepdim=True),
         lambda a: a.norm(3, dim=0, keepdim=True), [fixed(2.0)]),
]


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", AT_ZERO, ids=[case.name for case in AT_ZERO])
def test_norm_at_zero_and_at_ties_as_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


def test_the_gradient_of_the_norm_at_zero_is_zero_not_nan():
    x = rp.Tensor(np.zeros(3), requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3, np.float32))


@pytest.mark.parametrize("p", [0, -1, "nuc", float("nan"), True, None])
def test_orders_without_a_vector_norm_are_refused(p):
    with pytest.raises(ValueError, match=rf"norm: p must be a positive number, inf, -inf or "
                                         rf"'fro', got {p!r}"):
        rp.ones(3).norm(p)


def test_a_bad_dim_names_it_and_the_shape():
    with pytest.raises(IndexError, match=r"norm: dim 2 is out of range for a tensor with shape "
                                         r"\(2, 3\)"):
        rp.ones(2, 3).norm(dim=2)


@pytest.mark.parametrize("p", [2, 1, 3])
def test_the_norm_of_an_empty_batch_as_torch(p):
    x = rp.Tensor(np.ones((0, 4)), requires_grad=True, dtype=np.float64)
    t = torch.ones((0, 4), requires_grad=True, dtype=torch.float64)
    for dim in (0, 1):
        np.testing.assert_array_equal(x.norm(p, dim=dim).data, t.norm(p, dim=dim).detach())
    x.norm(p, dim=0).sum().backward()
    t.norm(p, dim=0).sum().backward()
    assert x.grad.shape == tuple(t.grad.shape) == (0, 4)


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
def test_an_infinity_norm_over_an_empty_axis_is_refused_by_name(p):
    x = rp.Tensor(np.ones((0, 4)))
    assert x.norm(p, dim=1).shape == (0,)  # the empty axis is kept, as PyTorch's
    for dim in (0, None, (0, 1)):
        message = f"norm: the {p:g} norm over dim {dim!r} of a tensor of shape (0, 4) reduces"
        with pytest.raises(ValueError, match=re.escape(message)):
            x.norm(p, dim=dim)
