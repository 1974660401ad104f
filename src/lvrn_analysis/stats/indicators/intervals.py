"""Confidence intervals for one count or proportion: Byar, exact Poisson, Wilson.

The scalar and array building blocks of the indicator functions: the normal
quantile $z$ of a confidence level, Byar's approximation and the exact
(Garwood) limits of a Poisson count, and the Wilson score interval of a
proportion. `lvrn_analysis.stats.indicators.rates`,
`lvrn_analysis.stats.indicators.standardised` and
`lvrn_analysis.stats.funnels` build on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "EXACT_BELOW",
    "byars_lower",
    "byars_upper",
    "exact_poisson_interval",
    "level_suffix",
    "wilson_interval",
    "z_value",
]

#: Events below which exact Poisson limits replace Byar's approximation.
EXACT_BELOW = 10


def z_value(confidence: float) -> float:
    r"""Two-sided standard normal quantile for a confidence level.

    Parameters
    ----------
    confidence
        Level in (0, 1), e.g. 0.95 or 0.998.

    Returns
    -------
    float
        $z = \Phi^{-1}(c + (1 - c)/2)$, e.g. 1.959964 for 0.95 and
        3.090232 for 0.998.
    """
    c = _check_level(confidence)
    return float(stats.norm.ppf(c + (1.0 - c) / 2.0))


def byars_lower(x: Any, z: float) -> np.ndarray:
    r"""Byar's approximation to the lower exact Poisson limit of a count.

    $$
    L = x \left(1 - \frac{1}{9x} - \frac{z}{3\sqrt{x}}\right)^3
    $$

    Source: Breslow NE, Day NE. *Statistical methods in cancer research, vol. II:
    the design and analysis of cohort studies*. IARC, 1987 (Byar's method),
    as given in APHO Technical Briefing 3 (2008).

    Parameters
    ----------
    x
        Observed count(s), array-like.
    z
        Standard normal quantile, see `z_value()`.

    Returns
    -------
    numpy.ndarray
        The lower limit on the count scale. Where the approximation is negative
        (very small ``x`` at high confidence) or ``x <= 0`` it is undefined and
        returned as NaN: use `exact_poisson_interval()` for small counts.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))) ** 3
    return np.where((x > 0) & (out >= 0), out, np.nan)


def byars_upper(x: Any, z: float) -> np.ndarray:
    r"""Byar's approximation to the upper exact Poisson limit of a count.

    $$
    U = (x + 1) \left(1 - \frac{1}{9(x + 1)}
        + \frac{z}{3\sqrt{x + 1}}\right)^3
    $$

    Source: Breslow & Day (1987), Byar's method; APHO Technical Briefing 3.

    Parameters
    ----------
    x
        Observed count(s), array-like, ``x >= 0``.
    z
        Standard normal quantile, see `z_value()`.

    Returns
    -------
    numpy.ndarray
        The upper limit on the count scale (NaN where ``x`` is NaN or negative).
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x1 = x + 1.0
        out = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    return np.where(x >= 0, out, np.nan)


def exact_poisson_interval(x: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact (Garwood) Poisson confidence limits for a count.

    $$
    L = \tfrac12 \chi^2_{\alpha/2}(2x), \qquad
    U = \tfrac12 \chi^2_{1-\alpha/2}(2x + 2)
    $$

    with $\alpha = 1 - c$ and $L = 0$ when $x = 0$.
    Source: Garwood F. Fiducial limits for the Poisson distribution.
    *Biometrika* 1936;28:437-442 (the "exact" method of APHO Technical
    Briefing 3).

    Parameters
    ----------
    x
        Observed count(s), array-like, ``x >= 0``.
    confidence
        Level in (0, 1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` on the count scale; NaN where ``x`` is NaN.
    """
    c = _check_level(confidence)
    x = np.asarray(x, dtype=float)
    alpha = 1.0 - c
    with np.errstate(invalid="ignore"):
        safe = np.where(x > 0, x, 1.0)
        lower = np.where(x > 0, stats.chi2.ppf(alpha / 2.0, 2.0 * safe) / 2.0, 0.0)
        upper = stats.chi2.ppf(1.0 - alpha / 2.0, 2.0 * np.where(x >= 0, x, 0.0) + 2.0) / 2.0
    bad = ~(x >= 0)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def wilson_interval(x: Any, n: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a proportion ``x / n``.

    $$
    \frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}
    $$

    Source: Wilson EB. Probable inference, the law of succession, and
    statistical inference. *J Am Stat Assoc* 1927;22:209-212; Newcombe RG.
    Two-sided confidence intervals for the single proportion. *Stat Med*
    1998;17:857-872 (method 3).

    Parameters
    ----------
    x
        Numerator(s), ``0 <= x <= n`` (need not be integer).
    n
        Denominator(s), ``n > 0``.
    confidence
        Level in (0, 1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions in [0, 1] (exactly 0 when ``x = 0`` and
        1 when ``x = n``); NaN where an input is NaN.
    """
    z = z_value(confidence)
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z2 + 4.0 * x * (1.0 - x / n))
        denom = 2.0 * (n + z2)
        lower = (2.0 * x + z2 - root) / denom
        upper = (2.0 * x + z2 + root) / denom
    # the limits are exactly 0 at x = 0 and 1 at x = n; remove rounding error there
    lower = np.where(x == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip(upper, 0.0, 1.0))
    return lower, upper


def level_suffix(confidence: float) -> str:
    """Column suffix for a confidence level: 0.95 -> ``"95"``, 0.998 -> ``"99_8"``.

    Parameters
    ----------
    confidence
        Level in (0, 1).

    Returns
    -------
    str
        The suffix used in ``lower_ci_<suffix>`` / ``upper_ci_<suffix>``.
    """
    c = _check_level(confidence)
    return f"{round(c * 100.0, 6):g}".replace(".", "_")


def _check_level(confidence: Any) -> float:
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}") from None
    if not 0.0 < c < 1.0:
        raise ValueError(
            f"confidence must be in (0, 1), e.g. 0.95 or 0.998; got {confidence!r}"
        )
    return c


def _poisson_limits(
    x: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact limits below `EXACT_BELOW` events, Byar's otherwise (count scale)."""
    z = z_value(confidence)
    exact = x < EXACT_BELOW
    lo_e, up_e = exact_poisson_interval(x, confidence)
    lower = np.where(exact, lo_e, byars_lower(x, z))
    upper = np.where(exact, up_e, byars_upper(x, z))
    return lower, upper, exact
