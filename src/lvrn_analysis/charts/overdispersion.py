"""Funnel plot with chance-only (Poisson) and over-dispersion-adjusted limits.

Drawn in the house style (`lvrn_analysis.charts.plots`) from plain frames, so
that this module needs nothing from `lvrn_analysis.stats`; the usual entry point
is `lvrn_analysis.stats.overdispersion.OverdispersionResult.plot()`, which
builds the frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import plots

__all__ = ["overdispersed_funnel_chart"]

_METHOD_NAME = {"additive": "random-effects", "multiplicative": "multiplicative"}


def _spread_labels(fig: Figure, ax: object, texts: list, anchors: np.ndarray, *,
                   gap: float = 1.5, marker: float = 4.0, rounds: int = 200) -> None:
    """Move point labels vertically until no label overlaps another label or a point.

    Deterministic: labels are visited in a fixed order and moved by half the
    overlap each (all of it when the obstacle is a point marker).
    """
    renderer = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    pts = ax.transData.transform(anchors)

    def shift(t: object, dy: float) -> None:
        x, y = ax.transData.transform(t.get_position())
        t.set_position(tuple(inv.transform((x, y + dy))))

    for _ in range(rounds):
        moved = False
        boxes = [t.get_window_extent(renderer) for t in texts]
        for i, t in enumerate(texts):
            b = boxes[i]
            for j, (px, py) in enumerate(pts):
                if j == i or px + marker < b.x0 or px - marker > b.x1:
                    continue
                if py + marker + gap <= b.y0 or py - marker - gap >= b.y1:
                    continue
                up = (b.y0 + b.y1) / 2 >= py
                shift(t, (py + marker + gap - b.y0) if up else (py - marker - gap - b.y1))
                b = boxes[i] = t.get_window_extent(renderer)
                moved = True
        order = sorted(range(len(texts)), key=lambda i: (boxes[i].y0, boxes[i].x0))
        for a_pos, i in enumerate(order):
            for j in order[a_pos + 1:]:
                bi, bj = boxes[i], boxes[j]
                if bi.x1 < bj.x0 or bj.x1 < bi.x0:
                    continue
                overlap = bi.y1 + gap - bj.y0
                if overlap <= 0 or bj.y0 > bi.y1 + gap:
                    continue
                shift(texts[i], -overlap / 2)
                shift(texts[j], overlap / 2)
                boxes[i] = texts[i].get_window_extent(renderer)
                boxes[j] = texts[j].get_window_extent(renderer)
                moved = True
        if not moved:
            return


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _names(points: pd.DataFrame, mask: pd.Series) -> str:
    """Return "0 areas lie" or "2 lie (A, B)" for the areas in ``mask``."""
    sub = points[mask].sort_values(["value", "label"], ascending=[False, True])
    if sub.empty:
        return "no area lies"
    verb = "lies" if len(sub) == 1 else "lie"
    return f"{len(sub)} {verb} ({', '.join(sub['label'])})"


def overdispersed_funnel_chart(
    points: pd.DataFrame,
    curves: pd.DataFrame,
    *,
    target: float,
    method: str,
    dispersion_text: str,
    title: str,
    source: str,
    alt: str | None = None,
    xlabel: str = "Denominator",
    ylabel: str = "Value",
    target_label: str = "Target",
    value_format: str = "{:.1f}",
) -> Figure:
    """Draw areas against their size with Poisson and over-dispersed funnel limits.

    Parameters
    ----------
    points
        One row per area: ``label``, ``x`` (size), ``value``, ``flag`` (under
        the over-dispersed limits) and ``flag_poisson`` (flags as
        ``"above 99.8% limit"`` ... ``"within limits"``).
    curves
        ``x`` and ``poisson_lower_95``, ``poisson_upper_95``,
        ``poisson_lower_99_8``, ``poisson_upper_99_8`` plus the same four for
        ``method``.
    target
        The target value, drawn as a line.
    method
        ``"additive"`` (random effects) or ``"multiplicative"``.
    dispersion_text
        The estimated dispersion, printed in a box on the chart.
    title, source
        Title and source line.
    alt
        Alt text; generated from the flags when omitted.
    xlabel, ylabel
        Axis labels with units.
    target_label
        Legend name of the target.
    value_format
        Format of the target and values in the legend and alt text.

    Returns
    -------
    Figure
        Finished with `lvrn_analysis.charts.plots.finish()`; every area is
        labelled.
    """
    if method not in _METHOD_NAME:
        raise ValueError(f"method must be one of {sorted(_METHOD_NAME)}, got {method!r}")
    name = _METHOD_NAME[method]
    fig, ax = plots.new_figure(figsize=(8.5, 5.6))
    ax.axhline(target, color="#333333", lw=1.2,
               label=f"{target_label} ({value_format.format(target)})")
    grey = plots.PALETTE[7]
    ax.plot(curves["x"], curves["poisson_upper_95"], ls=":", color=grey, lw=1.1,
            label="Poisson 95% limits (chance alone)")
    ax.plot(curves["x"], curves["poisson_lower_95"], ls=":", color=grey, lw=1.1)
    ax.plot(curves["x"], curves["poisson_upper_99_8"], ls="-", color=grey, lw=1.1,
            label="Poisson 99.8% limits")
    ax.plot(curves["x"], curves["poisson_lower_99_8"], ls="-", color=grey, lw=1.1)
    for sfx, ls, colour, text in (("95", "--", plots.PALETTE[1], "95%"),
                                  ("99_8", "-", plots.PALETTE[3], "99.8%")):
        ax.plot(curves["x"], curves[f"{method}_upper_{sfx}"], ls=ls, color=colour, lw=1.6,
                label=f"{text} limits allowing for over-dispersion ({name})")
        ax.plot(curves["x"], curves[f"{method}_lower_{sfx}"], ls=ls, color=colour, lw=1.6)
    flag = points["flag"].astype(str)
    outer = flag.str.contains("99.8%", regex=False)
    mid = flag.str.contains(" 95% ", regex=False)
    groups = [(~outer & ~mid, plots.PALETTE[0], "o", "Within the over-dispersed 95% limits"),
              (mid, plots.PALETTE[1], "s", "Outside the over-dispersed 95% limits"),
              (outer, plots.PALETTE[3], "D", "Outside the over-dispersed 99.8% limits")]
    for mask, colour, marker, text in groups:
        if mask.any():
            ax.scatter(points.loc[mask, "x"], points.loc[mask, "value"], s=34, color=colour,
                       marker=marker, edgecolor="white", linewidth=0.6, zorder=4, label=text)
    xs = np.concatenate([curves["x"].to_numpy(float), points["x"].to_numpy(float)])
    ax.set_xlim(float(xs.min()), float(xs.max()))
    top = max(float(points["value"].max()), float(curves[f"{method}_upper_99_8"].max()))
    ax.set_ylim(0, top * 1.08)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=2)
    ax.text(0.99, 0.98, dispersion_text, transform=ax.transAxes, ha="right", va="top",
            fontsize=8, bbox={"boxstyle": "round,pad=0.4", "facecolor": "white",
                              "edgecolor": "#BBBBBB"}, zorder=5)
    if alt is None:
        pois_out = points["flag_poisson"].astype(str).str.contains("99.8%", regex=False)
        alt = (f"Funnel plot of {len(points)} areas: {_lower_first(ylabel)} against "
               f"{_lower_first(xlabel)}, with a target line at {value_format.format(target)}. "
               f"The Poisson limits (chance alone) are narrow: {int(pois_out.sum())} of "
               f"{len(points)} areas lie outside the 99.8% Poisson limits. Allowing for the "
               f"spread between areas ({name} limits), {_names(points, outer)} outside the "
               f"99.8% limits and {_names(points, mid)} outside the 95% limits only. "
               + dispersion_text.replace("\n", "; ") + ".")
    fig = plots.finish(fig, title=title, source=source, alt=alt, ax=ax, xlabel=xlabel,
                       ylabel=ylabel)
    shift = ax.transData + _offset(fig, 5.0)
    ordered = points.sort_values(["x", "label"])
    texts = [ax.text(r.x, r.value, str(r.label), transform=shift, fontsize=7.5,
                     va="center", zorder=6) for r in ordered.itertuples(index=False)]
    _spread_labels(fig, ax, texts, ordered[["x", "value"]].to_numpy(dtype=float))
    for t, (px, py) in zip(texts, ordered[["x", "value"]].to_numpy(dtype=float), strict=True):
        ty = t.get_position()[1]
        _, d = ax.transData.transform((px, ty)) - ax.transData.transform((px, py))
        if abs(d) > 6:  # moved away from its point: draw a leader line
            ax.annotate("", xy=(px, py), xytext=(px, ty), textcoords=shift,
                        arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.6,
                                    "shrinkA": 0, "shrinkB": 3})
    return fig


def _offset(fig: Figure, points_right: float) -> object:
    """Return a transform shifting text ``points_right`` points to the right of its anchor."""
    from matplotlib.transforms import ScaledTranslation

    return ScaledTranslation(points_right / 72.0, 0.0, fig.dpi_scale_trans)
