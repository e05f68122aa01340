"""State dicts and checkpoints saved with ``rp.save(dict, path)`` and read with
``rp.load(path)``, PyTorch's ``torch.save(model.state_dict(), path)`` idiom: a custom
training loop resumed from such a checkpoint continues bit for bit, with every optimizer."""

import json
import pickle

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim
from tests.train.test_combinations import OPTIMIZERS


def network():
    rp.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))


def test_a_state_dict_round_trips_with_dtypes_and_memory_order(tmp_path):
    model = network()
    state = model.state_dict()
    rp.save(state, tmp_path / "weights.rpz")
    loaded = rp.load(tmp_path / "weights.rpz")
    assert list(loaded) == list(state)
    for name, value in state.items():
        np.testing.assert_array_equal(loaded[name], value)
        assert loaded[name].dtype == value.dtype, name
        assert loaded[name].flags.f_contiguous == value.flags.f_contiguous, name
    copy = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    copy.load_state_dict(loaded)
    x = np.random.default_rng(1).random((5, 6), dtype=np.float32)
    np.testing.assert_array_equal(copy.eval()(x).data, model.eval()(x).data)


def test_a_checkpoint_keeps_its_structure_numbers_and_tensors(tmp_path):
    checkpoint = {"epoch": 3, "loss": 0.25, "name": "run", "best": None, "flags": [True, 2],
                  "pair": (1, 2.5), "scalar": np.float32(1.5), "by_index": {0: "a", 7: "b"},
                  "tensor": rp.Tensor(np.arange(4.0), requires_grad=True),
                  "rng": rp.get_rng_state()}
    rp.save(checkpoint, tmp_path / "checkpoint.rpz")
    loaded = rp.load(tmp_path / "checkpoint.rpz")
    assert {k: loaded[k] for k in ("epoch", "loss", "name", "best", "flags", "pair",
                                   "by_index")} == {
        "epoch": 3, "loss": 0.25, "name": "run", "best": None, "flags": [True, 2],
        "pair": (1, 2.5), "by_index": {0: "a", 7: "b"}}
    assert loaded["scalar"].dtype == np.float32 and loaded["scalar"] == 1.5
    assert isinstance(loaded["tensor"], np.ndarray)
    assert loaded["rng"] == checkpoint["rng"]  # integers above 2⁶⁴ included
    np.testing.assert_array_equal(loaded["tensor"], np.arange(4.0))


def _loop(model, optimizer, X, Y, labels, steps):
    """A PyTorch-style loop: ``steps`` full-batch steps of ``optimizer``."""
    mse = nn.MSELoss()

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), labels)
        loss.backward()
        return loss.item()

    for _ in range(steps):
        if optimizer.step_kind == "residuals":
            optimizer.step(lambda: model(X) - Y)
        elif optimizer.step_kind == "closure":
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        assert np.isfinite(mse(model(X), Y).item())


class NoSchedule:
    """Levenberg–Marquardt has no rate to schedule (its damping adapts itself)."""

    def step(self):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        assert state == {}


def scheduled(optimizer):
    if optimizer.has_lr:
        return optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)
    return NoSchedule()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_custom_loop_resumes_from_a_checkpoint_bit_for_bit(tmp_path, name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    Y = np.eye(3, dtype=np.float32)[labels]
    model = network()
    optimizer = OPTIMIZERS[name](model.parameters())
    schedule = scheduled(optimizer)
    _loop(model, optimizer, X, Y, labels, 3)
    schedule.step()
    rp.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "schedule": schedule.state_dict(), "epoch": 1, "rng": rp.get_rng_state()},
            tmp_path / "checkpoint.rpz")
    _loop(model, optimizer, X, Y, labels, 3)

    resumed = network()
    resumed_optimizer = OPTIMIZERS[name](resumed.parameters())
    resumed_schedule = scheduled(resumed_optimizer)
    checkpoint = rp.load(tmp_path / "checkpoint.rpz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_schedule.load_state_dict(checkpoint["schedule"])
    rp.set_rng_state(checkpoint["rng"])  # VSGD draws its probe directions
    assert checkpoint["epoch"] == 1
    assert resumed_optimizer.param_groups[0] == optimizer.param_groups[0] | {
        "params": resumed_optimizer.param_groups[0]["params"]}
    _loop(resumed, resumed_optimizer, X, Y, labels, 3)
    for (key, value), (_, other) in zip(model.state_dict().items(),
                                        resumed.state_dict().items(), strict=True):
        np.testing.assert_array_equal(other, value, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("bad, message", [
    ({"model": nn.Linear(2, 1)}, r"cannot store state\.model \(a Linear\): store its "
                                 r"state_dict\(\) instead"),
    ([{"f": len}], r"cannot store state\[0\]\.f = <built-in function len> "
                   r"\(builtin_function_or_method\)"),
    ({"text": np.array(["a"])}, r"cannot store state\.text: arrays of dtype <U1"),
    (3, "expected a Module, or a state dict or checkpoint .* got int"),
])
def test_what_a_state_file_cannot_hold_is_refused_by_name(tmp_path, bad, message):
    with pytest.raises(TypeError, match=message):
        rp.save(bad, tmp_path / "bad.rpz")
    assert not (tmp_path / "bad.rpz").exists()


def test_model_file_arguments_are_refused_with_a_state_dict(tmp_path):
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="optimizer, metadata belong to a model file"):
        rp.save(model.state_dict(), tmp_path / "s.rpz",
                optimizer=optim.SGD(model.parameters(), lr=0.1), metadata={"a": 1})


@pytest.mark.parametrize("reader", [rp.load_model, rp.serialization.read_metadata,
                                    rp.load_optimizer_state,
                                    rp.serialization.load_training_state])
def test_model_readers_name_a_state_file(tmp_path, reader):
    rp.save(nn.Linear(2, 1).state_dict(), tmp_path / "s.rpz")
    with pytest.raises(rp.ModelFileError, match=r"holds a state dict or checkpoint written "
                                                r"by rp\.save\(dict, path\), not a model"):
        reader(tmp_path / "s.rpz")


def test_load_model_reads_a_model_as_load_does(tmp_path):
    model = network().eval()
    rp.save(model, tmp_path / "m.rpz")
    x = np.ones((2, 6), np.float32)
    np.testing.assert_array_equal(rp.load_model(tmp_path / "m.rpz")(x).data, model(x).data)
    np.testing.assert_array_equal(rp.load(tmp_path / "m.rpz")(x).data, model(x).data)


def test_loading_a_model_leaves_the_generator_as_it_was(tmp_path):
    # rebuilding the architecture drew fresh weights from it, so restoring the generator's
    # state before loading the model (as with torch.load) gave another stream of draws
    rp.save(nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Conv2d(1, 2, 3)),
            tmp_path / "m.rpz")
    rp.manual_seed(5)
    state = rp.get_rng_state()
    rp.load(tmp_path / "m.rpz")
    rp.load_model(tmp_path / "m.rpz")
    assert rp.get_rng_state() == state


def _rewrite(path, header=None, **arrays):
    """The state file at ``path`` with its header replaced and arrays added."""
    stored = dict(np.load(path))
    if header is not None:
        stored["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, **stored, **arrays)


@pytest.mark.parametrize("change, message", [
    (dict(header={"format": "retroprop-state", "format_version": 2, "state": {}}),
     "state format version 2; this retroprop reads versions 1 to 1"),
    (dict(header={"format": "retroprop-state", "format_version": "1", "state": {}}),
     "state format version '1'"),
    (dict(header={"format": "retroprop-state", "format_version": 1,
                  "state": {"w": {"__array__": "state/9"}}}),
     "refers to a missing array 'state/9'"),
    ({"model/extra": np.zeros(2)}, "unexpected array 'model/extra'"),
    # each reference would copy the array: a small file could ask for unbounded memory
    (dict(header={"format": "retroprop-state", "format_version": 1,
                  "state": [{"__array__": "state/0"}] * 3}),
     "refers to the array 'state/0' twice"),
    (dict(header={"format": "retroprop-state", "format_version": 1,
                  "state": {"__scalar__": "state/0"}}),
     r"array 'state/0' of shape \(2,\) as a scalar"),
    (dict(header={"format": "retroprop-state", "format_version": 1,
                  "state": {"__tuple__": 5}}), "malformed tuple 5"),
])
def test_corrupt_state_files_are_refused(tmp_path, change, message):
    path = tmp_path / "s.npz"
    rp.save({"w": np.ones(2)}, path)
    _rewrite(path, **change)
    with pytest.raises(rp.ModelFileError, match=message):
        rp.load(path)


def test_a_pickled_state_file_is_refused(tmp_path):
    path = tmp_path / "evil.rpz"
    header = {"format": "retroprop-state", "format_version": 1,
              "state": {"w": {"__array__": "state/0"}}}
    with open(path, "wb") as handle:
        np.savez(handle, __retroprop__=np.frombuffer(json.dumps(header).encode(), np.uint8),
                 **{"state/0": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(rp.ModelFileError, match="pickled data"):
        rp.load(path)
    path.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(rp.ModelFileError, match="pickled data"):
        rp.load(path)


@pytest.mark.parametrize("inner, message", [
    ({"state": -1, "inc": 1}, "out of bounds"),  # NumPy raises OverflowError for these
    ({"state": 2**200, "inc": 1}, "too large"),
    ({"state": "x", "inc": 1}, "unsupported operand"),
])
def test_set_rng_state_names_a_corrupt_state(inner, message):
    state = {"bit_generator": "PCG64", "state": inner, "has_uint32": 0, "uinteger": 0}
    with pytest.raises(ValueError, match=f"set_rng_state: the state is corrupt .*{message}"):
        rp.set_rng_state(state)
