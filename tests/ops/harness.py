"""The op registry's harness: a ``Case`` is a retroprop function, its PyTorch twin and
generators of its inputs; ``matches_torch`` compares values and gradients, forward and
backward, in float64 and float32 on seeded random inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import retroprop as rp

#: (dtype, rtol, atol): float64 against PyTorch to 1e-10, float32 to 1e-5.
PRECISIONS = [(np.float64, 1e-10, 1e-12), (np.float32, 1e-5, 1e-6)]


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def away(*shape, low=0.1):
    """Normal values with |x| >= low (away from kinks at 0)."""
    def draw(rng):
        x = rng.standard_normal(shape)
        return np.where(np.abs(x) < low, np.sign(x + 1e-12) * (low + rng.random(shape)), x)
    return draw


def column_major(*shape):
    """Normal values stored in Fortran order (as nn.Linear stores its weight)."""
    return lambda rng: np.asfortranarray(rng.standard_normal(shape))


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def fixed(values):
    """Always the same values (boundary points: ties, zeros, bounds)."""
    return lambda rng: np.array(values, dtype=float)


@dataclass
class Case:
    name: str
    rp_fn: Callable
    torch_fn: Callable
    inputs: list[Callable]
    constants: list[Callable] = field(default_factory=list)  # no gradient, passed after inputs


def draw(case: Case, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [f(rng) for f in case.inputs], [f(rng) for f in case.constants]


def as_torch_constant(value: np.ndarray, dtype: torch.dtype):
    tensor = torch.from_numpy(np.array(value, order="C"))  # 0-d stays 0-d
    return tensor if tensor.dtype in (torch.int64, torch.bool) else tensor.to(dtype)


def finite_differences_agree(case: Case) -> bool:
    arrays, constants = draw(case)
    tensors = [rp.Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    return rp.gradcheck(lambda *t: case.rp_fn(*t, *constants), tensors,
                        eps=1e-6, atol=1e-6, rtol=1e-5)


def matches_torch(case: Case, dtype, rtol: float, atol: float) -> None:
    """Values, output dtype, and every input's gradient (an ndarray of the input's dtype)
    equal PyTorch's, for three seeds."""
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    for seed in range(3):
        arrays, constants = draw(case, seed)
        ours = [rp.Tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
        theirs = [torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
        out = case.rp_fn(*ours, *constants)
        expected = case.torch_fn(*theirs, *(as_torch_constant(c, torch_dtype) for c in constants))
        assert out.dtype == dtype, "no silent upcast"
        assert type(out.data) is np.ndarray and out.shape == tuple(expected.shape)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
        upstream = np.random.default_rng(seed + 100).standard_normal(out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream, dtype=torch_dtype))
        for mine, reference in zip(ours, theirs, strict=True):
            assert type(mine.grad) is np.ndarray and mine.grad.dtype == dtype
            np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=rtol, atol=atol)
