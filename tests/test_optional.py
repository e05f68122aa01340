"""A missing optional package names the pip install that brings it."""

import sys

import numpy as np
import pytest

import retroprop as rp
from retroprop._optional import require


def test_require_imports_an_installed_module():
    assert require("numpy.linalg", extra="plot").norm(np.ones(4)) == 2.0


@pytest.mark.parametrize(("blocked", "call", "extra"), [
    ("matplotlib", lambda tmp: rp.viz.plot_history({"loss": [1.0, 0.5]}, tmp / "c.png"),
     "plot"),
    ("sklearn", lambda tmp: rp.datasets.load_digits(), "digits"),
])
def test_missing_extra_names_the_pip_install(monkeypatch, tmp_path, blocked, call, extra):
    for name in [m for m in sys.modules if m == blocked or m.startswith(blocked + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, blocked, None)  # `import blocked` now fails
    with pytest.raises(ImportError, match=rf'pip install "retroprop\[{extra}\]"'):
        call(tmp_path)
