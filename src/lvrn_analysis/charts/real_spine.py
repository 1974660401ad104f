"""The spine chart of one authority's real indicators, with synthetic rows marked in it.

`spine_figure()` draws the rows that `lvrn_analysis.story.causes.real_spine` prepares:
each row is one indicator with its value, England's value and England's distribution
already placed on a 0-1 spine (0 = the worst end, 1 = the best end, England at 0.5). Real
rows are drawn as OHID's Public Health Profiles draw them (grey bar = range of all English
authorities of the indicator's tier, darker = 25th to 75th percentile, black line =
England, dot coloured by Fingertips' comparison with England). Rows with
``origin == "synthetic"`` are drawn **hatched**, with a hollow diamond, the word
SYNTHETIC in the value column and in the indicator label, so that a screenshot of the
chart cannot pass a synthetic value off as real.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lvrn_analysis.charts import plots

__all__ = ["spine_figure"]

#: Marker colour by comparison with England (Okabe-Ito, `lvrn_analysis.charts.plots.COLOURS`).
COMPARISON_COLOURS: dict[str, str] = {
    k: plots.COLOURS[k] for k in ("better", "similar", "worse", "not compared")}
#: x offset of the spine (the text columns sit to its left).
_S0 = 2.08
_HATCH = "////"


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"


def spine_figure(rows: pd.DataFrame, *, title: str, source: str, alt: str) -> Figure:
    """Draw a spine chart of one authority.

    Parameters
    ----------
    rows
        One row per indicator with ``label``, ``unit_label``, ``value_area_name``,
        ``period``, ``value``, ``value_note``, ``england_value``, ``worst``, ``best``,
        ``comparison``, ``origin``, ``range_label`` and the positions ``position``,
        ``pos_worst``, ``pos_q25``, ``pos_q75``, ``pos_best``.
    title, source, alt
        Title, source line and alt text (see `lvrn_analysis.charts.plots.finish()`).

    Returns
    -------
    matplotlib.figure.Figure
        Left: indicator (with unit), whose value it is, period, value, England, worst;
        right: the spine and the best value.
    """
    sel = rows.reset_index(drop=True)
    n = len(sel)
    fig, ax = plots.new_figure(figsize=(13.0, 2.5 + 0.52 * n))
    ax.grid(False)
    ax.set_ylim(n - 0.5, -1.3)
    ax.set_xlim(0, _S0 + 1.27)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    cols = [(0.0, "Indicator", "left"), (0.98, "Value for", "left"),
            (1.42, "Period", "center"), (1.66, "Value", "right"),
            (1.84, "England", "right"), (2.02, "Worst", "right")]
    for x, head, ha in cols:
        ax.text(x, -0.9, head, ha=ha, va="center", fontweight="bold", fontsize=9)
    syn_colour = plots.COLOURS["synthetic"]
    for i, r in sel.iterrows():
        synthetic = r["origin"] == "synthetic"
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", zorder=0, lw=0)
        label = f"{r['label']} ({r['unit_label']})"
        if synthetic:
            label = "SYNTHETIC - " + label
        where = str(r["value_area_name"]) + ("\n(SYNTHETIC)" if synthetic else "")
        cells = [textwrap.fill(label, 56), where,
                 str(r["period"]), _fmt(r["value"]), _fmt(r["england_value"]), _fmt(r["worst"])]
        for j, ((x, _h, ha), text) in enumerate(zip(cols, cells, strict=True)):
            ax.text(x, i, text, ha=ha, va="center", fontsize=8.0 if j < 2 else 9,
                    color=syn_colour if synthetic else "#222222",
                    fontweight="bold" if synthetic and j == 3 else "normal")
        lo, hi = sorted([r["pos_worst"], r["pos_best"]])
        qlo, qhi = sorted([r["pos_q25"], r["pos_q75"]])
        if synthetic:
            ax.barh(i, hi - lo, left=_S0 + lo, height=0.5, facecolor="white",
                    edgecolor=syn_colour, hatch=_HATCH, lw=0.8, zorder=1)
            ax.barh(i, qhi - qlo, left=_S0 + qlo, height=0.5, facecolor="#EBD3E2",
                    edgecolor=syn_colour, hatch=_HATCH, lw=0.8, zorder=2)
        else:
            ax.barh(i, hi - lo, left=_S0 + lo, height=0.5, color="#C9C9C9", zorder=1)
            ax.barh(i, qhi - qlo, left=_S0 + qlo, height=0.5, color="#8C8C8C", zorder=2)
        pos = r["position"]
        if np.isfinite(pos) and synthetic:
            ax.plot([_S0 + pos], [i], marker="D", ms=8, mec=syn_colour, mew=1.6,
                    mfc="white", zorder=4, ls="none")
            ax.text(_S0 + pos, i - 0.33, "synthetic", ha="center", va="bottom", fontsize=7,
                    color=syn_colour, zorder=5)
        elif np.isfinite(pos):
            ax.plot([_S0 + pos], [i], marker="o", ms=9, mec="#222222", mew=0.8,
                    color=COMPARISON_COLOURS.get(str(r["comparison"]), "#999999"),
                    zorder=4, ls="none")
        else:
            ax.text(_S0 + 0.5, i, "no value published", ha="center", va="center",
                    fontsize=8, color="#444444", zorder=4,
                    bbox={"fc": "white", "ec": "none", "pad": 1})
        ax.text(_S0 + 1.25, i, _fmt(r["best"]), ha="right", va="center", fontsize=9)
    ax.plot([_S0 + 0.5, _S0 + 0.5], [-0.5, n - 0.5], color="#222222", lw=1.4, zorder=3)
    ax.text(_S0, -0.9, "Worse", ha="left", va="center", fontsize=9, fontweight="bold")
    ax.text(_S0 + 1.0, -0.9, "Better", ha="right", va="center", fontsize=9,
            fontweight="bold")
    ax.text(_S0 + 0.5, -0.9, "England", ha="center", va="center", fontsize=9)
    ax.text(_S0 + 1.25, -0.9, "Best", ha="right", va="center", fontsize=9, fontweight="bold")
    ax.legend(handles=_legend(sel), loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=4, fontsize=7.5, frameon=False, handlelength=1.4, columnspacing=1.2)
    return plots.finish(fig, title=title, source=source, alt=alt)


def _legend(sel: pd.DataFrame) -> list:
    real = sel[sel["origin"] == "real"]
    words = {"worse": "worse than England (95%)", "similar": "similar to England",
             "better": "better than England (95%)", "not compared": "not compared"}
    handles: list = [Line2D([], [], marker="o", ls="none", ms=8, mec="#222222",
                            color=COMPARISON_COLOURS[k], label=words[k])
                     for k in ("worse", "similar", "better", "not compared")
                     if k in set(real["comparison"])]
    handles += [Patch(color="#C9C9C9", label="range of English authorities of the same tier"),
                Patch(color="#8C8C8C", label="25th-75th percentile"),
                Line2D([], [], color="#222222", lw=1.4, label="England")]
    if (sel["origin"] == "synthetic").any():
        handles.append(Patch(facecolor="white", edgecolor=plots.COLOURS["synthetic"],
                             hatch=_HATCH, label="SYNTHETIC (no real measure): range of the "
                                                 "area's authorities; not a real figure"))
    return handles
