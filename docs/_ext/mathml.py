"""Render ``:math:`` and ``.. math::`` as MathML, with docutils' LaTeX converter.

Browsers draw MathML natively, so the pages need no JavaScript and no network (MathJax
would be fetched from a CDN). A formula that the converter cannot read is shown as its
LaTeX source in a ``<code>`` element and reported in the build log (without failing it).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.utils.math.latex2mathml import tex2mathml
from sphinx.util import logging

logger = logging.getLogger(__name__)


def to_mathml(latex: str, block: bool) -> str:
    try:
        return tex2mathml(latex, as_block=block)
    except Exception as error:  # the converter raises SyntaxError and others
        logger.info("mathml: cannot convert %r (%s); showing the LaTeX source", latex, error)
        from html import escape

        return f'<code class="math-source">{escape(latex)}</code>'


def visit_math(self: Any, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate"))
    self.body.append(to_mathml(node.astext(), block=False) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self: Any, node: nodes.Element) -> None:
    from sphinx.util.math import get_node_equation_number

    self.body.append(self.starttag(node, "div", CLASS="math notranslate"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    for part in node.astext().split("\n\n"):
        if part.strip():
            self.body.append(to_mathml(part.strip(), block=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
