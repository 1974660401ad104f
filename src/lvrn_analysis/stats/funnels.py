r"""Funnel plots: control limits, each area's significance, and the chart.

A funnel plot draws each area's indicator against its precision (denominator,
expected events, or population) with control limits around a target that
narrow as precision grows. Areas outside the limits differ from the target by
more than chance (at about 95 % or 99.8 %) would explain.

Methods
-------
* **Exact** (all kinds): Spiegelhalter DJ. Funnel plots for comparing
  institutional performance. *Stat Med* 2005;24:1185-1202, Appendix A.1.1.
  For probability $p$ and precision $\rho$, let $r_p$ be the
  $p$-quantile of the null count distribution (binomial
  $B(\rho, \theta)$ for proportions, Poisson with mean
  $\theta\rho$ for ratios and rates) and $F$ its CDF. The
  interpolated limit is

  $$
  y_p = \frac{r_p - \alpha}{\rho}, \qquad
  \alpha = \frac{F(r_p) - p}{F(r_p) - F(r_p - 1)},
  $$

  floored at 0.
* **Wilson** (proportions, ``method="wilson"``): the acceptance region of the
  score test that the Wilson (1927) interval inverts,
  $\theta \pm z\sqrt{\theta(1-\theta)/\rho}$ (clipped to [0, 1]). An
  area lies outside these limits exactly when its Wilson score interval
  (`lvrn_analysis.stats.indicators.wilson_interval()`) excludes the target, so
  the funnel agrees with the Fingertips benchmark comparison
  (`lvrn_analysis.stats.benchmarking`). The normal-approximation limits of the
  APHO/PHE technical guide on funnel plots have this form (Flowers J,
  *Statistical process control methods in public health intelligence*, APHO
  Technical Briefing 2, 2007).

Limits are drawn at $p$ = 0.025/0.975 (about 2 standard deviations,
95 %) and 0.001/0.999 (about 3 standard deviations, 99.8 %). No allowance is
made for over-dispersion (Spiegelhalter 2005, section 5): with many areas and
large denominators, check the spread before reading outliers as "special
cause" variation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from lvrn_analysis.charts import plots
from lvrn_analysis.stats.indicators.intervals import level_suffix, z_value

__all__ = ["KINDS", "funnel_data", "funnel_limits", "funnel_plot"]

#: Indicator kinds with funnel limits.
KINDS: tuple[str, ...] = ("proportion", "ratio", "rate")

_DEFAULT_MULTIPLIER = {"proportion": 1.0, "ratio": 1.0, "rate": 100_000.0}
_PRECISION_LABEL = {
    "proportion": "Denominator",
    "ratio": "Expected events",
    "rate": "Population",
}


def _check(kind: str, method: str, levels: Sequence[float]) -> list[float]:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if method not in ("exact", "wilson"):
        raise ValueError(f"method must be 'exact' or 'wilson', got {method!r}")
    if method == "wilson" and kind != "proportion":
        raise ValueError("the Wilson method applies to proportions only")
    out = sorted(float(c) for c in levels)
    for c in out:
        z_value(c)  # validates
    return out


def _interpolated_quantile(dist: stats.rv_discrete, p: float) -> np.ndarray:
    """Spiegelhalter's (2005) continuous interpolation of a discrete quantile."""
    r = np.asarray(dist.ppf(p), dtype=float)
    f_r = dist.cdf(r)
    f_r1 = dist.cdf(r - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = (f_r - p) / (f_r - f_r1)
    return np.maximum(r - np.nan_to_num(alpha, nan=0.0), 0.0)


def _unit_limits(
    precision: np.ndarray, theta: float, kind: str, p: float, method: str
) -> np.ndarray:
    """Return a limit on the unit scale (proportion, ratio or rate per person)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = float(stats.norm.ppf(p))
            return np.clip(theta + z * np.sqrt(theta * (1.0 - theta) / precision), 0.0, 1.0)
        if kind == "proportion":
            n = np.round(precision)
            if not np.allclose(n, precision):
                raise ValueError("exact binomial limits need integer denominators")
            q = _interpolated_quantile(stats.binom(n, theta), p)
        else:
            q = _interpolated_quantile(stats.poisson(theta * precision), p)
        return q / precision


def funnel_limits(
    precision: Sequence[float] | np.ndarray | pd.Series,
    target: float,
    *,
    kind: str,
    multiplier: float | None = None,
    levels: Sequence[float] = (0.95, 0.998),
    method: str = "exact",
) -> pd.DataFrame:
    """Control limits around a target at each precision.

    Parameters
    ----------
    precision
        Denominators (proportions), expected events (ratios, e.g. the
        ``expected`` column of `lvrn_analysis.stats.indicators.isratio()`) or
        populations (rates).
    target
        Target in output units (times ``multiplier``), e.g. the England rate
        per 100,000, a percentage when ``multiplier=100``, or 1 (100) for a
        ratio.
    kind
        ``"proportion"``, ``"ratio"`` or ``"rate"``.
    multiplier
        Output scale: default 1 for proportions and ratios, 100,000 for rates.
    levels
        Two-sided levels; 0.95 gives the 0.025/0.975 limits and 0.998 the
        0.001/0.999 limits.
    method
        ``"exact"`` (Spiegelhalter 2005, all kinds) or ``"wilson"``
        (proportions, APHO guide).

    Returns
    -------
    pandas.DataFrame
        ``precision``, ``target`` and ``lower_<s>``/``upper_<s>`` for each level
        (``s`` = ``95``, ``99_8``), in output units.
    """
    levels = _check(kind, method, levels)
    mult = _DEFAULT_MULTIPLIER[kind] if multiplier is None else float(multiplier)
    prec = np.asarray(precision, dtype=float)
    if np.any(~(prec > 0)):
        raise ValueError("precision must be positive everywhere")
    theta = float(target) / mult
    if kind == "proportion" and not 0.0 <= theta <= 1.0:
        raise ValueError(f"a proportion target must lie in [0, {mult:g}], got {target!r}")
    if theta < 0:
        raise ValueError("target must not be negative")
    out = pd.DataFrame({"precision": prec, "target": float(target)})
    for c in levels:
        s = level_suffix(c)
        a = (1.0 - c) / 2.0
        out[f"lower_{s}"] = _unit_limits(prec, theta, kind, a, method) * mult
        out[f"upper_{s}"] = _unit_limits(prec, theta, kind, 1.0 - a, method) * mult
    out.attrs.update(kind=kind, method=method, multiplier=mult, levels=tuple(levels))
    return out


def _pct(c: float) -> str:
    return f"{round(c * 100.0, 6):g}%"


def funnel_data(
    data: pd.DataFrame,
    x: str,
    n: str,
    *,
    kind: str,
    target: float | None = None,
    multiplier: float | None = None,
    levels: Sequence[float] = (0.95, 0.998),
    method: str = "exact",
) -> pd.DataFrame:
    r"""Each area's value, its control limits and its significance.

    Parameters
    ----------
    data
        One row per area.
    x
        Numerator (events; observed events for ratios).
    n
        Precision column: denominator (proportions), expected events
        (ratios) or population (rates).
    kind, multiplier, levels, method
        As `funnel_limits()`.
    target
        Target in output units. Default: the pooled value
        $\sum x / \sum n$ (times ``multiplier``) for proportions and
        rates, and ``multiplier`` (a ratio of 1) for ratios.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``value``, ``target``, the limit columns at each
        area's precision, and ``significance``: ``"above 99.8% limit"``,
        ``"above 95% limit"``, ``"within limits"``, ``"below 95% limit"``,
        ``"below 99.8% limit"`` or ``"not compared"`` (missing value or
        precision).
    """
    levels = _check(kind, method, levels)
    mult = _DEFAULT_MULTIPLIER[kind] if multiplier is None else float(multiplier)
    xv = pd.to_numeric(data[x], errors="coerce").to_numpy(dtype=float)
    nv = pd.to_numeric(data[n], errors="coerce").to_numpy(dtype=float)
    if np.any(xv < 0) or np.any(nv <= 0):
        raise ValueError(f"{x!r} must be >= 0 and {n!r} > 0")
    ok = ~(np.isnan(xv) | np.isnan(nv))
    if target is None:
        if kind == "ratio":
            target = mult
        else:
            target = float(xv[ok].sum() / nv[ok].sum() * mult)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = xv / nv * mult
    lim = funnel_limits(
        np.where(ok, nv, 1.0), target, kind=kind, multiplier=mult, levels=levels, method=method
    )
    out = data.copy()
    out["value"] = value
    out["target"] = float(target)
    sig = np.full(len(out), "within limits", dtype=object)
    for c in levels:  # ascending, so the widest exceeded level wins
        s = level_suffix(c)
        lo = np.where(ok, lim[f"lower_{s}"].to_numpy(), np.nan)
        up = np.where(ok, lim[f"upper_{s}"].to_numpy(), np.nan)
        out[f"lower_{s}"] = lo
        out[f"upper_{s}"] = up
        with np.errstate(invalid="ignore"):
            sig[value > up] = f"above {_pct(c)} limit"
            sig[value < lo] = f"below {_pct(c)} limit"
    sig[~ok] = "not compared"
    out["significance"] = pd.Series(sig, index=out.index, dtype="str")
    out.attrs.update(kind=kind, method=method, multiplier=mult, levels=tuple(levels))
    return out


def _grid(prec: np.ndarray, kind: str) -> np.ndarray:
    lo = max(float(np.nanmin(prec)) * 0.8, 1e-9)
    hi = float(np.nanmax(prec)) * 1.1
    grid = np.geomspace(lo, hi, 300)
    if kind == "proportion":
        grid = np.unique(np.maximum(np.round(grid), 1.0))
    return grid


def funnel_plot(
    data: pd.DataFrame,
    x: str,
    n: str,
    *,
    kind: str,
    title: str,
    source: str,
    alt: str | None = None,
    target: float | None = None,
    multiplier: float | None = None,
    method: str = "exact",
    label: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    target_label: str = "Target",
) -> Figure:
    """Draw a house-style funnel plot with 95 % and 99.8 % control limits.

    Parameters
    ----------
    data, x, n, kind, target, multiplier, method
        As `funnel_data()`.
    title
        Chart title.
    source
        Source line, from `lvrn_analysis.charts.plots.source_line()`.
    alt
        Alt text; generated from the data (areas outside each limit) when
        omitted.
    label
        Column naming each area; areas outside the 99.8 % limits are labelled.
    xlabel, ylabel
        Axis labels with units (defaults describe the precision and value).
    target_label
        Legend text for the target line (e.g. ``"England"``).

    Returns
    -------
    matplotlib.figure.Figure
        Finished with `lvrn_analysis.charts.plots.finish()` (``fig.lvrn_alt`` set);
        the area-level table is attached as ``fig.lvrn_funnel_data``.
    """
    levels = (0.95, 0.998)
    fd = funnel_data(
        data, x, n, kind=kind, target=target, multiplier=multiplier, levels=levels,
        method=method,
    )
    mult = fd.attrs["multiplier"]
    tgt = float(fd["target"].iloc[0]) if len(fd) else float(target or 0.0)
    ok = fd["significance"] != "not compared"
    grid = _grid(fd.loc[ok, n].to_numpy(dtype=float), kind)
    lim = funnel_limits(grid, tgt, kind=kind, multiplier=mult, levels=levels, method=method)

    fig, ax = plots.new_figure()
    ax.axhline(tgt, color="#333333", lw=1.2, label=f"{target_label} ({tgt:,.3g})")
    styles = {"95": ("--", plots.PALETTE[1], "95% limits"),
              "99_8": ("-", plots.PALETTE[3], "99.8% limits")}
    for s, (ls, colour, text) in styles.items():
        ax.plot(grid, lim[f"lower_{s}"], ls=ls, color=colour, lw=1.2, label=text)
        ax.plot(grid, lim[f"upper_{s}"], ls=ls, color=colour, lw=1.2)
    groups = [
        ("within limits", plots.PALETTE[0], "o", "Within 95% limits"),
        ("95", plots.PALETTE[1], "s", "Outside 95% limits"),
        ("99.8", plots.PALETTE[3], "D", "Outside 99.8% limits"),
    ]
    sig = fd["significance"]
    for key, colour, marker, text in groups:
        if key == "within limits":
            mask = sig == key
        else:
            mask = sig.str.contains(f" {key}% ", regex=False)
        if mask.any():
            ax.scatter(fd.loc[mask, n], fd.loc[mask, "value"], s=28, color=colour,
                       marker=marker, edgecolor="white", linewidth=0.5, zorder=3, label=text)
    if label is not None:
        outer = sig.str.contains("99.8%", regex=False)
        for _, row in fd.loc[outer].iterrows():
            ax.annotate(str(row[label]), (row[n], row["value"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=8)
    ax.legend(frameon=False, fontsize=8, loc="best")

    unit = {"proportion": "proportion" if mult == 1 else ("%" if mult == 100 else f"per {mult:g}"),
            "ratio": "ratio" if mult == 1 else f"ratio x {mult:g}",
            "rate": f"rate per {mult:,.0f}"}[kind]
    xlabel = xlabel or _PRECISION_LABEL[kind]
    ylabel = ylabel or f"Value ({unit})"
    if alt is None:
        counts = sig.value_counts()
        k = int(ok.sum())
        alt = (
            f"Funnel plot of {k} areas: {ylabel.lower()} against {xlabel.lower()}, with a "
            f"target line at {tgt:,.3g} and 95% and 99.8% control limits. "
            f"{int(counts.get('above 99.8% limit', 0))} areas lie above and "
            f"{int(counts.get('below 99.8% limit', 0))} below the 99.8% limits; "
            f"{int(counts.get('above 95% limit', 0))} more lie above and "
            f"{int(counts.get('below 95% limit', 0))} below the 95% limits only."
        )
    fig = plots.finish(fig, title=title, source=source, alt=alt, ax=ax, xlabel=xlabel,
                       ylabel=ylabel)
    fig.lvrn_funnel_data = fd  # type: ignore[attr-defined]
    return fig
