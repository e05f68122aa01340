"""``Trainer.fit``, ``evaluate`` and ``predict`` on a DataLoader or a Dataset: the same
weights, History and results as on the arrays they hold (shuffle=False, the same batch
size), for every kind of optimizer step and every option of ``fit`` that combines with a
loader; exact resume of a loader-fed run; clear errors for bad loaders."""

import warnings

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.serialization import load_training_state
from tests.train.conftest import same_weights, weights
from tests.train.test_resume import Crash, CrashAfter

N, EPOCHS = 96, 2


@pytest.fixture(scope="module")
def data(digits):
    X, y, X_test, y_test = digits
    return X[:N], y[:N], X_test[:40], y_test[:40]


def loader(*arrays, batch_size=32, **kwargs):
    return rp.data.DataLoader(rp.data.TensorDataset(*arrays), batch_size=batch_size, **kwargs)


# ------------------------------------------------------------------ the optimizers' kinds
def sgd_dropout():
    """A gradient step, with dropout's draws from the library's generator."""
    model = rp.nn.Sequential(rp.nn.Linear(64, 16), rp.nn.ReLU(), rp.nn.Dropout(0.2),
                             rp.nn.Linear(16, 10))
    return model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.1,
                                                         momentum=0.9)


def adam():
    model = rp.models.mlp([64, 16, 10])
    return model, rp.nn.CrossEntropyLoss(), rp.optim.Adam(model.parameters(), lr=0.01)


def vsgd():
    """A closure step on mini-batches (vSGD's curvature probe)."""
    model = rp.models.mlp([64, 10])
    return model, rp.nn.CrossEntropyLoss(), rp.optim.VSGD(model.parameters())


def lbfgs():
    """A closure step on the full batch."""
    model = rp.models.mlp([64, 10])
    return model, rp.nn.CrossEntropyLoss(), rp.optim.LBFGS(model.parameters(), max_iter=3)


def conjugate_gradient():
    model = rp.models.mlp([64, 10])
    return model, rp.nn.CrossEntropyLoss(), rp.optim.ConjugateGradient(model.parameters())


def levenberg_marquardt():
    """A residual step (squared error on one-hot targets)."""
    model = rp.models.mlp([64, 3, 10])
    return model, rp.nn.MSELoss(), rp.optim.LevenbergMarquardt(model.parameters())


#: builder, batch size (None: the full batch, as full-batch methods need)
OPTIMIZERS = {"sgd": (sgd_dropout, 32), "adam": (adam, 16), "vsgd": (vsgd, 32),
              "lbfgs": (lbfgs, None), "conjugate_gradient": (conjugate_gradient, None),
              "levenberg_marquardt": (levenberg_marquardt, None)}
KINDS = ["sgd", "vsgd", "lbfgs", "levenberg_marquardt"]  # gradient, closure x2, residuals


def targets(build, y):
    """Labels, or one-hot rows for a squared-error loss."""
    return np.eye(10, dtype=np.float32)[y] if build is levenberg_marquardt else y


def trainer(build, **kwargs):
    rp.manual_seed(0)
    model, loss, optimizer = build()
    return rp.Trainer(model, loss, optimizer, **kwargs)


NO_ARGUMENTS = (lambda n, size: {}, {})


def fit_both(name, data, fit=None, arrays=None, batches=None, kwargs=None, callbacks=None,
             make=loader, feed_arguments=NO_ARGUMENTS):
    """The same run on arrays (``arrays`` extra arguments of fit) and on the same batches
    made by ``make`` (a DataLoader by default; ``batches`` extra arrays in each batch, and
    ``feed_arguments``: fit's arguments for n examples in batches of ``size``, and those of
    the validation set's feed): (trainer, history) each. The validation set is one batch in
    both (outputs computed in batches of other sizes may differ in their last bits: the
    matrix products are blocked differently)."""
    build, size = OPTIMIZERS[name]
    extra_fit, extra_validation = feed_arguments
    X, y, X_val, y_val = data
    t = targets(build, y)
    runs = []
    for fed in ("arrays", "loader"):
        tr = trainer(build, **(kwargs or {}))
        extra = {} if callbacks is None else {"callbacks": callbacks(fed)}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if fed == "arrays":
                history = tr.fit(X, t, epochs=EPOCHS, batch_size=size, shuffle=False,
                                 verbose=0, validation_data=(X_val, targets(build, y_val)),
                                 **(fit or {}), **(arrays or {}), **extra)
            else:
                history = tr.fit(make(X, t, *(batches or ()), batch_size=size),
                                 epochs=EPOCHS, verbose=0,
                                 validation_data=make(X_val, targets(build, y_val),
                                                      batch_size=None),
                                 **extra_fit(len(X), size), **extra_validation,
                                 **(fit or {}), **extra)
        runs.append((tr, history))
    return runs


def assert_same(runs):
    (a, history_a), (b, history_b) = runs
    assert same_weights(weights(a.model), weights(b.model))
    assert history_a.history == history_b.history
    assert len(history_a.history["loss"]) == EPOCHS


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_loader_fit_equals_array_fit(data, name):
    assert_same(fit_both(name, data))


@pytest.mark.filterwarnings("ignore:ConjugateGradient. the line search")
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_dataset_fit_equals_array_fit(data, name):
    """A Dataset is gathered into arrays: every option of fit applies as to arrays."""
    build, size = OPTIMIZERS[name]
    X, y, *_ = data
    t = targets(build, y)
    a = trainer(build)
    ha = a.fit(X, t, epochs=EPOCHS, batch_size=size, validation_split=0.25, verbose=0)
    part = rp.data.ConcatDataset([rp.data.Subset(rp.data.TensorDataset(X, t), range(50)),
                                  rp.data.TensorDataset(X[50:], t[50:])])
    b = trainer(build)
    hb = b.fit(part, epochs=EPOCHS, batch_size=size, validation_split=0.25, verbose=0)
    assert_same([(a, ha), (b, hb)])


# ------------------------------------------------------------------ fit's options x kinds
class BatchLog(rp.callbacks.Callback):
    """Every batch hook's logs, training and test."""

    def __init__(self):
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(("train", batch, logs["loss"], logs["size"]))

    def on_test_batch_end(self, batch, logs=None):
        self.seen.append(("test", batch, logs["size"]))


def first_label(y_true, outputs):
    return float(np.mean(np.argmax(outputs, axis=1) == 0))


ALTERNATING = np.tile([0.5, 1.5], N // 2)  # weights that average exactly 1


def option(name, data, feature, tmp_path):
    """(fit_both keyword arguments, check of the two runs) for one option of fit."""
    y = data[1]
    if feature == "sample_weight":
        return {"arrays": {"sample_weight": ALTERNATING}, "batches": (ALTERNATING,)}, None
    if feature == "class_weight":  # labels 0 and 1 alternate: class weights average 1
        y[:] = np.arange(N) % 2
        return {"fit": {"class_weight": {0: 0.5, 1: 1.5}}}, None
    if feature == "augment":
        return {"fit": {"augment": rp.data.augment.RandomShift(1, image_shape=(8, 8))}}, None
    if feature == "validation_freq":
        def validated_once(runs):
            assert [len(h.history["val_loss"]) for _, h in runs] == [1, 1]

        return {"fit": {"validation_freq": 2}}, validated_once
    if feature == "metrics":
        return {"kwargs": {"metrics": ["accuracy", first_label]}}, None
    if feature == "callbacks":
        logs = {}

        def callbacks(fed):
            logs[fed] = BatchLog()
            return [logs[fed], rp.callbacks.EarlyStopping("val_loss", patience=0),
                    rp.callbacks.ModelCheckpoint(tmp_path / f"{fed}.rpz")]

        def check(runs):
            assert logs["arrays"].seen == logs["loader"].seen
            assert ("test", 0, 40) in logs["loader"].seen
            assert same_weights(weights(rp.load(tmp_path / "arrays.rpz")),
                                weights(rp.load(tmp_path / "loader.rpz")))

        return {"callbacks": callbacks}, check
    raise AssertionError(feature)


FEATURES = ["sample_weight", "class_weight", "augment", "metrics", "callbacks",
            "validation_freq"]


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("feature", FEATURES)
def test_options_combine_with_a_loader_as_with_arrays(data, tmp_path, name, feature):
    X, y, X_val, y_val = data
    data = (X, y.copy(), X_val, y_val)
    arguments, check = option(name, data, feature, tmp_path)
    runs = fit_both(name, data, **arguments)
    assert_same(runs)
    if check is not None:
        check(runs)


def test_a_batch_schedule_steps_with_each_loader_batch(data):
    """LearningRateScheduler(interval="batch") steps once per loader batch: the rates
    follow the same schedule as on arrays."""
    X, y, *_ = data
    histories = []
    for fed in ("arrays", "loader"):
        tr = trainer(sgd_dropout)
        schedule = rp.optim.lr_scheduler.StepLR(tr.optimizer, step_size=2, gamma=0.5)
        scheduler = rp.callbacks.LearningRateScheduler(schedule, interval="batch")
        if fed == "arrays":
            histories.append((tr, tr.fit(X, y, epochs=EPOCHS, shuffle=False, verbose=0,
                                         callbacks=[scheduler])))
        else:
            histories.append((tr, tr.fit(loader(X, y), epochs=EPOCHS, verbose=0,
                                         callbacks=[scheduler])))
    assert_same(histories)
    assert histories[1][1].history["lr"] == [0.1 * 0.5 ** 1, 0.1 * 0.5 ** 3]


def test_batches_of_tensors_train_as_arrays(data):
    """Batches of PyTorch tensors (a collate_fn) or of retroprop Tensors give the same run."""
    X, y, *_ = data

    def torch_batches(examples):
        xb, yb = rp.data.default_collate(examples)
        return torch.from_numpy(xb), torch.from_numpy(yb)

    def rp_batches(examples):
        xb, yb = rp.data.default_collate(examples)
        return rp.Tensor(xb), rp.Tensor(yb)

    runs = []
    for collate in (None, torch_batches, rp_batches):
        tr = trainer(sgd_dropout)
        feed = rp.data.DataLoader(list(zip(X, y, strict=True)), batch_size=32,
                                  collate_fn=collate)
        runs.append((tr, tr.fit(feed, epochs=EPOCHS, verbose=0)))
    assert_same(runs[:2])
    assert_same(runs[::2])


def test_weights_of_a_loader_are_used_as_given(data):
    """Weights that do not average 1: arrays scale them to average 1, a loader (which is not
    read ahead) uses them as given, as Keras does: the loader's first batch loss is the
    arrays' times the weights' mean."""
    X, y, *_ = data
    w = np.full(N, 3.0)
    logs = {}
    for fed in ("arrays", "loader"):
        tr, log = trainer(adam), BatchLog()
        if fed == "arrays":
            tr.fit(X, y, epochs=1, shuffle=False, verbose=0, sample_weight=w, callbacks=[log])
        else:
            tr.fit(loader(X, y, w), epochs=1, verbose=0, callbacks=[log])
        logs[fed] = log.seen[0][2]
    assert logs["loader"] == pytest.approx(3 * logs["arrays"], rel=1e-6)


# ------------------------------------------------------------------ divergence
class OverflowAfter:
    """An augmentation that overflows the inputs from its ``after``-th batch on."""

    def __init__(self, after):
        self.after, self.calls = after, 0

    def __call__(self, xb):
        self.calls += 1
        return xb * np.float32(3e38) if self.calls > self.after else xb


class EpochWeights(rp.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.weights = weights(self.trainer.model)


@pytest.mark.parametrize("name", KINDS)
def test_divergence_on_a_loader_restores_the_last_good_weights(data, name):
    """The second epoch diverges: the error is the arrays' and the weights are those at its
    start, the first epoch's end."""
    build, size = OPTIMIZERS[name]
    X, y, *_ = data
    t = targets(build, y)
    errors, restored = [], []
    for fed in ("arrays", "loader"):
        tr, last = trainer(build), EpochWeights()
        fit = {"epochs": 3, "verbose": 0, "callbacks": [last],
               "augment": OverflowAfter(1 if size is None else N // size)}
        with pytest.raises(FloatingPointError) as error, np.errstate(all="ignore"):
            if fed == "arrays":
                tr.fit(X, t, batch_size=size, shuffle=False, **fit)
            else:
                tr.fit(loader(X, t, batch_size=size), **fit)
        errors.append(str(error.value))
        restored.append(weights(tr.model))
        assert same_weights(restored[-1], last.weights)
    assert errors[0] == errors[1] and "diverged at epoch 2, batch 0" in errors[0]
    assert same_weights(restored[0], restored[1])


# ------------------------------------------------------------------ evaluate and predict
class InferenceLog(rp.callbacks.Callback):
    def __init__(self):
        self.seen = []

    def on_test_batch_end(self, batch, logs=None):
        self.seen.append(("test", batch, logs["size"], logs["loss"]))

    def on_test_end(self, logs=None):
        self.seen.append(("end", logs))

    def on_predict_batch_end(self, batch, logs=None):
        self.seen.append(("predict", batch, logs["size"]))


@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_and_predict_on_a_loader_equal_arrays(data, weighted):
    X, y, *_ = data
    tr = trainer(adam)
    tr.fit(X, y, epochs=1, verbose=0)
    w = ALTERNATING * 2 if weighted else None  # scaled to average 1 over the whole set
    extra = () if w is None else (w,)
    log = InferenceLog()
    expected = tr.evaluate(X, y, batch_size=20, sample_weight=w)
    assert tr.evaluate(loader(X, y, *extra, batch_size=20), callbacks=[log]) == expected
    assert tr.evaluate(rp.data.TensorDataset(X, y, *extra), batch_size=20) == expected
    assert [s[:3] for s in log.seen[:-1]] == [("test", i, n) for i, n in
                                              enumerate([20, 20, 20, 20, 16])]
    assert log.seen[-1] == ("end", expected)
    outputs = tr.predict(X, batch_size=20)
    np.testing.assert_array_equal(tr.predict(loader(X, batch_size=20), callbacks=[log]),
                                  outputs)
    np.testing.assert_array_equal(tr.predict(loader(X, y, batch_size=20)), outputs)
    np.testing.assert_array_equal(tr.predict(rp.data.TensorDataset(X, y)), tr.predict(X))
    np.testing.assert_array_equal(tr.predict_classes(loader(X, batch_size=20)),
                                  tr.predict_classes(X, batch_size=20))
    assert [s for s in log.seen if s[0] == "predict"][-1] == ("predict", 4, 16)


def test_a_pytorch_dataset_is_gathered_as_arrays(data):
    """Any map-style data set (here PyTorch's TensorDataset) is taken as a Dataset."""
    X, y, *_ = data
    a = trainer(adam)
    ha = a.fit(X, y, epochs=EPOCHS, verbose=0)
    b = trainer(adam)
    hb = b.fit(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
               epochs=EPOCHS, verbose=0)
    assert_same([(a, ha), (b, hb)])


def test_a_full_batch_method_on_a_loader_of_several_batches_warns(data):
    X, y, *_ = data
    with pytest.warns(RuntimeWarning, match="DataLoader of 3 batches an epoch"):
        trainer(lbfgs).fit(loader(X, y), epochs=1, verbose=0)


# ------------------------------------------------------------------ resume
def shuffled(X, y, batch_size):
    """A shuffled loader whose transform draws from the library's generator."""
    return rp.data.DataLoader(rp.data.TensorDataset(X, y), batch_size=batch_size,
                              shuffle=True,
                              transform=rp.data.augment.RandomShift(1, image_shape=(8, 8)))


def weighted_sampler(X, y, batch_size):
    """A sampler with a generator of its own (its state is saved with the run)."""
    sampler = rp.data.WeightedRandomSampler(np.linspace(1, 2, len(X)), num_samples=70,
                                            generator=np.random.default_rng(5))
    return rp.data.DataLoader(rp.data.TensorDataset(X, y), batch_size=batch_size,
                              sampler=sampler)


def resumable_run(name, feed, data, checkpoint, limit=0, resume=False):
    """``name``'s optimizer on the loader ``feed`` makes of ``data``, with a resumable
    checkpoint every 2 batches, a crash after ``limit`` batches (0: none), or resumed from
    ``checkpoint``: (trainer, history), None after a crash."""
    build, size = OPTIMIZERS[name]
    X, y = data
    tr = trainer(build)
    callbacks = [rp.callbacks.ModelCheckpoint(checkpoint, resumable=True, every_batches=2),
                 CrashAfter(limit)]
    rp.manual_seed(1)  # a resumed run must not depend on the generator it starts with
    try:
        history = tr.fit(feed(X, targets(build, y), 20 if size else None), epochs=3,
                         verbose=0, callbacks=callbacks,
                         resume_from=checkpoint if resume else None)
    except Crash:
        return None
    return tr, history


# the last checkpoint mid-epoch or at an epoch's end (5 shuffled batches an epoch, 4 sampled;
# 1 for full-batch methods)
RESUMED = [("sgd", feed, limit) for feed in (shuffled, weighted_sampler)
           for limit in (3, 5, 6, 9)]
RESUMED += [("vsgd", shuffled, 7), ("lbfgs", shuffled, 2),
            ("levenberg_marquardt", weighted_sampler, 2)]


@pytest.mark.parametrize(("name", "feed", "limit"), RESUMED)
def test_a_loader_fed_run_resumes_bit_identical(data, tmp_path, name, feed, limit):
    data = data[:2]
    reference, history = resumable_run(name, feed, data, tmp_path / "reference.rpz")
    assert resumable_run(name, feed, data, tmp_path / "run.rpz", limit) is None
    state = load_training_state(tmp_path / "run.rpz")
    if state["epoch_state"] is not None:
        assert state["epoch_state"]["batch"] > 0 and "rng_start" in state["epoch_state"]
    resumed, resumed_history = resumable_run(name, feed, data, tmp_path / "run.rpz",
                                             resume=True)
    assert same_weights(weights(reference.model), weights(resumed.model))
    assert history.history == resumed_history.history


def test_resuming_with_another_loader_is_refused(data, tmp_path):
    X, y, *_ = data
    assert resumable_run("sgd", shuffled, (X, y), tmp_path / "run.rpz", 4) is None
    with pytest.raises(ValueError, match=r"resume_from=.*other arguments or data"):
        resumable_run("sgd", shuffled, (X[:40], y[:40]), tmp_path / "run.rpz", resume=True)


# ------------------------------------------------------------------ bad input
class Batches(rp.data.Dataset):
    """A data set whose examples are whatever ``make(i)`` returns."""

    def __init__(self, make, n=10):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


def feeding(make, n=10, **kwargs):
    return rp.data.DataLoader(Batches(make, n), batch_size=5, **kwargs)


x64 = np.zeros(64, np.float32)
BAD_LOADERS = {
    "single array": (feeding(lambda i: x64), "X's batch 0 is a single ndarray of shape \\(5, "
                     "64\\); expected a tuple \\(x, y\\) or \\(x, y, sample_weight\\)"),
    "one element": (feeding(lambda i: (x64,)), "X's batch 0 is a tuple of length 1; "
                    "expected a tuple"),
    "four elements": (feeding(lambda i: (x64, 1, 1.0, 0)), "X's batch 0 is a tuple of "
                      "length 4; expected"),
    "mismatched rows": (rp.data.DataLoader(Batches(lambda i: i, 2), batch_size=None,
                                           collate_fn=lambda e: (np.zeros((4, 64)),
                                                                 np.zeros(3, np.int64))),
                        "X's batch 0 holds x 4 rows, y 3 rows; expected one row per example"),
    "empty": (rp.data.DataLoader((np.zeros((0, 64)), np.zeros(0, np.int64))),
              "X is a DataLoader of 0 examples .* gives no batch; expected at least one"),
    "drop_last": (loader(np.zeros((4, 64)), np.zeros(4, np.int64), batch_size=5,
                         drop_last=True),
                  "gives no batch \\(drop_last=True drops a last batch"),
    "mixed forms": (feeding(lambda i: (x64, 1) if i < 5 else (x64, 1, 1.0)),
                    "\\(X's batch 1\\): this batch is \\(x, y, sample_weight\\) but the "
                    "first was \\(x, y\\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_LOADERS))
def test_a_bad_loader_is_a_clear_error(case):
    feed, message = BAD_LOADERS[case]
    for run in (lambda tr: tr.fit(feed, verbose=0), lambda tr: tr.evaluate(feed)):
        with pytest.raises(ValueError, match=message):
            run(trainer(adam))


def test_predict_takes_batches_of_x_alone_but_not_an_empty_loader():
    outputs = trainer(adam).predict(feeding(lambda i: x64))
    assert outputs.shape == (10, 10)
    with pytest.raises(ValueError, match="predict: X is a DataLoader of 0 examples"):
        trainer(adam).predict(BAD_LOADERS["empty"][0])


ARGUMENTS = {
    "y": ({"y": np.zeros(N, np.int64)}, "y=an array of shape \\(96,\\) was given with X a "
          "DataLoader .*the loader's batches hold the targets.*expected y=None"),
    "batch_size": ({"batch_size": 64}, "batch_size=64 .*the loader's batch_size=32 makes "
                   "the batches.*expected batch_size=32"),
    "shuffle": ({"shuffle": False}, "shuffle=False .*the loader sets the order"),
    "validation_split": ({"validation_split": 0.2}, "validation_split=0.2 .*a loader is "
                         "not split, as Keras"),
    "sampling": ({"sampling": "class_balanced"}, "sampling='class_balanced' .*sampler="),
    "sample_weight": ({"sample_weight": np.ones(N)}, "sample_weight=an array of shape "
                      "\\(96,\\) .*carry the weights"),
}


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_arguments_that_a_loader_decides_are_refused(data, name):
    X, y, *_ = data
    given, message = ARGUMENTS[name]
    with pytest.raises(ValueError, match=f"^fit: {message}"):
        trainer(adam).fit(loader(X, y), verbose=0, **given)


def test_evaluate_and_predict_refuse_what_the_loader_decides(data):
    X, y, *_ = data
    tr = trainer(adam)
    with pytest.raises(ValueError, match=r"^evaluate: y=an array .*expected y=None"):
        tr.evaluate(loader(X, y), y)
    with pytest.raises(ValueError, match=r"^evaluate: batch_size=8 .*expected batch_size=None"):
        tr.evaluate(loader(X, y), batch_size=8)
    with pytest.raises(ValueError, match=r"^evaluate: sample_weight=an array"):
        tr.evaluate(loader(X, y), sample_weight=np.ones(N))
    with pytest.raises(ValueError, match=r"^predict: batch_size=8 .*expected batch_size=None"):
        tr.predict(loader(X), batch_size=8)


def test_bad_datasets_are_clear_errors(data):
    X, y, *_ = data
    tr = trainer(adam)
    with pytest.raises(ValueError, match=r"^fit: y was given with X a TensorDataset, whose "
                                         "examples hold the targets; expected y=None"):
        tr.fit(rp.data.TensorDataset(X, y), y, verbose=0)
    with pytest.raises(ValueError, match=r"^fit: each example of the TensorDataset is a "
                                         r"tuple of length 1; expected a tuple \(x, y\)"):
        tr.fit(rp.data.TensorDataset(X), verbose=0)
    with pytest.raises(ValueError, match=r"^fit: the Subset is empty \(0 examples\)"):
        tr.fit(rp.data.Subset(rp.data.TensorDataset(X, y), []), verbose=0)
    with pytest.raises(ValueError, match=r"^fit: sample_weight was given with X a "
                                         "TensorDataset whose examples carry weights"):
        tr.fit(rp.data.TensorDataset(X, y, np.ones(N)), sample_weight=np.ones(N), verbose=0)
    with pytest.raises(ValueError, match=r"^fit: validation_data is a DataLoader of 0 "
                                         "examples .*which gives no batch"):
        tr.fit(X, y, validation_data=BAD_LOADERS["empty"][0], verbose=0)
    with pytest.raises(ValueError, match=r"^fit: y is missing; expected the targets of X"):
        tr.fit(X, verbose=0)
    with pytest.raises(ValueError, match=r"^evaluate: y is missing"):
        tr.evaluate(X)
