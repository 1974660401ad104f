"""Crude rates (exact Poisson or Byar's limits) and proportions (Wilson limits)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.stats.indicators.intervals import (
    EXACT_BELOW,
    _poisson_limits,
    wilson_interval,
)
from lvrn_analysis.stats.indicators.tidy import (
    Confidence,
    GroupBy,
    _attrs,
    _check_nonnegative,
    _check_positive,
    _fail_first,
    _finish,
    _fmt_mult,
    _interval_columns,
    _levels,
    _method,
    _numeric,
    _prepare,
    _put,
)

__all__ = ["crude_rate", "proportion"]


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
