r"""Simulated count series with a known interruption effect.

The data-generating process (vectorised over series) is a gamma-Poisson (negative
binomial) process with seasonality, trend and an optional AR(1) latent term on the log
scale:

$$
\log \mu_{st} = \log(\text{baseline}) + \tau\,(t-1)/12
    + A\cos\big(2\pi(\text{month}_t - \text{peak})/12\big)
    + \log(\text{effect})\,P_t + \log(\text{slope\_effect})\,(t - t_0 + 1)P_t
    + u_{st} - \sigma_u^2/2,
$$

    u_{st} = \phi u_{s,t-1} + \varepsilon_{st},\quad
    \varepsilon_{st} \sim N\big(0, \sigma_u^2(1-\phi^2)\big),\quad
    u_{s1} \sim N(0, \sigma_u^2),

    Y_{st} \mid \mu_{st}, G_{st} \sim \text{Poisson}(\mu_{st} G_{st}),\quad
    G_{st} \sim \text{Gamma}(1/\alpha, \alpha),

so that $Var(Y \mid \mu) = \mu + \alpha\mu^2$ (NB2) when there is no AR term,
$P_t$ is 1 from the first post period $t_0$ on, and the slope term is
coded as in `lvrn_analysis.its.design`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.its.results import DEFAULT_SEED

__all__ = ["simulate_series", "simulate_matrix"]


def simulate_matrix(
    n_pre: int,
    n_post: int,
    *,
    n_series: int = 1,
    baseline: float = 100.0,
    effect: float = 1.0,
    slope_effect: float = 1.0,
    trend: float = 0.0,
    seasonal_amplitude: float = 0.1,
    seasonal_peak: int = 7,
    dispersion: float = 0.01,
    ar1: float = 0.0,
    ar_sd: float | None = None,
    start: str = "2016-01-01",
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Simulate a matrix of monthly counts (series x months).

    Parameters are as in `simulate_series()`.

    Returns
    -------
    counts : numpy.ndarray
        ``(n_series, n_pre + n_post)`` integer counts (as float).
    mu : numpy.ndarray
        ``(n_pre + n_post,)`` expected counts without the latent terms.
    dates : pandas.DatetimeIndex
        Month-start dates.
    """
    if n_pre < 2 or n_post < 1:
        raise ValueError(f"need n_pre >= 2 and n_post >= 1, got {n_pre}, {n_post}")
    if baseline <= 0 or effect <= 0 or slope_effect <= 0:
        raise ValueError("baseline, effect and slope_effect must be > 0")
    if dispersion < 0:
        raise ValueError(f"dispersion (NB alpha) must be >= 0, got {dispersion}")
    if not -1 < ar1 < 1:
        raise ValueError(f"ar1 must be in (-1, 1), got {ar1}")
    rng = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)
    n = n_pre + n_post
    dates = pd.date_range(pd.Timestamp(start), periods=n, freq="MS")
    t = np.arange(1, n + 1, dtype=float)
    month = dates.month.to_numpy(dtype=float)
    post = (t > n_pre).astype(float)
    slope = (t - n_pre) * post
    log_mu = (np.log(baseline) + trend * (t - 1) / 12.0
              + seasonal_amplitude * np.cos(2 * np.pi * (month - seasonal_peak) / 12.0)
              + np.log(effect) * post + np.log(slope_effect) * slope)
    sd = (0.05 if ar1 != 0 else 0.0) if ar_sd is None else float(ar_sd)
    lat = np.zeros((n_series, n))
    if sd > 0:
        eps = rng.standard_normal((n_series, n))
        lat[:, 0] = sd * eps[:, 0]
        innov = sd * np.sqrt(1 - ar1 ** 2)
        for j in range(1, n):
            lat[:, j] = ar1 * lat[:, j - 1] + innov * eps[:, j]
        lat -= sd ** 2 / 2
    lam = np.exp(log_mu)[None, :] * np.exp(lat)
    if dispersion > 0:
        lam = lam * rng.gamma(1.0 / dispersion, dispersion, size=lam.shape)
    counts = rng.poisson(lam).astype(float)
    return counts, np.exp(log_mu), dates


def simulate_series(
    n_pre: int = 36,
    n_post: int = 24,
    *,
    n_series: int = 1,
    baseline: float = 100.0,
    effect: float = 0.9,
    slope_effect: float = 1.0,
    trend: float = 0.0,
    seasonal_amplitude: float = 0.1,
    seasonal_peak: int = 7,
    dispersion: float = 0.01,
    ar1: float = 0.0,
    ar_sd: float | None = None,
    population: float | None = None,
    start: str = "2016-01-01",
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Simulate monthly count series with a known level (and slope) change.

    Parameters
    ----------
    n_pre, n_post
        Months before and from the interruption (the interruption is month
        ``n_pre + 1``).
    n_series
        Number of independent series.
    baseline
        Expected count per month at the start, before seasonality.
    effect
        True level-change rate ratio.
    slope_effect
        True slope-change rate ratio per month.
    trend
        Underlying trend, change in log rate per year (0.02 = about +2 % a year).
    seasonal_amplitude
        Amplitude ``A`` of the seasonal cosine on the log scale (0.1 = about +/-10 %).
    seasonal_peak
        Calendar month of the seasonal peak (7 = July).
    dispersion
        Negative-binomial ``alpha`` (gamma mixing variance); 0 for Poisson.
    ar1
        Lag-1 autocorrelation of the latent log-scale AR(1) term.
    ar_sd
        Marginal standard deviation of the AR(1) term (default 0.05 when ``ar1 != 0``,
        else 0).
    population
        Constant population written to a ``population`` column (default: none).
    start
        First month.
    seed
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, month, count, expected, post, true_effect`` (and
        ``population`` when given), one row per series x month.
    """
    rng = np.random.default_rng(seed)
    counts, mu, dates = simulate_matrix(
        n_pre, n_post, n_series=n_series, baseline=baseline, effect=effect,
        slope_effect=slope_effect, trend=trend, seasonal_amplitude=seasonal_amplitude,
        seasonal_peak=seasonal_peak, dispersion=dispersion, ar1=ar1, ar_sd=ar_sd, start=start,
        rng=rng)
    n = n_pre + n_post
    out = pd.DataFrame({
        "series": np.repeat(np.arange(n_series), n),
        "month": np.tile(dates.to_numpy(), n_series),
        "count": counts.ravel().astype(np.int64),
        "expected": np.tile(mu, n_series),
        "post": np.tile(np.arange(n) >= n_pre, n_series),
        "true_effect": effect,
    })
    if population is not None:
        out["population"] = float(population)
    return out
