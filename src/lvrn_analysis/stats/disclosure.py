"""Statistical disclosure control: the single path everything published goes through.

Every table the project publishes (notebook output, website table, downloadable
CSV) goes through `publish()`, which looks up the data source's policy in
`SOURCE_POLICIES`:

* **controlled** (person-level health data such as emergency-department
  attendances, and any source not registered): counts of 1 to 7 are suppressed,
  other counts are rounded to the nearest 5, as in OpenSAFELY's disclosure
  control guidance ("Updated disclosure control guidance": redact counts of 7
  or fewer, round the rest to the nearest 5; docs.opensafely.org, releasing
  files). Zero is shown as 0 unless ``show_zero=False``. **Secondary
  suppression** then makes sure that no suppressed cell can be worked out from
  a total: in every row or column that adds up to a total (a 1-way table with a
  total row, a 2-way table with margins, or groups whose totals are published
  elsewhere), a line with exactly one suppressed cell gets its next-smallest
  cell suppressed too, repeated until stable. Rates, percentages and limits
  derived from a suppressed count are suppressed with it.
* **exempt** (already-public aggregates, e.g. data.police.uk street-level
  crime, published programme figures): passed through unchanged, but marked
  and with the reason stated. Exemption must be registered explicitly.

Published tables use the Government Analysis Function / ONS shorthand for
tables ("Symbols in tables, definitions and help", Analysis Function
guidance, 2021): ``[c]`` for confidential (suppressed) cells and ``[x]`` for
not available. Their HTML carries the machine-readable marker
``data-lvrn-disclosure="controlled"`` or ``"exempt"`` and a visible footnote
stating the rule; downloadable CSVs get a CSVW-style ``<file>.csv-metadata.json``
sidecar with the same information.

`scan_notebook()`, `scan_html()`, `scan_csv()` and
`scan_publications()` implement the publication guard used by
``tests/test_publication_guard.py``: they report unmarked tables and visible
small counts in controlled tables.

Limitations: the line-by-line secondary suppression protects each row and
column of a table with margins; it does not solve the general linear-programming
problem of multi-dimensional linked tables (e.g. the same counts published in two
different breakdowns). Publish such tables from one call, or suppress by hand.
Derived values are rescaled to the rounded counts by default (see
`publish()`); an interval rescaled this way is an approximation.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "CONFIDENTIAL",
    "MARKER",
    "NOT_AVAILABLE",
    "SOURCE_POLICIES",
    "Finding",
    "Line",
    "PublishedTable",
    "Rule",
    "SourcePolicy",
    "policy_for",
    "publish",
    "round_to_base",
    "scan_csv",
    "scan_html",
    "scan_notebook",
    "scan_publications",
    "secondary_suppression",
]

#: ONS / Analysis Function shorthand for a confidential (suppressed) cell.
CONFIDENTIAL = "[c]"
#: ONS / Analysis Function shorthand for "not available".
NOT_AVAILABLE = "[x]"
#: HTML attribute carrying the policy applied ("controlled" or "exempt").
MARKER = "data-lvrn-disclosure"
#: HTML attribute naming the data source.
SOURCE_ATTR = "data-lvrn-source"
#: HTML attribute marking the role of a cell ("count", "derived").
ROLE_ATTR = "data-lvrn-role"
#: Suffix of the CSVW-style metadata file written next to each CSV.
CSV_METADATA_SUFFIX = "-metadata.json"

#: The project floor: counts from 1 to this are never shown for person-level data.
SMALL_COUNT_MAX = 7
#: Default rounding base for counts from controlled sources.
ROUNDING_BASE = 5

PolicyName = Literal["controlled", "exempt"]


@dataclass(frozen=True)
class SourcePolicy:
    """The disclosure policy of one data source.

    Attributes
    ----------
    source
        Source key, as passed to `publish()`.
    policy
        ``"controlled"`` or ``"exempt"``.
    reason
        Why, in one sentence (shown in the table footnote).
    person_level
        Whether the source holds person-level (record-level) data.
    """

    source: str
    policy: PolicyName
    reason: str
    person_level: bool


def _registry(*policies: SourcePolicy) -> Mapping[str, SourcePolicy]:
    return MappingProxyType({p.source: p for p in policies})


#: Registry of data source -> disclosure policy. Exemptions are only valid here.
SOURCE_POLICIES: Mapping[str, SourcePolicy] = _registry(
    SourcePolicy(
        "ed_attendances", "controlled",
        "person-level emergency department attendance records (assault attendances, "
        "ISTV/TIIG-style data sharing); health data about identifiable people",
        True,
    ),
    SourcePolicy(
        "hospital_admissions", "controlled",
        "person-level hospital admission records (HES/SUS); health data about "
        "identifiable people",
        True,
    ),
    SourcePolicy(
        "ambulance_callouts", "controlled",
        "person-level ambulance service incident records; health data about identifiable "
        "people",
        True,
    ),
    SourcePolicy(
        "data.police.uk", "exempt",
        "already-public street-level crime counts published by data.police.uk under the "
        "Open Government Licence v3.0 (anonymised by the publisher)",
        False,
    ),
    SourcePolicy(
        "programme_figures", "exempt",
        "already-published aggregate programme figures (e.g. VRU annual reports and "
        "Home Office published statistics)",
        False,
    ),
    SourcePolicy(
        "fingertips", "exempt",
        "already-published OHID Fingertips indicator values (disclosure control applied "
        "by the publisher)",
        False,
    ),
    SourcePolicy(
        "ons_population", "exempt",
        "published ONS mid-year population estimates (aggregate official statistics, OGL "
        "v3.0)",
        False,
    ),
    SourcePolicy(
        "imd2019", "exempt",
        "published English Indices of Deprivation 2019 area summaries (MHCLG, OGL v3.0)",
        False,
    ),
    SourcePolicy(
        "dfe_school_performance", "exempt",
        "published DfE school performance tables (publisher's own suppression applied, "
        "OGL v3.0)",
        False,
    ),
)


def policy_for(source: str) -> SourcePolicy:
    """Return the policy of a data source.

    Unregistered sources are **controlled** (fail closed): an exemption must be
    registered in `SOURCE_POLICIES` with a reason.

    Parameters
    ----------
    source
        Source key, e.g. ``"ed_attendances"`` or ``"data.police.uk"``.

    Returns
    -------
    SourcePolicy
        The registered policy, or a controlled default.
    """
    if not isinstance(source, str) or not source.strip():
        raise ValueError("every published table needs a non-empty source")
    if source in SOURCE_POLICIES:
        return SOURCE_POLICIES[source]
    return SourcePolicy(
        source, "controlled",
        f"source {source!r} is not registered as exempt, so it is controlled by default",
        True,
    )


@dataclass(frozen=True)
class Rule:
    """A small-count suppression and rounding rule.

    Attributes
    ----------
    threshold
        Counts from 1 to ``threshold`` are suppressed (default 7).
    rounding
        Other counts are rounded to the nearest multiple of this (default 5;
        1 means no rounding).
    show_zero
        Show zero counts as 0 (default) or suppress them too.
    """

    threshold: int = SMALL_COUNT_MAX
    rounding: int = ROUNDING_BASE
    show_zero: bool = True

    def describe(self) -> str:
        """Return the rule in words, for footnotes."""
        text = f"counts of 1 to {self.threshold} are suppressed"
        if not self.show_zero:
            text = f"counts of 0 to {self.threshold} are suppressed"
        if self.rounding > 1:
            text += f" and other counts are rounded to the nearest {self.rounding}"
        return text


def round_to_base(values: Any, base: int) -> np.ndarray:
    """Round non-negative integer counts to the nearest multiple of ``base``.

    Halves round up (e.g. 12.5 cannot arise for integers with base 5; with base
    10, 15 rounds to 20). Uses integer arithmetic, so results are exact.

    Parameters
    ----------
    values
        Non-negative integer counts (array-like of int).
    base
        Rounding base, >= 1.

    Returns
    -------
    numpy.ndarray
        int64 array of rounded counts.
    """
    v = np.asarray(values, dtype=np.int64)
    if base <= 1:
        return v.copy()
    return ((v + base // 2) // base) * base


# ---------------------------------------------------------------------------
# secondary suppression
# ---------------------------------------------------------------------------


@dataclass
class Line:
    """Cells of a table that add up to a known total.

    Attributes
    ----------
    cells
        ``(row position, column position)`` pairs, including the total cell
        when the total is in the table.
    known_total
        ``True`` when the total is published elsewhere (not a cell here).
    """

    cells: list[tuple[int, int]]
    known_total: bool


def _choose(values: np.ndarray, suppressed: np.ndarray, line: Line) -> tuple[int, int] | None:
    candidates = [
        (r, c) for r, c in line.cells if not suppressed[r, c] and not np.isnan(values[r, c])
    ]
    if not candidates:
        return None
    nonzero = [rc for rc in candidates if values[rc] > 0]
    pool = nonzero or candidates
    return min(pool, key=lambda rc: (values[rc], rc))


def secondary_suppression(
    values: np.ndarray, primary: np.ndarray, lines: Sequence[Line]
) -> np.ndarray:
    """Extend a suppression pattern so no line has exactly one suppressed cell.

    A *line* is a set of cells that add up to a total (the total cell is in the
    line, or the total is published elsewhere). If exactly one cell of a line
    is suppressed it can be recovered by subtraction, so the smallest
    non-zero visible cell of the line is suppressed too (ONS practice:
    suppress the next-smallest cell); repeated until no line changes.

    Parameters
    ----------
    values
        2-D float array of counts (NaN = missing, never chosen).
    primary
        Boolean array, same shape: cells suppressed for being small.
    lines
        The additive lines of the table.

    Returns
    -------
    numpy.ndarray
        Boolean array of the cells suppressed by this step only (secondary).
    """
    suppressed = primary.copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            n_supp = sum(bool(suppressed[rc]) for rc in line.cells)
            if n_supp != 1:
                continue
            pick = _choose(values, suppressed, line)
            if pick is not None:
                suppressed[pick] = True
                changed = True
    return suppressed & ~primary


def _row_mask(frame: pd.DataFrame, total_row: Any) -> np.ndarray:
    if total_row is None:
        return np.zeros(len(frame), dtype=bool)
    if isinstance(total_row, tuple) and len(total_row) == 2 and total_row[0] in frame.columns:
        col, label = total_row
        return (frame[col] == label).to_numpy(dtype=bool)
    if isinstance(total_row, np.ndarray | pd.Series | list) and len(total_row) == len(frame):
        return np.asarray(total_row, dtype=bool)
    return np.asarray(frame.index == total_row, dtype=bool)


def _lines(
    frame: pd.DataFrame,
    count_cols: list[str],
    values: np.ndarray,
    groups: list[str],
    total_mask: np.ndarray,
    total_col: str | None,
    totals_published: bool,
) -> list[Line]:
    if groups:
        codes = frame.groupby(groups, sort=False, dropna=False, observed=True).ngroup()
        codes = codes.to_numpy()
    else:
        codes = np.zeros(len(frame), dtype=int)
    tcol = count_cols.index(total_col) if total_col is not None else None
    parts_cols = [j for j in range(len(count_cols)) if j != tcol]
    lines: list[Line] = []
    for g in np.unique(codes):
        rows = np.flatnonzero(codes == g)
        totals = [r for r in rows if total_mask[r]]
        parts = [r for r in rows if not total_mask[r]]
        if len(totals) > 1:
            raise ValueError(f"group {g} has {len(totals)} total rows; expected at most one")
        for j in range(len(count_cols)):
            cells = [(r, j) for r in parts]
            if totals:
                t = totals[0]
                _check_sum(frame, values, parts, t, j, count_cols[j], "column")
                lines.append(Line([*cells, (t, j)], known_total=False))
            elif totals_published:
                lines.append(Line(cells, known_total=True))
        if tcol is not None:
            for r in rows:
                cells = [(r, j) for j in parts_cols]
                _check_row_sum(frame, values, r, parts_cols, tcol, total_col)
                lines.append(Line([*cells, (r, tcol)], known_total=False))
    return lines


def _check_sum(frame, values, parts, t, j, col, what) -> None:
    part_vals = values[parts, j]
    if np.isnan(part_vals).any() or np.isnan(values[t, j]):
        return
    if not np.isclose(part_vals.sum(), values[t, j]):
        raise ValueError(
            f"total row {frame.index[t]!r}, column {col!r}: {values[t, j]:g} is not the sum "
            f"of its parts ({part_vals.sum():g}); add the missing categories (e.g. an "
            "'Unknown' row) or do not declare the total"
        )


def _check_row_sum(frame, values, r, parts_cols, tcol, total_col) -> None:
    part_vals = values[r, parts_cols]
    if np.isnan(part_vals).any() or np.isnan(values[r, tcol]):
        return
    if not np.isclose(part_vals.sum(), values[r, tcol]):
        raise ValueError(
            f"row index {frame.index[r]!r}, column {total_col!r}: {values[r, tcol]:g} is not "
            f"the sum of the other count columns ({part_vals.sum():g})"
        )


# ---------------------------------------------------------------------------
# the published table
# ---------------------------------------------------------------------------


@dataclass
class PublishedTable:
    """A table that has been through `publish()`.

    Attributes
    ----------
    frame
        The published values: count columns as nullable ``Int64`` (suppressed
        cells ``<NA>``), derived columns with suppressed cells NaN.
        ``frame.attrs["disclosure"]`` records the policy applied.
    policy
        The source's `SourcePolicy`.
    rule
        The `Rule` applied (``None`` for exempt sources).
    count_cols, derived_cols
        The columns treated as counts and as derived from counts.
    primary, secondary
        Boolean frames (index of ``frame``, count and derived columns): cells
        suppressed as small counts / to protect them.
    decimals
        Decimal places for derived columns in HTML and CSV.
    caption
        Optional table caption.
    """

    frame: pd.DataFrame
    policy: SourcePolicy
    rule: Rule | None
    count_cols: list[str]
    derived_cols: dict[str, list[str]]
    primary: pd.DataFrame
    secondary: pd.DataFrame
    decimals: int = 1
    caption: str | None = None

    @property
    def suppressed(self) -> pd.DataFrame:
        """Cells suppressed for any reason (primary, secondary or derived)."""
        return self.primary | self.secondary

    @property
    def status(self) -> PolicyName:
        """``"controlled"`` or ``"exempt"``."""
        return self.policy.policy

    def footnote(self) -> str:
        """Return the visible footnote stating the rule applied."""
        if self.rule is None:
            return (
                f"Not subject to disclosure control. Source {self.policy.source!r} is exempt: "
                f"{self.policy.reason}. {NOT_AVAILABLE} = not available."
            )
        text = (
            f"Disclosure control (source {self.policy.source!r}: {self.policy.reason}): "
            f"{self.rule.describe()}. {CONFIDENTIAL} = confidential: a suppressed small count, "
            "a cell suppressed so that a small count cannot be worked out from a total, or a "
            f"value derived from a suppressed count. {NOT_AVAILABLE} = not available."
        )
        if self.rule.rounding > 1:
            text += (
                f" Counts marked r are rounded to the nearest {self.rule.rounding}, so totals "
                "may not equal the sum of their parts."
            )
            info = self.frame.attrs.get("disclosure", {})
            if self.derived_cols and info.get("derived_rescaled_to_rounded_counts"):
                text += " Rates and percentages are calculated from the rounded counts."
        return text + (
            " Symbols follow the ONS / Government Analysis Function guidance "
            "\u201cSymbols in tables, definitions and help\u201d."
        )

    # -- rendering ---------------------------------------------------------

    def _show_index(self) -> bool:
        idx = self.frame.index
        return not (isinstance(idx, pd.RangeIndex) and idx.name is None)

    def _cell_text(self, col: str, pos: int, *, thousands: bool) -> str:
        value = self.frame[col].iloc[pos]
        if col in self.primary.columns and bool(self.suppressed[col].iloc[pos]):
            return CONFIDENTIAL
        if col in self.count_cols or col in self.derived_cols:
            if pd.isna(value):
                return NOT_AVAILABLE
            if col in self.count_cols:
                as_float = float(value)
                if as_float.is_integer():
                    return f"{int(as_float):,}" if thousands else str(int(as_float))
                return f"{as_float:,.{self.decimals}f}" if thousands else repr(as_float)
            return f"{float(value):,.{self.decimals}f}" if thousands else (
                f"{float(value):.{self.decimals}f}"
            )
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        return str(value)

    def display_frame(self, *, thousands: bool = True) -> pd.DataFrame:
        """Return the table as strings, with ``[c]`` and ``[x]`` in place.

        Parameters
        ----------
        thousands
            Use thousands separators in numbers (HTML) or not (CSV).

        Returns
        -------
        pandas.DataFrame
            Same index and columns as `frame`, all values ``str``.
        """
        data = {
            col: [self._cell_text(col, i, thousands=thousands) for i in range(len(self.frame))]
            for col in self.frame.columns
        }
        return pd.DataFrame(data, index=self.frame.index, columns=self.frame.columns, dtype=str)

    def _role(self, col: str) -> str | None:
        if col in self.count_cols:
            return "count"
        if col in self.derived_cols:
            return "derived"
        return None

    def to_html(self) -> str:
        """Render the table as HTML with the disclosure marker and footnote.

        Returns
        -------
        str
            A ``<div>`` holding the ``<table>`` (both carrying
            ``data-lvrn-disclosure``) and a ``<p>`` footnote.
        """
        esc = html.escape
        status = self.status
        rule_text = self.rule.describe() if self.rule else "exempt"
        common = (
            f'{MARKER}="{status}" {SOURCE_ATTR}="{esc(self.policy.source)}" '
            f'data-lvrn-rule="{esc(rule_text)}"'
        )
        shown = self.display_frame(thousands=True)
        rounded = self.rule is not None and self.rule.rounding > 1
        parts = [f'<div class="lvrn-published" {common}>',
                 f'<table class="lvrn-table" {common}>']
        if self.caption:
            parts.append(f"<caption>{esc(self.caption)}</caption>")
        head = []
        if self._show_index():
            names = [n for n in self.frame.index.names if n is not None]
            head.append(f'<th scope="col">{esc(" / ".join(map(str, names)))}</th>')
        for col in self.frame.columns:
            role = self._role(col)
            attrs = f' {ROLE_ATTR}="{role}"' if role else ""
            mark = ""
            if role == "count" and rounded:
                attrs += f' data-lvrn-rounded="{self.rule.rounding}"'
                mark = '<sup title="rounded">r</sup>'
            head.append(f'<th scope="col"{attrs}>{esc(str(col))}{mark}</th>')
        parts.append("<thead><tr>" + "".join(head) + "</tr></thead><tbody>")
        for i in range(len(self.frame)):
            cells = []
            if self._show_index():
                label = self.frame.index[i]
                label = " / ".join(map(str, label)) if isinstance(label, tuple) else str(label)
                cells.append(f'<th scope="row">{esc(label)}</th>')
            for col in self.frame.columns:
                role = self._role(col)
                attrs = f' {ROLE_ATTR}="{role}"' if role else ""
                if role:
                    # one marker for every suppressed cell: saying which is primary
                    # would tell a reader which [c] hides the small count
                    if bool(self.primary[col].iloc[i]) or bool(self.secondary[col].iloc[i]):
                        attrs += ' data-lvrn-suppressed="true"'
                    elif role == "count" and rounded and not pd.isna(self.frame[col].iloc[i]):
                        attrs += f' data-lvrn-rounded="{self.rule.rounding}"'
                cells.append(f"<td{attrs}>{esc(shown[col].iloc[i])}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        parts.append(
            f'<p class="lvrn-disclosure-note" {MARKER}-note="{status}"><small>'
            f"{esc(self.footnote())}</small></p></div>"
        )
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (
            f"{self.display_frame(thousands=True).to_string()}\n"
            f"[{self.status}] {self.footnote()}"
        )

    def metadata(self) -> dict[str, Any]:
        """Machine-readable record of the policy applied (also in ``frame.attrs``)."""
        return dict(self.frame.attrs["disclosure"])

    def to_csv(self, path: str | Path) -> Path:
        """Write a downloadable CSV plus a CSVW-style metadata sidecar.

        Suppressed cells are written as ``[c]`` and missing ones as ``[x]``;
        counts are integers. The sidecar ``<path>-metadata.json`` (W3C CSV on
        the Web naming) records the policy, rule, source and footnote, and is
        what the publication guard checks.

        Parameters
        ----------
        path
            Destination ``.csv`` file.

        Returns
        -------
        pathlib.Path
            The CSV path written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shown = self.display_frame(thousands=False)
        if self._show_index():
            shown = shown.reset_index()
        shown.to_csv(path, index=False, lineterminator="\n")
        columns = []
        for col in shown.columns:
            role = self._role(col) if col in self.frame.columns else None
            entry: dict[str, Any] = {"name": str(col), "titles": str(col)}
            if role == "count":
                entry.update(datatype="integer", null=[CONFIDENTIAL, NOT_AVAILABLE])
            elif role == "derived":
                entry.update(datatype="number", null=[CONFIDENTIAL, NOT_AVAILABLE])
            if role:
                entry["lvrn:role"] = role
            columns.append(entry)
        meta = {
            "@context": "http://www.w3.org/ns/csvw",
            "url": path.name,
            "dc:source": self.policy.source,
            "dc:description": self.footnote(),
            "lvrn:disclosure": self.status,
            **{f"lvrn:{k}": v for k, v in self.metadata().items() if k != "policy"},
            "tableSchema": {"columns": columns},
        }
        meta_path = path.with_name(path.name + CSV_METADATA_SUFFIX)
        meta_path.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        return path


def _as_list(cols: str | Iterable[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _counts(frame: pd.DataFrame, col: str) -> np.ndarray:
    try:
        vals = pd.to_numeric(frame[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(f"count column {col!r} must be numeric") from None
    bad = ~np.isnan(vals) & ((vals < 0) | (vals != np.round(vals)) | np.isinf(vals))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"row index {frame.index[i]!r}, column {col!r}: counts must be non-negative "
            f"integers (got {vals[i]!r})"
        )
    return vals


def publish(
    df: pd.DataFrame,
    *,
    source: str,
    count_cols: str | Sequence[str],
    derived_cols: Mapping[str, str | Sequence[str]] | None = None,
    groups: str | Sequence[str] | None = None,
    total_row: Any = None,
    total_col: str | None = None,
    totals_published: bool = False,
    threshold: int | None = None,
    rounding: int | None = None,
    show_zero: bool = True,
    rescale_derived: bool = True,
    decimals: int = 1,
    caption: str | None = None,
) -> PublishedTable:
    """Apply the source's disclosure policy to a table for publication.

    Parameters
    ----------
    df
        The table (never modified).
    source
        Data source key, looked up in `SOURCE_POLICIES` (unregistered
        sources are controlled).
    count_cols
        Columns holding counts (non-negative integers or missing).
    derived_cols
        ``{derived_col: count_col}`` (or a list of count columns, numerator
        first): rates, percentages or limits computed from those counts,
        suppressed wherever a count they come from is suppressed.
    groups
        Columns splitting ``df`` into independent sub-tables (e.g. period),
        each with its own totals.
    total_row
        The margin row(s) holding column totals within each group: an index
        label, a ``(column, label)`` pair such as ``("district", "Total")``, or
        a boolean mask.
    total_col
        A count column equal to the sum of the other count columns (row
        margin of a 2-way table).
    totals_published
        Treat each group's column totals as known even without a total row
        (e.g. published elsewhere), so a lone suppressed cell gets a partner.
    threshold, rounding, show_zero
        Override the rule (default: suppress 1-7, round to 5, show zeros). For
        person-level sources the threshold cannot go below 7.
    rescale_derived
        Multiply each derived value by (published count / true count) of its
        numerator column, so that a published rate is the rate of the
        published (rounded) count. Otherwise a rate and a public denominator
        would give the exact count back (OpenSAFELY: derive statistics from
        rounded counts). For confidence limits this rescaling is an
        approximation; recompute intervals from the published counts when
        they matter.
    decimals
        Decimal places for derived columns when rendered.
    caption
        Optional caption for the HTML table.

    Returns
    -------
    PublishedTable
        Wrapper with ``frame`` (``attrs["disclosure"]`` set), ``_repr_html_``,
        ``to_html`` and ``to_csv``.

    Raises
    ------
    ValueError
        For non-integer or negative counts, totals that do not add up, or an
        attempt to weaken the rule for person-level data.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"publish() needs a DataFrame, got {type(df).__name__}")
    policy = policy_for(source)
    counts = _as_list(count_cols)
    derived = {k: _as_list(v) for k, v in (derived_cols or {}).items()}
    group_cols = _as_list(groups)
    missing = [c for c in [*counts, *derived, *group_cols] if c not in df.columns]
    missing += [c for v in derived.values() for c in v if c not in counts]
    if total_col is not None and total_col not in counts:
        missing.append(total_col)
    if missing:
        raise KeyError(f"columns {missing} are not in the table (or not declared as counts)")
    frame = df.copy(deep=True)
    flag_cols = [*counts, *derived]
    primary = pd.DataFrame(False, index=frame.index, columns=flag_cols)
    secondary = primary.copy()

    if policy.policy == "exempt":
        frame.attrs["disclosure"] = {
            "policy": "exempt", "source": policy.source, "reason": policy.reason,
            "rule": "exempt", "count_cols": counts, "derived_cols": derived,
        }
        return PublishedTable(frame, policy, None, counts, derived, primary, secondary,
                              decimals, caption)

    rule = Rule(
        threshold=SMALL_COUNT_MAX if threshold is None else int(threshold),
        rounding=ROUNDING_BASE if rounding is None else int(rounding),
        show_zero=show_zero,
    )
    if rule.rounding < 1 or rule.threshold < 0:
        raise ValueError("rounding must be >= 1 and threshold >= 0")
    if policy.person_level and rule.threshold < SMALL_COUNT_MAX:
        raise ValueError(
            f"source {source!r} is person-level: counts of 1 to {SMALL_COUNT_MAX} must "
            f"always be suppressed (threshold {rule.threshold} asked)"
        )
    values = np.column_stack([_counts(frame, c) for c in counts]) if counts else np.empty(
        (len(frame), 0)
    )
    lo = 0 if not rule.show_zero else 1
    with np.errstate(invalid="ignore"):
        prim = (values >= lo) & (values <= rule.threshold)
    lines = _lines(
        frame, counts, values, group_cols, _row_mask(frame, total_row), total_col,
        totals_published,
    )
    sec = secondary_suppression(values, prim, lines)
    scale: dict[str, np.ndarray] = {}
    for j, col in enumerate(counts):
        primary[col] = prim[:, j]
        secondary[col] = sec[:, j]
        hidden = prim[:, j] | sec[:, j] | np.isnan(values[:, j])
        shown = np.where(hidden, 0, values[:, j]).astype(np.int64)
        rounded = round_to_base(shown, rule.rounding)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale[col] = np.where(shown > 0, rounded / np.maximum(shown, 1), 1.0)
        out = pd.array(rounded, dtype="Int64")
        out[hidden] = pd.NA
        frame[col] = out
    for col, sources in derived.items():
        hit = np.zeros(len(frame), dtype=bool)
        for c in sources:
            hit |= primary[c].to_numpy() | secondary[c].to_numpy()
        secondary[col] = hit
        vals = pd.to_numeric(frame[col], errors="coerce").astype(float)
        if rescale_derived:
            vals = vals * scale[sources[0]]
        frame[col] = vals.mask(hit)

    def _labels(mask: pd.DataFrame) -> list[list[str]]:
        return [[str(idx), str(col)] for col in mask.columns for idx in mask.index[mask[col]]]

    frame.attrs["disclosure"] = {
        "policy": "controlled",
        "source": policy.source,
        "reason": policy.reason,
        "rule": rule.describe(),
        "threshold": rule.threshold,
        "rounding": rule.rounding,
        "show_zero": rule.show_zero,
        "derived_rescaled_to_rounded_counts": bool(rescale_derived and rule.rounding > 1),
        "count_cols": counts,
        "derived_cols": derived,
        # published with the table: one list, so that it does not say which
        # suppressed cell holds the small count (PublishedTable.primary keeps that)
        "suppressed_cells": sorted(_labels(primary | secondary)),
        "symbols": {CONFIDENTIAL: "confidential", NOT_AVAILABLE: "not available"},
    }
    return PublishedTable(frame, policy, rule, counts, derived, primary, secondary, decimals,
                          caption)


# ---------------------------------------------------------------------------
# the publication guard
# ---------------------------------------------------------------------------


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
