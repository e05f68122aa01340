"""Keras 3's guides "The Sequential model" and "Training & evaluation with the built-in
methods", ported to the Trainer: each test does what the guide's code does (on
Fashion-MNIST or the digits, smaller) and asserts what it shows."""

import csv
import math
import re
from itertools import pairwise

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim
from retroprop.callbacks import (
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


@pytest.fixture(scope="module")
def mnist_like():
    """The guide's split: the last rows of the training set for validation."""
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist(download=False)
    X = X[:3000].reshape(3000, 784).astype("float32") / 255
    X_test = X_test[:500].reshape(500, 784).astype("float32") / 255
    return (X[:-500], y[:3000][:-500]), (X[-500:], y[:3000][-500:]), (X_test, y_test[:500])


def get_model():
    """The guide's functional model, 784 → 64 → 64 → 10 (logits: its softmax is in the
    loss here)."""
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def compiled(model=None, lr=1e-3, metrics=("accuracy",)):
    """``model.compile(optimizer=RMSprop(), loss=SparseCategoricalCrossentropy(),
    metrics=[SparseCategoricalAccuracy()])``."""
    model = model or get_model()
    return rp.Trainer(model, nn.CrossEntropyLoss(), optim.RMSprop(model.parameters(), lr=lr),
                      metrics=list(metrics))


def test_fit_evaluate_predict_as_the_guide(mnist_like):
    """``fit(batch_size=64, epochs=2, validation_data=...)``: the History's keys and one
    value per epoch; ``evaluate(batch_size=128)`` a dict, or Keras's list with
    ``return_dict=False``; ``predict`` on 3 rows gives (3, 10)."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist_like
    trainer = compiled()
    history = trainer.fit(x_train, y_train, batch_size=64, epochs=2,
                          validation_data=(x_val, y_val), verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert all(len(values) == 2 for values in history.history.values())
    assert history.epoch == [0, 1]
    results = trainer.evaluate(x_test, y_test, batch_size=128)
    assert list(results) == ["loss", "accuracy"]
    assert results["accuracy"] > 0.4 and results["loss"] < math.log(10)  # chance: 0.1
    assert trainer.evaluate(x_test, y_test, batch_size=128, return_dict=False) == \
        [results["loss"], results["accuracy"]]
    predictions = trainer.predict(x_test[:3], batch_size=2)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions, trainer.predict(x_test[:3], verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_evaluate_without_metrics_returns_the_loss_and_prints_with_verbose(mnist_like,
                                                                           capsys):
    _, _, (x_test, y_test) = mnist_like
    trainer = compiled(metrics=())
    loss = trainer.evaluate(x_test, y_test, return_dict=False, verbose=0)
    assert isinstance(loss, float) and loss == trainer.evaluate(x_test, y_test)["loss"]
    assert capsys.readouterr().out == ""
    trainer.evaluate(x_test, y_test, verbose=1)
    trainer.predict(x_test, verbose=1)
    assert re.fullmatch(r"loss=\S+  \(\d+\.\d s\)\npredict: 500 examples  \(\d+\.\d s\)\n",
                        capsys.readouterr().out)
    with pytest.raises(ValueError, match="evaluate: verbose"):
        trainer.evaluate(x_test, y_test, verbose=-1)


def test_validation_split_holds_out_the_last_rows(mnist_like):
    """``validation_split=0.2`` validates on the last 20% of the rows, as Keras (before any
    shuffling): the last epoch's val_loss is evaluate's on those rows."""
    (x_train, y_train), _, _ = mnist_like
    trainer = compiled()
    history = trainer.fit(x_train, y_train, batch_size=64, epochs=1, validation_split=0.2,
                          verbose=0)
    held_out = trainer.evaluate(x_train[-500:], y_train[-500:])
    assert history.history["val_loss"][-1] == pytest.approx(held_out["loss"], rel=1e-5)
    assert history.history["val_accuracy"][-1] == pytest.approx(held_out["accuracy"])


def test_class_weight_and_sample_weight_train_alike(mnist_like):
    """The guide's class 5 counted twice, by ``class_weight`` or by ``sample_weight``: the
    same training (the same losses, epoch by epoch)."""
    (x_train, y_train), _, _ = mnist_like
    class_weight = {i: 1.0 for i in range(10)} | {5: 2.0}
    sample_weight = np.ones(len(y_train))
    sample_weight[y_train == 5] = 2.0
    losses = []
    for kwargs in ({"class_weight": class_weight}, {"sample_weight": sample_weight}):
        rp.manual_seed(0)
        trainer = compiled()
        losses.append(trainer.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0,
                                  **kwargs).history["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_early_stopping_with_the_guides_arguments(mnist_like, capsys):
    """``EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)``: it
    stops before 12 epochs and says so in Keras's words."""
    (x_train, y_train), (x_val, y_val), _ = mnist_like
    stop = EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)
    history = compiled(lr=1e-2).fit(x_train, y_train, epochs=12, batch_size=64,
                                    validation_data=(x_val, y_val), callbacks=[stop],
                                    verbose=0)
    assert stop.stopped_epoch is not None and len(history.epoch) == stop.stopped_epoch + 1 < 12
    assert capsys.readouterr().out == (
        f"Epoch {stop.stopped_epoch + 1}: early stopping\n"
        f"Restoring model weights from the end of the best epoch: {stop.best_epoch + 1}.\n")


@pytest.mark.parametrize(("baseline", "epochs_run"), [(None, 5), (0.0, 3), (0.95, 5)])
def test_early_stopping_baseline(baseline, epochs_run):
    """A loss of 1, 0.9, then 0.9 on: without ``baseline`` the patience of 2 starts at the
    third epoch (5 epochs run here, 4 in Keras); with a baseline of 0 that no epoch beats,
    every epoch counts against it, the improving ones too, and training stops at the first
    epoch without improvement (the third, as Keras); 0.95 is beaten at the second."""

    class Falling(rp.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["loss"] = max(1.0 - 0.1 * epoch, 0.9)

    X, y = np.zeros((8, 2), np.float32), np.zeros(8, np.int64)
    model = nn.Linear(2, 2)
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e-12))
    stop = EarlyStopping(monitor="loss", patience=2, baseline=baseline)
    history = trainer.fit(X, y, epochs=8, callbacks=[Falling(), stop], verbose=0)
    assert len(history.epoch) == epochs_run
    assert stop.best_epoch == 1
    with pytest.raises(ValueError, match="EarlyStopping: baseline must be a finite number"):
        EarlyStopping(baseline=math.nan)


def test_model_checkpoint_saves_the_best_with_keras_lines(mnist_like, tmp_path, capsys):
    """``ModelCheckpoint("mymodel_{epoch}", save_best_only=True, monitor="val_loss",
    verbose=1)``: a file for each epoch that improves, Keras's line for each epoch."""
    (x_train, y_train), (x_val, y_val), _ = mnist_like
    path = str(tmp_path / "mymodel_{epoch}.rpz")
    checkpoint = ModelCheckpoint(path, save_best_only=True, monitor="val_loss", verbose=1)
    history = compiled(lr=1e-2).fit(x_train, y_train, epochs=4, batch_size=64,
                                    validation_data=(x_val, y_val), callbacks=[checkpoint],
                                    verbose=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0] == (f"Epoch 1: val_loss improved from inf to "
                        f"{history.history['val_loss'][0]:.5f}, saving model to "
                        f"{path.format(epoch=1)}")
    best = math.inf
    for epoch, (line, value) in enumerate(zip(lines, history.history["val_loss"], strict=True)):
        saved = path.format(epoch=epoch + 1)
        assert (saved in checkpoint.saved) == (value < best)
        assert line.endswith(f"saving model to {saved}") == (value < best)
        if value >= best:
            assert line == f"Epoch {epoch + 1}: val_loss did not improve from {best:.5f}"
        best = min(best, value)
    assert isinstance(rp.load_model(checkpoint.saved[-1]), nn.Sequential)


def test_learning_rate_scheduler_as_the_keras_docs(capsys):
    """Keras's example: ``scheduler(epoch, lr)`` keeps the rate for 10 epochs, then
    multiplies it by e^-0.1; after 15 epochs from 0.01 it is 0.00607."""

    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    model = nn.Linear(20, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    trainer = rp.Trainer(model, nn.MSELoss(), optimizer)
    history = trainer.fit(np.arange(100, dtype=np.float32).reshape(5, 20) / 100,
                          np.zeros(5, np.float32), epochs=15,
                          callbacks=[LearningRateScheduler(scheduler, verbose=1)], verbose=0)
    assert round(optimizer.param_groups[0]["lr"], 5) == 0.00607
    assert history.history["lr"][-1] == optimizer.param_groups[0]["lr"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1: LearningRateScheduler setting learning rate to 0.01."
    assert len(lines) == 15


def test_reduce_lr_on_plateau_csv_logger_and_terminate_on_nan(mnist_like, tmp_path, capsys):
    """The guide's other callbacks together: the CSV file has a row per epoch with the
    History's values; ReduceLROnPlateau's rate never goes below ``min_lr``, and it says
    each reduction in Keras's words; TerminateOnNaN stops a run whose loss becomes NaN."""
    (x_train, y_train), (x_val, y_val), _ = mnist_like
    log = tmp_path / "log.csv"
    trainer = compiled(lr=0.05)
    history = trainer.fit(
        x_train, y_train, epochs=4, batch_size=64, validation_data=(x_val, y_val), verbose=0,
        callbacks=[ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=0,
                                     min_lr=0.001, verbose=1), CSVLogger(str(log))])
    rates = [*history.history["lr"], trainer.optimizer.param_groups[0]["lr"]]
    assert rates[-1] < rates[0]
    assert capsys.readouterr().out == "".join(
        f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {after}.\n"
        for epoch, (before, after) in enumerate(pairwise(rates)) if after < before)
    with log.open() as file:
        rows = list(csv.DictReader(file))
    assert [int(row["epoch"]) for row in rows] == history.epoch
    assert [float(row["val_loss"]) for row in rows] == pytest.approx(
        history.history["val_loss"], rel=1e-6)
    assert min(history.history["lr"]) >= 0.001

    class Overflow(rp.callbacks.Callback):  # the weights go bad in the second epoch
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 2:
                model[0].weight.data[:] = np.nan

    model = get_model()
    trainer = compiled(model)
    terminate = TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="TerminateOnNaN: epoch 2, batch 3: loss is nan"):
        history = trainer.fit(x_train, y_train, epochs=5, batch_size=500, verbose=0,
                              callbacks=[Overflow(), terminate])
    assert len(history.epoch) == 2 and terminate.bad_batch[:2] == (1, 3)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_sequential_model_summary_and_pop():
    """"The Sequential model": layers added one by one (``append``, PyTorch's name for
    Keras's ``add``), the summary's parameter count (784·64 + 64 + 64·10 + 10 = 50 890),
    and ``pop(-1)`` for Keras's ``pop()`` (PyTorch's ``pop`` takes the index)."""
    model = nn.Sequential()
    model.append(nn.Linear(784, 64))
    model.append(nn.ReLU())
    model.append(nn.Linear(64, 10))
    assert "Total params: 50,890" in str(rp.nn.summary(model, input_shape=784))
    assert isinstance(model.pop(-1), nn.Linear) and len(model) == 2
    assert rp.nn.summary(model, input_shape=784).splitlines()[-3] == "Total params: 50,240"


def test_sequential_transfer_learning_freezes_layers(mnist_like):
    """"The Sequential model"'s transfer learning: the first layers frozen (Keras's
    ``layer.trainable = False``, here ``requires_grad_(False)``), a new head trained by an
    optimizer of all the parameters (it skips the frozen ones, as Keras's compile picks
    the trainable weights itself); the frozen weights do not move, the head's do; the
    summary counts them as non-trainable."""
    (x_train, y_train), _, _ = mnist_like
    model = get_model()
    for layer in list(model)[:-1]:
        layer.requires_grad_(False)
    frozen = model[0].weight.data.copy()
    head = model[-1].weight.data.copy()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(),
                         optim.RMSprop(model.parameters(), lr=1e-3))
    trainer.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[-1].weight.data, head)
    assert "Trainable params: 650" in rp.nn.summary(model, input_shape=784)
