"""Negative binomial association models of area counts on a risk factor.

The association model (`fit_nb()`, `univariable_table()`,
`leave_one_out()`) is a negative binomial (NB2) regression of violence counts on a
standardised risk factor with a log person-years offset::

    log E[Y_i] = log(person_years_i) + b0 + b1 * z_i,    Var[Y_i] = mu_i + alpha * mu_i**2

fitted by maximum likelihood with ``alpha`` estimated jointly
(`statsmodels.discrete.discrete_model.NegativeBinomial`, ``loglike_method="nb2"``;
Cameron & Trivedi, *Regression Analysis of Count Data*, 2nd ed., 2013, §3.3). ``exp(b1)``
is the rate ratio per one standard deviation of the risk factor; intervals are Wald
intervals ``exp(b1 ± 1.96·se)``. Risk factors are standardised with the **population**
standard deviation across the units (``ddof=0``), as in the synthetic generator's ground
truth. The unit of analysis is the local authority, because that is the finest geography
at which the risk factors are available in this build (police counts exist by LSOA, but
IMD 2019, Fingertips and school attainment are shipped only by authority), so these are
ecological associations between places, not statements about people.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NBFit",
    "coverage_sentence",
    "fit_nb",
    "interval_coverage",
    "leave_one_out",
    "model_table",
    "residual_table",
    "standardise",
    "univariable_table",
]

_Z95 = 1.959963984540054


def standardise(x: pd.Series | np.ndarray) -> tuple[np.ndarray, float, float]:
    """Standardise with the population standard deviation.

    Parameters
    ----------
    x
        Values across the units.

    Returns
    -------
    tuple
        ``(z, mean, sd)`` with ``z = (x - mean) / sd`` and ``sd`` the population
        (``ddof=0``) standard deviation.

    Raises
    ------
    ValueError
        If the values are constant or contain missing values.
    """
    a = np.asarray(x, dtype=float)
    if np.isnan(a).any():
        raise ValueError("cannot standardise missing values")
    sd = float(a.std(ddof=0))
    if sd == 0:
        raise ValueError("cannot standardise a constant")
    mean = float(a.mean())
    return (a - mean) / sd, mean, sd


@dataclass
class NBFit:
    """A fitted negative binomial (NB2) model with log person-years offset.

    Attributes
    ----------
    terms
        Tidy table: ``term``, ``coef``, ``se``, ``rate_ratio`` (``exp(coef)``; per 1 SD
        for standardised predictors), ``lower``, ``upper`` (95 % Wald), ``p_value``.
    predictors
        Predictor column names.
    means, sds
        Mean and population SD used to standardise each predictor (empty when not
        standardised).
    alpha, alpha_se
        NB2 dispersion and its standard error.
    n
        Number of units.
    llf, llf_null, aic
        Log-likelihood of the model and of the intercept-only NB model, and AIC.
    lr_p_value
        Likelihood-ratio test p-value of all predictors against the intercept-only model.
    poisson_dispersion
        Pearson chi-squared / residual df of the Poisson fit of the same model (far above 1
        means a Poisson model would understate uncertainty).
    converged
        Whether the optimiser converged.
    cov
        Covariance matrix of (intercept, predictors).
    """

    terms: pd.DataFrame
    predictors: list[str]
    means: dict[str, float]
    sds: dict[str, float]
    alpha: float
    alpha_se: float
    n: int
    llf: float
    llf_null: float
    aic: float
    lr_p_value: float
    poisson_dispersion: float
    converged: bool
    cov: np.ndarray = field(repr=False)

    def term(self, name: str) -> pd.Series:
        """Return the row of ``terms`` for one predictor."""
        return self.terms.set_index("term").loc[name]

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the design matrix (intercept + standardised predictors) of ``frame``."""
        cols = [np.ones(len(frame))]
        for p in self.predictors:
            x = frame[p].to_numpy(dtype=float)
            cols.append((x - self.means[p]) / self.sds[p] if p in self.sds else x)
        return np.column_stack(cols)

    def predict_rate(self, frame: pd.DataFrame, *, per: float = 1000.0) -> pd.DataFrame:
        """Fitted rate per ``per`` person-years with a 95 % interval (delta method).

        Parameters
        ----------
        frame
            Predictor values.
        per
            Rate multiplier.

        Returns
        -------
        pandas.DataFrame
            ``rate``, ``lower``, ``upper``: ``exp(X b) * per`` with limits
            ``exp(X b ± 1.96 sqrt(diag(X V X')))``.
        """
        x = self.design(frame)
        b = self.terms["coef"].to_numpy()
        eta = x @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.cov, x))
        return pd.DataFrame({"rate": np.exp(eta) * per, "lower": np.exp(eta - _Z95 * se) * per,
                             "upper": np.exp(eta + _Z95 * se) * per}, index=frame.index)

    def summary(self) -> str:
        """Return a short plain-text summary."""
        lines = [f"Negative binomial (NB2) regression, log person-years offset, n = {self.n}",
                 f"alpha = {self.alpha:.4f} (se {self.alpha_se:.4f}); LR test p = "
                 f"{self.lr_p_value:.3g}; Poisson dispersion = {self.poisson_dispersion:.1f}"]
        for _, r in self.terms.iterrows():
            lines.append(f"  {r['term']:<28} RR {r['rate_ratio']:.3f} "
                         f"({r['lower']:.3f} to {r['upper']:.3f}), p = {r['p_value']:.3g}")
        return "\n".join(lines)


def _nb_fit(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> Any:
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    model = NegativeBinomial(y, x, loglike_method="nb2", offset=offset)
    res = None
    for method in ("newton", "bfgs", "nm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                res = model.fit(method=method, maxiter=2000, disp=0)
            except np.linalg.LinAlgError:
                continue
        if res.mle_retvals.get("converged", False) and np.all(np.isfinite(res.bse)):
            return res
    return res


class _PoissonAsNB:
    """A Poisson GLM fit dressed as an NB2 result with ``alpha = 0`` (its boundary)."""

    def __init__(self, pois: Any) -> None:
        self.params = np.append(np.asarray(pois.params), 0.0)
        self.bse = np.append(np.asarray(pois.bse), np.nan)
        self.llf = float(pois.llf)
        self.aic = float(pois.aic) + 2.0  # one more parameter (alpha), as NB2 counts it
        self.mle_retvals = {"converged": bool(pois.converged)}
        self._cov = np.asarray(pois.cov_params())

    def cov_params(self) -> np.ndarray:
        return self._cov


def fit_nb(data: pd.DataFrame, *, count: str, exposure: str, predictors: Sequence[str],
           standardise_predictors: bool = True) -> NBFit:
    """Fit a negative binomial (NB2) regression of counts with a log-exposure offset.

    ``log E[Y] = log(exposure) + b0 + sum_j b_j z_j`` and ``Var[Y] = mu + alpha mu^2``,
    maximum likelihood for ``b`` and ``alpha`` jointly (statsmodels
    ``NegativeBinomial``, NB2; Cameron & Trivedi 2013, §3.3). Wald 95 % intervals.
    When the data show no overdispersion the dispersion estimate sits at its boundary
    (``alpha`` = 0) and has no standard error; the model is then the Poisson model, whose
    fit is reported (``alpha = 0``, ``alpha_se`` missing).

    Parameters
    ----------
    data
        One row per unit.
    count
        Count column (non-negative integers).
    exposure
        Person-years (or population) column; ``log(exposure)`` is the offset.
    predictors
        Predictor columns (at most a few: with 14 units, one or two).
    standardise_predictors
        Standardise each predictor with its population SD, so rate ratios are per 1 SD.

    Returns
    -------
    NBFit
        The fitted model.

    Raises
    ------
    ValueError
        If a column is missing, a count is negative or missing, an exposure is not
        positive, or there are not more units than parameters + 1.
    """
    import statsmodels.api as sm

    preds = list(predictors)
    missing = [c for c in [count, exposure, *preds] if c not in data.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data")
    y = data[count].to_numpy(dtype=float)
    e = data[exposure].to_numpy(dtype=float)
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError(f"column {count!r} must hold non-negative counts without gaps")
    if np.isnan(e).any() or (e <= 0).any():
        raise ValueError(f"column {exposure!r} must be positive")
    if len(data) <= len(preds) + 2:
        raise ValueError(f"{len(data)} units cannot support {len(preds)} predictor(s) "
                         "plus an intercept and a dispersion parameter")
    means: dict[str, float] = {}
    sds: dict[str, float] = {}
    cols = [np.ones(len(data))]
    for p in preds:
        if standardise_predictors:
            z, m, s = standardise(data[p])
            means[p], sds[p] = m, s
            cols.append(z)
        else:
            cols.append(data[p].to_numpy(dtype=float))
    x = np.column_stack(cols)
    off = np.log(e)
    res = _nb_fit(y, x, off)
    null = _nb_fit(y, x[:, :1], off)
    k = len(preds) + 1
    pois = sm.GLM(y, x, family=sm.families.Poisson(), offset=off).fit()
    if not np.all(np.isfinite(np.asarray(res.bse[:k]))):
        # no overdispersion (alpha at its boundary 0): the NB2 model is the Poisson model
        res = _PoissonAsNB(pois)
    coef = np.asarray(res.params[:k])
    se = np.asarray(res.bse[:k])
    from scipy import stats

    terms = pd.DataFrame({
        "term": ["(intercept)", *preds], "coef": coef, "se": se,
        "rate_ratio": np.exp(coef), "lower": np.exp(coef - _Z95 * se),
        "upper": np.exp(coef + _Z95 * se),
        "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
    })
    lr = 2 * (res.llf - null.llf)
    return NBFit(
        terms=terms, predictors=preds, means=means, sds=sds,
        alpha=float(res.params[-1]), alpha_se=float(res.bse[-1]), n=len(data),
        llf=float(res.llf), llf_null=float(null.llf), aic=float(res.aic),
        lr_p_value=float(stats.chi2.sf(max(lr, 0.0), len(preds))),
        poisson_dispersion=float(pois.pearson_chi2 / pois.df_resid),
        converged=bool(res.mle_retvals.get("converged", False)),
        cov=np.asarray(res.cov_params())[:k, :k],
    )


def univariable_table(data: pd.DataFrame, factors: Mapping[str, str], *, count: str,
                      exposure: str) -> pd.DataFrame:
    """Fit one NB model per risk factor and tabulate the rate ratios per 1 SD.

    Parameters
    ----------
    data
        One row per unit.
    factors
        ``{column: label}`` of the risk factors.
    count, exposure
        As `fit_nb()`.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``factor``, ``sd`` (of the factor, in its own units), ``rate_ratio``,
        ``lower``, ``upper``, ``p_value``, ``alpha``, ``n``, ``aic``.
    """
    rows = []
    for col, label in factors.items():
        fit = fit_nb(data, count=count, exposure=exposure, predictors=[col])
        t = fit.term(col)
        rows.append({"column": col, "factor": label, "sd": fit.sds[col],
                     "rate_ratio": float(t["rate_ratio"]), "lower": float(t["lower"]),
                     "upper": float(t["upper"]), "p_value": float(t["p_value"]),
                     "alpha": fit.alpha, "n": fit.n, "aic": fit.aic})
    return pd.DataFrame(rows)


def leave_one_out(data: pd.DataFrame, *, count: str, exposure: str, predictor: str,
                  unit: str = "la_name") -> pd.DataFrame:
    """Refit a one-predictor NB model leaving out each unit in turn.

    With 14 units one authority can carry an association; this shows how much.

    Parameters
    ----------
    data
        One row per unit.
    count, exposure, predictor
        As `fit_nb()`; the predictor is re-standardised in each fit.
    unit
        Column naming the units.

    Returns
    -------
    pandas.DataFrame
        ``left_out``, ``rate_ratio``, ``lower``, ``upper``, sorted by rate ratio.
    """
    rows = []
    for i in range(len(data)):
        sub = data.drop(index=data.index[i])
        t = fit_nb(sub, count=count, exposure=exposure, predictors=[predictor]).term(predictor)
        rows.append({"left_out": data[unit].iloc[i], "rate_ratio": float(t["rate_ratio"]),
                     "lower": float(t["lower"]), "upper": float(t["upper"])})
    return pd.DataFrame(rows).sort_values(["rate_ratio", "left_out"]).reset_index(drop=True)


def interval_coverage(data: pd.DataFrame, fit: NBFit, *, count: str = "count",
                      exposure: str = "person_years", n_sims: int = 200,
                      seed: int = 20210601) -> dict[str, float]:
    """Check by simulation how often the model's 95 % intervals cover the truth.

    Data sets with the same units, exposures and predictor values are drawn from the
    fitted model (NB2 as a gamma-Poisson mixture with the fitted ``alpha``), the model is
    refitted to each, and the share of Wald intervals ``b ± 1.96 se`` and of Student-t
    intervals ``b ± t(0.975, n - k) se`` (``k`` coefficients) that contain the true
    coefficient of the first predictor is reported. With few units the Wald interval is
    known to be liberal (Cameron & Trivedi 2013, §3.3; small-sample use of t quantiles as in
    quasi-likelihood GLMs).

    Parameters
    ----------
    data
        The data the model was fitted to.
    fit
        The fitted model (its first predictor is checked).
    count, exposure
        Column names.
    n_sims
        Number of simulated data sets.
    seed
        Random seed.

    Returns
    -------
    dict
        ``n_sims``, ``wald`` and ``student_t`` (coverage proportions), ``t_quantile``,
        ``t_lower`` and ``t_upper`` (the fitted model's rate ratio interval with the t
        quantile).
    """
    from scipy import stats

    g = np.random.default_rng(seed)
    x = fit.design(data)
    b = fit.terms["coef"].to_numpy()
    off = np.log(data[exposure].to_numpy(dtype=float))
    mu = np.exp(off + x @ b)
    k = x.shape[1]
    tq = float(stats.t.ppf(0.975, len(data) - k))
    wald = stud = done = 0
    for _ in range(n_sims):
        y = g.poisson(g.gamma(1 / fit.alpha, fit.alpha * mu))
        res = _nb_fit(y.astype(float), x, off)
        if res is None or not np.isfinite(res.bse[1]):
            continue
        est, se = float(res.params[1]), float(res.bse[1])
        done += 1
        wald += abs(est - b[1]) <= _Z95 * se
        stud += abs(est - b[1]) <= tq * se
    t = fit.terms.iloc[1]
    return {"n_sims": done, "wald": float(wald / done), "student_t": float(stud / done),
            "t_quantile": tq,
            "t_lower": math.exp(t["coef"] - tq * t["se"]),
            "t_upper": math.exp(t["coef"] + tq * t["se"])}


def coverage_sentence(cov: Mapping[str, float], fit: NBFit) -> str:
    """Report `interval_coverage()` in words.

    Parameters
    ----------
    cov
        Output of `interval_coverage()`.
    fit
        The fitted model.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = fit.terms.iloc[1]
    same_side = (t["lower"] > 1) == (cov["t_lower"] > 1) and (t["upper"] < 1) == (
        cov["t_upper"] < 1)
    verdict = ("the conclusion does not change" if same_side else
               "and this changes whether the interval excludes 1")
    reading = ("the Wald intervals on this page are best read as slightly optimistic"
               if cov["wald"] < 0.94 else "the Wald intervals behave about as advertised")
    return (f"**How far can {fit.n} units be trusted?** In {int(cov['n_sims'])} data sets "
            "simulated from the fitted model (same authorities, populations and deprivation "
            "scores) and refitted, the nominal 95% Wald interval contained the true rate ratio "
            f"in {cov['wald']:.0%} of cases; widening it with the t distribution on "
            f"{fit.n - len(fit.terms)} degrees of freedom gave {cov['student_t']:.0%}. The "
            f"wider interval for the real data is {t['rate_ratio']:.2f} "
            f"({cov['t_lower']:.2f} to {cov['t_upper']:.2f}): {verdict}; {reading}.")


def residual_table(data: pd.DataFrame, fit: NBFit, *, count: str = "count",
                   exposure: str = "person_years", unit: str = "la_name") -> pd.DataFrame:
    """Observed against fitted counts per unit.

    Parameters
    ----------
    data
        The data the model was fitted to.
    fit
        The fitted model.
    count, exposure, unit
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``observed``, ``expected`` (fitted count), ``ratio`` (observed /
        expected), sorted by ratio, highest first.
    """
    rate = fit.predict_rate(data, per=1.0)["rate"].to_numpy()
    exp_ = rate * data[exposure].to_numpy(dtype=float)
    out = pd.DataFrame({unit: data[unit].to_numpy(), "observed": data[count].to_numpy(),
                        "expected": exp_, "ratio": data[count].to_numpy() / exp_})
    return out.sort_values("ratio", ascending=False).reset_index(drop=True)


def model_table(results: pd.DataFrame, *, label_col: str = "factor") -> pd.DataFrame:
    """Format a rate-ratio table for publication (rounded strings, stable output).

    Parameters
    ----------
    results
        Output of `univariable_table()` (or any frame with ``rate_ratio``,
        ``lower``, ``upper``, ``p_value`` and optionally ``sd``, ``alpha``).
    label_col
        Column naming the rows.

    Returns
    -------
    pandas.DataFrame
        ``Risk factor``, ``1 SD =``, ``Rate ratio per 1 SD``, ``95% CI``, ``p``,
        ``Overdispersion (alpha)``.
    """
    out = pd.DataFrame({"Risk factor": results[label_col]})
    if "sd" in results:
        out["1 SD ="] = [f"{s:.3g}" for s in results["sd"]]
    out["Rate ratio per 1 SD"] = [f"{v:.2f}" for v in results["rate_ratio"]]
    out["95% CI"] = [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(results["lower"],
                                                                results["upper"], strict=True)]
    out["p"] = [_fmt_p(p) for p in results["p_value"]]
    if "alpha" in results:
        out["Overdispersion (alpha)"] = [f"{a:.3f}" for a in results["alpha"]]
    return out


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"
