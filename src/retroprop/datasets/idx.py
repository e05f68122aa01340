"""Reading IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.).

An IDX file starts with a magic number: two zero bytes, a byte naming the
element type, and a byte with the number of dimensions; then each
dimension as a big-endian 32-bit integer; then the data, big-endian.
Files may be gzip-compressed (detected from their first bytes).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import IO, cast

import numpy as np

from retroprop.errors import DataFileError
from retroprop.safe_npz import read_at_most

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(DataFileError):
    """A file that is not valid IDX (wrong magic number, truncated, or too long)."""


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed on the fly when it starts with the gzip magic."""
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return cast(IO[bytes], gzip.open(path, "rb")) if compressed else path.open("rb")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip or not) into an array of its shape and native byte order.

    The header is checked before any allocation and the data is read in chunks, so a
    header that declares more data than the file holds (or a gzip stream that inflates
    beyond it) costs no more memory than the bytes actually present.

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    IDXError
        (a :class:`~retroprop.errors.DataFileError`) when the magic number is wrong, the
        gzip stream is corrupt, or the data is shorter or longer than the header announces.

    Examples
    --------
    >>> images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    >>> images.shape, images.dtype
    ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    try:
        with _open(path) as handle:
            magic = bytes(read_at_most(handle, 4))
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES:
                raise IDXError(
                    f"{path}: not an IDX file: magic number {magic.hex() or 'missing'}, "
                    "expected 00 00 <type 08/09/0b/0c/0d/0e> <number of dimensions>"
                )
            dtype, ndim = _TYPES[magic[2]], magic[3]
            dims = bytes(read_at_most(handle, 4 * ndim))
            if len(dims) < 4 * ndim:
                raise IDXError(f"{path}: truncated header: {ndim} dimensions need "
                               f"{4 + 4 * ndim} bytes")
            shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
            if math.prod(d for d in shape if d) * dtype.itemsize >= 2**63:
                raise IDXError(f"{path}: shape {shape} of {dtype.name} is too large for any "
                               "array")
            expected = math.prod(shape) * dtype.itemsize
            data = read_at_most(handle, expected + 1)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError | IsADirectoryError | PermissionError):
            raise
        raise IDXError(f"{path}: corrupt or truncated gzip data ({error})") from None
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "too long"
        found = len(data) if len(data) < expected else "more"
        raise IDXError(
            f"{path}: {what}: shape {shape} of {dtype.name} needs {expected} bytes of data, "
            f"found {found}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
