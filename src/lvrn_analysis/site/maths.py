r"""Offline maths for the fallback renderer: TeX becomes MathML when the site is built.

smalldocs writes maths as Pandoc does for KaTeX — ``<span class="math inline">\(...\)</span>``
and ``<span class="math display">\[...\]</span>`` — and adds KaTeX from a CDN to draw
it, which offline and locked-down (e.g. NHS) networks block. `mathml_site()` converts
each span's TeX to MathML with [latex2mathml](https://pypi.org/project/latex2mathml/)
(pure Python; browsers draw MathML natively) and removes the CDN tags, so the pages
draw their maths with no network (in the reader's math font: `MATH_CSS`). Real Quarto
renders the same ``$...$`` with Pandoc.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from latex2mathml.converter import convert

_SPAN = re.compile(r'<span class="math (?P<kind>inline|display)">'
                   r'(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])</span>', re.S)
_KATEX = re.compile(r'<link\b[^>]*\bkatex\b[^>]*>|<script\b[^>]*\bkatex\b[^>]*>\s*</script>')
#: Browsers draw MathML well only in a font with an OpenType MATH table (stretchy
#: brackets, fraction rules); their default for ``<math>`` often is not one. These are
#: the math fonts of macOS, Windows and common Linux font packages.
MATH_CSS = ('<style id="lvrn-mathml">math{font-family:"STIX Two Math","Cambria Math",'
            '"Latin Modern Math","DejaVu Math TeX Gyre","TeX Gyre Termes Math",math}</style>')
#: latex2mathml writes these symbols as identifiers; MathML wants relations.
_RELATIONS = {"<mi>&#x0007E;</mi>": "<mo>&#x0223C;</mo>"}  # \sim


@dataclass
class MathReport:
    """What `mathml_site()` did.

    Attributes
    ----------
    pages
        Pages whose maths was converted.
    formulas
        Formulas converted.
    failures
        ``(page, TeX, error)`` for each formula latex2mathml could not convert; such
        a page keeps its TeX and its KaTeX tags.
    """

    pages: int = 0
    formulas: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)


def tex_to_mathml(tex: str, *, display: bool = False) -> str:
    """Return the MathML of one formula.

    Parameters
    ----------
    tex
        The TeX, without delimiters.
    display
        Display (block) maths rather than inline.

    Returns
    -------
    str
        A ``<math>`` element.
    """
    out = convert(tex.strip(), display="block" if display else "inline")
    for old, new in _RELATIONS.items():
        out = out.replace(old, new)
    return out


def mathml_page(text: str) -> tuple[str, int, list[tuple[str, str]]]:
    """Convert the maths of one HTML page.

    Parameters
    ----------
    text
        The page's HTML as smalldocs wrote it.

    Returns
    -------
    tuple of (str, int, list of (str, str))
        The new HTML, the number of formulas converted and ``(TeX, error)`` for each
        formula that could not be converted (the KaTeX tags stay when there is one).
    """
    failures: list[tuple[str, str]] = []
    done = 0

    def one(m: re.Match[str]) -> str:
        nonlocal done
        display = m["kind"] == "display"
        tex = html.unescape(m["display"] if display else m["inline"])
        try:
            mathml = tex_to_mathml(tex, display=display)
        except Exception as exc:  # latex2mathml raises many kinds on unknown TeX
            failures.append((tex, f"{type(exc).__name__}: {exc}"))
            return m[0]
        done += 1
        return f'<span class="math {m["kind"]}">{mathml}</span>'

    new = _SPAN.sub(one, text)
    if done and not failures:
        new = _KATEX.sub("", new).replace("</head>", f"{MATH_CSS}</head>", 1)
    return new, done, failures


def mathml_site(site: Path | str) -> MathReport:
    """Convert the maths of every HTML page under a rendered site, in place.

    Parameters
    ----------
    site
        The ``_site`` folder.

    Returns
    -------
    MathReport
        Pages and formulas converted, and any failures.
    """
    site = Path(site)
    report = MathReport()
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if 'class="math ' not in text:
            continue
        new, done, failures = mathml_page(text)
        report.formulas += done
        report.failures += [(str(page.relative_to(site)), tex, err) for tex, err in failures]
        if new != text:
            page.write_text(new, encoding="utf-8")
            report.pages += 1
    return report
