"""Indicator statistics with confidence intervals, the Fingertips way.

Every function takes a tidy `pandas.DataFrame` (one row per area, or one
row per area and age band for standardised statistics), optionally grouped with
``group_by``, and returns a **new** frame; the input is never modified. Output
columns follow one convention:

``value``
    The point estimate (times ``multiplier``).
``lower_ci``, ``upper_ci``, ``confidence``
    The interval at a single level, e.g. ``confidence=0.95``. When
    ``confidence`` is a sequence such as ``(0.95, 0.998)`` the columns are
    instead ``lower_ci_95``, ``upper_ci_95``, ``lower_ci_99_8``,
    ``upper_ci_99_8`` (no ``confidence`` column; the levels are in
    ``frame.attrs["confidence"]``).
``method``
    The interval method used for the row (``"Exact"``, ``"Byars"``,
    ``"Wilson"``, ``"Dobson"``, ...), missing when the row could not be computed.

``frame.attrs`` records ``statistic`` (e.g. ``"rate per 100000"``),
``multiplier`` and ``confidence``.

The methods are those of the Public Health England / OHID technical guidance
(Eayres D, *APHO Technical Briefing 3: Commonly used public health statistics
and their confidence intervals*, Association of Public Health Observatories,
2008) and are checked in the test-suite against the expected results published
with the PHEindicatormethods R package (v2.1.0); no code from that package is
used.

Missing values and zeros
------------------------
* A zero count gives a lower limit of exactly 0 (exact method).
* Crude rates, proportions: a missing numerator or denominator gives a missing
  result (``value``, limits and ``method`` all missing) for that row.
* DSR and ISR: a missing count in an age band means no events (as in
  PHEindicatormethods). See each function for populations.
* Negative counts, non-positive denominators, and numerators above the
  denominator (proportions) raise `ValueError` naming the row index (or
  the group) and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lvrn_analysis._resources import reference_file

__all__ = [
    "byars_lower",
    "byars_upper",
    "crude_rate",
    "dsr",
    "esp2013",
    "exact_poisson_interval",
    "isr",
    "isratio",
    "mean_ci",
    "proportion",
    "wilson_interval",
    "z_value",
]

#: Events below which exact Poisson limits replace Byar's approximation.
EXACT_BELOW = 10
#: DSRs are not published when the total count is below this (PHE guidance).
DSR_MIN_COUNT = 10

Confidence = float | Sequence[float]
GroupBy = str | Sequence[str] | None


# ---------------------------------------------------------------------------
# scalar / array helpers
# ---------------------------------------------------------------------------


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


def esp2013() -> pd.DataFrame:
    """Return the 2013 European Standard Population.

    Returns
    -------
    pandas.DataFrame
        19 rows, five-year bands ``0-4`` ... ``85-89`` and ``90+`` (youngest
        first), columns ``ageband``, ``lower_age``, ``upper_age`` (missing for
        90+), ``weight`` (summing to 100,000) and ``source`` (Eurostat, Revision
        of the European Standard Population, 2013).
    """
    with reference_file("esp2013.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"ageband": str, "source": str})
    df["weight"] = df["weight"].astype(float)
    return df


# ---------------------------------------------------------------------------
# internal helpers
# ---------------------------------------------------------------------------


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


def _levels(confidence: Confidence) -> tuple[list[float], bool]:
    """Normalise ``confidence`` to a list of levels and a 'multiple' flag."""
    if isinstance(confidence, int | float | np.floating | np.integer):
        return [_check_level(confidence)], False
    levels = [_check_level(c) for c in confidence]
    if not levels:
        raise ValueError("confidence must not be an empty sequence")
    return levels, True


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


def _keys(group_by: GroupBy) -> list[str]:
    if group_by is None:
        return []
    if isinstance(group_by, str):
        return [group_by]
    return list(group_by)


def _require(data: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"data has no column(s) {missing}; columns are {list(data.columns)}")


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    try:
        values = pd.to_numeric(frame[col], errors="raise")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {col!r} must be numeric: {exc}") from None
    arr = np.asarray(values, dtype=float)
    bad = np.isinf(arr)
    if bad.any():
        idx = frame.index[np.flatnonzero(bad)[0]]
        raise ValueError(f"row index {idx!r}, column {col!r}: value is infinite")
    return arr


def _where(frame: pd.DataFrame, grouped: bool) -> str:
    return "group" if grouped else "row index"


def _fail_first(
    frame: pd.DataFrame, mask: np.ndarray, col: str, what: str, values: np.ndarray, grouped: bool
) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise ValueError(
            f"{_where(frame, grouped)} {frame.index[i]!r}, column {col!r}: {what} "
            f"(got {values[i]!r}; {int(mask.sum())} row(s) affected)"
        )


def _check_nonnegative(
    frame: pd.DataFrame, col: str, values: np.ndarray, grouped: bool = False
) -> None:
    with np.errstate(invalid="ignore"):
        _fail_first(frame, values < 0, col, "must not be negative", values, grouped)


def _check_positive(
    frame: pd.DataFrame, col: str, values: np.ndarray, grouped: bool = False
) -> None:
    with np.errstate(invalid="ignore"):
        _fail_first(frame, values <= 0, col, "must be greater than 0", values, grouped)


def _aggregate(data: pd.DataFrame, cols: Sequence[str], keys: list[str]) -> pd.DataFrame:
    """Sum ``cols`` within groups; a group with any missing value gets NaN."""
    g = data.groupby(keys, sort=True, dropna=False, observed=True)
    sums = g[list(cols)].sum()
    complete = g[list(cols)].count().eq(g.size(), axis=0)
    return sums.where(complete)


def _prepare(
    data: pd.DataFrame, cols: Sequence[str], group_by: GroupBy, new_cols: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Return the frame to compute on (a copy, or group sums indexed by key)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    keys = _keys(group_by)
    _require(data, [*cols, *keys])
    for col in cols:
        _numeric(data, col)  # type check and infinities on the raw rows
    if keys:
        frame = _aggregate(data, cols, keys)
    else:
        frame = data.copy()
        clash = [c for c in new_cols if c in frame.columns]
        if clash:
            raise ValueError(
                f"data already has output column(s) {clash}; rename them before calling"
            )
    return frame, keys


def _finish(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.reset_index() if keys else frame


def _interval_columns(levels: list[float], multiple: bool) -> list[str]:
    if not multiple:
        return ["lower_ci", "upper_ci", "confidence"]
    cols: list[str] = []
    for c in levels:
        s = level_suffix(c)
        cols += [f"lower_ci_{s}", f"upper_ci_{s}"]
    return cols


def _put(
    frame: pd.DataFrame,
    value: np.ndarray,
    limits: list[tuple[np.ndarray, np.ndarray]],
    levels: list[float],
    multiple: bool,
    method: pd.Series | np.ndarray,
) -> None:
    frame["value"] = value
    if multiple:
        for c, (lo, up) in zip(levels, limits, strict=True):
            s = level_suffix(c)
            frame[f"lower_ci_{s}"] = lo
            frame[f"upper_ci_{s}"] = up
    else:
        frame["lower_ci"] = limits[0][0]
        frame["upper_ci"] = limits[0][1]
        frame["confidence"] = float(levels[0])
    frame["method"] = method


def _method(labels: np.ndarray, ok: np.ndarray, index: pd.Index) -> pd.Series:
    out = pd.Series(np.asarray(labels, dtype=object), index=index, dtype=object)
    out[~np.asarray(ok, dtype=bool)] = None
    return out.astype("str").where(np.asarray(ok, dtype=bool))


def _attrs(frame: pd.DataFrame, statistic: str, multiplier: float, levels: list[float]) -> None:
    frame.attrs["statistic"] = statistic
    frame.attrs["multiplier"] = multiplier
    frame.attrs["confidence"] = tuple(levels) if len(levels) > 1 else levels[0]


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


def _fmt_mult(multiplier: float) -> str:
    return f"{multiplier:g}" if multiplier < 1e6 else f"{multiplier:.0f}"


# ---------------------------------------------------------------------------
# crude rates and proportions
# ---------------------------------------------------------------------------


def crude_rate(
    data: pd.DataFrame,
    x: str = "x",
    n: str = "n",
    *,
    multiplier: float = 100_000,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
) -> pd.DataFrame:
    r"""Crude rates with exact Poisson (below 10 events) or Byar's limits.

    Rate $r = x / n \times m$. Limits are those of the count divided by
    ``n`` and multiplied by ``m``: for $x < 10$ the exact Poisson limits
    $\tfrac12\chi^2_{\alpha/2}(2x)$ and
    $\tfrac12\chi^2_{1-\alpha/2}(2x+2)$ (Garwood 1936), otherwise Byar's
    approximation (Breslow & Day 1987), see `byars_lower()` and
    `byars_upper()`. Method as APHO Technical Briefing 3 (2008) and Fingertips.

    Parameters
    ----------
    data
        Tidy frame, one row per area (and period, ...).
    x, n
        Columns holding the event count and the population (person-time).
    multiplier
        Rate per ``multiplier`` persons, e.g. 100,000.
    confidence
        A level such as 0.95, or a sequence such as ``(0.95, 0.998)``.
    group_by
        Column(s) to sum ``x`` and ``n`` within before computing rates. A group
        with any missing ``x`` (or ``n``) gets a missing sum.

    Returns
    -------
    pandas.DataFrame
        A new frame: the input columns (or the group keys and summed ``x``,
        ``n``) plus ``value``, the interval columns and ``method``
        (``"Exact"`` or ``"Byars"``; missing when ``x`` is missing).

    Raises
    ------
    ValueError
        If ``x < 0`` or ``n <= 0`` anywhere (the message names the row index or
        group and the column), or ``confidence`` is outside (0, 1).
    """
    levels, multiple = _levels(confidence)
    new = ["value", *_interval_columns(levels, multiple), "method"]
    frame, keys = _prepare(data, [x, n], group_by, new)
    grouped = bool(keys)
    xv, nv = _numeric(frame, x), _numeric(frame, n)
    _check_nonnegative(frame, x, xv, grouped)
    _check_positive(frame, n, nv, grouped)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = xv / nv * multiplier
        limits = []
        exact = xv < EXACT_BELOW
        for c in levels:
            lo, up, exact = _poisson_limits(xv, c)
            limits.append((lo / nv * multiplier, up / nv * multiplier))
    method = _method(np.where(exact, "Exact", "Byars"), ~np.isnan(xv), frame.index)
    _put(frame, value, limits, levels, multiple, method)
    _attrs(frame, f"rate per {_fmt_mult(multiplier)}", multiplier, levels)
    return _finish(frame, keys)


def proportion(
    data: pd.DataFrame,
    x: str = "x",
    n: str = "n",
    *,
    multiplier: float = 1,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
) -> pd.DataFrame:
    r"""Proportions with Wilson score intervals.

    $p = x / n \times m$; limits
    $\frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1-x/n)}}{2(n+z^2)} \times m$
    (Wilson 1927; Newcombe 1998), see `wilson_interval()`.

    Parameters
    ----------
    data
        Tidy frame.
    x, n
        Numerator and denominator columns.
    multiplier
        1 for a proportion, 100 for a percentage.
    confidence
        A level such as 0.95, or a sequence such as ``(0.95, 0.998)``.
    group_by
        Column(s) to sum ``x`` and ``n`` within first.

    Returns
    -------
    pandas.DataFrame
        A new frame with ``value``, the interval columns and ``method``
        (``"Wilson"``; missing where ``x`` or ``n`` is missing).

    Raises
    ------
    ValueError
        If ``x < 0``, ``n <= 0`` or ``x > n`` in any row (named in the message).
    """
    levels, multiple = _levels(confidence)
    new = ["value", *_interval_columns(levels, multiple), "method"]
    frame, keys = _prepare(data, [x, n], group_by, new)
    grouped = bool(keys)
    xv, nv = _numeric(frame, x), _numeric(frame, n)
    _check_nonnegative(frame, x, xv, grouped)
    _check_positive(frame, n, nv, grouped)
    with np.errstate(invalid="ignore"):
        _fail_first(frame, xv > nv, x, f"numerator exceeds denominator {n!r}", xv, grouped)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = xv / nv * multiplier
    limits = []
    for c in levels:
        lo, up = wilson_interval(xv, nv, c)
        limits.append((lo * multiplier, up * multiplier))
    ok = ~(np.isnan(xv) | np.isnan(nv))
    method = _method(np.full(len(frame), "Wilson"), ok, frame.index)
    _put(frame, value, limits, levels, multiple, method)
    stat = "percentage" if multiplier == 100 else f"proportion of {_fmt_mult(multiplier)}"
    _attrs(frame, stat, multiplier, levels)
    return _finish(frame, keys)


# ---------------------------------------------------------------------------
# directly standardised rates
# ---------------------------------------------------------------------------


def _stdpop_vector(stdpop: Sequence[float] | np.ndarray | None) -> np.ndarray:
    if stdpop is None:
        return esp2013()["weight"].to_numpy(dtype=float)
    vec = np.asarray(stdpop, dtype=float)
    if vec.ndim != 1 or not np.all(np.isfinite(vec)) or np.any(vec < 0):
        raise ValueError("stdpop must be a 1-D sequence of non-negative finite weights")
    return vec


def _assign_vector(
    frame: pd.DataFrame, keys: list[str], vector: np.ndarray, what: str
) -> np.ndarray:
    """Give each row the weight at its position within its group."""
    if keys:
        pos = frame.groupby(keys, sort=False, dropna=False, observed=True).cumcount()
        sizes = frame.groupby(keys, sort=False, dropna=False, observed=True)[keys[0]].transform(
            "size"
        )
        bad = sizes.to_numpy() != len(vector)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            key = tuple(frame.iloc[i][k] for k in keys)
            raise ValueError(
                f"group {key!r} has {int(sizes.iloc[i])} age bands but {what} has "
                f"{len(vector)} weights; pass a column name to match by row instead"
            )
        return vector[pos.to_numpy()]
    if len(frame) != len(vector):
        raise ValueError(
            f"data has {len(frame)} age bands but {what} has {len(vector)} weights"
        )
    return vector.copy()


def dsr(
    data: pd.DataFrame,
    x: str = "x",
    n: str = "n",
    *,
    stdpop: str | Sequence[float] | None = None,
    multiplier: float = 100_000,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
    independent_events: bool = True,
    eventfreq: str | None = None,
    ageband: str | None = None,
    min_count: int = DSR_MIN_COUNT,
) -> pd.DataFrame:
    r"""Directly standardised rates with Dobson et al. (1991) limits.

    For age bands $i$ with events $x_i$, population $n_i$ and
    standard-population weights $w_i$:

    $$
    \mathrm{DSR} = \frac{\sum_i w_i x_i / n_i}{\sum_i w_i} \times m, \qquad
    \mathrm{var} = \frac{\sum_i x_i (w_i / n_i)^2}{(\sum_i w_i)^2}
    $$

    and, with $O = \sum_i x_i$ and Byar's limits $O_L, O_U$ for
    $O$,

    $$
    \mathrm{DSR} + \sqrt{\mathrm{var} / O}\,(O_{L,U} - O) \times m.
    $$

    Source: Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for
    weighted sums of Poisson parameters. *Stat Med* 1991;10:457-462; APHO
    Technical Briefing 3 (2008). The result is suppressed (all NaN) when
    $O <$ ``min_count`` (10, PHE guidance).

    **Non-independent events** (``independent_events=False``): when one person
    can have several events, the data are long with one row per group, age band
    and event frequency $f$ (``eventfreq``: the number of events each of
    those persons had) and ``x`` is the number of *events* in that row (persons
    times $f$). The variance becomes
    $\sum_f f^2 \mathrm{var}_f$ where $\mathrm{var}_f$ is the
    variance above computed from the *persons* $x_{if}/f$, i.e.
    $\sum_{i,f} f\,x_{if}(w_i/n_i)^2 / (\sum_i w_i)^2$ (compound
    Poisson), as in the PHE/OHID DSR guidance for non-independent events.

    Parameters
    ----------
    data
        Tidy frame, one row per age band (per group; per event frequency for
        non-independent events).
    x, n
        Event count and population columns. A missing ``x`` is taken as 0
        events. ``n`` must be positive in every age band.
    stdpop
        Standard population: a column of ``data``; or a sequence of weights
        matched **by position** to the age bands of each group (youngest first,
        every group must have ``len(stdpop)`` age bands); ``None`` (default)
        uses the 2013 European Standard Population (`esp2013()`, 19 bands
        0-4 ... 90+) by position.
    multiplier
        Rate per ``multiplier`` persons.
    confidence
        A level such as 0.95, or a sequence such as ``(0.95, 0.998)``.
    group_by
        Column(s) identifying each area / period; ``None`` standardises the
        whole frame as one group.
    independent_events
        ``False`` for the non-independent-events variant (needs ``eventfreq``
        and ``ageband``).
    eventfreq, ageband
        Columns holding the event frequency and the age band (non-independent
        events only).
    min_count
        Suppress the DSR when the total count is below this.

    Returns
    -------
    pandas.DataFrame
        One row per group: the group keys, summed ``x`` and ``n``, ``value``,
        the interval columns and ``method`` (``"Dobson"`` or ``"Dobson, with
        confidence adjusted for non-independent events"``).
        ``attrs["suppressed"]`` lists the groups suppressed for small counts.

    Raises
    ------
    ValueError
        If a count is negative, a population is missing or not positive, or the
        standard population does not match the age bands.
    """
    levels, multiple = _levels(confidence)
    keys = _keys(group_by)
    cols = [x, n]
    if isinstance(stdpop, str):
        cols.append(stdpop)
    if not independent_events:
        if eventfreq is None or ageband is None:
            raise ValueError("non-independent events need both eventfreq= and ageband=")
        cols += [eventfreq, ageband]
    _require(data, [*cols, *keys])
    work = data[[*keys, *dict.fromkeys(cols)]].copy()
    xv = _numeric(work, x)
    nv = _numeric(work, n)
    _check_nonnegative(work, x, xv)
    _fail_first(work, np.isnan(nv), n, "population is missing", nv, False)
    _check_positive(work, n, nv)
    work["_x"] = np.nan_to_num(xv, nan=0.0)
    work["_n"] = nv
    if not independent_events:
        fv = _numeric(work, eventfreq)
        _fail_first(work, ~(fv >= 1), eventfreq, "event frequency must be >= 1", fv, False)
        work["_fx"] = fv * work["_x"]
        if isinstance(stdpop, str):
            work["_w"] = _numeric(work, stdpop)
        band_keys = [*keys, ageband]
        g = work.groupby(band_keys, sort=False, dropna=False, observed=True)
        n_min, n_max = g["_n"].min(), g["_n"].max()
        if (n_min != n_max).any():
            raise ValueError(
                f"column {n!r} must be the same on every event-frequency row of an age band"
            )
        agg = {"_x": "sum", "_fx": "sum", "_n": "first"}
        if "_w" in work:
            agg["_w"] = "first"
        work = g.agg(agg).reset_index()
    else:
        work["_fx"] = work["_x"]
        if isinstance(stdpop, str):
            work["_w"] = _numeric(work, stdpop)
    if "_w" not in work:
        work["_w"] = _assign_vector(work, keys, _stdpop_vector(stdpop), "stdpop")
    wn = work["_w"] / work["_n"]
    work["_wr"] = work["_x"] * wn
    work["_var"] = work["_fx"] * wn * wn
    if keys:
        g = work.groupby(keys, sort=True, dropna=False, observed=True)
        sums = g[["_x", "_n", "_wr", "_w", "_var"]].sum()
    else:
        sums = work[["_x", "_n", "_wr", "_w", "_var"]].sum().to_frame().T
    obs = sums["_x"].to_numpy(dtype=float)
    wsum = sums["_w"].to_numpy(dtype=float)
    value = sums["_wr"].to_numpy(dtype=float) / wsum
    var = sums["_var"].to_numpy(dtype=float) / wsum**2
    keep = obs >= min_count
    limits = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in levels:
            z = z_value(c)
            scale = np.sqrt(var / obs)
            lo = (value + scale * (byars_lower(obs, z) - obs)) * multiplier
            up = (value + scale * (byars_upper(obs, z) - obs)) * multiplier
            limits.append((np.where(keep, lo, np.nan), np.where(keep, up, np.nan)))
    out = pd.DataFrame({x: obs, n: sums["_n"].to_numpy(dtype=float)}, index=sums.index)
    label = "Dobson" if independent_events else (
        "Dobson, with confidence adjusted for non-independent events"
    )
    method = pd.Series(label, index=out.index, dtype="str")
    _put(out, np.where(keep, value * multiplier, np.nan), limits, levels, multiple, method)
    _attrs(out, f"dsr per {_fmt_mult(multiplier)}", multiplier, levels)
    if keys:
        out = out.reset_index()
        out.attrs["suppressed"] = [
            tuple(r) for r in out.loc[~keep, keys].itertuples(index=False, name=None)
        ]
    else:
        out = out.reset_index(drop=True)
        out.attrs["suppressed"] = [()] if not keep[0] else []
    out.attrs["suppression_rule"] = f"DSR not published when total count < {min_count}"
    return out


# ---------------------------------------------------------------------------
# indirectly standardised ratios and rates
# ---------------------------------------------------------------------------


def _isr_core(
    data: pd.DataFrame,
    x: str | None,
    n: str,
    x_ref: str | Sequence[float],
    n_ref: str | Sequence[float],
    confidence: Confidence,
    group_by: GroupBy,
    observed_totals: pd.DataFrame | pd.Series | float | None,
) -> tuple[pd.DataFrame, list[float], bool, list[str], np.ndarray, np.ndarray, np.ndarray]:
    levels, multiple = _levels(confidence)
    keys = _keys(group_by)
    if x is None and observed_totals is None:
        raise ValueError("give the observed events: x= (a column) or observed_totals=")
    cols = [n] + ([x] if x is not None else [])
    cols += [c for c in (x_ref, n_ref) if isinstance(c, str)]
    _require(data, [*cols, *keys])
    work = data[[*keys, *dict.fromkeys(cols)]].copy()
    nv = _numeric(work, n)
    _check_nonnegative(work, n, nv)
    work["_n"] = np.nan_to_num(nv, nan=0.0)
    if x is not None:
        xv = _numeric(work, x)
        _check_nonnegative(work, x, xv)
        work["_x"] = np.nan_to_num(xv, nan=0.0)
    else:
        work["_x"] = 0.0
    for name, ref in (("_xr", x_ref), ("_nr", n_ref)):
        if isinstance(ref, str):
            vals = _numeric(work, ref)
        else:
            vec = np.asarray(ref, dtype=float)
            vals = _assign_vector(work, keys, vec, "x_ref" if name == "_xr" else "n_ref")
        work[name] = vals
    xr = work["_xr"].to_numpy(dtype=float)
    _check_nonnegative(work, x_ref if isinstance(x_ref, str) else "x_ref", xr)
    work["_xr"] = np.nan_to_num(xr, nan=0.0)
    nr = work["_nr"].to_numpy(dtype=float)
    ref_name = n_ref if isinstance(n_ref, str) else "n_ref"
    _fail_first(work, np.isnan(nr), ref_name, "reference population is missing", nr, False)
    _check_positive(work, ref_name, nr)
    work["_e"] = work["_xr"] / work["_nr"] * work["_n"]
    if keys:
        g = work.groupby(keys, sort=True, dropna=False, observed=True)
        sums = g[["_x", "_e", "_xr", "_nr"]].sum()
    else:
        sums = work[["_x", "_e", "_xr", "_nr"]].sum().to_frame().T
    if observed_totals is not None:
        sums["_x"] = _observed_from(observed_totals, sums.index, keys, x)
    obs = sums["_x"].to_numpy(dtype=float)
    exp = sums["_e"].to_numpy(dtype=float)
    _fail_first(sums, ~(exp > 0), "expected", "no expected events", exp, bool(keys))
    _check_nonnegative(sums, x or "observed", obs, bool(keys))
    ref_rate = sums["_xr"].to_numpy(dtype=float) / sums["_nr"].to_numpy(dtype=float)
    out = pd.DataFrame({x or "observed": obs, "expected": exp}, index=sums.index)
    return out, levels, multiple, keys, obs, exp, ref_rate


def _observed_from(
    totals: pd.DataFrame | pd.Series | float, index: pd.Index, keys: list[str], x: str | None
) -> np.ndarray:
    if np.isscalar(totals):
        if keys:
            raise ValueError("a scalar observed_totals needs group_by=None")
        return np.array([float(totals)])
    if isinstance(totals, pd.DataFrame):
        if not keys:
            raise ValueError("observed_totals as a frame needs group_by; pass a number instead")
        col = x if x is not None and x in totals.columns else None
        if col is None:
            others = [c for c in totals.columns if c not in keys]
            if len(others) != 1:
                raise ValueError(
                    "observed_totals must have the group keys and one count column"
                )
            col = others[0]
        totals = totals.set_index(keys)[col]
    series = totals.reindex(index)
    if series.isna().any():
        missing = list(series.index[series.isna()])
        raise ValueError(f"observed_totals has no count for group(s) {missing}")
    return series.to_numpy(dtype=float)


def isratio(
    data: pd.DataFrame,
    x: str | None = "x",
    n: str = "n",
    x_ref: str | Sequence[float] = "x_ref",
    n_ref: str | Sequence[float] = "n_ref",
    *,
    refvalue: float = 1,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
    observed_totals: pd.DataFrame | pd.Series | float | None = None,
) -> pd.DataFrame:
    r"""Indirectly standardised ratios (e.g. SMR) with exact or Byar's limits.

    Expected events $E = \sum_i (x^{ref}_i / n^{ref}_i)\, n_i$, observed
    $O = \sum_i x_i$; ratio $O / E \times r$ (``refvalue`` ``r``,
    1 or 100). Limits are those of $O$ divided by $E$ times
    $r$: exact Poisson (chi-square, Garwood 1936) when $O < 10$,
    Byar's approximation otherwise (Breslow & Day 1987; APHO Technical
    Briefing 3, 2008).

    Parameters
    ----------
    data
        Tidy frame, one row per age band (per group).
    x
        Observed events per age band (missing = 0). ``None`` when only totals
        are known: then pass ``observed_totals``.
    n
        Local population per age band. A missing population is taken as 0 (the
        band contributes no expected events), as in PHEindicatormethods.
    x_ref, n_ref
        Reference events and population per age band: column names, or
        sequences matched **by position** to each group's age bands. A missing
        reference count is taken as 0; reference populations must be positive.
    refvalue
        1 for a ratio, 100 for a ratio x 100.
    confidence
        A level such as 0.95, or a sequence such as ``(0.95, 0.998)``.
    group_by
        Column(s) identifying each area.
    observed_totals
        Observed totals replacing the sum of ``x``: a Series indexed by the
        group key, a frame with the key columns and one count column, or a
        number when ``group_by`` is ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per group: keys, observed (named ``x``, or ``observed``),
        ``expected``, ``value``, interval columns, ``method`` (``"Exact"`` or
        ``"Byars"``).

    Raises
    ------
    ValueError
        For negative counts or populations, non-positive reference populations
        or a group with no expected events.
    """
    out, levels, multiple, keys, obs, exp, _ = _isr_core(
        data, x, n, x_ref, n_ref, confidence, group_by, observed_totals
    )
    return _scaled_ratio(out, obs, exp, refvalue, levels, multiple, keys,
                         f"indirectly standardised ratio x {_fmt_mult(refvalue)}", refvalue)


def _scaled_ratio(out: pd.DataFrame, obs: np.ndarray, exp: np.ndarray, scale: float | np.ndarray,
                  levels: list[float], multiple: bool, keys: list[str], label: str,
                  multiplier: float) -> pd.DataFrame:
    """Finish an ISR or ISRatio: (O / E) x scale with exact/Byars limits of O, scaled alike."""
    limits = []
    exact = obs < EXACT_BELOW
    for c in levels:
        lo, up, exact = _poisson_limits(obs, c)
        limits.append((lo / exp * scale, up / exp * scale))
    method = pd.Series(np.where(exact, "Exact", "Byars"), index=out.index, dtype="str")
    _put(out, obs / exp * scale, limits, levels, multiple, method)
    _attrs(out, label, multiplier, levels)
    return _finish(out, keys)


def isr(
    data: pd.DataFrame,
    x: str | None = "x",
    n: str = "n",
    x_ref: str | Sequence[float] = "x_ref",
    n_ref: str | Sequence[float] = "n_ref",
    *,
    multiplier: float = 100_000,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
    observed_totals: pd.DataFrame | pd.Series | float | None = None,
) -> pd.DataFrame:
    r"""Indirectly standardised rates with exact or Byar's limits.

    $\mathrm{ISR} = O / E \times R$, where $R = \sum x^{ref} /
    \sum n^{ref} \times m$ is the crude reference rate (computed within each
    group from its reference rows, or from the reference vectors). Limits are
    those of $O$ (exact Poisson below 10 events, Byar's otherwise)
    divided by $E$ and multiplied by $R$. Source: APHO Technical
    Briefing 3 (2008); Breslow & Day (1987).

    Parameters
    ----------
    data, x, n, x_ref, n_ref, confidence, group_by, observed_totals
        As `isratio()`.
    multiplier
        Rate per ``multiplier`` persons.

    Returns
    -------
    pandas.DataFrame
        As `isratio()` plus ``ref_rate`` (the reference rate $R$).

    Raises
    ------
    ValueError
        As `isratio()`.
    """
    out, levels, multiple, keys, obs, exp, ref_rate = _isr_core(
        data, x, n, x_ref, n_ref, confidence, group_by, observed_totals
    )
    rate = ref_rate * multiplier
    out["ref_rate"] = rate
    return _scaled_ratio(out, obs, exp, rate, levels, multiple, keys,
                         f"indirectly standardised rate per {_fmt_mult(multiplier)}",
                         multiplier)


# ---------------------------------------------------------------------------
# means
# ---------------------------------------------------------------------------


def mean_ci(
    data: pd.DataFrame,
    x: str = "x",
    *,
    confidence: Confidence = 0.95,
    group_by: GroupBy = None,
) -> pd.DataFrame:
    r"""Means with Student's t intervals.

    $\bar{x} \pm t_{1-\alpha/2,\,k-1}\, s / \sqrt{k}$ for $k$
    non-missing values with sample standard deviation $s$ (Student 1908;
    APHO Technical Briefing 3, 2008).

    Parameters
    ----------
    data
        Tidy frame, one row per observation.
    x
        Column of values. Missing values are dropped (and not counted).
    confidence
        A level such as 0.95, or a sequence such as ``(0.95, 0.998)``.
    group_by
        Column(s) to compute a mean within; ``None`` for one overall mean.

    Returns
    -------
    pandas.DataFrame
        One row per group: keys, ``value_sum``, ``value_count``, ``stdev``,
        ``value``, interval columns, ``method`` (``"Student's t-distribution"``).
        Groups with fewer than two values get missing limits.
    """
    levels, multiple = _levels(confidence)
    keys = _keys(group_by)
    _require(data, [x, *keys])
    vals = pd.Series(_numeric(data, x), index=data.index)
    if keys:
        g = vals.groupby([data[k] for k in keys], sort=True, dropna=False, observed=True)
        agg = pd.DataFrame({"value_sum": g.sum(), "value_count": g.count(), "stdev": g.std()})
        agg.index.names = keys
    else:
        agg = pd.DataFrame(
            {"value_sum": [vals.sum()], "value_count": [vals.count()], "stdev": [vals.std()]}
        )
    k = agg["value_count"].to_numpy(dtype=float)
    sd = agg["stdev"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = agg["value_sum"].to_numpy(dtype=float) / k
        limits = []
        for c in levels:
            t = np.where(k > 1, stats.t.ppf(1.0 - (1.0 - c) / 2.0, np.maximum(k - 1, 1)), np.nan)
            half = t * sd / np.sqrt(k)
            limits.append((mean - half, mean + half))
    ok = k > 0
    method = _method(np.full(len(agg), "Student's t-distribution"), ok, agg.index)
    _put(agg, np.where(ok, mean, np.nan), limits, levels, multiple, method)
    _attrs(agg, "mean", 1, levels)
    return _finish(agg, keys)
