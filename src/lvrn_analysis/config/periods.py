"""Reference calendar periods: England's COVID-19 national lockdowns.

The dates are shipped as reference data in
``reference/covid_restrictions_england.csv`` with a source for each row. The end
date of each lockdown is the last day on which the national stay-at-home (or
equivalent) rule applied; see the ``source`` column for the event that ended it.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file

_FILE = "covid_restrictions_england.csv"


def lockdowns() -> pd.DataFrame:
    """Return England's national COVID-19 lockdowns.

    Returns
    -------
    pandas.DataFrame
        Columns ``period_id``, ``name``, ``start``, ``end`` (datetime64, inclusive),
        ``kind`` and ``source``, one row per lockdown, sorted by start (a copy: the
        file is read once per process).
    """
    return _lockdowns().copy()


@functools.cache
def _lockdowns() -> pd.DataFrame:
    with reference_file(_FILE).open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str)
    df["start"] = pd.to_datetime(df["start"], format="%Y-%m-%d")
    df["end"] = pd.to_datetime(df["end"], format="%Y-%m-%d")
    return df.sort_values("start").reset_index(drop=True)


def lockdown_fraction(months: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
    """Share of each calendar month spent under each national lockdown.

    Useful as time-varying covariates in an interrupted time series: a month
    half inside a lockdown gets 0.5 rather than an arbitrary 0 or 1.

    Parameters
    ----------
    months
        Month-start dates.

    Returns
    -------
    pandas.DataFrame
        One row per input month (same order), one column per ``period_id`` with
        the fraction of days in that month inside the period (0 to 1).
    """
    idx = pd.DatetimeIndex(pd.to_datetime(months)).to_period("M")
    ld = _lockdowns()  # read only
    out = {}
    starts = idx.to_timestamp(how="start")
    ends = idx.to_timestamp(how="end").normalize()
    days = np.asarray((ends - starts).days + 1, dtype=float)
    for row in ld.itertuples(index=False):
        lo = np.maximum(starts.values, np.datetime64(row.start, "ns"))
        hi = np.minimum(ends.values, np.datetime64(row.end, "ns"))
        overlap = (hi - lo).astype("timedelta64[D]").astype(float) + 1
        out[row.period_id] = np.clip(overlap, 0, None) / days
    return pd.DataFrame(out, index=range(len(idx)))
