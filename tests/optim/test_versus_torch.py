"""Step-by-step agreement with torch.optim: float64, 20 steps, same weights and data; the
same defaults (Berzal's α = 0.9 for rmsprop is an argument, not the default)."""

import inspect

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.optim.conftest import assert_steps_agree, rp_closure, torch_closure

CASES = [
    ("SGD", dict(lr=0.1), dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01),
     dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9), dict(lr=0.01, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.01),
     dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.01)),
    ("Rprop", dict(lr=0.01), dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2)),
     dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2))),
    ("Adagrad", dict(lr=0.1), dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
     dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("Adam", dict(lr=0.01), dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
     dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01), dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5), dict(lr=0.01, weight_decay=0.5)),
    ("LBFGS", dict(lr=0.2, max_iter=3, line_search=None), dict(lr=0.2, max_iter=3)),
    ("LBFGS", dict(max_iter=4, history_size=3),
     dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe")),
]


@pytest.mark.parametrize("name", sorted({case[0] for case in CASES}))
def test_defaults_are_pytorchs(name):
    ours = inspect.signature(getattr(rp.optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    shared = [key for key in ours if key in theirs and key != "params"]
    assert shared and {k: ours[k].default for k in shared} == {
        k: theirs[k].default for k in shared}


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_twenty_steps_agree(problem, name, ours, theirs):
    model, twin, _, _ = problem
    optimizer = getattr(rp.optim, name)(model.parameters(), **ours)
    reference = getattr(torch.optim, name)(twin.parameters(), **theirs)
    assert_steps_agree(problem, optimizer, reference, name)


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("owner", ["optimizer", "model"])
def test_zero_grad_set_to_none_as_torch(problem, set_to_none, owner):
    """``zero_grad(set_to_none=False)`` keeps zero gradients, which Adam still steps on
    (its moments decay, its step count grows), as in PyTorch; None skips the parameter."""
    model, twin, X, y = problem
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    reference = torch.optim.Adam(twin.parameters(), lr=0.01)
    step, reference_step = rp_closure(model, optimizer, X, y), torch_closure(twin, reference, X, y)
    optimizer.step(step)
    reference.step(reference_step)
    (optimizer if owner == "optimizer" else model).zero_grad(set_to_none=set_to_none)
    (reference if owner == "optimizer" else twin).zero_grad(set_to_none=set_to_none)
    for mine, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        assert (mine.grad is None) == (theirs.grad is None)
    if set_to_none:
        with pytest.warns(RuntimeWarning, match="none of its parameters has a gradient"):
            optimizer.step()
    else:
        optimizer.step()
    reference.step()
    for mine, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
