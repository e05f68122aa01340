"""The exceptions raised for malformed files.

Every reader of the library (``rp.load``, ``rp.load_optimizer_state``, the IDX,
NPZ and NPY readers) raises a :class:`FileFormatError` for any file it cannot
read as what it claims to be: truncated, corrupt, foreign, pickled, with a
header that declares more data than the file holds, or written by a newer
retroprop. A missing file is a ``FileNotFoundError`` instead.

Both subclasses derive from ``ValueError``, so ``except ValueError`` keeps
working.

Examples
--------
>>> import retroprop as rp
>>> issubclass(rp.ModelFileError, rp.FileFormatError), issubclass(rp.DataFileError, ValueError)
(True, True)
"""

from __future__ import annotations


class FileFormatError(ValueError):
    """A file that is not readable as what it claims to be (the base of the other two)."""


class ModelFileError(FileFormatError):
    """A file that is not a readable retroprop model (corrupt, foreign, pickled or too new)."""


class DataFileError(FileFormatError):
    """A data file (IDX, NPZ, NPY) that is corrupt, truncated or inconsistent."""
