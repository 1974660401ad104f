"""DfE NCCIS LA scorecard files: 16-17 year olds NEET or whose activity is not known.

Format
------
The CSV behind DfE's "NEET and participation LA scorecard"
(dfe-analytical-services/nccis_localauthority_dashboard, ``data/UD_NEETNK_LA_dashboard_*.csv``):
one wide row per area (England, regions, upper-tier local authorities) with about 50
columns; the ones read here are::

    time_period, geographic_level, country_code, region_code, region_name,
    new_la_code, la_name, Age, NEET_not_known_percent

``NEET_not_known_percent`` is the headline of the scorecard: the share of 16-17 year olds
(academic age) who were not in education, employment or training **or whose activity was
not known**, averaged over December, January and February — the definition of Fingertips
indicator 93203, so these files continue it for 2021 onwards. Only this column becomes a
row (one input row, one kept row); NEET alone, not known alone, participation, SEND and the
contextual attainment and absence columns stay in the file (the file does not say which
school year the contextual columns describe).

Real quirks: the 2021 file holds a dummy ``LA demo`` row in ``Region demo`` with no code
(quarantined as ``blank_area_code``); GSS symbols (``z``, ``c``, ``x``) in numeric columns
(kept as missing with a note, `lvrn_analysis.sources.indicator_values.parse_values()`).

Validation reasons: ``blank_area_code``, ``bad_area_code``, ``bad_period`` (not a
four-digit year), ``unexpected_age`` (not 16-17), ``unknown_level``, ``bad_number``,
``percentage_out_of_range``, ``duplicate_key``, plus the structural reasons of
`lvrn_analysis.sources.reading.read_csv_table()`.
"""

from __future__ import annotations

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources import indicator_values as iv
from lvrn_analysis.sources.reading import (
    RowChecker,
    finish,
    first_row_of,
    lazy,
    normalise_header,
    raw,
    read_csv_table,
)
from lvrn_analysis.sources.validation import LoadResult

#: Source name (the files are one source with the reduced Fingertips layout).
SOURCE = "indicators_real"
#: The indicator key these files give (see ``reference/indicators_real/indicators.csv``).
KEY = "dfe_neet_nk_16_17"
#: The column read.
VALUE_COLUMN = "NEET_not_known_percent"

_ALIASES: dict[str, tuple[str, ...]] = {
    "time_period": ("time_period",),
    "geographic_level": ("geographic_level",),
    "country_code": ("country_code",),
    "country_name": ("country_name",),
    "region_code": ("region_code",),
    "region_name": ("region_name",),
    "new_la_code": ("new_la_code",),
    "la_name": ("la_name",),
    "age": ("Age",),
    "value": (VALUE_COLUMN,),
}
_REQUIRED = ("time_period", "geographic_level", "country_code", "region_code", "new_la_code",
             "la_name", "value")
_LEVELS = {"national": "National", "regional": "Regional", "local authority": "Local authority"}


def sniff(first_line: str) -> bool:
    """Return True for an NCCIS scorecard header (``time_period,…,NEET_not_known_percent``)."""
    s = normalise_header(first_line)
    return s.startswith("time_period,") and "neet_not_known_percent" in s


def load_nccis(data: bytes, label: str, area: AreaConfig, *,
               notes: list[str] | None = None) -> LoadResult:
    """Load one NCCIS scorecard file into the `indicators_real` long layout.

    Parameters
    ----------
    data
        The CSV bytes (already decompressed).
    label
        File label.
    area
        Area configuration (sets ``in_area``).
    notes
        Notes to carry (e.g. that the file was gzip-compressed).

    Returns
    -------
    LoadResult
        ``kept`` follows `lvrn_analysis.sources.indicator_values.SCHEMA`: one row per
        area with ``indicator_key`` ``dfe_neet_nk_16_17``.

    Raises
    ------
    SourceError
        If a required column is missing.
    """
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED,
                           display={"value": VALUE_COLUMN, "age": "Age"})
    df = table.records.copy()
    if "age" not in df.columns:
        df["age"] = pd.Series("16-17", index=df.index, dtype="str")
    chk = RowChecker(df, label)
    chk.add(table.broken)
    level = df["geographic_level"].str.strip().str.lower().map(_LEVELS)
    chk.reject(level.isna(), "unknown_level",
               lazy("column 'geographic_level': ", df["geographic_level"],
                    " is not National, Regional or Local authority"))
    code = df["new_la_code"].str.strip()
    code = code.mask(level == "National", df["country_code"].str.strip())
    code = code.mask(level == "Regional", df["region_code"].str.strip())
    name = df["la_name"].str.strip()
    name = name.mask(level == "National", df["country_name"].str.strip()
                     if "country_name" in df.columns else "England")
    name = name.mask(level == "Regional", df["region_name"].str.strip()
                     if "region_name" in df.columns else "")
    code_col = level.map({"National": "country_code", "Regional": "region_code"}) \
        .fillna("new_la_code")
    chk.reject(code == "", "blank_area_code",
               lazy("column ", raw(code_col.map(repr)), " is blank (", name,
                    " is not a real area)"))
    chk.reject(~code.str.fullmatch(r"[A-Z]\d{8}"), "bad_area_code",
               lazy("column ", raw(code_col.map(repr)), ": ", code,
                    " is not an ONS area code"))
    period = df["time_period"].str.strip()
    chk.reject(~period.str.fullmatch(r"\d{4}"), "bad_period",
               lazy("column 'time_period': ", period, " is not a four-digit year"))
    chk.reject(df["age"].str.strip() != "16-17", "unexpected_age",
               lazy("column 'Age': ", df["age"], " is not '16-17'"))
    value, note, bad = iv.parse_values(df["value"])
    chk.reject(bad, "bad_number",
               lazy(f"column {VALUE_COLUMN!r}: ", df["value"], " is not a number"))
    chk.reject((value < 0) | (value > 100), "percentage_out_of_range",
               lazy(f"column {VALUE_COLUMN!r}: ", value, " is not a percentage (0-100)"))
    kdf = pd.DataFrame({"c": code, "p": period, "row": df["row"]})
    chk.reject(kdf[["c", "p"]].duplicated(keep="first"), "duplicate_key",
               lazy("a row for the same area and year appeared earlier (row ",
                    raw(first_row_of(kdf, ["c", "p"])), ")"))

    idx = chk.alive[chk.alive].index
    years = period.loc[idx].astype("int64")
    ref = iv.indicator_reference().set_index("indicator_key").loc[KEY]
    out = pd.DataFrame({
        "indicator_key": pd.Series(KEY, index=idx, dtype="str"),
        "indicator": pd.Series(str(ref["label"]), index=idx, dtype="str"),
        "fingertips_id": pd.Series(pd.NA, index=idx, dtype="Int64"),
        "publisher": pd.Series(str(ref["publisher"]), index=idx, dtype="str"),
        "measure": pd.Series("Percentage", index=idx, dtype="str"),
        "sex": pd.Series("Persons", index=idx, dtype="str"),
        "tier": pd.Series(str(ref["tier"]), index=idx, dtype="str"),
        "area_code": code.loc[idx].astype("str"),
        "area_name": name.loc[idx].astype("str"),
        "area_type": iv.area_type(code.loc[idx]),
        "period": period.loc[idx].astype("str"),
        "period_kind": pd.Series("calendar_year", index=idx, dtype="str"),
        "period_start": pd.to_datetime(years.astype("str") + "-01-01").astype("datetime64[ns]"),
        "period_end": pd.to_datetime(years.astype("str") + "-12-31").astype("datetime64[ns]"),
        "value": value.loc[idx].astype("float64"),
        "value_note": note.loc[idx].astype("str"),
        "significance": pd.Series(pd.NA, index=idx, dtype="str"),
    }, index=idx)
    out = iv.finish_frame(out, area, label, df.loc[idx, "row"])
    all_notes = list(notes or []) + list(table.notes)
    all_notes = [n for n in all_notes if not n.startswith("ignored unrecognised column")]
    all_notes.append(f"DfE NCCIS scorecard: only {VALUE_COLUMN!r} read (the other columns "
                     "are ignored)")
    n_missing = int(out["value"].isna().sum())
    if n_missing:
        all_notes.append(f"{n_missing} row(s) with no published value kept, value missing")
    return finish(SOURCE, table, out, chk.rejected(), notes=all_notes)
