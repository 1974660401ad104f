"""The cleaning rules, applied row by row with pandas: the reference implementation.

Each row gets the first rule it breaks (see `REASONS`):

* Rows with the wrong number of fields (e.g. a truncated last line) are quarantined.
* ``Month`` must be ``YYYY-MM`` and equal the month in the file name.
* ``Falls within`` must be the configured force (one of the forces of a
  `lvrn_analysis.config.areas.MultiForceArea`).
* ``Crime type`` must be one of the 14 data.police.uk categories.
* Coordinates, when present, must be numbers inside Great Britain's bounding box.
* Every crime except anti-social behaviour must carry a ``Crime ID``.
* ``LSOA code`` must look like an ONS LSOA code; LSOAs whose name places them in
  an authority outside the configured area (the real Lancashire files contain
  Bolton, Bury and Bath LSOAs) are quarantined as ``lsoa_outside_area``.
* A ``Crime ID`` repeated within a file is the same crime published twice (the
  repeats differ at most in outcome or location): the first row is kept.
* Rows with no LSOA (and so no coordinates) are **kept** with
  ``geo_status = "no_lsoa"``: they count towards force totals but cannot be
  placed in an authority.

`clean()` applies them to a parsed (or embedded, aggregated) frame and returns a
`LoadResult`; `load_bytes_reference()` runs it on a file's bytes. The fast path
(`lvrn_analysis.sources.police.fastpath`) gives the same result, row for row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig, area_forces
from lvrn_analysis.config.geography import (
    assign_authority,
)
from lvrn_analysis.sources.police.format import (
    AGG_KEYS,
    ASB,
    COLUMNS,
    CRIME_TYPES,
    REASONS,
    SOURCE,
    month_from_name,
)
from lvrn_analysis.sources.police.parsing import parse_street_csv
from lvrn_analysis.sources.validation import WEIGHT, LoadResult, quarantine, sha256_bytes

#: Great Britain's bounding box (longitude, latitude ranges) for the coordinate rule.
_LON = (-8.7, 1.8)
_LAT = (49.8, 60.9)
_MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"


def _normalise_raw(rows: pd.DataFrame) -> pd.DataFrame:
    """Add the derived flags the rules use to a parsed row-level frame."""
    out = rows
    for c in COLUMNS:
        out[c] = out[c].astype("string").str.strip()
        out.loc[out[c] == "", c] = pd.NA
    cid = out["crime_id"]
    blank = cid.isna()
    dup = (~blank) & cid.duplicated(keep="first")
    out["crime_id_status"] = np.where(blank, "blank", np.where(dup, "duplicate", "present"))
    out[WEIGHT] = np.int64(1)
    return out


def _coords(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if "has_coordinates" in df.columns:  # aggregated input: already validated
        ok = pd.Series(True, index=df.index)
        return ok, df["has_coordinates"].astype(bool)
    lon = pd.to_numeric(df["longitude"], errors="coerce")
    lat = pd.to_numeric(df["latitude"], errors="coerce")
    lon_given = df["longitude"].notna()
    lat_given = df["latitude"].notna()
    present = lon_given & lat_given
    bad = (lon_given != lat_given) | (present & (lon.isna() | lat.isna()))
    bad |= present & ~(lon.between(*_LON) & lat.between(*_LAT))
    return ~bad, present & ~bad


def clean(
    df: pd.DataFrame, *, label: str, area: AreaConfig, expected_month: str | None,
    sha256: str, notes: list[str] | None = None, malformed: pd.DataFrame | None = None,
) -> LoadResult:
    """Validate and clean one file's rows (row-level or aggregated).

    Parameters
    ----------
    df
        Rows with the internal column names, ``row``, ``crime_id_status``
        (``present``/``blank``/``duplicate``) and ``n_rows``; aggregated input also
        has ``has_coordinates``.
    label
        File label.
    area
        Area configuration (force and authorities).
    expected_month
        ``YYYY-MM`` from the file name, or ``None`` to skip that check.
    sha256
        Hash of the input bytes.
    notes
        Notes to carry into the result.
    malformed
        Rows that failed parsing (``row``, ``text``), quarantined as
        ``malformed_row``.

    Returns
    -------
    LoadResult
        ``kept`` aggregated to `AGG_KEYS` + ``n_rows``; ``rejected`` row-level.
    """
    notes = list(notes or [])
    reason = pd.Series(pd.NA, index=df.index, dtype="string")

    def flag(mask: pd.Series, code: str) -> None:
        nonlocal reason
        reason = reason.mask(reason.isna() & mask.fillna(False).astype(bool), code)

    month = df["month"].astype("string")
    valid_month = month.str.fullmatch(_MONTH_PATTERN).fillna(False).astype(bool)
    flag(~valid_month, "bad_month")
    if expected_month is not None:
        flag(month != expected_month, "month_mismatch")
    forces = area_forces(area)
    if len(forces) == 1:
        flag(df["falls_within"] != area.force, "other_force")
    else:
        flag(df["falls_within"].notna() & ~df["falls_within"].isin(forces), "other_force")
    flag(~df["crime_type"].isin(CRIME_TYPES), "unknown_crime_type")
    coords_ok, has_coords = _coords(df)
    flag(~coords_ok, "bad_coordinates")
    flag((df["crime_id_status"] == "blank") & (df["crime_type"] != ASB), "missing_crime_id")
    geo = assign_authority(df["lsoa_code"], df["lsoa_name"], area)
    flag(geo["geo_status"] == "bad_lsoa_code", "bad_lsoa_code")
    flag(geo["geo_status"] == "outside_area", "lsoa_outside_area")
    flag(df["crime_id_status"] == "duplicate", "duplicate_crime_id")

    rejected = _rejected_rows(df, reason, geo["lsoa_la_name"], label, malformed)
    keep = reason.isna()
    k = df.loc[keep]
    kept = pd.DataFrame({
        "month": pd.to_datetime(k["month"].astype(str), format="%Y-%m").array,
        "force": k["falls_within"].astype("string").array,
        "la_code": geo.loc[keep, "la_code"].array,
        "la_name": geo.loc[keep, "la_name"].array,
        "lsoa_code": k["lsoa_code"].astype("string").array,
        "crime_type": k["crime_type"].astype("string").array,
        "geo_status": geo.loc[keep, "geo_status"].array,
        WEIGHT: k[WEIGHT].astype("int64").array,
    })
    kept = aggregate(kept)
    rows_in = int(df[WEIGHT].sum()) + (0 if malformed is None else len(malformed))
    no_coords = int(df.loc[keep & ~has_coords, WEIGHT].sum())
    if no_coords:
        notes.append(f"{no_coords} kept rows have no coordinates")
    res = LoadResult(SOURCE, label, kept, rejected, rows_in, sha256, notes)
    res.check_accounting()
    return res


def _rejected_rows(df: pd.DataFrame, reason: pd.Series | None, lsoa_la_name: pd.Series,
                   label: str, malformed: pd.DataFrame | None,
                   masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Assemble a file's quarantine: one part per reason (in `REASONS` order).

    ``reason`` holds each row's reason (missing when kept); alternatively ``masks``
    gives the rows of each reason that occurs (the fast path).
    """
    parts = []
    for code in REASONS:
        if masks is None:
            m = reason == code
            if not m.any():
                continue
        else:
            m = masks.get(code)
            if m is None:
                continue
        q = quarantine(df, m, reason=code, detail=REASONS[code], file=label)
        if code == "lsoa_outside_area":
            q["detail"] = (REASONS[code] + ": " + lsoa_la_name.loc[m]
                           .fillna("unknown authority")).astype("string")
        parts.append(q)
    if malformed is not None and len(malformed):
        parts.append(_malformed_part(malformed, label))
    return (pd.concat(parts, ignore_index=True) if parts
            else _empty_rejected(label))


def _malformed_part(malformed: pd.DataFrame, label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "file": label, "reason": "malformed_row", "detail": REASONS["malformed_row"],
        "row": malformed["row"].astype("Int64"), "text": malformed["text"],
        WEIGHT: np.int64(1),
    })


def _empty_rejected(label: str) -> pd.DataFrame:
    global _EMPTY_REJECTED
    if _EMPTY_REJECTED is None:
        _EMPTY_REJECTED = pd.DataFrame({"file": pd.Series([], dtype="string"),
                                        "reason": pd.Series([], dtype="string"),
                                        "detail": pd.Series([], dtype="string"),
                                        "row": pd.Series([], dtype="Int64"),
                                        WEIGHT: pd.Series([], dtype="int64")})
    return _EMPTY_REJECTED.copy()


_EMPTY_REJECTED: pd.DataFrame | None = None


def aggregate(kept: pd.DataFrame) -> pd.DataFrame:
    """Sum ``n_rows`` over `AGG_KEYS` (missing keys kept), sorted."""
    g = (kept.groupby(list(AGG_KEYS), dropna=False, sort=True)[WEIGHT].sum()
         .reset_index())
    g[WEIGHT] = g[WEIGHT].astype("int64")
    return g.sort_values(list(AGG_KEYS), na_position="first").reset_index(drop=True)


def load_bytes_reference(data: bytes, label: str, area: AreaConfig) -> LoadResult:
    """Load one street-level CSV row by row with pandas (the reference implementation).

    Parameters
    ----------
    data
        The CSV bytes (decompressed).
    label
        File label.
    area
        Area configuration.

    Returns
    -------
    LoadResult
        The same result as `load_bytes()`, computed by `parse_street_csv()`,
        `_normalise_raw()` and `clean()` on every row.
    """
    sha = sha256_bytes(data)
    rows, malformed, notes = parse_street_csv(data, label)
    rows = _normalise_raw(rows)
    return clean(rows, label=label, area=area, expected_month=month_from_name(label),
                 sha256=sha, notes=notes, malformed=malformed)
