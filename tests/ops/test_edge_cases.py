"""The op registry at the edges, each case against PyTorch: 0-d tensors through every op and
activation, empty batches, numbers on the left of every arithmetic operator, gradients at
boundary points (PyTorch's conventions at kinks, ties and 0·∞), and bad axes, indices and
arguments raising the exceptions PyTorch raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import ops
from retroprop.nn import functional as F
from retroprop.ops import pooling
from retroprop.ops.normalization import standardize
from tests.ops.harness import (
    PRECISIONS,
    Case,
    finite_differences_agree,
    fixed,
    matches_torch,
    normal,
    positive,
)

TF = torch.nn.functional


def scalar(low=-2.0, high=2.0, away=0.1):
    """A 0-d input, |x| >= away."""
    def draw(rng):
        x = rng.uniform(low, high)
        return np.array(x if abs(x) >= away else away + abs(x))
    return draw


ZERO_D = [
    Case("add", lambda a, b: a + b, lambda a, b: a + b, [scalar(), scalar()]),
    Case("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [scalar(), normal(3)]),
    Case("sub", lambda a, b: a - b, lambda a, b: a - b, [scalar(), scalar()]),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, [scalar(), normal(2, 3)]),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, [scalar(), scalar(0.5, 2.0)]),
    Case("neg", lambda a: -a, lambda a: -a, [scalar()]),
    Case("pow_int", lambda a: a**3, lambda a: a**3, [scalar()]),
    Case("pow_float", lambda a: a**1.5, lambda a: a**1.5, [scalar(0.5, 2.0)]),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [scalar(0.5, 2.0), scalar()]),
    Case("sqrt", lambda a: a.sqrt(), torch.sqrt, [scalar(0.5, 2.0)]),
    Case("exp", lambda a: a.exp(), torch.exp, [scalar()]),
    Case("log", lambda a: a.log(), torch.log, [scalar(0.5, 2.0)]),
    Case("sin", lambda a: a.sin(), torch.sin, [scalar()]),
    Case("cos", lambda a: a.cos(), torch.cos, [scalar()]),
    Case("abs", lambda a: a.abs(), torch.abs, [scalar()]),
    Case("clip", lambda a: a.clip(-1.0, 0.5), lambda a: a.clamp(-1.0, 0.5), [scalar()]),
    Case("clone", lambda a: a.clone(), torch.clone, [scalar()]),
    Case("sigmoid", ops.sigmoid, torch.sigmoid, [scalar()]),
    Case("tanh", ops.tanh, torch.tanh, [scalar()]),
    Case("relu", ops.relu, torch.relu, [scalar()]),
    Case("leaky_relu", lambda a: ops.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1),
         [scalar()]),
    Case("elu", lambda a: ops.elu(a, 1.5), lambda a: TF.elu(a, 1.5), [scalar()]),
    Case("lecun_tanh", ops.lecun_tanh, lambda a: 1.7159 * torch.tanh(2 * a / 3), [scalar()]),
    Case("tanh_linear", lambda a: ops.tanh_linear(a, 0.2), lambda a: torch.tanh(a) + 0.2 * a,
         [scalar()]),
    Case("softmax", lambda a: a.softmax(), lambda a: a.softmax(-1), [scalar()]),
    Case("log_softmax", lambda a: a.log_softmax(dim=0), lambda a: a.log_softmax(0),
         [scalar()]),
    Case("sum", lambda a: a.sum(), torch.sum, [scalar()]),
    Case("sum_dim0", lambda a: a.sum(dim=0), lambda a: a.sum(0), [scalar()]),
    Case("mean_dim_last", lambda a: a.mean(axis=-1, keepdims=True),
         lambda a: a.mean(-1, keepdim=True), [scalar()]),
    Case("max", lambda a: a.max(), torch.amax, [scalar()]),
    Case("min_dim0", lambda a: a.min(dim=0).values, lambda a: torch.min(a, 0).values,
         [scalar()]),
    Case("amin_dim0", lambda a: a.amin(dim=0), lambda a: a.amin(0), [scalar()]),
    Case("getitem", lambda a: a[()] * a[None], lambda a: a[()] * a[None], [scalar()]),
    Case("reshape", lambda a: a.reshape(1, 1), lambda a: a.reshape(1, 1), [scalar()]),
    Case("T", lambda a: a.T, lambda a: a.T, [scalar()]),
    Case("flatten", lambda a: a.flatten(0), lambda a: a.flatten(0), [scalar()]),
    Case("stack", lambda a, b: ops.stack([a, b]), lambda a, b: torch.stack([a, b]),
         [scalar(), scalar()]),
    Case("where", lambda a, b: ops.where(np.array(True), a, b),
         lambda a, b: torch.where(torch.tensor(True), a, b), [scalar(), scalar()]),
    Case("mse", F.mse_loss, TF.mse_loss, [scalar()], [scalar()]),
    Case("bce_with_logits", F.binary_cross_entropy_with_logits,
         TF.binary_cross_entropy_with_logits, [scalar()], [lambda rng: np.array(1.0)]),
    Case("cumsum", lambda a: a.cumsum(0), lambda a: a.cumsum(0), [scalar()]),
    Case("prod", lambda a: a.prod() * a.prod(-1), lambda a: a.prod() * a.prod(-1), [scalar()]),
    Case("logsumexp", lambda a: a.logsumexp(0), lambda a: a.logsumexp(0), [scalar()]),
    Case("flip", lambda a: a.flip(0), lambda a: a.flip(0), [scalar()]),
    Case("expand", lambda a: a.expand(2, 3), lambda a: a.expand(2, 3), [scalar()]),
    Case("repeat", lambda a: a.repeat(3), lambda a: a.repeat(3), [scalar()]),
    Case("square", lambda a: a.square(), torch.square, [scalar()]),
    Case("sort", lambda a: a.sort().values, lambda a: a.sort().values, [scalar()]),
    Case("masked_fill", lambda a: a.masked_fill(np.array(False), 2.0),
         lambda a: a.masked_fill(torch.tensor(False), 2.0), [scalar()]),
]

EMPTY = [
    Case("add", lambda a, b: a + b, lambda a, b: a + b, [normal(0, 3), normal(3)]),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, [normal(0, 3), normal(1, 3)]),
    Case("exp", lambda a: a.exp(), torch.exp, [normal(0, 4)]),
    Case("relu", ops.relu, torch.relu, [normal(0, 4)]),
    Case("tanh", ops.tanh, torch.tanh, [normal(0, 4)]),
    Case("sigmoid", ops.sigmoid, torch.sigmoid, [normal(0, 4)]),
    Case("sum_batch", lambda a: a.sum(dim=0), lambda a: a.sum(0), [normal(0, 3)]),
    Case("sum_features", lambda a: a.sum(dim=1), lambda a: a.sum(1), [normal(0, 3)]),
    Case("mean_all", lambda a: a.mean(), torch.mean, [normal(0, 3)]),
    Case("mean_batch", lambda a: a.mean(dim=0), lambda a: a.mean(0), [normal(0, 3)]),
    Case("max_features", lambda a: a.max(dim=1).values, lambda a: a.max(1).values,
         [normal(0, 3)]),
    Case("amax_features", lambda a: a.amax(dim=1), lambda a: a.amax(1), [normal(0, 3)]),
    Case("softmax", lambda a: a.softmax(dim=1), lambda a: a.softmax(1), [normal(0, 5)]),
    Case("log_softmax", lambda a: a.log_softmax(dim=1), lambda a: a.log_softmax(1),
         [normal(0, 5)]),
    Case("matmul", lambda a, b: a @ b, torch.matmul, [normal(0, 4), normal(4, 3)]),
    Case("linear", ops.linear, TF.linear, [normal(0, 4), normal(3, 4), normal(3)]),
    Case("layer_standardize", lambda a: standardize(a, (1,))[0],
         lambda a: TF.layer_norm(a, (4,)), [normal(0, 4)]),
    Case("getitem", lambda a: a[:, 1:], lambda a: a[:, 1:], [normal(0, 3)]),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [normal(0, 2, 3)]),
    Case("flatten_layer", rp.nn.Flatten(), torch.nn.Flatten(), [normal(0, 2, 2, 2)]),
    Case("cat", lambda a, b: rp.cat([a, b]), lambda a, b: torch.cat([a, b]),
         [normal(0, 3), normal(2, 3)]),
    Case("mse", F.mse_loss, TF.mse_loss, [normal(0, 3)], [normal(0, 3)]),
    Case("cross_entropy_sum", lambda a, t: F.cross_entropy(a, t, "sum"),
         lambda a, t: TF.cross_entropy(a, t, reduction="sum"), [normal(0, 5)],
         [lambda rng: np.zeros(0, dtype=np.int64)]),
    Case("max_pool", lambda x: pooling.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2),
                                                       padding=(0, 0), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, 2), [normal(0, 2, 4, 4)]),
    Case("cumsum", lambda a: a.cumsum(0), lambda a: a.cumsum(0), [normal(0, 3)]),
    Case("prod_of_nothing", lambda a: a.prod(0), lambda a: a.prod(0), [normal(0, 3)]),
    Case("logsumexp_of_nothing", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1),
         [normal(3, 0)]),
    Case("logsumexp_batch", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1),
         [normal(0, 3)]),
    Case("repeat", lambda a: a.repeat(2, 2), lambda a: a.repeat(2, 2), [normal(0, 3)]),
    Case("expand", lambda a: a.expand(0, 3), lambda a: a.expand(0, 3), [normal(1, 3)]),
    Case("chunk", lambda a: a.chunk(2)[1], lambda a: a.chunk(2)[1], [normal(0, 3)]),
    Case("split", lambda a: a.split(2, dim=1)[0], lambda a: a.split(2, dim=1)[0],
         [normal(0, 3)]),
    Case("sort", lambda a: a.sort(dim=0).values, lambda a: a.sort(dim=0).values,
         [normal(0, 3)]),
    Case("mm", lambda a, b: a.mm(b), torch.mm, [normal(0, 4), normal(4, 3)]),
]


def ties(*shape):
    """Values in {0, 1, 2}: most windows and rows hold ties."""
    return lambda rng: rng.integers(0, 3, shape).astype(float)


NAN = float("nan")
#: NaN in rows and columns, alone, twice, and beside tied largest and smallest values
NAN_TIES = fixed([[1.0, NAN, NAN, 5.0], [NAN, 1.0, 2.0, 3.0], [2.0, 2.0, 0.0, 0.0],
                  [4.0, 4.0, NAN, -1.0]])


BOUNDARY = [
    # powers at 0: dz/da = p a^(p-1), with 0 for p = 0 (PyTorch masks the 0·∞)
    Case("pow_0_at_0", lambda a: a**0, lambda a: a**0, [fixed([0.0, 1.0, -2.0])]),
    Case("pow_1_at_0", lambda a: a**1, lambda a: a**1, [fixed([0.0, -1.0])]),
    Case("pow_2_at_0", lambda a: a**2, lambda a: a**2, [fixed([0.0, -1.0])]),
    Case("pow_half_at_0", lambda a: a**0.5, lambda a: a**0.5, [fixed([0.0, 4.0])]),
    Case("pow_neg_at_0", lambda a: a**-1, lambda a: a**-1, [fixed([0.0, 2.0])]),
    Case("pow_tensor_at_0", lambda a, b: a**b, lambda a, b: a**b,
         [fixed([0.0, 0.0, 0.0, 0.0, 2.0, -1.0]), fixed([0.0, 2.0, -1.0, 0.5, 0.0, 0.0])]),
    Case("rpow_base_0", lambda b: 0.0**b, lambda b: 0.0**b, [fixed([0.0, 1.5, -1.0])]),
    Case("rpow_base_2", lambda b: 2**b, lambda b: 2**b, [fixed([0.0, -1.0, 3.0])]),
    Case("sqrt_at_0", lambda a: a.sqrt(), torch.sqrt, [fixed([0.0, 1.0])]),
    # kinks: abs and relu have derivative 0 at 0, leaky_relu and elu their left slope
    Case("abs_at_0", lambda a: a.abs(), torch.abs, [fixed([0.0, -1.0, 1.0])]),
    Case("relu_at_0", ops.relu, torch.relu, [fixed([0.0, -1.0, 1.0])]),
    Case("leaky_relu_at_0", lambda a: ops.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1),
         [fixed([0.0, -1.0, 1.0])]),
    Case("elu_at_0", lambda a: ops.elu(a, 1.5), lambda a: TF.elu(a, 1.5),
         [fixed([0.0, -1.0, 1.0])]),
    # ties share the gradient of max and min evenly (torch.amax, torch.amin, torch.max())
    Case("max_ties", lambda a: a.max(), torch.max, [fixed([[1.0, 2.0], [2.0, 2.0]])]),
    Case("amax_ties_dim", lambda a: a.amax(dim=1), lambda a: a.amax(1), [ties(4, 5)]),
    Case("max_ties_axis", lambda a: a.max(axis=1), lambda a: a.amax(1), [ties(4, 5)]),
    Case("min_ties_dims", lambda a: a.amin(dim=(0, 2)), lambda a: a.amin((0, 2)),
         [ties(3, 4, 2)]),
    Case("min_ties_axes", lambda a: a.min(axis=(0, 2)), lambda a: a.amin((0, 2)),
         [ties(3, 4, 2)]),
    # ... but along one dim (torch.max(x, dim)) all of it goes to the index returned: the
    # first of the tied elements, or the first NaN
    Case("max_ties_dim", lambda a: a.max(dim=1).values, lambda a: a.max(1).values,
         [ties(4, 5)]),
    Case("max_ties_dim0_keepdim", lambda a: a.max(0, True).values,
         lambda a: a.max(0, True).values, [ties(4, 5)]),
    Case("min_ties_dim", lambda a: rp.min(a, -1).values, lambda a: torch.min(a, -1).values,
         [ties(3, 4, 2)]),
    Case("max_nan_dim", lambda a: a.max(1).values, lambda a: a.max(1).values, [NAN_TIES]),
    Case("min_nan_dim", lambda a: a.min(dim=1).values, lambda a: a.min(dim=1).values,
         [NAN_TIES]),
    Case("max_nan_dim0", lambda a: a.max(0).values, lambda a: a.max(0).values, [NAN_TIES]),
    # clip passes the gradient at its bounds, as torch.clamp
    Case("clip_at_bounds", lambda a: a.clip(-1.0, 1.0), lambda a: a.clamp(-1.0, 1.0),
         [fixed([-1.0, 1.0, 0.0, 2.0, -2.0])]),
    Case("clip_low_only", lambda a: a.clip(low=0.0), lambda a: a.clamp(min=0.0),
         [fixed([0.0, -1.0, 1.0])]),
    Case("clip_high_only", lambda a: a.clip(high=0.0), lambda a: a.clamp(max=0.0),
         [fixed([0.0, -1.0, 1.0])]),
    # max pooling: the first maximum of each window in row-major order takes the gradient
    Case("max_pool_ties", lambda x: pooling.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2),
                                                            padding=(0, 0), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, 2), [ties(2, 3, 6, 4)]),
    Case("max_pool_ties_overlapping", lambda x: pooling.MaxPool2d.apply(
        x, kernel=(3, 3), stride=(1, 2), padding=(1, 1), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, 3, (1, 2), 1), [ties(2, 2, 7, 6)]),
    Case("max_pool_ties_dilated", lambda x: pooling.MaxPool2d.apply(
        x, kernel=(2, 2), stride=(1, 1), padding=(0, 0), dilation=(2, 2)),
         lambda x: TF.max_pool2d(x, 2, 1, 0, 2), [ties(1, 2, 5, 5)]),
    Case("max_pool_all_equal", lambda x: pooling.MaxPool2d.apply(
        x, kernel=(2, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, (2, 3), 2, 1), [lambda rng: np.zeros((1, 1, 4, 5))]),
    # prod with zeros: one zero takes the product of the others, two or more give none
    Case("prod_zeros", lambda a: a.prod(1), lambda a: a.prod(1),
         [fixed([[0.0, 2.0, 3.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0], [1.5, -2.0, 0.5]])]),
    Case("prod_all_one_zero", lambda a: a.prod(), torch.prod, [fixed([[2.0, 0.0], [3.0, 4.0]])]),
    # logsumexp of rows holding ±inf: PyTorch's values (±inf) and gradients (NaN, 0)
    Case("logsumexp_infinite", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1),
         [fixed([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 2.0], [1.0, 2.0]])]),
    # sort with ties: the stable order, as torch.sort(stable=True); ties of round at halves
    Case("sort_ties", lambda a: a.sort(1, descending=True).values * np.arange(5.0),
         lambda a: a.sort(dim=1, descending=True, stable=True).values
         * torch.arange(5, dtype=a.dtype),
         [ties(3, 5)]),
    Case("round_floor_at_halves", lambda a: a.round() + a.floor() + a.sign(),
         lambda a: a.round() + a.floor() + a.sign(),
         [fixed([-1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 1.0])]),
]

REFLECTED_OPS = {
    "+": lambda n, a: n + a, "-": lambda n, a: n - a, "*": lambda n, a: n * a,
    "/": lambda n, a: n / a, "**": lambda n, a: n**a,
}


def reflected(symbol: str, number) -> Case:
    """number (symbol) tensor, the same expression in both libraries."""
    def fn(a):
        return REFLECTED_OPS[symbol](number, a)
    return Case(f"{type(number).__name__}_{number}_{symbol}_tensor", fn, fn, [positive(2, 3)])


NUMBERS = [2, 2.5, -0.75, np.float64(1.5), np.float32(3.0)]
REFLECTED = [reflected(symbol, number) for symbol in REFLECTED_OPS for number in NUMBERS
             if not (symbol == "**" and number < 0)]  # a negative base: NaN in both


def names(cases):
    return [case.name for case in cases]


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", ZERO_D, ids=names(ZERO_D))
def test_zero_dimensional_tensors_match_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


@pytest.mark.parametrize("case", ZERO_D, ids=names(ZERO_D))
def test_zero_dimensional_finite_differences(case):
    assert finite_differences_agree(case)


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", EMPTY, ids=names(EMPTY))
def test_empty_batches_match_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


# x^p at 0 with p < 1 is infinite, as in PyTorch, which NumPy reports as a warning
@pytest.mark.filterwarnings("ignore:divide by zero encountered in power:RuntimeWarning")
@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", BOUNDARY, ids=names(BOUNDARY))
def test_gradients_at_boundary_points_follow_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", REFLECTED, ids=names(REFLECTED))
def test_numbers_on_the_left_match_torch(case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


@pytest.mark.parametrize("case", REFLECTED, ids=names(REFLECTED))
def test_numbers_on_the_left_finite_differences(case):
    assert finite_differences_agree(case)


def _matrix():
    return rp.Tensor(np.arange(6.0).reshape(2, 3)), torch.arange(6.0).reshape(2, 3)


BAD_AXES = [  # (retroprop, torch): both must raise IndexError
    (lambda t: t.sum(axis=2), lambda t: t.sum(2)),
    (lambda t: t.mean(dim=-3), lambda t: t.mean(-3)),
    (lambda t: t.amax(dim=(0, 5)), lambda t: t.amax((0, 5))),
    (lambda t: t.max(dim=5), lambda t: t.max(5)),
    (lambda t: rp.min(t, -3), lambda t: torch.min(t, -3)),
    (lambda t: t.min(axis=2), lambda t: t.amin(2)),
    (lambda t: t.argmax(dim=2), lambda t: t.argmax(2)),
    (lambda t: t.softmax(dim=2), lambda t: t.softmax(2)),
    (lambda t: t.log_softmax(dim=-3), lambda t: t.log_softmax(-3)),
    (lambda t: t.transpose(0, 2), lambda t: t.permute(0, 2)),
    (lambda t: t.flatten(2), lambda t: t.flatten(2)),
    (lambda t: ops.stack([t, t], axis=3), lambda t: torch.stack([t, t], 3)),
    (lambda t: ops.stack([t, t], axis=-4), lambda t: torch.stack([t, t], -4)),
    (lambda t: rp.cat([t, t], dim=2), lambda t: torch.cat([t, t], 2)),
    (lambda t: rp.Tensor(3.0).sum(dim=1), lambda t: torch.tensor(3.0).sum(1)),
]


@pytest.mark.parametrize(("ours", "theirs"), BAD_AXES)
def test_out_of_range_axes_raise_index_error_as_torch(ours, theirs):
    mine, reference = _matrix()
    with pytest.raises(IndexError):
        theirs(reference)
    with pytest.raises(IndexError, match="out of range"):
        ours(mine)


BAD_TYPES = [  # non-integer axes: TypeError in both, never truncated
    (lambda t: t.sum(axis=1.0), lambda t: t.sum(1.0)),
    (lambda t: t.mean(dim=0.5), lambda t: t.mean(0.5)),
    (lambda t: t.amax(dim=(0, 1.5)), lambda t: t.amax((0, 1.5))),
    (lambda t: t.max(1.0), lambda t: t.max(1.0)),
    (lambda t: t.min(dim=(0, 1)), lambda t: t.min(dim=(0, 1))),
    (lambda t: rp.max(t, True), lambda t: torch.max(t, True)),
    (lambda t: t.softmax(dim=1.0), lambda t: t.softmax(1.0)),
    (lambda t: t.flatten(0.5), lambda t: t.flatten(0.5)),
]


@pytest.mark.parametrize(("ours", "theirs"), BAD_TYPES)
def test_non_integer_axes_raise_type_error_as_torch(ours, theirs):
    mine, reference = _matrix()
    with pytest.raises(TypeError):
        theirs(reference)
    with pytest.raises(TypeError, match="integer"):
        ours(mine)


@pytest.mark.parametrize("index", [1.5, (0, 1.0), [0.0, 1.0]])
def test_non_integer_indices_raise_index_error_as_torch(index):
    mine, reference = _matrix()
    with pytest.raises(IndexError):
        reference[index if not isinstance(index, list) else torch.tensor(index)]
    with pytest.raises(IndexError):
        mine[index]


def test_a_floating_index_tensor_raises_instead_of_truncating():
    mine, reference = _matrix()
    with pytest.raises(IndexError):
        reference[torch.tensor([1.7])]
    with pytest.raises(IndexError, match=r"integers or booleans.*float32"):
        mine[rp.Tensor([1.7])]
    np.testing.assert_array_equal(mine[rp.tensor([1, 0])].data, reference[torch.tensor([1, 0])])
    mask = mine > 2.0
    np.testing.assert_array_equal(mine[mask].data, reference[reference > 2.0])


def test_clip_without_bounds_raises_as_torch():
    mine, reference = _matrix()
    with pytest.raises(RuntimeError, match=r"min.*max"):
        reference.clamp(None, None)
    with pytest.raises(ValueError, match="both None"):
        mine.clip(None, None)
    with pytest.raises(ValueError, match="both None"):
        mine.clip()


def test_clip_with_inverted_bounds_raises():
    """PyTorch sets every element to the upper bound; retroprop refuses instead."""
    mine, _ = _matrix()
    with pytest.raises(ValueError, match=r"low=2\.0 is greater than high=1\.0"):
        mine.clip(2.0, 1.0)


def test_axis_and_dim_together_raise():
    mine, _ = _matrix()
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        mine.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="both"):
        mine.softmax(1, axis=0)


def test_reducing_an_empty_axis_with_max_raises_as_torch():
    with pytest.raises(IndexError):
        torch.ones(0, 3).amax(0)
    with pytest.raises(IndexError):
        torch.ones(0, 3).max(0)
    with pytest.raises(IndexError, match="axis 0 of size 0"):
        rp.Tensor(np.ones((0, 3))).amax(dim=0)
    with pytest.raises(IndexError, match=r"max: axis 0 of the tensor of shape \(0, 3\) has "
                                         "no elements"):
        rp.Tensor(np.ones((0, 3))).max(dim=0)


EMPTY_LAYERS = [  # (retroprop layer, torch layer, input shape with an empty batch)
    (lambda: rp.nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (0, 4)),
    (lambda: rp.nn.LayerNorm(4), lambda: torch.nn.LayerNorm(4), (0, 4)),
    (lambda: rp.nn.Conv2d(2, 3, 3, padding=1), lambda: torch.nn.Conv2d(2, 3, 3, padding=1),
     (0, 2, 5, 5)),
    (lambda: rp.nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (0, 2, 4, 4)),
    (lambda: rp.nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (0, 2, 4, 4)),
    (lambda: rp.nn.Dropout(0.5), lambda: torch.nn.Dropout(0.5), (0, 4)),
    (lambda: rp.nn.Flatten(), lambda: torch.nn.Flatten(), (0, 2, 3)),
    (lambda: rp.nn.ReLU(), lambda: torch.nn.ReLU(), (0, 4)),
    (lambda: rp.nn.Softmax(1), lambda: torch.nn.Softmax(1), (0, 4)),
]


@pytest.mark.parametrize(("ours", "theirs", "shape"), EMPTY_LAYERS)
def test_layers_take_an_empty_batch_as_torch(ours, theirs, shape):
    layer, twin = ours(), theirs()
    x = rp.Tensor(np.ones(shape), requires_grad=True)
    t = torch.ones(shape, requires_grad=True)
    out, expected = layer(x), twin(t)
    assert out.shape == tuple(expected.shape)
    (out * 2.0).sum().backward()
    (expected * 2.0).sum().backward()
    assert x.grad.shape == tuple(t.grad.shape)
    for (name, param), (_, reference) in zip(layer.named_parameters(), twin.named_parameters(),
                                             strict=True):
        np.testing.assert_array_equal(param.grad, reference.grad.numpy(), err_msg=name)
