"""Real area-level indicator values in the reduced Fingertips layout (and DfE NEET files).

Format
------
The **reduced Fingertips layout** written by analysts who pull Fingertips with the R
package ``fingertipsR`` and keep only what a dashboard needs (Trafford Data Lab's
``dashboard`` repository is the shipped example)::

    area_code,area_name,period,value,indicator,measure,unit,significance

one row per area × period of one indicator, no counts, no confidence intervals;
``unit`` holds Fingertips' sex (``Persons``) and ``significance`` Fingertips' own
comparison with England (``Better``, ``Similar``, ``Worse``, ``Not compared``). It is
one of the three Fingertips shapes the package reads: the website/API export is read by
`lvrn_analysis.sources.fingertips`. Columns are matched by name (any order, case and
spacing ignored); ``measure``, ``unit`` and ``significance`` are optional.

The same source also reads DfE's **NCCIS LA scorecard files** (16-17 year olds not in
education, employment or training or whose activity is not known; one wide row per
area, ``time_period,time_identifier,geographic_level,…,NEET_not_known_percent,…``),
through `lvrn_analysis.sources.nccis_neet`, into the same long rows: they measure the
same thing as Fingertips indicator 93203 for later years.

Which file is which is decided by its header (`sniff()`), so both kinds can sit in
``data/raw/indicators_real/``. With that folder empty the build loads the real files
shipped in ``reference/indicators_real/`` (all English authorities and England; see its
README for the publisher, repository, commit, licence and SHA-256 of each).

Validation (each failing row is quarantined once, first reason wins): ``blank_area_code``
(the area code is blank, e.g. the dummy ``LA demo`` row of the 2021 DfE file),
``bad_area_code``, ``blank_indicator`` (the indicator name is blank), ``bad_period``
(not a Fingertips period such as ``2016``, ``2017/18``, ``2017 - 19``, or in a DfE file
not a four-digit year), ``bad_number``, ``negative_value``, ``percentage_out_of_range``
(a percentage below 0 or above 100), ``unexpected_age`` (a DfE row not for 16-17 year
olds), ``unknown_level`` (a DfE geographic level other than National, Regional or Local
authority), ``duplicate_row`` (an exact copy of an earlier row), ``duplicate_key`` (the
same indicator, area and period as an earlier row, with another value), plus the
structural reasons of `lvrn_analysis.sources.reading.read_csv_table()`.

Numbers may carry thousands separators (``1,234.5``) or a trailing per cent sign
(``26.2%``). **Missing values are kept, not quarantined**: a blank value or a
publisher's missing-value symbol (``NA``, ``..``, ``:``, ``-``, ``*`` and the GSS
symbols ``c`` confidential/suppressed, ``x`` not available, ``z`` not applicable,
``u`` low reliability) gives a row with ``value`` missing and a ``value_note`` naming
the symbol. Such rows say "the publisher has no value for this area and period", which
a spine chart shows as such; they never enter an England distribution. The manifest
notes how many there are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources import nccis_neet
from lvrn_analysis.sources.fingertips import (
    HEADER_REDUCED,
    REDUCED_ALIASES,
    REDUCED_REQUIRED,
    parse_time_period,
)
from lvrn_analysis.sources.indicator_values import (
    MISSING_SYMBOLS,
    REFERENCE_DIR,
    SCHEMA,
    TIER_PREFIXES,
    area_type,
    finish_frame,
    indicator_reference,
    parse_values,
    tier_mask,
)
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    finish,
    first_lines,
    first_row_of,
    lazy,
    normalise_header,
    raw,
    read_csv_table,
    read_input,
)
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult
from lvrn_analysis.sources.values import normalise_code

SOURCE = "indicators_real"

__all__ = [
    "HEADER", "MISSING_SYMBOLS", "REFERENCE_DIR", "SCHEMA", "SOURCE", "TIER_PREFIXES",
    "area_type", "default_inputs", "finish_frame", "indicator_reference",
    "load_indicators_real", "parse_values", "processed_table", "sniff", "tier_mask",
]

#: Header of the reduced layout, in order (one definition, shared with the Fingertips
#: source, which also reads this layout).
HEADER: tuple[str, ...] = HEADER_REDUCED
_ALIASES = REDUCED_ALIASES
_REQUIRED = REDUCED_REQUIRED

_AREA_CODE = r"[A-Z]\d{8}"


# ------------------------------------------------------------------ reference table


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", normalise_header(name)).strip()


@functools.cache
def _key_by_name() -> dict[str, str]:
    ref = indicator_reference()
    return {_name_key(n): k for n, k in zip(ref["indicator"], ref["indicator_key"], strict=True)}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "indicator"


# ------------------------------------------------------------------------- reading


def sniff(first_line: str) -> bool:
    """Return True for a reduced-Fingertips or a DfE NCCIS NEET scorecard header."""
    cells = {normalise_header(c).strip('"') for c in first_line.split(",")}
    return {"area_code", "area_name", "period", "value", "indicator"} <= cells or \
        nccis_neet.sniff(first_line)


def _bytes(path: SourceInput) -> tuple[bytes, str, list[str]]:
    """Read a file, unpacking gzip or a one-CSV zip; the SHA-256 is then of the CSV inside."""
    data, label = read_input(path)
    data, notes = unpack(data, label)
    return data, label, notes


def load_indicators_real(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate one file of real indicator values.

    Parameters
    ----------
    path
        A reduced-Fingertips CSV or a DfE NCCIS scorecard CSV (plain or ``.csv.gz``).
    area
        Area configuration (sets ``in_area``; every other area is kept, since the
        England distribution needs them all).

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by indicator, area and period.

    Raises
    ------
    SourceError
        If the file is empty, not CSV, or lacks a required column (the message names
        the column and shows the header found).
    """
    data, label, notes = _bytes(path)
    first = first_lines(data[:65536], 1)
    if first and nccis_neet.sniff(first[0]):
        return [nccis_neet.load_nccis(data, label, area, notes=notes)]
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED,
                           expected_order=HEADER)
    df = table.records.copy()
    for col in HEADER:
        if col not in df.columns:
            df[col] = pd.Series("", index=df.index, dtype="str")
    chk = RowChecker(df, label)
    chk.add(table.broken)
    code = normalise_code(df["area_code"])
    chk.reject(code == "", "blank_area_code", "column 'area_code' is blank")
    chk.reject(~code.str.fullmatch(_AREA_CODE), "bad_area_code",
               lazy("column 'area_code': ", code, " is not an ONS area code"))
    name = df["indicator"].str.replace(r"\s+", " ", regex=True).str.strip()
    chk.reject(name == "", "blank_indicator", "column 'indicator' is blank")
    keys = name.map(lambda n: _key_by_name().get(_name_key(n), _slug(n)))
    ref = indicator_reference().set_index("indicator_key")
    ytype = keys.map(ref["year_type"]).fillna("financial")
    period = df["period"].str.replace(r"\s+", " ", regex=True).str.strip()
    parsed = [parse_time_period(p, "academic" if y == "academic" else "financial")
              for p, y in zip(period, ytype, strict=True)]
    chk.reject(pd.Series([p is None for p in parsed], index=df.index), "bad_period",
               lazy("column 'period': ", period, " is not a recognised period (2016, "
                    "2017/18, 2017 - 19)"))
    value, note, bad = parse_values(df["value"])
    chk.reject(bad, "bad_number", lazy("column 'value': ", df["value"], " is not a number"))
    chk.reject(value < 0, "negative_value", lazy("column 'value': ", value, " is negative"))
    pct = df["measure"].str.strip().str.lower().isin(["percentage", "%", "percent"])
    chk.reject(pct & (value > 100), "percentage_out_of_range",
               lazy("column 'value': ", value, " is a percentage above 100"))
    chk.reject_repeated_rows(df, HEADER)
    kdf = pd.DataFrame({"k": keys, "c": code, "p": period, "row": df["row"]})
    chk.reject(kdf[["k", "c", "p"]].duplicated(keep="first"), "duplicate_key",
               lazy("a row for the same indicator, area and period appeared earlier (row ",
                    raw(first_row_of(kdf, ["k", "c", "p"])), ") with a different value"))

    idx = chk.alive[chk.alive].index
    k = df.loc[idx]
    pk = [parsed[df.index.get_loc(i)] for i in idx]
    unknown = sorted(set(name.loc[idx][~keys.loc[idx].isin(ref.index)]))
    tier = keys.loc[idx].map(ref["tier"])
    if tier.isna().any():
        tier = tier.fillna(_infer_tier(code.loc[idx]))
    out = pd.DataFrame({
        "indicator_key": keys.loc[idx].astype("str"),
        "indicator": name.loc[idx].astype("str"),
        "fingertips_id": keys.loc[idx].map(ref["fingertips_id"]).astype("Int64"),
        "publisher": keys.loc[idx].map(ref["publisher"]).fillna("OHID Fingertips")
        .astype("str"),
        "measure": _blank_to_na(k["measure"]),
        "sex": _blank_to_na(k["unit"]),
        "tier": tier.astype("str"),
        "area_code": code.loc[idx].astype("str"),
        "area_name": k["area_name"].str.strip().astype("str"),
        "area_type": area_type(code.loc[idx]),
        "period": period.loc[idx].astype("str"),
        "period_kind": pd.Series([p[2] for p in pk], index=idx, dtype="str"),
        "period_start": pd.Series([p[0] for p in pk], index=idx, dtype="datetime64[ns]"),
        "period_end": pd.Series([p[1] for p in pk], index=idx, dtype="datetime64[ns]"),
        "value": value.loc[idx].astype("float64"),
        "value_note": note.loc[idx].astype("str"),
        "significance": _blank_to_na(k["significance"]),
    }, index=idx)
    out = finish_frame(out, area, label, k["row"])
    notes = notes + list(table.notes)
    n_missing = int(out["value"].isna().sum())
    if n_missing:
        notes.append(f"{n_missing} row(s) with no published value kept, value missing "
                     "(see value_note)")
    if unknown:
        notes.append("indicator(s) not in reference/indicators_real/indicators.csv (no "
                     f"polarity, not drawn on spine charts): {'; '.join(unknown[:5])}")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def _blank_to_na(s: pd.Series) -> pd.Series:
    t = s.astype("str").str.strip()
    return t.where(t != "").astype("str")


def _infer_tier(codes: pd.Series) -> str:
    prefixes = set(codes.str[:3])
    if "E07" in prefixes:
        return "lower"
    if "E10" in prefixes:
        return "upper"
    return "unknown"


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the shipped real files, loaded when ``data/raw/indicators_real/`` is empty.

    All eight reduced-Fingertips files (every English authority and England) and the
    four DfE NCCIS scorecard files, gzip-compressed byte for byte (see the README in
    ``reference/indicators_real/``).
    """
    from importlib import resources

    root = resources.files("lvrn_analysis").joinpath("reference", REFERENCE_DIR)
    found = [p for sub in ("traffordDataLab_dashboard", "dfe_nccis_neet")
             for p in root.joinpath(sub).iterdir() if p.name.endswith(".csv.gz")]
    return sorted(found, key=lambda p: (str(p.parent.name), p.name))


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate the kept rows of every file into the ``indicators_real`` table.

    A later file's row for the same indicator, area and period replaces an earlier
    one (files are loaded in name order; later files are corrections).
    """
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates(["indicator_key", "area_code", "period"], keep="last")
    out["fingertips_id"] = out["fingertips_id"].astype("Int64")
    out["value"] = out["value"].astype("float64")
    return out.sort_values(["indicator_key", "area_code", "period_start", "file", "row"],
                           kind="stable").reset_index(drop=True)
