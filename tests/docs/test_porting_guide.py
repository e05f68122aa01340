"""The code of the guide page "Coming from PyTorch, Keras or scikit-learn"
(``docs/{en,es}/guide/porting.rst``) runs as shown: each section's ``code-block``s, in
order, in one namespace, in an empty folder (the page writes its checkpoints there). The
Spanish page holds the same code as the English one (only the comments are translated),
so running the English code checks both; then what the code computed is checked."""

import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[2]
PAGES = {language: ROOT / "docs" / language / "guide" / "porting.rst"
         for language in ("en", "es")}
HEADING = re.compile(r"^(\S.*)\n-{3,}$", re.MULTILINE)


def code_blocks(text: str) -> list[str]:
    """The ``.. code-block:: python`` bodies of a piece of reStructuredText, dedented."""
    blocks = []
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        body = []
        for following in lines[start + 1:]:
            if following.strip() and not following.startswith("   "):
                break
            body.append(following[3:])
        blocks.append("\n".join(body).strip("\n") + "\n")
    return blocks


def sections(path: Path) -> list[list[str]]:
    """The code blocks of each second-level section of the page, in order."""
    parts = HEADING.split(path.read_text(encoding="utf-8"))
    return [code_blocks(body) for body in parts[2::2]]


def without_comments(code: str) -> list[tuple[int, str]]:
    """The tokens of ``code`` but its comments and line breaks: what runs."""
    skipped = {tokenize.COMMENT, tokenize.NL}
    return [(token.type, token.string)
            for token in tokenize.generate_tokens(io.StringIO(code).readline)
            if token.type not in skipped]


def run_section(index: int, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(folder)
    namespace: dict = {"__name__": f"porting_section_{index}"}
    for number, block in enumerate(sections(PAGES["en"])[index]):
        exec(compile(block, f"porting.rst, section {index}, block {number}", "exec"),
             namespace)
    return namespace


def test_the_page_has_its_sections_and_code():
    counts = [len(blocks) for blocks in sections(PAGES["en"])]
    assert counts == [2, 1, 1, 1]


def test_both_languages_hold_the_same_code():
    english, spanish = sections(PAGES["en"]), sections(PAGES["es"])
    assert [len(blocks) for blocks in spanish] == [len(blocks) for blocks in english]
    for english_blocks, spanish_blocks in zip(english, spanish, strict=True):
        for english_code, spanish_code in zip(english_blocks, spanish_blocks, strict=True):
            assert without_comments(spanish_code) == without_comments(english_code)


def test_pytorch_loop_trains_saves_and_resumes(tmp_path, monkeypatch):
    ns = run_section(0, tmp_path, monkeypatch)
    rp = ns["rp"]
    checkpoint = rp.load(tmp_path / "checkpoint.rpz")
    assert checkpoint["epoch"] == 3
    assert set(checkpoint) == {"model", "optimizer", "scheduler", "rng", "epoch"}
    assert ns["test_accuracy"] > 0.85
    # the scheduler went on from the checkpoint: one cycle of 5 epochs, ended
    assert ns["scheduler"].last_epoch == 5 * len(ns["train_loader"])
    # second block: initializers, freezing, hooks, tensor methods
    assert ns["trainable"] == ["fc2.weight", "fc2.bias"]
    assert ns["activations"]["fc1"].shape == (5, 64)
    ns["activations"].clear()
    ns["model"](ns["X_test"][:2])  # the hook was removed
    assert ns["activations"] == {}
    assert ns["images"].shape == (5, 1, 8, 8)
    np.testing.assert_array_equal(ns["values"].numpy(), ns["X_test"][:5].max(axis=1))
    np.testing.assert_array_equal(ns["indices"].numpy(), ns["X_test"][:5].argmax(axis=1))
    np.testing.assert_array_equal(ns["peaks"].numpy(), ns["values"].numpy())
    assert ns["n"] == 5 * 64 == ns["x"].size
    assert (ns["rows"], ns["shape"]) == (5, (5, 64))
    np.testing.assert_array_equal(ns["best"].numpy()[:, 0], ns["values"].numpy())
    np.testing.assert_array_equal(ns["where"].numpy()[:, 0], ns["indices"].numpy())
    np.testing.assert_array_equal(ns["ranked"].numpy()[:, 0], ns["values"].numpy())
    np.testing.assert_array_equal(ns["order"].numpy()[:, 0], ns["indices"].numpy())
    assert ns["left"].shape == ns["right"].shape == (5, 32)
    assert ns["vector"].shape == (64 * 64 + 64 + 64 * 10 + 10,)
    assert not ns["model"].fc2.bias.numpy().any()
    weight = ns["model"].fc2.weight.numpy()
    assert not np.array_equal(weight, ns["vector"].numpy()[-650:-10].reshape(10, 64))


def test_keras_fit_with_callbacks(tmp_path, monkeypatch):
    ns = run_section(1, tmp_path, monkeypatch)
    history = ns["history"].history
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(history)
    assert 1 <= len(history["val_loss"]) == len(ns["history"].epoch) <= 10
    assert ns["counter"].batches > 0
    assert ns["result"]["accuracy"] > 0.85
    assert ns["labels"].shape == ns["y_test"].shape
    assert (tmp_path / "best.rpz").is_file()
    assert isinstance(ns["best"], ns["nn"].Module)


def test_scikit_learn_estimators(tmp_path, monkeypatch):
    ns = run_section(2, tmp_path, monkeypatch)
    assert ns["scores"].shape == (3,) and ns["scores"].mean() > 0.85
    assert ns["test_score"] > 0.85
    net = ns["net"]
    assert (net.n_layers_, net.n_outputs_, net.out_activation_) == (3, 10, "softmax")
    assert [w.shape for w in net.coefs_] == [(64, 64), (64, 10)]


def test_lecture_conventions(tmp_path, monkeypatch):
    ns = run_section(3, tmp_path, monkeypatch)
    net, rp = ns["lecture_net"], ns["rp"]
    assert net[1].momentum is None
    assert net[3].p == pytest.approx(0.2) and net[3].scale == "inference"
    assert ns["lecture_optimizer"].param_groups[0]["alpha"] == 0.9
    assert not net[0].bias.data.any()  # LeCun's rule: zero biases
    outputs = rp.Tensor(np.zeros((1, 2)), requires_grad=True)
    loss = ns["lecture_loss"](outputs, np.array([[1.0, 3.0]]))
    loss.backward()
    assert loss.item() == pytest.approx(5.0)  # ½ (1 + 9)
    np.testing.assert_allclose(outputs.grad, [[-1.0, -3.0]])
