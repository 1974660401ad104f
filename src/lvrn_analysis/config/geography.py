"""Geography: local authorities, populations and the LSOA → authority mapping.

Reference tables (shipped in ``reference/geography/``, OGL v3.0):

* ``local_authorities.csv`` — ONS codes and names of the configured authorities,
  their upper tier and region (ONS Register of Geographic Codes, 2019 codes).
* ``populations.csv`` — ONS mid-year population estimates (all ages) for
  mid-2019, mid-2020 and mid-2022 (Lancashire) and mid-2019 (Leicestershire),
  from Nomis dataset NM_2002_1 via traffordDataLab/covid-19. `monthly_populations()`
  turns them into one population per month (straight lines between the estimates,
  each dated 30 June; the last estimate carried forward and the first carried back).
  **Fetched estimates take precedence**: when ``lvrn fetch populations`` has written
  Nomis NM_2002_1 files (``nomis_*.csv``) to ``data/raw/populations/`` (found from the
  current folder or its parents, or the folder ``$LVRN_POPULATIONS`` names), every
  authority they cover takes all its estimates from them (one ONS vintage, up to the
  latest mid-year published) and the shipped table serves only the others
  (`fetched_populations()`). ``LVRN_POPULATIONS=shipped`` ignores fetched files.
* ``imd2019_ltla19.csv`` — English Indices of Deprivation 2019, local authority
  summaries (MHCLG File 10), via humaniverse/IMD.
* ``england_ltla_mid2019.csv`` — the **England table**: ONS codes, names and mid-2019
  population estimates of the 315 English lower-tier authorities. It is the fallback for
  every authority the two tables above do not ship (`england_authorities()`): an area
  written by ``lvrn area init`` for any force gets its codes, names and populations from
  it. Its populations are **mid-2019 only** (carried forward to later months), whereas the
  shipped table has mid-2020 and mid-2022 for the pan-Lancashire authorities;
  ``lvrn fetch populations`` replaces them with every published year. It has no upper
  tier or region: unitary, metropolitan and London authorities are their own upper tier,
  a shire district's county and every region are left blank (`geography_notes()` lists
  what an area takes from the fallback).

LSOAs are mapped to their local authority by the authority name that starts
every 2011 LSOA name (``"Blackpool 010A"`` → Blackpool), which is how ONS names
LSOAs; data.police.uk carries both the LSOA code and name on every located row.
The five authorities created in 2019 (`CREATED_AFTER_2011`) have no 2011 LSOA named
after them: their LSOAs carry their predecessors' names, so this rule cannot place them
and `geography_notes()` says so.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
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


#: The England table: codes, names and mid-2019 populations of every English lower-tier
#: authority (the fallback for the authorities the shipped tables do not have).
ENGLAND_TABLE = "geography/england_ltla_mid2019.csv"
#: The mid-year of the England table's populations (its only one).
ENGLAND_MID_YEAR = 2019
#: ``source`` of a population taken from the England table.
ENGLAND_SOURCE = ("ONS mid-year population estimates (Nomis NM_2002_1, all ages), mid-2019 "
                  "only, from the England table reference/geography/england_ltla_mid2019.csv "
                  "(fallback: this authority is not in geography/populations.csv); OGL v3.0")
#: Authority type by the first three characters of its ONS code.
_LA_TYPES = {"E06": "Unitary authority", "E07": "Non-metropolitan district",
             "E08": "Metropolitan district", "E09": "London borough"}
#: Authorities created after the 2011 LSOAs were named, and the predecessors whose names
#: their LSOAs carry (ONS: the 2019 local government changes in Dorset and Suffolk and
#: Somerset). The LSOA-name rule of `assign_authority()` cannot place their rows.
CREATED_AFTER_2011: dict[str, tuple[str, ...]] = {
    "E06000058": ("Bournemouth", "Christchurch", "Poole"),
    "E06000059": ("East Dorset", "North Dorset", "Purbeck", "West Dorset",
                  "Weymouth and Portland"),
    "E07000244": ("Suffolk Coastal", "Waveney"),
    "E07000245": ("Forest Heath", "St Edmundsbury"),
    "E07000246": ("Taunton Deane", "West Somerset"),
}


@functools.cache
def _england() -> pd.DataFrame:
    with reference_file(ENGLAND_TABLE).open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"la_code": str, "la_name": str})
    df["mid_year"] = df["mid_year"].astype(int)
    df["population"] = df["population"].astype("int64")
    return df


def england_authorities() -> pd.DataFrame:
    """Return the shipped England table of lower-tier authorities.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``mid_year`` (2019), ``population`` (int64): the 315
        English lower-tier authorities of 2019 with their ONS mid-2019 estimates.
    """
    return _england().copy()


def known_authority_codes() -> frozenset[str]:
    """Return every authority code an area may name: the shipped table's and England's."""
    return frozenset(_read("geography/local_authorities.csv")["la_code"]) | frozenset(
        _england()["la_code"])


def fallback_authorities(area: AreaConfig) -> tuple[str, ...]:
    """Return the area's authorities that only the England table knows, in configured order.

    Parameters
    ----------
    area
        The area configuration.

    Returns
    -------
    tuple of str
        Codes absent from ``geography/local_authorities.csv`` but present in the England
        table (`england_authorities()`); empty for the shipped areas.
    """
    shipped = set(_read("geography/local_authorities.csv")["la_code"])
    eng = set(_england()["la_code"])
    return tuple(c for c in area.authorities if c not in shipped and c in eng)


def _fallback_rows(codes: Sequence[str]) -> pd.DataFrame:
    """Rows of the local-authority table for authorities taken from the England table."""
    eng = _england().set_index("la_code")
    prefix = pd.Series([c[:3] for c in codes], dtype=object)
    own_tier = prefix.isin(["E06", "E08", "E09"]).to_numpy()
    names = [str(n) for n in eng["la_name"].reindex(list(codes))]
    return pd.DataFrame({
        "la_code": list(codes),
        "la_name": names,
        # unitary, metropolitan and London authorities are their own upper tier; a shire
        # district's county is not in the England table
        "upper_tier_code": [c if own else pd.NA for c, own in zip(codes, own_tier,
                                                                 strict=True)],
        "upper_tier_name": [n if own else pd.NA for n, own in zip(names, own_tier,
                                                                 strict=True)],
        "la_type": prefix.map(_LA_TYPES).fillna("Local authority").tolist(),
        "region_code": pd.NA,
        "region_name": pd.NA,
    }, dtype=object)


def local_authorities(area: AreaConfig | None = None) -> pd.DataFrame:
    """Return the local-authority reference table.

    Parameters
    ----------
    area
        If given, only that area's authorities, in the configured order. Authorities the
        shipped table does not have are taken from the England table
        (`fallback_authorities()`): code, name and a type read from the code; their
        ``upper_tier_*`` is their own for a unitary, metropolitan or London authority
        and missing for a shire district, and ``region_*`` is missing.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``la_name``, ``upper_tier_code``, ``upper_tier_name``,
        ``la_type``, ``region_code``, ``region_name``. Without ``area``: the shipped
        table only.
    """
    df = _read("geography/local_authorities.csv").copy()
    if area is None:
        return df
    order = {c: i for i, c in enumerate(area.authorities)}
    df = df[df["la_code"].isin(order)].copy()
    extra = fallback_authorities(area)
    if extra:
        df = pd.concat([df, _fallback_rows(extra)[df.columns]], ignore_index=True)
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
        ``source``. Authorities covered by fetched estimates (`fetched_populations()`)
        take all their rows from those; ``source`` says which file. An area's
        authorities that neither the shipped nor the fetched estimates cover take the
        England table's mid-2019 estimate (``source`` `ENGLAND_SOURCE`), their only
        year.
    """
    pop = _read("geography/populations.csv").copy()
    pop["mid_year"] = pop["mid_year"].astype(int)
    pop["population"] = pop["population"].astype("int64")
    fetched = fetched_populations()
    if fetched is not None:
        pop = pd.concat([pop[~pop["la_code"].isin(fetched["la_code"])], fetched[pop.columns]],
                        ignore_index=True)
    names = local_authorities().set_index("la_code")["la_name"]
    if area is not None:
        pop = pop[pop["la_code"].isin(area.authorities)]
        missing = [c for c in fallback_authorities(area) if c not in set(pop["la_code"])]
        if missing:  # the England table's mid-2019 estimate, labelled as such
            eng = _england()
            eng = eng[eng["la_code"].isin(missing)].assign(source=ENGLAND_SOURCE)
            pop = pd.concat([pop, eng[pop.columns]], ignore_index=True)
            names = pd.concat([names, eng.set_index("la_code")["la_name"]])
    pop.insert(1, "la_name", pop["la_code"].map(names))
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


#: Where ``lvrn fetch populations`` writes, relative to the project folder.
FETCHED_POPULATIONS_DIR = Path("data/raw/populations")
#: Environment variable naming the folder of fetched estimates (``shipped``: ignore them).
POPULATIONS_ENV = "LVRN_POPULATIONS"
#: Source label of fetched estimates (the file name is appended).
FETCHED_SOURCE = "ONS mid-year population estimates (Nomis NM_2002_1, all ages), fetched"
_GSS_CODE = re.compile(r"^[EWSN]\d{8}$")


def fetched_populations_dir() -> Path | None:
    """Return the folder of fetched population estimates, or ``None`` when there is none.

    ``$LVRN_POPULATIONS`` names the folder (``shipped``, ``none`` or empty: use only the
    shipped table); otherwise the first ``data/raw/populations/`` holding a
    ``nomis_*.csv`` file in the current folder or its parents.
    """
    env = os.environ.get(POPULATIONS_ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "shipped", "none") else Path(env)
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        cand = d / FETCHED_POPULATIONS_DIR
        if cand.is_dir() and any(cand.glob("nomis_*.csv")):
            return cand
    return None


def read_nomis_populations(data: str | Path | bytes, label: str | None = None
                           ) -> pd.DataFrame:
    """Read a Nomis NM_2002_1 CSV (all ages, persons) into the populations layout.

    The Nomis API's CSV has a header row of upper-case names; those used are
    ``DATE_NAME`` (or ``DATE``: the mid-year, e.g. ``2023``), ``GEOGRAPHY_CODE`` (the
    ONS code) and ``OBS_VALUE`` (the estimate). Other columns are ignored.

    Parameters
    ----------
    data
        A path, or the file's bytes.
    label
        Name used in errors and in ``source`` (default: the path's name).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``mid_year`` (int), ``population`` (int64), ``source``, sorted.

    Raises
    ------
    ValueError
        Naming the file, the row (1 = first data row) and the column of the first
        problem: a missing column, a year that is not four digits, a code that is not
        an ONS code, a population that is not a positive whole number, or two values
        for the same authority and year.
    """
    name = label or (Path(data).name if not isinstance(data, bytes) else "populations")
    raw = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        df = pd.read_csv(raw, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: not a CSV file ({exc})") from exc
    cols = {c.strip().upper(): c for c in df.columns}
    year_col = cols.get("DATE_NAME") or cols.get("DATE")
    for need, col in (("DATE_NAME", year_col), ("GEOGRAPHY_CODE", cols.get("GEOGRAPHY_CODE")),
                      ("OBS_VALUE", cols.get("OBS_VALUE"))):
        if col is None:
            raise ValueError(f"{name}: no {need} column (columns: {', '.join(df.columns)})")
    code = df[cols["GEOGRAPHY_CODE"]].str.strip()
    year = df[year_col].str.strip()
    value = df[cols["OBS_VALUE"]].str.strip()
    checks = ((~year.str.fullmatch(r"\d{4}"), year_col, "not a four-digit year"),
              (~code.str.match(_GSS_CODE), cols["GEOGRAPHY_CODE"], "not an ONS area code"),
              (~value.str.fullmatch(r"\d+") | (value.str.lstrip("0") == ""), cols["OBS_VALUE"],
               "not a positive whole number"))
    for bad, col, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{name}: row {i + 1}, column {col!r}: {df[col].iloc[i]!r} is {why}")
    out = pd.DataFrame({"la_code": code, "mid_year": year.astype(int),
                        "population": value.astype("int64"),
                        "source": f"{FETCHED_SOURCE} ({name})"})
    dup = out.duplicated(["la_code", "mid_year"], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(f"{name}: row {i + 1}: a second estimate for {out['la_code'].iloc[i]} "
                         f"mid-{out['mid_year'].iloc[i]}")
    return out.sort_values(["la_code", "mid_year"]).reset_index(drop=True)


@functools.cache
def _fetched(folder: str, signature: tuple) -> pd.DataFrame | None:
    files = sorted(Path(folder).glob("nomis_*.csv"))
    if not files:
        return None
    frames = [read_nomis_populations(f) for f in files]
    both = pd.concat(frames, ignore_index=True)
    clash = both.duplicated(["la_code", "mid_year"], keep=False)
    if clash.any():
        # the same authority-year in two files must agree; keep the first file's row
        values = both[clash].groupby(["la_code", "mid_year"])["population"].nunique()
        if (values > 1).any():
            (code, year) = values[values > 1].index[0]
            raise ValueError(f"{folder}: files disagree on the mid-{year} estimate for {code}")
        both = both.drop_duplicates(["la_code", "mid_year"], keep="first")
    return both.sort_values(["la_code", "mid_year"]).reset_index(drop=True)


def fetched_populations(folder: Path | str | None = None) -> pd.DataFrame | None:
    """Return the fetched mid-year estimates, or ``None`` if none were fetched.

    Parameters
    ----------
    folder
        Folder of ``nomis_*.csv`` files written by ``lvrn fetch populations``
        (default: `fetched_populations_dir()`).

    Returns
    -------
    pandas.DataFrame or None
        ``la_code``, ``mid_year``, ``population``, ``source`` from every file (read
        again whenever a file changes).

    Raises
    ------
    ValueError
        If a file cannot be read (see `read_nomis_populations()`) or two files give
        different estimates for the same authority and year.
    """
    d = Path(folder) if folder is not None else fetched_populations_dir()
    if d is None or not d.is_dir():
        return None
    files = sorted(d.glob("nomis_*.csv"))
    signature = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    got = _fetched(str(d.resolve()), signature)
    return None if got is None else got.copy()


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
                         "(neither geography/populations.csv nor the England table "
                         f"{ENGLAND_TABLE} has it; `lvrn fetch populations` can get it)")
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


def _names(codes: Sequence[str], area: AreaConfig) -> str:
    las = local_authorities(area).set_index("la_code")["la_name"]
    return ", ".join(f"{las.get(c, c)} ({c})" for c in codes)


def geography_notes(area: AreaConfig) -> list[str]:
    """Say what an area's geography takes from fallbacks and what it cannot place.

    Parameters
    ----------
    area
        The area configuration.

    Returns
    -------
    list of str
        One sentence per point, empty for an area the shipped tables fully cover (the two
        shipped areas): authorities taken from the England table; populations that are
        its mid-2019 estimates only (and whether other authorities of the area have later
        years, so rates mix vintages); authorities created after 2011 whose rows the
        LSOA-name rule cannot place; authorities without shipped LSOA boundaries (maps).
    """
    notes: list[str] = []
    extra = fallback_authorities(area)
    if extra:
        notes.append(
            f"{len(extra)} authorit{'y is' if len(extra) == 1 else 'ies are'} not in the "
            "shipped geography (reference/geography/local_authorities.csv): codes and names "
            f"from the England table {ENGLAND_TABLE}, with no region and, for a shire "
            f"district, no county: {_names(extra, area)}.")
    pops = populations(area)
    only = sorted(set(pops.loc[pops["source"] == ENGLAND_SOURCE, "la_code"]))
    if only:
        later = pops[~pops["la_code"].isin(only) & (pops["mid_year"] > ENGLAND_MID_YEAR)]
        text = (f"Populations of {len(only)} authorit{'y' if len(only) == 1 else 'ies'} are "
                f"the England table's mid-{ENGLAND_MID_YEAR} estimates only, carried forward "
                "to every later month (`lvrn fetch populations` gets the later years)")
        n_later = later["la_code"].nunique()
        if n_later:
            text += (f"; the area's other {n_later} authorit"
                     f"{'y has' if n_later == 1 else 'ies have'} estimates to "
                     f"mid-{int(later['mid_year'].max())}, so rates across the area mix "
                     "population vintages")
        notes.append(text + ".")
    late = [c for c in area.authorities if c in CREATED_AFTER_2011]
    for c in late:
        notes.append(
            f"{_names([c], area)} was created in 2019: data.police.uk's 2011 LSOA names call "
            f"its LSOAs after {', '.join(CREATED_AFTER_2011[c])}, so the LSOA-name rule cannot "
            "place them and their rows are quarantined as lsoa_outside_area. Placing them "
            "needs the ONS LSOA (2011) to local authority (2019) lookup, which is not shipped "
            "(reference/boundaries/lsoa11_lad21_pop2020_lancs_llr.csv.gz covers the "
            "pan-Lancashire and Leicestershire authorities only).")
    from lvrn_analysis.config.boundaries import covered_authorities

    unmapped = [c for c in area.authorities if c not in set(covered_authorities())]
    if unmapped:
        notes.append(
            f"No shipped LSOA boundaries or LSOA populations cover {len(unmapped)} "
            f"authorit{'y' if len(unmapped) == 1 else 'ies'} ({', '.join(unmapped)}): the "
            "neighbourhood maps cannot be drawn until their ONS LSOA 2011 boundaries and "
            "LSOA populations are added to reference/boundaries/ (see its README).")
    return notes


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
    if area is not None:
        names = local_authorities(area).set_index("la_code")["la_name"]
    df.insert(1, "la_name", df["la_code"].map(names))
    if area is not None:
        df = df[df["la_code"].isin(area.authorities)]
    return df.reset_index(drop=True)
