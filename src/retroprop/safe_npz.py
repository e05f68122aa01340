"""Reading ``.npz`` and ``.npy`` files that may be hostile.

``np.load(path, allow_pickle=False)`` already refuses pickles, but it trusts
the sizes that a file declares: an ``.npy`` header announcing a shape of
10¹² elements makes it allocate that much before noticing the data is
missing, and a zip member may claim (or inflate to) far more bytes than the
archive holds. These readers check every header against the data present
before allocating:

* the zip structure: no encryption, only the stored and deflated methods that
  NumPy writes, no duplicate or non-``.npy`` members, each member's declared
  size at most what its compressed bytes can inflate to (deflate cannot expand
  more than 1032-fold);
* each ``.npy`` header: magic string, version 1.0-3.0, a header of at most
  10 000 bytes, a literal dictionary with exactly ``descr``, ``fortran_order``
  and ``shape``, non-negative integer dimensions, a dtype without Python
  objects (those would be pickles), and shape × item size equal to the bytes
  that follow;
* the data is then read in chunks, so memory grows only with bytes that are
  actually there, and the zip CRC is verified.

Any violation raises :class:`~retroprop.errors.DataFileError` (or the
subclass of :class:`~retroprop.errors.FileFormatError` passed as ``error``).

Examples
--------
>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.npz")
>>> np.savez(path, X=np.ones((2, 3), np.float32))
>>> read_npz(path)["X"].shape
(2, 3)
"""

from __future__ import annotations

import ast
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from retroprop.errors import DataFileError, FileFormatError

MAX_HEADER_BYTES = 10_000
"""Longest ``.npy`` header accepted (NumPy's own limit for untrusted files)."""
DEFLATE_MAX_RATIO = 1032
"""The most that deflate can expand its input: a 258-byte match costs at least 2 bits."""
CHUNK_BYTES = 1 << 22

_NPY_MAGIC = b"\x93NUMPY"
_HEADER_LENGTH = {1: "<H", 2: "<I", 3: "<I"}
# What the standard library's zip and zlib code raise on malformed archives.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, struct.error,
               NotImplementedError, RuntimeError, OverflowError, KeyError, IndexError)


class _Pickled(Exception):
    """Raised inside the readers when a header asks for Python objects."""


def _refuse_pickle(path: Path, where: str, error: type[FileFormatError]) -> FileFormatError:
    return error(f"{where}{path} holds pickled data, which could run code: refusing to load it")


def read_at_most(handle: IO[bytes], size: int) -> bytearray:
    """Up to ``size`` bytes of ``handle``, read in chunks so that memory grows with the
    bytes actually present, not with a size that a header declares."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = handle.read(min(CHUNK_BYTES, size - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer


def _parse_header(handle: IO[bytes], available: int, what: str) -> tuple[tuple[int, ...], bool,
                                                                           np.dtype, int]:
    """(shape, fortran_order, dtype, header bytes) of the ``.npy`` stream at ``handle``;
    raises ``ValueError`` with the reason when the header is malformed."""
    start = bytes(read_at_most(handle, len(_NPY_MAGIC) + 2))
    if start[:1] == b"\x80":
        raise _Pickled
    if len(start) < 8 or start[:6] != _NPY_MAGIC:
        raise ValueError(f"{what} is not a .npy array (magic string {start[:6]!r})")
    major, minor = start[6], start[7]
    if major not in _HEADER_LENGTH or minor != 0:
        raise ValueError(f"{what} has .npy format version {major}.{minor}; "
                         "versions 1.0, 2.0 and 3.0 are read")
    length_format = _HEADER_LENGTH[major]
    raw_length = bytes(read_at_most(handle, struct.calcsize(length_format)))
    if len(raw_length) < struct.calcsize(length_format):
        raise ValueError(f"{what} is truncated inside its .npy header")
    (length,) = struct.unpack(length_format, raw_length)
    consumed = 8 + len(raw_length) + length
    if length > MAX_HEADER_BYTES or consumed > available:
        raise ValueError(f"{what} declares a .npy header of {length} bytes (at most "
                         f"{min(MAX_HEADER_BYTES, available - 8 - len(raw_length))} possible)")
    text = bytes(read_at_most(handle, length)).decode("utf8" if major == 3 else "latin1")
    try:
        header = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise ValueError(f"{what} has an unreadable .npy header {text[:80]!r}") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError(f"{what} has a .npy header without exactly descr, fortran_order "
                         f"and shape: {text[:80]!r}")
    shape, fortran = header["shape"], header["fortran_order"]
    if (not isinstance(shape, tuple) or
            not all(type(d) is int and d >= 0 for d in shape) or len(shape) > 64):
        raise ValueError(f"{what} declares an invalid shape {shape!r}")
    if not isinstance(fortran, bool):
        raise ValueError(f"{what} declares fortran_order={fortran!r}, not a bool")
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except (TypeError, ValueError, KeyError, IndexError, RecursionError):
        raise ValueError(f"{what} declares an invalid dtype {header['descr']!r}") from None
    if dtype.hasobject:
        raise _Pickled
    if dtype.itemsize == 0:
        raise ValueError(f"{what} declares the empty dtype {dtype}")
    if math.prod(d for d in shape if d) * dtype.itemsize >= 2**63:
        raise ValueError(f"{what} declares shape {shape} of {dtype}, too large for any array")
    return shape, fortran, dtype, consumed


def _read_array(handle: IO[bytes], available: int, what: str) -> np.ndarray:
    """The array in the ``.npy`` stream ``handle`` of ``available`` bytes; ``ValueError``
    when it is malformed, ``_Pickled`` when it holds Python objects."""
    shape, fortran, dtype, consumed = _parse_header(handle, available, what)
    needed = math.prod(shape) * dtype.itemsize
    if needed != available - consumed:
        raise ValueError(f"{what} declares shape {shape} of {dtype} ({needed} bytes of data) "
                         f"but holds {available - consumed} bytes")
    data = read_at_most(handle, needed)
    if len(data) != needed or handle.read(1):
        raise ValueError(f"{what} is truncated: {len(data)} of {needed} bytes of data")
    flat = np.frombuffer(data, dtype=dtype) if needed else np.empty(0, dtype)
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


def _check_member(info: zipfile.ZipInfo, archive_size: int, names: set[str]) -> str:
    """Why the zip member ``info`` cannot be read safely (empty when it can)."""
    if info.flag_bits & 0x1:
        return f"member {info.filename!r} is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return (f"member {info.filename!r} uses compression method {info.compress_type}; "
                "only stored and deflated members (what NumPy writes) are read")
    if not info.filename.endswith(".npy"):
        return f"member {info.filename!r} is not a .npy array"
    if info.filename in names:
        return f"member {info.filename!r} appears twice"
    if info.compress_size > archive_size:
        return (f"member {info.filename!r} declares {info.compress_size} compressed bytes, "
                f"more than the {archive_size} bytes of the file")
    limit = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED
                                  else DEFLATE_MAX_RATIO) + 64
    if info.file_size > limit:
        return (f"member {info.filename!r} declares {info.file_size} bytes, more than its "
                f"{info.compress_size} compressed bytes can hold")
    return ""


def _file_start(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    with path.open("rb") as handle:
        return handle.read(8)


def read_npz(path: str | os.PathLike[str], error: type[FileFormatError] = DataFileError,
             where: str = "", kind: str = "NumPy .npz archive") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive at ``path``, by name, checked before allocation.

    Parameters
    ----------
    path : path of the archive
    error : subclass of FileFormatError, default DataFileError
        What to raise on a malformed file.
    where : str, default ""
        Prefix of the messages (``"load: "``).
    kind : str, default "NumPy .npz archive"
        What the file should be, for the messages ("is corrupt or not a <kind>").

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    FileFormatError (``error``)
        On any malformed, pickled or inconsistent content.
    """
    path = Path(path)
    start = _file_start(path)
    if start[:1] == b"\x80":
        raise _refuse_pickle(path, where, error)
    if start[:4] != b"PK\x03\x04":
        raise error(f"{where}{path} is corrupt or not a {kind} (it is not a NumPy .npz "
                    "archive)")
    size = path.stat().st_size
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            seen: set[str] = set()
            for info in archive.infolist():
                problem = _check_member(info, size, seen)
                if problem:
                    raise ValueError(problem)
                seen.add(info.filename)
                with archive.open(info) as member:
                    arrays[info.filename[:-4]] = _read_array(
                        member, info.file_size, f"member {info.filename!r}")
    except _Pickled:
        raise _refuse_pickle(path, where, error) from None
    except _ZIP_ERRORS as problem:
        raise error(f"{where}{path} is corrupt or not a {kind} ({problem})") from None
    return arrays


def read_npy(path: str | os.PathLike[str], error: type[FileFormatError] = DataFileError,
             where: str = "") -> np.ndarray:
    """The array in the ``.npy`` file at ``path``, checked as :func:`read_npz` checks members.

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    FileFormatError (``error``)
        On any malformed, pickled or inconsistent content.
    """
    path = Path(path)
    if _file_start(path)[:1] == b"\x80":
        raise _refuse_pickle(path, where, error)
    try:
        with path.open("rb") as handle:
            return _read_array(handle, path.stat().st_size, str(path))
    except _Pickled:
        raise _refuse_pickle(path, where, error) from None
    except ValueError as problem:
        raise error(f"{where}{problem}") from None

