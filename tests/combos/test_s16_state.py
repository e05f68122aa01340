"""Combination audit of state files (``rp.save``/``rp.load``, fifteenth session) with every
optimizer's ``state_dict``: after a few steps, the state written to a file (a state file,
or a model file with its optimizer) and read into a fresh optimizer continues as the
uninterrupted run, bit for bit, with every option that changes what the state holds, two
parameter groups, float64 weights, and one loaded state given to two optimizers."""

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim
from retroprop.serialization import load_optimizer_state


def _groups(params):
    """Two groups: the first layer at the optimizer's settings, the rest at another rate
    (or, for the optimizers without one, the same settings)."""
    params = list(params)
    return [{"params": params[:2]}, {"params": params[2:]}]


def _slower(params):
    first, rest = _groups(params)
    return [first, {**rest, "lr": 0.01}]


# name -> optimizer(params): every optimizer, with the options that change its state
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "SGD momentum dampening": lambda p: optim.SGD(_slower(p), lr=0.1, momentum=0.9,
                                                  dampening=0.3, weight_decay=1e-3),
    "SGD nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda p: optim.Adam(_slower(p), lr=0.01, weight_decay=1e-3),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01, betas=(0.8, 0.99)),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
    "RMSprop centered momentum": lambda p: optim.RMSprop(_slower(p), lr=0.01, momentum=0.5,
                                                         centered=True, weight_decay=1e-3),
    "Adagrad": lambda p: optim.Adagrad(_slower(p), lr=0.1, lr_decay=0.01,
                                       initial_accumulator_value=0.1, weight_decay=1e-3),
    "Rprop": lambda p: optim.Rprop(p, lr=0.01),
    "Rprop irprop+": lambda p: optim.Rprop(_slower(p), variant="irprop+"),
    "AdaptiveGains": lambda p: optim.AdaptiveGains(_slower(p), lr=0.05, momentum=0.5),
    "VSGD": lambda p: optim.VSGD(_groups(p), warmup=2),
    "SGLD": lambda p: optim.SGLD(_slower(p), lr=1e-3, num_examples=40, weight_decay=1.0,
                                 seed=3),
    "SGLD unseeded": lambda p: optim.SGLD(p, lr=1e-3, num_examples=40),
    "ConjugateGradient": lambda p: optim.ConjugateGradient(p, max_iter=3, restart=4),
    "LBFGS": lambda p: optim.LBFGS(p, max_iter=3, history_size=4),
    "LBFGS no line search": lambda p: optim.LBFGS(p, lr=0.5, max_iter=3, line_search=None),
    "BFGS": lambda p: optim.BFGS(p, max_iter=3),
    "Newton": lambda p: optim.Newton(p, hessian="cg", cg_iter=8),
    "Newton exact": lambda p: optim.Newton(p, hessian="exact"),
    "LevenbergMarquardt": lambda p: optim.LevenbergMarquardt(p, cg_iter=8),
}


def test_the_matrix_covers_every_optimizer():
    exported = {name for name in optim.__all__
                if isinstance(getattr(optim, name), type)
                and issubclass(getattr(optim, name), optim.Optimizer)
                and getattr(optim, name) is not optim.Optimizer}
    assert exported == {name.split()[0] for name in OPTIMIZERS}


def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)).astype(rp.get_default_dtype())
    labels = rng.integers(0, 3, 40)
    return X, labels, np.eye(3, dtype=rp.get_default_dtype())[labels]


def network():
    rp.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def steps(model, optimizer, count):
    """``count`` full-batch steps, as a PyTorch loop takes them."""
    X, labels, Y = problem()

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), labels)
        loss.backward()
        return loss.item()

    for _ in range(count):
        if optimizer.step_kind == "residuals":
            optimizer.step(lambda: model(X) - Y)
        elif optimizer.step_kind == "closure":
            optimizer.step(closure)
        else:  # the closure recomputes the gradient (and gives Rprop irprop+ the loss)
            optimizer.step(closure)


def assert_same(model, other, name):
    for (key, value), (_, theirs) in zip(model.state_dict().items(),
                                         other.state_dict().items(), strict=True):
        np.testing.assert_array_equal(theirs, value, err_msg=f"{name}: {key}")
        assert theirs.dtype == value.dtype


def started(name):
    """A model and its optimizer after 3 steps, and the generator's state then."""
    model = network()
    optimizer = OPTIMIZERS[name](model.parameters())
    steps(model, optimizer, 3)
    return model, optimizer, rp.get_rng_state()


def fresh(name, model):
    """A model built again with the saved weights, and a new optimizer on it."""
    resumed = network()
    resumed.load_state_dict(model.state_dict())
    return resumed, OPTIMIZERS[name](resumed.parameters())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_state_file_continues_the_run_bit_for_bit(tmp_path, name, dtype):
    rp.set_default_dtype(dtype)
    model, optimizer, rng = started(name)
    rp.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng},
            tmp_path / "checkpoint.rpz")
    resumed, resumed_optimizer = fresh(name, model)
    checkpoint = rp.load(tmp_path / "checkpoint.rpz")
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert resumed_optimizer.param_groups == [
        {**group, "params": own["params"]}
        for group, own in zip(optimizer.param_groups, resumed_optimizer.param_groups,
                              strict=True)]
    rp.set_rng_state(rng)
    saved = model.state_dict()["0.weight"].copy()
    steps(model, optimizer, 3)
    assert not np.array_equal(model.state_dict()["0.weight"], saved)  # the run went on
    rp.set_rng_state(checkpoint["rng"])  # VSGD's probe directions, unseeded SGLD's noise
    steps(resumed, resumed_optimizer, 3)
    assert_same(model, resumed, name)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_model_file_with_its_optimizer_continues_the_run_bit_for_bit(tmp_path, name):
    model, optimizer, rng = started(name)
    rp.save(model, tmp_path / "model.rpz", optimizer=optimizer)
    saved_groups = [{k: v for k, v in g.items() if k != "params"}
                    for g in optimizer.param_groups]
    steps(model, optimizer, 3)
    resumed = rp.load_model(tmp_path / "model.rpz")
    resumed_optimizer = OPTIMIZERS[name](resumed.parameters())
    resumed_optimizer.load_state_dict(load_optimizer_state(tmp_path / "model.rpz",
                                                           resumed_optimizer))
    assert [{k: v for k, v in g.items() if k != "params"}
            for g in resumed_optimizer.param_groups] == saved_groups
    rp.set_rng_state(rng)
    steps(resumed, resumed_optimizer, 3)
    assert_same(model, resumed, name)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_one_loaded_state_given_to_two_optimizers_keeps_them_apart(tmp_path, name):
    """Loading copies: the steps of one optimizer change neither the loaded dict nor the
    other optimizer's state (a state shared by reference would move both)."""
    model, optimizer, rng = started(name)
    rp.save({"optimizer": optimizer.state_dict()}, tmp_path / "state.rpz")
    loaded = rp.load(tmp_path / "state.rpz")["optimizer"]
    first, first_optimizer = fresh(name, model)
    second, second_optimizer = fresh(name, model)
    first_optimizer.load_state_dict(loaded)
    second_optimizer.load_state_dict(loaded)
    rp.set_rng_state(rng)
    steps(first, first_optimizer, 3)
    rp.set_rng_state(rng)
    steps(second, second_optimizer, 3)
    assert_same(first, second, name)
    rp.set_rng_state(rng)
    steps(model, optimizer, 3)
    assert_same(model, first, name)
    again = rp.load(tmp_path / "state.rpz")["optimizer"]
    assert repr(again) == repr(loaded)  # nothing wrote into the loaded dict


@pytest.mark.parametrize("name", ["SGD momentum dampening", "Adam", "LBFGS", "SGLD"])
def test_a_state_from_another_model_is_refused_by_name(tmp_path, name):
    _, optimizer, _ = started(name)
    rp.save({"optimizer": optimizer.state_dict()}, tmp_path / "state.rpz")
    rp.manual_seed(0)
    other = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"load_state_dict: the saved state is for "
                                         r"parameters of shapes .* it comes from a different"):
        OPTIMIZERS[name](other.parameters()).load_state_dict(
            rp.load(tmp_path / "state.rpz")["optimizer"])


@pytest.mark.parametrize("saved, loader", [
    ("Adam", "SGD momentum dampening"), ("SGD momentum dampening", "Adam"),
    ("RMSprop", "Adagrad"), ("Adagrad", "AdaptiveGains"), ("AdaptiveGains", "SGD"),
    ("SGLD", "RMSprop"), ("Rprop", "LBFGS"), ("LBFGS", "ConjugateGradient"),
    ("VSGD", "Adam"), ("LevenbergMarquardt", "Newton")])
def test_a_state_of_another_optimizer_is_refused_by_name(tmp_path, saved, loader):
    """A state file does not name the optimizer's class (a model file does, and
    load_optimizer_state checks it): another optimizer's state, which would bring its
    settings into the groups and leave this one's moments out, is refused by name."""
    _, optimizer, _ = started(saved)
    rp.save({"optimizer": optimizer.state_dict()}, tmp_path / "state.rpz")
    model = network()
    other = OPTIMIZERS[loader](model.parameters())
    before = repr(other)
    with pytest.raises(ValueError, match=rf"{type(other).__name__}\.load_state_dict: the saved "
                                         r"parameter groups hold settings .* the state was "
                                         r"saved by another optimizer"):
        other.load_state_dict(rp.load(tmp_path / "state.rpz")["optimizer"])
    assert repr(other) == before


@pytest.mark.parametrize("saved_dtype, dtype", [(np.float32, np.float64),
                                                (np.float64, np.float32)])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_state_saved_in_another_dtype_continues_in_the_models(tmp_path, name, saved_dtype,
                                                                dtype):
    """A state file of a float32 run loaded into a float64 model (or the other way) gives
    the buffers of each weight the weight's dtype, as PyTorch casts them; the full-batch
    methods keep their float64 vectors. The run continues in the model's dtype."""
    rp.set_default_dtype(saved_dtype)
    model, optimizer, rng = started(name)
    rp.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "checkpoint.rpz")
    rp.set_default_dtype(dtype)
    resumed = network()
    resumed.load_state_dict(rp.load(tmp_path / "checkpoint.rpz")["model"])
    resumed_optimizer = OPTIMIZERS[name](resumed.parameters())
    resumed_optimizer.load_state_dict(rp.load(tmp_path / "checkpoint.rpz")["optimizer"])
    rp.set_rng_state(rng)
    steps(resumed, resumed_optimizer, 3)
    for param, state in resumed_optimizer.state.items():
        assert param.dtype == dtype
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                expected = dtype if value.shape == param.shape else np.float64
                assert value.dtype == expected, f"{name}: {key}"


@pytest.mark.parametrize("name", ["SGD nesterov", "Adam", "RMSprop"])
def test_a_state_saved_before_a_setting_existed_keeps_the_optimizers_value(tmp_path, name):
    """A saved group without one of the optimizer's settings (a state written before the
    setting was added) loads, and the setting keeps the value the optimizer was built
    with; the run then continues as the uninterrupted one."""
    model, optimizer, _ = started(name)
    state = optimizer.state_dict()
    dropped = sorted(optimizer.defaults)[-1]
    for group in state["param_groups"]:
        del group[dropped]
    rp.save({"model": model.state_dict(), "optimizer": state}, tmp_path / "old.rpz")
    steps(model, optimizer, 2)
    saved = rp.load(tmp_path / "old.rpz")
    resumed = network()
    resumed.load_state_dict(saved["model"])
    other = OPTIMIZERS[name](resumed.parameters())
    other.load_state_dict(saved["optimizer"])
    assert other.param_groups[0][dropped] == optimizer.param_groups[0][dropped]
    steps(resumed, other, 2)
    for ours, theirs in zip(resumed.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(ours.data, theirs.data)
