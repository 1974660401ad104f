"""Power of the Impact page's design: how long until a fall of a given size is detectable.

`power_inputs()` estimates a series' level, overdispersion and seasonality from a fit;
`power_study()` simulates power and the minimum detectable effect for several series
sizes and pre-periods (`lvrn_analysis.its.power_analysis()`), shown by
`power_table()`, `power_figure()` and `power_sentence()`; `power_caveat()` sets the
result against the bias seen in the design comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.its import ITSResults, minimum_detectable_effect, power_analysis
from lvrn_analysis.story.impact.formatting import pct
from lvrn_analysis.story.impact.truth import flag_counts

if TYPE_CHECKING:
    from lvrn_analysis.story.impact.counterfactual import KeySeries

__all__ = [
    "power_caveat",
    "power_figure",
    "power_inputs",
    "power_sentence",
    "power_study",
    "power_table",
]


def power_inputs(res: ITSResults, *, months: int = 12) -> dict[str, float]:
    """Data-generating parameters for a power simulation, estimated from a fit.

    Parameters
    ----------
    res
        A fit with Fourier seasonality (at least one pair).
    months
        Pre-go-live months whose mean observed count is the baseline.

    Returns
    -------
    dict
        ``baseline`` (mean monthly count in the last ``months`` before go-live),
        ``dispersion`` (negative-binomial alpha implied by the quasi-Poisson dispersion
        ``phi``: ``(phi - 1) / mean fitted count``, at least 0) and
        ``seasonal_amplitude`` (amplitude of the first Fourier pair on the log scale).
    """
    p = res.predictions
    pre = p[~p["post"]]
    base = float(pre["observed"].tail(months).mean())
    phi = float(res.diagnostics["dispersion"])
    mu = float(p.loc[~p["excluded"], "fitted"].mean())
    par = res.params.set_index("term")["estimate"]
    amp = float(math.hypot(par.get("sin1", 0.0), par.get("cos1", 0.0)))
    return {"baseline": base, "dispersion": max(0.0, (phi - 1) / mu),
            "seasonal_amplitude": amp}


def power_study(inputs: Mapping[str, Mapping[str, float]], *,
                pre_periods: Sequence[int] = (12, 45),
                months_after: Sequence[int] = (3, 6, 9, 12, 18, 24, 36, 48),
                effect: float = 0.9, n_sims: int = 200, mde_after: int = 12,
                target: float = 0.8) -> pd.DataFrame:
    """Power and minimum detectable effect for several series sizes and pre-periods.

    Parameters
    ----------
    inputs
        ``series name -> power_inputs(...)``.
    pre_periods
        Months of data before go-live to try.
    months_after
        Grid of months after go-live.
    effect
        Level-change rate ratio to detect (0.9 = 10 % fall).
    n_sims
        Simulated series per grid point.
    mde_after
        Months after go-live for the MDE.
    target
        Power wanted.

    Returns
    -------
    pandas.DataFrame
        One row per series x pre-period x months after: ``series, n_pre, months_after,
        power, power_low, power_high, size, baseline, dispersion, seasonal_amplitude``;
        ``attrs["summary"]`` holds one row per series x pre-period with
        ``months_needed`` and ``mde`` (reduction detectable with ``target`` power at
        ``mde_after`` months).
    """
    rows, summ = [], []
    for name, p in inputs.items():
        for n_pre in pre_periods:
            pw = power_analysis(months_after, n_pre=n_pre, baseline=p["baseline"],
                                effect=effect, seasonal_amplitude=p["seasonal_amplitude"],
                                dispersion=p["dispersion"], n_sims=n_sims, target=target,
                                slope_change=False)
            t = pw.table.assign(series=name, baseline=p["baseline"],
                                dispersion=p["dispersion"],
                                seasonal_amplitude=p["seasonal_amplitude"])
            rows.append(t)
            mde = minimum_detectable_effect(n_pre, mde_after, baseline=p["baseline"],
                                            seasonal_amplitude=p["seasonal_amplitude"],
                                            dispersion=p["dispersion"], power=target,
                                            n_sims=n_sims, max_reduction=0.5)
            at = t.loc[t["months_after"] == mde_after]
            summ.append({"series": name, "n_pre": n_pre, "baseline": p["baseline"],
                         "dispersion": p["dispersion"],
                         "months_needed": pw.months_needed,
                         "power_at": float(at["power"].iloc[0]) if len(at) else float("nan"),
                         "size_at": float(at["size"].iloc[0]) if len(at) else float("nan"),
                         "mde": mde["mde_reduction"], "mde_after": mde_after,
                         "effect": effect, "target": target, "n_sims": n_sims})
    out = pd.concat(rows, ignore_index=True)
    cols = ["series", "n_pre", "months_after", "power", "power_low", "power_high", "size",
            "baseline", "dispersion", "seasonal_amplitude"]
    out = out[cols]
    out.attrs["summary"] = pd.DataFrame(summ)
    return out


def power_table(study: pd.DataFrame) -> pd.DataFrame:
    """Display table of `power_study()` (one row per series x pre-period; no counts).

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    pandas.DataFrame
        Display strings.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    k = int(s["mde_after"].iloc[0])
    tgt = float(s["target"].iloc[0])
    grid_min, grid_max = int(study["months_after"].min()), int(study["months_after"].max())

    def need(x: object) -> str:
        if pd.isna(x):
            return f"more than {grid_max}"
        return f"{grid_min} or fewer" if int(x) == grid_min else f"{int(x)}"

    return pd.DataFrame({
        "Series": s["series"],
        "Mean offences a month (before go-live)": s["baseline"].map(lambda x: f"{x:,.0f}"),
        "Months before go-live": s["n_pre"].astype(int),
        f"Smallest fall detectable after {k} months ({tgt:.0%} power)":
            s["mde"].map(lambda x: f"{100 * x:.1f}%" if np.isfinite(x) else "more than 50%"),
        f"Power for a {pct(1 - eff)} fall after {k} months": s["power_at"].map(
            lambda x: f"{x:.0%}"),
        f"Months after go-live for {tgt:.0%} power ({pct(1 - eff)} fall)":
            s["months_needed"].map(need),
        f"False-positive rate after {k} months (no effect)": s["size_at"].map(
            lambda x: f"{x:.1%}"),
    })


def power_sentence(study: pd.DataFrame) -> str:
    """Answer "how long until a fall of this size is detectable?" in prose.

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    str
        Markdown paragraph.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    k = int(s["mde_after"].iloc[0])
    grid = sorted(study["months_after"].unique())
    parts = []
    for name, g in s.groupby("series", sort=False):
        bits = []
        for r in g.itertuples(index=False):
            need = (f"{int(r.months_needed)} months" if pd.notna(r.months_needed)
                    else f"more than {grid[-1]} months")
            if pd.notna(r.months_needed) and int(r.months_needed) == grid[0]:
                need = f"{grid[0]} months or fewer"
            bits.append(f"with {r.n_pre} months before go-live, the smallest fall detectable "
                        f"after {k} months is {100 * r.mde:.1f}% and a {pct(1 - eff)} fall "
                        f"needs {need}")
        parts.append(f"**{name}** (about {g['baseline'].iloc[0]:,.0f} offences a month): "
                     + "; ".join(bits) + ".")
    return " ".join(parts)


def power_figure(study: pd.DataFrame):
    """Power curves against months after go-live for each series and pre-period.

    Parameters
    ----------
    study
        Output of `power_study()`.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    s = study.attrs["summary"]
    eff = float(s["effect"].iloc[0])
    tgt = float(s["target"].iloc[0])
    n_sims = int(s["n_sims"].iloc[0])
    fig, ax = plots.new_figure()
    names = list(dict.fromkeys(study["series"]))
    pres = sorted(study["n_pre"].unique())
    styles = ["--", "-", ":", "-."]
    for i, name in enumerate(names):
        for j, n_pre in enumerate(pres):
            t = study[(study["series"] == name) & (study["n_pre"] == n_pre)]
            ax.plot(t["months_after"], t["power"], styles[j % 4], marker="o", ms=3.5,
                    color=plots.PALETTE[i], label=f"{name}, {n_pre} months before")
    ax.axhline(tgt, color="#222222", lw=0.8, ls=":", label=f"{tgt:.0%} power")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(sorted(study["months_after"].unique()))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    alt = (f"Power to detect a {pct(1 - eff)} level fall against months of data after "
           "go-live, by series size and pre-period length. " + "; ".join(
               f"{r.series} with {r.n_pre} months before: "
               + (f"{tgt:.0%} power after {int(r.months_needed)} months"
                  if pd.notna(r.months_needed) else f"{tgt:.0%} power not reached")
               for r in s.itertuples(index=False)) + ".")
    src = plots.source_line(
        [f"{n_sims} simulated negative-binomial series per point, with the level, "
         "dispersion and seasonality estimated from the synthetic police series"],
        synthetic=True)
    return plots.finish(fig, title=f"How long until a {pct(1 - eff)} fall in recorded "
                                   "violence is detectable?", source=src, alt=alt, ax=ax,
                        xlabel="Months of data after go-live", ylabel="Power (share detected)")


def power_caveat(study: pd.DataFrame, designs: Mapping[str, pd.DataFrame],
                 total: KeySeries | None = None) -> str:
    """Set the power results against the bias seen in the design comparison.

    Parameters
    ----------
    study
        Output of `power_study()`.
    designs
        Output of `compare_designs()` (the first design is the level-only model).
    total
        The area-total key series, for its implied true change.

    Returns
    -------
    str
        Markdown paragraph (the notebook's Markdown says that power figures assume the
        model is right).
    """
    s = study.attrs["summary"]
    best = s.sort_values(["mde"]).iloc[0]
    first = next(iter(designs))
    bias = 1 - flag_counts(designs[first])["mean_rr_untouched"]
    mde = float(best["mde"])
    where = (f"the {100 * mde:.1f}% fall detectable in the {best['series'].split(' (')[0]} "
             f"with {int(best['n_pre'])} months of history")
    word = "fall" if bias >= 0 else "rise"
    text = (f"On this page the level-only model read an average {100 * abs(bias):.1f}% "
            f"{word} into authorities where nothing happened")
    if abs(bias) >= mde:
        text += (f": more than {where}. With series this large, bias (trend changes, "
                 "recording changes, co-interventions, the pandemic), not chance, limits what "
                 "an ITS can show.")
    else:
        text += (f", against {where}: {100 * abs(bias) / mde:.0f}% of it. Bias of this kind "
                 "(trend changes, recording changes, co-interventions, the pandemic) is of "
                 "the same order as the smallest detectable effects, so a borderline finding "
                 "needs the robustness checks above before it is believed.")
    if total is not None and total.true_rate_ratio != 1.0:
        text += (f" And an effect confined to one authority is diluted in the area total: "
                 f"the injected fall becomes a {100 * (1 - total.true_rate_ratio):.1f}% fall "
                 f"in the {total.name.split(' (')[0]}.")
    return text
