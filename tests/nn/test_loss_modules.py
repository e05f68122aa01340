"""NLLLoss, L1Loss, HuberLoss and SmoothL1Loss as PyTorch's modules (values, gradients,
defaults), their refusals, and their use by the Trainer, the estimators and ``rp.save``.
Their ops go through the registry's harness in ``tests/ops/test_registry.py``."""

import inspect

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn, serialization
from retroprop.nn import functional as F
from retroprop.sklearn import MLPRegressor

REGRESSION = [nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss]
NEW = [nn.NLLLoss, *REGRESSION]


def pair(module, torch_module, x, t):
    """(ours, PyTorch's) loss and input gradient for x, in float64."""
    ours_x = rp.Tensor(x, dtype=np.float64, requires_grad=True)
    ours = module(ours_x, t)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = torch_module(theirs_x, torch.as_tensor(t))
    upstream = np.random.default_rng(1).standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.as_tensor(upstream))
    return (ours.data, ours_x.grad), (theirs.detach().numpy(), theirs_x.grad.numpy())


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_defaults_are_pytorchs(cls):
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(getattr(torch.nn, cls.__name__)).parameters
    for name, parameter in ours.items():
        assert theirs[name].default == parameter.default, name


@pytest.mark.parametrize("name", ["nll_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_functional_names_and_defaults_are_pytorchs(name):
    ours = inspect.signature(getattr(F, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
    assert set(theirs) - set(ours) <= {"size_average", "reduce"}  # deprecated in PyTorch
    for parameter in ours.values():
        assert theirs[parameter.name].default == parameter.default, parameter.name


@pytest.mark.parametrize(("ours", "theirs"), [
    (nn.NLLLoss(weight=[0.5, 2.0, 1.0, 3.0], ignore_index=1, reduction="sum"),
     torch.nn.NLLLoss(weight=torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64),
                      ignore_index=1, reduction="sum")),
    (nn.NLLLoss(weight=np.array([0.5, 2.0, 1.0, 3.0])),
     torch.nn.NLLLoss(weight=torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64))),
    (nn.L1Loss(reduction="none"), torch.nn.L1Loss(reduction="none")),
    (nn.HuberLoss(delta=0.7), torch.nn.HuberLoss(delta=0.7)),
    (nn.SmoothL1Loss(reduction="sum", beta=0.3), torch.nn.SmoothL1Loss(reduction="sum", beta=0.3)),
], ids=["nll_weight_ignore_sum", "nll_weighted_mean", "l1_none", "huber", "smooth_l1_sum"])
def test_modules_match_pytorchs(ours, theirs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 4))
    t = rng.integers(0, 4, 7) if isinstance(ours, nn.NLLLoss) else rng.standard_normal((7, 4))
    (value, grad), (expected, expected_grad) = pair(ours, theirs, x, t)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_l1_gradient_is_zero_where_output_equals_target():
    x = np.array([[0.0, 1.0, -2.0, 3.0]])
    for module, theirs in ((nn.L1Loss(), torch.nn.L1Loss()),
                           (nn.SmoothL1Loss(beta=0.0), torch.nn.SmoothL1Loss(beta=0.0))):
        (_, grad), (_, expected) = pair(module, theirs, x, x.copy())
        np.testing.assert_array_equal(grad, np.zeros_like(x))
        np.testing.assert_array_equal(grad, expected)


def test_huber_is_beta_times_smooth_l1():
    rng = np.random.default_rng(2)
    x, t = rp.Tensor(3 * rng.standard_normal((5, 3)), dtype=np.float64), np.zeros((5, 3))
    for beta in (0.25, 1.0, 4.0):
        np.testing.assert_allclose(nn.HuberLoss(reduction="none", delta=beta)(x, t).data,
                                   beta * nn.SmoothL1Loss(reduction="none", beta=beta)(x, t).data,
                                   rtol=1e-12)


def test_nll_of_log_softmax_is_cross_entropy_and_all_ignored_is_nan():
    z = rp.Tensor(np.random.default_rng(3).standard_normal((6, 3)))
    labels = np.array([0, 2, 1, 1, 0, 2])
    np.testing.assert_allclose(nn.NLLLoss()(nn.LogSoftmax(dim=1)(z), labels).item(),
                               nn.CrossEntropyLoss()(z, labels).item(), rtol=1e-6)
    assert np.isnan(nn.NLLLoss(ignore_index=0)(z, np.zeros(6, dtype=int)).item())
    assert torch.isnan(torch.nn.NLLLoss(ignore_index=0)(torch.tensor(z.data),
                                                         torch.zeros(6, dtype=torch.long)))


def test_nll_gives_ignored_examples_no_gradient_when_all_are_ignored():
    # the mean is 0/0 = NaN, as PyTorch's, but the ignored examples' gradient stays 0
    x = rp.Tensor(np.zeros((3, 4)), requires_grad=True)
    theirs = torch.zeros((3, 4), dtype=torch.float32, requires_grad=True)
    nn.NLLLoss()(x, np.full(3, -100)).backward()
    torch.nn.NLLLoss()(theirs, torch.full((3,), -100)).backward()
    np.testing.assert_array_equal(x.grad, theirs.grad.numpy())
    np.testing.assert_array_equal(x.grad, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_dtype_is_kept(cls, dtype):
    x = rp.Tensor(np.zeros((3, 2)), dtype=dtype, requires_grad=True)
    t = np.array([0, 1, 1]) if cls is nn.NLLLoss else np.ones((3, 2))
    loss = (cls(weight=[1, 2]) if cls is nn.NLLLoss else cls())(x, t)
    loss.backward()
    assert loss.dtype == dtype and x.grad.dtype == dtype


def bad(match, error=ValueError):
    return pytest.raises(error, match=match)


FUNCTIONS = {nn.NLLLoss: F.nll_loss, nn.L1Loss: F.l1_loss, nn.HuberLoss: F.huber_loss,
             nn.SmoothL1Loss: F.smooth_l1_loss}


def test_bad_arguments_name_the_argument_and_the_value():
    x = rp.Tensor(np.zeros((4, 3)))
    for cls in NEW:
        target = np.zeros(4, int) if cls is nn.NLLLoss else np.zeros((4, 3))
        with bad(rf"{cls.__name__}: reduction must be one of .*got 'avg'"):
            cls(reduction="avg")
        with bad(rf"{cls.__name__}: reduction must be one of .*got 'avg'"):
            FUNCTIONS[cls](x, target, reduction="avg")
        with bad(rf"{cls.__name__}: input must be a Tensor, got ndarray", TypeError):
            FUNCTIONS[cls](np.zeros((4, 3)), target)
    with bad(r"HuberLoss: delta must be a positive finite number, got 0"):
        nn.HuberLoss(delta=0)
    with bad(r"HuberLoss: delta must be a positive finite number, got -1"):
        F.huber_loss(x, np.zeros((4, 3)), delta=-1)
    with bad(r"SmoothL1Loss: beta must be a finite number >= 0, got -0.5"):
        nn.SmoothL1Loss(beta=-0.5)
    with bad(r"L1Loss: weight must have the input's shape \(4, 3\), got shape \(3,\)"):
        F.l1_loss(x, np.zeros((4, 3)), weight=np.ones(3))
    with bad(r"HuberLoss: weight holds 1 NaN"):
        F.huber_loss(x, np.zeros((4, 3)), weight=np.pad([[np.nan]], ((0, 3), (0, 2))))
    for cls in REGRESSION:
        with bad(rf"{cls.__name__}: target has shape \(4,\) but the input has shape \(4, 3\)"):
            cls()(x, np.zeros(4))
        with bad(rf"{cls.__name__}: the target holds 1 NaN"):
            cls()(x, np.pad([[np.nan]], ((0, 3), (0, 2))))


def test_nll_refuses_bad_labels_shapes_and_weights():
    x = rp.Tensor(np.zeros((4, 3)))
    with bad(r"NLLLoss: labels must be in \[0, 2\] for 3 classes, got \[-1, 3\]"):
        nn.NLLLoss()(x, np.array([0, 3, -1, 1]))
    with bad(r"NLLLoss: labels must be integers, got values such as \[0.5\]"):
        nn.NLLLoss()(x, np.array([0.5, 1, 1, 1]))
    with bad(r"NLLLoss: target must be integer labels of shape \(4,\), got shape \(4, 3\)"):
        nn.NLLLoss()(x, np.full((4, 3), 1 / 3))
    with bad(r"NLLLoss: input must be log-probabilities of shape \(N, C\), got shape \(2, 3, 2\)"):
        nn.NLLLoss()(rp.Tensor(np.zeros((2, 3, 2))), np.array([0, 1]))
    with bad(r"NLLLoss: weight must hold one number per class, shape \(3,\), got shape \(2,\)"):
        nn.NLLLoss(weight=[1.0, 2.0])(x, np.array([0, 1, 2, 1]))
    with bad(r"NLLLoss: weight holds 1 NaN"):
        nn.NLLLoss(weight=[1.0, np.nan, 1.0])(x, np.array([0, 1, 2, 1]))
    with bad(r"NLLLoss: ignore_index must be an integer, got 0.5", TypeError):
        F.nll_loss(x, np.array([0, 1, 2, 1]), ignore_index=0.5)
    # the ignored label may be outside the classes, and only it
    assert nn.NLLLoss(ignore_index=7)(x, np.array([0, 7, 2, 1])).item() == 0.0
    with bad(r"got \[-100\]"):
        nn.NLLLoss(ignore_index=7)(x, np.array([0, -100, 2, 1]))


def data(cls, n=40):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    if cls is nn.NLLLoss:
        return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return X, X @ np.array([0.5, -1.0, 2.0]) + 0.1  # (n,): a column for the one output


def model_for(cls):
    rp.manual_seed(0)
    if cls is nn.NLLLoss:
        return nn.Sequential(nn.Linear(3, 3), nn.LogSoftmax(dim=1))
    return nn.Sequential(nn.Linear(3, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_trainer_fits_and_evaluates_with_each_new_loss(cls, reduction):
    X, y = data(cls)
    model = model_for(cls)
    loss = cls(reduction=reduction)
    trainer = rp.Trainer(model, loss, rp.optim.Adam(model.parameters(), lr=0.05))
    before = trainer.evaluate(X, y)["loss"]
    history = trainer.fit(X, y, epochs=30, batch_size=8, verbose=0)
    after = trainer.evaluate(X, y)
    assert after["loss"] < 0.5 * before
    assert np.isfinite(history.history["loss"]).all()
    target = y if cls is nn.NLLLoss else y.reshape(-1, 1)  # (n,) became (n, 1)
    with rp.no_grad():
        expected = loss(model(X.astype(np.float32)), target).item()
    np.testing.assert_allclose(after["loss"], expected, rtol=1e-5)
    if cls is nn.NLLLoss:
        assert after["accuracy"] > 0.8
        np.testing.assert_allclose(trainer.predict_proba(X).sum(axis=1), 1, rtol=1e-5)


def test_nll_trainer_checks_labels_and_passes_the_ignored_one():
    X, y = data(nn.NLLLoss)
    trainer = rp.Trainer(model_for(nn.NLLLoss), nn.NLLLoss(), rp.optim.SGD(
        model_for(nn.NLLLoss).parameters()))
    with bad(r"the model has 3 outputs, so labels must be in 0..2; unexpected values \[5\]"):
        trainer.fit(X, np.where(np.arange(len(y)) == 3, 5, y), epochs=1, verbose=0)
    with bad(r"fit: NLLLoss needs integer labels of shape \(n,\), got shape \(40, 1\)"):
        trainer.fit(X, y.reshape(-1, 1), epochs=1, verbose=0)
    model = model_for(nn.NLLLoss)
    trainer = rp.Trainer(model, nn.NLLLoss(), rp.optim.SGD(model.parameters(), lr=0.1))
    trainer.fit(X, np.where(np.arange(len(y)) % 4 == 0, -100, y), epochs=2, verbose=0)


def test_hard_example_sampling_keeps_the_losss_settings():
    X, y = data(nn.HuberLoss)
    model = model_for(nn.HuberLoss)
    loss = nn.HuberLoss(delta=0.25)
    trainer = rp.Trainer(model, loss, rp.optim.SGD(model.parameters(), lr=0.01))
    trainer.fit(X, y, epochs=1, batch_size=None, verbose=0, sampling="hard_examples")
    assert trainer._per_example.delta == 0.25 and loss.reduction == "mean"


@pytest.mark.parametrize("loss", [nn.NLLLoss(ignore_index=3, reduction="sum"),
                                  nn.NLLLoss(weight=[1.0, 2.0]), nn.L1Loss(reduction="none"),
                                  nn.HuberLoss(delta=2.5), nn.SmoothL1Loss(beta=0.5)],
                         ids=repr)
def test_losses_round_trip_through_the_saved_architecture(loss):
    rebuilt = serialization.build(serialization.architecture(loss))
    assert type(rebuilt) is type(loss) and repr(rebuilt) == repr(loss)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("name", "module"), [("absolute_error", nn.L1Loss()),
                                              ("l1", nn.L1Loss()), ("huber", nn.HuberLoss())])
def test_estimators_take_the_new_losses_by_name(name, module):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] - X[:, 1]
    options = {"max_iter": 10, "random_state": 0, "learning_rate_init": 0.01}
    by_name = MLPRegressor((8,), loss=name, **options).fit(X, y)
    by_module = MLPRegressor((8,), loss=module, **options).fit(X, y)
    np.testing.assert_allclose(by_name.loss_curve_, by_module.loss_curve_, rtol=1e-6)
    assert by_name.loss_curve_[-1] < by_name.loss_curve_[0]
