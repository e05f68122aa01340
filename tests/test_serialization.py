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


def saved_with_optimizer(tmp_path):
    """Save a model with its SGD optimizer after one step with momentum; the optimizer."""
    net = model()
    optimizer = rp.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(np.ones((2, 5))).sum().backward()
    optimizer.step()
    rp.save(net, tmp_path / "m.rpz", optimizer=optimizer)
    return optimizer


def test_optimizer_state_round_trip(tmp_path):
    optimizer = saved_with_optimizer(tmp_path)
    restored = rp.optim.SGD(rp.load(tmp_path / "m.rpz").parameters(), lr=0.5, momentum=0.5)
    restored.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz"))
    assert restored.param_groups[0]["lr"] == 0.1
    for mine, theirs in zip(optimizer.state.values(), restored.state.values(), strict=True):
        np.testing.assert_array_equal(mine["momentum_buffer"], theirs["momentum_buffer"])


# ---------------------------------------------------------------------- hostile and old files
def write_archive(path, header, **arrays):
    """A model archive with this JSON header and these arrays, written by NumPy directly."""
    arrays["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def saved_header(tmp_path):
    rp.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.rpz")
    with np.load(tmp_path / "m.rpz") as archive:
        arrays = dict(archive)
    return json.loads(arrays.pop("__retroprop__").tobytes()), arrays


def test_format_version_1_files_are_read():
    """A file written in format version 1 by retroprop 0.1.0 before the optimizer state
    schema (committed): later versions must keep reading it. Its output is recomputed here
    from its arrays with NumPy alone."""
    path = "tests/fixtures/model_format_v1.rpz"
    model = rp.load(path).eval()
    with np.load(path) as archive:
        w = {name: archive[name] for name in archive.files}
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    hidden = np.tanh(x @ w["model/0.weight"].T + w["model/0.bias"])
    hidden = (hidden - w["model/1.running_mean"]) / np.sqrt(w["model/1.running_var"] + 1e-5)
    hidden = hidden * w["model/1.weight"] + w["model/1.bias"]
    expected = hidden @ w["model/2.weight"].T + w["model/2.bias"]
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6, atol=1e-6)
    assert json.loads(w["__retroprop__"].tobytes())["format_version"] == 1
    optimizer = rp.optim.SGD(model.parameters(), lr=0.5)
    optimizer.load_state_dict(rp.load_optimizer_state(path))
    assert optimizer.param_groups[0]["lr"] == 0.1
    buffers = [optimizer.state[p]["momentum_buffer"] for p in model.parameters()]
    for index, buffer in enumerate(buffers):
        np.testing.assert_array_equal(buffer, w[f"optimizer/{index}/momentum_buffer"])


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_unknown_format_versions_are_refused(tmp_path, version):
    header, arrays = saved_header(tmp_path)
    header["format_version"] = version
    write_archive(tmp_path / "v.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match=r"declares format version .*; format "
                                                r"versions are integers from 1"):
        rp.load(tmp_path / "v.rpz")


@pytest.mark.parametrize("field, value, message", [
    ("architecture", [1, 2], "architecture must be a dict"),
    ("metadata", "note", "metadata must be a dict"),
    ("dtype", "int8", "dtype 'int8' is not float32 or float64"),
    ("optimizer", {"scalars": [], "param_groups": []}, "the optimizer entry is neither"),
])
def test_header_fields_are_checked(tmp_path, field, value, message):
    header, arrays = saved_header(tmp_path)
    header[field] = value
    write_archive(tmp_path / "h.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match=message):
        rp.load(tmp_path / "h.rpz")
    with pytest.raises(rp.ModelFileError, match=message):
        rp.serialization.read_metadata(tmp_path / "h.rpz")


def test_headers_that_are_not_json_bytes_are_refused(tmp_path):
    _, arrays = saved_header(tmp_path)
    arrays["__retroprop__"] = np.zeros(3, np.float32)
    with open(tmp_path / "f.rpz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match="must be 1-D uint8 bytes, got float32"):
        rp.load(tmp_path / "f.rpz")
    arrays["__retroprop__"] = np.frombuffer(b"[" * 100_000, np.uint8)
    with open(tmp_path / "deep.rpz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match="corrupt header"):
        rp.load(tmp_path / "deep.rpz")


def test_architectures_larger_than_the_weights_are_not_built(tmp_path):
    header, arrays = saved_header(tmp_path)
    header["architecture"] = {"class": "retroprop.nn.linear.Linear",
                              "args": {"in_features": 100_000, "out_features": 100_000}}
    write_archive(tmp_path / "big.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match=r"declares layers of about 10000000000 weights "
                                                r"but the file holds 6: refusing"):
        rp.load(tmp_path / "big.rpz")


def test_architectures_that_cannot_be_built_are_refused(tmp_path):
    header, arrays = saved_header(tmp_path)
    header["architecture"]["args"]["modules"][0]["__module__"]["args"]["in_features"] = -2
    write_archive(tmp_path / "neg.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match=r"cannot be built \(ValueError: Linear: "
                                                "in_features must be a positive integer"):
        rp.load(tmp_path / "neg.rpz")
    header["architecture"] = {"class": "retroprop.nn.container.Sequential",
                              "args": {"modules": 3}}
    write_archive(tmp_path / "bad.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match=r"cannot be built \(TypeError"):
        rp.load(tmp_path / "bad.rpz")


def test_weights_of_the_wrong_shape_or_unknown_arrays_are_refused(tmp_path):
    header, arrays = saved_header(tmp_path)
    arrays["model/0.weight"] = np.zeros((3, 2), np.float32)
    write_archive(tmp_path / "shape.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match="the weights do not fit the architecture"):
        rp.load(tmp_path / "shape.rpz")
    header, arrays = saved_header(tmp_path)
    write_archive(tmp_path / "extra.rpz", header, extra=np.zeros(2), **arrays)
    with pytest.raises(rp.ModelFileError, match="unexpected array 'extra'"):
        rp.load(tmp_path / "extra.rpz")
    for dtype in (complex, "M8[s]", [("a", "<f4")], "<U3"):
        arrays["model/0.weight"] = np.zeros((2, 2), dtype)
        write_archive(tmp_path / "kind.rpz", header, **arrays)
        with pytest.raises(rp.ModelFileError, match=r"'model/0.weight' has dtype .*; model files "
                                                    r"hold numbers only"):
            rp.load(tmp_path / "kind.rpz")


def test_corrupt_optimizer_state_is_refused(tmp_path):
    saved_with_optimizer(tmp_path)
    with np.load(tmp_path / "m.rpz") as archive:
        arrays = dict(archive)
    header = json.loads(arrays.pop("__retroprop__").tobytes())
    del arrays["optimizer/0"]
    write_archive(tmp_path / "missing.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match="refers to a missing array 'optimizer/0'"):
        rp.load_optimizer_state(tmp_path / "missing.rpz")
    header["optimizer"] = {"class": "SGD", "scalars": {"x1": {"step": 1}}, "param_groups": []}
    write_archive(tmp_path / "legacy.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match="parameter index 'x1' is not a small"):
        rp.load_optimizer_state(tmp_path / "legacy.rpz")
    header["optimizer"] = {"class": "SGD", "state": {}}
    write_archive(tmp_path / "neither.rpz", header, **arrays)
    with pytest.raises(rp.ModelFileError, match="optimizer entry is neither a state tree"):
        rp.load_optimizer_state(tmp_path / "neither.rpz")
    rp.save(model(), tmp_path / "plain.rpz")
    with pytest.raises(rp.ModelFileError, match="saved without an optimizer"):
        rp.load_optimizer_state(tmp_path / "plain.rpz")


def test_zip_members_larger_than_the_file_are_refused(tmp_path):
    """A stored member whose header claims more bytes than the archive holds."""
    rp.save(model(), tmp_path / "m.rpz")
    data = bytearray((tmp_path / "m.rpz").read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 20:central + 28] = (10**9).to_bytes(4, "little") * 2
    (tmp_path / "m.rpz").write_bytes(bytes(data))
    with pytest.raises(rp.ModelFileError, match=r"declares 1000000000 compressed bytes, more "
                                                r"than the .* bytes of the file"):
        rp.load(tmp_path / "m.rpz")


def test_every_model_file_error_is_a_file_format_error_and_a_value_error():
    assert issubclass(rp.ModelFileError, rp.FileFormatError)
    assert issubclass(rp.FileFormatError, ValueError)
    assert rp.serialization.ModelFileError is rp.ModelFileError


def test_deeply_nested_arguments(tmp_path):
    _, arrays = saved_header(tmp_path)
    header = ('{"format": "retroprop-model", "format_version": 1, "dtype": "float32", '
              '"metadata": {}, "architecture": {"class": "retroprop.nn.container.Flatten", '
              '"args": {"start_dim": ' + "[" * 900 + "]" * 900 + "}}}")
    arrays["__retroprop__"] = np.frombuffer(header.encode(), np.uint8)
    with open(tmp_path / "deep.rpz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match="cannot be built"):
        rp.load(tmp_path / "deep.rpz")
