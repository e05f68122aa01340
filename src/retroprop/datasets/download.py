"""Downloading data files with a short timeout and a SHA-256 check.

The machines this library is tested on have no internet: a download must
fail fast and say where to put the files by hand.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path


class DownloadError(OSError):
    """No mirror delivered the file with the expected checksum."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(filename: str, mirrors: list[str], checksum: str, directory: Path,
             timeout: float = 10.0) -> Path:
    """Fetch ``filename`` from the first mirror that answers, check its SHA-256, and move it
    into ``directory`` atomically. Raises :class:`DownloadError` listing every failure.

    ``timeout`` bounds each wait (to connect, and for each block of data), as in
    :func:`urllib.request.urlopen`: without a network the download fails at once, and a
    mirror that stops sending fails after ``timeout`` seconds; a mirror that keeps sending,
    however slowly, is not cut off."""
    directory.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out, \
                    urllib.request.urlopen(url, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
            found = sha256(Path(temporary))
            if found != checksum:
                failures.append(f"{url}: SHA-256 {found}, expected {checksum}")
                continue
            target = directory / filename
            os.replace(temporary, target)
            return target
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    raise DownloadError("; ".join(failures))
