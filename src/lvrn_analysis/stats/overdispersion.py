r"""Funnel limits that allow for over-dispersion between areas (Spiegelhalter 2005).

Poisson funnel limits (`lvrn_analysis.stats.funnels`) ask whether an area's
count differs from its expected count by more than *counting noise* would
explain. With counts in the thousands that noise is tiny, so almost every area
lies outside the limits: the areas really do differ, for reasons (population,
deprivation, town centres, recording) that no chance model captures. This
module estimates how much more the areas spread than chance alone would give,
and widens the limits by that much, so that an area is flagged only when it is
unusual *compared with how much areas like it usually differ*.

Methods
-------
Sources: Spiegelhalter DJ. Handling over-dispersion of performance
indicators. *Qual Saf Health Care* 2005;14:347-351 (QSHC below), and
Spiegelhalter DJ. Funnel plots for comparing institutional performance.
*Stat Med* 2005;24:1185-1202, section 5 (SM below).

For area $i$ ($i = 1, \dots, k$) with observed count $O_i$ and denominator
$N_i$ (person-years for a rate; the expected count for a ratio), the expected
count under the target is $E_i = \theta_0 N_i$ ($\theta_0$ per person-year;
$E_i = N_i$ for a ratio) and the ratio is $R_i = O_i / E_i$.

1. **Transformation and z-scores** (QSHC; SM section 5). On the
   square-root scale (default, the variance-stabilising transform of a Poisson
   count, as the CQC uses for ratios):

   $$
   y_i = \sqrt{R_i}, \quad y_0 = 1, \quad s_i = \frac{1}{2\sqrt{E_i}}, \quad
   z_i = \frac{y_i - y_0}{s_i} = 2\left(\sqrt{O_i} - \sqrt{E_i}\right).
   $$

   On the log scale (``transform="log"``, as NHS England's SHMI uses):
   $y_i = \log R_i$, $y_0 = 0$, $s_i = 1/\sqrt{E_i}$,
   $z_i = \sqrt{E_i}\,\log R_i$ (needs $O_i > 0$).
2. **Winsorisation** (QSHC): the z-scores
   below their 10th percentile are set to the 10th percentile and those above
   the 90th to the 90th (``winsor=0.1``), so that a few genuine outliers do not
   inflate the estimate. Percentiles interpolate linearly between order
   statistics (Hyndman and Fan type 7, R's and numpy's default), as the
   FunnelPlotR package (Mainey C, NHS-R Community) does.
3. **Dispersion ratio** from the winsorised z-scores $z_i^W$:

   $$
   \hat\phi = \frac{1}{k}\sum_{i=1}^{k} \left(z_i^W\right)^2 .
   $$

   With no over-dispersion $k\hat\phi$ is approximately $\chi^2_{k-1}$ (one
   degree of freedom is used by a target estimated from the same data); the
   reported p-value is $P(\chi^2_{k-1} > k\hat\phi)$. Winsorisation shrinks
   $\hat\phi$, so the test is, if anything, conservative.
4. **(a) Multiplicative limits** (QSHC; SM section 5): on the transformed
   scale $y_0 \pm z_p \sqrt{\phi}\, s_i$, back-transformed and multiplied by
   the target. The limits are never made narrower than chance alone: $\phi$ is
   floored at 1 in the limits (as $\tau^2$ is floored at 0 below), while
   $\hat\phi$ itself is reported unfloored.
5. **(b) Additive random-effects limits** (QSHC; SM section 5). The
   between-area variance on the transformed scale, by the DerSimonian-Laird
   moment estimator with $w_i = 1/s_i^2$:

   $$
   \hat\tau^2 = \max\left(0,\;
   \frac{k\hat\phi - (k - 1)}{\sum_i w_i - \sum_i w_i^2 / \sum_i w_i}\right),
   $$

   and the limits $y_0 \pm z_p \sqrt{s_i^2 + \hat\tau^2}$. Unlike the
   multiplicative limits these do not close up as the denominator grows: a very
   large area is still compared with the spread between areas.

Back-transformation: square root, limit $= \theta_0 \max(0, y_0 \pm z_p\,
\sigma_i)^2$; log, limit $= \theta_0 \exp(\pm z_p\, \sigma_i)$, with
$\sigma_i = \sqrt{\phi}\,s_i$ (multiplicative) or $\sqrt{s_i^2 + \tau^2}$
(additive); with $\phi \le 1$ and $\tau^2 = 0$ both are $s_i$, the normal
approximation to the Poisson limits. The **Poisson** limits reported beside them are the
exact ones of `lvrn_analysis.stats.funnels.funnel_limits()` (SM appendix
A.1.1). Limits are at $p$ = 0.025/0.975 (95 %) and 0.001/0.999 (99.8 %);
$z_p$ = 1.959964 and 3.090232.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from lvrn_analysis.stats.funnels import funnel_limits
from lvrn_analysis.stats.indicators.intervals import level_suffix, z_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "KINDS",
    "METHODS",
    "TRANSFORMS",
    "OverdispersionResult",
    "dispersion_ratio",
    "overdispersion_funnel",
    "tau_squared",
    "winsorise",
    "z_scores",
]

#: Indicator kinds handled: Poisson rates and indirectly standardised ratios.
KINDS: tuple[str, ...] = ("rate", "ratio")
#: Scales on which z-scores are formed.
TRANSFORMS: tuple[str, ...] = ("sqrt", "log")
#: Limit methods, in the order they are reported.
METHODS: tuple[str, ...] = ("poisson", "multiplicative", "additive")

_DEFAULT_MULTIPLIER = {"rate": 100_000.0, "ratio": 1.0}
_TRANSFORM_TEXT = {
    "sqrt": "square root of the ratio observed/expected (z = 2(sqrt(O) - sqrt(E)))",
    "log": "log of the ratio observed/expected (z = sqrt(E) log(O/E))",
}
_SCALE_NAME = {"sqrt": "square-root", "log": "log"}


def z_scores(observed: Any, expected: Any, transform: str = "sqrt"
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return transformed values, their null standard errors and z-scores.

    Parameters
    ----------
    observed
        Observed counts $O_i$.
    expected
        Expected counts under the target, $E_i > 0$.
    transform
        ``"sqrt"``: $y_i = \sqrt{O_i/E_i}$, $s_i = 1/(2\sqrt{E_i})$,
        $z_i = 2(\sqrt{O_i} - \sqrt{E_i})$. ``"log"``: $y_i = \log(O_i/E_i)$,
        $s_i = 1/\sqrt{E_i}$, $z_i = \sqrt{E_i}\log(O_i/E_i)$ (Spiegelhalter
        2005, QSHC).

    Returns
    -------
    tuple of numpy.ndarray
        ``(y, s, z)``; the target on the transformed scale is 1 (``"sqrt"``) or
        0 (``"log"``).
    """
    _check_transform(transform)
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    s = _se(e, transform)
    if transform == "sqrt":
        y = np.sqrt(o / e)
        return y, s, (y - 1.0) / s
    with np.errstate(divide="ignore"):
        y = np.log(o / e)
    return y, s, y / s


def _se(expected: np.ndarray, transform: str) -> np.ndarray:
    r"""Null standard error on the transformed scale: $1/(2\sqrt{E})$ or $1/\sqrt{E}$."""
    e = np.asarray(expected, dtype=float)
    return 1.0 / (2.0 * np.sqrt(e)) if transform == "sqrt" else 1.0 / np.sqrt(e)


def winsorise(z: Any, level: float = 0.1) -> tuple[np.ndarray, float, float]:
    """Winsorise z-scores at the ``level`` and ``1 - level`` percentiles.

    Parameters
    ----------
    z
        z-scores.
    level
        Share pulled in at each end: 0.1 sets values below the 10th percentile
        to it and above the 90th to it (Spiegelhalter 2005, QSHC); 0 leaves
        them unchanged. Percentiles interpolate linearly between order
        statistics (Hyndman-Fan type 7).

    Returns
    -------
    tuple
        ``(winsorised z, lower bound, upper bound)``.
    """
    if not 0.0 <= float(level) < 0.5:
        raise ValueError(f"winsorisation level must be in [0, 0.5), got {level!r}")
    zz = np.asarray(z, dtype=float)
    lo, hi = (float(q) for q in np.quantile(zz, [level, 1.0 - level]))
    return np.clip(zz, lo, hi), lo, hi


def dispersion_ratio(z: Any) -> float:
    r"""Return the dispersion ratio $\hat\phi = \frac{1}{k}\sum_i z_i^2$.

    Spiegelhalter 2005, QSHC and *Stat Med* section 5.

    Parameters
    ----------
    z
        (Winsorised) z-scores of the $k$ areas.

    Returns
    -------
    float
        The dispersion ratio; about 1 when areas differ by chance alone.
    """
    zz = np.asarray(z, dtype=float)
    return float(np.mean(zz**2))


def tau_squared(phi: float, k: int, s: Any) -> float:
    r"""Between-area variance by the DerSimonian-Laird moment estimator.

    $$
    \hat\tau^2 = \max\left(0, \frac{k\hat\phi - (k-1)}
    {\sum_i w_i - \sum_i w_i^2/\sum_i w_i}\right), \qquad w_i = 1/s_i^2
    $$

    (Spiegelhalter 2005, QSHC and *Stat Med* section 5; DerSimonian R, Laird N.
    Meta-analysis in clinical trials. *Control Clin Trials* 1986;7:177-188).

    Parameters
    ----------
    phi
        Dispersion ratio $\hat\phi$.
    k
        Number of areas.
    s
        Standard errors $s_i$ on the transformed scale.

    Returns
    -------
    float
        $\hat\tau^2$ on the transformed scale, 0 when $k\hat\phi \le k - 1$.
    """
    w = 1.0 / np.asarray(s, dtype=float) ** 2
    denom = float(w.sum() - (w**2).sum() / w.sum())
    num = k * float(phi) - (k - 1)
    if num <= 0 or denom <= 0:
        return 0.0
    return num / denom


def _check_transform(transform: str) -> None:
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")


def _back(sd: np.ndarray, zp: float, transform: str) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of the ratio O/E for a transformed-scale sd."""
    if transform == "sqrt":
        return np.maximum(1.0 - zp * sd, 0.0) ** 2, (1.0 + zp * sd) ** 2
    return np.exp(-zp * sd), np.exp(zp * sd)


def _flags(value: np.ndarray, lim: dict[str, np.ndarray], levels: Sequence[float]
           ) -> np.ndarray:
    flag = np.full(len(value), "within limits", dtype=object)
    for c in levels:  # ascending, so the widest exceeded level wins
        s = level_suffix(c)
        flag[value > lim[f"upper_{s}"]] = f"above {_pct(c)} limit"
        flag[value < lim[f"lower_{s}"]] = f"below {_pct(c)} limit"
    return flag


def _pct(c: float) -> str:
    return f"{round(c * 100.0, 6):g}%"


@dataclass
class OverdispersionResult:
    r"""Funnel limits under chance alone and allowing for over-dispersion.

    Attributes
    ----------
    table
        Tidy frame, one row per area and method (``"poisson"``,
        ``"multiplicative"``, ``"additive"``): ``area``, ``method``,
        ``observed``, ``denominator``, ``expected``, ``ratio`` (observed /
        expected), ``value`` (in output units), ``target``, ``z`` (the
        transformed z-score, unadjusted), ``z_winsorised``, ``z_adjusted``
        (``z`` for Poisson, $z/\sqrt{\max(\phi,1)}$ multiplicative,
        $(y - y_0)/\sqrt{s^2 + \tau^2}$ additive), ``lower_95``,
        ``upper_95``, ``lower_99_8``, ``upper_99_8`` (output units) and
        ``flag`` (``"above 99.8% limit"`` ... ``"below 99.8% limit"``).
    k
        Number of areas.
    phi
        Dispersion ratio $\hat\phi$ from the winsorised z-scores.
    chi2, df, p_value
        $k\hat\phi$, $k - 1$ and $P(\chi^2_{k-1} > k\hat\phi)$.
    tau2
        $\hat\tau^2$ on the transformed scale (floored at 0).
    transform
        ``"sqrt"`` or ``"log"``.
    winsor
        Winsorisation level at each end (0.1 = 10th and 90th percentiles).
    winsor_bounds
        The z-score percentiles the z-scores were pulled in to.
    n_winsorised
        Areas whose z-score was pulled in.
    target, multiplier, kind, levels
        The target (output units), the output scale, ``"rate"`` or ``"ratio"``,
        and the two-sided levels.
    """

    table: pd.DataFrame
    k: int
    phi: float
    chi2: float
    df: int
    p_value: float
    tau2: float
    transform: str
    winsor: float
    winsor_bounds: tuple[float, float]
    n_winsorised: int
    target: float
    multiplier: float
    kind: str
    levels: tuple[float, ...] = (0.95, 0.998)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def tau(self) -> float:
        r"""$\hat\tau$, the between-area standard deviation on the transformed scale."""
        return float(np.sqrt(self.tau2))

    @property
    def phi_limits(self) -> float:
        r"""The $\phi$ used in the multiplicative limits, $\max(\hat\phi, 1)$."""
        return max(self.phi, 1.0)

    def limits(self, denominator: Any) -> pd.DataFrame:
        """Limits of every method at any denominators (e.g. a grid for a chart).

        Parameters
        ----------
        denominator
            Person-years (rates) or expected counts (ratios), all positive.

        Returns
        -------
        pandas.DataFrame
            ``denominator``, ``expected`` and ``<method>_lower_<s>`` /
            ``<method>_upper_<s>`` for each method and level (output units).
        """
        n = np.asarray(denominator, dtype=float)
        if np.any(~(n > 0)):
            raise ValueError("denominators must be positive")
        theta = self.target / self.multiplier  # per unit of denominator (1 for ratio)
        e = n * theta if self.kind == "rate" else n
        s = _se(e, self.transform)
        out = pd.DataFrame({"denominator": n, "expected": e})
        pois = funnel_limits(n, self.target, kind=self.kind, multiplier=self.multiplier,
                             levels=self.levels)
        sds = {"multiplicative": np.sqrt(self.phi_limits) * s,
               "additive": np.sqrt(s**2 + self.tau2)}
        for c in self.levels:
            sfx = level_suffix(c)
            out[f"poisson_lower_{sfx}"] = pois[f"lower_{sfx}"].to_numpy()
            out[f"poisson_upper_{sfx}"] = pois[f"upper_{sfx}"].to_numpy()
        for method, sd in sds.items():
            for c in self.levels:
                sfx = level_suffix(c)
                lo, hi = _back(sd, z_value(c), self.transform)
                out[f"{method}_lower_{sfx}"] = lo * self.target
                out[f"{method}_upper_{sfx}"] = hi * self.target
        return out

    def typical_range(self, level: float = 0.95) -> tuple[float, float]:
        r"""Range of underlying values the between-area spread alone implies.

        The limits of the additive funnel as the denominator grows without
        bound: $\theta_0\, g^{-1}(y_0 \pm z_p \hat\tau)$.

        Parameters
        ----------
        level
            Two-sided level.

        Returns
        -------
        tuple of float
            ``(low, high)`` in output units.
        """
        lo, hi = _back(np.array([self.tau]), z_value(level), self.transform)
        return float(lo[0] * self.target), float(hi[0] * self.target)

    def flags(self) -> pd.DataFrame:
        """One row per area: its value and its flag under each method.

        Returns
        -------
        pandas.DataFrame
            ``area``, ``observed``, ``denominator``, ``value``, ``ratio``,
            ``z``, ``flag_poisson``, ``flag_multiplicative``, ``flag_additive``,
            in the input order.
        """
        t = self.table
        base = t[t["method"] == METHODS[0]][
            ["area", "observed", "denominator", "value", "ratio", "z"]].reset_index(drop=True)
        for m in METHODS:
            base[f"flag_{m}"] = t.loc[t["method"] == m, "flag"].to_numpy()
        return base

    def counts(self) -> pd.DataFrame:
        """How many areas each method flags at each level.

        Returns
        -------
        pandas.DataFrame
            ``method``, ``level``, ``above``, ``below``, ``outside``, ``k``:
            areas above / below the limits at that level (an area outside the
            99.8 % limits is also outside the 95 % ones).
        """
        rows = []
        for m in METHODS:
            t = self.table[self.table["method"] == m]
            for c in self.levels:
                s = level_suffix(c)
                above = int((t["value"] > t[f"upper_{s}"]).sum())
                below = int((t["value"] < t[f"lower_{s}"]).sum())
                rows.append({"method": m, "level": float(c), "above": above, "below": below,
                             "outside": above + below, "k": self.k})
        return pd.DataFrame(rows)

    def outside(self, method: str, level: float = 0.998) -> pd.DataFrame:
        """Areas outside one method's limits at one level.

        Parameters
        ----------
        method
            One of `METHODS`.
        level
            Two-sided level.

        Returns
        -------
        pandas.DataFrame
            ``area``, ``value``, ``side`` (``"above"``/``"below"``), highest
            value first.
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        s = level_suffix(level)
        t = self.table[self.table["method"] == method]
        side = np.where(t["value"] > t[f"upper_{s}"], "above",
                        np.where(t["value"] < t[f"lower_{s}"], "below", ""))
        out = pd.DataFrame({"area": t["area"].to_numpy(), "value": t["value"].to_numpy(),
                            "side": side})
        out = out[out["side"] != ""]
        return out.sort_values(["value", "area"], ascending=[False, True]).reset_index(drop=True)

    def summary(self) -> str:
        r"""Readable text: the scale, the dispersion, its test, $\tau^2$ and the flags.

        Returns
        -------
        str
            Plain text, suitable for printing.
        """
        lo, hi = self.winsor_bounds
        pv = "<0.001" if self.p_value < 0.001 else f"{self.p_value:.3f}"
        lines = ["Funnel limits allowing for over-dispersion (Spiegelhalter 2005)",
                 "=" * 63,
                 f"Areas: k = {self.k}   Kind: {self.kind}   Target: {self.target:.6g} "
                 f"(x {self.multiplier:g})",
                 f"Scale: {_TRANSFORM_TEXT[self.transform]}",
                 f"Winsorised at {self.winsor:.0%}/{1 - self.winsor:.0%}: z pulled in to "
                 f"[{lo:.3f}, {hi:.3f}] for {self.n_winsorised} areas",
                 f"Dispersion ratio phi = {self.phi:.4g}; k*phi = {self.chi2:.4g} on "
                 f"{self.df} df, p = {pv} (chi-square test of no over-dispersion)",
                 f"Between-area variance tau^2 = {self.tau2:.4g} (tau = {self.tau:.4g}) "
                 "on the transformed scale", "",
                 f"  {'method':<16}{'level':>7}{'above':>7}{'below':>7}{'outside':>9}"]
        for r in self.counts().itertuples(index=False):
            lines.append(f"  {r.method:<16}{_pct(r.level):>7}{r.above:>7}{r.below:>7}"
                         f"{r.outside:>6} of {r.k}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<OverdispersionResult k={self.k} phi={self.phi:.4g} "
                f"tau2={self.tau2:.4g} transform={self.transform}>")

    def plot(self, *, title: str, source: str, method: str = "additive",
             alt: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
             target_label: str = "Target", x_scale: float = 1.0,
             value_format: str = "{:.1f}") -> Figure:
        """Funnel plot with the Poisson and one over-dispersed set of limits.

        Parameters
        ----------
        title, source
            Title and source line (`lvrn_analysis.charts.plots.source_line()`).
        method
            Over-dispersed limits to draw: ``"additive"`` or ``"multiplicative"``.
        alt
            Alt text; generated from the results when omitted.
        xlabel, ylabel
            Axis labels with units.
        target_label
            Legend name of the target line (e.g. ``"Pan-Lancashire"``).
        x_scale
            Factor from the denominator to the x axis (e.g. 12 / months to show
            residents rather than person-years; 1 for a 12-month period).
        value_format
            Format of values in the alt text.

        Returns
        -------
        matplotlib.figure.Figure
            From `lvrn_analysis.charts.overdispersion.overdispersed_funnel_chart()`.
        """
        from lvrn_analysis.charts.overdispersion import overdispersed_funnel_chart

        if method not in METHODS[1:]:
            raise ValueError(f"method must be 'additive' or 'multiplicative', got {method!r}")
        if tuple(self.levels) != (0.95, 0.998):
            raise ValueError("the chart draws 95% and 99.8% limits: fit with those levels")
        f = self.flags()
        points = pd.DataFrame({"label": f["area"].astype(str),
                               "x": f["denominator"] * x_scale, "value": f["value"],
                               "flag": f[f"flag_{method}"],
                               "flag_poisson": f["flag_poisson"]})
        n = f["denominator"].to_numpy(dtype=float)
        grid = np.geomspace(n.min() * 0.8, n.max() * 1.15, 200)
        lim = self.limits(grid)
        curves = pd.DataFrame({"x": grid * x_scale})
        for m in ("poisson", method):
            for c in self.levels:
                s = level_suffix(c)
                curves[f"{m}_lower_{s}"] = lim[f"{m}_lower_{s}"]
                curves[f"{m}_upper_{s}"] = lim[f"{m}_upper_{s}"]
        pv = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        disp = (f"Dispersion ratio \u03c6 = {self.phi:,.1f} (\u03c7\u00b2 on {self.df} df, {pv})"
                f"\n\u03c4\u00b2 = {self.tau2:.4f} on the {_SCALE_NAME[self.transform]} scale"
                f"; winsorised {self.winsor:.0%}/{1 - self.winsor:.0%}")
        return overdispersed_funnel_chart(
            points, curves, target=self.target, method=method, dispersion_text=disp,
            title=title, source=source, alt=alt, xlabel=xlabel or "Denominator",
            ylabel=ylabel or "Value", target_label=target_label, value_format=value_format)


def _column(data: pd.DataFrame, col: str) -> np.ndarray:
    if col not in data:
        raise KeyError(f"column {col!r} not in the data (columns: {list(data.columns)})")
    v = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(v) & data[col].notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {data.index[i]!r}, column {col!r}: not a number "
                         f"({data[col].iloc[i]!r})")
    return v


def overdispersion_funnel(
    data: pd.DataFrame,
    x: str,
    n: str,
    *,
    label: str,
    kind: str = "rate",
    target: float | None = None,
    multiplier: float | None = None,
    transform: str = "sqrt",
    winsor: float = 0.1,
    levels: Sequence[float] = (0.95, 0.998),
) -> OverdispersionResult:
    r"""Funnel limits for each area under chance alone and allowing for over-dispersion.

    Parameters
    ----------
    data
        One row per area.
    x
        Observed counts.
    n
        Denominator: person-years (``kind="rate"``) or expected counts
        (``kind="ratio"``).
    label
        Column naming each area (``area`` in the output).
    kind
        ``"rate"`` or ``"ratio"`` (indirectly standardised, target 1).
    target
        Target in output units. Default: the pooled rate
        $\sum O_i / \sum N_i$ (times ``multiplier``) for rates, the
        ``multiplier`` (a ratio of 1) for ratios.
    multiplier
        Output scale: 100,000 for rates and 1 for ratios by default.
    transform
        ``"sqrt"`` (default) or ``"log"``: the scale of the z-scores (see the
        module notes).
    winsor
        Winsorisation level at each end; 0.1 = the 10th and 90th percentiles.
    levels
        Two-sided levels of the limits.

    Returns
    -------
    OverdispersionResult
        Tidy table, $\hat\phi$ with its test, $\hat\tau^2$, and
        ``summary()`` / ``plot()``.

    Raises
    ------
    ValueError
        Fewer than 3 areas; a missing, negative or non-numeric count; a
        denominator that is not positive (the row and column are named); a zero
        count on the log scale.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    _check_transform(transform)
    levels = tuple(sorted(float(c) for c in levels))
    for c in levels:
        z_value(c)  # validates
    mult = _DEFAULT_MULTIPLIER[kind] if multiplier is None else float(multiplier)
    o = _column(data, x)
    nn = _column(data, n)
    for col, ok in ((x, o >= 0), (n, nn > 0)):
        bad = ~ok
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            need = "a count >= 0" if col == x else "a denominator > 0"
            raise ValueError(f"row {data.index[i]!r}, column {col!r}: needs {need}, got "
                             f"{data[col].iloc[i]!r}")
    k = len(o)
    if k < 3:
        raise ValueError(f"over-dispersion needs at least 3 areas, got {k}")
    if transform == "log" and np.any(o == 0):
        i = int(np.flatnonzero(o == 0)[0])
        raise ValueError(f"row {data.index[i]!r}, column {x!r}: a zero count has no log; "
                         "use transform='sqrt'")
    if target is None:
        target = mult if kind == "ratio" else float(o.sum() / nn.sum() * mult)
    target = float(target)
    if not target > 0:
        raise ValueError(f"target must be positive, got {target!r}")
    theta = target / mult
    e = nn * theta if kind == "rate" else nn
    y, s, z = z_scores(o, e, transform)
    zw, lo, hi = winsorise(z, winsor)
    phi = dispersion_ratio(zw)
    tau2 = tau_squared(phi, k, s)
    chi2 = k * phi
    p = float(stats.chi2.sf(chi2, k - 1))
    res = OverdispersionResult(
        table=pd.DataFrame(), k=k, phi=phi, chi2=chi2, df=k - 1, p_value=p, tau2=tau2,
        transform=transform, winsor=float(winsor), winsor_bounds=(lo, hi),
        n_winsorised=int(np.sum(zw != z)), target=target, multiplier=mult, kind=kind,
        levels=levels, meta={"x": x, "n": n, "label": label})
    lim = res.limits(nn)
    value = o / nn * mult
    y0 = 1.0 if transform == "sqrt" else 0.0
    z_adj = {"poisson": z, "multiplicative": z / np.sqrt(res.phi_limits),
             "additive": (y - y0) / np.sqrt(s**2 + tau2)}
    frames = []
    for m in METHODS:
        f = pd.DataFrame({
            "area": data[label].astype(str).to_numpy(), "method": m, "observed": o,
            "denominator": nn, "expected": e, "ratio": o / e, "value": value,
            "target": target, "z": z, "z_winsorised": zw, "z_adjusted": z_adj[m]})
        cols = {}
        for c in levels:
            sfx = level_suffix(c)
            cols[f"lower_{sfx}"] = lim[f"{m}_lower_{sfx}"].to_numpy()
            cols[f"upper_{sfx}"] = lim[f"{m}_upper_{sfx}"].to_numpy()
            f[f"lower_{sfx}"] = cols[f"lower_{sfx}"]
            f[f"upper_{sfx}"] = cols[f"upper_{sfx}"]
        f["flag"] = pd.Series(_flags(value, cols, levels), dtype="str")
        frames.append(f)
    res.table = pd.concat(frames, ignore_index=True)
    return res
