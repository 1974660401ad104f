"""The long layout of real indicator values, shared by the readers that produce it.

`lvrn_analysis.sources.indicators_real` (the reduced Fingertips layout) and
`lvrn_analysis.sources.nccis_neet` (DfE's NCCIS scorecard files) both write rows in the
layout `SCHEMA` describes, into the processed table ``indicators_real``. This module holds
what they share: the schema, the cited indicator table
(``reference/indicators_real/indicators.csv``, `indicator_reference()`), how published
values and missing-value symbols are read (`parse_values()`), the kind of area an ONS
code names (`area_type()`) and which authorities make up each tier's England
distribution (`tier_mask()`).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import to_number

#: Folder of the shipped files inside ``reference/``.
REFERENCE_DIR = "indicators_real"

#: Values that mean "no value published" -> the note kept with the missing value.
MISSING_SYMBOLS: dict[str, str] = {
    "": "blank in the source",
    "na": "not available ('NA' in the source)",
    "n/a": "not available ('N/A' in the source)",
    "..": "not available ('..' in the source)",
    ":": "not available (':' in the source)",
    "-": "not available ('-' in the source)",
    "*": "suppressed ('*' in the source)",
    "c": "confidential or suppressed by the publisher ('c')",
    "x": "not available ('x')",
    "z": "not applicable ('z')",
    "u": "low reliability, withheld ('u')",
}

#: Output schema of the kept frame: column -> (dtype, description).
SCHEMA: dict[str, tuple[str, str]] = {
    "indicator_key": ("str", "short key from reference/indicators_real/indicators.csv; a "
                             "slug of the name for an indicator not in that table"),
    "indicator": ("str", "indicator name as published"),
    "fingertips_id": ("Int64", "Fingertips indicator ID (missing for DfE files and unknown "
                               "indicators)"),
    "publisher": ("str", "'OHID Fingertips' or 'DfE (NCCIS)'"),
    "measure": ("str", "as published, e.g. 'Percentage', 'Age standardised rate per 100,000'"),
    "sex": ("str", "the layout's 'unit' column, which holds Fingertips' sex ('Persons')"),
    "tier": ("str", "'lower' (districts and unitaries) or 'upper' (counties and "
                    "unitaries): the geography the indicator is published for"),
    "area_code": ("str", "ONS code (letter + 8 digits)"),
    "area_name": ("str", "area name as published"),
    "area_type": ("str", "from the code: 'England', 'Region', 'Combined authority', "
                         "'County', 'Unitary authority', 'Metropolitan district', "
                         "'London borough', 'Non-metropolitan district', 'Other'"),
    "period": ("str", "time period as published: '2016', '2017/18'"),
    "period_kind": ("str", "calendar_year | financial_year | academic_year | …"),
    "period_start": ("datetime64[ns]", "first day of the period"),
    "period_end": ("datetime64[ns]", "last day of the period"),
    "value": ("float64", "indicator value (missing when the publisher has none)"),
    "value_note": ("str", "why the value is missing (missing when there is a value)"),
    "significance": ("str", "Fingertips' comparison with England as published "
                            "('Better', 'Similar', 'Worse', 'Not compared'); missing for DfE"),
    "in_area": ("bool", "area is one of the configured authorities or their upper tier"),
    "file": ("str", "file label"),
    "row": ("int64", "record number in the file (header excluded)"),
}

AREA_TYPES: tuple[tuple[str, str], ...] = (
    ("E92", "England"), ("E12", "Region"), ("E47", "Combined authority"),
    ("E10", "County"), ("E06", "Unitary authority"), ("E08", "Metropolitan district"),
    ("E09", "London borough"), ("E07", "Non-metropolitan district"),
)
#: ONS code prefixes of the authorities in each tier's England distribution.
TIER_PREFIXES: dict[str, tuple[str, ...]] = {
    "lower": ("E06", "E07", "E08", "E09"),
    "upper": ("E06", "E08", "E09", "E10"),
}


@functools.cache
def _indicators() -> pd.DataFrame:
    with reference_file(f"{REFERENCE_DIR}/indicators.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df["fingertips_id"] = pd.to_numeric(df["fingertips_id"].replace("", None)).astype("Int64")
    return df


def indicator_reference() -> pd.DataFrame:
    """Return the cited table of the real indicators the package knows.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator_key``, ``publisher``, ``fingertips_id``,
        ``indicator`` (the name as published), ``label`` (short, for charts),
        ``tier`` (``lower``/``upper``), ``unit_label``, ``polarity``
        (``low_is_good``/``high_is_good``), ``year_type``, ``period_note`` and
        ``polarity_source`` (the citation for the polarity).
    """
    return _indicators().copy()


def area_type(codes: pd.Series) -> pd.Series:
    """Return the kind of area of each ONS code (see ``SCHEMA['area_type']``)."""
    out = pd.Series("Other", index=codes.index, dtype="str")
    prefix = codes.astype("str").str[:3]
    for p, name in AREA_TYPES:
        out = out.mask(prefix == p, name)
    return out


def parse_values(raw_values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse published values.

    Parameters
    ----------
    raw_values
        Cells as text.

    Returns
    -------
    tuple of (pandas.Series, pandas.Series, pandas.Series)
        Float values (thousands separators and a trailing ``%`` accepted); the note
        for missing values (from `MISSING_SYMBOLS`, else missing); and a mask of
        cells that are neither numbers nor a missing-value symbol.
    """
    t = raw_values.astype("str").str.strip()
    sym = t.str.lower().map(MISSING_SYMBOLS)
    body = t.str.replace(r"\s*%$", "", regex=True)
    v, bad = to_number(body.where(sym.isna(), ""), blanks=("",), thousands=True)
    return v, sym.astype("str").where(sym.notna()), bad & sym.isna()


def finish_frame(out: pd.DataFrame, area: AreaConfig, label: str,
                 rows: pd.Series) -> pd.DataFrame:
    """Add ``in_area``, ``file`` and ``row`` to a kept frame and sort it (shared by readers)."""
    out["in_area"] = out["area_code"].isin(_area_codes(area))
    out["file"] = pd.Series(label, index=out.index, dtype="str")
    out["row"] = rows.astype("int64")
    out = out[list(SCHEMA)]
    return out.sort_values(["indicator_key", "area_code", "period_start", "row"],
                           kind="stable").reset_index(drop=True)


def _area_codes(area: AreaConfig) -> set[str]:
    from lvrn_analysis.config.geography import local_authorities

    las = local_authorities(area)
    return set(las["la_code"]) | set(las["upper_tier_code"])


def tier_mask(df: pd.DataFrame, tier: str) -> pd.Series:
    """Return True for the rows of authorities in ``tier``'s England distribution.

    Lower tier: unitary authorities, metropolitan and non-metropolitan districts and
    London boroughs (``E06``, ``E07``, ``E08``, ``E09``); upper tier: unitary
    authorities, metropolitan districts, London boroughs and counties (``E06``,
    ``E08``, ``E09``, ``E10``). Rows without a value, England, regions and combined
    authorities are never in a distribution.
    """
    if tier not in TIER_PREFIXES:
        raise ValueError(f"tier must be one of {sorted(TIER_PREFIXES)}, not {tier!r}")
    return df["area_code"].astype("str").str[:3].isin(TIER_PREFIXES[tier]) & \
        np.isfinite(df["value"].astype("float64"))
