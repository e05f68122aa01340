"""fit with frozen parameters (``requires_grad = False``) in the optimizer, as a PyTorch
transfer-learning loop builds it (``optim.SGD(model.parameters(), ...)`` after freezing a
layer): refused when nothing is trainable; saved and resumed exactly."""

import numpy as np
import pytest

import retroprop as rp

BUILDERS = {
    "SGD": lambda p: rp.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "Adam": lambda p: rp.optim.Adam(p, lr=0.01),
    "Rprop": lambda p: rp.optim.Rprop(p, lr=0.01),
    "LBFGS": lambda p: rp.optim.LBFGS(p, max_iter=3),
}


@pytest.fixture(scope="module")
def data():
    (X, y), _ = rp.datasets.load_digits()
    return rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)[:200], y[:200]


def _trainer(name):
    rp.manual_seed(0)
    model = rp.models.mlp([64, 16, 10])
    model[0].requires_grad_(False)
    return rp.Trainer(model, rp.nn.CrossEntropyLoss(), BUILDERS[name](model.parameters()))


def _fit(trainer, data, **extra):
    batch_size = None if trainer.optimizer.full_batch else 50
    return trainer.fit(*data, epochs=2, batch_size=batch_size, shuffle=False, verbose=0,
                       **extra)


def test_fit_refuses_an_optimizer_of_frozen_parameters_only(data):
    """It used to fail inside backward ("does not require grad")."""
    trainer = _trainer("SGD")
    trainer.model.requires_grad_(False)
    with pytest.raises(ValueError, match=r"every parameter of SGD \(4\) is frozen "
                                         r"\(requires_grad=False\)"):
        _fit(trainer, data)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_layer_frozen_at_save_time_resumes_exactly(data, name, tmp_path):
    """Trained with its first layer frozen, saved with the optimizer's state, loaded into a
    fresh model and optimizer, then unfrozen: the run ends with the weights of the one that
    was not saved, bit for bit; the frozen layer kept its weights and got no state."""
    straight, saved = _trainer(name), _trainer(name)
    frozen = straight.model[0].weight.data.copy()
    for trainer in (straight, saved):
        _fit(trainer, data)
    np.testing.assert_array_equal(saved.model[0].weight.data, frozen)
    rp.save(saved.model, tmp_path / "m.rpz", optimizer=saved.optimizer)
    state = rp.load_optimizer_state(tmp_path / "m.rpz")
    if not saved.optimizer.full_batch:
        assert 0 not in state["state"] and 1 not in state["state"]
    model = rp.load(tmp_path / "m.rpz")
    model[0].requires_grad_(False)  # as it was when saved
    resumed = rp.Trainer(model, rp.nn.CrossEntropyLoss(), BUILDERS[name](model.parameters()))
    resumed.optimizer.load_state_dict(state)
    for trainer in (straight, resumed):
        trainer.model[0].requires_grad_(True)
        _fit(trainer, data)
    assert not np.array_equal(resumed.model[0].weight.data, frozen)
    for mine, expected in zip(resumed.model.parameters(), straight.model.parameters(),
                              strict=True):
        np.testing.assert_array_equal(mine.data, expected.data)
