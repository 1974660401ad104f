"""Robustness of the Impact page's findings: placebo dates and model sensitivity.

`placebo()` and `framework_placebos()` run in-time placebo tests (fake go-live dates
in the pre-period) for a key series or for every evaluated series;
`sensitivity_table()` refits a key series over seasonal terms and lockdown handling.
The `..._figure()`, `..._display()` and `..._sentence()` functions show the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.its import PlaceboResults, placebo_test, sensitivity
from lvrn_analysis.story.impact.counterfactual import KeySeries, key_frame
from lvrn_analysis.story.impact.formatting import fmt_p, fmt_rr
from lvrn_analysis.story.impact.models import PRIMARY_MODEL
from lvrn_analysis.story.impact.series import SYNTHETIC_SOURCES

__all__ = [
    "framework_placebos",
    "placebo",
    "placebo_figure",
    "placebo_sentence",
    "sensitivity_display",
    "sensitivity_figure",
    "sensitivity_sentence",
    "sensitivity_table",
]


def placebo(series: pd.DataFrame, key: KeySeries, *,
            model: Mapping[str, Any] | None = None) -> PlaceboResults:
    """In-time placebo test of a key series (pre-period fake go-live dates).

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model; default `PRIMARY_MODEL`.

    Returns
    -------
    PlaceboResults
        Placebo table, rank p-value and plot method.
    """
    kw = dict(PRIMARY_MODEL if model is None else model)
    return placebo_test(key_frame(series, key), date="date", outcome="offences",
                        interruptions={"go-live": key.start}, exposure="population",
                        min_before=12, min_after=6, **kw)


def _placebo_row(job: tuple[pd.DataFrame, KeySeries, dict[str, Any]]) -> dict[str, Any]:
    frame, key, model = job
    try:
        pl = placebo(frame, key, model=model)
    except ValueError as exc:  # pre-period too short for placebo dates
        return {"indicator_id": key.indicator_id, "area_code": key.area_code,
                "n_placebo": 0, "placebo_rank": np.nan, "placebo_p": np.nan,
                "placebo_note": str(exc)}
    return {"indicator_id": key.indicator_id, "area_code": key.area_code,
            "n_placebo": pl.n_placebo, "placebo_rank": pl.rank, "placebo_p": pl.p_value,
            "placebo_note": ""}


def framework_placebos(series: pd.DataFrame, results: pd.DataFrame, *,
                       model: Mapping[str, Any] | None = None,
                       workers: int | None = None) -> pd.DataFrame:
    """Run the in-time placebo test (`placebo()`) for every evaluated indicator x area.

    Parameters
    ----------
    series
        Framework series (`build_framework_series()`).
    results
        Output of `evaluate()`; rows with ``status == "evaluated"`` are tested, at
        their ``intervention_start``.
    model
        Model; default `PRIMARY_MODEL` (use the one ``results`` was fitted with).
    workers
        Worker processes (default: one per core, at most 4; ``1`` runs in this
        process). The fits are deterministic, so the table does not depend on it.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, area_code, n_placebo, placebo_rank, placebo_p, placebo_note``,
        one row per evaluated series, in the order of ``results``. ``placebo_p`` is the
        rank p-value of the real level change among the placebo ones (Lopez Bernal,
        Cummins & Gasparrini 2018); ``placebo_note`` says why a series has none.
    """
    from lvrn_analysis.parallel import default_workers, process_pool

    kw = dict(PRIMARY_MODEL if model is None else model)
    ev = results[results["status"] == "evaluated"]
    jobs = []
    for r in ev.itertuples(index=False):
        key = KeySeries(role="evaluated", indicator_id=str(r.indicator_id),
                        area_code=str(r.area_code), name=str(r.area_name),
                        true_rate_ratio=float("nan"),
                        start=pd.Timestamp(r.intervention_start))
        one = series[(series["indicator_id"] == key.indicator_id)
                     & (series["area_code"] == key.area_code)]
        jobs.append((one, key, kw))
    cols = ["indicator_id", "area_code", "n_placebo", "placebo_rank", "placebo_p",
            "placebo_note"]
    if not jobs:
        return pd.DataFrame(columns=cols)
    n = workers if workers is not None else default_workers()
    if n < 2 or len(jobs) < 2:
        rows = [_placebo_row(j) for j in jobs]
    else:
        with process_pool(min(n, len(jobs))) as pool:
            rows = list(pool.map(_placebo_row, jobs))
    return pd.DataFrame(rows, columns=cols)


def placebo_figure(pl: PlaceboResults, key: KeySeries):
    """Draw the placebo chart with a title naming the series.

    Parameters
    ----------
    pl
        Output of `placebo()`.
    key
        The series.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart.
    """
    fig = pl.plot(source="; ".join(SYNTHETIC_SOURCES), synthetic=True)
    title = f"{key.name}: placebo go-live dates before the real one"
    ax = fig.axes[0]
    ax.set_title(title)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.15 * (hi - lo))
    ax.legend(frameon=False, fontsize=8, loc="upper left", ncol=2)
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig


def placebo_sentence(pl: PlaceboResults, key: KeySeries) -> str:
    """Describe the placebo result.

    Parameters
    ----------
    pl
        Output of `placebo()`.
    key
        The series.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = pl.table
    plc = t[t["kind"] == "placebo"]
    real = t[t["kind"] == "real"].iloc[0]
    n_sig = int((plc["p_value"] < 0.05).sum())
    lo, hi = plc["rate_ratio"].min(), plc["rate_ratio"].max()
    return (
        f"For {key.name}, {pl.n_placebo} placebo go-live dates between "
        f"{plc['interruption'].min():%B %Y} and {plc['interruption'].max():%B %Y} (each "
        "fitted to the pre-go-live months only) gave level changes from "
        f"{lo:.3f} to {hi:.3f}; {n_sig} of {pl.n_placebo} were 'significant' at 5%. The real "
        f"go-live's rate ratio, {real['rate_ratio']:.3f}, ranks {pl.rank} of "
        f"{pl.n_placebo + 1} by size (placebo p = {pl.p_value:.3f}). "
        + ("The real effect stands out from the series' ordinary wobble." if pl.rank == 1
           else "The real effect does not stand clearly apart from the placebo effects."))


def sensitivity_table(series: pd.DataFrame, key: KeySeries, *,
                      model: Mapping[str, Any] | None = None,
                      harmonics: Sequence[int] = (0, 1, 2, 3)) -> pd.DataFrame:
    """Refit a key series over harmonics and lockdown handling (level change).

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model (``harmonics`` and lockdown options are varied); default
        `PRIMARY_MODEL`.
    harmonics
        Fourier pairs to try.

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.its.sensitivity()` rows for the level change, with
        ``primary`` marking the primary model's row.
    """
    kw = {k: v for k, v in dict(PRIMARY_MODEL if model is None else model).items()
          if k not in ("harmonics", "lockdowns", "exclude")}
    s = sensitivity(key_frame(series, key), date="date", outcome="offences",
                    interruptions={"go-live": key.start}, harmonics=harmonics,
                    exposure="population", **kw)
    s = s[s["effect"] == "level"].reset_index(drop=True)
    base = PRIMARY_MODEL if model is None else model
    how = "covariates" if base.get("lockdowns") else (
        "excluded" if base.get("exclude") == "lockdowns" else "ignored")
    s["primary"] = (s["harmonics"] == base.get("harmonics", 2)) & (s["lockdown_handling"] == how)
    return s


def sensitivity_display(sens: pd.DataFrame) -> pd.DataFrame:
    """Display strings of `sensitivity_table()` for publication (no counts).

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.

    Returns
    -------
    pandas.DataFrame
        ``Fourier pairs, Lockdown months, Level change RR (95% CI), p, Dispersion,
        Ljung-Box p, Months fitted, Model``.
    """
    return pd.DataFrame({
        "Fourier pairs": sens["harmonics"].astype(int),
        "Lockdown months": sens["lockdown_handling"].map(
            {"ignored": "ignored", "covariates": "covariates (share of month)",
             "excluded": "excluded from the fit"}),
        "Level change RR (95% CI)": [fmt_rr(r, lo, hi) for r, lo, hi in zip(
            sens["rate_ratio"], sens["ci_low"], sens["ci_high"], strict=True)],
        "p": sens["p_value"].map(fmt_p),
        "Dispersion": sens["dispersion"].map(lambda x: f"{x:.2f}"),
        "Ljung-Box p": sens["ljung_box_p"].map(fmt_p),
        "Months fitted": sens["n_fit"].astype(int),
        "Model": np.where(sens["primary"], "primary", ""),
    })


def sensitivity_sentence(sens: pd.DataFrame, key: KeySeries) -> str:
    """Summarise the sensitivity analysis.

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.
    key
        The series.

    Returns
    -------
    str
        Markdown paragraph.
    """
    ok = sens[sens["note"].fillna("") == ""]
    lo, hi = ok["rate_ratio"].min(), ok["rate_ratio"].max()
    t = key.true_rate_ratio
    cover = int(((ok["ci_low"] <= t) & (ok["ci_high"] >= t)).sum())
    below = int((ok["ci_high"] < 1).sum())
    worst = ok.loc[(ok["rate_ratio"] - t).abs().idxmax()]
    best = ok.loc[(ok["rate_ratio"] - t).abs().idxmin()]
    n = len(ok)
    return (
        f"Across {n} variants ({ok['harmonics'].nunique()} choices of seasonal terms x "
        f"{ok['lockdown_handling'].nunique()} ways of handling lockdown months) {key.name}'s "
        f"level change ranges from {lo:.3f} to {hi:.3f}. {below} of {n} intervals lie wholly "
        f"below 1 and {cover} of {n} contain the true {t:.2f}. The estimate closest to the "
        f"truth ({best['rate_ratio']:.3f}) comes from {int(best['harmonics'])} Fourier "
        f"pair(s) with lockdown months {best['lockdown_handling']}, the furthest "
        f"({worst['rate_ratio']:.3f}) from {int(worst['harmonics'])} pair(s) with lockdown "
        f"months {worst['lockdown_handling']}. "
        + (f"The direction of the finding does not depend on these choices; its size moves "
           f"by up to {100 * (hi - lo):.1f} percentage points."
           if below == n else
           "The finding depends on these choices: treat it as fragile."))


def sensitivity_figure(sens: pd.DataFrame, key: KeySeries):
    """Forest plot of the sensitivity variants with the truth marked.

    Parameters
    ----------
    sens
        Output of `sensitivity_table()`.
    key
        The series.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with alt text.
    """
    ok = sens[sens["note"].fillna("") == ""].reset_index(drop=True)
    fig, ax = plots.new_figure(figsize=(8.0, 5.0))
    hows = ["ignored", "covariates", "excluded"]
    labels = {"ignored": "Lockdowns ignored", "covariates": "Lockdown covariates",
              "excluded": "Lockdown months excluded"}
    ylabels = []
    y = 0
    for j, how in enumerate(hows):
        sub = ok[ok["lockdown_handling"] == how]
        for r in sub.itertuples(index=False):
            ax.errorbar(r.rate_ratio, -y, xerr=[[r.rate_ratio - r.ci_low],
                                                [r.ci_high - r.rate_ratio]],
                        fmt="D" if r.primary else "o", ms=6 if r.primary else 4,
                        color=plots.PALETTE[j], lw=1,
                        label=labels[how] if r.harmonics == sub["harmonics"].min() else None)
            ylabels.append(f"{int(r.harmonics)} Fourier pair(s)"
                           + (" (primary)" if r.primary else ""))
            y += 1
        y += 0.5
    pos = []
    y = 0
    for how in hows:
        n = int((ok["lockdown_handling"] == how).sum())
        pos.extend([-(y + i) for i in range(n)])
        y += n + 0.5
    ax.set_yticks(pos, ylabels)
    ax.axvline(key.true_rate_ratio, color="#222222", lw=1.6, label="True rate ratio")
    ax.axvline(1.0, color="#888888", lw=0.8, ls=":")
    ax.grid(axis="y", visible=False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    alt = (f"Forest plot of {key.name}'s level-change rate ratio under {len(ok)} model "
           f"variants (0 to 3 Fourier pairs; lockdowns ignored, as covariates or excluded), "
           f"ranging from {ok['rate_ratio'].min():.3f} to {ok['rate_ratio'].max():.3f}, with "
           f"the true rate ratio {key.true_rate_ratio:.2f} marked.")
    return plots.finish(fig, title=f"{key.name}: sensitivity of the level change to "
                                   "seasonality and lockdown handling",
                        source=plots.source_line(SYNTHETIC_SOURCES, synthetic=True), alt=alt,
                        ax=ax, xlabel="Level-change rate ratio (below 1 = fall)")
