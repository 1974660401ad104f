"""The results object returned by `lvrn_analysis.its.fit_its()`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ITSResults", "DEFAULT_SEED", "DEFAULT_DRAWS", "format_p"]

#: Seed of every simulation in the ITS engine unless the caller gives another.
DEFAULT_SEED = 20170101
#: Number of coefficient draws used for averted / excess counts.
DEFAULT_DRAWS = 2000


def format_p(p: float | None, *, missing: str = "") -> str:
    """Format a p-value for a table or sentence: ``"< 0.001"`` when small, never ``"0.0"``.

    Three decimals, except that a value whose rounding would move it across 0.05 or 0.01
    keeps four (``0.0496`` is not printed as ``"0.050"``).

    Parameters
    ----------
    p
        The p-value (``None`` or NaN allowed).
    missing
        Text for a missing value.

    Returns
    -------
    str
        E.g. ``"< 0.001"``, ``"0.013"``, ``"0.0496"``, ``"1.000"``.
    """
    if p is None or not np.isfinite(p):
        return missing
    if p < 0.001:
        return "< 0.001"
    text = f"{p:.3f}"
    if any((float(text) < cut) != (p < cut) for cut in (0.05, 0.01)):
        text = f"{p:.4f}"
    return text


def _fmt_p(p: float) -> str:
    return format_p(p, missing="NA")


@dataclass
class ITSResults:
    """Fitted interrupted time-series model.

    Attributes
    ----------
    spec
        The model specification (family, standard errors, seasonality, ...).
    params
        Tidy coefficient table: ``term, estimate, std_error, statistic, p_value,
        ci_low, ci_high, rate_ratio, rr_low, rr_high``.
    effects
        One row per interruption x effect (``level``, ``slope``): ``interruption,
        date, effect, term, estimate, std_error, rate_ratio, ci_low, ci_high,
        p_value``. ``rate_ratio = exp(estimate)``; the interval is Wald,
        ``exp(estimate +/- z * std_error)`` as R's ``Epi::ci.lin(Exp=TRUE)``. In a
        controlled ITS (interaction model) these are the *differences* between the
        treated and control changes (ratios of rate ratios); with the control as an
        offset they are changes in the treated/control ratio.
    predictions
        ``date, observed, exposure, fitted, counterfactual, cf_low, cf_high, post,
        excluded`` for the (treated) series. ``counterfactual`` sets all interruption
        terms (or, in a controlled ITS, the treated-specific ones) to zero; the band is
        the Wald interval of the counterfactual linear predictor.
    diagnostics
        Dispersion, Ljung-Box test, lag-1 residual autocorrelation, HAC lag, NB alpha,
        convergence, sample sizes, flags.
    warnings
        Messages of warnings raised during fitting (never printed).
    """

    spec: dict[str, Any]
    params: pd.DataFrame
    effects: pd.DataFrame
    predictions: pd.DataFrame
    diagnostics: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    design: pd.DataFrame | None = None
    counterfactual_design: pd.DataFrame | None = None
    offset: np.ndarray | None = None
    cov: pd.DataFrame | None = None
    residuals: np.ndarray | None = None
    model: Any = None

    # ------------------------------------------------------------------ helpers
    @property
    def level_effect(self) -> pd.Series:
        """The level-change row of the first interruption."""
        return self.effects.loc[self.effects["effect"] == "level"].iloc[0]

    def _draws(self, n_draws: int, seed: int) -> np.ndarray:
        beta = self.params.set_index("term")["estimate"].reindex(self.cov.index).to_numpy()
        rng = np.random.default_rng(seed)
        cov = self.cov.to_numpy()
        # symmetric square root: robust to a (near) singular covariance
        w, v = np.linalg.eigh((cov + cov.T) / 2.0)
        root = v * np.sqrt(np.clip(w, 0.0, None))
        z = rng.standard_normal((n_draws, len(beta)))
        return beta + z @ root.T

    def averted(
        self,
        *,
        start: object | None = None,
        end: object | None = None,
        basis: str = "fitted",
        n_draws: int = DEFAULT_DRAWS,
        seed: int = DEFAULT_SEED,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Estimate counts averted (positive) or in excess (negative) after the interruptions.

        ``averted_t = counterfactual_t - fitted_t`` (``basis="fitted"``, the default:
        the model-based number attributable to the interruption terms, whose interval
        excludes zero exactly when the effect is significant) or
        ``counterfactual_t - observed_t`` (``basis="observed"``).

        Intervals are percentiles of ``n_draws`` simulations of the coefficients from
        the multivariate normal ``N(beta_hat, V)`` with ``V`` the (quasi-, HAC- or
        NB-) covariance used for the effects, with a fixed seed, as in Gasparrini &
        Leone (2014) "Attributable risk from distributed lag models", *BMC Med Res
        Methodol* 14:55. Only parameter uncertainty is propagated.

        Parameters
        ----------
        start, end
            Period range to sum over; default from the first interruption to the end.
        basis
            ``"fitted"`` or ``"observed"``.
        n_draws
            Number of simulations (default 2000).
        seed
            Random seed (default `DEFAULT_SEED`).
        level
            Interval level.

        Returns
        -------
        pandas.DataFrame
            One row per period: ``date, observed, fitted, counterfactual, averted,
            averted_low, averted_high, cum_averted, cum_low, cum_high``; the last row's
            cumulative columns are the total. ``attrs["total"]`` holds the total as a
            dict.
        """
        if basis not in ("fitted", "observed"):
            raise ValueError(f"basis must be 'fitted' or 'observed', got {basis!r}")
        pred = self.predictions
        dates = pd.to_datetime(pred["date"])
        mask = pred["post"].to_numpy(dtype=bool) if start is None else \
            (dates >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            mask &= (dates <= pd.Timestamp(end)).to_numpy()
        if not mask.any():
            raise ValueError("no periods selected for the averted-count calculation")
        draws = self._draws(n_draws, seed)
        X = self.design.to_numpy()[mask]
        Xc = self.counterfactual_design.to_numpy()[mask]
        off = self.offset[mask]
        cf = np.exp(draws @ Xc.T + off)
        if basis == "fitted":
            diff = cf - np.exp(draws @ X.T + off)
        else:
            diff = cf - pred["observed"].to_numpy()[mask]
        cum = np.cumsum(diff, axis=1)
        a = (1 - level) / 2
        obs = pred["observed"].to_numpy()[mask]
        fit = pred["fitted"].to_numpy()[mask]
        cfp = pred["counterfactual"].to_numpy()[mask]
        point = cfp - (fit if basis == "fitted" else obs)
        out = pd.DataFrame({
            "date": dates[mask].to_numpy(),
            "observed": obs,
            "fitted": fit,
            "counterfactual": cfp,
            "averted": point,
            "averted_low": np.quantile(diff, a, axis=0),
            "averted_high": np.quantile(diff, 1 - a, axis=0),
            "cum_averted": np.cumsum(point),
            "cum_low": np.quantile(cum, a, axis=0),
            "cum_high": np.quantile(cum, 1 - a, axis=0),
        })
        out.attrs["total"] = {
            "averted": float(out["cum_averted"].iloc[-1]),
            "low": float(out["cum_low"].iloc[-1]),
            "high": float(out["cum_high"].iloc[-1]),
            "basis": basis, "n_draws": n_draws, "seed": seed,
        }
        return out

    # ------------------------------------------------------------------ output
    def effects_table(self, *, per_year: bool = True) -> pd.DataFrame:
        """Display table of the effects, with p-values formatted by `format_p()`.

        Parameters
        ----------
        per_year
            Show slope changes as ratios per year (``exp(12 b)`` for monthly series,
            ``exp(52 b)`` weekly) rather than per period.

        Returns
        -------
        pandas.DataFrame
            ``Interruption, Effect, Rate ratio, CI, p`` as strings (``CI`` at the fitted
            level, e.g. 95%).
        """
        k = (12.0 if self.spec.get("freq") == "M" else 52.0) if per_year else 1.0
        lvl = f"{100 * (1 - self.spec.get('alpha', 0.05)):g}% CI"
        rows = []
        for r in self.effects.itertuples(index=False):
            f = k if r.effect == "slope" else 1.0
            unit = ("per year" if per_year else "per period") if r.effect == "slope" else ""
            rows.append({"Interruption": str(r.interruption),
                         "Effect": f"{r.effect} {unit}".strip(),
                         "Rate ratio": f"{r.rate_ratio ** f:.3f}",
                         lvl: f"{r.ci_low ** f:.3f} to {r.ci_high ** f:.3f}",
                         "p": format_p(r.p_value)})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Readable text summary: specification, effects, diagnostics and warnings.

        Returns
        -------
        str
            Plain text, suitable for printing or a notebook cell.
        """
        s, d = self.spec, self.diagnostics
        lines = ["Interrupted time-series regression", "=" * 34]
        lines.append(f"Outcome: {s.get('outcome')}   Periods: {d.get('n_obs')} "
                     f"({d.get('n_fit')} fitted, {d.get('n_pre')} before, "
                     f"{d.get('n_post')} after)   Frequency: {s.get('freq')}")
        fam = s.get("family")
        if s.get("method") == "arima":
            fam = f"regression with ARIMA{tuple(s.get('arima_order'))} errors on log rate"
        lines.append(f"Model: {fam}; seasonality: {s.get('seasonality_desc')}; "
                     f"SE: {s.get('se_desc')}")
        if s.get("control_method"):
            lines.append(f"Control: {s['control_method']} ({s.get('control_desc', '')})")
        lines.append("")
        a = s.get("alpha", 0.05)
        if s.get("ci_dist", "normal") == "t":
            q, qn = stats.t.ppf(1 - a / 2, s.get("df_resid", 1.0)), f"t({s.get('df_resid'):g})"
        else:
            q, qn = stats.norm.ppf(1 - a / 2), "z"
        lvl = int(round(100 * (1 - a)))
        lines.append(f"Effects (rate ratios, {lvl}% Wald CI, {qn} quantile {q:.3f}):")
        hdr = f"  {'interruption':<16}{'effect':<8}{'RR':>8}{'CI low':>9}{'CI high':>9}{'p':>8}"
        lines.append(hdr)
        for r in self.effects.itertuples(index=False):
            lines.append(f"  {str(r.interruption):<16}{r.effect:<8}{r.rate_ratio:>8.4f}"
                         f"{r.ci_low:>9.4f}{r.ci_high:>9.4f}{_fmt_p(r.p_value):>8}")
        lines.append("")
        lines.append("Diagnostics:")
        disp = d.get("dispersion")
        if disp is not None:
            lines.append(f"  Pearson dispersion (chi2/df): {disp:.3f}")
        if d.get("nb_alpha") is not None:
            lines.append(f"  Negative binomial alpha (ML, profiled): {d['nb_alpha']:.4g}")
        if d.get("ljung_box_p") is not None:
            lines.append(f"  Ljung-Box Q({d['ljung_box_lags']}) = {d['ljung_box_stat']:.2f}, "
                         f"p = {_fmt_p(d['ljung_box_p'])}; lag-1 residual ACF "
                         f"{d.get('acf1', float('nan')):.3f}")
        if d.get("hac_lags") is not None:
            lines.append(f"  Newey-West lag: {d['hac_lags']} ({d.get('hac_rule')})")
        flags = [k for k, v in d.get("flags", {}).items() if v]
        lines.append(f"  Flags: {', '.join(flags) if flags else 'none'}")
        lines.append(f"  Converged: {d.get('converged')}")
        if self.warnings:
            lines.append("")
            lines.append("Warnings recorded during fitting:")
            lines.extend(f"  - {w}" for w in self.warnings)
        return "\n".join(lines)

    def __repr__(self) -> str:
        lv = self.effects
        txt = "; ".join(f"{r.interruption} {r.effect} RR {r.rate_ratio:.3f} "
                        f"({r.ci_low:.3f}-{r.ci_high:.3f})" for r in lv.itertuples())
        return f"<ITSResults {self.spec.get('family')}: {txt}>"

    def plot(
        self,
        *,
        title: str | None = None,
        source: str | Sequence[str] | None = None,
        synthetic: bool | None = None,
        scale: str = "count",
        per: float = 100_000.0,
        shade_lockdowns: bool | None = None,
        alt: str | None = None,
    ):
        """Observed, fitted and counterfactual series in the house style.

        Shows observed points, the fitted line, the counterfactual (dashed) with its
        Wald band, a vertical line at each interruption and shaded national lockdowns
        when they overlap the series.

        Parameters
        ----------
        title
            Chart title; a default names the outcome and the level effect.
        source
            Data source(s) for the source line.
        synthetic
            Whether the data are synthetic; ``None`` says provenance is not stated.
        scale
            ``"count"`` or ``"rate"`` (per ``per`` of exposure).
        per
            Rate multiplier.
        shade_lockdowns
            Shade lockdowns; ``None`` shades them when they overlap the series.
        alt
            Alt text; a default describes the chart and the level effect.

        Returns
        -------
        matplotlib.figure.Figure
            The figure, finished with `lvrn_analysis.charts.plots.finish()`.
        """
        from lvrn_analysis.charts import plots
        from lvrn_analysis.config.periods import lockdowns

        if scale not in ("count", "rate"):
            raise ValueError(f"scale must be 'count' or 'rate', got {scale!r}")
        p = self.predictions
        mult = per / p["exposure"].to_numpy() if scale == "rate" else 1.0
        dates = pd.to_datetime(p["date"])
        fig, ax = plots.new_figure()
        shade = shade_lockdowns
        ld = lockdowns()
        ld = ld[(ld["end"] >= dates.min()) & (ld["start"] <= dates.max())]
        if shade is None:
            shade = len(ld) > 0
        if shade and len(ld):
            plots.shade_periods(ax, zip(ld["start"], ld["end"], strict=True),
                                label="National lockdown")
        post = p["post"].to_numpy(dtype=bool)
        ax.fill_between(dates[post], (p["cf_low"] * mult)[post], (p["cf_high"] * mult)[post],
                        color=plots.COLOURS["counterfactual"], alpha=0.3, lw=0,
                        label="Counterfactual 95% CI")
        ax.plot(dates[post], (p["counterfactual"] * mult)[post], ls="--",
                color=plots.COLOURS["counterfactual"], label="Counterfactual (no intervention)")
        excl = p["excluded"].to_numpy(dtype=bool)
        ax.plot(dates[~excl], (p["observed"] * mult)[~excl], "o", ms=3.5,
                color=plots.COLOURS["observed"], label="Observed")
        if excl.any():
            ax.plot(dates[excl], (p["observed"] * mult)[excl], "o", ms=3.5, mfc="none",
                    color=plots.COLOURS["observed"], label="Observed (not fitted)")
        ax.plot(dates, p["fitted"] * mult, color=plots.COLOURS["fitted"], lw=1.6,
                label="Fitted")
        for intr in self.spec.get("interruptions", []):
            ax.axvline(pd.Timestamp(intr["date"]), color="#333333", lw=1, ls=":")
        ax.legend(fontsize=8, frameon=False, loc="best")
        outcome = self.spec.get("outcome", "count")
        unit = "month" if self.spec.get("freq") == "M" else "week"
        lab = (f"{outcome} per {per:,.0f} exposure per {unit}" if scale == "rate"
               else f"{outcome} per {unit}")
        lvl = self.level_effect
        eff = (f"level change rate ratio {lvl.rate_ratio:.3f} "
               f"(95% CI {lvl.ci_low:.3f} to {lvl.ci_high:.3f})")
        if title is None:
            title = f"{outcome}: observed and counterfactual"
        if alt is None:
            alt = (f"Line chart of {outcome} per period from {dates.min():%b %Y} to "
                   f"{dates.max():%b %Y} with the fitted segmented regression and the "
                   f"counterfactual had the intervention not happened; {eff}.")
        if source is None:
            src = "Source: data supplied to fit_its (source not stated)."
            src += "" if synthetic is None else \
                (" SYNTHETIC DATA - illustrative, not real figures." if synthetic
                 else " Real data.")
        elif synthetic is None:
            names = [source] if isinstance(source, str) else list(source)
            src = "Source: " + "; ".join(names) + ". Real or synthetic not stated."
        else:
            src = plots.source_line(source, synthetic=synthetic)
        return plots.finish(fig, title=title, source=src, alt=alt, ax=ax, xlabel="Date",
                            ylabel=lab)

    def plot_diagnostics(self, *, lags: int | None = None, source: str | None = None):
        """Residual ACF and PACF plots (Pearson or standardised residuals).

        Parameters
        ----------
        lags
            Number of lags (default ``min(24, n // 2 - 1)``).
        source
            Source line text.

        Returns
        -------
        matplotlib.figure.Figure
            Two panels, house style, with alt text.
        """
        from statsmodels.graphics.tsaplots import plot_acf, plot_pacf

        from lvrn_analysis.charts import plots

        r = np.asarray(self.residuals, dtype=float)
        r = r[np.isfinite(r)]
        nl = lags if lags is not None else max(1, min(24, len(r) // 2 - 1))
        fig, axes = plots.new_figure(1, 2, figsize=(9.0, 3.8))
        plot_acf(r, ax=axes[0], lags=nl, zero=False, title="Residual ACF")
        plot_pacf(r, ax=axes[1], lags=nl, zero=False, method="ywm", title="Residual PACF")
        axes[1].set_xlabel("Lag (periods)")
        d = self.diagnostics
        alt = (f"Autocorrelation and partial autocorrelation of the model residuals up to lag "
               f"{nl}; Ljung-Box p = {_fmt_p(d.get('ljung_box_p', float('nan')))}, lag-1 "
               f"autocorrelation {d.get('acf1', float('nan')):.2f}.")
        return plots.finish(fig, title="Residual autocorrelation", ax=axes[0],
                            source=source or "Source: residuals of the fitted ITS model.",
                            alt=alt, xlabel="Lag (periods)", ylabel="Correlation")
