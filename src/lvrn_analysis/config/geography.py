"""Geography: local authorities, populations and the LSOA → authority mapping.

Reference tables (shipped in ``reference/geography/``, OGL v3.0):

* ``local_authorities.csv`` — ONS codes and names of the configured authorities,
  their upper tier and region (ONS Register of Geographic Codes, 2019 codes).
* ``populations.csv`` — ONS mid-year population estimates (all ages) for
  mid-2019, mid-2020 and mid-2022 (Lancashire) and mid-2019 (Leicestershire),
  from Nomis dataset NM_2002_1 via traffordDataLab/covid-19. `monthly_populations()`
  turns them into one population per month (straight lines between the estimates,
  each dated 30 June; the last estimate carried forward and the first carried back).
* ``imd2019_ltla19.csv`` — English Indices of Deprivation 2019, local authority
  summaries (MHCLG File 10), via humaniverse/IMD.

LSOAs are mapped to their local authority by the authority name that starts
every 2011 LSOA name (``"Blackpool 010A"`` → Blackpool), which is how ONS names
LSOAs; data.police.uk carries both the LSOA code and name on every located row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file

if TYPE_CHECKING:
    from lvrn_analysis.config.areas import AreaConfig

LSOA_CODE_PATTERN = r"^[EW]01\d{6}$"


@functools.cache
def _read(name: str) -> pd.DataFrame:
    with reference_file(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


def local_authorities(area: AreaConfig | None = None) -> pd.DataFrame:
    """Return the local-authority reference table.

    Parameters
    ----------
    area
        If given, only that area's authorities, in the configured order.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``la_name``, ``upper_tier_code``, ``upper_tier_name``,
        ``la_type``, ``region_code``, ``region_name``.
    """
    df = _read("geography/local_authorities.csv").copy()
    if area is None:
        return df
    order = {c: i for i, c in enumerate(area.authorities)}
    df = df[df["la_code"].isin(order)].copy()
    df["_o"] = df["la_code"].map(order)
    return df.sort_values("_o").drop(columns="_o").reset_index(drop=True)


def populations(area: AreaConfig | None = None, mid_year: int | None = None) -> pd.DataFrame:
    """Return ONS mid-year population estimates.

    Parameters
    ----------
    area
        Restrict to this area's authorities.
    mid_year
        Restrict to one mid-year (e.g. 2020). If the year is not available for an
        authority, a `ValueError` names the authority and the years that are.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``la_name``, ``mid_year`` (int), ``population`` (int),
        ``source``.
    """
    pop = _read("geography/populations.csv").copy()
    pop["mid_year"] = pop["mid_year"].astype(int)
    pop["population"] = pop["population"].astype("int64")
    names = local_authorities().set_index("la_code")["la_name"]
    pop.insert(1, "la_name", pop["la_code"].map(names))
    if area is not None:
        pop = pop[pop["la_code"].isin(area.authorities)]
    if mid_year is not None:
        have = pop[pop["mid_year"] == mid_year]
        missing = sorted(set(pop["la_code"]) - set(have["la_code"]))
        if area is not None:
            missing = sorted(set(area.authorities) - set(have["la_code"]))
        if missing:
            years = sorted(pop["mid_year"].unique().tolist())
            raise ValueError(
                f"no mid-{mid_year} population for {', '.join(missing)}; "
                f"available mid-years: {years}"
            )
        pop = have
    return pop.sort_values(["la_code", "mid_year"]).reset_index(drop=True)


#: Reference date of an ONS mid-year estimate within its year (30 June).
MID_YEAR_DAY = "06-30"


def monthly_populations(area: AreaConfig, months: Sequence[object]) -> pd.DataFrame:
    r"""Return each authority's population in each month, interpolated between mid-year estimates.

    ONS mid-year estimates refer to 30 June. A month's population is the value at the
    middle of the month (halfway between its first day and the first day of the next
    month) of the straight line joining the authority's estimates:

    $$P_a(t) = P_a(y_0) + \frac{t - d(y_0)}{d(y_1) - d(y_0)}\big(P_a(y_1) - P_a(y_0)\big),
    \quad d(y_0) \le t \le d(y_1),$$

    with $d(y)$ 30 June of year $y$ and $y_0 < y_1$ consecutive available estimates (a
    missing year such as mid-2021 is bridged by the line from mid-2020 to mid-2022).
    **Past the last estimate the last one is carried forward, and before the first the
    first is carried back**: no trend is extrapolated. With a single estimate every month
    gets it. The population therefore changes smoothly from month to month instead of
    stepping when the nearest estimate changes, so a model offset built on it has no
    artificial break.

    Every model offset of the package (the Impact page's series,
    `lvrn_analysis.story.impact.series.build_framework_series()`) and the synthetic police
    generator (`lvrn_analysis.synthetic.police.expected_counts()`) use this function.

    Parameters
    ----------
    area
        Area configuration (its authorities, in any order, are returned).
    months
        Dates within the months wanted (any day; normalised to month starts, duplicates
        dropped).

    Returns
    -------
    pandas.DataFrame
        ``la_code, date, population, basis``, one row per authority x month, sorted by
        authority and date: ``date`` is the month start, ``population`` a float and
        ``basis`` ``"interpolated"``, ``"carried forward"`` (after the last estimate) or
        ``"carried back"`` (before the first).

    Raises
    ------
    ValueError
        If an authority of the area has no mid-year estimate.
    """
    pops = populations(area)
    missing = sorted(set(area.authorities) - set(pops["la_code"]))
    if missing:
        raise ValueError(f"no mid-year population estimate for {', '.join(missing)} "
                         f"(geography/populations.csv)")
    dates = pd.DatetimeIndex(sorted({pd.Timestamp(m).to_period("M").to_timestamp()
                                     for m in months}))
    mids = dates + (dates + pd.offsets.MonthBegin(1) - dates) / 2
    x = mids.asi8.astype(float)
    parts = []
    for code, g in pops.groupby("la_code", sort=True):
        anchors = pd.DatetimeIndex([pd.Timestamp(f"{y}-{MID_YEAR_DAY}") for y in g["mid_year"]])
        xp = anchors.asi8.astype(float)
        fp = g["population"].to_numpy(dtype=float)
        basis = np.where(x < xp[0], "carried back",
                         np.where(x > xp[-1], "carried forward", "interpolated"))
        parts.append(pd.DataFrame({"la_code": code, "date": dates,
                                   "population": np.interp(x, xp, fp), "basis": basis}))
    return pd.concat(parts, ignore_index=True).sort_values(
        ["la_code", "date"]).reset_index(drop=True)


def la_name_from_lsoa_name(lsoa_name: pd.Series) -> pd.Series:
    """Return the local-authority name that prefixes each 2011 LSOA name.

    Parameters
    ----------
    lsoa_name
        LSOA names such as ``"Blackburn with Darwen 001A"``.

    Returns
    -------
    pandas.Series
        ``"Blackburn with Darwen"``; missing where the name is missing or does not
        end in an LSOA suffix (three digits and a letter).
    """
    s = lsoa_name.astype("string")
    m = s.str.extract(r"^(?P<la>.+?)\s+\d{3}[A-Z]$", expand=True)["la"]
    return m


def assign_authority(
    lsoa_code: pd.Series, lsoa_name: pd.Series, area: AreaConfig
) -> pd.DataFrame:
    """Place LSOAs in the area's local authorities.

    The authority is the one whose name prefixes the LSOA name (``"Preston 001A"``).
    A multi-force area (`lvrn_analysis.config.areas.MultiForceArea`) carries its own
    authority names, which are used instead of the reference geography's.

    Parameters
    ----------
    lsoa_code, lsoa_name
        LSOA codes and names as published by data.police.uk.
    area
        The area configuration.

    Returns
    -------
    pandas.DataFrame
        Same index as the input, columns ``la_code`` and ``la_name`` (missing when
        the LSOA is not in the area), ``lsoa_la_name`` (the authority named by the
        LSOA) and ``geo_status``: ``"in_area"``, ``"no_lsoa"`` (blank code),
        ``"bad_lsoa_code"`` (not an ONS LSOA code, e.g. Excel-mangled) or
        ``"outside_area"``.
    """
    own_names = tuple(getattr(area, "authority_names", ()))
    if own_names:
        names = dict(zip(area.authorities, own_names, strict=True))
    else:
        las = local_authorities(area)
        names = dict(zip(las["la_code"], las["la_name"], strict=True))
    by_name = {name: code for code, name in names.items()}
    code = lsoa_code.astype("string").str.strip()
    prefix = la_name_from_lsoa_name(lsoa_name)
    la_code = prefix.map(by_name)
    status = np.where(
        code.isna() | (code == ""),
        "no_lsoa",
        np.where(
            ~code.fillna("").str.match(LSOA_CODE_PATTERN),
            "bad_lsoa_code",
            np.where(la_code.isna(), "outside_area", "in_area"),
        ),
    )
    la_code = la_code.where(status == "in_area")
    return pd.DataFrame(
        {
            "la_code": la_code.astype("string"),
            "la_name": la_code.map(names).astype("string"),
            "lsoa_la_name": prefix.astype("string"),
            "geo_status": pd.Series(status, index=lsoa_code.index, dtype="string"),
        },
        index=lsoa_code.index,
    )


def imd2019(area: AreaConfig | None = None) -> pd.DataFrame:
    """Return the IMD 2019 local-authority summary (average score and domains).

    Parameters
    ----------
    area
        Restrict to this area's authorities.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name`` and the IMD columns as floats; ``imd_rank`` is the
        rank of the average score among the 317 English districts (1 = most
        deprived), derived from the scores.
    """
    df = _read("geography/imd2019_ltla19.csv").rename(columns={"ltla19_code": "la_code"})
    num = [c for c in df.columns if c != "la_code"]
    df[num] = df[num].apply(pd.to_numeric, errors="raise")
    df = df.rename(columns={"rank_of_average_score_derived": "imd_rank",
                            "Score": "imd_score"})
    names = local_authorities().set_index("la_code")["la_name"]
    df.insert(1, "la_name", df["la_code"].map(names))
    if area is not None:
        df = df[df["la_code"].isin(area.authorities)]
    return df.reset_index(drop=True)
