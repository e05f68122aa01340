"""Review of the sixteenth session's optimizer flags: what the Trainer and the optimizers
refuse that used to fail later, or silently."""

import numpy as np
import pytest

import retroprop as rp


def regression():
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    return X, X.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("build", [
    lambda params: rp.optim.SGD(params, lr=0.05, maximize=True),
    lambda params: rp.optim.Adam([{"params": params[:1]},
                                  {"params": params[1:], "maximize": True}], amsgrad=True),
])
def test_fit_refuses_an_optimizer_that_climbs_the_loss(build):
    """fit trained with maximize=True and the loss grew each epoch (4.6, 10, 21, 49, 110)."""
    rp.manual_seed(0)
    model = rp.nn.Sequential(rp.nn.Linear(3, 1))
    optimizer = build(list(model.parameters()))
    trainer = rp.Trainer(model, rp.nn.MSELoss(), optimizer)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"fit: (SGD|Adam) has maximize=True \(parameter "
                                         r"groups \[[01]\]\), which would climb the loss"):
        trainer.fit(*regression(), epochs=2, verbose=0)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))


def test_fit_trains_once_maximize_is_switched_off():
    rp.manual_seed(0)
    model = rp.nn.Sequential(rp.nn.Linear(3, 1))
    optimizer = rp.optim.SGD(model.parameters(), lr=0.05, maximize=True)
    optimizer.param_groups[0]["maximize"] = False
    history = rp.Trainer(model, rp.nn.MSELoss(), optimizer).fit(*regression(), epochs=3,
                                                                 verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_an_integer_tensor_is_refused_as_a_parameter(name):
    """An int64 tensor given requires_grad=True by attribute was accepted, and the first
    step failed inside NumPy ("Cannot cast ufunc 'add' output ...")."""
    weights = rp.zeros(3, dtype=rp.long)
    weights.requires_grad = True
    with pytest.raises(TypeError, match=rf"{name}: params\[0\] \(shape \(3,\)\) has dtype "
                                        r"int64; expected a floating dtype"):
        getattr(rp.optim, name)([weights])
