"""Key stage 4 attainment and disadvantage by district, from the real DfE school tables.

The package ships the real DfE key stage 4 school performance tables of Lancashire County
Council (LEA 888: the 12 Lancashire districts) and Leicestershire (LEA 855: its 7 districts)
for 2017/18, 2018/19 and 2021/22 (`lvrn_analysis.sources.education`). This module turns
them into what the "Causes" page and the ecological model need:

* `real_ks4()` — the validated school rows of the shipped files of both areas, and
  `ks4_accounting()` — rows in = kept + rejected per file;
* `ks4_district_table()` — one row per authority × academic year for all 23 authorities of the
  two areas, pupil-weighted (`lvrn_analysis.sources.education.ks4_by_la()`), with the
  number of schools and pupils behind each value, what was excluded, how schools were
  placed, and an explicit "no real data" row for Blackpool, Blackburn with Darwen,
  Leicester and Rutland (unitary authorities whose files are not shipped);
* `ks4_england()` — England's state-funded values from the same files (``RECTYPE`` 7);
* `ks4_suppression_table()` and `ks4_placement_table()` — the ``SUPP``/``NE``/``NP``
  codes and the school → district placement, counted;
* `ks4_factors()` — the tidy ``la_code, factor, period, value`` frame of the districts with
  real values, for the ecological model;
* `ks4_sentence()`, `ks4_coverage_sentence()`, `ks4_display()` and `ks4_figure()` — the
  page's sentences, table and figure.

Every value is a pupil-weighted mean over state-funded schools: weight = ``TPUP`` (pupils
at the end of key stage 4) for Attainment 8 (``TOTATT8`` / ``TPUP``), the English and maths
measure (``PTL2BASICS_95``) and the share of disadvantaged pupils (``TFSM6CLA1A`` /
``TPUP``); ``TFSM6CLA1A`` and ``TNOTFSM6CLA1A`` for the Attainment 8 of disadvantaged and of
other pupils (``ATT8SCR_FSM6CLA1A``, ``ATT8SCR_NFSM6CLA1A``). A school's ``SUPP``, ``NP``,
``NA`` or blank value is left out of the numerator and the weights and counted; ``NE`` (no
entries) counts as 0 points, as in DfE's own LEA figures.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities
from lvrn_analysis.sources import education
from lvrn_analysis.story.causes.model_figures import _place_labels

__all__ = [
    "KS4_AREAS",
    "KS4_FACTORS",
    "KS4_MAPPING",
    "KS4_WEIGHTS",
    "ks4_accounting",
    "ks4_coverage_sentence",
    "ks4_display",
    "ks4_district_table",
    "ks4_england",
    "ks4_factors",
    "ks4_figure",
    "ks4_placement_table",
    "ks4_sentence",
    "ks4_suppression_table",
    "real_ks4",
]

#: The configured areas whose shipped KS4 files are used.
KS4_AREAS: tuple[str, ...] = ("lancashire", "leicestershire")
#: Factors of `ks4_factors()`: factor -> (column of `ks4_district_table()`, label).
KS4_FACTORS: dict[str, tuple[str, str]] = {
    "ks4_att8": ("att8", "Attainment 8, average per pupil (DfE KS4 tables; protective)"),
    "ks4_pct_basics_95": ("pct_basics_95",
                          "% of pupils with grade 5 or above in English and maths"),
    "ks4_pct_disadvantaged": ("pct_disadvantaged",
                              "% of pupils at the end of KS4 who are disadvantaged"),
    "ks4_att8_gap": ("att8_gap",
                     "Attainment 8 gap: other pupils minus disadvantaged pupils"),
}
#: How schools are placed in districts (stated in the table and on the page).
KS4_MAPPING = (
    "School postcode, via a postcode-sector table compiled by hand for this project "
    "(not the ONS Postcode Directory) and reviewed school by school against each school's "
    "town and parliamentary constituency in the DfE file; unitary LEAs are their own "
    "district")
#: The weights (stated in the table's documentation and on the page).
KS4_WEIGHTS = ("pupils at the end of key stage 4 (TPUP) for Attainment 8, grade 5+ in English "
           "and maths and % disadvantaged; disadvantaged pupils (TFSM6CLA1A) and other "
           "pupils (TNOTFSM6CLA1A) for the two groups' Attainment 8")
_STATUS_CODES = {"suppressed": "SUPP", "no_entries": "NE", "not_published": "NP",
                 "not_applicable": "NA", "blank": "blank"}
_GROUP_MEASURES = {  # measure -> (status column, weight column)
    "att8": ("att8_status", "pupils"), "pct_basics_95": ("basics_95_status", "pupils"),
    "pct_disadvantaged": ("disadvantaged_status", "pupils"),
    "att8_disadvantaged": ("att8_disadvantaged_status", "disadvantaged"),
    "att8_other": ("att8_other_status", "pupils_other"),
}


@functools.lru_cache(maxsize=4)
def _load(areas: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    kept, acct = [], []
    for a in areas:
        area = load_area(a)
        for path in education.default_inputs(area):
            res = education.load_ks4(path, area)[0]
            res.check_accounting()
            k = res.kept.assign(area=a)
            kept.append(k)
            schools = k[k["record_type"].isin(["1", "2"])]
            acct.append({"area": a, "file": res.path, "academic_year": k["academic_year"].iloc[0],
                         "lea": schools["lea"].iloc[0], "rows_in": res.rows_in,
                         "rows_kept": res.rows_kept, "rows_rejected": res.rows_rejected,
                         "schools": len(schools),
                         "schools_unplaced": int((schools["district_method"]
                                                  == "unallocated").sum()),
                         "state_schools_unplaced": int(((schools["district_method"]
                                                         == "unallocated")
                                                        & schools["state_funded"]).sum())})
    return pd.concat(kept, ignore_index=True), pd.DataFrame(acct)


def real_ks4(areas: Sequence[str] = KS4_AREAS) -> pd.DataFrame:
    """Return the kept rows of every shipped real KS4 file of the areas.

    Parameters
    ----------
    areas
        Configured area ids (default: pan-Lancashire and Leicester, Leicestershire and
        Rutland); each area's shipped files are those of its LEAs
        (`lvrn_analysis.sources.education.default_inputs()`).

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.sources.education.SCHEMA` columns plus ``area``.
    """
    return _load(tuple(areas))[0].copy()


def ks4_accounting(areas: Sequence[str] = KS4_AREAS) -> pd.DataFrame:
    """Return the row accounting of each shipped file: rows in = kept + rejected.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``file``, ``academic_year``, ``lea``, ``rows_in``, ``rows_kept``,
        ``rows_rejected``, ``schools``, ``schools_unplaced`` (no district could be
        found) and ``state_schools_unplaced``.
    """
    return _load(tuple(areas))[1].copy()


def _authorities(areas: Sequence[str]) -> pd.DataFrame:
    lea_of = {v: k for k, v in education.LEA_CODES.items()}
    frames = [local_authorities(load_area(a)).assign(area=a) for a in areas]
    las = pd.concat(frames, ignore_index=True)
    las["lea"] = las["upper_tier_code"].map(lea_of).astype("str")
    return las[["area", "la_code", "la_name", "upper_tier_name", "la_type", "lea"]]


def ks4_district_table(kept: pd.DataFrame | None = None, *,
                       areas: Sequence[str] = KS4_AREAS) -> pd.DataFrame:
    """Pupil-weighted KS4 attainment and disadvantage per authority and academic year.

    Parameters
    ----------
    kept
        Kept rows from `real_ks4()` (default: loaded for ``areas``); needs ``area``.
    areas
        Areas whose authorities are listed.

    Returns
    -------
    pandas.DataFrame
        One row per authority of the areas × academic year in the files (plus an
        ``unallocated`` row where a state-funded school could not be placed), sorted by
        area, year and code: ``area``, ``academic_year``, ``la_code``, ``la_name``,
        ``upper_tier_name``, ``lea``, ``data`` (``"real"`` or ``"no real data"``), the
        columns of `lvrn_analysis.sources.education.ks4_by_la()` (values missing where
        there are no real data), ``mapping`` (how its schools were placed) and ``note``.
    """
    kept = real_ks4(areas) if kept is None else kept
    las = _authorities(areas)
    frames = []
    for a in areas:
        k = kept[kept["area"] == a]
        years = sorted(k["academic_year"].unique())
        agg = education.ks4_by_la(k) if len(k) else None
        grid = las[las["area"] == a].merge(pd.DataFrame({"academic_year": years}), how="cross")
        if agg is None:
            frames.append(grid)
            continue
        una = agg[agg["la_code"].isna()].assign(area=a, la_name="unallocated")
        both = grid.merge(agg.drop(columns="la_name"), on=["academic_year", "la_code"],
                          how="left")
        frames.append(pd.concat([both, una], ignore_index=True))
    out = pd.concat(frames, ignore_index=True)
    real = out["schools"].notna()
    out.insert(6, "data", np.where(real, "real", "no real data"))
    how = out["district_method"].fillna("")
    out["mapping"] = np.where(
        how.str.contains("postcode"), "postcode (" + how + "); " + KS4_MAPPING,
        np.where(how == "unitary_lea", "unitary authority = its LEA", ""))
    out["note"] = np.where(
        real, "",
        "no DfE key stage 4 file for " + out["la_name"].astype(str) + " (LEA "
        + out["lea"].astype(str) + ", " + out["la_type"].fillna("").str.lower()
        + ") is shipped; no value is shown or filled in")
    for c in ("schools", "schools_with_pupils", "pupils"):
        out[c] = out[c].astype("Int64")
    out = out.drop(columns=["la_type", "district_method"])
    order = {a: i for i, a in enumerate(areas)}
    out = out.assign(_a=out["area"].map(order)).sort_values(
        ["_a", "academic_year", "la_code"], na_position="last", kind="stable")
    return out.drop(columns="_a").reset_index(drop=True)


def ks4_england(kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """England's state-funded values (DfE ``RECTYPE`` 7 rows) per academic year.

    Returns
    -------
    pandas.DataFrame
        ``academic_year``, ``pupils``, ``att8``, ``pct_basics_95``,
        ``pct_disadvantaged``, ``att8_disadvantaged``, ``att8_other``, ``att8_gap``.
    """
    kept = real_ks4() if kept is None else kept
    e = kept[kept["record_type"] == "7"].drop_duplicates("academic_year")
    out = e[["academic_year", "pupils", "att8", "pct_basics_95", "pct_disadvantaged",
             "att8_disadvantaged", "att8_other"]].copy()
    out["att8_gap"] = out["att8_other"] - out["att8_disadvantaged"]
    return out.sort_values("academic_year").reset_index(drop=True)


def ks4_suppression_table(kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count the state-funded schools whose value of each measure is not published.

    Only schools with pupils at the end of key stage 4 are counted. ``NE`` schools are
    counted here although their pupils enter the Attainment 8 and English and maths
    averages with 0 points (DfE's method); ``SUPP``, ``NP``, ``NA`` and blank values are
    left out of both numerator and weights.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``academic_year``, ``measure``, ``code`` (``SUPP``, ``NE``, ``NP``,
        ``NA``, ``blank``), ``schools``, ``pupils`` (their pupils at the end of KS4).
    """
    kept = real_ks4() if kept is None else kept
    s = kept[kept["record_type"].isin(["1", "2"]) & kept["state_funded"]
             & (kept["pupils"].fillna(0) > 0)]
    rows = []
    for m, (status, _w) in _GROUP_MEASURES.items():
        bad = s[s[status] != "published"]
        g = bad.groupby(["area", "academic_year", status]).agg(
            schools=("urn", "size"), pupils=("pupils", "sum")).reset_index()
        rows.append(g.rename(columns={status: "code"}).assign(measure=m))
    out = pd.concat(rows, ignore_index=True)
    out["code"] = out["code"].map(_STATUS_CODES).fillna(out["code"])
    out["pupils"] = out["pupils"].astype("int64")
    return out[["area", "academic_year", "measure", "code", "schools", "pupils"]].sort_values(
        ["area", "academic_year", "measure", "code"]).reset_index(drop=True)


def ks4_placement_table(kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count how the schools of each file were placed in districts.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``academic_year``, ``state_funded``, ``district_method``
        (``postcode_sector``, ``postcode_outward``, ``postcode_lookup``, ``unitary_lea``
        or ``unallocated``), ``schools``.
    """
    kept = real_ks4() if kept is None else kept
    s = kept[kept["record_type"].isin(["1", "2"])]
    return (s.groupby(["area", "academic_year", "state_funded", "district_method"])
            .size().rename("schools").reset_index())


def ks4_factors(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the real KS4 factors of the districts, tidy, for the ecological model.

    Parameters
    ----------
    table
        `ks4_district_table()` (default: of both areas).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``factor`` (a key of `KS4_FACTORS`), ``period`` (academic year,
        ``"2021/22"``), ``value``; only districts with real values (no unitary
        authority, no ``unallocated`` row), sorted.
    """
    table = ks4_district_table() if table is None else table
    t = table[(table["data"] == "real") & table["la_code"].notna()
              & (table["la_name"] != "unallocated")]
    rows = [pd.DataFrame({"la_code": t["la_code"], "factor": f, "period": t["academic_year"],
                          "value": t[col].astype("float64")})
            for f, (col, _label) in KS4_FACTORS.items()]
    out = pd.concat(rows, ignore_index=True).dropna(subset=["value"])
    return out.sort_values(["factor", "period", "la_code"]).reset_index(drop=True)


def ks4_coverage_sentence(accounting: pd.DataFrame | None = None,
                          kept: pd.DataFrame | None = None) -> str:
    """Return the sentence on what the files hold, how schools were placed and what was left out.

    Parameters
    ----------
    accounting
        `ks4_accounting()` (default: of both areas).
    kept
        `real_ks4()` (default: of both areas).

    Returns
    -------
    str
        Files and rows read (in = kept + quarantined), school records placed by postcode
        sector or outward code, records that could not be placed, and the ``SUPP`` and
        ``NE`` counts of Attainment 8 and of the disadvantaged pupils' Attainment 8, over
        all years.
    """
    accounting = ks4_accounting() if accounting is None else accounting
    kept = real_ks4() if kept is None else kept
    place = ks4_placement_table(kept)
    sup = ks4_suppression_table(kept)
    state = place[place["state_funded"]]
    n = state.groupby("district_method")["schools"].sum()
    una = place[place["district_method"] == "unallocated"]
    una_state = int(una.loc[una["state_funded"], "schools"].sum())

    def cnt(measure: str, code: str, col: str) -> int:
        return int(sup.loc[(sup["measure"] == measure) & (sup["code"] == code), col].sum())

    return (
        f"The {len(accounting)} DfE files hold {int(accounting['rows_in'].sum()):,} rows; "
        f"{int(accounting['rows_kept'].sum()):,} were kept and "
        f"{int(accounting['rows_rejected'].sum())} quarantined. Of "
        f"{int(state['schools'].sum()):,} state-funded school records (a school counts once "
        f"a year), {int(n.get('postcode_sector', 0))} were placed in a district by postcode "
        f"sector (such as PR5 6) and {int(n.get('postcode_outward', 0))} by outward code "
        "(such as BB5), and "
        f"{una_state} could not be placed; {int(una['schools'].sum())} independent school "
        "records could not be placed either (outside the county or no postcode given), and "
        "independent schools are outside these figures, as they are outside DfE's county "
        f"totals. Over the three years, Attainment 8 was suppressed for "
        f"{cnt('att8', 'SUPP', 'schools')} state-funded school records "
        f"({cnt('att8', 'SUPP', 'pupils')} pupils), which are left out, and was 'no entries' "
        f"for {cnt('att8', 'NE', 'schools')} ({cnt('att8', 'NE', 'pupils')} pupils), which "
        "count as 0 points; the Attainment 8 of disadvantaged pupils was suppressed for "
        f"{cnt('att8_disadvantaged', 'SUPP', 'schools')} school records "
        f"({cnt('att8_disadvantaged', 'SUPP', 'pupils')} pupils in those schools).")


def _latest(table: pd.DataFrame, year: str | None) -> tuple[pd.DataFrame, str]:
    real = table[(table["data"] == "real") & (table["la_name"] != "unallocated")]
    year = year or str(real["academic_year"].max())
    return table[table["academic_year"] == year], year


def ks4_sentence(table: pd.DataFrame, england: pd.DataFrame, *,
                      year: str | None = None) -> str:
    """Return the page's sentence on the district values of one year (default: latest).

    Parameters
    ----------
    table
        `ks4_district_table()`.
    england
        `ks4_england()`.
    year
        Academic year, ``"2021/22"``.

    Returns
    -------
    str
        Ranges of Attainment 8 and of the disadvantaged share, their correlation across
        districts, what was excluded, and the authorities with no real data.
    """
    t, year = _latest(table, year)
    r = t[(t["data"] == "real") & (t["la_name"] != "unallocated")]
    e = england[england["academic_year"] == year].iloc[0]
    lo, hi = r.loc[r["att8"].idxmin()], r.loc[r["att8"].idxmax()]
    dlo, dhi = r.loc[r["pct_disadvantaged"].idxmin()], r.loc[r["pct_disadvantaged"].idxmax()]
    corr = float(np.corrcoef(r["pct_disadvantaged"], r["att8"])[0, 1])
    none = t[t["data"] == "no real data"]["la_name"].tolist()
    none_txt = ", ".join(none[:-1]) + f" and {none[-1]}" if len(none) > 1 else "".join(none)
    excl = int(r["att8_schools_excluded"].sum())
    excl_p = int(r["att8_pupils_excluded"].sum())
    ne = int(r["att8_schools_no_entries"].sum())
    return (
        f"In {year}, across the {len(r)} districts with a real DfE file "
        f"({int(r['schools'].sum())} state-funded schools, {int(r['pupils'].sum()):,} pupils "
        f"at the end of key stage 4), the pupil-weighted Attainment 8 ranged from "
        f"{lo['att8']:.1f} in {lo['la_name']} to {hi['att8']:.1f} in {hi['la_name']} "
        f"(England, state-funded schools: {e['att8']:.1f}), and the share of pupils who are "
        f"disadvantaged from {dlo['pct_disadvantaged']:.1f}% in {dlo['la_name']} to "
        f"{dhi['pct_disadvantaged']:.1f}% in {dhi['la_name']} (England: "
        f"{e['pct_disadvantaged']:.0f}%). Districts with more disadvantaged pupils had "
        f"lower average attainment (correlation {corr:.2f} across the {len(r)} districts). "
        f"{excl} school{'s' if excl != 1 else ''} with {excl_p} pupils had a suppressed "
        f"Attainment 8 and {'were' if excl != 1 else 'was'} left out; {ne} "
        f"school{'s' if ne != 1 else ''} whose pupils had no entries (NE) counted as 0 "
        f"points, as in DfE's own figures. {none_txt} have no real key stage 4 file in the "
        "package, so they have no value here.").replace("-0.", "−0.")


def ks4_display(table: pd.DataFrame, england: pd.DataFrame | None = None, *,
                     year: str | None = None) -> pd.DataFrame:
    """Format one year of `ks4_district_table()` for publication.

    One row per authority (``"no real data"`` in every cell of an authority without a
    real file), then England's state-funded values if ``england`` is given.
    """
    t, year = _latest(table, year)
    t = t[t["la_name"] != "unallocated"]
    real = t["data"] == "real"

    def fmt(col: str, spec: str) -> list[str]:
        return [(format(int(v), spec) if spec in ("d", ",") else format(v, spec))
                if ok and pd.notna(v) else "no real data"
                for v, ok in zip(t[col], real, strict=True)]

    out = pd.DataFrame({
        "Authority": t["la_name"].to_numpy(), "County / LEA": [
            f"{u} ({lea})" for u, lea in zip(t["upper_tier_name"], t["lea"], strict=True)],
        "Schools": fmt("schools", "d"), "Pupils": fmt("pupils", ","),
        "Attainment 8": fmt("att8", ".1f"), "Grade 5+ English & maths, %":
            fmt("pct_basics_95", ".1f"),
        "Disadvantaged, %": fmt("pct_disadvantaged", ".1f"),
        "Attainment 8, disadvantaged": fmt("att8_disadvantaged", ".1f"),
        "Attainment 8, other pupils": fmt("att8_other", ".1f"),
        "Gap": fmt("att8_gap", ".1f"),
        "Schools left out (suppressed)": fmt("att8_schools_excluded", "d"),
    })
    if england is not None:
        e = england[england["academic_year"] == year].iloc[0]
        row = dict.fromkeys(out.columns, "")
        row.update({"Authority": "England (state-funded schools)", "Pupils": f"{e['pupils']:,}",
                    "Attainment 8": f"{e['att8']:.1f}",
                    "Grade 5+ English & maths, %": f"{e['pct_basics_95']:.1f}",
                    "Disadvantaged, %": f"{e['pct_disadvantaged']:.1f}",
                    "Attainment 8, disadvantaged": f"{e['att8_disadvantaged']:.1f}",
                    "Attainment 8, other pupils": f"{e['att8_other']:.1f}",
                    "Gap": f"{e['att8_gap']:.1f}"})
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out


def ks4_figure(table: pd.DataFrame, england: pd.DataFrame, *, source: str,
                      year: str | None = None) -> Figure:
    """Scatter of Attainment 8 against the disadvantaged share, one dot per district.

    Parameters
    ----------
    table, england
        `ks4_district_table()` and `ks4_england()`.
    source
        Source line (`lvrn_analysis.charts.plots.source_line()`).
    year
        Academic year (default: the latest).

    Returns
    -------
    matplotlib.figure.Figure
        Lancashire and Leicestershire districts in two colours, England's state-funded
        values as dashed lines, and the authorities without real data named on the chart.
    """
    t, year = _latest(table, year)
    r = t[(t["data"] == "real") & (t["la_name"] != "unallocated")]
    e = england[england["academic_year"] == year].iloc[0]
    fig, ax = plots.new_figure(figsize=(8.5, 5.8))
    colours = list(plots.PALETTE)
    for i, (county, g) in enumerate(r.groupby("upper_tier_name", sort=True)):
        ax.plot(g["pct_disadvantaged"], g["att8"], "o", ms=7, color=colours[i % len(colours)],
                label=f"{county} districts (LEA {g['lea'].iloc[0]})")
    ax.axhline(e["att8"], color="#444444", lw=1, ls="--")
    ax.axvline(e["pct_disadvantaged"], color="#444444", lw=1, ls="--")
    ax.text(ax.get_xlim()[1], e["att8"], f" England {e['att8']:.1f}", va="bottom", ha="right",
            fontsize=8, color="#444444")
    ax.text(e["pct_disadvantaged"], ax.get_ylim()[1], f" England {e['pct_disadvantaged']:.0f}%",
            va="top", ha="left", fontsize=8, color="#444444")
    none = t[t["data"] == "no real data"]["la_name"].tolist()
    ax.text(0.01, 0.02, "No real KS4 file (not shown): " + ", ".join(none), fontsize=8,
            transform=ax.transAxes, color="#444444")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    title = (f"Key stage 4 attainment and disadvantage by district, {year} "
             "(real DfE school tables)")
    plots.finish(fig, title=title, source=source, alt="placeholder",
                 xlabel="Pupils at the end of key stage 4 who are disadvantaged, %",
                 ylabel="Attainment 8, average per pupil (pupil-weighted)")
    _place_labels(ax, r["pct_disadvantaged"].to_numpy(float), r["att8"].to_numpy(float),
                  list(r["la_name"].astype(str)))
    lo, hi = r.loc[r["att8"].idxmin()], r.loc[r["att8"].idxmax()]
    fig.lvrn_alt = (
        f"Scatter of {len(r)} districts in {year}: Attainment 8 against the percentage of "
        f"disadvantaged pupils. Attainment is lowest in {lo['la_name']} ({lo['att8']:.1f}, "
        f"{lo['pct_disadvantaged']:.0f}% disadvantaged) and highest in {hi['la_name']} "
        f"({hi['att8']:.1f}, {hi['pct_disadvantaged']:.0f}% disadvantaged); districts with "
        f"more disadvantaged pupils tend to have lower attainment. England: "
        f"{e['att8']:.1f}. No real data for {', '.join(none)}.")
    return fig
