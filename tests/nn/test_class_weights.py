"""Class weights in the classification losses, as PyTorch's: ``CrossEntropyLoss(weight=,
ignore_index=)``, ``BCELoss(weight=)``, ``BCEWithLogitsLoss(weight=, pos_weight=)`` as
modules against PyTorch's, their refusals, and their use by the Trainer, the per-example
weighted loss, ``MultiTaskLoss`` and ``rp.save``. The ops go through the registry's harness
in ``tests/ops/test_registry.py`` (every combination of the options)."""

import inspect

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import retroprop as rp
from retroprop import nn, serialization
from retroprop.nn import functional as F
from retroprop.train.weighted_loss import per_example_loss
from tests.nn.test_loss_modules import pair

W = [0.5, 2.0, 1.0, 3.0]
TW = torch.tensor(W, dtype=torch.float64)


@pytest.mark.parametrize("cls", [nn.CrossEntropyLoss, nn.BCELoss, nn.BCEWithLogitsLoss],
                         ids=lambda c: c.__name__)
def test_new_keywords_have_pytorchs_defaults_and_come_after_reduction(cls):
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(getattr(torch.nn, cls.__name__)).parameters
    assert next(iter(ours)) == "reduction"  # CrossEntropyLoss("sum") keeps working
    for name, parameter in ours.items():
        assert theirs[name].default == parameter.default, name
        if name in ("weight", "pos_weight", "ignore_index"):
            assert parameter.kind is parameter.KEYWORD_ONLY, name


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_functional_forms_have_pytorchs_names_and_defaults(name):
    ours = inspect.signature(getattr(F, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
    assert set(theirs) - set(ours) <= {"size_average", "reduce"}  # deprecated in PyTorch
    for parameter in ours.values():
        assert theirs[parameter.name].default == parameter.default, parameter.name


LABELS = np.array([0, 3, 1, -100, 2, 3, 1])
PROBS = np.random.default_rng(5).dirichlet(np.ones(4), 7)


@pytest.mark.parametrize(("ours", "theirs", "target"), [
    (nn.CrossEntropyLoss(weight=W), torch.nn.CrossEntropyLoss(weight=TW), LABELS),
    (nn.CrossEntropyLoss("sum", 0.1, weight=W, ignore_index=3),
     torch.nn.CrossEntropyLoss(weight=TW, ignore_index=3, reduction="sum",
                               label_smoothing=0.1), np.abs(LABELS) % 4),
    (nn.CrossEntropyLoss(label_smoothing=0.2, weight=np.array(W)),
     torch.nn.CrossEntropyLoss(weight=TW, label_smoothing=0.2), LABELS),
    (nn.CrossEntropyLoss("none", weight=W), torch.nn.CrossEntropyLoss(weight=TW,
                                                                       reduction="none"), LABELS),
    (nn.CrossEntropyLoss(label_smoothing=0.1, weight=W),
     torch.nn.CrossEntropyLoss(weight=TW, label_smoothing=0.1), PROBS),
    (nn.BCELoss(weight=W), torch.nn.BCELoss(weight=TW), None),
    (nn.BCEWithLogitsLoss("sum", weight=W, pos_weight=[3.0, 1.0, 0.5, 2.0]),
     torch.nn.BCEWithLogitsLoss(weight=TW, reduction="sum",
                                pos_weight=torch.tensor([3.0, 1.0, 0.5, 2.0],
                                                        dtype=torch.float64)), None),
], ids=["ce_weight", "ce_sum_smoothing_ignore_class", "ce_smoothing_ignored", "ce_none",
        "ce_probs_smoothing", "bce_weight", "bce_logits_weight_pos_weight"])
def test_modules_match_pytorchs(ours, theirs, target):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 4))
    if target is None:  # the binary losses: 0/1 targets, probabilities for BCELoss
        target = rng.integers(0, 2, (7, 4)).astype(float)
        x = 1 / (1 + np.exp(-x)) if isinstance(ours, nn.BCELoss) else x
    (value, grad), (expected, expected_grad) = pair(ours, theirs, x, target)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_all_ignored_gives_pytorchs_nan_mean_and_no_gradient(smoothing):
    x = rp.Tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    theirs = torch.tensor(x.data, requires_grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing, weight=W)(x, np.full(3, -100))
    expected = torch.nn.CrossEntropyLoss(weight=TW.float(), label_smoothing=smoothing)(
        theirs, torch.full((3,), -100))
    loss.backward()
    expected.backward()
    assert np.isnan(loss.item()) and torch.isnan(expected)
    np.testing.assert_array_equal(x.grad, theirs.grad.numpy())
    np.testing.assert_array_equal(x.grad, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    x = rp.Tensor(np.zeros((3, 4)), dtype=dtype, requires_grad=True)
    for loss, target in [(nn.CrossEntropyLoss(label_smoothing=0.1, weight=W), [0, 3, -100]),
                         (nn.BCEWithLogitsLoss(weight=W, pos_weight=W), np.ones((3, 4)))]:
        value = loss(x, target)
        value.backward()
        assert value.dtype == dtype and x.grad.dtype == dtype


def bad(match, error=ValueError):
    return pytest.raises(error, match=match)


def test_bad_weights_name_the_argument_and_the_value():
    x, labels = rp.Tensor(np.zeros((4, 3))), np.array([0, 1, 2, 1])
    with bad(r"CrossEntropyLoss: weight must hold one number per class, shape \(3,\), got "
             r"shape \(2,\)"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])(x, labels)
    with bad(r"CrossEntropyLoss: weight holds 1 NaN"):
        nn.CrossEntropyLoss(weight=[1.0, np.nan, 1.0])(x, labels)
    for loss in (nn.CrossEntropyLoss(weight=[1.0, -2.0, 1.0]), nn.NLLLoss([1.0, -2.0, 1.0])):
        with bad(rf"{type(loss).__name__}: weight must be >= 0 .*got \[-2.0\]"):
            loss(x, labels)
    with bad(r"CrossEntropyLoss: ignore_index=1 applies to integer labels, not to "
             r"probability targets of shape \(4, 3\)"):
        nn.CrossEntropyLoss(ignore_index=1)(x, np.full((4, 3), 1 / 3))
    # as PyTorch's: a negative ignore_index can match no label and passes with probabilities
    assert nn.CrossEntropyLoss(ignore_index=-1)(x, np.full((4, 3), 1 / 3)).item() == \
        pytest.approx(np.log(3))
    with bad(r"CrossEntropyLoss: ignore_index must be an integer, got 0.5", TypeError):
        F.cross_entropy(x, labels, ignore_index=0.5)
    probs = rp.Tensor(np.full((4, 3), 0.5))
    with bad(r"BCELoss: weight must broadcast to the input's shape \(4, 3\) .* got shape \(2,\)"):
        nn.BCELoss(weight=[1.0, 2.0])(probs, np.ones((4, 3)))
    with bad(r"BCEWithLogitsLoss: pos_weight must broadcast to the input's shape \(4, 3\) "
             r".* got shape \(2, 4, 3\)"):
        nn.BCEWithLogitsLoss(pos_weight=np.ones((2, 4, 3)))(x, np.ones((4, 3)))
    with bad(r"BCEWithLogitsLoss: pos_weight must be >= 0 .*got \[-1.0\]"):
        F.binary_cross_entropy_with_logits(x, np.ones((4, 3)), pos_weight=[1.0, -1.0, 1.0])
    with bad(r"BCEWithLogitsLoss: weight holds 1 NaN"):
        F.binary_cross_entropy_with_logits(x, np.ones((4, 3)), weight=[1.0, np.nan, 1.0])


@pytest.mark.parametrize("port", [
    lambda: nn.CrossEntropyLoss([1.0, 2.0, 1.0]),
    lambda: nn.BCEWithLogitsLoss(np.ones(3)),
    lambda: F.cross_entropy(rp.Tensor(np.zeros((2, 3))), [0, 1], np.ones(3)),
    lambda: F.binary_cross_entropy(rp.Tensor(np.full((2, 3), 0.5)), np.ones((2, 3)), [1.0] * 3),
], ids=["CrossEntropyLoss", "BCEWithLogitsLoss", "F.cross_entropy", "F.binary_cross_entropy"])
def test_a_weight_ported_positionally_is_told_to_use_the_keyword(port):
    with bad(r"reduction must be one of .*got a (list|ndarray); PyTorch's weight is a keyword "
             r"here: write weight=", TypeError):
        port()


def test_other_losses_keep_their_reduction_message():
    with bad(r"MSELoss: reduction must be one of .*got a list$", TypeError):
        nn.MSELoss([1.0])


def _three_classes(n=60):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_trainer_fits_and_evaluates_a_weighted_cross_entropy(reduction):
    X, y = _three_classes()
    y = np.where(np.arange(len(y)) % 7 == 0, 9, y)  # the ignored label passes the check
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3))
    loss = nn.CrossEntropyLoss(reduction, 0.05, weight=[1.0, 0.5, 2.0], ignore_index=9)
    trainer = rp.Trainer(model, loss, rp.optim.Adam(model.parameters(), lr=0.05))
    before = trainer.evaluate(X, y)["loss"]
    trainer.fit(X, y, epochs=20, batch_size=8, verbose=0)
    after = trainer.evaluate(X, y)["loss"]
    assert after < 0.6 * before
    with rp.no_grad():
        expected = loss(model(X.astype(np.float32)), y).item()
    np.testing.assert_allclose(after, expected, rtol=1e-5)
    with bad(r"labels must be in 0..2; unexpected values \[8\]"):
        trainer.fit(X, np.where(y == 9, 8, y), epochs=1, verbose=0)


def test_the_per_example_loss_keeps_the_class_weights():
    # sample weights multiply the per-example losses w_{y_i} ℓ_i (reduction "none")
    X, y = _three_classes(12)
    logits = np.random.default_rng(2).standard_normal((12, 3))
    per_example = per_example_loss(nn.CrossEntropyLoss(weight=[1.0, 0.5, 2.0]))
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(logits), torch.tensor(y), weight=torch.tensor([1.0, 0.5, 2.0],
                                                                   dtype=torch.float64),
        reduction="none")
    np.testing.assert_allclose(per_example(rp.Tensor(logits, dtype=np.float64), y).data,
                               expected.numpy(), rtol=1e-12)
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(weight=[1.0, 0.5, 2.0]),
                         rp.optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit(X, y, epochs=3, verbose=0, sample_weight=np.arange(1.0, 13.0))
    assert np.isfinite(history.history["loss"]).all()


def test_a_multitask_head_takes_class_weights_and_the_ignored_label():
    rng = np.random.default_rng(0)
    outputs = rp.Tensor(rng.normal(size=(6, 4)))
    labels, values = np.array([0, 2, -100, 1, 2, 0]), rng.normal(size=6)
    head = nn.CrossEntropyLoss(weight=[1.0, 3.0, 0.5])
    loss = nn.MultiTaskLoss([head, nn.MSELoss()], output_sizes=[3, 1])
    target = loss.prepare_targets(np.column_stack([labels, values]), 4, np.dtype(np.float32),
                                  "fit")
    expected = head(outputs[:, :3], labels).item() + \
        nn.MSELoss()(outputs[:, 3:], values.reshape(-1, 1)).item()
    np.testing.assert_allclose(loss(outputs, target).item(), expected, rtol=1e-6)


@pytest.mark.parametrize("loss", [
    nn.CrossEntropyLoss("sum", 0.1, weight=[1.0, 2.0], ignore_index=3),
    nn.BCELoss(weight=[0.5, 1.0]), nn.BCEWithLogitsLoss(weight=[2.0], pos_weight=[3.0, 1.0])],
    ids=repr)
def test_weights_given_as_lists_round_trip_through_the_saved_architecture(loss):
    rebuilt = serialization.build(serialization.architecture(loss))
    assert type(rebuilt) is type(loss) and repr(rebuilt) == repr(loss)


def test_weights_given_as_arrays_are_refused_by_save_as_nll_losss():
    for loss in (nn.CrossEntropyLoss(weight=np.array([1.0, 2.0])),
                 nn.NLLLoss(np.array([1.0, 2.0]))):
        with bad(rf"save: cannot store argument {type(loss).__name__}.weight = array", TypeError):
            serialization.architecture(loss)


def test_class_weights_raise_the_minority_recall_on_imbalanced_digits():
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order] / 16, y[order]
    test = np.arange(len(y)) % 3 == 0
    X_train, y_train = X[~test], y[~test]
    keep = (y_train < 8) | (np.cumsum(y_train >= 8) % 10 == 0)  # 8 and 9: 1 in 10 kept
    X_train, y_train = X_train[keep], y_train[keep]
    counts = np.bincount(y_train, minlength=10)
    assert counts[8:].max() < counts[:8].min() / 5

    def minority_recall(weight):
        rp.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 10))
        trainer = rp.Trainer(model, nn.CrossEntropyLoss(weight=weight),
                             rp.optim.SGD(model.parameters(), lr=0.1))
        trainer.fit(X_train, y_train, epochs=10, batch_size=32, verbose=0)
        minority = y[test] >= 8
        return (trainer.predict(X[test]).argmax(axis=1)[minority] == y[test][minority]).mean()

    unweighted = minority_recall(None)
    balanced = minority_recall((len(y_train) / (10 * counts)).tolist())
    assert balanced > unweighted + 0.3


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()])
def test_metrics_leave_out_the_ignored_labels_as_the_loss_does(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    y[::4] = -100  # unlabelled rows: the loss counts them for nothing
    model = nn.Sequential(nn.Linear(4, 3), *([nn.LogSoftmax(dim=1)]
                                             if isinstance(loss, nn.NLLLoss) else []))
    trainer = rp.Trainer(model, loss, rp.optim.Adam(model.parameters()), metrics=["accuracy"])
    trainer.fit(X, y, epochs=2, batch_size=8, verbose=0)
    labelled = y != -100
    predicted = trainer.predict_classes(X)
    expected = float(np.mean(predicted[labelled] == y[labelled]))
    assert trainer.evaluate(X, y)["accuracy"] == pytest.approx(expected)
    assert np.isnan(trainer.evaluate(X[:1], y[:1])["accuracy"])  # its one label is ignored
