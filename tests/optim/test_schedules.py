import numpy as np
import pytest
import torch

import retroprop as rp


def pair(lr=0.1):
    ours = rp.optim.SGD(rp.models.mlp([2, 1]).parameters(), lr=lr, momentum=0.5)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.5)
    return ours, theirs


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda o: rp.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (lambda o: rp.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (lambda o: rp.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01)),
])
def test_schedules_match_torch(ours, theirs):
    mine, reference = pair()
    schedule, reference_schedule = ours(mine), theirs(reference)
    for _ in range(12):
        reference.step()
        schedule.step()
        reference_schedule.step()
        assert schedule.get_last_lr()[0] == pytest.approx(reference_schedule.get_last_lr()[0],
                                                          rel=1e-12)


def test_reduce_on_plateau_matches_torch():
    mine, reference = pair()
    schedule = rp.optim.lr_scheduler.ReduceLROnPlateau(mine, patience=2, factor=0.5)
    reference_schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(reference, patience=2,
                                                                    factor=0.5)
    for metric in [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.8, 0.85, 0.86, 0.87, 0.9]:
        schedule.step(metric)
        reference.step()
        reference_schedule.step(metric)
        assert mine.param_groups[0]["lr"] == pytest.approx(reference.param_groups[0]["lr"])


def test_warm_up_and_momentum_schedule():
    mine, _ = pair(lr=1.0)
    warm = rp.optim.lr_scheduler.WarmUp(mine, steps=4, start_factor=0.2)
    rates = [mine.param_groups[0]["lr"]]
    for _ in range(5):
        warm.step()
        rates.append(mine.param_groups[0]["lr"])
    np.testing.assert_allclose(rates, [0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    schedule = rp.optim.MomentumSchedule(mine, start=0.5, end=0.9, steps=4)
    values = [mine.param_groups[0]["momentum"]]
    for _ in range(5):
        schedule.step()
        values.append(mine.param_groups[0]["momentum"])
    np.testing.assert_allclose(values, [0.5, 0.6, 0.7, 0.8, 0.9, 0.9])
    with pytest.raises(ValueError, match="has no momentum"):
        rp.optim.MomentumSchedule(rp.optim.Adam(rp.models.mlp([2, 1]).parameters()))


def test_bold_driver_raises_the_rate_and_undoes_bad_steps():
    w = rp.nn.Parameter(np.array([0.0]))
    optimizer = rp.optim.SGD([w], lr=0.1)
    driver = rp.optim.lr_scheduler.BoldDriver(optimizer, increase=1.1, decrease=0.5)
    assert driver.step(5.0)
    w.data[:] = 42.0  # a step that made things worse
    assert not driver.step(6.0)
    assert w.data[0] == 0.0
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 1.1 * 0.5)


def test_bold_driver_undoes_a_step_after_a_group_was_added():
    w, added = rp.nn.Parameter(np.array([0.0])), rp.nn.Parameter(np.array([1.0]))
    optimizer = rp.optim.SGD([w], lr=0.1)
    driver = rp.optim.lr_scheduler.BoldDriver(optimizer)
    assert driver.step(5.0)
    optimizer.add_param_group({"params": [added], "lr": 0.2})
    w.data[:], added.data[:] = 42.0, 7.0
    version = w._version
    assert not driver.step(6.0)  # was: zip() argument 2 is shorter than argument 1
    assert w.data[0] == 0.0 and w._version > version
    assert added.data[0] == 7.0  # no earlier point to go back to
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.1 * 1.05 * 0.5, 0.1])


def test_bold_driver_in_training(digits_flat):
    X, y = digits_flat
    model = rp.models.mlp([64, 10])
    optimizer = rp.optim.SGD(model.parameters(), lr=5.0)
    driver = rp.optim.lr_scheduler.BoldDriver(optimizer)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
    history = trainer.fit(X, y, epochs=15, batch_size=None, verbose=0,
                          callbacks=[rp.callbacks.LearningRateScheduler(driver)])
    assert driver.undone >= 1 and history.history["lr"][-1] < 5.0
    assert min(history.history["loss"]) < history.history["loss"][0]


def test_keras_style_schedule_function(digits_flat):
    X, y = digits_flat
    model = rp.models.mlp([64, 10])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    history = trainer.fit(X, y, epochs=3, verbose=0, callbacks=[
        rp.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))])
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05, 0.1 / 3])


def test_fan_in_groups_follow_the_square_root_rule():
    model = rp.models.mlp([400, 100, 25])
    groups = rp.optim.fan_in_groups(model, lr=0.1)
    np.testing.assert_allclose([g["lr"] for g in groups], [0.1, 0.1 * np.sqrt(100 / 400)])
    optimizer = rp.optim.SGD(groups, lr=0.1)
    assert len(optimizer.param_groups) == 2


def test_clipping_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ours = [rp.nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, t, g in zip(ours, theirs, grads, strict=True):
        p.grad, t.grad = g.copy(), torch.tensor(g)
    norm = rp.nn.utils.clip_grad_norm_(ours, 1.0)
    reference = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert norm == pytest.approx(float(reference))
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    rp.nn.utils.clip_grad_value_(ours, 0.05)
    torch.nn.utils.clip_grad_value_(theirs, 0.05)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy())


def test_schedules_and_ensembles_say_what_they_are():
    optimizer = rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1)
    assert repr(rp.optim.lr_scheduler.StepLR(optimizer, 3, 0.5)) == \
        "StepLR(step_size=3, gamma=0.5, last_epoch=0)"
    plateau = repr(rp.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=2))
    assert "mode='max'" in plateau and "patience=2" in plateau and "relative" in plateau
    bagging = rp.ensemble.Bagging(lambda: rp.models.mlp([2, 2]), n_models=3)
    assert repr(bagging) == ("Bagging(n_models=3, bootstrap=True, mean='arithmetic', seed=0; "
                             "not fitted)")


SCHEDULE = rp.optim.lr_scheduler


@pytest.mark.parametrize(("build", "message"), [
    (lambda o: SCHEDULE.WarmUp(o, steps=True), "WarmUp: steps must be a positive integer"),
    (lambda o: SCHEDULE.WarmUp(o, steps=3, start_factor="0.1"), "start_factor must be in"),
    (lambda o: SCHEDULE.ReduceLROnPlateau(o, factor="0.5"), "factor must be in"),
    (lambda o: SCHEDULE.ReduceLROnPlateau(o, min_lr=-1.0), "min_lr must be a finite number"),
    (lambda o: SCHEDULE.ReduceLROnPlateau(o, min_lr=[0.0]), "min_lr must be a finite number"),
    (lambda o: SCHEDULE.ReduceLROnPlateau(o, eps=float("nan")), "eps must be a finite number"),
    (lambda o: rp.callbacks.ReduceLROnPlateau(patience=-1), "patience must be an integer >= 0"),
    (lambda o: rp.callbacks.ReduceLROnPlateau(patience=1.5), "patience must be an integer"),
    (lambda o: rp.callbacks.ReduceLROnPlateau(cooldown=-1), "cooldown must be an integer"),
    (lambda o: rp.callbacks.ReduceLROnPlateau(min_lr=-1), "min_lr must be a finite number"),
])
def test_bad_schedule_arguments_are_refused_where_given(build, message):
    """Each argument is checked when the schedule (or callback) is built, with its name;
    a plateau callback no longer waits for fit to refuse a negative patience, and a list
    of min_lr (PyTorch's per-group form, not offered here) no longer fails at the first
    reduction with a TypeError."""
    optimizer = rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=message):
        build(optimizer)


@pytest.mark.parametrize("build", [
    lambda o, count: SCHEDULE.StepLR(o, step_size=count(2)),
    lambda o, count: SCHEDULE.CosineAnnealingLR(o, T_max=count(4)),
    lambda o, count: SCHEDULE.WarmUp(o, steps=count(3)),
    lambda o, count: rp.optim.MomentumSchedule(o, steps=count(3)),
])
def test_numpy_integers_are_counts(build):
    """A NumPy integer schedules as the Python int of its value, step by step."""
    rates = {}
    for count in (int, np.int64):
        optimizer = rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1, momentum=0.5)
        schedule = build(optimizer, count)
        rates[count] = []
        for _ in range(5):
            schedule.step()
            group = optimizer.param_groups[0]
            rates[count].append((group["lr"], group["momentum"]))
    assert rates[np.int64] == rates[int] and len(set(rates[int])) > 1


@pytest.mark.parametrize("build", [
    lambda o: SCHEDULE.StepLR(o, step_size=1, gamma=0.5),
    lambda o: SCHEDULE.CosineAnnealingLR(o, T_max=4),
    lambda o: SCHEDULE.WarmUp(o, steps=3),
])
def test_a_group_added_after_the_schedule_is_named(build):
    """PyTorch users add a group when they unfreeze a layer; a schedule that keeps one base
    rate per group says so instead of zip()'s "argument 2 is longer"."""
    params = list(rp.models.mlp([2, 3, 2]).parameters())
    optimizer = rp.optim.SGD(params[:2], lr=0.1)
    schedule = build(optimizer)
    optimizer.add_param_group({"params": params[2:], "lr": 0.01})
    with pytest.raises(ValueError, match=r"1 parameter group.*now has 2"):
        schedule.step()


def test_plateau_counts_given_as_numpy_integers_are_stored_as_ints():
    """As StepLR and WarmUp store theirs: a checkpoint's state_dict holds Python numbers."""
    optimizer = rp.optim.SGD(rp.models.mlp([2, 2]).parameters(), lr=0.1)
    rule = SCHEDULE.ReduceLROnPlateau(optimizer, patience=np.int64(2), cooldown=np.int32(1),
                                      factor=np.float32(0.5))
    callback = rp.callbacks.ReduceLROnPlateau(patience=np.int64(2), cooldown=np.int32(1))
    for owner in (rule, callback):
        assert type(owner.patience) is int and type(owner.cooldown) is int
        assert (owner.patience, owner.cooldown) == (2, 1) and type(owner.factor) is float
