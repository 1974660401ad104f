"""Charts of crimes published twice: per monthly file, and their effect on authority rates.

Inputs come from `lvrn_analysis.story.duplicates`; the house style is
`lvrn_analysis.charts.plots`.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from lvrn_analysis.charts import plots


def duplicates_month_chart(by_month: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Bar chart of the second copies removed from each monthly file.

    Parameters
    ----------
    by_month
        Output of `lvrn_analysis.story.duplicates.duplicates_by_month()`.
    title, source
        Title and source line (`lvrn_analysis.charts.plots.source_line()`).

    Returns
    -------
    Figure
        Finished figure with alt text; files flagged as a publishing fault are
        drawn in the "worse" colour and labelled with their count.
    """
    s = by_month.sort_values("month")
    fault = s["publishing_fault"].to_numpy(dtype=bool)
    fig, ax = plots.new_figure(figsize=(8, 3.6))
    colours = np.where(fault, plots.COLOURS["worse"], plots.COLOURS["observed"])
    ax.bar(s["month"], s["duplicates"], width=24, color=list(colours), align="edge")
    for r in s[fault].itertuples():
        ax.annotate(f"{r.duplicates:,}", (r.month + pd.Timedelta(days=12), r.duplicates),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    every = pd.date_range(s["month"].min(), s["month"].max(), freq="MS")
    gaps = every.difference(pd.DatetimeIndex(s["month"]))
    for m in gaps:
        ax.axvspan(m, m + pd.offsets.MonthEnd(0), facecolor="none", hatch="///",
                   edgecolor="#BBBBBB", lw=0)
    handles = [Patch(color=plots.COLOURS["worse"],
                     label="Publishing fault (1 % or more of the file's rows)"),
               Patch(color=plots.COLOURS["observed"], label="Other files")]
    if len(gaps):
        handles.append(Patch(facecolor="none", hatch="///", edgecolor="#BBBBBB",
                             label="No file in the extract"))
    ax.legend(handles=handles, loc="upper right", frameon=False, fontsize=8)
    ax.set_ylim(0, max(1.0, float(s["duplicates"].max())) * 1.15)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    f = s[fault]
    other = s[~fault]
    months = ", ".join(f"{m:%B %Y} ({d:,})" for m, d in zip(f["month"], f["duplicates"],
                                                               strict=True))
    alt = (f"Bar chart of the rows removed as second copies of a Crime ID in each of "
           f"{len(s)} monthly files, {s['month'].min():%B %Y} to {s['month'].max():%B %Y}. "
           f"{len(f)} files stand out: {months or 'none'}; no other file has more than "
           f"{int(other['duplicates'].max()) if len(other) else 0:,}.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt, xlabel="Monthly file",
                        ylabel="Second copies removed (rows)")


def duplicates_effect_chart(effect: pd.DataFrame, *, title: str, source: str,
                            unit: str = "per 1,000 residents per year") -> Figure:
    """Dumbbell chart of authority rates with and without the second copies.

    Parameters
    ----------
    effect
        Output of `lvrn_analysis.story.duplicates.duplicate_effect()`.
    title, source
        Title and source line.
    unit
        Unit of the rates, for the axis label.

    Returns
    -------
    Figure
        Finished figure with alt text; each row is labelled with the share of its
        count that the removed copies made up.
    """
    df = effect.sort_values("rate_without")
    fig, ax = plots.new_figure(figsize=(8, 0.32 * len(df) + 1.6))
    y = np.arange(len(df))
    ax.hlines(y, df["rate_without"], df["rate_with"], color="#888888", lw=2)
    ax.scatter(df["rate_without"], y, color=plots.COLOURS["observed"], s=30, zorder=3,
               label="Each crime counted once (as on this site)")
    ax.scatter(df["rate_with"], y, color=plots.COLOURS["worse"], s=30, zorder=3,
               marker="D", label="Second copies counted as well")
    for yi, r in zip(y, df.itertuples(), strict=True):
        ax.annotate(f"{100 * r.removed_share:.1f} %", (r.rate_with, yi), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7.5, color="#444444")
    ax.set_yticks(y, df["la_name"])
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, float(df["rate_with"].max()) * 1.12)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    top = effect.sort_values(["removed_share", "la_name"], ascending=[False, True])
    hi, lo = top.iloc[0], top.iloc[-1]
    moved = int((effect["rate_without"].rank(method="min")
                 != effect["rate_with"].rank(method="min")).sum())
    alt = (f"Dumbbell chart of rates {unit} for {len(df)} local authorities, counting each "
           f"crime once and counting the second copies as well. The copies make up "
           f"{100 * lo['removed_share']:.1f} % ({lo['la_name']}) to "
           f"{100 * hi['removed_share']:.1f} % ({hi['la_name']}) of an authority's count "
           f"with them; {moved} of the {len(df)} authorities change rank.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                        xlabel=f"Rate {unit}")
