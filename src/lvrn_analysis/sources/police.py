"""data.police.uk street-level crime: reader, validator and cleaner.

Format
------
One CSV per force per month, named ``YYYY-MM-<force>-street.csv``, as downloaded
from https://data.police.uk/data/ (also read here from ``.csv.gz`` and from the
monthly archive ``.zip``, whose members are ``YYYY-MM/YYYY-MM-<force>-street.csv``).
Licence: Open Government Licence v3.0. The header is exactly::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,
    LSOA code,LSOA name,Crime type,Last outcome category,Context

Rules (each row gets the first rule it breaks; see `REASONS`)
-------------------------------------------------------------------
* A wrong, reordered or incomplete header, an empty file, HTML, or bytes that are
  not text make the whole file unusable (`SourceError`).
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

Implementation
--------------
`load_bytes()` runs the *fast path* (`load_fast()`): the file is parsed
once into Arrow string columns; the rules that depend only on a value (month
format, force, crime type, LSOA → authority) are evaluated once per distinct value
with the same pandas code as the row-by-row reference implementation
(`load_bytes_reference()` = `parse_street_csv()` + `clean()`) and
cached across files (`AreaIndex`); rows only carry integer codes, and
pandas frames are built for the quarantined rows alone. Both paths give the same
kept aggregate and the same quarantine, row for row (``tests/test_police_fastpath.py``).

Areas covering several forces (a national comparison) are `MultiForceArea`
configurations (`load_multi_force_area()`): ``Falls within`` must name one of
their forces and LSOAs are placed by the same LSOA-name rule in their own list of
authorities.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import threading
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from lvrn_analysis.config.areas import AreaConfig, ConfigError
from lvrn_analysis.config.geography import (
    LSOA_CODE_PATTERN,
    assign_authority,
    la_name_from_lsoa_name,
    local_authorities,
)
from lvrn_analysis.sources.validation import (
    WEIGHT,
    Accounting,
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
_MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"
_DICT = pa.dictionary(pa.int32(), pa.string())
#: Columns the fast path reads as dictionary-encoded strings (few distinct values).
#: ``month`` and ``falls_within`` hold one value per monthly file: they are read as
#: plain strings, which `_encode()` checks for a single value without hashing.
_DICT_COLUMNS = ("crime_type", "lsoa_code", "lsoa_name")
_HEADER_LINE = ",".join(HEADER)


# ---------------------------------------------------------------- multi-force areas


@dataclass(frozen=True)
class MultiForceArea(AreaConfig):
    """An area covering several forces, e.g. England and Wales for a national comparison.

    A plain `AreaConfig` names one force and takes
    its authorities' names from the shipped reference geography; this extension
    adds the other forces and the names of its own authorities, so that the same
    rules apply unchanged: ``Falls within`` must be one of `forces`, and an
    LSOA is placed in the authority its name starts with.

    Attributes
    ----------
    forces
        ``Falls within`` values of every force (the first is also ``force``).
    force_slugs
        Their slugs in data.police.uk file names, in the same order.
    authority_names
        Names of the authorities in ``authorities`` (same order); empty to take
        them from the reference geography.
    """

    forces: tuple[str, ...] = ()
    force_slugs: tuple[str, ...] = ()
    authority_names: tuple[str, ...] = ()


def area_forces(area: AreaConfig) -> tuple[str, ...]:
    """Return the ``Falls within`` values an area accepts (one for a plain area)."""
    return tuple(getattr(area, "forces", ()) or (area.force,))


def area_slugs(area: AreaConfig) -> str | tuple[str, ...]:
    """Return the file-name slug (plain area) or slugs (`MultiForceArea`)."""
    slugs = tuple(getattr(area, "force_slugs", ()))
    return slugs if slugs else area.force_slug


def load_multi_force_area(path: str | Path) -> MultiForceArea:
    """Read a multi-force area configuration (YAML).

    The file has ``id``, ``name``, optional ``short_name``, ``police.forces`` (a
    list of ``{force: ..., file_slug: ...}``) and ``authorities_file``: a CSV with
    ``la_code`` and ``la_name`` columns (relative paths are read next to the YAML).

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    MultiForceArea
        The configuration.

    Raises
    ------
    ConfigError
        If a key is missing or the authorities file is unusable.
    """
    p = Path(path)
    src = str(p)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{src}: cannot read area configuration ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping at the top level")
    for key in ("id", "name", "police", "authorities_file"):
        if raw.get(key) in (None, ""):
            raise ConfigError(f"{src}: area configuration has no {key!r}")
    forces = (raw["police"] or {}).get("forces") if isinstance(raw["police"], dict) else None
    if not isinstance(forces, list) or not forces or not all(
            isinstance(f, dict) and f.get("force") and f.get("file_slug") for f in forces):
        raise ConfigError(f"{src}: 'police.forces' must be a list of {{force, file_slug}}")
    lap = Path(raw["authorities_file"])
    if not lap.is_absolute():
        lap = p.parent / lap
    try:
        las = pd.read_csv(lap, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{src}: cannot read authorities file {lap} ({exc})") from exc
    if list(las.columns[:2]) != ["la_code", "la_name"] or las.empty:
        raise ConfigError(f"{src}: {lap} must have columns la_code, la_name and rows")
    synth = raw.get("synthetic") or {}
    return MultiForceArea(
        id=str(raw["id"]), name=str(raw["name"]),
        short_name=str(raw.get("short_name") or raw["id"]),
        force=str(forces[0]["force"]), force_slug=str(forces[0]["file_slug"]),
        authorities=tuple(las["la_code"].astype(str)),
        default_mid_year=int((raw.get("population") or {}).get("default_mid_year", 2019)),
        embedded_police=None,
        synthetic_start=str(synth.get("start", "2016-01")),
        synthetic_end=str(synth.get("end", "2022-10")),
        synthetic_seed=int(synth.get("seed", 1)),
        source=src,
        forces=tuple(str(f["force"]) for f in forces),
        force_slugs=tuple(str(f["file_slug"]) for f in forces),
        authority_names=tuple(las["la_name"].astype(str)),
    )


def assign_area_authority(lsoa_code: pd.Series, lsoa_name: pd.Series,
                          area: AreaConfig) -> pd.DataFrame:
    """Place LSOAs in an area's authorities (`assign_authority()`).

    A plain area uses `assign_authority()` itself; a
    `MultiForceArea` with its own authority names applies the same rule
    (authority = the name that prefixes the LSOA name) to those names.

    Parameters
    ----------
    lsoa_code, lsoa_name
        LSOA codes and names.
    area
        The area.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``lsoa_la_name``, ``geo_status`` (see
        `assign_authority()`).
    """
    names_t = tuple(getattr(area, "authority_names", ()))
    if not names_t:
        return assign_authority(lsoa_code, lsoa_name, area)
    # same rule as geography.assign_authority, with the area's own authority names
    by_name = dict(zip(names_t, area.authorities, strict=True))
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
    names = dict(zip(area.authorities, names_t, strict=True))
    return pd.DataFrame(
        {
            "la_code": la_code.astype("string"),
            "la_name": la_code.map(names).astype("string"),
            "lsoa_la_name": prefix.astype("string"),
            "geo_status": pd.Series(status, index=lsoa_code.index, dtype="string"),
        },
        index=lsoa_code.index,
    )


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


def iter_members(path: str | Path, force_slug: str | Collection[str] | None = None
                 ) -> Iterator[tuple[str, bytes]]:
    """Yield ``(label, bytes)`` for each street-level CSV in ``path``.

    Parameters
    ----------
    path
        A ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.
    force_slug
        For archives: only members for this force (``*-<slug>-street.csv``), or
        for any of these forces when a collection of slugs is given.

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
                wanted = ({force_slug} if isinstance(force_slug, str)
                          else set(force_slug) if force_slug is not None else None)
                if wanted is not None:
                    names = [n for n in names if slug_from_name(n) in wanted]
                if not names:
                    which = ("" if not force_slug else f" for force '{force_slug}'"
                             if isinstance(force_slug, str)
                             else f" for forces {', '.join(sorted(wanted or ()))}")
                    raise SourceError(label, "archive holds no street-level CSV" + which)
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
    table, idx, malformed, notes = parse_street_table(data, label)
    rows = table.to_pandas()
    rows.insert(0, "row", idx)
    return rows, malformed, notes


def parse_street_table(data: bytes, label: str, dictionary: Collection[str] = (),
                       shared_empty: bool = False
                       ) -> tuple[pa.Table, np.ndarray, pd.DataFrame, list[str]]:
    """Parse one street-level CSV into an Arrow table (the first step of both paths).

    Parameters
    ----------
    data
        File bytes (decompressed).
    label
        File label for messages.
    dictionary
        Columns to read as dictionary-encoded strings (same values, fewer copies).
    shared_empty
        Return a shared (read-only) frame when there are no malformed rows.

    Returns
    -------
    tuple
        ``(table, row, malformed, notes)``: ``table`` has the internal column
        names, all strings; ``row`` the spreadsheet row number of each table row
        (the header is row 1); ``malformed`` and ``notes`` as in
        `parse_street_csv()`.

    Raises
    ------
    SourceError
        If the file is empty, HTML, or its header is not the data.police.uk header.
    """
    notes: list[str] = []
    text_needed = not (data.isascii() or _is_utf8(data))
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
    if header_line == _HEADER_LINE:
        found: tuple[str, ...] = HEADER
    else:
        row0 = next(iter(pd.read_csv(io.StringIO(header_line), header=None, dtype=str).values))
        found = tuple("" if pd.isna(x) else str(x).strip() for x in row0)
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
    # files without a quote character (most data.police.uk files) are read without
    # quote handling (a little faster, same result) and skip the line count: only a
    # quote can make the reader join lines
    quoted = b'"' in data
    table, bad = _read_arrow(data, label, dictionary, quoting=quoted)
    n_read = table.num_rows + len(bad)
    if quoted and n_read != _data_lines_quick(data) and \
            n_read != (expected := _data_lines(data)):
        # a stray quote opened a field that swallowed the following lines: no value
        # of this format spans lines, so read again with quotes taken literally
        swallowed = expected - table.num_rows - len(bad)
        table, bad = _read_arrow(data, label, dictionary, quoting=False)
        if table.num_rows + len(bad) != expected:
            raise SourceError(label, f"cannot account for every line ({expected} data lines, "
                              f"{table.num_rows + len(bad)} rows read)")
        notes.append(f"unbalanced quote: {swallowed} lines were being read into one field; "
                     "the file was read with quote characters taken literally")
    # InvalidRow.number is the physical line number (the header is line 1)
    bad_rows = sorted(n if n is not None else -1 for n, _ in bad)
    known_bad = np.array([b for b in bad_rows if b > 0], dtype=np.int64)
    idx = np.arange(table.num_rows, dtype=np.int64) + 2
    if known_bad.size:
        # shift good rows past the bad rows that precede them
        pos = idx.copy()
        for b in known_bad:
            pos = np.where(pos >= b, pos + 1, pos)
        idx = pos
    if bad:
        malformed = pd.DataFrame(
            {"row": [n if n is not None else pd.NA for n, _ in bad],
             "text": [t for _, t in bad]}
        )
    else:
        malformed = _NO_MALFORMED if shared_empty else pd.DataFrame({"row": [], "text": []})
    return table, idx, malformed, notes


def _data_lines_quick(data: bytes) -> int:
    """Count the data lines fast: lines after the header that are neither empty nor a lone CR.

    One vectorised pass over the bytes (three ``bytes.count`` passes cost a quarter
    of the fast path). Lines of spaces count here but not in `_data_lines()`,
    which the caller falls back on when this count does not match.
    """
    if not data:
        return 0
    b = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    if not nl.size:
        return 0
    gap = np.diff(nl)
    empty = int(np.count_nonzero(gap == 1))
    two = np.flatnonzero(gap == 2)
    if two.size:
        empty += int(np.count_nonzero(b[nl[two] + 1] == 13))
    return nl.size - 1 - empty + (0 if nl[-1] == b.size - 1 else 1)


def _data_lines(data: bytes) -> int:
    """Count the non-blank lines after the header (what the CSV reader should return)."""
    body = data[data.find(b"\n") + 1:] if b"\n" in data else b""
    return sum(1 for line in body.splitlines() if line.strip())


#: Parse block of the CSV reader; a column has one chunk per block. With freed pages
#: given back to the system at once, 1 MiB blocks parsed a quarter faster than 16 MiB
#: ones (fewer fresh pages per block); now that Arrow's jemalloc keeps them (see the
#: package's ``__init__``), 4 MiB blocks (one for most monthly files: fewer chunks to
#: join) make a worker 6-8 % faster than 1 MiB ones (docs/benchmarks.md).
_BLOCK_SIZE = 4 << 20


def _read_arrow(data: bytes, label: str, dictionary: Collection[str], *, quoting: bool
                ) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """Read the data rows with pyarrow, collecting rows with the wrong field count."""
    bad: list[tuple[int | None, str]] = []

    def _handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, column_names=list(COLUMNS), skip_rows=1,
                block_size=_BLOCK_SIZE,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=_handler, quote_char='"' if quoting else False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: _DICT if c in dictionary else pa.string() for c in COLUMNS},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
                check_utf8=False,  # the bytes were checked (or re-encoded) above
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(label, f"cannot parse CSV ({exc})") from exc
    return table, bad


#: The empty malformed-rows frame the fast path shares (never modified).
_NO_MALFORMED = pd.DataFrame({"row": [], "text": []})


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
    geo = assign_area_authority(df["lsoa_code"], df["lsoa_name"], area)
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

    Notes
    -----
    Runs the fast path (`load_fast()`); `load_bytes_reference()` is the
    row-by-row implementation it reproduces.
    """
    return load_fast(data, label, area).to_load_result()


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
    index = area_index(area)
    return [load_fast(data, label, area, index).to_load_result()
            for label, data in iter_members(path, force_slug=area_slugs(area))]


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
        # a missing force is "<NA>" here as in `owners` (astype(str) would give NaN)
        forces = [str(f) for f in res.kept["force"].astype(object)]
        key = list(zip(forces, res.kept["month"].astype(str).str[:7], strict=True))
        lost = np.array([owners[k] != res.path for k in key], dtype=bool)
        if lost.any():
            winner = sorted({owners[k] for k, lo in zip(key, lost, strict=True) if lo})
            res.kept, res.rejected = _move_superseded(res.kept, res.rejected, lost, winner,
                                                      res.path)
            res.check_accounting()
    return results


def _move_superseded(kept: pd.DataFrame, rejected: pd.DataFrame, lost: np.ndarray,
                     winner: list[str], path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the kept rows selected by ``lost`` to the quarantine as ``superseded_month``."""
    moved = kept.loc[lost].copy()
    moved.insert(0, "detail", f"{REASONS['superseded_month']}: {', '.join(winner)}")
    moved.insert(0, "reason", "superseded_month")
    moved.insert(0, "file", path)
    moved["month"] = moved["month"].dt.strftime("%Y-%m")
    rejected = pd.concat([rejected, moved], ignore_index=True)
    return kept.loc[~lost].reset_index(drop=True), rejected


# ---------------------------------------------------------------- fast path

_CODES: dict[str, int] = {r: i + 1 for i, r in enumerate(REASONS)}
_REASON_NAMES = np.array(list(REASONS), dtype=object)
_REASON_DETAILS = np.array(list(REASONS.values()), dtype=object)
_TYPE_INDEX: dict[str, int] = {t: i for i, t in enumerate(CRIME_TYPES)}
_TYPE_RANK = np.array([sorted(CRIME_TYPES).index(t) for t in CRIME_TYPES], dtype=np.int64)
_TYPE_OF_RANK = np.argsort(_TYPE_RANK)
_ASB_INDEX = _TYPE_INDEX[ASB]
#: geo_status values the fast path codes as integers (see geography.assign_authority).
GEO_STATUS: tuple[str, ...] = ("in_area", "no_lsoa", "bad_lsoa_code", "outside_area")
_STATUS_INDEX = {g: i for i, g in enumerate(GEO_STATUS)}
_STATUS_RANK = np.array([sorted(GEO_STATUS).index(g) for g in GEO_STATUS], dtype=np.int64)
_NULL = pa.scalar(None, pa.string())
_CODE_RE = re.compile(LSOA_CODE_PATTERN)
#: The pattern of `lvrn_analysis.config.geography.la_name_from_lsoa_name()`.
_LA_PREFIX_RE = re.compile(r"^(?P<la>.+?)\s+\d{3}[A-Z]$")


def _na_first(value: str | None) -> tuple[int, str]:
    """Sort key that puts missing values first (``na_position="first"``)."""
    return (0, "") if value is None else (1, value)


def _trim_null(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strip whitespace and turn empty strings into nulls, as `_normalise_raw()` does.

    pandas' ``str.strip`` on Arrow-backed strings is this same Arrow kernel.
    """
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), _NULL, t)


def _strip(value: str) -> str:
    """``str.strip`` as pandas does it on Arrow strings (Arrow's whitespace)."""
    if value.isascii() and value.isprintable():
        return value.strip(" ")
    return pc.utf8_trim_whitespace(pa.array([value], pa.string()))[0].as_py()


def _encode(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str | None]]:
    """Dictionary-encode a column: per-row codes and the distinct values, normalised."""
    if pa.types.is_dictionary(col.type) and col.num_chunks:
        if col.num_chunks > 1:  # one dictionary per parse block: unify them
            col = col.unify_dictionaries()
            idx = pa.concat_arrays([c.indices for c in col.chunks])
        else:
            idx = col.chunk(0).indices
        values = _dictionary_values(col.chunk(0).dictionary) + [None]  # last: missing
        if idx.null_count:
            idx = pc.fill_null(idx, len(values) - 1)
        return idx.to_numpy(zero_copy_only=False), values
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, pa.string())
    elif (one := _single_value(col)) is not None:
        return np.zeros(len(col), dtype=np.int64), _dictionary_values(one)
    d = pc.dictionary_encode(col.combine_chunks(), null_encoding="encode")
    return (d.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
            _trim_null(d.dictionary).to_pylist())


def _string_offsets(arr: pa.Array) -> np.ndarray:
    """Return the value offsets of a ``string`` array as a numpy view (no copy).

    Value ``i`` is ``data[off[i]:off[i + 1]]`` in the array's data buffer
    (``arr.buffers()[2]``); slices of an array are honoured.
    """
    return np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1,
                         offset=arr.offset * 4)


def _single_value(col: pa.ChunkedArray) -> pa.Array | None:
    """Return the value (as a one-value array) if every row of a string column holds it.

    Compares the bytes of the values (same length, same bytes, no nulls) without
    hashing them; ``None`` when the column is empty or holds anything else.
    """
    first: np.ndarray | None = None
    for chunk in col.chunks:
        n = len(chunk)
        if not n:
            continue
        if chunk.type != pa.string() or chunk.null_count:
            return None
        off = _string_offsets(chunk)
        width = int(off[1] - off[0])
        if not width or off[-1] - off[0] != n * width or \
                not (off[1:] - off[:-1] == width).all():
            return None
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[off[0]:off[-1]]
        if first is None:
            first = data[:width].copy()
        # every value equals the first: the bytes repeat with period ``width``
        if first.size != width or not np.array_equal(data[:width], first) or \
                not np.array_equal(data[width:], data[:-width]):
            return None
    if first is None:
        return None
    return pa.array([first.tobytes().decode("utf-8")], pa.string())


def _dictionary_values(dictionary: pa.Array) -> list[str | None]:
    """Return a dictionary's values stripped, empty ones as ``None`` (`_trim_null()`).

    Dictionaries with nothing to strip are returned as they are, without three
    kernel calls: small ones (months, forces, crime types) checked value by value
    (printable ASCII, no space at either end), larger ones (LSOA codes and names)
    by their bytes (no value empty or null, no first or last byte that is ASCII
    whitespace or not ASCII).
    """
    if len(dictionary) <= 64:
        values = dictionary.to_pylist()
        if all(v and v.isascii() and v.isprintable() and v[0] != " " and v[-1] != " "
               for v in values):
            return values
    elif dictionary.type == pa.string() and not dictionary.null_count:
        off = _string_offsets(dictionary)
        if (off[1:] > off[:-1]).all():  # no empty value
            data = np.frombuffer(dictionary.buffers()[2], dtype=np.uint8)
            if not (_WS_BYTES[data[off[:-1]]].any() or _WS_BYTES[data[off[1:] - 1]].any()):
                return dictionary.to_pylist()
    return _trim_null(dictionary).to_pylist()


def _canonical(values: list[str | None]) -> tuple[list[str | None], np.ndarray]:
    """Merge raw values that normalise to the same value; return them and the raw → merged map."""
    canon = list(dict.fromkeys(values))
    pos = {v: i for i, v in enumerate(canon)}
    return canon, np.array([pos[v] for v in values], dtype=np.int64)


_WS_BYTES = np.zeros(256, dtype=bool)
_WS_BYTES[[9, 10, 11, 12, 13, 32]] = True  # Arrow's ASCII whitespace
_WS_BYTES[128:] = True  # any non-ASCII byte: let the kernel decide
_FNV_PRIME = np.uint64(0x100000001B3)  # the 64-bit FNV prime, mixing words into the hash


def _crime_id_status(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return (blank, duplicate) per row, as `_normalise_raw()` sets ``crime_id_status``.

    Blank: missing after stripping. Duplicate: not blank and equal to an earlier
    row's (stripped) value. Values that need no stripping and all have one length
    (data.police.uk's 64-character IDs) are compared through an FNV-style hash of
    their bytes folded to 32 bits, confirmed byte for byte; anything else goes
    through Arrow's dictionary encoding.
    """
    arr = col.combine_chunks()
    n = len(arr)
    if n and arr.type == pa.string():
        valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
        if not valid.any():
            return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        off = _string_offsets(arr)
        lens = np.diff(off)
        width = int(lens[int(np.argmax(valid))])
        # every value is ``width`` bytes long and every missing one empty
        if width and width % 8 == 0 and np.array_equal(lens, valid * np.int32(width)):
            data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[off[0]:off[-1]]
            values = data.reshape(-1, width)
            # no value needs stripping: no first or last byte is whitespace (or non-ASCII)
            if not (_WS_BYTES[values[:, 0]].any() or _WS_BYTES[values[:, -1]].any()):
                words = data.view(np.uint64).reshape(-1, width // 8)  # one row per value
                h = words[:, 0] * _FNV_PRIME
                for j in range(1, words.shape[1]):
                    h ^= words[:, j]
                    h *= _FNV_PRIME
                h ^= h >> np.uint64(32)  # folded to 32 bits: sorts twice as fast
                return ~valid, _repeated_values(words, h.astype(np.uint32),
                                                np.flatnonzero(valid), n)
    cid = _trim_null(arr)
    blank = ~pc.is_valid(cid).to_numpy(zero_copy_only=False)
    cidx = pc.fill_null(pc.dictionary_encode(cid).indices, -1) \
        .to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    seen = np.concatenate(([-1], np.maximum.accumulate(cidx)[:-1]))[:n]
    return blank, ~blank & (cidx <= seen)


def _repeated_values(words: np.ndarray, h: np.ndarray, rows: np.ndarray, n: int
                     ) -> np.ndarray:
    """Flag values equal to an earlier one, given their bytes and a hash of each.

    Equal values have equal hashes, so only rows whose hash occurs more than once
    (found by sorting the hashes) can repeat a value; those few rows are then
    compared by their bytes, in file order. A hash collision between different
    values only adds rows to compare.

    Parameters
    ----------
    words
        One row per value: its bytes as 64-bit words.
    h
        A hash of each value (any integer type).
    rows
        The table row of each value.
    n
        Number of table rows.

    Returns
    -------
    numpy.ndarray
        Per table row, whether its value is a repeat.
    """
    dup = np.zeros(n, dtype=bool)
    hs = np.sort(h)
    twice = hs[1:][hs[1:] == hs[:-1]]  # hashes held by more than one row
    if not twice.size:
        return dup
    seen: set[bytes] = set()
    for i in np.flatnonzero(np.isin(h, twice)).tolist():  # in file order
        value = words[i].tobytes()
        if value in seen:
            dup[rows[i]] = True
        else:
            seen.add(value)
    return dup


def _numeric(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return (given, value) for a coordinate column, as ``pd.to_numeric(errors="coerce")``."""
    try:  # plain numbers (no padding) parse as they are; padded or odd values fail here
        num = pc.cast(col, pa.float64())
        return pc.is_valid(col).to_numpy(zero_copy_only=False), \
            np.asarray(num.to_numpy(zero_copy_only=False), dtype=np.float64)
    except pa.ArrowInvalid:
        pass
    s = _trim_null(col)
    given = pc.is_valid(s).to_numpy(zero_copy_only=False)
    try:
        num = pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # something Arrow will not parse: let pandas coerce it
        num = pd.to_numeric(pd.Series(pd.arrays.ArrowStringArray(s)), errors="coerce") \
            .to_numpy(dtype="float64", na_value=np.nan)
    return given, np.asarray(num, dtype=np.float64)


class AreaIndex:
    """The value-level rules of one area, evaluated once per distinct value and cached.

    Month format, force, crime type and LSOA → authority depend only on a value (or
    an LSOA code–name pair), so the fast path evaluates them on the distinct values
    of a file and keeps the answers for the next file. The two regular expressions
    of `assign_authority()` (LSOA code pattern, authority
    prefix of the LSOA name) run on new values only: through the same pandas calls
    (Arrow's RE2) for values with non-ASCII or control characters, through Python's
    ``re`` for printable ASCII, where both engines read these patterns alike. The rest
    of that rule (blank code, authority look-up) is applied here per pair
    (``tests/test_police_fastpath.py`` checks it against ``assign_authority``).
    LSOA pairs get integer ids; kept rows are grouped by a *geo id* standing for
    ``(la_code, la_name, lsoa_code, geo_status)``. Thread-safe.

    Parameters
    ----------
    area
        The area configuration.
    """

    def __init__(self, area: AreaConfig) -> None:
        self.area = area
        self.forces: tuple[str, ...] = area_forces(area)
        names_t = tuple(getattr(area, "authority_names", ()))
        if names_t:
            la_codes, la_names = list(area.authorities), list(names_t)
        else:
            las = local_authorities(area)
            la_codes, la_names = list(las["la_code"]), list(las["la_name"])
        self._by_name = dict(zip(la_names, la_codes, strict=True))
        self._names = dict(zip(la_codes, la_names, strict=True))
        self._lock = threading.Lock()
        self._month_ok: dict[str | None, bool] = {}
        self._code_ok: dict[str, bool] = {}
        self._strip: dict[str, str] = {}
        self._prefix: dict[str | None, str | None] = {}
        self._pairs: dict[tuple[str | None, str | None], int] = {}
        #: per LSOA code: the name and id of the first pair placed with it
        self._by_code: dict[str | None, tuple[str | None, int]] = {}
        self._n_pairs = 0
        #: per pair id: geo id, geo status code (index into `GEO_STATUS`)
        self.pair_geo = np.zeros(1024, dtype=np.int64)
        self.pair_status = np.zeros(1024, dtype=np.int8)
        #: per pair id: the authority named by the LSOA name (``lsoa_la_name``)
        self.pair_la_name: list[str | None] = []
        self._geo: dict[tuple[str | None, str | None, str | None, str], int] = {}
        #: ``(la_code, la_name, lsoa_code, geo_status)`` of each geo id
        self.geo_records: list[tuple[str | None, str | None, str | None, str]] = []
        self._geo_sortkey: list[str] = []
        self._geo_status: list[int] = []
        self._status_codes = np.zeros(0, dtype=np.int64)  # _geo_status as an array
        self._global_pos = np.zeros(0, dtype=np.int64)
        self._stale = 0  # files ranked on their own since the positions were computed
        self._geo_odd = False  # a value holds a control character the sort key uses

    def bad_months(self, values: list[str | None]) -> np.ndarray:
        """Return, per value, whether it fails the ``YYYY-MM`` rule (``bad_month``)."""
        new = [v for v in values if v not in self._month_ok]
        if new:
            ok = (pd.Series(new, dtype="string").str.fullmatch(_MONTH_PATTERN)
                  .fillna(False).astype(bool))
            self._month_ok.update(zip(new, ok.tolist(), strict=True))
        return np.array([not self._month_ok[v] for v in values], dtype=bool)

    def pair_ids(self, pairs: list[tuple[str | None, str | None]]) -> np.ndarray:
        """Return the id of each ``(lsoa_code, lsoa_name)`` pair, placing new ones."""
        get = self._pairs.get
        ids = [get(p, -1) for p in pairs]
        if -1 in ids:
            with self._lock:
                new = [p for p in dict.fromkeys(pairs) if p not in self._pairs]
                if new:
                    self._register(new)
            ids = [self._pairs[p] for p in pairs]
        return np.array(ids, dtype=np.int64)

    def pair_ids_of(self, codes: list[str | None], names: list[str | None]) -> np.ndarray:
        """`pair_ids()` of the pairs ``zip(codes, names)``, looked up by code first.

        Each code remembers the first pair it was placed with; a pair with that
        code and name is found without building and hashing a tuple.
        """
        get = self._by_code.get
        ids = [e[1] if (e := get(c)) is not None and e[0] == nm else -1
               for c, nm in zip(codes, names, strict=True)]
        if -1 in ids:
            return self.pair_ids(list(zip(codes, names, strict=True)))
        return np.array(ids, dtype=np.int64)

    def _register(self, new: list[tuple[str | None, str | None]]) -> None:
        # The two regular expressions of geography.assign_authority. pandas runs them
        # with RE2 (Arrow); on printable ASCII text Python's re means the same for these
        # patterns, so only other values go through pandas.
        # assign_authority strips the code again (the fast path passes stripped codes)
        stripped = {c: _strip(c) for c, _ in new if c is not None and c not in self._strip}
        self._strip.update(stripped)
        codes = list(dict.fromkeys(self._strip[c] for c, _ in new if c is not None
                                   and self._strip[c] and self._strip[c] not in self._code_ok))
        odd = [c for c in codes if not (c.isascii() and c.isprintable())]
        self._code_ok.update((c, _CODE_RE.match(c) is not None) for c in codes
                             if c.isascii() and c.isprintable())
        if odd:  # geography.assign_authority: code.fillna("").str.match(LSOA_CODE_PATTERN)
            ok = pd.Series(odd, dtype="string")
            self._code_ok.update(zip(odd, ok.str.match(LSOA_CODE_PATTERN)
                                     .fillna(False).astype(bool).tolist(), strict=True))
        names = list(dict.fromkeys(n for _, n in new if n not in self._prefix))
        odd = [n for n in names if n is not None and not (n.isascii() and n.isprintable())]
        for n in names:
            if n is None:
                self._prefix[n] = None
            elif n.isascii() and n.isprintable():
                m = _LA_PREFIX_RE.match(n)
                self._prefix[n] = None if m is None else m.group("la")
        if odd:  # geography.la_name_from_lsoa_name
            pre = la_name_from_lsoa_name(pd.Series(odd, dtype="string"))
            self._prefix.update(zip(odd, pa.array(pre).to_pylist(), strict=True))
        n0 = self._n_pairs
        n1 = n0 + len(new)
        if n1 > len(self.pair_geo):
            cap = max(2 * len(self.pair_geo), n1)
            geo_a = np.zeros(cap, dtype=np.int64)
            st_a = np.zeros(cap, dtype=np.int8)
            geo_a[:n0], st_a[:n0] = self.pair_geo[:n0], self.pair_status[:n0]
        else:
            geo_a, st_a = self.pair_geo, self.pair_status
        for i, (code, name) in enumerate(new):
            prefix = self._prefix[name]
            la_code = self._by_name.get(prefix) if prefix is not None else None
            if code is None or not self._strip[code]:
                status = "no_lsoa"
            elif not self._code_ok[self._strip[code]]:
                status = "bad_lsoa_code"
            elif la_code is None:
                status = "outside_area"
            else:
                status = "in_area"
            if status != "in_area":
                la_code = None
            la_name = None if la_code is None else self._names.get(la_code)
            gkey = (la_code, la_name, code, status)
            gid = self._geo.get(gkey)
            if gid is None:
                gid = self._add_geo(gkey)
            geo_a[n0 + i] = gid
            st_a[n0 + i] = _STATUS_INDEX[status]
            self.pair_la_name.append(prefix)
        self.pair_geo, self.pair_status = geo_a, st_a
        self._n_pairs = n1
        for i, p in enumerate(new):  # publish last: readers only see complete entries
            self._pairs[p] = n0 + i
            self._by_code.setdefault(p[0], (p[1], n0 + i))

    def _add_geo(self, gkey: tuple[str | None, str | None, str | None, str]) -> int:
        gid = len(self.geo_records)
        self.geo_records.append(gkey)
        self._geo_status.append(_STATUS_INDEX[gkey[3]])
        a, b, c = gkey[:3]
        if not self._geo_odd:
            self._geo_odd = any(v is not None and not v.isprintable()
                                and min(v, default="\x03") < "\x03" for v in (a, b, c))
        self._geo_sortkey.append(("\x01" if a is None else "\x02" + a) + "\x00"
                                 + ("\x01" if b is None else "\x02" + b) + "\x00"
                                 + ("\x01" if c is None else "\x02" + c))
        self._geo[gkey] = gid  # publish last
        return gid

    def geo_ids(self, records: list[tuple[str | None, str | None, str | None, str]]
                ) -> np.ndarray:
        """Return the geo id of each ``(la_code, la_name, lsoa_code, geo_status)`` record."""
        get = self._geo.get
        ids = [get(r, -1) for r in records]
        if -1 in ids:
            with self._lock:
                ids = [self._geo[r] if r in self._geo else self._add_geo(r) for r in records]
        return np.array(ids, dtype=np.int64)

    def geo_ranks(self, ids: np.ndarray) -> np.ndarray:
        """Dense rank of geo ids by ``(la_code, la_name, lsoa_code)``, missing first.

        Uses sort positions of all geo ids, recomputed when enough ids were added
        (64, or an eighth more) or when files with newer ids (ranked on their own
        meanwhile) came `_RERANK_AFTER` times.
        """
        if self._geo_odd:
            return self._file_ranks(ids)
        pos = self._global_pos
        if ids.size and int(ids.max()) >= len(pos):
            self._stale += 1
            if len(self.geo_records) - len(pos) >= max(64, len(pos) // 8) or \
                    self._stale >= _RERANK_AFTER:
                self._stale = 0
                keys = np.array(self._geo_sortkey, dtype=str)
                order = np.argsort(keys, kind="stable")
                srt = keys[order]
                new = np.ones(len(srt), dtype=bool)
                new[1:] = srt[1:] != srt[:-1]
                pos = np.empty(len(srt), dtype=np.int64)
                pos[order] = np.cumsum(new) - 1
                self._global_pos = pos
            else:
                return self._file_ranks(ids)
        _, rank = np.unique(pos[ids], return_inverse=True)
        return rank.reshape(-1)

    def _file_ranks(self, ids: np.ndarray) -> np.ndarray:
        if self._geo_odd:  # exact but slower: compare the tuples
            keys: list = [tuple(_na_first(v) for v in self.geo_records[i][:3])
                          for i in ids.tolist()]
            return _rank(keys)
        keys_u = np.array([self._geo_sortkey[i] for i in ids.tolist()], dtype=str)
        order = np.argsort(keys_u, kind="stable")
        srt = keys_u[order]
        new = np.ones(len(srt), dtype=bool)
        new[1:] = srt[1:] != srt[:-1]
        rank = np.empty(len(srt), dtype=np.int64)
        rank[order] = np.cumsum(new) - 1
        return rank

    def geo_status(self, geo: np.ndarray) -> np.ndarray:
        """Return the ``geo_status`` code (index into `GEO_STATUS`) of each geo id."""
        if len(self._status_codes) != len(self._geo_status):  # geo ids added since
            self._status_codes = np.array(self._geo_status, dtype=np.int64)
        return self._status_codes[geo]


#: Files ranked on their own (`AreaIndex.geo_ranks()`) before the sort positions
#: of all geo ids are computed again (at 35,000 geo ids, one file costs about a
#: twentieth of that: 0.2 ms against 4 ms).
_RERANK_AFTER = 32

_INDEXES: dict[AreaConfig, AreaIndex] = {}


def area_index(area: AreaConfig) -> AreaIndex:
    """Return the shared `AreaIndex` of an area (created on first use)."""
    idx = _INDEXES.get(area)
    if idx is None or idx.area.source != area.source:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        idx = _INDEXES[area] = AreaIndex(area)
    return idx


@dataclass(eq=False)
class PoliceFileResult(Accounting):
    """The outcome of loading one street-level file on the fast path.

    Holds the same information as a `LoadResult`
    (`to_load_result()` gives it), but the kept aggregate as integer codes
    sorted like `aggregate()` (the build streams them to parquet without
    building one frame per file).

    Attributes
    ----------
    path, sha256, rows_in, notes
        As in `LoadResult`.
    quarantined
        The quarantined rows before they become a frame (`rejected` builds it).
    index
        The `AreaIndex` whose geo ids `geo` refers to.
    months, forces
        Normalised ``Month`` and ``Falls within`` values the codes refer to.
    month, force, geo, ctype, n
        One entry per kept group: month and force codes, geo id, crime type
        (index into `CRIME_TYPES`) and number of rows.
    reasons
        Quarantined rows per reason.
    """

    path: str
    sha256: str
    rows_in: int
    quarantined: QuarantinedRows | None
    notes: list[str]
    index: AreaIndex
    months: list[str | None]
    forces: list[str | None]
    month: np.ndarray
    force: np.ndarray
    geo: np.ndarray
    ctype: np.ndarray
    n: np.ndarray
    reasons: dict[str, int]
    source: str = SOURCE
    geo_table: list | None = None
    worker: int = 0
    released: bool = False
    _rows_kept: int = 0
    ugeo: np.ndarray | None = None
    _rejected: pd.DataFrame | None = None

    @property
    def rejected(self) -> pd.DataFrame:
        """The quarantined rows as `clean()` returns them (built on first use)."""
        if self._rejected is None:
            assert self.quarantined is not None
            self._rejected = self.quarantined.frame()
            self.quarantined = None
        return self._rejected

    @rejected.setter
    def rejected(self, frame: pd.DataFrame) -> None:
        self._rejected = frame
        self.quarantined = None

    @property
    def rows_kept(self) -> int:
        """Input rows kept."""
        if self.released:
            return self._rows_kept
        return int(self.n.sum(dtype=np.int64))

    @property
    def rows_rejected(self) -> int:
        """Input rows quarantined (weighted; the sum of `reasons`)."""
        return int(sum(self.reasons.values()))

    def rejected_by_reason(self) -> dict[str, int]:
        """Return quarantined input rows per reason, sorted by reason."""
        return {k: int(v) for k, v in sorted(self.reasons.items()) if v}

    def kept_frame(self) -> pd.DataFrame:
        """Return the kept aggregate as `clean()` returns it."""
        if not len(self.n):
            return _empty_kept()
        recs = self.index.geo_records
        geo = [recs[g] for g in self.geo.tolist()]
        months = np.array(self.months, dtype=object)[self.month]
        forces = np.array(self.forces, dtype=object)[self.force]
        return pd.DataFrame({
            "month": pd.to_datetime(pd.Series(months, dtype="string").astype(str),
                                    format="%Y-%m").to_numpy(),
            "force": pd.array(forces, dtype="string"),
            "la_code": pd.array([g[0] for g in geo], dtype="string"),
            "la_name": pd.array([g[1] for g in geo], dtype="string"),
            "lsoa_code": pd.array([g[2] for g in geo], dtype="string"),
            "crime_type": pd.array(np.array(CRIME_TYPES, dtype=object)[self.ctype],
                                   dtype="string"),
            "geo_status": pd.array([g[3] for g in geo], dtype="string"),
            WEIGHT: self.n.astype(np.int64),
        })

    def release_kept(self) -> None:
        """Drop the kept groups once written, keeping `rows_kept` (bounded memory)."""
        self._rows_kept = int(self.n.sum(dtype=np.int64))
        empty = np.zeros(0, dtype=np.int32)
        self.month, self.force, self.geo = empty, empty, empty
        self.ctype, self.n = empty.astype(np.int8), empty.astype(np.int64)
        self.released = True

    def keep_only(self, mask: np.ndarray) -> None:
        """Drop the kept groups where ``mask`` is false."""
        for name in ("month", "force", "geo", "ctype", "n"):
            setattr(self, name, getattr(self, name)[mask])

    def detach(self, sent: set[int] | None = None) -> PoliceFileResult:
        """Prepare the result for another process (see `attach()`).

        Geo ids stay this process's; the records of those not in ``sent`` (which is
        updated), or of all of them, travel with the result.
        """
        recs = self.index.geo_records
        ids = np.unique(self.geo).tolist() if self.ugeo is None else self.ugeo.tolist()
        new = ids if sent is None else [g for g in ids if g not in sent]
        if sent is not None:
            sent.update(new)
        self.geo_table = [(g, recs[g]) for g in new]
        self.worker = os.getpid()
        self.index = None  # type: ignore[assignment]
        return self

    def attach(self, index: AreaIndex, maps: dict[int, np.ndarray] | None = None
               ) -> PoliceFileResult:
        """Re-express a detached result in ``index``'s geo ids.

        ``maps`` (one per parent, shared by the calls) remembers each worker's ids, so
        that records sent once are not needed again; results of one worker must be
        attached in the order that worker produced them.
        """
        maps = {} if maps is None else maps
        m = maps.get(self.worker, np.zeros(0, dtype=np.int32))
        if self.geo_table:
            top = max(g for g, _ in self.geo_table) + 1
            if top > len(m):
                m = np.concatenate([m, np.full(max(top, 2 * len(m)) - len(m), -1, np.int32)])
            m[[g for g, _ in self.geo_table]] = index.geo_ids([r for _, r in self.geo_table])
            maps[self.worker] = m
        self.geo = m[self.geo]
        self.geo_table = None
        self.ugeo = None
        self.index = index
        return self

    def to_load_result(self) -> LoadResult:
        """Return the equivalent `LoadResult`."""
        return LoadResult(self.source, self.path, self.kept_frame(), self.rejected,
                          self.rows_in, self.sha256, list(self.notes))


def empty_kept() -> pd.DataFrame:
    """Return the kept aggregate of a file with nothing kept (as `clean()` gives it)."""
    return _empty_kept()


def _empty_kept() -> pd.DataFrame:
    """Return the kept aggregate of a file with no kept rows, built as `clean()` does."""
    e = pd.Series([], dtype="string")
    return aggregate(pd.DataFrame({
        "month": pd.to_datetime(e.astype(str), format="%Y-%m").to_numpy(),
        "force": e.array, "la_code": e.array, "la_name": e.array,
        "lsoa_code": e.array, "crime_type": e.array, "geo_status": e.array,
        WEIGHT: np.array([], dtype=np.int64),
    }))


def load_fast(data: bytes, label: str, area: AreaConfig,
              index: AreaIndex | None = None) -> PoliceFileResult:
    """Load one street-level CSV on the fast path (same result as `load_bytes_reference()`).

    Parameters
    ----------
    data
        The CSV bytes (decompressed).
    label
        File label (``YYYY-MM-<force>-street.csv`` for the month check to apply).
    area
        Area configuration.
    index
        Shared per-area cache (default: `area_index()`).

    Returns
    -------
    PoliceFileResult
        Kept groups as codes, quarantined rows as a frame.

    Raises
    ------
    SourceError
        If the file cannot be used.
    """
    if index is None:
        index = area_index(area)
    sha = sha256_bytes(data)
    table, rownum, malformed, notes = parse_street_table(data, label, _DICT_COLUMNS,
                                                         shared_empty=True)
    n = table.num_rows
    expected = month_from_name(label)

    col = dict(zip(table.column_names, table.columns, strict=True))
    # value-level rules: once per distinct value
    mi, mvals = _encode(col["month"])
    m_canon, m_map = _canonical(mvals)
    mc = m_map[mi]
    fi, fvals = _encode(col["falls_within"])
    f_canon, f_map = _canonical(fvals)
    fc = f_map[fi]
    forces = set(index.forces)
    other_u = np.array([v is not None and v not in forces for v in f_canon], dtype=bool)
    ti, tvals = _encode(col["crime_type"])
    t_code = np.array([-1 if v is None else _TYPE_INDEX.get(v, -1) for v in tvals],
                      dtype=np.int64)
    ctype = t_code[ti]
    ci, cvals = _encode(col["lsoa_code"])
    ni, nvals = _encode(col["lsoa_name"])
    name_of = np.zeros(len(cvals), dtype=np.int64)
    name_of[ci] = ni
    if np.array_equal(name_of[ci], ni):  # one name per code: the code index is the pair
        pids = index.pair_ids_of(cvals, [nvals[k] for k in name_of.tolist()])
        pinv = ci
    else:
        n_names = max(len(nvals), 1)
        upair, pinv = np.unique(ci * n_names + ni, return_inverse=True)
        pinv = pinv.reshape(-1)
        pids = index.pair_ids([(cvals[k // n_names], nvals[k % n_names])
                               for k in upair.tolist()])
    pid = pids[pinv]
    pair_status = index.pair_status[pids]

    # row-level rules
    lon_given, lon = _numeric(col["longitude"])
    lat_given, lat = _numeric(col["latitude"])
    present = lon_given & lat_given
    with np.errstate(invalid="ignore"):
        inside = (lon >= _LON[0]) & (lon <= _LON[1]) & (lat >= _LAT[0]) & (lat <= _LAT[1])
    bad_coords = (lon_given != lat_given) | (present & (np.isnan(lon) | np.isnan(lat)))
    bad_coords |= present & ~inside
    blank, dup = _crime_id_status(col["crime_id"])

    # each row gets the first rule it breaks (the order of clean())
    reason = np.zeros(n, dtype=np.int8)

    def flag(mask: np.ndarray, code: str) -> None:
        reason[(reason == 0) & mask] = _CODES[code]

    def flag_values(bad_value: np.ndarray, codes: np.ndarray, code: str) -> None:
        # a value-level rule: rows are looked at only if some value breaks it
        if bad_value.any():
            flag(bad_value[codes], code)

    flag_values(index.bad_months(m_canon), mc, "bad_month")
    if expected is not None:
        flag_values(np.array([v is not None and v != expected for v in m_canon], dtype=bool),
                    mc, "month_mismatch")
    flag_values(other_u, fc, "other_force")
    flag_values(t_code < 0, ti, "unknown_crime_type")
    flag(bad_coords, "bad_coordinates")
    flag(blank & (ctype != _ASB_INDEX), "missing_crime_id")
    flag_values(pair_status == _STATUS_INDEX["bad_lsoa_code"], pinv, "bad_lsoa_code")
    flag_values(pair_status == _STATUS_INDEX["outside_area"], pinv, "lsoa_outside_area")
    flag(dup, "duplicate_crime_id")

    rej = np.flatnonzero(reason)
    quarantined = _quarantined(table, rej, rownum, reason, blank, dup, pid, index, label,
                               malformed)
    counts = np.bincount(reason, minlength=len(REASONS) + 1)
    reasons = {r: int(counts[_CODES[r]]) for r in REASONS if counts[_CODES[r]]}
    if len(malformed):
        reasons["malformed_row"] = reasons.get("malformed_row", 0) + len(malformed)

    # kept rows: count per (month, force, geo id, crime type). The count key is made of
    # the sort ranks of aggregate()'s keys, so the non-empty counts come out sorted.
    keep = reason == 0
    no_coords = int(np.count_nonzero(keep & ~(present & ~bad_coords)))
    if no_coords:
        notes.append(f"{no_coords} kept rows have no coordinates")
    ugeo, geo_pos = np.unique(index.pair_geo[pids], return_inverse=True)
    g_rank = index.geo_ranks(ugeo)
    s_rank = _STATUS_RANK[index.geo_status(ugeo)]
    m_rank = _rank([_na_first(v) for v in m_canon])
    f_rank = _rank([_na_first(v) for v in f_canon])
    n_m, n_f, n_g = len(m_canon), max(len(f_canon), 1), max(len(ugeo), 1)
    n_t, n_s = len(CRIME_TYPES), len(GEO_STATUS)
    if len(np.unique(g_rank)) == len(g_rank):  # no two geo ids tie: status adds nothing
        n_s, s_rank = 1, np.zeros_like(s_rank)
    row_geo = geo_pos.reshape(-1)[pinv[keep]]
    key = (((m_rank[mc[keep]] * n_f + f_rank[fc[keep]]) * n_g + g_rank[row_geo]) * n_t
           + _TYPE_RANK[ctype[keep]]) * n_s + s_rank[row_geo]
    size = n_m * n_f * n_g * n_t * n_s
    if size <= 8 * key.size + (1 << 20):
        cnt = np.bincount(key, minlength=size)
        ukey = np.flatnonzero(cnt)
        cnt = cnt[ukey]
    else:
        ukey, cnt = np.unique(key, return_counts=True)
    g_s = ukey % n_s
    rest = ukey // n_s
    g_t = _TYPE_OF_RANK[rest % n_t]
    rest //= n_t
    g_g = rest % n_g
    rest //= n_g
    g_f = np.argsort(f_rank)[rest % n_f] if len(f_canon) else rest % n_f
    g_m = np.argsort(m_rank)[rest // n_f] if len(m_canon) else rest // n_f
    geo_at = np.zeros(n_g * n_s, dtype=np.int64)
    geo_at[g_rank * n_s + s_rank] = ugeo
    g_g = geo_at[g_g * n_s + g_s]
    res = PoliceFileResult(
        path=label, sha256=sha, rows_in=n + len(malformed), quarantined=quarantined,
        notes=notes,
        index=index, months=m_canon, forces=f_canon, month=g_m.astype(_small(len(m_canon))),
        force=g_f.astype(_small(len(f_canon))), geo=g_g.astype(np.int32),
        ctype=g_t.astype(np.int8), n=cnt.astype(np.int32), reasons=reasons, ugeo=ugeo)
    res.check_accounting()
    return res


def _small(n: int) -> type:
    """Return the smallest integer type for codes below ``n``."""
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32


def _rank(keys: list) -> np.ndarray:
    """Dense rank of each key among ``keys``."""
    order = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([order[k] for k in keys], dtype=np.int64)


def _take_rows(table: pa.Table, idx: np.ndarray) -> pa.Table:
    """``table.take(idx)`` without first joining the table's chunks.

    ``Table.take`` concatenates every chunk of a column (for dictionary columns,
    unifying their dictionaries) before taking a handful of rows, which cost more
    than the rest of the quarantine. Here each record batch gives its own rows and
    the few rows are then put in the order of ``idx``. Dictionary columns may come
    back with one dictionary per batch (same values).
    """
    batches = table.to_batches()
    if len(batches) <= 1:
        return table.take(pa.array(idx))
    order = np.argsort(idx, kind="stable")
    srt = idx[order]
    bounds = np.cumsum([0] + [b.num_rows for b in batches])
    parts = []
    for k in np.unique(np.searchsorted(bounds, srt, side="right") - 1).tolist():
        sel = srt[(srt >= bounds[k]) & (srt < bounds[k + 1])] - bounds[k]
        parts.append(batches[k].take(pa.array(sel)))
    picked = pa.Table.from_batches(parts, schema=table.schema)
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return picked.take(pa.array(back))


#: Up to this many quarantined rows per file, their values are read one by one in
#: Python (`_row_values()`); more are taken with Arrow kernels.
_FEW_ROWS = 64


def _row_values(table: pa.Table, idx: np.ndarray) -> list[list[str | None]]:
    """Return the normalised values of a few rows, one list per column (in ``idx`` order).

    Gives what ``_trim_null`` does on the taken rows (stripped, empty as null), value
    by value: a handful of rows costs less in Python than a dozen kernel calls.
    """
    batches = table.to_batches()
    bounds = np.cumsum([0] + [b.num_rows for b in batches])
    where = np.searchsorted(bounds, idx, side="right") - 1
    rows = [(batches[b], i - int(bounds[b])) for b, i in zip(where.tolist(), idx.tolist(),
                                                                strict=True)]
    out = []
    for j in range(len(COLUMNS)):
        vals = []
        for batch, i in rows:
            v = batch.column(j)[i].as_py()
            vals.append(None if v is None else _strip(v) or None)
        out.append(vals)
    return out


def _quarantined(table: pa.Table, rej: np.ndarray, rownum: np.ndarray, reason: np.ndarray,
                 blank: np.ndarray, dup: np.ndarray, pid: np.ndarray, index: AreaIndex,
                 label: str, malformed: pd.DataFrame) -> QuarantinedRows:
    """Collect a file's quarantined rows (see `QuarantinedRows`).

    A few rows are kept as Python lists (they travel between processes as lists
    anyway); more as an Arrow table.
    """
    rows: pa.Table | dict[str, list] | None = None
    outside = False
    if rej.size:
        idx = rej[np.argsort(reason[rej], kind="stable")]  # by reason, in REASONS order
        r = reason[idx]
        detail = _REASON_DETAILS[r - 1]
        out_rows = r == _CODES["lsoa_outside_area"]
        if out_rows.any():  # REASONS[code] + ": " + lsoa_la_name.fillna("unknown authority")
            outside = True
            head = REASONS["lsoa_outside_area"] + ": "
            detail = detail.copy()
            detail[out_rows] = [head + ("unknown authority" if la is None else la)
                                for la in (index.pair_la_name[p]
                                           for p in pid[idx[out_rows]].tolist())]
        status = np.where(blank[idx], "blank", np.where(dup[idx], "duplicate", "present"))
        k = idx.size
        if k <= _FEW_ROWS:
            rows = {"reason": _REASON_NAMES[r - 1].tolist(), "detail": detail.tolist(),
                    "row": rownum[idx].tolist(),
                    **dict(zip(COLUMNS, _row_values(table, idx), strict=True)),
                    "crime_id_status": status.tolist()}
        else:
            sub_t = _take_rows(table, idx)
            # strip every column in one kernel call: the columns end to end, then cut back
            cols = [pc.cast(col, pa.string()) if pa.types.is_dictionary(col.type) else col
                    for col in sub_t.columns]
            flat = _trim_null(pa.chunked_array([c for col in cols for c in col.chunks],
                                               pa.string()).combine_chunks())
            arrays = [pa.array(_REASON_NAMES[r - 1], pa.string()),
                      pa.array(detail, pa.string()), pa.array(rownum[idx])]
            arrays += [flat.slice(j * k, k) for j in range(len(COLUMNS))]
            arrays.append(pa.array(status.tolist(), pa.string()))
            rows = pa.Table.from_arrays(arrays, schema=_QUARANTINE_SCHEMA)
    return QuarantinedRows(label, rows, outside, malformed if len(malformed) else None)


_QUARANTINE_COLUMNS = ["reason", "detail", "row", *COLUMNS, "crime_id_status"]
_QUARANTINE_SCHEMA = pa.schema([(c, pa.int64() if c == "row" else pa.string())
                                for c in _QUARANTINE_COLUMNS])


@dataclass
class QuarantinedRows:
    """A file's quarantined rows, kept as Arrow columns until a frame is needed.

    `clean()` builds a file's quarantine by concatenating one
    `quarantine()` frame per reason (in `REASONS`
    order) and then the malformed rows. The reason frames have the same columns and
    dtypes except ``detail`` (``string`` for ``lsoa_outside_area``, ``str``
    otherwise; concatenated: ``string``), so `frame()` builds them as one frame
    with the rows in that order. Files whose rows have the same `kind` make
    frames with the same columns and dtypes, so `quarantine_frame()` builds one
    frame for all of them, which is what concatenating their frames gives.

    Attributes
    ----------
    label
        The file label (the ``file`` column).
    rows
        Rows that broke a rule: ``reason``, ``detail``, ``row``, the normalised
        columns, ``crime_id_status``, as an Arrow table or a dict of column lists
        (`table` gives the table); ``None`` if there are none.
    outside
        Whether some are ``lsoa_outside_area``.
    malformed
        Malformed rows (``row``, ``text``), or ``None``.
    relabeled
        Whether the label was replaced by the build (its ``file`` column is then
        ``string``, as `lvrn_analysis.processed.build._relabel_result()` makes it).
    """

    label: str
    rows: pa.Table | dict[str, list] | None
    outside: bool
    malformed: pd.DataFrame | None
    relabeled: bool = False

    def __getstate__(self) -> dict:
        # a few rows: plain lists pickle much faster than an Arrow table
        state = dict(self.__dict__)
        if isinstance(self.rows, pa.Table):
            state["rows"] = self.rows.to_pydict()
        return state

    @property
    def table(self) -> pa.Table | None:
        """The rows as an Arrow table (``None`` if there are none)."""
        if isinstance(self.rows, dict):
            self.rows = pa.table(self.rows, schema=_QUARANTINE_SCHEMA)
        return self.rows

    @property
    def kind(self) -> tuple[bool, bool, bool, bool]:
        """Which columns and dtypes the frame has."""
        return (self.rows is not None, self.outside, self.malformed is not None,
                self.relabeled)

    def frame(self) -> pd.DataFrame:
        """Return the quarantine frame of this file, as `clean()` returns it."""
        return quarantine_frame([self])


def quarantine_frame(files: list[QuarantinedRows]) -> pd.DataFrame:
    """Return the quarantine frames of files of one `kind`, concatenated.

    For one file this is its frame as `clean()` builds it; for several, the
    same rows as concatenating their frames (each file's rows in the same order).

    Parameters
    ----------
    files
        Files whose rows all have the same kind.

    Returns
    -------
    pandas.DataFrame
        The rows.
    """
    has_rows, outside, has_mal, relabeled = files[0].kind
    if any(f.kind != files[0].kind for f in files):
        raise ValueError("quarantine_frame needs files of one kind")
    parts = []
    if has_rows:
        if all(isinstance(f.rows, dict) for f in files):  # lists: joined, one table
            t = pa.table({c: [v for f in files for v in f.rows[c]]  # type: ignore[index]
                          for c in _QUARANTINE_COLUMNS}, schema=_QUARANTINE_SCHEMA)
            sizes = [len(f.rows["row"]) for f in files]  # type: ignore[index]
        else:
            tables = [f.table for f in files]
            t = pa.concat_tables(tables)  # type: ignore[arg-type]
            sizes = [x.num_rows for x in tables]  # type: ignore[union-attr]
        labels = np.repeat(np.array([f.label for f in files], dtype=object), sizes)
        d: dict[str, object] = {
            "file": pd.array(labels, dtype=_STR),
            "reason": pd.array(t.column("reason"), dtype=_STR),
            "detail": pd.array(t.column("detail"), dtype="string" if outside else _STR),
            "row": t.column("row").to_numpy(),
        }
        for c in COLUMNS:
            d[c] = pd.arrays.ArrowStringArray(t.column(c))
        d["crime_id_status"] = pd.array(t.column("crime_id_status"), dtype=_STR)
        d[WEIGHT] = np.ones(t.num_rows, dtype=np.int64)
        parts.append(pd.DataFrame(d))
    if has_mal:
        parts += [_malformed_part(f.malformed, f.label) for f in files]  # type: ignore[arg-type]
    if not parts:
        frame = _empty_rejected(files[0].label)
    elif len(parts) == 1:
        frame = parts[0]
    else:
        frame = pd.concat(parts, ignore_index=True)
    if relabeled and not frame.empty and "file" in frame.columns:
        frame["file"] = frame["file"].astype("string")
    return frame


_STR = pd.StringDtype(na_value=np.nan)


def iter_fast(path: str | Path, area: AreaConfig,
              index: AreaIndex | None = None) -> Iterator[PoliceFileResult]:
    """Yield a `PoliceFileResult` for each street-level CSV in ``path``.

    Parameters
    ----------
    path
        A ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.
    area
        Area configuration; archives are filtered to the area's force slug(s).
    index
        Shared per-area cache (default: `area_index()`).

    Yields
    ------
    PoliceFileResult
        One per CSV read.
    """
    index = area_index(area) if index is None else index
    for label, data in iter_members(path, force_slug=area_slugs(area)):
        yield load_fast(data, label, area, index)


def _mf_unique(res: PoliceFileResult) -> tuple[np.ndarray, np.ndarray]:
    """Per kept group the code ``month * (len(forces) + 1) + force``, and the distinct codes.

    A monthly file of one force (the usual case) has one code: no sort needed.
    """
    code = res.month.astype(np.int64) * (len(res.forces) + 1) + res.force
    if code.size and code[0] == code[-1] and not (code != code[0]).any():
        return code, code[:1].copy()
    return code, np.unique(code)


def _month_force_codes(res: PoliceFileResult) -> tuple[np.ndarray, np.ndarray, list]:
    """Per kept group a (month, force) code, the distinct codes and their owner keys."""
    code, uniq = _mf_unique(res)
    keys = [("<NA>" if res.forces[c % (len(res.forces) + 1)] is None
             else res.forces[c % (len(res.forces) + 1)],
             str(res.months[c // (len(res.forces) + 1)])[:7]) for c in uniq.tolist()]
    return code, uniq, keys


_WORKER: dict[str, object] = {}


def _jemalloc_pool() -> pa.MemoryPool | None:
    """Return pyarrow's jemalloc pool, or ``None`` if this pyarrow has none (Windows)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None


@contextlib.contextmanager
def ingest_memory_pool() -> Iterator[None]:
    """Make jemalloc Arrow's default memory pool while police files are read.

    pyarrow's default pool (mimalloc in the Linux wheels) hands large buffers back to
    the system when they are released, so the buffers of every file and of every
    row group of the kept table are faulted in afresh; jemalloc keeps them for the
    next one (with the options `lvrn_analysis` sets before pyarrow loads; see
    the package's ``__init__``). At 20 million rows this saved about a tenth of the
    build's time (``benchmarks/ingest.py``, ``docs/benchmarks.md``). Where pyarrow
    has no jemalloc the default pool stays; the previous default is restored on exit.
    """
    pool = _jemalloc_pool()
    if pool is None:
        yield
        return
    old = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(old)


def worker_init(area: AreaConfig,
                relabel: Callable[[PoliceFileResult], None] | None = None) -> None:
    """Set up a worker process of `worker_load()` (a process-pool initializer)."""
    _WORKER.clear()
    pool = _jemalloc_pool()  # see ingest_memory_pool (a worker process is ours to set)
    if pool is not None:
        pa.set_memory_pool(pool)
    _WORKER["area"] = area
    _WORKER["relabel"] = relabel


@dataclass(frozen=True)
class WorkerFailure:
    """A `SourceError` raised in a worker process.

    ``SourceError`` cannot be unpickled (its constructor takes more than the
    message), so workers send this instead and the parent raises it again.
    """

    path: str
    message: str
    row: int | None
    column: str | None

    def error(self) -> SourceError:
        """Return the error to raise."""
        return SourceError(self.path, self.message, row=self.row, column=self.column)


def worker_load(path: str | Path) -> list[PoliceFileResult] | WorkerFailure:
    """Load one path in a worker process; results come detached (`PoliceFileResult.detach()`).

    Each result first goes through the ``relabel`` function given to
    `worker_init()` (the build makes labels relative there).
    """
    area = _WORKER["area"]
    relabel = _WORKER.get("relabel")
    out = []
    sent = _WORKER.setdefault("sent", set())
    try:
        for r in iter_fast(path, area):  # type: ignore[arg-type]
            if relabel is not None:
                relabel(r)  # type: ignore[operator]
            out.append(r.detach(sent))  # type: ignore[arg-type]
    except SourceError as exc:
        return WorkerFailure(exc.path, exc.message, exc.row, exc.column)
    return out


def resolve_overlaps_fast(results: list[PoliceFileResult]) -> list[PoliceFileResult]:
    """`resolve_overlaps()` for fast-path results (same rule, same quarantine rows)."""
    owners: dict[tuple[str, str], str] = {}
    codes = {id(r): _month_force_codes(r) for r in results}
    for res in sorted(results, key=lambda r: r.path):
        for k in codes[id(res)][2]:
            owners[k] = res.path
    for res in results:
        if not len(res.n):
            continue
        code, uniq, keys = codes[id(res)]
        lost_codes = [c for c, k in zip(uniq.tolist(), keys, strict=True)
                      if owners[k] != res.path]
        if lost_codes:
            lost = np.isin(code, lost_codes)
            winner = sorted({owners[k] for c, k in zip(uniq.tolist(), keys, strict=True)
                             if c in lost_codes})
            _, res.rejected = _move_superseded(res.kept_frame(), res.rejected, lost, winner,
                                               res.path)
            res.reasons["superseded_month"] = (res.reasons.get("superseded_month", 0)
                                               + int(res.n[lost].sum(dtype=np.int64)))
            res.keep_only(~lost)
            res.check_accounting()
    return results


def kept_blocks(results: list[PoliceFileResult]) -> list[tuple[PoliceFileResult, int, int]]:
    """Return ``(result, start, stop)`` slices of kept groups in `aggregate()` order.

    After `resolve_overlaps_fast()` every (month, force) comes from one file, and
    each file's groups are sorted, so the global order is the files' (month, force)
    blocks sorted by month then force (missing first).

    Parameters
    ----------
    results
        Fast-path results.

    Returns
    -------
    list of tuple
        Slices to concatenate in order.

    Raises
    ------
    ValueError
        If a (month, force) block comes from more than one file.
    """
    blocks = []
    for res in results:
        if not len(res.n):
            continue
        code = res.month.astype(np.int64) * (len(res.forces) + 1) + res.force
        cuts = np.flatnonzero(np.diff(code)) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [len(code)]))
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            m, f = res.months[res.month[a]], res.forces[res.force[a]]
            blocks.append(((m or "", _na_first(f)), res, a, b))
    blocks.sort(key=lambda x: x[0])
    for (k1, *_), (k2, *_) in zip(blocks, blocks[1:], strict=False):
        if k1 == k2:
            raise ValueError(f"month/force {k1} comes from more than one file")
    return [(res, a, b) for _, res, a, b in blocks]


def kept_pairs(results: list[PoliceFileResult]) -> pd.DataFrame:
    """Return the distinct kept (force, month) pairs, typed like the kept table."""
    found = set()
    for res in results:
        nf = len(res.forces) + 1
        for c in _mf_unique(res)[1].tolist():
            found.add((res.forces[c % nf], res.months[c // nf]))
    pairs = sorted(found, key=lambda p: (_na_first(p[0]), p[1] or ""))
    return pd.DataFrame({
        "force": pd.array([p[0] for p in pairs], dtype="string"),
        "month": pd.to_datetime(pd.Series([p[1] for p in pairs], dtype="string").astype(str),
                                format="%Y-%m").to_numpy(),
    })


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
    ID repeated within the file), so that replaying `clean()` on the
    aggregate gives exactly the counts of replaying it on the original rows.

    Parameters
    ----------
    paths
        Real data.police.uk files (``.csv`` or ``.csv.gz``).

    Returns
    -------
    pandas.DataFrame
        Columns `EMBED_COLUMNS`, sorted.
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
        The aggregate (columns `EMBED_COLUMNS`).
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
