"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE / "_ext"), str(ROOT / "src")]
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import retroprop_docs  # noqa: E402

import retroprop  # noqa: E402

project = "retroprop"
author = "the retroprop authors"
copyright = f"2026, {author}"
release = retroprop.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
    "retroprop_docs",
    "mathml",
]

# --------------------------------------------------------------------------- generated
EXAMPLES = sorted((ROOT / "examples" / "tutorials").glob("*.py")) + sorted(
    (HERE / "examples").glob("*.py"))
retroprop_docs.write_api_index(HERE)
retroprop_docs.write_gallery_sources(HERE, EXAMPLES, ROOT)

exclude_patterns = ["_build", "_generated", "_shared", "examples", "**/sg_execution_times.rst"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["retroprop.css"]

# ------------------------------------------------------------------------ API reference
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_aliases = {"ndarray": "numpy.ndarray", "Tensor": "retroprop.Tensor",
                         "Module": "retroprop.nn.Module"}
numpydoc_xref_ignore = {"of", "or", "optional", "default", "shape", "and", "to", "a", "the",
                        "any", "with", "if", "none", "int,", "callable"}

# ---------------------------------------------------------- figures of the user guide
plot_basedir = str(HERE / "figures")
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_pre_code = ""

# ------------------------------------------------------------------------ intersphinx
# Each inventory is used when a copy sits in docs/_intersphinx/ or, on a machine that is
# online, after it has been fetched there; offline builds simply link nothing outside.
INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "sklearn": "https://scikit-learn.org/stable/",
}


def _inventory(name: str, url: str) -> tuple[str, str] | None:
    local = HERE / "_intersphinx" / f"{name}.inv"
    if not local.is_file() and os.environ.get("RETROPROP_DOCS_OFFLINE") != "1":
        try:
            host = url.split("/")[2]
            socket.create_connection((host, 443), timeout=2).close()
            with urllib.request.urlopen(url + "objects.inv", timeout=10) as answer:
                data = answer.read()
            local.parent.mkdir(exist_ok=True)
            partial = local.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(local)
        except OSError:
            return None
    return (url, str(local)) if local.is_file() else None


intersphinx_mapping = {name: where for name, url in INVENTORIES.items()
                       if (where := _inventory(name, url)) is not None}
# numpydoc links parameter types (bool, array_like, ...) through Python's and NumPy's
# inventories: only when both are there.
numpydoc_xref_param_type = {"python", "numpy"} <= intersphinx_mapping.keys()

# ---------------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": ["_generated/gallery/en", "_generated/gallery/es"],
    "gallery_dirs": ["en/gallery", "es/gallery"],
    "filename_pattern": r".*\.py",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "retroprop_docs.file_scraper"),
    "reset_argv": "retroprop_docs.reset_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
    "write_computation_times": False,
}

# ------------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"retroprop {release}"
html_math_renderer = "mathml"
html_theme_options = {
    "navbar_end": ["language-switch", "theme-switcher"],
    "navigation_with_keys": False,
    "show_prev_next": True,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "es/index": []}
