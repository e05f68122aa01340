"""``Trainer.fit(initial_epoch=, validation_freq=)`` as Keras's: epochs numbered from
``initial_epoch`` up to ``epochs`` (the index of the last, not a count), and validation
every ``validation_freq`` epochs, the monitoring callbacks skipping the others."""

import os

import pytest

import retroprop as rp
from retroprop import nn, optim
from tests.train.conftest import same_weights, weights
from tests.train.test_resume import Crash, interrupted_then_resumed, run, sgd_dropout_batchnorm


class Epochs(rp.callbacks.Callback):
    """Records the epoch numbers its hooks receive."""

    def on_train_begin(self, logs=None):
        self.begin, self.end = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.begin.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.end.append(epoch)


def trainer_for(lr=0.1):
    rp.manual_seed(0)
    model = rp.models.mlp([64, 16, 10])
    return rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr,
                                                                momentum=0.9))


def halving(epoch, lr):
    return 0.2 * 0.5 ** epoch


# ---------------------------------------------------------------------- initial_epoch
def test_initial_epoch_numbers_the_epochs_and_continues_a_run(digits):
    """fit(epochs=2) then fit(initial_epoch=2, epochs=5) is the 5-epoch run, bit for bit:
    the callbacks and the schedule see epochs 2, 3, 4."""
    X, y, *_ = digits
    X, y = X[:200], y[:200]
    whole = trainer_for()
    rp.manual_seed(1)
    reference = whole.fit(X, y, epochs=5, batch_size=32, verbose=0,
                          callbacks=[rp.callbacks.LearningRateScheduler(halving)])
    parts = trainer_for()
    rp.manual_seed(1)
    first = parts.fit(X, y, epochs=2, batch_size=32, verbose=0,
                      callbacks=[rp.callbacks.LearningRateScheduler(halving)])
    seen = Epochs()
    second = parts.fit(X, y, epochs=5, batch_size=32, verbose=0, initial_epoch=2,
                       callbacks=[rp.callbacks.LearningRateScheduler(halving), seen])
    assert seen.begin == seen.end == second.epoch == [2, 3, 4]
    assert first.epoch == [0, 1]
    assert second.history["lr"] == reference.history["lr"][2:] == [0.05, 0.025, 0.0125]
    assert first.history["loss"] + second.history["loss"] == reference.history["loss"]
    assert same_weights(weights(whole.model), weights(parts.model))


def test_initial_epoch_at_epochs_trains_nothing_and_past_it_is_refused(digits):
    X, y, *_ = digits
    trainer = trainer_for()
    before = weights(trainer.model)
    assert trainer.fit(X[:64], y[:64], epochs=3, initial_epoch=3, verbose=0).epoch == []
    assert same_weights(before, weights(trainer.model))
    with pytest.raises(ValueError, match=r"fit: initial_epoch=5 is past epochs=3; as in "
                                         r"Keras, epochs is the index of the last epoch, "
                                         r"not a count \(to train 3 more epochs, pass "
                                         r"epochs=8\)"):
        trainer.fit(X[:64], y[:64], epochs=3, initial_epoch=5, verbose=0)
    with pytest.raises(ValueError, match=r"fit: initial_epoch must be an integer >= 0, "
                                         r"got -1"):
        trainer.fit(X[:64], y[:64], epochs=3, initial_epoch=-1, verbose=0)


def test_a_run_with_initial_epoch_resumes_bit_for_bit(digits, tmp_path):
    """The checkpoint's epoch wins; a resumed fit must give the same initial_epoch."""
    X, y, *_ = digits
    interrupted_then_resumed(sgd_dropout_batchnorm, (X, y), tmp_path, 5, initial_epoch=1)
    with pytest.raises(Crash):
        run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", 5, initial_epoch=1)
    with pytest.raises(ValueError, match=r"other arguments or data: initial_epoch=1 there, "
                                         r"None here"):
        run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", resume=True)


# ---------------------------------------------------------------------- validation_freq
def test_validation_runs_every_validation_freq_epochs(digits):
    X, y, X_test, y_test = digits
    trainer = trainer_for()
    seen = []

    class Test(rp.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.append(len(history_epochs))

    history_epochs = []

    class Count(rp.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            history_epochs.append(epoch)

    history = trainer.fit(X[:200], y[:200], epochs=4, batch_size=32, verbose=0,
                          validation_data=(X_test, y_test), validation_freq=2,
                          callbacks=[Count(), Test()])
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == len(history.history["val_accuracy"]) == 2
    assert seen == [1, 3]  # validated in epochs 1 and 3 (the 2nd and the 4th)
    assert history.history["val_loss"][-1] == pytest.approx(
        trainer.evaluate(X_test, y_test)["loss"], rel=1e-6)


def test_monitoring_callbacks_skip_epochs_without_validation(digits):
    """EarlyStopping and ReduceLROnPlateau on val_loss count only the validated epochs
    (Keras skips them too); a val_ value missing from a validated epoch is still an
    error."""
    X, y, X_test, y_test = digits
    trainer = trainer_for()
    plateau = rp.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=0,
                                             min_delta=100.0)
    stopping = rp.callbacks.EarlyStopping("val_loss", patience=1, min_delta=100.0,
                                          restore_best_weights=False)
    history = trainer.fit(X[:200], y[:200], epochs=8, batch_size=32, verbose=0,
                          validation_data=(X_test, y_test), validation_freq=2,
                          callbacks=[plateau, stopping])
    # validated in epochs 1, 3, 5: best at 1, no improvement at 3 (lr halved for epoch 4)
    # and at 5 (halved again; patience 1 exceeded: stop)
    assert history.epoch == [0, 1, 2, 3, 4, 5]
    assert history.history["lr"] == [0.1] * 4 + [0.05] * 2
    assert stopping.best_epoch == 1 and stopping.stopped_epoch == 5
    schedule = optim.lr_scheduler.ReduceLROnPlateau(trainer.optimizer, factor=0.5, patience=0,
                                                    threshold=100.0, threshold_mode="abs")
    history = trainer.fit(X[:200], y[:200], epochs=6, batch_size=32, verbose=0,
                          validation_data=(X_test, y_test), validation_freq=2,
                          callbacks=[rp.callbacks.LearningRateScheduler(schedule, "val_loss")])
    # the plateau callback left 0.025; the schedule halves it after epoch 3 (and 5)
    assert history.history["lr"] == [0.025] * 4 + [0.0125] * 2
    with pytest.raises(ValueError, match=r"monitor='val_nothing' is not in the epoch's logs"):
        trainer.fit(X[:200], y[:200], epochs=2, batch_size=32, verbose=0,
                    validation_data=(X_test, y_test), validation_freq=2,
                    callbacks=[rp.callbacks.EarlyStopping("val_nothing")])


def test_validation_freq_is_checked(digits):
    X, y, X_test, y_test = digits
    trainer = trainer_for()
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="fit: validation_freq must be a positive integer"):
            trainer.fit(X[:64], y[:64], epochs=1, verbose=0, validation_freq=bad,
                        validation_data=(X_test, y_test))


def test_csv_logger_leaves_the_validation_columns_of_other_epochs_empty(digits, tmp_path):
    X, y, X_test, y_test = digits
    path = tmp_path / "log.csv"
    trainer_for().fit(X[:64], y[:64], epochs=4, batch_size=32, verbose=0,
                      validation_data=(X_test, y_test), validation_freq=2,
                      callbacks=[rp.callbacks.CSVLogger(path)])
    header, *rows = [line.split(",") for line in path.read_text().splitlines()]
    assert header == ["epoch", "loss", "accuracy", "lr", "val_loss", "val_accuracy"]
    assert [row[4] == "" and row[5] == "" for row in rows] == [True, False, True, False]
    assert all(float(row[4]) > 0 for row in rows[1::2])


def test_model_checkpoint_with_a_val_field_writes_the_epochs_that_validate(digits, tmp_path):
    """A path naming {val_loss} with validation_freq=2 stopped fit at the first epoch
    without validation (a ValueError: val_loss not in the logs)."""
    X, y, X_test, y_test = digits
    path = str(tmp_path / "model-{epoch}-{val_loss:.3f}.rpz")
    checkpoint = rp.callbacks.ModelCheckpoint(path)
    trainer_for().fit(X[:64], y[:64], epochs=5, batch_size=32, verbose=0,
                      validation_data=(X_test, y_test), validation_freq=2,
                      callbacks=[checkpoint])
    assert [name.split("-")[1] for name in map(os.path.basename, checkpoint.saved)] == \
        ["2", "4"]
    with pytest.raises(ValueError, match=r"path field 'val_loss' is not in the epoch's logs"):
        trainer_for().fit(X[:64], y[:64], epochs=1, verbose=0,
                          callbacks=[rp.callbacks.ModelCheckpoint(path)])
