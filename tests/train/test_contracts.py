"""The training layer's contracts: buffers, Monte-Carlo dropout, full-batch warnings, the
plateau rule, monitors, and the Trainer's loop (bugs that a run would not show)."""

import math
import warnings

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn, optim

from .conftest import make_trainer, same_weights, weights


def bn_dropout_model():
    return nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(32, 10))


def trained_bn_model(digits, steps=5):
    X, y, *_ = digits
    model = bn_dropout_model()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    trainer.fit(X[:64 * steps], y[:64 * steps], epochs=1, batch_size=64, verbose=0)
    return model, trainer


# ---------------------------------------------------------------------- buffers
def test_batch_norm_statistics_stay_registered_after_training(digits):
    model, _ = trained_bn_model(digits)
    keys = model.state_dict().keys()
    assert {"1.running_mean", "1.running_var"} <= set(keys)
    assert not np.allclose(model[1].running_mean, 0), "training must have moved them"


def test_a_trained_batch_norm_model_saves_and_loads_identically(digits, tmp_path):
    X_test = digits[2]
    model, trainer = trained_bn_model(digits)
    rp.save(model, tmp_path / "bn.rpz")
    loaded = rp.load(tmp_path / "bn.rpz")
    loaded.eval()
    np.testing.assert_array_equal(trainer.predict(X_test), loaded(X_test).data)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, loaded.state_dict()[name], err_msg=name)


def test_a_batch_norm_model_through_model_checkpoint(digits, tmp_path):
    X, y, X_test, _ = digits
    model = bn_dropout_model()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    checkpoint = rp.callbacks.ModelCheckpoint(tmp_path / "m-{epoch}.rpz", save_optimizer=True)
    trainer.fit(X[:256], y[:256], epochs=2, batch_size=64, callbacks=[checkpoint], verbose=0)
    loaded = rp.load(tmp_path / "m-2.rpz").eval()
    np.testing.assert_array_equal(trainer.predict(X_test), loaded(X_test).data)


def test_buffers_survive_load_state_dict_and_assignment():
    layer = nn.BatchNorm1d(3)
    layer.running_mean = np.full(3, 2.0, dtype=np.float32)  # a new array, as PyTorch allows
    layer.running_var *= 4
    state = layer.state_dict()
    np.testing.assert_array_equal(state["running_mean"], 2.0)
    np.testing.assert_array_equal(state["running_var"], 4.0)
    fresh = nn.BatchNorm1d(3)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.running_var, 4.0)
    with pytest.raises(TypeError, match="buffer 'running_var'"):
        layer.running_var = [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------- Monte-Carlo dropout
def test_predict_mc_uses_dropout_but_leaves_batch_norm_alone(digits):
    X_test = digits[2][:50]
    model, trainer = trained_bn_model(digits)
    buffers = {k: v.copy() for k, v in model.named_buffers()}
    deterministic = trainer.predict(X_test)
    mean, std = rp.predict_mc(model, X_test, samples=20, probabilities=False)
    for name, value in model.named_buffers():
        np.testing.assert_array_equal(value, buffers[name], err_msg=name)
    assert std.max() > 0, "dropout must be active"
    # with dropout alone random, the mean of many samples approaches the inference output
    assert np.abs(mean - deterministic).mean() < np.abs(deterministic).mean()
    assert not model.training and not model[3].training, "modes are restored"


# ---------------------------------------------------------------------- full batch
FULL_BATCH = [optim.Rprop, optim.ConjugateGradient, optim.LBFGS, optim.BFGS, optim.Newton,
              optim.LevenbergMarquardt]


def test_the_full_batch_methods_are_the_ones_that_say_so():
    declared = {cls for cls in optim.OPTIMIZERS.values() if cls.full_batch}
    assert declared == set(FULL_BATCH)


@pytest.mark.parametrize("cls", FULL_BATCH)
def test_full_batch_methods_warn_once_per_fit_on_mini_batches(digits, cls):
    X, y, *_ = digits
    model = rp.models.mlp([64, 10])
    optimizer = cls(model.parameters())
    loss = nn.MSELoss() if optimizer.step_kind == "residuals" else nn.CrossEntropyLoss()
    target = np.eye(10, dtype=np.float32)[y[:200]] if optimizer.step_kind == "residuals" \
        else y[:200]
    trainer = rp.Trainer(model, loss, optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(X[:200], target, epochs=2, batch_size=50, verbose=0)
    messages = [str(w.message) for w in caught if "needs full-batch" in str(w.message)]
    assert len(messages) == 1, messages
    assert caught[0].filename == __file__, "the warning points at the caller's line"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.fit(X[:200], target, epochs=1, batch_size=None, verbose=0)


# ---------------------------------------------------------------------- optimizer contract
def test_no_optimizer_carries_a_placeholder_learning_rate():
    for cls in optim.OPTIMIZERS.values():
        optimizer = cls(rp.models.mlp([2, 2]).parameters())
        for group in optimizer.param_groups:
            assert ("lr" in group) == optimizer.has_lr
            if optimizer.has_lr:
                assert math.isfinite(group["lr"]) and group["lr"] > 0


@pytest.mark.parametrize("cls", [optim.VSGD, optim.LevenbergMarquardt])
def test_schedules_refuse_optimizers_without_a_learning_rate(cls):
    optimizer = cls(rp.models.mlp([2, 2]).parameters())
    for schedule in (lambda o: optim.lr_scheduler.StepLR(o, 1),
                     lambda o: optim.lr_scheduler.ReduceLROnPlateau(o),
                     lambda o: optim.lr_scheduler.BoldDriver(o)):
        with pytest.raises(TypeError, match=f"{cls.__name__} has no learning rate"):
            schedule(optimizer)


def test_vsgd_with_l1_stays_finite(digits):
    X, y, *_ = digits
    rp.manual_seed(0)
    model = nn.regularize(rp.models.mlp([64, 16, 10]), l1=1e-3)
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.VSGD(model.parameters()))
    history = trainer.fit(X, y, epochs=3, batch_size=64, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert "lr" not in history.history
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_an_unknown_step_kind_is_refused():
    class Strange(optim.SGD):
        step_kind = "telepathy"

    with pytest.raises(TypeError, match="step_kind must be one of"):
        Strange(rp.models.mlp([2, 2]).parameters(), lr=0.1)


def test_resuming_with_another_model_names_the_shapes():
    small, wide = rp.models.mlp([3, 2]), rp.models.mlp([3, 5])
    source = optim.LBFGS(small.parameters())
    with pytest.raises(ValueError, match=r"shapes \[\(2, 3\), \(2,\)\].*\[\(5, 3\), \(5,\)\]"):
        optim.LBFGS(wide.parameters()).load_state_dict(source.state_dict())


# ---------------------------------------------------------------------- the L1 step
def l1_step(optimizer_class, **options):
    """One step of an optimizer on E = Σ w g0 (a constant gradient) with an L1 penalty."""
    layer = nn.Linear(4, 1, bias=False, l1=0.5)
    layer.weight.data[...] = np.array([[0.3, -0.2, 0.05, -1.0]], dtype=np.float32)
    optimizer = optimizer_class(layer.parameters(), **options)
    gradient = np.array([[0.1, 0.1, -0.1, 0.2]], dtype=np.float32)
    layer.weight.grad = gradient.copy()
    start = layer.weight.data.copy()
    optimizer.step()
    moved = layer.weight.data.copy()
    layer.project_(optimizer.prox_rate)
    return start, moved, layer.weight.data.copy(), gradient


@pytest.mark.parametrize("lr", [0.1, 0.4])
def test_l1_soft_threshold_uses_the_learning_rate_of_sgd(lr):
    _, moved, after, _ = l1_step(optim.SGD, lr=lr)
    expected = np.sign(moved) * np.maximum(np.abs(moved) - lr * 0.5, 0)
    np.testing.assert_allclose(after, expected, rtol=1e-6)


def test_l1_soft_threshold_uses_adams_per_weight_rate():
    _, moved, after, gradient = l1_step(optim.Adam, lr=0.1)
    # after one Adam step v̂ = g², so the rate is η / (|g| + ε)
    rate = 0.1 / (np.abs(gradient) + 1e-8)
    expected = np.sign(moved) * np.maximum(np.abs(moved) - rate * 0.5, 0)
    np.testing.assert_allclose(after, expected, rtol=1e-5)


def test_l1_soft_threshold_uses_rprops_step_along_the_gradient():
    start, moved, after, gradient = l1_step(optim.Rprop, lr=0.05)
    rate = float(-((moved - start) * gradient).sum() / (gradient ** 2).sum())
    assert rate > 0
    expected = np.sign(moved) * np.maximum(np.abs(moved) - rate * 0.5, 0)
    np.testing.assert_allclose(after, expected, rtol=1e-6)


# ---------------------------------------------------------------------- the plateau rule
class Feed(rp.callbacks.Callback):
    """Puts a scripted value into each epoch's logs (before the callbacks that read it)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["watched"] = self.values[epoch]


class LearningRates(rp.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(self.trainer.optimizer.param_groups[0]["lr"])


PLATEAU = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.01)
WATCHED = [5.0, 4.0, 4.0, 4.0, 4.0, 3.9999, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5]
# patience 2: the third epoch in a row without improvement (by more than 1e-3) halves the
# rate, then one epoch of cooldown; 3.9999 is not an improvement of 4.0 by 1e-3
EXPECTED = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def run_plateau(digits, driver):
    X, y, *_ = digits
    trainer = make_trainer(lr=1.0, momentum=0.0)
    trainer.optimizer.param_groups[0]["lr"] = 1.0
    rates = LearningRates()
    trainer.fit(X[:40], y[:40], epochs=len(WATCHED), batch_size=None, verbose=0,
                callbacks=[Feed(WATCHED), driver(trainer.optimizer), rates])
    return rates.rates


def test_the_plateau_rule_gives_one_sequence_whichever_way_it_is_driven(digits):
    by_callback = run_plateau(digits, lambda o: rp.callbacks.ReduceLROnPlateau(
        monitor="watched", min_delta=1e-3, mode="min", **PLATEAU))
    by_scheduler = run_plateau(digits, lambda o: rp.callbacks.LearningRateScheduler(
        optim.lr_scheduler.ReduceLROnPlateau(o, threshold=1e-3, threshold_mode="abs",
                                             **PLATEAU), monitor="watched"))
    parameter = torch.nn.Parameter(torch.zeros(1))
    reference = torch.optim.SGD([parameter], lr=1.0)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
        reference, threshold=1e-3, threshold_mode="abs", **PLATEAU)
    by_torch = []
    for value in WATCHED:
        schedule.step(value)
        by_torch.append(reference.param_groups[0]["lr"])
    assert by_callback == by_scheduler == by_torch == EXPECTED


@pytest.mark.parametrize("patience, stopped", [(0, 2), (1, 3), (3, 5)])
def test_early_stopping_patience_counts_exactly(digits, patience, stopped):
    X, y, *_ = digits
    values = [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    stopper = rp.callbacks.EarlyStopping(monitor="watched", patience=patience)
    history = make_trainer().fit(X[:40], y[:40], epochs=len(values), verbose=0,
                                 callbacks=[Feed(values), stopper])
    assert stopper.stopped_epoch == stopped and len(history.history["loss"]) == stopped + 1
    assert stopper.best_epoch == 1


@pytest.mark.parametrize("min_delta, best_epoch", [(0.0, 3), (0.05, 1), (0.2, 0)])
def test_min_delta_is_the_smallest_improvement_that_counts(digits, min_delta, best_epoch):
    X, y, *_ = digits
    values = [3.0, 2.9, 2.88, 2.86]
    stopper = rp.callbacks.EarlyStopping(monitor="watched", patience=10, min_delta=min_delta)
    make_trainer().fit(X[:40], y[:40], epochs=len(values), verbose=0,
                       callbacks=[Feed(values), stopper])
    assert stopper.best_epoch == best_epoch
    with pytest.raises(ValueError, match="min_delta must be a number >= 0"):
        rp.callbacks.EarlyStopping(min_delta=-0.1)


def test_model_checkpoint_saves_only_improvements(digits, tmp_path):
    X, y, *_ = digits
    values = [3.0, 2.0, 2.5, 1.0, 1.0]
    checkpoint = rp.callbacks.ModelCheckpoint(tmp_path / "m-{epoch}.rpz", monitor="watched",
                                              save_best_only=True)
    make_trainer().fit(X[:40], y[:40], epochs=len(values), verbose=0,
                       callbacks=[Feed(values), checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.rpz", "m-2.rpz", "m-4.rpz"]
    assert "max" in rp.callbacks.ModelCheckpoint("x", monitor="val_accuracy").mode


# ---------------------------------------------------------------------- the training loop
def test_shuffling_follows_the_seed(digits):
    X, y, *_ = digits

    def run(seed):
        rp.manual_seed(0)
        trainer = make_trainer()
        rp.manual_seed(seed)
        trainer.fit(X[:256], y[:256], epochs=1, batch_size=32, verbose=0)
        return weights(trainer.model)

    assert same_weights(run(1), run(1))
    assert not same_weights(run(1), run(2))


def test_the_last_partial_batch_is_trained_on(digits):
    X, y, *_ = digits

    class Sizes(rp.callbacks.Callback):
        def __init__(self):
            self.sizes = []

        def on_train_batch_end(self, batch, logs=None):
            self.sizes.append(logs["size"])

    sizes = Sizes()
    make_trainer().fit(X[:70], y[:70], epochs=1, batch_size=32, verbose=0, callbacks=[sizes])
    assert sizes.sizes == [32, 32, 6]


def test_validation_is_measured_in_inference_mode(digits):
    X, y, X_test, y_test = digits
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit(X, y, epochs=1, validation_data=(X_test, y_test), verbose=0)
    model.eval()
    logits = model(X_test)
    expected = nn.CrossEntropyLoss()(logits, y_test).item()
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    assert trainer.evaluate(X_test, y_test)["loss"] == pytest.approx(expected, rel=1e-6)


def test_probability_targets_must_be_distributions():
    logits = rp.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"row 1 sums to 0\.9"):
        nn.CrossEntropyLoss()(logits, np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.3]]))
    nn.CrossEntropyLoss()(logits, np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0]]))


def test_a_loss_class_instead_of_an_instance_is_named():
    model = rp.models.mlp([2, 2])
    with pytest.raises(TypeError, match=r"CrossEntropyLoss\(\), not the class"):
        rp.Trainer(model, nn.CrossEntropyLoss, optim.SGD(model.parameters(), lr=0.1))


def test_numpy_integers_are_accepted_as_epochs_and_batch_size(digits):
    X, y, *_ = digits
    history = make_trainer().fit(X[:64], y[:64], epochs=np.int64(2), batch_size=np.int32(32),
                                 verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "AdaptiveGains"])
def test_an_optimizer_of_another_model_warns_that_nothing_moved(name):
    model = rp.models.mlp([4, 3])
    optimizer = getattr(optim, name)(model.parameters())
    model = rp.models.mlp([4, 3])  # built again after its optimizer: a common slip
    model(np.ones((2, 4))).sum().backward()
    with pytest.warns(RuntimeWarning, match="none of its parameters has a gradient") as caught:
        optimizer.step()
    assert caught[0].filename == __file__


def test_binary_cross_entropy_targets_must_be_probabilities():
    probabilities = rp.Tensor(np.full((2, 1), 0.5))
    with pytest.raises(ValueError, match=r"target must hold probabilities in \[0, 1\]"):
        nn.BCELoss()(probabilities, np.array([[1.0], [2.0]]))
    with pytest.raises(RuntimeError):
        torch.nn.BCELoss()(torch.full((2, 1), 0.5), torch.tensor([[1.0], [2.0]]))


class EvaluatesTwice(optim.Optimizer):
    """A closure method that looks at the loss twice without moving: both evaluations must
    see the same function (the same dropout masks, batch-norm statistics reset)."""

    step_kind = "closure"

    def __init__(self, params):
        super().__init__(params, {"lr": 1.0})
        self.values = []

    def step(self, closure=None):
        self.values.append((float(self._evaluate(closure)), float(self._evaluate(closure))))


def test_closure_steps_see_the_same_noise_and_update_buffers_once(digits):
    X, y, *_ = digits
    rp.manual_seed(0)
    model = bn_dropout_model()
    optimizer = EvaluatesTwice(model.parameters())
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optimizer)
    trainer.fit(X[:100], y[:100], epochs=2, batch_size=None, verbose=0)
    assert all(first == second for first, second in optimizer.values), optimizer.values
    assert optimizer.values[0] != optimizer.values[1], "each step draws new masks"
    # the running mean moved as after two training batches, not four
    batch_mean = model[0](X[:100]).data.mean(axis=0)
    expected = 0.1 * batch_mean + 0.9 * (0.1 * batch_mean)
    np.testing.assert_allclose(model[1].running_mean, expected, rtol=1e-5, atol=1e-6)
