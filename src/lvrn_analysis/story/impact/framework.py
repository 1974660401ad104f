"""The outcomes framework evaluated by ITS: verdicts per indicator x area, and designs.

`evaluate()` runs `lvrn_analysis.its.evaluate_framework()` with the registered primary
model (the framework file's ``analysis_plan``) on every framework indicator x area;
`evaluate_controlled()` fits each authority against the indicator's other authorities.
`verdict_rule()` states the verdict rule with the plan's numbers, `indicator_overview()`
and `framework_table()` tabulate the verdicts (level and slope, each with the interval
its verdict rests on), `autocorrelation_sentence()` says how often the autocorrelation
flag fires on series without autocorrelation, and `compare_designs()`,
`design_table()`, `design_sentence()` and `design_figure()` set the registered designs
against the ground truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.its import evaluate_framework
from lvrn_analysis.its.framework import adjust_verdicts
from lvrn_analysis.story.impact.formatting import fmt_p, fmt_rr, pct
from lvrn_analysis.story.impact.models import (
    design_short,
    level_only_model,
    primary_model,
)
from lvrn_analysis.story.impact.models import (
    designs as plan_designs,
)
from lvrn_analysis.story.impact.series import SYNTHETIC_SOURCES, TOTAL_CODE
from lvrn_analysis.story.impact.truth import attach_truth, flag_counts

__all__ = [
    "autocorrelation_sentence",
    "compare_designs",
    "design_figure",
    "design_sentence",
    "design_table",
    "evaluate",
    "evaluate_controlled",
    "framework_table",
    "indicator_overview",
    "verdict_rule",
]


def evaluate(series: pd.DataFrame, framework: OutcomesFramework | None = None, *,
             model: Mapping[str, Any] | None = None,
             alpha: float | None = None) -> pd.DataFrame:
    """Evaluate every framework indicator x area with the registered primary model.

    Parameters
    ----------
    series
        Framework series (the area total, if present, is left out).
    framework
        Outcomes framework; default the shipped proposal.
    model
        Model passed to `lvrn_analysis.its.evaluate_framework()`; default the plan's
        primary model (`lvrn_analysis.story.impact.models.primary_model()`).
    alpha
        Test level; default the plan's.

    Returns
    -------
    pandas.DataFrame
        The output of `evaluate_framework()` (verdicts and intervals adjusted as the
        plan's ``multiplicity`` says) plus ``p_holm``: the Holm-adjusted p-value over
        the evaluated areas of each indicator.

    Raises
    ------
    lvrn_analysis.config.outcomes.FrameworkError
        If the framework registers no analysis plan.
    """
    fw = framework if framework is not None else load_framework()
    plan = fw.plan()
    kw = dict(primary_model(fw) if model is None else model)
    res = evaluate_framework(fw, series[series["area_code"] != TOTAL_CODE],
                             alpha=plan.alpha if alpha is None else alpha,
                             adjust=plan.adjust, **kw)
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
                        alpha: float | None = None) -> pd.DataFrame:
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
        Model; default the plan's level-only model
        (`lvrn_analysis.story.impact.models.level_only_model()`).
    alpha
        Test level; default the plan's.

    Returns
    -------
    pandas.DataFrame
        As `evaluate()`, for the indicators with data.
    """
    fw = framework if framework is not None else load_framework()
    plan = fw.plan()
    alpha = plan.alpha if alpha is None else alpha
    kw = dict(level_only_model(fw) if model is None else model)
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
                                           controlled=True, adjust=None, **kw))
    # each authority was fitted alone: adjust over the authorities of each indicator here
    res = pd.concat(rows, ignore_index=True)
    return _add_holm(adjust_verdicts(res, alpha=alpha, adjust=plan.adjust))


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


def _method_name(adjust: str | None) -> str:
    return {"holm": "Holm", "bonferroni": "Bonferroni", None: "none"}[adjust]


def _interval(lo: float, hi: float, level: float, nd: int = 3) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f"{lo:.{nd}f} to {hi:.{nd}f} ({_level(level)})"


def _level(level: float) -> str:
    """Confidence level as a percentage, at most two decimals, e.g. ``99.64%``."""
    pc = 100 * level
    for nd in range(0, 2):
        if abs(round(pc, nd) - pc) < 1e-9:
            return f"{pc:.{nd}f}%"
    return f"{pc:.2f}%"


def verdict_rule(results: pd.DataFrame, framework: OutcomesFramework | None = None) -> str:
    """State the verdict rule of the framework table with the plan's numbers.

    Parameters
    ----------
    results
        Output of `evaluate()`.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    str
        Markdown paragraph: the registered plan (date, primary design, sensitivity
        designs), the rule, and the range of confidence levels used.
    """
    fw = framework if framework is not None else load_framework()
    plan = fw.plan()
    ev = results[results["status"] == "evaluated"]
    m = int(ev.groupby("indicator_id").size().max()) if len(ev) else 0
    a = plan.alpha
    sens = "; ".join(d.label.lower() for d in plan.sensitivity) or "none"
    text = (
        f"**The verdict rule.** The analysis plan registered in the outcomes-framework file "
        f"on {plan.registered:%-d %B %Y} names the primary design, "
        f"*{plan.primary.label.lower()}*, and the designs reported beside it ({sens}). "
        f"For each authority the level change at go-live is the primary result and the "
        f"change in slope is reported beside it, as a ratio per year. A result is called "
        f"*improved* when the interval it rests on lies wholly on the good side of 1, "
        f"*worsened* when it lies wholly on the bad side, and *no detectable change* "
        f"otherwise, with the minimum detectable effect (MDE) at that interval's level "
        f"and 80% power. ")
    if plan.adjust == "holm" and m > 1:
        lv = ev["ci_level_adjusted"].astype(float)
        text += (
            f"Because {m} authorities are tested, the intervals are Holm-adjusted (Holm "
            f"1979): the authorities are ranked by p-value, the first is judged with a "
            f"{_level(1 - a / m)} interval, the second with {_level(1 - a / (m - 1))}, and "
            f"so on down to {_level(1 - a)}, stopping at the first that does not exclude 1; "
            f"every later authority keeps that step's level (Strassburger & Bretz 2008). "
            f"In this table the levels run from {_level(lv.min())} to {_level(lv.max())}. "
            f"The interval excludes 1 exactly when the Holm-adjusted p-value is below "
            f"{a:g}, so verdict, interval and adjusted p-value always agree; the chance of "
            f"any false alarm among the {m} authorities is kept at {a:.0%} for each "
            f"effect. The unadjusted 95% interval is shown too: where it excludes 1 but "
            f"the Holm interval does not, the verdict says *after Holm*.")
    elif plan.adjust == "bonferroni" and m > 1:
        text += (f"Because {m} authorities are tested, every interval is at the Bonferroni "
                 f"level {_level(1 - a / m)}.")
    else:
        text += f"Each interval is at {_level(1 - a)}, with no adjustment for multiplicity."
    return text


def framework_table(results: pd.DataFrame, framework: OutcomesFramework | None = None
                    ) -> pd.DataFrame:
    """Return the published per-area table of the evaluated indicators (no counts).

    Every verdict sits beside the interval it rests on (see `verdict_rule()`).

    Parameters
    ----------
    results
        Output of `attach_truth()` (rows of `evaluate()`).
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    pandas.DataFrame
        ``Indicator, Area, Polarity, Verdict (level), Level change RR (95% CI),
        Level: interval of the verdict, p, p (Holm), Slope per year (interval of the
        verdict), Slope p (Holm), Verdict (slope), Flags, Truth (RR), Check`` as display
        strings ("Holm" is the plan's multiplicity method).
    """
    fw = framework if framework is not None else load_framework()
    method = _method_name(fw.plan().adjust)
    names = {i.id: i.name.split(" (")[0] for i in fw.indicators}
    r = results[results["status"] == "evaluated"]
    rows = []
    for x in r.itertuples(index=False):
        flags = [n for n, f in (("overdispersion", x.flag_overdispersion),
                                ("autocorrelation (check)", x.flag_autocorrelation),
                                ("short series", x.flag_short_series),
                                ("no convergence", x.flag_convergence)) if bool(f)]
        t = x.true_rate_ratio
        truth = ("" if not np.isfinite(t) else "untouched (1)" if t == 1.0
                 else f"injected ({t:.2f})")
        slope = ("" if not np.isfinite(x.slope_ratio_year) else
                 f"{x.slope_ratio_year:.3f}; "
                 + _interval(x.slope_ci_low_adjusted, x.slope_ci_high_adjusted,
                             x.slope_ci_level_adjusted))
        rows.append({"Indicator": names[x.indicator_id], "Area": x.area_name,
                     "Polarity": x.polarity, "Verdict (level)": x.verdict,
                     "Level change RR (95% CI)": fmt_rr(x.rate_ratio, x.ci_low, x.ci_high),
                     "Level: interval of the verdict": _interval(
                         x.ci_low_adjusted, x.ci_high_adjusted, x.ci_level_adjusted),
                     "p": fmt_p(x.p_value), f"p ({method})": fmt_p(x.p_adjusted),
                     "Slope per year (interval of the verdict)": slope,
                     f"Slope p ({method})": fmt_p(x.slope_p_adjusted),
                     "Verdict (slope)": x.slope_verdict if isinstance(x.slope_verdict, str)
                     else "",
                     "Flags": ", ".join(flags) or "none",
                     "Truth (RR)": truth, "Check": x.check})
    return pd.DataFrame(rows)


def autocorrelation_sentence(results: pd.DataFrame, framework: OutcomesFramework | None = None,
                             *, n_series: int = 200, model: Mapping[str, Any] | None = None
                             ) -> str:
    """Say how often the autocorrelation flag fires on series without autocorrelation.

    Simulates ``n_series`` series like the page's (same months before and after
    go-live, the median level of the evaluated series, no autocorrelation) with
    `lvrn_analysis.its.robustness.autocorrelation_false_positive_rate()` and fits them with
    the primary model.

    Parameters
    ----------
    results
        Output of `evaluate()`.
    framework
        Outcomes framework; default the shipped proposal.
    n_series
        Number of simulated series.
    model
        Model; default the plan's primary model.

    Returns
    -------
    str
        Markdown sentence with the rate, the chi-squared rate it replaces and the number
        of flagged authorities in the table.
    """
    from lvrn_analysis.its.robustness import autocorrelation_false_positive_rate

    fw = framework if framework is not None else load_framework()
    ev = results[results["status"] == "evaluated"]
    n_pre, n_post = int(ev["n_pre"].median()), int(ev["n_post"].median())
    start = pd.Timestamp(ev["intervention_start"].iloc[0]) - pd.DateOffset(months=n_pre)
    rate = autocorrelation_false_positive_rate(
        n_series, n_pre=n_pre, n_post=n_post, start=f"{start:%Y-%m-%d}",
        **dict(primary_model(fw) if model is None else model))
    k, m = int(ev["flag_autocorrelation"].astype(bool).sum()), len(ev)
    return (
        f"The *autocorrelation (check)* flag marks a Ljung-Box test of the residuals at the "
        f"5% level, with its reference distribution simulated for each model's design "
        f"(Dufour & Khalaf 2001). On {n_series} simulated series with no autocorrelation at "
        f"all, the same length as these and fitted with the same model, it fired on "
        f"{rate['flag_rate']:.1%} (the textbook chi-squared version fired on "
        f"{rate['chi2_rate']:.1%}). Here it is raised for {k} of {m} authorities; about "
        f"{m * 0.05:.1f} would be expected by chance alone. A flag is a prompt to look at "
        f"the placebo test below, not evidence that the interval is wrong.")


def compare_designs(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                    framework: OutcomesFramework | None = None, *,
                    designs: Mapping[str, tuple[Mapping[str, Any], bool]] | None = None,
                    alpha: float | None = None) -> dict[str, pd.DataFrame]:
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
        ``label -> (model, controlled)``; default the registered designs, primary first
        (`lvrn_analysis.story.impact.models.designs()`).
    alpha
        Test level; default the plan's.

    Returns
    -------
    dict
        ``label -> attach_truth(...)`` frame, evaluated rows only.
    """
    fw = framework if framework is not None else load_framework()
    out = {}
    for label, (model, controlled) in (designs or plan_designs(fw)).items():
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
        c = flag_counts(res)
        t = c["treated"]
        tr = t.iloc[0] if len(t) else None
        rows.append({
            "Design": label,
            "Treated area: RR (95% CI)": "" if tr is None else
            f"{tr.area_name}: {fmt_rr(tr.rate_ratio, tr.ci_low, tr.ci_high)}",
            "Truth inside CI": "" if tr is None else ("yes" if tr.covers_truth else "no"),
            "Untouched flagged at 5%": f"{c['false_pos']} of {c['n_untouched']}",
            "Flagged after Holm": f"{c['false_pos_holm']} of {c['n_untouched']}",
            "Geometric mean RR of untouched (truth 1)": f"{c['mean_rr_untouched']:.3f}",
        })
    return pd.DataFrame(rows)


def design_sentence(designs: Mapping[str, pd.DataFrame],
                    framework: OutcomesFramework | None = None) -> str:
    """Set out each design's estimate for the treated authority and its false alarms.

    Parameters
    ----------
    designs
        Output of `compare_designs()`, keyed by design label.
    framework
        Outcomes framework whose plan says which design is primary; default the shipped
        proposal.

    Returns
    -------
    str
        Markdown paragraph, one sentence per design, the primary one first (what they
        teach is said in the notebook's Markdown).
    """
    fw = framework if framework is not None else load_framework()
    plan = fw.plan()
    by_label = {d.label: d for d in plan.designs}
    parts = []
    for label, res in designs.items():
        c = flag_counts(res)
        if not len(c["treated"]):
            continue
        t = c["treated"].iloc[0]
        d = by_label.get(label)
        role = ("the registered primary design" if d is plan.primary
                else "a registered sensitivity design" if d is not None else "a design")
        text = (f"*{label}* ({role}) puts {t.area_name}'s level change at "
                f"{t.rate_ratio:.3f}, a {pct(1 - t.rate_ratio)} fall (truth "
                f"{pct(1 - t.true_rate_ratio)}); it flags {c['false_pos']} of "
                f"{c['n_untouched']} untouched authorities at 5% and {c['false_pos_holm']} "
                f"after Holm adjustment (geometric mean rate ratio of the untouched "
                f"{c['mean_rr_untouched']:.3f}).")
        if d is not None and d.controlled:
            text += (f" Its comparison group for each untouched authority contains "
                     f"{t.area_name}, whose fall makes the others look slightly worse "
                     f"({c['false_worsened']} flagged as worsened).")
        parts.append(text)
    return " ".join(parts)


def design_figure(designs: Mapping[str, pd.DataFrame], *, source: str | None = None,
                  framework: OutcomesFramework | None = None):
    """Forest plot: each authority's level-change rate ratio under each design, with truth.

    Parameters
    ----------
    designs
        Output of `compare_designs()`.
    source
        Source line; default the synthetic police sources.
    framework
        Outcomes framework whose plan gives the legend labels; default the shipped
        proposal.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    short = design_short(framework)
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
                    label=short.get(label, label))
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
    c = {k: flag_counts(v) for k, v in designs.items()}
    alt = ("Forest plot of the level-change rate ratio and 95% interval for violence and "
           f"sexual offences in each of {len(order)} authorities under {k} designs, with the "
           "true rate ratio marked. " + "; ".join(
               f"{short.get(lab, lab)}: {v['false_pos']} of {v['n_untouched']} "
               "untouched authorities flagged" for lab, v in c.items()) + ".")
    return plots.finish(
        fig, title="Level change at go-live by authority: three designs against the truth",
        source=source or plots.source_line(SYNTHETIC_SOURCES, synthetic=True), alt=alt, ax=ax,
        xlabel="Level-change rate ratio (1 = no change; below 1 = fall)", ylabel=None)
