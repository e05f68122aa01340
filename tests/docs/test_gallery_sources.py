"""The gallery covers every lecture experiment, and each example's two languages come
from one bilingual source."""

import sys
from pathlib import Path

import retroprop as rp

ROOT = Path(__file__).parents[2]
SOURCES = sorted((ROOT / "examples" / "tutorials").glob("*.py")) + sorted(
    (ROOT / "docs" / "examples").glob("*.py"))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import retroprop_docs  # noqa: E402


def test_every_experiment_is_in_the_gallery():
    code = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    missing = [name for name, function in rp.experiments.EXPERIMENTS.items()
               if f"rp.experiments.{function.__name__}(" not in code]
    assert not missing, f"experiments without a gallery example: {missing}"


def test_bilingual_source_gives_one_script_per_language():
    source = '''"""Tutorial 9 — La neurona / The neuron (seeds 001, 004).

ES: Una frase.
EN: A sentence.
"""
x = 1
# ES: un comentario
# que sigue.  EN: a comment
# that goes on.
for i in range(2):
    # ES: dentro.  EN: inside.
    print(x)
'''
    spanish = retroprop_docs.gallery_script(source, "es", "a.py")
    english = retroprop_docs.gallery_script(source, "en", "a.py")
    assert spanish.startswith('"""\nTutorial 9 — La neurona\n=======================\n')
    assert english.startswith('"""\nTutorial 9 — The neuron\n=======================\n')
    assert "Una frase." in spanish and "A sentence." not in spanish
    assert "# %%\n# Un comentario que sigue.\n" in spanish
    assert "# %%\n# A comment that goes on.\n" in english
    assert "    # dentro.\n" in spanish and "    # inside.\n" in english
    assert "Berzal" in english and "Tobón & Aguirre" in english  # lectures by name
    assert "seed 001" not in english


def test_language_switch_targets():
    found = {"index", "es/index", "en/guide/optimizers", "es/guide/optimizers",
             "en/gallery/01_x", "es/gallery/01_x_es", "api/index"}
    assert retroprop_docs.counterpart("en/guide/optimizers", found) == (
        "es/guide/optimizers", "es")
    assert retroprop_docs.counterpart("es/gallery/01_x_es", found) == ("en/gallery/01_x", "en")
    assert retroprop_docs.counterpart("en/gallery/01_x", found) == ("es/gallery/01_x_es", "es")
    assert retroprop_docs.counterpart("api/index", found) == ("es/index", "es")


def test_plain_text_docstrings_are_escaped_for_restructuredtext():
    escape = retroprop_docs.escape_plain_text
    assert escape("|w| + *kernel, weights_") == "\\|w\\| + \\*kernel, weights\\_"
    assert escape("the *sum* of ``|x|`` and :math:`|a|`") == (
        "the *sum* of ``|x|`` and :math:`|a|`")


def test_formula_blocks_keep_their_lines():
    """An indented block of formulas after a blank line keeps one formula per line (a
    parsed-literal block); lists, examples and numpydoc sections are left alone."""
    lines = ["Momentum:", "", "    b ← μ b + g", "    w ← w - η b", "", "Notes:", "",
             "    plain indented prose", "", "Parameters", "----------", "lr : float",
             "    η = 0.1 here stays a description"]
    assert retroprop_docs.formula_blocks(lines) == [
        "Momentum:", "", ".. parsed-literal::", "", "   b ← μ b + g", "   w ← w - η b", "",
        "Notes:", "", "    plain indented prose", "", "Parameters", "----------",
        "lr : float", "    η = 0.1 here stays a description"]


def test_formula_blocks_leave_a_literal_block_whole():
    """A literal block (after ``::``) is kept as written, also past a blank line inside
    it whose next lines hold ``=``: made a parsed-literal, that part broke the block
    (rp.autograd's example, "Unexpected indentation")."""
    lines = ["Written so::", "", "    class F:", "        x = 1", "", "        y = 2", "",
             "    z = F()", "", "After it:", "", "    w ← w - η g"]
    assert retroprop_docs.formula_blocks(lines) == [
        *lines[:11], ".. parsed-literal::", "", "   w ← w - η g"]
