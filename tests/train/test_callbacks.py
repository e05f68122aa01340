import csv
import re

import numpy as np
import pytest

import retroprop as rp
from retroprop.callbacks.base import CallbackList
from tests.train.conftest import diverging, make_trainer, same_weights, weights


class Snapshots(rp.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(weights(self.model))


def test_early_stopping_restores_best_weights_when_it_stops(digits):
    X, y, *_ = digits
    snapshots = Snapshots()
    stopper = rp.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    trainer = make_trainer(lr=0.3)
    history = trainer.fit(X, y, epochs=60, validation_split=0.2, verbose=0,
                          callbacks=[snapshots, stopper])
    losses = history.history["val_loss"]
    assert stopper.stopped_epoch is not None and len(losses) < 60
    best = int(np.argmin(losses))
    assert stopper.best_epoch == best
    assert same_weights(weights(trainer.model), snapshots.weights[best])


def test_early_stopping_restores_best_weights_after_the_last_epoch(digits):
    X, y, *_ = digits
    snapshots = Snapshots()
    stopper = rp.callbacks.EarlyStopping(monitor="val_loss", patience=100)
    trainer = make_trainer(lr=0.5)
    history = trainer.fit(X, y, epochs=12, validation_split=0.2, verbose=0,
                          callbacks=[snapshots, stopper])
    best = int(np.argmin(history.history["val_loss"]))
    assert stopper.stopped_epoch is None
    assert best != 11, "the setup must make the last epoch worse than the best one"
    assert same_weights(weights(trainer.model), snapshots.weights[best])


@pytest.mark.parametrize("callback", [
    lambda: rp.callbacks.EarlyStopping(),
    lambda: rp.callbacks.ReduceLROnPlateau(),
    lambda: rp.callbacks.ModelCheckpoint("unused.rpz", save_best_only=True),
])
def test_monitors_of_validation_values_need_validation_data(digits, callback):
    """Refused before the first epoch, with a short message (not after training one)."""
    X, y, *_ = digits
    trainer = make_trainer()
    before = weights(trainer.model)
    with pytest.raises(ValueError, match="monitor='val_loss' needs validation data"):
        trainer.fit(X, y, epochs=1, verbose=0, callbacks=[callback()])
    assert same_weights(weights(trainer.model), before)


def test_a_monitor_missing_from_the_logs_is_named(digits):
    X, y, *_ = digits
    with pytest.raises(ValueError, match="'val_acc' is not in the epoch's logs"):
        make_trainer().fit(X, y, epochs=1, verbose=0, validation_split=0.2,
                           callbacks=[rp.callbacks.EarlyStopping(monitor="val_acc")])


# the diverging run overflows on purpose
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_terminate_on_nan_restores_the_weights_the_last_finite_batch_started_from(digits):
    X, y, *_ = digits
    trainer, X, targets = diverging(X, y)
    snapshots = []

    class Before(rp.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            snapshots.append(weights(self.model))

    terminator = rp.callbacks.TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="loss is"):
        trainer.fit(X, targets, epochs=2, batch_size=32, verbose=0, divergence_factor=None,
                    callbacks=[Before(), terminator])
    epoch, batch, loss = terminator.bad_batch
    assert not np.isfinite(loss) and epoch in (0, 1) and batch >= 0
    # the step of the batch before made the weights that overflow: its start is restored
    assert same_weights(weights(trainer.model), snapshots[-2])
    assert np.isfinite(trainer.predict(X)).all()
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+: loss is"):
        again, X, targets = diverging(*digits[:2])
        again.fit(X, targets, epochs=2, batch_size=32, verbose=0, divergence_factor=None,
                  callbacks=[rp.callbacks.TerminateOnNaN(raise_error=True)])


def test_reduce_lr_on_plateau_lowers_the_rate(digits):
    X, y, *_ = digits
    reducer = rp.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                             min_delta=10.0)
    trainer = make_trainer(lr=0.1)
    history = trainer.fit(X, y, epochs=3, verbose=0, callbacks=[reducer])
    # Each epoch logs the rate it trained with; the cut after epoch 2 shows from epoch 3 on.
    assert history.history["lr"] == [0.1, 0.1, 0.05]
    assert trainer.optimizer.param_groups[0]["lr"] == 0.025


def test_model_checkpoint_and_csv_logger(digits, tmp_path):
    X, y, X_test, _ = digits
    checkpoint = rp.callbacks.ModelCheckpoint(tmp_path / "best-{epoch:02d}.rpz",
                                              monitor="val_accuracy", save_best_only=True)
    logger = rp.callbacks.CSVLogger(tmp_path / "log.csv")
    trainer = make_trainer()
    trainer.fit(X, y, epochs=4, validation_split=0.2, verbose=0, callbacks=[checkpoint, logger])
    assert checkpoint.saved and all(p.endswith(".rpz") for p in checkpoint.saved)
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(rows[0])
    best = rp.load(checkpoint.saved[-1])
    assert best(X_test).shape == (len(X_test), 10)
    with pytest.raises(ValueError, match="path field 'nope'"):
        make_trainer().fit(X, y, epochs=1, verbose=0, callbacks=[
            rp.callbacks.ModelCheckpoint(tmp_path / "{nope}.rpz")])


def test_callbacks_must_be_callbacks(digits):
    X, y, *_ = digits
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a Callback"):
        make_trainer().fit(X, y, epochs=1, verbose=0, callbacks=["early"])


def test_a_schedule_of_another_optimizer_is_refused(digits):
    """A schedule built on an optimizer that the Trainer does not use (one built again
    after the schedule) would change rates nothing reads: refused before training."""
    X, y, *_ = digits
    trainer = make_trainer()
    stale = rp.optim.SGD(trainer.model.parameters(), lr=0.1)
    schedule = rp.optim.lr_scheduler.StepLR(stale, step_size=1, gamma=0.5)
    with pytest.raises(ValueError, match="not the Trainer's optimizer"):
        trainer.fit(X[:64], y[:64], epochs=2, verbose=0,
                    callbacks=[rp.callbacks.LearningRateScheduler(schedule)])
    assert stale.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("path", ["m-{}.rpz", "m-{0}.rpz", "m-{0.real}.rpz", "m-{[0]}.rpz"])
def test_model_checkpoint_refuses_a_positional_field_before_training(path):
    """'{}' failed with an IndexError after the first epoch."""
    with pytest.raises(ValueError, match=r"has a positional field"):
        rp.callbacks.ModelCheckpoint(path)


@pytest.mark.parametrize("path", ["m-{.rpz", "m-}.rpz"])
def test_model_checkpoint_names_unbalanced_braces(path):
    """string.Formatter's own message named neither the callback nor the path."""
    with pytest.raises(ValueError, match=rf"ModelCheckpoint: path {re.escape(repr(path))} is "
                                         r"not a format string \(.*\); double the braces"):
        rp.callbacks.ModelCheckpoint(path)


def test_model_checkpoint_names_a_format_that_does_not_fit(digits, tmp_path):
    X, y, *_ = digits
    kept = rp.callbacks.ModelCheckpoint(tmp_path / "m-{{x}}-{epoch}.rpz")
    make_trainer().fit(X[:64], y[:64], epochs=1, verbose=0, callbacks=[kept])
    assert kept.saved == [str(tmp_path / "m-{x}-1.rpz")]
    with pytest.raises(ValueError, match=r"path .*\{loss:d\}.* cannot be filled in with "
                                         r"epoch=1 .*Unknown format code 'd'"):
        make_trainer().fit(X[:64], y[:64], epochs=1, verbose=0, callbacks=[
            rp.callbacks.ModelCheckpoint(tmp_path / "m-{loss:d}.rpz")])


@pytest.mark.parametrize("separator", [";;", "", None])
def test_csv_logger_refuses_a_separator_that_is_not_one_character(separator):
    """It failed inside the csv module after the first epoch."""
    with pytest.raises(ValueError, match=rf"separator must be one character, got "
                                         rf"{re.escape(repr(separator))}"):
        rp.callbacks.CSVLogger("log.csv", separator=separator)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_logger_appends_under_the_files_header(digits, tmp_path, separator):
    """A run that logs the same values in another order writes them under the header; one
    that logs other values (here validation added) is refused: its rows went under the old
    header shifted, val_loss in the lr column."""
    X, y, *_ = digits
    path = tmp_path / "log.csv"
    path.write_text(separator.join(["epoch", "lr", "accuracy", "loss"]) + "\n")
    make_trainer().fit(X[:64], y[:64], epochs=2, verbose=0,
                       callbacks=[rp.callbacks.CSVLogger(path, separator, append=True)])
    rows = list(csv.DictReader(open(path), delimiter=separator))
    assert [r["epoch"] for r in rows] == ["0", "1"] and {r["lr"] for r in rows} == {"0.1"}
    with pytest.raises(ValueError, match=r"has the columns \['epoch', 'lr', 'accuracy', "
                                         r"'loss'\], this run logs \['epoch', 'loss', "
                                         r"'accuracy', 'val_loss', 'val_accuracy', 'lr'\]"):
        make_trainer().fit(X[:64], y[:64], epochs=1, verbose=0, validation_split=0.25,
                           callbacks=[rp.callbacks.CSVLogger(path, separator, append=True)])
    assert len(list(csv.DictReader(open(path), delimiter=separator))) == 2


class Recorder(rp.callbacks.Callback):
    """Records the hooks of the epoch, the training batches, evaluation and prediction."""

    def __init__(self):
        self.calls = []


def _recording(hook):
    def record(self, *args):
        self.calls.append((hook, *args[:-1], dict(args[-1])))
    return record


for _hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
              "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
              "on_predict_end"):
    setattr(Recorder, _hook, _recording(_hook))


def test_evaluate_calls_the_test_hooks_in_keras_order(digits):
    X, y, *_ = digits
    X, y = X[:100], y[:100]
    trainer, recorder = make_trainer(), Recorder()
    result = trainer.evaluate(X, y, batch_size=32, callbacks=[recorder])
    assert result == trainer.evaluate(X, y, batch_size=32)  # the hooks change nothing
    names = [call[0] for call in recorder.calls]
    assert names == ["on_test_begin", *["on_test_batch_begin", "on_test_batch_end"] * 4,
                     "on_test_end"]
    assert recorder.calls[0][1] == {} and recorder.calls[-1][1] == result
    for batch, start in enumerate(range(0, 100, 32)):
        size = min(32, 100 - start)
        begin, end = recorder.calls[1 + 2 * batch], recorder.calls[2 + 2 * batch]
        assert begin[1:] == (batch, {"size": size})
        assert end[1] == batch and end[2]["size"] == size and sorted(end[2]) == ["loss", "size"]
        alone = trainer.evaluate(X[start:start + size], y[start:start + size])["loss"]
        assert end[2]["loss"] == pytest.approx(alone, rel=1e-6)
    assert recorder.params["steps"] == 4 and recorder.params["samples"] == 100


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_classes"])
def test_predict_calls_the_predict_hooks_in_keras_order(digits, method):
    X, *_ = digits
    X = X[:70]
    trainer, recorder = make_trainer(), Recorder()
    result = getattr(trainer, method)(X, batch_size=30, callbacks=[recorder])
    np.testing.assert_array_equal(result, getattr(trainer, method)(X, batch_size=30))
    names = [call[0] for call in recorder.calls]
    assert names == ["on_predict_begin", *["on_predict_batch_begin", "on_predict_batch_end"] * 3,
                     "on_predict_end"]
    assert recorder.calls[0][1] == {} and recorder.calls[-1][1] == {}
    ends = recorder.calls[2:-1:2]
    assert [(c[1], c[2]["size"]) for c in ends] == [(0, 30), (1, 30), (2, 10)]
    assert [c[1:] for c in recorder.calls[1:-1:2]] == [(0, {"size": 30}), (1, {"size": 30}),
                                                       (2, {"size": 10})]
    np.testing.assert_array_equal(np.concatenate([c[2]["outputs"] for c in ends]),
                                  trainer.predict(X, batch_size=30))


def test_fit_validates_between_the_test_hooks_of_its_callbacks(digits):
    X, y, X_val, y_val = digits
    X, y = X[:64], y[:64]
    recorder = Recorder()
    history = make_trainer().fit(X, y, epochs=2, batch_size=32, verbose=0, callbacks=[recorder],
                                 validation_data=(X_val, y_val))
    names = [call[0] for call in recorder.calls]
    epoch = ["on_epoch_begin", *["on_train_batch_begin", "on_train_batch_end"] * 2,
             "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
             "on_epoch_end"]
    assert names == epoch * 2
    for number in range(2):
        calls = recorder.calls[number * len(epoch):(number + 1) * len(epoch)]
        assert calls[6][1:] == (0, {"size": len(X_val)})  # one batch of PREDICT_BATCH rows
        assert calls[7][1] == 0
        validation = {k[4:]: v for k, v in calls[-1][2].items() if k.startswith("val_")}
        assert calls[8][1] == validation
        assert validation["loss"] == history.history["val_loss"][number]


class FinalLogs(rp.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.logs = logs


def test_on_train_end_gets_the_last_epochs_logs_as_in_keras(digits):
    """Keras's fit passes the last epoch's logs to ``on_train_end``: its final loss,
    metrics, validation values and rate."""
    X, y, X_val, y_val = digits
    final = FinalLogs()
    history = make_trainer().fit(X[:64], y[:64], epochs=2, batch_size=32, verbose=0,
                                 callbacks=[final], validation_data=(X_val, y_val))
    assert final.logs == {key: values[-1] for key, values in history.history.items()}
    assert {"loss", "val_loss", "lr"} <= set(final.logs)


def test_fit_calls_no_test_hook_without_validation(digits):
    X, y, *_ = digits
    recorder = Recorder()
    make_trainer().fit(X[:64], y[:64], epochs=1, batch_size=32, verbose=0, callbacks=[recorder])
    assert not [call for call in recorder.calls if "test" in call[0]]


def test_callback_lists_know_which_no_op_hooks_are_defined():
    trainer = make_trainer()
    hooks = CallbackList([rp.callbacks.History(), rp.callbacks.ProgressBar()], trainer, {})
    assert not hooks.defines("on_test_batch_begin", "on_test_batch_end")
    assert CallbackList([Recorder()], trainer, {}).defines("on_test_batch_end")


class Failing(rp.callbacks.Callback):
    def __init__(self, hook):
        setattr(self, hook, self.fail)

    def fail(self, *args):
        raise RuntimeError("hook failed")


@pytest.mark.parametrize("hook", ["on_test_begin", "on_test_batch_begin", "on_test_batch_end",
                                  "on_test_end"])
def test_an_error_in_a_test_hook_ends_evaluate_and_fit(digits, hook):
    X, y, *_ = digits
    with pytest.raises(RuntimeError, match="hook failed"):
        make_trainer().evaluate(X[:10], y[:10], callbacks=[Failing(hook)])
    with pytest.raises(RuntimeError, match="hook failed"):
        make_trainer().fit(X[:10], y[:10], verbose=0, callbacks=[Failing(hook)],
                           validation_data=(X[10:20], y[10:20]))


@pytest.mark.parametrize("hook", ["on_predict_begin", "on_predict_batch_begin",
                                  "on_predict_batch_end", "on_predict_end"])
def test_an_error_in_a_predict_hook_ends_predict(digits, hook):
    X, *_ = digits
    with pytest.raises(RuntimeError, match="hook failed"):
        make_trainer().predict(X[:10], callbacks=[Failing(hook)])


@pytest.mark.parametrize("call", [
    lambda trainer, X, y, callbacks: trainer.evaluate(X, y, callbacks=callbacks),
    lambda trainer, X, y, callbacks: trainer.predict(X, callbacks=callbacks),
    lambda trainer, X, y, callbacks: trainer.predict_classes(X, callbacks=callbacks),
    lambda trainer, X, y, callbacks: trainer.fit(X, y, verbose=0, callbacks=callbacks)])
@pytest.mark.parametrize(("callbacks", "message"), [
    (rp.callbacks.EarlyStopping(), r"callbacks must be a list of callbacks, got one "
                                   r"EarlyStopping: write callbacks=\[EarlyStopping\(...\)\]"),
    (["early"], r"callbacks\[0\] must be a Callback, got str"),
    (5, r"callbacks must be a list of callbacks, got int"),
    ("early", r"callbacks must be a list of callbacks, got str")])
def test_bad_callbacks_get_fits_message_everywhere(digits, call, callbacks, message):
    X, y, *_ = digits
    with pytest.raises(TypeError, match=message):
        call(make_trainer(), X[:10], y[:10], callbacks)


def test_fit_takes_callbacks_from_any_iterable(digits):
    X, y, *_ = digits
    recorder = Recorder()
    make_trainer().fit(X[:10], y[:10], verbose=0, callbacks=(c for c in [recorder]))
    assert recorder.calls[0][0] == "on_epoch_begin"


def test_the_callback_example_runs():
    import doctest

    from retroprop.callbacks import base

    failures, tried = doctest.testmod(base)
    assert tried > 0 and failures == 0
