"""The package reference: quartodoc writes ``api/`` from the docstrings.

What the reference shows, in which order, is the ``quartodoc:`` section of
``_quarto.yml`` (sections that follow the data flow, one page per module, parsed as
numpydoc). `build_reference()` runs quartodoc's builder from Python, offline, with
`Renderer`: quartodoc's Markdown renderer plus the docstring sections quartodoc 0.11
cannot render (``Yields``, and headings such as ``Methods`` that griffe reads as
lists of functions but that this project's module docstrings use for prose).

The pages are standard Quarto Markdown — ``$...$`` and ``$$...$$`` maths pass through
untouched — so real Quarto (Pandoc) and the offline fallback render them alike. The
output is deterministic: static analysis (nothing is imported), no timestamps, and the
folder is emptied first so that a module that moved leaves no stale page.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import warnings
from pathlib import Path
from typing import Any

import griffe
import yaml
from plum import dispatch
from quartodoc import Builder, MdRenderer, layout
from quartodoc import ast as qast
from quartodoc.renderers.md_renderer import ParamRow

#: Headings griffe reads as summary lists (of functions, classes, modules) that
#: quartodoc 0.11 cannot render; here they are prose and render as such.
PROSE_HEADINGS = ("functions", "methods", "classes", "modules", "type aliases")
_SUMMARY_SECTIONS = (
    griffe.DocstringSectionFunctions,
    griffe.DocstringSectionClasses,
    griffe.DocstringSectionModules,
    griffe.DocstringSectionTypeAliases,
)
_FENCE = re.compile(r"^\s*(```|~~~)")


def _is_dashes(line: str) -> bool:
    return bool(line.strip()) and not line.strip().strip("-")


def split_sections(text: str) -> list[tuple[str | None, str]]:
    """Split a numpydoc docstring at its underlined headings.

    Parameters
    ----------
    text
        The docstring, dedented.

    Returns
    -------
    list of (str or None, str)
        ``(heading, body)`` pairs in order; the text before the first heading has
        heading ``None``. Lines inside fenced code blocks are never headings.
    """
    lines = text.splitlines()
    out: list[tuple[str | None, list[str]]] = [(None, [])]
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
        elif (not fenced and line.strip() and i + 1 < len(lines) and _is_dashes(lines[i + 1])
              and (i == 0 or not lines[i - 1].strip())):
            out.append((line.strip(), []))
            i += 2
            continue
        out[-1][1].append(line)
        i += 1
    return [(title, "\n".join(body).strip("\n")) for title, body in out
            if title is not None or "\n".join(body).strip()]


def docstring_sections(doc: griffe.Docstring) -> list[griffe.DocstringSection]:
    """Return a docstring's sections, with prose under summary headings kept as prose.

    griffe parses a ``Methods`` (or ``Functions``, ``Classes``, ``Modules``) heading
    as a list of names; in this project's module docstrings such headings introduce
    prose (e.g. how the funnel limits are computed). When griffe found such a
    section, the docstring is split at its headings: those become titled prose
    sections and every other heading is parsed by griffe as usual.

    Parameters
    ----------
    doc
        A griffe docstring.

    Returns
    -------
    list of griffe.DocstringSection
        The sections to render.
    """
    parsed = doc.parsed
    if not any(isinstance(s, _SUMMARY_SECTIONS) for s in parsed):
        return parsed
    out: list[griffe.DocstringSection] = []
    for title, body in split_sections(doc.value):
        if title is None:
            out.append(griffe.DocstringSectionText(body))
        elif title.lower() in PROSE_HEADINGS:
            out.append(griffe.DocstringSectionAdmonition(kind=title.lower(), text=body,
                                                         title=title))
        else:
            part = griffe.Docstring(f"{title}\n{'-' * len(title)}\n{body}",
                                    parent=doc.parent, parser=doc.parser,
                                    parser_options=doc.parser_options)
            out.extend(part.parsed)
    return out


def signature_types(section: griffe.DocstringSection, parent: object) -> None:
    """Give each documented parameter its own type and default from the signature.

    griffe gives every name of a combined entry (``kind, target, method``) the type
    and default of the first name found in the signature; here each name takes its
    own. A type written in the docstring is kept.

    Parameters
    ----------
    section
        A parsed ``Parameters`` (or ``Other Parameters``) section; changed in place.
    parent
        The documented function or class (its ``parameters``, if any, are used).
    """
    params = getattr(parent, "parameters", None)
    if not params or not isinstance(section, griffe.DocstringSectionParameters):
        return
    from_signature = {id(p.annotation) for p in params if p.annotation is not None}
    for item in section.value:
        if item.name not in params:
            continue
        own = params[item.name]
        if item.annotation is None or id(item.annotation) in from_signature:
            item.annotation = own.annotation
        item.value = own.default


class Renderer(MdRenderer):
    """quartodoc's Markdown renderer, completed for the sections this package uses.

    Adds ``Yields``, ``Warns`` and ``Receives`` sections (tables like ``Returns``),
    renders summary headings that hold prose (see `docstring_sections()`), gives
    each parameter its own type (see `signature_types()`), and links a module's page
    from the index without an anchor.
    """

    style = "lvrn"

    @dispatch
    def render(self, el: griffe.Docstring) -> str:  # noqa: D102 (documented by quartodoc)
        parts = []
        for section in qast.transform(docstring_sections(el)):
            signature_types(section, el.parent)
            title = section.title or section.kind.value
            body = self.render(section)
            if title != "text":
                parts.append(f"{self.render_header(section)}\n\n{body}")
            else:
                parts.append(body)
        return "\n\n".join(parts)

    @dispatch
    def summarize(  # noqa: D102
        self, el: layout.DocModule, path: str | None = None, shorten: bool = False,
    ) -> str:
        # a module's anchor is on its page's title, which renderers turn into the title
        # block (Quarto and smalldocs drop its id): link the page itself
        link = f"[{el.name}]({path}.qmd)" if path else f"[{el.name}](#{el.anchor})"
        return self._summary_row(link, self.summarize(el.obj))

    @dispatch
    def render(  # noqa: D102, F811 (plum dispatch: one method per type)
        self, el: griffe.DocstringSectionYields | griffe.DocstringSectionWarns
        | griffe.DocstringSectionReceives,
    ) -> str:
        rows = [self.render(item) for item in el.value]
        return self._render_table(rows, ["Name", "Type", "Description"], "returns")

    @dispatch
    def render(  # noqa: D102, F811 (plum dispatch: one method per type)
        self, el: griffe.DocstringYield | griffe.DocstringWarn | griffe.DocstringReceive,
    ) -> ParamRow:
        return ParamRow(getattr(el, "name", None) or None, el.description,
                        annotation=self.render_annotation(el.annotation))


def quartodoc_config(project: Path | str = ".") -> dict[str, Any]:
    """Return the ``quartodoc:`` section of the project's ``_quarto.yml``.

    Raises
    ------
    KeyError
        If ``_quarto.yml`` has no ``quartodoc:`` section.
    """
    cfg = yaml.safe_load((Path(project) / "_quarto.yml").read_text(encoding="utf-8"))
    if not cfg.get("quartodoc"):
        raise KeyError(f"{project}/_quarto.yml has no quartodoc: section")
    return cfg["quartodoc"]


def documented_modules(project: Path | str = ".") -> list[str]:
    """Return the full names of the modules the reference documents, in order."""
    cfg = quartodoc_config(project)
    names = []
    for section in cfg.get("sections", []):
        for entry in section.get("contents", []):
            name = entry if isinstance(entry, str) else entry["name"]
            pkg = cfg["package"] if isinstance(entry, str) else entry.get("package",
                                                                           cfg["package"])
            names.append(f"{pkg}.{name}" if pkg else name)
    return names


def public_modules(package: str = "lvrn_analysis") -> list[str]:
    """Return the full names of a package's public modules (packages included), sorted.

    Found from the files, without importing anything: a module is public when no part
    of its dotted name starts with ``_``; only folders with an ``__init__.py`` count.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(package)
    root = Path(spec.origin).parent
    names = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        parts = rel.parts[:-1] if rel.name == "__init__.py" else (*rel.parts[:-1], rel.stem)
        if any(p.startswith("_") for p in parts):
            continue
        if all((root / Path(*rel.parts[:i]) / "__init__.py").is_file()
               for i in range(len(rel.parts))):
            names.append(".".join((package, *parts)))
    return sorted(names)


def check_listing(project: Path | str = ".") -> list[str]:
    """Check the ``quartodoc:`` listing against the package's public modules.

    Parameters
    ----------
    project
        Folder holding ``_quarto.yml``.

    Returns
    -------
    list of str
        Public modules the listing leaves out (they get no reference page).

    Raises
    ------
    ValueError
        If the listing names a module that does not exist, or one twice.
    """
    package = quartodoc_config(project)["package"]
    listed = documented_modules(project)
    public = public_modules(package)
    unknown = [m for m in listed if m not in public]
    twice = sorted({m for m in listed if listed.count(m) > 1})
    if unknown or twice:
        raise ValueError("the quartodoc: section of _quarto.yml lists "
                         + "; ".join([*(f"{m}, which is not a public module" for m in unknown),
                                      *(f"{m} twice" for m in twice)]))
    return [m for m in public if m not in listed]


def build_reference(project: Path | str = ".") -> list[Path]:
    """Write the package reference into the folder ``quartodoc: dir`` names.

    Parameters
    ----------
    project
        Folder holding ``_quarto.yml``.

    Returns
    -------
    list of Path
        The pages written (the index first).

    Raises
    ------
    ValueError
        If the listing names a module that does not exist (see `check_listing()`).
    """
    project = Path(project).resolve()
    check_listing(project)
    cfg = dict(quartodoc_config(project))
    options = cfg.pop("renderer", {}) or {}
    options = {k: v for k, v in options.items() if k != "style"}
    out = project / cfg.get("dir", "reference")
    if out.is_dir():
        for old in out.glob("*.qmd"):
            old.unlink()
    griffe_log = logging.getLogger("griffe")
    level = griffe_log.level
    griffe_log.setLevel(logging.ERROR)  # docstring style notes, not errors
    try:
        with contextlib.chdir(project), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            builder = Builder(**cfg, renderer=Renderer(**options))
            builder.build()
    finally:
        griffe_log.setLevel(level)
    pages = sorted(out.glob("*.qmd"))
    index = out / builder.out_index
    return [index, *(p for p in pages if p != index)]

