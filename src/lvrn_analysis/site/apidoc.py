"""Package reference pages generated from the docstrings.

`write_api_pages()` writes one Quarto page per public module into ``api/``
(``api/index.qmd`` lists them). The pages are plain Markdown, so real Quarto and
the offline renderer show them alike; ``lvrn site`` regenerates them before
rendering, and the generated pages are committed so a plain ``quarto render``
finds them too. Output is deterministic (sorted, no timestamps).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

#: Modules left out of the reference (private helpers and the CLI entry point).
SKIP = ("lvrn_analysis._resources", "lvrn_analysis.site.apidoc")

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\s*$", re.MULTILINE)


def public_modules(package: str = "lvrn_analysis") -> list[ModuleType]:
    """Return the package's public modules, sorted by name."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or info.name in SKIP:
            continue
        names.append(info.name)
    return [importlib.import_module(n) for n in sorted(set(names))]


def _members(mod: ModuleType) -> list[tuple[str, object]]:
    out = []
    for name, obj in vars(mod).items():
        if name.startswith("_"):
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) != mod.__name__:
            continue
        out.append((name, obj))
    return sorted(out, key=lambda t: t[0])


def _signature(obj: object) -> str:
    try:
        sig = str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        sig = "(...)"
    sig = re.sub(r" at 0x[0-9a-f]+", "", sig)
    # annotations are strings under `from __future__ import annotations`: unquote them
    sig = re.sub(r": '([^']*)'", r": \1", sig)
    return re.sub(r"-> '([^']*)'", r"-> \1", sig)


def docstring_markdown(doc: str | None) -> str:
    """Turn a numpydoc docstring into Markdown.

    Section headings (``Parameters`` underlined with dashes) become bold
    headings; parameter lines (``name : type``) become bullet items with the
    description indented beneath; other text is kept.

    Parameters
    ----------
    doc
        The raw docstring.

    Returns
    -------
    str
        Markdown text.
    """
    if not doc:
        return "*No documentation.*"
    text = re.sub(r":(?:func|mod|class|meth|data|attr):`~?([^`]+)`", r"`\1`", inspect.cleandoc(doc))
    parts = _SECTION.split(text)
    out = [parts[0].strip()]
    for i in range(1, len(parts), 2):
        title, body = parts[i].strip(), parts[i + 1]
        out.append(f"**{title}**")
        if title in {"Parameters", "Returns", "Yields", "Raises", "Attributes",
                     "Other Parameters", "Warns"}:
            items: list[str] = []
            for line in body.strip("\n").splitlines():
                if line and not line.startswith(" "):
                    name, _, typ = line.partition(" : ")
                    items.append(f"- `{name.strip()}`" + (f" : *{typ.strip()}*" if typ else ""))
                elif line.strip():
                    items.append("  " + line.strip())
            out.append("\n".join(items))
        else:
            out.append(inspect.cleandoc(body))
    return "\n\n".join(p for p in out if p)


def module_page(mod: ModuleType) -> str:
    """Return the Markdown page for one module."""
    lines = ["---", f'title: "{mod.__name__}"', "---", "",
             docstring_markdown(mod.__doc__), ""]
    for name, obj in _members(mod):
        kind = "class" if inspect.isclass(obj) else "function"
        lines += [f"## `{name}` {{#{name.lower()}}}", "",
                  f"```python\n{kind} {name}{_signature(obj)}\n```", "",
                  docstring_markdown(obj.__doc__), ""]
    return "\n".join(lines).rstrip() + "\n"


def write_api_pages(project: Path | str = ".") -> list[Path]:
    """Write ``api/index.qmd`` and one page per public module.

    Parameters
    ----------
    project
        Project folder (holding ``_quarto.yml``).

    Returns
    -------
    list of Path
        The pages written.
    """
    out = Path(project) / "api"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.qmd"):
        old.unlink()
    pages = []
    rows = []
    for mod in public_modules():
        stem = mod.__name__.replace("lvrn_analysis.", "").replace("lvrn_analysis", "package")
        path = out / f"{stem.replace('.', '-')}.qmd"
        path.write_text(module_page(mod), encoding="utf-8")
        pages.append(path)
        summary = (inspect.cleandoc(mod.__doc__ or "").splitlines() or [""])[0]
        rows.append(f"| [`{mod.__name__}`]({path.name}) | {summary.replace('|', '/')} |")
    index = ["---", 'title: "Package reference"', "---", "",
             "Generated from the docstrings of `lvrn_analysis` by `lvrn site` "
             "(`lvrn_analysis.site.apidoc`).", "", "| Module | What it holds |", "|---|---|", *rows, ""]
    (out / "index.qmd").write_text("\n".join(index), encoding="utf-8")
    return [out / "index.qmd", *pages]
