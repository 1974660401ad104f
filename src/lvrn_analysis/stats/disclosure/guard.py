"""The publication guard: find unmarked tables and visible small counts.

`scan_notebook()`, `scan_html()`, `scan_csv()` and `scan_publications()`
check what the project publishes (executed notebooks, HTML, downloadable CSVs
with their sidecars) and report each problem as a `Finding`: a table without
the disclosure marker, an exemption that is not registered, or a count of 1 to
`lvrn_analysis.stats.disclosure.policies.SMALL_COUNT_MAX` shown in a
controlled table. ``tests/test_publication_guard.py`` runs it on every page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from lvrn_analysis.stats.disclosure.policies import SMALL_COUNT_MAX, SOURCE_POLICIES
from lvrn_analysis.stats.disclosure.published import (
    CSV_METADATA_SUFFIX,
    MARKER,
    ROLE_ATTR,
    SOURCE_ATTR,
)

__all__ = ["Finding", "scan_csv", "scan_html", "scan_notebook", "scan_publications"]


@dataclass(frozen=True)
class Finding:
    """A problem found by the publication guard.

    Attributes
    ----------
    path
        File scanned.
    where
        Location in the file (cell and output, or CSV row and column).
    kind
        ``"unmarked-table"``, ``"small-count"``, ``"exempt-not-registered"``,
        ``"unknown-marker"``, ``"unmarked-csv"`` or ``"unreadable"``.
    message
        Human-readable description.
    """

    path: str
    where: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} [{self.where}] {self.kind}: {self.message}"


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_COUNT_HEADER = re.compile(
    r"\b(count|counts|n|number|no\.?|attendances?|admissions?|cases|incidents?|events?|"
    r"patients|persons|people|victims|frequency|total)\b",
    re.IGNORECASE,
)
_INT_TEXT = re.compile(r"^\d{1,3}(,\d{3})*(\.0+)?$|^\d+(\.0+)?$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)


@dataclass
class _Cell:
    attrs: dict[str, str]
    header: bool
    text: list[str] = field(default_factory=list)


@dataclass
class _Table:
    marker: str | None
    source: str | None
    rows: list[list[_Cell]] = field(default_factory=list)


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.open_tables: list[_Table] = []
        self.tables: list[_Table] = []
        self.cell: _Cell | None = None

    def _inherited(self, name: str, own: dict[str, str]) -> str | None:
        if name in own:
            return own[name]
        for _, attrs in reversed(self.stack):
            if name in attrs:
                return attrs[name]
        return None

    def _close_cell(self) -> None:
        if self.cell is not None and self.open_tables:
            table = self.open_tables[-1]
            if not table.rows:
                table.rows.append([])
            table.rows[-1].append(self.cell)
        self.cell = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        own = {k: (v or "") for k, v in attrs}
        if tag in _VOID:
            return
        if tag == "table":
            self._close_cell()
            self.open_tables.append(
                _Table(self._inherited(MARKER, own), self._inherited(SOURCE_ATTR, own))
            )
        elif tag == "tr" and self.open_tables:
            self._close_cell()
            self.open_tables[-1].rows.append([])
        elif tag in ("td", "th") and self.open_tables:
            self._close_cell()
            in_head = any(t == "thead" for t, _ in self.stack)
            self.cell = _Cell(own, header=in_head or tag == "th")
        self.stack.append((tag, own))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "table" and self.open_tables:
            self._close_cell()
            self.tables.append(self.open_tables.pop())
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.text.append(data)

    def close(self) -> None:
        super().close()
        self._close_cell()
        while self.open_tables:
            self.tables.append(self.open_tables.pop())


def _small(text: str, limit: int) -> bool:
    t = text.replace("\u00a0", " ").strip()
    if not _INT_TEXT.match(t):
        return False
    v = float(t.replace(",", ""))
    return 1 <= v <= limit


def _small_cells(table: _Table, limit: int) -> list[str]:
    hits: list[str] = []
    roles = any(ROLE_ATTR in c.attrs for row in table.rows for c in row)
    if roles:
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row):
                text = "".join(cell.text)
                if cell.attrs.get(ROLE_ATTR) == "count" and not cell.header and _small(text, limit):
                    hits.append(f"row {r} cell {c}: {text.strip()!r}")
        return hits
    # no annotations (hand-made or tampered table): use the header names
    header: list[str] = []
    body_start = 0
    for r, row in enumerate(table.rows):
        if row and all(cell.header for cell in row):
            header = ["".join(cell.text).strip() for cell in row]
            body_start = r + 1
        else:
            break
    count_pos = {i for i, name in enumerate(header) if _COUNT_HEADER.search(name)}
    for r, row in enumerate(table.rows[body_start:], start=body_start):
        for c, cell in enumerate(row):
            text = "".join(cell.text)
            if c in count_pos and not cell.header and _small(text, limit):
                hits.append(f"row {r} column {header[c]!r}: {text.strip()!r}")
    return hits


def scan_html(html_text: str, *, path: str = "<html>", where: str = "") -> list[Finding]:
    """Check the tables in an HTML fragment.

    Every ``<table>`` must carry (or sit inside an element carrying)
    ``data-lvrn-disclosure``. ``"exempt"`` tables must name a source
    registered as exempt. ``"controlled"`` tables must show no count from 1 to
    7 (cells marked ``data-lvrn-role="count"``, or, in unannotated tables,
    columns whose header looks like a count).

    Parameters
    ----------
    html_text
        The HTML.
    path, where
        Used in the findings.

    Returns
    -------
    list of Finding
        Empty when the fragment is fine.
    """
    parser = _TableParser()
    parser.feed(html_text)
    parser.close()
    findings: list[Finding] = []
    for k, table in enumerate(parser.tables):
        loc = f"{where} table {k}".strip()
        if table.marker is None:
            findings.append(Finding(path, loc, "unmarked-table",
                                    f"HTML table without {MARKER}: publish it through "
                                    "lvrn_analysis.stats.disclosure.publish()"))
            continue
        if table.marker not in ("controlled", "exempt"):
            findings.append(Finding(path, loc, "unknown-marker",
                                    f"{MARKER}={table.marker!r} is not controlled/exempt"))
            continue
        if table.marker == "exempt":
            registered = SOURCE_POLICIES.get(table.source or "")
            if registered is None or registered.policy != "exempt":
                findings.append(Finding(
                    path, loc, "exempt-not-registered",
                    f"table marked exempt but source {table.source!r} is not registered as "
                    "exempt in lvrn_analysis.stats.disclosure.SOURCE_POLICIES"))
            continue
        for hit in _small_cells(table, SMALL_COUNT_MAX):
            findings.append(Finding(
                path, loc, "small-count",
                f"controlled table (source {table.source!r}) shows a count of 1-"
                f"{SMALL_COUNT_MAX}: {hit}"))
    return findings


def _output_text(data: Any) -> str:
    if isinstance(data, list):
        return "".join(data)
    return str(data)


def scan_notebook(path: str | Path) -> list[Finding]:
    """Scan an executed notebook's outputs for unsafe tables.

    HTML outputs are checked with `scan_html()`; Markdown outputs holding a
    pipe table are reported as unmarked (Markdown cannot carry the marker).

    Parameters
    ----------
    path
        ``.ipynb`` file.

    Returns
    -------
    list of Finding
        Empty when every table output is marked and safe.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - report, do not crash the guard
        return [Finding(str(path), "", "unreadable", f"cannot read notebook: {exc}")]
    findings: list[Finding] = []
    for ci, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for oi, out in enumerate(cell.get("outputs", [])):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = out.get("data", {})
            where = f"cell {ci} output {oi}"
            if "text/html" in data:
                findings += scan_html(_output_text(data["text/html"]), path=str(path),
                                      where=where)
            elif "text/markdown" in data and _MD_TABLE_RULE.search(
                _output_text(data["text/markdown"])
            ):
                findings.append(Finding(str(path), where, "unmarked-table",
                                        "Markdown table output cannot carry the disclosure "
                                        "marker: display a published table instead"))
    return findings


def scan_csv(path: str | Path) -> list[Finding]:
    """Check a downloadable CSV and its ``-metadata.json`` sidecar.

    Parameters
    ----------
    path
        ``.csv`` file written by `PublishedTable.to_csv()`.

    Returns
    -------
    list of Finding
        ``unmarked-csv`` without a valid sidecar, ``exempt-not-registered`` for
        an exemption not in the registry, ``small-count`` for counts 1-7 in the
        count columns of a controlled table.
    """
    path = Path(path)
    meta_path = path.with_name(path.name + CSV_METADATA_SUFFIX)
    if not meta_path.is_file():
        return [Finding(str(path), "", "unmarked-csv",
                        f"no {meta_path.name}: write tables with PublishedTable.to_csv()")]
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        status = meta["lvrn:disclosure"]
        source = meta.get("dc:source")
        columns = meta["tableSchema"]["columns"]
    except (ValueError, KeyError, TypeError) as exc:
        return [Finding(str(path), "", "unmarked-csv", f"invalid metadata sidecar: {exc}")]
    if status == "exempt":
        registered = SOURCE_POLICIES.get(source or "")
        if registered is None or registered.policy != "exempt":
            return [Finding(str(path), "", "exempt-not-registered",
                            f"CSV marked exempt but source {source!r} is not registered")]
        return []
    if status != "controlled":
        return [Finding(str(path), "", "unknown-marker", f"lvrn:disclosure={status!r}")]
    count_cols = [c["name"] for c in columns if c.get("lvrn:role") == "count"]
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    findings = []
    for col in count_cols:
        if col not in table.columns:
            findings.append(Finding(str(path), col, "unmarked-csv", "count column missing"))
            continue
        for i, text in enumerate(table[col]):
            if _small(text, SMALL_COUNT_MAX):
                findings.append(Finding(str(path), f"row {i} column {col!r}", "small-count",
                                        f"controlled CSV (source {source!r}) shows {text!r}"))
    return findings


def scan_publications(notebooks_dir: str | Path) -> list[Finding]:
    """Scan every executed notebook and downloadable table of the project.

    Parameters
    ----------
    notebooks_dir
        The ``notebooks/`` folder: ``*.ipynb`` in it and ``tables/**/*.csv``
        under it are scanned (checkpoints skipped).

    Returns
    -------
    list of Finding
        All findings; empty means safe to publish.
    """
    root = Path(notebooks_dir)
    findings: list[Finding] = []
    for nb in sorted(root.glob("*.ipynb")):
        findings += scan_notebook(nb)
    tables = root / "tables"
    if tables.is_dir():
        for csv in sorted(tables.rglob("*.csv")):
            if ".ipynb_checkpoints" not in csv.parts:
                findings += scan_csv(csv)
    return findings
