import json
import pickle

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def model():
    return nn.Sequential(nn.Linear(5, 8, init="he_normal", activation="tanh"), nn.Dropout(0.3),
                         nn.Residual(nn.Linear(8, 8)), nn.LeakyReLU(0.2), nn.Linear(8, 3))


def test_save_load_predicts_identically(tmp_path):
    original = model().eval()
    path = tmp_path / "model.rpz"
    rp.save(original, path, metadata={"note": "hello"})
    loaded = rp.load(path).eval()
    x = np.random.default_rng(0).random((4, 5), dtype=np.float32)
    np.testing.assert_array_equal(original(x).data, loaded(x).data)
    assert repr(loaded) == repr(original)
    assert rp.serialization.read_metadata(path) == {"note": "hello"}


def test_float64_models_stay_float64(tmp_path):
    original = model().to(np.float64)
    rp.save(original, tmp_path / "m.rpz")
    assert rp.load(tmp_path / "m.rpz").dtype == np.float64


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.rpz"
    rp.save(model(), path)
    rp.save(model(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.rpz"]


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / "m.rpz"
    rp.save(model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(rp.ModelFileError, match="corrupt or not a retroprop model"):
        rp.load(path)


def test_pickles_are_refused(tmp_path):
    path = tmp_path / "evil.rpz"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(rp.ModelFileError, match="pickled data"):
        rp.load(path)
    inside = tmp_path / "evil2.rpz"
    with open(inside, "wb") as handle:
        np.savez(handle, __retroprop__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(rp.ModelFileError, match="pickled data"):
        rp.load(inside)


def test_foreign_and_newer_files_are_rejected(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(rp.ModelFileError, match="not a retroprop model file"):
        rp.load(foreign)
    text = tmp_path / "notes.rpz"
    text.write_text("just some text")
    with pytest.raises(rp.ModelFileError, match="corrupt or not a retroprop model"):
        rp.load(text)
    newer = tmp_path / "newer.rpz"
    header = {"format": "retroprop-model", "format_version": 99, "architecture": {}}
    with open(newer, "wb") as handle:
        np.savez(handle, __retroprop__=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    with pytest.raises(rp.ModelFileError, match="format version 99 by a newer retroprop"):
        rp.load(newer)
    with pytest.raises(FileNotFoundError):
        rp.load(tmp_path / "missing.rpz")


def test_unknown_classes_are_not_imported(tmp_path):
    path = tmp_path / "m.rpz"
    rp.save(nn.Sequential(nn.Linear(2, 2)), path)
    with np.load(path) as archive:
        arrays = dict(archive)
    header = json.loads(arrays["__retroprop__"].tobytes())
    header["architecture"]["class"] = "os.system"
    arrays["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match="not defined in this program"):
        rp.load(path)


def test_custom_modules_round_trip(tmp_path):
    class Twice(nn.Module):
        def __init__(self, features: int, factor: float = 2.0):
            super().__init__()
            self.linear = nn.Linear(features, features)
            self.factor = factor

        def forward(self, x):
            return self.linear(x) * self.factor

    original = Twice(3, factor=3.0)
    rp.save(original, tmp_path / "t.rpz")
    loaded = rp.load(tmp_path / "t.rpz")
    assert isinstance(loaded, Twice) and loaded.factor == 3.0
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(original(x).data, loaded(x).data)


def test_optimizer_state_round_trip(tmp_path):
    net = model()
    optimizer = rp.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(np.ones((2, 5))).sum().backward()
    optimizer.step()
    rp.save(net, tmp_path / "m.rpz", optimizer=optimizer)
    restored = rp.optim.SGD(rp.load(tmp_path / "m.rpz").parameters(), lr=0.5, momentum=0.5)
    restored.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz"))
    assert restored.param_groups[0]["lr"] == 0.1
    for mine, theirs in zip(optimizer.state.values(), restored.state.values(), strict=True):
        np.testing.assert_array_equal(mine["momentum_buffer"], theirs["momentum_buffer"])
