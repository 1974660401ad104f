"""ED Navigator contacts: the scheme's caseload, one row per referred ED attendance.

This is **person-level health data**: it stays in ``data/raw/``; only
disclosure-controlled aggregates may leave the package.

What it is
----------
The ED Navigator scheme at Blackpool Victoria Hospital works with people aged
10-39 (focus 10-25) who attend the emergency department after **violence,
self-harm or overdose** (LVRN evaluation report 2021, §5.1-5.2). Its monitoring
counts the attendances referred to the navigators, not every assault attendance
at the ED: the report's Box 1 ("32 attendances" in June 2020) is one month of
this caseload. The LVRN's real monitoring layout is not public; this project's
documented layout, in the report's terms (all values text), is::

    contact_id, patient_pseudo_id, ed_site, attendance_datetime, age, sex,
    referral_reason, presenting_complaint, arrival_mode, alcohol_factor,
    drugs_factor, contact, onward_referral

=========================  ==================================================
``contact_id``             unique per referred attendance (optional column)
``patient_pseudo_id``      pseudonymised person key (optional)
``ed_site``                ODS-style site code, see ``reference/ed/ed_sites.csv``
``attendance_datetime``    ED arrival, ``YYYY-MM-DD HH:MM[:SS]`` or ``DD/MM/YYYY HH:MM``
                           (``MM/DD/YYYY`` when the whole file shows that order)
``age``                    whole years; the scheme supports 10-39
``sex``                    ``1`` male, ``2`` female, ``9`` indeterminate, ``X`` not known
``referral_reason``        why the navigators were involved: `REASONS`
``presenting_complaint``   `COMPLAINTS` (``head_injury`` …)
``arrival_mode``           `ARRIVAL_MODES` (``ambulance`` …)
``alcohol_factor``         alcohol an influencing factor: ``Y``/``N``/``U``
``drugs_factor``           drugs an influencing factor: ``Y``/``N``/``U``
``contact``                contact attempted: ``face_to_face``, ``telephone`` or ``none``
``onward_referral``        `REFERRALS` (``safeguarding``, ``idva``, ``fcwa`` …)
=========================  ==================================================

Validation (first failing check wins, the row is quarantined with a reason):
``unknown_ed_site`` (site code not in the list of sites; codes are compared in
upper case without spaces), ``site_outside_area`` (site of another area),
``bad_datetime`` (unparseable or impossible date-time, a date without a time, or
a date written in the other day/month order from the rest of the file; dates
that never show their order are read as the documented ``DD/MM/YYYY``, with a
note, see `lvrn_analysis.sources.values.parse_dates()`),
``implausible_date`` (before 2000 or after 2099), ``bad_age`` (age blank or not a
whole number), ``age_outside_scheme`` (age outside the scheme's 10-39, §5.1),
``unknown_reason`` (reason not violence, self_harm or overdose), ``unknown_code``
(another coded field holds a value not in its list), ``duplicate_row`` (exact copy
of an earlier row), ``duplicate_contact_id`` (contact ID already used by an
earlier row).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.ed import NIGHT_HOURS, ed_sites
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    complete_columns,
    finish,
    first_row_of,
    lazy,
    raw,
    read_csv_table,
    read_input,
)
from lvrn_analysis.sources.validation import LoadResult
from lvrn_analysis.sources.values import normalise_code, parse_dates

SOURCE = "navigator"

#: Column order of the file format.
HEADER: tuple[str, ...] = (
    "contact_id", "patient_pseudo_id", "ed_site", "attendance_datetime", "age", "sex",
    "referral_reason", "presenting_complaint", "arrival_mode", "alcohol_factor",
    "drugs_factor", "contact", "onward_referral",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "contact_id": ("contact id", "referral_id"),
    "patient_pseudo_id": ("patient pseudo id", "pseudo_id", "patient_id"),
    "ed_site": ("ed site", "site", "site_code"),
    "attendance_datetime": ("attendance datetime", "arrival_datetime", "attendance"),
    "age": ("age_at_attendance",),
    "sex": ("gender",),
    "referral_reason": ("referral reason", "reason", "reason_for_referral"),
    "presenting_complaint": ("presenting complaint",),
    "arrival_mode": ("arrival mode",),
    "alcohol_factor": ("alcohol",),
    "drugs_factor": ("drugs",),
    "contact": ("contact_attempted",),
    "onward_referral": ("onward referral", "referred_to"),
}
_REQUIRED = ("ed_site", "attendance_datetime", "age", "sex", "referral_reason", "contact")

#: The scheme's ages (LVRN evaluation report 2021, §5.1: "aged 10-39 years").
AGE_RANGE: tuple[int, int] = (10, 39)
#: Age bands of the kept frame (Box 1 reports 18-30).
AGE_BANDS: tuple[tuple[int, int, str], ...] = ((10, 17, "10-17"), (18, 30, "18-30"),
                                               (31, 39, "31-39"))
#: Why the navigators were involved (§5.2: "drug and alcohol use, self-harm, overdose,
#: injury and violence"), code -> label.
REASONS: dict[str, str] = {"violence": "Violence", "self_harm": "Self-harm",
                           "overdose": "Overdose"}
#: Presenting complaint groups, code -> label.
COMPLAINTS: dict[str, str] = {
    "head_injury": "Head injury", "facial_injury": "Facial injury",
    "limb_injury": "Hand, arm or leg injury", "other_injury": "Other injury",
    "self_harm_wound": "Self-inflicted wound", "poisoning": "Poisoning or overdose",
    "mental_health": "Mental health crisis",
}
#: Arrival modes, code -> label.
ARRIVAL_MODES: dict[str, str] = {"ambulance": "Ambulance", "police": "Police",
                                 "own_transport": "Own transport", "other": "Other",
                                 "unknown": "Not known"}
#: Contact attempted (Box 1: "face-to-face or telephone"), code -> label.
CONTACTS: dict[str, str] = {"face_to_face": "Face to face", "telephone": "Telephone",
                            "none": "No contact attempted"}
#: Onward referrals (Box 1: "Safeguarding Team, IDVA and FCWA"), code -> label.
REFERRALS: dict[str, str] = {
    "none": "None", "safeguarding": "Safeguarding team",
    "idva": "Independent domestic violence adviser (IDVA)",
    "fcwa": "FCWA", "child_exploitation": "Child exploitation team",
    "mental_health": "Mental health services", "health": "Other health services",
    "other": "Other",
}
_FLAGS = {"Y": "Yes", "N": "No", "U": "Not recorded"}
_SEX = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
_CODED: dict[str, dict[str, str]] = {
    "sex": _SEX, "presenting_complaint": COMPLAINTS, "arrival_mode": ARRIVAL_MODES,
    "alcohol_factor": _FLAGS, "drugs_factor": _FLAGS, "contact": CONTACTS,
    "onward_referral": REFERRALS,
}
_BLANK_DEFAULT = {"presenting_complaint": "", "arrival_mode": "unknown", "alcohol_factor": "U",
                  "drugs_factor": "U", "onward_referral": "none"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "contact_id": ("str", "unique key of the referred attendance (file:row when absent)"),
    "patient_pseudo_id": ("str", "pseudonymised person key (missing if not supplied)"),
    "ed_site": ("str", "site code in reference/ed/ed_sites.csv"),
    "ed_site_name": ("str", "site name"),
    "attendance_datetime": ("datetime64[ns]", "ED arrival date-time"),
    "attendance_month": ("datetime64[ns]", "first day of the attendance month"),
    "weekday": ("str", "Monday … Sunday"),
    "is_night": ("bool", "arrival hour 22:00-05:59 (lvrn_analysis.sources.ed.NIGHT_HOURS)"),
    "age": ("int64", "10-39"),
    "age_band": ("str", "10-17, 18-30, 31-39"),
    "sex": ("str", "1, 2, 9, X"),
    "sex_label": ("str", "Male, Female, Indeterminate, Not known"),
    "referral_reason": ("str", "violence, self_harm, overdose"),
    "referral_reason_label": ("str", "Violence, Self-harm, Overdose"),
    "presenting_complaint": ("str", "head_injury, facial_injury, … (missing if blank)"),
    "arrival_mode": ("str", "ambulance, police, own_transport, other, unknown"),
    "alcohol_factor": ("str", "Y, N, U"),
    "drugs_factor": ("str", "Y, N, U"),
    "contact": ("str", "face_to_face, telephone, none"),
    "contact_attempted": ("bool", "contact is face_to_face or telephone"),
    "onward_referral": ("str", "none, safeguarding, idva, fcwa, …"),
    "file": ("str", "file label"),
    "row": ("int64", "record number (header excluded)"),
}


def sniff(first_line: str) -> bool:
    """Return True if a header line looks like the navigator contacts format."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "")
    return "attendance_datetime" in s and "reason" in s and "contact" in s


def load_navigator(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate one file of ED Navigator contacts.

    Parameters
    ----------
    path
        CSV file in the layout of `HEADER` (columns matched by name).
    area
        Area configuration: contacts at sites of other areas are quarantined.

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by attendance and id;
        rows in = kept + rejected.

    Raises
    ------
    SourceError
        Empty, HTML, undecodable, or a required column missing.
    """
    data, label = read_input(path)
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED,
                           expected_order=HEADER)
    notes = list(table.notes)
    df = complete_columns(table.records.copy(), HEADER, notes)
    chk = RowChecker(df, label)
    chk.add(table.broken)

    sites = ed_sites()
    df["ed_site"] = normalise_code(df["ed_site"])
    site = df["ed_site"]
    chk.reject(~site.isin(set(sites["site_code"])), "unknown_ed_site",
               lazy("column 'ed_site': ", site, " is not a known ED site code"))
    mine = set(sites.loc[sites["area_id"] == area.id, "site_code"])
    chk.reject(~site.isin(mine), "site_outside_area",
               lazy("column 'ed_site': ", site, f" is not an ED of area {area.id!r}"))
    dates = parse_dates(df["attendance_datetime"], label=label, column="attendance_datetime",
                        rows=df["row"], time="required", documented="DMY")
    notes.extend(dates.notes)
    when = dates.value
    chk.reject(dates.other_order, "bad_datetime",
               lazy("column 'attendance_datetime': ", df["attendance_datetime"],
                    " is written month/day while the rest of the file is day/month (or the "
                    "reverse); correct it or write YYYY-MM-DD HH:MM"))
    chk.reject(when.isna(), "bad_datetime",
               lazy("column 'attendance_datetime': ", df["attendance_datetime"],
                    " is not a valid date-time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"))
    chk.reject((when < pd.Timestamp("2000-01-01")) | (when > pd.Timestamp("2099-12-31")),
               "implausible_date",
               lazy("column 'attendance_datetime': ", df["attendance_datetime"],
                    " is outside 2000-2099"))
    age_s = df["age"]
    age = pd.to_numeric(age_s.where(age_s != ""), errors="coerce")
    chk.reject(age.isna() | (age != age.round()), "bad_age",
               lazy("column 'age': ", age_s, " is not a whole number of years"))
    lo, hi = AGE_RANGE
    chk.reject((age < lo) | (age > hi), "age_outside_scheme",
               lazy("column 'age': ", age_s, f" is outside the scheme's ages {lo}-{hi} "
                    "(LVRN report §5.1)"))
    reason = df["referral_reason"].str.lower().str.replace("-", "_").str.replace(" ", "_")
    df["referral_reason"] = reason
    chk.reject(~reason.isin(set(REASONS)), "unknown_reason",
               lazy("column 'referral_reason': ", reason, " is not one of "
                    + ", ".join(REASONS)))
    for col, allowed in _CODED.items():
        v = df[col].str.upper() if col in ("sex", "alcohol_factor", "drugs_factor") \
            else df[col].str.lower()
        if col in _BLANK_DEFAULT:
            v = v.where(v != "", _BLANK_DEFAULT[col])
        df[col] = v
        ok = v.isin(set(allowed)) | ((v == "") & (col == "presenting_complaint"))
        chk.reject(~ok, "unknown_code",
                   lazy(f"column {col!r}: ", raw(v.where(v != "", "blank")),
                        " is not in its list (" + ", ".join(allowed) + ")"))
    chk.reject_repeated_rows(df, HEADER)
    cid = df["contact_id"]
    dup_id = (cid != "") & cid.duplicated(keep="first")
    if dup_id.any():
        chk.reject(dup_id, "duplicate_contact_id",
                   lazy("column 'contact_id': ", cid, " was used by an earlier row (row ",
                        raw(first_row_of(df, ["contact_id"])), ")"))

    k = df.loc[chk.alive]
    idx = k.index
    stem = Path(label).name
    t = when.loc[idx]
    a = age.loc[idx].round().astype("int64")
    out = pd.DataFrame({
        "contact_id": k["contact_id"].where(k["contact_id"] != "",
                                            stem + ":" + k["row"].astype("str")),
        "patient_pseudo_id": k["patient_pseudo_id"].where(k["patient_pseudo_id"] != ""),
        "ed_site": k["ed_site"],
        "ed_site_name": k["ed_site"].map(dict(zip(sites["site_code"], sites["site_name"],
                                                  strict=True))),
        "attendance_datetime": t,
        "attendance_month": t.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"),
        "weekday": pd.Series(np.asarray(_WEEKDAYS, dtype=object)[t.dt.day_of_week.to_numpy()],
                             index=idx),
        "is_night": t.dt.hour.isin(NIGHT_HOURS),
        "age": a,
        "age_band": age_band(a),
        "sex": k["sex"], "sex_label": k["sex"].map(_SEX),
        "referral_reason": k["referral_reason"],
        "referral_reason_label": k["referral_reason"].map(REASONS),
        "presenting_complaint": k["presenting_complaint"].where(
            k["presenting_complaint"] != ""),
        "arrival_mode": k["arrival_mode"],
        "alcohol_factor": k["alcohol_factor"], "drugs_factor": k["drugs_factor"],
        "contact": k["contact"],
        "contact_attempted": k["contact"].isin(("face_to_face", "telephone")),
        "onward_referral": k["onward_referral"],
        "file": label,
        "row": k["row"].astype("int64"),
    }, index=idx)
    for c, (typ, _) in SCHEMA.items():
        if typ == "str":
            out[c] = out[c].astype("str")
    out = out.sort_values(["attendance_datetime", "contact_id", "row"], kind="stable")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def age_band(age: pd.Series) -> pd.Series:
    """Return the `AGE_BANDS` label of each age (10-39)."""
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    for lo, hi, lab in AGE_BANDS:
        out[(age >= lo) & (age <= hi)] = lab
    return out


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the inputs to load when ``data/raw/navigator/`` is empty: none (no real data ship)."""
    return []


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate kept frames (person-level: never publish without disclosure control)."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t if t != "str" else "object")
                             for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["attendance_datetime", "contact_id", "file", "row"],
                           kind="stable").reset_index(drop=True)


def _pct(k: int, n: int) -> float:
    """Percentage rounded half up to one decimal, as reports do (10/32 -> 31.3)."""
    return math.floor(1000 * k / n + 0.5) / 10 if n else float("nan")


def box1_profile(kept: pd.DataFrame, site: str = "RXL01", month: str = "2020-06"
                 ) -> pd.DataFrame:
    """Count the LVRN report's Box 1 measures in navigator contacts.

    Measures are named as in ``reference/programmes/programme_monitoring.csv``
    (programme ``ed_navigators``), so each row can be set against the published
    figure: ``attendances``, ``percent_male``, ``percent_female``,
    ``percent_aged_18_30``, ``percent_head_injury``, ``percent_ambulance``,
    ``percent_night`` (arrival 22:00-05:59), ``busiest_weekday``,
    ``contact_attempted`` (face to face or telephone),
    ``influencing_factor_alcohol``, ``influencing_factor_drugs``,
    ``influencing_factor_both``; plus ``main_presenting_complaint`` and the
    counts by ``reason_<code>``, which the report does not give.

    Parameters
    ----------
    kept
        Navigator contacts (the kept frame or the processed table).
    site, month
        ED site code and month (``YYYY-MM``).

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``value`` (percent one decimal, count, or text),
        ``numerator``, ``denominator``.
    """
    m = pd.Timestamp(month + "-01")
    d = kept[(kept["ed_site"] == site) & (kept["attendance_month"] == m)]
    n = len(d)
    alc, drg = d["alcohol_factor"] == "Y", d["drugs_factor"] == "Y"

    def pct(mask: pd.Series, name: str) -> dict[str, object]:
        k = int(mask.sum())
        return {"measure": name, "value": _pct(k, n), "numerator": k, "denominator": n}

    def cnt(mask: pd.Series, name: str) -> dict[str, object]:
        k = int(mask.sum())
        return {"measure": name, "value": float(k), "numerator": k, "denominator": n}

    comp = d["presenting_complaint"].value_counts()
    wd = d["weekday"].value_counts()
    top = [w for w in _WEEKDAYS if len(wd) and wd.get(w, -1) == wd.max()]
    rows = [
        {"measure": "attendances", "value": float(n), "numerator": n, "denominator": n},
        pct(d["sex"] == "1", "percent_male"), pct(d["sex"] == "2", "percent_female"),
        pct(d["age_band"] == "18-30", "percent_aged_18_30"),
        pct(d["presenting_complaint"] == "head_injury", "percent_head_injury"),
        {"measure": "main_presenting_complaint",
         "value": "/".join(sorted(comp.index[comp == comp.max()])) if len(comp) else "",
         "numerator": int(comp.max()) if len(comp) else 0, "denominator": n},
        pct(d["arrival_mode"] == "ambulance", "percent_ambulance"),
        pct(d["is_night"].astype(bool), "percent_night"),
        {"measure": "busiest_weekday", "value": "/".join(top),
         "numerator": int(wd.max()) if len(wd) else 0, "denominator": n},
        cnt(d["contact_attempted"].astype(bool), "contact_attempted"),
        cnt(alc, "influencing_factor_alcohol"), cnt(drg, "influencing_factor_drugs"),
        cnt(alc & drg, "influencing_factor_both"),
    ]
    rows += [cnt(d["referral_reason"] == r, f"reason_{r}") for r in REASONS]
    return pd.DataFrame(rows)
