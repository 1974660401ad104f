"""The "causes of the causes" the LVRN report names, and the real measure we have of each.

The LVRN evaluation report (June 2021) names the risk factors the needs assessment found:
§2.3 Table 1 ("Causes of the causes: risk factors for serious violence": poor school
attendance and attainment including fixed-period exclusions and persistent absence, poor
emotional and mental health in school-age children, young people NEET), the deprivation
of the county (§1.2), the Fingertips domains the needs assessment drew on — drugs and
alcohol, mental health, adverse childhood experiences (§2.3) — alcohol and drugs as
influencing factors in the Navigator caseload (§5.2) and children going on to care plans
(§3.4). ``reference/indicators_real/named_causes.csv`` lists them, each with the report's
words, the keys of the real measures that bear on it and whether a measure is direct or
only a proxy.

* `named_causes()` — that cited table;
* `cause_measures()` — for each cause, the real measures this build actually holds
  (indicator, latest period, geography) or "no real measure reachable";
* `cause_measures_display()` and `causes_sentence()` — the same for the page;
* `synthetic_fill()` — synthetic spine rows for a cause with no real value for an
  authority, drawn hatched and labelled SYNTHETIC by
  `lvrn_analysis.charts.real_spine.spine_figure()`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.sources.fingertips import curated_indicators
from lvrn_analysis.story.causes.real_spine import ENGLAND, latest_periods

__all__ = [
    "cause_measures",
    "cause_measures_display",
    "causes_sentence",
    "named_causes",
    "synthetic_fill",
]

#: Measures that do not come from the ``indicators_real`` table.
OTHER_MEASURES: dict[str, str] = {
    "imd2019_score": "IMD 2019 average score (MHCLG)",
    "ks4_att8": "Average Attainment 8 score (DfE key stage 4 performance tables)",
}
NO_MEASURE = "no real measure reachable"


@functools.cache
def _causes() -> pd.DataFrame:
    with reference_file("indicators_real/named_causes.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df["synthetic_fingertips_id"] = pd.to_numeric(
        df["synthetic_fingertips_id"].replace("", None)).astype("Int64")
    return df


def named_causes() -> pd.DataFrame:
    """Return the cited table of the causes the LVRN report names.

    Returns
    -------
    pandas.DataFrame
        ``cause``, ``report_ref`` (section), ``report_words``, ``measures`` (``;``-separated
        measure keys: ``indicators_real`` keys, ``imd2019_score``, ``ks4_att8``),
        ``relation`` (``direct``, ``proxy`` or ``none``), ``synthetic_fingertips_id`` (the
        curated Fingertips indicator a synthetic row may stand in with) and ``note``.
    """
    return _causes().copy()


def _real_rows(df: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of a processed table (``origin`` real…) or a district table (``data == "real"``)."""
    if df is None or df.empty:
        return pd.DataFrame()
    if "origin" in df.columns:
        return df[df["origin"].astype("str").str.startswith("real")]
    if "data" in df.columns:
        return df[df["data"].astype("str") == "real"]
    return df


def cause_measures(real: pd.DataFrame, *, imd: pd.DataFrame | None = None,
                   ks4: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return, for each named cause, the real measures this build holds.

    Parameters
    ----------
    real
        The ``indicators_real`` table.
    imd
        The ``imd2019`` table (optional; counted only where its ``origin`` is real).
    ks4
        Key stage 4 values by authority (optional): the ``ks4_by_la`` table (rows whose
        ``origin`` is real; the synthetic twin never counts) or
        `lvrn_analysis.story.causes.attainment.ks4_district_table()` (rows whose ``data``
        is ``"real"``); needs ``la_code``, ``att8`` and ``academic_year``.

    Returns
    -------
    pandas.DataFrame
        One row per cause × measure (one row with ``measure`` missing when none is
        reachable): ``cause``, ``report_ref``, ``relation``, ``measure_key``,
        ``measure``, ``publisher``, ``period``, ``geography``, ``status`` (``real``,
        ``real proxy`` or ``no real measure reachable``) and ``note``.
    """
    from lvrn_analysis.sources.indicators_real import indicator_reference

    ref = indicator_reference().set_index("indicator_key")
    latest = latest_periods(real).set_index("indicator_key")
    imd_r, ks4_r = _real_rows(imd), _real_rows(ks4)
    rows = []
    for c in _causes().itertuples(index=False):
        found = []
        for key in [k for k in c.measures.split(";") if k]:
            if key in latest.index:
                m = ref.loc[key]
                found.append((key, f"{m['label']} ({m['unit_label']})", m["publisher"],
                              str(latest.loc[key, "period"]),
                              "lower tier (each district and unitary)" if m["tier"] == "lower"
                              else "upper tier (county or unitary)"))
            elif key == "imd2019_score" and not imd_r.empty:
                found.append((key, OTHER_MEASURES[key], "MHCLG", "2019 (mostly 2015/16 data)",
                              f"lower tier ({int(imd_r['imd_score'].notna().sum())} "
                              "English districts and unitaries)"))
            elif key == "ks4_att8" and not ks4_r.empty and ks4_r["att8"].notna().any():
                has = ks4_r[ks4_r["att8"].notna()]
                found.append((key, OTHER_MEASURES[key], "DfE", str(has["academic_year"].max()),
                              f"district ({has['la_code'].nunique()} authorities with real "
                              "files; no England distribution)"))
        status = "real proxy" if c.relation == "proxy" else "real"
        for key, label, pub, period, geo in found:
            rows.append({"cause": c.cause, "report_ref": c.report_ref, "relation": c.relation,
                         "measure_key": key, "measure": label, "publisher": pub,
                         "period": period, "geography": geo, "status": status,
                         "note": c.note})
        if not found:
            rows.append({"cause": c.cause, "report_ref": c.report_ref, "relation": c.relation,
                         "measure_key": None, "measure": None, "publisher": None,
                         "period": None, "geography": None, "status": NO_MEASURE,
                         "note": c.note})
    return pd.DataFrame(rows)


def cause_measures_display(measures: pd.DataFrame) -> pd.DataFrame:
    """Return `cause_measures()` as the page's table (one row per cause × measure)."""
    return pd.DataFrame({
        "Cause named in the LVRN report": measures["cause"],
        "Where (report)": measures["report_ref"],
        "Real measure in this build": measures["measure"].fillna(NO_MEASURE),
        "Period": measures["period"].fillna("-"),
        "Geography": measures["geography"].fillna("-"),
        "Publisher": measures["publisher"].fillna("-"),
        "Measure or proxy": measures["status"].map({"real": "direct measure",
                                                    "real proxy": "proxy only",
                                                    NO_MEASURE: "-"}),
        "Note": measures["note"],
    })


def _listing(items: list[str]) -> str:
    items = [i[0].lower() + i[1:] for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def causes_sentence(measures: pd.DataFrame) -> str:
    """Say plainly which named causes have a real measure, a proxy only, or none.

    Parameters
    ----------
    measures
        Output of `cause_measures()`.

    Returns
    -------
    str
        Markdown with the three counts and the causes in each.
    """
    by = measures.groupby("cause", sort=False)["status"].first()
    direct = [c for c, s in by.items() if s == "real"]
    proxy = [c for c, s in by.items() if s == "real proxy"]
    none = [c for c, s in by.items() if s == NO_MEASURE]
    text = f"Of the {len(by)} causes of the causes the report names, "
    text += (f"**{len(direct)} have a direct real measure** in this build"
             + (f" ({_listing(direct)})" if direct else ""))
    text += (f", **{len(proxy)} only a proxy**" + (f" ({_listing(proxy)})" if proxy else ""))
    text += (f" and **{len(none)} have no real measure we could reach**"
             + (f": {_listing(none)}" if none else "") + ".")
    return text


def _available(spine: pd.DataFrame, keys: list[str], la_code: str,
               imd_r: pd.DataFrame, ks4_r: pd.DataFrame) -> bool:
    sel = spine[(spine["la_code"] == la_code) & spine["indicator_key"].isin(keys)]
    if sel["value"].notna().any():
        return True
    if "imd2019_score" in keys and not imd_r.empty and \
            imd_r.loc[imd_r["la_code"] == la_code, "imd_score"].notna().any():
        return True
    return "ks4_att8" in keys and not ks4_r.empty and \
        ks4_r.loc[ks4_r["la_code"] == la_code, "att8"].notna().any()


def synthetic_fill(spine: pd.DataFrame, synthetic: pd.DataFrame, authorities: pd.DataFrame,
                   *, imd: pd.DataFrame | None = None,
                   ks4: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return synthetic spine rows for causes with no real value for an authority.

    For each named cause with a ``synthetic_fingertips_id`` and each authority with no
    real value of any of the cause's measures (in ``spine``, or in real ``imd``/``ks4``
    rows), the authority's value of that indicator in the **synthetic** Fingertips
    table (rows whose ``origin`` is ``synthetic``; a real export is never relabelled)
    at its latest period, with England's synthetic value and the range of the area's
    authorities (the synthetic export has no England distribution).

    Parameters
    ----------
    spine
        `lvrn_analysis.story.causes.real_spine.real_spine_data()` without extras.
    synthetic
        The ``fingertips`` processed table.
    authorities
        The area's authorities.
    imd, ks4
        As in `cause_measures()`.

    Returns
    -------
    pandas.DataFrame
        Rows in the spine layout with ``origin == "synthetic"`` and ``comparison ==
        "synthetic"`` (empty if no cause needs one).
    """
    if synthetic is None or synthetic.empty or "origin" not in synthetic.columns:
        return pd.DataFrame()
    syn = synthetic[synthetic["origin"].astype("str") == "synthetic"]
    if "is_category" in syn.columns:
        syn = syn[~syn["is_category"].astype(bool)]
    cur = curated_indicators().set_index("indicator_id")
    imd_r, ks4_r = _real_rows(imd), _real_rows(ks4)
    rows = []
    for c in _causes().itertuples(index=False):
        iid = c.synthetic_fingertips_id
        if pd.isna(iid) or int(iid) not in set(syn["indicator_id"].dropna().astype(int)):
            continue
        part = syn[syn["indicator_id"] == int(iid)]
        order = "period_start" if "period_start" in part.columns else "time_period"
        eng = part[part["area_code"] == ENGLAND].sort_values(order, kind="stable")
        if eng.empty:
            continue
        period = eng["time_period"].iloc[-1]
        now = part[part["time_period"] == period]
        local = now[now["area_code"].isin(authorities["la_code"])].set_index("area_code")
        vals = local["value"].dropna().to_numpy(dtype=float)
        if len(vals) == 0:
            continue
        meta = cur.loc[int(iid)]
        low_good = meta["polarity"] == "low_is_good"
        lo, hi = float(vals.min()), float(vals.max())
        q25, q75 = np.percentile(vals, [25, 75])
        keys = [k for k in c.measures.split(";") if k]
        for a in authorities.itertuples(index=False):
            if _available(spine, keys, a.la_code, imd_r, ks4_r) or a.la_code not in local.index:
                continue
            rows.append({
                "la_code": a.la_code, "la_name": a.la_name,
                "indicator_key": f"synthetic_{int(iid)}", "label": str(meta["name"]),
                "tier": "lower", "value_area_code": a.la_code, "value_area_name": a.la_name,
                "period": str(period), "value": float(local.loc[a.la_code, "value"]),
                "value_note": "synthetic", "comparison": "synthetic",
                "england_value": float(eng["value"].iloc[-1]), "n_areas": len(vals),
                "worst": hi if low_good else lo, "q25": float(q25), "q75": float(q75),
                "best": lo if low_good else hi, "polarity": meta["polarity"],
                "unit_label": str(meta["unit"]),
                "range_label": f"the area's {len(vals)} authorities (synthetic rows)",
                "origin": "synthetic", "publisher": "synthetic (Fingertips format)",
            })
    return pd.DataFrame(rows)
