"""The published table: symbols, markers, footnote, HTML and CSV.

A `PublishedTable` is what `lvrn_analysis.stats.disclosure.publishing.publish()`
returns. It renders suppressed cells as `CONFIDENTIAL` (``[c]``) and missing
ones as `NOT_AVAILABLE` (``[x]``), the Government Analysis Function / ONS
shorthand; its HTML carries the `MARKER` attribute and a visible footnote, its
CSV a CSVW-style ``-metadata.json`` sidecar. The publication guard
(`lvrn_analysis.stats.disclosure.guard`) reads these markers back.

The disclosure footnote appears only under tables it applies to: those with
count (or count-derived) columns. A table with no counts carries the marker
but no footnote.

Lineage (`lvrn_analysis.processed.lineage.Lineage`, the processed tables the
table rests on) is recorded in the HTML (`LINEAGE_ATTR`), the sidecar
(``lvrn:lineage``) and, for anything resting on synthetic data, made visible:
``SYNTHETIC`` in the caption, a lineage line under the table, a leading CSV
column `STATUS_COLUMN` holding ``SYNTHETIC`` (or ``PARTLY SYNTHETIC``) on every
row, and a sidecar that says synthetic instead of the real source's exemption
reason.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lvrn_analysis.processed.lineage import MARK, Lineage
from lvrn_analysis.stats.disclosure.policies import PolicyName, Rule, SourcePolicy

__all__ = [
    "CONFIDENTIAL",
    "CSV_METADATA_SUFFIX",
    "LINEAGE_ATTR",
    "MARKER",
    "NOT_AVAILABLE",
    "ROLE_ATTR",
    "SOURCE_ATTR",
    "STATUS_COLUMN",
    "PublishedTable",
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
#: HTML attribute carrying the lineage status (`Lineage.status`).
LINEAGE_ATTR = "data-lvrn-lineage"
#: HTML attribute listing the processed tables the table rests on (space-separated).
LINEAGE_SOURCES_ATTR = "data-lvrn-lineage-sources"
#: Leading CSV column of tables resting on synthetic data: ``SYNTHETIC`` or
#: ``PARTLY SYNTHETIC`` on every row. A column rather than a comment line, so that
#: a spreadsheet shows it beside every row (also after sorting or filtering) and
#: ``pandas.read_csv`` reads the file without options.
STATUS_COLUMN = "data_status"


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
    lineage
        The processed tables the table rests on (default: undeclared).
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
    lineage: Lineage = field(default_factory=Lineage)

    @property
    def suppressed(self) -> pd.DataFrame:
        """Cells suppressed for any reason (primary, secondary or derived)."""
        return self.primary | self.secondary

    @property
    def status(self) -> PolicyName:
        """``"controlled"`` or ``"exempt"``."""
        return self.policy.policy

    @property
    def has_counts(self) -> bool:
        """Whether the table has count (or count-derived) columns, so disclosure applies."""
        return bool(self.count_cols or self.derived_cols)

    @property
    def reason(self) -> str:
        """The policy's reason, said of synthetic data where the table rests on them.

        A synthetic table in a real source's format is not "already published":
        the reason says it is synthetic and which rule it is treated under.
        """
        lin = self.lineage
        if not lin.synthetic:
            return self.policy.reason
        what = (f"{MARK} data generated in the format of source {self.policy.source!r}"
                if lin.status == "synthetic" else
                f"partly {MARK} data (synthetic processed tables: "
                f"{', '.join(lin.synthetic_sources)})")
        if self.rule is None:
            if lin.status == "synthetic":
                return f"{what}; they describe no real people or places and are not published " \
                       "statistics"
            return f"{what}; the real parts are {self.policy.reason}"
        return f"{what}, controlled as the real data would be ({self.policy.reason})"

    @property
    def display_caption(self) -> str | None:
        """The caption, with ``SYNTHETIC DATA`` in front where the table rests on synthetic data."""
        if self.lineage.synthetic:
            return self.lineage.marked(self.caption, sep=". ")
        return self.caption

    def footnote(self) -> str:
        """Return the footnote stating the rule applied (shown only if `has_counts`)."""
        if not self.has_counts:
            return ("No count columns: disclosure control has nothing to act on "
                    f"(source {self.policy.source!r}, {self.status}).")
        if self.rule is None:
            return (
                f"Not subject to disclosure control. Source {self.policy.source!r} is exempt: "
                f"{self.reason}. {NOT_AVAILABLE} = not available."
            )
        text = (
            f"Disclosure control (source {self.policy.source!r}: {self.reason}): "
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
        # an unnamed integer index is positional (e.g. left over from filtering rows), not data
        idx = self.frame.index
        if any(n is not None for n in idx.names):
            return True
        return not pd.api.types.is_integer_dtype(idx.dtype)

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
        lin = self.lineage
        common = (
            f'{MARKER}="{status}" {SOURCE_ATTR}="{esc(self.policy.source)}" '
            f'data-lvrn-rule="{esc(rule_text)}" {LINEAGE_ATTR}="{lin.status}" '
            f'{LINEAGE_SOURCES_ATTR}="{esc(" ".join(lin.sources or ()))}"'
        )
        shown = self.display_frame(thousands=True)
        rounded = self.rule is not None and self.rule.rounding > 1
        parts = [f'<div class="lvrn-published" {common}>',
                 f'<table class="lvrn-table" {common}>']
        caption = self.display_caption
        if caption:
            parts.append(f"<caption>{esc(caption)}</caption>")
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
        if lin.status not in ("real", "none"):
            strong = "strong" if lin.synthetic else "em"
            parts.append(f'<p class="lvrn-lineage" {LINEAGE_ATTR}-note="{lin.status}"><small>'
                         f"<{strong}>{esc(lin.sentence())}</{strong}></small></p>")
        if self.has_counts:
            parts.append(
                f'<p class="lvrn-disclosure-note" {MARKER}-note="{status}"><small>'
                f"{esc(self.footnote())}</small></p>"
            )
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        text = self.display_frame(thousands=True).to_string()
        if self.lineage.status not in ("real", "none"):
            text += f"\n{self.lineage.sentence()}"
        return text + f"\n[{self.status}] {self.footnote()}"

    def metadata(self) -> dict[str, Any]:
        """Machine-readable record of the policy applied (``frame.attrs``) and the lineage.

        ``reason`` is `reason` (which says synthetic where the table rests on
        synthetic data); ``lineage`` is `Lineage.record()`.
        """
        return {**self.frame.attrs["disclosure"], "reason": self.reason,
                "lineage": self.lineage.record()}

    def to_csv(self, path: str | Path) -> Path:
        """Write a downloadable CSV plus a CSVW-style metadata sidecar.

        Suppressed cells are written as ``[c]`` and missing ones as ``[x]``;
        counts are integers. The sidecar ``<path>-metadata.json`` (W3C CSV on
        the Web naming) records the policy, rule, source, footnote and lineage,
        and is what the publication and lineage guards check.

        A table resting on synthetic data gets a leading column `STATUS_COLUMN`
        (``data_status``) holding ``SYNTHETIC`` (or ``PARTLY SYNTHETIC``) on every
        row, ``SYNTHETIC`` in the sidecar's title and description, and
        ``"lvrn:synthetic": true``.

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
        lin = self.lineage
        if lin.synthetic:
            if STATUS_COLUMN in shown.columns:
                raise ValueError(f"{path}: column {STATUS_COLUMN!r} is reserved for the "
                                 "synthetic-data marker")
            shown.insert(0, STATUS_COLUMN, lin.mark.removesuffix(" DATA"))
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
            if col == STATUS_COLUMN and lin.synthetic:
                entry["dc:description"] = f"{lin.mark} (on every row): {lin.sentence()}"
            columns.append(entry)
        description = self.footnote()
        if lin.synthetic:
            description = f"{lin.sentence()} {description}"
        meta = {
            "@context": "http://www.w3.org/ns/csvw",
            "url": path.name,
            **({"dc:title": self.display_caption} if self.display_caption else {}),
            "dc:source": self.policy.source,
            "dc:description": description,
            "lvrn:disclosure": self.status,
            **{f"lvrn:{k}": v for k, v in self.metadata().items() if k != "policy"},
            "lvrn:synthetic": lin.synthetic,
            "tableSchema": {"columns": columns},
        }
        meta_path = path.with_name(path.name + CSV_METADATA_SUFFIX)
        meta_path.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        return path

