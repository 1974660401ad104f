"""The tidy-frame conventions every indicator function shares.

Normalising ``confidence`` and ``group_by``, checking the input columns (the
error names the row index or group and the column), summing within groups, and
writing the output columns ``value``, ``lower_ci`` / ``upper_ci`` (or one pair
per level), ``confidence`` and ``method`` with the ``frame.attrs`` record. See
`lvrn_analysis.stats.indicators` for the convention itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lvrn_analysis.stats.indicators.intervals import _check_level, level_suffix

#: A confidence level such as 0.95, or a sequence of levels such as ``(0.95, 0.998)``.
Confidence = float | Sequence[float]
#: Column(s) to group by, or ``None``.
GroupBy = str | Sequence[str] | None


def _levels(confidence: Confidence) -> tuple[list[float], bool]:
    """Normalise ``confidence`` to a list of levels and a 'multiple' flag."""
    if isinstance(confidence, int | float | np.floating | np.integer):
        return [_check_level(confidence)], False
    levels = [_check_level(c) for c in confidence]
    if not levels:
        raise ValueError("confidence must not be an empty sequence")
    return levels, True


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


def _fmt_mult(multiplier: float) -> str:
    return f"{multiplier:g}" if multiplier < 1e6 else f"{multiplier:.0f}"
