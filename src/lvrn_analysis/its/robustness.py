"""Robustness checks for an interrupted time series: in-time placebos and sensitivity.

* **In-time placebo** (Lopez Bernal, Cummins & Gasparrini 2018, *Int J Epidemiol*
  47(6):2082-2093, "location/time falsification"): the model is refitted to the
  pre-intervention data only, with a fake interruption at every admissible month. If the
  real effect is no larger than the placebo effects, it is not distinguishable from the
  series' ordinary wobble. The placebo p-value is the rank statistic
  ``(1 + #{placebo |log RR| >= real |log RR|}) / (1 + n_placebo)`` (as in permutation
  and synthetic-control inference, Abadie, Diamond & Hainmueller 2010, *JASA*
  105:493-505).
* **Sensitivity**: refits over the number of Fourier pairs (0-3) and the handling of
  COVID-19 lockdown months (ignored, fraction-of-month covariates, or excluded from the
  fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.its.autocorrelation import MC_SEED
from lvrn_analysis.its.design import lockdown_covariates, validate_series
from lvrn_analysis.its.model import fit_its
from lvrn_analysis.its.simulate import simulate_matrix

__all__ = ["PlaceboResults", "autocorrelation_false_positive_rate", "placebo_test",
           "sensitivity"]

_COLS = ["estimate", "std_error", "rate_ratio", "ci_low", "ci_high", "p_value"]


@dataclass
class PlaceboResults:
    """In-time placebo results.

    Attributes
    ----------
    table
        One row per fitted interruption date: ``interruption, kind`` (``"placebo"`` or
        ``"real"``), ``estimate, std_error, rate_ratio, ci_low, ci_high, p_value``.
    p_value
        Placebo (rank) p-value of the real level effect.
    rank
        Rank of the real ``|log RR|`` among all (1 = largest).
    n_placebo
        Number of placebo fits that succeeded.
    """

    table: pd.DataFrame
    p_value: float
    rank: int
    n_placebo: int

    def plot(self, *, source: str | None = None, synthetic: bool | None = None):
        """Placebo level effects over time with the real effect marked.

        Returns
        -------
        matplotlib.figure.Figure
            House-style chart with alt text.
        """
        from lvrn_analysis.charts import plots

        t = self.table
        pl, real = t[t["kind"] == "placebo"], t[t["kind"] == "real"]
        fig, ax = plots.new_figure()
        ax.errorbar(pl["interruption"], pl["rate_ratio"],
                    yerr=[pl["rate_ratio"] - pl["ci_low"], pl["ci_high"] - pl["rate_ratio"]],
                    fmt="o", ms=3, lw=0.8, color=plots.COLOURS["counterfactual"],
                    label="Placebo interruptions (pre-period only)")
        ax.errorbar(real["interruption"], real["rate_ratio"],
                    yerr=[real["rate_ratio"] - real["ci_low"],
                          real["ci_high"] - real["rate_ratio"]],
                    fmt="D", ms=6, color=plots.COLOURS["fitted"], label="Real interruption")
        ax.axhline(1.0, color="#333333", lw=0.8)
        ax.legend(frameon=False, fontsize=8)
        rr = float(real["rate_ratio"].iloc[0]) if len(real) else float("nan")
        alt = (f"Level-change rate ratios for {self.n_placebo} placebo interruption dates "
               f"before the intervention and for the real date (RR {rr:.3f}); the real effect "
               f"ranks {self.rank} of {self.n_placebo + 1} by size, placebo p = "
               f"{self.p_value:.3f}.")
        if source is None:
            src = "Source: data supplied to placebo_test (source not stated)."
        elif synthetic is None:
            src = f"Source: {source}. Real or synthetic not stated."
        else:
            src = plots.source_line(source, synthetic=synthetic)
        return plots.finish(fig, title="In-time placebo test", source=src, alt=alt, ax=ax,
                            xlabel="Interruption date", ylabel="Level change (rate ratio)")


def _first_interruption(interruptions: Any) -> pd.Timestamp:
    if isinstance(interruptions, dict):
        return min(pd.Timestamp(v) for v in interruptions.values())
    if isinstance(interruptions, (str, pd.Timestamp)):
        return pd.Timestamp(interruptions)
    return min(pd.Timestamp(v) for v in interruptions)


def placebo_test(
    df: pd.DataFrame,
    *,
    date: str = "date",
    outcome: str = "count",
    interruptions: Any,
    min_before: int = 12,
    min_after: int = 6,
    step: int = 1,
    **fit_kwargs: Any,
) -> PlaceboResults:
    """In-time placebo test of the level change at the (first) real interruption.

    Parameters
    ----------
    df
        The series, as for `lvrn_analysis.its.fit_its()`.
    date, outcome
        Column names.
    interruptions
        The real interruption(s); placebos use the pre-period of the first one.
    min_before, min_after
        Periods required before / after each placebo date within the pre-period.
    step
        Spacing of placebo dates, in periods.
    **fit_kwargs
        Passed to `fit_its()` (``exposure``, ``family``, ``harmonics``, ...). A
        ``control`` frame is truncated to the pre-period as well.

    Returns
    -------
    PlaceboResults
        Table, placebo p-value, rank and plot method.

    Raises
    ------
    ValueError
        If the pre-period is too short for any placebo date.
    """
    kw = dict(fit_kwargs)
    kw.setdefault("slope_change", False)
    real = fit_its(df, date=date, outcome=outcome, interruptions=interruptions, **kw)
    s = validate_series(df.reset_index(drop=True), date, outcome, kw.get("exposure"),
                        freq=kw.get("freq"))
    first = _first_interruption(interruptions).to_period(s.periods.freq)
    n_pre = int(s.periods.get_indexer([first])[0])
    pre_df = df.reset_index(drop=True).iloc[:n_pre]
    ctrl = kw.pop("control", None)
    if ctrl is not None:
        cdates = pd.PeriodIndex(pd.to_datetime(ctrl[date]).dt.to_period(s.periods.freq)
                                if not isinstance(ctrl[date].dtype, pd.PeriodDtype)
                                else ctrl[date])
        kw["control"] = ctrl.loc[np.asarray(cdates < first)].reset_index(drop=True)
    positions = list(range(min_before, n_pre - min_after + 1, max(1, step)))
    if not positions:
        raise ValueError(f"the pre-period has {n_pre} periods: too short for placebo dates "
                         f"with min_before={min_before} and min_after={min_after}")
    kw.pop("transition", None)
    kw.pop("interruptions", None)
    rows = []
    for pos in positions:
        pdate = s.data["date"].iloc[pos]
        try:
            r = fit_its(pre_df, date=date, outcome=outcome, interruptions=[pdate], **kw)
        except (ValueError, np.linalg.LinAlgError):
            continue
        e = r.effects.loc[r.effects["effect"] == "level"].iloc[0]
        rows.append({"interruption": pdate, "kind": "placebo", **{c: e[c] for c in _COLS}})
    e = real.effects.loc[real.effects["effect"] == "level"].iloc[0]
    rows.append({"interruption": pd.Timestamp(e["date"]), "kind": "real",
                 **{c: e[c] for c in _COLS}})
    table = pd.DataFrame(rows)
    pl = table.loc[table["kind"] == "placebo", "estimate"].abs().to_numpy()
    real_abs = abs(float(e["estimate"]))
    n_pl = len(pl)
    pval = (1 + int((pl >= real_abs).sum())) / (1 + n_pl)
    rank = 1 + int((pl > real_abs).sum())
    return PlaceboResults(table=table, p_value=float(pval), rank=rank, n_placebo=n_pl)


def sensitivity(
    df: pd.DataFrame,
    *,
    date: str = "date",
    outcome: str = "count",
    interruptions: Any,
    harmonics: Sequence[int] = (0, 1, 2, 3),
    lockdown_handling: Sequence[str] | None = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Refit over the number of harmonics and the handling of lockdown months.

    Parameters
    ----------
    df
        The series.
    date, outcome
        Column names.
    interruptions
        Interruption date(s).
    harmonics
        Numbers of Fourier pairs to try.
    lockdown_handling
        Any of ``"ignored"``, ``"covariates"`` (fraction-of-month covariates) and
        ``"excluded"`` (lockdown months left out of the fit). Default: all three when
        the series overlaps a lockdown, else ``("ignored",)``.
    **fit_kwargs
        Passed to `fit_its()`; ``harmonics``, ``lockdowns`` and ``exclude`` are set
        by this function.

    Returns
    -------
    pandas.DataFrame
        One row per variant x interruption x effect: ``harmonics, lockdown_handling,
        interruption, effect, rate_ratio, ci_low, ci_high, p_value, dispersion,
        ljung_box_p, n_fit, note`` (``note`` holds the error of a variant that could
        not be fitted).
    """
    for k in ("harmonics", "lockdowns", "exclude"):
        fit_kwargs.pop(k, None)
    if lockdown_handling is None:
        s = validate_series(df.reset_index(drop=True), date, outcome,
                            fit_kwargs.get("exposure"), freq=fit_kwargs.get("freq"))
        overlap = lockdown_covariates(s).shape[1] > 0
        lockdown_handling = ("ignored", "covariates", "excluded") if overlap else ("ignored",)
    rows = []
    for h in harmonics:
        for how in lockdown_handling:
            if how not in ("ignored", "covariates", "excluded"):
                raise ValueError(f"lockdown_handling values must be 'ignored', 'covariates' "
                                 f"or 'excluded', got {how!r}")
            extra = {"lockdowns": how == "covariates",
                     "exclude": "lockdowns" if how == "excluded" else None}
            base = {"harmonics": int(h), "lockdown_handling": how}
            try:
                r = fit_its(df, date=date, outcome=outcome, interruptions=interruptions,
                            harmonics=int(h), **extra, **fit_kwargs)
            except (ValueError, np.linalg.LinAlgError) as exc:
                rows.append({**base, "note": str(exc)})
                continue
            for e in r.effects.itertuples(index=False):
                rows.append({**base, "interruption": e.interruption, "effect": e.effect,
                             "rate_ratio": e.rate_ratio, "ci_low": e.ci_low,
                             "ci_high": e.ci_high, "p_value": e.p_value,
                             "dispersion": r.diagnostics["dispersion"],
                             "ljung_box_p": r.diagnostics["ljung_box_p"],
                             "n_fit": r.diagnostics["n_fit"], "note": ""})
    cols = ["harmonics", "lockdown_handling", "interruption", "effect", "rate_ratio", "ci_low",
            "ci_high", "p_value", "dispersion", "ljung_box_p", "n_fit", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def autocorrelation_false_positive_rate(n_series: int = 200, *, n_pre: int = 45, n_post: int = 37,
                             baseline: float = 300.0, dispersion: float = 0.01,
                             start: str = "2016-01-01", seed: int = MC_SEED,
                             **model: object) -> dict[str, float]:
    """Share of series *without* autocorrelation on which the autocorrelation flag fires.

    Series are simulated by `lvrn_analysis.its.simulate.simulate_matrix()` with no
    latent AR term (``ar1=0``: independent negative-binomial counts with seasonality),
    no effect, and fitted with `lvrn_analysis.its.fit_its()` and ``model``; the rate
    of the flag (calibrated Monte Carlo p < 0.05) and of the chi-squared Ljung-Box
    p < 0.05 are counted.

    Parameters
    ----------
    n_series
        Number of simulated series.
    n_pre, n_post
        Months before and from go-live.
    baseline, dispersion
        Monthly mean count and negative-binomial ``alpha``.
    start
        First month.
    seed
        Random seed of the simulation.
    **model
        Keyword arguments of `fit_its()` (e.g. the page's primary model).

    Returns
    -------
    dict
        ``n_series``, ``flag_rate`` (the flag), ``chi2_rate`` (chi-squared Ljung-Box
        at 5 %) and ``flag_se`` (binomial standard error of ``flag_rate``).
    """
    counts, _, dates = simulate_matrix(n_pre, n_post, n_series=n_series, baseline=baseline,
                                       dispersion=dispersion, start=start,
                                       rng=np.random.default_rng(seed))
    go_live = dates[n_pre]
    flag = chi2 = 0
    for row in counts:
        df = pd.DataFrame({"date": dates, "count": row, "population": 100_000.0})
        res = fit_its(df, date="date", outcome="count", exposure="population",
                      interruptions={"go-live": go_live}, **model)
        flag += bool(res.diagnostics["flags"]["autocorrelation"])
        chi2 += bool(res.diagnostics["ljung_box_p"] < 0.05)
    rate = flag / n_series
    return {"n_series": float(n_series), "flag_rate": rate, "chi2_rate": chi2 / n_series,
            "flag_se": float(np.sqrt(rate * (1 - rate) / n_series))}
