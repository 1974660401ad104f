r"""Input validation and design matrices for segmented (interrupted time-series) regression.

The parametrisation follows Lopez Bernal, Cummins & Gasparrini (2017), "Interrupted time
series regression for the evaluation of public health interventions: a tutorial",
*Int J Epidemiol* 46(1):348-355, and the accompanying ``Rcode.R``
(gasparrini/2017_lopezbernal_IJE_codedata):

$$
\log E[Y_t] = \log(\text{exposure}_t) + \beta_0 + \beta_1 t
    + \sum_j \big(\beta_{2j}\,\text{level}_{jt} + \beta_{3j}\,\text{slope}_{jt}\big)
    + \text{season}_t + \gamma' z_t
$$

with

* ``time`` $t = 1, \dots, T$ (one unit per period, as the tutorial's ``time``),
* ``level[j]`` the step, 0 before interruption *j* and 1 from its first post period
  $t_j$ on (the tutorial's ``smokban``),
* ``slope[j]`` $= (t - t_j + 1)\,\text{level}_{jt}$, i.e. 1 in the first post
  period, exactly as ``I(time-36):smokban`` in ``Rcode.R`` model 4. With this coding
  the level change is the step extrapolated to the period *before* the first post
  period; the change in the first post period is $\beta_2 + \beta_3$.
* Fourier seasonality (Bhaskaran et al. 2013, "Time series regression studies in
  environmental epidemiology", *Int J Epidemiol* 42(4):1187-1195): the columns of R's
  ``tsModel::harmonic(month, k, 12)``, i.e. ``sin1..sink`` then ``cos1..cosk`` of
  $2\pi k \cdot \text{month}/12$, or 11 month dummies (January reference).

A *transition window* of ``w`` periods after an interruption (Lopez Bernal 2017,
"lag period") is handled in one of two ways:

* ``"exclude"``: the ``w`` periods from the interruption on are dropped from the fit
  (they still get predictions) and the step and slope start after the window;
* ``"phase"``: the step rises linearly, $(t - t_j + 1)/(w + 1)$, reaching 1 at
  the end of the window (a phased-in effect); the slope term starts at $t_j$.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Interruption",
    "SeriesFrame",
    "build_design",
    "harmonic",
    "lockdown_covariates",
    "parse_interruptions",
    "validate_series",
]

#: Days in a mean Gregorian year divided by 7: the seasonal period of a weekly series.
WEEKS_PER_YEAR = 365.2425 / 7.0


@dataclass(frozen=True)
class SeriesFrame:
    """A validated, regular time series.

    Attributes
    ----------
    data
        Columns ``date`` (period start, datetime64), ``count`` (float, integer-valued)
        and ``exposure`` (float, 1 when no exposure was given), in time order.
    freq
        ``"M"`` (monthly) or ``"W"`` (weekly).
    periods
        The periods, as a `pandas.PeriodIndex`.
    """

    data: pd.DataFrame
    freq: str
    periods: pd.PeriodIndex

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.data)

    @property
    def season_period(self) -> float:
        """Length of the seasonal cycle in periods (12 or about 52.18)."""
        return 12.0 if self.freq == "M" else WEEKS_PER_YEAR


@dataclass(frozen=True)
class Interruption:
    """One interruption (intervention go-live) of a series.

    Attributes
    ----------
    label
        Name used in term names and tables (default: the ISO date).
    date
        The date given.
    index
        0-based position of the first post-interruption period (the period that
        contains ``date``).
    transition
        Length of the transition window, in periods.
    """

    label: str
    date: pd.Timestamp
    index: int
    transition: int = 0


def _to_periods(values: pd.Series, freq: str | None, name: str) -> tuple[pd.PeriodIndex, str]:
    """Convert a date column (datetime64 or Period) to a PeriodIndex and its frequency."""
    if values.isna().any():
        raise ValueError(f"date column {name!r} has {int(values.isna().sum())} missing value(s)")
    if isinstance(values.dtype, pd.PeriodDtype):
        pidx = pd.PeriodIndex(values)
        code = pidx.freqstr[0]
        if code not in ("M", "W"):
            raise ValueError(f"date column {name!r} has period frequency {pidx.freqstr!r}; "
                             "only monthly ('M') or weekly ('W') series are supported")
        if freq is not None and freq != code:
            raise ValueError(f"freq={freq!r} does not match the {pidx.freqstr!r} periods "
                             f"of column {name!r}")
        return pidx, code
    try:
        ts = pd.DatetimeIndex(pd.to_datetime(values))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"date column {name!r} cannot be read as dates: {exc}") from exc
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    if freq is None:
        if (ts.day == 1).all() and (ts.normalize() == ts).all():
            freq = "M"
        else:
            days = np.diff(ts.values).astype("timedelta64[D]").astype(int)
            if len(days) and (days % 7 == 0).all():
                freq = "W"
            else:
                raise ValueError(
                    f"date column {name!r}: cannot tell the frequency; give month-start dates "
                    "(day 1) for a monthly series, dates 7 days apart for a weekly series, "
                    "pandas Periods, or pass freq='M' / freq='W'")
    if freq == "M":
        return ts.to_period("M"), "M"
    if freq == "W":
        # anchor weeks on the weekday of the first date so that each date starts a period
        anchor = ts[0].day_name()[:3].upper()
        end_day = {"MON": "SUN", "TUE": "MON", "WED": "TUE", "THU": "WED", "FRI": "THU",
                   "SAT": "FRI", "SUN": "SAT"}[anchor]
        return ts.to_period(f"W-{end_day}"), "W"
    raise ValueError(f"freq must be 'M', 'W' or None, got {freq!r}")


def validate_series(
    df: pd.DataFrame,
    date: str,
    outcome: str,
    exposure: str | None = None,
    *,
    freq: str | None = None,
    what: str = "series",
) -> SeriesFrame:
    """Check and standardise a count series.

    Parameters
    ----------
    df
        One row per period.
    date
        Column of period dates: datetime64 month starts (monthly), dates 7 days apart
        (weekly) or `pandas.Period` values.
    outcome
        Column of non-negative integer counts.
    exposure
        Optional column of strictly positive exposures (population, person-time),
        entered as ``log(exposure)`` offset.
    freq
        ``"M"``, ``"W"`` or ``None`` to infer.
    what
        Name of the series for error messages.

    Returns
    -------
    SeriesFrame
        The validated series.

    Raises
    ------
    ValueError
        If a column is missing, dates are unsorted, duplicated or have gaps (gaps are
        reported, never zero-filled), counts are missing, negative or non-integer, or
        an exposure is missing or not strictly positive.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    for col in (date, outcome) + ((exposure,) if exposure else ()):
        if col not in df.columns:
            raise ValueError(f"{what}: column {col!r} not found (columns: {list(df.columns)})")
    if len(df) < 3:
        raise ValueError(f"{what}: at least 3 periods are needed, got {len(df)}")
    periods, code = _to_periods(df[date].reset_index(drop=True), freq, date)
    ordinal = np.asarray(periods.asi8 if hasattr(periods, "asi8") else periods.astype(int))
    dup = periods[pd.Index(periods).duplicated()]
    if len(dup):
        raise ValueError(f"{what}: duplicate dates in {date!r}: "
                         f"{', '.join(str(p) for p in dup.unique()[:10])}")
    step = np.diff(ordinal)
    if (step < 0).any():
        pos = int(np.argmax(step < 0))
        raise ValueError(f"{what}: dates in {date!r} are not sorted ({periods[pos]} is followed "
                         f"by {periods[pos + 1]}); sort the frame by date first")
    if (step > 1).any():
        full = pd.period_range(periods[0], periods[-1], freq=periods.freq)
        missing = full.difference(periods)
        shown = ", ".join(str(p) for p in missing[:12])
        more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
        raise ValueError(f"{what}: {len(missing)} missing period(s) in {date!r}: {shown}{more}. "
                         "Gaps are not zero-filled: supply the counts (0 if truly none) or "
                         "shorten the series")
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"{what}: outcome {outcome!r} has {int(np.isnan(y).sum())} missing or "
                         "non-numeric value(s)")
    if (y < 0).any():
        raise ValueError(f"{what}: outcome {outcome!r} has negative counts "
                         f"(first at {periods[int(np.argmax(y < 0))]})")
    if not np.allclose(y, np.round(y), rtol=0, atol=1e-9):
        bad = int(np.argmax(~np.isclose(y, np.round(y), rtol=0, atol=1e-9)))
        raise ValueError(f"{what}: outcome {outcome!r} must hold integer counts; "
                         f"got {y[bad]!r} at {periods[bad]}")
    if exposure:
        e = pd.to_numeric(df[exposure], errors="coerce").to_numpy(dtype=float)
        if np.isnan(e).any():
            raise ValueError(f"{what}: exposure {exposure!r} has missing values")
        if (e <= 0).any():
            raise ValueError(f"{what}: exposure {exposure!r} must be > 0; got {e[e <= 0][0]!r} "
                             f"at {periods[int(np.argmax(e <= 0))]}")
    else:
        e = np.ones(len(y))
    data = pd.DataFrame({"date": periods.to_timestamp(how="start"), "count": np.round(y),
                         "exposure": e})
    return SeriesFrame(data=data, freq=code, periods=periods)


def parse_interruptions(
    interruptions: Sequence[object] | Mapping[str, object] | str | pd.Timestamp,
    series: SeriesFrame,
    transition: int | Sequence[int] = 0,
) -> list[Interruption]:
    """Map interruption dates to positions in a validated series.

    Parameters
    ----------
    interruptions
        One date, a sequence of dates (labels become the ISO dates) or a mapping
        ``label -> date``. The first post period is the period containing the date.
    series
        The validated series.
    transition
        Transition window length(s), one per interruption or one for all.

    Returns
    -------
    list of Interruption
        In time order.

    Raises
    ------
    ValueError
        If an interruption is not inside the series (at least two periods before and
        one after are required), or two interruptions fall in the same period.
    """
    if isinstance(interruptions, (str, pd.Timestamp, np.datetime64)):
        interruptions = [interruptions]
    if isinstance(interruptions, Mapping):
        items = [(str(k), v) for k, v in interruptions.items()]
    else:
        items = []
        for v in interruptions:
            ts = pd.Timestamp(v)
            items.append((ts.strftime("%Y-%m-%d"), v))
    if not items:
        raise ValueError("at least one interruption date is needed")
    trans = [int(transition)] * len(items) if np.isscalar(transition) else list(transition)
    if len(trans) != len(items):
        raise ValueError(f"transition has {len(trans)} values for {len(items)} interruptions")
    out: list[Interruption] = []
    first, last = series.periods[0], series.periods[-1]
    for (label, value), w in zip(items, trans, strict=True):
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"interruption {label!r}: cannot read {value!r} as a date") from exc
        if w < 0:
            raise ValueError(f"interruption {label!r}: transition must be >= 0, got {w}")
        per = ts.to_period(series.periods.freq)
        pos = int(series.periods.get_indexer([per])[0])
        if pos < 0:
            raise ValueError(f"interruption {label!r} ({ts.date()}) is outside the series "
                             f"({first} to {last})")
        if pos < 2 or pos + w >= series.n:
            raise ValueError(f"interruption {label!r} ({ts.date()}) leaves too few periods: "
                             f"{pos} before and {series.n - pos - w} after the transition "
                             "window (need >= 2 before and >= 1 after)")
        out.append(Interruption(label=label, date=ts, index=pos, transition=w))
    out.sort(key=lambda i: i.index)
    idx = [i.index for i in out]
    if len(set(idx)) != len(idx):
        raise ValueError("two interruptions fall in the same period")
    if len({i.label for i in out}) != len(out):
        raise ValueError("interruption labels must be unique")
    return out


def harmonic(x: np.ndarray | Sequence[float], nfreq: int, period: float) -> np.ndarray:
    """Fourier terms exactly as R's ``tsModel::harmonic(x, nfreq, period)``.

    Parameters
    ----------
    x
        Position in the cycle (for monthly data the calendar month, 1-12).
    nfreq
        Number of sine/cosine pairs ``k``.
    period
        Cycle length in units of ``x``.

    Returns
    -------
    numpy.ndarray
        ``(len(x), 2*nfreq)`` array: ``sin(2*pi*x*j/period)`` for ``j = 1..k``, then the
        cosines, the column order of ``tsModel::harmonic``.

    Notes
    -----
    Bhaskaran K, Gasparrini A, Hajat S, Smeeth L, Armstrong B (2013). Time series
    regression studies in environmental epidemiology. *Int J Epidemiol* 42(4):1187-1195.
    """
    if nfreq > period / 2:
        raise ValueError(f"harmonics must be <= period/2 = {period / 2:g}, got {nfreq}")
    x = np.asarray(x, dtype=float)
    m = np.outer(2.0 * np.pi * x / period, np.arange(1, nfreq + 1))
    return np.column_stack([np.sin(m), np.cos(m)]) if nfreq else np.empty((len(x), 0))


def lockdown_covariates(series: SeriesFrame) -> pd.DataFrame:
    """Fraction of each period inside each English national COVID-19 lockdown.

    Uses `lvrn_analysis.config.periods.lockdown_fraction()` for monthly series and the
    same overlap rule per week for weekly series. Lockdowns that do not overlap the
    series are dropped.

    Parameters
    ----------
    series
        The validated series.

    Returns
    -------
    pandas.DataFrame
        One column per lockdown (``period_id``), one row per period.
    """
    from lvrn_analysis.config import periods as _periods

    if series.freq == "M":
        frac = _periods.lockdown_fraction(series.data["date"])
    else:
        starts = series.periods.to_timestamp(how="start")
        ends = series.periods.to_timestamp(how="end").normalize()
        frac = pd.DataFrame(index=range(series.n))
        for row in _periods.lockdowns().itertuples(index=False):
            lo = np.maximum(starts.values, np.datetime64(row.start, "ns"))
            hi = np.minimum(ends.values, np.datetime64(row.end, "ns"))
            days = (hi - lo).astype("timedelta64[D]").astype(float) + 1
            frac[row.period_id] = np.clip(days, 0, None) / 7.0
    frac = frac.loc[:, (frac > 0).any(axis=0)]
    frac.index = range(series.n)
    return frac.astype(float)


def build_design(
    series: SeriesFrame,
    interruptions: Sequence[Interruption],
    *,
    slope_change: bool | Sequence[bool] = True,
    harmonics: int = 2,
    seasonality: str = "fourier",
    covariates: pd.DataFrame | None = None,
    transition_mode: str = "exclude",
) -> tuple[pd.DataFrame, np.ndarray, dict[str, dict[str, str]]]:
    """Build the segmented-regression design matrix.

    Parameters
    ----------
    series
        Validated series (gives dates and frequency).
    interruptions
        Parsed interruptions.
    slope_change
        Whether to add a slope-change term, for all or per interruption.
    harmonics
        Number of Fourier pairs (``seasonality="fourier"``); 0 for none.
    seasonality
        ``"fourier"``, ``"dummies"`` (month dummies, monthly series only) or ``"none"``.
    covariates
        Time-varying covariates, one row per period (same order), numeric.
    transition_mode
        ``"exclude"`` or ``"phase"``; see the module docstring.

    Returns
    -------
    X : pandas.DataFrame
        Design matrix with columns ``const``, ``time``, seasonal terms, covariates, and
        ``level[label]`` / ``slope[label]`` per interruption.
    excluded : numpy.ndarray
        Boolean mask of periods excluded from the fit (transition windows).
    terms : dict
        ``{"level": {label: column}, "slope": {label: column}}``.
    """
    n = series.n
    t = np.arange(1, n + 1, dtype=float)
    cols: dict[str, np.ndarray] = {"const": np.ones(n), "time": t}
    dates = series.data["date"]
    if seasonality not in ("fourier", "dummies", "none"):
        raise ValueError(f"seasonality must be 'fourier', 'dummies' or 'none', got {seasonality!r}")
    if harmonics < 0:
        raise ValueError(f"harmonics must be >= 0, got {harmonics}")
    if seasonality == "fourier" and harmonics > 0:
        if series.freq == "M":
            x = dates.dt.month.to_numpy(dtype=float)
            period = 12.0
        else:
            x = (dates.dt.day_of_year.to_numpy(dtype=float) - 1.0) / 7.0
            period = WEEKS_PER_YEAR
        h = harmonic(x, harmonics, period)
        names = [f"sin{j}" for j in range(1, harmonics + 1)] + \
                [f"cos{j}" for j in range(1, harmonics + 1)]
        for j, nm in enumerate(names):
            if np.ptp(h[:, j]) > 1e-12:  # sin(pi*month) is identically 0 for k = 6
                cols[nm] = h[:, j]
    elif seasonality == "dummies":
        if series.freq != "M":
            raise ValueError("month dummies need a monthly series; use seasonality='fourier'")
        month = dates.dt.month.to_numpy()
        for m in range(2, 13):
            if (month == m).any():
                cols[f"month{m:02d}"] = (month == m).astype(float)
    if covariates is not None and covariates.shape[1]:
        if len(covariates) != n:
            raise ValueError(f"covariates have {len(covariates)} rows for {n} periods")
        for c in covariates.columns:
            v = pd.to_numeric(covariates[c], errors="coerce").to_numpy(dtype=float)
            if np.isnan(v).any():
                raise ValueError(f"covariate {c!r} has missing or non-numeric values")
            if str(c) in cols:
                raise ValueError(f"covariate name {c!r} clashes with a design term")
            cols[str(c)] = v
    slopes = ([bool(slope_change)] * len(interruptions) if isinstance(slope_change, bool)
              else list(slope_change))
    if len(slopes) != len(interruptions):
        raise ValueError(f"slope_change has {len(slopes)} values for "
                         f"{len(interruptions)} interruptions")
    if transition_mode not in ("exclude", "phase"):
        raise ValueError(f"transition_mode must be 'exclude' or 'phase', got {transition_mode!r}")
    excluded = np.zeros(n, dtype=bool)
    terms: dict[str, dict[str, str]] = {"level": {}, "slope": {}}
    pos = np.arange(n)
    for intr, has_slope in zip(interruptions, slopes, strict=True):
        w = intr.transition
        if transition_mode == "exclude":
            start = intr.index + w
            excluded[intr.index:start] = True
            level = (pos >= start).astype(float)
            slope = (pos - start + 1) * level
        else:
            start = intr.index
            level = np.clip((pos - start + 1) / (w + 1), 0.0, 1.0)
            slope = (pos - start + 1) * (pos >= start)
        lv, sl = f"level[{intr.label}]", f"slope[{intr.label}]"
        cols[lv] = level
        terms["level"][intr.label] = lv
        if has_slope:
            cols[sl] = slope.astype(float)
            terms["slope"][intr.label] = sl
    X = pd.DataFrame(cols, index=range(n))
    return X, excluded, terms
