r"""Fit every indicator x area of an outcomes framework and give a verdict.

For each indicator of an `lvrn_analysis.config.outcomes.OutcomesFramework` and each of
its areas, the series is fitted with `lvrn_analysis.its.fit_its()` at the indicator's
intervention start (by default the recommended model, `RECOMMENDED`: quasi-Poisson,
two Fourier pairs, model-based SEs, t intervals, level change only).

The verdict rule
----------------
One rule, applied to the level change (and, in the ``slope_*`` columns, to the slope
change when the model has one):

* ``"improved"`` when the interval the verdict rests on lies wholly on the good side of
  1 (below 1 when lower is better), ``"worsened"`` when it lies wholly on the bad side,
  ``"no detectable change (MDE x%)"`` otherwise;
* that interval is **Holm-adjusted** by default: within each indicator (and separately
  for each effect) the $m$ evaluated areas are ranked by p-value and the area of rank
  $j$ gets the interval at level $1 - \alpha/(m - j + 1)$, the level of its step in
  Holm's step-down procedure (Holm 1979, "A simple sequentially rejective multiple test
  procedure", *Scand J Stat* 6:65-70). Once a step fails to reject, every later area
  keeps the level of that step, $1 - \alpha/(m - s + 1)$. This is the construction of
  Strassburger & Bretz (2008), "Compatible simultaneous lower confidence bounds for the
  Holm procedure and other Bonferroni-based closed tests", *Stat Med* 27(24):4914-4927,
  for the areas not rejected (their intervals hold simultaneously at $1-\alpha$); the
  rejected areas are shown at their own step's level, which is informative where the
  strictly compatible bound would only say "excludes 1" (Guilbaud 2008, *Biom J*
  50(5):678-692), so their joint coverage is not guaranteed to be $1-\alpha$.
  With Wald intervals and p-values from the same reference distribution, the interval
  excludes 1 exactly when the Holm-adjusted p-value (``p_adjusted``) is below $\alpha$,
  so the verdict, the interval and the adjusted p-value always agree;
* ``adjust="bonferroni"`` uses $1 - \alpha/m$ for every area; ``adjust=None`` the
  unadjusted $1 - \alpha$ interval. ``verdict_unadjusted`` always holds the verdict of the
  unadjusted interval (``ci_low``, ``ci_high``).

The slope change is reported as a ratio per year, $\exp(12\beta_{slope})$ for monthly
series ($\exp(52\beta)$ weekly), with its unadjusted and adjusted intervals and p-values.

The minimum detectable effect at test level $a$ is

$$
\text{MDE} = 1 - \exp\{-(q_{1-a/2} + z_{\text{power}})\,SE\}
$$

for a reduction (``exp{+...} - 1`` for an increase), the standard formula of Bloom
(1995), "Minimum detectable effects: a simple way to report the statistical power of
experimental designs", *Evaluation Review* 19(5):547-556, with ``SE`` the standard error
of the fitted level change and ``q`` the quantile of the reference distribution: ``mde``
at $a = \alpha$ (one test), ``mde_adjusted`` at the level of the interval shown.

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

__all__ = ["ADJUSTMENTS", "SERIES_COLUMNS", "adjust_verdicts", "evaluate_framework",
           "step_levels"]

#: Multiplicity adjustments with compatible intervals (``None``: no adjustment).
ADJUSTMENTS = ("holm", "bonferroni")

SERIES_COLUMNS = ("indicator_id", "area_code", "date", "count", "population")

_OUT_COLS = [
    "outcome_id", "indicator_id", "indicator", "series", "polarity", "area_code", "area_name",
    "comparison", "intervention_start", "status", "verdict", "verdict_unadjusted",
    "rate_ratio", "ci_low", "ci_high", "p_value", "p_adjusted", "ci_level_adjusted",
    "ci_low_adjusted", "ci_high_adjusted", "mde", "mde_adjusted",
    "slope_verdict", "slope_ratio_year", "slope_ci_low", "slope_ci_high", "slope_p_value",
    "slope_p_adjusted", "slope_ci_level_adjusted", "slope_ci_low_adjusted",
    "slope_ci_high_adjusted", "n_pre", "n_post", "dispersion", "ljung_box_p",
    "autocorrelation_p", "flag_overdispersion", "flag_autocorrelation", "flag_short_series",
    "flag_convergence", "warnings", "estimate", "std_error", "slope_estimate",
    "slope_std_error", "df_resid", "ci_dist", "periods_per_year",
]


def _q(level_alpha: float, df_resid: float, ci_dist: str) -> float:
    """Two-sided quantile of the Wald reference distribution."""
    return float(stats.norm.ppf(1 - level_alpha / 2) if ci_dist == "normal" else
                 stats.t.ppf(1 - level_alpha / 2, max(1.0, df_resid)))


def _mde(se: float, alpha: float, power: float, df_resid: float, ci_dist: str,
         lower_is_better: bool) -> float:
    k = (_q(alpha, df_resid, ci_dist) + stats.norm.ppf(power)) * se
    return float(1 - np.exp(-k)) if lower_is_better else float(np.exp(k) - 1)


def _verdict(lo: float, hi: float, lower_is_better: bool, mde: float) -> str:
    """Polarity-aware verdict of one interval (the rule of the module docstring)."""
    good = hi < 1 if lower_is_better else lo > 1
    bad = lo > 1 if lower_is_better else hi < 1
    return ("improved" if good else "worsened" if bad
            else f"no detectable change (MDE {mde:.0%})")


def step_levels(p_values: np.ndarray, alpha: float = 0.05,
                method: str | None = "holm") -> np.ndarray:
    r"""Test level of the interval each hypothesis's verdict rests on.

    Parameters
    ----------
    p_values
        Unadjusted p-values of one family (NaN sorts last).
    alpha
        Family-wise level.
    method
        ``"holm"`` (step-down: rank $j$ gets $\alpha/(m-j+1)$ until the first
        non-rejection at rank $s$, then $\alpha/(m-s+1)$), ``"bonferroni"``
        ($\alpha/m$) or ``None`` ($\alpha$).

    Returns
    -------
    numpy.ndarray
        Level $a_j$ per hypothesis (input order); its interval is the $1-a_j$ interval.
        $p_j < a_j$ exactly when Holm (or Bonferroni) rejects hypothesis $j$.

    Raises
    ------
    ValueError
        For another method.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if method is None:
        return np.full(m, float(alpha))
    if method == "bonferroni":
        return np.full(m, alpha / m)
    if method != "holm":
        raise ValueError(f"adjust must be one of {ADJUSTMENTS} or None, got {method!r}")
    out = np.empty(m)
    stop: float | None = None
    for rank, i in enumerate(np.argsort(np.where(np.isfinite(p), p, np.inf), kind="stable")):
        a = alpha / (m - rank)
        if stop is None and not p[i] < a:
            stop = a
        out[i] = a if stop is None else stop
    return out


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
            df_resid = float(res.spec["df_resid"])
            mde = _mde(float(e["std_error"]), alpha, power, df_resid, ci_dist,
                       ind.lower_is_better)
            per_year = 12.0 if res.spec.get("freq") == "M" else 52.0
            sl = res.effects[res.effects["effect"] == "slope"]
            row.update(
                status="evaluated",
                verdict=_verdict(float(e["ci_low"]), float(e["ci_high"]),
                                 ind.lower_is_better, mde),
                rate_ratio=float(e["rate_ratio"]),
                ci_low=float(e["ci_low"]), ci_high=float(e["ci_high"]),
                p_value=float(e["p_value"]), mde=mde, n_pre=d["n_pre"], n_post=d["n_post"],
                dispersion=d["dispersion"], ljung_box_p=d["ljung_box_p"],
                autocorrelation_p=d.get("autocorrelation_p", d["ljung_box_p"]),
                flag_overdispersion=d["flags"]["overdispersion"],
                flag_autocorrelation=d["flags"]["autocorrelation"],
                flag_short_series=d["flags"]["short_series"],
                flag_convergence=d["flags"]["convergence"],
                warnings="; ".join(res.warnings),
                estimate=float(e["estimate"]), std_error=float(e["std_error"]),
                df_resid=df_resid, ci_dist=ci_dist, periods_per_year=per_year)
            if len(sl):
                b, se_b = float(sl["estimate"].iloc[0]), float(sl["std_error"].iloc[0])
                q = _q(alpha, df_resid, ci_dist)
                row.update(slope_ratio_year=float(np.exp(per_year * b)),
                           slope_ci_low=float(np.exp(per_year * (b - q * se_b))),
                           slope_ci_high=float(np.exp(per_year * (b + q * se_b))),
                           slope_p_value=float(sl["p_value"].iloc[0]),
                           slope_estimate=b, slope_std_error=se_b)
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=_OUT_COLS)
    return adjust_verdicts(out, alpha=alpha, power=power, adjust=adjust)


def adjust_verdicts(results: pd.DataFrame, *, alpha: float = 0.05, power: float = 0.8,
                    adjust: str | None = "holm") -> pd.DataFrame:
    """Give each evaluated row its adjusted p-values, intervals and verdicts.

    Applies the verdict rule of the module docstring within each ``indicator_id`` (all
    its evaluated rows form one family per effect), so a table assembled from several
    `evaluate_framework()` calls (one area each, as in a controlled ITS per area) can be
    adjusted as one family.

    Parameters
    ----------
    results
        Rows of `evaluate_framework()` (with ``estimate``, ``std_error``,
        ``slope_estimate``, ``slope_std_error``, ``df_resid``, ``ci_dist``,
        ``periods_per_year``, ``polarity``, ``p_value``, ``slope_p_value``).
    alpha, power
        Family-wise level, and power for the MDE.
    adjust
        ``"holm"``, ``"bonferroni"`` or ``None``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``verdict``, ``verdict_unadjusted``, ``p_adjusted``,
        ``ci_level_adjusted``, ``ci_low_adjusted``, ``ci_high_adjusted``,
        ``mde_adjusted`` and the ``slope_`` counterparts filled in.

    Raises
    ------
    ValueError
        For an unknown ``adjust``.
    """
    if adjust is not None and adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of {ADJUSTMENTS} or None, got {adjust!r}")
    out = results.copy()
    for col in ("verdict", "verdict_unadjusted", "slope_verdict"):
        out[col] = out[col].astype(object) if col in out else None
    ok = out["status"] == "evaluated"
    lib = out["polarity"] == "lower is better"
    out["verdict_unadjusted"] = out["verdict"]
    for i in out.index[ok]:
        out.loc[i, "verdict_unadjusted"] = _verdict(
            float(out.loc[i, "ci_low"]), float(out.loc[i, "ci_high"]), bool(lib[i]),
            float(out.loc[i, "mde"]))
    if not ok.any():
        return out
    for _, idx in out[ok].groupby("indicator_id").groups.items():
        g = out.loc[idx]
        _family(out, g, "", "estimate", "std_error", alpha, power, adjust)
        if g["slope_estimate"].notna().all():
            _family(out, g, "slope_", "slope_estimate", "slope_std_error", alpha, power,
                    adjust)
    return out


def _family(out: pd.DataFrame, g: pd.DataFrame, prefix: str, est_col: str, se_col: str,
            alpha: float, power: float, adjust: str | None) -> None:
    """Write adjusted levels, p-values, intervals and verdicts of one effect (one indicator)."""
    from statsmodels.stats.multitest import multipletests

    p = g[f"{prefix}p_value"].to_numpy(dtype=float)
    levels = step_levels(p, alpha, adjust)
    p_adj = p if adjust is None else multipletests(p, alpha=alpha, method=adjust)[1]
    k = g["periods_per_year"].to_numpy(dtype=float) if prefix else np.ones(len(g))
    lo, hi, mdes, verdicts = [], [], [], []
    for a, x, scale in zip(levels, g.itertuples(index=False), k, strict=True):
        est, se = getattr(x, est_col), getattr(x, se_col)
        lib = x.polarity == "lower is better"
        q = _q(a, x.df_resid, x.ci_dist)
        lo.append(float(np.exp(scale * (est - q * se))))
        hi.append(float(np.exp(scale * (est + q * se))))
        mde = _mde(se * scale, a, power, x.df_resid, x.ci_dist, lib)
        mdes.append(mde)
        v = _verdict(lo[-1], hi[-1], lib, mde)
        if prefix and v.startswith("no detectable"):
            v = v[:-1] + " a year)"
        if adjust is not None and v.startswith("no detectable"):
            ulo = np.exp(scale * (est - _q(alpha, x.df_resid, x.ci_dist) * se))
            uhi = np.exp(scale * (est + _q(alpha, x.df_resid, x.ci_dist) * se))
            if ulo > 1 or uhi < 1:
                v = v[:-1] + f", after {adjust.capitalize()})"
        verdicts.append(v)
    out.loc[g.index, f"{prefix}p_adjusted"] = p_adj
    out.loc[g.index, f"{prefix}ci_level_adjusted"] = 1 - levels
    out.loc[g.index, f"{prefix}ci_low_adjusted"] = lo
    out.loc[g.index, f"{prefix}ci_high_adjusted"] = hi
    if prefix:
        out.loc[g.index, "slope_verdict"] = verdicts
    else:
        out.loc[g.index, "mde_adjusted"] = mdes
        out.loc[g.index, "verdict"] = verdicts
