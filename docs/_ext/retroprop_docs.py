"""Sphinx helpers for retroprop's documentation.

- :func:`write_api_index` writes ``api/index.rst`` from the package's ``__all__`` lists,
  so that every public name gets an autosummary page and none is written by hand.
- :func:`write_gallery_sources` turns each bilingual example (``# ES:`` / ``# EN:``
  comments, ``ES:`` / ``EN:`` paragraphs in the docstring) into one sphinx-gallery script per
  language, so the tutorials keep a single source.
- :func:`file_scraper` embeds the pictures that an example saves to files.
- :func:`setup` adds the language switch's target to every page.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

LECTURES = {
    "000": ("FAMAF, Universidad Nacional de Córdoba, «Redes neuronales» 2024, clase 21",
            "FAMAF, Universidad Nacional de Córdoba, “Redes neuronales” 2024, class 21"),
    "001": ("F. Berzal, Universidad de Granada, «Backpropagation»",
            "F. Berzal, Universidad de Granada, “Backpropagation”"),
    "002": ("G. Moreno, Universidad Autónoma de Zacatecas, «Redes neuronales profundas: "
            "introducción»",
            "G. Moreno, Universidad Autónoma de Zacatecas, “Redes neuronales profundas: "
            "introducción”"),
    "003": ("G. Fuentes Pineda, UNAM, «Introducción al Deep Learning», módulo 8",
            "G. Fuentes Pineda, UNAM, “Introducción al Deep Learning”, module 8"),
    "004": ("Tobón y Aguirre, UNAL Manizales, «Redes Neuronales Artificiales»",
            "Tobón & Aguirre, UNAL Manizales, “Redes Neuronales Artificiales”"),
}
LANGUAGES = ("es", "en")

# ---------------------------------------------------------------------------- API pages


def public_modules() -> dict[str, ModuleType]:
    """Every module that the reference documents: ``retroprop``, the modules it exports,
    each public subpackage that declares ``__all__``, and the modules those export."""
    import retroprop

    modules = {"retroprop": retroprop}
    for info in pkgutil.iter_modules(retroprop.__path__):
        if info.ispkg and not info.name.startswith("_"):
            module = importlib.import_module(f"retroprop.{info.name}")
            if getattr(module, "__all__", None):
                modules[module.__name__] = module
    changed = True
    while changed:
        changed = False
        for module in list(modules.values()):
            for name in public_names(module):
                value = getattr(module, name, None)
                if isinstance(value, ModuleType) and value.__name__ not in modules:
                    modules[value.__name__] = value
                    changed = True
    return dict(sorted(modules.items()))


def public_names(module: ModuleType) -> list[str]:
    """The names a module documents: its ``__all__``, or else the public functions and
    classes it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_")
                  and (inspect.isfunction(value) or inspect.isclass(value))
                  and value.__module__ == module.__name__)


def api_index() -> str:
    lines = ["API reference", "=============", "",
             "Every public name of retroprop, one section per module, generated from the",
             "package's ``__all__`` lists.", ""]
    documented: dict[int, str] = {}
    modules = public_modules()
    # a module whose name is also an exported object (``retroprop.tensor``: the factory
    # function and the engine's subpackage) is described once, by the object's page
    objects = {f"{name}.{attribute}" for name, module in modules.items()
               for attribute in public_names(module)
               if not isinstance(getattr(module, attribute, None), ModuleType)}
    for module_name, module in modules.items():
        exported = {name: getattr(module, name, None) for name in public_names(module)}
        submodules = [v.__name__ for v in exported.values() if isinstance(v, ModuleType)]
        names, also = [], []
        for name, value in exported.items():
            if isinstance(value, ModuleType):
                continue
            if _documentable(value) and id(value) in documented:
                also.append(f":obj:`{name} <{documented[id(value)]}>`")
                continue
            documented.setdefault(id(value), f"{module_name}.{name}")
            names.append(name)
        title = f"``{module_name}``"
        lines += [f".. _api-{module_name}:", "", title, "-" * len(title), "",
                  f".. automodule:: {module_name}", "   :no-members:",
                  *(["   :no-index:"] if module_name in objects else []), "",
                  f".. currentmodule:: {module_name}", ""]
        if submodules:
            links = ", ".join(f":ref:`{m} <api-{m}>`" for m in submodules)
            lines += [f"Modules: {links}.", ""]
        if names:
            lines += [".. autosummary::", "   :toctree: generated", ""]
            lines += [f"   {name}" for name in names] + [""]
        if also:
            lines += [f"Also exported here, documented above: {', '.join(also)}.", ""]
    return "\n".join(lines)


def _documentable(value: Any) -> bool:
    """Classes and functions are documented once, where they are first exported."""
    return callable(value)


def write_api_index(srcdir: Path) -> None:
    """Write ``api/index.rst``; when it changes, the pages autosummary made for the old one
    go (it never deletes a page itself)."""
    if _write_if_changed(srcdir / "api" / "index.rst", api_index()):
        for page in (srcdir / "api" / "generated").glob("*.rst"):
            page.unlink()


# ---------------------------------------------------------------------- gallery sources

TITLE = re.compile(r"^(?P<head>.*?) — (?P<body>.*?)(?: \((?P<seeds>seeds? [^)]*)\))?\.?$")
INTRO = {"es": ("Clase", "Clases", "Ejecútalo desde una copia del repositorio::",
                "Fuente"),
         "en": ("Lecture", "Lectures", "Run it from a checkout of the repository::",
                "Source")}


def _pick(text: str, language: str) -> str:
    """``"ES / EN"`` -> the part in ``language`` (the text itself when it has no slash)."""
    parts = text.split(" / ")
    return parts[0 if language == "es" else -1] if len(parts) == 2 else text


def _lectures(seeds: str | None, language: str) -> str:
    codes = re.findall(r"\d{3}", seeds or "")
    if not codes:
        return ""
    names = "; ".join(LECTURES[c][LANGUAGES.index(language)] for c in codes)
    one, many = INTRO[language][:2]
    return f"**{one if len(codes) == 1 else many}:** {names}."


def _split_bilingual(text: str) -> dict[str, str]:
    """``"ES: uno ... EN: one ..."`` -> ``{"es": "uno ...", "en": "one ..."}``."""
    match = re.fullmatch(r"\s*ES:\s*(?P<es>.*?)\s*EN:\s*(?P<en>.*?)\s*", text, re.S)
    if not match:
        return {"es": text.strip(), "en": text.strip()}
    return {k: " ".join(v.split()) for k, v in match.groupdict().items()}


def _docstring(source: str) -> tuple[str, str]:
    match = re.match(r'\s*"""(.*?)"""\n', source, re.S)
    if not match:
        raise ValueError("a gallery example starts with a docstring")
    return match.group(1), source[match.end():]


def gallery_script(source: str, language: str, origin: str) -> str:
    """One language's sphinx-gallery script from a bilingual example."""
    doc, code = _docstring(source)
    paragraphs = [p.strip() for p in doc.strip().split("\n\n")]
    title = TITLE.match(paragraphs[0].replace("\n", " "))
    if not title:
        raise ValueError(f"{origin}: first line 'Head — ES / EN (seed 00x).' expected")
    heading = f"{_pick(title['head'], language)} — {_pick(title['body'], language)}"
    text = [heading, "=" * len(heading), ""]
    for paragraph in paragraphs[1:]:
        if paragraph.startswith("ES:"):
            text += [_split_bilingual(paragraph)[language], ""]
        elif paragraph.startswith("python "):
            text += [INTRO[language][2], "", f"    {paragraph}", ""]
    lecture = _lectures(title["seeds"], language)
    text += [lecture, ""] if lecture else []
    text += [f"{INTRO[language][3]}: ``{origin}``", ""]
    body = ['"""', *text, '"""', ""]
    lines = code.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("# ES:"):
            indent = line[: len(line) - len(stripped)]
            block = [stripped[1:].strip()]
            while i + 1 < len(lines) and lines[i + 1].lstrip().startswith("#") \
                    and not lines[i + 1].lstrip().startswith("# ES:"):
                i += 1
                block.append(lines[i].lstrip()[1:].strip())
            words = _split_bilingual(" ".join(block))[language]
            if indent:  # a comment inside a block of code stays a comment
                body.append(f"{indent}# {words}")
            else:  # a top-level comment becomes a paragraph of text
                body += ["", "# %%", f"# {words[:1].upper()}{words[1:]}"]
        else:
            body.append(line)
        i += 1
    return "\n".join(body).rstrip() + "\n"


GALLERY_HEADER = {
    "es": ("Galería de ejemplos", "Los tutoriales y los experimentos de las clases, ejecutados "
           "al construir esta documentación (con pocos datos y pocas épocas para que la "
           "construcción sea rápida: las cifras de precisión son las de esas versiones "
           "cortas)."),
    "en": ("Example gallery", "The tutorials and the lectures' experiments, run when this "
           "documentation is built (on little data and few epochs so that the build stays "
           "fast: the accuracies shown are those of the short runs)."),
}


def gallery_name(filename: str, language: str) -> str:
    """sphinx-gallery wants unique file names across galleries: Spanish ones end in _es."""
    return filename if language == "en" else filename.replace(".py", "_es.py")


def write_gallery_sources(srcdir: Path, examples: list[Path], root: Path) -> None:
    """Write ``_generated/gallery/<language>/`` from the bilingual ``examples``."""
    for language in LANGUAGES:
        target = srcdir / "_generated" / "gallery" / language
        title, intro = GALLERY_HEADER[language]
        _write_if_changed(target / "GALLERY_HEADER.rst",
                          f"{title}\n{'=' * len(title)}\n\n{intro}\n")
        wanted = {"GALLERY_HEADER.rst"}
        for example in examples:
            origin = example.relative_to(root).as_posix()
            name = gallery_name(example.name, language)
            _write_if_changed(target / name,
                              gallery_script(example.read_text(encoding="utf-8"), language,
                                             origin))
            wanted.add(name)
        for stale in target.iterdir():
            if stale.name not in wanted:
                stale.unlink()
        stems = {name.split(".")[0] for name in wanted} | {"index", "sg_execution_times"}
        output = srcdir / language / "gallery"
        for stale in output.glob("*.*") if output.is_dir() else []:
            if stale.name.split(".")[0] not in stems:
                stale.unlink()


def _write_if_changed(path: Path, text: str) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


# ------------------------------------------------------------------------- gallery hooks

IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg"}


def file_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """Embed the pictures that a code block saved: every ``pathlib.Path`` variable naming an
    image file that exists and was not embedded before."""
    import shutil

    from sphinx_gallery.scrapers import figure_rst

    shown = block_vars.setdefault("retroprop_shown", set())
    found = [value for value in block_vars["example_globals"].values()
             if isinstance(value, Path) and value.suffix in IMAGE_SUFFIXES
             and value.is_file() and value not in shown]
    paths = []
    for picture, destination in zip(found, block_vars["image_path_iterator"], strict=False):
        destination = Path(destination).with_suffix(picture.suffix)
        shutil.copyfile(picture, destination)
        shown.add(picture)
        paths.append(destination)
    return figure_rst(paths, gallery_conf["src_dir"]) if paths else ""


def reset_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """Every example runs in its quick mode (``--quick``) when the documentation is built."""
    return ["--quick"]


# ------------------------------------------------------------------ plain-text docstrings

CODE = re.compile(r"(``.+?``|(?::[\w:-]+:)?`[^`]+`_{0,2})")
START = re.compile(r"(?<![\w*\\])\*(?=[^\s*])")
END = re.compile(r"(?<=[^\s*\\])\*(?![\w*])")
TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[\s\"'),.;:]|$)")


def escape_plain_text(text: str) -> str:
    """Escape what reStructuredText would misread in a docstring written as plain text:
    ``|w|`` (absolute values and norms, not substitutions), a lone ``*`` (``*kernel``,
    not an emphasis that never ends) and a word's trailing underscore (``weights_``, not
    a hyperlink reference). Inline code, roles and emphasis pairs are kept."""
    parts = CODE.split(text)
    for i in range(0, len(parts), 2):
        plain = TRAILING_UNDERSCORE.sub(r"\\_", parts[i].replace("|", "\\|"))
        starts = list(START.finditer(plain))
        lone = [m.start() for m in starts if not END.search(plain, m.end())]
        for position in reversed(lone):
            plain = plain[:position] + "\\" + plain[position:]
        parts[i] = plain
    return "".join(parts)


def _process_docstring(app: Any, what: str, name: str, obj: Any, options: Any,
                       lines: list[str]) -> None:
    origin = getattr(obj, "__module__", None) or ""
    if what in ("method", "attribute", "property") and origin and \
            not origin.startswith("retroprop"):
        # a member inherited from another library (scikit-learn's estimators): its
        # docstring refers to that library's pages, so point there instead
        lines[:] = [f"Inherited from ``{origin.split('.')[0]}``; see its documentation."]
        return
    for i, line in enumerate(lines):
        if not line.lstrip().startswith((">>>", "...")):
            lines[i] = escape_plain_text(line)
    lines[:] = formula_blocks(lines)


SECTION_RULE = re.compile(r"^-{3,}\s*$")
FORMULA = re.compile(r"[←=Σ∂√·²∇ηλμ]")


def formula_blocks(lines: list[str]) -> list[str]:
    """Keep the line breaks of the formulas that docstrings set off as an indented block
    after a blank line (``w ← w - η ∂E/∂w`` on one line, the next rule on the next):
    reStructuredText would join them into one paragraph, so each such block becomes a
    ``parsed-literal`` block. Only the text before the first numpydoc section."""
    end = next((i for i in range(len(lines) - 1) if SECTION_RULE.match(lines[i + 1])
                and lines[i].strip()), len(lines))
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):  # a literal block follows: kept whole, blank lines
            margin = len(line) - len(line.lstrip())  # and all, to its end
            out.append(line)
            i += 1
            while i < len(lines) and (not lines[i].strip()
                                      or len(lines[i]) - len(lines[i].lstrip()) > margin):
                out.append(lines[i])
                i += 1
            continue
        starts = (i < end and line.startswith(" ") and line.strip()
                  and (i == 0 or not lines[i - 1].strip()))
        if not starts:
            out.append(line)
            i += 1
            continue
        j = i
        while j < end and lines[j].startswith(" ") and lines[j].strip():
            j += 1
        block = lines[i:j]
        if any(FORMULA.search(b) for b in block) and \
                not any(b.lstrip().startswith((">>>", "..", "*", "-")) for b in block):
            indent = min(len(b) - len(b.lstrip()) for b in block)
            out += [".. parsed-literal::", ""] + ["   " + b[indent:] for b in block]
        else:
            out += block
        i = j
    return out


# ------------------------------------------------------------------------ language switch


def counterpart(pagename: str, found: set[str]) -> tuple[str, str]:
    """The page in the other language and that language's code."""
    if pagename.startswith("es/"):
        other = "en/" + pagename[3:]
        other = other[:-3] if other.endswith("_es") else other
        return (other if other in found else "index"), "en"
    if pagename.startswith("en/"):
        other = "es/" + pagename[3:]
        for candidate in (other + "_es", other):
            if candidate in found:
                return candidate, "es"
        return "es/index", "es"
    return "es/index", "es"


# sphinx-gallery's own words, in Spanish on the Spanish pages
SPANISH = {
    ">Note<": ">Nota<",
    "Go to the end": "Ve al final",
    "to download the full example code.": "para descargar el código completo del ejemplo.",
    "Total running time of the script:": "Tiempo total de ejecución del script:",
    "minutes": "minutos", "seconds)": "segundos)",
    "Download Jupyter notebook:": "Descargar el cuaderno de Jupyter:",
    "Download Python source code:": "Descargar el código fuente en Python:",
    "Download zipped:": "Descargar en un ZIP:",
    "Gallery generated by Sphinx-Gallery": "Galería generada por Sphinx-Gallery",
}


def _page_context(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: Any) -> None:
    target, language = counterpart(pagename, app.env.found_docs)
    if pagename == "es/index":
        target, language = "index", "en"
    context["retroprop_other_page"] = context["pathto"](target)
    context["retroprop_other_language"] = language
    if pagename.startswith("es/"):
        context["lang_attr"] = "es"
        if "/gallery/" in pagename and "body" in context:
            for english, spanish in SPANISH.items():
                context["body"] = context["body"].replace(english, spanish)


def _extra_pages(app: Any, docname: str, source: list[str]) -> None:
    """Pages that other branches add to ``docs/`` join the home page's table of contents
    when they are there."""
    if docname == "index":
        for page in EXTRA_PAGES:
            if any((Path(app.srcdir) / page).with_suffix(s).is_file() for s in (".md", ".rst")):
                source[0] = source[0].replace("   en/install\n", f"   en/install\n   {page}\n")


EXTRA_PAGES = ["bad_input"]


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _page_context)
    app.connect("source-read", _extra_pages)
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
