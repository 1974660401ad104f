"""The synthetic build's ground truth, and checks of the ITS verdicts against it.

The synthetic police series carry a known injected effect (recorded in the build's
``ground_truth.json``). `load_ground_truth()` reads it, `injected_effects()` maps it to
framework indicators, `attach_truth()` checks each verdict against it and
`ground_truth_sentence()` says, with the numbers, what was found and what was wrongly
flagged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.story.impact.formatting import fmt_p, fmt_rr, pct, plural
from lvrn_analysis.story.impact.series import TOTAL_CODE

__all__ = [
    "attach_truth",
    "flag_counts",
    "ground_truth_sentence",
    "implied_total_rr",
    "injected_effects",
    "load_ground_truth",
    "truth_description",
]


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
        Markdown paragraph: the period, the injected changes and the untouched series
        (what this makes possible is said in the notebook's Markdown).
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
        text += (f"The generator injected **{plural(len(eff), 'known change')}**: {changes}. ")
    none = [r for r in truth if r.get("effect") == "none"]
    if none:
        text += ("Every other series is untouched (the ground-truth file says: "
                 f"*{none[0].get('description', '').rstrip('.')}*). ")
    return text.rstrip()


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


def flag_counts(res: pd.DataFrame) -> dict[str, Any]:
    """Count what a design flagged among the untouched series, and pick the treated ones.

    Parameters
    ----------
    res
        Output of `attach_truth()`.

    Returns
    -------
    dict
        ``n_untouched``; ``false_pos`` (untouched series flagged at the nominal level,
        before multiplicity adjustment), split into ``false_improved`` and
        ``false_worsened``, with their names (``false_pos_names``) and the number still
        flagged after Holm's adjustment (``false_pos_holm``); ``mean_rr_untouched`` (the
        geometric mean rate ratio of the untouched series); and ``treated``, the rows
        with an injected effect.
    """
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
    c = flag_counts(results)
    parts = []
    for t in c["treated"].itertuples(index=False):
        found = {"found": "**was found**", "missed": "**was missed**",
                 "wrong direction": "**was estimated in the wrong direction**"}[t.check]
        cover = ("inside" if t.covers_truth else "**outside**")
        parts.append(
            f"The injected change in {t.area_name} ({pct(1 - t.true_rate_ratio)} fall, rate "
            f"ratio {t.true_rate_ratio:.2f}) {found}: estimated rate ratio "
            f"{fmt_rr(t.rate_ratio, t.ci_low, t.ci_high)}, so the truth lies {cover} the 95% "
            f"interval; "
            + (f"it stays significant after Holm adjustment (adjusted p {fmt_p(t.p_holm)})."
               if t.p_holm < alpha else
               f"it is not significant after Holm adjustment (adjusted p "
               f"{fmt_p(t.p_holm)})."))
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
            f"{pct(alpha)} level**{names}{detail}. With {n} tests at {pct(alpha)}, about "
            f"{expected:.2f} false positives are expected by chance alone and the chance of "
            f"at least one is {pct(p_any)}. After Holm's adjustment for the "
            f"{n + len(c['treated'])} tests, {c['false_pos_holm']} untouched "
            f"{'authority remains' if c['false_pos_holm'] == 1 else 'authorities remain'} "
            "flagged.")
    return " ".join(parts)
