r"""Impact page logic: interrupted time series (ITS) against the outcomes framework.

This module holds everything the "Impact" story page computes, so that the notebook
stays a sequence of short calls:

* `build_framework_series()` turns a processed police table into the tidy series
  frame the ITS engine expects (``indicator_id, area_code, date, count, population``),
  one series per framework indicator x area (plus an area total), with monthly
  populations from the nearest available ONS mid-year estimate;
* `real_series_refusal()` tries the real (gapped) extract and says, in a sentence,
  why the engine refuses it;
* `evaluate()`, `attach_truth()`, `compare_designs()` and
  `ground_truth_sentence()` run `lvrn_analysis.its.evaluate_framework()` and
  check its verdicts against the synthetic data's known injected effect;
* `key_series()`, `fit_key()`, `averted_table()` and
  `counterfactual_figure()` give counterfactuals and averted counts;
* `placebo()`, `sensitivity_table()` and `sensitivity_figure()` check
  robustness;
* `power_study()`, `power_table()` and `power_figure()` answer "how long
  until an effect of this size is detectable?".

Model
-----
`PRIMARY_MODEL` is the recommended specification of the ITS engine
(`lvrn_analysis.its.RECOMMENDED`: quasi-Poisson, two Fourier pairs, model-based
standard errors, t intervals) with a level **and** slope change at go-live (the standard
segmented regression of Lopez Bernal, Cummins & Gasparrini 2017, *Int J Epidemiol*
46(1):348-355) and the share of each month spent in each national COVID-19 lockdown as
covariates. The post period here is three years long and spans the pandemic, so the
page does not force the pre-go-live trend onto it (a level-only model does). The
level-only framework default and a controlled ITS (Lopez Bernal, Cummins & Gasparrini
2018, *Int J Epidemiol* 47(6):2082-2093) are reported beside it (`DESIGNS`).

Populations
-----------
The reference populations hold a few ONS mid-year estimates (for Lancashire mid-2019,
mid-2020 and mid-2022). Each month takes the estimate whose mid-year (1 July) is
closest to the middle of the month (the rule of
`lvrn_analysis.story.profile.nearest_mid_year()`; ties go to the earlier year), so months
up to December 2019 use mid-2019, January 2020 to June 2021 mid-2020 and later months
mid-2022. No interpolation or extrapolation is attempted.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import populations
from lvrn_analysis.config.outcomes import Indicator, OutcomesFramework, load_framework
from lvrn_analysis.its import (
    RECOMMENDED,
    ITSResults,
    PlaceboResults,
    evaluate_framework,
    fit_its,
    minimum_detectable_effect,
    placebo_test,
    power_analysis,
    sensitivity,
)

__all__ = [
    "DESIGNS",
    "FRAMEWORK_DEFAULT_MODEL",
    "KeySeries",
    "PRIMARY_MODEL",
    "TOTAL_CODE",
    "attach_truth",
    "averted_sentence",
    "averted_table",
    "step_only",
    "truth_description",
    "power_caveat",
    "build_framework_series",
    "compare_designs",
    "counterfactual_figure",
    "design_figure",
    "design_table",
    "evaluate",
    "evaluate_controlled",
    "fit_key",
    "framework_table",
    "ground_truth_sentence",
    "indicator_overview",
    "injected_effects",
    "key_series",
    "load_ground_truth",
    "monthly_population",
    "placebo",
    "framework_placebos",
    "placebo_figure",
    "placebo_sentence",
    "power_figure",
    "power_inputs",
    "power_sentence",
    "power_study",
    "power_table",
    "real_series_refusal",
    "sensitivity_figure",
    "sensitivity_sentence",
    "sensitivity_table",
]

#: ``area_code`` of the whole-area total series (sum of the indicator's authorities).
TOTAL_CODE = "total"

#: Framework source id served by the processed police tables.
POLICE_SOURCE = "police_street"

#: The page's primary model (see the module docstring).
PRIMARY_MODEL: dict[str, Any] = {**RECOMMENDED, "slope_change": True, "lockdowns": True}

#: The framework default of `lvrn_analysis.its.evaluate_framework()` (level change
#: only), with the same lockdown covariates.
FRAMEWORK_DEFAULT_MODEL: dict[str, Any] = {**RECOMMENDED, "slope_change": False,
                                           "lockdowns": True}

#: Designs compared against the ground truth: label -> (model, controlled).
DESIGNS: dict[str, tuple[dict[str, Any], bool]] = {
    "Level change only (framework default)": (FRAMEWORK_DEFAULT_MODEL, False),
    "Level and slope change (primary)": (PRIMARY_MODEL, False),
    "Controlled: each authority against the others (level change)":
        (FRAMEWORK_DEFAULT_MODEL, True),
}

#: Short names of the designs, for chart legends.
DESIGN_SHORT = {
    "Level change only (framework default)": "Level only",
    "Level and slope change (primary)": "Level + slope (primary)",
    "Controlled: each authority against the others (level change)": "Controlled",
}

SYNTHETIC_SOURCES = [
    "synthetic data.police.uk-format street-level crime calibrated to the real "
    "Lancashire months (lvrn_analysis.synthetic.police)",
    "ONS mid-year population estimates (OGL v3.0)",
]

#: Disclosure source key for tables built on the synthetic police series. It is not
#: registered as exempt, so tables published under it are disclosure controlled.
SYNTHETIC_TABLE_SOURCE = "synthetic_police"


# --------------------------------------------------------------------------- formatting
def _fmt_rr(rr: float, lo: float, hi: float, nd: int = 3) -> str:
    if not np.isfinite(rr):
        return ""
    return f"{rr:.{nd}f} ({lo:.{nd}f} to {hi:.{nd}f})"


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _pct(x: float, nd: int = 0) -> str:
    return f"{100 * x:.{nd}f}%"


def _month_runs(months: Sequence[pd.Timestamp]) -> str:
    """Describe months compactly: ``"March to November 2019, June 2020"``."""
    per = sorted({pd.Timestamp(m).to_period("M") for m in months})
    runs: list[list[pd.Period]] = []
    for p in per:
        if runs and (p - runs[-1][-1]).n == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    parts = []
    for r in runs:
        a, b = r[0].to_timestamp(), r[-1].to_timestamp()
        if len(r) == 1:
            parts.append(f"{a:%B %Y}")
        elif len(r) == 2:
            parts.append(f"{a:%B} and {b:%B %Y}" if a.year == b.year
                         else f"{a:%B %Y} and {b:%B %Y}")
        else:
            parts.append(f"{a:%B} to {b:%B %Y}" if a.year == b.year
                         else f"{a:%B %Y} to {b:%B %Y}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- series
def monthly_population(area: AreaConfig, months: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """Return each authority's population in each month, from the nearest mid-year estimate.

    Parameters
    ----------
    area
        Area configuration (its authorities are returned).
    months
        Month-start dates.

    Returns
    -------
    pandas.DataFrame
        ``la_code, date, mid_year, population``, one row per authority x month. The
        mid-year is the available estimate closest to the middle of the month (the rule
        of `lvrn_analysis.story.profile.nearest_mid_year()`), using only mid-years
        available for every authority of the area.

    Raises
    ------
    ValueError
        If no mid-year estimate covers all the area's authorities.
    """
    pops = populations(area)
    per_year = pops.groupby("mid_year")["la_code"].nunique()
    years = sorted(int(y) for y, n in per_year.items() if n == len(area.authorities))
    if not years:
        raise ValueError(f"no mid-year population estimate covers all {len(area.authorities)} "
                         f"authorities of {area.id}")
    dates = pd.DatetimeIndex(sorted({pd.Timestamp(m) for m in months}))
    mid = [_nearest_mid_year(d, years) for d in dates]
    grid = pd.DataFrame({"date": dates, "mid_year": mid})
    out = grid.merge(pops[["la_code", "mid_year", "population"]], on="mid_year", how="left")
    out["population"] = out["population"].astype(float)
    return out[["la_code", "date", "mid_year", "population"]].sort_values(
        ["la_code", "date"]).reset_index(drop=True)


def _nearest_mid_year(month: pd.Timestamp, available: Sequence[int]) -> int:
    """Return the available mid-year closest to the middle of a month (ties: earlier year).

    The same rule as `lvrn_analysis.story.profile.nearest_mid_year()` for a one-month period:
    the month's middle is placed at ``year + (day_of_year - 182) / 365.25`` and compared
    with each mid-year (1 July, i.e. ``year + 0``).
    """
    mid = month + (month + pd.offsets.MonthEnd(0) - month) / 2
    target = mid.year + (mid.day_of_year - 182) / 365.25
    return int(min(available, key=lambda y: (abs(y - target), y)))


def _served(ind: Indicator, counts: pd.DataFrame, source: str) -> bool:
    filt = ind.series.get("filter") or {}
    return ind.source == source and all(k in counts.columns for k in filt)


def build_framework_series(
    counts: pd.DataFrame,
    months: pd.DataFrame,
    area: AreaConfig,
    framework: OutcomesFramework | None = None,
    *,
    source: str = POLICE_SOURCE,
    include_total: bool = True,
) -> pd.DataFrame:
    """Build the tidy framework series from a processed police table.

    Every framework indicator whose ``source`` is ``source`` and whose series filter
    names columns of ``counts`` (e.g. ``crime_type``) gets one monthly series per
    indicator area: the rows placed in that authority (``geo_status == "in_area"``)
    that match the filter. Months the ``months`` table marks as missing are **left
    out** (gaps stay gaps; the ITS engine refuses gapped series rather than
    zero-filling them); a month with data but no matching rows counts 0.

    Parameters
    ----------
    counts
        A processed police table (``police_street`` or ``police_street_synthetic``):
        ``month, la_code, crime_type, geo_status, count``.
    months
        Its months table (``month, status``).
    area
        Area configuration (for populations).
    framework
        Outcomes framework; default the shipped proposal.
    source
        Framework source id the table serves.
    include_total
        Add a series with ``area_code == TOTAL_CODE``: the sum over the indicator's
        authorities (and of their populations).

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, area_code, date, count, population`` sorted by indicator, area
        and date; ``count`` is int64, ``population`` float.
    """
    fw = framework if framework is not None else load_framework()
    present = months.loc[months["status"] == "present", "month"]
    grid = pd.DatetimeIndex(sorted(pd.to_datetime(present).unique()))
    pop = monthly_population(area, grid)
    located = counts[counts["geo_status"] == "in_area"]
    parts = []
    for ind in fw.indicators:
        if not _served(ind, counts, source):
            continue
        sel = located
        for k, v in (ind.series.get("filter") or {}).items():
            sel = sel[sel[k] == v]
        agg = sel.groupby(["la_code", "month"])["count"].sum()
        full = pd.MultiIndex.from_product([list(ind.areas), grid], names=["la_code", "month"])
        s = agg.reindex(full, fill_value=0).rename("count").reset_index()
        s = s.rename(columns={"month": "date"}).merge(pop, on=["la_code", "date"], how="left")
        s = s.rename(columns={"la_code": "area_code"})
        if include_total:
            tot = s.groupby("date", as_index=False)[["count", "population"]].sum()
            tot["area_code"] = TOTAL_CODE
            s = pd.concat([s, tot], ignore_index=True)
        s["indicator_id"] = ind.id
        parts.append(s)
    cols = ["indicator_id", "area_code", "date", "count", "population"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            cols, ["object", "object", "datetime64[ns]", "int64", "float64"], strict=True)})
    out = pd.concat(parts, ignore_index=True)[cols]
    out["count"] = out["count"].astype("int64")
    out["population"] = out["population"].astype(float)
    return out.sort_values(["indicator_id", "area_code", "date"]).reset_index(drop=True)


def total_name(n_areas: int, area: AreaConfig | None = None) -> str:
    """Display name of the area-total series, e.g. ``"Pan-Lancashire total (14 authorities)"``.

    Parameters
    ----------
    n_areas
        Number of authorities summed.
    area
        Area configuration (its id names the total); ``None`` for a generic name.

    Returns
    -------
    str
        The name.
    """
    if area is None:
        return f"Area total ({n_areas} authorities)"
    return f"Pan-{area.id.capitalize()} total ({n_areas} authorities)"


# --------------------------------------------------------------------------- truth
def load_ground_truth(directory: Path | str | None = None) -> list[dict[str, Any]]:
    """Read the synthetic build's ground truth (``ground_truth.json``).

    Parameters
    ----------
    directory
        Processed folder (default: `lvrn_analysis.processed.store.processed_dir()`).

    Returns
    -------
    list of dict
        One record per injected effect, plus records stating untouched series.
    """
    from lvrn_analysis.processed.store import processed_dir

    d = Path(directory) if directory is not None else processed_dir()
    return json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))


def injected_effects(truth: Sequence[Mapping[str, Any]], framework: OutcomesFramework
                     ) -> list[dict[str, Any]]:
    """Map injected level effects to framework indicators.

    Parameters
    ----------
    truth
        Ground-truth records (`load_ground_truth()`).
    framework
        The outcomes framework.

    Returns
    -------
    list of dict
        ``indicator_id, area_code, rate_ratio, start`` for each injected level effect
        that a framework indicator measures.
    """
    out = []
    for rec in truth:
        if rec.get("effect") != "level":
            continue
        for ind in framework.indicators:
            filt = ind.series.get("filter") or {}
            if (ind.source == rec.get("source") and filt.get("crime_type") == rec.get(
                    "crime_type") and rec.get("area_code") in ind.areas):
                out.append({"indicator_id": ind.id, "area_code": rec["area_code"],
                            "rate_ratio": float(rec["rate_ratio"]),
                            "start": pd.Timestamp(str(rec["start"]) + "-01")})
    return out


def _untouched_sources(truth: Sequence[Mapping[str, Any]]) -> set[str]:
    return {str(r.get("source")) for r in truth if r.get("effect") == "none"}


def _true_rr(indicator_id: str, area_code: str, source: str,
             effects: Sequence[Mapping[str, Any]], untouched: set[str]) -> float:
    for e in effects:
        if e["indicator_id"] == indicator_id and e["area_code"] == area_code:
            return float(e["rate_ratio"])
    return 1.0 if source in untouched else float("nan")


def implied_total_rr(series: pd.DataFrame, effects: Sequence[Mapping[str, Any]],
                     indicator_id: str) -> float:
    """Approximate true rate ratio of the area total implied by the injected effects.

    ``1 - sum_a share_a (1 - RR_a)`` with ``share_a`` the authority's share of the
    total in the 12 months before the effect starts: exact if the shares stay constant.

    Parameters
    ----------
    series
        Framework series (`build_framework_series()`).
    effects
        Injected effects (`injected_effects()`).
    indicator_id
        Indicator.

    Returns
    -------
    float
        The implied rate ratio (1.0 when no effect was injected into the indicator).
    """
    effs = [e for e in effects if e["indicator_id"] == indicator_id]
    if not effs:
        return 1.0
    s = series[(series["indicator_id"] == indicator_id) & (series["area_code"] != TOTAL_CODE)]
    start = min(e["start"] for e in effs)
    pre = s[(s["date"] < start) & (s["date"] >= start - pd.DateOffset(months=12))]
    share = pre.groupby("area_code")["count"].sum() / pre["count"].sum()
    return float(1 - sum(share.get(e["area_code"], 0.0) * (1 - e["rate_ratio"]) for e in effs))


def truth_description(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                      framework: OutcomesFramework | None = None) -> str:
    """Describe the synthetic series and the injected ground truth in a paragraph.

    Parameters
    ----------
    series
        Framework series built from the synthetic table.
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    str
        Markdown paragraph.
    """
    fw = framework if framework is not None else load_framework()
    eff = injected_effects(truth, fw)
    ind = fw.indicator(eff[0]["indicator_id"]) if eff else fw.indicators[0]
    dates = pd.DatetimeIndex(sorted(series["date"].unique()))
    start = ind.intervention_start
    n_pre = int((dates < start).sum())
    text = (f"The synthetic series run from {dates[0]:%B %Y} to {dates[-1]:%B %Y}: "
            f"{len(dates)} months, {n_pre} before and {len(dates) - n_pre} from the go-live "
            f"date the framework assumes ({start:%B %Y}), with no gaps. ")
    if eff:
        changes = "; ".join(
            f"a {100 * (1 - e['rate_ratio']):.0f}% fall (rate ratio {e['rate_ratio']:.2f}) in "
            f"{fw.indicator(e['indicator_id']).name.split(' (')[0].lower()} in "
            f"{fw.areas.get(e['area_code'], e['area_code'])} from {e['start']:%B %Y}"
            for e in eff)
        text += (f"The generator injected **{_plural(len(eff), 'known change')}**: {changes}. ")
    none = [r for r in truth if r.get("effect") == "none"]
    if none:
        text += ("Every other series is untouched (the ground-truth file says: "
                 f"*{none[0].get('description', '').rstrip('.')}*). ")
    return text + ("Because the truth is known, this page can check what the method finds "
                   "and what it wrongly finds.")


def _plural(n: int, word: str) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four"}
    return f"{words.get(n, n)} {word}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- framework
def evaluate(series: pd.DataFrame, framework: OutcomesFramework | None = None, *,
             model: Mapping[str, Any] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Evaluate every framework indicator x area with the page's model.

    Parameters
    ----------
    series
        Framework series (the area total, if present, is left out).
    framework
        Outcomes framework; default the shipped proposal.
    model
        Model passed to `lvrn_analysis.its.evaluate_framework()`; default
        `PRIMARY_MODEL`.
    alpha
        Test level.

    Returns
    -------
    pandas.DataFrame
        The output of `evaluate_framework()` plus ``p_holm``: the
        Holm-adjusted p-value over the evaluated areas of each indicator.
    """
    fw = framework if framework is not None else load_framework()
    kw = dict(PRIMARY_MODEL if model is None else model)
    res = evaluate_framework(fw, series[series["area_code"] != TOTAL_CODE], alpha=alpha, **kw)
    return _add_holm(res)


def _add_holm(res: pd.DataFrame) -> pd.DataFrame:
    from statsmodels.stats.multitest import multipletests

    res = res.copy()
    res["p_holm"] = np.nan
    ok = res["status"] == "evaluated"
    for _, idx in res[ok].groupby("indicator_id").groups.items():
        p = res.loc[idx, "p_value"].to_numpy(dtype=float)
        res.loc[idx, "p_holm"] = multipletests(p, method="holm")[1]
    return res


def evaluate_controlled(series: pd.DataFrame, framework: OutcomesFramework | None = None, *,
                        model: Mapping[str, Any] | None = None,
                        alpha: float = 0.05) -> pd.DataFrame:
    """Fit a controlled ITS of each authority against the indicator's other authorities.

    For every evaluated indicator and each of its areas, the framework indicator is
    re-specified with that area alone as intervention area and all its other areas
    (with data) as comparison areas, and evaluated with ``controlled=True`` (the
    interaction model of Lopez Bernal, Cummins & Gasparrini 2018, with area intercepts).

    Parameters
    ----------
    series
        Framework series.
    framework
        Outcomes framework; default the shipped proposal.
    model
        Model; default `FRAMEWORK_DEFAULT_MODEL` (level change only).
    alpha
        Test level.

    Returns
    -------
    pandas.DataFrame
        As `evaluate()`, for the indicators with data.
    """
    fw = framework if framework is not None else load_framework()
    kw = dict(FRAMEWORK_DEFAULT_MODEL if model is None else model)
    s = series[series["area_code"] != TOTAL_CODE]
    have = set(s["indicator_id"].unique())
    rows = []
    for ind in fw.indicators:
        if ind.id not in have:
            continue
        with_data = [a for a in ind.areas if ((s["indicator_id"] == ind.id)
                                              & (s["area_code"] == a)).any()]
        for a in with_data:
            one = dataclasses.replace(ind, areas=(a,),
                                      comparison_areas=tuple(x for x in with_data if x != a))
            sub = dataclasses.replace(fw, indicators=(one,))
            rows.append(evaluate_framework(sub, s[s["indicator_id"] == ind.id], alpha=alpha,
                                           controlled=True, **kw))
    return _add_holm(pd.concat(rows, ignore_index=True))


def attach_truth(results: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                 framework: OutcomesFramework | None = None) -> pd.DataFrame:
    """Add the ground truth and a check of each verdict against it.

    Parameters
    ----------
    results
        Output of `evaluate()` (or `evaluate_controlled()`).
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    pandas.DataFrame
        ``results`` plus ``true_rate_ratio`` (NaN where the truth is unknown),
        ``covers_truth`` (the 95 % interval contains it) and ``check``: ``"found"``,
        ``"missed"``, ``"wrong direction"``, ``"false positive"``, ``"correctly not
        flagged"`` or ``""`` (not evaluated or truth unknown). The check is
        polarity-aware because it reads the polarity-aware verdict.
    """
    fw = framework if framework is not None else load_framework()
    effects = injected_effects(truth, fw)
    untouched = _untouched_sources(truth)
    src = {i.id: i.source for i in fw.indicators}
    lower = {i.id: i.lower_is_better for i in fw.indicators}
    out = results.copy()
    out["true_rate_ratio"] = [
        _true_rr(r.indicator_id, r.area_code, src.get(r.indicator_id, ""), effects, untouched)
        for r in out.itertuples(index=False)]
    checks, covers = [], []
    for r in out.itertuples(index=False):
        t = r.true_rate_ratio
        if r.status != "evaluated" or not np.isfinite(t):
            checks.append("")
            covers.append(pd.NA)
            continue
        covers.append(bool(r.ci_low <= t <= r.ci_high))
        flagged = r.verdict in ("improved", "worsened")
        if t == 1.0:
            checks.append("false positive" if flagged else "correctly not flagged")
            continue
        good = (t < 1) == bool(lower.get(r.indicator_id, True))
        expected = "improved" if good else "worsened"
        checks.append("found" if r.verdict == expected else
                      "wrong direction" if flagged else "missed")
    out["covers_truth"] = pd.array(covers, dtype="boolean")
    out["check"] = checks
    return out


def indicator_overview(results: pd.DataFrame, framework: OutcomesFramework | None = None
                       ) -> pd.DataFrame:
    """One row per framework indicator: what it measures and whether it was evaluated.

    Parameters
    ----------
    results
        Output of `evaluate()`.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    pandas.DataFrame
        ``Outcome, Indicator, Source, Polarity, Status``. Indicators without data are
        listed as ``"not evaluated: no data"``, never dropped.
    """
    fw = framework if framework is not None else load_framework()
    rows = []
    for ind in fw.indicators:
        r = results[results["indicator_id"] == ind.id]
        n_ok = int((r["status"] == "evaluated").sum())
        if n_ok:
            status = f"evaluated in {n_ok} of {len(ind.areas)} areas (synthetic series)"
        else:
            reasons = sorted(set(r["status"])) or ["not evaluated: no data"]
            status = "; ".join(reasons)
        rows.append({"Outcome": ind.outcome_name, "Indicator": ind.name,
                     "Source": fw.sources[ind.source]["name"], "Polarity": ind.polarity,
                     "Status": status})
    return pd.DataFrame(rows)


def framework_table(results: pd.DataFrame, framework: OutcomesFramework | None = None
                    ) -> pd.DataFrame:
    """Return the published per-area table of the evaluated indicators (no counts).

    Parameters
    ----------
    results
        Output of `attach_truth()`.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    pandas.DataFrame
        ``Indicator, Area, Polarity, Verdict, Level change RR (95% CI), p, p (Holm),
        MDE, Flags, Truth, Check`` as display strings.
    """
    fw = framework if framework is not None else load_framework()
    names = {i.id: i.name.split(" (")[0] for i in fw.indicators}
    r = results[results["status"] == "evaluated"]
    rows = []
    for x in r.itertuples(index=False):
        flags = [n for n, f in (("overdispersion", x.flag_overdispersion),
                                ("autocorrelation", x.flag_autocorrelation),
                                ("short series", x.flag_short_series),
                                ("no convergence", x.flag_convergence)) if bool(f)]
        t = x.true_rate_ratio
        truth = ("" if not np.isfinite(t) else "untouched (1)" if t == 1.0
                 else f"injected ({t:.2f})")
        rows.append({"Indicator": names[x.indicator_id], "Area": x.area_name,
                     "Polarity": x.polarity, "Verdict": x.verdict,
                     "Level change RR (95% CI)": _fmt_rr(x.rate_ratio, x.ci_low, x.ci_high),
                     "p": _fmt_p(x.p_value), "p (Holm)": _fmt_p(x.p_holm),
                     "MDE": _pct(x.mde), "Flags": ", ".join(flags) or "none",
                     "Truth (RR)": truth, "Check": x.check})
    return pd.DataFrame(rows)


def _flag_counts(res: pd.DataFrame) -> dict[str, Any]:
    ev = res[res["status"] == "evaluated"]
    un = ev[ev["true_rate_ratio"] == 1.0]
    tr = ev[(ev["true_rate_ratio"] != 1.0) & ev["true_rate_ratio"].notna()]
    # flags at the nominal level: the verdict before multiplicity adjustment
    verdict = un["verdict_unadjusted"] if "verdict_unadjusted" in un else un["verdict"]
    flagged = verdict.isin(["improved", "worsened"])
    return {
        "n_untouched": len(un),
        "false_pos": int(flagged.sum()),
        "false_improved": int((verdict == "improved").sum()),
        "false_worsened": int((verdict == "worsened").sum()),
        "false_pos_names": un.loc[flagged, "area_name"].tolist(),
        "false_pos_holm": int((flagged & (un["p_holm"] < 0.05)).sum()),
        "mean_rr_untouched": float(np.exp(np.log(un["rate_ratio"]).mean())) if len(un)
        else float("nan"),
        "treated": tr,
    }


def ground_truth_sentence(results: pd.DataFrame, alpha: float = 0.05) -> str:
    """Say whether the injected effect was found and how many untouched areas were flagged.

    Parameters
    ----------
    results
        Output of `attach_truth()`.
    alpha
        Test level used for the verdicts.

    Returns
    -------
    str
        Markdown paragraph, including the multiple-testing arithmetic.
    """
    c = _flag_counts(results)
    parts = []
    for t in c["treated"].itertuples(index=False):
        found = {"found": "**was found**", "missed": "**was missed**",
                 "wrong direction": "**was estimated in the wrong direction**"}[t.check]
        cover = ("inside" if t.covers_truth else "**outside**")
        parts.append(
            f"The injected change in {t.area_name} ({_pct(1 - t.true_rate_ratio)} fall, rate "
            f"ratio {t.true_rate_ratio:.2f}) {found}: estimated rate ratio "
            f"{_fmt_rr(t.rate_ratio, t.ci_low, t.ci_high)}, so the truth lies {cover} the 95% "
            f"interval; "
            + (f"it stays significant after Holm adjustment (adjusted p {_fmt_p(t.p_holm)})."
               if t.p_holm < alpha else
               f"it is not significant after Holm adjustment (adjusted p "
               f"{_fmt_p(t.p_holm)})."))
    n, k = c["n_untouched"], c["false_pos"]
    if n:
        names = f" ({', '.join(c['false_pos_names'])})" if k else ""
        detail = ""
        if k:
            detail = (f": {c['false_improved']} as improved and "
                      f"{c['false_worsened']} as worsened")
        expected = n * alpha
        p_any = 1 - (1 - alpha) ** n
        parts.append(
            f"**{k} of the {n} untouched authorities {'was' if k == 1 else 'were'} flagged at the "
            f"{_pct(alpha)} level**{names}{detail}. With {n} tests at {_pct(alpha)}, about "
            f"{expected:.2f} false positives are expected by chance alone and the chance of "
            f"at least one is {_pct(p_any)}. After Holm's adjustment for the "
            f"{n + len(c['treated'])} tests, {c['false_pos_holm']} untouched "
            f"{'authority remains' if c['false_pos_holm'] == 1 else 'authorities remain'} "
            "flagged.")
    return " ".join(parts)


def compare_designs(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                    framework: OutcomesFramework | None = None, *,
                    designs: Mapping[str, tuple[Mapping[str, Any], bool]] | None = None,
                    alpha: float = 0.05) -> dict[str, pd.DataFrame]:
    """Evaluate the framework under several designs and attach the ground truth.

    Parameters
    ----------
    series
        Framework series.
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.
    designs
        ``label -> (model, controlled)``; default `DESIGNS`.
    alpha
        Test level.

    Returns
    -------
    dict
        ``label -> attach_truth(...)`` frame, evaluated rows only.
    """
    fw = framework if framework is not None else load_framework()
    out = {}
    for label, (model, controlled) in (designs or DESIGNS).items():
        res = (evaluate_controlled(series, fw, model=model, alpha=alpha) if controlled
               else evaluate(series, fw, model=model, alpha=alpha))
        res = attach_truth(res, truth, fw)
        out[label] = res[res["status"] == "evaluated"].reset_index(drop=True)
    return out


def design_table(designs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Summarise each design against the ground truth (one row per design).

    Parameters
    ----------
    designs
        Output of `compare_designs()`.

    Returns
    -------
    pandas.DataFrame
        ``Design, Treated area: RR (95% CI), Truth inside CI, Untouched flagged at 5%,
        Flagged after Holm, Geometric mean RR of untouched`` as display strings.
    """
    rows = []
    for label, res in designs.items():
        c = _flag_counts(res)
        t = c["treated"]
        tr = t.iloc[0] if len(t) else None
        rows.append({
            "Design": label,
            "Treated area: RR (95% CI)": "" if tr is None else
            f"{tr.area_name}: {_fmt_rr(tr.rate_ratio, tr.ci_low, tr.ci_high)}",
            "Truth inside CI": "" if tr is None else ("yes" if tr.covers_truth else "no"),
            "Untouched flagged at 5%": f"{c['false_pos']} of {c['n_untouched']}",
            "Flagged after Holm": f"{c['false_pos_holm']} of {c['n_untouched']}",
            "Geometric mean RR of untouched (truth 1)": f"{c['mean_rr_untouched']:.3f}",
        })
    return pd.DataFrame(rows)


def design_sentence(designs: Mapping[str, pd.DataFrame]) -> str:
    """Explain the differences between the designs with their numbers.

    Parameters
    ----------
    designs
        Output of `compare_designs()` (the keys of `DESIGNS`).

    Returns
    -------
    str
        Markdown paragraph.
    """
    labels = list(designs)
    c = {k: _flag_counts(v) for k, v in designs.items()}
    lvl, prim = labels[0], labels[1]
    t_l = c[lvl]["treated"].iloc[0]
    t_p = c[prim]["treated"].iloc[0]
    text = (
        f"The level-only model puts {t_l.area_name}'s fall at "
        f"{_pct(1 - t_l.rate_ratio)} (truth {_pct(1 - t_l.true_rate_ratio)}) and flags "
        f"{c[lvl]['false_pos']} of {c[lvl]['n_untouched']} untouched authorities (geometric "
        f"mean rate ratio of the untouched {c[lvl]['mean_rr_untouched']:.3f}). Letting the "
        f"slope change at go-live as well (the primary model) gives {t_p.area_name} "
        f"{t_p.rate_ratio:.3f} and the untouched average {c[prim]['mean_rr_untouched']:.3f}, "
        f"flagging {c[prim]['false_pos']} of {c[prim]['n_untouched']}. A slope term costs "
        "precision but protects against a trend that changes at go-live for reasons other "
        "than the intervention, such as a change in recording practice.")
    if len(labels) > 2:
        ctl = labels[2]
        t_c = c[ctl]["treated"].iloc[0]
        text += (
            f" The controlled design compares each authority with the other authorities, "
            f"which share the recording change, and estimates {t_c.area_name}'s fall at "
            f"{_pct(1 - t_c.rate_ratio)}; but its comparison group for the untouched "
            f"authorities contains {t_c.area_name}, whose fall makes them look slightly worse "
            f"(geometric mean {c[ctl]['mean_rr_untouched']:.3f}, "
            f"{c[ctl]['false_worsened']} flagged as worsened). No design is free of "
            "assumptions: a comparison series must be untouched by the intervention and share "
            "everything else.")
    return text


def design_figure(designs: Mapping[str, pd.DataFrame], *, source: str | None = None):
    """Forest plot: each authority's level-change rate ratio under each design, with truth.

    Parameters
    ----------
    designs
        Output of `compare_designs()`.
    source
        Source line; default the synthetic police sources.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    first = next(iter(designs.values()))
    order = first.sort_values("area_name", ascending=False)["area_code"].tolist()
    names = first.set_index("area_code")["area_name"]
    truth = first.set_index("area_code")["true_rate_ratio"]
    fig, ax = plots.new_figure(figsize=(8.0, 7.0))
    k = len(designs)
    offsets = np.linspace(-0.25, 0.25, k) if k > 1 else np.zeros(1)
    markers = ["o", "s", "^", "D"]
    for j, (label, res) in enumerate(designs.items()):
        r = res.set_index("area_code").reindex(order)
        y = np.arange(len(order)) + offsets[j]
        ax.errorbar(r["rate_ratio"], y, xerr=[r["rate_ratio"] - r["ci_low"],
                                              r["ci_high"] - r["rate_ratio"]],
                    fmt=markers[j % 4], ms=4, lw=1, color=plots.PALETTE[j],
                    label=DESIGN_SHORT.get(label, label))
    for i, code in enumerate(order):
        ax.plot([truth[code]] * 2, [i - 0.4, i + 0.4], color="#222222", lw=1.6,
                label="True rate ratio" if i == 0 else None)
    ax.axvline(1.0, color="#888888", lw=0.8, ls=":")
    lows = min(float(r["ci_low"].min()) for r in designs.values())
    highs = max(float(r["ci_high"].max()) for r in designs.values())
    ax.set_xlim(lows - 0.6 * (highs - lows), highs + 0.02 * (highs - lows))
    ax.set_yticks(range(len(order)), [names[c] for c in order])
    ax.grid(axis="y", visible=False)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    c = {k: _flag_counts(v) for k, v in designs.items()}
    alt = ("Forest plot of the level-change rate ratio and 95% interval for violence and "
           f"sexual offences in each of {len(order)} authorities under {k} designs, with the "
           "true rate ratio marked. " + "; ".join(
               f"{DESIGN_SHORT.get(lab, lab)}: {v['false_pos']} of {v['n_untouched']} "
               "untouched authorities flagged" for lab, v in c.items()) + ".")
    return plots.finish(
        fig, title="Level change at go-live by authority: three designs against the truth",
        source=source or plots.source_line(SYNTHETIC_SOURCES, synthetic=True), alt=alt, ax=ax,
        xlabel="Level-change rate ratio (1 = no change; below 1 = fall)", ylabel=None)


# --------------------------------------------------------------------------- real data
def real_series_refusal(counts: pd.DataFrame, months: pd.DataFrame, area: AreaConfig,
                        truth: Sequence[Mapping[str, Any]],
                        framework: OutcomesFramework | None = None, *,
                        model: Mapping[str, Any] | None = None) -> str:
    """Try the ITS on the real extract and explain, in prose, what happened.

    The series tried is the indicator and area of the first injected effect in the
    ground truth (Blackpool violence and sexual offences for Lancashire), built from
    the real table with its missing months left out.

    Parameters
    ----------
    counts, months
        The real ``police_street`` and ``police_street_months`` tables.
    area
        Area configuration.
    truth
        Ground-truth records (to choose the series).
    framework
        Outcomes framework; default the shipped proposal.
    model
        Model; default `PRIMARY_MODEL`.

    Returns
    -------
    str
        A Markdown paragraph quoting the engine's refusal (or, if the real series is
        complete, its estimate).
    """
    fw = framework if framework is not None else load_framework()
    eff = injected_effects(truth, fw)
    ind = fw.indicator(eff[0]["indicator_id"]) if eff else next(
        i for i in fw.indicators if i.source == POLICE_SOURCE)
    code = eff[0]["area_code"] if eff else ind.areas[0]
    series = build_framework_series(counts, months, area, fw, include_total=False)
    s = series[(series["indicator_id"] == ind.id) & (series["area_code"] == code)]
    m = months.drop_duplicates("month").sort_values("month")
    missing = m.loc[m["status"] != "present", "month"].tolist()
    first, last = m["month"].min(), m["month"].max()
    start = ind.intervention_start
    n_pre = int((s["date"] < start).sum())
    what = (f"{ind.name.split(' (')[0].lower()} in {fw.areas.get(code, code)}")
    intro = (f"The real data.police.uk extract runs from {first:%B %Y} to {last:%B %Y}, "
             f"{len(m)} months, of which **{len(missing)} are missing**"
             + (f" ({_month_runs(missing)})" if missing else "") + ". "
             f"Only {n_pre} months with data come before the go-live date the framework "
             f"assumes ({start:%B %Y})")
    intro += (", and the go-live month itself is missing. " if start in set(missing)
              else ". ")
    kw = dict(PRIMARY_MODEL if model is None else model)
    try:
        res = fit_its(s.reset_index(drop=True), date="date", outcome="count",
                      interruptions={"go-live": start}, exposure="population", **kw)
    except ValueError as exc:
        msg = str(exc).replace("series: ", "", 1)
        return (intro + f"Asked to fit {what} on these data, the ITS engine **refused**: "
                f"*\u201c{msg}\u201d* This is deliberate: filling missing months with zeros "
                "would invent a collapse in crime, and a pre-period this short cannot "
                "separate trend from season.")
    e = res.level_effect
    return (intro + f"The ITS engine fitted {what} on these data: level-change rate ratio "
            f"{_fmt_rr(e.rate_ratio, e.ci_low, e.ci_high)}; with so short a pre-period treat "
            "this with great caution.")


# --------------------------------------------------------------------------- key series
@dataclass(frozen=True)
class KeySeries:
    """A series shown in detail on the page.

    Attributes
    ----------
    role
        ``"treated"``, ``"total"`` or ``"untouched"``.
    indicator_id, area_code
        Which series of the framework frame.
    name
        Display name of the area.
    true_rate_ratio
        The (implied) true level change.
    start
        Go-live date.
    """

    role: str
    indicator_id: str
    area_code: str
    name: str
    true_rate_ratio: float
    start: pd.Timestamp

    @property
    def slug(self) -> str:
        """File-name stem."""
        return plots.slug(self.name.replace("(", "").replace(")", ""))


def key_series(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
               framework: OutcomesFramework | None = None,
               area: AreaConfig | None = None) -> list[KeySeries]:
    """Choose the series to show in detail.

    The rule: the series with the injected effect; the area total of the same indicator;
    and the untouched authority with the most recorded offences (the best-powered
    series that should show no change).

    Parameters
    ----------
    series
        Framework series (with the total).
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.
    area
        Area configuration, to name the total (`total_name()`).

    Returns
    -------
    list of KeySeries
        Treated, total, untouched (those that exist).
    """
    fw = framework if framework is not None else load_framework()
    eff = injected_effects(truth, fw)
    ind_id = eff[0]["indicator_id"] if eff else str(series["indicator_id"].iloc[0])
    ind = fw.indicator(ind_id)
    s = series[series["indicator_id"] == ind_id]
    keys = []
    treated = {e["area_code"] for e in eff if e["indicator_id"] == ind_id}
    for e in eff:
        if e["indicator_id"] == ind_id:
            keys.append(KeySeries("treated", ind_id, e["area_code"],
                                  fw.areas.get(e["area_code"], e["area_code"]),
                                  e["rate_ratio"], ind.intervention_start))
            break
    if (s["area_code"] == TOTAL_CODE).any():
        n = s.loc[s["area_code"] != TOTAL_CODE, "area_code"].nunique()
        keys.append(KeySeries("total", ind_id, TOTAL_CODE, total_name(n, area),
                              implied_total_rr(series, eff, ind_id), ind.intervention_start))
    tot = (s[(s["area_code"] != TOTAL_CODE) & ~s["area_code"].isin(treated)]
           .groupby("area_code")["count"].sum().sort_values(ascending=False, kind="stable"))
    if len(tot):
        code = str(tot.index[0])
        keys.append(KeySeries("untouched", ind_id, code, fw.areas.get(code, code), 1.0,
                              ind.intervention_start))
    return keys


def _key_frame(series: pd.DataFrame, key: KeySeries) -> pd.DataFrame:
    s = series[(series["indicator_id"] == key.indicator_id)
               & (series["area_code"] == key.area_code)]
    return (s[["date", "count", "population"]].rename(columns={"count": "offences"})
            .sort_values("date").reset_index(drop=True))


def fit_key(series: pd.DataFrame, key: KeySeries, *,
            model: Mapping[str, Any] | None = None) -> ITSResults:
    """Fit the page's model to one key series.

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model; default `PRIMARY_MODEL`.

    Returns
    -------
    ITSResults
        The fit (outcome column ``offences``, population offset).
    """
    kw = dict(PRIMARY_MODEL if model is None else model)
    return fit_its(_key_frame(series, key), date="date", outcome="offences",
                   interruptions={"go-live": key.start}, exposure="population", **kw)


def step_only(res: ITSResults) -> ITSResults:
    """Return a copy of a fit whose counterfactual removes only the level (step) change.

    The engine's counterfactual sets every interruption term to zero, so with a slope
    change it also extrapolates the pre-go-live trend for the whole post period. This
    copy keeps the slope change in the counterfactual and removes only the step, so
    ``averted()`` gives the offences attributable to the step: ``fitted_t (1/RR - 1)``.
    The counterfactual band is recomputed with the fit's reference distribution.

    Parameters
    ----------
    res
        A fit from `lvrn_analysis.its.fit_its()` (uncontrolled).

    Returns
    -------
    ITSResults
        The same fit with ``counterfactual_design`` and the ``counterfactual``,
        ``cf_low`` and ``cf_high`` predictions replaced.
    """
    from scipy import stats

    levels = res.effects.loc[res.effects["effect"] == "level", "term"].tolist()
    X = res.design
    Xcf = X.copy()
    for col in levels:
        Xcf[col] = 0.0
    beta = res.params.set_index("term")["estimate"].reindex(X.columns).to_numpy()
    V = res.cov.loc[X.columns, X.columns].to_numpy()
    M = Xcf.to_numpy()
    eta = M @ beta + res.offset
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", M, V, M), 0, None))
    a = float(res.spec.get("alpha", 0.05))
    ref = (stats.t(df=max(1.0, float(res.spec.get("df_resid", 1.0))))
           if res.spec.get("ci_dist") == "t" else stats.norm())
    z = ref.ppf(1 - a / 2)
    pred = res.predictions.copy()
    pred["counterfactual"] = np.exp(eta)
    pred["cf_low"] = np.exp(eta - z * se)
    pred["cf_high"] = np.exp(eta + z * se)
    return dataclasses.replace(res, counterfactual_design=Xcf, predictions=pred)


def _averted_total(res: ITSResults) -> dict[str, float]:
    a = res.averted()
    tot = a.attrs["total"]
    return {"months": len(a), "observed": float(a["observed"].sum()),
            "counterfactual": float(a["counterfactual"].sum()),
            "fitted": float(a["fitted"].sum()),
            "averted": tot["averted"], "low": tot["low"], "high": tot["high"],
            "share": tot["averted"] / float(a["counterfactual"].sum())}


def _has_slope(res: ITSResults) -> bool:
    return bool((res.effects["effect"] == "slope").any())


def counterfactual_figure(res: ITSResults, key: KeySeries, *,
                          sources: Sequence[str] | None = None):
    """Observed, fitted and counterfactual series of a key indicator, house style.

    Draws the engine's chart (`lvrn_analysis.its.ITSResults.plot()`: observed,
    fitted, counterfactual without any interruption term and its 95 % band, go-live
    line, lockdowns shaded) and, when the model has a slope change, adds the
    counterfactual without the step only (`step_only()`). Lockdowns are shaded in
    pale yellow so that they cannot be mistaken for the grey interval band.

    Parameters
    ----------
    res
        Fit of the key series (`fit_key()`).
    key
        The series.
    sources
        Source names; default the synthetic police sources.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with a title naming the area and alt text giving the effect
        and the averted counts.
    """
    lvl = res.level_effect
    full = _averted_total(res)
    truth = ("no change was injected" if key.true_rate_ratio == 1.0
             else f"true level change {key.true_rate_ratio:.3f}")
    alt = (f"Line chart of monthly violence and sexual offences in {key.name} from "
           f"{res.predictions['date'].min():%B %Y} to {res.predictions['date'].max():%B %Y}: "
           "observed, fitted by the segmented regression and the counterfactual without the "
           "intervention, with national lockdowns shaded. Level-change rate ratio "
           f"{_fmt_rr(lvl.rate_ratio, lvl.ci_low, lvl.ci_high)} ({truth}). Offences averted "
           f"over {full['months']} months: {full['averted']:,.0f} (95% interval "
           f"{full['low']:,.0f} to {full['high']:,.0f}) against the full counterfactual")
    if _has_slope(res):
        st = _averted_total(step_only(res))
        alt += (f", {st['averted']:,.0f} ({st['low']:,.0f} to {st['high']:,.0f}) against the "
                "counterfactual without the step only")
    alt += "."
    fig = res.plot(title=f"{key.name}: violence and sexual offences, observed and "
                         "counterfactual", source=list(sources or SYNTHETIC_SOURCES),
                   synthetic=True, alt=alt)
    ax = fig.axes[0]
    for patch in ax.patches:
        patch.set_facecolor(plots.PALETTE[6])
        patch.set_alpha(0.35)
    for line in ax.get_lines():
        if line.get_label() == "Counterfactual (no intervention)":
            line.set_label("Counterfactual: no step, no slope change")
    if _has_slope(res):
        p = step_only(res).predictions
        post = p["post"].to_numpy(dtype=bool)
        ax.plot(pd.to_datetime(p["date"])[post], p["counterfactual"][post], ls=(0, (1, 1.5)),
                lw=1.8, color=plots.PALETTE[2], label="Counterfactual: no step (slope kept)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncol=2)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.22 * (hi - lo))
    ax.set_ylabel("Offences per month")
    return fig


def _averted_cell(a: Mapping[str, float]) -> str:
    return (f"{a['averted']:,.0f} ({a['low']:,.0f} to {a['high']:,.0f}); "
            f"{100 * a['share']:.1f}%")


def averted_table(fits: Mapping[KeySeries, ITSResults]) -> pd.DataFrame:
    """Offences averted after go-live for each key series, with intervals.

    Averted = counterfactual minus fitted, summed over the post-go-live months
    (`lvrn_analysis.its.ITSResults.averted()`: 2,000 coefficient draws, fixed seed,
    95 % percentile intervals); negative values are excess offences. Two
    counterfactuals are given: without the step only (`step_only()`) and without
    the step and the slope change (the engine's default).

    Parameters
    ----------
    fits
        ``KeySeries -> ITSResults``.

    Returns
    -------
    pandas.DataFrame
        ``Series, True fall, Level change RR (95% CI), Slope change, RR per year (95% CI),
        Months, observed`` (a count), and the two averted columns as display strings
        (``n (low to high); % of the counterfactual``).
    """
    rows = []
    for key, res in fits.items():
        full = _averted_total(res)
        lvl = res.level_effect
        sl = res.effects[res.effects["effect"] == "slope"]
        slope = "" if sl.empty else _fmt_rr(float(sl["rate_ratio"].iloc[0]) ** 12,
                                            float(sl["ci_low"].iloc[0]) ** 12,
                                            float(sl["ci_high"].iloc[0]) ** 12)
        step = _averted_total(step_only(res)) if _has_slope(res) else full
        rows.append({
            "Series": key.name,
            "True fall": "none (untouched)" if key.true_rate_ratio == 1.0 else
            f"{100 * (1 - key.true_rate_ratio):.1f}%"
            + (" (implied)" if key.role == "total" else ""),
            "Level change RR (95% CI)": _fmt_rr(lvl.rate_ratio, lvl.ci_low, lvl.ci_high),
            "Slope change, RR per year (95% CI)": slope,
            "Months": full["months"],
            "observed": int(round(full["observed"])),
            "Averted by the step (95% CI); %": _averted_cell(step),
            "Averted by step and slope (95% CI); %": _averted_cell(full),
        })
    return pd.DataFrame(rows)


def averted_sentence(fits: Mapping[KeySeries, ITSResults]) -> str:
    """Summarise averted offences for the key series against the truth.

    Parameters
    ----------
    fits
        ``KeySeries -> ITSResults``.

    Returns
    -------
    str
        Markdown paragraph.
    """
    parts = []
    for key, res in fits.items():
        full = _averted_total(res)
        step = _averted_total(step_only(res)) if _has_slope(res) else full
        lvl = res.level_effect
        sig = bool(lvl.ci_high < 1 or lvl.ci_low > 1)
        true = ("nothing was injected" if key.true_rate_ratio == 1.0 else
                f"the true fall is {100 * (1 - key.true_rate_ratio):.1f}%"
                + (" (implied by the injected authority's share)" if key.role == "total"
                   else ""))
        txt = (f"**{key.name}**: the step {'is' if sig else 'is not'} statistically "
               f"significant and accounts for {step['averted']:,.0f} offences averted "
               f"({100 * step['share']:.1f}% of its counterfactual); {true}.")
        if _has_slope(res):
            txt += (f" Counting the slope change as well gives {full['averted']:,.0f} "
                    f"({100 * full['share']:.1f}%).")
        parts.append(txt)
    return " ".join(parts)


# --------------------------------------------------------------------------- robustness
def placebo(series: pd.DataFrame, key: KeySeries, *,
            model: Mapping[str, Any] | None = None) -> PlaceboResults:
    """In-time placebo test of a key series (pre-period fake go-live dates).

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model; default `PRIMARY_MODEL`.

    Returns
    -------
    PlaceboResults
        Placebo table, rank p-value and plot method.
    """
    kw = dict(PRIMARY_MODEL if model is None else model)
    return placebo_test(_key_frame(series, key), date="date", outcome="offences",
                        interruptions={"go-live": key.start}, exposure="population",
                        min_before=12, min_after=6, **kw)


def _placebo_row(job: tuple[pd.DataFrame, KeySeries, dict[str, Any]]) -> dict[str, Any]:
    frame, key, model = job
    try:
        pl = placebo(frame, key, model=model)
    except ValueError as exc:  # pre-period too short for placebo dates
        return {"indicator_id": key.indicator_id, "area_code": key.area_code,
                "n_placebo": 0, "placebo_rank": np.nan, "placebo_p": np.nan,
                "placebo_note": str(exc)}
    return {"indicator_id": key.indicator_id, "area_code": key.area_code,
            "n_placebo": pl.n_placebo, "placebo_rank": pl.rank, "placebo_p": pl.p_value,
            "placebo_note": ""}


def framework_placebos(series: pd.DataFrame, results: pd.DataFrame, *,
                       model: Mapping[str, Any] | None = None,
                       workers: int | None = None) -> pd.DataFrame:
    """Run the in-time placebo test (`placebo()`) for every evaluated indicator x area.

    Parameters
    ----------
    series
        Framework series (`build_framework_series()`).
    results
        Output of `evaluate()`; rows with ``status == "evaluated"`` are tested, at
        their ``intervention_start``.
    model
        Model; default `PRIMARY_MODEL` (use the one ``results`` was fitted with).
    workers
        Worker processes (default: one per core, at most 4; ``1`` runs in this
        process). The fits are deterministic, so the table does not depend on it.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, area_code, n_placebo, placebo_rank, placebo_p, placebo_note``,
        one row per evaluated series, in the order of ``results``. ``placebo_p`` is the
        rank p-value of the real level change among the placebo ones (Lopez Bernal,
        Cummins & Gasparrini 2018); ``placebo_note`` says why a series has none.
    """
    from lvrn_analysis.parallel import default_workers, process_pool

    kw = dict(PRIMARY_MODEL if model is None else model)
    ev = results[results["status"] == "evaluated"]
    jobs = []
    for r in ev.itertuples(index=False):
        key = KeySeries(role="evaluated", indicator_id=str(r.indicator_id),
                        area_code=str(r.area_code), name=str(r.area_name),
                        true_rate_ratio=float("nan"),
                        start=pd.Timestamp(r.intervention_start))
        one = series[(series["indicator_id"] == key.indicator_id)
                     & (series["area_code"] == key.area_code)]
        jobs.append((one, key, kw))
    cols = ["indicator_id", "area_code", "n_placebo", "placebo_rank", "placebo_p",
            "placebo_note"]
    if not jobs:
        return pd.DataFrame(columns=cols)
    n = workers if workers is not None else default_workers()
    if n < 2 or len(jobs) < 2:
        rows = [_placebo_row(j) for j in jobs]
    else:
        with process_pool(min(n, len(jobs))) as pool:
            rows = list(pool.map(_placebo_row, jobs))
    return pd.DataFrame(rows, columns=cols)


def placebo_figure(pl: PlaceboResults, key: KeySeries):
    """Draw the placebo chart with a title naming the series.

    Parameters
    ----------
    pl
        Output of `placebo()`.
    key
        The series.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart.
    """
    fig = pl.plot(source="; ".join(SYNTHETIC_SOURCES), synthetic=True)
    title = f"{key.name}: placebo go-live dates before the real one"
    ax = fig.axes[0]
    ax.set_title(title)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.15 * (hi - lo))
    ax.legend(frameon=False, fontsize=8, loc="upper left", ncol=2)
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig


def placebo_sentence(pl: PlaceboResults, key: KeySeries) -> str:
    """Describe the placebo result.

    Parameters
    ----------
    pl
        Output of `placebo()`.
    key
        The series.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = pl.table
    plc = t[t["kind"] == "placebo"]
    real = t[t["kind"] == "real"].iloc[0]
    n_sig = int((plc["p_value"] < 0.05).sum())
    lo, hi = plc["rate_ratio"].min(), plc["rate_ratio"].max()
    return (
        f"For {key.name}, {pl.n_placebo} placebo go-live dates between "
        f"{plc['interruption'].min():%B %Y} and {plc['interruption'].max():%B %Y} (each "
        "fitted to the pre-go-live months only) gave level changes from "
        f"{lo:.3f} to {hi:.3f}; {n_sig} of {pl.n_placebo} were 'significant' at 5%. The real "
        f"go-live's rate ratio, {real['rate_ratio']:.3f}, ranks {pl.rank} of "
        f"{pl.n_placebo + 1} by size (placebo p = {pl.p_value:.3f}). "
        + ("The real effect stands out from the series' ordinary wobble." if pl.rank == 1
           else "The real effect does not stand clearly apart from the placebo effects."))


def sensitivity_table(series: pd.DataFrame, key: KeySeries, *,
                      model: Mapping[str, Any] | None = None,
                      harmonics: Sequence[int] = (0, 1, 2, 3)) -> pd.DataFrame:
    """Refit a key series over harmonics and lockdown handling (level change).

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model (``harmonics`` and lockdown options are varied); default
        `PRIMARY_MODEL`.
    harmonics
        Fourier pairs to try.

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.its.sensitivity()` rows for the level change, with
        ``primary`` marking the primary model's row.
    """
    kw = {k: v for k, v in dict(PRIMARY_MODEL if model is None else model).items()
          if k not in ("harmonics", "lockdowns", "exclude")}
    s = sensitivity(_key_frame(series, key), date="date", outcome="offences",
                    interruptions={"go-live": key.start}, harmonics=harmonics,
                    exposure="population", **kw)
    s = s[s["effect"] == "level"].reset_index(drop=True)
    base = PRIMARY_MODEL if model is None else model
    how = "covariates" if base.get("lockdowns") else (
        "excluded" if base.get("exclude") == "lockdowns" else "ignored")
    s["primary"] = (s["harmonics"] == base.get("harmonics", 2)) & (s["lockdown_handling"] == how)
    return s


def sensitivity_display(sens: pd.DataFrame) -> pd.DataFrame:
    """Display strings of `sensitivity_table()` for publication (no counts).

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.

    Returns
    -------
    pandas.DataFrame
        ``Fourier pairs, Lockdown months, Level change RR (95% CI), p, Dispersion,
        Ljung-Box p, Months fitted, Model``.
    """
    return pd.DataFrame({
        "Fourier pairs": sens["harmonics"].astype(int),
        "Lockdown months": sens["lockdown_handling"].map(
            {"ignored": "ignored", "covariates": "covariates (share of month)",
             "excluded": "excluded from the fit"}),
        "Level change RR (95% CI)": [_fmt_rr(r, lo, hi) for r, lo, hi in zip(
            sens["rate_ratio"], sens["ci_low"], sens["ci_high"], strict=True)],
        "p": sens["p_value"].map(_fmt_p),
        "Dispersion": sens["dispersion"].map(lambda x: f"{x:.2f}"),
        "Ljung-Box p": sens["ljung_box_p"].map(_fmt_p),
        "Months fitted": sens["n_fit"].astype(int),
        "Model": np.where(sens["primary"], "primary", ""),
    })


def sensitivity_sentence(sens: pd.DataFrame, key: KeySeries) -> str:
    """Summarise the sensitivity analysis.

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.
    key
        The series.

    Returns
    -------
    str
        Markdown paragraph.
    """
    ok = sens[sens["note"].fillna("") == ""]
    lo, hi = ok["rate_ratio"].min(), ok["rate_ratio"].max()
    t = key.true_rate_ratio
    cover = int(((ok["ci_low"] <= t) & (ok["ci_high"] >= t)).sum())
    below = int((ok["ci_high"] < 1).sum())
    worst = ok.loc[(ok["rate_ratio"] - t).abs().idxmax()]
    best = ok.loc[(ok["rate_ratio"] - t).abs().idxmin()]
    n = len(ok)
    return (
        f"Across {n} variants ({ok['harmonics'].nunique()} choices of seasonal terms x "
        f"{ok['lockdown_handling'].nunique()} ways of handling lockdown months) {key.name}'s "
        f"level change ranges from {lo:.3f} to {hi:.3f}. {below} of {n} intervals lie wholly "
        f"below 1 and {cover} of {n} contain the true {t:.2f}. The estimate closest to the "
        f"truth ({best['rate_ratio']:.3f}) comes from {int(best['harmonics'])} Fourier "
        f"pair(s) with lockdown months {best['lockdown_handling']}, the furthest "
        f"({worst['rate_ratio']:.3f}) from {int(worst['harmonics'])} pair(s) with lockdown "
        f"months {worst['lockdown_handling']}. "
        + (f"The direction of the finding does not depend on these choices; its size moves "
           f"by up to {100 * (hi - lo):.1f} percentage points."
           if below == n else
           "The finding depends on these choices: treat it as fragile."))


def sensitivity_figure(sens: pd.DataFrame, key: KeySeries):
    """Forest plot of the sensitivity variants with the truth marked.

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.
    key
        The series.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    ok = sens[sens["note"].fillna("") == ""].reset_index(drop=True)
    fig, ax = plots.new_figure(figsize=(8.0, 5.0))
    hows = ["ignored", "covariates", "excluded"]
    labels = {"ignored": "Lockdowns ignored", "covariates": "Lockdown covariates",
              "excluded": "Lockdown months excluded"}
    ylabels = []
    y = 0
    for j, how in enumerate(hows):
        sub = ok[ok["lockdown_handling"] == how]
        for r in sub.itertuples(index=False):
            ax.errorbar(r.rate_ratio, -y, xerr=[[r.rate_ratio - r.ci_low],
                                                [r.ci_high - r.rate_ratio]],
                        fmt="D" if r.primary else "o", ms=6 if r.primary else 4,
                        color=plots.PALETTE[j], lw=1,
                        label=labels[how] if r.harmonics == sub["harmonics"].min() else None)
            ylabels.append(f"{int(r.harmonics)} Fourier pair(s)"
                           + (" (primary)" if r.primary else ""))
            y += 1
        y += 0.5
    pos = []
    y = 0
    for how in hows:
        n = int((ok["lockdown_handling"] == how).sum())
        pos.extend([-(y + i) for i in range(n)])
        y += n + 0.5
    ax.set_yticks(pos, ylabels)
    ax.axvline(key.true_rate_ratio, color="#222222", lw=1.6, label="True rate ratio")
    ax.axvline(1.0, color="#888888", lw=0.8, ls=":")
    ax.grid(axis="y", visible=False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    alt = (f"Forest plot of {key.name}'s level-change rate ratio under {len(ok)} model "
           f"variants (0 to 3 Fourier pairs; lockdowns ignored, as covariates or excluded), "
           f"ranging from {ok['rate_ratio'].min():.3f} to {ok['rate_ratio'].max():.3f}, with "
           f"the true rate ratio {key.true_rate_ratio:.2f} marked.")
    return plots.finish(fig, title=f"{key.name}: sensitivity of the level change to "
                                   "seasonality and lockdown handling",
                        source=plots.source_line(SYNTHETIC_SOURCES, synthetic=True), alt=alt,
                        ax=ax, xlabel="Level-change rate ratio (below 1 = fall)")


# --------------------------------------------------------------------------- power
def power_inputs(res: ITSResults, *, months: int = 12) -> dict[str, float]:
    """Data-generating parameters for a power simulation, estimated from a fit.

    Parameters
    ----------
    res
        A fit with Fourier seasonality (at least one pair).
    months
        Pre-go-live months whose mean observed count is the baseline.

    Returns
    -------
    dict
        ``baseline`` (mean monthly count in the last ``months`` before go-live),
        ``dispersion`` (negative-binomial alpha implied by the quasi-Poisson dispersion
        ``phi``: ``(phi - 1) / mean fitted count``, at least 0) and
        ``seasonal_amplitude`` (amplitude of the first Fourier pair on the log scale).
    """
    p = res.predictions
    pre = p[~p["post"]]
    base = float(pre["observed"].tail(months).mean())
    phi = float(res.diagnostics["dispersion"])
    mu = float(p.loc[~p["excluded"], "fitted"].mean())
    par = res.params.set_index("term")["estimate"]
    amp = float(math.hypot(par.get("sin1", 0.0), par.get("cos1", 0.0)))
    return {"baseline": base, "dispersion": max(0.0, (phi - 1) / mu),
            "seasonal_amplitude": amp}


def power_study(inputs: Mapping[str, Mapping[str, float]], *,
                pre_periods: Sequence[int] = (12, 45),
                months_after: Sequence[int] = (3, 6, 9, 12, 18, 24, 36, 48),
                effect: float = 0.9, n_sims: int = 200, mde_after: int = 12,
                target: float = 0.8) -> pd.DataFrame:
    """Power and minimum detectable effect for several series sizes and pre-periods.

    Parameters
    ----------
    inputs
        ``series name -> power_inputs(...)``.
    pre_periods
        Months of data before go-live to try.
    months_after
        Grid of months after go-live.
    effect
        Level-change rate ratio to detect (0.9 = 10 % fall).
    n_sims
        Simulated series per grid point.
    mde_after
        Months after go-live for the MDE.
    target
        Power wanted.

    Returns
    -------
    pandas.DataFrame
        One row per series x pre-period x months after: ``series, n_pre, months_after,
        power, power_low, power_high, size, baseline, dispersion, seasonal_amplitude``;
        ``attrs["summary"]`` holds one row per series x pre-period with
        ``months_needed`` and ``mde`` (reduction detectable with ``target`` power at
        ``mde_after`` months).
    """
    rows, summ = [], []
    for name, p in inputs.items():
        for n_pre in pre_periods:
            pw = power_analysis(months_after, n_pre=n_pre, baseline=p["baseline"],
                                effect=effect, seasonal_amplitude=p["seasonal_amplitude"],
                                dispersion=p["dispersion"], n_sims=n_sims, target=target,
                                slope_change=False)
            t = pw.table.assign(series=name, baseline=p["baseline"],
                                dispersion=p["dispersion"],
                                seasonal_amplitude=p["seasonal_amplitude"])
            rows.append(t)
            mde = minimum_detectable_effect(n_pre, mde_after, baseline=p["baseline"],
                                            seasonal_amplitude=p["seasonal_amplitude"],
                                            dispersion=p["dispersion"], power=target,
                                            n_sims=n_sims, max_reduction=0.5)
            at = t.loc[t["months_after"] == mde_after]
            summ.append({"series": name, "n_pre": n_pre, "baseline": p["baseline"],
                         "dispersion": p["dispersion"],
                         "months_needed": pw.months_needed,
                         "power_at": float(at["power"].iloc[0]) if len(at) else float("nan"),
                         "size_at": float(at["size"].iloc[0]) if len(at) else float("nan"),
                         "mde": mde["mde_reduction"], "mde_after": mde_after,
                         "effect": effect, "target": target, "n_sims": n_sims})
    out = pd.concat(rows, ignore_index=True)
    cols = ["series", "n_pre", "months_after", "power", "power_low", "power_high", "size",
            "baseline", "dispersion", "seasonal_amplitude"]
    out = out[cols]
    out.attrs["summary"] = pd.DataFrame(summ)
    return out


def power_table(study: pd.DataFrame) -> pd.DataFrame:
    """Display table of `power_study()` (one row per series x pre-period; no counts).

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    pandas.DataFrame
        Display strings.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    k = int(s["mde_after"].iloc[0])
    tgt = float(s["target"].iloc[0])
    grid_min, grid_max = int(study["months_after"].min()), int(study["months_after"].max())

    def need(x: object) -> str:
        if pd.isna(x):
            return f"more than {grid_max}"
        return f"{grid_min} or fewer" if int(x) == grid_min else f"{int(x)}"

    return pd.DataFrame({
        "Series": s["series"],
        "Mean offences a month (before go-live)": s["baseline"].map(lambda x: f"{x:,.0f}"),
        "Months before go-live": s["n_pre"].astype(int),
        f"Smallest fall detectable after {k} months ({tgt:.0%} power)":
            s["mde"].map(lambda x: f"{100 * x:.1f}%" if np.isfinite(x) else "more than 50%"),
        f"Power for a {_pct(1 - eff)} fall after {k} months": s["power_at"].map(
            lambda x: f"{x:.0%}"),
        f"Months after go-live for {tgt:.0%} power ({_pct(1 - eff)} fall)":
            s["months_needed"].map(need),
        f"False-positive rate after {k} months (no effect)": s["size_at"].map(
            lambda x: f"{x:.1%}"),
    })


def power_sentence(study: pd.DataFrame) -> str:
    """Answer "how long until a fall of this size is detectable?" in prose.

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    str
        Markdown paragraph.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    k = int(s["mde_after"].iloc[0])
    grid = sorted(study["months_after"].unique())
    parts = []
    for name, g in s.groupby("series", sort=False):
        bits = []
        for r in g.itertuples(index=False):
            need = (f"{int(r.months_needed)} months" if pd.notna(r.months_needed)
                    else f"more than {grid[-1]} months")
            if pd.notna(r.months_needed) and int(r.months_needed) == grid[0]:
                need = f"{grid[0]} months or fewer"
            bits.append(f"with {r.n_pre} months before go-live, the smallest fall detectable "
                        f"after {k} months is {100 * r.mde:.1f}% and a {_pct(1 - eff)} fall "
                        f"needs {need}")
        parts.append(f"**{name}** (about {g['baseline'].iloc[0]:,.0f} offences a month): "
                     + "; ".join(bits) + ".")
    return " ".join(parts)


def power_figure(study: pd.DataFrame):
    """Power curves against months after go-live for each series and pre-period.

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    tgt = float(s["target"].iloc[0])
    n_sims = int(s["n_sims"].iloc[0])
    fig, ax = plots.new_figure()
    names = list(dict.fromkeys(study["series"]))
    pres = sorted(study["n_pre"].unique())
    styles = ["--", "-", ":", "-."]
    for i, name in enumerate(names):
        for j, n_pre in enumerate(pres):
            t = study[(study["series"] == name) & (study["n_pre"] == n_pre)]
            ax.plot(t["months_after"], t["power"], styles[j % 4], marker="o", ms=3.5,
                    color=plots.PALETTE[i], label=f"{name}, {n_pre} months before")
    ax.axhline(tgt, color="#222222", lw=0.8, ls=":", label=f"{tgt:.0%} power")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(sorted(study["months_after"].unique()))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    alt = (f"Power to detect a {_pct(1 - eff)} level fall against months of data after "
           "go-live, by series size and pre-period length. " + "; ".join(
               f"{r.series} with {r.n_pre} months before: "
               + (f"{tgt:.0%} power after {int(r.months_needed)} months"
                  if pd.notna(r.months_needed) else f"{tgt:.0%} power not reached")
               for r in s.itertuples(index=False)) + ".")
    src = plots.source_line(
        [f"{n_sims} simulated negative-binomial series per point, with the level, "
         "dispersion and seasonality estimated from the synthetic police series"],
        synthetic=True)
    return plots.finish(fig, title=f"How long until a {_pct(1 - eff)} fall in recorded "
                                   "violence is detectable?", source=src, alt=alt, ax=ax,
                        xlabel="Months of data after go-live", ylabel="Power (share detected)")


def power_caveat(study: pd.DataFrame, designs: Mapping[str, pd.DataFrame],
                 total: KeySeries | None = None) -> str:
    """Set the power results against the bias seen in the design comparison.

    Parameters
    ----------
    study
        Output of `power_study()`.
    designs
        Output of `compare_designs()` (the first design is the level-only model).
    total
        The area-total key series, for its implied true change.

    Returns
    -------
    str
        Markdown paragraph.
    """
    s = study.attrs["summary"]
    best = s.sort_values(["mde"]).iloc[0]
    first = next(iter(designs))
    bias = 1 - _flag_counts(designs[first])["mean_rr_untouched"]
    mde = float(best["mde"])
    where = (f"the {100 * mde:.1f}% fall detectable in the {best['series'].split(' (')[0]} "
             f"with {int(best['n_pre'])} months of history")
    word = "fall" if bias >= 0 else "rise"
    text = (f"These power figures assume the model is right. On this page the level-only "
            f"model read an average {100 * abs(bias):.1f}% {word} into authorities where "
            "nothing happened")
    if abs(bias) >= mde:
        text += (f": more than {where}. With series this large, bias (trend changes, "
                 "recording changes, co-interventions, the pandemic), not chance, limits what "
                 "an ITS can show.")
    else:
        text += (f", against {where}: {100 * abs(bias) / mde:.0f}% of it. Bias of this kind "
                 "(trend changes, recording changes, co-interventions, the pandemic) is of "
                 "the same order as the smallest detectable effects, so a borderline finding "
                 "needs the robustness checks above before it is believed.")
    if total is not None and total.true_rate_ratio != 1.0:
        text += (f" And an effect confined to one authority is diluted in the area total: "
                 f"the injected fall becomes a {100 * (1 - total.true_rate_ratio):.1f}% fall "
                 f"in the {total.name.split(' (')[0]}.")
    return text
