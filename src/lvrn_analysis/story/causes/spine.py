"""The profile as Fingertips-style spine charts and an all-authorities grid.

The spine chart (`indicator_values()` → `fill_intervals()` →
`compare_with_england()` → `spine_data()` → `spine_chart()`) places each
authority's value of each curated Fingertips indicator on a horizontal "spine" centred on
England, as the Public Health England / OHID *Public Health Profiles* do: the spine is scaled
so that England sits in the middle and the authority furthest from England sits at one end;
the grey bar spans the range of the comparator authorities (darker: their interquartile
range); worse values are on the left and better values on the right whatever the
indicator's polarity. The marker is coloured by the Fingertips comparison with England at
95 % (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`: the area's 95 % interval
wholly above or below the England value, otherwise similar).

`spine_sentence()` says in words what a spine chart shows; `comparison_table()` and
`comparison_grid_figure()` show the comparisons of every authority at once.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lvrn_analysis.charts import plots

__all__ = [
    "comparison_grid_figure",
    "comparison_table",
    "spine_chart",
    "spine_data",
    "spine_sentence",
]

#: Marker colours by comparison label (Okabe-Ito, see `lvrn_analysis.charts.plots.COLOURS`).
_COMPARISON_COLOURS: dict[str, str] = {
    **{k: plots.COLOURS[k] for k in ("better", "similar", "worse", "not compared")},
    "higher": plots.PALETTE[0],
    "lower": plots.PALETTE[5],
}
#: x offset of the spine inside the spine chart (text columns sit left of it).
_S0 = 1.56
#: Fewest non-area districts for the spine range to be the England distribution.
_MIN_ENGLAND_DISTRICTS = 20


def spine_data(compared: pd.DataFrame) -> pd.DataFrame:
    """Scale every value onto a spine centred on England, worst on the left.

    For indicator *k* with England value ``E`` and comparator values ``x`` (the other
    English districts when the export holds at least 20 of them, otherwise the area's
    authorities), the half-width is ``D = max|x - E|`` and a value ``v`` sits at::

        position = 0.5 + s * (v - E) / (2 * D)

    with ``s = -1`` when lower is better (higher values are worse, so they go left) and
    ``s = +1`` otherwise. England is at 0.5 and the comparator furthest from England at 0
    or 1: the Fingertips spine-chart scaling (as in the ``fingertipscharts`` R package,
    ``area_profiles``).

    Parameters
    ----------
    compared
        Output of `compare_with_england()`.

    Returns
    -------
    pandas.DataFrame
        The authority rows with ``position`` and per-indicator ``worst``, ``q25``,
        ``q75``, ``best`` (values), ``pos_worst``, ``pos_q25``, ``pos_q75``,
        ``pos_best`` (positions), ``range_basis`` (what the bar spans) and ``range_label``
        (the same, short).
    """
    parts = []
    for _iid, part in compared.groupby("indicator_id", sort=False):
        eng = float(part["england_value"].iloc[0])
        others = part[part["role"] == "other district"]
        local = part[part["role"] == "authority"].copy()
        if others["value"].notna().sum() >= _MIN_ENGLAND_DISTRICTS:
            comp = pd.concat([others, local])["value"].dropna()
            basis = f"all {len(comp)} English districts in the export"
            short = f"{len(comp)} English districts"
        else:
            comp = local["value"].dropna()
            basis = f"the {len(comp)} authorities of the area (no England distribution in " \
                    "the export)"
            short = f"the {len(comp)} authorities"
        sign = -1.0 if local["polarity"].iloc[0] == "low_is_good" else 1.0
        half = float(np.max(np.abs(comp - eng))) if np.isfinite(eng) and len(comp) else np.nan
        half = half if half > 0 else 1.0

        def pos(v: Any, eng: float = eng, sign: float = sign, half: float = half) -> Any:
            return 0.5 + sign * (v - eng) / (2 * half)

        q25, q75 = (float(np.percentile(comp, 25)), float(np.percentile(comp, 75))) if len(
            comp) else (np.nan, np.nan)
        lo, hi = (float(comp.min()), float(comp.max())) if len(comp) else (np.nan, np.nan)
        worst, best = (hi, lo) if sign < 0 else (lo, hi)
        local["position"] = pos(local["value"])
        local["worst"], local["best"] = worst, best
        local["q25"], local["q75"] = q25, q75
        local["pos_worst"], local["pos_best"] = pos(worst), pos(best)
        local["pos_q25"], local["pos_q75"] = pos(q25), pos(q75)
        local["range_basis"] = basis
        local["range_label"] = short
        parts.append(local)
    return pd.concat(parts, ignore_index=True)


def _fmt(v: float, value_type: str) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    if value_type in ("score", "mean", "proportion"):
        return f"{v:,.1f}"
    return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"


def spine_chart(spine: pd.DataFrame, authority: str, *, source: str,
                title: str | None = None) -> Figure:
    """Draw the Fingertips-style spine chart of one authority.

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    authority
        Authority name (``area_name``) or ONS code.
    source
        Source line (`lvrn_analysis.charts.plots.source_line()`).
    title
        Chart title (default: names the authority).

    Returns
    -------
    matplotlib.figure.Figure
        Left: indicator, period, count, value, England and the comparators' worst value;
        right: the spine (bar = comparator range, darker = interquartile range, black line
        = England, marker = the authority coloured by its comparison with England) and
        the best value.

    Raises
    ------
    ValueError
        If the authority is not in ``spine``.
    """
    sel = spine[(spine["area_name"] == authority) | (spine["area_code"] == authority)]
    if sel.empty:
        known = ", ".join(sorted(spine["area_name"].unique()))
        raise ValueError(f"no authority {authority!r} in the spine data (known: {known})")
    sel = sel.reset_index(drop=True)
    name = str(sel["area_name"].iloc[0])
    n = len(sel)
    fig, ax = plots.new_figure(figsize=(12.0, 2.3 + 0.5 * n))
    ax.grid(False)
    ax.set_ylim(n - 0.5, -1.3)
    ax.set_xlim(0, _S0 + 1.27)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    cols = [(0.0, "Indicator", "left"), (0.85, "Period", "center"),
            (1.08, "Count", "right"), (1.20, "Value", "right"), (1.36, "England", "right"),
            (1.49, "Worst", "right")]
    for x, head, ha in cols:
        ax.text(x, -0.9, head, ha=ha, va="center", fontweight="bold", fontsize=9)
    for i, r in sel.iterrows():
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", zorder=0, lw=0)
        vt = str(r["value_type"])
        count = "-" if pd.isna(r["count"]) or vt in ("mean", "score") else \
            f"{r['count']:,.0f}"
        cells = [textwrap.fill(str(r["label"]), 38), str(r["time_period"]), count,
                 _fmt(r["value"], vt), _fmt(r["england_value"], vt), _fmt(r["worst"], vt)]
        for (x, _h, ha), text in zip(cols, cells, strict=True):
            ax.text(x, i, text, ha=ha, va="center", fontsize=8.3 if x == 0 else 9)
        lo, hi = sorted([r["pos_worst"], r["pos_best"]])
        ax.barh(i, hi - lo, left=_S0 + lo, height=0.5, color="#C9C9C9", zorder=1)
        qlo, qhi = sorted([r["pos_q25"], r["pos_q75"]])
        ax.barh(i, qhi - qlo, left=_S0 + qlo, height=0.5, color="#8C8C8C", zorder=2)
        pos = r["position"]
        if np.isfinite(pos):
            ax.plot([_S0 + pos], [i], marker="o", ms=9, mec="#222222", mew=0.8,
                    color=_COMPARISON_COLOURS.get(str(r["comparison"]), "#999999"),
                    zorder=4, ls="none")
        else:
            note = str(r["value_note"]) if pd.notna(r["value_note"]) else ""
            ax.text(_S0 + 0.5, i, "value suppressed (small count)" if "suppress" in
                    note.lower() else "value not available", ha="center", va="center",
                    fontsize=8, color="#444444", zorder=4,
                    bbox={"fc": "white", "ec": "none", "pad": 1})
        ax.text(_S0 + 1.25, i, _fmt(r["best"], vt), ha="right", va="center", fontsize=9)
    ax.plot([_S0 + 0.5, _S0 + 0.5], [-0.5, n - 0.5], color="#222222", lw=1.4, zorder=3)
    ax.text(_S0, -0.9, "Worse", ha="left", va="center", fontsize=9, fontweight="bold")
    ax.text(_S0 + 1.0, -0.9, "Better", ha="right", va="center", fontsize=9,
            fontweight="bold")
    ax.text(_S0 + 0.5, -0.9, "England", ha="center", va="center", fontsize=9)
    ax.text(_S0 + 1.25, -0.9, "Best", ha="right", va="center", fontsize=9, fontweight="bold")
    present = [k for k in ("worse", "similar", "better", "higher", "lower", "not compared")
               if k in set(sel["comparison"])]
    words = {"similar": "similar to England", "not compared": "not compared"}
    handles = [Line2D([], [], marker="o", ls="none", ms=8, mec="#222222",
                      color=_COMPARISON_COLOURS[k], label=words.get(k, f"{k} than England"))
               for k in present]
    handles += [Patch(color="#C9C9C9", label=f"range of {_range_legend(sel)}"),
                Patch(color="#8C8C8C", label="25th-75th percentile"),
                Line2D([], [], color="#222222", lw=1.4, label="England")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=len(handles), fontsize=7.5, frameon=False, handlelength=1.2,
              columnspacing=1.0)
    basis = str(sel["range_basis"].iloc[0])
    n_worse = int((sel["comparison"] == "worse").sum())
    n_better = int((sel["comparison"] == "better").sum())
    n_nc = int((sel["comparison"] == "not compared").sum())
    alt = (f"Spine chart of {n} indicators for {name} against England. {name} is "
           f"significantly worse than England on {n_worse}, better on {n_better} and "
           f"not compared on {n_nc} (no interval). The grey bar on each row spans {basis}.")
    return plots.finish(
        fig, title=title or f"{name} compared with England: violence and its risk factors",
        source=source, alt=alt)


def _range_legend(sel: pd.DataFrame) -> str:
    labels = sel["range_label"].unique()
    if len(labels) == 1:
        return str(labels[0])
    return "English districts" if any("English" in x for x in labels) else \
        "the area's authorities"


def spine_sentence(spine: pd.DataFrame, authority: str) -> str:
    """Summarise one authority's spine chart in a sentence.

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    authority
        Authority name.

    Returns
    -------
    str
        Markdown: which indicators are worse and better than England.
    """
    sel = spine[spine["area_name"] == authority]
    if sel.empty:
        raise ValueError(f"no authority {authority!r} in the spine data")

    def clause(lab: str, word: str) -> str:
        items = [str(x).split(" (")[0] for x in sel.loc[sel["comparison"] == lab, "label"]]
        if not items:
            return f"{word} on none"
        listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        return f"{word} on {len(items)} ({listed})"

    parts = [clause("worse", "significantly **worse** than England"),
             clause("better", "**better**"), clause("similar", "similar")]
    n_nc = int((sel["comparison"] == "not compared").sum())
    tail = f"; {n_nc} not compared (no interval or no value)" if n_nc else ""
    return (f"**{authority}**, {len(sel)} indicators: " + "; ".join(parts) + tail + ".")


def comparison_table(spine: pd.DataFrame, compared: pd.DataFrame) -> pd.DataFrame:
    """Return the all-authorities heat table: value and comparison label per indicator.

    Parameters
    ----------
    spine
        Output of `spine_data()` (authority rows).
    compared
        Output of `compare_with_england()` (for England's row).

    Returns
    -------
    pandas.DataFrame
        One row for England then one per authority; one column per indicator (its
        short label and period) holding e.g. ``"54.7 worse"`` (``"-"`` when no value);
        a final column counts the indicators on which the authority is worse.
    """
    heads = {}
    for iid, part in spine.groupby("indicator_id", sort=False):
        heads[iid] = f"{part['label'].iloc[0]}, {part['time_period'].iloc[0]}"
    order = list(dict.fromkeys(spine["area_name"]))
    data: dict[str, list[str]] = {"Area": ["England", *order]}
    eng = compared[compared["role"] == "england"].set_index("indicator_id")
    worse = dict.fromkeys(order, 0)
    for iid, head in heads.items():
        part = spine[spine["indicator_id"] == iid].set_index("area_name")
        vt = str(part["value_type"].iloc[0])
        col = [_fmt(float(eng.loc[iid, "value"]), vt) if iid in eng.index else "-"]
        for a in order:
            v, lab = part.loc[a, "value"], str(part.loc[a, "comparison"])
            col.append("-" if pd.isna(v) else f"{_fmt(v, vt)} {lab}")
            worse[a] += lab == "worse"
        data[head] = col
    data["Indicators worse than England"] = ["", *[str(worse[a]) for a in order]]
    return pd.DataFrame(data)


def comparison_grid_figure(spine: pd.DataFrame, *, source: str, title: str) -> Figure:
    """Draw the all-authorities comparison as a coloured grid (a heat table).

    Parameters
    ----------
    spine
        Output of `spine_data()`.
    source
        Source line.
    title
        Chart title.

    Returns
    -------
    matplotlib.figure.Figure
        Authorities (rows, most indicators worse first) by indicators (columns); each
        cell holds the value and is coloured by the comparison with England.
    """
    inds = list(dict.fromkeys(spine["indicator_id"]))
    worse = spine.assign(w=spine["comparison"] == "worse").groupby("area_name")["w"].sum()
    order = sorted(worse.index, key=lambda a: (-int(worse[a]), a))
    fig, ax = plots.new_figure(figsize=(11.0, 1.6 + 0.36 * len(order) + 1.3))
    ax.grid(False)
    for j, iid in enumerate(inds):
        part = spine[spine["indicator_id"] == iid].set_index("area_name")
        vt = str(part["value_type"].iloc[0])
        for i, a in enumerate(order):
            lab = str(part.loc[a, "comparison"])
            colour = _COMPARISON_COLOURS.get(lab, "#999999")
            ax.add_patch(_rect(j, i, colour))
            txt = _fmt(part.loc[a, "value"], vt)
            ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=8.5,
                    color="white" if lab in ("worse", "better", "higher") else "#222222")
    ax.set_xlim(0, len(inds))
    ax.set_ylim(len(order), 0)
    ax.set_yticks([i + 0.5 for i in range(len(order))], order, fontsize=8.5)
    heads = [textwrap.fill(f"{spine.loc[spine['indicator_id'] == i, 'label'].iloc[0]} "
                           f"[{spine.loc[spine['indicator_id'] == i, 'time_period'].iloc[0]}]",
                           18) for i in inds]
    ax.set_xticks([j + 0.5 for j in range(len(inds))], heads, fontsize=7.5)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    present = [k for k in ("worse", "similar", "better", "higher", "lower", "not compared")
               if k in set(spine["comparison"])]
    ax.legend(handles=[Patch(color=_COMPARISON_COLOURS[k], label=k) for k in present],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=len(present),
              fontsize=8, frameon=False, title="Compared with England (95% interval)",
              title_fontsize=8)
    counts = {k: int((spine["comparison"] == k).sum()) for k in present}
    alt = ("Grid of " + str(len(order)) + " authorities by " + str(len(inds)) + " indicators, "
           "each cell coloured by comparison with England: "
           + ", ".join(f"{v} cells {k}" for k, v in counts.items())
           + f". Authorities with most indicators worse than England are at the top "
             f"({order[0]}).")
    return plots.finish(fig, title=title, source=source, alt=alt)


def _rect(j: int, i: int, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((j + 0.03, i + 0.06), 0.94, 0.88, color=colour, lw=0)
