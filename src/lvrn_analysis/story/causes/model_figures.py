"""Figures of the causes models: rate against a risk factor, and a forest plot.

`scatter_figure()` draws each authority's rate against a risk factor with the fitted
negative binomial curve and its 95 % band; `forest_figure()` draws the rate ratios per
1 SD of several risk factors.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import plots
from lvrn_analysis.story.causes.models import NBFit

__all__ = ["forest_figure", "scatter_figure"]


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
