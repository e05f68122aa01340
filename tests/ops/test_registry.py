"""The op registry: every differentiable op through one harness (``tests/ops/harness.py``):
float64 finite differences, and PyTorch (forward and gradients) in float64 and float32 on
seeded random inputs. The edge cases (0-d, empty, boundary points, bad arguments) are in
``test_edge_cases.py``.

Tolerances: float64 against PyTorch rtol 1e-10 (atol 1e-12); float32 rtol 1e-5
(atol 1e-6); finite differences eps 1e-6, atol 1e-6, rtol 1e-5.
Inputs are drawn away from kinks (|x| >= 0.1 for relu, abs, leaky_relu, elu,
clip bounds) and from poles (divisors, logs).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import ops
from retroprop.nn import functional as F
from retroprop.nn.functional import REDUCTIONS
from retroprop.ops import pooling
from retroprop.ops.conv import Conv2d
from retroprop.ops.normalization import batch_norm, standardize
from tests.ops.harness import (
    PRECISIONS,
    Case,
    away,
    column_major,
    finite_differences_agree,
    fixed,
    matches_torch,
    normal,
    positive,
)

TF = torch.nn.functional


LABELS = lambda rng: rng.integers(0, 5, 6)  # noqa: E731
PROBS = lambda rng: rng.dirichlet(np.ones(5), 6)  # noqa: E731
BINARY = lambda rng: rng.integers(0, 2, (6, 3)).astype(float)  # noqa: E731
CLASS_WEIGHTS = lambda rng: rng.uniform(0.2, 2.0, 5)  # noqa: E731
IGNORED = lambda rng: np.where(np.arange(6) % 3 == 1, -100, rng.integers(0, 5, 6))  # noqa: E731
#: errors d = y - t exactly at the switch points ±1 (δ = β = 1) and ±0.5, and on both sides
SWITCH = fixed([[-1.0, -0.5, -0.25, 0.0], [0.25, 0.5, 1.0, 2.0], [-3.0, 0.75, -0.75, 1.5]])
ZEROS = fixed(np.zeros((3, 4)))
ZEROS_6_3 = fixed(np.zeros((6, 3)))
#: gather's indices: a repeated index (its gradients add up), and one smaller than the input
GATHER_1 = np.array([[0, 0, 3], [2, 1, 2], [3, 3, 3]])
GATHER_0 = np.array([[[2, 0], [0, 0]], [[1, 2], [2, 1]]])
WEIGHTS_6_3 = lambda rng: rng.uniform(0.2, 2.0, (6, 3))  # noqa: E731



def tutorial_functions(base):
    """The custom autograd Functions of PyTorch's tutorial "Learning PyTorch with Examples",
    and one with a number between two tensors, subclassing ``base``
    (``rp.autograd.Function`` or ``torch.autograd.Function``): the same code for both."""

    class LegendrePolynomial3(base):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class MyReLU(base):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class ScaledProduct(base):  # k a b, with k a number
        @staticmethod
        def forward(ctx, a, k, b):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return k * a * b

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            grad_a = grad_output * ctx.k * b if ctx.needs_input_grad[0] else None
            grad_b = (grad_output * ctx.k * a).sum(0) if ctx.needs_input_grad[2] else None
            return grad_a, None, grad_b

    return LegendrePolynomial3, MyReLU, ScaledProduct


RP_FUNCTIONS = tutorial_functions(rp.autograd.Function)
TORCH_FUNCTIONS = tutorial_functions(torch.autograd.Function)

CASES = [
    Case("autograd.Function_legendre", RP_FUNCTIONS[0].apply, TORCH_FUNCTIONS[0].apply,
         [normal(3, 4)]),
    Case("autograd.Function_relu", RP_FUNCTIONS[1].apply, TORCH_FUNCTIONS[1].apply,
         [away(3, 4)]),
    Case("autograd.Function_number_argument", lambda a, b: RP_FUNCTIONS[2].apply(a, 1.5, b),
         lambda a, b: TORCH_FUNCTIONS[2].apply(a, 1.5, b), [normal(3, 4), normal(4)]),
    Case("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [normal(3, 4), normal(4)]),
    Case("add_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [normal(3, 4)]),
    Case("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, [normal(2, 3, 4), normal(3, 1)]),
    Case("rsub", lambda a: 1.0 - a, lambda a: 1.0 - a, [normal(3)]),
    Case("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [normal(3, 4), normal(1, 4)]),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, [normal(3, 4), away(3, 4, low=0.5)]),
    Case("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, [away(5, low=0.5)]),
    Case("neg", lambda a: -a, lambda a: -a, [normal(3, 2)]),
    Case("pow_int", lambda a: a**3, lambda a: a**3, [normal(3, 4)]),
    Case("pow_float", lambda a: a**2.5, lambda a: a**2.5, [positive(3, 4)]),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [positive(3, 4), normal(3, 4)]),
    Case("rpow", lambda a: 2.5**a, lambda a: 2.5**a, [normal(3, 4)]),
    Case("rpow_int_base", lambda a: 3**a, lambda a: 3**a, [normal(4)]),
    Case("sqrt", lambda a: a.sqrt(), torch.sqrt, [positive(4)]),
    Case("sin", lambda a: a.sin(), torch.sin, [normal(3, 4)]),
    Case("cos", lambda a: a.cos(), torch.cos, [normal(3, 4)]),
    Case("clone", lambda a: a.clone() * a, lambda a: a.clone() * a, [normal(3, 4)]),
    Case("matmul_2d", lambda a, b: a @ b, torch.matmul, [normal(3, 4), normal(4, 5)]),
    Case("matmul_vec_mat", lambda a, b: a @ b, torch.matmul, [normal(4), normal(4, 5)]),
    Case("matmul_mat_vec", lambda a, b: a @ b, torch.matmul, [normal(3, 4), normal(4)]),
    Case("matmul_vec_vec", lambda a, b: a @ b, torch.matmul, [normal(4), normal(4)]),
    Case("matmul_batch", lambda a, b: a @ b, torch.matmul, [normal(2, 3, 4), normal(4, 5)]),
    Case("matmul_batch_bcast", lambda a, b: a @ b, torch.matmul,
         [normal(2, 3, 4), normal(1, 4, 2)]),
    Case("matmul_vec_batch", lambda a, b: a @ b, torch.matmul, [normal(4), normal(2, 4, 3)]),
    Case("sum_all", lambda a: a.sum(), torch.sum, [normal(3, 4)]),
    Case("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [normal(3, 4, 2)]),
    Case("sum_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
         lambda a: a.sum(dim=(0, 2), keepdim=True), [normal(3, 4, 2)]),
    Case("sum_dim_keepdim", lambda a: a.sum(dim=(0, 2), keepdim=True),
         lambda a: a.sum(dim=(0, 2), keepdim=True), [normal(3, 4, 2)]),
    Case("mean_all", lambda a: a.mean(), torch.mean, [normal(3, 4)]),
    Case("mean_dim", lambda a: a.mean(dim=1), lambda a: a.mean(dim=1), [normal(3, 4)]),
    Case("amax_dim", lambda a: a.amax(dim=-1, keepdim=True),
         lambda a: a.amax(dim=-1, keepdim=True), [normal(3, 5)]),
    Case("amin_dim", lambda a: a.amin(dim=0), lambda a: a.amin(dim=0), [normal(3, 5)]),
    Case("max_dim", lambda a: a.max(dim=-1, keepdim=True).values,
         lambda a: a.max(dim=-1, keepdim=True).values, [normal(3, 5)]),
    Case("max_dim_positional", lambda a: rp.max(a, 1)[0], lambda a: torch.max(a, 1)[0],
         [normal(2, 4, 3)]),
    Case("min_dim", lambda a: a.min(dim=0).values, lambda a: a.min(dim=0).values,
         [normal(3, 5)]),
    Case("min_dim_keepdim", lambda a: a.min(2, True)[0], lambda a: a.min(2, True)[0],
         [normal(2, 4, 3)]),
    Case("mean_axis", lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), [normal(3, 4)]),
    Case("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [normal(3, 5)]),
    Case("max_all", lambda a: a.max(), torch.amax, [normal(3, 5)]),
    Case("min_keepdims", lambda a: a.min(axis=0, keepdims=True),
         lambda a: a.amin(dim=0, keepdim=True), [normal(3, 5)]),
    Case("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [normal(2, 3, 4)]),
    Case("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1),
         [normal(2, 3, 4)]),
    Case("T", lambda a: a.T * 1.0, lambda a: a.T * 1.0, [normal(2, 3)]),
    Case("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [normal(4, 5)]),
    Case("getitem_repeated", lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], [normal(4, 3)]),
    Case("getitem_mixed", lambda a: a[:, [1, 1, 3]], lambda a: a[:, [1, 1, 3]], [normal(2, 4)]),
    Case("gather_dim1_repeated", lambda a: a.gather(1, GATHER_1),
         lambda a: a.gather(1, torch.from_numpy(GATHER_1)), [normal(3, 4)]),
    Case("gather_dim0_smaller", lambda a: rp.gather(a, 0, GATHER_0),
         lambda a: torch.gather(a, 0, torch.from_numpy(GATHER_0)), [normal(3, 4, 2)]),
    Case("gather_negative_dim", lambda a: a.gather(-1, GATHER_1),
         lambda a: a.gather(-1, torch.from_numpy(GATHER_1)), [normal(3, 4)]),
    Case("topk_largest", lambda a: a.topk(2, dim=1).values,
         lambda a: a.topk(2, dim=1).values, [normal(3, 5)]),
    Case("topk_smallest_dim0", lambda a: a.topk(3, dim=0, largest=False)[0],
         lambda a: a.topk(3, dim=0, largest=False)[0], [normal(4, 2, 3)]),
    Case("amax_amin", lambda a: a.amax(dim=1) * rp.amin(a, dim=(0, 1)),
         lambda a: a.amax(dim=1) * torch.amin(a, dim=(0, 1)), [normal(3, 4)]),
    # the idioms of manual training loops and lecture exercises (tests/test_torch_idioms.py)
    Case("expand", lambda a: a.expand(2, -1, 4), lambda a: a.expand(2, -1, 4),
         [normal(3, 1)]),
    Case("expand_as", lambda a, b: a.expand_as(b) * b, lambda a, b: a.expand_as(b) * b,
         [normal(1, 4), normal(3, 4)]),
    Case("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [normal(3, 2)]),
    Case("repeat_tuple", lambda a: a.repeat((2, 2)), lambda a: a.repeat((2, 2)), [normal(3, 2)]),
    Case("chunk", lambda a: ops.cat([c * (k + 1) for k, c in enumerate(a.chunk(3, dim=1))], 1),
         lambda a: torch.cat([c * (k + 1) for k, c in enumerate(a.chunk(3, dim=1))], 1),
         [normal(2, 7)]),
    Case("split_sizes", lambda a: a.split([1, 3], 0)[1] * rp.split(a, 2)[0].sum(),
         lambda a: a.split([1, 3], 0)[1] * torch.split(a, 2)[0].sum(), [normal(4, 3)]),
    Case("flip", lambda a: a.flip(0, 2) * a, lambda a: a.flip(0, 2) * a, [normal(2, 3, 4)]),
    Case("rp_flip", lambda a: rp.flip(a, (-1,)), lambda a: torch.flip(a, (-1,)), [normal(3, 4)]),
    Case("cumsum", lambda a: a.cumsum(1) ** 2, lambda a: a.cumsum(1) ** 2, [normal(3, 5)]),
    Case("cumsum_dim0", lambda a: rp.cumsum(a, dim=-3), lambda a: torch.cumsum(a, dim=-3),
         [normal(4, 2, 3)]),
    Case("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), [normal(3, 4)]),
    Case("prod_all", lambda a: rp.prod(a), torch.prod, [normal(2, 3)]),
    Case("prod_zeros_keepdim", lambda a: a.prod(dim=1, keepdim=True),
         lambda a: a.prod(dim=1, keepdim=True),
         [fixed([[0.0, 2.0, 3.0], [0.0, 0.0, 2.0], [1.5, -2.0, 0.5], [2.0, 0.0, -1.0]])]),
    Case("logsumexp", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1), [normal(3, 5)]),
    Case("logsumexp_large_keepdim", lambda a: rp.logsumexp(a * 1000, (0, 2), keepdim=True),
         lambda a: torch.logsumexp(a * 1000, (0, 2), keepdim=True), [normal(2, 3, 2)]),
    Case("square", lambda a: a.square() + rp.square(a), lambda a: a.square() + torch.square(a),
         [normal(3, 4)]),
    Case("sign_floor_round", lambda a: a * a.sign() + a.floor() * a + rp.floor(a) + a.round(),
         lambda a: a * a.sign() + a.floor() * a + torch.floor(a) + a.round(),
         [lambda rng: rng.integers(-3, 3, (3, 4)) + rng.uniform(0.1, 0.4, (3, 4))]),
    Case("masked_fill", lambda a, m: a.masked_fill(m, -1.5),
         lambda a, m: a.masked_fill(m, -1.5), [normal(3, 4)],
         [lambda rng: rng.random((3, 4)) < 0.5]),
    Case("masked_fill_broadcast_tensor_value", lambda a, v, m: rp.masked_fill(a, m, v),
         lambda a, v, m: a.masked_fill(m, v), [normal(3, 4), normal()],
         [lambda rng: rng.random(4) < 0.5]),
    Case("mm", lambda a, b: a.mm(b), torch.mm, [normal(3, 4), normal(4, 2)]),
    Case("dot", lambda a, b: rp.dot(a, b), torch.dot, [normal(5), normal(5)]),
    Case("outer", lambda a, b: a.outer(b), torch.outer, [normal(3), normal(4)]),
    Case("view_as_reshape_as", lambda a, b: a.view_as(b) * b + a.T.reshape_as(b),
         lambda a, b: a.view_as(b) * b + a.T.reshape_as(b), [normal(3, 4), normal(2, 6)]),
    Case("type_as", lambda a: a.double().type_as(a) * a.type_as(a),
         lambda a: a.double().type_as(a) * a.type_as(a), [normal(3)]),
    Case("sort", lambda a: a.sort(dim=1).values, lambda a: a.sort(dim=1).values,
         [normal(3, 5)]),
    Case("sort_descending_dim0", lambda a: rp.sort(a, 0, descending=True)[0],
         lambda a: torch.sort(a, 0, descending=True)[0], [normal(4, 3)]),
    Case("concatenate", lambda a, b: ops.concatenate([a, b], axis=1),
         lambda a, b: torch.cat([a, b], dim=1), [normal(2, 3), normal(2, 4)]),
    Case("stack", lambda a, b: ops.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
         [normal(2, 3), normal(2, 3)]),
    Case("cat", lambda a, b: rp.cat([a, b], dim=-1), lambda a, b: torch.cat([a, b], dim=-1),
         [normal(2, 3), normal(2, 1)]),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [normal(2, 3, 2, 2)]),
    Case("flatten_end_dim", lambda a: a.flatten(1, 2), lambda a: a.flatten(1, 2),
         [normal(2, 3, 2, 2)]),
    Case("flatten_negative_dims", lambda a: rp.flatten(a, -3, -2),
         lambda a: torch.flatten(a, -3, -2), [normal(2, 3, 2, 2)]),
    Case("flatten_end_dim_keyword", lambda a: rp.flatten(a, end_dim=1),
         lambda a: torch.flatten(a, end_dim=1), [normal(2, 3, 4)]),
    # the methods and functions of PyTorch's that a port reaches for first
    Case("view", lambda a: a.view(-1, 6), lambda a: a.view(-1, 6), [normal(2, 3, 4)]),
    Case("view_transposed", lambda a: a.T.view(12), lambda a: a.T.reshape(12),
         [normal(3, 4)]),  # PyTorch's view refuses this one; retroprop's copies
    Case("unsqueeze", lambda a: a.unsqueeze(1) * a.unsqueeze(-1),
         lambda a: a.unsqueeze(1) * a.unsqueeze(-1), [normal(2, 3)]),
    Case("squeeze_all", lambda a: a.squeeze(), lambda a: a.squeeze(), [normal(2, 1, 3, 1)]),
    Case("squeeze_tuple", lambda a: a.squeeze((0, 3, 2)), lambda a: a.squeeze((0, 3, 2)),
         [normal(1, 3, 2, 1)]),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1),
         [normal(2, 3, 4)]),
    Case("permute_matrix", lambda a: a.permute((1, 0)), lambda a: a.permute((1, 0)),
         [normal(2, 3)]),
    Case("rp_stack_dim", lambda a, b: rp.stack([a, b], dim=-1),
         lambda a, b: torch.stack([a, b], dim=-1), [normal(2, 3), normal(2, 3)]),
    Case("cast_through_float64", lambda a: (a.double() ** 2).to(a.dtype),
         lambda a: (a.double() ** 2).to(a.dtype), [normal(3, 4)]),  # (float32: two casts)
    Case("to_same_dtype", lambda a: a.to(a.dtype) * a.to("cpu"),
         lambda a: a.to(a.dtype) * a.to("cpu"), [normal(3)]),
    Case("pow_method", lambda a, b: a.pow(b) + a.pow(2), lambda a, b: a.pow(b) + a.pow(2),
         [positive(3, 4), normal(3, 4)]),
    Case("matmul_method", lambda a, b: a.matmul(b), lambda a, b: a.matmul(b),
         [normal(2, 3, 4), normal(4, 5)]),
    Case("rp_matmul", rp.matmul, torch.matmul, [normal(3, 4), normal(4)]),
    Case("log1p", lambda a: a.log1p(), torch.log1p, [positive(3, 4, low=-0.9, high=3.0)]),
    Case("var_all", lambda a: a.var(), torch.var, [normal(3, 4)]),
    Case("var_dim_unbiased_false", lambda a: a.var(1, False, True),
         lambda a: a.var(1, False, True), [normal(3, 4)]),
    Case("var_correction", lambda a: a.var(dim=(0, 2), correction=2, keepdim=True),
         lambda a: a.var(dim=(0, 2), correction=2, keepdim=True), [normal(3, 4, 2)]),
    Case("std_all", lambda a: a.std(), torch.std, [normal(3, 4)]),
    Case("std_dim", lambda a: a.std(dim=-1), lambda a: a.std(dim=-1), [normal(3, 5)]),
    Case("std_correction_keepdim", lambda a: a.std(0, correction=0, keepdim=True),
         lambda a: a.std(0, correction=0, keepdim=True), [normal(4, 3)]),
    Case("norm_2", lambda a: a.norm(), torch.norm, [normal(3, 4)]),
    Case("norm_2_dim", lambda a: a.norm(dim=1, keepdim=True),
         lambda a: a.norm(dim=1, keepdim=True), [normal(3, 4)]),
    Case("norm_1", lambda a: a.norm(1, dim=0), lambda a: a.norm(1, dim=0), [away(3, 4)]),
    Case("norm_3", lambda a: a.norm(3, (0, 1)), lambda a: a.norm(3, (0, 1)), [away(2, 3, 2)]),
    Case("norm_half", lambda a: a.norm(0.5, -1), lambda a: a.norm(0.5, -1), [away(3, 4)]),
    Case("norm_inf", lambda a: a.norm(float("inf"), 1), lambda a: a.norm(float("inf"), 1),
         [normal(3, 4)]),
    Case("norm_minus_inf", lambda a: a.norm(-np.inf), lambda a: a.norm(-np.inf),
         [away(3, 4)]),
    Case("norm_fro", lambda a: a.norm("fro"), lambda a: a.norm("fro"), [normal(3, 4)]),
    Case("maximum", rp.maximum, torch.maximum, [normal(3, 4), normal(4)]),
    Case("maximum_number", lambda a: rp.maximum(a, 0.2),
         lambda a: torch.maximum(a, torch.tensor(0.2, dtype=a.dtype)), [away(3, 4, low=0.3)]),
    Case("minimum", rp.minimum, torch.minimum, [normal(2, 1, 3), normal(4, 1)]),
    Case("rp_where", lambda a, b, c: rp.where(c > 0, a, b),
         lambda a, b, c: torch.where(c > 0, a, b), [normal(3, 4), normal(3, 1)],
         [normal(3, 4)]),
    Case("rp_elementwise", lambda a: rp.exp(a) + rp.log(rp.sigmoid(a)) * rp.tanh(a),
         lambda a: torch.exp(a) + torch.log(torch.sigmoid(a)) * torch.tanh(a),
         [normal(3, 4)]),
    Case("rp_relu", rp.relu, torch.relu, [away(3, 4)]),
    Case("clamp", lambda a: a.clamp(min=-0.5) + a.clamp(max=0.5) + a.clamp(-0.2, 0.3),
         lambda a: a.clamp(min=-0.5) + a.clamp(max=0.5) + a.clamp(-0.2, 0.3),
         [lambda rng: rng.choice([-1.0, -0.35, 0.05, 0.4, 0.9], (3, 4))
          + rng.uniform(-0.04, 0.04, (3, 4))]),
    Case("t", lambda a, b: a.t() * b.t(), lambda a, b: a.t() * b.t(),
         [normal(2, 3), normal(2)]),
    Case("contiguous", lambda a: a.T.contiguous().view(-1), lambda a: a.T.contiguous().view(-1),
         [normal(3, 4)]),
    Case("exp", lambda a: a.exp(), torch.exp, [normal(3, 4)]),
    Case("log", lambda a: a.log(), torch.log, [positive(3, 4)]),
    Case("abs", lambda a: a.abs(), torch.abs, [away(3, 4)]),
    Case("clip", lambda a: a.clip(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5),
         [lambda rng: rng.choice([-1.0, -0.3, 0.2, 0.9], (3, 4))
          + rng.uniform(-0.05, 0.05, (3, 4))]),
    Case("where", lambda a, b, c: ops.where(c > 0, a, b),
         lambda a, b, c: torch.where(c > 0, a, b), [normal(3, 4), normal(4)], [normal(3, 4)]),
    Case("sigmoid", ops.sigmoid, torch.sigmoid, [normal(3, 4)]),
    Case("tanh", ops.tanh, torch.tanh, [normal(3, 4)]),
    Case("relu", ops.relu, torch.relu, [away(3, 4)]),
    Case("leaky_relu", lambda a: ops.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1),
         [away(3, 4)]),
    Case("elu", lambda a: ops.elu(a, 1.5), lambda a: TF.elu(a, 1.5), [away(3, 4)]),
    Case("softmax", lambda a: ops.softmax(a, 1), lambda a: torch.softmax(a, 1), [normal(3, 5)]),
    Case("log_softmax", lambda a: ops.log_softmax(a, 0), lambda a: torch.log_softmax(a, 0),
         [normal(3, 5)]),
    Case("softmax_axis", lambda a: a.softmax(axis=0), lambda a: a.softmax(dim=0),
         [normal(3, 5)]),
    Case("log_softmax_dim", lambda a: a.log_softmax(dim=-2), lambda a: a.log_softmax(dim=-2),
         [normal(2, 3, 5)]),
    Case("lecun_tanh", ops.lecun_tanh, lambda a: 1.7159 * torch.tanh(2 * a / 3), [normal(3, 4)]),
    Case("tanh_linear", lambda a: ops.tanh_linear(a, 0.2),
         lambda a: torch.tanh(a) + 0.2 * a, [normal(3, 4)]),
    Case("standardize_batch", lambda a: standardize(a, (0,))[0],
         lambda a: (a - a.mean(0, keepdim=True))
         / torch.sqrt(a.var(0, unbiased=False, keepdim=True) + 1e-5), [normal(8, 3)]),
    Case("standardize_channels", lambda a: standardize(a, (0, 2, 3))[0],
         lambda a: (a - a.mean((0, 2, 3), keepdim=True))
         / torch.sqrt(a.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5),
         [normal(4, 2, 3, 3)]),
    Case("standardize_features", lambda a: standardize(a, (1, 2))[0],
         lambda a: (a - a.mean((1, 2), keepdim=True))
         / torch.sqrt(a.var((1, 2), unbiased=False, keepdim=True) + 1e-5), [normal(3, 4, 5)]),
    Case("batch_norm_channels", lambda x, w, b: batch_norm(x, w, b)[0],
         lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
         [normal(4, 2, 3, 3), normal(2), normal(2)]),
    Case("batch_norm_features", lambda x, w, b: batch_norm(x, w, b)[0],
         lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
         [normal(8, 3), normal(3), normal(3)]),
    Case("conv2d", lambda x, w, b: Conv2d.apply(x, w, b, stride=(1, 1), padding=(1, 1),
                                                 dilation=(1, 1), groups=1),
         lambda x, w, b: TF.conv2d(x, w, b, padding=1),
         [normal(2, 3, 5, 6), normal(4, 3, 3, 3), normal(4)]),
    Case("conv2d_stride_dilation_groups",
         lambda x, w, b: Conv2d.apply(x, w, b, stride=(2, 1), padding=(0, 2), dilation=(2, 1),
                                      groups=2),
         lambda x, w, b: TF.conv2d(x, w, b, stride=(2, 1), padding=(0, 2), dilation=(2, 1),
                                   groups=2),
         [normal(2, 4, 7, 6), normal(6, 2, 2, 3), normal(6)]),
    Case("conv2d_no_bias", lambda x, w: Conv2d.apply(x, w, stride=(1, 1), padding=(0, 0),
                                                      dilation=(1, 1), groups=1),
         lambda x, w: TF.conv2d(x, w), [normal(1, 2, 4, 4), normal(3, 2, 2, 2)]),
    Case("max_pool", lambda x: pooling.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2),
                                                       padding=(0, 0), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, 2), [normal(2, 3, 6, 4)]),
    Case("max_pool_overlapping", lambda x: pooling.MaxPool2d.apply(
        x, kernel=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1)),
         lambda x: TF.max_pool2d(x, 3, 2, 1), [normal(2, 2, 7, 5)]),
    Case("avg_pool", lambda x: pooling.AvgPool2d.apply(x, kernel=(2, 2), stride=(2, 2),
                                                       padding=(0, 0)),
         lambda x: TF.avg_pool2d(x, 2), [normal(2, 3, 6, 4)]),
    Case("avg_pool_padded", lambda x: pooling.AvgPool2d.apply(x, kernel=(3, 2), stride=(1, 2),
                                                              padding=(1, 1)),
         lambda x: TF.avg_pool2d(x, (3, 2), (1, 2), (1, 1)), [normal(2, 2, 5, 5)]),
    Case("adaptive_avg_pool", lambda x: pooling.AdaptiveAvgPool2d.apply(x, output_size=(3, 2)),
         lambda x: TF.adaptive_avg_pool2d(x, (3, 2)), [normal(2, 2, 7, 5)]),
    Case("linear", ops.linear, TF.linear, [normal(6, 4), normal(3, 4), normal(3)]),
    Case("linear_column_major", ops.linear, TF.linear,
         [normal(6, 4), column_major(3, 4), normal(3)]),
    Case("linear_no_bias", ops.linear, TF.linear, [normal(6, 4), normal(3, 4)]),
    Case("linear_3d", ops.linear, TF.linear, [normal(2, 6, 4), normal(3, 4), normal(3)]),
    Case("linear_1d", ops.linear, TF.linear, [normal(4), normal(3, 4), normal(3)]),
    Case("cross_entropy_labels", F.cross_entropy, TF.cross_entropy, [normal(6, 5)], [LABELS]),
    # logits stored column-major (the flattened output of a 1×1 pooling): the labels' -1
    # was subtracted from a copy, and the gradient was softmax(z) alone
    Case("cross_entropy_labels_column_major", F.cross_entropy, TF.cross_entropy,
         [column_major(6, 5)], [LABELS]),
    Case("cross_entropy_weighted_column_major",
         lambda a, t: F.cross_entropy(a, t, weight=np.array([1.0, 2.0, 0.5, 1.0, 3.0])),
         lambda a, t: TF.cross_entropy(a, t, weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0],
                                                                 dtype=a.dtype)),
         [column_major(6, 5)], [LABELS]),
    Case("cross_entropy_probs", F.cross_entropy, TF.cross_entropy, [normal(6, 5)], [PROBS]),
    Case("cross_entropy_sum", lambda a, t: F.cross_entropy(a, t, "sum"),
         lambda a, t: TF.cross_entropy(a, t, reduction="sum"), [normal(6, 5)], [LABELS]),
    Case("cross_entropy_none", lambda a, t: F.cross_entropy(a, t, "none"),
         lambda a, t: TF.cross_entropy(a, t, reduction="none"), [normal(6, 5)], [LABELS]),
    Case("cross_entropy_smoothing", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1),
         lambda a, t: TF.cross_entropy(a, t, label_smoothing=0.1), [normal(6, 5)], [LABELS]),
    Case("mse", F.mse_loss, TF.mse_loss, [normal(6, 3)], [normal(6, 3)]),
    Case("mse_none", lambda a, t: F.mse_loss(a, t, "none"),
         lambda a, t: TF.mse_loss(a, t, reduction="none"), [normal(6, 3)], [normal(6, 3)]),
    Case("bce", F.binary_cross_entropy, TF.binary_cross_entropy,
         [positive(6, 3, low=0.05, high=0.95)], [BINARY]),
    Case("bce_sum", lambda a, t: F.binary_cross_entropy(a, t, "sum"),
         lambda a, t: TF.binary_cross_entropy(a, t, reduction="sum"),
         [positive(6, 3, low=0.05, high=0.95)], [BINARY]),
    Case("bce_with_logits", F.binary_cross_entropy_with_logits,
         TF.binary_cross_entropy_with_logits, [normal(6, 3)], [BINARY]),
    Case("bce_with_logits_none", lambda a, t: F.binary_cross_entropy_with_logits(a, t, "none"),
         lambda a, t: TF.binary_cross_entropy_with_logits(a, t, reduction="none"),
         [normal(6, 3)], [BINARY]),
    Case("nll", F.nll_loss, TF.nll_loss, [normal(6, 5)], [LABELS]),
    Case("nll_sum", lambda a, t: F.nll_loss(a, t, reduction="sum"),
         lambda a, t: TF.nll_loss(a, t, reduction="sum"), [normal(6, 5)], [LABELS]),
    Case("nll_none", lambda a, t: F.nll_loss(a, t, reduction="none"),
         lambda a, t: TF.nll_loss(a, t, reduction="none"), [normal(6, 5)], [LABELS]),
    Case("nll_weight", F.nll_loss, TF.nll_loss, [normal(6, 5)], [LABELS, CLASS_WEIGHTS]),
    Case("nll_weight_none", lambda a, t, w: F.nll_loss(a, t, w, reduction="none"),
         lambda a, t, w: TF.nll_loss(a, t, w, reduction="none"), [normal(6, 5)],
         [LABELS, CLASS_WEIGHTS]),
    Case("nll_ignore_index", F.nll_loss, TF.nll_loss, [normal(6, 5)], [IGNORED, CLASS_WEIGHTS]),
    Case("nll_ignore_class", lambda a, t: F.nll_loss(a, t, ignore_index=2),
         lambda a, t: TF.nll_loss(a, t, ignore_index=2), [normal(6, 5)], [LABELS]),
    Case("nll_of_log_softmax", lambda a, t: F.nll_loss(F.log_softmax(a, 1), t),
         lambda a, t: TF.nll_loss(TF.log_softmax(a, 1), t), [normal(6, 5)], [LABELS]),
    Case("l1", F.l1_loss, TF.l1_loss, [away(6, 3)], [ZEROS_6_3]),
    Case("l1_sum", lambda a, t: F.l1_loss(a, t, "sum"),
         lambda a, t: TF.l1_loss(a, t, reduction="sum"), [away(6, 3)], [ZEROS_6_3]),
    Case("l1_none", lambda a, t: F.l1_loss(a, t, "none"),
         lambda a, t: TF.l1_loss(a, t, reduction="none"), [away(6, 3)], [ZEROS_6_3]),
    Case("l1_weight", lambda a, t, w: F.l1_loss(a, t, weight=w),
         lambda a, t, w: TF.l1_loss(a, t, weight=w), [away(6, 3)], [ZEROS_6_3, WEIGHTS_6_3]),
    Case("l1_weight_sum", lambda a, t, w: F.l1_loss(a, t, "sum", weight=w),
         lambda a, t, w: TF.l1_loss(a, t, reduction="sum", weight=w), [away(6, 3)],
         [ZEROS_6_3, WEIGHTS_6_3]),
    Case("huber", F.huber_loss, TF.huber_loss, [normal(6, 3)], [normal(6, 3)]),
    Case("huber_weight", lambda a, t, w: F.huber_loss(a, t, delta=0.5, weight=w),
         lambda a, t, w: TF.huber_loss(a, t, delta=0.5, weight=w), [normal(6, 3)],
         [normal(6, 3), WEIGHTS_6_3]),
    Case("huber_weight_none", lambda a, t, w: F.huber_loss(a, t, "none", weight=w),
         lambda a, t, w: TF.huber_loss(a, t, reduction="none", weight=w), [normal(6, 3)],
         [normal(6, 3), WEIGHTS_6_3]),
    Case("huber_switch", F.huber_loss, TF.huber_loss, [SWITCH], [ZEROS]),
    Case("huber_delta_switch_none", lambda a, t: F.huber_loss(a, t, "none", delta=0.5),
         lambda a, t: TF.huber_loss(a, t, reduction="none", delta=0.5), [SWITCH], [ZEROS]),
    Case("huber_delta_sum", lambda a, t: F.huber_loss(a, t, "sum", delta=2.5),
         lambda a, t: TF.huber_loss(a, t, reduction="sum", delta=2.5), [normal(6, 3)],
         [lambda rng: 3 * rng.standard_normal((6, 3))]),
    Case("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss, [normal(6, 3)], [normal(6, 3)]),
    Case("smooth_l1_switch", F.smooth_l1_loss, TF.smooth_l1_loss, [SWITCH], [ZEROS]),
    Case("smooth_l1_beta_switch_none", lambda a, t: F.smooth_l1_loss(a, t, "none", beta=0.5),
         lambda a, t: TF.smooth_l1_loss(a, t, reduction="none", beta=0.5), [SWITCH], [ZEROS]),
    Case("smooth_l1_beta_sum", lambda a, t: F.smooth_l1_loss(a, t, "sum", beta=2.5),
         lambda a, t: TF.smooth_l1_loss(a, t, reduction="sum", beta=2.5), [normal(6, 3)],
         [lambda rng: 3 * rng.standard_normal((6, 3))]),
    Case("smooth_l1_beta_0", lambda a, t: F.smooth_l1_loss(a, t, beta=0.0),
         lambda a, t: TF.smooth_l1_loss(a, t, beta=0.0), [away(6, 3)], [ZEROS_6_3]),
    Case("F.conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                              groups=2),
         lambda x, w, b: TF.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
         [normal(2, 4, 7, 6), normal(6, 2, 3, 2), normal(6)]),
    Case("F.conv2d_no_bias", lambda x, w: F.conv2d(x, w), lambda x, w: TF.conv2d(x, w),
         [normal(1, 2, 4, 4), normal(3, 2, 2, 2)]),
    Case("F.max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1),
         lambda x: TF.max_pool2d(x, 3, 2, 1), [normal(2, 2, 7, 5)]),
    Case("F.max_pool2d_dilation", lambda x: F.max_pool2d(x, (2, 3), dilation=(2, 1)),
         lambda x: TF.max_pool2d(x, (2, 3), dilation=(2, 1)), [normal(2, 2, 8, 9)]),
    Case("F.avg_pool2d", lambda x: F.avg_pool2d(x, (3, 2), (1, 2), (1, 1)),
         lambda x: TF.avg_pool2d(x, (3, 2), (1, 2), (1, 1)), [normal(2, 2, 5, 5)]),
]


def class_weighted(name, rp_fn, torch_fn, inputs, targets, **weights):
    """A Case of a loss ``fn(input, target, *weights)`` whose weights (named by keyword)
    are drawn constants, as PyTorch's keywords on both sides."""
    names = list(weights)

    def ours(a, t, *values):
        return rp_fn(a, t, **dict(zip(names, values, strict=True)))

    def theirs(a, t, *values):
        return torch_fn(a, t, **dict(zip(names, values, strict=True)))

    return Case(name, ours, theirs, inputs, [targets, *weights.values()])


POS_WEIGHTS = lambda rng: rng.uniform(0.2, 3.0, 3)  # noqa: E731
COLUMN_WEIGHTS = lambda rng: rng.uniform(0.2, 2.0, 3)  # noqa: E731
ROW_WEIGHTS = lambda rng: rng.uniform(0.2, 2.0, (6, 1))  # noqa: E731
#: CrossEntropyLoss: weight × reduction × label_smoothing × ignore_index × target kind
for _target, _targets, _ignore in [("labels", LABELS, -100), ("ignored", IGNORED, -100),
                                   ("ignore_class", LABELS, 2), ("probs", PROBS, -100)]:
    for _reduction in REDUCTIONS:
        for _smoothing in (0.0, 0.2):
            for _weight in ({}, {"weight": CLASS_WEIGHTS}):
                CASES.append(class_weighted(
                    f"cross_entropy_{_target}_{_reduction}_smoothing{_smoothing}"
                    + "_weight" * bool(_weight),
                    lambda a, t, r=_reduction, e=_smoothing, i=_ignore, **w: F.cross_entropy(
                        a, t, r, e, ignore_index=i, **w),
                    lambda a, t, r=_reduction, e=_smoothing, i=_ignore, **w: TF.cross_entropy(
                        a, t, reduction=r, label_smoothing=e, ignore_index=i, **w),
                    [normal(6, 5)], _targets, **_weight))
#: BCEWithLogitsLoss: weight × pos_weight × reduction; BCELoss: weight × reduction
for _reduction in REDUCTIONS:
    for _wname, _weight in [("", {}), ("_weight_columns", {"weight": COLUMN_WEIGHTS}),
                            ("_weight_elements", {"weight": WEIGHTS_6_3})]:
        for _pos in ({}, {"pos_weight": POS_WEIGHTS}):
            CASES.append(class_weighted(
                f"bce_with_logits_{_reduction}{_wname}" + "_pos_weight" * bool(_pos),
                lambda a, t, r=_reduction, **w: F.binary_cross_entropy_with_logits(a, t, r, **w),
                lambda a, t, r=_reduction, **w: TF.binary_cross_entropy_with_logits(
                    a, t, reduction=r, **w),
                [normal(6, 3)], BINARY, **_weight, **_pos))
    for _wname, _weight in [("_weight_columns", {"weight": COLUMN_WEIGHTS}),
                            ("_weight_rows", {"weight": ROW_WEIGHTS})]:
        CASES.append(class_weighted(
            f"bce_{_reduction}{_wname}",
            lambda a, t, r=_reduction, **w: F.binary_cross_entropy(a, t, r, **w),
            lambda a, t, r=_reduction, **w: TF.binary_cross_entropy(a, t, reduction=r, **w),
            [positive(6, 3, low=0.05, high=0.95)], BINARY, **_weight))
IDS = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_finite_differences(case: Case):
    assert finite_differences_agree(case)


@pytest.mark.parametrize(("dtype", "rtol", "atol"), PRECISIONS, ids=["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case: Case, dtype, rtol, atol):
    matches_torch(case, dtype, rtol, atol)


@pytest.mark.parametrize("fn", [ops.step, ops.sign])
def test_binary_units_have_zero_gradient(fn):
    x = rp.Tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = fn(x)
    y.sum().backward()
    reference = torch.heaviside(torch.tensor(x.data), torch.tensor(1.0)) if fn is ops.step \
        else torch.sign(torch.tensor(x.data))
    np.testing.assert_array_equal(y.data, reference.numpy())
    np.testing.assert_array_equal(x.grad, np.zeros(5, dtype=np.float32))
