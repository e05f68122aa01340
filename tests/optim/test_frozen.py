"""Frozen parameters (``requires_grad = False``) given to an optimizer, as PyTorch takes
them (``optim.SGD(model.parameters(), ...)`` after freezing a layer): the optimizer skips a
parameter whose gradient is None, so a frozen one neither moves nor gets state, and it
trains again once unfrozen."""

import copy

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.optim import flat
from retroprop.optim.full_batch import FullBatchOptimizer
from retroprop.optim.rprop import VARIANTS
from tests.optim.conftest import assert_steps_agree

#: every optimizer class of rp.optim, with settings that make each step do something
SETTINGS = [
    (rp.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    (rp.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (rp.optim.AdaptiveGains, dict(lr=0.05, momentum=0.5)),
    *[(rp.optim.Rprop, dict(lr=0.01, variant=variant)) for variant in VARIANTS],
    (rp.optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    (rp.optim.Adagrad, dict(lr=0.1, weight_decay=0.01)),
    (rp.optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (rp.optim.AdamW, dict(lr=0.01, weight_decay=0.5)),
    (rp.optim.VSGD, dict(warmup=1)),
    (rp.optim.SGLD, dict(lr=1e-3, num_examples=30, weight_decay=0.1, seed=3)),
    (rp.optim.ConjugateGradient, dict(max_iter=3)),
    (rp.optim.LBFGS, dict(max_iter=3)),
    (rp.optim.LBFGS, dict(max_iter=3, line_search=None)),
    (rp.optim.BFGS, dict(max_iter=3)),
    (rp.optim.Newton, dict(max_iter=2)),
    (rp.optim.Newton, dict(max_iter=2, hessian="exact")),
    (rp.optim.LevenbergMarquardt, dict(max_iter=2)),
]


def test_the_matrix_covers_every_optimizer():
    assert {cls for cls, _ in SETTINGS} == set(rp.optim.OPTIMIZERS.values()) | {rp.optim.AdamW}


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((30, 4)), rng.standard_normal((30, 3))


def _model():
    rp.manual_seed(0)
    return rp.nn.Sequential(rp.nn.Linear(4, 5, dtype=np.float64), rp.nn.Tanh(),
                            rp.nn.Linear(5, 3, dtype=np.float64))


def _step(optimizer, model):
    """One step of ``optimizer`` on the squared error of ``model``, as its kind asks."""
    X, Y = _data()
    if optimizer.step_kind == "residuals":
        return optimizer.step(lambda: model(X) - Y)

    def closure():
        optimizer.zero_grad()
        loss = rp.nn.MSELoss()(model(X), Y)
        loss.backward()
        return loss

    return optimizer.step(closure)


@pytest.mark.parametrize(("cls", "settings"), SETTINGS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(SETTINGS)])
def test_a_frozen_parameter_is_skipped_as_if_it_were_not_given(cls, settings):
    """Built on every parameter with the first layer's weight frozen, each optimizer takes
    the steps of the same optimizer built on the trainable parameters only; the frozen
    weight does not move, and the gradient methods keep no state for it. Unfrozen, it
    trains."""
    model = _model()
    model[0].weight.requires_grad = False
    alone = copy.deepcopy(model)
    optimizer = cls(model.parameters(), **settings)
    reference = cls([p for p in alone.parameters() if p.requires_grad], **settings)
    frozen = model[0].weight.data.copy()
    paths = []
    for built, net in ((optimizer, model), (reference, alone)):
        rp.manual_seed(1)  # the same random directions (vSGD) and noise (SGLD) for both
        path = []
        for _ in range(3):
            _step(built, net)
            path.append([p.data.copy() for p in net.parameters()])
        paths.append(path)
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    # Newton's and Levenberg–Marquardt's finite differences (step √ε or ∛ε) magnify the
    # rounding of dot products over the longer vector, which holds the frozen zeros
    rtol = 1e-7 if cls in (rp.optim.Newton, rp.optim.LevenbergMarquardt) else 1e-12
    for index, (mine, expected) in enumerate(zip(*paths, strict=True)):
        for weights, reference_weights in zip(mine, expected, strict=True):
            np.testing.assert_allclose(weights, reference_weights, rtol=rtol, atol=rtol / 100,
                                       err_msg=f"step {index + 1}")
    if not issubclass(cls, FullBatchOptimizer | rp.optim.LevenbergMarquardt):
        assert model[0].weight not in optimizer.state
    model[0].weight.requires_grad = True
    for _ in range(2):  # vSGD's first step of a weight only measures (its slow start)
        _step(optimizer, model)
    assert not np.array_equal(model[0].weight.data, frozen)


TORCH_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01)),
    ("Rprop", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5)),
]
#: L-BFGS (ours, torch's settings): with and without the strong Wolfe line search
LBFGS_CASES = [(dict(lr=0.2, max_iter=3, line_search=None), dict(lr=0.2, max_iter=3)),
               (dict(max_iter=4, history_size=3),
                dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe"))]


@pytest.mark.parametrize(("name", "ours", "theirs"),
                         [(n, s, s) for n, s in TORCH_CASES]
                         + [("LBFGS", *case) for case in LBFGS_CASES],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_CASES)]
                         + [f"LBFGS-{i}" for i in range(len(LBFGS_CASES))])
def test_a_frozen_layer_steps_as_in_torch(problem, name, ours, theirs):
    """The first layer frozen in both models, every parameter given to both optimizers:
    ten steps leave the same weights as torch.optim's."""
    model, twin, _, _ = problem
    for layer in (model[0], twin[0]):
        layer.weight.requires_grad = False
        layer.bias.requires_grad = False
    optimizer = getattr(rp.optim, name)(model.parameters(), **ours)
    reference = getattr(torch.optim, name)(twin.parameters(), **theirs)
    frozen = model[0].weight.data.copy()
    assert_steps_agree(problem, optimizer, reference, name, steps=10)
    np.testing.assert_array_equal(model[0].weight.data, frozen)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_a_stale_gradient_moves_a_frozen_parameter_as_in_torch(problem, name):
    """What decides is the gradient, not ``requires_grad``, as in torch.optim: a frozen
    parameter that still holds a gradient from before it was frozen takes a step on it
    (``zero_grad`` clears it)."""
    model, twin, _, _ = problem
    optimizer = getattr(rp.optim, name)(model.parameters(), lr=0.1)
    reference = getattr(torch.optim, name)(twin.parameters(), lr=0.1)
    model[0].weight.requires_grad = False
    twin[0].weight.requires_grad = False
    model[0].weight.grad = np.ones((8, 5))
    twin[0].weight.grad = torch.ones((8, 5), dtype=torch.float64)
    before = model[0].weight.data.copy()
    optimizer.step()
    reference.step()
    assert not np.array_equal(model[0].weight.data, before)
    np.testing.assert_allclose(model[0].weight.data, twin[0].weight.detach().numpy(),
                               rtol=1e-12)


def test_the_finite_difference_scale_leaves_out_a_frozen_parameter():
    """Newton's and Levenberg–Marquardt's difference step is scaled by ‖w‖ over the
    trained parameters: the one of the same model without the frozen parameter."""
    model = _model()
    model[0].weight.requires_grad = False
    X, Y = _data()
    rp.nn.MSELoss()(model(X), Y).backward()
    params = list(model.parameters())
    trained = [p for p in params if p.requires_grad]
    assert flat.trained_norm(params, flat.gather(params)) == np.linalg.norm(flat.gather(trained))


def test_a_step_with_every_parameter_frozen_says_so():
    model = _model()
    optimizer = rp.optim.SGD(model.parameters(), lr=0.1)
    for param in model.parameters():
        param.requires_grad = False
    with pytest.warns(RuntimeWarning, match=r"all of them are frozen \(requires_grad=False\)"):
        optimizer.step()
