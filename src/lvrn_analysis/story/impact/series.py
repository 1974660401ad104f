"""The Impact page's series: framework indicators x areas, with monthly populations.

`build_framework_series()` turns a processed police table into the tidy series frame
the ITS engine expects (``indicator_id, area_code, date, count, population``), one series
per framework indicator x area (plus an area total).

Populations
-----------
The reference populations hold a few ONS mid-year estimates (for Lancashire mid-2019,
mid-2020 and mid-2022), each dated 30 June. Each month takes the value at its middle of
the straight line between the estimates, with the last estimate carried forward past
mid-2022 and the first carried back before mid-2019
(`lvrn_analysis.config.geography.monthly_populations()`, the rule the synthetic police
generator uses too). The offsets therefore change smoothly; an earlier version took the
nearest mid-year estimate, which stepped in January 2020 and July 2021 (+6.9 % in
Burnley) and bent the fitted trends of every series.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import monthly_populations
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
    """Return each authority's population in each month (the models' offsets).

    A thin wrapper of `lvrn_analysis.config.geography.monthly_populations()`: linear
    interpolation between the ONS mid-year estimates (30 June), the last estimate carried
    forward and the first carried back.

    Parameters
    ----------
    area
        Area configuration (its authorities are returned).
    months
        Month-start dates.

    Returns
    -------
    pandas.DataFrame
        ``la_code, date, population, basis``, one row per authority x month
        (``basis``: ``"interpolated"``, ``"carried forward"`` or ``"carried back"``).
    """
    return monthly_populations(area, months)


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
        Area configuration (for the monthly populations, `monthly_population()`).
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
    pop = monthly_population(area, grid)[["la_code", "date", "population"]]
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
        Area configuration (its ``place`` names the total); ``None`` for a generic name.

    Returns
    -------
    str
        The name.
    """
    if area is None:
        return f"Area total ({n_areas} authorities)"
    place = area.place or area.id
    return f"{place[:1].upper()}{place[1:]} total ({n_areas} authorities)"
