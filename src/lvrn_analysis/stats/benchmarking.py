"""Benchmark comparisons the Fingertips way, and quintile ranking.

Fingertips (OHID) colours an area by comparing its confidence interval with a
benchmark value (England, the region, or the county): if the interval lies
wholly above or below the benchmark the area is significantly higher or lower,
otherwise similar. Polarity turns higher/lower into better/worse:

==================  =====================  =====================  ============
polarity            interval above         interval below         overlaps
==================  =====================  =====================  ============
higher is better    ``"better"``           ``"worse"``            ``"similar"``
lower is better     ``"worse"``            ``"better"``           ``"similar"``
no judgement        ``"higher"``           ``"lower"``            ``"similar"``
==================  =====================  =====================  ============

Rows with a missing value, limit or benchmark are ``"not compared"``. Source:
the Fingertips comparison methods "Confidence intervals overlapping reference
value (95.0)" and "(99.8)" (OHID, formerly Public Health England), as
described in APHO Technical Briefing 3 (2008). The labels are the keys of
`lvrn_analysis.charts.plots.COLOURS`.

Quintile ranking (`quintiles()`) is Fingertips' alternative for indicators
without confidence intervals, or when the question is "where does this area
rank" rather than "is it significantly different".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LABELS",
    "POLARITIES",
    "classify",
    "compare_to_benchmark",
    "quintiles",
]

#: Polarity names accepted (with a few aliases in `_polarity()`).
POLARITIES: tuple[str, ...] = ("higher is better", "lower is better", "no judgement")

#: All labels `classify()` can return.
LABELS: tuple[str, ...] = ("better", "similar", "worse", "higher", "lower", "not compared")

_ALIASES = {
    "higher is better": "higher is better",
    "high is good": "higher is better",
    "rag - high is good": "higher is better",
    "lower is better": "lower is better",
    "low is good": "lower is better",
    "rag - low is good": "lower is better",
    "no judgement": "no judgement",
    "no judgment": "no judgement",
    "not applicable": "no judgement",
    "bob": "no judgement",
}

_QUINTILE_LABELS = {
    "higher is better": ("Worst", "Worse", "Middle", "Better", "Best"),
    "lower is better": ("Best", "Better", "Middle", "Worse", "Worst"),
    "no judgement": ("Lowest", "Low", "Middle", "High", "Highest"),
}


def _polarity(polarity: str) -> str:
    key = str(polarity).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    return _ALIASES[key]


def classify(
    lower: Any,
    upper: Any,
    benchmark: Any,
    polarity: str = "no judgement",
    *,
    benchmark_lower: Any = None,
    benchmark_upper: Any = None,
) -> np.ndarray:
    """Classify intervals against a benchmark (vectorised).

    An interval is significantly **higher** when ``lower > benchmark`` and
    **lower** when ``upper < benchmark``; otherwise (including touching) it is
    similar. If ``benchmark_lower``/``benchmark_upper`` are given, the two
    intervals are compared instead (higher when ``lower > benchmark_upper``):
    a more conservative test, used when the benchmark itself is uncertain
    (e.g. a small county).

    Parameters
    ----------
    lower, upper
        The area's confidence limits (scalars or array-likes).
    benchmark
        Benchmark value(s) (scalar or array-like, broadcast).
    polarity
        ``"higher is better"``, ``"lower is better"`` or ``"no judgement"``.
    benchmark_lower, benchmark_upper
        Optional benchmark interval (both or neither).

    Returns
    -------
    numpy.ndarray
        Object array of labels from `LABELS`.
    """
    pol = _polarity(polarity)
    lo = np.asarray(lower, dtype=float)
    up = np.asarray(upper, dtype=float)
    if (benchmark_lower is None) != (benchmark_upper is None):
        raise ValueError("give both benchmark_lower and benchmark_upper, or neither")
    if benchmark_lower is not None:
        b_lo = np.asarray(benchmark_lower, dtype=float)
        b_up = np.asarray(benchmark_upper, dtype=float)
    else:
        b_lo = b_up = np.asarray(benchmark, dtype=float)
    lo, up, b_lo, b_up = np.broadcast_arrays(lo, up, b_lo, b_up)
    missing = np.isnan(lo) | np.isnan(up) | np.isnan(b_lo) | np.isnan(b_up)
    with np.errstate(invalid="ignore"):
        high = lo > b_up
        low = up < b_lo
    above, below = {
        "higher is better": ("better", "worse"),
        "lower is better": ("worse", "better"),
        "no judgement": ("higher", "lower"),
    }[pol]
    out = np.full(lo.shape, "similar", dtype=object)
    out[high] = above
    out[low] = below
    out[missing] = "not compared"
    return out


def _interval_cols(frame: pd.DataFrame, level: float, lower: str | None, upper: str | None):
    if lower is not None and upper is not None:
        return lower, upper
    suffix = f"{round(level * 100.0, 6):g}".replace(".", "_")
    lo, up = f"lower_ci_{suffix}", f"upper_ci_{suffix}"
    if lo in frame.columns and up in frame.columns:
        return lo, up
    if "lower_ci" in frame.columns and "upper_ci" in frame.columns:
        if "confidence" in frame.columns:
            conf = pd.to_numeric(frame["confidence"], errors="coerce").dropna().unique()
            if len(conf) and not np.allclose(conf, level):
                raise ValueError(
                    f"frame holds {list(conf)} intervals but a {level} comparison was asked"
                )
        return "lower_ci", "upper_ci"
    raise KeyError(
        f"no interval columns for level {level}: expected {lo!r}/{up!r} or lower_ci/upper_ci"
    )


def compare_to_benchmark(
    data: pd.DataFrame,
    benchmark: float | str | pd.Series,
    *,
    polarity: str,
    level: float = 0.95,
    lower: str | None = None,
    upper: str | None = None,
    benchmark_lower: str | None = None,
    benchmark_upper: str | None = None,
    column: str = "comparison",
) -> pd.DataFrame:
    """Add a Fingertips-style comparison column to an indicator frame.

    See `classify()` for the rule and the module docstring for the source.

    Parameters
    ----------
    data
        Output of an `lvrn_analysis.stats.indicators` function (or any frame
        with interval columns).
    benchmark
        The benchmark value: a number (e.g. England's rate), the name of a
        column of ``data`` (e.g. each area's region value), or a Series aligned
        on ``data``'s index.
    polarity
        ``"higher is better"``, ``"lower is better"`` or ``"no judgement"``.
    level
        0.95 or 0.998: picks ``lower_ci_95``/``upper_ci_95`` (or
        ``lower_ci_99_8``...) when present, else ``lower_ci``/``upper_ci``
        (checked against a ``confidence`` column).
    lower, upper
        Explicit interval column names (override ``level``).
    benchmark_lower, benchmark_upper
        Optional columns holding the benchmark's own interval (interval
        overlap test).
    column
        Name of the new column.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``column`` added; ``attrs["comparison"]``
        records polarity, level and method.
    """
    lo_col, up_col = _interval_cols(data, level, lower, upper)
    if isinstance(benchmark, str):
        bench = data[benchmark].to_numpy(dtype=float)
        bench_name = benchmark
    elif isinstance(benchmark, pd.Series):
        bench = benchmark.reindex(data.index).to_numpy(dtype=float)
        bench_name = str(benchmark.name)
    else:
        bench = float(benchmark)
        bench_name = f"{bench:g}"
    b_lo = data[benchmark_lower].to_numpy(dtype=float) if benchmark_lower else None
    b_up = data[benchmark_upper].to_numpy(dtype=float) if benchmark_upper else None
    labels = classify(
        data[lo_col].to_numpy(dtype=float),
        data[up_col].to_numpy(dtype=float),
        bench,
        polarity,
        benchmark_lower=b_lo,
        benchmark_upper=b_up,
    )
    out = data.copy()
    out[column] = pd.Series(labels, index=out.index, dtype="str")
    out.attrs["comparison"] = {
        "polarity": _polarity(polarity),
        "level": level,
        "benchmark": bench_name,
        "method": (
            "confidence intervals overlapping benchmark interval"
            if benchmark_lower
            else "confidence interval overlapping benchmark value"
        ),
    }
    return out


def quintiles(
    data: pd.DataFrame,
    value: str = "value",
    *,
    polarity: str = "no judgement",
    group_by: str | Sequence[str] | None = None,
    column: str = "quintile",
) -> pd.DataFrame:
    r"""Rank areas into quintiles (Fingertips' quintile comparison).

    Within each comparator group, areas with a value are ranked from lowest to
    highest (ties share the lowest rank) and put in quintile
    $\lceil 5 r / k \rceil$ for rank $r$ of $k$ areas, so
    quintile 1 holds the lowest fifth. Labels follow polarity: ``Best`` ...
    ``Worst`` (``Best`` is quintile 5 when higher is better, 1 when lower is
    better) or ``Lowest`` ... ``Highest`` for no judgement.

    Parameters
    ----------
    data
        Frame with one row per area.
    value
        Column to rank.
    polarity
        As `classify()`.
    group_by
        Column(s) defining comparator groups (e.g. period); ``None`` ranks all
        rows together.
    column
        Name of the quintile column; the label goes in ``<column>_label``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``column`` (nullable ``Int64`` 1-5, missing
        where the value is missing) and ``<column>_label``.
    """
    pol = _polarity(polarity)
    vals = pd.to_numeric(data[value], errors="coerce")
    if group_by is None:
        rank = vals.rank(method="min")
        count = pd.Series(vals.count(), index=data.index, dtype=float)
    else:
        keys = [group_by] if isinstance(group_by, str) else list(group_by)
        g = vals.groupby([data[k] for k in keys], dropna=False, observed=True)
        rank = g.rank(method="min")
        count = g.transform("count").astype(float)
    q = np.ceil(5.0 * rank / count)
    out = data.copy()
    out[column] = pd.array(q.to_numpy(), dtype="Int64")
    labels = _QUINTILE_LABELS[pol]
    out[f"{column}_label"] = pd.Series(
        [labels[int(v) - 1] if pd.notna(v) else None for v in q], index=out.index, dtype="str"
    )
    return out
