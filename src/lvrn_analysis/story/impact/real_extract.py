"""The real (gapped) data.police.uk extract put to the ITS engine.

`real_series_refusal()` builds the page's key series from the real extract, with its
missing months left out, and reports what the engine does with it: with the shipped
extract, a refusal naming the missing months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.its import fit_its
from lvrn_analysis.story.impact.formatting import fmt_rr, month_runs
from lvrn_analysis.story.impact.models import PRIMARY_MODEL
from lvrn_analysis.story.impact.series import POLICE_SOURCE, build_framework_series
from lvrn_analysis.story.impact.truth import injected_effects

__all__ = ["real_series_refusal"]


def real_series_refusal(counts: pd.DataFrame, months: pd.DataFrame, area: AreaConfig,
                        truth: Sequence[Mapping[str, Any]],
                        framework: OutcomesFramework | None = None, *,
                        model: Mapping[str, Any] | None = None) -> str:
    """Try the ITS on the real extract and report, with its numbers, what happened.

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
        A Markdown paragraph: the extract's months, its gaps and pre-period, and the
        engine's refusal quoted (or, if the real series is complete, its estimate). Why
        refusing is right is said in the notebook's Markdown.
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
             + (f" ({month_runs(missing)})" if missing else "") + ". "
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
                f"*\u201c{msg}\u201d*")
    e = res.level_effect
    return (intro + f"The ITS engine fitted {what} on these data: level-change rate ratio "
            f"{fmt_rr(e.rate_ratio, e.ci_low, e.ci_high)}; with so short a pre-period treat "
            "this with great caution.")
