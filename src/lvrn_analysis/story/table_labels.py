"""Human column headers for published tables: one dictionary, column name -> header and unit.

The pages publish tables whose columns keep the names the code and the CSV
downloads use (``la_name``, ``lower_ci``, ``rows_in_file``). On the page each
column is shown with the header this module gives it: `LABELS` maps a column
name to a `Column` (header text, unit, and the kind of number it holds, which
decides how its values are formatted, see `lvrn_analysis.story.tables`).

Columns already named for readers (starting with a capital letter, a digit or a
symbol, with no underscore, e.g. ``"Rate ratio per 1 SD"``) need no entry;
every other column name must have one. Quarantine-reason columns
(``"rejected: <reason code>"``) are labelled from `REASONS`.
``tests/test_tables.py`` checks that every column of every published table has a
header.

Kinds of column (`Kind`):

* ``"count"`` — whole numbers with thousands separators (``11,287``);
* ``"integer"`` — other whole numbers, e.g. populations and person-years, with
  thousands separators and no decimals (``141,574``, never ``141574.0``);
* ``"rate"`` — rates per population, one decimal;
* ``"percent"`` — percentages (0-100), one decimal, unit ``%``;
* ``"ratio"`` — ratios, `Column.decimals` decimals (default 2);
* ``"p"`` — p-values as `lvrn_analysis.its.results.format_p` writes them (``< 0.001``);
* ``"score"`` — other measurements, `Column.decimals` decimals (default 1);
* ``"code"`` — identifiers, file names and hashes: shown as they are (never with
  thousands separators), in a monospace font;
* ``"flag"`` — true/false, shown as ``yes`` / ``no``;
* ``"text"`` — words, and labels such as years and months: shown as they are,
  left-aligned;
* ``"auto"`` — not declared: whole numbers get thousands separators, other
  numbers the fewest decimals (at most 3) that show every value of the column
  alike, text is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["LABELS", "PER_1000", "REASONS", "Column", "Kind", "column", "has_label",
           "is_reader_name"]

Kind = Literal["count", "integer", "rate", "percent", "ratio", "p", "score", "code", "flag",
               "text", "auto"]

#: Unit of the crime rates the pages publish.
PER_1000 = "per 1,000 a year"


@dataclass(frozen=True)
class Column:
    """How one column is headed and formatted on a page.

    Attributes
    ----------
    label
        The header, in sentence case.
    unit
        The unit shown under the header (e.g. ``"per 1,000 a year"``, ``"%"``),
        or ``None``.
    kind
        What the values are (see the module docstring); decides the format.
    decimals
        Decimal places for ``"rate"``, ``"percent"``, ``"ratio"`` and ``"score"``
        (``None``: the kind's default).
    """

    label: str
    unit: str | None = None
    kind: Kind = "text"
    decimals: int | None = None

    @property
    def header(self) -> str:
        """The header as plain text, the unit in brackets: ``"Rate (per 1,000 a year)"``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _c(label: str, unit: str | None = None, kind: Kind = "text",
       decimals: int | None = None) -> Column:
    return Column(label, unit, kind, decimals)


_COUNT = "count"
_INT = "integer"

#: Column name -> `Column`, for every published column not already named for readers.
LABELS: dict[str, Column] = {
    # -- places and people ------------------------------------------------------------
    "la_name": _c("Authority"),
    "authority of residence": _c("Authority of residence"),
    "lsoa_code": _c("LSOA code", kind="code"),
    "lsoa_name": _c("Neighbourhood (LSOA)"),
    "ed_site": _c("Emergency department"),
    "age_band": _c("Age band", "years"),
    "alcohol_involved": _c("Alcohol involved"),
    "hour": _c("Hour of arrival"),
    "month": _c("Month"),
    "period": _c("Period"),
    "Period": _c("Period"),
    "rank": _c("Rank", kind=_INT),
    "population": _c("Population", "residents", _INT),
    "person_years": _c("Person-years at risk", kind=_INT),
    "denominator": _c("Denominator", kind=_COUNT),
    # -- counts ----------------------------------------------------------------------
    "count": _c("Count", kind=_COUNT),
    "attendances": _c("Attendances", kind=_COUNT),
    "repeat_attendances": _c("Repeat attendances", kind=_COUNT),
    "people aged 10-25": _c("People aged 10-25", kind=_COUNT),
    "with a repeat within 12 months": _c("With a repeat within 12 months", kind=_COUNT),
    "observed": _c("Observed", kind=_COUNT),
    "expected": _c("Expected", kind=_INT),
    "x": _c("Number (x)", kind=_COUNT),
    "n": _c("Out of (n)", kind=_COUNT),
    "kept": _c("Kept", "rows", _COUNT),
    "second copies removed": _c("Second copies removed", kind=_COUNT),
    "with copies": _c("Count with second copies", kind=_COUNT),
    # -- rates, percentages, limits --------------------------------------------------
    "rate": _c("Rate", PER_1000, "rate"),
    "shrunk_rate": _c("Smoothed rate", PER_1000, "rate"),
    "rate with": _c("Rate with second copies", PER_1000, "rate"),
    "rate without": _c("Rate without second copies", PER_1000, "rate"),
    "pan-Lancashire rate": _c("Pan-Lancashire rate", PER_1000, "rate"),
    "value": _c("Value", kind="score"),
    "pan-Lancashire value": _c("Pan-Lancashire value", kind="score"),
    "lower_ci": _c("Lower 95% limit", kind="score"),
    "upper_ci": _c("Upper 95% limit", kind="score"),
    "random-effects 99.8% lower": _c("Random-effects 99.8% lower", kind="rate"),
    "random-effects 99.8% upper": _c("Random-effects 99.8% upper", kind="rate"),
    "percent": _c("Share", "%", "percent"),
    "percent_repeat": _c("Repeat attendances", "%", "percent"),
    "removed (%)": _c("Removed", "%", "percent"),
    "observed / expected": _c("Observed / expected", kind="ratio", decimals=2),
    "z": _c("z-score", kind="score", decimals=1),
    "p": _c("p", kind="p"),
    "p (Holm)": _c("p (Holm-adjusted)", kind="p"),
    "Slope p (Holm)": _c("Slope p (Holm-adjusted)", kind="p"),
    "Ljung-Box p": _c("Ljung-Box p", kind="p"),
    # -- comparisons and flags ---------------------------------------------------------
    "vs England": _c("Compared with England"),
    "vs pan-Lancashire": _c("Compared with pan-Lancashire"),
    "export: vs England": _c("Export's own comparison with England"),
    "vs Poisson limits": _c("Against Poisson limits"),
    "vs multiplicative limits": _c("Against multiplicative limits"),
    "vs random-effects limits": _c("Against random-effects limits"),
    "hot_spot": _c("Hot spot", kind="flag"),
    # -- the build: files, rows, quarantine ---------------------------------------------
    "table": _c("Processed table", kind="code"),
    "processed table": _c("Processed table", kind="code"),
    "origin": _c("Origin"),
    "origin in this build": _c("Origin in this build"),
    "source": _c("Source"),
    "source key": _c("Source key", kind="code"),
    "file": _c("File", kind="code"),
    "files": _c("Files", kind="code"),
    "file patterns": _c("File patterns", kind="code"),
    "raw folder": _c("Raw folder", kind="code"),
    "drop files in": _c("Drop files in", kind="code"),
    "input files": _c("Input files", kind=_COUNT),
    "columns": _c("Columns", kind=_COUNT),
    "rows in": _c("Rows in", kind=_COUNT),
    "rows_in": _c("Rows in", kind=_COUNT),
    "rows_in_file": _c("Rows in file", kind=_COUNT),
    "rows_kept": _c("Rows kept", kind=_COUNT),
    "rows_rejected": _c("Rows quarantined", kind=_COUNT),
    "rejected": _c("Quarantined", "rows", _COUNT),
    "kept without coordinates": _c("Kept without coordinates", "rows", _COUNT),
    "no_lsoa_in_file": _c("Rows without an LSOA", kind=_COUNT),
    "duplicate_crime_id": _c("Quarantined: duplicate crime ID", "rows", _COUNT),
    "lsoa_outside_area": _c("Quarantined: LSOA outside the area", "rows", _COUNT),
    "rows quarantined (real data)": _c("Rows quarantined, real data", kind=_COUNT),
    "rows quarantined (synthetic data)": _c("Rows quarantined, synthetic data", kind=_COUNT),
    "output rows": _c("Output rows", kind=_COUNT),
    "output": _c("Output", kind="code"),
    "output sha256": _c("Output SHA-256", "first 12 characters", "code"),
    "sha256": _c("SHA-256", "first 12 characters", "code"),
    "notes": _c("Notes"),
    "synthetic twin": _c("Synthetic twin"),
    "person-level": _c("Person-level"),
    "data_status": _c("Data status"),
    # -- documentation tables ------------------------------------------------------------
    "column": _c("Column", kind="code"),
    "raw header": _c("Raw header", kind="code"),
    "type": _c("Type", kind="code"),
    "description": _c("Description"),
    "in processed table": _c("In processed table", kind="code"),
    "method": _c("Method"),
    "function": _c("Function", kind="code"),
    "how to ask for it": _c("How to ask for it"),
    "formula": _c("Formula"),
    "citation": _c("Citation"),
    "reference page": _c("Reference page", kind="code"),
    "policy": _c("Policy"),
    "rule": _c("Rule"),
    "reason": _c("Reason"),
    "meaning": _c("Meaning"),
    "measure": _c("Measure"),
    "component": _c("Component"),
    "coverage": _c("Coverage"),
    "why": _c("Why"),
    "what": _c("What"),
    "id": _c("ID", kind="code"),
    "assumption or caveat": _c("Assumption or caveat"),
    "quality": _c("Quality"),
    "impact": _c("Impact"),
    "status": _c("Status"),
}

#: Quarantine reason code -> words, for the ``"rejected: <code>"`` columns.
REASONS: dict[str, str] = {
    "blank_area_code": "blank area code",
    "duplicate_crime_id": "duplicate crime ID",
    "lsoa_outside_area": "LSOA outside the area",
}

_REJECTED = "rejected: "
_READER = re.compile(r"^[^a-z_][^_]*$")


def is_reader_name(name: str) -> bool:
    """Return whether a column name is already a header for readers.

    Such names start with something other than a lower-case letter and hold no
    underscore (``"Rate ratio per 1 SD"``, ``"95% CI"``, ``"%"``).
    """
    return bool(_READER.match(name))


def has_label(name: str) -> bool:
    """Return whether ``name`` gets a header for readers (from `LABELS`, `REASONS` or itself)."""
    if name in LABELS or is_reader_name(name):
        return True
    return name.startswith(_REJECTED) and name.removeprefix(_REJECTED) in REASONS


def column(name: str) -> Column:
    """Return how column ``name`` is headed and formatted.

    Parameters
    ----------
    name
        The column name, as in the table and its CSV download.

    Returns
    -------
    Column
        From `LABELS`; for a quarantine-reason column ``"rejected: <code>"`` a
        count headed ``"Quarantined: <reason>"``; for a name already for readers
        the name itself (kind ``"auto"``). Any other name is shown with its
        underscores as spaces and a capital first letter (and
        ``tests/test_tables.py`` fails until it is added to `LABELS`).
    """
    if name in LABELS:
        return LABELS[name]
    if name.startswith(_REJECTED):
        code = name.removeprefix(_REJECTED)
        return Column(f"Quarantined: {REASONS.get(code, code.replace('_', ' '))}", "rows",
                      "count")
    if is_reader_name(name):
        return Column(name, kind="auto")
    text = name.replace("_", " ").strip()
    return Column(text[:1].upper() + text[1:], kind="auto")
