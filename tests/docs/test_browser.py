"""The documentation as a browser sees it (headless Chromium, from Debian's ``chromium``
package): pages render with every image decoded and no console error, the search finds
``Rprop``, every internal link resolves, and every page offers the other language."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from tests.chromium import CHECK, chromium

PAGES = {
    "home": "index.html",
    "api": "api/generated/retroprop.optim.Rprop.html",
    "gallery": "en/gallery/06_descenso_gradient_descent.html",
    "spanish": "es/guide/optimizers.html",
}




@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_page_renders(site, page, tmp_path):
    source = site / page
    checked = source.with_name(source.stem + ".checked.html")
    checked.write_text(source.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"),
                       encoding="utf-8")
    try:
        dom = chromium("--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                       "--dump-dom", checked.as_uri(), profile=tmp_path / "profile1")
    finally:
        checked.unlink()
    drawn = re.search(r"<title>images (\d+)/(\d+)</title>", dom.stdout)
    assert drawn, dom.stdout[:500]
    assert drawn[1] == drawn[2], f"{drawn[1]} of {drawn[2]} images decoded"
    if page == PAGES["gallery"]:
        assert int(drawn[2]) >= 2  # the example's two figures
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line], console

    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,1600", source.as_uri(),
             profile=tmp_path / "profile2")
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.std() > 0.05  # not a blank page
    assert np.mean(pixels < 0.5) > 0.01  # drawn content: dark pixels (text)


def test_gallery_pages_embed_the_examples_output(site):
    page = (site / PAGES["gallery"]).read_text(encoding="utf-8")
    assert "sphx-glr-script-out" in page  # the printed output of the run
    table = re.sub(r"\s+", " ", page)
    assert "1 3.4 3.36 2 4.12 3.0144 3 3.976 3.00058 4 4.0048" in table  # the lecture's
    tutorial = (site / "en" / "gallery" / "03_optimizacion_optimization.html").read_text(
        encoding="utf-8")
    assert "η = 0.6: 7, 3.4, 4.12, 3.976, 4.005" in tutorial


def test_spanish_page_is_spanish_and_switches_language(site):
    page = (site / PAGES["spanish"]).read_text(encoding="utf-8")
    assert 'lang="es"' in page and "Optimizadores" in page
    assert 'href="../../en/guide/optimizers.html"' in page
    english = (site / "en" / "guide" / "optimizers.html").read_text(encoding="utf-8")
    assert 'href="../../es/guide/optimizers.html"' in english
    gallery = (site / "es" / "gallery" / "06_descenso_gradient_descent_es.html").read_text(
        encoding="utf-8")
    assert "Descenso por el gradiente" in gallery and "Los cuatro pasos de la clase" in gallery
    assert "Ve al final" in gallery and "Go to the end" not in gallery
    assert 'href="../../en/gallery/06_descenso_gradient_descent.html"' in gallery


def test_search_finds_rprop(site, tmp_path):
    dom = chromium("--virtual-time-budget=10000", "--dump-dom",
                   (site / "search.html").as_uri() + "?q=Rprop", profile=tmp_path / "p")
    results = re.findall(r'<li[^>]*>\s*<a[^>]*href="([^"]+)"', dom.stdout)
    assert any("retroprop.optim.Rprop.html" in href for href in results), results[:20]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script"):
                self.links.append(attrs[key])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_resolves(site):
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 100
    parsed, broken = {}, []
    for page in pages:
        parsed.setdefault(page, _parse(page))
        for link in parsed[page].links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed.setdefault(target, _parse(target)).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert not broken, broken[:30]


def test_every_page_has_the_language_switch(site):
    pages = [p for p in site.rglob("*.html") if "_static" not in p.parts]
    without = [str(p.relative_to(site)) for p in pages
               if "retroprop-language-switch" not in p.read_text(encoding="utf-8")]
    assert not without, without[:10]
