import warnings

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def logits(n=4, c=3):
    return rp.Tensor(np.zeros((n, c)), requires_grad=True)


def test_labels_out_of_range_are_listed():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\].*\[-1, 5\]"):
        nn.CrossEntropyLoss()(logits(), np.array([0, 5, -1, 1]))


def test_labels_must_be_integers():
    with pytest.raises(ValueError, match="labels must be integers"):
        nn.CrossEntropyLoss()(logits(), np.array([0.0, 1.5, 2.0, 1.0]))
    with pytest.raises(TypeError, match="labels must be integers"):
        nn.CrossEntropyLoss()(logits(), np.array(["a", "b", "c", "d"]))
    loss = nn.CrossEntropyLoss()(logits(), np.array([0.0, 1.0, 2.0, 1.0]))
    assert np.isclose(loss.item(), np.log(3))


def test_wrong_target_shapes():
    with pytest.raises(ValueError, match=r"shape \(4,\).*got shape \(3,\)"):
        nn.CrossEntropyLoss()(logits(), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target has shape \(4, 2\).*\(4, 3\)"):
        nn.CrossEntropyLoss()(logits(), np.ones((4, 2)) / 2)
    with pytest.raises(ValueError, match=r"target has shape \(4,\) but the input has shape"):
        nn.MSELoss()(logits(4, 1), np.ones(4))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\)"):
        nn.CrossEntropyLoss()(rp.Tensor(np.zeros(3)), np.array([1]))


def test_non_finite_values_name_the_input():
    bad = np.zeros((4, 3))
    bad[1, 2] = np.nan
    bad[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"input \(model output\) holds 1 NaN and 1 infinite"):
        nn.CrossEntropyLoss()(rp.Tensor(bad), np.array([0, 1, 2, 1]))
    target = np.zeros((4, 3))
    target[0, 0] = np.nan
    with pytest.raises(ValueError, match="MSELoss: the target holds 1 NaN"):
        nn.MSELoss()(logits(), target)


def test_bce_needs_probabilities_and_known_reduction():
    with pytest.raises(ValueError, match="probabilities in"):
        nn.BCELoss()(rp.Tensor([[1.5]]), np.array([[1.0]]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")


def test_cross_entropy_is_stable_for_huge_logits():
    x = rp.Tensor([[1000.0, -1000.0]], requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, np.array([1]))
    loss.backward()
    assert np.isclose(loss.item(), 2000.0)
    np.testing.assert_allclose(x.grad, [[1.0, -1.0]])


# the one-pass check's sum overflows on purpose here (then every value is checked)
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning",
                            "ignore:overflow encountered in reduce:RuntimeWarning")
def test_finite_values_whose_sum_overflows_are_accepted():
    huge = np.full((4, 3), 3e38, dtype=np.float32)
    with np.errstate(over="ignore"):
        assert nn.functional.all_finite(huge)
        loss = nn.MSELoss()(rp.Tensor(huge), huge)
    assert loss.item() == 0.0
    for bad in (np.nan, np.inf, -np.inf):
        values = np.zeros((4, 3), dtype=np.float32)
        values[2, 1] = bad
        assert not nn.functional.all_finite(values)
    plus_minus = np.array([np.inf, -np.inf])
    assert not nn.functional.all_finite(plus_minus)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 784), (200, 1, 28, 28), (70000,), (70000, 1)])
def test_large_arrays_are_checked_value_by_value_too(shape, dtype):
    """Arrays from BLAS_SUM_SIZE values on, summed by rows through BLAS where they can."""
    values = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert values.size >= nn.functional.BLAS_SUM_SIZE
    assert nn.functional.all_finite(values)
    assert nn.functional.all_finite(np.full(shape, np.finfo(dtype).max, dtype))  # sums overflow
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, values.size // 2, values.size - 1):
            broken = values.copy()
            broken.reshape(-1)[where] = bad
            assert not nn.functional.all_finite(broken), (bad, where)
            assert not nn.functional.all_finite(broken[::-1])  # not in C order
    opposite = values.copy()
    opposite.reshape(-1)[:2] = (np.inf, -np.inf)
    assert not nn.functional.all_finite(opposite)


def test_a_column_of_labels_is_named_as_such():
    """Keras users pass labels as a column (n, 1); the error said only that the shapes
    differ."""
    with pytest.raises(ValueError, match=r"target of shape \(4, 1\) is a column.*labels of "
                                         r"shape \(4,\).*y\.ravel\(\)"):
        nn.CrossEntropyLoss()(logits(), np.array([[0], [1], [2], [1]]))


@pytest.mark.parametrize("reduction, expected", [("mean", np.nan), ("sum", 0.0), ("none", None)])
@pytest.mark.parametrize("loss, target", [
    (nn.CrossEntropyLoss, np.zeros(0, np.int64)), (nn.CrossEntropyLoss, np.zeros((0, 3))),
    (nn.BCEWithLogitsLoss, np.zeros((0, 3))), (nn.BCELoss, np.zeros((0, 3))),
    (nn.MSELoss, np.zeros((0, 3)))])
def test_an_empty_batch_gives_pytorchs_values(loss, target, reduction, expected):
    """The mean of no losses is NaN, their sum 0, as in PyTorch; cross-entropy failed with
    NumPy's "zero-size array to reduction operation minimum", and the binary ones warned."""
    input = rp.Tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(reduction)(input, target)
        value.sum().backward()
    if expected is None:
        assert value.shape == (0,) if target.ndim == 1 else value.shape in ((0,), (0, 3))
    else:
        np.testing.assert_equal(value.item(), expected)
    assert input.grad.shape == (0, 3)
