"""Combination audit of the losses of the fifteenth session (``NLLLoss``, ``L1Loss``,
``HuberLoss``, ``SmoothL1Loss``; class weights, ``ignore_index`` and ``pos_weight``) with
what was there before: model files, ``fit(resume_from=...)``, the ``retroprop train``
configuration and the scikit-learn estimators."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone

import retroprop as rp
from retroprop import nn
from retroprop.cli.config import read_toml
from retroprop.sklearn import MLPClassifier, MLPRegressor
from tests.train.test_resume import Crash, CrashAfter

# name -> (loss, kind of target: "labels", "values" or "binary")
LOSSES = {
    "NLLLoss": (lambda: nn.NLLLoss(weight=[1.0, 2.0, 0.5], ignore_index=1), "labels"),
    "NLLLoss sum": (lambda: nn.NLLLoss(reduction="sum"), "labels"),
    "CrossEntropyLoss weighted": (lambda: nn.CrossEntropyLoss(
        weight=(0.5, 1.0, 3.0), label_smoothing=0.1), "labels"),
    "CrossEntropyLoss ignore_index": (lambda: nn.CrossEntropyLoss(ignore_index=0), "labels"),
    "L1Loss": (lambda: nn.L1Loss(), "values"),
    "L1Loss sum": (lambda: nn.L1Loss(reduction="sum"), "values"),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.4), "values"),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.3), "values"),
    "BCELoss weighted": (lambda: nn.BCELoss(weight=[2.0, 1.0, 0.5]), "binary"),
    "BCEWithLogitsLoss pos_weight": (lambda: nn.BCEWithLogitsLoss(
        weight=[1.0, 0.5, 2.0], pos_weight=[3.0, 1.0, 0.2]), "binary"),
}


def data(kind, n=90):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    if kind == "labels":
        y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    elif kind == "values":
        y = np.stack([X[:, 0] * 2, X[:, 1] - X[:, 2], np.abs(X[:, 3])], axis=1)
    else:
        y = (X[:, :3] > 0).astype(np.float32)
    return X, y


def model(name):
    """Three outputs: log-probabilities for NLLLoss, probabilities for BCELoss."""
    rp.manual_seed(0)
    layers = [nn.Linear(5, 8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 3)]
    if name.startswith("NLLLoss"):
        layers.append(nn.LogSoftmax(dim=1))
    elif name.startswith("BCELoss"):
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("name", list(LOSSES))
def test_a_loss_in_a_model_file_comes_back_with_its_settings(tmp_path, name):
    """A model file holding the loss (alone, or as a network's last module) gives it back
    with its weights, ignore_index, delta and reduction: the same value and gradient."""
    build, kind = LOSSES[name]
    loss = build()
    network = nn.Sequential(model(name), loss)
    rp.save(network, tmp_path / "model.rpz")
    rp.save(loss, tmp_path / "loss.rpz")
    back, alone = rp.load_model(tmp_path / "model.rpz")[1], rp.load(tmp_path / "loss.rpz")
    assert repr(back) == repr(alone) == repr(loss)
    X, y = data(kind, 12)
    values = []
    for criterion in (loss, back, alone):
        net = model(name).eval()
        value = criterion(net(X), y)
        value.backward()
        values.append((value.item(), net[0].weight.grad.copy()))
    for value, grad in values[1:]:
        assert value == values[0][0]
        np.testing.assert_array_equal(grad, values[0][1])


@pytest.mark.parametrize("weight", [np.array([1.0, 2.0, 3.0]), rp.tensor([1.0, 2.0, 3.0])])
@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss])
def test_class_weights_that_a_model_file_cannot_hold_are_named(tmp_path, loss, weight):
    with pytest.raises(TypeError, match=rf"cannot store argument {loss.__name__}\.weight = "
                                        rf".*\({type(weight).__name__}\); module arguments "
                                        r"must be numbers, strings, lists"):
        rp.save(loss(weight=weight), tmp_path / "loss.rpz")
    assert not (tmp_path / "loss.rpz").exists()


# ---- fit, stopped and continued with resume_from --------------------------------------

def fit(name, checkpoint, limit=0, resume=False, loss=None, weighted=False):
    build, kind = LOSSES[name]
    X, y = data(kind)
    network = model(name)
    optimizer = rp.optim.Adam(network.parameters(), lr=0.01)
    metrics = ["accuracy"] if kind == "labels" else []
    trainer = rp.Trainer(network, build() if loss is None else loss, optimizer, metrics=metrics)
    rp.manual_seed(1)
    fit_weights = {"sample_weight": np.arange(len(X)) % 3 + 0.5} if weighted else {}
    history = trainer.fit(X, y, epochs=3, batch_size=20, verbose=0, validation_split=0.2,
                          callbacks=[rp.callbacks.ModelCheckpoint(
                              checkpoint, resumable=True, every_batches=2),
                              CrashAfter(limit)],
                          resume_from=checkpoint if resume else None, **fit_weights)
    return network, history


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", list(LOSSES))
def test_a_fit_resumed_mid_epoch_ends_as_the_uninterrupted_one(tmp_path, name, weighted):
    network, history = fit(name, tmp_path / "reference.rpz", weighted=weighted)
    with pytest.raises(Crash):
        fit(name, tmp_path / "run.rpz", limit=6, weighted=weighted)
    resumed, resumed_history = fit(name, tmp_path / "run.rpz", resume=True,
                                   weighted=weighted)
    for key, value in network.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)
    assert resumed_history.history == history.history
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("name, other", [
    ("CrossEntropyLoss weighted", nn.CrossEntropyLoss(label_smoothing=0.1)),
    ("NLLLoss", nn.NLLLoss(weight=[1.0, 2.0, 0.5])),
    ("HuberLoss", nn.HuberLoss(delta=1.0)),
    ("L1Loss", nn.SmoothL1Loss()),
])
def test_a_fit_resumed_with_another_loss_is_refused(tmp_path, name, other):
    """The checkpoint names the loss it was trained on: resuming with other class weights,
    another ignore_index, delta or loss would end elsewhere than the run it continues."""
    with pytest.raises(Crash):
        fit(name, tmp_path / "run.rpz", limit=3)
    with pytest.raises(ValueError, match=rf"resume_from=.* was written by a fit with the "
                                         rf"loss {LOSSES[name][0]()!r}.*this fit has {other!r}"
                                         .replace("(", r"\(").replace(")", r"\)")
                                         .replace("[", r"\[").replace("]", r"\]")):
        fit(name, tmp_path / "run.rpz", resume=True, loss=other)


@pytest.mark.parametrize("first, again", [
    (nn.CrossEntropyLoss(weight=[1, 2, 1]), nn.CrossEntropyLoss(weight=[1.0, 2.0, 1.0])),
    (nn.CrossEntropyLoss(weight=(0.5, 1.0, 3.0)),
     nn.CrossEntropyLoss(weight=rp.tensor([0.5, 1.0, 3.0]))),
])
def test_a_fit_resumed_with_the_same_loss_written_otherwise_continues(tmp_path, first, again):
    """The checkpoint compares the loss's settings by value, not its repr: class weights
    [1, 2, 1] and [1.0, 2.0, 1.0] (a list, a tuple, a tensor) are the same loss."""
    reference, _ = fit("CrossEntropyLoss weighted", tmp_path / "reference.rpz", loss=first)
    with pytest.raises(Crash):
        fit("CrossEntropyLoss weighted", tmp_path / "run.rpz", limit=3, loss=first)
    resumed, _ = fit("CrossEntropyLoss weighted", tmp_path / "run.rpz", resume=True,
                     loss=again)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


def test_a_checkpoint_continues_under_a_loss_with_a_setting_added_since(tmp_path,
                                                                         monkeypatch):
    """A later version that shows a new default in the loss's repr, or gives the loss a
    setting that the checkpoint does not name, still resumes the checkpoint."""
    name = "HuberLoss"
    reference, _ = fit(name, tmp_path / "reference.rpz")
    with pytest.raises(Crash):
        fit(name, tmp_path / "run.rpz", limit=3)
    shown, config = nn.HuberLoss.extra_repr, nn.HuberLoss.get_config
    monkeypatch.setattr(nn.HuberLoss, "extra_repr", lambda self: shown(self) + ", new=0")
    monkeypatch.setattr(nn.HuberLoss, "get_config", lambda self: {**config(self), "new": 0})
    resumed, _ = fit(name, tmp_path / "run.rpz", resume=True)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


class CountingLoss(nn.Module):
    """A user's loss that keeps a count of its calls besides its setting."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale, self.calls = scale, 0

    def forward(self, outputs, target):
        self.calls += 1
        return ((outputs - target) ** 2).mean() * self.scale


def test_a_users_loss_that_counts_its_calls_resumes(tmp_path):
    """What a loss records while it trains is not one of its settings: only the arguments
    it was built with are compared."""
    reference, _ = fit("L1Loss", tmp_path / "reference.rpz", loss=CountingLoss(0.5))
    with pytest.raises(Crash):
        fit("L1Loss", tmp_path / "run.rpz", limit=3, loss=CountingLoss(0.5))
    resumed, _ = fit("L1Loss", tmp_path / "run.rpz", resume=True, loss=CountingLoss(0.5))
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)
    with pytest.raises(Crash):
        fit("L1Loss", tmp_path / "run.rpz", limit=3, loss=CountingLoss(0.5))
    with pytest.raises(ValueError, match=r"\(scale=0\.5 there, 2\.0 here\)"):
        fit("L1Loss", tmp_path / "run.rpz", resume=True, loss=CountingLoss(2.0))


def test_a_refused_resume_names_the_loss_setting_that_differs(tmp_path):
    with pytest.raises(Crash):
        fit("HuberLoss", tmp_path / "run.rpz", limit=3)
    with pytest.raises(ValueError, match=r"\(delta=0\.4 there, 0\.5 here\)"):
        fit("HuberLoss", tmp_path / "run.rpz", resume=True, loss=nn.HuberLoss(delta=0.5))
    with pytest.raises(ValueError, match=r"\(a HuberLoss there, a SmoothL1Loss here\)"):
        fit("HuberLoss", tmp_path / "run.rpz", resume=True, loss=nn.SmoothL1Loss(beta=0.4))


def test_the_train_command_names_a_loss_setting_it_does_not_take(tmp_path):
    """`retroprop train` chooses the loss from the data (labels or values): a `loss` in its
    configuration is refused by name, not ignored."""
    config = tmp_path / "train.toml"
    config.write_text('loss = "huber"\nepochs = 2\n')
    with pytest.raises(ValueError, match=r"unknown settings \['loss'\]"):
        read_toml(config)


# ---- the scikit-learn estimators ------------------------------------------------------

ESTIMATOR_LOSSES = [
    (MLPClassifier, nn.CrossEntropyLoss(weight=[1.0, 3.0, 0.5])),
    (MLPClassifier, nn.CrossEntropyLoss(ignore_index=2, label_smoothing=0.05)),
    (MLPClassifier, nn.L1Loss()),
    (MLPClassifier, nn.HuberLoss(delta=0.5)),
    (MLPClassifier, nn.SmoothL1Loss(beta=0.5)),
    (MLPClassifier, nn.MSELoss()),
    (MLPClassifier, nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 1.0])),
    (MLPClassifier, "huber"),
    (MLPClassifier, "absolute_error"),
    (MLPRegressor, "huber"),
    (MLPRegressor, "l1"),
    (MLPRegressor, nn.L1Loss()),
    (MLPRegressor, nn.HuberLoss(delta=0.3)),
    (MLPRegressor, nn.SmoothL1Loss(beta=0.3)),
]


@pytest.mark.parametrize("estimator, loss", ESTIMATOR_LOSSES,
                         ids=[f"{e.__name__}-{loss!r}" for e, loss in ESTIMATOR_LOSSES])
def test_an_estimator_fits_with_the_loss_clones_and_pickles(estimator, loss):
    """Fitted with example weights, cloned and fitted again (the same network: the loss
    is a parameter), pickled (the same predictions), and the loss lowers on the way."""
    X, y = data("labels" if estimator is MLPClassifier else "values")
    if estimator is MLPRegressor:
        y = y[:, 0]
    made = estimator(hidden_layer_sizes=(8,), max_iter=15, random_state=0, loss=loss,
                     learning_rate_init=0.01)
    weights = np.arange(len(X)) % 4 + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 15 iterations
        made.fit(X, y, sample_weight=weights)
        copy = clone(made).fit(X, y, sample_weight=weights)
    assert made.loss_curve_[-1] < made.loss_curve_[0]
    assert copy.loss_curve_ == made.loss_curve_
    again = pickle.loads(pickle.dumps(made))
    np.testing.assert_array_equal(again.predict(X), made.predict(X))


@pytest.mark.parametrize("loss, message", [
    (nn.NLLLoss(weight=[1.0, 2.0, 1.0]), r"loss=NLLLoss\(.*\) takes log-probabilities.*"
                                         r"CrossEntropyLoss\(weight=..., ignore_index=...\)"),
    (nn.BCELoss(), r"loss=BCELoss\(.*\) takes probabilities.*BCEWithLogitsLoss\(weight=...,"
                   r" pos_weight=...\)")])
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_an_estimator_refuses_a_loss_of_probabilities_on_its_logits(estimator, loss,
                                                                     message):
    """The estimators' networks end in logits (or values), not log-probabilities: NLLLoss
    on them has no minimum (it trains the outputs of the right class up without end), and
    BCELoss fails at the first output outside [0, 1]; the estimator names the loss that
    takes logits, before training."""
    X, y = data("labels")
    made = estimator(hidden_layer_sizes=(4,), max_iter=2, loss=loss)
    with pytest.raises(ValueError, match=message):
        made.fit(X, y)
    assert not hasattr(made, "loss_curve_")


@pytest.mark.parametrize("module, name, solver", [
    (nn.MSELoss(), "mse", "adam"), (nn.QuadraticLoss(reduction="mean"), "squared_error", "adam"),
    (nn.L1Loss(), "absolute_error", "adam"),
    (nn.HuberLoss(), "huber", "adam"), (nn.BCEWithLogitsLoss(), "binary_cross_entropy", "adam"),
    (nn.MSELoss(), "mse", "levenberg_marquardt")])
def test_a_classifiers_loss_module_trains_as_the_loss_of_its_name(module, name, solver):
    """An element-wise loss module compares a classifier's outputs with one-hot rows of
    its labels, as the same loss named by a string: the same training, also by
    Levenberg–Marquardt's residuals (squared error only)."""
    X, y = data("labels")
    curves = []
    for loss in (module, name):
        made = MLPClassifier(hidden_layer_sizes=(6,), max_iter=4, random_state=0, loss=loss,
                             solver=solver)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made.fit(X, y, sample_weight=np.arange(len(X)) % 2 + 1.0)
        curves.append(made.loss_curve_)
    assert curves[0] == curves[1]
