"""Causes of the causes: the risk and protective factor profile and ecological models.

Step 2 of the WHO public-health approach asks which risk and protective factors go with
violence. This module answers in two ways.

**The spine chart** (`indicator_values()` → `fill_intervals()` →
`compare_with_england()` → `spine_data()` → `spine_chart()`) places each
authority's value of each curated Fingertips indicator on a horizontal "spine" centred on
England, as the Public Health England / OHID *Public Health Profiles* do: the spine is scaled
so that England sits in the middle and the authority furthest from England sits at one end;
the grey bar spans the range of the comparator authorities (darker: their interquartile
range); worse values are on the left and better values on the right whatever the
indicator's polarity. The marker is coloured by the Fingertips comparison with England at
95 % (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`: the area's 95 % interval
wholly above or below the England value, otherwise similar).

**The association model** (`fit_nb()`, `univariable_table()`,
`leave_one_out()`) is a negative binomial (NB2) regression of violence counts on a
standardised risk factor with a log person-years offset::

    log E[Y_i] = log(person_years_i) + b0 + b1 * z_i,    Var[Y_i] = mu_i + alpha * mu_i**2

fitted by maximum likelihood with ``alpha`` estimated jointly
(`statsmodels.discrete.discrete_model.NegativeBinomial`, ``loglike_method="nb2"``;
Cameron & Trivedi, *Regression Analysis of Count Data*, 2nd ed., 2013, §3.3). ``exp(b1)``
is the rate ratio per one standard deviation of the risk factor; intervals are Wald
intervals ``exp(b1 ± 1.96·se)``. Risk factors are standardised with the **population**
standard deviation across the units (``ddof=0``), as in the synthetic generator's ground
truth. The unit of analysis is the local authority, because that is the finest geography
at which the risk factors are available in this build (police counts exist by LSOA, but
IMD 2019, Fingertips and school attainment are shipped only by authority), so these are
ecological associations between places, not statements about people.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lvrn_analysis.charts import plots
from lvrn_analysis.stats.benchmarking import compare_to_benchmark

__all__ = [
    "DOMAINS",
    "FINGERTIPS_FACTORS",
    "FINGERTIPS_FACTOR_LABELS",
    "ENGLAND_CODE",
    "NBFit",
    "SHORT_LABELS",
    "caveats_markdown",
    "compare_with_england",
    "comparison_grid_figure",
    "comparison_table",
    "fill_intervals",
    "fingertips_model_data",
    "fingertips_truth",
    "fit_nb",
    "forest_figure",
    "geography_table",
    "headline_sentence",
    "indicator_values",
    "count_lsoas",
    "coverage_sentence",
    "domains_sentence",
    "interval_check",
    "interval_coverage",
    "interval_sentence",
    "leave_one_out",
    "model_table",
    "narrative_markdown",
    "real_model_data",
    "model_data_display",
    "recovery_display",
    "recovery_table",
    "residual_display",
    "residual_table",
    "scatter_figure",
    "spine_chart",
    "spine_data",
    "spine_sentence",
    "standardise",
    "synthetic_sentences",
    "truth_sentence",
    "univariable_table",
]

#: ONS code of England in Fingertips exports.
ENGLAND_CODE = "E92000001"
#: Fingertips indicator ID of the violence offences indicator (police recorded, per 1,000).
VIOLENCE_OFFENCES = 11202
#: Fingertips indicator ID of the IMD 2019 average score.
IMD_SCORE = 93553
#: Fingertips indicator ID of 16-17 year olds NEET or activity not known.
NEET = 93203

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

#: IMD 2019 measures used as real risk factors: column of the ``imd2019`` table -> label.
#: The crime domain is left out on purpose: it is built partly from recorded violence,
#: so "explaining" violence with it would be circular.
DOMAINS: dict[str, str] = {
    "imd_score": "IMD 2019 average score",
    "income_score": "Income domain",
    "employment_score": "Employment domain",
    "education_score": "Education, skills and training domain",
    "health_score": "Health deprivation and disability domain",
    "housing_score": "Barriers to housing and services domain",
    "environment_score": "Living environment domain",
}

_POLARITY = {"low_is_good": "lower is better", "high_is_good": "higher is better",
             "no_judgement": "no judgement"}
_Z95 = 1.959963984540054
#: Marker colours by comparison label (Okabe-Ito, see `lvrn_analysis.charts.plots.COLOURS`).
_COMPARISON_COLOURS: dict[str, str] = {
    **{k: plots.COLOURS[k] for k in ("better", "similar", "worse", "not compared")},
    "higher": plots.PALETTE[0],
    "lower": plots.PALETTE[5],
}
#: x offset of the spine inside the spine chart (text columns sit left of it).
_S0 = 1.56
#: Fewest non-area districts for the spine range to be the England distribution.
_MIN_ENGLAND_DISTRICTS = 20


def _label(iid: int, name: str) -> str:
    return SHORT_LABELS.get(int(iid), str(name))


# ===================================================================== indicator values


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
    from lvrn_analysis.stats.indicators import crude_rate, proportion

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
        Markdown paragraph.
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
                 f"{_small_pct(worst)} of the value. Directly standardised rates and means "
                 "cannot be recomputed from a count and denominator, so their exported "
                 "intervals are used as they are.")
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


# ===================================================================== spine chart


def spine_data(compared: pd.DataFrame) -> pd.DataFrame:
    """Scale every value onto a spine centred on England, worst on the left.

    For indicator *k* with England value ``E`` and comparator values ``x`` (the other
    English districts when the export holds at least 20 of them, otherwise the area's
    authorities), the half-width is ``D = max|x - E|`` and a value ``v`` sits at::

        position = 0.5 + s * (v - E) / (2 * D)

    with ``s = -1`` when lower is better (higher values are worse, so they go left) and
    ``s = +1`` otherwise. England is at 0.5 and the comparator furthest from England at 0
    or 1: the Fingertips spine-chart scaling (as in the ``fingertipscharts`` R package,
    ``area_profiles``).

    Parameters
    ----------
    compared
        Output of `compare_with_england()`.

    Returns
    -------
    pandas.DataFrame
        The authority rows with ``position`` and per-indicator ``worst``, ``q25``,
        ``q75``, ``best`` (values), ``pos_worst``, ``pos_q25``, ``pos_q75``,
        ``pos_best`` (positions), ``range_basis`` (what the bar spans) and ``range_label``
        (the same, short).
    """
    parts = []
    for _iid, part in compared.groupby("indicator_id", sort=False):
        eng = float(part["england_value"].iloc[0])
        others = part[part["role"] == "other district"]
        local = part[part["role"] == "authority"].copy()
        if others["value"].notna().sum() >= _MIN_ENGLAND_DISTRICTS:
            comp = pd.concat([others, local])["value"].dropna()
            basis = f"all {len(comp)} English districts in the export"
            short = f"{len(comp)} English districts"
        else:
            comp = local["value"].dropna()
            basis = f"the {len(comp)} authorities of the area (no England distribution in " \
                    "the export)"
            short = f"the {len(comp)} authorities"
        sign = -1.0 if local["polarity"].iloc[0] == "low_is_good" else 1.0
        half = float(np.max(np.abs(comp - eng))) if np.isfinite(eng) and len(comp) else np.nan
        half = half if half > 0 else 1.0

        def pos(v: Any, eng: float = eng, sign: float = sign, half: float = half) -> Any:
            return 0.5 + sign * (v - eng) / (2 * half)

        q25, q75 = (float(np.percentile(comp, 25)), float(np.percentile(comp, 75))) if len(
            comp) else (np.nan, np.nan)
        lo, hi = (float(comp.min()), float(comp.max())) if len(comp) else (np.nan, np.nan)
        worst, best = (hi, lo) if sign < 0 else (lo, hi)
        local["position"] = pos(local["value"])
        local["worst"], local["best"] = worst, best
        local["q25"], local["q75"] = q25, q75
        local["pos_worst"], local["pos_best"] = pos(worst), pos(best)
        local["pos_q25"], local["pos_q75"] = pos(q25), pos(q75)
        local["range_basis"] = basis
        local["range_label"] = short
        parts.append(local)
    return pd.concat(parts, ignore_index=True)


def _fmt(v: float, value_type: str) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    if value_type in ("score", "mean", "proportion"):
        return f"{v:,.1f}"
    return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"


def spine_chart(spine: pd.DataFrame, authority: str, *, source: str,
                title: str | None = None) -> Figure:
    """Draw the Fingertips-style spine chart of one authority.

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    authority
        Authority name (``area_name``) or ONS code.
    source
        Source line (`lvrn_analysis.charts.plots.source_line()`).
    title
        Chart title (default: names the authority).

    Returns
    -------
    matplotlib.figure.Figure
        Left: indicator, period, count, value, England and the comparators' worst value;
        right: the spine (bar = comparator range, darker = interquartile range, black line
        = England, marker = the authority coloured by its comparison with England) and
        the best value.

    Raises
    ------
    ValueError
        If the authority is not in ``spine``.
    """
    sel = spine[(spine["area_name"] == authority) | (spine["area_code"] == authority)]
    if sel.empty:
        known = ", ".join(sorted(spine["area_name"].unique()))
        raise ValueError(f"no authority {authority!r} in the spine data (known: {known})")
    sel = sel.reset_index(drop=True)
    name = str(sel["area_name"].iloc[0])
    n = len(sel)
    fig, ax = plots.new_figure(figsize=(12.0, 2.3 + 0.5 * n))
    ax.grid(False)
    ax.set_ylim(n - 0.5, -1.3)
    ax.set_xlim(0, _S0 + 1.27)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    cols = [(0.0, "Indicator", "left"), (0.85, "Period", "center"),
            (1.08, "Count", "right"), (1.20, "Value", "right"), (1.36, "England", "right"),
            (1.49, "Worst", "right")]
    for x, head, ha in cols:
        ax.text(x, -0.9, head, ha=ha, va="center", fontweight="bold", fontsize=9)
    for i, r in sel.iterrows():
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", zorder=0, lw=0)
        vt = str(r["value_type"])
        count = "-" if pd.isna(r["count"]) or vt in ("mean", "score") else \
            f"{r['count']:,.0f}"
        cells = [textwrap.fill(str(r["label"]), 38), str(r["time_period"]), count,
                 _fmt(r["value"], vt), _fmt(r["england_value"], vt), _fmt(r["worst"], vt)]
        for (x, _h, ha), text in zip(cols, cells, strict=True):
            ax.text(x, i, text, ha=ha, va="center", fontsize=8.3 if x == 0 else 9)
        lo, hi = sorted([r["pos_worst"], r["pos_best"]])
        ax.barh(i, hi - lo, left=_S0 + lo, height=0.5, color="#C9C9C9", zorder=1)
        qlo, qhi = sorted([r["pos_q25"], r["pos_q75"]])
        ax.barh(i, qhi - qlo, left=_S0 + qlo, height=0.5, color="#8C8C8C", zorder=2)
        pos = r["position"]
        if np.isfinite(pos):
            ax.plot([_S0 + pos], [i], marker="o", ms=9, mec="#222222", mew=0.8,
                    color=_COMPARISON_COLOURS.get(str(r["comparison"]), "#999999"),
                    zorder=4, ls="none")
        else:
            note = str(r["value_note"]) if pd.notna(r["value_note"]) else ""
            ax.text(_S0 + 0.5, i, "value suppressed (small count)" if "suppress" in
                    note.lower() else "value not available", ha="center", va="center",
                    fontsize=8, color="#444444", zorder=4,
                    bbox={"fc": "white", "ec": "none", "pad": 1})
        ax.text(_S0 + 1.25, i, _fmt(r["best"], vt), ha="right", va="center", fontsize=9)
    ax.plot([_S0 + 0.5, _S0 + 0.5], [-0.5, n - 0.5], color="#222222", lw=1.4, zorder=3)
    ax.text(_S0, -0.9, "Worse", ha="left", va="center", fontsize=9, fontweight="bold")
    ax.text(_S0 + 1.0, -0.9, "Better", ha="right", va="center", fontsize=9,
            fontweight="bold")
    ax.text(_S0 + 0.5, -0.9, "England", ha="center", va="center", fontsize=9)
    ax.text(_S0 + 1.25, -0.9, "Best", ha="right", va="center", fontsize=9, fontweight="bold")
    present = [k for k in ("worse", "similar", "better", "higher", "lower", "not compared")
               if k in set(sel["comparison"])]
    words = {"similar": "similar to England", "not compared": "not compared"}
    handles = [Line2D([], [], marker="o", ls="none", ms=8, mec="#222222",
                      color=_COMPARISON_COLOURS[k], label=words.get(k, f"{k} than England"))
               for k in present]
    handles += [Patch(color="#C9C9C9", label=f"range of {_range_legend(sel)}"),
                Patch(color="#8C8C8C", label="25th-75th percentile"),
                Line2D([], [], color="#222222", lw=1.4, label="England")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=len(handles), fontsize=7.5, frameon=False, handlelength=1.2,
              columnspacing=1.0)
    basis = str(sel["range_basis"].iloc[0])
    n_worse = int((sel["comparison"] == "worse").sum())
    n_better = int((sel["comparison"] == "better").sum())
    n_nc = int((sel["comparison"] == "not compared").sum())
    alt = (f"Spine chart of {n} indicators for {name} against England. {name} is "
           f"significantly worse than England on {n_worse}, better on {n_better} and "
           f"not compared on {n_nc} (no interval). The grey bar on each row spans {basis}.")
    return plots.finish(
        fig, title=title or f"{name} compared with England: violence and its risk factors",
        source=source, alt=alt)


def _range_legend(sel: pd.DataFrame) -> str:
    labels = sel["range_label"].unique()
    if len(labels) == 1:
        return str(labels[0])
    return "English districts" if any("English" in x for x in labels) else \
        "the area's authorities"


def spine_sentence(spine: pd.DataFrame, authority: str) -> str:
    """Summarise one authority's spine chart in a sentence.

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    authority
        Authority name.

    Returns
    -------
    str
        Markdown: which indicators are worse and better than England.
    """
    sel = spine[spine["area_name"] == authority]
    if sel.empty:
        raise ValueError(f"no authority {authority!r} in the spine data")

    def clause(lab: str, word: str) -> str:
        items = [str(x).split(" (")[0] for x in sel.loc[sel["comparison"] == lab, "label"]]
        if not items:
            return f"{word} on none"
        listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        return f"{word} on {len(items)} ({listed})"

    parts = [clause("worse", "significantly **worse** than England"),
             clause("better", "**better**"), clause("similar", "similar")]
    n_nc = int((sel["comparison"] == "not compared").sum())
    tail = f"; {n_nc} not compared (no interval or no value)" if n_nc else ""
    return (f"**{authority}**, {len(sel)} indicators: " + "; ".join(parts) + tail + ".")


def comparison_table(spine: pd.DataFrame, compared: pd.DataFrame) -> pd.DataFrame:
    """Return the all-authorities heat table: value and comparison label per indicator.

    Parameters
    ----------
    spine
        Output of `spine_data()` (authority rows).
    compared
        Output of `compare_with_england()` (for England's row).

    Returns
    -------
    pandas.DataFrame
        One row for England then one per authority; one column per indicator (its
        short label and period) holding e.g. ``"54.7 worse"`` (``"-"`` when no value);
        a final column counts the indicators on which the authority is worse.
    """
    heads = {}
    for iid, part in spine.groupby("indicator_id", sort=False):
        heads[iid] = f"{part['label'].iloc[0]}, {part['time_period'].iloc[0]}"
    order = list(dict.fromkeys(spine["area_name"]))
    data: dict[str, list[str]] = {"Area": ["England", *order]}
    eng = compared[compared["role"] == "england"].set_index("indicator_id")
    worse = dict.fromkeys(order, 0)
    for iid, head in heads.items():
        part = spine[spine["indicator_id"] == iid].set_index("area_name")
        vt = str(part["value_type"].iloc[0])
        col = [_fmt(float(eng.loc[iid, "value"]), vt) if iid in eng.index else "-"]
        for a in order:
            v, lab = part.loc[a, "value"], str(part.loc[a, "comparison"])
            col.append("-" if pd.isna(v) else f"{_fmt(v, vt)} {lab}")
            worse[a] += lab == "worse"
        data[head] = col
    data["Indicators worse than England"] = ["", *[str(worse[a]) for a in order]]
    return pd.DataFrame(data)


def comparison_grid_figure(spine: pd.DataFrame, *, source: str, title: str) -> Figure:
    """Draw the all-authorities comparison as a coloured grid (a heat table).

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    source
        Source line.
    title
        Chart title.

    Returns
    -------
    matplotlib.figure.Figure
        Authorities (rows, most indicators worse first) by indicators (columns); each
        cell holds the value and is coloured by the comparison with England.
    """
    inds = list(dict.fromkeys(spine["indicator_id"]))
    worse = spine.assign(w=spine["comparison"] == "worse").groupby("area_name")["w"].sum()
    order = sorted(worse.index, key=lambda a: (-int(worse[a]), a))
    fig, ax = plots.new_figure(figsize=(11.0, 1.6 + 0.36 * len(order) + 1.3))
    ax.grid(False)
    for j, iid in enumerate(inds):
        part = spine[spine["indicator_id"] == iid].set_index("area_name")
        vt = str(part["value_type"].iloc[0])
        for i, a in enumerate(order):
            lab = str(part.loc[a, "comparison"])
            colour = _COMPARISON_COLOURS.get(lab, "#999999")
            ax.add_patch(_rect(j, i, colour))
            txt = _fmt(part.loc[a, "value"], vt)
            ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=8.5,
                    color="white" if lab in ("worse", "better", "higher") else "#222222")
    ax.set_xlim(0, len(inds))
    ax.set_ylim(len(order), 0)
    ax.set_yticks([i + 0.5 for i in range(len(order))], order, fontsize=8.5)
    heads = [textwrap.fill(f"{spine.loc[spine['indicator_id'] == i, 'label'].iloc[0]} "
                           f"[{spine.loc[spine['indicator_id'] == i, 'time_period'].iloc[0]}]",
                           18) for i in inds]
    ax.set_xticks([j + 0.5 for j in range(len(inds))], heads, fontsize=7.5)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    present = [k for k in ("worse", "similar", "better", "higher", "lower", "not compared")
               if k in set(spine["comparison"])]
    ax.legend(handles=[Patch(color=_COMPARISON_COLOURS[k], label=k) for k in present],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=len(present),
              fontsize=8, frameon=False, title="Compared with England (95% interval)",
              title_fontsize=8)
    counts = {k: int((spine["comparison"] == k).sum()) for k in present}
    alt = ("Grid of " + str(len(order)) + " authorities by " + str(len(inds)) + " indicators, "
           "each cell coloured by comparison with England: "
           + ", ".join(f"{v} cells {k}" for k, v in counts.items())
           + f". Authorities with most indicators worse than England are at the top "
             f"({order[0]}).")
    return plots.finish(fig, title=title, source=source, alt=alt)


def _rect(j: int, i: int, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((j + 0.03, i + 0.06), 0.94, 0.88, color=colour, lw=0)


# ===================================================================== models


def standardise(x: pd.Series | np.ndarray) -> tuple[np.ndarray, float, float]:
    """Standardise with the population standard deviation.

    Parameters
    ----------
    x
        Values across the units.

    Returns
    -------
    tuple
        ``(z, mean, sd)`` with ``z = (x - mean) / sd`` and ``sd`` the population
        (``ddof=0``) standard deviation.

    Raises
    ------
    ValueError
        If the values are constant or contain missing values.
    """
    a = np.asarray(x, dtype=float)
    if np.isnan(a).any():
        raise ValueError("cannot standardise missing values")
    sd = float(a.std(ddof=0))
    if sd == 0:
        raise ValueError("cannot standardise a constant")
    mean = float(a.mean())
    return (a - mean) / sd, mean, sd


@dataclass
class NBFit:
    """A fitted negative binomial (NB2) model with log person-years offset.

    Attributes
    ----------
    terms
        Tidy table: ``term``, ``coef``, ``se``, ``rate_ratio`` (``exp(coef)``; per 1 SD
        for standardised predictors), ``lower``, ``upper`` (95 % Wald), ``p_value``.
    predictors
        Predictor column names.
    means, sds
        Mean and population SD used to standardise each predictor (empty when not
        standardised).
    alpha, alpha_se
        NB2 dispersion and its standard error.
    n
        Number of units.
    llf, llf_null, aic
        Log-likelihood of the model and of the intercept-only NB model, and AIC.
    lr_p_value
        Likelihood-ratio test p-value of all predictors against the intercept-only model.
    poisson_dispersion
        Pearson chi-squared / residual df of the Poisson fit of the same model (far above 1
        means a Poisson model would understate uncertainty).
    converged
        Whether the optimiser converged.
    cov
        Covariance matrix of (intercept, predictors).
    """

    terms: pd.DataFrame
    predictors: list[str]
    means: dict[str, float]
    sds: dict[str, float]
    alpha: float
    alpha_se: float
    n: int
    llf: float
    llf_null: float
    aic: float
    lr_p_value: float
    poisson_dispersion: float
    converged: bool
    cov: np.ndarray = field(repr=False)

    def term(self, name: str) -> pd.Series:
        """Return the row of ``terms`` for one predictor."""
        return self.terms.set_index("term").loc[name]

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the design matrix (intercept + standardised predictors) of ``frame``."""
        cols = [np.ones(len(frame))]
        for p in self.predictors:
            x = frame[p].to_numpy(dtype=float)
            cols.append((x - self.means[p]) / self.sds[p] if p in self.sds else x)
        return np.column_stack(cols)

    def predict_rate(self, frame: pd.DataFrame, *, per: float = 1000.0) -> pd.DataFrame:
        """Fitted rate per ``per`` person-years with a 95 % interval (delta method).

        Parameters
        ----------
        frame
            Predictor values.
        per
            Rate multiplier.

        Returns
        -------
        pandas.DataFrame
            ``rate``, ``lower``, ``upper``: ``exp(X b) * per`` with limits
            ``exp(X b ± 1.96 sqrt(diag(X V X')))``.
        """
        x = self.design(frame)
        b = self.terms["coef"].to_numpy()
        eta = x @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.cov, x))
        return pd.DataFrame({"rate": np.exp(eta) * per, "lower": np.exp(eta - _Z95 * se) * per,
                             "upper": np.exp(eta + _Z95 * se) * per}, index=frame.index)

    def summary(self) -> str:
        """Return a short plain-text summary."""
        lines = [f"Negative binomial (NB2) regression, log person-years offset, n = {self.n}",
                 f"alpha = {self.alpha:.4f} (se {self.alpha_se:.4f}); LR test p = "
                 f"{self.lr_p_value:.3g}; Poisson dispersion = {self.poisson_dispersion:.1f}"]
        for _, r in self.terms.iterrows():
            lines.append(f"  {r['term']:<28} RR {r['rate_ratio']:.3f} "
                         f"({r['lower']:.3f} to {r['upper']:.3f}), p = {r['p_value']:.3g}")
        return "\n".join(lines)


def _nb_fit(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> Any:
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    model = NegativeBinomial(y, x, loglike_method="nb2", offset=offset)
    res = None
    for method in ("newton", "bfgs", "nm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                res = model.fit(method=method, maxiter=2000, disp=0)
            except np.linalg.LinAlgError:
                continue
        if res.mle_retvals.get("converged", False) and np.all(np.isfinite(res.bse)):
            return res
    return res


def fit_nb(data: pd.DataFrame, *, count: str, exposure: str, predictors: Sequence[str],
           standardise_predictors: bool = True) -> NBFit:
    """Fit a negative binomial (NB2) regression of counts with a log-exposure offset.

    ``log E[Y] = log(exposure) + b0 + sum_j b_j z_j`` and ``Var[Y] = mu + alpha mu^2``,
    maximum likelihood for ``b`` and ``alpha`` jointly (statsmodels
    ``NegativeBinomial``, NB2; Cameron & Trivedi 2013, §3.3). Wald 95 % intervals.

    Parameters
    ----------
    data
        One row per unit.
    count
        Count column (non-negative integers).
    exposure
        Person-years (or population) column; ``log(exposure)`` is the offset.
    predictors
        Predictor columns (at most a few: with 14 units, one or two).
    standardise_predictors
        Standardise each predictor with its population SD, so rate ratios are per 1 SD.

    Returns
    -------
    NBFit
        The fitted model.

    Raises
    ------
    ValueError
        If a column is missing, a count is negative or missing, an exposure is not
        positive, or there are not more units than parameters + 1.
    """
    import statsmodels.api as sm

    preds = list(predictors)
    missing = [c for c in [count, exposure, *preds] if c not in data.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data")
    y = data[count].to_numpy(dtype=float)
    e = data[exposure].to_numpy(dtype=float)
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError(f"column {count!r} must hold non-negative counts without gaps")
    if np.isnan(e).any() or (e <= 0).any():
        raise ValueError(f"column {exposure!r} must be positive")
    if len(data) <= len(preds) + 2:
        raise ValueError(f"{len(data)} units cannot support {len(preds)} predictor(s) "
                         "plus an intercept and a dispersion parameter")
    means: dict[str, float] = {}
    sds: dict[str, float] = {}
    cols = [np.ones(len(data))]
    for p in preds:
        if standardise_predictors:
            z, m, s = standardise(data[p])
            means[p], sds[p] = m, s
            cols.append(z)
        else:
            cols.append(data[p].to_numpy(dtype=float))
    x = np.column_stack(cols)
    off = np.log(e)
    res = _nb_fit(y, x, off)
    null = _nb_fit(y, x[:, :1], off)
    k = len(preds) + 1
    coef = np.asarray(res.params[:k])
    se = np.asarray(res.bse[:k])
    from scipy import stats

    terms = pd.DataFrame({
        "term": ["(intercept)", *preds], "coef": coef, "se": se,
        "rate_ratio": np.exp(coef), "lower": np.exp(coef - _Z95 * se),
        "upper": np.exp(coef + _Z95 * se),
        "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
    })
    lr = 2 * (res.llf - null.llf)
    pois = sm.GLM(y, x, family=sm.families.Poisson(), offset=off).fit()
    return NBFit(
        terms=terms, predictors=preds, means=means, sds=sds,
        alpha=float(res.params[-1]), alpha_se=float(res.bse[-1]), n=len(data),
        llf=float(res.llf), llf_null=float(null.llf), aic=float(res.aic),
        lr_p_value=float(stats.chi2.sf(max(lr, 0.0), len(preds))),
        poisson_dispersion=float(pois.pearson_chi2 / pois.df_resid),
        converged=bool(res.mle_retvals.get("converged", False)),
        cov=np.asarray(res.cov_params())[:k, :k],
    )


def univariable_table(data: pd.DataFrame, factors: Mapping[str, str], *, count: str,
                      exposure: str) -> pd.DataFrame:
    """Fit one NB model per risk factor and tabulate the rate ratios per 1 SD.

    Parameters
    ----------
    data
        One row per unit.
    factors
        ``{column: label}`` of the risk factors.
    count, exposure
        As `fit_nb()`.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``factor``, ``sd`` (of the factor, in its own units), ``rate_ratio``,
        ``lower``, ``upper``, ``p_value``, ``alpha``, ``n``, ``aic``.
    """
    rows = []
    for col, label in factors.items():
        fit = fit_nb(data, count=count, exposure=exposure, predictors=[col])
        t = fit.term(col)
        rows.append({"column": col, "factor": label, "sd": fit.sds[col],
                     "rate_ratio": float(t["rate_ratio"]), "lower": float(t["lower"]),
                     "upper": float(t["upper"]), "p_value": float(t["p_value"]),
                     "alpha": fit.alpha, "n": fit.n, "aic": fit.aic})
    return pd.DataFrame(rows)


def leave_one_out(data: pd.DataFrame, *, count: str, exposure: str, predictor: str,
                  unit: str = "la_name") -> pd.DataFrame:
    """Refit a one-predictor NB model leaving out each unit in turn.

    With 14 units one authority can carry an association; this shows how much.

    Parameters
    ----------
    data
        One row per unit.
    count, exposure, predictor
        As `fit_nb()`; the predictor is re-standardised in each fit.
    unit
        Column naming the units.

    Returns
    -------
    pandas.DataFrame
        ``left_out``, ``rate_ratio``, ``lower``, ``upper``, sorted by rate ratio.
    """
    rows = []
    for i in range(len(data)):
        sub = data.drop(index=data.index[i])
        t = fit_nb(sub, count=count, exposure=exposure, predictors=[predictor]).term(predictor)
        rows.append({"left_out": data[unit].iloc[i], "rate_ratio": float(t["rate_ratio"]),
                     "lower": float(t["lower"]), "upper": float(t["upper"])})
    return pd.DataFrame(rows).sort_values(["rate_ratio", "left_out"]).reset_index(drop=True)


def interval_coverage(data: pd.DataFrame, fit: NBFit, *, count: str = "count",
                      exposure: str = "person_years", n_sims: int = 200,
                      seed: int = 20210601) -> dict[str, float]:
    """Check by simulation how often the model's 95 % intervals cover the truth.

    Data sets with the same units, exposures and predictor values are drawn from the
    fitted model (NB2 as a gamma-Poisson mixture with the fitted ``alpha``), the model is
    refitted to each, and the share of Wald intervals ``b ± 1.96 se`` and of Student-t
    intervals ``b ± t(0.975, n - k) se`` (``k`` coefficients) that contain the true
    coefficient of the first predictor is reported. With few units the Wald interval is
    known to be liberal (Cameron & Trivedi 2013, §3.3; small-sample use of t quantiles as in
    quasi-likelihood GLMs).

    Parameters
    ----------
    data
        The data the model was fitted to.
    fit
        The fitted model (its first predictor is checked).
    count, exposure
        Column names.
    n_sims
        Number of simulated data sets.
    seed
        Random seed.

    Returns
    -------
    dict
        ``n_sims``, ``wald`` and ``student_t`` (coverage proportions), ``t_quantile``,
        ``t_lower`` and ``t_upper`` (the fitted model's rate ratio interval with the t
        quantile).
    """
    from scipy import stats

    g = np.random.default_rng(seed)
    x = fit.design(data)
    b = fit.terms["coef"].to_numpy()
    off = np.log(data[exposure].to_numpy(dtype=float))
    mu = np.exp(off + x @ b)
    k = x.shape[1]
    tq = float(stats.t.ppf(0.975, len(data) - k))
    wald = stud = done = 0
    for _ in range(n_sims):
        y = g.poisson(g.gamma(1 / fit.alpha, fit.alpha * mu))
        res = _nb_fit(y.astype(float), x, off)
        if res is None or not np.isfinite(res.bse[1]):
            continue
        est, se = float(res.params[1]), float(res.bse[1])
        done += 1
        wald += abs(est - b[1]) <= _Z95 * se
        stud += abs(est - b[1]) <= tq * se
    t = fit.terms.iloc[1]
    return {"n_sims": done, "wald": float(wald / done), "student_t": float(stud / done),
            "t_quantile": tq,
            "t_lower": math.exp(t["coef"] - tq * t["se"]),
            "t_upper": math.exp(t["coef"] + tq * t["se"])}


def coverage_sentence(cov: Mapping[str, float], fit: NBFit) -> str:
    """Report `interval_coverage()` in words.

    Parameters
    ----------
    cov
        Output of `interval_coverage()`.
    fit
        The fitted model.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = fit.terms.iloc[1]
    same_side = (t["lower"] > 1) == (cov["t_lower"] > 1) and (t["upper"] < 1) == (
        cov["t_upper"] < 1)
    verdict = ("the conclusion does not change" if same_side else
               "and this changes whether the interval excludes 1")
    reading = ("the Wald intervals on this page are best read as slightly optimistic"
               if cov["wald"] < 0.94 else "the Wald intervals behave about as advertised")
    return (f"**How far can {fit.n} units be trusted?** In {int(cov['n_sims'])} data sets "
            "simulated from the fitted model (same authorities, populations and deprivation "
            "scores) and refitted, the nominal 95% Wald interval contained the true rate ratio "
            f"in {cov['wald']:.0%} of cases; widening it with the t distribution on "
            f"{fit.n - len(fit.terms)} degrees of freedom gave {cov['student_t']:.0%}. The "
            f"wider interval for the real data is {t['rate_ratio']:.2f} "
            f"({cov['t_lower']:.2f} to {cov['t_upper']:.2f}): {verdict}; {reading}.")


def residual_table(data: pd.DataFrame, fit: NBFit, *, count: str = "count",
                   exposure: str = "person_years", unit: str = "la_name") -> pd.DataFrame:
    """Observed against fitted counts per unit.

    Parameters
    ----------
    data
        The data the model was fitted to.
    fit
        The fitted model.
    count, exposure, unit
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``observed``, ``expected`` (fitted count), ``ratio`` (observed /
        expected), sorted by ratio, highest first.
    """
    rate = fit.predict_rate(data, per=1.0)["rate"].to_numpy()
    exp_ = rate * data[exposure].to_numpy(dtype=float)
    out = pd.DataFrame({unit: data[unit].to_numpy(), "observed": data[count].to_numpy(),
                        "expected": exp_, "ratio": data[count].to_numpy() / exp_})
    return out.sort_values("ratio", ascending=False).reset_index(drop=True)


# ===================================================================== model data


def real_model_data(rates: pd.DataFrame, imd: pd.DataFrame) -> pd.DataFrame:
    """Join real police violence counts per authority to the real IMD 2019 measures.

    Parameters
    ----------
    rates
        `lvrn_analysis.story.profile.rates_by_authority()` (``count``, ``person_years``,
        ``rate`` …).
    imd
        The processed ``imd2019`` table.

    Returns
    -------
    pandas.DataFrame
        One row per authority: ``la_code``, ``la_name``, ``count``, ``population``,
        ``person_years``, ``rate`` (per 1,000 per year), ``lower_ci``, ``upper_ci`` and
        the `DOMAINS` columns, sorted by IMD score (most deprived first).

    Raises
    ------
    ValueError
        If an authority has no IMD 2019 values.
    """
    cols = ["la_code", *DOMAINS]
    out = rates[["la_code", "la_name", "count", "population", "person_years", "rate",
                 "lower_ci", "upper_ci"]].merge(imd[cols], on="la_code", how="left")
    if out[list(DOMAINS)].isna().any().any():
        bad = out.loc[out[list(DOMAINS)].isna().any(axis=1), "la_name"].tolist()
        raise ValueError(f"no IMD 2019 values for {bad}")
    return out.sort_values(["imd_score", "la_name"], ascending=[False, True]).reset_index(
        drop=True)


#: Synthetic Fingertips risk factors used in the illustration: ID -> column name.
FINGERTIPS_FACTORS: dict[int, str] = {
    93553: "imd_score", 93203: "neet", 93701: "low_income", 93378: "attainment8",
}


def fingertips_model_data(fingertips: pd.DataFrame, authorities: pd.DataFrame,
                          ks4: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-authority data for the synthetic Fingertips illustration.

    The outcome is indicator 11202 (violence offences): counts and denominators summed
    over all its financial years, so the exposure is person-years. Each risk factor is
    the authority's mean over the periods published (the definition of ``z_neet`` in the
    generator's ground truth).

    Parameters
    ----------
    fingertips
        The processed ``fingertips`` table.
    authorities
        ``la_code``, ``la_name`` of the area's authorities.
    ks4
        Optional processed ``ks4_by_la`` table: adds ``ks4_att8``, the mean Attainment 8
        of state-funded schools over the years published.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``count``, ``person_years``, ``rate`` (per 1,000 per
        year), ``years`` and the risk factor columns.
    """
    ft = fingertips[(~fingertips["is_category"]) & (fingertips["sex"] == "Persons")
                    & fingertips["area_code"].isin(authorities["la_code"])]
    v = ft[ft["indicator_id"] == VIOLENCE_OFFENCES]
    out = authorities[["la_code", "la_name"]].merge(
        v.groupby("area_code").agg(count=("count", "sum"), person_years=("denominator", "sum"),
                                   years=("time_period", "nunique")),
        left_on="la_code", right_index=True, how="left")
    out["count"] = out["count"].round().astype("int64")
    out["rate"] = out["count"] / out["person_years"] * 1000
    for iid, col in FINGERTIPS_FACTORS.items():
        out[col] = out["la_code"].map(ft[ft["indicator_id"] == iid].groupby("area_code")[
            "value"].mean())
    if ks4 is not None:
        out["ks4_att8"] = out["la_code"].map(ks4.groupby("la_code")["att8"].mean())
    return out.reset_index(drop=True)


#: Labels of the synthetic illustration's risk factors (columns of
#: `fingertips_model_data()`).
FINGERTIPS_FACTOR_LABELS: dict[str, str] = {
    "imd_score": "IMD 2019 average score (real values)",
    "neet": "16-17 year olds NEET or not known, % (synthetic)",
    "low_income": "Children in low-income families, % (synthetic)",
    "attainment8": "Attainment 8, Fingertips (synthetic; protective)",
    "ks4_att8": "Attainment 8, DfE school tables (synthetic; protective)",
}


def count_lsoas(counts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Count the area's LSOAs with police records in a period (for the MAUP caveat)."""
    c = counts[(counts["geo_status"] == "in_area") & (counts["month"] >= start)
               & (counts["month"] <= end)]
    return int(c["lsoa_code"].nunique())


def fingertips_truth(truth: Sequence[Mapping[str, Any]],
                     indicator_id: int = VIOLENCE_OFFENCES) -> dict[str, Any]:
    """Return the ground-truth association record of a synthetic Fingertips indicator.

    Parameters
    ----------
    truth
        Records of ``ground_truth.json``.
    indicator_id
        Indicator (default 11202, violence offences).

    Returns
    -------
    dict
        The record (``b_imd``, ``c_neet``, ``z_imd``, ``z_neet`` …).

    Raises
    ------
    KeyError
        If the build holds no such record (e.g. real Fingertips data were used).
    """
    for r in truth:
        if (r.get("source") == "fingertips" and r.get("kind") == "association"
                and int(r.get("indicator_id", -1)) == indicator_id):
            return dict(r)
    raise KeyError(f"no fingertips association record for indicator {indicator_id}")


def recovery_table(fit: NBFit, truth: Mapping[str, Any],
                   mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Compare a fitted model's log rate ratios with the generator's true coefficients.

    Parameters
    ----------
    fit
        A model with standardised predictors (per 1 SD, population SD, as the truth).
    truth
        `fingertips_truth()` record.
    mapping
        ``{predictor column: truth key}``; default ``imd_score -> b_imd``,
        ``neet -> c_neet``.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``true_rate_ratio``, ``rate_ratio``, ``lower``, ``upper``, ``covered``
        (truth inside the 95 % interval).
    """
    mapping = dict(mapping or {"imd_score": "b_imd", "neet": "c_neet"})
    rows = []
    for col in fit.predictors:
        if col not in mapping:
            continue
        t = fit.term(col)
        true_rr = math.exp(float(truth[mapping[col]]))
        rows.append({"term": col, "true_rate_ratio": true_rr,
                     "rate_ratio": float(t["rate_ratio"]), "lower": float(t["lower"]),
                     "upper": float(t["upper"]),
                     "covered": bool(t["lower"] <= true_rr <= t["upper"])})
    return pd.DataFrame(rows)


def model_table(results: pd.DataFrame, *, label_col: str = "factor") -> pd.DataFrame:
    """Format a rate-ratio table for publication (rounded strings, stable output).

    Parameters
    ----------
    results
        Output of `univariable_table()` (or any frame with ``rate_ratio``,
        ``lower``, ``upper``, ``p_value`` and optionally ``sd``, ``alpha``).
    label_col
        Column naming the rows.

    Returns
    -------
    pandas.DataFrame
        ``Risk factor``, ``1 SD =``, ``Rate ratio per 1 SD``, ``95% CI``, ``p``,
        ``Overdispersion (alpha)``.
    """
    out = pd.DataFrame({"Risk factor": results[label_col]})
    if "sd" in results:
        out["1 SD ="] = [f"{s:.3g}" for s in results["sd"]]
    out["Rate ratio per 1 SD"] = [f"{v:.2f}" for v in results["rate_ratio"]]
    out["95% CI"] = [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(results["lower"],
                                                                results["upper"], strict=True)]
    out["p"] = [_fmt_p(p) for p in results["p_value"]]
    if "alpha" in results:
        out["Overdispersion (alpha)"] = [f"{a:.3f}" for a in results["alpha"]]
    return out


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def domains_sentence(domains: pd.DataFrame) -> str:
    """Summarise the univariable deprivation-domain models in words.

    Parameters
    ----------
    domains
        `univariable_table()` over `DOMAINS`.

    Returns
    -------
    str
        Markdown paragraph: the range of the positive associations, the domains whose
        intervals overlap the strongest one, and any negative association with its
        likely reason.
    """
    d = domains[domains["column"] != "imd_score"]
    pos = d[d["lower"] > 1].sort_values("rate_ratio", ascending=False)
    neg = d[d["upper"] < 1]
    parts = []
    if len(pos):
        top = pos.iloc[0]
        overlap = pos[pos["upper"] >= top["lower"]]
        parts.append(
            f"{len(pos)} of the {len(d)} domains go with more violence, with rate ratios per "
            f"SD from {pos['rate_ratio'].min():.2f} ({pos.iloc[-1]['factor']}) to "
            f"{top['rate_ratio']:.2f} ({top['factor']}). The intervals of "
            f"{len(overlap)} of them overlap the strongest one's: across {int(top['n'])} "
            "authorities the domains move together, so these data cannot say which part of "
            "deprivation matters.")
    for _, r in neg.iterrows():
        why = (" This domain measures distance to services (GP, school, shop, post office) as "
               "well as housing affordability, so it scores rural authorities as more "
               "deprived, and rural authorities have less recorded violence."
               if r["column"] == "housing_score" else "")
        parts.append(f"{r['factor']} runs the other way (rate ratio {r['rate_ratio']:.2f}, "
                     f"95% CI {r['lower']:.2f} to {r['upper']:.2f}).{why}")
    return " ".join(parts)


def synthetic_sentences(uni: pd.DataFrame, recovery: pd.DataFrame) -> tuple[str, str]:
    """Describe the synthetic illustration: univariable results, then the recovery.

    Parameters
    ----------
    uni
        `univariable_table()` of the synthetic risk factors.
    recovery
        `recovery_table()` of the two-predictor model.

    Returns
    -------
    tuple of str
        ``(univariable paragraph, recovery paragraph)``.
    """
    sig = uni[(uni["lower"] > 1) | (uni["upper"] < 1)]
    prot = uni[uni["upper"] < 1]
    n_sig = f"All {len(uni)}" if len(sig) == len(uni) else f"{len(sig)} of the {len(uni)}"
    first = (f"{n_sig} risk factors are significantly associated with "
             f"violence on their own (rate ratios per SD from {uni['rate_ratio'].min():.2f} to "
             f"{uni['rate_ratio'].max():.2f})")
    if len(prot):
        first += (f"; {' and '.join(prot['factor'].str.split(' [(]', regex=True).str[0])} "
                  f"{'goes' if len(prot) == 1 else 'go'} the other way, as protective "
                  "factors should")
    first += (". In the generator only deprivation and NEET act on violence directly: the "
              "other associations arise because those factors track deprivation.")
    ok = bool(recovery["covered"].all())
    rows = "; ".join(
        f"{FINGERTIPS_FACTOR_LABELS.get(r['term'], r['term']).split(' (')[0].split(',')[0]}: "
        f"estimated {r['rate_ratio']:.3f} (95% CI {r['lower']:.3f} to {r['upper']:.3f}), "
        f"true {r['true_rate_ratio']:.3f}" for _, r in recovery.iterrows())
    second = (f"{'Both true rate ratios lie' if ok else 'Not every true rate ratio lies'} "
              f"inside the 95% intervals ({rows}). "
              + ("The model recovers the built-in associations, but only because the "
                 "synthetic data were generated from this kind of model with no unmeasured "
                 "confounders; real data offer no such guarantee."
                 if ok else "The model does not recover the built-in associations here."))
    return first, second


def truth_sentence(truth: Mapping[str, Any]) -> str:
    """Describe the association built into the synthetic violence-offences indicator.

    Parameters
    ----------
    truth
        `fingertips_truth()` record.

    Returns
    -------
    str
        Markdown sentence with the true log rate ratios and rate ratios per 1 SD.
    """
    b, c = float(truth["b_imd"]), float(truth["c_neet"])
    return (f"The synthetic Fingertips export was generated with a **known** association: the "
            f"log rate of violence offences (indicator {int(truth['indicator_id'])}) rises by "
            f"{b:.2f} per SD of the IMD 2019 score (a rate ratio of {math.exp(b):.3f}) and by "
            f"{c:.2f} per SD of the NEET indicator (rate ratio {math.exp(c):.3f}), with "
            f"authority-by-year noise of SD {float(truth['sigma']):.2f} on the log scale; NEET "
            "itself was generated to track deprivation.")


def recovery_display(recovery: pd.DataFrame) -> pd.DataFrame:
    """Format `recovery_table()` for publication (labels, rounded strings)."""
    return pd.DataFrame({
        "Risk factor": recovery["term"].map(FINGERTIPS_FACTOR_LABELS).fillna(recovery["term"]),
        "True rate ratio": [f"{v:.3f}" for v in recovery["true_rate_ratio"]],
        "Estimated rate ratio": [f"{v:.3f}" for v in recovery["rate_ratio"]],
        "95% CI": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(recovery["lower"],
                                                              recovery["upper"], strict=True)],
        "Truth inside the interval": recovery["covered"].map({True: "yes", False: "no"}),
    })


def residual_display(residuals: pd.DataFrame) -> pd.DataFrame:
    """Format `residual_table()` for publication (expected rounded, ratio as text)."""
    return pd.DataFrame({
        "Authority": residuals["la_name"], "observed": residuals["observed"],
        "expected": residuals["expected"].round().astype("int64"),
        "observed / expected": [f"{v:.2f}" for v in residuals["ratio"]],
    })


def model_data_display(data: pd.DataFrame) -> pd.DataFrame:
    """Select and format the real model data for publication."""
    out = data[["la_name", "count", "person_years", "rate", "lower_ci", "upper_ci"]].copy()
    out["imd_score"] = [f"{v:.1f}" for v in data["imd_score"]]
    return out.rename(columns={"la_name": "Authority", "imd_score": "IMD 2019 score"})


# ===================================================================== figures


def _place_labels(ax: Any, xs: np.ndarray, ys: np.ndarray, labels: Sequence[str]) -> None:
    """Label points without overlaps (greedy search over offsets, deterministic)."""
    fig = ax.figure
    fig.canvas.draw()
    trans = ax.transData
    pts = trans.transform(np.column_stack([xs, ys]))
    dpi_scale = fig.dpi / 72.0
    placed: list[tuple[float, float, float, float]] = []
    r_pt = 6 * dpi_scale
    occupied = [(px - r_pt, py - r_pt, px + r_pt, py + r_pt) for px, py in pts]
    cands = [(8, 0, "left"), (-8, 0, "right"), (8, 10, "left"), (8, -10, "left"),
             (-8, 10, "right"), (-8, -10, "right"), (8, 18, "left"), (8, -18, "left"),
             (-8, 18, "right"), (-8, -18, "right"), (0, 15, "center"), (0, -15, "center")]
    order = np.argsort(-ys)
    for i in order:
        w = 5.2 * len(labels[i]) * dpi_scale
        h = 10 * dpi_scale
        px, py = pts[i]
        best = None
        for dx, dy, ha in cands:
            ox, oy = dx * dpi_scale, dy * dpi_scale
            x0 = px + ox if ha == "left" else (px + ox - w if ha == "right" else px - w / 2)
            box = (x0, py + oy - h / 2, x0 + w, py + oy + h / 2)
            bbox_ax = ax.get_window_extent()
            inside = (box[0] >= bbox_ax.x0 and box[2] <= bbox_ax.x1 and box[1] >= bbox_ax.y0
                      and box[3] <= bbox_ax.y1)
            clash = any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3])
                        for j, b in enumerate(occupied) if j != i) or any(
                not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3])
                for b in placed)
            if inside and not clash:
                best = (dx, dy, ha, box)
                break
        if best is None:
            best = (8, 0, "left", (px, py, px, py))
        dx, dy, ha, box = best
        placed.append(box)
        ax.annotate(labels[i], (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points",
                    ha=ha, va="center", fontsize=8, color="#333333")


def scatter_figure(data: pd.DataFrame, fit: NBFit, *, source: str, title: str,
                   x: str = "imd_score", rate: str = "rate", unit: str = "la_name",
                   xlabel: str = "IMD 2019 average score (higher = more deprived)",
                   ylabel: str = "Violence and sexual offences per 1,000 residents per year"
                   ) -> Figure:
    """Scatter of rate against a risk factor with the fitted NB curve and its 95 % band.

    Parameters
    ----------
    data
        One row per unit, with ``x``, ``rate``, ``lower_ci``/``upper_ci`` (optional) and
        ``unit``.
    fit
        One-predictor `NBFit` on ``x``.
    source, title
        Source line and title.
    x, rate, unit
        Column names.
    xlabel, ylabel
        Axis labels with units.

    Returns
    -------
    matplotlib.figure.Figure
        Points with their 95 % intervals, the fitted rate (line) and its 95 %
        confidence band, each point labelled.
    """
    fig, ax = plots.new_figure(figsize=(8.5, 5.6))
    xs = data[x].to_numpy(dtype=float)
    ys = data[rate].to_numpy(dtype=float)
    grid = pd.DataFrame({x: np.linspace(xs.min() - 1, xs.max() + 1, 200)})
    pred = fit.predict_rate(grid)
    ax.fill_between(grid[x], pred["lower"], pred["upper"], color=plots.COLOURS["fitted"],
                    alpha=0.18, lw=0, label="95% confidence band of the fitted rate")
    ax.plot(grid[x], pred["rate"], color=plots.COLOURS["fitted"], lw=2,
            label="fitted negative binomial model")
    point_label = "authority"
    if {"lower_ci", "upper_ci"} <= set(data.columns):
        ax.errorbar(xs, ys, yerr=[ys - data["lower_ci"], data["upper_ci"] - ys], fmt="none",
                    ecolor=plots.COLOURS["observed"], elinewidth=1, alpha=0.6)
        tiny = float(((data["upper_ci"] - data["lower_ci"]) / data[rate]).max()) < 0.08
        point_label += (" (95% CIs are narrower than the dots)" if tiny
                        else " with 95% CI")
    ax.plot(xs, ys, "o", color=plots.COLOURS["observed"], ms=7, label=point_label)
    ax.set_ylim(0, max(ys.max(), float(pred["upper"].max())) * 1.12)
    ax.set_xlim(xs.min() - 3, xs.max() + 6)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    plots.finish(fig, title=title, source=source, alt="placeholder", xlabel=xlabel,
                 ylabel=ylabel)
    _place_labels(ax, xs, ys, list(data[unit].astype(str)))
    t = fit.term(x)
    hi = data.loc[data[x].idxmax()]
    lo = data.loc[data[x].idxmin()]
    fig.lvrn_alt = (
        f"Scatter of {len(data)} authorities: {ylabel.lower()} against {xlabel.split(' (')[0]}. "
        f"Rates rise with deprivation, from {lo[rate]:.1f} in {lo[unit]} (score "
        f"{lo[x]:.1f}) to {hi[rate]:.1f} in {hi[unit]} (score {hi[x]:.1f}); the fitted curve "
        f"implies a rate ratio of {t['rate_ratio']:.2f} per standard deviation "
        f"(95% CI {t['lower']:.2f} to {t['upper']:.2f}).")
    return fig


def forest_figure(results: pd.DataFrame, *, source: str, title: str,
                  label_col: str = "factor") -> Figure:
    """Forest plot of rate ratios per 1 SD with 95 % intervals (log scale).

    Parameters
    ----------
    results
        Output of `univariable_table()`.
    source, title
        Source line and title.
    label_col
        Column naming the rows.

    Returns
    -------
    matplotlib.figure.Figure
        One row per risk factor, a vertical line at 1 (no association).
    """
    n = len(results)
    fig, ax = plots.new_figure(figsize=(8.5, 1.7 + 0.45 * n))
    y = np.arange(n)
    rr = results["rate_ratio"].to_numpy()
    lo = results["lower"].to_numpy()
    hi = results["upper"].to_numpy()
    ax.errorbar(rr, y, xerr=[rr - lo, hi - rr], fmt="o", color=plots.COLOURS["observed"],
                ecolor=plots.COLOURS["observed"], capsize=3, ms=6)
    ax.axvline(1.0, color="#444444", lw=1, ls="--")
    ax.set_xscale("log")
    ticks = [0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0]
    lo_lim = min(lo.min(), 0.9) * 0.92
    hi_data = max(hi.max(), 1.1) * 1.04
    hi_lim = hi_data * (hi_data / lo_lim) ** 0.45
    ax.set_xticks([t for t in ticks if lo_lim <= t <= hi_data],
                  [f"{t:g}" for t in ticks if lo_lim <= t <= hi_data])
    ax.minorticks_off()
    ax.set_xlim(lo_lim, hi_lim)
    ax.set_yticks(y, [textwrap.fill(str(s), 32) for s in results[label_col]], fontsize=8.5)
    ax.set_ylim(n - 0.5, -1.0)
    for yi, r, l_, h_ in zip(y, rr, lo, hi, strict=True):
        ax.text(hi_lim / 1.005, yi, f"{r:.2f} ({l_:.2f} to {h_:.2f})", ha="right",
                va="center", fontsize=8, color="#333333")
    ax.text(hi_lim / 1.005, -0.75, "Rate ratio (95% CI)", ha="right", va="center",
            fontsize=8, fontweight="bold")
    top = results.iloc[int(np.argmax(rr))]
    low = results.iloc[int(np.argmin(rr))]
    alt = (f"Forest plot of {n} rate ratios per 1 standard deviation with 95% intervals. "
           f"Largest: {top[label_col]} ({top['rate_ratio']:.2f}); smallest: "
           f"{low[label_col]} ({low['rate_ratio']:.2f}). Values above 1 mean more violence "
           "in authorities with higher values of the factor.")
    return plots.finish(fig, title=title, source=source, alt=alt,
                        xlabel="Rate ratio of violence per 1 SD of the factor (log scale; "
                               "95% CI)", ylabel="Risk factor")


# ===================================================================== narrative


def geography_table() -> pd.DataFrame:
    """Which geography each input is available at in this build, and whether it is real.

    Returns
    -------
    pandas.DataFrame
        ``Data``, ``Finest geography in this build``, ``Real or synthetic``, ``Role``.
    """
    rows = [
        ("Police street-level crime (data.police.uk)", "LSOA (month)", "real", "outcome"),
        ("ONS mid-year population estimates", "local authority", "real", "offset"),
        ("IMD 2019 average score and domains", "local authority (LSOA version not shipped)",
         "real", "risk factor"),
        ("Fingertips indicators", "local authority (district & UA)", "synthetic",
         "profile; illustrative outcome and risk factors"),
        ("DfE key stage 4 attainment", "school, aggregated to local authority", "synthetic",
         "illustrative risk factor"),
    ]
    return pd.DataFrame(rows, columns=["Data", "Finest geography in this build",
                                       "Real or synthetic", "Role"])


def headline_sentence(fit: NBFit, data: pd.DataFrame, loo: pd.DataFrame, *,
                      period: str, predictor: str = "imd_score") -> str:
    """State the headline result of the real-data model in plain words.

    Parameters
    ----------
    fit
        NB model of police violence on the IMD score.
    data
        The model data (`real_model_data()`).
    loo
        `leave_one_out()` of the same model.
    period
        The 12 months, in words.
    predictor
        Predictor column.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = fit.term(predictor)
    sd = fit.sds[predictor]
    per10 = math.exp(float(t["coef"]) * 10 / sd)
    cv = math.sqrt(fit.alpha)
    lo_row, hi_row = loo.iloc[0], loo.iloc[-1]
    return (
        f"Across the {fit.n} authorities, in {period}, **each 1 SD higher IMD 2019 average "
        f"score ({sd:.3g} points) is associated with {t['rate_ratio']:.2f} times the rate of "
        f"recorded violence and sexual offences (95% CI {t['lower']:.2f} to "
        f"{t['upper']:.2f})**, about {per10:.2f} times per 10 points of score. "
        f"Leaving out one authority at a time, the rate ratio ranges from "
        f"{lo_row['rate_ratio']:.2f} (without {lo_row['left_out']}) to "
        f"{hi_row['rate_ratio']:.2f} (without {hi_row['left_out']}). "
        f"The negative binomial dispersion alpha = {fit.alpha:.3f} means that authorities "
        f"with the same deprivation still differ by about {cv:.0%} (coefficient of variation) "
        f"in their rates; a Poisson model would have had a dispersion of "
        f"{fit.poisson_dispersion:.0f} instead of 1 and intervals far too narrow. "
        f"Deprivation scores of the {len(data)} authorities range from "
        f"{data[predictor].min():.1f} to {data[predictor].max():.1f}.")


def caveats_markdown(fit: NBFit, ft_data: pd.DataFrame, *, n_lsoas: int | None = None) -> str:
    """Spell out the caveats of ecological inference, with this page's own numbers.

    Parameters
    ----------
    fit
        The real-data model.
    ft_data
        `fingertips_model_data()` (for the IMD-NEET correlation).
    n_lsoas
        Number of LSOAs with police counts (for the MAUP point).

    Returns
    -------
    str
        Markdown bullet list.
    """
    r = float(np.corrcoef(ft_data["imd_score"], ft_data["neet"])[0, 1])
    vif = 1 / (1 - r**2)
    lsoa = f"{n_lsoas:,} LSOAs" if n_lsoas else "LSOAs"
    return "\n".join([
        f"* **Ecological fallacy.** The unit is the authority ({fit.n} of them). An "
        "association between deprived *places* and violent *places* does not show that "
        "deprived *people* are more likely to be victims or offenders; individual-level "
        "data are needed for that (Robinson 1950; Morgenstern 1995).",
        "* **Confounding.** Deprivation travels with urban centres, night-time economies, "
        "transport hubs and police activity, which also raise *recorded* violence. In the "
        f"synthetic illustration above, NEET and deprivation correlate at r = {r:.2f} "
        f"(variance inflation factor {vif:.1f}), so their separate effects can only be told "
        "apart because the data were generated to allow it.",
        f"* **{fit.n} units.** With {fit.n} authorities a model can carry one or two "
        "predictors at most; intervals are large-sample (Wald) approximations, and one "
        "authority can move the estimate (see the leave-one-out range).",
        "* **Modifiable areal unit problem.** Associations depend on the units: each "
        f"authority averages over many of the area's {lsoa}, whose deprivation and violence "
        "vary much more than the authority averages do. Grouping them differently (wards, "
        "LSOAs, police beats) would give different, typically weaker, correlations "
        "(Openshaw 1984).",
        "* **Cross-sectional.** The IMD 2019 mostly uses data for 2015/16 and the police "
        "counts are for a later year; nothing here says which came first or that changing "
        "deprivation would change violence.",
        "* **Measurement.** Police-recorded violence reflects reporting and recording as "
        "well as violence, and the data.police.uk category mixes serious and less serious "
        "offences (see the problem-profile page).",
    ])


def narrative_markdown(fit: NBFit, residuals: pd.DataFrame, uni_ft: pd.DataFrame,
                       adjusted: pd.DataFrame, spine: pd.DataFrame) -> str:
    """Write a short, honest narrative computed from the page's results.

    Parameters
    ----------
    fit
        Real-data model (police violence on IMD score).
    residuals
        `residual_table()` of that model.
    uni_ft
        `univariable_table()` of the synthetic Fingertips illustration.
    adjusted
        `recovery_table()` of the two-predictor synthetic model.
    spine
        `spine_data()` (for the count of worse-than-England cells).

    Returns
    -------
    str
        Markdown paragraphs.
    """
    t = fit.term("imd_score")
    above = residuals[residuals["ratio"] > 1.1]
    below = residuals[residuals["ratio"] < 0.9]

    def names(df: pd.DataFrame, col: str = "la_name") -> str:
        items = [f"{r[col]} ({r['ratio']:.2f})" for _, r in df.iterrows()]
        if not items:
            return "none"
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    neet_u = uni_ft.set_index("column").loc["neet"]
    neet_a = adjusted.set_index("term").loc["neet"]
    worse = spine[spine["comparison"] == "worse"]
    most = worse.groupby("area_name").size().sort_values(ascending=False)
    top = most[most == most.max()].index.tolist() if len(most) else []
    n_worse = spine.assign(w=spine["comparison"] == "worse").groupby("area_name")["w"].sum()
    imd_by = spine[spine["indicator_id"] == IMD_SCORE].set_index("area_name")["value"]
    rho = float(n_worse.reindex(imd_by.index).rank().corr(imd_by.rank()))
    return "\n\n".join([
        f"**Deprivation and violence go together in pan-Lancashire.** The more deprived the "
        f"authority, the higher its rate of recorded violence: {t['rate_ratio']:.2f} times "
        f"per standard deviation of the IMD 2019 score (95% CI {t['lower']:.2f} to "
        f"{t['upper']:.2f}), on real data. That is what the needs assessment's focus on "
        "deprived communities assumed, and it is a statement about places.",
        "**Deprivation is not the whole story.** Relative to what their deprivation "
        f"predicts, violence is higher than expected (observed / expected above 1.1) in "
        f"{names(above)} and lower than expected (below 0.9) in {names(below)}. Where "
        "offences are recorded (town centres, transport hubs, retail parks), travel across "
        "authority boundaries and recording practice are possible reasons, which these data "
        "cannot tell apart.",
        f"**Risk factors overlap.** In the synthetic Fingertips illustration, NEET alone "
        f"looks like a strong risk factor ({neet_u['rate_ratio']:.2f} per SD), but with "
        f"deprivation in the model its rate ratio falls to {neet_a['rate_ratio']:.2f} "
        f"(95% CI {neet_a['lower']:.2f} to {neet_a['upper']:.2f}), close to the "
        f"{neet_a['true_rate_ratio']:.2f} built into the data. Univariable associations "
        "between authorities mostly measure how strongly a factor tracks deprivation.",
        f"**On the profile** (synthetic values), {len(worse)} of "
        f"{int(spine['value'].notna().sum())} authority-indicator values are significantly "
        f"worse than England. {', '.join(top)} {'is' if len(top) == 1 else 'are'} worse "
        f"on the most indicators ({int(most.max()) if len(most) else 0} of "
        f"{spine['indicator_id'].nunique()}). The number of indicators worse than England "
        f"rises with deprivation (Spearman rank correlation {rho:.2f} with the IMD 2019 "
        "score across the authorities), as it must in these synthetic data, which were "
        "generated from deprivation.",
        "**What this cannot say**: that reducing deprivation, NEET or poor attainment in an "
        "authority would reduce its violence, or that any individual is at higher risk. "
        "It can say where need is concentrated, which is how the LVRN needs assessment used "
        "such data (evaluation report §2.3, Table 1).",
    ])
