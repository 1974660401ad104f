"""People, time, place and means: the ED assault attendance tables and their sentences.

From the person-level ED assault attendances
(`lvrn_analysis.sources.ed`): `age_sex_table()`, `hour_weekday_table()`,
`one_way_table()` (incident location, means of assault),
`alcohol_drugs_table()` and `repeat_table()`, each an
`lvrn_analysis.story.ed_profile.controlled.EdTable`, and the sentences that
quote their published counts (`period_text()`, `people_text()`, `time_text()`,
`place_means_text()`, `alcohol_drugs_text()`, `repeat_text()`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.sources import ed
from lvrn_analysis.story.ed_profile.controlled import (
    TOTAL,
    EdTable,
    _f,
    _pct,
    controlled_count,
    published_counts,
    published_value,
    suppression_summary,
)
from lvrn_analysis.story.ed_profile.records import (
    NAVIGATOR_SITE,
    WEEKDAYS,
    _labels,
    _site_name,
    in_period,
)

__all__ = [
    "age_sex_table",
    "alcohol_drugs_table",
    "alcohol_drugs_text",
    "hour_weekday_table",
    "one_way_table",
    "people_text",
    "period_text",
    "place_means_text",
    "recorded_share",
    "repeat_table",
    "repeat_text",
    "time_text",
]


_YNU = (("Y", "Yes"), ("N", "No"), ("U", "Not recorded"))


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


# ---------------------------------------------------------------------------- prose


#: Said in every sentence that quotes a number from synthetic ED records, so that no
#: sentence copied on its own can pass as a finding.
SYNTHETIC_QUALIFIER = "in the synthetic records (illustrative, not real figures)"


def _is_synthetic(d: pd.DataFrame) -> bool:
    """Return whether a row is synthetic (a frame without ``origin`` counts as synthetic)."""
    if "origin" not in d.columns:
        return True
    return bool(d["origin"].astype(str).str.startswith("synthetic").any())


def _lead(synthetic: bool) -> str:
    """Return the qualifier opening a sentence of synthetic numbers (empty for real data)."""
    return f"{SYNTHETIC_QUALIFIER[0].upper()}{SYNTHETIC_QUALIFIER[1:]}, " if synthetic else ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def period_text(d: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Describe the ED period in Markdown (counts rounded under the project rule).

    When any row is synthetic (column ``origin``), the sentence says that its
    counts are illustrative.
    """
    n_sites = int(d["ed_site"].nunique())
    res = int(d["resident_in_area"].astype(bool).sum())
    kind = ("synthetic ED records (illustrative, not real figures)" if _is_synthetic(d)
            else "ED records")
    return (f"The charts and tables below cover **{start:%B %Y} to {end:%B %Y}**, the latest "
            f"12 months of {kind}: {controlled_count(len(d))} assault attendances at the "
            f"area's {n_sites} type-1 emergency departments, {controlled_count(res)} of them "
            "by residents of the area (non-residents are included: the question is what "
            "the EDs see).")


def people_text(people: EdTable, *, synthetic: bool = True) -> str:
    """Describe the published age and sex table in Markdown.

    With ``synthetic`` (the default: person-level ED data are synthetic in every
    shipped build) the sentence quoting the shares says they are illustrative.
    """
    pub = people.published_counts().set_index("age_band")
    tot = pub.loc[TOTAL]
    male, total = tot["Male"], tot[TOTAL]
    young = pub.loc[["10-17", "18-30"], TOTAL]
    share_m = 100 * float(male) / float(total) if pd.notna(male) and pd.notna(total) else np.nan
    text = (f"{_lead(synthetic)}**{_f(share_m, '{:.0f}')}% of attendances were male**; "
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


def time_text(time_spec: EdTable, *, synthetic: bool = True) -> str:
    """Describe the published hour-by-weekday table in Markdown.

    With ``synthetic`` (the default) the sentence quoting the shares says they are
    illustrative.
    """
    pub = time_spec.published_counts().set_index("hour")
    tot = pd.to_numeric(pub.loc[TOTAL, list(WEEKDAYS)].astype("Float64")).astype(float)
    grand = float(pub.loc[TOTAL, TOTAL]) if pd.notna(pub.loc[TOTAL, TOTAL]) else np.nan
    night_rows = [f"{h:02d}:00" for h in ed.NIGHT_HOURS]
    night = pd.to_numeric(pub.loc[night_rows, TOTAL].astype("Float64")).astype(float)
    weekend = tot[["Saturday", "Sunday"]].sum()
    busiest = tot.idxmax()
    summ = suppression_summary(time_spec.published())
    supp = summ["primary"] + summ["secondary"]
    return (f"{_lead(synthetic)}{_f(100 * weekend / grand, '{:.0f}')}% of attendances arrive "
            "on a Saturday or "
            f"Sunday ({busiest} is the busiest day) and "
            f"{_f(100 * night.sum(skipna=False) / grand, '{:.0f}')}% at night (22:00-05:59). "
            + (f"{supp} of the {summ['cells']} cells are suppressed."
               if supp else "At this volume no cell needed suppressing."))


def place_means_text(place: EdTable, means: EdTable, *, synthetic: bool = True) -> str:
    """Describe the published incident location and means-of-assault tables.

    With ``synthetic`` (the default) every sentence that quotes a share or a count
    says it is illustrative.
    """
    pl = place.published_counts()
    me = means.published_counts()
    lab_p, lab_m = pl.columns[0], me.columns[0]

    def pct(frame: pd.DataFrame, lab: str, row: str) -> str:
        return published_value(frame, "percent", row, by=lab, fmt="{:.0f}")

    knife = published_value(me, "attendances", "Knife or other sharp object", by=lab_m)
    these = " of these synthetic attendances" if synthetic else ""
    return (f"{_lead(synthetic)}assaults happen most often in the street or another public "
            f"place ({pct(pl, lab_p, 'Street or other public place')}%) and at home "
            f"({pct(pl, lab_p, 'Home')}%): home is a proxy for domestic abuse, which these "
            f"records cannot identify. Licensed premises account for "
            f"{pct(pl, lab_p, 'Pub club or bar')}%{these}. {_cap(_lead(synthetic))}most "
            f"injuries are from a body part "
            f"({pct(me, lab_m, 'Body part (fist feet head)')}%); a knife or other sharp "
            f"object was recorded in {pct(me, lab_m, 'Knife or other sharp object')}% "
            f"(about {knife} attendances in 12 months"
            f"{', an illustrative figure' if synthetic else ''}) and the means is unknown in "
            f"{pct(me, lab_m, 'Unknown')}%.")


def alcohol_drugs_text(spec: EdTable, *, synthetic: bool = True) -> str:
    """Describe alcohol and drug involvement from the published cross-table.

    With ``synthetic`` (the default) every sentence that quotes a share or a count
    says it is illustrative.
    """
    pub = spec.published_counts()
    a, g = recorded_share(pub, "alcohol"), recorded_share(pub, "drugs")
    both = pub.set_index("alcohol_involved").loc["Yes", "Drugs: yes"]
    these = " of these synthetic attendances" if synthetic else ""
    return (f"{_lead(synthetic)}alcohol involvement is recorded for "
            f"{_f(a['pct_recorded'], '{:.0f}')}% of "
            f"attendances and, where recorded, **alcohol was involved in "
            f"{_f(a['pct_yes_where_recorded'], '{:.0f}')}%**. Drugs are recorded for "
            f"{_f(g['pct_recorded'], '{:.0f}')}%{these} and were involved in "
            f"{_f(g['pct_yes_where_recorded'], '{:.0f}')}% of those; both together in about "
            f"{_f(both)} attendances.")


def repeat_text(spec: EdTable, site: str = NAVIGATOR_SITE,
                truth: Sequence[Mapping[str, Any]] | None = None, *,
                synthetic: bool = True) -> str:
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
    synthetic
        Whether the records are synthetic (the default in every shipped build):
        each sentence that quotes a share then says it is illustrative.

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
    text = (f"{_lead(synthetic)}"
            f"{_f(100 * tot['repeat_attendances'] / tot['attendances'], '{:.0f}')}% of "
            "attendances were by someone who had attended the same ED in the previous 365 "
            f"days. At {name}, the ED Navigator site, the share is "
            f"{_f(share.get(name), '{:.1f}')}%, against {_f(others.min(), '{:.1f}')}% to "
            f"{_f(others.max(), '{:.1f}')}% at the other sites"
            f"{' (synthetic, illustrative)' if synthetic else ''}.")
    inj = [t for t in (truth or []) if t.get("kind") == "injected_effect"
           and t.get("series") == "repeat attendance share" and t.get("site") == site]
    if inj:
        t = inj[0]
        text += (f" **In these synthetic data the difference is by construction**: the "
                 f"generator multiplied the site's repeat share by {float(t['ratio']):.2f} "
                 f"from {t['start']} (recorded in the build's ground truth), so it shows the "
                 "method, not evidence that the scheme works.")
    return text
