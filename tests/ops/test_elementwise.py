"""maximum, minimum and log1p at their edges, against PyTorch: ties share the gradient in
half, numbers as the second operand, and log1p exact where log(1 + a) rounds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.ops.harness import PRECISIONS, Case, fixed, matches_torch

TIES = [
    Case("maximum_ties", rp.maximum, torch.maximum,
         [fixed([1.0, 2.0, 3.0, -1.0]), fixed([1.0, 3.0, 2.0, -1.0])]),
    Case("minimum_ties", rp.minimum, torch.minimum,
         [fixed([1.0, 2.0, 3.0, -1.0]), fixed([1.0, 3.0, 2.0, -1.0])]),
    Case("maximum_ties_broadcast", rp.maximum, torch.maximum,
         [fixed([[0.0, 1.0], [2.0, 0.5]]), fixed([0.5, 1.0])]),
    Case("maximum_0d", rp.maximum, torch.maximum, [fixed(2.0), fixed([2.0, 1.0, 3.0])]),
]


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", TIES, ids=[case.name for case in TIES])
def test_ties_split_the_gradient_as_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


def test_maximum_with_a_number_and_of_integer_tensors():
    x = rp.Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    clipped = rp.maximum(x, 0.5)
    clipped.sum().backward()
    np.testing.assert_array_equal(clipped.data, [0.5, 0.5, 2.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 1.0])
    labels = rp.minimum(rp.tensor([3, -2, 5]), 2)
    assert labels.dtype == np.int64 and labels.tolist() == [2, -2, 2]


def test_log1p_is_exact_where_log_of_one_plus_rounds():
    tiny = rp.Tensor([1e-10, -1e-12], dtype=np.float64, requires_grad=True)
    made = tiny.log1p()
    np.testing.assert_array_equal(made.data, torch.tensor([1e-10, -1e-12],
                                                          dtype=torch.float64).log1p().numpy())
    assert made.data[0] != (1 + tiny).log().data[0]


def test_clamp_takes_torchs_names_and_refuses_missing_or_inverted_bounds():
    values = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])  # the bounds included, as torch's
    x = rp.Tensor(values, requires_grad=True, dtype=np.float64)
    t = torch.tensor(values, requires_grad=True)
    x.clamp(min=-0.5, max=0.5).sum().backward()
    t.clamp(min=-0.5, max=0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    with pytest.raises(RuntimeError, match=r"min.*max"):
        t.clamp()
    with pytest.raises(ValueError, match="clamp: min and max are both None"):
        x.clamp()
    with pytest.raises(ValueError, match=r"clamp: min=2\.0 is greater than max=1\.0"):
        x.clamp(2.0, 1.0)


def test_bounds_and_operands_of_the_wrong_kind_are_named():
    x = rp.Tensor(np.array([-1.0, 0.5, 2.0]))
    with pytest.raises(TypeError, match=r"clamp: min must be a number or an array, got a Tensor; "
                                        r"for a bound that takes a gradient use rp\.maximum"):
        x.clamp(min=rp.zeros(3))
    with pytest.raises(TypeError, match="clip: high must be a number, an array or None, got '1'"):
        x.clip(0.0, "1")
    np.testing.assert_array_equal(x.clamp(min=np.zeros(3)).data, [0.0, 0.5, 2.0])  # as before
    for function in (rp.maximum, rp.minimum):
        with pytest.raises(TypeError, match=f"{function.__name__}: the first operand must be a "
                                            "Tensor, got float"):
            function(1.0, x)
