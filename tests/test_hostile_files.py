"""Property-based tests: truncated, bit-flipped, oversized-header and random files thrown at
``rp.load``, ``rp.load_optimizer_state``, the NPZ/NPY reader and the IDX reader. Each either
reads the file or raises the documented FileFormatError subclass, without allocating more
than a few megabytes."""

import atexit
import gzip
import inspect
import io
import json
import shutil
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import retroprop as rp
from retroprop import nn
from retroprop.datasets import read_idx
from retroprop.safe_npz import read_npy, read_npz
from retroprop.serialization import _live_classes, read_metadata

PEAK_LIMIT = 8 * 2**20
"""The most memory a reader may take on these small files (the hostile ones declare GBs)."""
SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
FOLDER = Path(tempfile.mkdtemp(prefix="retroprop-hostile-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)


def rezip(data: bytes, method: int) -> bytes:
    """The same archive with every member stored by ``method``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(buffer, "w", method) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    return buffer.getvalue()


def saved_model() -> bytes:
    """A small model saved with its optimizer's state."""
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6, activation="tanh"), nn.BatchNorm1d(6),
                          nn.Linear(6, 2))
    optimizer = rp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(np.ones((3, 4), np.float32)).sum().backward()
    optimizer.step()
    rp.save(model, FOLDER / "base.rpz", optimizer=optimizer)
    return (FOLDER / "base.rpz").read_bytes()


MODELS = [saved_model(), rezip(saved_model(), zipfile.ZIP_DEFLATED)]


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


IMAGES = idx_bytes(np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4))
FLOATS = idx_bytes(np.linspace(-1, 1, 12).reshape(3, 4), 0x0E)
IDX_FILES = [IMAGES, gzip.compress(IMAGES), FLOATS, gzip.compress(FLOATS)]


def outcome(reader, path, error):
    """Run ``reader(path)``: True if it read the file, False if it raised ``error``; any
    other exception fails the test. Also checks the peak memory it took."""
    tracemalloc.start()
    try:
        reader(path)
        read = True
    except error:
        read = False
    finally:  # checked even when ``reader`` raised something else
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < PEAK_LIMIT, f"{reader.__name__} took {peak} bytes"
    return read


# ---------------------------------------------------------------------- mutations
@st.composite
def truncated(draw, files):
    data = draw(st.sampled_from(files))
    return data[:draw(st.integers(0, len(data) - 1))]


@st.composite
def bit_flipped(draw, files):
    data = bytearray(draw(st.sampled_from(files)))
    for position in draw(st.lists(st.integers(0, 8 * len(data) - 1), min_size=1, max_size=8)):
        data[position // 8] ^= 1 << (position % 8)
    return bytes(data)


def random_files(prefixes):
    return st.builds(lambda prefix, tail: prefix + tail, st.sampled_from([b"", *prefixes]),
                     st.binary(max_size=600))


def mutated(files, prefixes):
    return st.one_of(truncated(files), bit_flipped(files), random_files(prefixes))


def check_model_readers(data: bytes, must_fail: bool = False):
    path = FOLDER / "mutated.rpz"
    path.write_bytes(data)
    for reader in (rp.load, rp.load_optimizer_state, read_metadata):
        read = outcome(reader, path, rp.ModelFileError)
        assert not (read and must_fail)


@SETTINGS
@given(mutated(MODELS, [b"PK\x03\x04", b"\x80\x04", b"\x93NUMPY\x01\x00"]))
def test_model_readers_on_mutated_and_random_files(data):
    check_model_readers(data)


@SETTINGS
@given(truncated(MODELS))
def test_truncated_model_files_are_always_refused(data):
    check_model_readers(data, must_fail=True)


@SETTINGS
@given(mutated(IDX_FILES, [b"\x00\x00\x08\x03", b"\x00\x00\x0e\x02", b"\x1f\x8b"]))
def test_idx_reader_on_mutated_and_random_files(data):
    path = FOLDER / "mutated.idx"
    path.write_bytes(data)
    outcome(read_idx, path, rp.datasets.IDXError)


# ---------------------------------------------------------------------- oversized headers
def npy_bytes(shape, descr="<f4", data=b"", version=1):
    header = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + data


def npz_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_declared_size(data: bytes, size: int) -> bytes:
    """The archive with every member's uncompressed size field set to ``size`` (local and
    central headers), its CRC left valid for the real content."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = patched.find(signature)
        while start >= 0:
            patched[start + offset:start + offset + 4] = struct.pack("<I", size)
            start = patched.find(signature, start + 4)
    return bytes(patched)


shapes = st.lists(st.integers(0, 2**40), min_size=1, max_size=4)


@SETTINGS
@given(shapes, st.sampled_from(["<f4", "<f8", "|u1", "<i8"]), st.binary(max_size=64),
       st.sampled_from([1, 2]))
def test_npy_headers_declaring_more_than_present(shape, descr, data, version):
    np_data = npy_bytes(shape, descr, data, version)
    needed = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    representable = int(np.prod([d for d in shape if d], dtype=object)) * np.dtype(
        descr).itemsize < 2**63
    (FOLDER / "a.npy").write_bytes(np_data)
    readable = needed == len(data) and representable
    assert outcome(read_npy, FOLDER / "a.npy", rp.DataFileError) == readable
    (FOLDER / "a.npz").write_bytes(npz_bytes({"x.npy": np_data}))
    assert outcome(read_npz, FOLDER / "a.npz", rp.DataFileError) == readable


@SETTINGS
@given(st.integers(2**16, 2**32 - 1), st.sampled_from([zipfile.ZIP_STORED,
                                                       zipfile.ZIP_DEFLATED]))
def test_zip_members_declaring_more_than_present(size, method):
    real = npz_bytes({"x.npy": npy_bytes((4,), data=bytes(16))}, method)
    (FOLDER / "b.npz").write_bytes(with_declared_size(real, size))
    assert not outcome(read_npz, FOLDER / "b.npz", rp.DataFileError)


def test_a_zip_bomb_is_refused_before_inflating():
    """A deflated member of 1 MB that claims 4 GB: refused from the sizes alone."""
    real = npz_bytes({"x.npy": npy_bytes((2**18,), data=bytes(2**20))}, zipfile.ZIP_DEFLATED)
    (FOLDER / "bomb.npz").write_bytes(with_declared_size(real, 2**32 - 1))
    with pytest.raises(rp.DataFileError, match="compressed bytes can hold"):
        outcome(read_npz, FOLDER / "bomb.npz", ())


@SETTINGS
@given(st.integers(2**20, 2**40), st.integers(2**10, 2**40))
def test_architectures_declaring_more_weights_than_present(inputs, outputs):
    header = {"format": "retroprop-model", "format_version": 1, "dtype": "float32",
              "metadata": {}, "optimizer": None,
              "architecture": {"class": "retroprop.nn.linear.Linear",
                               "args": {"in_features": inputs, "out_features": outputs}}}
    members = {"__retroprop__.npy": npy_bytes(
        (len(json.dumps(header)),), "|u1", json.dumps(header).encode())}
    (FOLDER / "huge.rpz").write_bytes(npz_bytes(members))
    assert not outcome(rp.load, FOLDER / "huge.rpz", rp.ModelFileError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=12)
MODULE_CLASSES = {name: classes[-1] for name, classes in _live_classes().items()
                  if issubclass(classes[-1], nn.Module)}
LIBRARY_CLASSES = sorted(name for name in MODULE_CLASSES if name.startswith("retroprop."))


@st.composite
def architectures(draw, depth=2):
    """A module spec of a real class with hostile arguments (maybe sub-module specs, and
    references to modules, made, being made, later or missing)."""
    name = draw(st.sampled_from(LIBRARY_CLASSES))
    parameters = list(inspect.signature(MODULE_CLASSES[name].__init__).parameters)[1:]
    module = architectures(depth=depth - 1).map(lambda spec: {"__module__": spec}) | \
        st.integers(-1, 8).map(lambda number: {"__same_module__": number})
    values = json_values if depth == 0 else st.one_of(
        json_values, module, st.lists(module, max_size=3))
    keys = st.sampled_from(parameters) if parameters else st.text(max_size=4)
    return {"class": name, "args": draw(st.dictionaries(keys, values, max_size=4))}


@SETTINGS
@given(architectures(), st.sampled_from(["float32", "float64"]))
def test_architectures_with_hostile_arguments(spec, dtype):
    header = {"format": "retroprop-model", "format_version": 2, "dtype": dtype,
              "metadata": {}, "optimizer": None, "architecture": spec}
    text = json.dumps(header).encode()
    members = {"__retroprop__.npy": npy_bytes((len(text),), "|u1", text),
               "model/weight.npy": npy_bytes((3,), "<f4", bytes(12))}
    (FOLDER / "args.rpz").write_bytes(npz_bytes(members))
    outcome(rp.load, FOLDER / "args.rpz", rp.ModelFileError)


@SETTINGS
@given(st.lists(st.one_of(st.just(0), st.integers(0, 2**32 - 1)), min_size=1, max_size=4),
       st.binary(max_size=64), st.booleans())
def test_idx_headers_declaring_more_than_present(shape, data, compressed):
    raw = bytes([0, 0, 0x08, len(shape)]) + np.array(shape, ">u4").tobytes() + data
    (FOLDER / "h.idx").write_bytes(gzip.compress(raw) if compressed else raw)
    representable = int(np.prod([d for d in shape if d], dtype=object)) < 2**63
    assert outcome(read_idx, FOLDER / "h.idx", rp.datasets.IDXError) == (
        int(np.prod(shape, dtype=object)) == len(data) and representable)


def test_an_idx_gzip_bomb_is_read_only_as_far_as_declared():
    """32 MB of zeros behind a header declaring 8 bytes: refused after reading 9."""
    raw = bytes([0, 0, 0x08, 1]) + np.array([8], ">u4").tobytes() + bytes(2**25)
    (FOLDER / "bomb.idx").write_bytes(gzip.compress(raw))
    with pytest.raises(IDXError := rp.datasets.IDXError, match="too long"):
        outcome(read_idx, FOLDER / "bomb.idx", ())
    assert issubclass(IDXError, rp.DataFileError)
