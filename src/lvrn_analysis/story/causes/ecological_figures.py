"""Figures of the ecological model across forces.

* `factor_grid()` — one panel per factor: each authority's recorded rate against the
  factor, one marker and colour per force, the fitted rate of each force (the model's
  parallel curves), and the authorities that stand out labelled (largest Pearson
  residuals, and the one whose removal moves the association most);
* `influence_forest()` — rate ratios per 1 SD with their 95 % intervals and, behind
  them, the range the rate ratio takes when each authority is left out in turn.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lvrn_analysis.charts import plots
from lvrn_analysis.story.causes.model_figures import _place_labels

if TYPE_CHECKING:
    from lvrn_analysis.story.causes.ecological import EcologicalResults

__all__ = ["RATE_LABEL", "factor_grid", "influence_forest", "labelled_outliers"]

#: y-axis label of the rate panels.
RATE_LABEL = "Violence and sexual offences per 1,000 residents per year"

_MARKERS = ("o", "^", "s", "D", "v")


def labelled_outliers(results: EcologicalResults, factor: str, k: int = 2) -> list[str]:
    """Return the authorities to label in a factor's panel.

    Parameters
    ----------
    results
        The fitted models.
    factor
        The factor.
    k
        How many of the largest absolute Pearson residuals to label.

    Returns
    -------
    list of str
        The ``k`` authorities furthest from the fitted curves, then the authority whose
        removal moves the factor's coefficient most (if not already named).
    """
    fit = results.fits[factor]
    d = results.data[results.data[factor].notna()]
    order = np.argsort(-np.abs(fit.pearson), kind="stable")[:k]
    names = [str(d["la_name"].iloc[i]) for i in order]
    lo = results.loo[(results.loo["factor"] == factor) & (results.loo["term"] == factor)]
    shift = (lo["coef"] - float(fit.term()["coef"])).abs()
    top = str(lo.loc[shift.idxmax(), "left_out"])
    return [*names, top] if top not in names else names


def factor_grid(results: EcologicalResults, factors: Sequence[str] | None = None, *,
                source: str, title: str | None = None, ncols: int = 3) -> Figure:
    """Each factor against the recorded rate, forces distinguished, outliers labelled.

    Parameters
    ----------
    results
        The fitted models (`lvrn_analysis.story.causes.ecological.ecological_models()`).
    factors
        Factors to draw (default: every factor fitted), one panel each.
    source
        Source line (`lvrn_analysis.charts.plots.source_line()`).
    title
        Figure title (default: one naming the number of authorities and forces).
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        With alt text (``fig.lvrn_alt``) naming the labelled authorities.
    """
    names = list(factors or results.fits)
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plots.new_figure(nrows, ncols, figsize=(11.0, 1.2 + 3.35 * nrows))
    axes = np.atleast_1d(axes).ravel()
    forces = sorted(results.data["force"].astype(str).unique())
    style = {f: (plots.PALETTE[i % len(plots.PALETTE)], _MARKERS[i % len(_MARKERS)])
             for i, f in enumerate(forces)}
    periods = results.periods()
    labelled: list[str] = []
    marked: list[tuple] = []
    for ax, name in zip(axes, names, strict=False):
        fit = results.fits[name]
        d = results.data[results.data[name].notna()]
        for f in forces:
            g = d[d["force"].astype(str) == f]
            if g.empty:
                continue
            colour, marker = style[f]
            ax.plot(g[name], g["rate"], marker, color=colour, ms=6, alpha=0.9, ls="none")
            grid = np.linspace(float(g[name].min()), float(g[name].max()), 60)
            ax.plot(grid, fit.predict_rate(grid, f), color=colour, lw=1.5, alpha=0.8)
        show = labelled_outliers(results, name)
        labelled += show
        marked.append((ax, d[d["la_name"].isin(show)], name))
        t = fit.term()
        ax.set_title(textwrap.fill(f"{results.labels.get(name, name)} ({periods.get(name)})",
                                   44) + f"\nRR {t['rate_ratio']:.2f} per 1 SD "
                     f"({t['lower']:.2f} to {t['upper']:.2f}), n = {fit.n}",
                     fontsize=8.5, loc="left", fontweight="normal")
        ax.set_ylim(0, float(results.data["rate"].max()) * 1.15)
        ax.tick_params(labelsize=8)
    for i, ax in enumerate(axes):
        if i >= len(names):
            ax.set_visible(False)
        elif i % ncols == 0:
            ax.set_ylabel("Rate per 1,000 per year", fontsize=8.5)
    counts = results.forces()
    handles = [Line2D([], [], color=style[f][0], marker=style[f][1], ls="-",
                      label=f"{f} ({int(counts[f])} authorities): points and fitted rate")
               for f in forces]
    fig.legend(handles=handles, loc="upper right", fontsize=8, frameon=False, ncols=1)
    title = title or (f"Recorded violence against each risk factor, {results.n} authorities "
                      f"in {len(forces)} forces")
    fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.text(0.01, 0.005, source + " Labelled: the authorities furthest from the fitted "
             "curves and the one whose removal changes the association most.",
             fontsize=7.5, color="#444444", ha="left", va="bottom", wrap=True)
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, 0.45 / height, 1, 1 - 0.75 / height))
    for ax, sel, name in marked:  # after the layout, so that labels avoid each other
        _place_labels(ax, sel[name].to_numpy(float), sel["rate"].to_numpy(float),
                      list(sel["la_name"].astype(str)))
    top = results.data.loc[results.data["rate"].idxmax()]
    low = results.data.loc[results.data["rate"].idxmin()]
    alt = (f"{len(names)} scatter plots of {RATE_LABEL.lower()} against a risk factor, "
           f"{results.n} authorities: " + ", ".join(f"{int(counts[f])} in {f}" for f in forces)
           + f". Rates range from {low['rate']:.1f} in {low['la_name']} to {top['rate']:.1f} "
           f"in {top['la_name']}. Each force has its own fitted curve. Labelled authorities: "
           + ", ".join(dict.fromkeys(labelled)) + ".")
    fig.lvrn_alt = alt  # type: ignore[attr-defined]
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig


def influence_forest(results: EcologicalResults, *, source: str,
                     title: str | None = None) -> Figure:
    """Rate ratios per 1 SD with 95 % intervals and leave-one-out ranges (log scale).

    Parameters
    ----------
    results
        The fitted models.
    source, title
        Source line and title.

    Returns
    -------
    matplotlib.figure.Figure
        One row per factor: the rate ratio and its 95 % interval (line), and the range of
        the rate ratio when each authority is left out in turn (wide pale bar).
    """
    t = results.table()
    n = len(t)
    fig, ax = plots.new_figure(figsize=(9.5, 1.9 + 0.5 * n))
    y = np.arange(n)
    rr, lo, hi = (t[c].to_numpy(float) for c in ("rate_ratio", "lower", "upper"))
    lmin, lmax = t["loo_min"].to_numpy(float), t["loo_max"].to_numpy(float)
    ax.barh(y, lmax - lmin, left=lmin, height=0.55, color=plots.PALETTE[5], alpha=0.45,
            lw=0, label="range leaving one authority out")
    ax.errorbar(rr, y, xerr=[rr - lo, hi - rr], fmt="o", color=plots.COLOURS["observed"],
                ecolor=plots.COLOURS["observed"], capsize=3, ms=5,
                label="rate ratio per 1 SD (95% CI)")
    ax.axvline(1.0, color="#444444", lw=1, ls="--")
    ax.set_xscale("log")
    left = min(lo.min(), lmin.min(), 0.9) * 0.95
    right = max(hi.max(), lmax.max(), 1.1) * 1.05
    span = right * (right / left) ** 0.55
    ticks = [t_ for t_ in (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5) if left <= t_ <= right]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.minorticks_off()
    ax.set_xlim(left, span)
    ax.set_yticks(y, [textwrap.fill(f"{r.label} ({r.period})", 36) for r in t.itertuples()],
                  fontsize=8)
    ax.set_ylim(n - 0.5, -1.0)
    for yi, r in zip(y, t.itertuples(), strict=True):
        ax.text(span / 1.01, yi, f"{r.rate_ratio:.2f} ({r.lower:.2f}-{r.upper:.2f}); "
                f"{r.loo_min:.2f}-{r.loo_max:.2f}", ha="right", va="center", fontsize=7.5)
    ax.text(span / 1.01, -0.75, "RR (95% CI); leave-one-out range", ha="right", va="center",
            fontsize=7.5, fontweight="bold")
    ax.legend(loc="upper left", fontsize=7.5, frameon=False)
    widest = t.iloc[int(np.argmax(np.log(lmax) - np.log(lmin)))]
    alt = (f"Forest plot of {n} rate ratios per 1 standard deviation of each risk factor, "
           f"{results.n} authorities, with 95% intervals and the range when each authority "
           f"is left out. The widest range is for {widest['label']} ({widest['loo_min']:.2f} "
           f"to {widest['loo_max']:.2f}, largest change when {widest['most_influential']} "
           "is left out).")
    return plots.finish(fig, ax=ax, title=title or (
        f"Rate ratio of recorded violence per 1 SD of each factor, {results.n} authorities"),
        source=source, alt=alt, xlabel="Rate ratio per 1 SD (log scale)", ylabel="Risk factor")
