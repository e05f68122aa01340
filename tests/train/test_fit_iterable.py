"""``Trainer.fit``, ``evaluate`` and ``predict`` on a PyTorch DataLoader, on another
re-iterable object and on a Python generator, as Keras 3's ``fit`` takes them: the same
weights and History as arrays (shuffle=False, the same batch size) for every kind of
optimizer step and every option of ``fit`` that combines with them; Keras's
``steps_per_epoch`` / ``validation_steps`` / ``steps``, its warning where the data runs
out; resumption at epoch boundaries only; clear errors for bad input."""

import re
import warnings

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.serialization import load_training_state
from tests.train.conftest import same_weights, weights
from tests.train.test_fit_loader import (
    ALTERNATING,
    EPOCHS,
    FEATURES,
    KINDS,
    OPTIMIZERS,
    EpochWeights,
    N,
    OverflowAfter,
    adam,
    assert_same,
    option,
    sgd_dropout,
    targets,
    trainer,
)
from tests.train.test_fit_loader import fit_both as loader_fit_both
from tests.train.test_resume import Crash, CrashAfter


@pytest.fixture(scope="module")
def data(digits):
    X, y, X_test, y_test = digits
    return X[:N], y[:N], X_test[:40], y_test[:40]


def torch_loader(*arrays, batch_size=32):
    """A PyTorch DataLoader of tensors, in order (batch_size None: all of them at once)."""
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*tensors),
                                       batch_size=batch_size or len(arrays[0]), shuffle=False)


class Batches:
    """A re-iterable object without a length: each iteration yields the NumPy batches."""

    def __init__(self, *arrays, batch_size=32):
        self.arrays, self.size = arrays, batch_size or len(arrays[0])

    def __iter__(self):
        for start in range(0, len(self.arrays[0]), self.size):
            yield tuple(a[start:start + self.size] for a in self.arrays)


def cycling(*arrays, batch_size=32):
    """A generator that loops over the batches forever, as Keras's examples write one."""
    batches = Batches(*arrays, batch_size=batch_size)
    while True:
        yield from batches


def rp_loader(*arrays, batch_size=32):
    """A retroprop DataLoader, which with steps_per_epoch is read as any iterable."""
    return rp.data.DataLoader(rp.data.TensorDataset(*arrays), batch_size=batch_size)


def steps(n, batch_size):
    return 1 if batch_size is None else -(-n // batch_size)


#: feed: (make the training and validation data, fit's extra arguments for n examples in
#: batches of a size, and for the one validation batch)
FEEDS = {
    "torch": (torch_loader, lambda n, size: {}, {}),
    "reiterable": (Batches, lambda n, size: {}, {}),
    "generator": (cycling, lambda n, size: {"steps_per_epoch": steps(n, size)},
                  {"validation_steps": 1}),
    "retroprop_steps": (rp_loader, lambda n, size: {"steps_per_epoch": steps(n, size)},
                        {"validation_steps": 1}),
}


def fit_both(name, data, feed, fit=None, arrays=None, batches=None, kwargs=None,
             callbacks=None):
    """The same run on arrays and fed by ``feed`` (the same batches, ``batches`` extra
    arrays in each): (trainer, history) each."""
    make, extra_fit, extra_validation = FEEDS[feed]
    return loader_fit_both(name, data, fit, arrays, batches, kwargs, callbacks, make=make,
                           feed_arguments=(extra_fit, extra_validation))


@pytest.mark.parametrize("feed", sorted(FEEDS))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_iterable_fit_equals_array_fit(data, name, feed):
    assert_same(fit_both(name, data, feed))


@pytest.mark.parametrize("feed", sorted(FEEDS))
@pytest.mark.parametrize("name", ["sgd", "lbfgs"])
@pytest.mark.parametrize("feature", [*FEATURES, "weighted_metrics"])
def test_options_combine_with_an_iterable_as_with_arrays(data, tmp_path, name, feed,
                                                         feature):
    X, y, X_val, y_val = data
    data = (X, y.copy(), X_val, y_val)
    if feature == "weighted_metrics":
        arguments, check = {"kwargs": {"weighted_metrics": ["accuracy"]},
                            "arrays": {"sample_weight": ALTERNATING},
                            "batches": (ALTERNATING,)}, None
    else:
        arguments, check = option(name, data, feature, tmp_path)
    runs = fit_both(name, data, feed, **arguments)
    assert_same(runs)
    if check is not None:
        check(runs)
    if feature == "weighted_metrics":
        assert "accuracy" in runs[1][1].history


def test_tensors_that_require_a_gradient_are_detached(data):
    """Batches of PyTorch tensors with requires_grad (which np.asarray refuses) train as
    arrays."""
    X, y, *_ = data

    def batches():
        for start in range(0, N, 32):
            yield torch.from_numpy(X[start:start + 32]).requires_grad_(), \
                torch.from_numpy(y[start:start + 32])

    a, b = trainer(adam), trainer(adam)
    ha = a.fit(X, y, epochs=1, shuffle=False, verbose=0)
    hb = b.fit(batches(), epochs=1, verbose=0)
    assert same_weights(weights(a.model), weights(b.model))
    assert ha.history == hb.history


def test_a_shuffling_torch_loader_draws_from_torch_s_generator(data):
    """shuffle=True: PyTorch's generator sets the order, anew every epoch (the same seed,
    the same run; another order than shuffle=False's)."""
    X, y, *_ = data
    runs = []
    for shuffle, seed in ((True, 0), (True, 0), (False, 0), (True, 1)):
        torch.manual_seed(seed)
        feed = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
            torch.from_numpy(X), torch.from_numpy(y)), batch_size=32, shuffle=shuffle)
        tr = trainer(adam)
        tr.fit(feed, epochs=EPOCHS, verbose=0)
        runs.append(weights(tr.model))
    assert same_weights(runs[0], runs[1])
    assert not same_weights(runs[0], runs[2]) and not same_weights(runs[0], runs[3])


@pytest.mark.parametrize("feed", ["torch", "generator"])
@pytest.mark.parametrize("name", KINDS)
def test_divergence_on_an_iterable_restores_the_last_good_weights(data, name, feed):
    build, size = OPTIMIZERS[name]
    X, y, *_ = data
    t = targets(build, y)
    make, extra_fit, _ = FEEDS[feed]
    errors, restored = [], []
    for fed in ("arrays", "loader"):
        tr, last = trainer(build), EpochWeights()
        fit = {"epochs": 3, "verbose": 0, "callbacks": [last],
               "augment": OverflowAfter(steps(N, size))}
        with pytest.raises(FloatingPointError) as error, np.errstate(all="ignore"):
            if fed == "arrays":
                tr.fit(X, t, batch_size=size, shuffle=False, **fit)
            else:
                tr.fit(make(X, t, batch_size=size), **extra_fit(N, size), **fit)
        errors.append(str(error.value))
        restored.append(weights(tr.model))
        assert same_weights(restored[-1], last.weights)
    assert errors[0] == errors[1] and "diverged at epoch 2, batch 0" in errors[0]
    assert same_weights(restored[0], restored[1])


# ------------------------------------------------------------------ steps_per_epoch
class Sizes(rp.callbacks.Callback):
    """The sizes of each epoch's training batches."""

    def __init__(self):
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append([])

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1].append(logs["size"])


def run(feed, data, **fit):
    sizes = Sizes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = trainer(adam).fit(feed, verbose=0, callbacks=[sizes], **fit)
    ran_out = [str(w.message) for w in caught if "ran out of data" in str(w.message)]
    return history, sizes.epochs, ran_out


# (feed of 70 examples in batches of 32, 32 and 6, steps_per_epoch, epochs) -> batch sizes of
# each epoch, and how many times Keras's "ran out of data" warning is given
STEPS = {
    # a re-iterable object continues across epochs, and a new pass starts after the one
    # that ran out inside an epoch (Keras's EpochIterator)
    "torch continues": ("torch", 2, 3, [[32, 32], [6], [32, 32]], 1),
    "torch whole pass": ("torch", 3, 2, [[32, 32, 6], [32, 32, 6]], 0),
    "torch one step": ("torch", 1, 4, [[32], [32], [6], [32]], 0),
    "torch longer than a pass": ("torch", 4, 2, [[32, 32, 6], [32, 32, 6]], 2),
    "reiterable continues": ("reiterable", 2, 3, [[32, 32], [6], [32, 32]], 1),
    "retroprop loader continues": ("retroprop", 2, 3, [[32, 32], [6], [32, 32]], 1),
    # a generator that runs out ends the training, with the warning
    "generator runs out inside an epoch": ("once", 2, 4, [[32, 32], [6]], 1),
    "generator runs out at an epoch's start": ("once", 3, 3, [[32, 32, 6], []], 1),
    "generator lasts": ("once", 1, 3, [[32], [32], [6]], 0),
}


@pytest.mark.parametrize("case", sorted(STEPS))
def test_steps_per_epoch_follows_keras(data, case):
    feed, steps_per_epoch, epochs, expected, warned = STEPS[case]
    X, y, *_ = data
    X, y = X[:70], y[:70]
    source = {"torch": lambda: torch_loader(X, y), "reiterable": lambda: Batches(X, y),
              "retroprop": lambda: rp_loader(X, y), "once": lambda: iter(Batches(X, y))}[feed]()
    history, sizes, ran_out = run(source, data, epochs=epochs,
                                  steps_per_epoch=steps_per_epoch)
    assert sizes == expected
    assert len(ran_out) == warned
    assert len(history.history["loss"]) == sum(1 for s in expected if s)
    if warned:
        short = next(len(s) for s in (*expected, []) if len(s) < steps_per_epoch)
        assert ran_out[0].startswith(f"fit: X ran out of data after {short} of the "
                                     f"{steps_per_epoch} batches steps_per_epoch="
                                     f"{steps_per_epoch} asks for; interrupting")


def test_a_generator_without_steps_per_epoch_trains_one_epoch(data):
    X, y, *_ = data
    a, b = trainer(adam), trainer(adam)
    ha = a.fit(X, y, epochs=1, shuffle=False, verbose=0)
    hb = b.fit(iter(Batches(X, y)), epochs=1, verbose=0)
    assert same_weights(weights(a.model), weights(b.model))
    assert ha.history == hb.history


def test_validation_steps_limit_and_continue_a_validation_generator(data):
    """validation_steps=1 of a generator of two different batches: each validation reads
    the next one, as Keras's; with a re-iterable object, always the first."""
    X, y, X_val, y_val = data
    tr = trainer(adam)
    history = tr.fit(X, y, epochs=2, verbose=0, validation_steps=1,
                     validation_data=cycling(X_val, y_val, batch_size=20))
    firsts = trainer(adam)
    first = firsts.fit(X, y, epochs=2, verbose=0, validation_steps=1,
                       validation_data=torch_loader(X_val, y_val, batch_size=20))
    assert history.history["loss"] == first.history["loss"]
    assert history.history["val_loss"][0] == first.history["val_loss"][0]
    assert history.history["val_loss"][1] == tr.evaluate(X_val[20:], y_val[20:])["loss"]
    assert first.history["val_loss"][1] == firsts.evaluate(X_val[:20], y_val[:20])["loss"]


# ------------------------------------------------------------------ evaluate and predict
@pytest.mark.parametrize("feed", sorted(FEEDS))
@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_and_predict_on_an_iterable_equal_arrays(data, feed, weighted):
    X, y, *_ = data
    make = FEEDS[feed][0]
    tr = trainer(adam)
    tr.fit(X, y, epochs=1, verbose=0)
    w = ALTERNATING * 2 if weighted else None
    extra = () if w is None else (w,)
    limit = {"steps": 5} if feed == "generator" else {}
    assert tr.evaluate(make(X, y, *extra, batch_size=20), **limit) == \
        tr.evaluate(X, y, sample_weight=w)
    outputs = tr.predict(X, batch_size=20)
    np.testing.assert_array_equal(tr.predict(make(X, batch_size=20), **limit), outputs)
    np.testing.assert_array_equal(tr.predict(make(X, y, batch_size=20), **limit), outputs)


def test_steps_takes_the_first_batches_and_warns_where_they_run_out(data):
    X, y, *_ = data
    tr = trainer(adam)
    np.testing.assert_array_equal(tr.predict(torch_loader(X, batch_size=20), steps=2),
                                  tr.predict(X[:40], batch_size=20))
    np.testing.assert_array_equal(tr.predict_classes(cycling(X, batch_size=20), steps=2),
                                  tr.predict_classes(X[:40], batch_size=20))
    np.testing.assert_array_equal(tr.predict_proba(cycling(X, batch_size=20), steps=2),
                                  tr.predict_proba(X[:40], batch_size=20))
    assert tr.evaluate(torch_loader(X, y, batch_size=20), steps=2) == \
        tr.evaluate(X[:40], y[:40], batch_size=20)
    with pytest.warns(UserWarning, match=r"^evaluate: X ran out of data after 5 of the 9 "
                                         "batches steps=9 asks for"):
        assert tr.evaluate(iter(Batches(X, y, batch_size=20)), steps=9) == \
            tr.evaluate(X, y, batch_size=20)


# ------------------------------------------------------------------ resume
def resumable(feed, data, checkpoint, limit=0, resume=False, interrupt=False, **saving):
    """sgd with dropout fed by ``feed``, a resumable checkpoint at each epoch's end (and as
    ``saving`` says), a crash (or Ctrl-C) after ``limit`` batches or resumed from
    ``checkpoint``."""
    X, y = data
    make, extra_fit, _ = FEEDS[feed]
    tr = trainer(sgd_dropout)
    callbacks = [rp.callbacks.ModelCheckpoint(checkpoint, resumable=True, **saving),
                 CrashAfter(limit, interrupt)]
    rp.manual_seed(1)
    try:
        history = tr.fit(make(X, y), epochs=3, verbose=0, callbacks=callbacks,
                         resume_from=checkpoint if resume else None, **extra_fit(N, 32))
    except (Crash, KeyboardInterrupt):
        return None
    return tr, history


@pytest.mark.parametrize("interrupt", [False, True])
@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_an_iterable_fed_run_resumes_at_an_epoch_boundary(data, tmp_path, capfd, feed,
                                                         interrupt):
    """A crash, or Ctrl-C, in epoch 1: the checkpoint is the one of epoch 0's end (Ctrl-C
    writes none inside the epoch, which could not be resumed), and the resumed run ends
    as the uninterrupted one."""
    data = data[:2]
    reference, history = resumable(feed, data, tmp_path / "reference.rpz")
    assert resumable(feed, data, tmp_path / "run.rpz", limit=5, interrupt=interrupt) is None
    state = load_training_state(tmp_path / "run.rpz")
    assert state["epoch"] == 1 and state["epoch_state"] is None
    if interrupt:
        message = capfd.readouterr().err
        assert "Interrupted after batch 1 of epoch 2: X is an iterable whose order " \
               "retroprop cannot draw again, so the run is saved at the end of epochs only" \
               in message and "resume_from=" in message
    resumed, resumed_history = resumable(feed, data, tmp_path / "run.rpz", resume=True)
    assert same_weights(weights(reference.model), weights(resumed.model))
    assert history.history == resumed_history.history


@pytest.mark.parametrize("saving", [{"every_batches": 2}, {"every_seconds": 60}])
@pytest.mark.parametrize("feed", sorted(set(FEEDS) - {"retroprop_steps"}))
def test_checkpoints_inside_the_epochs_of_an_iterable_are_refused(data, tmp_path, feed,
                                                                  saving):
    (name, value), = saving.items()
    with pytest.raises(ValueError, match=rf"^fit: ModelCheckpoint\({name}={value}\) writes "
                                         "checkpoints inside epochs, and X is .*an iterable "
                                         "whose order retroprop cannot draw again.*expected "
                                         rf"{name}=None"):
        resumable(feed, data[:2], tmp_path / "run.rpz", **saving)


@pytest.mark.parametrize("saving", [{"every_batches": 2}, {"every_seconds": 60}])
def test_checkpoints_inside_epochs_of_a_retroprop_loader_with_steps_per_epoch(
        data, tmp_path, saving):
    """The refusal says why (steps_per_epoch: the epochs continue the loader's passes) and
    offers steps_per_epoch=None, not "a retroprop DataLoader as X", which X is."""
    (name, value), = saving.items()
    with pytest.raises(ValueError) as refused:
        resumable("retroprop_steps", data[:2], tmp_path / "run.rpz", **saving)
    message = str(refused.value)
    assert re.match(rf"fit: ModelCheckpoint\({name}={value}\) writes checkpoints inside "
                    r"epochs, and X is a DataLoader of .* read with steps_per_epoch=\d+, "
                    r"whose epochs continue one another's passes, so a run fed by it resumes "
                    rf"only from the end of an epoch; expected {name}=None \(a checkpoint at "
                    r"each epoch's end\), or steps_per_epoch=None", message), message
    assert "retroprop DataLoader as X" not in message


# ------------------------------------------------------------------ bad input
x64 = np.zeros((5, 64), np.float32)
labels = np.zeros(5, np.int64)

BAD = {
    "single array": (lambda: iter([x64]), {}, r"X's batch 0 is a single ndarray of shape "
                     r"\(5, 64\); expected a tuple \(x, y\) or \(x, y, sample_weight\)"),
    "one tensor": (lambda: torch_loader(x64), {},
                   "X's batch 0 is a list of length 1; expected a tuple"),
    "four elements": (lambda: iter([(x64, labels, labels, labels)]), {},
                      "X's batch 0 is a tuple of length 4; expected"),
    "mismatched rows": (lambda: iter([(x64, labels[:3])]), {},
                        "X's batch 0 holds x 5 rows, y 3 rows; expected one row per example"),
    "examples, not batches": (
        lambda: iter([(x64[i], labels[i]) for i in range(5)]), {},
        r"X's batch 0 holds x 64 rows, y a scalar; expected one row per example in each: "
        r"y a scalar is one example's, so the iterable gives examples, not batches \(as a "
        r"torch IterableDataset does\): batch them, e.g. with torch.utils.data.DataLoader"),
    "empty torch loader": (lambda: torch_loader(x64[:0], labels[:0]), {},
                           "X is a DataLoader of 0 batches, which gives no batch; "
                           "expected at least one"),
    "empty generator": (lambda: iter([]), {}, "X is a one-shot list_iterator, which gives no "
                        "batch; expected at least one"),
    "empty re-iterable": (lambda: Batches(x64[:0], labels[:0]), {},
                          "X is a Batches, which gives no batch"),
    "generator for two epochs": (lambda: iter([(x64, labels)]), {"epochs": 2},
                                 r"X is a one-shot list_iterator \(an iterator, used up by one "
                                 r"pass\) with steps_per_epoch=None and 2 epochs to train; "
                                 r"expected steps_per_epoch=\(batches per epoch\)"),
    "y given": (lambda: torch_loader(x64, labels), {"y": labels},
                r"y=an array of shape \(5,\) was given with X a DataLoader of 1 batch: the "
                "loader's batches hold the targets.*expected y=None"),
    "batch_size given": (lambda: torch_loader(x64, labels), {"batch_size": 2},
                         "batch_size=2 was given with X a DataLoader of 1 batch: the "
                         "loader's batch_size=32 makes the batches; build the DataLoader"),
    "shuffle given": (lambda: iter([(x64, labels)]), {"shuffle": False},
                      "shuffle=False was given with X a one-shot list_iterator: the iterable "
                      "sets the order; make the batches with the shuffle= you want"),
    "validation_split given": (lambda: torch_loader(x64, labels), {"validation_split": 0.2},
                               "validation_split=0.2 .*a loader is not split"),
    "steps_per_epoch zero": (lambda: iter([(x64, labels)]), {"steps_per_epoch": 0},
                             "steps_per_epoch must be"),
    "validation generator twice": (
        lambda: torch_loader(x64, labels),
        {"epochs": 2, "validation_data": iter([(x64, labels)])},
        r"validation_data is a one-shot list_iterator \(an iterator, used up by one pass\) "
        r"with validation_steps=None, and fit validates 2 times; expected validation_steps"),
    "validation generator ran dry": (
        lambda: torch_loader(x64, labels),
        {"epochs": 2, "validation_data": iter([(x64, labels)]), "validation_steps": 1},
        "validation_data is a one-shot list_iterator, which gives no batch"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_iterable_input_is_a_clear_error(case):
    make, fit, message = BAD[case]
    with pytest.raises(ValueError, match=f"^fit: {message}"):
        trainer(adam).fit(make(), verbose=0, **fit)


REFUSED = {
    "steps_per_epoch with arrays": (
        lambda tr: tr.fit(x64, labels, steps_per_epoch=2, verbose=0),
        "fit: steps_per_epoch=2 was given with X of type ndarray; it sets the length of an "
        "epoch over an iterable of batches .*expected steps_per_epoch=None"),
    "steps_per_epoch with a Dataset": (
        lambda tr: tr.fit(rp.data.TensorDataset(x64, labels), steps_per_epoch=2, verbose=0),
        "fit: steps_per_epoch=2 was given with X of type TensorDataset"),
    "validation_steps with arrays": (
        lambda tr: tr.fit(x64, labels, validation_data=(x64, labels), validation_steps=1,
                          verbose=0),
        "fit: validation_steps=1 was given with validation_data of type tuple of length 2; "
        "it limits the batches .*expected validation_steps=None"),
    "validation_steps without validation": (
        lambda tr: tr.fit(torch_loader(x64, labels), validation_steps=1, verbose=0),
        "fit: validation_steps=1 was given with validation_data of type NoneType"),
    "steps with arrays in evaluate": (
        lambda tr: tr.evaluate(x64, labels, steps=1),
        "evaluate: steps=1 was given with X of type ndarray; it limits .*expected steps=None"),
    "steps with arrays in predict": (lambda tr: tr.predict(x64, steps=1),
                                     "predict: steps=1 was given with X of type ndarray"),
    "evaluate on an empty generator": (lambda tr: tr.evaluate(iter([])),
                                       "evaluate: X is a one-shot list_iterator, which gives "
                                       "no batch"),
    "predict with batch_size": (lambda tr: tr.predict(torch_loader(x64), batch_size=2),
                                "predict: batch_size=2 .*the loader's batch_size=32"),
    "evaluate with y": (lambda tr: tr.evaluate(iter([(x64, labels)]), labels),
                        r"evaluate: y=an array .*expected y=None"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_arguments_that_do_not_apply_are_refused(case):
    call, message = REFUSED[case]
    with pytest.raises(ValueError, match=f"^{message}"):
        call(trainer(adam))


def test_a_full_batch_method_on_an_iterable_of_several_batches_warns(data):
    X, y, *_ = data
    with pytest.warns(RuntimeWarning, match="DataLoader of 3 batches an epoch: build it"):
        trainer(OPTIMIZERS["lbfgs"][0]).fit(torch_loader(X, y), epochs=1, verbose=0)
    with pytest.warns(RuntimeWarning, match="generator of 2 batches an epoch: make it give"):
        trainer(OPTIMIZERS["lbfgs"][0]).fit(cycling(X, y), steps_per_epoch=2, epochs=1,
                                            verbose=0)
