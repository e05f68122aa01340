"""The checked NPZ/NPY reader: it reads what NumPy writes, as ``np.load`` does, and refuses
what ``np.load`` would trust."""

import io
import struct
import zipfile

import numpy as np
import pytest

import retroprop as rp
from retroprop.safe_npz import read_npy, read_npz

ARRAYS = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4),
    "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
    "big_endian": np.arange(5, dtype=">i4"),
    "scalar": np.array(2.5),
    "empty": np.zeros((0, 3), np.uint8),
    "bools": np.array([True, False]),
    "structured": np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2", (2,))]),
}


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_reads_what_numpy_writes_as_np_load_does(tmp_path, save):
    save(tmp_path / "a.npz", **ARRAYS)
    ours = read_npz(tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz") as theirs:
        assert sorted(ours) == sorted(theirs.files)
        for name in theirs.files:
            np.testing.assert_array_equal(ours[name], theirs[name])
            assert ours[name].dtype == theirs[name].dtype
            assert ours[name].flags.f_contiguous == theirs[name].flags.f_contiguous
    for name, array in ARRAYS.items():
        np.save(tmp_path / f"{name}.npy", array)
        np.testing.assert_array_equal(read_npy(tmp_path / f"{name}.npy"), array)


def npy(header: bytes, version: int = 1) -> bytes:
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header


def archive(members, method=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as out:
        for name, content in members:
            out.writestr(name, content)
    return buffer.getvalue()


def test_object_arrays_and_pickles_are_refused(tmp_path):
    with open(tmp_path / "o.npz", "wb") as handle:
        np.savez(handle, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(rp.DataFileError, match="holds pickled data, which could run code"):
        read_npz(tmp_path / "o.npz")
    np.save(tmp_path / "o.npy", np.array([None]), allow_pickle=True)
    with pytest.raises(rp.DataFileError, match="holds pickled data"):
        read_npy(tmp_path / "o.npy")


@pytest.mark.parametrize("header, message", [
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,)}",
     r"declares shape \(1000000000,\) of float32 \(4000000000 bytes of data\) but holds 0"),
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", r"invalid shape \(-1,\)"),
    (b"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", "fortran_order=0, not a bool"),
    (b"{'descr': 'bogus', 'fortran_order': False, 'shape': (1,)}", "invalid dtype 'bogus'"),
    (b"{'descr': '<f4', 'shape': (1,)}", "without exactly descr, fortran_order and shape"),
    (b"__import__('os')", "unreadable .npy header"),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 0)}",
     "too large for any array"),
])
def test_malformed_npy_headers(tmp_path, header, message):
    (tmp_path / "h.npy").write_bytes(npy(header))
    with pytest.raises(rp.DataFileError, match=message):
        read_npy(tmp_path / "h.npy")
    (tmp_path / "h.npz").write_bytes(archive([("x.npy", npy(header))]))
    with pytest.raises(rp.DataFileError, match=message):
        read_npz(tmp_path / "h.npz")


def test_header_lengths_beyond_the_file_or_the_limit(tmp_path):
    (tmp_path / "long.npy").write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31))
    with pytest.raises(rp.DataFileError, match=r"declares a .npy header of 2147483648 bytes"):
        read_npy(tmp_path / "long.npy")
    (tmp_path / "v9.npy").write_bytes(b"\x93NUMPY\x09\x00" + bytes(10))
    with pytest.raises(rp.DataFileError, match=r"format version 9\.0"):
        read_npy(tmp_path / "v9.npy")


def test_zip_structure_is_checked(tmp_path):
    good = npy(b"{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}") + b"\x01\x02"
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = archive([("x.npy", good), ("x.npy", good)])
    cases = [
        (twice, "'x.npy' appears twice"),
        (archive([("notes.txt", b"hello")]), "'notes.txt' is not a .npy array"),
        (archive([("x.npy", good)], zipfile.ZIP_BZIP2), "compression method 12"),
    ]
    encrypted = bytearray(archive([("x.npy", good)]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = encrypted.find(signature)
        encrypted[start + offset] |= 1
    cases.append((bytes(encrypted), "'x.npy' is encrypted"))
    for index, (data, message) in enumerate(cases):
        (tmp_path / f"{index}.npz").write_bytes(data)
        with pytest.raises(rp.DataFileError, match=message):
            read_npz(tmp_path / f"{index}.npz")


def test_files_that_are_not_archives(tmp_path):
    (tmp_path / "t.npz").write_text("a,b\n1,2\n")
    with pytest.raises(rp.DataFileError, match=r"is corrupt or not a NumPy .npz archive"):
        read_npz(tmp_path / "t.npz")
    with pytest.raises(FileNotFoundError, match="no file at"):
        read_npz(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError, match="no file at"):
        read_npy(tmp_path)
    np.save(tmp_path / "x.npy", np.ones(3))
    with pytest.raises(rp.ModelFileError, match=r"load: .* is corrupt or not a retroprop model"):
        read_npz(tmp_path / "x.npy", rp.ModelFileError, "load: ", "retroprop model")
