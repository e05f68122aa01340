"""The README's Python snippets run as written, one after the other, in one namespace.

Only Fashion-MNIST is cut to a slice (the first snippet would otherwise train on 60 000
images for ten epochs); every line of the snippets runs unchanged.
"""

import contextlib
import io
import re
from pathlib import Path

import retroprop as rp

README = Path(__file__).parents[1] / "README.md"


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_snippets_run_in_order(tmp_path, monkeypatch):
    full = rp.datasets.load_fashion_mnist
    monkeypatch.setattr(rp.datasets, "load_fashion_mnist", lambda *args, **kwargs: tuple(
        (X[:n], y[:n]) for (X, y), n in zip(full(*args, **kwargs), (2000, 500), strict=True)))
    monkeypatch.chdir(tmp_path)
    blocks = snippets()
    assert len(blocks) >= 3
    namespace: dict = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"README.md python snippet {number}", "exec"), namespace)
    printed = output.getvalue()
    assert "[7.0, 3.4, 4.12, 3.976, 4.0048]" in printed
    assert "'accuracy'" in printed and (tmp_path / "model.rpz").is_file()
