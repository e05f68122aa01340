"""Every optimizer with every penalty, constraint, clipping and schedule, on a plain MLP and
on one with batch norm and dropout: training stays finite and lowers the loss, and a run
saved with its optimizer and loaded again takes the uninterrupted run's next step bit for
bit (or the combination is refused with a clear error)."""

import math

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim

# Hyperparameters that train a small network on the digits; full-batch methods get few
# iterations per step to keep the matrix quick.
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "AdaptiveGains": lambda p: optim.AdaptiveGains(p, lr=0.05),
    "Rprop": lambda p: optim.Rprop(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.003),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.05),
    "Adam": lambda p: optim.Adam(p, lr=0.003),
    "AdamW": lambda p: optim.AdamW(p, lr=0.003),
    "VSGD": lambda p: optim.VSGD(p, warmup=3),
    "SGLD": lambda p: optim.SGLD(p, lr=1e-4, num_examples=600, weight_decay=1.0, seed=0),
    "ConjugateGradient": lambda p: optim.ConjugateGradient(p, max_iter=5),
    "LBFGS": lambda p: optim.LBFGS(p, max_iter=5, history_size=10),
    "BFGS": lambda p: optim.BFGS(p, max_iter=5),
    "Newton": lambda p: optim.Newton(p, hessian="cg", cg_iter=10),
    "LevenbergMarquardt": lambda p: optim.LevenbergMarquardt(p, cg_iter=10),
}
FEATURES = ["none", "l1", "l2", "max_norm", "clip", "schedule", "one_cycle"]
MODELS = ["mlp", "bn_dropout"]


def test_the_matrix_covers_every_optimizer():
    exported = {name for name in optim.__all__
                if isinstance(getattr(optim, name), type)
                and issubclass(getattr(optim, name), optim.Optimizer)
                and getattr(optim, name) is not optim.Optimizer}
    assert exported == set(OPTIMIZERS)


@pytest.fixture(scope="module")
def data():
    (X, y), _ = rp.datasets.load_digits()
    X = rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)[:600]
    return X, y[:600]


def build(model_kind, feature):
    rp.manual_seed(0)
    if model_kind == "mlp":
        model = rp.models.mlp([64, 16, 10], activation="tanh")
    else:
        model = nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.Tanh(),
                              nn.Dropout(0.2), nn.Linear(16, 10))
    if feature in ("l1", "l2", "max_norm"):
        nn.regularize(model, **{"l1": dict(l1=1e-3), "l2": dict(l2=1e-3),
                                "max_norm": dict(max_norm=0.5)}[feature])
    return model


def setup(name, model_kind, feature):
    model = build(model_kind, feature)
    optimizer = OPTIMIZERS[name](model.parameters())
    loss = nn.MSELoss() if optimizer.step_kind == "residuals" else nn.CrossEntropyLoss()
    clip = {"clip_grad_norm": 1.0} if feature == "clip" else {}
    trainer = rp.Trainer(model, loss, optimizer, **clip)
    callbacks = []
    if feature == "schedule":
        schedule = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.8)
        callbacks = [rp.callbacks.LearningRateScheduler(schedule)]
    if feature == "one_cycle":  # per batch, over the 3 + 1 epochs that the test trains,
        # cycling the momentum (or Adam's beta1) of the optimizers that have one
        cycle = "momentum" in optimizer.defaults or "betas" in optimizer.defaults
        schedule = optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=optimizer.defaults.get("lr", 0.1), epochs=4, cycle_momentum=cycle,
            steps_per_epoch=1 if optimizer.full_batch else math.ceil(600 / 64))
        callbacks = [rp.callbacks.LearningRateScheduler(schedule, interval="batch")]
    return trainer, callbacks


def targets(trainer, y):
    return np.eye(10, dtype=np.float32)[y] if trainer.optimizer.step_kind == "residuals" else y


def fit(trainer, X, y, callbacks, epochs):
    batch_size = None if trainer.optimizer.full_batch else 64
    return trainer.fit(X, targets(trainer, y), epochs=epochs, batch_size=batch_size,
                       callbacks=callbacks, verbose=0)


def refusal(name, feature):
    """The error a refused combination gives (and whether ``fit`` gives it, rather than
    the Trainer's or the schedule's construction), or None."""
    optimizer_class = type(OPTIMIZERS[name](build("mlp", "none").parameters()))
    if feature in ("schedule", "one_cycle") and not optimizer_class.has_lr:
        return TypeError, "has no learning rate", False
    if feature == "clip" and optimizer_class.step_kind != "gradient":
        return ValueError, "clip", False
    if feature in ("l1", "max_norm") and not optimizer_class.allows_projection:
        return ValueError, "cannot train layers with an L1 penalty or a weight constraint", True
    return None


def test_the_methods_that_carry_their_steps_refuse_projections():
    """Conjugate gradient, L-BFGS, BFGS and Levenberg–Marquardt carry a direction,
    curvature pairs or a trust region from one step to the next: a soft-threshold or a
    projection between steps made their loss rise (L-BFGS with l1=0.01: 1.50, 2.19, 7.47,
    18.6 in six epochs). The others take them."""
    refusing = {name for name in OPTIMIZERS
                if not type(OPTIMIZERS[name](build("mlp", "none").parameters()))
                .allows_projection}
    assert refusing == {"ConjugateGradient", "LBFGS", "BFGS", "LevenbergMarquardt"}


@pytest.mark.parametrize("model_kind", MODELS)
@pytest.mark.parametrize("feature", FEATURES)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_combination_trains_and_resumes_bit_for_bit(data, tmp_path, name, feature, model_kind):
    X, y = data
    refused = refusal(name, feature)
    if refused is not None:
        error, message, by_fit = refused
        with pytest.raises(error, match=message):
            trainer, callbacks = setup(name, model_kind, feature)
            fit(trainer, X, y, callbacks, epochs=1)
        if by_fit:  # and before any step
            assert not trainer.optimizer.state
        return
    trainer, callbacks = setup(name, model_kind, feature)
    history = fit(trainer, X, y, callbacks, epochs=3)
    losses = history.history["loss"]
    assert all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], losses

    path = tmp_path / "run.rpz"
    rp.save(trainer.model, path, optimizer=trainer.optimizer)
    resumed, resumed_callbacks = setup(name, model_kind, feature)
    resumed.model.load_state_dict(rp.load(path).state_dict())
    resumed.optimizer.load_state_dict(rp.load_optimizer_state(path))
    if callbacks:
        resumed_callbacks[0].schedule.load_state_dict(callbacks[0].schedule.state_dict())
    for run, extra in ((trainer, callbacks), (resumed, resumed_callbacks)):
        rp.manual_seed(7)
        fit(run, X, y, extra, epochs=1)
    straight, again = trainer.model.state_dict(), resumed.model.state_dict()
    assert straight.keys() == again.keys()
    for key in straight:
        np.testing.assert_array_equal(straight[key], again[key], err_msg=key)


@pytest.mark.parametrize("frozen_when", ["after_a_fit", "before_the_optimizer"])
@pytest.mark.parametrize("feature", ["l1", "l2", "max_norm"])
@pytest.mark.parametrize("name", [n for n in OPTIMIZERS
                                  if type(OPTIMIZERS[n](build("mlp", "none").parameters()))
                                  .allows_projection])
def test_a_frozen_layer_keeps_its_weights_under_l1_and_constraints(data, name, feature,
                                                                   frozen_when):
    """A frozen layer (``requires_grad = False``), frozen after an epoch or before the
    optimizer was built on every parameter (as a PyTorch transfer-learning loop does),
    takes no step, so it takes no L1 soft-threshold either (its step size is 0), no L2
    decay and no projection, as Keras constrains only the variables it updates. (L1 used
    to shrink it by the optimizer's last rate for it: Adam and Adagrad zeroed weights;
    max-norm rescaled weights loaded into it.)"""
    X, y = data
    model = build("mlp", feature)
    if frozen_when == "before_the_optimizer":
        model[0].weight.requires_grad = False
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), OPTIMIZERS[name](model.parameters()))
    if frozen_when == "after_a_fit":
        fit(trainer, X, y, [], epochs=1)
    model[0].weight.requires_grad = False
    if feature == "max_norm":
        model[0].weight.data[0] *= 4  # a unit's weights of another run, beyond the bound
    frozen, trained = model[0].weight.data.copy(), model[2].weight.data.copy()
    fit(trainer, X, y, [], epochs=1)
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[2].weight.data, trained)
