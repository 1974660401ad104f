r"""Fit every indicator x area of an outcomes framework and give a verdict.

For each indicator of an `lvrn_analysis.config.outcomes.OutcomesFramework` and each of
its areas, the series is fitted with `lvrn_analysis.its.fit_its()` at the indicator's
intervention start (by default the recommended model, `RECOMMENDED`: quasi-Poisson,
two Fourier pairs, model-based SEs, t intervals, level change only). The verdict is
polarity-aware:

* ``"improved"``: the interval of the level rate ratio excludes 1 in the good
  direction (below 1 when lower is better);
* ``"worsened"``: it excludes 1 in the bad direction;
* ``"no detectable change (MDE x%)"`` otherwise, with the minimum detectable effect

By default the verdict also controls the family-wise error over the areas of each
indicator (Holm 1979, "A simple sequentially rejective multiple test procedure",
*Scand J Stat* 6:65-70): a change is only called when its Holm-adjusted p-value is
below ``alpha``. With 14 authorities tested at 5 %, about one untouched authority
would otherwise be flagged by chance in every other evaluation. The unadjusted
verdict is kept in ``verdict_unadjusted``; ``adjust=None`` restores it as the verdict.
The minimum detectable effect is

$$
\text{MDE} = 1 - \exp\{-(q_{1-\alpha/2} + z_{\text{power}})\,SE\}
$$

for a reduction (``exp{+...} - 1`` for an increase), the standard formula of Bloom
(1995), "Minimum detectable effects: a simple way to report the statistical power of
experimental designs", *Evaluation Review* 19(5):547-556, with ``SE`` the standard error
of the fitted level change and ``q`` the quantile of the reference distribution.

Indicators or areas without data are reported as ``"not evaluated: no data"``; a series
that cannot be fitted (gaps, too short) as ``"not evaluated: <reason>"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.its.model import RECOMMENDED, fit_its

__all__ = ["evaluate_framework", "SERIES_COLUMNS"]

SERIES_COLUMNS = ("indicator_id", "area_code", "date", "count", "population")

_OUT_COLS = [
    "outcome_id", "indicator_id", "indicator", "series", "polarity", "area_code", "area_name",
    "comparison", "intervention_start", "status", "verdict", "verdict_unadjusted",
    "rate_ratio", "ci_low", "ci_high", "p_value", "p_adjusted", "mde", "n_pre", "n_post",
    "dispersion", "ljung_box_p", "flag_overdispersion",
    "flag_autocorrelation", "flag_short_series", "flag_convergence", "warnings",
]


def _mde(se: float, alpha: float, power: float, df_resid: float, ci_dist: str,
         lower_is_better: bool) -> float:
    q = stats.norm.ppf(1 - alpha / 2) if ci_dist == "normal" else \
        stats.t.ppf(1 - alpha / 2, max(1.0, df_resid))
    k = (q + stats.norm.ppf(power)) * se
    return float(1 - np.exp(-k)) if lower_is_better else float(np.exp(k) - 1)


def _as_timestamps(values: pd.Series) -> pd.Series:
    """Return period-start timestamps for datetime or Period values."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.to_timestamp(how="start")
    return pd.to_datetime(values)


def evaluate_framework(
    framework: OutcomesFramework | str | Path | None,
    series: pd.DataFrame,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    controlled: bool = False,
    adjust: str | None = "holm",
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Evaluate every indicator x area of a framework with an interrupted time series.

    Parameters
    ----------
    framework
        A loaded framework, a path to a framework YAML, or ``None`` for the shipped
        proposal.
    series
        Tidy frame with columns ``indicator_id, area_code, date, count, population``
        (``population`` may be missing or all-NaN, then no offset is used). Dates are
        month starts (or weeks).
    alpha
        1 - confidence level.
    power
        Power used for the minimum detectable effect.
    controlled
        Use the indicator's comparison areas (when they have data) as controls in an
        interaction-model controlled ITS (Lopez Bernal et al. 2018).
    adjust
        Multiplicity adjustment of the p-values over the evaluated areas of each
        indicator, used for the verdict: ``"holm"`` (default) or any method of
        `statsmodels.stats.multitest.multipletests()`; ``None`` for none.
    **fit_kwargs
        Overrides of the model passed to `fit_its()` (defaults:
        `RECOMMENDED` plus ``slope_change=False``).

    Returns
    -------
    pandas.DataFrame
        One row per indicator x area: ``outcome_id, indicator_id, indicator, series,
        polarity, area_code, area_name, comparison, intervention_start, status,
        verdict, verdict_unadjusted, rate_ratio, ci_low, ci_high, p_value, p_adjusted,
        mde, n_pre, n_post, dispersion,
        ljung_box_p, flag_overdispersion, flag_autocorrelation, flag_short_series,
        flag_convergence, warnings``. ``mde`` is a relative change (0.08 = 8 %).

    Raises
    ------
    ValueError
        If ``series`` lacks a required column.
    """
    fw = framework if isinstance(framework, OutcomesFramework) else load_framework(framework)
    need = [c for c in ("indicator_id", "area_code", "date", "count") if c not in series.columns]
    if need:
        raise ValueError(f"series frame lacks column(s) {need}; expected {SERIES_COLUMNS}")
    kw: dict[str, Any] = {**RECOMMENDED, "slope_change": False, "alpha": alpha}
    kw.update(fit_kwargs)
    ci_dist = kw.get("ci_dist", "normal")
    data = series.copy()
    data["indicator_id"] = data["indicator_id"].astype(str)
    data["area_code"] = data["area_code"].astype(str)
    groups = {k: g for k, g in data.groupby(["indicator_id", "area_code"], sort=False)}
    rows: list[dict[str, Any]] = []
    for ind in fw.indicators:
        for area in ind.areas:
            row: dict[str, Any] = {
                "outcome_id": ind.outcome_id, "indicator_id": ind.id, "indicator": ind.name,
                "series": ind.series_name, "polarity": ind.polarity, "area_code": area,
                "area_name": fw.areas.get(area, ""), "comparison": "none",
                "intervention_start": ind.intervention_start,
            }
            g = groups.get((ind.id, area))
            if g is None or g.empty:
                row.update(status="not evaluated: no data", verdict="not evaluated: no data")
                rows.append(row)
                continue
            g = g.copy()
            g["date"] = _as_timestamps(g["date"])
            g = g.sort_values("date").reset_index(drop=True)
            use_pop = "population" in g.columns and g["population"].notna().all()
            fk = dict(kw)
            if controlled and ind.comparison_areas:
                comp = [groups[(ind.id, c)] for c in ind.comparison_areas
                        if (ind.id, c) in groups]
                if comp:
                    ctrl = pd.concat(comp, ignore_index=True)
                    ctrl["date"] = _as_timestamps(ctrl["date"])
                    fk.update(control=ctrl.sort_values(["area_code", "date"]),
                              control_area="area_code", control_method="interaction")
                    row["comparison"] = ", ".join(sorted(ctrl["area_code"].unique()))
            try:
                res = fit_its(g, date="date", outcome="count",
                              interruptions={"go-live": ind.intervention_start},
                              exposure="population" if use_pop else None, **fk)
            except (ValueError, np.linalg.LinAlgError) as exc:
                msg = str(exc).split(". ")[0]
                row.update(status=f"not evaluated: {msg}", verdict=f"not evaluated: {msg}")
                rows.append(row)
                continue
            e = res.level_effect
            d = res.diagnostics
            mde = _mde(float(e["std_error"]), alpha, power, res.spec["df_resid"], ci_dist,
                       ind.lower_is_better)
            good = e["ci_high"] < 1 if ind.lower_is_better else e["ci_low"] > 1
            bad = e["ci_low"] > 1 if ind.lower_is_better else e["ci_high"] < 1
            verdict = ("improved" if good else "worsened" if bad
                       else f"no detectable change (MDE {mde:.0%})")
            row.update(
                status="evaluated", verdict=verdict, rate_ratio=float(e["rate_ratio"]),
                ci_low=float(e["ci_low"]), ci_high=float(e["ci_high"]),
                p_value=float(e["p_value"]), mde=mde, n_pre=d["n_pre"], n_post=d["n_post"],
                dispersion=d["dispersion"], ljung_box_p=d["ljung_box_p"],
                flag_overdispersion=d["flags"]["overdispersion"],
                flag_autocorrelation=d["flags"]["autocorrelation"],
                flag_short_series=d["flags"]["short_series"],
                flag_convergence=d["flags"]["convergence"],
                warnings="; ".join(res.warnings))
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=_OUT_COLS)
    return _adjusted_verdicts(out, fw, alpha, adjust)


def _adjusted_verdicts(out: pd.DataFrame, fw: OutcomesFramework, alpha: float,
                       adjust: str | None) -> pd.DataFrame:
    """Add ``p_adjusted`` and make ``verdict`` use it (keeping ``verdict_unadjusted``)."""
    from statsmodels.stats.multitest import multipletests

    out["verdict_unadjusted"] = out["verdict"]
    ok = out["status"] == "evaluated"
    if adjust is None or not ok.any():
        out["p_adjusted"] = out["p_value"]
        return out
    for _, idx in out[ok].groupby("indicator_id").groups.items():
        p = out.loc[idx, "p_value"].to_numpy(dtype=float)
        out.loc[idx, "p_adjusted"] = multipletests(p, alpha=alpha, method=adjust)[1]
    called = ok & out["verdict_unadjusted"].isin(["improved", "worsened"])
    lost = called & ~(out["p_adjusted"] < alpha)
    mde = out.loc[lost, "mde"].astype(float)
    out.loc[lost, "verdict"] = [f"no detectable change (MDE {m:.0%}, after {adjust})"
                                for m in mde]
    return out
