"""The navigator-site snapshot: the LVRN report's Box 1 (§5.2) rebuilt from records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.sources import ed
from lvrn_analysis.story.ed_profile.controlled import EdTable, _f, _pct, published_counts
from lvrn_analysis.story.ed_profile.records import (
    NAVIGATOR_SITE,
    WEEKDAYS,
    _site_name,
    in_period,
)

__all__ = ["BOX1_MONTH", "BOX1_ROWS", "box1_counts", "box1_table", "box1_text",
           "busiest_weekday"]


#: Box 1's month (LVRN report §5.2).
BOX1_MONTH = "2020-06"


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
             "person-level records where a one-month one cannot.")
    return text
