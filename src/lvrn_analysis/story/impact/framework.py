"""The outcomes framework evaluated by ITS: verdicts per indicator x area, and designs.

`evaluate()` runs `lvrn_analysis.its.evaluate_framework()` with the page's model on
every framework indicator x area and adds Holm-adjusted p-values;
`evaluate_controlled()` fits each authority against the indicator's other authorities.
`indicator_overview()` and `framework_table()` tabulate the verdicts, and
`compare_designs()`, `design_table()`, `design_sentence()` and `design_figure()` set
the designs of `lvrn_analysis.story.impact.models.DESIGNS` against the ground truth.
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
from lvrn_analysis.story.impact.formatting import fmt_p, fmt_rr, pct
from lvrn_analysis.story.impact.models import (
    DESIGN_SHORT,
    DESIGNS,
    FRAMEWORK_DEFAULT_MODEL,
    PRIMARY_MODEL,
)
from lvrn_analysis.story.impact.series import SYNTHETIC_SOURCES, TOTAL_CODE
from lvrn_analysis.story.impact.truth import attach_truth, flag_counts

__all__ = [
    "compare_designs",
    "design_figure",
    "design_sentence",
    "design_table",
    "evaluate",
    "evaluate_controlled",
    "framework_table",
    "indicator_overview",
]


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
                     "Level change RR (95% CI)": fmt_rr(x.rate_ratio, x.ci_low, x.ci_high),
                     "p": fmt_p(x.p_value), "p (Holm)": fmt_p(x.p_holm),
                     "MDE": pct(x.mde), "Flags": ", ".join(flags) or "none",
                     "Truth (RR)": truth, "Check": x.check})
    return pd.DataFrame(rows)


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


def design_sentence(designs: Mapping[str, pd.DataFrame]) -> str:
    """Explain the differences between the designs with their numbers.

    Parameters
    ----------
    designs
        Output of `compare_designs()` (the keys of `DESIGNS`).

    Returns
    -------
    str
        Markdown paragraph with each design's estimate and flags (what they teach is said
        in the notebook's Markdown).
    """
    labels = list(designs)
    c = {k: flag_counts(v) for k, v in designs.items()}
    lvl, prim = labels[0], labels[1]
    t_l = c[lvl]["treated"].iloc[0]
    t_p = c[prim]["treated"].iloc[0]
    text = (
        f"The level-only model puts {t_l.area_name}'s fall at "
        f"{pct(1 - t_l.rate_ratio)} (truth {pct(1 - t_l.true_rate_ratio)}) and flags "
        f"{c[lvl]['false_pos']} of {c[lvl]['n_untouched']} untouched authorities (geometric "
        f"mean rate ratio of the untouched {c[lvl]['mean_rr_untouched']:.3f}). Letting the "
        f"slope change at go-live as well (the primary model) gives {t_p.area_name} "
        f"{t_p.rate_ratio:.3f} and the untouched average {c[prim]['mean_rr_untouched']:.3f}, "
        f"flagging {c[prim]['false_pos']} of {c[prim]['n_untouched']}.")
    if len(labels) > 2:
        ctl = labels[2]
        t_c = c[ctl]["treated"].iloc[0]
        text += (
            f" The controlled design compares each authority with the other authorities, "
            f"which share the recording change, and estimates {t_c.area_name}'s fall at "
            f"{pct(1 - t_c.rate_ratio)}; but its comparison group for the untouched "
            f"authorities contains {t_c.area_name}, whose fall makes them look slightly worse "
            f"(geometric mean {c[ctl]['mean_rr_untouched']:.3f}, "
            f"{c[ctl]['false_worsened']} flagged as worsened).")
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
    c = {k: flag_counts(v) for k, v in designs.items()}
    alt = ("Forest plot of the level-change rate ratio and 95% interval for violence and "
           f"sexual offences in each of {len(order)} authorities under {k} designs, with the "
           "true rate ratio marked. " + "; ".join(
               f"{DESIGN_SHORT.get(lab, lab)}: {v['false_pos']} of {v['n_untouched']} "
               "untouched authorities flagged" for lab, v in c.items()) + ".")
    return plots.finish(
        fig, title="Level change at go-live by authority: three designs against the truth",
        source=source or plots.source_line(SYNTHETIC_SOURCES, synthetic=True), alt=alt, ax=ax,
        xlabel="Level-change rate ratio (1 = no change; below 1 = fall)", ylabel=None)
