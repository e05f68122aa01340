"""PyTorch's schedules: step by step the rates (and momenta) of torch.optim.lr_scheduler on
two parameter groups, a schedule stopped and resumed from its state_dict, bad arguments,
every optimizer, and fit through the callback."""

import doctest
import importlib
import math

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.train.test_combinations import OPTIMIZERS

OURS, THEIRS = rp.optim.lr_scheduler, torch.optim.lr_scheduler
STEPS = 24

# name -> (build(optimizer, module), steps); each covers every phase of its schedule
SCHEDULES = {
    "LambdaLR": lambda o, m: m.LambdaLR(o, lambda epoch: 0.9 ** epoch + 0.1),
    "LambdaLR per group": lambda o, m: m.LambdaLR(o, [lambda e: 1 / (e + 1),
                                                      lambda e: 0.95 ** e]),
    "MultiplicativeLR": lambda o, m: m.MultiplicativeLR(o, lambda epoch: 0.95),
    "MultiStepLR": lambda o, m: m.MultiStepLR(o, milestones=[2, 5, 6], gamma=0.5),
    "ConstantLR": lambda o, m: m.ConstantLR(o, factor=0.25, total_iters=4),
    "LinearLR": lambda o, m: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "LinearLR defaults": lambda o, m: m.LinearLR(o),
    "LinearLR to 0": lambda o, m: m.LinearLR(o, start_factor=1.0, end_factor=0.0,
                                             total_iters=10),
    "LinearLR to 0 in 3": lambda o, m: m.LinearLR(o, start_factor=0.01, end_factor=0.0,
                                                  total_iters=3),  # torch: -7e-19, here 0
    "PolynomialLR": lambda o, m: m.PolynomialLR(o, total_iters=8, power=2.0),
    "PolynomialLR defaults": lambda o, m: m.PolynomialLR(o),
    "StepLR": lambda o, m: m.StepLR(o, step_size=3, gamma=0.5),
    "ExponentialLR": lambda o, m: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o, m: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda o, m: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts T_mult=1": lambda o, m: m.CosineAnnealingWarmRestarts(
        o, T_0=5),
    "OneCycleLR": lambda o, m: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR three linear phases": lambda o, m: m.OneCycleLR(
        o, max_lr=1.0, epochs=4, steps_per_epoch=6, pct_start=0.25, three_phase=True,
        anneal_strategy="linear", base_momentum=0.8, max_momentum=0.9, div_factor=10.0,
        final_div_factor=100.0),
    "OneCycleLR without momentum": lambda o, m: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False),
    "SequentialLR": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=4),
            m.CosineAnnealingLR(o, T_max=10, eta_min=0.001)], milestones=[4]),
    "SequentialLR of three": lambda o, m: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=2), m.ExponentialLR(o, gamma=0.9),
            m.MultiplicativeLR(o, lambda e: 0.8)], milestones=[3, 8]),
    "ChainedScheduler": lambda o, m: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=3), m.ExponentialLR(o, gamma=0.9),
         m.CosineAnnealingLR(o, T_max=6, eta_min=0.01)]),
}
NEW = [name for name in SCHEDULES
       if name.split()[0] not in ("StepLR", "ExponentialLR", "CosineAnnealingLR")]


def optimizers(kind):
    """Our optimizer and torch's, each with two groups (rates 0.1 and 0.05)."""
    params = list(rp.models.mlp([2, 3, 1]).parameters())
    twins = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    ours, theirs = ([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}],
                    [{"params": twins[:1]}, {"params": twins[1:], "lr": 0.05}])
    if kind == "SGD":
        return (rp.optim.SGD(ours, lr=0.1, momentum=0.5),
                torch.optim.SGD(theirs, lr=0.1, momentum=0.5))
    return rp.optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)


def settings(optimizer):
    """Each group's rate and momentum (SGD's momentum, Adam's betas)."""
    return [(g["lr"], g.get("momentum"), tuple(g.get("betas", ())))
            for g in optimizer.param_groups]


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch_step_by_step(name, kind):
    """The same numbers as PyTorch's get_last_lr() and param_groups, bit for bit: the
    chainable schedules compute the next rate from the current one as PyTorch does (the
    closed form would differ in the last bits), on every group; OneCycleLR cycles SGD's
    momentum and Adam's beta1."""
    ours, theirs = optimizers(kind)
    schedule, reference = SCHEDULES[name](ours, OURS), SCHEDULES[name](theirs, THEIRS)
    seen = set()
    for step in range(STEPS + 1):
        theirs_now = [(max(lr, 0.0), m, b) for lr, m, b in settings(theirs)]
        assert settings(ours) == theirs_now, f"step {step}"
        assert schedule.get_last_lr() == [max(lr, 0.0) for lr in reference.get_last_lr()]
        seen.add(schedule.get_last_lr()[0])
        if step < STEPS:
            theirs.step()
            schedule.step()
            reference.step()
    assert len(seen) > 1  # the schedule moved


@pytest.mark.parametrize("stop", [1, 5, 13])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_a_schedule_resumed_from_its_state_dict_continues_exactly(tmp_path, name, stop):
    """Stopped after ``stop`` steps, written to a state file with its optimizer's state
    and read into a schedule built again (with its functions: a LambdaLR's are not
    saved, as in PyTorch), it continues with the uninterrupted run's rates."""
    straight, _ = optimizers("SGD")
    schedule = SCHEDULES[name](straight, OURS)
    for _ in range(stop):
        schedule.step()
    path = tmp_path / "schedule.rpz"
    rp.save({"optimizer": straight.state_dict(), "schedule": schedule.state_dict()}, path)
    if name.startswith("LambdaLR"):
        assert "lr_lambdas" not in schedule.state_dict()
    resumed, _ = optimizers("SGD")
    again = SCHEDULES[name](resumed, OURS)
    saved = rp.load(path)
    resumed.load_state_dict(saved["optimizer"])
    again.load_state_dict(saved["schedule"])
    for _ in range(stop, STEPS):
        schedule.step()
        again.step()
        assert settings(resumed) == settings(straight)


def test_one_cycle_refuses_a_step_past_its_total():
    optimizer, _ = optimizers("SGD")
    schedule = OURS.OneCycleLR(optimizer, max_lr=0.1, total_steps=3)
    for _ in range(3):
        schedule.step()
    with pytest.raises(ValueError, match="step 4 is past total_steps=3"):
        schedule.step()


def test_one_cycle_sets_the_momentum_of_sgd_without_momentum():
    """As PyTorch: cycle_momentum turns momentum on (0.95 at the start)."""
    params = rp.models.mlp([2, 2]).parameters()
    optimizer = rp.optim.SGD(params, lr=0.1)
    OURS.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    assert optimizer.param_groups[0]["momentum"] == 0.95
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / 25)


SGD = lambda: rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1)  # noqa: E731


@pytest.mark.parametrize(("build", "error", "message"), [
    (lambda o: OURS.MultiStepLR(o, milestones=[3, 2]), ValueError,
     r"MultiStepLR: milestones must be increasing, got \[3, 2\]"),
    (lambda o: OURS.MultiStepLR(o, milestones=[2, 2]), ValueError, "must be increasing"),
    (lambda o: OURS.MultiStepLR(o, milestones=[0, 2]), ValueError,
     r"milestones\[0\] must be a positive integer, got 0"),
    (lambda o: OURS.MultiStepLR(o, milestones=3), ValueError, "list of increasing"),
    (lambda o: OURS.MultiStepLR(o, [2], gamma=0), ValueError, "gamma must be a positive"),
    (lambda o: OURS.ConstantLR(o, factor=0), ValueError,
     r"ConstantLR: factor must be in \(0, 1\], got 0"),
    (lambda o: OURS.ConstantLR(o, factor=1.5), ValueError, "factor must be in"),
    (lambda o: OURS.ConstantLR(o, total_iters=0), ValueError,
     "ConstantLR: total_iters must be a positive integer, got 0"),
    (lambda o: OURS.LinearLR(o, start_factor=0), ValueError,
     r"LinearLR: start_factor must be in \(0, 1\], got 0"),
    (lambda o: OURS.LinearLR(o, end_factor=1.1), ValueError,
     r"LinearLR: end_factor must be in \[0, 1\], got 1.1"),
    (lambda o: OURS.LinearLR(o, total_iters=-1), ValueError, "total_iters must be a pos"),
    (lambda o: OURS.PolynomialLR(o, total_iters=0), ValueError, "PolynomialLR: total_iters"),
    (lambda o: OURS.PolynomialLR(o, power=-1), ValueError, "PolynomialLR: power"),
    (lambda o: OURS.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0"),
    (lambda o: OURS.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "T_mult"),
    (lambda o: OURS.CosineAnnealingWarmRestarts(o, T_0=2, eta_min=-1), ValueError,
     "eta_min must be a finite number >= 0"),
    (lambda o: OURS.LambdaLR(o, [lambda e: 1.0] * 2), ValueError,
     r"one per parameter group \(1\), got a list of 2"),
    (lambda o: OURS.LambdaLR(o, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda o: OURS.MultiplicativeLR(o, [0.5]), TypeError, "function of the step, got float"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0), ValueError, "OneCycleLR: give total_steps"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, epochs=3), ValueError,
     "give total_steps, or epochs and steps_per_epoch"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0, total_steps=10), ValueError,
     "OneCycleLR: max_lr must be a positive finite number, got 0"),
    (lambda o: OURS.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ValueError,
     r"max_lr must be a number or a list of one per parameter group \(1\)"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError,
     "OneCycleLR: total_steps must be a positive integer, got 0"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=0), ValueError,
     "steps_per_epoch must be a positive integer"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     r"OneCycleLR: pct_start must be in \[0.0, 1.0\], got 1.5"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0.1), ValueError,
     "pct_start=0.1 with total_steps=10 gives a phase of no steps"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy must be 'cos' or 'linear', got 'exp'"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), ValueError,
     "div_factor"),
    (lambda o: OURS.OneCycleLR(o, max_lr=0.1, total_steps=10, max_momentum=1.0), ValueError,
     "max_momentum must be in"),
    (lambda o: OURS.OneCycleLR(rp.optim.Adagrad(rp.models.mlp([2, 2]).parameters()),
                               max_lr=0.1, total_steps=10), ValueError,
     "Adagrad has no momentum or betas to cycle: pass cycle_momentum=False"),
    (lambda o: OURS.SequentialLR(o, [OURS.StepLR(o, 2)], milestones=[3]), ValueError,
     r"1 schedules need 0 milestones, got \[3\]"),
    (lambda o: OURS.SequentialLR(o, [OURS.StepLR(o, 2), OURS.StepLR(o, 3)], [0]),
     ValueError, "milestones"),
    (lambda o: OURS.SequentialLR(o, [], []), ValueError, "schedulers is empty"),
    (lambda o: OURS.SequentialLR(o, [OURS.StepLR(o, 2), OURS.ReduceLROnPlateau(o)], [2]),
     TypeError, r"schedulers\[1\] must be a LRScheduler, got ReduceLROnPlateau"),
    (lambda o: OURS.SequentialLR(o, [OURS.StepLR(o, 2), OURS.StepLR(SGD(), 2)], [2]),
     ValueError, r"schedulers\[1\] \(StepLR\) was built on another optimizer"),
    (lambda o: OURS.ChainedScheduler([OURS.StepLR(o, 2), OURS.ReduceLROnPlateau(o)]),
     ValueError, r"schedulers\[1\] \(ReduceLROnPlateau\) needs the monitored value"),
    (lambda o: OURS.ChainedScheduler([]), ValueError, "schedulers is empty"),
    (lambda o: OURS.ChainedScheduler([OURS.StepLR(o, 2), 3]), TypeError,
     r"schedulers\[1\] must be a Scheduler, got int"),
])
def test_bad_arguments_are_named(build, error, message):
    with pytest.raises(error, match=message):
        build(SGD())


@pytest.mark.parametrize("name", NEW)
def test_a_group_added_after_the_schedule_is_named(name):
    params = list(rp.models.mlp([2, 3, 2]).parameters())
    optimizer = rp.optim.SGD([{"params": params[:2]}, {"params": params[2:3], "lr": 0.05}],
                             lr=0.1, momentum=0.5)
    schedule = SCHEDULES[name](optimizer, OURS)
    optimizer.add_param_group({"params": params[3:], "lr": 0.01})
    with pytest.raises(ValueError, match=r"2 parameter group.*now has 3"):
        schedule.step()


def needs_momentum(name):
    return name.startswith("OneCycleLR") and "without momentum" not in name


@pytest.fixture(scope="module")
def digits():
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)[:200], y[:200]


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
def test_every_optimizer_trains_with_every_schedule_or_refuses_it(digits, optimizer_name,
                                                                   name):
    """Through fit and LearningRateScheduler (OneCycleLR and the warm restarts per batch):
    the rate follows the schedule and training stays finite; an optimizer without a
    rate (vSGD, Levenberg–Marquardt) is refused, and so is one without momentum or betas
    when OneCycleLR cycles them."""
    X, y = digits
    rp.manual_seed(0)
    model = rp.models.mlp([64, 16, 10], activation="tanh")
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    residuals = optimizer.step_kind == "residuals"
    loss = rp.nn.MSELoss() if residuals else rp.nn.CrossEntropyLoss()
    targets = np.eye(10, dtype=np.float32)[y] if residuals else y
    batch_size = None if optimizer.full_batch else 50
    batches, epochs = (1 if batch_size is None else 4), 3
    build = SCHEDULES[name]
    if name.startswith("OneCycleLR"):  # built for the run's batches
        build = {"OneCycleLR": lambda o, m: m.OneCycleLR(o, 0.05, epochs=epochs,
                                                         steps_per_epoch=batches),
                 "OneCycleLR three linear phases": lambda o, m: m.OneCycleLR(
                     o, 0.05, total_steps=epochs * batches, three_phase=True,
                     anneal_strategy="linear", pct_start=0.4),
                 "OneCycleLR without momentum": lambda o, m: m.OneCycleLR(
                     o, 0.05, total_steps=epochs * batches, cycle_momentum=False),
                 }[name]
    if not optimizer.has_lr:
        with pytest.raises(TypeError, match=f"{type(optimizer).__name__} has no learning rate"):
            build(optimizer, OURS)
        return
    has_momentum = "momentum" in optimizer.defaults or "betas" in optimizer.defaults
    if needs_momentum(name) and not has_momentum:
        with pytest.raises(ValueError, match="has no momentum or betas to cycle"):
            build(optimizer, OURS)
        return
    if "per group" in name:
        build = lambda o, m: m.LambdaLR(o, [lambda e: 0.9 ** e])  # noqa: E731
    schedule = build(optimizer, OURS)
    per_batch = name.startswith(("OneCycleLR", "CosineAnnealingWarmRestarts"))
    callback = rp.callbacks.LearningRateScheduler(
        schedule, interval="batch" if per_batch else "epoch")
    trainer = rp.Trainer(model, loss, optimizer)
    history = trainer.fit(X, targets, epochs=epochs, batch_size=batch_size, verbose=0,
                          callbacks=[callback])
    assert all(math.isfinite(v) for v in history.history["loss"]), history.history
    # the rates of the run: the schedule stepped alone, once per epoch or per batch
    # (the history gives the rate of each epoch, then after the epoch's last batch)
    alone = OPTIMIZERS[optimizer_name](rp.models.mlp([64, 16, 10]).parameters())
    same = build(alone, OURS)
    expected = []
    for _ in range(epochs):
        if not per_batch:
            expected.append(alone.param_groups[0]["lr"])
        for _ in range(batches if per_batch else 1):
            same.step()
        if per_batch:
            expected.append(alone.param_groups[0]["lr"])
    assert history.history["lr"] == expected
    assert len(set(expected)) > 1 or name == "ConstantLR"


def test_the_callback_steps_per_batch_and_refuses_what_cannot(digits):
    X, y = digits
    model = rp.models.mlp([64, 10])
    optimizer = rp.optim.SGD(model.parameters(), lr=0.1)
    schedule = OURS.OneCycleLR(optimizer, max_lr=0.2, epochs=2, steps_per_epoch=4)
    twin = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    reference = THEIRS.OneCycleLR(twin, max_lr=0.2, epochs=2, steps_per_epoch=4)
    rates = []
    for _ in range(8):
        twin.step()
        reference.step()
        rates.append(reference.get_last_lr()[0])
    history = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer).fit(
        X, y, epochs=2, batch_size=50, verbose=0,
        callbacks=[rp.callbacks.LearningRateScheduler(schedule, interval="batch")])
    assert schedule.last_epoch == 8  # four batches an epoch, as torch's loop would step
    assert history.history["lr"] == [rates[3], rates[7]]
    with pytest.raises(ValueError, match="interval must be 'epoch' or 'batch', got 'step'"):
        rp.callbacks.LearningRateScheduler(schedule, interval="step")
    with pytest.raises(ValueError, match="ReduceLROnPlateau, which needs the monitored"):
        rp.callbacks.LearningRateScheduler(OURS.ReduceLROnPlateau(optimizer),
                                           interval="batch")
    with pytest.raises(ValueError, match=r"a function f\(epoch, lr\) steps once an epoch"):
        rp.callbacks.LearningRateScheduler(lambda epoch, lr: lr, interval="batch")


def test_a_second_schedule_starts_from_the_initial_rate_as_in_torch():
    """PyTorch keeps each group's ``initial_lr``: a schedule built after a warm-up that
    lowered the rate starts from the rate before it, not from the lowered one."""
    optimizer, twin = optimizers("SGD")
    OURS.LinearLR(optimizer, start_factor=0.1)
    cosine = OURS.CosineAnnealingLR(optimizer, T_max=4)
    THEIRS.LinearLR(twin, start_factor=0.1)
    THEIRS.CosineAnnealingLR(twin, T_max=4)
    assert cosine.base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in optimizer.param_groups] == \
        [g["initial_lr"] for g in twin.param_groups]


@pytest.mark.parametrize("name", ["cyclic", "combined"])
def test_docstring_examples(name):
    module = importlib.import_module(f"retroprop.optim.lr_scheduler.{name}")
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


def test_a_chain_may_hold_the_momentum_schedule_and_resumes():
    """ChainedScheduler steps any schedule that needs no metric: Berzal's rising momentum
    alongside a decaying rate, both saved in the chain's state_dict."""
    def build():
        optimizer = rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1, momentum=0.5)
        return optimizer, OURS.ChainedScheduler(
            [OURS.StepLR(optimizer, step_size=2, gamma=0.5),
             OURS.MomentumSchedule(optimizer, start=0.5, end=0.9, steps=4)])
    optimizer, chain = build()
    chain.step()
    resumed, again = build()
    resumed.load_state_dict(optimizer.state_dict())
    again.load_state_dict(chain.state_dict())
    for _ in range(4):
        chain.step()
        again.step()
    assert settings(resumed) == settings(optimizer) == [(0.1 * 0.5 ** 2, 0.9, ())]


@pytest.mark.parametrize("name", [*SCHEDULES, "MomentumSchedule"])
def test_a_value_given_to_step_is_refused_not_ignored(name):
    """PyTorch's deprecated ``scheduler.step(epoch)`` jumps to that epoch; these schedules
    count their own steps, so ``step(5)`` is refused (it stepped once, silently) and the
    rates stay as they were."""
    optimizer, _ = optimizers("SGD")
    schedule = (OURS.MomentumSchedule(optimizer) if name == "MomentumSchedule"
                else SCHEDULES[name](optimizer, OURS))
    before = settings(optimizer)
    with pytest.raises(TypeError, match=rf"^{type(schedule).__name__}\.step\(\) takes no "
                                        r"value: it counts its own steps; got step\(5\)"):
        schedule.step(5)
    assert settings(optimizer) == before
    schedule.step()  # and it steps on as before


def test_a_chain_that_drives_the_rate_below_zero_says_why():
    optimizer = rp.optim.SGD(rp.nn.Linear(2, 2).parameters(), lr=0.1)
    chain = OURS.ChainedScheduler([OURS.CosineAnnealingLR(optimizer, T_max=5, eta_min=0.05),
                                   OURS.ExponentialLR(optimizer, gamma=0.5)])
    with pytest.raises(ValueError, match=r"CosineAnnealingLR: the learning rate at step \d+ "
                                         r"must be a finite number >= 0, got -.* \(a chainable "
                                         r"schedule computes it from the optimizer's current "
                                         r"rate"):
        for _ in range(12):
            chain.step()
