"""Fingertips indicator exports (OHID/PHE): reader and validator.

Format
------
The CSV that the Fingertips website ("Export table") and its API
(``/api/all_data/csv/by_indicator_id``) produce: long format, one row per indicator ×
area × sex × age × category × time period. The standard export has 26 columns::

    Indicator ID, Indicator Name, Parent Code, Parent Name, Area Code, Area Name,
    Area Type, Sex, Age, Category Type, Category, Time period, Value,
    Lower CI 95.0 limit, Upper CI 95.0 limit, Lower CI 99.8 limit,
    Upper CI 99.8 limit, Count, Denominator, Value note, Recent Trend,
    Compared to England value or percentiles,
    Compared to Region value or percentiles, Time period Sortable, New data,
    Compared to goal

Variants handled (columns are matched by name, never by position):

* **25 columns** — older exports without ``Compared to goal``;
* **27 columns** — newer API output with ``Time period range`` (e.g. ``1y``, ``3y``);
* the **parent comparison** column is named after the parent area type:
  ``Compared to Region value or percentiles``, ``Compared to percentiles``,
  ``Compared to Combined authorities value or percentiles`` …; the basis is kept in
  ``parent_comparison_basis``;
* API-style headers without spaces (``IndicatorID``, ``Timeperiod``).

Real quirks: quoted fields with embedded newlines (the indicator name in the
Campylobacter export ends in a newline character; rows are reported by *record* number, header
excluded, never by line number); category rows (deprivation deciles, ethnic
groups …) next to the totals (``is_category``); blank values with a value note
(kept, value missing); blank 99.8 % limits.

Time periods are parsed into ``period_start``/``period_end`` and a ``period_kind``:
``2019`` (calendar year), ``2019/20`` (financial year April–March, or academic year
September–August for indicators whose ``year_type`` is academic in the curated
list), ``2017 - 19`` (three calendar years pooled), ``2017/18 - 19/20`` (pooled
financial years), ``2019/20 Q1`` (financial quarter), ``2019 Q1`` and ``Jan 2020``.

Validation (each failing row is quarantined once, first reason wins):
``bad_indicator_id``, ``bad_area_code``, ``bad_time_period``, ``excel_mangled``
(``Time period Sortable`` in scientific notation), ``bad_number``,
``negative_count``, ``ci_inconsistent`` (value outside its own 95 % interval),
``duplicate_row`` / ``duplicate_key`` (second and later copies of a key), plus
the structural reasons of `lvrn_analysis.sources.reading.read_csv_table()`.
Unusable files (empty, HTML, missing ``Value`` …) raise
`SourceError`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    finish,
    first_row_of,
    lazy,
    looks_scientific,
    raw,
    read_csv_table,
    read_input,
    to_number,
)
from lvrn_analysis.sources.validation import LoadResult

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
    "compared_to_goal": ("Compared to goal", "Comparedtogoal"),
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
    cur = _curated()
    return dict(zip(cur["indicator_id"], cur["year_type"], strict=True))


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
    """Return True if a header line looks like a Fingertips export."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "")
    return s.startswith("indicatorid,indicatorname,")


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
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED, display=_DISPLAY,
                           patterns={"compared_to_parent": _PARENT_PATTERN},
                           expected_order=_ORDER,
                           pad_trailing=("compared_to_goal", "time_period_range", "new_data"))
    basis = None
    for h, c in zip(table.header, table.columns, strict=True):
        if c == "compared_to_parent":
            m = re.match(r"\s*Compared to (.+?) value or percentiles\s*$", h, flags=re.I)
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
    code = df["area_code"].str.strip()
    chk.reject(~code.str.fullmatch(_AREA_CODE), "bad_area_code",
               lazy("column 'Area Code': ", code, " is not an ONS area code"))

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
    for col in _NUMERIC:
        v, bad = to_number(df[col], thousands=False)
        values[col] = v
        chk.reject(bad, "bad_number",
                   lazy(f"column {hdr.get(col, col)!r}: ", df[col], " is not a number"))
    srt, bad = to_number(sortable, thousands=False)
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
    o["area_code"] = k["area_code"].str.strip()
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
    in_area = _area_codes(area)
    o["in_area"] = o["area_code"].isin(in_area)
    o["file"] = pd.Series(label, index=kept_idx, dtype="str")
    o["row"] = k["row"].astype("int64")
    out = pd.DataFrame(o, index=kept_idx)
    out = out.sort_values(
        ["indicator_id", "area_code", "sex", "age", "category_type", "category",
         "period_start", "row"], na_position="first", kind="stable",
    ).reset_index(drop=True)
    notes = list(table.notes)
    n_blank = int(out["value"].isna().sum())
    if n_blank:
        with_note = int((out["value"].isna() & out["value_note"].notna()).sum())
        notes.append(f"{n_blank} row(s) with a blank value kept ({with_note} with a value note)")
    if "time_period_range" in [c for c in table.columns if c]:
        notes.append("27-column export (with 'Time period range')")
    elif "compared_to_goal" not in [c for c in table.columns if c]:
        notes.append("export without 'Compared to goal' (older 25-column layout)")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


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
