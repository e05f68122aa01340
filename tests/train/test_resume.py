"""Exact resume in process: a run stopped mid-epoch (a crash, or Ctrl-C) and continued with
``fit(resume_from=...)`` by a fresh model, optimizer and callbacks ends with the weights of
the uninterrupted run, bit for bit."""

import os
import signal
import time

import numpy as np
import pytest

import retroprop as rp
from retroprop.serialization import load_training_state
from tests.train.conftest import same_weights, weights

N, BATCH, EPOCHS = 200, 32, 3  # 7 batches an epoch


class Crash(Exception):
    pass


class CrashAfter(rp.callbacks.Callback):
    """Raises after ``limit`` training batches (0: never), as a crash would; not saved."""

    def __init__(self, limit=0, interrupt=False):
        self.limit, self.interrupt, self.count = limit, interrupt, 0

    def state_dict(self):
        return {}

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1
        if self.count == self.limit:
            if self.interrupt:  # Ctrl-C during the batch: training stops at its end
                os.kill(os.getpid(), signal.SIGINT)
            else:
                raise Crash


def sgd_dropout_batchnorm():
    model = rp.nn.Sequential(rp.nn.Linear(64, 32), rp.nn.BatchNorm1d(32), rp.nn.ReLU(),
                             rp.nn.Dropout(0.3), rp.nn.Linear(32, 10))
    return model, rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9), []


def adam_step_lr():
    model = rp.models.mlp([64, 16, 10])
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    schedule = rp.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, [rp.callbacks.LearningRateScheduler(schedule)]


def adam_one_cycle_per_batch():
    """OneCycleLR stepped after every batch, cycling Adam's beta1."""
    model = rp.models.mlp([64, 16, 10])
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    schedule = rp.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=EPOCHS,
                                                steps_per_epoch=7)
    return model, optimizer, [rp.callbacks.LearningRateScheduler(schedule, interval="batch")]


def lbfgs():
    model = rp.models.mlp([64, 10])
    return model, rp.optim.LBFGS(model.parameters(), max_iter=3), []


def plateau_early_stopping_csv(folder):
    model = rp.models.mlp([64, 16, 10])
    optimizer = rp.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    return model, optimizer, [
        rp.callbacks.ReduceLROnPlateau("val_accuracy", factor=0.5, patience=0,
                                       min_delta=0.5),
        rp.callbacks.EarlyStopping("val_accuracy", patience=1, min_delta=0.5),
        rp.callbacks.CSVLogger(folder / "history.csv")]


def run(build, data, checkpoint, limit=0, resume=False, interrupt=False, every=3,
        seconds=None, metrics=None, **fit):
    """Train from seed 0 with a resumable checkpoint (every ``every`` batches or
    ``seconds``), crashing after ``limit`` batches, or resuming from the checkpoint."""
    rp.manual_seed(0)
    model, optimizer, callbacks = build()
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer,
                         **({} if metrics is None else {"metrics": metrics}))
    callbacks = [*callbacks, rp.callbacks.ModelCheckpoint(
        checkpoint, resumable=True, every_batches=every, every_seconds=seconds),
        CrashAfter(limit, interrupt)]
    rp.manual_seed(1)  # a resumed run must not depend on the generator it starts with
    X, y = data
    fit = {"batch_size": BATCH} | fit
    history = trainer.fit(X[:N], y[:N], epochs=EPOCHS, verbose=0,
                          callbacks=callbacks,
                          resume_from=checkpoint if resume else None, **fit)
    return trainer, history


def interrupted_then_resumed(build, data, folder, limit, interrupt=False, every=3,
                             metrics=None, **fit):
    """The weights and history of an uninterrupted run and of one stopped after ``limit``
    batches and resumed."""
    reference, reference_history = run(build, data, folder / "reference.rpz", every=every,
                                       metrics=metrics, **fit)
    checkpoint = folder / "run.rpz"
    with pytest.raises(KeyboardInterrupt if interrupt else Crash):
        run(build, data, checkpoint, limit, interrupt=interrupt, every=every,
            metrics=metrics, **fit)
    assert rp.load(checkpoint) is not None
    resumed, history = run(build, data, checkpoint, resume=True, every=every,
                           metrics=metrics, **fit)
    assert same_weights(weights(reference.model), weights(resumed.model))
    assert history.history == reference_history.history
    return reference, resumed


def shared_layers():
    """A hidden layer and a batch normalization used twice each (shared weights and
    running statistics)."""
    hidden, norm = rp.nn.Linear(32, 32), rp.nn.BatchNorm1d(32)
    model = rp.nn.Sequential(rp.nn.Linear(64, 32), norm, rp.nn.Tanh(), hidden, norm,
                             rp.nn.Tanh(), hidden, rp.nn.Linear(32, 10))
    return model, rp.optim.Adam(model.parameters(), lr=0.01), []


def test_a_model_with_shared_layers_resumes_bit_identical(digits, tmp_path):
    X, y, *_ = digits
    reference, resumed = interrupted_then_resumed(shared_layers, (X, y), tmp_path, 5,
                                                  shuffle=True)
    loaded = rp.load(tmp_path / "run.rpz")
    assert loaded[6] is loaded[3] and loaded[4] is loaded[1]
    buffers = lambda t: {k: v.copy() for k, v in t.model.named_buffers()}  # noqa: E731
    assert same_weights(buffers(reference), buffers(resumed))


@pytest.mark.parametrize("limit", [5, 8, 12])
def test_sgd_dropout_batchnorm_shuffle_augment_resume_bit_identical(digits, tmp_path, limit):
    X, y, *_ = digits
    shift = rp.data.augment.RandomShift(1, image_shape=(8, 8))
    reference, resumed = interrupted_then_resumed(
        sgd_dropout_batchnorm, (X, y), tmp_path, limit, shuffle=True, augment=shift,
        validation_data=(X[N:N + 50], y[N:N + 50]))
    buffers = lambda t: {k: v.copy() for k, v in t.model.named_buffers()}  # noqa: E731
    assert same_weights(buffers(reference), buffers(resumed))
    velocity = lambda t: [s["momentum_buffer"] for s in t.optimizer.state.values()]  # noqa: E731
    assert all(np.array_equal(a, b) for a, b in zip(velocity(reference), velocity(resumed),
                                                    strict=True))


def test_without_metrics_an_epoch_keeps_no_outputs_and_resumes(digits, tmp_path):
    """Nothing reads the outputs or labels of an epoch without metrics: they are not kept
    (2.4 MB and 0.48 MB for an epoch of Fashion-MNIST), and a checkpoint written mid-epoch
    has none, but the sizes of its finished batches."""
    X, y, *_ = digits
    interrupted_then_resumed(sgd_dropout_batchnorm, (X, y), tmp_path, 5, metrics=[])
    with pytest.raises(Crash):
        run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", 5, metrics=[])
    state = load_training_state(tmp_path / "other.rpz")["epoch_state"]
    assert state["batch"] == 3 and state["outputs"] is None and state["targets"] is None
    assert state["done"] == [BATCH] * 3
    with pytest.raises(ValueError, match=r"without metrics, so it holds no outputs of that "
                       r"epoch's first 3 batches to compute \['accuracy'\]"):
        run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", resume=True,
            metrics=["accuracy"])


def test_an_epoch_state_keeps_outputs_and_labels_only_for_metrics():
    """A checkpoint written with metrics resumed without them, and one written before
    2026-11-25 without metrics (labels but no outputs), keep no per-batch arrays."""
    order, labels = np.arange(6), np.arange(6) % 3
    state = {"order": order, "sizes": [2, 2, 2], "last_good": {}, "batch": 2, "total": 1.0,
             "seen": 4, "outputs": np.ones((4, 3)), "targets": labels[:4], "done": [2, 2]}
    kept = rp.train.resume.EpochState.from_state_dict(state, metrics=True)
    assert [len(b) for b in kept.batches] == [2, 2, 2]
    assert [o.shape for o in kept.outputs] == [(2, 3)] * 2 and len(kept.targets) == 2
    for written in (state, state | {"outputs": None}):
        epoch = rp.train.resume.EpochState.from_state_dict(written, metrics=False)
        assert epoch.outputs == [] and epoch.targets == [] and len(epoch.batches) == 3
    old = rp.train.resume.EpochState.from_state_dict(state | {"outputs": None}, metrics=True)
    assert old.targets == [] and old.batch == 2


def test_adam_with_step_lr_resumes_its_moments_and_schedule(digits, tmp_path):
    X, y, *_ = digits
    _, resumed = interrupted_then_resumed(adam_step_lr, (X, y), tmp_path, 10)
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5 ** EPOCHS)


@pytest.mark.parametrize("limit", [4, 10])
def test_one_cycle_stepped_per_batch_resumes_mid_epoch(digits, tmp_path, limit):
    """The schedule's step count and Adam's cycled beta1 come back with the checkpoint
    written after a batch: the resumed run ends at the end of the cycle, bit for bit."""
    X, y, *_ = digits
    reference, resumed = interrupted_then_resumed(adam_one_cycle_per_batch, (X, y), tmp_path,
                                                  limit)
    for run_ in (reference, resumed):
        group = run_.optimizer.param_groups[0]
        assert group["lr"] < 0.05 / 25 and group["betas"][0] > 0.94  # near the end


def test_hard_example_sampling_every_seconds_resumes(digits, tmp_path):
    X, y, *_ = digits
    # every_seconds tiny: a checkpoint after every batch
    interrupted_then_resumed(adam_step_lr, (X, y), tmp_path, 11, every=None, seconds=1e-9,
                             sampling="hard_examples")


def test_full_batch_lbfgs_resumes(digits, tmp_path):
    X, y, *_ = digits
    interrupted_then_resumed(lbfgs, (X, y), tmp_path, 2, every=1, batch_size=None)


def test_plateau_early_stopping_and_csv_history_once_per_epoch(digits, tmp_path):
    X, y, *_ = digits
    build = lambda: plateau_early_stopping_csv(tmp_path)  # noqa: E731
    validation = (X[N:N + 50], y[N:N + 50])
    reference, _ = run(build, (X, y), tmp_path / "reference.rpz", validation_data=validation)
    expected = (tmp_path / "history.csv").read_text()
    assert reference.optimizer.param_groups[0]["lr"] < 0.5  # the plateau rule acted
    checkpoint = tmp_path / "run.rpz"
    with pytest.raises(Crash):
        run(build, (X, y), checkpoint, limit=10, validation_data=validation)
    resumed, _ = run(build, (X, y), checkpoint, resume=True, validation_data=validation)
    assert same_weights(weights(reference.model), weights(resumed.model))
    assert (tmp_path / "history.csv").read_text() == expected
    lines = expected.splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [str(e) for e in range(len(lines) - 1)]


def test_resume_from_an_epoch_end_checkpoint(digits, tmp_path):
    X, y, *_ = digits
    # every_batches larger than an epoch: only the epoch ends write
    interrupted_then_resumed(sgd_dropout_batchnorm, (X, y), tmp_path, 10, every=100)


def test_ctrl_c_stops_after_the_batch_and_writes_the_checkpoint(digits, tmp_path, capfd):
    X, y, *_ = digits
    interrupted_then_resumed(sgd_dropout_batchnorm, (X, y), tmp_path, 4, interrupt=True,
                             every=100)
    message = capfd.readouterr().err
    assert "Interrupted after batch 3 of epoch 1" in message and "resume_from=" in message
    assert str(tmp_path / "run.rpz") in message
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_resume_refuses_bad_checkpoints(digits, tmp_path):
    X, y, *_ = digits
    plain = tmp_path / "plain.rpz"
    rp.save(rp.models.mlp([64, 16, 10]), plain)
    with pytest.raises(rp.ModelFileError, match="without a training state"):
        run(adam_step_lr, (X, y), plain, resume=True)
    with pytest.raises((FileNotFoundError, rp.ModelFileError), match=r"missing\.rpz"):
        run(adam_step_lr, (X, y), tmp_path / "missing.rpz", resume=True)
    checkpoint = tmp_path / "run.rpz"
    with pytest.raises(Crash):
        run(adam_step_lr, (X, y), checkpoint, limit=4)
    with pytest.raises(ValueError, match="other arguments or data: batch_size=32 there, 16"):
        run(adam_step_lr, (X, y), checkpoint, resume=True, batch_size=16)
    with pytest.raises(ValueError, match="written with the callbacks"):
        run(sgd_dropout_batchnorm, (X, y), checkpoint, resume=True)
    with pytest.raises(ValueError, match="holds another model"):
        run(narrower_adam_step_lr, (X, y), checkpoint, resume=True)


def narrower_adam_step_lr():
    model = rp.models.mlp([64, 8, 10])
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    schedule = rp.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, [rp.callbacks.LearningRateScheduler(schedule)]


def test_timed_checkpoints_restart_their_clock_in_a_resumed_run(digits, tmp_path,
                                                                  monkeypatch):
    """``time.monotonic()`` counts from a point another process does not share (after a
    reboot it starts near 0 again): the clock reading of the last timed checkpoint is not
    saved, so a resumed run writes its timed checkpoints every ``every_seconds`` again."""
    X, y, *_ = digits
    clock = iter(range(10**6, 10**7, 10))
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    checkpoint = tmp_path / "run.rpz"
    with pytest.raises(Crash):
        run(adam_step_lr, (X, y), checkpoint, limit=5, every=None, seconds=15)
    clock = iter(range(100, 10**6, 10))  # the new process's clock: far behind
    written = []
    monkeypatch.setattr(rp.callbacks.ModelCheckpoint, "_write",
                        lambda self, state: written.append(state))
    run(adam_step_lr, (X, y), checkpoint, resume=True, every=None, seconds=15)
    assert len(written) > 3  # about one every other batch, not none until the old reading


def adam_frozen_first_layer():
    """The first layer frozen before the optimizer is built on every parameter (a
    transfer-learning run): the optimizer keeps no state for it."""
    model = rp.models.mlp([64, 16, 10])
    model[0].requires_grad_(False)
    return model, rp.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3), []


def test_a_run_with_a_frozen_layer_resumes_bit_identical(digits, tmp_path):
    X, y, *_ = digits
    _, resumed = interrupted_then_resumed(adam_frozen_first_layer, (X, y), tmp_path,
                                          5, shuffle=True)
    rp.manual_seed(0)
    untouched = rp.models.mlp([64, 16, 10])[0].weight.data
    np.testing.assert_array_equal(resumed.model[0].weight.data, untouched)
    assert resumed.model[0].weight not in resumed.optimizer.state
