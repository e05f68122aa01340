"""The Trainer's ``weighted_metrics`` (Keras's ``compile(weighted_metrics=)``): each metric
weighted by the examples' weights wherever the loss is (``fit``'s sample_weight times
class_weight, a DataLoader's (x, y, w) batches, ``evaluate(sample_weight=)``, the validation
data's weights), compared with scikit-learn's metrics given ``sample_weight``."""

import numpy as np
import pytest
from sklearn import metrics as sk

import retroprop as rp
from retroprop.serialization import load_training_state
from retroprop.train import metrics as rpm
from tests.train.test_resume import Crash, CrashAfter

N, CLASSES, OUTPUTS = 240, 10, 3
CLASS_WEIGHT = {0: 3.0, 3: 0.25, 7: 2.0}


def example_weights(n, seed=0):
    """Weights in [0, 3), a few exactly 0."""
    w = np.random.default_rng(seed).uniform(0, 3, n)
    w[::17] = 0.0
    return w


def top3(y, scores, sample_weight=None):
    return sk.top_k_accuracy_score(y, scores, k=3, sample_weight=sample_weight,
                                   labels=np.arange(scores.shape[1]))


def accuracy(y, scores, sample_weight=None):
    return sk.accuracy_score(y, scores.argmax(axis=1), sample_weight=sample_weight)


def multi(fn):
    """A scikit-learn regression metric on (n, k) predictions."""
    return lambda y, out, sample_weight=None: fn(y, out, sample_weight=sample_weight)


# name -> (task, scikit-learn's function of (y, outputs, sample_weight))
SKLEARN = {"accuracy": ("classifier", accuracy), "top3_accuracy": ("classifier", top3),
           "mse": ("regressor", multi(sk.mean_squared_error)),
           "mae": ("regressor", multi(sk.mean_absolute_error)),
           "r2": ("regressor", multi(sk.r2_score))}


@pytest.fixture(scope="module")
def data(digits):
    X, y, *_ = digits
    return X[:N], y[:N]


def regression_targets(X):
    """Three smooth targets of the pixels, not a model's exact outputs."""
    return np.stack([X[:, :8].mean(1), X[:, 20:40].std(1), X[:, 50:].max(1)], 1
                    ).astype(np.float32)


def make(task, lr=0.05, **kwargs):
    rp.manual_seed(0)
    if task == "classifier":
        model = rp.models.mlp([64, 16, CLASSES])
        loss = rp.nn.CrossEntropyLoss()
    else:
        model = rp.models.mlp([64, 16, OUTPUTS])
        loss = rp.nn.MSELoss()
    return rp.Trainer(model, loss, rp.optim.SGD(model.parameters(), lr=lr), **kwargs)


def task_data(task, data):
    X, y = data
    return X, (y if task == "classifier" else regression_targets(X))


def names(task):
    return [name for name, (kind, _) in SKLEARN.items() if kind == task]


def expected(task, y, outputs, w):
    return {name: SKLEARN[name][1](y, outputs, sample_weight=w) for name in names(task)}


def assert_close(got, want):
    assert got.keys() >= want.keys()
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


# ------------------------------------------------------------------ the functions
@pytest.mark.parametrize("name", list(SKLEARN))
@pytest.mark.parametrize("weighted", [True, False])
def test_each_metric_equals_scikit_learn(name, weighted):
    rng = np.random.default_rng(3)
    task, reference = SKLEARN[name]
    n = 200
    if task == "classifier":
        y, outputs = rng.integers(0, 6, n), rng.normal(size=(n, 6))
    else:
        y, outputs = rng.normal(size=(n, OUTPUTS)), rng.normal(size=(n, OUTPUTS))
        outputs[:, 1] = y[:, 1] + 0.1 * outputs[:, 1]
    w = example_weights(n) if weighted else None
    fn = rpm.get_metric(name)[1]
    assert fn(y, outputs, sample_weight=w) == pytest.approx(
        reference(y, outputs, sample_weight=w), rel=1e-12)
    if weighted:  # an integer weight k counts as k copies of the example
        k = rng.integers(0, 4, n)
        copies = np.repeat(np.arange(n), k)
        assert fn(y, outputs, sample_weight=k) == pytest.approx(
            fn(y[copies], outputs[copies]), rel=1e-12)


def test_weights_summing_to_zero_give_nan():
    y, out = np.array([0, 1]), np.eye(2)
    assert np.isnan(rpm.accuracy(y, out, sample_weight=np.zeros(2)))
    assert np.isnan(rpm.r2_score(out, out, sample_weight=np.zeros(2)))


# ------------------------------------------------------------------ evaluate
@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_evaluate_weighs_the_weighted_metrics(data, task):
    X, y = task_data(task, data)
    trainer = make(task, metrics=names(task), weighted_metrics=names(task))
    w = example_weights(len(X))
    outputs = trainer.predict(X)
    logs = trainer.evaluate(X, y, sample_weight=w)
    assert_close({k.removeprefix("weighted_"): v for k, v in logs.items()
                  if k.startswith("weighted_")}, expected(task, y, outputs, w))
    assert_close(logs, expected(task, y, outputs, None))  # metrics= stay unweighted
    unweighted = trainer.evaluate(X, y)
    for name in names(task):
        assert unweighted[f"weighted_{name}"] == unweighted[name]


def test_a_weighted_metric_alone_keeps_its_name(data):
    X, y = data
    trainer = make("classifier", metrics=[], weighted_metrics=["acc", "top3_accuracy"])
    w = example_weights(len(X))
    logs = trainer.evaluate(X, y, sample_weight=w)
    assert sorted(logs) == ["accuracy", "loss", "top3_accuracy"]
    assert_close(logs, expected("classifier", y, trainer.predict(X), w))


def test_the_default_metrics_and_a_weighted_accuracy_are_both_logged(data):
    X, y = data
    trainer = make("classifier", weighted_metrics=["accuracy"])
    assert sorted(trainer.evaluate(X, y)) == ["accuracy", "loss", "weighted_accuracy"]


def test_a_function_gets_the_weights(data):
    X, y = data
    seen = []

    def weighted_hits(y_true, outputs, sample_weight=None):
        seen.append(sample_weight)
        return accuracy(y_true, outputs, sample_weight)

    trainer = make("classifier", weighted_metrics=[weighted_hits])
    w = example_weights(len(X))
    logs = trainer.evaluate(X, y, sample_weight=w)
    assert logs["weighted_hits"] == pytest.approx(accuracy(y, trainer.predict(X), w))
    assert seen[-1] is not None and np.allclose(seen[-1] / seen[-1].mean(), w / w.mean())
    trainer.evaluate(X, y)
    assert seen[-1] is None


def test_a_multilabel_accuracy_weighs_each_example_by_its_fraction_of_right_outputs(data):
    X, y = data
    targets = (np.eye(CLASSES)[y][:, :4] + (X[:, 10:14] > 0.5)).clip(0, 1).astype(np.float32)
    model = rp.models.mlp([64, 16, 4])
    trainer = rp.Trainer(model, rp.nn.BCEWithLogitsLoss(), rp.optim.SGD(model.parameters()),
                         weighted_metrics=["accuracy"])
    w = example_weights(len(X))
    logs = trainer.evaluate(X, targets, sample_weight=w)
    right = ((trainer.predict(X) > 0) == targets).mean(axis=1)
    assert logs["weighted_accuracy"] == pytest.approx(np.average(right, weights=w))
    assert logs["accuracy"] == pytest.approx(right.mean())


def test_evaluate_on_a_loader_weighs_as_on_arrays(data):
    X, y = data
    trainer = make("classifier", weighted_metrics=["accuracy", "top3_accuracy"])
    w = example_weights(len(X))
    loader = rp.data.DataLoader(rp.data.TensorDataset(X, y, w), batch_size=50)
    on_arrays = trainer.evaluate(X, y, sample_weight=w)
    assert trainer.evaluate(loader) == pytest.approx(on_arrays)
    assert on_arrays["weighted_accuracy"] != on_arrays["accuracy"]


def test_ignored_labels_are_left_out_with_their_weights(data):
    X, y = data
    y = y.copy()
    y[::5] = -100
    model = rp.models.mlp([64, 16, CLASSES])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(ignore_index=-100),
                         rp.optim.SGD(model.parameters(), lr=0.1),
                         weighted_metrics=["accuracy", "top3_accuracy"])
    w = example_weights(len(X))
    logs = trainer.evaluate(X, y, sample_weight=w)
    kept = y != -100
    outputs = trainer.predict(X)
    assert logs["weighted_accuracy"] == pytest.approx(
        accuracy(y[kept], outputs[kept], w[kept]))
    assert logs["top3_accuracy"] == pytest.approx(top3(y[kept], outputs[kept], w[kept]))
    y[:] = -100
    assert all(np.isnan(trainer.evaluate(X, y, sample_weight=w)[name])
               for name in ("accuracy", "weighted_accuracy", "top3_accuracy"))


# ------------------------------------------------------------------ fit
def fixed_fit(trainer, X, y, **kwargs):
    """A fit whose steps do not move the weights (a learning rate of 1e-30 is below their
    float32 spacing), so that the epoch's metrics are those of ``trainer.predict``."""
    return trainer.fit(X, y, epochs=1, batch_size=32, verbose=0, **kwargs).history


WEIGHTINGS = ["none", "sample_weight", "class_weight", "both"]


def given(weighting, n):
    sample = example_weights(n) if weighting in ("sample_weight", "both") else None
    classes = CLASS_WEIGHT if weighting in ("class_weight", "both") else None
    return sample, classes


def fit_weights(y, sample, classes):
    """The weights fit trains with: sample_weight times class_weight (None without)."""
    if sample is None and classes is None:
        return None
    w = np.ones(len(y)) if sample is None else sample.copy()
    for label, factor in (classes or {}).items():
        w[y == label] *= factor
    return w


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("feed", ["arrays", "loader", "dataset"])
def test_the_epoch_metrics_weigh_the_training_examples(data, weighting, feed):
    X, y = data
    trainer = make("classifier", lr=1e-30, metrics=["accuracy"],
                   weighted_metrics=["accuracy", "top3_accuracy"])
    sample, classes = given(weighting, len(X))
    fields = (X, y) if sample is None else (X, y, sample)
    if feed == "arrays":
        history = fixed_fit(trainer, X, y, sample_weight=sample, class_weight=classes)
    else:
        dataset = rp.data.TensorDataset(*fields)
        inputs = dataset if feed == "dataset" else rp.data.DataLoader(
            dataset, batch_size=32, shuffle=True)
        history = trainer.fit(inputs, epochs=1, verbose=0, class_weight=classes).history
    outputs = trainer.predict(X)
    w = fit_weights(y, sample, classes)
    assert history["weighted_accuracy"][0] == pytest.approx(accuracy(y, outputs, w))
    assert history["top3_accuracy"][0] == pytest.approx(top3(y, outputs, w))
    assert history["accuracy"][0] == pytest.approx(accuracy(y, outputs))
    if w is None:
        assert history["weighted_accuracy"] == history["accuracy"]
    else:
        assert history["weighted_accuracy"] != history["accuracy"]


def test_a_regressor_fit_weighs_mse_mae_and_r2(data):
    X, y = task_data("regressor", data)
    trainer = make("regressor", lr=1e-30, metrics=[], weighted_metrics=names("regressor"))
    w = example_weights(len(X))
    history = fixed_fit(trainer, X, y, sample_weight=w)
    assert_close({k: v[0] for k, v in history.items()},
                 expected("regressor", y, trainer.predict(X), w))


VALIDATIONS = ["split", "triple", "loader", "pair"]


@pytest.mark.parametrize("how", VALIDATIONS)
def test_the_validation_metrics_weigh_the_validation_examples(data, how):
    X, y = data
    trainer = make("classifier", metrics=["accuracy"], weighted_metrics=["accuracy"])
    w = example_weights(len(X))
    cut = 180
    X_val, y_val, w_val = X[cut:], y[cut:], w[cut:]
    kwargs = {"sample_weight": w, "class_weight": CLASS_WEIGHT}  # class_weight: training only
    if how == "split":
        kwargs["validation_split"] = (len(X) - cut) / len(X)
    else:
        kwargs["validation_data"] = {
            "triple": (X_val, y_val, w_val), "pair": (X_val, y_val),
            "loader": rp.data.DataLoader(rp.data.TensorDataset(X_val, y_val, w_val),
                                         batch_size=16)}[how]
        X, y, kwargs["sample_weight"] = X[:cut], y[:cut], w[:cut]
    history = trainer.fit(X, y, epochs=2, batch_size=32, verbose=0, **kwargs).history
    outputs = trainer.predict(X_val)
    weights = None if how == "pair" else w_val
    assert history["val_weighted_accuracy"][-1] == pytest.approx(
        accuracy(y_val, outputs, weights))
    assert history["val_accuracy"][-1] == pytest.approx(accuracy(y_val, outputs))


def test_the_batch_logs_hold_no_metric_weighted_or_not(data):
    X, y = data
    keys = set()

    class Keys(rp.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            keys.update(logs)

        on_test_batch_end = on_train_batch_end

    trainer = make("classifier", weighted_metrics=["accuracy"])
    trainer.fit(X, y, epochs=1, verbose=0, sample_weight=example_weights(len(X)),
                validation_split=0.2, callbacks=[Keys()])
    assert keys == {"loss", "size"}


# ------------------------------------------------------------------ callbacks
@pytest.mark.parametrize("callback", ["early_stopping", "checkpoint", "csv"])
def test_callbacks_monitor_a_weighted_metric(data, tmp_path, callback):
    X, y = data
    trainer = make("classifier", weighted_metrics=["accuracy"])
    monitor = "val_weighted_accuracy"
    made = {"early_stopping": lambda: rp.callbacks.EarlyStopping(monitor, patience=5),
            "checkpoint": lambda: rp.callbacks.ModelCheckpoint(
                tmp_path / "best.rpz", monitor=monitor, save_best_only=True),
            "csv": lambda: rp.callbacks.CSVLogger(tmp_path / "log.csv")}[callback]()
    history = trainer.fit(X, y, epochs=4, verbose=0, sample_weight=example_weights(len(X)),
                          validation_split=0.25, validation_freq=2, callbacks=[made]).history
    values = history[monitor]
    assert len(values) == 2 and values != history["val_accuracy"]
    if callback == "csv":
        header = (tmp_path / "log.csv").read_text().splitlines()[0].split(",")
        assert monitor in header and "weighted_accuracy" in header
    else:
        assert made.best == max(values)


# ------------------------------------------------------------------ resume
def resumable(data, checkpoint, feed, limit=0, resume=False, weighted=("accuracy",)):
    X, y = data
    w = example_weights(len(X))
    trainer = make("classifier", metrics=["accuracy"], weighted_metrics=list(weighted))
    callbacks = [rp.callbacks.ModelCheckpoint(checkpoint, resumable=True, every_batches=3),
                 CrashAfter(limit)]
    rp.manual_seed(1)
    if feed == "arrays":
        inputs, kwargs = X, {"y": y, "sample_weight": w, "batch_size": 40}
    else:
        inputs, kwargs = rp.data.DataLoader(rp.data.TensorDataset(X, y, w), batch_size=40,
                                            shuffle=True), {}
    try:
        return trainer.fit(inputs, epochs=2, verbose=0, callbacks=callbacks,
                           class_weight=CLASS_WEIGHT,
                           resume_from=checkpoint if resume else None, **kwargs).history
    except Crash:
        return None


@pytest.mark.parametrize("feed", ["arrays", "loader"])
@pytest.mark.parametrize("limit", [4, 6, 8])
def test_a_resumed_run_logs_the_weighted_metrics_of_an_uninterrupted_one(data, tmp_path,
                                                                          feed, limit):
    reference = resumable(data, tmp_path / "reference.rpz", feed)
    assert resumable(data, tmp_path / "run.rpz", feed, limit) is None
    state = load_training_state(tmp_path / "run.rpz")
    assert state["run"]["weighted_metrics"] == ["weighted_accuracy"]
    if state["epoch_state"] is not None:  # mid-epoch: the finished batches' weights
        assert len(state["epoch_state"]["weights"]) == len(state["epoch_state"]["targets"])
    assert resumable(data, tmp_path / "run.rpz", feed, resume=True) == reference


def test_a_checkpoint_without_the_weighted_metrics_is_refused(data, tmp_path):
    assert resumable(data, tmp_path / "run.rpz", "arrays", 4, weighted=()) is None
    with pytest.raises(ValueError, match=r"resume_from=.*weighted_metrics=None there, "
                                         r"\['weighted_accuracy'\] here"):
        resumable(data, tmp_path / "run.rpz", "arrays", resume=True)


# ------------------------------------------------------------------ bad input
def no_weights(y_true, outputs):
    return 0.0


BAD = [
    (["accuracy", "f1"], ValueError, r"weighted_metrics: unknown metric 'f1'"),
    (["acc", "accuracy"], ValueError, r"weighted_metrics share the name 'accuracy'"),
    ([no_weights], TypeError, r"weighted_metrics: the metric 'no_weights' cannot be weighted"),
    ([len], TypeError, r"weighted_metrics: the metric 'len' cannot be weighted"),
    ("accuracy", TypeError, r"weighted_metrics must be a list.*weighted_metrics=\['accuracy'\]"),
]


@pytest.mark.parametrize(("value", "error", "message"), BAD)
def test_bad_weighted_metrics_are_refused_by_name(value, error, message):
    with pytest.raises(error, match=message):
        make("classifier", weighted_metrics=value)


def test_a_weighted_name_that_clashes_with_a_metric_is_refused():
    def weighted_accuracy(y_true, outputs, sample_weight=None):
        return 0.0

    with pytest.raises(ValueError, match=r"logged as 'weighted_accuracy'"):
        make("classifier", metrics=["accuracy", weighted_accuracy],
             weighted_metrics=["accuracy"])
