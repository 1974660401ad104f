"""Means with Student's t confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lvrn_analysis.stats.indicators.tidy import (
    Confidence,
    GroupBy,
    _attrs,
    _finish,
    _keys,
    _levels,
    _method,
    _numeric,
    _put,
    _require,
)

__all__ = ["mean_ci"]


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
