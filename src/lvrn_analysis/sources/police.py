"""data.police.uk street-level crime: reader, validator and cleaner.

Format
------
One CSV per force per month, named ``YYYY-MM-<force>-street.csv``, as downloaded
from https://data.police.uk/data/ (also read here from ``.csv.gz`` and from the
monthly archive ``.zip``, whose members are ``YYYY-MM/YYYY-MM-<force>-street.csv``).
Licence: Open Government Licence v3.0. The header is exactly::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,
    LSOA code,LSOA name,Crime type,Last outcome category,Context

Rules (each row gets the first rule it breaks; see :data:`REASONS`)
-------------------------------------------------------------------
* A wrong, reordered or incomplete header, an empty file, HTML, or bytes that are
  not text make the whole file unusable (:class:`~lvrn_analysis.validation.SourceError`).
* Rows with the wrong number of fields (e.g. a truncated last line) are quarantined.
* ``Month`` must be ``YYYY-MM`` and equal the month in the file name.
* ``Falls within`` must be the configured force.
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
* When the same force-month is supplied by more than one input (overlapping
  monthly archives), the copy from the input that sorts last by name (the latest
  archive) is kept and every row of the others is quarantined as
  ``superseded_month``.

Clean rows are aggregated to month × LSOA × crime type counts; the row-level
file is never written to ``data/processed/``.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from lvrn_analysis.config import AreaConfig
from lvrn_analysis.geography import assign_authority
from lvrn_analysis.validation import (
    WEIGHT,
    LoadResult,
    SourceError,
    decode_text,
    quarantine,
    sha256_bytes,
)

SOURCE = "police_street"

HEADER: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)

#: Internal column names, in header order.
COLUMNS: tuple[str, ...] = (
    "crime_id", "month", "reported_by", "falls_within", "longitude", "latitude",
    "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category", "context",
)

#: The 14 crime categories data.police.uk has published since May 2017.
CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
    "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences",
)

ASB = "Anti-social behaviour"

#: Quarantine reasons and what they mean.
REASONS: dict[str, str] = {
    "malformed_row": "row does not have 12 fields (truncated or extra commas)",
    "bad_month": "Month is not a valid YYYY-MM month",
    "month_mismatch": "Month differs from the month in the file name",
    "other_force": "Falls within names a force other than the configured one",
    "unknown_crime_type": "Crime type is not a data.police.uk category",
    "bad_coordinates": "Longitude/Latitude not numeric, only one given, or outside Great Britain",
    "missing_crime_id": "a crime other than anti-social behaviour has no Crime ID",
    "bad_lsoa_code": "LSOA code is not an ONS LSOA code (e.g. mangled by a spreadsheet)",
    "lsoa_outside_area": "LSOA lies in an authority outside the configured area",
    "duplicate_crime_id": "Crime ID already seen earlier in the same file (same crime twice)",
    "superseded_month": "the same force-month is supplied by a later input, which is used",
}

#: Columns of the clean, aggregated police table.
AGG_KEYS: tuple[str, ...] = (
    "month", "force", "la_code", "la_name", "lsoa_code", "crime_type", "geo_status",
)

_FILE_RE = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<slug>[a-z0-9-]+?)-street\.csv(\.gz)?$")
_LON = (-8.7, 1.8)
_LAT = (49.8, 60.9)


def sniff(first_line: str) -> bool:
    """Return whether a header line is a data.police.uk street-level header."""
    line = first_line.lstrip("\ufeff").strip()
    return line.startswith("Crime ID,Month,Reported by")


def month_from_name(name: str) -> str | None:
    """Return ``YYYY-MM`` from a data.police.uk file name, or ``None``."""
    m = _FILE_RE.search(Path(name).name)
    return m.group("month") if m else None


def slug_from_name(name: str) -> str | None:
    """Return the force slug from a data.police.uk file name, or ``None``."""
    m = _FILE_RE.search(Path(name).name)
    return m.group("slug") if m else None


def iter_members(path: str | Path, force_slug: str | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield ``(label, bytes)`` for each street-level CSV in ``path``.

    Parameters
    ----------
    path
        A ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.
    force_slug
        For archives: only members for this force (``*-<slug>-street.csv``).

    Yields
    ------
    tuple of (str, bytes)
        The member label (``archive.zip!2020-01/2020-01-lancashire-street.csv``
        for archives) and its decompressed bytes.

    Raises
    ------
    SourceError
        If the file cannot be opened or decompressed.
    """
    path = Path(path)
    label = str(path)
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                names = sorted(n for n in zf.namelist() if n.endswith("-street.csv"))
                if force_slug is not None:
                    names = [n for n in names if slug_from_name(n) == force_slug]
                if not names:
                    raise SourceError(
                        label, "archive holds no street-level CSV"
                        + (f" for force '{force_slug}'" if force_slug else "")
                    )
                for n in names:
                    yield f"{label}!{n}", zf.read(n)
        elif path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                yield label, fh.read()
        else:
            yield label, path.read_bytes()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceError(label, f"cannot read file ({exc})") from exc


def parse_street_csv(data: bytes, label: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Parse the bytes of one street-level CSV into string columns.

    Parameters
    ----------
    data
        File bytes (decompressed).
    label
        File label for messages.

    Returns
    -------
    tuple
        ``(rows, malformed, notes)``: ``rows`` has the internal column names plus
        ``row`` (spreadsheet row number: the header is row 1); ``malformed`` holds
        rows with the wrong number of fields (``row``, ``text``); ``notes`` says
        e.g. that the file was cp1252.

    Raises
    ------
    SourceError
        If the file is empty, HTML, or its header is not the data.police.uk header.
    """
    notes: list[str] = []
    text_needed = not _is_utf8(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("UTF-8 byte-order mark removed")
    if text_needed:
        data = decode_text(data, label).encode("utf-8")
        notes.append("file was not UTF-8; read as cp1252")
    else:
        decode_text(data[:4096] if len(data) > 4096 else data, label)  # empty/HTML checks
    first_nl = data.find(b"\n")
    header_line = (data if first_nl < 0 else data[:first_nl]).decode("utf-8").strip("\r\n")
    found = next(iter(pd.read_csv(io.StringIO(header_line), header=None, dtype=str).values))
    found = tuple("" if pd.isna(x) else str(x).strip() for x in found)
    if found != HEADER:
        missing = [c for c in HEADER if c not in found]
        extra = [c for c in found if c not in HEADER]
        if not missing and not extra:
            why = "columns are in the wrong order"
        else:
            why = "; ".join(
                p for p in (
                    f"missing {', '.join(repr(c) for c in missing)}" if missing else "",
                    f"unexpected {', '.join(repr(c) for c in extra)}" if extra else "",
                ) if p
            )
        raise SourceError(label, f"not a data.police.uk street-level header ({why})", row=1)
    bad: list[tuple[int | None, str]] = []

    def _handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, column_names=list(COLUMNS), skip_rows=1,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=_handler),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in COLUMNS},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(label, f"cannot parse CSV ({exc})") from exc
    rows = table.to_pandas()
    # physical line numbers of bad rows are counted from the first data line (row 2)
    bad_rows = sorted((n + 1) if n is not None else -1 for n, _ in bad)
    known_bad = np.array([b for b in bad_rows if b > 0], dtype=np.int64)
    idx = np.arange(len(rows), dtype=np.int64) + 2
    if known_bad.size:
        # shift good rows past the bad rows that precede them
        pos = idx.copy()
        for b in known_bad:
            pos = np.where(pos >= b, pos + 1, pos)
        idx = pos
    rows.insert(0, "row", idx)
    malformed = pd.DataFrame(
        {"row": [(n + 1) if n is not None else pd.NA for n, _ in bad],
         "text": [t for _, t in bad]}
    )
    return rows, malformed, notes


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
        ``kept`` aggregated to :data:`AGG_KEYS` + ``n_rows``; ``rejected`` row-level.
    """
    notes = list(notes or [])
    reason = pd.Series(pd.NA, index=df.index, dtype="string")

    def flag(mask: pd.Series, code: str) -> None:
        nonlocal reason
        reason = reason.mask(reason.isna() & mask.fillna(False).astype(bool), code)

    month = df["month"].astype("string")
    valid_month = month.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).astype(bool)
    flag(~valid_month, "bad_month")
    if expected_month is not None:
        flag(month != expected_month, "month_mismatch")
    flag(df["falls_within"] != area.force, "other_force")
    flag(~df["crime_type"].isin(CRIME_TYPES), "unknown_crime_type")
    coords_ok, has_coords = _coords(df)
    flag(~coords_ok, "bad_coordinates")
    flag((df["crime_id_status"] == "blank") & (df["crime_type"] != ASB), "missing_crime_id")
    geo = assign_authority(df["lsoa_code"], df["lsoa_name"], area)
    flag(geo["geo_status"] == "bad_lsoa_code", "bad_lsoa_code")
    flag(geo["geo_status"] == "outside_area", "lsoa_outside_area")
    flag(df["crime_id_status"] == "duplicate", "duplicate_crime_id")

    parts = []
    for code in REASONS:
        m = reason == code
        if m.any():
            q = quarantine(df, m, reason=code, detail=REASONS[code], file=label)
            if code == "lsoa_outside_area":
                q["detail"] = (REASONS[code] + ": " + geo.loc[m, "lsoa_la_name"]
                               .fillna("unknown authority")).astype("string")
            parts.append(q)
    if malformed is not None and len(malformed):
        mq = pd.DataFrame({
            "file": label, "reason": "malformed_row", "detail": REASONS["malformed_row"],
            "row": malformed["row"].astype("Int64"), "text": malformed["text"],
            WEIGHT: np.int64(1),
        })
        parts.append(mq)
    rejected = (pd.concat(parts, ignore_index=True) if parts
                else _empty_rejected(label))
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


def _empty_rejected(label: str) -> pd.DataFrame:
    return pd.DataFrame({"file": pd.Series([], dtype="string"),
                         "reason": pd.Series([], dtype="string"),
                         "detail": pd.Series([], dtype="string"),
                         "row": pd.Series([], dtype="Int64"),
                         WEIGHT: pd.Series([], dtype="int64")})


def aggregate(kept: pd.DataFrame) -> pd.DataFrame:
    """Sum ``n_rows`` over :data:`AGG_KEYS` (missing keys kept), sorted."""
    g = (kept.groupby(list(AGG_KEYS), dropna=False, sort=True)[WEIGHT].sum()
         .reset_index())
    g[WEIGHT] = g[WEIGHT].astype("int64")
    return g.sort_values(list(AGG_KEYS), na_position="first").reset_index(drop=True)


def load_bytes(data: bytes, label: str, area: AreaConfig) -> LoadResult:
    """Load one street-level CSV from its bytes.

    Parameters
    ----------
    data
        The CSV bytes (decompressed).
    label
        File label (its name must follow ``YYYY-MM-<force>-street.csv`` for the
        month check to apply).
    area
        Area configuration.

    Returns
    -------
    LoadResult
        Clean aggregated rows and quarantined rows.
    """
    sha = sha256_bytes(data)
    rows, malformed, notes = parse_street_csv(data, label)
    rows = _normalise_raw(rows)
    return clean(rows, label=label, area=area, expected_month=month_from_name(label),
                 sha256=sha, notes=notes, malformed=malformed)


def load_police_path(path: str | Path, area: AreaConfig) -> list[LoadResult]:
    """Load a street-level ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.

    Parameters
    ----------
    path
        The file.
    area
        Area configuration; archives are filtered to the area's force slug.

    Returns
    -------
    list of LoadResult
        One per CSV read.

    Raises
    ------
    SourceError
        If a file cannot be used.
    """
    return [load_bytes(data, label, area)
            for label, data in iter_members(path, force_slug=area.force_slug)]


def resolve_overlaps(results: list[LoadResult]) -> list[LoadResult]:
    """Quarantine force-months supplied by more than one input.

    The input whose label sorts last (the latest archive) supplies the month;
    every kept row of the other inputs moves to their quarantine as
    ``superseded_month``, so each input's accounting still balances.

    Parameters
    ----------
    results
        Loaded files.

    Returns
    -------
    list of LoadResult
        The same results, updated in place and returned in input order.
    """
    owners: dict[tuple[str, str], str] = {}
    for res in sorted(results, key=lambda r: r.path):
        if res.kept.empty:
            continue
        for force, month in (res.kept[["force", "month"]].drop_duplicates()
                             .itertuples(index=False)):
            owners[(str(force), str(month)[:7])] = res.path
    for res in results:
        if res.kept.empty:
            continue
        key = list(zip(res.kept["force"].astype(str), res.kept["month"].astype(str).str[:7],
                       strict=True))
        lost = np.array([owners[k] != res.path for k in key], dtype=bool)
        if lost.any():
            winner = sorted({owners[k] for k, lo in zip(key, lost, strict=True) if lo})
            moved = res.kept.loc[lost].copy()
            moved.insert(0, "detail", f"{REASONS['superseded_month']}: {', '.join(winner)}")
            moved.insert(0, "reason", "superseded_month")
            moved.insert(0, "file", res.path)
            moved["month"] = moved["month"].dt.strftime("%Y-%m")
            res.rejected = pd.concat([res.rejected, moved], ignore_index=True)
            res.kept = res.kept.loc[~lost].reset_index(drop=True)
            res.check_accounting()
    return results


def month_coverage(kept: pd.DataFrame, first: str | None = None,
                   last: str | None = None) -> pd.DataFrame:
    """Return every month from the first to the last with data, marking gaps.

    Parameters
    ----------
    kept
        Clean aggregated rows (``force``, ``month``).
    first, last
        Optional ``YYYY-MM`` bounds to widen the range (e.g. an expected period).

    Returns
    -------
    pandas.DataFrame
        ``force``, ``month``, ``status`` (``"present"`` or ``"missing"``). A missing
        month is a gap in the data, never a month with zero crimes.
    """
    out = []
    for force, g in kept.groupby("force", sort=True):
        have = set(g["month"].dt.to_period("M"))
        lo = min(have) if first is None else min(min(have), pd.Period(first, "M"))
        hi = max(have) if last is None else max(max(have), pd.Period(last, "M"))
        for p in pd.period_range(lo, hi, freq="M"):
            out.append((force, p.to_timestamp(), "present" if p in have else "missing"))
    return pd.DataFrame(out, columns=["force", "month", "status"])


# ---------------------------------------------------------------- embedded aggregate

#: Columns of the embedded aggregate (one row per group of identical input rows).
EMBED_COLUMNS: tuple[str, ...] = (
    "source_file", "source_sha256", "month", "reported_by", "falls_within", "lsoa_code",
    "lsoa_name", "crime_type", "has_coordinates", "crime_id_status", WEIGHT,
)


def build_embedded_aggregate(paths: list[Path]) -> pd.DataFrame:
    """Aggregate real street-level files into the compact embedded form.

    Only the fields the cleaning rules need are kept (month, force, LSOA, crime
    type, whether coordinates and a Crime ID were present, and whether the Crime
    ID repeated within the file), so that replaying :func:`clean` on the
    aggregate gives exactly the counts of replaying it on the original rows.

    Parameters
    ----------
    paths
        Real data.police.uk files (``.csv`` or ``.csv.gz``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EMBED_COLUMNS`, sorted.
    """
    frames = []
    for p in sorted(paths, key=lambda x: Path(x).name):
        for label, data in iter_members(p):
            rows, malformed, _ = parse_street_csv(data, label)
            if len(malformed):
                raise SourceError(label, f"{len(malformed)} malformed rows; fix before embedding")
            rows = _normalise_raw(rows)
            ok, has = _coords(rows)
            if not ok.all():
                raise SourceError(label, "invalid coordinates; fix before embedding")
            rows["has_coordinates"] = has
            name = Path(label).name.removesuffix(".gz")
            rows["source_file"] = name
            rows["source_sha256"] = sha256_bytes(data)
            keys = [c for c in EMBED_COLUMNS if c != WEIGHT]
            g = rows.groupby(keys, dropna=False, sort=True)[WEIGHT].sum().reset_index()
            frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values([c for c in EMBED_COLUMNS if c != WEIGHT],
                           na_position="first").reset_index(drop=True)


def load_embedded(frame: pd.DataFrame, area: AreaConfig, label: str) -> list[LoadResult]:
    """Replay the cleaning rules on an embedded aggregate, one result per source file.

    Parameters
    ----------
    frame
        The aggregate (columns :data:`EMBED_COLUMNS`).
    area
        Area configuration.
    label
        Label of the aggregate file (prefixed to each source-file label).

    Returns
    -------
    list of LoadResult
        One per original monthly file, with its original SHA-256.
    """
    out = []
    for (name, sha), g in frame.groupby(["source_file", "source_sha256"], sort=True):
        g = g.copy()
        g["row"] = pd.array([pd.NA] * len(g), dtype="Int64")
        for c in ("crime_id", "longitude", "latitude", "location", "last_outcome_category",
                  "context"):
            g[c] = pd.NA
        g["has_coordinates"] = g["has_coordinates"].astype(str).str.lower().isin(
            ["true", "1"])
        g[WEIGHT] = g[WEIGHT].astype("int64")
        res = clean(g, label=f"{label}!{name}", area=area,
                    expected_month=month_from_name(str(name)), sha256=str(sha),
                    notes=["embedded aggregate of the real data.police.uk file"])
        res.rejected = res.rejected.drop(
            columns=[c for c in ("crime_id", "longitude", "latitude", "location",
                                 "last_outcome_category", "context") if c in res.rejected])
        out.append(res)
    return out


def synthesize_default(out_dir: Path, area: AreaConfig) -> list[dict]:
    """Write the synthetic street-level files for ``area`` (see :mod:`synthetic_police`).

    Parameters
    ----------
    out_dir
        Folder for the ``YYYY-MM-<force>-street.csv`` files.
    area
        Area configuration.

    Returns
    -------
    list of dict
        Ground-truth records of the injected effects.
    """
    from lvrn_analysis.synthetic_police import write_synthetic_police

    return write_synthetic_police(out_dir, area)
