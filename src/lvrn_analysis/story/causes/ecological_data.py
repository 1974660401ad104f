"""The data of the ecological model across forces: violence counts and real risk factors.

The model of `lvrn_analysis.story.causes.ecological` compares local authorities of more
than one force (the configured area and its comparators, e.g. the 14 pan-Lancashire and
the 9 Leicester, Leicestershire and Rutland authorities). This module assembles its data:

* `ecological_violence()` — both steps below for an area and its comparators;
* `common_window()` — the latest run of months that every force has in full;
* `violence_by_authority()` — recorded violence per authority over that window, with
  person-years from each area's ONS mid-year estimate nearest the window;
* `imd_factor_frame()`, `indicator_factor_frame()`, `ks4_factor_frame()` — real risk
  factors as one *tidy factors frame* (``la_code``, ``factor``, ``period``, ``value``),
  so that any source can be plugged in; `real_factors()` stacks those available;
* `latest_periods()` — one period per factor, the same for every authority;
* `factor_table()` — the factors' values side by side, for publication.

The IMD crime domain is never a factor (`CIRCULAR_FACTORS`): it is built partly from
recorded crime, so it would "explain" violence with itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.story.causes.model_data import DOMAINS
from lvrn_analysis.story.profile import VIOLENCE, latest_complete_window, rates_by_authority

__all__ = [
    "CIRCULAR_FACTORS",
    "FACTOR_COLUMNS",
    "FACTOR_LABELS",
    "FACTOR_SHORT",
    "IMD_FACTORS",
    "INDICATOR_FACTORS",
    "INDICATOR_NAMES",
    "KS4_FACTOR",
    "check_factors",
    "common_window",
    "ecological_violence",
    "factor_table",
    "imd_factor_frame",
    "indicator_factor_frame",
    "ks4_factor_frame",
    "latest_periods",
    "real_factors",
    "violence_by_authority",
]

#: Columns of a tidy factors frame.
FACTOR_COLUMNS: tuple[str, ...] = ("la_code", "factor", "period", "value")

#: Factors that must never explain recorded violence: the IMD 2019 crime domain (and its
#: score column in the ``imd2019`` table) is built partly from police-recorded violence.
CIRCULAR_FACTORS: frozenset[str] = frozenset({"crime_score", "Crime_Score", "crime"})

#: IMD 2019 measures used as factors: ``imd2019`` column -> label (the crime domain is
#: left out, see `CIRCULAR_FACTORS`).
IMD_FACTORS: dict[str, str] = dict(DOMAINS)

#: Real Fingertips factors: indicator key (as in ``reference/indicators_real/
#: indicators.csv`` and the ``indicators_real`` table) -> label with units.
INDICATOR_FACTORS: dict[str, str] = {
    "children_low_income": "Children in low-income families, %",
    "self_harm_admissions": "Emergency admissions for intentional self-harm, "
                            "age-standardised per 100,000",
    "alcohol_admissions_narrow": "Alcohol-related admissions (narrow), "
                                 "age-standardised per 100,000",
}

#: The same indicators' names as published in the reduced Fingertips layout.
INDICATOR_NAMES: dict[str, str] = {
    "Children in low income families": "children_low_income",
    "Emergency Hospital Admissions for Intentional Self-Harm": "self_harm_admissions",
    "Alcohol related admissions (narrow measure)": "alcohol_admissions_narrow",
}

#: Key stage 4 attainment as a factor (real DfE school tables only).
KS4_FACTOR: dict[str, str] = {
    "ks4_att8": "Attainment 8, average per pupil (key stage 4, state-funded schools)"}

#: Labels of every factor this module builds.
FACTOR_LABELS: dict[str, str] = {**IMD_FACTORS, **INDICATOR_FACTORS, **KS4_FACTOR}

#: Short names of the factors for sentences (lower case where a sentence needs it).
FACTOR_SHORT: dict[str, str] = {
    "imd_score": "IMD 2019 average score", "income_score": "income deprivation score",
    "employment_score": "employment deprivation score",
    "education_score": "education, skills and training deprivation score",
    "health_score": "health deprivation and disability score",
    "housing_score": "barriers to housing and services score",
    "environment_score": "living environment deprivation score",
    "children_low_income": "share of children in low-income families",
    "self_harm_admissions": "rate of emergency admissions for self-harm",
    "alcohol_admissions_narrow": "rate of alcohol-related admissions",
    "ks4_att8": "Attainment 8 score",
}


def check_factors(names: Sequence[str]) -> None:
    """Refuse circular factors.

    Raises
    ------
    ValueError
        If a name is in `CIRCULAR_FACTORS`.
    """
    bad = [n for n in names if n in CIRCULAR_FACTORS]
    if bad:
        raise ValueError(f"{', '.join(bad)}: the IMD crime domain is built partly from "
                         "recorded crime, so it cannot explain recorded violence (circular)")


def common_window(months: Sequence[pd.DataFrame], n: int = 12) -> tuple[pd.Timestamp,
                                                                       pd.Timestamp]:
    """Return the latest run of ``n`` months that every force has in full.

    Parameters
    ----------
    months
        Month-coverage tables (``force``, ``month``, ``status``), e.g. the
        ``police_street_months`` and ``police_street_comparators_months`` tables.

    Returns
    -------
    tuple of Timestamp
        First and last month of the window.

    Raises
    ------
    ValueError
        If no such run exists.
    """
    m = pd.concat([t[["force", "month", "status"]] for t in months], ignore_index=True)
    forces = m["force"].dropna().unique()
    wide = (m.assign(ok=m["status"] == "present").pivot_table(
        index="month", columns="force", values="ok", aggfunc="all")
        .reindex(columns=forces).fillna(False))
    grid = pd.DataFrame({"month": wide.index,
                         "status": ["present" if v else "missing" for v in wide.all(axis=1)]})
    return latest_complete_window(grid, n=n)


def violence_by_authority(tables: Sequence[tuple[AreaConfig, pd.DataFrame, pd.DataFrame]], *,
                          start: pd.Timestamp, end: pd.Timestamp,
                          crime_type: str = VIOLENCE) -> pd.DataFrame:
    """Count recorded crime per authority over one window, for several areas.

    Parameters
    ----------
    tables
        ``(area, counts, months)`` per area: the area configuration, its police table
        (``police_street`` layout) and month coverage. Each area's authorities are
        counted from its own table.
    start, end
        The window (month starts, inclusive), e.g. from `common_window()`.
    crime_type
        data.police.uk crime type.

    Returns
    -------
    pandas.DataFrame
        One row per authority: ``la_code``, ``la_name``, ``area`` (area id), ``force``,
        ``count``, ``population``, ``mid_year`` (each area's mid-year estimate nearest
        the window's middle, `lvrn_analysis.story.profile.rates_by_authority()`),
        ``months``, ``person_years``, ``rate`` (per 1,000 per year), ``lower_ci``,
        ``upper_ci``; sorted by force, then rate (highest first).

    Raises
    ------
    ValueError
        If the window holds a month some force lacks, or an authority appears twice.
    """
    parts = []
    for area, counts, months in tables:
        r = rates_by_authority(counts, months, area, crime_type=crime_type, start=start,
                               end=end)
        r.insert(2, "area", area.id)
        r.insert(3, "force", area.force)
        parts.append(r)
    out = pd.concat(parts, ignore_index=True)
    if out["la_code"].duplicated().any():
        raise ValueError("an authority is in more than one area: "
                         + ", ".join(out.loc[out["la_code"].duplicated(), "la_code"]))
    cols = ["la_code", "la_name", "area", "force", "count", "population", "mid_year", "months",
            "person_years", "rate", "lower_ci", "upper_ci"]
    return out.sort_values(["force", "rate", "la_name"], ascending=[True, False, True])[
        cols].reset_index(drop=True)


def ecological_violence(area: AreaConfig, counts: pd.DataFrame, months: pd.DataFrame,
                        comparator_counts: pd.DataFrame | None = None,
                        comparator_months: pd.DataFrame | None = None, *, n: int = 12,
                        crime_type: str = VIOLENCE) -> tuple[pd.DataFrame,
                                                             tuple[pd.Timestamp, pd.Timestamp]]:
    """Count violence in the area and its comparators over their latest common window.

    Parameters
    ----------
    area
        The configured area; its comparators are those its file names
        (`lvrn_analysis.config.areas.load_comparators()`).
    counts, months
        The area's ``police_street`` and ``police_street_months`` tables.
    comparator_counts, comparator_months
        The ``police_street_comparators`` tables (``None`` when the build has none).
    n
        Window length in months.
    crime_type
        data.police.uk crime type.

    Returns
    -------
    tuple
        `violence_by_authority()` over the window, and the window (`common_window()`).

    Raises
    ------
    ValueError
        If the area names comparators but their tables are not given.
    """
    from lvrn_analysis.config.areas import area_forces, load_comparators

    tables = [(area, counts, months)]
    comps = load_comparators(area)
    if comps and (comparator_counts is None or comparator_months is None):
        raise ValueError(f"area {area.id!r} names comparators "
                         f"({', '.join(c.id for c in comps)}): pass the "
                         "police_street_comparators tables (run `lvrn build`)")
    for comp in comps:
        own = comparator_months[comparator_months["force"].isin(area_forces(comp))]  # type: ignore[index]
        tables.append((comp, comparator_counts, own))  # type: ignore[arg-type]
    window = common_window([t[2] for t in tables], n=n)
    return violence_by_authority(tables, start=window[0], end=window[1],
                                 crime_type=crime_type), window


def real_factors(imd: pd.DataFrame, indicators: pd.DataFrame | None = None,
                 ks4: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stack the real factors available into one tidy factors frame.

    Parameters
    ----------
    imd
        The processed ``imd2019`` table (`imd_factor_frame()`).
    indicators
        The processed ``indicators_real`` table or a reduced-Fingertips file
        (`indicator_factor_frame()`), if available.
    ks4
        Key stage 4 attainment, if available: either a tidy factors frame (e.g.
        `lvrn_analysis.story.causes.attainment.ks4_factors()`: districts with real
        values only), of which the `KS4_FACTOR` rows are kept, or a table by authority
        for `ks4_factor_frame()` (real rows only).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``factor``, ``period``, ``value``.
    """
    parts = [imd_factor_frame(imd)]
    if indicators is not None:
        parts.append(indicator_factor_frame(indicators))
    if ks4 is not None:
        if set(FACTOR_COLUMNS) <= set(ks4.columns):
            parts.append(_tidy(ks4[ks4["factor"].isin(list(KS4_FACTOR))
                                   & ks4["value"].notna()]))
        else:
            parts.append(ks4_factor_frame(ks4))
    return _tidy(pd.concat(parts, ignore_index=True))


def imd_factor_frame(imd: pd.DataFrame, columns: Mapping[str, str] | Sequence[str] = (
        tuple(IMD_FACTORS))) -> pd.DataFrame:
    """IMD 2019 measures as a tidy factors frame.

    Parameters
    ----------
    imd
        The processed ``imd2019`` table (``la_code`` and the score columns).
    columns
        Score columns to use (default: the average score and every domain but crime).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``factor`` (the column name), ``period`` (``"2019"``: the index's
        edition; most of its inputs are for 2015/16), ``value``.

    Raises
    ------
    ValueError
        If the crime domain is asked for (`check_factors()`) or a column is missing.
    """
    cols = list(columns)
    check_factors(cols)
    missing = [c for c in cols if c not in imd.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the IMD table")
    long = imd[["la_code", *cols]].melt(id_vars="la_code", var_name="factor",
                                        value_name="value")
    long["period"] = "2019"
    return _tidy(long)


def indicator_factor_frame(table: pd.DataFrame, keys: Mapping[str, str] | Sequence[str] = (
        tuple(INDICATOR_FACTORS))) -> pd.DataFrame:
    """Real indicator values as a tidy factors frame.

    Parameters
    ----------
    table
        Either the processed ``indicators_real`` table (``indicator_key``,
        ``area_code``, ``period``, ``value``) or a file in the reduced Fingertips layout
        (``area_code``, ``period``, ``value``, ``indicator`` with the published names
        of `INDICATOR_NAMES`).
    keys
        Indicator keys to keep.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``factor`` (the indicator key), ``period``, ``value``; rows without
        a value are dropped.
    """
    keys = list(keys)
    check_factors(keys)
    if "indicator_key" in table.columns:
        key = table["indicator_key"].astype("string")
    else:
        key = table["indicator"].astype("string").map(INDICATOR_NAMES)
    t = pd.DataFrame({"la_code": table["area_code"].astype("string"), "factor": key,
                      "period": table["period"].astype("string"),
                      "value": pd.to_numeric(table["value"], errors="coerce")})
    t = t[t["factor"].isin(keys) & t["value"].notna()]
    return _tidy(t)


def ks4_factor_frame(ks4: pd.DataFrame, *, value: str = "att8", year: str = "academic_year",
                     factor: str = "ks4_att8") -> pd.DataFrame:
    """Key stage 4 attainment by authority as a tidy factors frame, real rows only.

    Parameters
    ----------
    ks4
        A table with ``la_code``, the year column and the value column (e.g. the
        processed ``ks4_by_la`` table). Rows whose ``origin`` says synthetic are left
        out: a synthetic value never enters the real model.
    value, year
        Column names.
    factor
        Factor name.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``factor``, ``period``, ``value``: only the authorities the real
        files cover (others are missing, not filled in); empty when none are real.
    """
    k = ks4
    if "origin" in k.columns:
        k = k[~k["origin"].astype(str).str.startswith("synthetic")]
    t = pd.DataFrame({"la_code": k["la_code"].astype("string"), "factor": factor,
                      "period": k[year].astype("string"),
                      "value": pd.to_numeric(k[value], errors="coerce")})
    return _tidy(t[t["value"].notna()])


def _tidy(t: pd.DataFrame) -> pd.DataFrame:
    out = t[list(FACTOR_COLUMNS)].copy()
    for c in ("la_code", "factor", "period"):
        out[c] = out[c].astype("string")
    out["value"] = out["value"].astype("float64")
    return out.sort_values(["factor", "la_code", "period"]).reset_index(drop=True)


def _period_key(period: str) -> tuple[int, str]:
    m = re.match(r"\d{4}", str(period))
    return (int(m.group(0)) if m else -1, str(period))


def latest_periods(factors: pd.DataFrame, la_codes: Sequence[str]) -> pd.DataFrame:
    """Pick one period per factor: the latest one that covers the most authorities.

    Parameters
    ----------
    factors
        Tidy factors frame.
    la_codes
        The authorities of the model.

    Returns
    -------
    pandas.DataFrame
        Tidy factors frame with one row per authority and factor (authorities without a
        value in the chosen period are absent), restricted to ``la_codes``.
    """
    check_factors(factors["factor"].unique().tolist())
    f = factors[factors["la_code"].isin(list(la_codes))]
    chosen = []
    for _, g in f.groupby("factor", sort=True):
        cover = g.groupby("period")["la_code"].nunique()
        best = max(cover.index, key=lambda p: (int(cover[p]), _period_key(p)))
        chosen.append(g[g["period"] == best])
    if not chosen:
        return _tidy(f.iloc[:0])
    return _tidy(pd.concat(chosen, ignore_index=True))


def factor_table(violence: pd.DataFrame, factors: pd.DataFrame,
                 labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Violence and every factor by authority, for publication.

    Parameters
    ----------
    violence
        `violence_by_authority()`.
    factors
        Tidy factors frame, one period per factor (`latest_periods()`).
    labels
        Factor -> column heading (default `FACTOR_LABELS`; the period is appended).

    Returns
    -------
    pandas.DataFrame
        ``Authority``, ``Force``, ``count``, ``rate`` (per 1,000 per year), then one
        column per factor, rounded alike down the column (no decimals when its largest
        value is 100 or more, one from 10, else three); blank where an authority has no
        real value.
    """
    labels = dict(labels or FACTOR_LABELS)
    periods = factors.groupby("factor")["period"].first()
    wide = factors.pivot(index="la_code", columns="factor", values="value")
    out = pd.DataFrame({"Authority": violence["la_name"], "Force": violence["force"],
                        "count": violence["count"],
                        "rate": violence["rate"].round(1)})
    for f in sorted(wide.columns, key=lambda c: list(labels).index(c) if c in labels else 99):
        vals = violence["la_code"].map(wide[f])
        top = float(vals.abs().max())
        places = 0 if top >= 100 else 1 if top >= 10 else 3
        out[f"{labels.get(f, f)} ({periods[f]})"] = [
            "" if pd.isna(v) else f"{v:,.{places}f}" for v in vals]
    return out
