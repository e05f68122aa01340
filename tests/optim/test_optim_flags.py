"""PyTorch's ``amsgrad`` (Adam, AdamW) and ``maximize`` (SGD, Adam, AdamW, RMSprop, Adagrad,
Rprop) flags: step by step equal to torch.optim over the optimizers' other options in
float32 and float64; maximizing E is minimizing -E bit for bit; per-group flags; schedules;
the state saved, loaded, written to a file and resumed by the Trainer; bad values."""

import inspect
import re

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.optim.conftest import torch_closure
from tests.train.test_resume import interrupted_then_resumed

STEPS = 8
FLAGGED = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Rprop"]
# The other options of each optimizer that the flags must combine with.
OPTIONS = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9),
            dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            dict(lr=0.1, momentum=0.5, dampening=0.3)],
    "Adam": [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)],
    "AdamW": [dict(lr=0.01), dict(lr=0.01, weight_decay=0.5)],
    "RMSprop": [dict(lr=0.01, alpha=0.9), dict(lr=0.01, centered=True),
                dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01)],
    "Adagrad": [dict(lr=0.1),
                dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)],
    "Rprop": [dict(lr=0.01), dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2))],
}
FLAGS = {name: [dict(maximize=m, amsgrad=a) for m in (False, True) for a in (False, True)]
         if name in ("Adam", "AdamW") else [dict(maximize=False), dict(maximize=True)]
         for name in FLAGGED}
CASES = [(name, options, flags, dtype) for name in FLAGGED for options in OPTIONS[name]
         for flags in FLAGS[name] for dtype in ("float32", "float64")]
# float32 rounds differently in NumPy and torch; over a few steps the weights still agree
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-9, atol=1e-11)}


def make_problem(dtype="float64", seed=0):
    """A small tanh MLP, its PyTorch twin with the same weights, and a batch of data."""
    rp.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 5)).astype(dtype)
    y = rng.integers(0, 3, 32)
    model = rp.nn.Sequential(rp.nn.Linear(5, 8, dtype=dtype), rp.nn.Tanh(),
                             rp.nn.Linear(8, 3, dtype=dtype))
    twin = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3)).to(getattr(torch, dtype))
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), twin.parameters(), strict=True):
            theirs.copy_(torch.from_numpy(np.array(ours.data)))
    return model, twin, X, y


def loss_closure(model, optimizer, X, y, sign=1.0):
    """A closure that evaluates sign · E (cross-entropy) and its gradient."""
    def closure():
        optimizer.zero_grad()
        loss = rp.nn.CrossEntropyLoss()(model(X), y) * sign
        loss.backward()
        return loss
    return closure


def assert_same_weights(model, twin, what, **tolerance):
    for mine, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), err_msg=what,
                                   **(tolerance or TOLERANCE["float64"]))


def run_both(model, twin, X, y, optimizer, reference, steps=STEPS, schedules=(), tolerance=None):
    """``steps`` steps of ``optimizer`` and of the torch ``reference`` (and of their
    schedules, in pairs), comparing the weights after every step."""
    step, reference_step = loss_closure(model, optimizer, X, y), torch_closure(twin, reference,
                                                                               X, y)
    for index in range(steps):
        optimizer.step(step)
        reference.step(reference_step)
        for ours, theirs in schedules:
            ours.step()
            theirs.step()
        assert_same_weights(model, twin, f"step {index + 1}", **(tolerance or {}))


# ---------------------------------------------------------------------- versus torch.optim
@pytest.mark.parametrize(("name", "options", "flags", "dtype"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_every_step_agrees_with_torch(name, options, flags, dtype):
    model, twin, X, y = make_problem(dtype)
    optimizer = getattr(rp.optim, name)(model.parameters(), **options, **flags)
    reference = getattr(torch.optim, name)(twin.parameters(), **options, **flags)
    run_both(model, twin, X, y, optimizer, reference, tolerance=TOLERANCE[dtype])
    if flags.get("amsgrad"):
        for param, theirs in zip(model.parameters(), twin.parameters(), strict=True):
            np.testing.assert_allclose(optimizer.state[param]["max_exp_avg_sq"],
                                       reference.state[theirs]["max_exp_avg_sq"].numpy(),
                                       **TOLERANCE[dtype])


@pytest.mark.parametrize("name", FLAGGED)
def test_flags_default_and_bind_as_in_torch(name):
    """Default False; ``maximize`` keyword-only where PyTorch makes it so (its RMSprop takes
    it by position after ``capturable`` and ``foreach``, which retroprop has not)."""
    ours = inspect.signature(getattr(rp.optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for flag in ("amsgrad", "maximize"):
        assert (flag in ours) == (flag in theirs)
        if flag in ours:
            assert ours[flag].default is theirs[flag].default is False
    if theirs["maximize"].kind is inspect.Parameter.KEYWORD_ONLY:
        assert ours["maximize"].kind is inspect.Parameter.KEYWORD_ONLY
    if "amsgrad" in ours:
        assert list(ours).index("amsgrad") == list(theirs).index("amsgrad")


def test_lbfgs_has_no_maximize_as_in_torch():
    model, twin, *_ = make_problem()
    with pytest.raises(TypeError, match="maximize"):
        torch.optim.LBFGS(twin.parameters(), maximize=True)
    with pytest.raises(TypeError, match="maximize"):
        rp.optim.LBFGS(model.parameters(), maximize=True)


# ---------------------------------------------------------------------- maximize is min of -E
MAXIMIZING = [(name, options) for name in FLAGGED for options in OPTIONS[name]] + [
    ("Rprop", dict(lr=0.01, variant=variant)) for variant in ("rprop+", "rprop-", "irprop+")]


@pytest.mark.parametrize(("name", "options"), MAXIMIZING,
                         ids=[f"{n}-{o}" for n, o in MAXIMIZING])
def test_maximizing_e_takes_the_steps_of_minimizing_minus_e_bit_for_bit(name, options):
    """g = -∂E/∂w (+ λ w): the steps of minimizing -E exactly, Rprop's variants included
    (irprop+ undoes a change where E fell), and so the rate of the L1 step."""
    ascending, _, X, y = make_problem()
    descending, *_ = make_problem()
    climber = getattr(rp.optim, name)(ascending.parameters(), **options, maximize=True)
    walker = getattr(rp.optim, name)(descending.parameters(), **options)
    climb = loss_closure(ascending, climber, X, y)
    walk = loss_closure(descending, walker, X, y, sign=-1.0)
    first = rp.nn.CrossEntropyLoss()(ascending(X), y).item()
    for index in range(STEPS):
        climber.step(climb)
        walker.step(walk)
        for up, down in zip(ascending.parameters(), descending.parameters(), strict=True):
            np.testing.assert_array_equal(up.data, down.data, err_msg=f"step {index + 1}")
            np.testing.assert_array_equal(climber.prox_rate(up), walker.prox_rate(down))
    assert rp.nn.CrossEntropyLoss()(ascending(X), y).item() > first, "E went up"


# ---------------------------------------------------------------------- groups, schedules
@pytest.mark.parametrize("name", FLAGGED)
def test_flags_per_parameter_group_as_torch(name):
    model, twin, X, y = make_problem()
    extra = dict(amsgrad=True) if name in ("Adam", "AdamW") else {}

    def groups(net):
        first, last = list(net.parameters())[:2], list(net.parameters())[2:]
        return [{"params": first, **extra}, {"params": last, "maximize": True, "lr": 0.02}]

    optimizer = getattr(rp.optim, name)(groups(model), lr=0.01)
    reference = getattr(torch.optim, name)(groups(twin), lr=0.01)
    assert [g["maximize"] for g in optimizer.param_groups] == [False, True]
    run_both(model, twin, X, y, optimizer, reference)


@pytest.mark.parametrize(("name", "flags"), [("Adam", dict(amsgrad=True)),
                                             ("AdamW", dict(amsgrad=True, maximize=True)),
                                             ("SGD", dict(maximize=True, momentum=0.9)),
                                             ("RMSprop", dict(maximize=True))])
def test_flags_under_a_learning_rate_schedule_as_torch(name, flags):
    model, twin, X, y = make_problem()
    optimizer = getattr(rp.optim, name)(model.parameters(), lr=0.05, **flags)
    reference = getattr(torch.optim, name)(twin.parameters(), lr=0.05, **flags)
    schedules = [(rp.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5),
                  torch.optim.lr_scheduler.StepLR(reference, step_size=2, gamma=0.5)),
                 (rp.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5),
                  torch.optim.lr_scheduler.CosineAnnealingLR(reference, T_max=5))]
    run_both(model, twin, X, y, optimizer, reference, steps=10, schedules=schedules)


def test_amsgrad_l1_rate_uses_the_running_maximum():
    """The per-weight rate of the L1 step is η / (√(v̂ / (1 - β2ᵗ)) + ε), v̂ torch's maximum."""
    model, twin, X, y = make_problem()
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    reference = torch.optim.Adam(twin.parameters(), lr=0.01, amsgrad=True)
    run_both(model, twin, X, y, optimizer, reference)
    param, theirs = next(iter(model.parameters())), next(iter(twin.parameters()))
    maximum = reference.state[theirs]["max_exp_avg_sq"].numpy()
    assert not np.array_equal(maximum, reference.state[theirs]["exp_avg_sq"].numpy())
    expected = 0.01 / (np.sqrt(maximum / (1 - 0.999 ** STEPS)) + 1e-8)
    np.testing.assert_allclose(optimizer.prox_rate(param), expected, rtol=1e-9)


def test_amsgrad_maximum_keeps_the_layout_of_its_parameter():
    """v̂ has the memory layout of v and of the weights (a Linear weight is column-major
    here): a row-major copy makes every later pass over it mix layouts, twice as slow."""
    model = rp.models.mlp([64, 32, 10])
    optimizer = rp.optim.Adam(model.parameters(), amsgrad=True)
    for param in model.parameters():
        param.grad = np.ones_like(param.data)
    optimizer.step()
    layouts = {param.data.flags.f_contiguous and not param.data.flags.c_contiguous
               for param in model.parameters()}
    assert layouts == {True, False}, "column-major weights and 1-D biases"
    for param in model.parameters():
        state = optimizer.state[param]
        assert state["max_exp_avg_sq"].strides == state["exp_avg_sq"].strides == \
            param.data.strides


# ---------------------------------------------------------------------- saved state
def stepped(flags, steps, X, y, state=None, name="Adam"):
    """A fresh model (seed 0) and optimizer with ``flags``, ``state`` loaded, after
    ``steps`` steps."""
    model, *_ = make_problem()
    optimizer = getattr(rp.optim, name)(model.parameters(), lr=0.01, **flags)
    if state is not None:
        optimizer.load_state_dict(state)
    closure = loss_closure(model, optimizer, X, y)
    for _ in range(steps):
        optimizer.step(closure)
    return model, optimizer


@pytest.mark.parametrize(("name", "flags"), [("Adam", dict(amsgrad=True)),
                                             ("AdamW", dict(amsgrad=True, maximize=True)),
                                             ("SGD", dict(momentum=0.9, maximize=True)),
                                             ("Rprop", dict(maximize=True))])
@pytest.mark.parametrize("through_file", [False, True])
def test_saved_state_resumes_bit_for_bit(tmp_path, name, flags, through_file):
    """state_dict / load_state_dict (and rp.save / rp.load of it): the maximum v̂ and the
    flags come back; the resumed optimizer continues as the uninterrupted one."""
    _, _, X, y = make_problem()
    whole, whole_optimizer = stepped(flags, 6, X, y, name=name)
    half, half_optimizer = stepped(flags, 3, X, y, name=name)
    saved = {"model": half.state_dict(), "optimizer": half_optimizer.state_dict()}
    if through_file:
        rp.save(saved, tmp_path / "checkpoint.rpz")
        saved = rp.load(tmp_path / "checkpoint.rpz")
    if "amsgrad" in flags:
        assert all("max_exp_avg_sq" in s for s in saved["optimizer"]["state"].values())
    # built without the flags: the saved groups bring them back, as in torch
    resumed_model, resumed = stepped({}, 0, X, y, saved["optimizer"], name=name)
    assert {k: resumed.param_groups[0][k] for k in flags} == flags
    resumed_model.load_state_dict(saved["model"])
    closure = loss_closure(resumed_model, resumed, X, y)
    for _ in range(3):
        resumed.step(closure)
    for a, b in zip(whole.parameters(), resumed_model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(whole_optimizer.state.values(), resumed.state.values(), strict=True):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_state_without_the_maximum_starts_it_at_the_saved_v():
    """An Adam state saved with amsgrad=False (or before the flag) loaded into
    amsgrad=True: the next step takes v̂ = max(saved v, new v)."""
    _, _, X, y = make_problem()
    _, plain = stepped({}, 3, X, y)
    state = plain.state_dict()
    for group in state["param_groups"]:  # as written before the flags existed
        del group["amsgrad"], group["maximize"]
    model, optimizer = stepped(dict(amsgrad=True), 0, X, y, state)
    assert optimizer.param_groups[0]["amsgrad"] is True, "the constructed flag stays"
    before = {p: (p.data.copy(), s["exp_avg_sq"].copy()) for p, s in optimizer.state.items()}
    optimizer.step(loss_closure(model, optimizer, X * 0.01, y))  # smaller gradients: v falls
    counted = 0
    for param, (weights, saved_v) in before.items():
        state = optimizer.state[param]
        maximum = np.maximum(saved_v, state["exp_avg_sq"])
        counted += int((maximum > state["exp_avg_sq"]).sum())
        np.testing.assert_array_equal(state["max_exp_avg_sq"], maximum)
        correction1, correction2 = 1 - 0.9 ** 4, 1 - 0.999 ** 4
        expected = weights - (0.01 / correction1) * state["exp_avg"] / (
            np.sqrt(maximum) / np.sqrt(correction2) + 1e-8)
        np.testing.assert_allclose(param.data, expected, rtol=1e-12, atol=1e-15)
    assert counted > 0, "the saved v counts"


def adam_amsgrad_step_lr():
    model = rp.models.mlp([64, 16, 10])
    optimizer = rp.optim.AdamW(model.parameters(), lr=0.01, amsgrad=True)
    schedule = rp.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, [rp.callbacks.LearningRateScheduler(schedule)]


def test_trainer_resume_from_continues_amsgrad_bit_for_bit(tmp_path):
    (X, y), _ = rp.datasets.load_digits()
    X = rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)
    reference, resumed = interrupted_then_resumed(adam_amsgrad_step_lr, (X, y), tmp_path, 8)
    for a, b in zip(reference.optimizer.state.values(), resumed.optimizer.state.values(),
                    strict=True):
        np.testing.assert_array_equal(a["max_exp_avg_sq"], b["max_exp_avg_sq"])


# ---------------------------------------------------------------------- by name, bad values
def test_flags_pass_through_the_registry_and_minimize():
    model, *_ = make_problem()
    optimizer = rp.optim.create("adam", model.parameters(), amsgrad=True, maximize=True)
    assert optimizer.param_groups[0]["amsgrad"] and optimizer.param_groups[0]["maximize"]
    plain = rp.optim.minimize(lambda x: ((x - 4) ** 2).sum(), [7.0], method="adam", lr=0.5,
                              steps=50)
    amsgrad = rp.optim.minimize(lambda x: ((x - 4) ** 2).sum(), [7.0], method="adam", lr=0.5,
                                steps=50, amsgrad=True)
    assert amsgrad.fun < 1 and amsgrad.fun != plain.fun
    with pytest.raises(ValueError, match=r"minimize: maximize=True would climb fn.*-fn\(x\)"):
        rp.optim.minimize(lambda x: (x ** 2).sum(), [1.0], method="sgd", maximize=True)
    with pytest.raises(ValueError, match="SGD: maximize must be True or False, got 'no'"):
        rp.optim.minimize(lambda x: (x ** 2).sum(), [1.0], method="sgd", maximize="no")


@pytest.mark.parametrize("name", FLAGGED)
@pytest.mark.parametrize("value", ["yes", "no", 1, 0, None, np.array([True])])
def test_a_flag_that_is_not_true_or_false_is_refused(name, value):
    """torch.optim tests the value's truth, so maximize="no" would climb: refused here."""
    model, *_ = make_problem()
    flags = ("maximize", "amsgrad") if name in ("Adam", "AdamW") else ("maximize",)
    cls = getattr(rp.optim, name)
    for flag in flags:
        with pytest.raises(ValueError, match=rf"{name}: {flag} must be True or False, got "
                                             rf"{re.escape(repr(value))}"):
            cls(model.parameters(), **{flag: value})
        optimizer = cls(list(model.parameters())[:2])
        with pytest.raises(ValueError, match=rf"{flag} must be True or False"):
            optimizer.add_param_group({"params": list(model.parameters())[2:], flag: value})
        assert cls(model.parameters(), **{flag: np.bool_(True)}).param_groups[0][flag]
