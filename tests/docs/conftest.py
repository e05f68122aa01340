"""The documentation, built once per test session with the command that CI and the README
give (``python -m sphinx -W -b html docs docs/_build/html``: a warning fails it). Under
pytest-xdist the workers share that one build through a lock."""

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The built HTML folder (the build itself is asserted to pass, warnings as errors)."""
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:  # the session's folder, above the workers'
        shared = shared.parent
    output = ROOT / "docs" / "_build" / "html"
    with open(shared / "docs-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "docs-build.log"
        if not done.exists():
            env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "RETROPROP_DOCS_OFFLINE": "1"}
            build = subprocess.run(
                [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "docs",
                 str(output)], cwd=ROOT, capture_output=True, text=True, env=env,
                timeout=900)
            done.write_text(f"{build.returncode}\n{build.stdout}\n{build.stderr}")
        returncode, _, log = done.read_text().partition("\n")
    assert returncode == "0", log[-3000:]
    return output
