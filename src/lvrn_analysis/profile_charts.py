"""Charts for the problem profile, in the house style (see :mod:`lvrn_analysis.plots`)."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis import plots
from lvrn_analysis.periods import lockdowns


def rates_chart(rates: pd.DataFrame, *, overall: float, title: str, source: str,
                unit: str = "per 1,000 residents per year") -> Figure:
    """Dot-and-whisker chart of authority rates with 95 % intervals.

    Parameters
    ----------
    rates
        Output of :func:`lvrn_analysis.profile.rates_by_authority`.
    overall
        The whole area's rate, drawn as a reference line.
    title
        Chart title.
    source
        Source line (:func:`lvrn_analysis.plots.source_line`).
    unit
        Unit of the rate, for the axis label.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    df = rates.sort_values("rate")
    fig, ax = plots.new_figure(figsize=(8, 0.32 * len(df) + 1.6))
    y = np.arange(len(df))
    above = df["lower_ci"] > overall
    below = df["upper_ci"] < overall
    colours = np.where(above, plots.COLOURS["worse"],
                       np.where(below, plots.COLOURS["better"], plots.COLOURS["similar"]))
    ax.hlines(y, df["lower_ci"], df["upper_ci"], color="#555555", lw=1.5)
    ax.scatter(df["rate"], y, c=list(colours), s=36, zorder=3)
    ax.axvline(overall, color="#333333", ls="--", lw=1, label=f"Area rate {overall:.1f}")
    for key, text in (("worse", "Significantly above area rate"),
                      ("similar", "Not significantly different"),
                      ("better", "Significantly below area rate")):
        ax.scatter([], [], c=plots.COLOURS[key], s=36, label=text)
    ax.set_yticks(y, df["la_name"])
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    top = df.sort_values("rate", ascending=False)
    hi = ", ".join(top["la_name"].head(4))
    n_above = int(above.sum())
    alt = (f"Dot chart of rates {unit} for {len(df)} local authorities with 95% confidence "
           f"intervals. Highest: {hi}. {n_above} authorities are significantly above the "
           f"area rate of {overall:.1f}; rates range from {df['rate'].min():.1f} to "
           f"{df['rate'].max():.1f}.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                        xlabel=f"Rate {unit} (95% CI)")


def trend_chart(series: pd.DataFrame, *, title: str, source: str,
                ylabel: str = "Crimes per month", show_no_lsoa: bool = True) -> Figure:
    """Monthly trend with lockdowns shaded and missing months shown as gaps.

    Parameters
    ----------
    series
        Output of :func:`lvrn_analysis.profile.monthly_counts` (``month``, ``count``,
        ``status``, optionally ``no_lsoa``).
    title, source
        Title and source line.
    ylabel
        Y-axis label with unit.
    show_no_lsoa
        Also draw the rows without a location.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    fig, ax = plots.new_figure()
    s = series.sort_values("month")
    y = s["count"].astype("float").to_numpy()  # NaN breaks the line at gaps
    ax.plot(s["month"], y, marker="o", ms=3, color=plots.COLOURS["observed"],
            label="All recorded")
    if show_no_lsoa and "no_lsoa" in s:
        ax.plot(s["month"], s["no_lsoa"].astype("float"), marker=".", ms=2, lw=1,
                color=plots.PALETTE[1], label="of which no location (LSOA)")
    ld = lockdowns()
    lo, hi = s["month"].min(), s["month"].max() + pd.offsets.MonthEnd(0)
    periods = [(max(r.start, lo), min(r.end, hi)) for r in ld.itertuples()
               if r.end >= lo and r.start <= hi]
    plots.shade_periods(ax, periods, label="National lockdown")
    missing = s.loc[s["status"] == "missing", "month"]
    for m in missing:
        ax.axvspan(m, m + pd.offsets.MonthEnd(0), facecolor="none", hatch="///",
                   edgecolor="#999999", lw=0)
    if len(missing):
        ax.plot([], [], ls="none", marker="s", mfc="none", mec="#999999",
                label="No data published in the extract")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    present = s[s["status"] == "present"]
    peak = present.loc[present["count"].astype(float).idxmax()]
    low = present.loc[present["count"].astype(float).idxmin()]
    miss = ", ".join(m.strftime("%b %Y") for m in missing) or "none"
    alt = (f"Line chart of monthly counts from {lo:%B %Y} to {s['month'].max():%B %Y}. "
           f"Highest {int(peak['count']):,} in {peak['month']:%B %Y}; lowest "
           f"{int(low['count']):,} in {low['month']:%B %Y}. National lockdowns are shaded. "
           f"Months with no data (shown as gaps, not zeros): {miss}.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt, xlabel="Month",
                        ylabel=ylabel)
