"""The guide page "Looking inside backpropagation: gradient hooks"
(``docs/{en,es}/guide/hooks.rst``) runs as shown: the ``python`` code blocks of each
page, in order, in one namespace, each printing exactly the ``text`` block that follows
it on the page. The Spanish page holds the same code (only the comments are translated)
and the same output. Then what the prose says of the numbers is checked against what
the code computed, and the page's figure (``docs/figures/hooks.py``) against the page's
numbers."""

import contextlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.docs.test_porting_guide import without_comments

ROOT = Path(__file__).parents[2]
PAGES = {language: ROOT / "docs" / language / "guide" / "hooks.rst"
         for language in ("en", "es")}
BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def blocks(text: str) -> list[tuple[str, str]]:
    """The ``code-block``s of a page, in order: (language, dedented body)."""
    return [(language, "\n".join(line[3:] for line in body.splitlines()).strip("\n") + "\n")
            for language, body in BLOCK.findall(text)]


def prose(text: str) -> str:
    """The page without its code blocks."""
    return BLOCK.sub("", text)


def run(language: str) -> tuple[dict, list[tuple[str, str]]]:
    """Run the page's python blocks in order: the namespace, and for each block followed
    by a text block, (what it printed, what the page shows), warnings as errors."""
    namespace: dict = {"__name__": f"hooks_guide_{language}"}
    printed = []
    found = blocks(PAGES[language].read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for number, (kind, body) in enumerate(found):
            if kind != "python":
                continue
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                exec(compile(body, f"hooks.rst ({language}), block {number}", "exec"),
                     namespace)
            following = found[number + 1] if number + 1 < len(found) else None
            if following is not None and following[0] == "text":
                printed.append((output.getvalue(), following[1]))
    return namespace, printed


@pytest.fixture(scope="module", params=["en", "es"])
def page(request):
    language = request.param
    namespace, printed = run(language)
    return language, namespace, printed


def test_both_languages_hold_the_same_code_and_output():
    english, spanish = (blocks(PAGES[language].read_text(encoding="utf-8"))
                        for language in ("en", "es"))
    assert [kind for kind, _ in english] == [kind for kind, _ in spanish] == [
        "python", "python", "text", "python", "text", "python", "text", "python", "text"]
    for (kind, english_body), (_, spanish_body) in zip(english, spanish, strict=True):
        if kind == "python":
            assert without_comments(spanish_body) == without_comments(english_body)
        else:
            assert spanish_body == english_body


NUMBER = re.compile(r"(-?\d+(?:\.\d+)?(?:e[-+]\d+)?)")


def agree(output: str, shown: str) -> bool:
    """``output`` is the page's text ``shown``: the same words, spaces and number formats,
    each number the page's, or one unit of its last digit away when it has 3 or more
    significant digits: a float32 result on a rounding edge (the ×4 table's 7.355014e-02,
    2e-6 from 7.355e-02, printed as 7.36e-02; other OpenBLAS kernels move it by 2e-7)
    may round the other way on another machine, not a number that the text misstates."""
    got, page = NUMBER.split(output), NUMBER.split(shown)
    if len(got) != len(page) or got[0::2] != page[0::2]:
        return False
    for a, b in zip(got[1::2], page[1::2], strict=True):
        if a == b:
            continue
        mantissa = b.split("e")[0].lstrip("-")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        unit = 10.0 ** (-decimals + (int(b.split("e")[1]) if "e" in b else 0))
        if re.sub(r"\d", "0", a) != re.sub(r"\d", "0", b) or \
                len(mantissa.replace(".", "").lstrip("0")) < 3 or \
                abs(float(a) - float(b)) > 1.001 * unit:
            return False
    return True


@pytest.mark.parametrize("output, same", [
    ("1  7.36e-02  0.27\n", True), ("1  7.35e-02  0.27\n", True),
    ("1  7.37e-02  0.27\n", True), ("1  7.34e-02  0.27\n", False),
    ("1  7.36e-02  0.28\n", False), ("1  7.36e-03  0.27\n", False),
    ("1  7.360e-02  0.27\n", False), ("1  7.36e-02  0.27 \n", False),
    ("2  7.36e-02  0.27\n", False), ("1  7.36e-02  0.27\nmore\n", False),
])
def test_agree_allows_a_rounding_edge_and_nothing_else(output, same):
    assert agree(output, "1  7.36e-02  0.27\n") is same
    assert agree("  125835\n", "  125834\n") and not agree("  125836\n", "  125834\n")


def test_each_block_prints_what_the_page_shows(page):
    _, _, printed = page
    assert len(printed) == 4
    for output, shown in printed:
        assert agree(output, shown), (output, shown)


def test_the_page_counts_the_digits_it_uses(page):
    """The page said 1437 training digits; load_digits gives 1438."""
    language, ns, _ = page
    counts = re.findall(r"(\d+)\s+(?:training digits|dígitos de entrenamiento)",
                        PAGES[language].read_text(encoding="utf-8"))
    assert len(counts) == 2 and set(counts) == {str(len(ns["X"]))}


def test_the_gradient_vanishes_with_sigmoid_and_hardly_with_relu(page):
    language, ns, _ = page
    text = prose(PAGES[language].read_text(encoding="utf-8"))
    sigmoid, relu = ns["sigmoid"], ns["relu"]
    assert len(sigmoid) == len(relu) == 7
    # the norms shrink at every layer towards the input with sigmoid, "about three times"
    steps = np.array(sigmoid[1:]) / np.array(sigmoid[:-1])
    assert np.all((steps > 2.5) & (steps < 3.5))
    sigmoid_ratio, relu_ratio = sigmoid[-1] / sigmoid[0], relu[-1] / relu[0]
    assert f"{sigmoid_ratio:.0f}" in text and f"{relu_ratio:.1f}" in text
    assert sigmoid_ratio > 100 * relu_ratio and relu_ratio < 2
    # the ReLU norms stay between the two values the text gives
    low, high = min(relu), max(relu)
    assert f"{low:.2e}" in text and f"{high:.2e}" in text
    # the output layer gets nearly the same gradient in both
    assert f"{sigmoid[-1]:.2e}" in text and f"{relu[-1]:.2e}" in text
    assert sigmoid[-1] == pytest.approx(relu[-1], rel=0.05)


def test_sigmoid_loses_hundreds_of_times_more_under_every_initialization(page):
    _, ns, _ = page
    ratios = [(ns["sigmoid"][-1] / ns["sigmoid"][0], ns["relu"][-1] / ns["relu"][0])]
    for init in ("pytorch", "glorot_uniform"):
        s = ns["gradient_norms"](ns["deep_mlp"](ns["nn"].Sigmoid, init))
        r = ns["gradient_norms"](ns["deep_mlp"](ns["nn"].ReLU, init))
        ratios.append((s[-1] / s[0], r[-1] / r[0]))
    for sigmoid_ratio, relu_ratio in ratios:
        assert sigmoid_ratio > 100 * relu_ratio > 100


def test_retained_gradients_are_the_hooks_and_sigmoid_divides_by_more_than_four(page):
    language, ns, _ = page
    text = prose(PAGES[language].read_text(encoding="utf-8"))
    zs, ys = ns["zs"], ns["ys"]
    assert len(zs) == len(ys) == 6
    # the retained dL/dz (from the last backward pass of the page, without hooks) is the
    # grad_output that the full backward hooks saw
    np.testing.assert_allclose([np.linalg.norm(z.grad) for z in zs], ns["sigmoid"][:6],
                               rtol=1e-5)
    slopes = [h.data * (1 - h.data) for h in ys]
    assert all(0.2 < s.mean() < 0.25 and s.max() <= 0.25 for s in slopes)
    # "the weights multiply it back by about √2": ‖dL/dy_k‖ / ‖dL/dz_(k+1)‖
    dz = [*(np.linalg.norm(z.grad) for z in zs), ns["sigmoid"][6]]
    back = [np.linalg.norm(h.grad) / dz[k + 1] for k, h in enumerate(ys)]
    np.testing.assert_allclose(back, np.sqrt(2), rtol=0.1)
    assert f"{np.mean([s.mean() for s in slopes]):.2f}" in text  # "averages 0.22"


def test_scaling_hooks_reverse_the_vanishing_and_removal_restores_it(page):
    language, ns, _ = page
    text = prose(PAGES[language].read_text(encoding="utf-8"))
    plain, boosted = ns["plain"], ns["boosted"]
    np.testing.assert_allclose(plain, ns["sigmoid"][:6], rtol=1e-5)  # hooks removed
    # each of the six hooks multiplied by 4 the gradient of every layer below it
    np.testing.assert_allclose(np.array(boosted) / np.array(plain), 4.0 ** np.arange(6, 0, -1),
                               rtol=1e-4)
    assert f"{plain[-1] / plain[0]:.1f}" in text
    assert f"{boosted[-1] / boosted[0]:.2f}" in text
    assert f"{boosted[0] / boosted[-1]:.1f}" in text  # "3.7 times more"
    assert boosted[0] > boosted[-1]
    # why: 4 falls short of 1/⟨σ'⟩ (the page said "4 is more than 1/0.22", 4.5), and He's
    # √2 makes up the difference, about 1.3 times more per layer
    slope = np.mean([(h.data * (1 - h.data)).mean() for h in ns["ys"]])
    assert 4 * slope < 1 < 4 * slope * np.sqrt(2)
    assert f"4 × {slope:.2f} ≈ {4 * slope:.1f}" in text
    growth = (boosted[0] / boosted[-1]) ** (1 / 5)
    assert growth == pytest.approx(4 * slope * np.sqrt(2), rel=0.1)
    assert f"{growth:.1f}" in text and "4 is more than" not in text
    assert "4 es más que" not in text
    for handle in ns["handles"]:
        handle.remove()  # removing twice does nothing


def test_the_note_on_the_first_layer_holds(page):
    _, ns, _ = page
    rp, nn = ns["rp"], ns["nn"]
    model = ns["deep_mlp"](nn.Sigmoid)
    seen = []
    first = model[0]
    with first.register_full_backward_hook(
            lambda module, grad_input, grad_output: seen.append(grad_input)):
        with pytest.warns(UserWarning, match="grad_input all None"):
            ns["criterion"](model(ns["X"]), ns["y"]).backward()
        assert seen == [(None,)]
    with first.register_full_backward_pre_hook(
            lambda module, grad_output: seen.append(grad_output[0].shape)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ns["criterion"](model(ns["X"]), ns["y"]).backward()
    assert seen[1:] == [(len(ns["X"]), 32)]
    # the with blocks removed both hooks
    ns["criterion"](model(rp.Tensor(ns["X"], requires_grad=True)), ns["y"]).backward()
    assert len(seen) == 2


def test_the_figure_shows_the_same_norms_by_a_pre_hook(page):
    _, ns, _ = page
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    script = ROOT / "docs" / "figures" / "hooks.py"
    figure: dict = {"__name__": "hooks_figure"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the pre-hook on the first layer does not warn
        exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), figure)
    lines = plt.gca().get_lines()
    plt.close("all")
    assert [line.get_label() for line in lines] == ["Sigmoid", "ReLU"]
    for line, norms in zip(lines, (ns["sigmoid"], ns["relu"]), strict=True):
        np.testing.assert_allclose(line.get_ydata(), norms, rtol=1e-6)
