"""Problem profile from ED assault attendances, benchmark comparisons and source coverage.

This module holds the logic of the later sections of the problem-profile page:

* **Benchmarks** (`police_benchmark()`, `fingertips_benchmark()`,
  `benchmark_grid()`): Fingertips-style *better / similar / worse*
  comparisons of authority rates against the whole area and against England,
  with `lvrn_analysis.stats.benchmarking.compare_to_benchmark()` (95 % interval
  overlapping the benchmark value; lower is better for violence).
* **People, time, place and means** from the person-level, TIIG-style ED assault
  attendances (`lvrn_analysis.sources.ed`): `age_sex_table()`,
  `hour_weekday_table()`, `one_way_table()` (incident location, means of
  assault), `alcohol_drugs_table()` and `repeat_table()`.
* **The navigator-site snapshot** in the shape of the LVRN report's Box 1
  (§5.2): `box1_table()`.
* **Coverage** of the LVRN serious-violence definition by each source:
  `coverage_table()`, `coverage_reasons()`.

Disclosure control
------------------
ED data are person-level health data (source ``"ed_attendances"``, *controlled*
in `lvrn_analysis.stats.disclosure.SOURCE_POLICIES`: counts of 1-7 suppressed,
others rounded to the nearest 5, secondary suppression). Every ED table here is
returned as an `EdTable` (raw counts plus the arguments
`lvrn_analysis.stats.disclosure.publish()` needs), so the notebook's table
(``nb.table(**spec.table_kwargs(), name=...)``) and chart
(``spec.published_counts()``) come from **the same** controlled counts.
Percentages are computed from the *published* (rounded) counts and are
suppressed with their numerator (OpenSAFELY: derive statistics from rounded
counts). Numbers quoted in prose come from published counts too
(`controlled_count()`, `published_value()`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources import ed
from lvrn_analysis.stats import benchmarking
from lvrn_analysis.stats.disclosure import (
    ROUNDING_BASE,
    SMALL_COUNT_MAX,
    PublishedTable,
    publish,
    round_to_base,
)
from lvrn_analysis.stats.indicators import crude_rate

__all__ = [
    "BOX1_MONTH",
    "BOX1_ROWS",
    "ED_SOURCE",
    "ENGLAND_CODE",
    "NAVIGATOR_SITE",
    "EdTable",
    "age_sex_table",
    "alcohol_drugs_table",
    "benchmark_counts",
    "benchmark_grid",
    "box1_counts",
    "box1_table",
    "busiest_weekday",
    "controlled_count",
    "coverage_reasons",
    "coverage_summary",
    "coverage_table",
    "fingertips_benchmark",
    "hour_weekday_table",
    "in_period",
    "latest_months",
    "one_way_table",
    "police_benchmark",
    "published_counts",
    "published_value",
    "recorded_share",
    "repeat_table",
    "suppression_summary",
]

#: Disclosure source key of the ED attendances (controlled, person-level).
ED_SOURCE = "ed_attendances"
#: The ED Navigator site (Blackpool Victoria Hospital) and Box 1's month (LVRN report §5.2).
NAVIGATOR_SITE = "RXL01"
BOX1_MONTH = "2020-06"
#: ONS code of England in Fingertips exports.
ENGLAND_CODE = "E92000001"
#: Label of total rows and columns.
TOTAL = "Total"
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                             "Saturday", "Sunday")
_YNU = (("Y", "Yes"), ("N", "No"), ("U", "Not recorded"))


# ----------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class EdTable:
    """A table of counts ready for publication, with its disclosure arguments.

    Attributes
    ----------
    df
        The table with **raw** counts (never display it directly).
    count_cols
        Count columns.
    caption
        Table caption.
    derived_cols
        ``{column: [count columns]}``: percentages computed from the published
        counts, suppressed with their numerator.
    total_row
        Total row(s), as `lvrn_analysis.stats.disclosure.publish()` takes them.
    total_col
        Count column holding row totals.
    source
        Disclosure source key (default ``"ed_attendances"``).
    """

    df: pd.DataFrame
    count_cols: tuple[str, ...]
    caption: str
    derived_cols: Mapping[str, Sequence[str]] = field(default_factory=dict)
    total_row: Any = None
    total_col: str | None = None
    source: str = ED_SOURCE

    def publish_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of `lvrn_analysis.stats.disclosure.publish()`."""
        kw: dict[str, Any] = {
            "source": self.source,
            "count_cols": list(self.count_cols),
            "derived_cols": {k: list(v) for k, v in self.derived_cols.items()},
            "caption": self.caption,
            # percentages are already computed from the published counts
            "rescale_derived": False,
        }
        if self.total_row is not None:
            kw["total_row"] = self.total_row
        if self.total_col is not None:
            kw["total_col"] = self.total_col
        return kw

    def table_kwargs(self) -> dict[str, Any]:
        """Return the arguments of `lvrn_analysis.story.notebook.table()` (without ``name``)."""
        return {"df": self.df, **self.publish_kwargs()}

    def published(self) -> PublishedTable:
        """Publish the table through disclosure control."""
        return publish(self.df, **self.publish_kwargs())

    def published_counts(self) -> pd.DataFrame:
        """Return the published frame: counts as ``Int64`` with ``<NA>`` where suppressed."""
        return self.published().frame


def published_counts(df: pd.DataFrame, count_cols: str | Sequence[str], *,
                     source: str = ED_SOURCE, **kwargs: Any) -> pd.DataFrame:
    """Return the counts that disclosure control lets out, for charts and prose.

    Parameters
    ----------
    df
        Table of raw counts (no missing counts).
    count_cols
        Count columns.
    source
        Disclosure source key.
    **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()` (``total_row``,
        ``total_col``, ``groups`` ...).

    Returns
    -------
    pandas.DataFrame
        ``publish(...).frame``: count columns are nullable ``Int64``, rounded
        to the nearest 5, and ``<NA>`` where a cell is suppressed (primary or
        secondary). As the input has no missing counts, ``<NA>`` means
        *suppressed*. Other columns are unchanged.
    """
    cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    if df[cols].isna().any().any():
        raise ValueError("published_counts() needs complete counts: <NA> marks suppression")
    return publish(df, source=source, count_cols=cols, **kwargs).frame


def controlled_count(n: int, *, threshold: int = SMALL_COUNT_MAX,
                     rounding: int = ROUNDING_BASE) -> str:
    """Return one person-level count as it may be quoted in text.

    Parameters
    ----------
    n
        The raw count.
    threshold, rounding
        The project rule (counts 1-7 suppressed, others rounded to 5).

    Returns
    -------
    str
        ``"none"`` for 0, ``"fewer than 8"`` for 1-7, else ``"about <rounded>"``.
    """
    n = int(n)
    if n < 0:
        raise ValueError("counts are non-negative")
    if n == 0:
        return "none"
    if n <= threshold:
        return f"fewer than {threshold + 1}"
    return f"about {int(round_to_base([n], rounding)[0]):,}"


def published_value(frame: pd.DataFrame, col: str, row: Any, *, by: str | None = None,
                    fmt: str = "{:,.0f}") -> str:
    """Return one published cell as text (``"[c]"`` when suppressed).

    Parameters
    ----------
    frame
        A published frame (`EdTable.published_counts()`).
    col
        Column.
    row
        Index label, or the value of column ``by`` that picks the row.
    by
        Column to look ``row`` up in (default: the index).
    fmt
        Format of the number.

    Returns
    -------
    str
        The formatted value or ``"[c]"``.
    """
    s = frame.set_index(by)[col] if by is not None else frame[col]
    v = s.loc[row]
    if isinstance(v, pd.Series):
        raise KeyError(f"{row!r} picks {len(v)} rows")
    return "[c]" if pd.isna(v) else fmt.format(float(v))


def suppression_summary(pub: PublishedTable) -> dict[str, int]:
    """Count a published table's count cells, and those suppressed.

    Returns
    -------
    dict
        ``cells`` (count cells), ``primary`` (suppressed as small counts) and
        ``secondary`` (suppressed to protect them), over the count columns.
    """
    cols = pub.count_cols
    return {"cells": int(len(pub.frame) * len(cols)),
            "primary": int(pub.primary[cols].to_numpy().sum()),
            "secondary": int(pub.secondary[cols].to_numpy().sum())}


def latest_months(ed_table: pd.DataFrame, n: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last month of the latest ``n`` months of ED data.

    Parameters
    ----------
    ed_table
        The ``ed_attendances`` table.
    n
        Number of months.

    Returns
    -------
    tuple of Timestamp
        Month starts of the window (inclusive).

    Raises
    ------
    ValueError
        If the table holds fewer than ``n`` months or a month inside the window
        has no attendances at all (a gap, not a quiet month, at this volume).
    """
    months = pd.DatetimeIndex(sorted(ed_table["arrival_month"].dropna().unique()))
    if len(months) == 0:
        raise ValueError("no ED attendances")
    end = months.max()
    start = end - pd.DateOffset(months=n - 1)
    wanted = pd.date_range(start, end, freq="MS")
    gaps = wanted.difference(months)
    if len(gaps):
        raise ValueError("months without ED data: " + ", ".join(f"{m:%Y-%m}" for m in gaps))
    return pd.Timestamp(start), pd.Timestamp(end)


def in_period(ed_table: pd.DataFrame, start: pd.Timestamp | str, end: pd.Timestamp | str, *,
              site: str | None = None) -> pd.DataFrame:
    """Return attendances arriving in months ``start`` to ``end`` (and at ``site``)."""
    m = ed_table["arrival_month"]
    keep = (m >= pd.Timestamp(start)) & (m <= pd.Timestamp(end))
    if site is not None:
        keep &= ed_table["ed_site"] == site
    return ed_table[keep]


def _labels(field_name: str) -> list[tuple[str, str]]:
    """``(group, label)`` of an ED code list, in code order, first label per group."""
    cl = ed.code_list(field_name).sort_values("code")
    out: dict[str, str] = {}
    for g, lab in zip(cl["group"], cl["label"], strict=True):
        out.setdefault(str(g), str(lab))
    return list(out.items())


def _pct(num: pd.Series, den: Any) -> pd.Series:
    """Percentage of published counts (NaN where either is suppressed)."""
    n = pd.to_numeric(num.astype("Float64"), errors="coerce").astype(float)
    d = float(den) if pd.notna(den) else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(100.0 * n.to_numpy() / d if d else np.full(len(n), np.nan),
                         index=num.index)


# ---------------------------------------------------------------------- ED tables


def one_way_table(d: pd.DataFrame, column: str, *, field_name: str, label: str,
                  caption: str) -> EdTable:
    """Attendances by one coded characteristic, with percentages and a total row.

    Parameters
    ----------
    d
        ED attendances (one period).
    column
        Group column of `lvrn_analysis.sources.ed.SCHEMA`, e.g.
        ``"incident_location_group"`` or ``"means_of_assault_group"``.
    field_name
        Code list field giving the order and labels (``"incident_location_type"``).
    label
        Header of the category column.
    caption
        Table caption.

    Returns
    -------
    EdTable
        Columns ``label``, ``attendances``, ``percent`` (of the published total,
        from published counts); rows in code order (blank codes as "Not recorded"),
        then ``Total``.
    """
    order = _labels(field_name)
    vc = d[column].fillna("").replace({"nan": ""}).value_counts()
    rows = [(lab, int(vc.get(g, 0))) for g, lab in order]
    blank = int(vc.get("", 0))
    if blank:
        rows.append(("Not recorded", blank))
    other = int(len(d)) - sum(n for _, n in rows)
    if other:
        raise ValueError(f"{other} attendance(s) have a {column} outside the code list")
    df = pd.DataFrame(rows, columns=[label, "attendances"])
    df.loc[len(df)] = [TOTAL, int(len(d))]
    df["attendances"] = df["attendances"].astype("int64")
    pub = published_counts(df, "attendances", total_row=(label, TOTAL))
    df["percent"] = _pct(pub["attendances"], pub["attendances"].iloc[-1])
    return EdTable(df, ("attendances",), caption, {"percent": ["attendances"]},
                   total_row=(label, TOTAL))


def age_sex_table(d: pd.DataFrame, *, caption: str) -> tuple[EdTable, int]:
    """Attendances by age band and sex (male and female), with margins.

    Attendances whose sex is recorded as indeterminate or not known are left
    out: they are so few that every age band would need suppressing (quote their
    number with `controlled_count()`).

    Parameters
    ----------
    d
        ED attendances (one period).
    caption
        Table caption.

    Returns
    -------
    tuple
        The `EdTable` (``age_band``, ``Male``, ``Female``, ``Total``;
        bands of `lvrn_analysis.sources.ed.AGE_BANDS`, ``Unknown``, ``Total``
        row; ``Total`` = Male + Female) and the number of attendances left out.
    """
    mf = d[d["sex"].isin(["1", "2"])]
    left_out = int(len(d) - len(mf))
    band = mf["age_band"].fillna("Unknown").replace({"nan": "Unknown"})
    sex = mf["sex"].map({"1": "Male", "2": "Female"})
    tab = pd.crosstab(band, sex).reindex(
        index=[b for _, _, b in ed.AGE_BANDS] + ["Unknown"], columns=["Male", "Female"],
        fill_value=0)
    tab = tab.fillna(0).astype("int64")
    tab[TOTAL] = tab["Male"] + tab["Female"]
    tab.loc[TOTAL] = tab.sum()
    df = tab.rename_axis("age_band").reset_index()
    df.columns.name = None
    if left_out:
        caption += (" Attendances with sex recorded as indeterminate or not known "
                    f"({controlled_count(left_out)}) are not shown.")
    spec = EdTable(df, ("Male", "Female", TOTAL), caption, total_row=("age_band", TOTAL),
                   total_col=TOTAL)
    return spec, left_out


def hour_weekday_table(d: pd.DataFrame, *, caption: str) -> EdTable:
    """Attendances by hour of arrival (rows) and weekday (columns), with margins.

    Parameters
    ----------
    d
        ED attendances (one period).
    caption
        Table caption.

    Returns
    -------
    EdTable
        ``hour`` (``"00:00"`` ... ``"23:00"``, then ``Total``), one column per
        weekday Monday ... Sunday and ``Total``.
    """
    hour = d["arrival_datetime"].dt.hour
    tab = pd.crosstab(hour, d["weekday"]).reindex(index=range(24), columns=list(WEEKDAYS),
                                                  fill_value=0)
    tab = tab.fillna(0).astype("int64")
    tab[TOTAL] = tab.sum(axis=1)
    tab.index = [f"{h:02d}:00" for h in tab.index]
    tab.loc[TOTAL] = tab.sum()
    df = tab.rename_axis("hour").reset_index()
    df.columns.name = None
    return EdTable(df, (*WEEKDAYS, TOTAL), caption, total_row=("hour", TOTAL),
                   total_col=TOTAL)


def alcohol_drugs_table(d: pd.DataFrame, *, caption: str) -> EdTable:
    """Cross-table of alcohol (rows) and drug (columns) involvement, with margins.

    Parameters
    ----------
    d
        ED attendances (one period).
    caption
        Table caption.

    Returns
    -------
    EdTable
        ``alcohol_involved`` (Yes, No, Not recorded, Total) by ``Drugs: Yes``,
        ``Drugs: No``, ``Drugs: not recorded`` and ``Total``.
    """
    lab = dict(_YNU)
    a = d["alcohol_involved"].fillna("U").map(lab)
    g = d["drugs_involved"].fillna("U").map(lab)
    cols = ["Drugs: yes", "Drugs: no", "Drugs: not recorded"]
    tab = pd.crosstab(a, g).reindex(index=[v for _, v in _YNU], columns=[v for _, v in _YNU],
                                    fill_value=0)
    tab = tab.fillna(0).astype("int64")
    tab.columns = cols
    tab[TOTAL] = tab.sum(axis=1)
    tab.loc[TOTAL] = tab.sum()
    df = tab.rename_axis("alcohol_involved").reset_index()
    df.columns.name = None
    return EdTable(df, (*cols, TOTAL), caption, total_row=("alcohol_involved", TOTAL),
                   total_col=TOTAL)


def recorded_share(pub: pd.DataFrame, factor: str) -> dict[str, float]:
    """Shares of involvement from a published `alcohol_drugs_table()`.

    Parameters
    ----------
    pub
        Published frame of `alcohol_drugs_table()`.
    factor
        ``"alcohol"`` (rows) or ``"drugs"`` (columns).

    Returns
    -------
    dict
        ``yes``, ``no``, ``not_recorded``, ``total`` (published counts, NaN if
        suppressed), ``pct_recorded`` (share with a record, %) and
        ``pct_yes_where_recorded`` (yes / (yes + no), %).
    """
    p = pub.set_index("alcohol_involved")
    if factor == "alcohol":
        v = p[TOTAL]
        yes, no, unk, tot = (v.get("Yes"), v.get("No"), v.get("Not recorded"), v.get(TOTAL))
    elif factor == "drugs":
        v = p.loc[TOTAL]
        yes, no, unk, tot = (v["Drugs: yes"], v["Drugs: no"], v["Drugs: not recorded"],
                             v[TOTAL])
    else:
        raise ValueError("factor is 'alcohol' or 'drugs'")
    f = [float(x) if pd.notna(x) else np.nan for x in (yes, no, unk, tot)]
    yes, no, unk, tot = f
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"yes": yes, "no": no, "not_recorded": unk, "total": tot,
                "pct_recorded": 100 * (yes + no) / tot,
                "pct_yes_where_recorded": 100 * yes / (yes + no)}


def repeat_table(ed_table: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *,
                 caption: str, window_days: int = 365) -> EdTable:
    """Repeat attendances by ED site in a period.

    An attendance is a repeat when the same pseudonymised patient attended the
    same site in the previous ``window_days`` days
    (`lvrn_analysis.sources.ed.flag_repeats()`). Flags are computed on the
    whole table, so attendances early in the period still look back before it.

    Parameters
    ----------
    ed_table
        The whole ``ed_attendances`` table.
    start, end
        Period (month starts, inclusive).
    caption
        Table caption.
    window_days
        Look-back window.

    Returns
    -------
    EdTable
        ``ed_site`` (site name), ``attendances``, ``repeat_attendances``,
        ``percent_repeat`` (from published counts); sites by name, ``Total`` row.
    """
    rep = ed.flag_repeats(ed_table, window_days=window_days, same_site=True)
    d = in_period(ed_table, start, end)
    r = rep.loc[d.index]
    g = pd.DataFrame({"site": d["ed_site_name"], "code": d["ed_site"], "rep": r})
    agg = (g.groupby(["site", "code"], sort=True)
           .agg(attendances=("rep", "size"), repeat_attendances=("rep", "sum"))
           .reset_index().drop(columns="code").rename(columns={"site": "ed_site"}))
    agg.loc[len(agg)] = [TOTAL, int(agg["attendances"].sum()),
                         int(agg["repeat_attendances"].sum())]
    for c in ("attendances", "repeat_attendances"):
        agg[c] = agg[c].astype("int64")
    pub = published_counts(agg, ["attendances", "repeat_attendances"],
                           total_row=("ed_site", TOTAL))
    num = pd.to_numeric(pub["repeat_attendances"].astype("Float64")).astype(float)
    den = pd.to_numeric(pub["attendances"].astype("Float64")).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["percent_repeat"] = (100 * num / den).to_numpy()
    return EdTable(agg, ("attendances", "repeat_attendances"), caption,
                   {"percent_repeat": ["repeat_attendances", "attendances"]},
                   total_row=("ed_site", TOTAL))


# ------------------------------------------------------------------------- Box 1

#: Box 1 rows: key, label, programme-monitoring measure of the report's figure.
BOX1_ROWS: tuple[tuple[str, str, str], ...] = (
    ("attendances", "Attendances", "attendances"),
    ("male", "Male", "percent_male"),
    ("female", "Female", "percent_female"),
    ("aged_18_30", "Aged 18-30", "percent_aged_18_30"),
    ("head_injury", "Head injury (presenting complaint)", "percent_head_injury"),
    ("ambulance", "Brought in by ambulance", "percent_ambulance"),
    ("night", "Arrived at night (22:00-05:59)", "percent_night"),
    ("monday", "Arrived on a Monday", "busiest_weekday"),
    ("navigator", "Referred to the ED Navigator (report: contact attempted)",
     "contact_attempted"),
    ("alcohol", "Alcohol involved", "influencing_factor_alcohol"),
    ("drugs", "Drugs involved", "influencing_factor_drugs"),
    ("both", "Alcohol and drugs both involved", "influencing_factor_both"),
)


def box1_counts(d: pd.DataFrame) -> dict[str, int]:
    """Count the Box 1 measures (LVRN report §5.2) in a set of attendances.

    The same definitions as `lvrn_analysis.sources.ed.box1_profile()`
    (night = arrival 22:00-05:59), plus ``monday`` (arrivals on a Monday, the
    report's busiest day) and ``navigator`` (referral to the ED Navigator, the
    records' nearest equivalent of the report's "contact attempted").

    Parameters
    ----------
    d
        ED attendances (e.g. one site and month).

    Returns
    -------
    dict
        Keys of `BOX1_ROWS` -> counts.
    """
    alc = d["alcohol_involved"] == "Y"
    drg = d["drugs_involved"] == "Y"
    return {
        "attendances": int(len(d)),
        "male": int((d["sex"] == "1").sum()),
        "female": int((d["sex"] == "2").sum()),
        "aged_18_30": int((d["age_band"] == "18-30").sum()),
        "head_injury": int((d["presenting_complaint_group"] == "head_injury").sum()),
        "ambulance": int((d["arrival_mode_group"] == "ambulance").sum()),
        "night": int(d["is_night"].astype(bool).sum()),
        "monday": int((d["weekday"] == "Monday").sum()),
        "navigator": int((d["referral_group"] == "navigator").sum()),
        "alcohol": int(alc.sum()),
        "drugs": int(drg.sum()),
        "both": int((alc & drg).sum()),
    }


def busiest_weekday(d: pd.DataFrame) -> str:
    """Return the weekday(s) with most arrivals (``/``-joined when tied)."""
    wd = d["weekday"].value_counts()
    if wd.empty:
        return ""
    return "/".join(w for w in WEEKDAYS if wd.get(w, -1) == wd.max())


def _report_text(pm: pd.DataFrame, measure: str, month_label: str) -> str:
    rows = pm[(pm["programme_id"] == "ed_navigators") & (pm["measure"] == measure)
              & (pm["period_label"] == month_label)]
    if len(rows) != 1:
        raise KeyError(f"programme monitoring has {len(rows)} rows for {measure!r} "
                       f"({month_label})")
    r = rows.iloc[0]
    if measure == "busiest_weekday":
        return f"{r['value_text']} busiest"
    qual = r["value_qualifier"] if isinstance(r["value_qualifier"], str) else ""
    if r["unit"] == "percent":
        return f"{float(r['value']):.1f}%"
    text = f"{float(r['value']):,.0f}"
    return f"{qual} {text}".strip()


def box1_table(ed_table: pd.DataFrame, programme_monitoring: pd.DataFrame, *,
               site: str = NAVIGATOR_SITE, month: str = BOX1_MONTH,
               year: tuple[str, str] | None = None) -> EdTable:
    """Box 1 of the LVRN report next to its reproduction from records, controlled.

    Parameters
    ----------
    ed_table
        The ``ed_attendances`` table.
    programme_monitoring
        The ``programme_monitoring`` table (the report's published Box 1
        figures, LVRN evaluation report 2021 §5.2).
    site, month
        ED site code and month (``YYYY-MM``) of the snapshot.
    year
        ``(first, last)`` months (``YYYY-MM``) of the 12-month version; default
        the 12 months from the site's ED Navigator go-live.

    Returns
    -------
    EdTable
        ``measure``, ``report`` (the report's figure as published, text),
        ``<month>: count``, ``<month>: %``, ``<year>: count``, ``<year>: %``.
        Counts are raw (publish them through the table); percentages are of
        the published attendances, from published counts.
    """
    if year is None:
        sites = ed.ed_sites().set_index("site_code")
        go = sites.loc[site, "navigator_go_live"]
        if pd.isna(go):
            raise ValueError(f"site {site!r} has no navigator go-live: give year=")
        first = pd.Timestamp(go)
        year = (f"{first:%Y-%m}", f"{first + pd.DateOffset(months=11):%Y-%m}")
    m = pd.Timestamp(month + "-01")
    y0, y1 = pd.Timestamp(year[0] + "-01"), pd.Timestamp(year[1] + "-01")
    month_label = f"{m:%B %Y}"
    mcol, ycol = f"{m:%B %Y}", f"{y0:%B %Y} to {y1:%B %Y}"
    cm = box1_counts(in_period(ed_table, m, m, site=site))
    cy = box1_counts(in_period(ed_table, y0, y1, site=site))
    df = pd.DataFrame({
        "measure": [lab for _, lab, _ in BOX1_ROWS],
        f"LVRN report, {month_label} (§5.2)": [_report_text(programme_monitoring, meas,
                                                            month_label)
                                               for _, _, meas in BOX1_ROWS],
        f"{mcol}: count": [cm[k] for k, _, _ in BOX1_ROWS],
        f"{ycol}: count": [cy[k] for k, _, _ in BOX1_ROWS],
    })
    counts = [f"{mcol}: count", f"{ycol}: count"]
    for c in counts:
        df[c] = df[c].astype("int64")
    pub = published_counts(df, counts)
    for c in counts:
        df[c.replace(": count", ": %")] = _pct(pub[c], pub[c].iloc[0])
    df = df[["measure", df.columns[1], counts[0], f"{mcol}: %", counts[1], f"{ycol}: %"]]
    caption = (f"Box 1 snapshot, {_site_name(site)}: the LVRN report's published figures "
               f"for {month_label} and the same measures counted from the synthetic records "
               f"for {month_label} and for {ycol}. Percentages are of the published "
               "attendances, from the published (rounded) counts.")
    return EdTable(df, tuple(counts), caption,
                   {f"{mcol}: %": [counts[0]], f"{ycol}: %": [counts[1]]})


def _site_name(site: str) -> str:
    s = ed.ed_sites().set_index("site_code")
    return str(s.loc[site, "site_name"]) if site in s.index else site


# --------------------------------------------------------------------- benchmarks


def police_benchmark(rates: pd.DataFrame, overall: pd.Series | Mapping[str, float], *,
                     area_label: str = "pan-Lancashire") -> pd.DataFrame:
    """Compare authority rates with the whole area's rate, Fingertips style.

    An authority is *worse* (lower is better) when its 95 % interval lies wholly
    above the area rate, *better* when wholly below, else *similar*
    (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`; Fingertips
    "confidence intervals overlapping reference value (95.0)", APHO Technical
    Briefing 3, 2008). The area rate includes the authority itself, as
    Fingertips' England and region benchmarks do.

    Parameters
    ----------
    rates
        Output of `lvrn_analysis.story.profile.rates_by_authority()`.
    overall
        Output of `lvrn_analysis.story.profile.area_rate()` (``value``).
    area_label
        Name of the whole area in the column header.

    Returns
    -------
    pandas.DataFrame
        ``la_name``, ``count``, ``rate``, ``lower_ci``, ``upper_ci``,
        ``<area_label> rate`` (rounded to 1 decimal for display; the comparison
        uses the unrounded rate), ``vs <area_label>``, ordered by rate (highest
        first).
    """
    bench = float(overall["value"])
    out = benchmarking.compare_to_benchmark(
        rates[["la_code", "la_name", "count", "rate", "lower_ci", "upper_ci"]], bench,
        polarity="lower is better", column=f"vs {area_label}")
    out.insert(6, f"{area_label} rate", round(bench, 1))
    return out.sort_values(["rate", "la_name"], ascending=[False, True]).reset_index(drop=True)


def fingertips_benchmark(fingertips: pd.DataFrame, area: AreaConfig, *,
                         indicator_id: int = 11202, period: str | None = None,
                         area_label: str = "pan-Lancashire") -> pd.DataFrame:
    """Compare authorities' Fingertips values with England and with the whole area.

    The whole area's value is recomputed from the authorities' counts and
    denominators (rate per 1,000, Byar's interval; `lvrn_analysis.stats.indicators.
    crude_rate()`). Each authority's 95 % interval is compared with the England
    value and with the area value, lower is better
    (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`). The export's own
    ``compared_to_england`` column is kept as a check.

    Parameters
    ----------
    fingertips
        The ``fingertips`` table.
    area
        Area configuration (its authorities are the rows).
    indicator_id
        Fingertips indicator (11202: violence offences per 1,000 population).
    period
        ``time_period`` to use; default the latest with data for the area.
    area_label
        Name of the whole area in column headers.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``count``, ``denominator``, ``value``,
        ``lower_ci``, ``upper_ci``, ``England value``, ``vs England``,
        ``<area_label> value``, ``vs <area_label>``, ``export: vs England``
        (benchmark values rounded to 1 decimal for display, compared unrounded);
        sorted by value (highest first). ``attrs`` holds ``period``,
        ``indicator_name``, ``england``, ``area`` (value, lower, upper) and
        ``agreement`` (rows where the recomputed England comparison matches the
        export's).

    Raises
    ------
    ValueError
        If the indicator, the period or the England value is missing.
    """
    f = fingertips[(fingertips["indicator_id"] == indicator_id)
                   & ~fingertips["is_category"].astype(bool)]
    if "sex" in f:
        f = f[f["sex"].fillna("Persons") == "Persons"]
    las = f[f["area_code"].isin(area.authorities)]
    if las.empty:
        raise ValueError(f"indicator {indicator_id} has no values for the area's authorities")
    if period is None:
        sortable = las.dropna(subset=["value"]).sort_values("time_period_sortable")
        period = str(sortable["time_period"].iloc[-1])
    las = las[las["time_period"] == period]
    eng = f[(f["area_code"] == ENGLAND_CODE) & (f["time_period"] == period)]
    if len(eng) != 1:
        raise ValueError(f"expected one England value for {period}, found {len(eng)}")
    eng_value = float(eng["value"].iloc[0])
    tot = pd.DataFrame({"x": [float(las["count"].sum())],
                        "n": [float(las["denominator"].sum())]})
    pan = crude_rate(tot, x="x", n="n", multiplier=1000).iloc[0]
    out = pd.DataFrame({
        "la_code": las["area_code"].to_numpy(), "la_name": las["area_name"].to_numpy(),
        "count": las["count"].to_numpy(dtype=float),
        "denominator": las["denominator"].to_numpy(dtype=float),
        "value": las["value"].to_numpy(dtype=float),
        "lower_ci": las["lower_ci95"].to_numpy(dtype=float),
        "upper_ci": las["upper_ci95"].to_numpy(dtype=float),
    })
    out = benchmarking.compare_to_benchmark(out, eng_value, polarity="lower is better",
                                            column="vs England")
    out.insert(out.columns.get_loc("vs England"), "England value", eng_value)
    out[f"{area_label} value"] = float(pan["value"])
    out = benchmarking.compare_to_benchmark(out, float(pan["value"]),
                                            polarity="lower is better",
                                            column=f"vs {area_label}")
    export = las["compared_to_england"].fillna("").astype(str).str.lower().to_numpy()
    out["export: vs England"] = export
    out = out.sort_values(["value", "la_name"], ascending=[False, True]).reset_index(drop=True)
    # benchmark columns rounded for display; the comparisons above used full precision
    for c in ("England value", f"{area_label} value"):
        out[c] = out[c].round(1)
    out.attrs = {
        "period": period,
        "indicator_id": int(indicator_id),
        "indicator_name": str(las["indicator_name"].iloc[0]),
        "england": eng_value,
        "area": (float(pan["value"]), float(pan["lower_ci"]), float(pan["upper_ci"])),
        "agreement": int((out["vs England"] == out["export: vs England"]).sum()),
    }
    return out


def benchmark_grid(police: pd.DataFrame, fingertips: pd.DataFrame, *,
                   police_label: str, fingertips_label: str,
                   area_label: str = "pan-Lancashire") -> pd.DataFrame:
    """Put the comparisons side by side: one row per authority, one column per comparison.

    Parameters
    ----------
    police
        Output of `police_benchmark()`.
    fingertips
        Output of `fingertips_benchmark()`.
    police_label, fingertips_label
        Short descriptions of the two data sets (used in the column names).
    area_label
        Name of the whole area.

    Returns
    -------
    pandas.DataFrame
        Long frame: ``la_name``, ``comparison`` (column title), ``label``
        (better / similar / worse / not compared), ``value`` (the authority's
        rate), ``benchmark`` (the benchmark's value), ``order`` (0 = the
        authority with the highest police rate); comparisons in the order
        police vs area, Fingertips vs England, Fingertips vs area.
    """
    order = {n: i for i, n in enumerate(police["la_name"])}
    parts = [
        (police, "rate", f"vs {area_label}", f"{area_label} rate",
         f"{police_label}\nvs {area_label}"),
        (fingertips, "value", "vs England", "England value",
         f"{fingertips_label}\nvs England"),
        (fingertips, "value", f"vs {area_label}", f"{area_label} value",
         f"{fingertips_label}\nvs {area_label}"),
    ]
    rows = []
    for frame, val, lab, bench, title in parts:
        for _, r in frame.iterrows():
            rows.append({"la_name": r["la_name"], "comparison": title, "label": r[lab],
                         "value": float(r[val]), "benchmark": float(r[bench]),
                         "order": order.get(r["la_name"], len(order))})
    return pd.DataFrame(rows)


def benchmark_counts(grid: pd.DataFrame) -> pd.DataFrame:
    """Tally the labels of each comparison in a `benchmark_grid()` frame.

    Returns
    -------
    pandas.DataFrame
        One row per comparison, columns ``better``, ``similar``, ``worse``,
        ``not compared`` (authorities).
    """
    t = pd.crosstab(grid["comparison"], grid["label"])
    t = t.reindex(index=list(dict.fromkeys(grid["comparison"])),
                  columns=["better", "similar", "worse", "not compared"], fill_value=0)
    return t.fillna(0).astype(int)


# ------------------------------------------------------------------------ coverage


def coverage_table(origins: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return what each source can measure of the LVRN serious-violence definition.

    Parameters
    ----------
    origins
        Optional ``manifest()["origins"]``: adds whether each source is real or
        synthetic in this build to its column name.

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.story.serious_violence.coverage_matrix()` with readable
        column names: one row per component of the definition (LVRN evaluation
        report 2021, §2.3), one column per source, values ``yes`` / ``partly``
        / ``no``.
    """
    from lvrn_analysis.story.serious_violence import SOURCES, coverage_matrix

    m = coverage_matrix()
    processed = {"police_street": "police_street", "csp_crime": "csp_crime",
                 "ed": "ed_attendances", "fingertips": "fingertips",
                 "programmes": "programme_monitoring"}
    names = []
    for s in m.columns:
        name = SOURCES.get(s, s)
        if origins is not None and processed.get(s) in origins:
            o = str(origins[processed[s]])
            name += " [synthetic here]" if o.startswith("synthetic") else " [real]"
        names.append(name)
    out = m.copy()
    out.columns = pd.Index(names, name=None)
    return out.reset_index()


def coverage_reasons(source: str) -> pd.DataFrame:
    """Return one source's coverage of each component, with the reason.

    Parameters
    ----------
    source
        Key of `lvrn_analysis.story.serious_violence.SOURCES` (e.g. ``"ed"``).

    Returns
    -------
    pandas.DataFrame
        ``component``, ``coverage``, ``reason``.
    """
    from lvrn_analysis.story.serious_violence import coverage

    c = coverage()
    c = c[c["source"] == source]
    if c.empty:
        raise KeyError(f"unknown source {source!r}")
    return c[["component_label", "coverage", "reason"]].rename(
        columns={"component_label": "component"}).reset_index(drop=True)


def coverage_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Count yes / partly / no per source of a `coverage_table()`.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``yes``, ``partly``, ``no`` (numbers of components).
    """
    m = matrix.set_index("component")
    rows = [{"source": s, **{lvl: int((m[s] == lvl).sum()) for lvl in ("yes", "partly", "no")}}
            for s in m.columns]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- prose


def _f(v: Any, fmt: str = "{:,.0f}") -> str:
    return "[c]" if v is None or pd.isna(v) else fmt.format(float(v))


def benchmark_text(police: pd.DataFrame, fingertips: pd.DataFrame, *,
                   area_label: str = "pan-Lancashire") -> str:
    """Summarise the two benchmark comparisons in Markdown.

    Parameters
    ----------
    police
        Output of `police_benchmark()` (real data).
    fingertips
        Output of `fingertips_benchmark()` (synthetic export in this build).
    area_label
        Name of the whole area.

    Returns
    -------
    str
        Two paragraphs: which authorities are significantly worse than each
        benchmark, and how the recomputed England comparison agrees with the
        export's own column.
    """
    col = f"vs {area_label}"
    worse_p = police.loc[police[col] == "worse", "la_name"].tolist()
    sim_p = police.loc[police[col] == "similar", "la_name"].tolist()
    a = fingertips.attrs
    worse_e = fingertips.loc[fingertips["vs England"] == "worse", "la_name"].tolist()
    better_e = fingertips.loc[fingertips["vs England"] == "better", "la_name"].tolist()
    worse_a = fingertips.loc[fingertips[col] == "worse", "la_name"].tolist()
    bench = float(police[f"{area_label} rate"].iloc[0])
    p1 = (f"**Real police data.** Against the {area_label} rate ({bench:.1f} per 1,000 "
          f"residents per year), **{len(worse_p)} of {len(police)} authorities are "
          f"significantly worse**: {', '.join(worse_p) or 'none'}. ")
    verb = "is" if len(sim_p) <= 1 else "are"
    p1 += (f"{len(sim_p) or 'None'} {verb} similar: with counts in the thousands the "
           "intervals are narrow, so almost every authority differs significantly from the "
           "area rate. ")
    p2 = (f"**Synthetic Fingertips export** (indicator {a['indicator_id']}, "
          f"{a['indicator_name'].split(' - ')[-1]}, {a['period']}). Against England "
          f"({a['england']:.1f} per 1,000), **{len(worse_e)} authorities are worse** and "
          f"{len(better_e)} better ({', '.join(better_e) or 'none'}); against the "
          f"{area_label} value recomputed from the authorities' counts "
          f"({a['area'][0]:.1f}, 95% CI {a['area'][1]:.1f} to {a['area'][2]:.1f}), "
          f"{len(worse_a)} are worse. The comparison recomputed here agrees with the "
          f"export's own *compared to England* column for {a['agreement']} of "
          f"{len(fingertips)} authorities. ")
    p3 = ("The two data sets are not the same measure: data.police.uk's *violence and "
          "sexual offences* include sexual offences and cover a different period from "
          "Fingertips' *violence offences* (violence against the person, financial year), "
          "so the real police rates are compared with the real area rate only, never with "
          "the synthetic England value.")
    return "\n\n".join([p1.strip(), p2.strip(), p3])


def period_text(d: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Describe the ED period in Markdown (counts rounded under the project rule)."""
    n_sites = int(d["ed_site"].nunique())
    res = int(d["resident_in_area"].astype(bool).sum())
    return (f"The charts and tables below cover **{start:%B %Y} to {end:%B %Y}**, the latest "
            f"12 months of ED records: {controlled_count(len(d))} assault attendances at the "
            f"area's {n_sites} type-1 emergency departments, {controlled_count(res)} of them "
            "by residents of the area (non-residents are included: the question is what "
            "the EDs see).")


def people_text(people: EdTable) -> str:
    """Describe the published age and sex table in Markdown."""
    pub = people.published_counts().set_index("age_band")
    tot = pub.loc[TOTAL]
    male, total = tot["Male"], tot[TOTAL]
    young = pub.loc[["10-17", "18-30"], TOTAL]
    share_m = 100 * float(male) / float(total) if pd.notna(male) and pd.notna(total) else np.nan
    text = (f"**{_f(share_m, '{:.0f}')}% of attendances were male**; "
            f"the 18-30 age band alone holds {_f(100 * young['18-30'] / total, '{:.0f}')}% "
            f"and children aged 10-17 {_f(100 * young['10-17'] / total, '{:.0f}')}%. ")
    summ = suppression_summary(people.published())
    if summ["primary"] or summ["secondary"]:
        n1, n2 = summ["primary"], summ["secondary"]
        text += (f"Disclosure control suppressed {n1} small cell{'s' if n1 != 1 else ''} and "
                 f"{n2} more to protect {'them' if n1 != 1 else 'it'}: with margins "
                 "published, a lone suppressed cell could be worked out by subtraction, so "
                 "the next-smallest cells in its row and column go too. That is why whole "
                 "bands can disappear from the chart even though their totals are not small.")
    return text


def time_text(time_spec: EdTable) -> str:
    """Describe the published hour-by-weekday table in Markdown."""
    pub = time_spec.published_counts().set_index("hour")
    tot = pd.to_numeric(pub.loc[TOTAL, list(WEEKDAYS)].astype("Float64")).astype(float)
    grand = float(pub.loc[TOTAL, TOTAL]) if pd.notna(pub.loc[TOTAL, TOTAL]) else np.nan
    night_rows = [f"{h:02d}:00" for h in ed.NIGHT_HOURS]
    night = pd.to_numeric(pub.loc[night_rows, TOTAL].astype("Float64")).astype(float)
    weekend = tot[["Saturday", "Sunday"]].sum()
    busiest = tot.idxmax()
    summ = suppression_summary(time_spec.published())
    supp = summ["primary"] + summ["secondary"]
    return (f"{_f(100 * weekend / grand, '{:.0f}')}% of attendances arrive on a Saturday or "
            f"Sunday ({busiest} is the busiest day) and "
            f"{_f(100 * night.sum(skipna=False) / grand, '{:.0f}')}% at night (22:00-05:59). "
            "The synthetic arrival times are calibrated to Box 1's night share and a "
            "weekend-heavy week, so the shape is illustrative; with real records this chart "
            "is what tells services when to staff. "
            + (f"{supp} of the {summ['cells']} cells are suppressed."
               if supp else "At this volume no cell needed suppressing."))


def place_means_text(place: EdTable, means: EdTable) -> str:
    """Describe the published incident location and means-of-assault tables."""
    pl = place.published_counts()
    me = means.published_counts()
    lab_p, lab_m = pl.columns[0], me.columns[0]

    def pct(frame: pd.DataFrame, lab: str, row: str) -> str:
        return published_value(frame, "percent", row, by=lab, fmt="{:.0f}")

    knife = published_value(me, "attendances", "Knife or other sharp object", by=lab_m)
    return (f"Assaults happen most often in the street or another public place "
            f"({pct(pl, lab_p, 'Street or other public place')}%) and at home "
            f"({pct(pl, lab_p, 'Home')}%): home is a proxy for domestic abuse, which these "
            f"records cannot identify. Licensed premises account for "
            f"{pct(pl, lab_p, 'Pub club or bar')}%. Most injuries are from a body part "
            f"({pct(me, lab_m, 'Body part (fist feet head)')}%); a knife or other sharp "
            f"object was recorded in {pct(me, lab_m, 'Knife or other sharp object')}% "
            f"(about {knife} attendances in 12 months) and the means is unknown in "
            f"{pct(me, lab_m, 'Unknown')}%.")


def alcohol_drugs_text(spec: EdTable) -> str:
    """Describe alcohol and drug involvement from the published cross-table."""
    pub = spec.published_counts()
    a, g = recorded_share(pub, "alcohol"), recorded_share(pub, "drugs")
    both = pub.set_index("alcohol_involved").loc["Yes", "Drugs: yes"]
    return (f"Alcohol involvement is recorded for {_f(a['pct_recorded'], '{:.0f}')}% of "
            f"attendances and, where recorded, **alcohol was involved in "
            f"{_f(a['pct_yes_where_recorded'], '{:.0f}')}%**. Drugs are recorded for "
            f"{_f(g['pct_recorded'], '{:.0f}')}% and were involved in "
            f"{_f(g['pct_yes_where_recorded'], '{:.0f}')}% of those; both together in about "
            f"{_f(both)} attendances. Gaps in recording are large, so these shares are "
            "lower bounds for the attendances as a whole.")


def repeat_text(spec: EdTable, site: str = NAVIGATOR_SITE,
                truth: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Describe repeat attendances from the published table.

    Parameters
    ----------
    spec
        Output of `repeat_table()`.
    site
        The ED Navigator site.
    truth
        Optional ground-truth records of the synthetic build: when one records an
        injected change in the site's repeat share, the text says so.

    Returns
    -------
    str
        Markdown paragraph.
    """
    pub = spec.published_counts().set_index("ed_site")
    name = _site_name(site)
    tot = pub.loc[TOTAL]
    num = pd.to_numeric(pub["repeat_attendances"].astype("Float64")).astype(float)
    den = pd.to_numeric(pub["attendances"].astype("Float64")).astype(float)
    share = 100 * num / den
    others = share.drop(index=[TOTAL, name], errors="ignore")
    text = (f"{_f(100 * tot['repeat_attendances'] / tot['attendances'], '{:.0f}')}% of "
            "attendances were by someone who had attended the same ED in the previous 365 "
            f"days. At {name}, the ED Navigator site, the share is "
            f"{_f(share.get(name), '{:.1f}')}%, against {_f(others.min(), '{:.1f}')}% to "
            f"{_f(others.max(), '{:.1f}')}% at the other sites. Repeat attendance is one of "
            "the outcomes the navigators aim to reduce; the report could only say that 4 of "
            "122 engaged young people had a repeat attendance (§5.3), with no comparison.")
    inj = [t for t in (truth or []) if t.get("kind") == "injected_effect"
           and t.get("series") == "repeat attendance share" and t.get("site") == site]
    if inj:
        t = inj[0]
        text += (f" **In these synthetic data the difference is by construction**: the "
                 f"generator multiplied the site's repeat share by {float(t['ratio']):.2f} "
                 f"from {t['start']} (recorded in the build's ground truth), so it shows the "
                 "method, not evidence that the scheme works.")
    return text


def box1_text(spec: EdTable) -> str:
    """Say what survives disclosure control in the Box 1 table, in Markdown.

    Parameters
    ----------
    spec
        Output of `box1_table()`.

    Returns
    -------
    str
        Markdown: which counts are suppressed in the one-month and the
        12-month columns, and how far rounding to 5 can move a percentage on
        each (published) denominator through its numerator: a count moves by at
        most 2, i.e. ``100 * 2 / denominator`` percentage points.
    """
    pub = spec.published()
    fr = pub.frame.set_index("measure")
    report_col = fr.columns[0]
    m_cnt, y_cnt = spec.count_cols
    m_lab, y_lab = m_cnt.replace(": count", ""), y_cnt.replace(": count", "")
    hid_m = [lab for lab, h in zip(fr.index, pub.suppressed[m_cnt], strict=True) if h]
    hid_y = [lab for lab, h in zip(fr.index, pub.suppressed[y_cnt], strict=True) if h]
    den_m, den_y = fr[m_cnt].iloc[0], fr[y_cnt].iloc[0]
    nav = fr.loc[BOX1_ROWS[8][1]]
    att = fr.iloc[0]
    err_m = 100 * 2 / float(den_m) if pd.notna(den_m) and den_m else np.nan
    err_y = 100 * 2 / float(den_y) if pd.notna(den_y) and den_y else np.nan
    text = (f"Under the project's rule, **{len(hid_m)} of the {len(fr)} Box 1 counts for "
            f"{m_lab} cannot be published** from records"
            + (f" ({', '.join(h[:1].lower() + h[1:] for h in hid_m)})" if hid_m else "")
            + f". Those that can are rounded to 5: a count moves by up to 2, which on a "
            f"denominator of {_f(den_m)} is up to {_f(err_m, '{:.0f}')} percentage points, and "
            f"the denominator is rounded too. The "
            f"report's {nav[report_col]} contacts out of {att[report_col]} attendances become "
            f"{_f(nav[m_cnt])} out of {_f(den_m)}, or {_f(nav[f'{m_lab}: %'], '{:.0f}')}%. ")
    text += (f"Over **{y_lab}** (12 months at the same site) {len(hid_y)} of the {len(fr)} "
             f"counts are suppressed and rounding a numerator moves its percentage by at "
             f"most {_f(err_y, '{:.1f}')} points, so a 12-month snapshot can be published from "
             "person-level records where a one-month one cannot. The synthetic June 2020 was "
             "built to reproduce the report's figures exactly (checked in the tests), so here "
             "suppression hides nothing new; with real records it would.")
    return text


def coverage_text(matrix: pd.DataFrame) -> str:
    """Summarise a `coverage_table()` in Markdown."""
    m = matrix.set_index("component")
    none_full = [c for c in m.index if not (m.loc[c] == "yes").any()]
    best = coverage_summary(matrix).sort_values(["yes", "partly"], ascending=False).iloc[0]
    return (f"No single source measures the whole definition. The most complete is "
            f"*{best['source']}* ({best['yes']} components fully, {best['partly']} partly). "
            f"**{len(none_full)} components are measured fully by no source**: "
            f"{', '.join(none_full)}. Domestic abuse and child exploitation need flags or "
            "case records that none of these sources carries as published (police "
            "domestic-abuse flags, children's services and exploitation case records), so "
            "measuring them depends on data shared between partners.")
