r"""Ecological models across forces: recorded violence against one real factor at a time.

For each local authority $i$ (of every force in the model) and one factor $x$:

$$\log E[Y_i] = \log(\text{person-years}_i) + b_0 + b_1 z_i + \textstyle\sum_k g_k F_{ik}$$

where $Y_i$ is the recorded count, $z_i = (x_i - \bar x)/s_x$ the factor standardised
with the **population** SD across the authorities in the fit (as in
`lvrn_analysis.story.causes.models`), and $F_{ik}$ indicates force $k$ (the first force in
alphabetical order is the reference): recording practice differs between forces, so
each force gets its own level and $b_1$ compares authorities *within* forces. $e^{b_1}$
is the rate ratio per 1 SD of the factor, $e^{g_k}$ the ratio of force $k$'s rates to
the reference force's at the same factor value.

Two families (`FAMILIES`):

* ``"negative_binomial"`` — NB2, $\mathrm{Var}[Y] = \mu + \alpha\mu^2$, $b$ and
  $\alpha$ by maximum likelihood (statsmodels
  `statsmodels.discrete.discrete_model.NegativeBinomial`, ``loglike_method="nb2"``;
  Cameron & Trivedi, *Regression Analysis of Count Data*, 2nd ed., 2013, §3.3);
* ``"quasi_poisson"`` — Poisson estimating equations with
  $\mathrm{Var}[Y] = \phi\mu$, $\phi$ = Pearson $\chi^2/(n-p)$ (Wedderburn,
  *Biometrika* 61, 1974; McCullagh & Nelder, *Generalized Linear Models*, 2nd ed., 1989,
  ch. 9; statsmodels ``GLM(..., family=Poisson()).fit(scale="X2")``).

Intervals are Wald intervals $e^{b \pm 1.96\,se}$. Leave-one-out influence refits the
model without each authority in turn, **keeping the full fit's mean and SD** so that
every refit's coefficient is per the same unit of the factor. The unit of analysis is
the authority: these are associations between places, not statements about people.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lvrn_analysis.story.causes.ecological_data import (
    FACTOR_LABELS,
    check_factors,
    latest_periods,
)
from lvrn_analysis.story.profile import fmt_period

__all__ = [
    "FAMILIES",
    "EcoFit",
    "EcologicalResults",
    "ecological_models",
    "fit_factor",
    "leave_one_out_terms",
]

#: Model families: name -> (label, dispersion symbol).
FAMILIES: dict[str, tuple[str, str]] = {
    "negative_binomial": ("negative binomial (NB2)", "alpha"),
    "quasi_poisson": ("quasi-Poisson", "phi"),
}

_Z95 = 1.959963984540054


@dataclass
class EcoFit:
    r"""One fitted ecological model: recorded counts on one standardised factor and force.

    Attributes
    ----------
    factor
        The factor's name (a column of the model data).
    family
        ``"negative_binomial"`` or ``"quasi_poisson"``.
    n
        Authorities in the fit (those with a value of the factor).
    terms
        ``term`` (``"(intercept)"``, the factor, ``"force: <name>"``), ``coef``, ``se``,
        ``rate_ratio``, ``lower``, ``upper`` (95 % Wald), ``p_value``.
    dispersion, dispersion_se
        NB2 $\alpha$ and its standard error, or quasi-Poisson $\phi$ (no standard
        error: NaN).
    mean, sd
        The factor's mean and population SD used to standardise it.
    reference_force
        The force whose level is the intercept; `forces` lists every force in the fit.
    la_codes
        The authorities in the fit, in data order.
    fitted, pearson
        Fitted counts and Pearson residuals $(y-\hat\mu)/\sqrt{V(\hat\mu)}$.
    converged
        Whether the optimiser converged.
    """

    factor: str
    family: str
    n: int
    terms: pd.DataFrame
    dispersion: float
    dispersion_se: float
    mean: float
    sd: float
    reference_force: str
    forces: tuple[str, ...]
    la_codes: tuple[str, ...]
    fitted: np.ndarray = field(repr=False)
    pearson: np.ndarray = field(repr=False)
    converged: bool = True

    def term(self, name: str | None = None) -> pd.Series:
        """Return one row of ``terms`` (default: the factor's)."""
        return self.terms.set_index("term").loc[name or self.factor]

    def force_terms(self) -> pd.DataFrame:
        """Return the rows of ``terms`` for the force levels."""
        return self.terms[self.terms["term"].str.startswith("force: ")].reset_index(drop=True)

    def predict_rate(self, x: np.ndarray | Sequence[float], force: str, *,
                     per: float = 1000.0) -> np.ndarray:
        """Fitted rate per ``per`` person-years at factor values ``x`` in one force."""
        b = self.terms.set_index("term")["coef"]
        eta = b["(intercept)"] + b[self.factor] * (np.asarray(x, float) - self.mean) / self.sd
        key = f"force: {force}"
        if key in b.index:
            eta = eta + b[key]
        return np.exp(eta) * per

    def summary(self) -> str:
        """Return a short plain-text summary."""
        label, sym = FAMILIES[self.family]
        lines = [f"{label}, log person-years offset, force term; n = {self.n} authorities; "
                 f"{sym} = {self.dispersion:.4g}; 1 SD of {self.factor} = {self.sd:.4g}"]
        for _, r in self.terms.iterrows():
            lines.append(f"  {r['term']:<40} RR {r['rate_ratio']:.3f} "
                         f"({r['lower']:.3f} to {r['upper']:.3f}), p = {r['p_value']:.3g}")
        return "\n".join(lines)


def _design(data: pd.DataFrame, factor: str, mean: float, sd: float, group: str,
            forces: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    cols = [np.ones(len(data)), (data[factor].to_numpy(float) - mean) / sd]
    names = ["(intercept)", factor]
    for f in forces[1:]:
        cols.append((data[group] == f).to_numpy(float))
        names.append(f"force: {f}")
    return np.column_stack(cols), names


def _nb(y: np.ndarray, x: np.ndarray, off: np.ndarray) -> Any:
    """NB2 by maximum likelihood: Newton first, then BFGS and Nelder-Mead if needed."""
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    model = NegativeBinomial(y, x, loglike_method="nb2", offset=off)
    first = None
    for method, maxiter in (("newton", 200), ("bfgs", 2000), ("nm", 20000)):
        with warnings.catch_warnings():
            for w in (ConvergenceWarning, HessianInversionWarning, RuntimeWarning):
                warnings.simplefilter("ignore", w)
            try:
                res = model.fit(method=method, maxiter=maxiter, disp=0)
            except (np.linalg.LinAlgError, ValueError):
                continue
        if first is None:
            first = res
        if res.mle_retvals.get("converged", False) and np.all(np.isfinite(res.bse)):
            return res
    if first is None:
        raise ValueError("the negative binomial model could not be fitted")
    return first


def fit_factor(data: pd.DataFrame, factor: str, *, family: str = "negative_binomial",
               count: str = "count", exposure: str = "person_years", group: str = "force",
               standardise: tuple[float, float] | None = None,
               reference: str | None = None) -> EcoFit:
    r"""Fit one ecological model: counts on one standardised factor, with a force term.

    Parameters
    ----------
    data
        One row per authority with ``count``, ``exposure``, ``group`` and ``factor``
        columns; authorities whose factor is missing are left out of the fit.
    factor
        The factor column (never the IMD crime domain: `check_factors()`).
    family
        ``"negative_binomial"`` (NB2, $\alpha$ by maximum likelihood) or
        ``"quasi_poisson"`` ($\phi$ = Pearson $\chi^2$ / residual df).
    count, exposure, group
        Count, person-years (offset $\log$ exposure) and force columns.
    standardise
        ``(mean, sd)`` to standardise with; default: those of the authorities in the fit
        (population SD). Leave-one-out refits pass the full fit's.
    reference
        Reference force; default: the first in alphabetical order.

    Returns
    -------
    EcoFit
        The fitted model.

    Raises
    ------
    ValueError
        If a column is missing, the factor is circular, a count is negative or missing,
        an exposure is not positive, the factor is constant, or there are too few
        authorities for the parameters.
    """
    import statsmodels.api as sm

    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, not {family!r}")
    check_factors([factor])
    missing = [c for c in (count, exposure, group, factor) if c not in data.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data")
    d = data[data[factor].notna()]
    y = d[count].to_numpy(float)
    e = d[exposure].to_numpy(float)
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError(f"column {count!r} must hold non-negative counts without gaps")
    if np.isnan(e).any() or (e <= 0).any():
        raise ValueError(f"column {exposure!r} must be positive")
    x = d[factor].to_numpy(float)
    mean, sd = standardise if standardise is not None else (float(x.mean()),
                                                            float(x.std(ddof=0)))
    if not sd > 0:
        raise ValueError(f"factor {factor!r} is constant across the authorities")
    forces = sorted(d[group].astype(str).unique())
    if reference is not None and reference in forces:
        forces = [reference, *[f for f in forces if f != reference]]
    xm, names = _design(d.assign(**{group: d[group].astype(str)}), factor, mean, sd, group,
                        forces)
    extra = 1 if family == "negative_binomial" else 0
    if len(d) <= xm.shape[1] + extra:
        raise ValueError(f"{len(d)} authorities cannot support {xm.shape[1]} coefficients"
                         + (" and a dispersion parameter" if extra else ""))
    off = np.log(e)
    k = xm.shape[1]
    if family == "negative_binomial":
        res = _nb(y, xm, off)
        coef, se = np.asarray(res.params[:k]), np.asarray(res.bse[:k])
        alpha, alpha_se = float(res.params[-1]), float(res.bse[-1])
        mu = np.exp(off + xm @ coef)
        pearson = (y - mu) / np.sqrt(mu + alpha * mu ** 2)
        converged = bool(res.mle_retvals.get("converged", False))
    else:
        res = sm.GLM(y, xm, family=sm.families.Poisson(), offset=off).fit(scale="X2")
        coef, se = np.asarray(res.params), np.asarray(res.bse)
        alpha, alpha_se = float(res.scale), float("nan")
        mu = np.asarray(res.fittedvalues)
        pearson = (y - mu) / np.sqrt(alpha * mu)
        converged = bool(getattr(res, "converged", True))
    terms = pd.DataFrame({
        "term": names, "coef": coef, "se": se, "rate_ratio": np.exp(coef),
        "lower": np.exp(coef - _Z95 * se), "upper": np.exp(coef + _Z95 * se),
        "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
    })
    return EcoFit(factor=factor, family=family, n=len(d), terms=terms, dispersion=alpha,
                  dispersion_se=alpha_se, mean=float(mean), sd=float(sd),
                  reference_force=forces[0], forces=tuple(forces),
                  la_codes=tuple(d["la_code"].astype(str)) if "la_code" in d else (),
                  fitted=mu, pearson=pearson, converged=converged)


def leave_one_out_terms(data: pd.DataFrame, fit: EcoFit, *, unit: str = "la_name",
                        count: str = "count", exposure: str = "person_years",
                        group: str = "force") -> pd.DataFrame:
    """Refit a model without each authority in turn.

    The factor keeps the full fit's mean and SD, and the force reference its level, so
    each refit's coefficients are on the full fit's scale.

    Parameters
    ----------
    data
        The data ``fit`` was fitted to.
    fit
        The full fit.
    unit
        Column naming the authorities.
    count, exposure, group
        As `fit_factor()`.

    Returns
    -------
    pandas.DataFrame
        One row per left-out authority and term: ``factor``, ``left_out``, ``term``,
        ``coef``, ``rate_ratio``, ``lower``, ``upper``, ``converged``.
    """
    d = data[data[fit.factor].notna()]
    rows = []
    for i in range(len(d)):
        sub = d.drop(index=d.index[i])
        f = fit_factor(sub, fit.factor, family=fit.family, count=count, exposure=exposure,
                       group=group, standardise=(fit.mean, fit.sd),
                       reference=fit.reference_force)
        for t in f.terms.itertuples(index=False):
            rows.append({"factor": fit.factor, "left_out": str(d[unit].iloc[i]),
                         "term": t.term, "coef": t.coef, "rate_ratio": t.rate_ratio,
                         "lower": t.lower, "upper": t.upper, "converged": f.converged})
    return pd.DataFrame(rows)


@dataclass
class EcologicalResults:
    """Ecological models of one outcome on several factors, one factor at a time.

    Attributes
    ----------
    data
        One row per authority: the violence columns
        (`lvrn_analysis.story.causes.ecological_data.violence_by_authority()`) and one
        column per factor.
    factors
        The tidy factors frame used (one period per factor).
    fits
        Factor -> `EcoFit`.
    loo
        `leave_one_out_terms()` of every fit, stacked.
    family
        The family of every fit.
    labels
        Factor -> label.
    window
        First and last month of the counts, if known.
    """

    data: pd.DataFrame
    factors: pd.DataFrame
    fits: dict[str, EcoFit]
    loo: pd.DataFrame
    family: str
    labels: dict[str, str]
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None

    @property
    def n(self) -> int:
        """Authorities in the model data."""
        return len(self.data)

    def periods(self) -> dict[str, str]:
        """Factor -> the period its values are for."""
        return self.factors.groupby("factor")["period"].first().to_dict()

    def forces(self) -> pd.Series:
        """Return the number of authorities per force."""
        return self.data.groupby("force")["la_code"].nunique()

    def table(self) -> pd.DataFrame:
        """Tidy results: one row per factor.

        Returns
        -------
        pandas.DataFrame
            ``factor``, ``label``, ``period``, ``n``, ``family``, ``dispersion_name``,
            ``dispersion``, ``sd`` (1 SD in the factor's units), ``rate_ratio``,
            ``lower``, ``upper``, ``p_value``; the force term (first non-reference
            force): ``force_term``, ``force_rate_ratio``, ``force_lower``,
            ``force_upper``; leave-one-out ranges: ``loo_min``, ``loo_max`` (rate
            ratios of the factor), ``loo_min_left_out``, ``loo_max_left_out``,
            ``most_influential`` (the authority whose removal moves the factor's
            coefficient most) and its ``most_influential_rate_ratio``,
            ``loo_all_above_1`` / ``loo_all_below_1`` (every refit's interval
            excludes 1 on that side), ``force_loo_min``, ``force_loo_max``.
        """
        rows = []
        periods = self.periods()
        for name, fit in self.fits.items():
            t = fit.term()
            row: dict[str, Any] = {
                "factor": name, "label": self.labels.get(name, name),
                "period": periods.get(name, ""), "n": fit.n, "family": fit.family,
                "dispersion_name": FAMILIES[fit.family][1], "dispersion": fit.dispersion,
                "sd": fit.sd, "rate_ratio": float(t["rate_ratio"]),
                "lower": float(t["lower"]), "upper": float(t["upper"]),
                "p_value": float(t["p_value"])}
            lo = self.loo[(self.loo["factor"] == name) & (self.loo["term"] == name)]
            i_min, i_max = lo["rate_ratio"].idxmin(), lo["rate_ratio"].idxmax()
            shift = (lo["coef"] - float(t["coef"])).abs()
            i_inf = shift.idxmax()
            row |= {"loo_min": float(lo.loc[i_min, "rate_ratio"]),
                    "loo_max": float(lo.loc[i_max, "rate_ratio"]),
                    "loo_min_left_out": lo.loc[i_min, "left_out"],
                    "loo_max_left_out": lo.loc[i_max, "left_out"],
                    "most_influential": lo.loc[i_inf, "left_out"],
                    "most_influential_rate_ratio": float(lo.loc[i_inf, "rate_ratio"]),
                    "loo_all_above_1": bool((lo["lower"] > 1).all()),
                    "loo_all_below_1": bool((lo["upper"] < 1).all())}
            ft = fit.force_terms()
            if len(ft):
                f0 = ft.iloc[0]
                fl = self.loo[(self.loo["factor"] == name) & (self.loo["term"] == f0["term"])]
                row |= {"force_term": f0["term"].removeprefix("force: ") + " vs "
                        + fit.reference_force, "force_rate_ratio": float(f0["rate_ratio"]),
                        "force_lower": float(f0["lower"]), "force_upper": float(f0["upper"]),
                        "force_loo_min": float(fl["rate_ratio"].min()),
                        "force_loo_max": float(fl["rate_ratio"].max())}
            rows.append(row)
        return pd.DataFrame(rows)

    def display_table(self) -> pd.DataFrame:
        """Return the results for publication: n, family, dispersion, leave-one-out ranges.

        Returns
        -------
        pandas.DataFrame
            ``Risk factor (period)``, ``Authorities``, ``1 SD =``, ``Rate ratio per 1 SD
            (95% CI)``, ``Range leaving one authority out``, ``Largest change: authority
            left out``, ``Force term: <force> vs <reference force> (95% CI)``, ``Force
            term range leaving one out``, ``Family``, ``Dispersion``.
        """
        t = self.table()
        sym = {"alpha": "α", "phi": "φ"}
        force_head = (f"Force term: {t['force_term'].iloc[0]} (95% CI)"
                      if "force_term" in t and (t["force_term"] == t["force_term"].iloc[0]).all()
                      else "Force term (95% CI)")
        return pd.DataFrame({
            "Risk factor (period)": [f"{r.label} ({r.period})" for r in t.itertuples()],
            "Authorities": t["n"].astype(int),
            "1 SD =": [_num(v) for v in t["sd"]],
            "Rate ratio per 1 SD (95% CI)": [
                f"{r.rate_ratio:.2f} ({r.lower:.2f} to {r.upper:.2f})" for r in t.itertuples()],
            "Range leaving one authority out": [
                f"{r.loo_min:.2f} to {r.loo_max:.2f}" for r in t.itertuples()],
            "Largest change: authority left out": [
                f"{r.most_influential} ({r.most_influential_rate_ratio:.2f})"
                for r in t.itertuples()],
            force_head: [
                f"{r.force_rate_ratio:.2f} ({r.force_lower:.2f} to {r.force_upper:.2f})"
                if "force_term" in t else "" for r in t.itertuples()],
            "Force term range leaving one out": [
                f"{r.force_loo_min:.2f} to {r.force_loo_max:.2f}" if "force_term" in t else ""
                for r in t.itertuples()],
            "Family": [FAMILIES[f][0] for f in t["family"]],
            "Dispersion": [f"{sym[s]} = {v:.3g}" for s, v in zip(t["dispersion_name"],
                                                                  t["dispersion"], strict=True)],
        })

    def loo_table(self, factor: str) -> pd.DataFrame:
        """Leave-one-out rate ratios of one factor, sorted (lowest first)."""
        lo = self.loo[(self.loo["factor"] == factor) & (self.loo["term"] == factor)]
        return lo[["left_out", "rate_ratio", "lower", "upper", "converged"]].sort_values(
            ["rate_ratio", "left_out"]).reset_index(drop=True)

    def summary(self) -> str:
        """Return a plain-text summary of every fit and its leave-one-out range."""
        label = FAMILIES[self.family][0]
        head = [f"Ecological models, {label}, log person-years offset and force term; "
                f"{self.n} authorities ("
                + ", ".join(f"{f} {k}" for f, k in self.forces().items()) + ")"]
        if self.window:
            head.append(f"Counts: {fmt_period(*self.window)}")
        for r in self.table().itertuples():
            head.append(f"  {r.label} ({r.period}), n = {r.n}: RR per 1 SD {r.rate_ratio:.3f} "
                        f"({r.lower:.3f} to {r.upper:.3f}); {r.dispersion_name} = "
                        f"{r.dispersion:.4g}; leave-one-out {r.loo_min:.3f} to {r.loo_max:.3f}")
        return "\n".join(head)

    def plot(self, factors: Sequence[str] | None = None, *, source: str,
             title: str | None = None, ncols: int = 3) -> Any:
        """Each factor against the rate, forces distinguished, outliers labelled.

        See `lvrn_analysis.story.causes.ecological_figures.factor_grid()`.
        """
        from lvrn_analysis.story.causes.ecological_figures import factor_grid

        return factor_grid(self, factors, source=source, title=title, ncols=ncols)

    def forest(self, *, source: str, title: str | None = None) -> Any:
        """Rate ratios per 1 SD with intervals and leave-one-out ranges.

        See `lvrn_analysis.story.causes.ecological_figures.influence_forest()`.
        """
        from lvrn_analysis.story.causes.ecological_figures import influence_forest

        return influence_forest(self, source=source, title=title)


def _num(v: float) -> str:
    a = abs(v)
    return f"{v:,.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2g}" if a < 1 \
        else f"{v:.2f}"


def ecological_models(violence: pd.DataFrame, factors: pd.DataFrame, *,
                      family: str = "negative_binomial",
                      labels: Mapping[str, str] | None = None,
                      window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                      unit: str = "la_name") -> EcologicalResults:
    """Fit one ecological model per factor, with leave-one-out influence.

    Parameters
    ----------
    violence
        One row per authority: ``la_code``, ``la_name``, ``force``, ``count``,
        ``person_years`` (`lvrn_analysis.story.causes.ecological_data.
        violence_by_authority()`).
    factors
        Tidy factors frame (``la_code``, ``factor``, ``period``, ``value``); for each
        factor, the latest period covering the most authorities is used
        (`lvrn_analysis.story.causes.ecological_data.latest_periods()`). An authority
        without a value is left out of that factor's model only.
    family
        See `fit_factor()`.
    labels
        Factor -> label (default
        `lvrn_analysis.story.causes.ecological_data.FACTOR_LABELS`); also fixes the
        order of the factors (others follow, alphabetically).
    window
        First and last month of the counts (for the summary).
    unit
        Column naming the authorities.

    Returns
    -------
    EcologicalResults
        Fits, leave-one-out refits and the data.
    """
    labels = dict(labels or FACTOR_LABELS)
    fs = latest_periods(factors, violence["la_code"].astype(str).tolist())
    wide = fs.pivot(index="la_code", columns="factor", values="value")
    data = violence.copy()
    names = sorted(wide.columns, key=lambda c: (list(labels).index(c) if c in labels
                                                else len(labels), c))
    for name in names:
        data[name] = data["la_code"].map(wide[name]).astype("float64")
    fits, loos = {}, []
    for name in names:
        fit = fit_factor(data, name, family=family)
        fits[name] = fit
        loos.append(leave_one_out_terms(data, fit, unit=unit))
    loo = pd.concat(loos, ignore_index=True) if loos else pd.DataFrame()
    return EcologicalResults(data=data, factors=fs, fits=fits, loo=loo, family=family,
                             labels={n: labels.get(n, n) for n in names}, window=window)
