"""Age-standardised rates: DSR (Dobson limits, 2013 European Standard Population) and ISR.

* `dsr()` — directly standardised rates, weights from `esp2013()` by default;
* `isratio()` and `isr()` — indirectly standardised ratios (e.g. SMR) and rates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.stats.indicators.intervals import (
    EXACT_BELOW,
    _poisson_limits,
    byars_lower,
    byars_upper,
    z_value,
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
    _keys,
    _levels,
    _numeric,
    _put,
    _require,
)

__all__ = ["DSR_MIN_COUNT", "dsr", "esp2013", "isr", "isratio"]

#: DSRs are not published when the total count is below this (PHE guidance).
DSR_MIN_COUNT = 10


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
