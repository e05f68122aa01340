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
from pathlib import Path

import numpy as np

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """A file that is not valid IDX (wrong magic number, truncated, or too long)."""


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip or not) into an array of its shape and native byte order.

    Raises
    ------
    IDXError
        When the magic number is wrong or the data is shorter or longer than
        the header announces.

    Examples
    --------
    >>> images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    >>> images.shape, images.dtype
    ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise IDXError(f"{path}: corrupt or truncated gzip data ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise IDXError(
            f"{path}: not an IDX file: magic number {raw[:4].hex() or 'missing'}, expected "
            "00 00 <type 08/09/0b/0c/0d/0e> <number of dimensions>"
        )
    dtype, ndim = _TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header: {ndim} dimensions need {header} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "too long"
        raise IDXError(
            f"{path}: {what}: shape {shape} of {dtype.name} needs {expected} bytes of data, "
            f"found {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)
