"""``Trainer.fit(sample_weight=, class_weight=)`` and ``evaluate(sample_weight=)``: the loss
Σ w_i ℓ_i / Σ w_i (weights scaled to average 1), so that an integer weight k trains as k
copies of the example; the estimators' weighted loss (one implementation,
``retroprop.train.weighted_loss``); resume, validation and bad input."""

import warnings

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim
from retroprop.sklearn import MLPClassifier
from tests.train.conftest import same_weights, weights
from tests.train.test_combinations import OPTIMIZERS
from tests.train.test_resume import interrupted_then_resumed, run, sgd_dropout_batchnorm

F64 = np.float64


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 5))
    y = rng.integers(0, 3, 24)
    counts = rng.integers(1, 4, 24)
    return X, y, counts


def network(seed=0, sizes=(5, 6, 3)):
    rp.manual_seed(seed)
    return rp.models.mlp(list(sizes), activation="tanh", dtype=F64)


def trained(X, y, loss, optimizer, epochs=4, batch_size=None, **fit):
    model = network(sizes=(X.shape[1], 6, 3 if y.ndim == 1 else y.shape[1]))
    trainer = rp.Trainer(model, loss, optimizer(model.parameters()))
    rp.manual_seed(1)
    history = trainer.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, **fit)
    return trainer, history


# ---------------------------------------------------------------------- the weighted loss
@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss, nn.MSELoss])
def test_integer_weights_train_as_repeated_rows(small, loss):
    """Full batch, SGD: the weighted loss and its gradient are those of the data set with
    row i repeated w_i times, so the weights and the losses follow the same path."""
    X, y, counts = small
    targets = y if loss is nn.CrossEntropyLoss else np.eye(3)[y]
    sgd = lambda p: optim.SGD(p, lr=0.3)  # noqa: E731
    weighted, weighted_history = trained(X, targets, loss(), sgd, sample_weight=counts)
    repeated, repeated_history = trained(np.repeat(X, counts, axis=0),
                                         np.repeat(targets, counts, axis=0), loss(), sgd)
    for key, value in weights(weighted.model).items():
        np.testing.assert_allclose(value, weights(repeated.model)[key], rtol=1e-12,
                                   atol=1e-14)
    np.testing.assert_allclose(weighted_history.history["loss"],
                               repeated_history.history["loss"], rtol=1e-12)
    unweighted, _ = trained(X, targets, loss(), sgd)
    assert not same_weights(weights(unweighted.model), weights(weighted.model))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_trains_weights_as_repeated_rows(small, name):
    """Every optimizer of the combination matrix: gradient steps, closures evaluated several
    times per step (full batch), and the residuals √w_i (y_i - t_i) of
    Levenberg–Marquardt. The counts average 1, as the weights
    are scaled to: Levenberg–Marquardt minimizes ½ Σ r², a sum whose scale its damping
    sees (for the mean losses the scale cancels, test above)."""
    X, y, _ = small
    counts = np.random.default_rng(1).permutation(np.repeat([0, 1, 2], len(X) // 3))
    kind = OPTIMIZERS[name]
    residuals = name == "LevenbergMarquardt"
    loss = nn.MSELoss if residuals else nn.CrossEntropyLoss
    targets = np.eye(3)[y] if residuals else y
    weighted, _ = trained(X, targets, loss(), kind, epochs=3, sample_weight=counts)
    repeated, _ = trained(np.repeat(X, counts, axis=0), np.repeat(targets, counts, axis=0),
                          loss(), kind, epochs=3)
    # J v is a forward difference in Levenberg–Marquardt: rounding of order √eps
    tolerance = 1e-4 if residuals else 1e-7
    for key, value in weights(weighted.model).items():
        np.testing.assert_allclose(value, weights(repeated.model)[key], rtol=tolerance,
                                   atol=tolerance * 1e-2)


LOSSES = [nn.CrossEntropyLoss(), nn.CrossEntropyLoss(label_smoothing=0.1), nn.MSELoss(),
          nn.MSELoss(reduction="sum"), nn.QuadraticLoss(), nn.QuadraticLoss("mean"),
          nn.L1Loss(), nn.HuberLoss(), nn.SmoothL1Loss(), nn.BCEWithLogitsLoss()]


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_weights_of_one_give_the_unweighted_loss(small, loss):
    X, y, _ = small
    targets = y if isinstance(loss, nn.CrossEntropyLoss) else np.eye(3)[y]
    trainer = rp.Trainer(network(), loss, optim.SGD(network().parameters(), lr=0.1),
                         metrics=[])
    plain = trainer.evaluate(X, targets)["loss"]
    assert trainer.evaluate(X, targets, sample_weight=np.ones(len(X)))["loss"] == \
        pytest.approx(plain, rel=1e-12)
    scaled = trainer.evaluate(X, targets, sample_weight=np.full(len(X), 7.0))["loss"]
    assert scaled == pytest.approx(plain, rel=1e-12)  # weights are scaled to average 1


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.MSELoss(), nn.QuadraticLoss()],
                         ids=repr)
def test_evaluate_weighted_loss_by_hand(small, loss):
    """mean losses: Σ w_i ℓ_i / Σ w_i; a sum (QuadraticLoss): n Σ w_i ℓ_i / Σ w_i, with ℓ_i
    from ``reduction="none"``."""
    X, y, _ = small
    w = np.random.default_rng(3).uniform(0, 2, len(X))
    targets = y if isinstance(loss, nn.CrossEntropyLoss) else np.eye(3)[y]
    model = network()
    trainer = rp.Trainer(model, loss, optim.SGD(model.parameters(), lr=0.1))
    outputs = rp.Tensor(trainer.predict(X), dtype=F64)
    unreduced = type(loss)(reduction="none")(outputs, targets).data
    if unreduced.ndim == 2:
        unreduced = unreduced.sum(axis=1) if isinstance(loss, nn.QuadraticLoss) \
            else unreduced.mean(axis=1)
    expected = (w * unreduced).sum() / w.sum()
    if loss.reduction == "sum":
        expected *= len(X)
    logs = trainer.evaluate(X, targets, sample_weight=w)
    assert logs["loss"] == pytest.approx(expected, rel=1e-12)
    if "accuracy" in logs:  # metrics are not weighted
        assert logs["accuracy"] == trainer.evaluate(X, targets)["accuracy"]


def log_softmax_network(loss=None):
    """Log-probabilities for NLLLoss, logits for CrossEntropyLoss."""
    rp.manual_seed(0)
    if isinstance(loss, nn.CrossEntropyLoss):
        return nn.Sequential(nn.Linear(5, 3, dtype=F64))
    return nn.Sequential(nn.Linear(5, 3, dtype=F64), nn.LogSoftmax(dim=1))


@pytest.mark.parametrize("loss", [
    nn.NLLLoss(weight=np.array([1.0, 3.0, 0.5])), nn.NLLLoss(ignore_index=2),
    nn.NLLLoss(weight=np.array([2.0, 1.0, 4.0]), ignore_index=0),
    nn.CrossEntropyLoss(weight=[1.0, 3.0, 0.5]), nn.CrossEntropyLoss(ignore_index=2),
    nn.CrossEntropyLoss(label_smoothing=0.1, weight=np.array([2.0, 1.0, 4.0]), ignore_index=0),
], ids=repr)
def test_nll_class_weights_and_ignore_index(small, loss):
    """NLLLoss's and CrossEntropyLoss's mean divides by Σ c_{t_i} (class weights c, 0 for an
    ignored label): weights all 1 give that loss, and integer weights the loss and the
    training of repeated rows (the weighted loss divided by the number of examples gave
    neither)."""
    X, y, counts = small
    model = log_softmax_network(loss)
    trainer = rp.Trainer(model, loss, optim.SGD(model.parameters(), lr=0.3), metrics=[])
    plain = trainer.evaluate(X, y)["loss"]
    assert trainer.evaluate(X, y, sample_weight=np.ones(len(X)))["loss"] == \
        pytest.approx(plain, rel=1e-12)
    assert trainer.evaluate(X, y, sample_weight=counts)["loss"] == pytest.approx(
        trainer.evaluate(np.repeat(X, counts, axis=0), np.repeat(y, counts))["loss"], rel=1e-12)
    trained_models = []
    for data, weight in (((X, y), counts), ((np.repeat(X, counts, axis=0),
                                            np.repeat(y, counts)), None)):
        model = log_softmax_network(loss)
        history = rp.Trainer(model, loss, optim.SGD(model.parameters(), lr=0.3)).fit(
            *data, epochs=3, batch_size=None, verbose=0, sample_weight=weight)
        trained_models.append((weights(model), history.history["loss"]))
    (weighted_state, weighted_losses), (repeated_state, repeated_losses) = trained_models
    np.testing.assert_allclose(weighted_losses, repeated_losses, rtol=1e-12)
    for key, value in weighted_state.items():
        np.testing.assert_allclose(value, repeated_state[key], rtol=1e-12, atol=1e-14)


def test_class_weight_is_the_sample_weight_of_each_class(digits):
    """Bit for bit, with mini-batches and shuffling; classes it does not name weigh 1
    (Keras)."""
    X, y, *_ = digits
    X, y = X[:200], y[:200]
    class_weight = {0: 3.0, 3: 0.5, 7: 0.0}
    per_example = np.array([class_weight.get(label, 1.0) for label in y])
    runs = []
    for fit in ({"class_weight": class_weight}, {"sample_weight": per_example}):
        rp.manual_seed(0)
        model = rp.models.mlp([64, 16, 10])
        trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(),
                                                                       lr=0.01))
        history = trainer.fit(X, y, epochs=2, batch_size=32, verbose=0, **fit)
        runs.append((weights(model), history.history))
    assert same_weights(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]


def test_class_weight_and_sample_weight_multiply(small):
    X, y, counts = small
    sgd = lambda p: optim.SGD(p, lr=0.3)  # noqa: E731
    both, _ = trained(X, y, nn.CrossEntropyLoss(), sgd, sample_weight=counts,
                      class_weight={1: 2.0})
    product, _ = trained(X, y, nn.CrossEntropyLoss(), sgd,
                         sample_weight=counts * np.where(y == 1, 2.0, 1.0))
    assert same_weights(weights(both.model), weights(product.model))


def test_same_results_as_the_estimator(small):
    """MLPClassifier(solver="sgd") with sample_weight on the full batch, and a Trainer with
    the estimator's initial network, its loss and its optimizer, fit with the same weights."""
    X, y, counts = small
    settings = dict(hidden_layer_sizes=(6,), activation="tanh", solver="sgd", momentum=0.0,
                    learning_rate_init=0.2, batch_size=len(X), alpha=0.0, max_iter=5,
                    tol=0.0, n_iter_no_change=100, random_state=0)
    start = MLPClassifier(**settings)
    start._targets(y, first=True)
    start._initialize(X.shape[1], 3, X.dtype)
    model = start.model_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the estimator's ConvergenceWarning
        estimator = MLPClassifier(**settings).fit(X, y, sample_weight=counts)
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.2))
    history = trainer.fit(X, y, epochs=5, batch_size=None, verbose=0, sample_weight=counts)
    for ours, theirs in zip(trainer.model.state_dict().values(),
                            estimator.model_.state_dict().values(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history.history["loss"], estimator.loss_curve_, rtol=1e-12)


# ---------------------------------------------------------------------- validation
def test_validation_split_takes_the_held_out_rows_weights(digits):
    """The same run as validation_data=(X_val, y_val, w_val): the training rows keep their
    weights, the held-out rows take theirs (class_weight is for training only, as Keras)."""
    X, y, *_ = digits
    X, y = X[:200], y[:200]
    w = np.random.default_rng(0).uniform(0.5, 2.0, 200)
    runs = []
    for fit in ({"validation_split": 0.25, "sample_weight": w},
                {"validation_data": (X[150:], y[150:], w[150:]), "sample_weight": w[:150]}):
        rp.manual_seed(0)
        model = rp.models.mlp([64, 16, 10])
        trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(),
                                                                      lr=0.1))
        data = (X, y) if "validation_split" in fit else (X[:150], y[:150])
        history = trainer.fit(*data, epochs=2, batch_size=32, verbose=0,
                              class_weight={2: 4.0}, **fit)
        runs.append((weights(model), history.history, trainer))
    assert same_weights(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    logs = runs[0][2].evaluate(X[150:], y[150:], sample_weight=w[150:])
    assert runs[0][1]["val_loss"][-1] == pytest.approx(logs["loss"], rel=1e-6)
    assert runs[0][1]["val_loss"][-1] != pytest.approx(
        runs[0][2].evaluate(X[150:], y[150:])["loss"], rel=1e-6)


# ---------------------------------------------------------------------- resume
def test_a_weighted_run_resumes_bit_for_bit_and_refuses_other_weights(digits, tmp_path):
    X, y, *_ = digits
    w = np.random.default_rng(0).uniform(0.5, 2.0, 200)
    interrupted_then_resumed(sgd_dropout_batchnorm, (X, y), tmp_path, 5, sample_weight=w,
                             class_weight={1: 2.0})
    from tests.train.test_resume import Crash

    with pytest.raises(Crash):
        run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", 5, sample_weight=w)
    for other in ({"sample_weight": w * 2 + 1}, {}):
        with pytest.raises(ValueError, match=r"other arguments or data: weights="):
            run(sgd_dropout_batchnorm, (X, y), tmp_path / "other.rpz", resume=True, **other)


# ---------------------------------------------------------------------- sampling, refusals
@pytest.mark.parametrize("sampling", ["uniform", "class_balanced", "hard_examples"])
def test_weights_with_sampling(digits, sampling):
    """The sampler draws the batches; the weights follow the drawn examples: a weight of 0
    for every example of class 0 leaves its logits' bias untouched by the loss."""
    X, y, *_ = digits
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 10))
    before = model[0].bias.data.copy()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit(X[:200], y[:200], epochs=2, batch_size=32, verbose=0,
                          sampling=sampling, class_weight={c: 0.0 for c in range(1, 10)})
    assert np.isfinite(history.history["loss"]).all()
    # only class 0 has weight: its logit rises, every other bias falls
    change = model[0].bias.data - before
    assert change[0] > 0 and (change[1:] < 0).all()


def check_refused(small, match, loss=None, error=ValueError, **fit):
    X, y, _ = small
    model = network()
    trainer = rp.Trainer(model, loss or nn.CrossEntropyLoss(),
                         optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(error, match=match):
        trainer.fit(X, fit.pop("y", y), epochs=1, verbose=0, **fit)


@pytest.mark.parametrize(("fit", "match"), [
    ({"sample_weight": -np.ones(24)}, r"fit: sample_weight must be finite and >= 0, got "
                                      r"sample_weight\[0\] = -1"),
    ({"sample_weight": np.r_[np.ones(23), np.nan]}, r"sample_weight\[23\] = nan"),
    ({"sample_weight": np.ones(23)}, r"fit: sample_weight must have shape \(24,\), one "
                                     r"weight per example, got shape \(23,\)"),
    ({"sample_weight": np.ones((24, 1))}, r"got shape \(24, 1\)"),
    ({"sample_weight": np.zeros(24)}, r"fit: sample_weight: the weights sum to zero"),
    ({"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}}, r"fit: class_weight: the weights sum to zero"),
    ({"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}, "sample_weight": np.ones(24)},
     r"fit: sample_weight and class_weight: the weights sum to zero"),
    ({"class_weight": {5: 1.0}}, r"fit: class_weight names \[5\], which are not classes: y "
                                 r"has the labels \[0, 1, 2\] and the model 3 classes"),
    ({"class_weight": {"a": 1.0}}, r"class_weight names \['a'\]"),
    ({"class_weight": {1: -2.0}}, r"class_weight must map each class to a finite weight "
                                  r">= 0, got class_weight\[1\] = -2.0"),
    ({"class_weight": {1: float("inf")}}, r"class_weight\[1\] = inf"),
    ({"validation_data": (np.zeros((4, 5)), np.zeros(4, int), np.ones(3))},
     r"fit \(validation_data\): sample_weight must have shape \(4,\)"),
    ({"validation_data": (np.zeros((4, 5)), np.zeros(4, int), np.zeros(4))},
     r"validation examples' sample_weight: the weights sum to zero"),
    ({"validation_data": (np.zeros((4, 5)), np.zeros(4, int), None, None)},
     r"validation_data must be a pair \(X_val, y_val\), got tuple of length 4; or a "
     r"triple \(X_val, y_val, sample_weight_val\)"),
    ({"sample_weight": np.r_[np.zeros(18), np.ones(6)], "validation_split": 0.25},
     r"fit: sample_weight \(the training rows'\): the weights sum to zero"),
])
def test_bad_weights_are_refused(small, fit, match):
    check_refused(small, match, **fit)


def test_refusals_by_type(small):
    check_refused(small, r"class_weight must be a dict \{label: weight\}, got list",
                  error=TypeError, class_weight=[1.0, 2.0])
    check_refused(small, r"sample_weight must be numeric", error=TypeError,
                  sample_weight=np.array(["a"] * 24))
    X, y, _ = small
    check_refused(small, r"class_weight needs class labels, got real-valued targets",
                  loss=nn.MSELoss(), y=np.random.default_rng(0).normal(size=(24, 3)),
                  class_weight={0: 2.0})
    multitask = nn.MultiTaskLoss([nn.CrossEntropyLoss(), nn.MSELoss()], [2, 1])
    for fit in ({"sample_weight": np.ones(24)}, {"class_weight": {0: 2.0}}):
        check_refused(small, r"fit: sample_weight and class_weight are not supported with "
                             r"MultiTaskLoss", loss=multitask, error=TypeError,
                      y=np.c_[y % 2, X[:, 0]], **fit)

    class Plain(nn.Module):  # a loss module without reduction="none"
        def forward(self, outputs, target):
            return ((outputs - target) ** 2).mean()

    check_refused(small, r"need a loss with a per-example form \(reduction='none'\) reduced "
                         r"by 'mean' or 'sum'; Plain has reduction=None", loss=Plain(),
                  error=TypeError, y=np.eye(3)[y], sample_weight=np.ones(24))


def test_evaluate_refuses_bad_weights(small):
    X, y, _ = small
    model = network()
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"evaluate: sample_weight must have shape \(24,\)"):
        trainer.evaluate(X, y, sample_weight=np.ones(2))
    with pytest.raises(ValueError, match=r"evaluate: sample_weight: the weights sum to zero"):
        trainer.evaluate(X, y, sample_weight=np.zeros(24))


def test_weighted_nll_of_a_batch_without_weight_or_without_examples():
    """Every example ignored: NaN with a zero gradient, as NLLLoss's own; a batch whose
    examples all weigh 0 adds 0, as with the other losses."""
    from retroprop.train.weighted_loss import pack, weighted

    loss, labels = nn.NLLLoss(ignore_index=1), np.array([1, 1, 0])
    for weight, expected in ((np.array([1.0, 2.0, 0.0]), None), (np.zeros(3), 0.0)):
        outputs = rp.Tensor(np.log(np.full((3, 2), 0.5)), requires_grad=True)
        value = weighted(loss, labels, "test")(outputs, pack(labels, weight))
        value.backward()
        assert np.isnan(value.item()) if expected is None else value.item() == expected
        np.testing.assert_array_equal(outputs.grad, np.zeros((3, 2)))
