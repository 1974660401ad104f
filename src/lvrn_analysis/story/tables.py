"""Published tables as pages show them: styled with great_tables, marked for the guards.

`published_html()` turns a `lvrn_analysis.stats.disclosure.PublishedTable` (what
`lvrn_analysis.stats.disclosure.publish()` returns, the single way a table is
published) into the HTML a page shows:

* headers for readers, with units, from one dictionary
  (`lvrn_analysis.story.table_labels`);
* numbers formatted by the kind of column: counts and populations with
  thousands separators and no decimals, rates with one decimal, p-values as
  ``< 0.001``, other numbers with the same decimals down a column; suppressed and
  missing counts as ``[c]`` and ``[x]``;
* no pandas index unless it names something (a named index becomes the row stub);
* the caption above the table, the lineage line (``SYNTHETIC``) and the
  disclosure footnote below it, the footnote only where the table has counts;
* every attribute the publication and lineage guards read
  (``data-lvrn-disclosure``, ``data-lvrn-role``, ``data-lvrn-suppressed``,
  ``data-lvrn-lineage`` ...), as in `PublishedTable.to_html()`.

The table itself is drawn by great_tables (``GT.as_raw_html()``): self-contained
HTML with its CSS scoped to the table's id, so it looks the same in Quarto, in the
offline renderer and in Jupyter. The id is derived from the table's name, so the
HTML is the same on every run (nbval compares it); it loads no fonts or scripts.
Wide tables wrap their headers and scroll sideways inside their own box rather
than widening the page.

The CSV download is not affected: it keeps the column names and values of
`PublishedTable.to_csv()`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from great_tables import GT
from great_tables import html as gt_html

from lvrn_analysis.its.results import format_p
from lvrn_analysis.stats.disclosure.published import (
    LINEAGE_ATTR,
    LINEAGE_SOURCES_ATTR,
    MARKER,
    ROLE_ATTR,
    SOURCE_ATTR,
    PublishedTable,
)
from lvrn_analysis.story.table_labels import Column, column

__all__ = ["TABLE_ID_PREFIX", "format_column", "published_html", "table_id"]

#: Prefix of the HTML id of every published table (``lvrn-table-<name>``). Not ``tbl-``,
#: which Quarto reserves for cross-referenced tables.
TABLE_ID_PREFIX = "lvrn-table-"

_DEFAULT_DECIMALS = {"rate": 1, "percent": 1, "ratio": 2, "score": 1}
_NUMERIC_TEXT = re.compile(r"^(?:[<>≤≥]\s?)?[-\u2212]?\d|^\[[cx]\]$")
_GT_WRAPPER = re.compile(r"^\s*<div id=\"[^\"]*\"[^>]*>\s*(<style>.*?</style>)\s*"
                         r"(<table\b.*</table>)\s*</div>\s*$", re.DOTALL)
_CELL_OPEN = re.compile(r"<(td|th)\b([^>]*)>")
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CSS_CLASS = re.compile(r"\.(gt_[\w-]+)")

#: House additions to the great_tables style (``{id}`` is the table's id).
_HOUSE_CSS = """
#{id} {{ margin: 0.5rem 0 1.25rem 0; }}
#{id} lvrn-scroll {{ display: block; max-width: 100%; overflow-x: auto;
  container-type: inline-size; }}
#{id} .gt_table {{ margin: 0; }}
#{id} caption {{ caption-side: top; text-align: left; color: inherit; font-weight: 600;
  padding: 0 0 0.4rem 0; position: sticky; left: 0; width: max-content; max-width: 100cqi; }}
#{id} .gt_col_heading {{ white-space: normal; vertical-align: bottom; padding: 0.3rem 0.45rem; }}
#{id} .gt_col_heading .lvrn-unit {{ display: block; font-weight: normal; font-size: 85%; }}
#{id} .gt_row {{ vertical-align: top; padding: 0.3rem 0.45rem; }}
#{id} td.gt_left {{ overflow-wrap: break-word; }}
#{id} td.gt_right {{ white-space: nowrap; }}
#{id} > p {{ margin: 0.4rem 0 0 0; max-width: 60rem; }}
#{id} td.lvrn-code {{ font-family: SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
  font-size: 0.85em; }}
#{id} td.lvrn-prose {{ min-width: 11rem; }}
#{id} td.lvrn-short {{ white-space: nowrap; }}
"""

#: A text column holding a value longer than this (characters) is prose: it gets a
#: minimum width (``lvrn-prose``), so that it does not shrink to a word a line.
_PROSE_CHARS = 80
#: A text column whose values are all at most this long (``2018-11``, ``June 2020``)
#: is not wrapped (``lvrn-short``).
_SHORT_CHARS = 12
#: Tables with this many columns or more are set in a smaller type.
_MANY_COLUMNS = 8


def table_id(name: str) -> str:
    """Return the HTML id of a published table: `TABLE_ID_PREFIX` and a slug of ``name``.

    Parameters
    ----------
    name
        The table's name (the CSV file stem in `lvrn_analysis.story.notebook.table()`).

    Returns
    -------
    str
        E.g. ``"lvrn-table-violence-rates-by-authority"``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return TABLE_ID_PREFIX + (slug or "table")


# -- values ------------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _whole(value: float) -> bool:
    return math.isfinite(value) and float(value).is_integer()


def _decimals_needed(values: Sequence[float], cap: int = 3) -> int:
    """Fewest decimals (at most ``cap``) that show every value as rounded to ``cap``."""
    needed = 0
    for v in values:
        target = round(v, cap)
        while needed < cap and not math.isclose(round(v, needed), target, abs_tol=1e-12):
            needed += 1
    return needed


def _number(value: object) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return None


def format_column(values: pd.Series, spec: Column) -> list[str]:
    """Format the values of one (non-count) column for a page.

    Parameters
    ----------
    values
        The column.
    spec
        Its `lvrn_analysis.story.table_labels.Column` (the kind decides the format).

    Returns
    -------
    list of str
        One string per value; missing values are ``""``.

    Examples
    --------
    >>> from lvrn_analysis.story.table_labels import Column
    >>> format_column(pd.Series([141574.0, 95553.0]), Column("Population", kind="integer"))
    ['141,574', '95,553']
    >>> format_column(pd.Series([0.0004, 0.0496]), Column("p", kind="p"))
    ['< 0.001', '0.0496']
    """
    kind = spec.kind
    items = list(values)
    numbers = [_number(v) for v in items]
    finite = [n for n in numbers if n is not None and math.isfinite(n)]
    if kind == "auto" and finite and all(n is not None or _is_missing(v)
                                         for n, v in zip(numbers, items, strict=True)):
        kind = "integer" if all(_whole(n) for n in finite) else "score"
        decimals = _decimals_needed(finite)
    elif kind in _DEFAULT_DECIMALS:
        decimals = spec.decimals if spec.decimals is not None else _DEFAULT_DECIMALS[kind]
    else:
        decimals = 0
    out = []
    for value, num in zip(items, numbers, strict=True):
        if _is_missing(value):
            out.append("")
        elif isinstance(value, bool | np.bool_):
            out.append("yes" if value else "no")
        elif kind == "flag" and isinstance(value, str) and value in ("True", "False"):
            out.append("yes" if value == "True" else "no")
        elif num is None:
            text = str(value)
            out.append("< " + text[1:].lstrip() if kind == "p" and text.startswith("<") else text)
        elif kind == "p":
            out.append(format_p(num))
        elif kind in ("code", "text"):
            out.append(str(int(num)) if _whole(num) else str(value))
        elif kind in ("count", "integer") or (kind == "auto" and _whole(num)):
            out.append(f"{num:,.0f}" if math.isfinite(num) else str(value))
        elif kind == "auto":
            out.append(str(value))
        else:
            out.append(f"{num:,.{decimals}f}")
    return out


# -- rendering ---------------------------------------------------------------------------


def _role(pub: PublishedTable, col: object) -> str | None:
    if col in pub.count_cols:
        return "count"
    if col in pub.derived_cols:
        return "derived"
    return None


def _show_index(frame: pd.DataFrame) -> bool:
    """Show the index only if it names something: a positional (integer, unnamed) one is dropped."""
    idx = frame.index
    if any(n is not None for n in idx.names):
        return True
    return not pd.api.types.is_integer_dtype(idx.dtype)


def _code_breaks(body: str) -> str:
    """Let identifiers and paths in ``lvrn-code`` cells wrap after ``/`` and ``_``.

    ``<wbr>`` marks where a line may break without adding a character (copying
    ``data/raw/police/`` from the page gives exactly that).
    """
    cell = re.compile(r'(<td class="[^"]*\blvrn-code\b[^"]*"[^>]*>)([^<]*)(</td>)')
    return cell.sub(lambda m: m.group(1) + re.sub(r"([/_])(?=[^\s])", r"\1<wbr>", m.group(2))
                    + m.group(3), body)


def _header_html(spec: Column, extra: str = "") -> object:
    text = html.escape(spec.label) + extra
    if spec.unit:
        text += f'<span class="lvrn-unit">{html.escape(spec.unit)}</span>'
    return gt_html(text)


def _scoped_css(css: str, tid: str, used: str) -> str:
    """Scope great_tables' few unscoped selectors to the table and drop rules it does not use."""
    rules = []
    for selector, body in _CSS_RULE.findall(css):
        parts = [s.strip() for s in selector.split(",")]
        parts = [p if p.startswith(f"#{tid}") else f"#{tid} {p}" for p in parts]
        classes = _CSS_CLASS.findall(" ".join(parts))
        if classes and not any(c in used for c in classes):
            continue
        decls = [d.strip() for d in body.split(";") if d.strip() and "font-color(" not in d]
        # a side drawn with no border needs no width or colour
        off = {d.split("-")[1] for d in decls if re.fullmatch(r"border-\w+-style:\s*none", d)}
        decls = [d for d in decls
                 if not re.match(rf"border-(?:{'|'.join(off) or '-'})-(?:width|color):", d)]
        rules.append(f"{', '.join(parts)} {{ {'; '.join(decls)}; }}")
    return "\n".join(rules)


def _inject(cells_html: str, attrs: Sequence[str], classes: Sequence[str]) -> str:
    """Add ``attrs[k]`` and class ``classes[k]`` to the k-th ``<td>``/``<th>`` of ``cells_html``.

    great_tables' ``id`` and ``headers`` attributes are dropped: the tables are
    simple (one header row, ``scope`` on every header cell), and they would make
    every cell several times longer.
    """
    found = _CELL_OPEN.findall(cells_html)
    if len(found) != len(attrs):
        raise RuntimeError(f"great_tables wrote {len(found)} cells where {len(attrs)} were "
                           "expected; its HTML layout has changed")
    it = iter(zip(attrs, classes, strict=True))

    def add(m: re.Match[str]) -> str:
        extra, cls = next(it)
        own = re.sub(r'\s(?:id|headers)="[^"]*"', "", m.group(2))
        if cls:
            own = re.sub(r'class="([^"]*)"', lambda c: f'class="{c.group(1)} {cls}"', own, count=1)
        return f"<{m.group(1)}{own}{extra}>"

    return re.sub(r"\n\s+", "\n", _CELL_OPEN.sub(add, cells_html))


def published_html(pub: PublishedTable, *, name: str) -> str:
    """Render a published table as the HTML a page shows.

    Parameters
    ----------
    pub
        The table, as `lvrn_analysis.stats.disclosure.publish()` returned it.
    name
        The table's name (CSV file stem); its slug is the HTML id (see `table_id()`).

    Returns
    -------
    str
        ``<div class="lvrn-published" id=...>`` holding the table's ``<style>``, the
        ``<table>`` (with ``<caption>``) and the lineage and disclosure notes. The
        div and the table carry ``data-lvrn-disclosure``, the source, rule and
        lineage; count and derived cells carry ``data-lvrn-role`` and, where
        suppressed or rounded, ``data-lvrn-suppressed`` / ``data-lvrn-rounded``.

    Raises
    ------
    RuntimeError
        If great_tables' HTML does not have the layout this function expects
        (a great_tables upgrade changed it).
    """
    tid = table_id(name)
    esc = html.escape
    frame = pub.frame
    shown = pub.display_frame(thousands=True)
    rounded = pub.rule is not None and pub.rule.rounding > 1
    stub = _show_index(frame)
    keys = [f"c{j}" for j in range(frame.shape[1])]
    data: dict[str, list[str]] = {}
    if stub:
        labels = [" / ".join(map(str, v)) if isinstance(v, tuple) else str(v)
                  for v in frame.index]
        data["stub"] = labels
    specs = [column(str(c)) for c in frame.columns]
    right = []
    for key, col, spec in zip(keys, frame.columns, specs, strict=True):
        role = _role(pub, col)
        texts = (list(shown[col]) if role else format_column(frame[col], spec))
        data[key] = texts
        non_empty = [t for t in texts if t]
        if role or spec.kind not in ("text", "code", "flag") and non_empty and all(
                _NUMERIC_TEXT.match(t) for t in non_empty):
            right.append(key)
    table = pd.DataFrame(data, columns=(["stub"] if stub else []) + keys, dtype=object)
    gt = GT(table, id=tid, rowname_col="stub" if stub else None)
    if stub:
        names = [str(n) for n in frame.index.names if n is not None]
        gt = gt.tab_stubhead(label=" / ".join(column(n).header for n in names))
    labels_html = {}
    for key, col, spec in zip(keys, frame.columns, specs, strict=True):
        mark = '<sup title="rounded">r</sup>' if _role(pub, col) == "count" and rounded else ""
        labels_html[key] = _header_html(spec, mark)
    gt = gt.cols_label(**labels_html)
    if right:
        gt = gt.cols_align("right", columns=right)
    left = [k for k in keys if k not in right]
    code_keys = [k for k, spec in zip(keys, specs, strict=True)
                 if spec.kind == "code" and k in left]
    prose_keys = [k for k in left if k not in code_keys
                  and max((len(t) for t in data[k]), default=0) > _PROSE_CHARS]
    short_keys = [k for k in left if k not in code_keys
                  and max((len(t) for t in data[k]), default=0) <= _SHORT_CHARS]
    col_class = {**{k: "lvrn-code" for k in code_keys}, **{k: "lvrn-prose" for k in prose_keys},
                 **{k: "lvrn-short" for k in short_keys}}
    if left:
        gt = gt.cols_align("left", columns=left)
    gt = gt.tab_options(table_margin_left="0px", table_font_names="inherit",
                        table_font_size="0.85rem" if len(keys) >= _MANY_COLUMNS else "0.9rem",
                        column_labels_font_weight="bold",
                        # Quarto would otherwise re-parse the table into its own
                        # (dropping the style), so that the renderers would differ
                        quarto_disable_processing=True)
    match = _GT_WRAPPER.match(gt.as_raw_html())
    if match is None:
        raise RuntimeError("great_tables' HTML does not have the expected <div><style><table> "
                           "layout")
    style, table_html = match.group(1), match.group(2)

    status = pub.status
    rule_text = pub.rule.describe() if pub.rule else "exempt"
    lin = pub.lineage
    common = (f'{MARKER}="{status}" {SOURCE_ATTR}="{esc(pub.policy.source)}" '
              f'data-lvrn-rule="{esc(rule_text)}" {LINEAGE_ATTR}="{lin.status}" '
              f'{LINEAGE_SOURCES_ATTR}="{esc(" ".join(lin.sources or ()))}"')

    head_at = table_html.index("<thead>")
    body_at = table_html.index("<tbody")
    opening, head, body = (table_html[:head_at], table_html[head_at:body_at],
                           table_html[body_at:])
    head_attrs = [""] if stub else []
    for col in frame.columns:
        role = _role(pub, col)
        extra = f' data-lvrn-column="{esc(str(col))}"'
        if role:
            extra += f' {ROLE_ATTR}="{role}"'
            if role == "count" and rounded:
                extra += f' data-lvrn-rounded="{pub.rule.rounding}"'
        head_attrs.append(extra)
    body_attrs = []
    for i in range(len(frame)):
        if stub:
            body_attrs.append("")
        for col in frame.columns:
            role = _role(pub, col)
            extra = ""
            if role:
                extra = f' {ROLE_ATTR}="{role}"'
                # one marker for every suppressed cell: saying which is primary would
                # tell a reader which [c] hides the small count
                if bool(pub.primary[col].iloc[i]) or bool(pub.secondary[col].iloc[i]):
                    extra += ' data-lvrn-suppressed="true"'
                elif role == "count" and rounded and not pd.isna(frame[col].iloc[i]):
                    extra += f' data-lvrn-rounded="{pub.rule.rounding}"'
            body_attrs.append(extra)
    head = _inject(head, head_attrs, [""] * len(head_attrs))
    body_classes = ([""] if stub else []) + [col_class.get(k, "") for k in keys]
    body = _code_breaks(_inject(body, body_attrs, body_classes * len(frame)))
    opening = opening.replace('<table class="gt_table"', f'<table class="gt_table lvrn-table" '
                              f'{common}', 1)
    caption = pub.display_caption
    if caption:
        opening = opening.rstrip() + f"\n<caption>{esc(caption)}</caption>\n"
    table_html = opening + head + body

    css = _scoped_css(style.removeprefix("<style>").removesuffix("</style>"), tid,
                      table_html) + _HOUSE_CSS.format(id=tid)
    # the table scrolls sideways in its own box; not a <div>, because the lineage guard
    # reads the published <div> up to its first </div>
    parts = [f'<div class="lvrn-published" id="{tid}" {common}>', f"<style>\n{css}</style>",
             f"<lvrn-scroll>{table_html}</lvrn-scroll>"]
    if lin.status not in ("real", "none"):
        strong = "strong" if lin.synthetic else "em"
        parts.append(f'<p class="lvrn-lineage" {LINEAGE_ATTR}-note="{lin.status}"><small>'
                     f"<{strong}>{esc(lin.sentence())}</{strong}></small></p>")
    if pub.has_counts:
        parts.append(f'<p class="lvrn-disclosure-note" {MARKER}-note="{status}"><small>'
                     f"{esc(pub.footnote())}</small></p>")
    parts.append("</div>")
    return "\n".join(parts)

