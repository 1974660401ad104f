"""Charts for the ED, benchmark and coverage sections of the problem profile.

House style from `lvrn_analysis.charts.plots`. Every ED chart is drawn from
**published** (disclosure-controlled) counts, i.e. the frames returned by
`lvrn_analysis.story.ed_profile.EdTable.published_counts()`: count columns are
rounded to 5 and ``<NA>`` where suppressed. Suppressed cells are drawn hatched
and labelled ``[c]``, never as zero, and each chart says so in a note and in its
alt text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from lvrn_analysis.charts import plots

__all__ = [
    "SUPPRESSED_NOTE",
    "age_sex_chart",
    "alcohol_drugs_chart",
    "benchmark_grid_chart",
    "category_chart",
    "coverage_chart",
    "hour_weekday_chart",
]

#: Hatch and colours of suppressed cells.
_HATCH = "////"
_HATCH_EDGE = "#777777"
#: Note printed on charts with suppressed cells.
SUPPRESSED_NOTE = ("Hatched [c]: suppressed by disclosure control (a count of 1-7, or a cell "
                   "hidden so that one cannot be worked out from a total).")
_ROUNDED_NOTE = "Counts rounded to the nearest 5."

_LABEL_COLOURS = {
    "better": plots.COLOURS["better"], "similar": plots.COLOURS["similar"],
    "worse": plots.COLOURS["worse"], "not compared": plots.COLOURS["not compared"],
}
_COVERAGE_COLOURS = {"yes": plots.PALETTE[2], "partly": plots.PALETTE[1], "no": "#D9D9D9"}


def _num(s: pd.Series) -> np.ndarray:
    """Return published counts as float (NaN where suppressed)."""
    return pd.to_numeric(s.astype("Float64"), errors="coerce").to_numpy(dtype=float,
                                                                       na_value=np.nan)


def _note(fig: Figure, text: str) -> None:
    fig.text(0.01, 0.04, text, fontsize=7, color="#444444", ha="left", va="bottom",
             wrap=True)


# -------------------------------------------------------------------- benchmarks


def benchmark_grid_chart(grid: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Fingertips-style grid: authorities by comparisons, coloured better/similar/worse.

    Parameters
    ----------
    grid
        Output of `lvrn_analysis.story.ed_profile.benchmark_grid()`.
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text. Each cell shows the label in words and the
        authority's value, so colour is never the only cue.
    """
    comps = list(dict.fromkeys(grid["comparison"]))
    las = (grid.drop_duplicates("la_name").sort_values(["order", "la_name"])["la_name"]
           .tolist())
    fig, ax = plots.new_figure(figsize=(8.6, 0.36 * len(las) + 2.4))
    for j, comp in enumerate(comps):
        sub = grid[grid["comparison"] == comp].set_index("la_name")
        for i, la in enumerate(las):
            if la not in sub.index:
                continue
            r = sub.loc[la]
            colour = _LABEL_COLOURS.get(str(r["label"]), "#FFFFFF")
            ax.add_patch(Rectangle((j, i), 0.96, 0.9, facecolor=colour, edgecolor="white"))
            dark = r["label"] in ("better", "worse")
            ax.text(j + 0.48, i + 0.45, f"{r['label']}  {r['value']:.1f}", ha="center",
                    va="center", fontsize=8, color="white" if dark else "black",
                    fontweight="bold" if dark else "normal")
        bench = float(sub["benchmark"].iloc[0])
        ax.text(j + 0.48, -0.2, f"{comp}\n(benchmark {bench:.1f})", ha="center", va="bottom",
                fontsize=7.5)
    ax.set_xlim(0, len(comps))
    ax.set_ylim(len(las), -1.6)
    ax.set_yticks(np.arange(len(las)) + 0.45, las)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    parts = []
    for comp in comps:
        sub = grid[grid["comparison"] == comp]
        n = sub["label"].value_counts()
        parts.append(f"{comp.replace(chr(10), ' ')}: " + ", ".join(
            f"{int(n.get(k, 0))} {k}" for k in ("worse", "similar", "better")))
    alt = (f"Grid of {len(las)} local authorities (rows, highest police rate first) by "
           f"{len(comps)} benchmark comparisons (columns), each cell saying whether the "
           "authority's 95% interval is better (below), similar to or worse (above) than the "
           "benchmark, with its rate per 1,000. " + "; ".join(parts) + ".")
    fig = plots.finish(fig, ax=ax, title=title, source=source, alt=alt)
    return fig


# ------------------------------------------------------------------------- people


def age_sex_chart(pub: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Population-pyramid style bars of attendances by age band and sex.

    Parameters
    ----------
    pub
        Published frame of `lvrn_analysis.story.ed_profile.age_sex_table()`
        (``age_band``, ``Male``, ``Female``, ``Total``); the ``Unknown`` and
        ``Total`` rows are not drawn.
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text; suppressed cells hatched and marked ``[c]``.
    """
    d = pub[~pub["age_band"].isin(["Unknown", "Total"])].reset_index(drop=True)
    male, female = _num(d["Male"]), _num(d["Female"])
    top = np.nanmax(np.concatenate([male, female]))
    stub = 0.04 * top
    fig, ax = plots.new_figure(figsize=(9, 4.6))
    y = np.arange(len(d))
    for vals, sign, colour, name in ((male, -1, plots.PALETTE[0], "Male"),
                                     (female, 1, plots.PALETTE[1], "Female")):
        ok = ~np.isnan(vals)
        ax.barh(y[ok], sign * vals[ok], color=colour, label=name, height=0.7)
        for yy, v in zip(y[ok], vals[ok], strict=True):
            ax.text(sign * (v + 0.01 * top), yy, f"{v:,.0f}", va="center",
                    ha="left" if sign > 0 else "right", fontsize=8)
        for yy in y[~ok]:
            ax.barh(yy, sign * stub, color="white", edgecolor=_HATCH_EDGE, hatch=_HATCH,
                    height=0.7)
            ax.text(sign * (stub + 0.01 * top), yy, "[c]", va="center",
                    ha="left" if sign > 0 else "right", fontsize=8)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y, d["age_band"])
    lim = top * 1.25
    ax.set_xlim(-lim, lim)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):,.0f}" for t in ticks])
    ax.set_xlim(-lim, lim)
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    n_supp = int(np.isnan(male).sum() + np.isnan(female).sum())
    if n_supp:
        handles.append(Patch(facecolor="white", edgecolor=_HATCH_EDGE, hatch=_HATCH))
        labels.append("Suppressed [c]")
    ax.legend(handles, labels, loc="lower right", frameon=False, fontsize=8)
    big = d.loc[np.nanargmax(np.nan_to_num(_num(d["Total"]), nan=-1)), "age_band"]
    supp = ", ".join(f"{b} {s}" for b, s, v in
                     [(b, "male", m) for b, m in zip(d["age_band"], male, strict=True)]
                     + [(b, "female", f) for b, f in zip(d["age_band"], female, strict=True)]
                     if np.isnan(v)) or "none"
    alt = (f"Horizontal bars of attendances by age band, males to the left and females to "
           f"the right. The largest age band is {big}; males outnumber females in every "
           f"published band. Counts are rounded to 5; suppressed cells: {supp}.")
    fig = plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                       xlabel="Attendances in the period (rounded to 5)", ylabel="Age band")
    _note(fig, (SUPPRESSED_NOTE + " " if n_supp else "") + _ROUNDED_NOTE)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


# --------------------------------------------------------------------------- time


def hour_weekday_chart(pub: pd.DataFrame, *, title: str, source: str,
                       weekdays: Sequence[str] = ("Monday", "Tuesday", "Wednesday",
                                                  "Thursday", "Friday", "Saturday",
                                                  "Sunday")) -> Figure:
    """Heatmap of attendances by weekday (rows) and hour of arrival (columns).

    Parameters
    ----------
    pub
        Published frame of `lvrn_analysis.story.ed_profile.hour_weekday_table()`
        (``hour`` rows ``00:00`` ... ``23:00`` and ``Total``; weekday columns).
    title, source
        Title and source line.
    weekdays
        Weekday columns, in display order.

    Returns
    -------
    Figure
        Finished figure with alt text; suppressed cells hatched.
    """
    d = pub[pub["hour"] != "Total"].reset_index(drop=True)
    mat = np.column_stack([_num(d[w]) for w in weekdays]).T  # weekday x hour
    fig, ax = plots.new_figure(figsize=(9, 4.2))
    masked = np.ma.masked_invalid(mat)
    cmap = mpl.colormaps["cividis"].with_extremes(bad="white")
    im = ax.imshow(masked, aspect="auto", cmap=cmap, interpolation="nearest")
    supp = np.argwhere(np.isnan(mat))
    for r, c in supp:
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="white",
                               edgecolor=_HATCH_EDGE, hatch=_HATCH, lw=0))
    ax.set_xticks(np.arange(24), [f"{h:02d}" for h in range(24)], fontsize=8)
    ax.set_yticks(np.arange(len(weekdays)), list(weekdays))
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("Attendances (rounded to 5)")
    flat = np.where(np.isnan(mat), -1, mat)
    r_hi, c_hi = np.unravel_index(np.argmax(flat), flat.shape)
    flat_lo = np.where(np.isnan(mat), np.inf, mat)
    r_lo, c_lo = np.unravel_index(np.argmin(flat_lo), flat_lo.shape)
    day_tot = np.nansum(mat, axis=1)
    busiest = weekdays[int(np.argmax(day_tot))]
    alt = (f"Heatmap of attendances by weekday and hour of arrival. Busiest cell: "
           f"{weekdays[r_hi]} {c_hi:02d}:00 ({mat[r_hi, c_hi]:,.0f}); quietest: "
           f"{weekdays[r_lo]} {c_lo:02d}:00 ({mat[r_lo, c_lo]:,.0f}). Busiest day overall: "
           f"{busiest}. {len(supp)} of {mat.size} cells are suppressed.")
    fig = plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                       xlabel="Hour of arrival (24-hour clock)", ylabel="Day of arrival")
    _note(fig, (SUPPRESSED_NOTE + " " if len(supp) else "") + _ROUNDED_NOTE)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


# ------------------------------------------------------------------ place, means


def category_chart(panels: Sequence[tuple[pd.DataFrame, str, str]], *, title: str,
                   source: str, last: Sequence[str] = ("Unknown", "Not recorded")) -> Figure:
    """Side-by-side horizontal bars of the percentage of attendances per category.

    Parameters
    ----------
    panels
        ``(published frame, category column, panel title)`` per panel; frames
        from `lvrn_analysis.story.ed_profile.one_way_table()` (``attendances``,
        ``percent``; the ``Total`` row is not drawn).
    title, source
        Title and source line.
    last
        Categories drawn last (at the bottom) whatever their size.

    Returns
    -------
    Figure
        Finished figure with alt text; suppressed cells hatched and marked ``[c]``.
    """
    fig, axes = plots.new_figure(1, len(panels), figsize=(4.6 * len(panels), 4.4))
    axes = np.atleast_1d(axes)
    alt_parts = []
    n_supp = 0
    for ax, (pub, col, name) in zip(axes, panels, strict=True):
        d = pub[pub[col] != "Total"].copy()
        d["_pct"] = pd.to_numeric(d["percent"], errors="coerce")
        d["_last"] = d[col].isin(last)
        d = d.sort_values(["_last", "_pct"], ascending=[False, True], na_position="first")
        y = np.arange(len(d))
        pct = d["_pct"].to_numpy(dtype=float)
        ok = ~np.isnan(pct)
        ax.barh(y[ok], pct[ok], color=plots.COLOURS["observed"], height=0.7)
        for yy, v in zip(y[ok], pct[ok], strict=True):
            ax.text(v + 0.8, yy, f"{v:.1f}%", va="center", fontsize=8)
        for yy in y[~ok]:
            ax.barh(yy, 1.5, color="white", edgecolor=_HATCH_EDGE, hatch=_HATCH, height=0.7)
            ax.text(2.3, yy, "[c]", va="center", fontsize=8)
        n_supp += int((~ok).sum())
        ax.set_yticks(y, d[col])
        ax.set_xlim(0, max(10.0, float(np.nanmax(pct)) * 1.25) if ok.any() else 10.0)
        ax.grid(axis="y", visible=False)
        ax.set_title(textwrap.fill(name, 42), fontsize=10, loc="left")
        ax.set_xlabel("Share of attendances (%)")
        top = d[ok].sort_values("_pct", ascending=False).head(2)
        alt_parts.append(f"{name}: " + ", ".join(
            f"{c} {p:.0f}%" for c, p in zip(top[col], top["_pct"], strict=True)))
    alt = ("Horizontal bar charts of the share of attendances in each category. Largest: "
           + "; ".join(alt_parts) + f". {n_supp} categories suppressed.")
    fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.text(0.01, 0.005, source, fontsize=7.5, color="#444444", ha="left", va="bottom",
             wrap=True)
    fig.lvrn_alt = alt  # type: ignore[attr-defined]
    fig.lvrn_title = title  # type: ignore[attr-defined]
    _note(fig, "Percentages of the published total, from counts rounded to the nearest 5."
          + (" " + SUPPRESSED_NOTE if n_supp else ""))
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


# -------------------------------------------------------------- alcohol and drugs


def alcohol_drugs_chart(shares: dict[str, dict[str, float]], *, title: str,
                        source: str) -> Figure:
    """100 % stacked bars: involvement recorded yes / no / not recorded.

    Parameters
    ----------
    shares
        ``{"Alcohol": recorded_share(...), "Drugs": ...}`` from
        `lvrn_analysis.story.ed_profile.recorded_share()` (published counts).
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    fig, ax = plots.new_figure(figsize=(8, 3.2))
    names = list(shares)
    y = np.arange(len(names))[::-1]
    parts = (("yes", "Involved", plots.PALETTE[3]), ("no", "Not involved", plots.PALETTE[5]),
             ("not_recorded", "Not recorded", "#BBBBBB"))
    left = np.zeros(len(names))
    for key, lab, colour in parts:
        vals = np.array([100 * shares[n][key] / shares[n]["total"] for n in names])
        vals = np.nan_to_num(vals, nan=0.0)
        ax.barh(y, vals, left=left, color=colour, label=lab, height=0.6)
        for yy, lft, v in zip(y, left, vals, strict=True):
            if v >= 4:
                ax.text(lft + v / 2, yy, f"{v:.0f}%", ha="center", va="center", fontsize=9,
                        color="white" if key == "yes" else "black")
        left = left + vals
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False,
              fontsize=8)
    alt = "Stacked bars of the share of attendances with each factor recorded. " + "; ".join(
        f"{n}: involved in {100 * s['yes'] / s['total']:.0f}% of all attendances "
        f"({s['pct_yes_where_recorded']:.0f}% where recorded), not recorded in "
        f"{100 * s['not_recorded'] / s['total']:.0f}%" for n, s in shares.items()) + "."
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                        xlabel="Share of attendances (%, from counts rounded to 5)")


# ------------------------------------------------------------------------ coverage


def coverage_chart(matrix: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Grid of the LVRN definition's components by source: yes / partly / no.

    Parameters
    ----------
    matrix
        Output of `lvrn_analysis.story.ed_profile.coverage_table()` (``component``
        then one column per source).
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text (words in every cell, colour as a second cue).
    """
    m = matrix.set_index("component")
    fig, ax = plots.new_figure(figsize=(9, 0.42 * len(m) + 2.6))
    for j, src in enumerate(m.columns):
        for i, comp in enumerate(m.index):
            v = str(m.loc[comp, src])
            ax.add_patch(Rectangle((j, i), 0.96, 0.9, facecolor=_COVERAGE_COLOURS.get(v, "white"),
                                   edgecolor="white"))
            ax.text(j + 0.48, i + 0.45, v, ha="center", va="center", fontsize=8.5,
                    color="white" if v == "yes" else "black")
        ax.text(j + 0.48, -0.15, textwrap.fill(src, 18), ha="center", va="bottom", fontsize=7.5)
    ax.set_xlim(0, len(m.columns))
    ax.set_ylim(len(m), -2.2)
    ax.set_yticks(np.arange(len(m)) + 0.45, m.index)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    counts = ", ".join(f"{src.split(' (')[0]}: {int((m[src] == 'yes').sum())} yes, "
                       f"{int((m[src] == 'partly').sum())} partly" for src in m.columns)
    none = [c for c in m.index if not (m.loc[c] == "yes").any()]
    alt = (f"Grid of the {len(m)} components of the LVRN serious-violence definition (rows) "
           f"by {len(m.columns)} data sources (columns), each cell yes, partly or no. "
           f"{counts}. Components no source measures fully: {', '.join(none)}.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt)
