"""ED assault attendances in the ECDS/ISTV-aligned layout: schema and validator.

This is **person-level health data**: it stays in ``data/raw/``; only
disclosure-controlled aggregates may leave the package.

Format
------
One CSV row per attendance at a type-1 ED for an assault-related injury, with the
columns named as NHS England's Emergency Care Data Set (ECDS) extracts name them
(the SUS flat names, e.g. ``EC_Arrival_Mode_SNOMED_CT``) and the Information
Sharing to Tackle Violence (ISTV) minimum data set items (``Assault_Method``,
``Assault_Location_Type``, ``Assault_Location_Description``). SNOMED CT codes are
kept as strings so that 16-digit identifiers survive. The layout, each column's
data item and whether its name was verified against a published source are in
``reference/ed/ed_columns.csv`` (`lvrn_analysis.sources.ed_mapping.schema_columns`);
the header of the standard layout is `HEADER`::

    EC_Ident, Patient_ID, Site_Code_of_Treatment, Arrival_Date, Arrival_Time,
    Age_At_Arrival, Sex, Der_Postcode_LSOA_2011_Code, residence_la,
    EC_Arrival_Mode_SNOMED_CT, EC_Chief_Complaint_SNOMED_CT, EC_Diagnosis_01,
    EC_Injury_Date, EC_Injury_Time, EC_Place_Of_Injury_SNOMED_CT,
    EC_Place_Of_Injury_Latitude, EC_Place_Of_Injury_Longitude,
    EC_Injury_Intent_SNOMED_CT, EC_Injury_Mechanism_SNOMED_CT, alcohol_involved,
    drugs_involved, Assault_Location_Type, Assault_Location_Description,
    Assault_Method, Assault_Method_Other_Description, referral,
    Discharge_Destination_SNOMED_CT

Only ``Site_Code_of_Treatment``, the arrival (``Arrival_Date`` and
``Arrival_Time``, or one date-time column such as ``Der_EC_Arrival_Date_Time``),
``Age_At_Arrival`` and ``Sex`` are required. Other spellings (the "Faster SUS",
HES-style and OpenSAFELY names, and this project's earlier layout) are accepted;
a provider's own names and local codes are read through a mapping file
(`lvrn_analysis.sources.ed_mapping`; ``<extract>.mapping.yml`` or
``mapping.yml`` beside the extract is used by itself). The residence authority
(``residence_la``, a project column) is derived from the LSOA when blank.

Code lists (``reference/ed/ed_codes.csv``, `code_list()`) say for every code
whether it was verified against a published source. Lists are *closed* (sex, the
ISTV assault location type and method, the alcohol/drug flags, referral: a value
outside the list quarantines the row as ``unknown_code``) or *open* (the ECDS
SNOMED CT items, whose shipped lists are partial: a code outside the list is kept,
with group ``unmapped``, and counted in a note, so a real ECDS extract is not
quarantined code by code).

Dates and codes are read by the shared reading layer
(`lvrn_analysis.sources.values`): date-times may be ISO (``2020-06-13 22:15``,
``T`` and a SQL fraction of a second allowed) or numeric ``NN/NN/YYYY HH:MM``, whose
day/month order is decided from the arrival and injury dates of the whole file: a
file written entirely month/day (US order) is read as such, with a note; dates that
contradict the file's order are quarantined, never swapped; a file whose numeric dates
never show the order is read as the documented ``DD/MM/YYYY``, with a note
(``lvrn validate --date-order`` says otherwise). Site, LSOA and authority codes are
read in capitals without spaces (``e01025473`` is ``E01025473``).

Validation (first failing check wins, the row is quarantined with a reason):
``unknown_ed_site``, ``site_outside_area``, ``bad_datetime`` (impossible or
unparseable date-time, e.g. ``2020-02-30``, an arrival without a time, or a date
in the other day/month order from the rest of the file, e.g. ``06/13/2020`` in a
day/month file),
``implausible_date`` (before 2000 or after 2099), ``incident_after_arrival``,
``bad_age``, ``age_out_of_range``, ``excel_mangled_code`` (scientific notation
``1.04803E+15`` or a two-digit code that lost its leading zero), ``unknown_code``,
``bad_lsoa_code``, ``bad_la_code``, ``residence_mismatch`` (LSOA lies in another
authority), ``bad_coordinate`` (place of injury latitude/longitude not a number
inside the UK), ``duplicate_row``, ``duplicate_attendance_id``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.ed_mapping import (
    UNMAPPED,
    EdMapping,
    aliases,
    apply_codes,
    code_list,
    codes_with,
    is_legacy_header,
    legacy_mapping,
    load_mapping,
    mapping_for,
    normalise_values,
    schema_columns,
)
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    complete_columns,
    finish,
    first_row_of,
    lazy,
    looks_scientific,
    raw,
    read_csv_table,
    read_input,
)
from lvrn_analysis.sources.validation import LoadResult, SourceError
from lvrn_analysis.sources.values import ParsedDates, normalise_code, parse_dates

__all__ = [
    "AGE_BANDS", "FILE_COLUMN", "HEADER", "NIGHT_HOURS", "SCHEMA", "SOURCE", "age_band",
    "box1_profile", "code_list", "default_inputs", "ed_sites", "flag_repeats", "load_ed",
    "lsoa_lookup", "monthly_counts", "processed_table", "sniff",
]

SOURCE = "ed"

_COLS = schema_columns()
#: Header of the standard (ECDS/ISTV-aligned) layout, in order.
HEADER: tuple[str, ...] = tuple(f for f in _COLS["file_column"] if f)
#: Schema column of each `HEADER` name.
FILE_COLUMN: dict[str, str] = {f: c for c, f in zip(_COLS["column"], _COLS["file_column"],
                                                     strict=True) if f}
_INPUT = tuple(_COLS["column"])
_REQUIRED = tuple(_COLS.loc[_COLS["required"] == "yes", "column"])
_CODED = tuple(_COLS.loc[_COLS["code_list"] != "", "column"])
_CLOSED = frozenset(_COLS.loc[_COLS["code_list"] == "closed", "column"])
_DISPLAY = {c: (f"{f} (schema column {c})" if f and f != c else c)
            for c, f in zip(_COLS["column"], _COLS["file_column"], strict=True)}

#: Arrival hours counted as "night" (22:00–05:59), used for the Box 1 measure.
NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
#: Age bands of the kept frame (Box 1 reports 18–30).
AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 9, "0-9"), (10, 17, "10-17"), (18, 30, "18-30"), (31, 45, "31-45"),
    (46, 64, "46-64"), (65, 120, "65+"),
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
#: The ECDS/ISTV data item behind each input column is in ``reference/ed/ed_columns.csv``.
SCHEMA: dict[str, tuple[str, str]] = {
    "attendance_id": ("str", "unique attendance key, EC_Ident (file:row when absent)"),
    "patient_pseudo_id": ("str", "pseudonymised patient key, Patient_ID (missing if not "
                                 "supplied)"),
    "ed_site": ("str", "Site_Code_of_Treatment, a site in reference/ed/ed_sites.csv"),
    "ed_site_name": ("str", "site name"),
    "arrival_datetime": ("datetime64[ns]", "arrival date-time (Arrival_Date + Arrival_Time)"),
    "arrival_month": ("datetime64[ns]", "first day of the arrival month"),
    "weekday": ("str", "Monday … Sunday"),
    "is_night": ("bool", "arrival hour in NIGHT_HOURS (22:00–05:59)"),
    "age": ("Int64", "Age_At_Arrival, 0–120, missing if unknown"),
    "age_band": ("str", "0-9, 10-17, 18-30, 31-45, 46-64, 65+ (missing if age unknown)"),
    "sex": ("str", "Sex: 1, 2, 9, X"),
    "sex_label": ("str", "Male, Female, Indeterminate, Not known"),
    "residence_lsoa": ("str", "2011 LSOA code (Der_Postcode_LSOA_2011_Code) or missing"),
    "residence_la": ("str", "ONS local-authority code (from the LSOA when not supplied) or "
                            "missing"),
    "resident_in_area": ("bool", "residence_la is one of the configured authorities"),
    "arrival_mode": ("str", "EC_Arrival_Mode_SNOMED_CT code"),
    "arrival_mode_group": ("str", "ambulance, police, own_transport, public_transport, other, "
                                  "unmapped"),
    "presenting_complaint": ("str", "EC_Chief_Complaint_SNOMED_CT code"),
    "presenting_complaint_group": ("str", "head_injury, facial_injury, …, unmapped"),
    "injury": ("str", "EC_Diagnosis_01 code"),
    "injury_group": ("str", "fracture, laceration, …, unmapped"),
    "incident_datetime": ("datetime64[ns]", "injury (assault) date-time, EC_Injury_Date + "
                                            "EC_Injury_Time, or missing"),
    "incident_location_type": ("str", "Assault_Location_Type code (ISTV)"),
    "incident_location_group": ("str", "home, public_place, licensed_premises, …"),
    "assault_location_description": ("str", "Assault_Location_Description (ISTV precise "
                                            "location, free text) or missing"),
    "place_of_injury": ("str", "EC_Place_Of_Injury_SNOMED_CT code or missing"),
    "place_of_injury_group": ("str", "group of the place of injury code, or unmapped"),
    "injury_latitude": ("float64", "EC_Place_Of_Injury_Latitude (NaN if absent)"),
    "injury_longitude": ("float64", "EC_Place_Of_Injury_Longitude (NaN if absent)"),
    "injury_intent": ("str", "EC_Injury_Intent_SNOMED_CT code or missing"),
    "injury_intent_group": ("str", "self_harm, …, unmapped"),
    "injury_mechanism": ("str", "EC_Injury_Mechanism_SNOMED_CT code or missing"),
    "injury_mechanism_group": ("str", "fall, …, unmapped"),
    "means_of_assault": ("str", "Assault_Method code (ISTV)"),
    "means_of_assault_group": ("str", "body_part, blunt_object, sharp_object, firearm, …"),
    "assault_method_other": ("str", "Assault_Method_Other_Description (ISTV) or missing"),
    "alcohol_involved": ("str", "Y, N, U"), "drugs_involved": ("str", "Y, N, U"),
    "referral": ("str", "code"), "referral_group": ("str", "none, gp, police, navigator, …"),
    "discharge": ("str", "Discharge_Destination_SNOMED_CT code (or a local code)"),
    "discharge_group": ("str", "discharged, ambulatory, admitted, transferred, left, died, "
                               "other, unmapped"),
    "file": ("str", "file label"), "row": ("int64", "record number (header excluded)"),
}


#: Short names of the sources keyed in ``reference/ed/ed_columns.csv`` (full citations in
#: ``reference/ed/README.md``).
_SOURCE_NAMES = {
    "tpp_sus": "TPP copy of the NHS England SUS ECDS tables",
    "istv_mds": "NHS Data Dictionary, ISTV minimum data set",
    "cipha": "Cheshire and Merseyside Faster SUS query",
    "ncdr_unidentified": "a SUS+ query of unidentified origin",
}


def _provenance(row: pd.Series, codes: pd.DataFrame) -> str:
    """Say which standard a column follows and what of it was verified (for `SCHEMA`)."""
    name = {"yes": "name verified", "partly": "name partly verified",
            "no": "name not verified"}[row["verified"]]
    src = "; ".join(_SOURCE_NAMES.get(k.strip(), k.strip()) for k in row["source"].split(";"))
    text = (f"[{row['standard']} item {row['data_item']}; {name}"
            + (f" ({src})" if row["source"] != "project" else " (project column)"))
    c = codes[codes["field"] == row["column"]]
    if row["code_list"]:
        counts = c["verified"].value_counts()
        parts = [f"{int(counts.get(k, 0))} {lab}" for k, lab in (
            ("secondary", "verified (secondary source)"), ("unidentified", "unidentified source"),
            ("no", "not verified")) if counts.get(k, 0)]
        text += f"; {row['code_list']} code list: " + (", ".join(parts) or "no codes found")
    return text + "; see reference/ed/README.md]"


for _, _r in _COLS.iterrows():
    if _r["column"] in SCHEMA:
        _t, _d = SCHEMA[_r["column"]]
        SCHEMA[_r["column"]] = (_t, f"{_d} {_provenance(_r, code_list())}")


# ------------------------------------------------------------------------- reference


@functools.cache
def _ref(name: str) -> pd.DataFrame:
    with reference_file(f"ed/{name}").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@functools.cache
def _sites() -> pd.DataFrame:
    df = _ref("ed_sites.csv").copy()
    df["navigator_go_live"] = pd.to_datetime(df["navigator_go_live"].replace("", None))
    df["non_resident_share"] = df["non_resident_share"].astype(float)
    return df


def ed_sites(area: AreaConfig | None = None) -> pd.DataFrame:
    """Return the ED sites (optionally only those of an area).

    Returns
    -------
    pandas.DataFrame
        ``site_code``, ``site_name``, ``trust``, ``site_la_code``, ``area_id``,
        ``navigator_go_live`` (datetime or NaT), ``box1_month``,
        ``non_resident_share`` (float; synthetic calibration).
    """
    df = _sites().copy()
    if area is not None:
        df = df[df["area_id"] == area.id]
    return df.reset_index(drop=True)


@functools.cache
def _lsoa_to_la() -> dict[str, str]:
    df = _ref("lsoa_lookup.csv")
    return dict(zip(df["lsoa_code"], df["la_code"], strict=True))


def lsoa_lookup() -> pd.DataFrame:
    """Return the 2011 LSOA → local authority lookup of the shipped areas.

    Built from the LSOA codes and names in the real data.police.uk files of
    Lancashire and Leicestershire (OGL v3.0), placed by the authority name that
    begins each LSOA name.
    """
    return _ref("lsoa_lookup.csv").copy()


# --------------------------------------------------------------------------- loading


def sniff(first_line: str) -> bool:
    """Return True if a header line looks like an ED attendance file (any accepted layout)."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "")
    site = "site_code_of_treatment" in s or "ed_site" in s or "edsite" in s
    return site and ("arrival_date" in s or "der_ec_arrival_date_time" in s)


#: A numeric ``NN/NN/YYYY`` date (whose day/month order the file must show).
_NUMERIC_DATE = r"^\s*\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"


def _clean_datetime(s: pd.Series) -> pd.Series:
    """Strip a SQL fraction of a second (``22:15:00.000``) so the date parser reads it."""
    return s.astype("str").str.strip().str.replace(r"(\d\d:\d\d:\d\d)\.\d+$", r"\1",
                                                   regex=True)


def _parse_when(arr_text: pd.Series, inc_text: pd.Series, rows: pd.Series, label: str,
                columns: tuple[str, str]) -> tuple[ParsedDates, ParsedDates, list[str]]:
    """Parse the arrival and injury date-times with one day/month order for the file.

    The order of ``NN/NN/YYYY`` dates is decided from both columns together
    (`lvrn_analysis.sources.values.parse_dates()`; a file that never shows it is
    read as the documented ``DD/MM/YYYY``, with a note); then each column is parsed
    in that order: the arrival needs a time, the injury date may come without one.

    Returns
    -------
    tuple of (ParsedDates, ParsedDates, list of str)
        Arrival, injury, and the notes on the order (and on two-digit years).
    """
    arr_text, inc_text = _clean_datetime(arr_text), _clean_datetime(inc_text)
    both = pd.concat([arr_text, inc_text], ignore_index=True)
    numeric = both.str.contains(_NUMERIC_DATE)  # only these can show (or need) the order
    both_rows = pd.concat([rows, rows], ignore_index=True)
    whole = parse_dates(both[numeric], label=label, column=" and ".join(columns),
                        rows=both_rows[numeric], time="optional", documented="DMY")
    arr = parse_dates(arr_text, label=label, column=columns[0], rows=rows, time="required",
                      order=whole.order, documented="DMY")
    inc = parse_dates(inc_text, label=label, column=columns[1], rows=rows, time="optional",
                      order=whole.order, documented="DMY")
    return arr, inc, whole.notes


def _date_time(df: pd.DataFrame, date: str, time: str, combined: str) -> tuple[pd.Series,
                                                                             pd.Series]:
    """Join a date and a time column (ECDS) or take the one date-time column.

    Returns the text to parse and a mask of values with a date but no time.
    """
    d = df[date].str.replace(r"[ T]00:00(:00(\.0+)?)?$", "", regex=True)
    t = df[time]
    joined = (d + " " + t).str.strip()
    text = joined.where(d != "", df[combined])
    return text, (d != "") & (t == "")


def _resolve_mapping(path: SourceInput, mapping: EdMapping | SourceInput | None
                     ) -> EdMapping | None:
    if isinstance(mapping, EdMapping) or mapping is None:
        found = mapping_for(path) if mapping is None else None
        return load_mapping(found) if found is not None else mapping
    return load_mapping(mapping)


def load_ed(path: SourceInput, area: AreaConfig,
            mapping: EdMapping | SourceInput | None = None) -> list[LoadResult]:
    """Load and validate one file of ED assault attendances.

    Parameters
    ----------
    path
        CSV file.
    area
        Area configuration: attendances at sites of other areas are quarantined;
        residents of other authorities are kept (``resident_in_area`` False).
    mapping
        Provider mapping (`lvrn_analysis.sources.ed_mapping.EdMapping` or the path
        of its YAML file). Default: ``<name>.mapping.yml`` or ``mapping.yml``
        beside the file if present; else, for a file in the project's v1 layout,
        the shipped v1 mapping; else none.

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by arrival and id.

    Raises
    ------
    SourceError
        Empty, HTML, undecodable, a required column missing, or a bad mapping.
    """
    mp = _resolve_mapping(path, mapping)
    data, label = read_input(path)
    table = read_csv_table(data, label, aliases=aliases(mp), required=_REQUIRED,
                           expected_order=tuple(FILE_COLUMN.values()), display=_DISPLAY)
    notes = list(table.notes)
    if mp is None and is_legacy_header(table.header):
        mp = legacy_mapping()
        notes.append("read as the project's v1 ED layout (column names accepted as aliases; "
                     "codes recoded by reference/ed/mapping_v1_layout.yml)")
    elif mp is not None:
        notes.append(f"read with the mapping {mp.name!r}"
                     + (f" ({mp.path})" if mp.path else ""))
    present = {c for c in table.columns if c}
    if not present & {"arrival_date", "arrival_datetime"}:
        raise SourceError(label, "missing required column 'Arrival_Date' (with "
                                 "'Arrival_Time'), or one arrival date-time column such as "
                                 "'Der_EC_Arrival_Date_Time'", column="Arrival_Date")
    df = complete_columns(table.records.copy(), _INPUT, [])
    absent = [FILE_COLUMN_OF[c] for c in _INPUT if c not in present and FILE_COLUMN_OF[c]
              and c not in _PAIRED]
    if absent:
        notes.append(f"optional column(s) absent, read as blank: {', '.join(absent)}")
    normalise_values(df)
    recoded = apply_codes(df, mp)
    if recoded and mp is not None:
        notes.append("values recoded by the mapping: " + ", ".join(
            f"{c} {n:,}" for c, n in recoded.items()))
    written = {c: df[c].copy() for c in ("ed_site", "residence_lsoa", "residence_la")}
    recased = 0
    for c, v in written.items():
        df[c] = normalise_code(v)
        recased += int((df[c] != v).sum())
    if recased:
        notes.append(f"{recased:,} site, LSOA or authority code(s) written in lower case or "
                     "with spaces read in capitals without spaces (e.g. 'e01025473 ' as "
                     "'E01025473')")
    chk = RowChecker(df, label)
    chk.add(table.broken)
    header = {c: h.strip() for h, c in zip(table.header, table.columns, strict=True) if c}

    def named(c: str) -> str:
        """``column 'X': `` with the file's own name of schema column ``c``."""
        return f"column {header.get(c) or FILE_COLUMN_OF.get(c) or c!r}: "

    sites = ed_sites()
    known = set(sites["site_code"])
    mine = set(sites.loc[sites["area_id"] == area.id, "site_code"])
    site = df["ed_site"]
    chk.reject(~site.isin(known), "unknown_ed_site",
               lazy(named("ed_site"), written["ed_site"], " is not a known ED site code"))
    chk.reject(~site.isin(mine), "site_outside_area",
               lazy(named("ed_site"), written["ed_site"],
                    f" is not an ED of area {area.id!r}"))
    arr_text, arr_no_time = _date_time(df, "arrival_date", "arrival_time", "arrival_datetime")
    inc_text, inc_no_time = _date_time(df, "incident_date", "incident_time",
                                       "incident_datetime")
    cols = (header.get("arrival_date", header.get("arrival_datetime", "Arrival_Date")),
            header.get("incident_date", header.get("incident_datetime", "EC_Injury_Date")))
    p_arr, p_inc, order_notes = _parse_when(arr_text, inc_text, df["row"], label, cols)
    notes.extend(order_notes)

    def where(date: str, time: str, combined: str) -> str:
        if date in header:
            return f"columns {header[date]!r} + {header.get(time) or FILE_COLUMN_OF[time]!r}"
        return f"column {header.get(combined) or combined!r}"

    arr_at = f"arrival date-time ({where('arrival_date', 'arrival_time', 'arrival_datetime')}) "
    inc_at = ("injury (assault) date-time ("
              f"{where('incident_date', 'incident_time', 'incident_datetime')}) ")
    arr, inc = p_arr.value, p_inc.value
    other = ("month/day (US order)", "day/month")  # (the row's order, the file's)
    if p_arr.order == "MDY":
        other = other[::-1]
    for what, text, parsed in ((arr_at, arr_text, p_arr), (inc_at, inc_text, p_inc)):
        chk.reject(parsed.other_order, "bad_datetime",
                   lazy(what, text, f" can only be read {other[0]}, but the "
                        f"file's dates are {other[1]}: correct it, or say the order "
                        "(lvrn validate --date-order DMY or MDY)"))
    chk.reject(p_arr.bad | arr_text.eq("") | arr_no_time, "bad_datetime",
               lazy(arr_at, arr_text, " is not a valid date and time (YYYY-MM-DD HH:MM or "
                    "DD/MM/YYYY HH:MM)"))
    chk.reject((arr < pd.Timestamp("2000-01-01")) | (arr > pd.Timestamp("2099-12-31")),
               "implausible_date",
               lazy(arr_at, arr_text, " is outside 2000–2099"))
    chk.reject(p_inc.bad, "bad_datetime",
               lazy(inc_at, inc_text, " is not a valid date-time (YYYY-MM-DD HH:MM or "
                    "DD/MM/YYYY HH:MM)"))
    chk.reject(inc > arr + pd.Timedelta(minutes=1), "incident_after_arrival",
               lazy(inc_at, inc_text, " is after the arrival ", arr_text))
    numeric = arr_text.str.contains(_NUMERIC_DATE) | inc_text.str.contains(_NUMERIC_DATE)
    n_num = int(numeric[chk.alive].sum())
    if n_num:
        notes.append(f"{n_num} row(s) carry "
                     + ("MM/DD/YYYY date-times (read as month/day, US order)"
                        if p_arr.order == "MDY" else
                        "DD/MM/YYYY date-times (read as UK dates, day/month)"))
    n_dateonly = int((inc_no_time & inc.notna())[chk.alive].sum())
    if n_dateonly:
        notes.append(f"{n_dateonly} row(s) give an injury date without a time (read as 00:00)")
    age_s = df["age"]
    age_num = pd.to_numeric(age_s.where(age_s != ""), errors="coerce")
    chk.reject((age_s != "") & (age_num.isna() | (age_num != age_num.round())), "bad_age",
               lazy(named("age"), age_s, " is not a whole number of years"))
    chk.reject((age_num < 0) | (age_num > 120), "age_out_of_range",
               lazy(named("age"), age_s, " is outside 0–120"))

    codes = codes_with(mp)
    unmapped: list[str] = []
    for col in _CODED:
        v = df[col]
        allowed = set(codes.loc[codes["field"] == col, "code"])
        present_v = v != ""
        chk.reject(present_v & looks_scientific(v), "excel_mangled_code",
                   lazy(named(col), v, " is in scientific notation (a long code "
                        "mangled by Excel; re-export with the column as text)"))
        lost = present_v & v.str.fullmatch(r"\d") & ~v.isin(allowed) & ("0" + v).isin(allowed)
        chk.reject(lost, "excel_mangled_code",
                   lazy(named(col), v, " looks like '0", raw(v),
                        "' with its leading zero dropped (Excel)"))
        outside = present_v & ~v.isin(allowed)
        if col in _CLOSED:
            chk.reject(outside, "unknown_code",
                       lazy(named(col), v, " is not in the code list"))
        else:
            vc = v[outside & chk.alive].value_counts()
            if len(vc):
                shown = ", ".join(f"{k} ({n:,})" for k, n in vc.head(5).items())
                unmapped.append(f"{col} {int(vc.sum()):,} row(s), {len(vc)} code(s): {shown}"
                                + (" …" if len(vc) > 5 else ""))
        if col == "sex":
            chk.reject(~present_v, "unknown_code", named("sex") + "blank (use X for not known)")
    if unmapped:
        notes.append(f"codes not in the shipped code lists, kept with group {UNMAPPED!r} "
                     "(add them to a mapping's code_lists; see lvrn validate ed FILE "
                     "--mapping): " + "; ".join(unmapped))
    lsoa = df["residence_lsoa"]
    chk.reject((lsoa != "") & ~lsoa.str.fullmatch(r"[EW]01\d{6}"), "bad_lsoa_code",
               lazy(named("residence_lsoa"), written["residence_lsoa"],
                    " is not a 2011 LSOA code"))
    lsoa_la = lsoa.map(_lsoa_to_la())
    la = df["residence_la"]
    derived = (la == "") & lsoa_la.notna()
    if derived.any():
        df["residence_la"] = la = la.where(~derived, lsoa_la)
        notes.append(f"{int(derived[chk.alive].sum()):,} residence authority(ies) derived "
                     "from the LSOA")
    chk.reject((la != "") & ~la.str.fullmatch(r"[EWSN]\d{8}"), "bad_la_code",
               lazy(named("residence_la"), written["residence_la"],
                    " is not an ONS area code"))
    chk.reject(lsoa_la.notna() & (la != "") & (lsoa_la != la), "residence_mismatch",
               lazy("LSOA ", lsoa, " lies in ", lsoa_la, ", not in residence_la ", la))
    coords = {}
    for col, lo, hi in (("injury_latitude", 49.0, 61.5), ("injury_longitude", -9.0, 2.5)):
        c = df[col]
        num = pd.to_numeric(c.where(c != ""), errors="coerce")
        chk.reject((c != "") & (num.isna() | (num < lo) | (num > hi)), "bad_coordinate",
                   lazy(named(col), c, f" is not a number in {lo}–{hi} (UK)"))
        coords[col] = num
    chk.reject_repeated_rows(df, _INPUT)
    aid = df["attendance_id"]
    dup_id = (aid != "") & aid.duplicated(keep="first")
    if dup_id.any():
        chk.reject(dup_id, "duplicate_attendance_id",
                   lazy(named("attendance_id"), aid, " was used by an earlier row (row ",
                        raw(first_row_of(df, ["attendance_id"])), ")"))
    out = _kept(df.loc[chk.alive], arr, inc, age_num, coords, codes, sites, area, label)
    n_out = int((~out["resident_in_area"]).sum())
    if n_out:
        notes.append(f"{n_out} attendance(s) by people living outside the area kept "
                     "(resident_in_area False)")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


#: Schema column -> its file column in the standard layout ("" for alternatives).
FILE_COLUMN_OF: dict[str, str] = dict(zip(_COLS["column"], _COLS["file_column"], strict=True))
#: Columns that are alternatives to others (no note when absent).
_PAIRED = frozenset({"arrival_date", "arrival_time", "incident_date", "incident_time"})


def _kept(k: pd.DataFrame, arr: pd.Series, inc: pd.Series, age_num: pd.Series,
          coords: dict[str, pd.Series], codes: pd.DataFrame, sites: pd.DataFrame,
          area: AreaConfig, label: str) -> pd.DataFrame:
    """Build the kept frame (`SCHEMA`) from the surviving rows."""
    idx = k.index
    o: dict[str, object] = {}
    stem = Path(label).name
    o["attendance_id"] = k["attendance_id"].where(
        k["attendance_id"] != "", stem + ":" + k["row"].astype("str"))
    o["patient_pseudo_id"] = k["patient_pseudo_id"].where(k["patient_pseudo_id"] != "")
    o["ed_site"] = k["ed_site"]
    o["ed_site_name"] = k["ed_site"].map(dict(zip(sites["site_code"], sites["site_name"],
                                                  strict=True)))
    o["arrival_datetime"] = arr.loc[idx]
    o["arrival_month"] = o["arrival_datetime"].dt.to_period("M").dt.to_timestamp()
    o["arrival_month"] = o["arrival_month"].astype("datetime64[ns]")
    o["weekday"] = pd.Series(
        np.asarray(_WEEKDAYS, dtype=object)[o["arrival_datetime"].dt.day_of_week.to_numpy()],
        index=idx, dtype="str")
    o["is_night"] = o["arrival_datetime"].dt.hour.isin(NIGHT_HOURS)
    o["age"] = age_num.loc[idx].round().astype("Int64")
    o["age_band"] = age_band(o["age"])
    lab = _code_maps(codes)
    o["sex"] = k["sex"]
    o["sex_label"] = _map(k["sex"], lab, "sex", "label")
    o["residence_lsoa"] = k["residence_lsoa"].where(k["residence_lsoa"] != "")
    o["residence_la"] = k["residence_la"].where(k["residence_la"] != "")
    o["resident_in_area"] = o["residence_la"].isin(area.authorities)
    for col, grp in (("arrival_mode", "arrival_mode_group"),
                     ("presenting_complaint", "presenting_complaint_group"),
                     ("injury", "injury_group")):
        o[col] = k[col].where(k[col] != "")
        o[grp] = _map(k[col], lab, col, "group")
    o["incident_datetime"] = inc.loc[idx]
    o["incident_location_type"] = k["incident_location_type"].where(
        k["incident_location_type"] != "")
    o["incident_location_group"] = _map(k["incident_location_type"], lab,
                                        "incident_location_type", "group")
    o["assault_location_description"] = k["assault_location_description"].where(
        k["assault_location_description"] != "")
    o["place_of_injury"] = k["place_of_injury"].where(k["place_of_injury"] != "")
    o["place_of_injury_group"] = _map(k["place_of_injury"], lab, "place_of_injury", "group")
    o["injury_latitude"] = coords["injury_latitude"].loc[idx].astype("float64")
    o["injury_longitude"] = coords["injury_longitude"].loc[idx].astype("float64")
    for col in ("injury_intent", "injury_mechanism"):
        o[col] = k[col].where(k[col] != "")
        o[col + "_group"] = _map(k[col], lab, col, "group")
    o["means_of_assault"] = k["means_of_assault"].where(k["means_of_assault"] != "")
    o["means_of_assault_group"] = _map(k["means_of_assault"], lab, "means_of_assault",
                                       "group")
    o["assault_method_other"] = k["assault_method_other"].where(
        k["assault_method_other"] != "")
    o["alcohol_involved"] = k["alcohol_involved"]
    o["drugs_involved"] = k["drugs_involved"]
    for col, grp in (("referral", "referral_group"), ("discharge", "discharge_group")):
        o[col] = k[col].where(k[col] != "")
        o[grp] = _map(k[col], lab, col, "group")
    o["file"] = label
    o["row"] = k["row"].astype("int64")
    for c, (t, _) in SCHEMA.items():
        if t == "str" and not isinstance(o[c], str):
            o[c] = o[c].astype("str")
    out = pd.DataFrame(o, index=idx)[list(SCHEMA)]
    return out.sort_values(["arrival_datetime", "attendance_id", "row"], kind="stable")


def _code_maps(codes: pd.DataFrame) -> dict[tuple[str, str], dict[str, str]]:
    """(field, 'label' | 'group') -> {code: value}."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for field, g in codes.groupby("field"):
        for what in ("label", "group"):
            out[(str(field), what)] = dict(zip(g["code"], g[what], strict=True))
    return out


def _map(s: pd.Series, lab: dict[tuple[str, str], dict[str, str]], field: str, what: str
         ) -> pd.Series:
    """Label or group of each code; blank stays missing, a code outside the list 'unmapped'."""
    m = s.map(lab.get((field, what), {}))
    m = m.where(m.notna() | (s == ""), UNMAPPED)
    return m.astype("str")


def age_band(age: pd.Series) -> pd.Series:
    """Return the `AGE_BANDS` label of each age (missing stays missing)."""
    a = age.astype("Float64").astype("float64")
    bins = [AGE_BANDS[0][0] - 0.5] + [hi + 0.5 for _, hi, _ in AGE_BANDS]
    cut = pd.cut(a, bins=bins, labels=[lab for _, _, lab in AGE_BANDS])
    return cut.astype(object).where(cut.notna()).astype("str")


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the inputs to load when ``data/raw/ed/`` is empty: none (no real data ship)."""
    return []


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate kept frames (person-level: never publish without disclosure control)."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["arrival_datetime", "attendance_id", "file", "row"],
                           kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------- analysis


def flag_repeats(kept: pd.DataFrame, window_days: int = 365, same_site: bool = True
                 ) -> pd.Series:
    """Flag repeat attendances.

    An attendance is a repeat when the same ``patient_pseudo_id`` attended (the
    same site, if ``same_site``) within the previous ``window_days`` days.

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``kept``; False where the patient id is missing.
    """
    keys = ["patient_pseudo_id"] + (["ed_site"] if same_site else [])
    d = kept[keys + ["arrival_datetime"]].copy()
    d["_i"] = np.arange(len(d))
    d = d.sort_values(keys + ["arrival_datetime", "_i"], kind="stable")
    prev = d.groupby(keys, sort=False, dropna=False)["arrival_datetime"].shift(1)
    rep = (d["arrival_datetime"] - prev) <= pd.Timedelta(days=window_days)
    rep &= d["patient_pseudo_id"].notna()
    out = pd.Series(False, index=kept.index)
    out.iloc[d["_i"].to_numpy()] = rep.fillna(False).to_numpy()
    return out


def monthly_counts(kept: pd.DataFrame, by: Sequence[str] = ("ed_site",),
                   months: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Count attendances per month (zero-filled) and group.

    Returns
    -------
    pandas.DataFrame
        ``month`` + ``by`` columns + ``attendances`` (int64), sorted.
    """
    by = list(by)
    if months is None:
        months = pd.date_range(kept["arrival_month"].min(), kept["arrival_month"].max(),
                               freq="MS")
    c = kept.groupby(["arrival_month", *by], dropna=False).size().rename("attendances")
    levels = [months] + [sorted(kept[b].dropna().unique()) for b in by]
    full = pd.MultiIndex.from_product(levels, names=["month", *by])
    c.index = c.index.set_names(["month", *by])
    out = c.reindex(full, fill_value=0).reset_index()
    out["attendances"] = out["attendances"].astype("int64")
    return out


def box1_profile(kept: pd.DataFrame, site: str = "RXL01", month: str = "2020-06"
                 ) -> pd.DataFrame:
    """Reproduce the LVRN report's Box 1 measures for one site and month.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``value``, ``numerator``, ``denominator`` rows for:
        attendances, percent male, percent female, percent aged 18–30, percent
        head injury (and the main presenting complaint), percent by ambulance,
        percent at night, busiest weekday, alcohol, drugs, both.
    """
    m = pd.Timestamp(month + "-01")
    d = kept[(kept["ed_site"] == site) & (kept["arrival_month"] == m)]
    n = len(d)

    def pct(mask: pd.Series, name: str) -> dict[str, object]:
        k = int(mask.sum())
        # round half up, as reports do (10/32 = 31.25 -> 31.3)
        v = math.floor(1000 * k / n + 0.5) / 10 if n else float("nan")
        return {"measure": name, "value": v,
                "numerator": k, "denominator": n}

    rows = [{"measure": "attendances", "value": float(n), "numerator": n, "denominator": n}]
    rows.append(pct(d["sex"] == "1", "percent_male"))
    rows.append(pct(d["sex"] == "2", "percent_female"))
    rows.append(pct(d["age_band"] == "18-30", "percent_aged_18_30"))
    comp = d["presenting_complaint_group"].value_counts()
    rows.append(pct(d["presenting_complaint_group"] == "head_injury", "percent_head_injury"))
    rows.append({"measure": "main_presenting_complaint",
                 "value": str(comp.index[0]) if len(comp) else "",
                 "numerator": int(comp.iloc[0]) if len(comp) else 0, "denominator": n})
    rows.append(pct(d["arrival_mode_group"] == "ambulance", "percent_ambulance"))
    rows.append(pct(d["is_night"], "percent_night"))
    wd = d["weekday"].value_counts()
    top = wd[wd == wd.max()].index.tolist() if len(wd) else []
    rows.append({"measure": "busiest_weekday", "value": "/".join(sorted(top)),
                 "numerator": int(wd.max()) if len(wd) else 0, "denominator": n})
    for col in ("alcohol_involved", "drugs_involved"):
        k = int((d[col] == "Y").sum())
        rows.append({"measure": col, "value": float(k), "numerator": k, "denominator": n})
    both = (d["alcohol_involved"] == "Y") & (d["drugs_involved"] == "Y")
    rows.append({"measure": "alcohol_and_drugs", "value": float(both.sum()),
                 "numerator": int(both.sum()), "denominator": n})
    return pd.DataFrame(rows)
