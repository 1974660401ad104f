"""The data.police.uk street-level format: header, columns, crime types, reasons, file names.

One CSV per force per month, named ``YYYY-MM-<force>-street.csv``, as downloaded
from https://data.police.uk/data/ (also read from ``.csv.gz`` and from the monthly
archive ``.zip``, whose members are ``YYYY-MM/YYYY-MM-<force>-street.csv``).
Licence: Open Government Licence v3.0. The header is exactly::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,
    LSOA code,LSOA name,Crime type,Last outcome category,Context

Clean rows are aggregated to month × LSOA × crime type counts (`AGG_KEYS`); each
rejected row is quarantined with one of the `REASONS`.
"""

from __future__ import annotations

import re
from pathlib import Path

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

#: ``geo_status`` values (see `lvrn_analysis.config.geography.assign_authority()`), in
#: the order of the fast path's integer codes.
GEO_STATUS: tuple[str, ...] = ("in_area", "no_lsoa", "bad_lsoa_code", "outside_area")

_FILE_RE = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<slug>[a-z0-9-]+?)-street\.csv(\.gz)?$")


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
