"""Writing files atomically: a temporary file in the same folder, flushed to disk, then
renamed over the target, so that a reader never sees half a file. The result gets the
permissions of an ordinary new file (0666 less the user's umask), not the 0600 of a
temporary file, and a failure (a full disk) names the file being written."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

_umask_lock = threading.Lock()


def new_file_mode() -> int:
    """The mode that ``open(path, "w")`` would give a new file: 0o666 less the umask."""
    with _umask_lock:  # reading the umask means setting it; keep threads from racing
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text is encoded as UTF-8) to ``path`` atomically; returns the path.

    Raises
    ------
    OSError
        With the target's name in the message (for instance when the disk is full).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.remove(temporary)
        raise OSError(error.errno, f"could not write {path}: {error.strerror or error}"
                      ) from error
    return path
