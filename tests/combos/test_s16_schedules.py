"""Combination audit of PyTorch's learning-rate schedules (fifteenth session) with what was
there before: a schedule saved mid-run in a state file (``rp.save``) and read into a fresh
optimizer and schedule gives PyTorch's rates at every later step; a ``fit`` stopped
mid-run and continued with ``resume_from`` ends as the uninterrupted one; every optimizer
takes every schedule or refuses it by name; and schedules driven by functions store none."""

import math
import warnings

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.train.test_combinations import OPTIMIZERS
from tests.train.test_resume import Crash, CrashAfter

OURS, THEIRS = rp.optim.lr_scheduler, torch.optim.lr_scheduler
STEPS = 18


def _factor(epoch):
    return 0.8 ** epoch + 0.05


# name -> build(optimizer, module): every new schedule, and compositions of them
SCHEDULES = {
    "LambdaLR": lambda o, m: m.LambdaLR(o, _factor),
    "LambdaLR per group": lambda o, m: m.LambdaLR(o, [_factor, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda o, m: m.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.0),
    "MultiStepLR": lambda o, m: m.MultiStepLR(o, milestones=[3, 7, 8], gamma=0.3),
    "ConstantLR": lambda o, m: m.ConstantLR(o, factor=0.2, total_iters=3),
    "LinearLR": lambda o, m: m.LinearLR(o, start_factor=0.1, end_factor=0.6, total_iters=9),
    "PolynomialLR": lambda o, m: m.PolynomialLR(o, total_iters=11, power=0.5),
    "CosineAnnealingWarmRestarts": lambda o, m: m.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=3, eta_min=0.002),
    "OneCycleLR": lambda o, m: m.OneCycleLR(o, max_lr=[0.4, 0.2], total_steps=STEPS),
    "OneCycleLR three phases": lambda o, m: m.OneCycleLR(
        o, max_lr=0.5, total_steps=STEPS, three_phase=True, anneal_strategy="linear"),
    "SequentialLR": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.25, total_iters=3),
            m.PolynomialLR(o, total_iters=6, power=2.0),
            m.MultiplicativeLR(o, lambda e: 0.95)], milestones=[3, 10]),
    "SequentialLR of restarts and a LambdaLR": lambda o, m: m.SequentialLR(
        o, [m.CosineAnnealingWarmRestarts(o, T_0=3), m.LambdaLR(o, _factor)],
        milestones=[7]),
    "ChainedScheduler": lambda o, m: m.ChainedScheduler(
        [m.MultiStepLR(o, milestones=[2, 9], gamma=0.5), m.LinearLR(o, total_iters=4),
         m.MultiplicativeLR(o, lambda e: 0.97)]),
    "SequentialLR into a OneCycleLR": lambda o, m: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, total_iters=2), m.OneCycleLR(o, max_lr=0.3,
                                                              total_steps=STEPS)],
        milestones=[3]),
    "ChainedScheduler of a SequentialLR": lambda o, m: m.ChainedScheduler(
        [m.SequentialLR(o, [m.LinearLR(o, 0.2, total_iters=3), m.StepLR(o, 2, 0.7)],
                        milestones=[3]),
         m.CosineAnnealingWarmRestarts(o, T_0=4), m.ExponentialLR(o, 0.97)]),
}


def optimizers(kind):
    """Ours and torch's, of one kind, each with two groups (rates 0.1 and 0.05)."""
    params = list(rp.models.mlp([2, 3, 1]).parameters())
    twins = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    ours = [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]
    theirs = [{"params": twins[:1]}, {"params": twins[1:], "lr": 0.05}]
    if kind == "SGD":
        return (rp.optim.SGD(ours, lr=0.1, momentum=0.5),
                torch.optim.SGD(theirs, lr=0.1, momentum=0.5))
    if kind == "RMSprop":
        return (rp.optim.RMSprop(ours, lr=0.1, momentum=0.3),
                torch.optim.RMSprop(theirs, lr=0.1, momentum=0.3))
    return rp.optim.AdamW(ours, lr=0.1), torch.optim.AdamW(theirs, lr=0.1)


def settings(optimizer):
    """Each group's rate (a negative one of torch's is 0 here) and momentum or betas."""
    return [(max(g["lr"], 0.0), g.get("momentum"), tuple(g.get("betas", ())))
            for g in optimizer.param_groups]


@pytest.mark.parametrize("stop", [1, 8])
@pytest.mark.parametrize("kind", ["SGD", "RMSprop", "AdamW"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_resumed_from_a_state_file_it_gives_torchs_rates(tmp_path, name, kind, stop):
    """Stopped after ``stop`` steps, saved with its optimizer by rp.save, and read by
    rp.load into an optimizer and a schedule built again: at every later step the rates
    and momenta are torch's (uninterrupted), bit for bit, and so is get_last_lr()."""
    ours, theirs = optimizers(kind)
    schedule, reference = SCHEDULES[name](ours, OURS), SCHEDULES[name](theirs, THEIRS)
    for _ in range(stop):
        theirs.step()
        reference.step()
        schedule.step()
    rp.save({"optimizer": ours.state_dict(), "schedule": schedule.state_dict()},
            tmp_path / "state.rpz")
    resumed, _ = optimizers(kind)
    again = SCHEDULES[name](resumed, OURS)
    state = rp.load(tmp_path / "state.rpz")
    again.load_state_dict(state["schedule"])  # either order: the rates are the optimizer's
    resumed.load_state_dict(state["optimizer"])
    for step in range(stop, STEPS):
        assert settings(resumed) == settings(theirs), f"step {step}"
        assert again.get_last_lr() == [max(lr, 0.0) for lr in reference.get_last_lr()]
        theirs.step()
        reference.step()
        again.step()


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_a_state_dict_holds_no_function_and_loads_into_a_schedule_built_again(name):
    """Functions are left out of state_dict (as PyTorch leaves out functions and lambdas),
    so every state goes to a state file; a loaded state keeps the functions the schedule
    was built with."""
    optimizer, _ = optimizers("SGD")
    schedule = SCHEDULES[name](optimizer, OURS)
    schedule.step()

    def functions(value):
        if isinstance(value, dict):
            return [f for v in value.values() for f in functions(v)]
        if isinstance(value, list | tuple):
            return [f for v in value for f in functions(v)]
        return [value] if callable(value) else []

    assert functions(schedule.state_dict()) == []
    again = SCHEDULES[name](optimizers("SGD")[0], OURS)
    before = [getattr(s, "lr_lambdas", None) for s in getattr(again, "schedulers", [again])]
    again.load_state_dict(schedule.state_dict())
    after = [getattr(s, "lr_lambdas", None) for s in getattr(again, "schedulers", [again])]
    assert after == before


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_states_swapped_in_a_checkpoint_are_refused_by_name(tmp_path, name):
    """The optimizer's state given to the schedule (or the schedule's to the optimizer)
    is refused, naming what was expected, and changes nothing (it became attributes of
    the schedule, or a bare KeyError)."""
    optimizer, _ = optimizers("SGD")
    schedule = SCHEDULES[name](optimizer, OURS)
    schedule.step()
    rp.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()},
            tmp_path / "state.rpz")
    state = rp.load(tmp_path / "state.rpz")
    before, rates = schedule.state_dict(), schedule.get_last_lr()
    with pytest.raises(ValueError, match=rf"{type(schedule).__name__}\.load_state_dict: "
                                         r"expected the state_dict\(\) of a .* got "
                                         r"\['global_state', 'param_groups', 'shapes', "
                                         r"'state'\] \(an optimizer's state goes to"):
        schedule.load_state_dict(state["optimizer"])
    with pytest.raises(ValueError, match=r"SGD\.load_state_dict: expected an optimizer's "
                                         r"state_dict\(\) \(with 'param_groups' and 'state'\)"
                                         r", got \[.*'(last_epoch|schedulers)'"):
        optimizer.load_state_dict(state["schedule"])
    assert schedule.state_dict() == before and schedule.get_last_lr() == rates


def test_saving_the_schedule_itself_names_its_state_dict(tmp_path):
    """rp.save of a schedule (not its state) is refused, saying what to store instead."""
    optimizer, _ = optimizers("SGD")
    schedule = OURS.LambdaLR(optimizer, _factor)
    with pytest.raises(TypeError, match=r"state\.schedule \(a LambdaLR\): store its "
                                        r"state_dict\(\) instead"):
        rp.save({"schedule": schedule}, tmp_path / "state.rpz")
    assert not (tmp_path / "state.rpz").exists()


# ---- fit, stopped and continued with resume_from --------------------------------------

N, BATCH, EPOCHS = 96, 32, 4  # 3 batches an epoch, 12 in all
PER_BATCH = {"CosineAnnealingWarmRestarts", "OneCycleLR", "OneCycleLR three phases"}


@pytest.fixture(scope="module")
def digits():
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)[:N], y[:N]


def fit(name, data, checkpoint, limit=0, resume=False, build=None):
    """A fit with the schedule ``name`` (or what ``build(optimizer, module)`` gives)."""
    rp.manual_seed(0)
    model = rp.models.mlp([64, 8, 10], activation="tanh")
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    build = build or SCHEDULES[name]
    if name.startswith("OneCycleLR"):  # built for the run's 12 batches
        build = {"OneCycleLR": lambda o, m: m.OneCycleLR(o, 0.05, epochs=EPOCHS,
                                                         steps_per_epoch=N // BATCH),
                 "OneCycleLR three phases": lambda o, m: m.OneCycleLR(
                     o, 0.05, total_steps=EPOCHS * N // BATCH, three_phase=True)}[name]
    schedule = rp.callbacks.LearningRateScheduler(
        build(optimizer, OURS), interval="batch" if name in PER_BATCH else "epoch")
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
    rp.manual_seed(1)  # the resumed run must not depend on the generator it starts with
    history = trainer.fit(*data, epochs=EPOCHS, batch_size=BATCH, verbose=0,
                          callbacks=[schedule, rp.callbacks.ModelCheckpoint(
                              checkpoint, resumable=True, every_batches=2),
                              CrashAfter(limit)],
                          resume_from=checkpoint if resume else None)
    return model, optimizer, history


@pytest.mark.parametrize("limit", [4, 7])
@pytest.mark.parametrize("name", [name for name in SCHEDULES if "per group" not in name])
def test_a_fit_resumed_mid_run_ends_as_the_uninterrupted_one(digits, tmp_path, name, limit):
    """Stopped after ``limit`` batches (mid-epoch; the last checkpoint two batches or
    fewer before), resumed by fresh objects: the same weights, rates, momenta, history."""
    model, optimizer, history = fit(name, digits, tmp_path / "reference.rpz")
    with pytest.raises(Crash):
        fit(name, digits, tmp_path / "run.rpz", limit)
    resumed, resumed_optimizer, resumed_history = fit(name, digits, tmp_path / "run.rpz",
                                                      resume=True)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    assert resumed_optimizer.param_groups[0]["betas"] == optimizer.param_groups[0]["betas"]
    assert resumed_history.history == history.history
    assert len(set(history.history["lr"])) > 1


@pytest.mark.parametrize("first, then, message", [
    ("MultiStepLR", "ChainedScheduler", "is MultiStepLR, this run's ChainedScheduler"),
    ("LambdaLR", "function", r"is LambdaLR, this run's a function f\(epoch, lr\)"),
    ("function", "SequentialLR", r"is a function f\(epoch, lr\), this run's SequentialLR")])
def test_a_fit_resumed_with_another_kind_of_schedule_is_refused(digits, tmp_path, first,
                                                                then, message):
    """The checkpoint's schedule state would load into another kind of schedule (the
    shared keys, base_lrs and last_epoch, and its settings as new attributes), or be
    dropped by a function: refused, naming both."""
    def build(kind):
        if kind == "function":
            return lambda optimizer, module: (lambda epoch, lr: lr * 0.9)
        return SCHEDULES[kind]

    with pytest.raises(Crash):
        fit(first, digits, tmp_path / "run.rpz", limit=4, build=build(first))
    with pytest.raises(ValueError, match=rf"LearningRateScheduler: the training checkpoint's "
                                         rf"schedule {message}: resume with the schedule the "
                                         "run began with"):
        fit(then, digits, tmp_path / "run.rpz", resume=True, build=build(then))


# ---- every optimizer ------------------------------------------------------------------

def fit_with(optimizer_name, data, checkpoint, limit=0, resume=False):
    """Two epochs with a SequentialLR (a LinearLR, then a LambdaLR) stepped per epoch."""
    rp.manual_seed(0)
    model = rp.models.mlp([64, 8, 10], activation="tanh")
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rprop and conjugate gradient: see below
        schedule = OURS.SequentialLR(optimizer, [OURS.LinearLR(optimizer, 0.5, total_iters=2),
                                                 OURS.LambdaLR(optimizer, _factor)], [1])
    residuals = optimizer.step_kind == "residuals"
    X, y = data
    targets = np.eye(10, dtype=np.float32)[y] if residuals else y
    trainer = rp.Trainer(model, rp.nn.MSELoss() if residuals else rp.nn.CrossEntropyLoss(),
                         optimizer, metrics=[])
    rp.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # full-batch methods on mini-batches
        trainer.fit(X, targets, epochs=3, batch_size=BATCH, verbose=0,
                    callbacks=[rp.callbacks.LearningRateScheduler(schedule),
                               rp.callbacks.ModelCheckpoint(checkpoint, resumable=True,
                                                            every_batches=1),
                               CrashAfter(limit)],
                    resume_from=checkpoint if resume else None)
    return model, optimizer


@pytest.mark.parametrize("name", [name for name in OPTIMIZERS
                                  if name not in ("VSGD", "LevenbergMarquardt")])
def test_every_optimizer_with_a_schedule_resumes_a_fit_exactly(digits, tmp_path, name):
    """Stopped after 5 of 9 batches (mid-epoch, after the schedule's milestone) and
    resumed with fresh objects: the weights and the rate of the uninterrupted run."""
    model, optimizer = fit_with(name, digits, tmp_path / "reference.rpz")
    with pytest.raises(Crash):
        fit_with(name, digits, tmp_path / "run.rpz", limit=5)
    resumed, resumed_optimizer = fit_with(name, digits, tmp_path / "run.rpz", resume=True)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]

def _two_steps(name, rate_factor):
    """Two full-batch steps of optimizer ``name`` on a small problem, the rate of every
    group multiplied by ``rate_factor`` by a MultiplicativeLR between them."""
    rp.manual_seed(0)
    model = rp.models.mlp([6, 4, 3], activation="tanh")
    optimizer = OPTIMIZERS[name](model.parameters())
    schedule = OURS.MultiplicativeLR(optimizer, lambda epoch: rate_factor)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 30)
    residuals = optimizer.step_kind == "residuals"
    loss = rp.nn.MSELoss() if residuals else rp.nn.CrossEntropyLoss()
    trainer = rp.Trainer(model, loss, optimizer, metrics=[])
    for _ in range(2):
        trainer.fit(X, np.eye(3, dtype=np.float32)[labels] if residuals else labels,
                    epochs=1, batch_size=None, shuffle=False, verbose=0)
        schedule.step()
    return np.concatenate([p.data.ravel() for p in model.parameters()])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_takes_a_schedule_that_drives_its_steps_or_says_why_not(name):
    """A schedule that changes the rate after the first step changes the second step of
    every optimizer that accepts it silently; one without a rate refuses it by name; Rprop
    and conjugate gradient, which read the rate for their first step only (Rprop as
    PyTorch's), warn that it changes nothing later, at the user's line."""
    optimizer = OPTIMIZERS[name](rp.models.mlp([6, 3]).parameters())
    if not optimizer.has_lr:
        with pytest.raises(TypeError, match=f"{name} has no learning rate"):
            OURS.MultiplicativeLR(optimizer, _factor)
        return
    if name in ("Rprop", "ConjugateGradient"):
        with pytest.warns(UserWarning, match=f"MultiplicativeLR: {name} reads lr only to "
                                             "size its first step") as caught:
            same, lowered = _two_steps(name, 1.0), _two_steps(name, 0.25)
        assert {warning.filename for warning in caught} == {__file__}
        assert np.array_equal(same, lowered)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        same, lowered = _two_steps(name, 1.0), _two_steps(name, 0.25)
    assert np.all(np.isfinite(lowered))
    assert not np.array_equal(same, lowered), f"{name}: the scheduled rate changed nothing"


@pytest.mark.parametrize("name", ["OneCycleLR", "OneCycleLR three phases"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_one_cycle_cycles_the_momentum_it_finds_or_names_its_absence(name, optimizer):
    """OneCycleLR cycles SGD's, RMSprop's or AdaptiveGains's momentum and Adam's β₁;
    an optimizer with neither is refused with cycle_momentum=False named."""
    rp.manual_seed(0)
    built = OPTIMIZERS[optimizer](rp.models.mlp([6, 3]).parameters())
    if not built.has_lr:
        with pytest.raises(TypeError, match="has no learning rate"):
            OURS.OneCycleLR(built, 0.3, total_steps=STEPS)
        return
    defaults = built.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        with pytest.raises(ValueError, match="pass cycle_momentum=False"):
            OURS.OneCycleLR(built, 0.3, total_steps=STEPS, three_phase="three" in name)
        return
    build = {"OneCycleLR": lambda o: OURS.OneCycleLR(o, 0.3, total_steps=STEPS),
             "OneCycleLR three phases": lambda o: OURS.OneCycleLR(
                 o, 0.3, total_steps=STEPS, three_phase=True)}[name]
    build(built).step()
    group = built.param_groups[0]
    momentum = group["betas"][0] if "betas" in defaults else group["momentum"]
    assert 0.85 < momentum < 0.95 and math.isfinite(group["lr"])


@pytest.mark.parametrize("composite", ["SequentialLR", "ChainedScheduler"])
def test_a_composite_schedule_of_rprop_warns_once_per_schedule_built(composite):
    """Each schedule built on Rprop warns; the composite of them does not repeat it."""
    optimizer = rp.optim.Rprop(rp.models.mlp([6, 3]).parameters())
    with pytest.warns(UserWarning, match="reads lr only") as caught:
        parts = [OURS.StepLR(optimizer, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        if composite == "SequentialLR":
            OURS.SequentialLR(optimizer, parts, milestones=[])
        else:
            OURS.ChainedScheduler(parts)
    assert len(caught) == 1


def test_a_function_schedule_of_rprop_warns_at_the_fit_line():
    """LearningRateScheduler(f(epoch, lr)) sets Rprop's lr as a schedule does, to the
    same effect after the first step: it warns as the schedules do, at the user's fit."""
    model = rp.models.mlp([6, 3])
    optimizer = rp.optim.Rprop(model.parameters())
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer, metrics=[])
    X, labels = np.zeros((8, 6), np.float32), np.arange(8) % 3
    callback = rp.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
    with pytest.warns(UserWarning, match="LearningRateScheduler: Rprop reads lr only to "
                                         "size its first step") as caught:
        trainer.fit(X, labels, epochs=2, verbose=0, callbacks=[callback])
    assert [warning.filename for warning in caught] == [__file__]
