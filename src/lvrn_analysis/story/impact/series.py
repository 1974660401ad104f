"""The Impact page's series: framework indicators x areas, with monthly populations.

`build_framework_series()` turns a processed police table into the tidy series frame
the ITS engine expects (``indicator_id, area_code, date, count, population``), one series
per framework indicator x area (plus an area total).

Populations
-----------
The reference populations hold a few ONS mid-year estimates (for Lancashire mid-2019,
mid-2020 and mid-2022). Each month takes the estimate whose mid-year (1 July) is
closest to the middle of the month (the rule of
`lvrn_analysis.story.profile.nearest_mid_year()`; ties go to the earlier year), so months
up to December 2019 use mid-2019, January 2020 to June 2021 mid-2020 and later months
mid-2022. No interpolation or extrapolation is attempted.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import populations
from lvrn_analysis.config.outcomes import Indicator, OutcomesFramework, load_framework

__all__ = [
    "POLICE_SOURCE",
    "SYNTHETIC_SOURCES",
    "SYNTHETIC_TABLE_SOURCE",
    "TOTAL_CODE",
    "build_framework_series",
    "monthly_population",
    "total_name",
]

#: ``area_code`` of the whole-area total series (sum of the indicator's authorities).
TOTAL_CODE = "total"

#: Framework source id served by the processed police tables.
POLICE_SOURCE = "police_street"

#: Sources named under the charts built on the synthetic police series.
SYNTHETIC_SOURCES = [
    "synthetic data.police.uk-format street-level crime calibrated to the real "
    "Lancashire months (lvrn_analysis.synthetic.police)",
    "ONS mid-year population estimates (OGL v3.0)",
]

#: Disclosure source key for tables built on the synthetic police series. It is not
#: registered as exempt, so tables published under it are disclosure controlled.
SYNTHETIC_TABLE_SOURCE = "synthetic_police"


def monthly_population(area: AreaConfig, months: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """Return each authority's population in each month, from the nearest mid-year estimate.

    Parameters
    ----------
    area
        Area configuration (its authorities are returned).
    months
        Month-start dates.

    Returns
    -------
    pandas.DataFrame
        ``la_code, date, mid_year, population``, one row per authority x month. The
        mid-year is the available estimate closest to the middle of the month (the rule
        of `lvrn_analysis.story.profile.nearest_mid_year()`), using only mid-years
        available for every authority of the area.

    Raises
    ------
    ValueError
        If no mid-year estimate covers all the area's authorities.
    """
    pops = populations(area)
    per_year = pops.groupby("mid_year")["la_code"].nunique()
    years = sorted(int(y) for y, n in per_year.items() if n == len(area.authorities))
    if not years:
        raise ValueError(f"no mid-year population estimate covers all {len(area.authorities)} "
                         f"authorities of {area.id}")
    dates = pd.DatetimeIndex(sorted({pd.Timestamp(m) for m in months}))
    mid = [_nearest_mid_year(d, years) for d in dates]
    grid = pd.DataFrame({"date": dates, "mid_year": mid})
    out = grid.merge(pops[["la_code", "mid_year", "population"]], on="mid_year", how="left")
    out["population"] = out["population"].astype(float)
    return out[["la_code", "date", "mid_year", "population"]].sort_values(
        ["la_code", "date"]).reset_index(drop=True)


def _nearest_mid_year(month: pd.Timestamp, available: Sequence[int]) -> int:
    """Return the available mid-year closest to the middle of a month (ties: earlier year).

    The same rule as `lvrn_analysis.story.profile.nearest_mid_year()` for a one-month period:
    the month's middle is placed at ``year + (day_of_year - 182) / 365.25`` and compared
    with each mid-year (1 July, i.e. ``year + 0``).
    """
    mid = month + (month + pd.offsets.MonthEnd(0) - month) / 2
    target = mid.year + (mid.day_of_year - 182) / 365.25
    return int(min(available, key=lambda y: (abs(y - target), y)))


def _served(ind: Indicator, counts: pd.DataFrame, source: str) -> bool:
    filt = ind.series.get("filter") or {}
    return ind.source == source and all(k in counts.columns for k in filt)


def build_framework_series(
    counts: pd.DataFrame,
    months: pd.DataFrame,
    area: AreaConfig,
    framework: OutcomesFramework | None = None,
    *,
    source: str = POLICE_SOURCE,
    include_total: bool = True,
) -> pd.DataFrame:
    """Build the tidy framework series from a processed police table.

    Every framework indicator whose ``source`` is ``source`` and whose series filter
    names columns of ``counts`` (e.g. ``crime_type``) gets one monthly series per
    indicator area: the rows placed in that authority (``geo_status == "in_area"``)
    that match the filter. Months the ``months`` table marks as missing are **left
    out** (gaps stay gaps; the ITS engine refuses gapped series rather than
    zero-filling them); a month with data but no matching rows counts 0.

    Parameters
    ----------
    counts
        A processed police table (``police_street`` or ``police_street_synthetic``):
        ``month, la_code, crime_type, geo_status, count``.
    months
        Its months table (``month, status``).
    area
        Area configuration (for populations).
    framework
        Outcomes framework; default the shipped proposal.
    source
        Framework source id the table serves.
    include_total
        Add a series with ``area_code == TOTAL_CODE``: the sum over the indicator's
        authorities (and of their populations).

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, area_code, date, count, population`` sorted by indicator, area
        and date; ``count`` is int64, ``population`` float.
    """
    fw = framework if framework is not None else load_framework()
    present = months.loc[months["status"] == "present", "month"]
    grid = pd.DatetimeIndex(sorted(pd.to_datetime(present).unique()))
    pop = monthly_population(area, grid)
    located = counts[counts["geo_status"] == "in_area"]
    parts = []
    for ind in fw.indicators:
        if not _served(ind, counts, source):
            continue
        sel = located
        for k, v in (ind.series.get("filter") or {}).items():
            sel = sel[sel[k] == v]
        agg = sel.groupby(["la_code", "month"])["count"].sum()
        full = pd.MultiIndex.from_product([list(ind.areas), grid], names=["la_code", "month"])
        s = agg.reindex(full, fill_value=0).rename("count").reset_index()
        s = s.rename(columns={"month": "date"}).merge(pop, on=["la_code", "date"], how="left")
        s = s.rename(columns={"la_code": "area_code"})
        if include_total:
            tot = s.groupby("date", as_index=False)[["count", "population"]].sum()
            tot["area_code"] = TOTAL_CODE
            s = pd.concat([s, tot], ignore_index=True)
        s["indicator_id"] = ind.id
        parts.append(s)
    cols = ["indicator_id", "area_code", "date", "count", "population"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            cols, ["object", "object", "datetime64[ns]", "int64", "float64"], strict=True)})
    out = pd.concat(parts, ignore_index=True)[cols]
    out["count"] = out["count"].astype("int64")
    out["population"] = out["population"].astype(float)
    return out.sort_values(["indicator_id", "area_code", "date"]).reset_index(drop=True)


def total_name(n_areas: int, area: AreaConfig | None = None) -> str:
    """Display name of the area-total series, e.g. ``"Pan-Lancashire total (14 authorities)"``.

    Parameters
    ----------
    n_areas
        Number of authorities summed.
    area
        Area configuration (its id names the total); ``None`` for a generic name.

    Returns
    -------
    str
        The name.
    """
    if area is None:
        return f"Area total ({n_areas} authorities)"
    return f"Pan-{area.id.capitalize()} total ({n_areas} authorities)"
