"""Fingertips indicator data (OHID/PHE) in its three shapes: reader and validator.

Shapes
------
Every shape loads into the same kept frame (`SCHEMA`); the same data in two shapes
give the same indicator values (``tests/test_source_fingertips_shapes.py``).

1. **The Fingertips data CSV** — what the website's download and the API
   (``/api/all_data/csv/by_indicator_id?indicator_ids=…&child_area_type_id=…&
   parent_area_type_id=…``) return; both are written by the same Fingertips CSV
   writer. Long format, one row per indicator × area × sex × age × category × time
   period, 26 columns (the order of the Fingertips source code's header writer)::

       Indicator ID, Indicator Name, Parent Code, Parent Name, Area Code,
       Area Name, Area Type, Sex, Age, Category Type, Category, Time period, Value,
       Lower CI 95.0 limit, Upper CI 95.0 limit, Lower CI 99.8 limit,
       Upper CI 99.8 limit, Count, Denominator, Value note, Recent Trend,
       Compared to England value or percentiles,
       Compared to Region value or percentiles, Time period Sortable, New data,
       Compared to goal

   The shipped real export (indicator 93356, Campylobacter, County & UA; saved from a
   Fingertips download named ``indicators-CountyUA.data.csv``) is this shape.
   Variants read (columns are matched by name, never by position):

   * **27 columns** — newer API output ends with ``Time period range`` (``1y``, ``3y``);
   * **25 columns** — older output without ``Compared to goal``; older API output
     names it ``Target data`` (fingertipsR renames it the same way);
   * the **parent comparison** column is named after the parent area type:
     ``Compared to Region value or percentiles``, ``Compared to percentiles`` (parent
     England), ``Compared to Combined authorities value or percentiles`` …; the
     basis is kept in ``parent_comparison_basis``;
   * **fingertipsR's full data frame saved to CSV** — the same columns with the spaces
     removed (``IndicatorID``, ``Timeperiod``, ``LowerCI95.0limit``), missing cells
     written ``NA`` (read as blank) and, from R's ``write.csv``, a leading unnamed
     row-number column (ignored).

2. **The reduced extract** analysts keep from fingertipsR (the layout of Trafford Data
   Lab's ``dashboard`` repository, shipped in ``reference/indicators_real/``)::

       area_code, area_name, period, value, indicator, measure, unit, significance

   one row per area × period of one indicator: no indicator ID, parent, age,
   category, counts, confidence intervals or sortable period; ``unit`` holds
   Fingertips' sex (``Persons``), ``significance`` its comparison with England,
   values are rounded (to 1 decimal place in the Trafford files) and ``NA`` marks a
   missing value. The indicator ID is found from the name (`indicator_ids_by_name()`);
   the columns the shape does not carry are missing in the kept frame, and
   ``measure`` is not kept. Plain or ``.csv.gz``.

Which shape a file is is decided by its header (`shape_of()`); `sniff()` (the
registry's detection) recognises shape 1 only, so a reduced file is auto-detected as
`lvrn_analysis.sources.indicators_real` and loads here when named
(``lvrn validate fingertips FILE``) or dropped in ``data/raw/fingertips/``.

Real quirks: quoted fields with embedded newlines (the indicator name in the
Campylobacter export ends in a newline character; rows are reported by *record* number, header
excluded, never by line number); category rows (deprivation deciles, ethnic
groups …) next to the totals (``is_category``); blank values with a value note
(kept, value missing); blank 99.8 % limits; records one field short (the empty
``Compared to goal`` left off).

Time periods are parsed into ``period_start``/``period_end`` and a ``period_kind``:
``2019`` (calendar year), ``2019/20`` (financial year April–March, or academic year
September–August for indicators whose ``year_type`` is academic in the curated
list), ``2017 - 19`` (three calendar years pooled), ``2017/18 - 19/20`` (pooled
financial years), ``2019/20 Q1`` (financial quarter), ``2019 Q1`` and ``Jan 2020``.
Numbers may carry thousands separators in their places (``1,234``; ``0,123`` is
refused) and the statistical markers of `lvrn_analysis.sources.values`. A ``%``
sign after a value or confidence limit is read as percentage points (``45%`` is 45,
Fingertips' scale for percentages) when the indicator is a percentage (unit ``%`` in
the curated list or the real-indicator table, or an indicator in neither); on a rate
or score it quarantines the row as ``bad_number``. Files may be gzip-compressed or a
zip holding one CSV (`lvrn_analysis.sources.unpack`).

Validation (each failing row is quarantined once, first reason wins):
``bad_indicator_id``, ``bad_area_code``, ``blank_indicator`` (reduced shape: no
indicator name), ``bad_time_period``, ``excel_mangled``
(``Time period Sortable`` in scientific notation), ``bad_number``,
``negative_count``, ``ci_inconsistent`` (value outside its own 95 % interval),
``duplicate_row`` / ``duplicate_key`` (second and later copies of a key), plus
the structural reasons of `lvrn_analysis.sources.reading.read_csv_table()`.
Unusable files (empty, HTML, missing ``Value`` …) raise
`SourceError`.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.indicator_values import indicator_reference, parse_values
from lvrn_analysis.sources.reading import (
    CsvTable,
    RowChecker,
    SourceInput,
    finish,
    first_lines,
    first_row_of,
    lazy,
    looks_scientific,
    normalise_header,
    raw,
    read_csv_table,
    read_input,
    to_number,
)
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult, SourceError
from lvrn_analysis.sources.values import normalise_code

SOURCE = "fingertips"

#: Header of the standard 26-column export, in order.
HEADER_26: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code",
    "Area Name", "Area Type", "Sex", "Age", "Category Type", "Category", "Time period",
    "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit",
    "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles",
    "Time period Sortable", "New data", "Compared to goal",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "indicator_id": ("Indicator ID", "IndicatorID"),
    "indicator_name": ("Indicator Name", "IndicatorName"),
    "parent_code": ("Parent Code", "ParentCode"),
    "parent_name": ("Parent Name", "ParentName"),
    "area_code": ("Area Code", "AreaCode"),
    "area_name": ("Area Name", "AreaName"),
    "area_type": ("Area Type", "AreaType"),
    "sex": ("Sex",),
    "age": ("Age",),
    "category_type": ("Category Type", "CategoryType"),
    "category": ("Category",),
    "time_period": ("Time period", "Timeperiod", "Time Period"),
    "value": ("Value",),
    "lower_ci95": ("Lower CI 95.0 limit", "LowerCI95.0limit", "Lower CI 95 limit"),
    "upper_ci95": ("Upper CI 95.0 limit", "UpperCI95.0limit", "Upper CI 95 limit"),
    "lower_ci998": ("Lower CI 99.8 limit", "LowerCI99.8limit"),
    "upper_ci998": ("Upper CI 99.8 limit", "UpperCI99.8limit"),
    "count": ("Count",),
    "denominator": ("Denominator",),
    "value_note": ("Value note", "Valuenote"),
    "recent_trend": ("Recent Trend", "RecentTrend"),
    "compared_to_england": ("Compared to England value or percentiles",
                            "ComparedtoEnglandvalueorpercentiles"),
    "time_period_sortable": ("Time period Sortable", "TimeperiodSortable"),
    "new_data": ("New data", "Newdata"),
    "compared_to_goal": ("Compared to goal", "Comparedtogoal", "Target data", "Targetdata"),
    "time_period_range": ("Time period range", "Timeperiodrange"),
}
_PARENT_PATTERN = (r"compared ?to ?(?!england)(.+?) ?value ?or ?percentiles"
                   r"|compared ?to ?percentiles")
_DISPLAY = {c: names[0] for c, names in _ALIASES.items() if names}
_REQUIRED = ("indicator_id", "indicator_name", "area_code", "area_name", "area_type",
             "sex", "age", "time_period", "value")
_ORDER = ("indicator_id", "indicator_name", "parent_code", "parent_name", "area_code",
          "area_name", "area_type", "sex", "age", "category_type", "category",
          "time_period", "value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998",
          "count", "denominator", "value_note", "recent_trend", "compared_to_england",
          "compared_to_parent", "time_period_sortable", "new_data", "compared_to_goal",
          "time_period_range")
_NUMERIC = ("value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998", "count",
            "denominator")

#: Header of the reduced fingertipsR extract (Trafford Data Lab's layout), in order.
HEADER_REDUCED: tuple[str, ...] = ("area_code", "area_name", "period", "value", "indicator",
                                   "measure", "unit", "significance")
#: Accepted spellings of the reduced extract's columns (any order, case and spacing ignored).
REDUCED_ALIASES: dict[str, tuple[str, ...]] = {
    "area_code": ("Area Code", "AreaCode"),
    "area_name": ("Area Name", "AreaName"),
    "period": ("Time period", "Timeperiod"),
    "value": ("Value",),
    "indicator": ("Indicator", "Indicator Name", "IndicatorName"),
    "measure": ("Measure",),
    "unit": ("Unit", "Sex"),
    "significance": ("Significance", "ComparedtoEnglandvalueorpercentiles",
                     "Compared to England value or percentiles"),
}
#: Columns a reduced extract must have.
REDUCED_REQUIRED: tuple[str, ...] = ("area_code", "area_name", "period", "value", "indicator")

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "indicator_id": ("Int64", "Fingertips indicator ID"),
    "indicator_name": ("str", "name, whitespace and embedded newlines collapsed"),
    "parent_code": ("str", "ONS code of the parent area (missing for England)"),
    "parent_name": ("str", "parent area name"),
    "area_code": ("str", "ONS code: letter + 8 digits (or a 6-character practice code)"),
    "area_name": ("str", "area name"),
    "area_type": ("str", "e.g. 'Country' (England), 'Region', 'County & UA', 'District & UA'"),
    "sex": ("str", "'Persons', 'Male', 'Female'"),
    "age": ("str", "age band label, e.g. 'All ages', '10-24 yrs'"),
    "category_type": ("str", "missing for totals; e.g. 'District & UA deprivation deciles'"),
    "category": ("str", "missing for totals; e.g. 'Most deprived decile (IMD2019)'"),
    "is_category": ("bool", "True for category (breakdown) rows"),
    "time_period": ("str", "label as published: '2019', '2019/20', '2017 - 19', …"),
    "period_kind": ("str", "calendar_year | financial_year | academic_year | "
                           "calendar_years_pooled | financial_years_pooled | "
                           "financial_quarter | calendar_quarter | month"),
    "period_start": ("datetime64[ns]", "first day of the period"),
    "period_end": ("datetime64[ns]", "last day of the period"),
    "value": ("float64", "indicator value (missing when suppressed/not available)"),
    "lower_ci95": ("float64", "lower 95 % confidence limit"),
    "upper_ci95": ("float64", "upper 95 % confidence limit"),
    "lower_ci998": ("float64", "lower 99.8 % confidence limit"),
    "upper_ci998": ("float64", "upper 99.8 % confidence limit"),
    "count": ("float64", "numerator (>= 0)"),
    "denominator": ("float64", "denominator (>= 0)"),
    "value_note": ("str", "e.g. 'Aggregated from all known lower geography values'"),
    "recent_trend": ("str", "e.g. 'Cannot be calculated', 'No significant change'"),
    "compared_to_england": ("str", "'Better', 'Similar', 'Worse', 'Higher', 'Lower', "
                                   "'Not compared', …"),
    "compared_to_parent": ("str", "same values, against the parent area"),
    "parent_comparison_basis": ("str", "parent type named in the comparison column header, "
                                       "e.g. 'Region', 'percentiles'"),
    "time_period_sortable": ("Int64", "YYYYMMDD-style sort key"),
    "new_data": ("str", "'New data' or missing"),
    "compared_to_goal": ("str", "comparison with a goal, mostly missing"),
    "time_period_range": ("str", "'1y', '3y' … (27-column exports only)"),
    "in_area": ("bool", "area is one of the configured authorities or their upper tier"),
    "file": ("str", "file label"),
    "row": ("int64", "record number in the file (header excluded)"),
}

_AREA_CODE = r"^[A-Z]\d{8}$|^[A-Z]\d{5}$"


# ------------------------------------------------------------------- curated list


@functools.cache
def _year_types() -> dict[int, str]:
    """Map indicator IDs to year types: the curated list, else the real-indicator table."""
    ref = indicator_reference()
    ref = ref[ref["fingertips_id"].notna()]
    out = {int(i): str(y) for i, y in zip(ref["fingertips_id"], ref["year_type"], strict=True)}
    cur = _curated()
    out.update(zip(cur["indicator_id"].astype(int), cur["year_type"], strict=True))
    return out


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", normalise_header(name)).strip()


@functools.cache
def _ids_by_key() -> dict[str, int]:
    ref = indicator_reference()
    ref = ref[ref["fingertips_id"].notna()]
    cur = _curated()
    out = {_name_key(n): int(i) for n, i in zip(cur["name"], cur["indicator_id"], strict=True)}
    out.update({_name_key(n): int(i) for n, i in zip(ref["indicator"], ref["fingertips_id"],
                                                     strict=True)})
    return out


def indicator_ids_by_name(names: pd.Series) -> pd.Series:
    """Return the Fingertips indicator ID of each indicator name (missing when unknown).

    Names are matched after case-folding and collapsing punctuation and spaces, first
    against the names of ``reference/indicators_real/indicators.csv`` (the names as
    published in the real extracts), then against the curated list.

    Parameters
    ----------
    names
        Indicator names as published.

    Returns
    -------
    pandas.Series
        ``Int64`` IDs on the same index.
    """
    keys = names.astype("str").map(_name_key)
    return keys.map(_ids_by_key()).astype("Int64")


@functools.cache
def _curated() -> pd.DataFrame:
    with reference_file("fingertips/curated_indicators.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df["indicator_id"] = df["indicator_id"].astype("int64")
    df["multiplier"] = df["multiplier"].astype("float64")
    return df


def curated_indicators() -> pd.DataFrame:
    """Return the curated list of violence-related Fingertips indicators.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``name``, ``unit``, ``multiplier``, ``value_type``,
        ``polarity``, ``domain``, ``year_type``, ``confidence``, ``why_it_matters``.
        The ``confidence`` column says which IDs are confirmed by a real export
        shipped with the package and which are not yet confirmed against the
        Fingertips API (see the README in ``reference/fingertips/``).
    """
    return _curated().copy()


# ------------------------------------------------------------------- time periods

_P_YEAR = re.compile(r"^(\d{4})$")
_P_FY = re.compile(r"^(\d{4})/(\d{2})$")
_P_CY_POOLED = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_P_FY_POOLED = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})$")
_P_FQ = re.compile(r"^(\d{4})/(\d{2})\s+Q([1-4])$")
_P_CQ = re.compile(r"^(\d{4})\s+Q([1-4])$")
_P_MONTH = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})$|^(\d{4})\s+([A-Za-z]{3})[a-z]*$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


#: Longest pooled period accepted (years); '2019 - 18' would otherwise mean 2019–2118.
_MAX_POOLED_YEARS = 10


def _yy(base: int, yy: str) -> int:
    """Expand a 2-digit year to the first year >= base with those last digits."""
    if len(yy) == 4:
        return int(yy)
    y = base // 100 * 100 + int(yy)
    return y + 100 if y < base else y


def parse_time_period(
    label: str, year_type: str = "financial",
) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    """Parse a Fingertips time-period label.

    Parameters
    ----------
    label
        ``2019``, ``2019/20``, ``2017 - 19``, ``2017/18 - 19/20``, ``2019/20 Q1``,
        ``2019 Q1`` or ``Jan 2020``.
    year_type
        ``"financial"`` (April–March) or ``"academic"`` (September–August): how a
        ``YYYY/YY`` label is read.

    Returns
    -------
    tuple or None
        ``(start, end, kind)`` with inclusive dates, or ``None`` if the label is not
        a recognised period (including inconsistent ones such as ``2019/21``).
    """
    s = re.sub(r"\s+", " ", str(label)).strip()
    ts = pd.Timestamp
    start_month = 9 if year_type == "academic" else 4
    fy_kind = "academic_year" if year_type == "academic" else "financial_year"
    if m := _P_YEAR.match(s):
        y = int(m.group(1))
        return ts(y, 1, 1), ts(y, 12, 31), "calendar_year"
    if m := _P_FY.match(s):
        y = int(m.group(1))
        if _yy(y, m.group(2)) != y + 1:
            return None
        return (ts(y, start_month, 1), ts(y + 1, start_month, 1) - pd.Timedelta(days=1),
                fy_kind)
    if m := _P_FY_POOLED.match(s):
        y0 = int(m.group(1))
        if _yy(y0, m.group(2)) != y0 + 1:
            return None
        y1 = _yy(y0, m.group(3))
        if _yy(y1, m.group(4)) != y1 + 1 or y1 <= y0 or y1 - y0 > _MAX_POOLED_YEARS:
            return None
        return (ts(y0, start_month, 1), ts(y1 + 1, start_month, 1) - pd.Timedelta(days=1),
                "financial_years_pooled" if year_type != "academic" else "academic_years_pooled")
    if m := _P_CY_POOLED.match(s):
        y0 = int(m.group(1))
        y1 = _yy(y0, m.group(2))
        if y1 <= y0 or y1 - y0 > _MAX_POOLED_YEARS:
            return None
        return ts(y0, 1, 1), ts(y1, 12, 31), "calendar_years_pooled"
    if m := _P_FQ.match(s):
        y = int(m.group(1))
        if _yy(y, m.group(2)) != y + 1:
            return None
        q = int(m.group(3))
        start = ts(y, 4, 1) + pd.DateOffset(months=3 * (q - 1))
        return start, start + pd.DateOffset(months=3) - pd.Timedelta(days=1), "financial_quarter"
    if m := _P_CQ.match(s):
        y, q = int(m.group(1)), int(m.group(2))
        start = ts(y, 3 * (q - 1) + 1, 1)
        return start, start + pd.DateOffset(months=3) - pd.Timedelta(days=1), "calendar_quarter"
    if m := _P_MONTH.match(s):
        mon = (m.group(1) or m.group(4)).lower()
        y = int(m.group(2) or m.group(3))
        if mon not in _MONTHS:
            return None
        start = ts(y, _MONTHS[mon], 1)
        return start, start + pd.DateOffset(months=1) - pd.Timedelta(days=1), "month"
    return None


# ------------------------------------------------------------------------- loading


def sniff(first_line: str) -> bool:
    """Return True if a header line looks like a Fingertips data CSV (shape 1)."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "").replace('"', "")
    return s.startswith(("indicatorid,indicatorname,", ",indicatorid,indicatorname,"))


def shape_of(first_line: str) -> str | None:
    """Return which Fingertips shape a header line belongs to.

    Parameters
    ----------
    first_line
        The file's first line.

    Returns
    -------
    str or None
        ``"export"`` (the website/API data CSV, spaced or fingertipsR names),
        ``"reduced"`` (the reduced fingertipsR extract) or ``None``.
    """
    try:
        cells = next(csv.reader([first_line.lstrip("\ufeff")]))
    except (csv.Error, StopIteration):
        return None
    keys = {normalise_header(c).replace(" ", "") for c in cells}
    if {"indicatorid", "value"} <= keys:
        return "export"
    if {"area_code", "area_name", "period", "value", "indicator"} <= keys:
        return "reduced"
    return None


#: Columns on the indicator's own scale (where a percentage indicator may carry a % sign).
_ON_VALUE_SCALE = frozenset({"value", "lower_ci95", "upper_ci95", "lower_ci998",
                             "upper_ci998"})


@functools.cache
def _units() -> dict[int, str]:
    """Map indicator IDs to their unit: the real-indicator table, then the curated list."""
    ref = indicator_reference()
    ref = ref[ref["fingertips_id"].notna()]
    out = {int(i): str(u).strip() for i, u in zip(ref["fingertips_id"], ref["unit_label"],
                                                   strict=True)}
    cur = _curated()
    out.update({int(i): str(u).strip() for i, u in zip(cur["indicator_id"], cur["unit"],
                                                        strict=True)})
    return out


def _percent_rows(ids: pd.Series) -> pd.Series:
    """Return True where a row's value may carry a % sign (a percentage indicator).

    Fingertips' data CSV has no unit column, so the unit comes from the curated list
    and the real-indicator table; an indicator in neither is given the benefit of the
    doubt (a ``45%`` there can only mean 45 percentage points).
    """
    unit = ids.map(_units())
    return (unit.isna() | unit.eq("%")).astype(bool)


def _normalise_codes(df: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """Write area codes in capitals without spaces (in place); return a note if any changed."""
    n = 0
    for c in columns:
        v = df[c]
        df[c] = normalise_code(v)
        n += int((df[c] != v.str.strip()).sum())
    return ([f"{n} area code(s) in lower case or with inner spaces read in capitals "
             "('e06000009' as 'E06000009')"] if n else [])


def _blank_to_na(s: pd.Series) -> pd.Series:
    t = s.astype("str").str.strip()
    return t.where(t != "").astype("str")


def load_fingertips(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate one Fingertips export.

    Parameters
    ----------
    path
        CSV file (path or packaged resource).
    area
        Area configuration (sets ``in_area``; rows of other areas are kept, as
        comparators).

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by indicator, area,
        sex, age, category, period start and row.

    Raises
    ------
    SourceError
        If the file is empty, HTML, undecodable or lacks a required column.
    """
    data, label = read_input(path)
    data, pre_notes = unpack(data, label)
    try:
        first = first_lines(data)
    except SourceError:
        first = []  # read_csv_table says what is wrong, naming the file
    if any(shape_of(line) == "reduced" for line in first):
        return [_load_reduced(data, label, area, pre_notes)]
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED, display=_DISPLAY,
                           patterns={"compared_to_parent": _PARENT_PATTERN},
                           expected_order=_ORDER,
                           pad_trailing=("compared_to_goal", "time_period_range", "new_data"))
    table.notes[:0] = pre_notes
    _fingertipsr_na(table)
    basis = None
    for h, c in zip(table.header, table.columns, strict=True):
        if c == "compared_to_parent":
            m = re.match(r"\s*Compared ?to ?(.+?) ?value ?or ?percentiles\s*$", h, flags=re.I)
            basis = m.group(1).strip() if m else "percentiles"
            if basis.lower() != "region":
                table.notes.append(f"parent comparison column is {h.strip()!r}")
    hdr = {c: h.strip() for h, c in zip(table.header, table.columns, strict=True) if c}
    df = table.records.copy()
    for col in _ORDER:
        if col not in df.columns:
            df[col] = pd.Series("", index=df.index, dtype="str")
    chk = RowChecker(df, label)
    chk.add(table.broken)

    iid = df["indicator_id"].str.strip()
    chk.reject(~iid.str.fullmatch(r"\d+"), "bad_indicator_id",
               lazy("column 'Indicator ID': ", iid, " is not a whole number"))
    written = df["area_code"]
    recased = _normalise_codes(df, ("area_code", "parent_code"))
    code = df["area_code"]
    chk.reject(~code.str.fullmatch(_AREA_CODE), "bad_area_code",
               lazy("column 'Area Code': ", written, " is not an ONS area code"))

    ids = pd.to_numeric(iid, errors="coerce")
    ytype = ids.map(_year_types()).fillna("financial")
    parsed = [parse_time_period(tp, yt) for tp, yt in zip(df["time_period"], ytype,
                                                             strict=True)]
    bad_tp = pd.Series([p is None for p in parsed], index=df.index)
    chk.reject(bad_tp, "bad_time_period",
               lazy("column 'Time period': ", df["time_period"],
                    " is not a recognised Fingertips period (2019, 2019/20, 2017 - 19, "
                    "2017/18 - 19/20)"))
    sortable = df["time_period_sortable"].str.strip()
    chk.reject(looks_scientific(sortable), "excel_mangled",
               lazy("column 'Time period Sortable': ", sortable,
                    " is in scientific notation (digits lost when the file passed through "
                    "Excel)"))
    values: dict[str, pd.Series] = {}
    pct_ok = _percent_rows(ids)
    n_pct = 0
    for col in _NUMERIC:
        cell = df[col].str.strip()
        if col in _ON_VALUE_SCALE:
            has_pct = cell.str.endswith("%")
            chk.reject(has_pct & ~pct_ok, "bad_number",
                       lazy(f"column {hdr.get(col, col)!r}: ", df[col], " has a % sign, but "
                            "indicator ", df["indicator_id"], " is not a percentage (its "
                            "unit is ", raw(ids.map(_units()).fillna("?")), ")"))
            v, bad = to_number(df[col], percent="points")
            n_pct += int((has_pct & pct_ok & ~bad).sum())
        else:
            v, bad = to_number(df[col])
        values[col] = v
        chk.reject(bad, "bad_number",
                   lazy(f"column {hdr.get(col, col)!r}: ", df[col], " is not a number"))
    srt, bad = to_number(sortable)
    chk.reject(bad, "bad_number",
               lazy("column 'Time period Sortable': ", sortable, " is not a number"))
    for col in ("count", "denominator"):
        chk.reject(values[col] < 0, "negative_count",
                   lazy(f"column {hdr.get(col, col)!r}: ", values[col], " is negative"))
    v, lo, hi = values["value"], values["lower_ci95"], values["upper_ci95"]
    tol = 1e-6 * np.maximum(1.0, v.abs())
    incons = (lo.notna() & hi.notna() & v.notna()) & ((lo > v + tol) | (hi < v - tol) |
                                                      (lo > hi + tol))
    chk.reject(incons, "ci_inconsistent",
               lazy("value ", v, " lies outside its 95% interval (", lo, ", ", hi, ")"))
    key = ["indicator_id", "area_code", "sex", "age", "category_type", "category",
           "time_period"]
    chk.reject_repeated_rows(df, [c for c in _ORDER if c in df.columns])
    dkey = df[key].apply(lambda s: s.str.strip()).duplicated(keep="first")
    if dkey.any():
        chk.reject(dkey, "duplicate_key",
                   lazy("a row with the same indicator, area, sex, age, category and period "
                        "appeared earlier (row ", raw(first_row_of(df, key)),
                        ") with different values"))

    kept_idx = chk.alive[chk.alive].index
    k = df.loc[kept_idx]
    o: dict[str, object] = {}
    o["indicator_id"] = pd.to_numeric(k["indicator_id"].str.strip()).astype("Int64")
    o["indicator_name"] = k["indicator_name"].str.replace(r"\s+", " ", regex=True).str.strip()
    for col in ("parent_code", "parent_name"):
        o[col] = _blank_to_na(k[col])
    o["area_code"] = k["area_code"]
    for col in ("area_name", "area_type", "sex", "age"):
        o[col] = k[col].str.strip()
    o["category_type"] = _blank_to_na(k["category_type"])
    o["category"] = _blank_to_na(k["category"])
    o["is_category"] = o["category_type"].notna() | o["category"].notna()
    o["time_period"] = k["time_period"].str.replace(r"\s+", " ", regex=True).str.strip()
    pk = [parsed[df.index.get_loc(i)] for i in kept_idx]
    o["period_kind"] = pd.Series([p[2] for p in pk], index=kept_idx, dtype="str")
    o["period_start"] = pd.to_datetime(pd.Series([p[0] for p in pk], index=kept_idx,
                                                   dtype="datetime64[ns]"))
    o["period_end"] = pd.to_datetime(pd.Series([p[1] for p in pk], index=kept_idx,
                                                 dtype="datetime64[ns]"))
    for col in _NUMERIC:
        o[col] = values[col].loc[kept_idx].astype("float64")
    for col in ("value_note", "recent_trend", "compared_to_england", "compared_to_parent"):
        o[col] = _blank_to_na(k[col])
    o["parent_comparison_basis"] = pd.Series(basis, index=kept_idx, dtype="str")
    o["time_period_sortable"] = srt.loc[kept_idx].round().astype("Int64")
    for col in ("new_data", "compared_to_goal", "time_period_range"):
        o[col] = _blank_to_na(k[col])
    out = _finish_kept(pd.DataFrame(o, index=kept_idx), k["row"], area, label)
    notes = list(table.notes) + recased
    if n_pct:
        notes.append(f"{n_pct} value or confidence limit(s) written with a % sign read as "
                     "percentage points (45% as 45), as Fingertips gives percentages")
    n_blank = int(out["value"].isna().sum())
    if n_blank:
        with_note = int((out["value"].isna() & out["value_note"].notna()).sum())
        notes.append(f"{n_blank} row(s) with a blank value kept ({with_note} with a value note)")
    if "time_period_range" in [c for c in table.columns if c]:
        notes.append("27-column export (with 'Time period range')")
    elif "compared_to_goal" not in [c for c in table.columns if c]:
        notes.append("export without 'Compared to goal' (older 25-column layout)")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def _fingertipsr_na(table: CsvTable) -> None:
    """Read fingertipsR's ``NA`` as blank when the header has fingertipsR's names.

    fingertipsR removes the spaces from the column names and, once the frame is saved
    from R, writes every missing cell as ``NA``; in the website/API CSV a missing cell
    is empty and ``NA`` never appears, so only files with the spaceless names are
    changed.
    """
    known = [h for h, c in zip(table.header, table.columns, strict=True) if c]
    if not known or any(" " in h.strip() for h in known):
        return
    recs = table.records
    cols = [c for c in recs.columns if c != "row"]
    na = recs[cols].apply(lambda s: s.str.strip() == "NA")
    n = int(na.to_numpy().sum())
    if n:
        recs[cols] = recs[cols].mask(na, "")
    table.notes.append("fingertipsR column names (spaces removed)"
                       + (f"; {n} 'NA' cell(s) read as blank" if n else ""))


def _load_reduced(data: bytes, label: str, area: AreaConfig, notes: list[str]) -> LoadResult:
    """Load the reduced fingertipsR extract into the kept frame of `SCHEMA`."""
    table = read_csv_table(data, label, aliases=REDUCED_ALIASES, required=REDUCED_REQUIRED,
                           expected_order=HEADER_REDUCED)
    table.notes[:0] = notes + ["reduced fingertipsR extract (area_code, area_name, period, "
                               "value, indicator, …): no indicator ID, age, counts or "
                               "confidence intervals in this shape"]
    df = table.records.copy()
    for col in HEADER_REDUCED:
        if col not in df.columns:
            df[col] = pd.Series("", index=df.index, dtype="str")
    chk = RowChecker(df, label)
    chk.add(table.broken)
    written = df["area_code"]
    table.notes.extend(_normalise_codes(df, ("area_code",)))
    code = df["area_code"]
    chk.reject(~code.str.fullmatch(_AREA_CODE), "bad_area_code",
               lazy("column 'area_code': ", written, " is not an ONS area code"))
    name = df["indicator"].str.replace(r"\s+", " ", regex=True).str.strip()
    chk.reject(name == "", "blank_indicator",
               "column 'indicator' is blank (the reduced shape names the indicator in every "
               "row)")
    ids = indicator_ids_by_name(name)
    ytype = ids.map(_year_types()).fillna("financial")
    period = df["period"].str.replace(r"\s+", " ", regex=True).str.strip()
    parsed = [parse_time_period(tp, yt) for tp, yt in zip(period, ytype, strict=True)]
    chk.reject(pd.Series([p is None for p in parsed], index=df.index), "bad_time_period",
               lazy("column 'period': ", period, " is not a recognised Fingertips period "
                    "(2019, 2019/20, 2017 - 19, 2017/18 - 19/20)"))
    value, value_note, bad = parse_values(df["value"])
    chk.reject(bad, "bad_number", lazy("column 'value': ", df["value"], " is not a number"))
    chk.reject_repeated_rows(df, list(HEADER_REDUCED))
    key = pd.DataFrame({"n": name.str.casefold(), "c": code, "s": df["unit"].str.strip(),
                        "p": period, "row": df["row"]})
    dkey = key[["n", "c", "s", "p"]].duplicated(keep="first")
    if dkey.any():
        chk.reject(dkey, "duplicate_key",
                   lazy("a row with the same indicator, area, sex and period appeared "
                        "earlier (row ", raw(first_row_of(key, ["n", "c", "s", "p"])),
                        ") with a different value"))

    idx = chk.alive[chk.alive].index
    k = df.loc[idx]
    pk = [parsed[df.index.get_loc(i)] for i in idx]
    na = pd.Series(np.nan, index=idx, dtype="str")
    o: dict[str, object] = {
        "indicator_id": ids.loc[idx],
        "indicator_name": name.loc[idx],
        "parent_code": na, "parent_name": na,
        "area_code": code.loc[idx],
        "area_name": k["area_name"].str.strip(),
        "area_type": na,
        "sex": _blank_to_na(k["unit"]),
        "age": na, "category_type": na, "category": na,
        "is_category": pd.Series(False, index=idx),
        "time_period": period.loc[idx],
        "period_kind": pd.Series([p[2] for p in pk], index=idx, dtype="str"),
        "period_start": pd.Series([p[0] for p in pk], index=idx, dtype="datetime64[ns]"),
        "period_end": pd.Series([p[1] for p in pk], index=idx, dtype="datetime64[ns]"),
        "value": value.loc[idx].astype("float64"),
    }
    for col in _NUMERIC[1:]:
        o[col] = pd.Series(np.nan, index=idx, dtype="float64")
    o["value_note"] = value_note.loc[idx].astype("str")
    o["recent_trend"] = na
    o["compared_to_england"] = _blank_to_na(k["significance"])
    for col in ("compared_to_parent", "parent_comparison_basis"):
        o[col] = na
    o["time_period_sortable"] = pd.Series(pd.NA, index=idx, dtype="Int64")
    for col in ("new_data", "compared_to_goal", "time_period_range"):
        o[col] = na
    out_notes = list(table.notes)
    unknown = sorted(set(name.loc[idx][ids.loc[idx].isna()]))
    if unknown:
        out_notes.append(f"{len(unknown)} indicator name(s) with no known Fingertips ID "
                         f"(indicator_id left missing): {'; '.join(unknown[:5])}")
    n_blank = int(value.loc[idx].isna().sum())
    if n_blank:
        out_notes.append(f"{n_blank} row(s) with no published value kept, value missing "
                         "(see value_note)")
    out = _finish_kept(pd.DataFrame(o, index=idx), k["row"], area, label)
    return finish(SOURCE, table, out, chk.rejected(), notes=out_notes)


def _finish_kept(out: pd.DataFrame, rows: pd.Series, area: AreaConfig,
                 label: str) -> pd.DataFrame:
    """Add ``in_area``, ``file`` and ``row``, order the columns as `SCHEMA` and sort."""
    out["in_area"] = out["area_code"].isin(_area_codes(area))
    out["file"] = pd.Series(label, index=out.index, dtype="str")
    out["row"] = rows.astype("int64")
    out = out[list(SCHEMA)]
    return out.sort_values(
        ["indicator_id", "area_code", "sex", "age", "category_type", "category",
         "period_start", "row"], na_position="first", kind="stable",
    ).reset_index(drop=True)


def _area_codes(area: AreaConfig) -> set[str]:
    from lvrn_analysis.config.geography import local_authorities

    las = local_authorities(area)
    return set(las["la_code"]) | set(las["upper_tier_code"])


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the inputs to load when ``data/raw/fingertips/`` is empty: none.

    Fingertips data are not shipped; the build uses the synthetic twin instead.
    """
    return []


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate the kept frames of several exports into the processed table."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t[0] if t[0] != "str" else "str")
                             for c, t in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["indicator_id", "area_code", "sex", "age", "category_type",
                            "category", "period_start", "file", "row"],
                           na_position="first", kind="stable").reset_index(drop=True)
