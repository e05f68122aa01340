import math

import numpy as np
import pytest
from sklearn import metrics as sk_metrics

import retroprop as rp
from retroprop import nn
from tests.train.conftest import diverging, make_trainer, same_weights, weights


def test_fit_digits_reaches_high_accuracy(digits):
    X, y, X_test, y_test = digits
    trainer = make_trainer()
    history = trainer.fit(X, y, epochs=15, batch_size=32, validation_split=0.1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(history.history["loss"]) == 15 == len(history.epoch)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert trainer.evaluate(X_test, y_test)["accuracy"] >= 0.95


def test_online_and_full_batch_learning(digits):
    X, y, *_ = digits
    seen = []

    class CountBatches(rp.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["size"])

    make_trainer(lr=0.01).fit(X[:50], y[:50], epochs=1, batch_size=1, verbose=0,
                               callbacks=[CountBatches()])
    assert seen == [1] * 50
    seen.clear()
    make_trainer(lr=0.5).fit(X, y, epochs=2, batch_size=None, verbose=0,
                              callbacks=[CountBatches()])
    assert seen == [len(X), len(X)]


def test_validation_split_takes_the_last_examples(digits):
    X, y, *_ = digits
    trainer = make_trainer()
    history = trainer.fit(X, y, epochs=1, validation_split=0.25, verbose=0)
    cut = len(X) - int(len(X) * 0.25)
    expected = trainer.evaluate(X[cut:], y[cut:])
    assert history.history["val_loss"][0] == pytest.approx(expected["loss"], rel=1e-6)


def test_fixed_seed_gives_bit_identical_weights(digits):
    X, y, *_ = digits
    runs = []
    for _ in range(2):
        rp.manual_seed(7)
        trainer = make_trainer(sizes=(64, 32, 10))
        trainer.model.append(nn.Dropout(0.2))
        trainer.fit(X, y, epochs=2, batch_size=16, verbose=0)
        runs.append(weights(trainer.model))
    assert same_weights(*runs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"validation_split": 1.0}, r"validation_split must be in \[0, 1\)"),
    ({"sampling": "random"}, "sampling must be one of"),
    ({"epochs": -1}, "epochs must be an integer >= 0"),
])
def test_bad_fit_arguments(digits, kwargs, message):
    X, y, *_ = digits
    with pytest.raises(ValueError, match=message):
        make_trainer().fit(X, y, verbose=0, **kwargs)


def test_bad_data():
    trainer = make_trainer()
    X = np.zeros((10, 64), dtype=np.float32)
    y = np.arange(10) % 3
    bad = X.copy()
    bad[2, 5] = np.nan
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match=r"X holds 1 NaN and 1 infinite values \(first at index "
                                         r"\(2, 5\)\)"):
        trainer.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match="X has 10 examples but y has 9"):
        trainer.fit(X, y[:9], verbose=0)
    with pytest.raises(ValueError, match=r"integer labels 0..C-1; unexpected values \[0.5\]"):
        trainer.fit(X, np.where(y == 1, 0.5, y), verbose=0)
    with pytest.raises(ValueError, match=r"labels must be in 0..9; unexpected values \[10, 12\]"):
        trainer.fit(X, np.array([0, 10, 12, 1, 2, 3, 4, 5, 6, 7]), verbose=0)
    with pytest.raises(ValueError, match="X is empty"):
        trainer.fit(np.zeros((0, 64)), np.zeros(0, dtype=int), verbose=0)


def test_class_balanced_batches_equalize_classes():
    labels = np.array([0] * 900 + [1] * 100)
    drawn = np.concatenate(list(rp.data.batch_indices(1000, 100, sampling="class_balanced",
                                                      labels=labels)))
    share = np.mean(labels[drawn] == 1)
    assert 0.45 < share < 0.55  # 0.1 without balancing


def test_hard_examples_are_presented_more_often():
    errors = np.ones(1000)
    errors[:100] = 20.0
    drawn = np.concatenate(list(rp.data.batch_indices(1000, 100, sampling="hard_examples",
                                                      errors=errors)))
    # weights 20 + 2.9 for the hard tenth, 1 + 2.9 for the rest: a share of 0.395, not 0.1
    assert 0.34 < np.mean(drawn < 100) < 0.45


def test_hard_example_sampling_trains(digits):
    X, y, X_test, y_test = digits
    trainer = make_trainer()
    trainer.fit(X, y, epochs=8, verbose=0, sampling="hard_examples")
    assert trainer.evaluate(X_test, y_test)["accuracy"] > 0.9


def test_predict_proba_and_classes(digits):
    X, y, X_test, _ = digits
    trainer = make_trainer()
    trainer.fit(X, y, epochs=2, verbose=0)
    proba = trainer.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(trainer.predict_classes(X_test), proba.argmax(axis=1))
    assert not trainer.model.training
    regression = rp.Trainer(rp.models.mlp([3, 1]), nn.MSELoss(),
                            rp.optim.SGD(rp.models.mlp([3, 1]).parameters()))
    with pytest.raises(TypeError, match="not a classification loss"):
        regression.predict_proba(np.zeros((2, 3)))


def test_regression_with_mse_and_r2():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).reshape(-1, 1)
    model = rp.models.mlp([3, 1])
    trainer = rp.Trainer(model, nn.MSELoss(), rp.optim.SGD(model.parameters(), lr=0.1),
                         metrics=["r2", "mae"])
    history = trainer.fit(X, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["r2"][-1] > 0.999


class Descent(rp.optim.Optimizer):
    """Gradient descent that insists on a closure, to exercise the full-batch path."""

    step_kind = "closure"

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.data -= group["lr"] * p.grad
        return loss


def test_closure_optimizers_get_a_closure(digits):
    X, y, *_ = digits
    model = rp.models.mlp([64, 10])
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), Descent(model.parameters(), lr=0.5))
    history = trainer.fit(X, y, epochs=5, batch_size=None, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(RuntimeError, match="full-batch method"):
        Descent(model.parameters(), lr=0.1).step()


# the diverging run overflows on purpose
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_divergence_stops_with_the_last_good_weights(digits):
    X, y, *_ = digits
    trainer, X, targets = diverging(X, y)
    start = weights(trainer.model)
    with pytest.raises(FloatingPointError, match="diverged at epoch 1, batch 6") as error:
        trainer.fit(X, targets, epochs=3, batch_size=32, verbose=0, divergence_factor=None)
    assert same_weights(start, weights(trainer.model))
    message = str(error.value)
    assert "the loss is inf" in message and "largest |w| = " in message
    assert "smaller learning rate" in message and "clip_grad_norm" in message
    assert "optimizer's state" in message and trainer.optimizer.state == {}


def test_an_exploding_loss_stops_before_it_overflows(digits):
    """The same run, watched with the default divergence_factor (1e8): it stops as soon as
    the loss is 1e8 times its first value, while every number is still finite."""
    X, y, *_ = digits
    trainer, X, targets = diverging(X, y)
    start = weights(trainer.model)
    with pytest.raises(FloatingPointError, match=r"diverged at epoch 1, batch 2: the loss "
                       r"\S+ is more than 1e\+08 times its first value in this run") as error:
        trainer.fit(X, targets, epochs=3, batch_size=32, verbose=0)
    assert same_weights(start, weights(trainer.model))
    assert "the gradients exploded (largest |w| = " in str(error.value)
    with pytest.raises(ValueError, match="divergence_factor must be > 1 or None"):
        trainer.fit(X, targets, divergence_factor=0.5)
    # an ordinary run is never stopped by it
    make_trainer().fit(X[:200] / 10, y[:200], epochs=3, verbose=0, divergence_factor=10.0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_divergence_names_the_layer_whose_gradient_went_non_finite(digits):
    X, y, *_ = digits
    model = rp.models.mlp([64, 32, 16, 10])
    first, middle, last = (list(m.parameters()) for m in model if isinstance(m, rp.nn.Linear))
    # only the middle layer's step overflows float32 (large inputs, a huge rate)
    optimizer = rp.optim.SGD([{"params": first}, {"params": middle, "lr": 1e38},
                              {"params": last}], lr=0.01)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
    start = weights(model)
    with pytest.raises(FloatingPointError, match=r"batch 1: .*the gradient of 2\.weight first "
                       "went non-finite.*smaller learning rate"):
        trainer.fit(X * 100, y, epochs=2, batch_size=32, shuffle=False, verbose=0,
                    divergence_factor=None)
    assert same_weights(start, weights(model))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_divergence_names_the_first_layer_whose_output_overflows(digits):
    X, y, *_ = digits
    model = rp.models.mlp([64, 32, 32, 10])
    trainer = rp.Trainer(model, rp.nn.MSELoss(), rp.optim.SGD(model.parameters(), lr=50.0))
    with pytest.raises(FloatingPointError, match=r"the output of layer '\d' \(Linear\) is the "
                       "first that is not finite; the weights have grown"):
        trainer.fit(X * 10, np.eye(10, dtype=np.float32)[y], epochs=3, verbose=0,
                    divergence_factor=None)


def one_clipped_step(X, y, **clip):
    """The weights before and after one SGD step of rate 1 with the given clipping."""
    trainer = make_trainer(lr=1.0, momentum=0.0, **clip)
    before = weights(trainer.model)
    trainer.fit(X[:32], y[:32], epochs=1, batch_size=32, shuffle=False, verbose=0)
    return before, weights(trainer.model)


def test_gradient_clipping_option_limits_the_update(digits):
    X, y, *_ = digits
    before, after = one_clipped_step(X, y, clip_grad_value=1e-4)
    assert max(np.abs(after[k] - before[k]).max() for k in before) <= 1e-4 + 1e-7
    with pytest.raises(ValueError, match="clip_grad_norm must be a positive number"):
        make_trainer(clip_grad_norm=0)
    with pytest.raises(ValueError, match="clip_grad_value must be a positive number, got '1'"):
        make_trainer(clip_grad_value="1")  # a TypeError from '>' before


def test_the_trainer_clips_the_gradient_norm(digits):
    X, y, *_ = digits
    before, after = one_clipped_step(X, y, clip_grad_norm=1e-3)
    change = math.sqrt(sum(float(((after[k] - before[k]) ** 2).sum()) for k in before))
    assert change == pytest.approx(1e-3, rel=1e-3)


def test_progress_output(digits, capsys):
    X, y, *_ = digits
    make_trainer().fit(X, y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2") and "accuracy=" in lines[1]
    make_trainer().fit(X, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("metrics", [[], ["accuracy"]])
def test_an_epoch_keeps_per_batch_arrays_only_for_its_metrics(digits, metrics):
    """Without metrics nothing reads the batches' outputs or labels, so none is kept; the
    integer labels are the caller's array, not a copy."""
    X, y, _, _ = digits
    kept = []

    class Watch(rp.callbacks.Callback):
        def on_train_batch_end(self, batch, logs):
            state = self.trainer._epoch
            kept.append((len(state.outputs), len(state.targets), batch))  # batches before

    trainer = make_trainer(metrics=metrics)
    history = trainer.fit(X[:200], y[:200], epochs=2, batch_size=64, verbose=0,
                          callbacks=[Watch()])
    assert len(kept) == 8
    stored = [(before, before) if metrics else (0, 0) for *_, before in kept]
    assert [k[:2] for k in kept] == stored
    assert set(history.history) == {"loss", "lr", *metrics}
    assert rp.nn.CrossEntropyLoss().prepare_targets(y, 10, np.float32, "fit") is y


def test_after_a_divergence_a_smaller_rate_trains_from_the_restored_weights(digits):
    """The momentum that the diverging steps built is cleared with the weights restored,
    so that following the error's advice (a smaller rate, the same optimizer) works."""
    X, y, *_ = digits
    rp.manual_seed(0)
    model = rp.models.mlp([X.shape[1], 10])
    optimizer = rp.optim.SGD(model.parameters(), lr=10.0, momentum=0.9)
    trainer = rp.Trainer(model, rp.nn.MSELoss(), optimizer)
    X, targets = X * 10, np.eye(10, dtype=np.float32)[y]
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="diverged"):
        trainer.fit(X, targets, epochs=3, batch_size=32, verbose=0)
    optimizer.param_groups[0]["lr"] = 1e-4
    history = trainer.fit(X, targets, epochs=2, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("bad, error, message", [
    (dict(validation_data=([[0.0] * 64],)), ValueError,
     r"validation_data must be a pair \(X_val, y_val\), got tuple of length 1"),
    (dict(callbacks=rp.callbacks.EarlyStopping()), TypeError,
     r"callbacks must be a list of callbacks, got one EarlyStopping"),
    (dict(verbose="yes"), ValueError, r"verbose must be an integer >= 0 .* got 'yes'"),
])
def test_fit_names_a_bad_argument(digits, bad, error, message):
    X, y, *_ = digits
    with pytest.raises(error, match=message):
        make_trainer().fit(X, y, epochs=1, **{"verbose": 0, **bad})


@pytest.mark.parametrize("loss", [nn.BCELoss, nn.BCEWithLogitsLoss])
def test_binary_losses_take_labels_of_shape_n_and_refuse_targets_outside_0_1(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    labels = (X[:, 0] > 0).astype(np.int64)

    def fitted(targets):
        rp.manual_seed(0)
        layers = [nn.Linear(3, 1)] + ([nn.Sigmoid()] if loss is nn.BCELoss else [])
        trainer = rp.Trainer(nn.Sequential(*layers), loss(),
                             rp.optim.SGD(layers[0].parameters(), lr=0.5))
        return trainer.fit(X, targets, epochs=3, batch_size=8, verbose=0).history

    assert fitted(labels) == fitted(labels.reshape(-1, 1).astype(np.float32))
    with pytest.raises(ValueError, match=rf"{loss.__name__} needs targets in \[0, 1\].*"
                                         r"got \[2.0\]"):
        fitted(labels + 1)


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.QuadraticLoss])
def test_squared_errors_take_targets_of_shape_n_for_one_output(loss):
    """As Keras does; they were refused ("target has shape (40,) but the input has shape
    (40, 1)"), and PyTorch's MSELoss broadcasts them to (40, 40) with a warning."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], dtype=np.float32)

    def fitted(targets):
        rp.manual_seed(0)
        model = nn.Linear(3, 1)
        trainer = rp.Trainer(model, loss(), rp.optim.SGD(model.parameters(), lr=0.01))
        history = trainer.fit(X, targets, epochs=3, batch_size=8, verbose=0).history
        return history, trainer.evaluate(X, targets)

    assert fitted(y) == fitted(y.reshape(-1, 1))


@pytest.mark.parametrize("run", ["predict", "evaluate", "predict_proba", "ensemble",
                                 "predict_mc", "onnx"])
def test_inference_gives_each_module_its_mode_back(digits, run, tmp_path):
    """A batch norm frozen (``eval()``) inside a model in training mode stays frozen
    after a prediction, which switches the whole model to evaluation mode for a while."""
    X, y, *_ = digits
    model = nn.Sequential(nn.Linear(64, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.2),
                          nn.Linear(8, 10))
    model.train()
    model[1].eval()
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(),
                                                                       lr=0.1))
    {"predict": lambda: trainer.predict(X[:5]),
     "evaluate": lambda: trainer.evaluate(X[:5], y[:5]),
     "predict_proba": lambda: trainer.predict_proba(X[:5]),
     "ensemble": lambda: rp.ensemble.average([model], X[:5]),
     "predict_mc": lambda: rp.nn.predict_mc(model, X[:5], samples=2),
     "onnx": lambda: pytest.importorskip("onnx") and rp.onnx.export(
         model, tmp_path / "m.onnx", 64)}[run]()
    assert [m.training for m in model.modules()] == [True, True, False, True, True, True]


@pytest.mark.parametrize("run", ["predict", "evaluate", "predict_proba", "predict_classes"])
@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_inference_names_a_bad_batch_size(digits, run, batch_size):
    """0 and True were taken as the default silently; -1 and 2.5 failed inside NumPy."""
    X, y, *_ = digits
    trainer = make_trainer()
    call = getattr(trainer, run)
    with pytest.raises(ValueError, match=rf"{run.split('_')[0]}: batch_size must be a positive "
                                         rf"integer or None, got {batch_size!r}"):
        call(X[:10], y[:10], batch_size=batch_size) if run == "evaluate" else \
            call(X[:10], batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [1, 7, np.int64(64), 10_000, None])
def test_inference_does_not_depend_on_the_batch_size(digits, batch_size):
    X, y, *_ = digits
    trainer = make_trainer()
    assert trainer.evaluate(X[:100], y[:100], batch_size=batch_size) == pytest.approx(
        trainer.evaluate(X[:100], y[:100]))
    np.testing.assert_allclose(trainer.predict(X[:100], batch_size=batch_size),
                               trainer.predict(X[:100]), rtol=1e-5, atol=1e-5)  # float32 BLAS


class Failing(rp.callbacks.Callback):
    def __init__(self, hook):
        self.hook = hook

    def __getattribute__(self, name):
        if name == object.__getattribute__(self, "hook"):
            def fail(*args):
                raise RuntimeError(f"{name} failed")
            return fail
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin", "on_train_batch_end",
                                  "on_epoch_end", "on_train_end"])
def test_fit_ended_by_an_error_leaves_the_model_in_inference_mode(digits, hook):
    """As a fit that ends normally: a callback's error left dropout active."""
    X, y, *_ = digits
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    with pytest.raises(RuntimeError, match=f"{hook} failed"):
        trainer.fit(X[:64], y[:64], epochs=2, verbose=0, callbacks=[Failing(hook)])
    assert not any(m.training for m in model.modules())


def test_fit_that_diverges_leaves_the_model_in_inference_mode(digits):
    X, y, *_ = digits
    trainer, X, y = diverging(X, y)
    with pytest.raises(FloatingPointError):
        trainer.fit(X, y, epochs=20, verbose=0)
    assert not trainer.model.training


def _one_hot(labels):
    return np.eye(3, dtype=np.float32)[labels]


@pytest.mark.parametrize("loss, outputs, targets, expected", [
    (nn.CrossEntropyLoss, 3, lambda y: y,
     lambda y, out: sk_metrics.accuracy_score(y, out.argmax(1))),
    (nn.CrossEntropyLoss, 3, _one_hot,
     lambda y, out: sk_metrics.accuracy_score(y, out.argmax(1))),
    (nn.MSELoss, 3, _one_hot, lambda y, out: sk_metrics.accuracy_score(y, out.argmax(1))),
    (nn.BCEWithLogitsLoss, 1, lambda y: (y > 0).astype(np.float32),
     lambda y, out: sk_metrics.accuracy_score(y > 0, out[:, 0] > 0)),
    (nn.BCEWithLogitsLoss, 3, lambda y: _one_hot(y) + _one_hot((y + 1) % 3),  # multi-label
     lambda y, out: 1 - sk_metrics.hamming_loss(_one_hot(y) + _one_hot((y + 1) % 3), out > 0)),
])
def test_logged_accuracy_is_scikit_learns_on_the_predictions(loss, outputs, targets, expected):
    """Over batches of unequal sizes (50 = 7 × 7 + 1) and on validation data, for labels,
    one-hot rows (whose first column was taken as the label) and multi-label targets
    (which were judged by the argmax of the outputs against the first column)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    rp.manual_seed(0)
    model = rp.models.mlp([4, 8, outputs])
    trainer = rp.Trainer(model, loss(), rp.optim.SGD(model.parameters(), lr=1e-30),
                         metrics=["accuracy"])  # steps too small to change a float32 weight
    history = trainer.fit(X, targets(y), epochs=1, batch_size=7, verbose=0,
                          validation_data=(X, targets(y))).history
    right = expected(y, trainer.predict(X))
    assert history["accuracy"] == history["val_accuracy"] == [pytest.approx(right)]
    assert history["loss"][0] == pytest.approx(history["val_loss"][0], rel=1e-5)


@pytest.mark.parametrize("metrics, error, message", [
    ("accuracy", TypeError, r"metrics must be a list, got 'accuracy': write "
                            r"metrics=\['accuracy'\]"),
    (["acc", "accuracy"], ValueError, r"metrics share the name 'accuracy'"),
    ([lambda y, out: 0.0, lambda y, out: 1.0], ValueError, r"metrics share the name '<lambda>'"),
])
def test_metrics_that_would_replace_each_other_are_refused(metrics, error, message):
    """A string was read letter by letter ("unknown metric 'a'"); a second lambda replaced
    the first in the logs silently."""
    model = rp.models.mlp([4, 3])
    with pytest.raises(error, match=message):
        rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()),
                   metrics=metrics)


@pytest.mark.parametrize("value", [np.float32(0.25), np.float64(0.25), np.array(0.25), 1,
                                   np.int64(1)])
def test_a_metrics_number_of_any_type_is_logged_and_shown_as_a_float(digits, capsys, value):
    """A mean of float32 outputs is NumPy's float32, which the progress line left out."""
    X, y, *_ = digits

    def custom(y_true, outputs):
        return value

    trainer = make_trainer(metrics=[custom])
    history = trainer.fit(X[:64], y[:64], epochs=1, verbose=1, validation_split=0.25).history
    assert history["custom"] == history["val_custom"] == [float(value)]
    assert all(type(v[0]) is float for v in history.values())
    assert type(trainer.evaluate(X[:8], y[:8])["custom"]) is float
    line = capsys.readouterr().out
    assert f"  custom={float(value):.4g}  " in line and f"  val_custom={float(value):.4g}  " in line


@pytest.mark.parametrize("value, shown", [
    (np.array([0.25]), r"array\(\[0.25\]\) \(ndarray of shape \(1,\)\)"),
    ("high", r"'high' \(str\)"), (None, r"None \(NoneType\)"),
])
def test_a_metric_that_returns_something_else_than_a_number_is_named(digits, value, shown):
    X, y, *_ = digits

    def custom(y_true, outputs):
        return value

    with pytest.raises(TypeError, match=rf"metric 'custom' returned {shown}; a metric returns "
                                        "one number"):
        make_trainer(metrics=[custom]).evaluate(X[:8], y[:8])


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.BCEWithLogitsLoss])
def test_targets_of_shape_n_follow_the_models_own_output_shape(loss):
    """One output judged from the model's output, not from its last Linear layer: a model
    that flattens its one column to (n,) trains on (n,) targets as given (they were made
    (n, 1) and refused)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))
    trainer = rp.Trainer(model, loss(), rp.optim.SGD(model.parameters(), lr=0.1), metrics=[])
    history = trainer.fit(X, y, epochs=2, batch_size=8, verbose=0).history
    assert len(history["loss"]) == 2 and trainer.evaluate(X, y)["loss"] < history["loss"][0]


@pytest.mark.parametrize("loss, scale", [(nn.QuadraticLoss, "sum"), (nn.MSELoss, "mean")])
def test_the_logged_loss_is_what_evaluate_reports_for_the_set(loss, scale):
    """With the lectures' E = ½ Σ (t - y)² (reduction "sum"), the training loss was the
    mean of the batches' sums weighted by their sizes: ten times smaller than val_loss, the
    sum over the validation set, for batches of 20 (and the same for batches of 10 rows of
    200). Both are now E over their set, as evaluate gives it; a mean stays a mean."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32)).reshape(-1, 1)
    rp.manual_seed(0)
    model = nn.Linear(3, 1)
    trainer = rp.Trainer(model, loss(), rp.optim.SGD(model.parameters(), lr=1e-9))
    history = trainer.fit(X, y, epochs=1, batch_size=20, validation_data=(X[:50], y[:50]),
                          verbose=0).history
    np.testing.assert_allclose(history["loss"][0], trainer.evaluate(X, y)["loss"], rtol=1e-5)
    np.testing.assert_allclose(history["val_loss"][0], trainer.evaluate(X[:50], y[:50])["loss"],
                               rtol=1e-6)
    assert (history["loss"][0] > 3 * history["val_loss"][0]) == (scale == "sum")


@pytest.mark.parametrize("frozen", [True, False])
def test_a_batch_norm_with_frozen_parameters_keeps_its_statistics_in_fit(frozen):
    """As Keras runs a BatchNormalization with trainable=False in inference mode: fit put
    every module in training mode at each epoch, so a frozen batch norm (fine-tuning on
    other data) moved its running statistics anyway."""
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 2, 64)
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=0.01), metrics=[])
    trainer.fit(X, y, epochs=1, batch_size=16, verbose=0)
    for param in model[1].parameters():
        param.requires_grad = not frozen
    before = model[1].running_mean.copy(), int(model[1].num_batches_tracked)
    weight = model[0].weight.data.copy()
    trainer.fit(X + 1.0, y, epochs=1, batch_size=16, verbose=0)
    kept = np.array_equal(model[1].running_mean, before[0])
    assert kept == frozen and (int(model[1].num_batches_tracked) == before[1]) == frozen
    assert not np.array_equal(model[0].weight.data, weight)  # the rest still trains
