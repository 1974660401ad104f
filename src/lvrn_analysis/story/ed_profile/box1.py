"""The ED Navigator caseload snapshot: the LVRN report's Box 1 (§5.2) rebuilt from records.

Box 1 is **one month's caseload of the ED Navigator scheme** at Blackpool
Victoria Hospital (June 2020): the attendances of 10-39-year-olds after violence,
self-harm or overdose that were referred to the navigators, not every assault
attendance at the ED. It is rebuilt here from the navigator contacts table
(`lvrn_analysis.sources.navigator`, processed table ``navigator_contacts``),
under disclosure control (person-level: source key `NAVIGATOR_SOURCE`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.sources import ed
from lvrn_analysis.story.ed_profile.controlled import EdTable, _f, _pct, published_counts
from lvrn_analysis.story.ed_profile.records import NAVIGATOR_SITE, WEEKDAYS, _site_name

__all__ = ["BOX1_MONTH", "BOX1_ROWS", "NAVIGATOR_SOURCE", "box1_counts", "box1_table",
           "box1_text", "busiest_weekday", "caseload_period"]


#: Box 1's month (LVRN report §5.2).
BOX1_MONTH = "2020-06"
#: Disclosure source key of the navigator contacts (person-level, controlled).
NAVIGATOR_SOURCE = "navigator_contacts"

#: Box 1 rows: key, label, programme-monitoring measure of the report's figure
#: (``None``: the report gives no figure).
BOX1_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("attendances", "Attendances in the navigators' caseload", "attendances"),
    ("male", "Male", "percent_male"),
    ("female", "Female", "percent_female"),
    ("aged_18_30", "Aged 18-30", "percent_aged_18_30"),
    ("head_injury", "Head injury (presenting complaint)", "percent_head_injury"),
    ("ambulance", "Brought in by ambulance", "percent_ambulance"),
    ("night", "Arrived at night (22:00-05:59)", "percent_night"),
    ("monday", "Arrived on a Monday", "busiest_weekday"),
    ("contact", "Contact attempted (face to face or telephone)", "contact_attempted"),
    ("alcohol", "Influencing factor: alcohol", "influencing_factor_alcohol"),
    ("drugs", "Influencing factor: drugs", "influencing_factor_drugs"),
    ("both", "Influencing factors: alcohol and drugs", "influencing_factor_both"),
    ("violence", "Reason: violence", None),
    ("self_harm", "Reason: self-harm", None),
    ("overdose", "Reason: overdose", None),
)


def box1_counts(d: pd.DataFrame) -> dict[str, int]:
    """Count the Box 1 measures (LVRN report §5.2) in a set of navigator contacts.

    The same definitions as `lvrn_analysis.sources.navigator.box1_profile()`
    (night = arrival 22:00-05:59; contact attempted = face to face or by
    telephone), plus ``monday`` (arrivals on a Monday, the report's busiest day)
    and the counts by reason, which the report does not give.

    Parameters
    ----------
    d
        Navigator contacts (e.g. one site and month of ``navigator_contacts``).

    Returns
    -------
    dict
        Keys of `BOX1_ROWS` -> counts.
    """
    alc = d["alcohol_factor"] == "Y"
    drg = d["drugs_factor"] == "Y"
    return {
        "attendances": int(len(d)),
        "male": int((d["sex"] == "1").sum()),
        "female": int((d["sex"] == "2").sum()),
        "aged_18_30": int((d["age_band"] == "18-30").sum()),
        "head_injury": int((d["presenting_complaint"] == "head_injury").sum()),
        "ambulance": int((d["arrival_mode"] == "ambulance").sum()),
        "night": int(d["is_night"].astype(bool).sum()),
        "monday": int((d["weekday"] == "Monday").sum()),
        "contact": int(d["contact_attempted"].astype(bool).sum()),
        "alcohol": int(alc.sum()),
        "drugs": int(drg.sum()),
        "both": int((alc & drg).sum()),
        "violence": int((d["referral_reason"] == "violence").sum()),
        "self_harm": int((d["referral_reason"] == "self_harm").sum()),
        "overdose": int((d["referral_reason"] == "overdose").sum()),
    }


def busiest_weekday(d: pd.DataFrame) -> str:
    """Return the weekday(s) with most arrivals (``/``-joined when tied)."""
    wd = d["weekday"].value_counts()
    if wd.empty:
        return ""
    return "/".join(w for w in WEEKDAYS if wd.get(w, -1) == wd.max())


def caseload_period(nav: pd.DataFrame, start: pd.Timestamp | str, end: pd.Timestamp | str,
                    *, site: str | None = None) -> pd.DataFrame:
    """Return navigator contacts attending in months ``start`` to ``end`` (and at ``site``)."""
    m = nav["attendance_month"]
    keep = (m >= pd.Timestamp(start)) & (m <= pd.Timestamp(end))
    if site is not None:
        keep &= nav["ed_site"] == site
    return nav[keep]


def _pm_row(pm: pd.DataFrame, measure: str, period_label: str) -> pd.Series:
    rows = pm[(pm["programme_id"] == "ed_navigators") & (pm["measure"] == measure)
              & (pm["period_label"] == period_label)]
    if len(rows) != 1:
        raise KeyError(f"programme monitoring has {len(rows)} rows for {measure!r} "
                       f"({period_label})")
    return rows.iloc[0]


def _report_text(pm: pd.DataFrame, measure: str | None, month_label: str) -> str:
    if measure is None:
        return "not given"
    r = _pm_row(pm, measure, month_label)
    if measure == "busiest_weekday":
        return f"{r['value_text']} busiest"
    qual = r["value_qualifier"] if isinstance(r["value_qualifier"], str) else ""
    if r["unit"] == "percent":
        return f"{float(r['value']):.1f}%"
    return f"{qual} {float(r['value']):,.0f}".strip()


def box1_table(navigator: pd.DataFrame, programme_monitoring: pd.DataFrame, *,
               site: str = NAVIGATOR_SITE, month: str = BOX1_MONTH,
               year: tuple[str, str] | None = None) -> EdTable:
    """Box 1 of the LVRN report next to its reproduction from navigator contacts.

    Parameters
    ----------
    navigator
        The ``navigator_contacts`` table (the scheme's caseload).
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
        ``measure``, ``LVRN report, <month> (§5.2)`` (the figure as published,
        text), ``<month>: count``, ``<month>: %``, ``<year>: count``,
        ``<year>: %``; disclosure source `NAVIGATOR_SOURCE`. Counts are raw
        (publish them through the table); percentages are of the published
        attendances, from published counts.
    """
    if year is None:
        sites = ed.ed_sites().set_index("site_code")
        go = sites.loc[site, "navigator_go_live"] if site in sites.index else pd.NaT
        if pd.isna(go):
            raise ValueError(f"site {site!r} has no navigator go-live: give year=")
        first = pd.Timestamp(go)
        year = (f"{first:%Y-%m}", f"{first + pd.DateOffset(months=11):%Y-%m}")
    m = pd.Timestamp(month + "-01")
    y0, y1 = pd.Timestamp(year[0] + "-01"), pd.Timestamp(year[1] + "-01")
    mcol, ycol = f"{m:%B %Y}", f"{y0:%B %Y} to {y1:%B %Y}"
    cm = box1_counts(caseload_period(navigator, m, m, site=site))
    cy = box1_counts(caseload_period(navigator, y0, y1, site=site))
    report_col = f"LVRN report, {mcol} (§5.2)"
    df = pd.DataFrame({
        "measure": [lab for _, lab, _ in BOX1_ROWS],
        report_col: [_report_text(programme_monitoring, meas, mcol)
                     for _, _, meas in BOX1_ROWS],
        f"{mcol}: count": [cm[k] for k, _, _ in BOX1_ROWS],
        f"{ycol}: count": [cy[k] for k, _, _ in BOX1_ROWS],
    })
    counts = [f"{mcol}: count", f"{ycol}: count"]
    for c in counts:
        df[c] = df[c].astype("int64")
    pub = published_counts(df, counts, source=NAVIGATOR_SOURCE)
    for c in counts:
        df[c.replace(": count", ": %")] = _pct(pub[c], pub[c].iloc[0])
    df = df[["measure", report_col, counts[0], f"{mcol}: %", counts[1], f"{ycol}: %"]]
    caption = (f"SYNTHETIC data. ED Navigator caseload at {_site_name(site)} (Box 1 "
               f"snapshot): attendances of 10-39-year-olds after violence, self-harm or "
               f"overdose referred to the navigators. The LVRN report's published figures for "
               f"{mcol} beside the same measures counted from synthetic navigator records for "
               f"{mcol} and for {ycol}. Percentages are of the published attendances, from the "
               "published (rounded) counts.")
    return EdTable(df, tuple(counts), caption,
                   {f"{mcol}: %": [counts[0]], f"{ycol}: %": [counts[1]]},
                   source=NAVIGATOR_SOURCE)


def _raw_matches_report(spec: EdTable) -> bool:
    """Whether the raw one-month counts give every numeric figure of the report's column."""
    df = spec.df.set_index("measure")
    report_col, m_cnt = df.columns[0], spec.count_cols[0]
    n = int(df[m_cnt].iloc[0])
    for (_, lab, meas) in BOX1_ROWS:
        rep = str(df.loc[lab, report_col])
        if meas is None or meas == "busiest_weekday":
            continue
        k = int(df.loc[lab, m_cnt])
        if rep.endswith("%"):
            got = f"{np.floor(1000 * k / n + 0.5) / 10:.1f}%" if n else ""
        else:
            got, rep = f"{k:,}", rep.removeprefix("at least").strip()
        if got != rep:
            return False
    return True


def box1_text(spec: EdTable, programme_monitoring: pd.DataFrame | None = None) -> str:
    """Say what survives disclosure control in the Box 1 table, in Markdown.

    Parameters
    ----------
    spec
        Output of `box1_table()`.
    programme_monitoring
        The ``programme_monitoring`` table; when given, the 12-month caseload is
        set against the report's 416 contacts in 2020/21 (§5.1).

    Returns
    -------
    str
        Markdown: which counts are suppressed in the one-month and the
        12-month columns, how far rounding to 5 can move a percentage on each
        (published) denominator (a count moves by at most 2, i.e.
        ``100 * 2 / denominator`` percentage points), and the synthetic
        12-month caseload beside the report's contacts, said to be illustrative;
        first, when the raw one-month counts give the report's figures, a
        sentence saying so.
    """
    pub = spec.published()
    fr = pub.frame.set_index("measure")
    report_col = fr.columns[0]
    m_cnt, y_cnt = spec.count_cols
    m_lab, y_lab = m_cnt.replace(": count", ""), y_cnt.replace(": count", "")
    hid_m = [lab for lab, h in zip(fr.index, pub.suppressed[m_cnt], strict=True) if h]
    hid_y = [lab for lab, h in zip(fr.index, pub.suppressed[y_cnt], strict=True) if h]
    den_m, den_y = fr[m_cnt].iloc[0], fr[y_cnt].iloc[0]
    contact = fr.loc[next(lab for k, lab, _ in BOX1_ROWS if k == "contact")]
    att = fr.iloc[0]
    err_m = 100 * 2 / float(den_m) if pd.notna(den_m) and den_m else np.nan
    err_y = 100 * 2 / float(den_y) if pd.notna(den_y) and den_y else np.nan
    text = ""
    if _raw_matches_report(spec):
        text += (f"Before disclosure control, the synthetic records for {m_lab} give exactly "
                 "the report's figures: the twin is built to reproduce its one published "
                 "month, so any difference in the table is the disclosure control's. ")
    text += (f"Under the project's rule, **{len(hid_m)} of the {len(fr)} counts for "
            f"{m_lab} cannot be published** from records"
            + (f" ({', '.join(h[:1].lower() + h[1:] for h in hid_m)})" if hid_m else "")
            + f". Those that can are rounded to 5: a count moves by up to 2, which on a "
            f"denominator of {_f(den_m)} is up to {_f(err_m, '{:.0f}')} percentage points, and "
            f"the denominator is rounded too. The report's contact attempted with "
            f"{contact[report_col]} of {att[report_col]} attendances becomes "
            f"{_f(contact[m_cnt])} of {_f(den_m)}, or "
            f"{_f(contact[f'{m_lab}: %'], '{:.0f}')}%. ")
    text += (f"Over **{y_lab}** (12 months of the same caseload) {len(hid_y)} of the "
             f"{len(fr)} counts are suppressed and rounding a numerator moves its percentage "
             f"by at most {_f(err_y, '{:.1f}')} points, so a 12-month snapshot can be "
             "published from person-level records where a one-month one cannot.")
    if programme_monitoring is not None:
        r = _pm_row(programme_monitoring, "contacts_children_young_people", "2020/21")
        text += (f" The synthetic caseload holds about {_f(contact[y_cnt])} attendances with "
                 f"contact attempted in {y_lab} (illustrative: it is calibrated to the "
                 f"report's {float(r['value']):,.0f} contacts with children and young people "
                 f"in 2020/21, {r['citation'].split(', ')[-1]}, and is not a finding).")
    return text
