"""Charts for the problem profile, in the house style (see `lvrn_analysis.charts.plots`)."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import plots
from lvrn_analysis.config.periods import lockdowns


def rates_chart(rates: pd.DataFrame, *, overall: float, title: str, source: str,
                unit: str = "per 1,000 residents per year") -> Figure:
    """Dot-and-whisker chart of authority rates with 95 % intervals.

    Parameters
    ----------
    rates
        Output of `lvrn_analysis.story.profile.rates_by_authority()`.
    overall
        The whole area's rate, drawn as a reference line.
    title
        Chart title.
    source
        Source line (`lvrn_analysis.charts.plots.source_line()`).
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
        Output of `lvrn_analysis.story.profile.monthly_counts()` (``month``, ``count``,
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


def seasonal_chart(index: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Bar chart of a seasonal index (1 = the average month).

    Parameters
    ----------
    index
        Output of `lvrn_analysis.story.profile.seasonal_index()`.
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    fig, ax = plots.new_figure(figsize=(8, 3.8))
    ok = index["months_used"] > 0
    # A dot on a stem from 1 (the average month), not a bar: a bar's length would be read
    # from an axis that does not start at 0 and exaggerate the differences.
    x = np.arange(len(index))
    ax.axhline(1, color="#333333", lw=1, ls="--")
    ax.vlines(x[ok.to_numpy()], 1, index.loc[ok, "index"], color=plots.COLOURS["observed"], lw=2)
    ax.plot(x[ok.to_numpy()], index.loc[ok, "index"], "o", color=plots.COLOURS["observed"], ms=7)
    ax.set_xticks(x, index["month_name"])
    lo = float(index.loc[ok, "index"].min())
    ax.set_ylim(min(0.8, lo - 0.05), max(1.2, float(index.loc[ok, "index"].max()) + 0.05))
    for xi, (v, n) in enumerate(zip(index["index"], index["months_used"], strict=True)):
        ax.text(xi, (max(v, 1) if n else 1) + 0.015, f"n={n}", ha="center", fontsize=7,
                color="#444444")
    hi = index.loc[index["index"].idxmax()]
    low = index.loc[index["index"].idxmin()]
    alt = (f"Dot chart of the average count in each calendar month relative to the average "
           f"month. Highest {hi['month_name']} ({hi['index']:.2f}); lowest {low['month_name']} "
           f"({low['index']:.2f}). Lockdown and missing months are excluded; n is the number of "
           "months averaged.")
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                        xlabel="Calendar month", ylabel="Index (1 = average month)")


def concentration_chart(conc: pd.DataFrame, *, title: str, source: str) -> Figure:
    """Bar chart of the share of crime in the top x % of neighbourhoods.

    Parameters
    ----------
    conc
        Output of `lvrn_analysis.story.profile.concentration()`.
    title, source
        Title and source line.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    fig, ax = plots.new_figure(figsize=(7, 3.6))
    labels = [f"Top {s:.0%} of LSOAs\n({n} areas)" for s, n in
              zip(conc["top_share_of_lsoas"], conc["n_lsoas"], strict=True)]
    ax.bar(labels, conc["share_of_crime"] * 100, color=plots.COLOURS["observed"],
           label="Share of crime")
    ax.bar(labels, conc["top_share_of_lsoas"] * 100, color="none", edgecolor="#333333",
           ls="--", lw=1.2, label="Share if crime were spread evenly")
    for x, v in enumerate(conc["share_of_crime"] * 100):
        ax.text(x, v + 1, f"{v:.0f}%", ha="center", fontsize=9, fontweight="bold")
    ax.set_ylim(0, max(60, float(conc["share_of_crime"].max()) * 100 + 10))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    parts = "; ".join(f"top {s:.0%} of neighbourhoods hold {v:.0%}" for s, v in
                      zip(conc["top_share_of_lsoas"], conc["share_of_crime"], strict=True))
    alt = f"Bar chart of how concentrated crime is across {int(conc['total_lsoas'].iloc[0])} " \
          f"neighbourhoods (LSOAs): {parts}."
    return plots.finish(fig, ax=ax, title=title, source=source, alt=alt,
                        ylabel="Share of located crimes (%)")
