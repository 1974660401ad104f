"""Each authority's value of each curated Fingertips indicator, compared with England.

`indicator_values()` takes the latest value of each curated indicator for each
authority and England; `fill_intervals()` recomputes missing 95 % intervals where the
statistic allows it (`interval_check()` checks the exported ones the same way, and
`interval_sentence()` reports both); `compare_with_england()` adds the Fingertips
comparison with England at 95 %
(`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`: the area's 95 % interval
wholly above or below the England value, otherwise similar).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.stats.benchmarking import compare_to_benchmark

__all__ = [
    "ENGLAND_CODE",
    "SHORT_LABELS",
    "compare_with_england",
    "fill_intervals",
    "indicator_values",
    "interval_check",
    "interval_sentence",
]

#: ONS code of England in Fingertips exports.
ENGLAND_CODE = "E92000001"

#: Short labels for charts and tables (indicator ID -> label with unit).
SHORT_LABELS: dict[int, str] = {
    11201: "Hospital admissions for violence (per 100,000, DSR)",
    11202: "Violence offences (per 1,000)",
    10401: "First-time entrants to youth justice (per 100,000 aged 10-17)",
    93203: "16-17 year olds NEET or not known (%)",
    93701: "Children in low-income families (%)",
    93378: "Attainment 8 (average score)",
    93553: "Deprivation: IMD 2019 score",
    90803: "Children in care (per 10,000 aged under 18)",
    90813: "Self-harm admissions, 10-24 (per 100,000)",
    20401: "Under-18 conceptions (per 1,000 females 15-17)",
    10301: "Pupil absence (%)",
    92863: "Domestic abuse incidents and crimes (per 1,000 aged 16+)",
    93700: "Children in relative low-income families (%)",
    90630: "Substance misuse admissions, 15-24 (per 100,000)",
}

_POLARITY = {"low_is_good": "lower is better", "high_is_good": "higher is better",
             "no_judgement": "no judgement"}


def _label(iid: int, name: str) -> str:
    return SHORT_LABELS.get(int(iid), str(name))


def indicator_values(fingertips: pd.DataFrame, curated: pd.DataFrame,
                     authorities: pd.DataFrame) -> pd.DataFrame:
    """Return the latest value of each curated indicator for each authority and England.

    For each curated indicator present in the export, the latest time period with values
    for the area's authorities is taken (persons, total rows only: deprivation-decile
    and other category rows are dropped).

    Parameters
    ----------
    fingertips
        The processed ``fingertips`` table.
    curated
        `lvrn_analysis.sources.fingertips.curated_indicators()`.
    authorities
        ``la_code``, ``la_name`` of the area's authorities
        (`lvrn_analysis.config.geography.local_authorities()`), in display order.

    Returns
    -------
    pandas.DataFrame
        One row per indicator × area (authorities, then England, then any other English
        districts in the export): ``indicator_id``, ``label``, ``unit``, ``multiplier``,
        ``value_type``, ``polarity``, ``time_period``, ``area_code``, ``area_name``,
        ``role`` (``"authority"``, ``"england"`` or ``"other district"``), ``value``,
        ``lower_ci``, ``upper_ci`` (95 %, as exported), ``count``, ``denominator``,
        ``value_note``, ``export_comparison`` (the export's own *Compared to England*).
    """
    ft = fingertips[(~fingertips["is_category"]) & (fingertips["sex"] == "Persons")]
    codes = list(authorities["la_code"])
    names = dict(zip(authorities["la_code"], authorities["la_name"], strict=True))
    cur = curated.set_index("indicator_id")
    frames = []
    for iid in [i for i in cur.index if i in set(ft["indicator_id"].dropna().astype(int))]:
        rows = ft[ft["indicator_id"] == iid]
        local = rows[rows["area_code"].isin(codes)]
        if local.empty:
            continue
        latest = local.sort_values("period_start")["time_period"].iloc[-1]
        rows = rows[rows["time_period"] == latest]
        keep = rows[rows["area_code"].isin(codes) | (rows["area_code"] == ENGLAND_CODE)
                    | (rows["area_type"] == "District & UA")].copy()
        keep["role"] = np.select(
            [keep["area_code"].isin(codes), keep["area_code"] == ENGLAND_CODE],
            ["authority", "england"], "other district")
        keep["area_name"] = keep["area_code"].map(names).fillna(keep["area_name"])
        meta = cur.loc[iid]
        keep["label"] = _label(iid, meta["name"])
        for col in ("unit", "multiplier", "value_type", "polarity"):
            keep[col] = meta[col]
        keep["_order"] = keep["area_code"].map({c: i for i, c in enumerate(codes)}).fillna(
            len(codes) + (keep["role"] != "england"))
        frames.append(keep.sort_values(["_order", "area_name"]))
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"lower_ci95": "lower_ci", "upper_ci95": "upper_ci",
                              "compared_to_england": "export_comparison"})
    out["indicator_id"] = out["indicator_id"].astype(int)
    cols = ["indicator_id", "label", "unit", "multiplier", "value_type", "polarity",
            "time_period", "area_code", "area_name", "role", "value", "lower_ci", "upper_ci",
            "count", "denominator", "value_note", "export_comparison"]
    return out[cols].reset_index(drop=True)


def _recompute(values: pd.DataFrame) -> pd.DataFrame:
    """Recompute 95 % limits from count and denominator where the statistic allows it."""
    from lvrn_analysis.stats.indicators.rates import crude_rate, proportion

    lo = pd.Series(np.nan, index=values.index)
    hi = pd.Series(np.nan, index=values.index)
    method = pd.Series(pd.NA, index=values.index, dtype="object")
    usable = values["count"].notna() & values["denominator"].notna() & (
        values["denominator"] > 0)
    for vtype, fn in (("crude rate", crude_rate), ("proportion", proportion)):
        sel = usable & (values["value_type"] == vtype)
        for mult, part in values[sel].groupby("multiplier"):
            r = fn(part[["count", "denominator"]], x="count", n="denominator",
                   multiplier=float(mult), confidence=0.95)
            lo.loc[part.index] = r["lower_ci"].to_numpy()
            hi.loc[part.index] = r["upper_ci"].to_numpy()
            method.loc[part.index] = r["method"].to_numpy()
    return pd.DataFrame({"lower_ci": lo, "upper_ci": hi, "method": method})


def fill_intervals(values: pd.DataFrame) -> pd.DataFrame:
    """Fill missing 95 % intervals from count and denominator where possible.

    Crude rates get exact Poisson (below 10 events) or Byar's limits
    (`lvrn_analysis.stats.indicators.crude_rate()`), proportions Wilson score limits
    (`lvrn_analysis.stats.indicators.proportion()`), as in APHO Technical Briefing 3
    (2008). Directly standardised rates, means and scores cannot be recomputed from a
    count and a denominator alone and keep a missing interval (they are then *not
    compared*).

    Parameters
    ----------
    values
        Output of `indicator_values()`.

    Returns
    -------
    pandas.DataFrame
        A copy with the gaps filled and ``ci_source``: ``"export"``,
        ``"recomputed (<method>)"`` or ``"not available"``.
    """
    out = values.copy()
    has = out["lower_ci"].notna() & out["upper_ci"].notna()
    rec = _recompute(out)
    fill = ~has & rec["lower_ci"].notna()
    out.loc[fill, "lower_ci"] = rec.loc[fill, "lower_ci"]
    out.loc[fill, "upper_ci"] = rec.loc[fill, "upper_ci"]
    src = np.where(has, "export", "not available").astype(object)
    src[fill.to_numpy()] = ("recomputed (" + rec.loc[fill, "method"].astype(str) + ")").to_numpy()
    out["ci_source"] = pd.Series(src, index=out.index, dtype="str")
    return out


def interval_check(values: pd.DataFrame) -> pd.DataFrame:
    """Check the exported intervals against intervals recomputed from count and denominator.

    Parameters
    ----------
    values
        Output of `indicator_values()` (before `fill_intervals()`).

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``label``, ``value_type``, ``rows`` (authority and England
        rows), ``exported`` (rows with an exported interval), ``missing`` (rows without),
        ``recomputable`` (rows where count and denominator allow a recomputation),
        ``checked`` (rows with both), ``max_difference`` (largest absolute difference of
        either limit, as a % of the value; missing if nothing could be checked).
    """
    v = values[values["role"] != "other district"]
    rec = _recompute(v)
    has = v["lower_ci"].notna() & v["upper_ci"].notna()
    both = has & rec["lower_ci"].notna()
    diff = pd.concat([(v["lower_ci"] - rec["lower_ci"]).abs(),
                      (v["upper_ci"] - rec["upper_ci"]).abs()], axis=1).max(axis=1)
    rel = 100 * diff / v["value"].abs()
    rows = []
    for iid, part in v.groupby("indicator_id", sort=False):
        idx = part.index
        rows.append({
            "indicator_id": int(iid), "label": part["label"].iloc[0],
            "value_type": part["value_type"].iloc[0], "rows": len(part),
            "exported": int(has[idx].sum()), "missing": int((~has[idx]).sum()),
            "recomputable": int(rec.loc[idx, "lower_ci"].notna().sum()),
            "checked": int(both[idx].sum()),
            "max_difference": float(rel[idx][both[idx]].max()) if both[idx].any() else np.nan,
        })
    return pd.DataFrame(rows)


def interval_sentence(check: pd.DataFrame, filled: pd.DataFrame) -> str:
    """Say where intervals came from: the export, recomputed, or not available.

    Parameters
    ----------
    check
        Output of `interval_check()`.
    filled
        Output of `fill_intervals()`.

    Returns
    -------
    str
        Markdown paragraph (that standardised rates and means keep their exported
        intervals is said in the notebook's Markdown).
    """
    f = filled[filled["role"] == "authority"]
    rec = f["ci_source"].str.startswith("recomputed")
    none = f[f["ci_source"] == "not available"]
    none_ind = none.groupby("label").size()
    none_text = "; ".join(f"{lab.split(' (')[0]} ({n})" for lab, n in none_ind.items())
    checked = check[check["checked"] > 0]
    worst = float(checked["max_difference"].max()) if len(checked) else float("nan")
    text = (f"Of the {len(f)} authority values, {int((f['ci_source'] == 'export').sum())} came "
            f"with a 95% interval in the export; "
            + (f"{int(rec.sum())} intervals were recomputed from the count and denominator"
               if rec.any() else "none had to be recomputed from the count and denominator")
            + ", and "
            f"{len(none)} have no interval and are *not compared*"
            + (f" ({none_text})" if len(none) else "") + ". ")
    if len(checked):
        text += (f"As a check, the exported intervals of {int(checked['checked'].sum())} "
                 f"rows of {len(checked)} indicators (crude rates: Byar's method, exact below "
                 "10 events; proportions: Wilson score) were recomputed from their counts and "
                 f"denominators with `lvrn_analysis.stats.indicators`: the largest difference is "
                 f"{_small_pct(worst)} of the value.")
    return text


def _small_pct(x: float) -> str:
    if not np.isfinite(x):
        return "not available"
    return "less than 0.001%" if x < 0.001 else f"{x:.3g}%"


def compare_with_england(values: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Add the Fingertips comparison with England (better / similar / worse at 95 %).

    Parameters
    ----------
    values
        Output of `fill_intervals()`.
    level
        Confidence level of the intervals (0.95).

    Returns
    -------
    pandas.DataFrame
        A copy with ``england_value`` and ``comparison`` (labels of
        `lvrn_analysis.stats.benchmarking.LABELS`; ``"not compared"`` where the value,
        its interval or England's value is missing).
    """
    eng = values[values["role"] == "england"].set_index("indicator_id")["value"]
    parts = []
    for iid, part in values.groupby("indicator_id", sort=False):
        bench = float(eng.get(iid, np.nan))
        polarity = _POLARITY[str(part["polarity"].iloc[0])]
        cmp = compare_to_benchmark(part, bench, polarity=polarity, level=level,
                                   lower="lower_ci", upper="upper_ci")
        cmp["england_value"] = bench
        parts.append(cmp)
    out = pd.concat(parts).loc[values.index]
    out.loc[out["role"] == "england", "comparison"] = "benchmark"
    return out
