"""TIIG-style emergency-department (ED) assault attendances: schema and validator.

This is **person-level health data**: it stays in ``data/raw/``; only
disclosure-controlled aggregates may leave the package.

Format
------
One CSV row per attendance at a type-1 ED for an assault-related injury, as the
Trauma and Injury Intelligence Group (TIIG, Liverpool John Moores University)
collects it from EDs in the North West. The real TIIG extract layout is not
public; this project's documented layout (all values text, codes kept as
strings so that leading zeros and 16-digit SNOMED identifiers survive) is::

    attendance_id, patient_pseudo_id, ed_site, arrival_datetime, age, sex,
    residence_lsoa, residence_la, arrival_mode, presenting_complaint, injury,
    incident_datetime, incident_location_type, means_of_assault,
    alcohol_involved, drugs_involved, referral, discharge

=========================  ==================================================
``attendance_id``          unique per attendance (optional column)
``patient_pseudo_id``      pseudonymised patient key: repeat attendances share it
``ed_site``                ODS-style site code, see ``reference/ed/ed_sites.csv``
``arrival_datetime``       ``YYYY-MM-DD HH:MM[:SS]`` (``DD/MM/YYYY HH:MM`` accepted)
``age``                    whole years 0–120, blank if unknown
``sex``                    ``1`` male, ``2`` female, ``9`` indeterminate, ``X`` not known
``residence_lsoa``         2011 LSOA code of home address, blank if unknown
``residence_la``           ONS local-authority code of home address
``arrival_mode``           SNOMED-style code (ambulance, police, own transport …)
``presenting_complaint``   SNOMED-style chief complaint (82271004 = head injury …)
``injury``                 SNOMED-style diagnosis
``incident_datetime``      when the assault happened, blank if unknown
``incident_location_type`` two-digit local code (``01`` home … ``09`` unknown)
``means_of_assault``       two-digit local code (``03`` knife/sharp, ``04`` firearm …)
``alcohol_involved``       ``Y``/``N``/``U`` (not recorded)
``drugs_involved``         ``Y``/``N``/``U``
``referral``               two-digit local code (``04`` ED Navigator …)
``discharge``              two-digit local code (``01`` home, ``02`` admitted …)
=========================  ==================================================

The code lists are in ``reference/ed/ed_codes.csv``. The SNOMED-style identifiers
there are **illustrative** (right shape, not verified against the ECDS reference
sets); a real extract's codes must be mapped to them before loading.

Validation (first failing check wins, the row is quarantined with a reason):
``unknown_ed_site``, ``site_outside_area``, ``bad_datetime`` (impossible or
unparseable date-time, e.g. ``2020-02-30`` or US-style ``06/13/2020``),
``implausible_date`` (before 2000 or after 2099), ``incident_after_arrival``,
``bad_age``, ``age_out_of_range``, ``excel_mangled_code`` (scientific notation
``1.04803E+15`` or a two-digit code that lost its leading zero), ``unknown_code``,
``bad_lsoa_code``, ``bad_la_code``, ``residence_mismatch`` (LSOA lies in another
authority), ``duplicate_row``, ``duplicate_attendance_id``.
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
from lvrn_analysis.sources.validation import LoadResult

SOURCE = "ed"

#: Column order of the file format.
HEADER: tuple[str, ...] = (
    "attendance_id", "patient_pseudo_id", "ed_site", "arrival_datetime", "age", "sex",
    "residence_lsoa", "residence_la", "arrival_mode", "presenting_complaint", "injury",
    "incident_datetime", "incident_location_type", "means_of_assault", "alcohol_involved",
    "drugs_involved", "referral", "discharge",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "attendance_id": ("attendance id", "attendanceid"),
    "patient_pseudo_id": ("patient pseudo id", "pseudo_id", "patient_id"),
    "ed_site": ("ed site", "site", "site_code"),
    "arrival_datetime": ("arrival datetime", "arrival_date_time", "arrival"),
    "age": ("age_at_arrival",),
    "sex": ("gender",),
    "residence_lsoa": ("residence lsoa", "lsoa"),
    "residence_la": ("residence la", "la", "residence_lad"),
    "arrival_mode": ("arrival mode",),
    "presenting_complaint": ("presenting complaint", "chief_complaint"),
    "injury": ("diagnosis",),
    "incident_datetime": ("incident datetime", "incident_date_time"),
    "incident_location_type": ("incident location type", "location_type"),
    "means_of_assault": ("means of assault", "weapon"),
    "alcohol_involved": ("alcohol involved", "alcohol"),
    "drugs_involved": ("drugs involved", "drugs"),
    "referral": (),
    "discharge": ("discharge_destination",),
}
_REQUIRED = ("ed_site", "arrival_datetime", "age", "sex", "residence_la", "means_of_assault")
_CODED = ("sex", "arrival_mode", "presenting_complaint", "injury", "incident_location_type",
          "means_of_assault", "alcohol_involved", "drugs_involved", "referral", "discharge")
_LOCAL_2DIGIT = ("incident_location_type", "means_of_assault", "referral", "discharge")

#: Arrival hours counted as "night" (22:00–05:59), used for the Box 1 measure.
NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
#: Age bands of the kept frame (Box 1 reports 18–30).
AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 9, "0-9"), (10, 17, "10-17"), (18, 30, "18-30"), (31, 45, "31-45"),
    (46, 64, "46-64"), (65, 120, "65+"),
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "attendance_id": ("str", "unique attendance key (file:row when the column is absent)"),
    "patient_pseudo_id": ("str", "pseudonymised patient key (missing if not supplied)"),
    "ed_site": ("str", "site code in reference/ed/ed_sites.csv"),
    "ed_site_name": ("str", "site name"),
    "arrival_datetime": ("datetime64[ns]", "arrival date-time"),
    "arrival_month": ("datetime64[ns]", "first day of the arrival month"),
    "weekday": ("str", "Monday … Sunday"),
    "is_night": ("bool", "arrival hour in NIGHT_HOURS (22:00–05:59)"),
    "age": ("Int64", "0–120, missing if unknown"),
    "age_band": ("str", "0-9, 10-17, 18-30, 31-45, 46-64, 65+ (missing if age unknown)"),
    "sex": ("str", "1, 2, 9, X"),
    "sex_label": ("str", "Male, Female, Indeterminate, Not known"),
    "residence_lsoa": ("str", "2011 LSOA code or missing"),
    "residence_la": ("str", "ONS local-authority code or missing"),
    "resident_in_area": ("bool", "residence_la is one of the configured authorities"),
    "arrival_mode": ("str", "code"), "arrival_mode_group": ("str", "ambulance, police, …"),
    "presenting_complaint": ("str", "code"),
    "presenting_complaint_group": ("str", "head_injury, facial_injury, …"),
    "injury": ("str", "code"), "injury_group": ("str", "fracture, laceration, …"),
    "incident_datetime": ("datetime64[ns]", "assault date-time or missing"),
    "incident_location_type": ("str", "code"),
    "incident_location_group": ("str", "home, public_place, licensed_premises, …"),
    "means_of_assault": ("str", "code"),
    "means_of_assault_group": ("str", "body_part, blunt_object, sharp_object, firearm, …"),
    "alcohol_involved": ("str", "Y, N, U"), "drugs_involved": ("str", "Y, N, U"),
    "referral": ("str", "code"), "referral_group": ("str", "none, gp, police, navigator, …"),
    "discharge": ("str", "code"), "discharge_group": ("str", "home, admitted, …"),
    "file": ("str", "file label"), "row": ("int64", "record number (header excluded)"),
}


# ------------------------------------------------------------------------- reference


@functools.cache
def _ref(name: str) -> pd.DataFrame:
    with reference_file(f"ed/{name}").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def code_list(field: str | None = None) -> pd.DataFrame:
    """Return the ED code lists (``field``, ``code``, ``label``, ``group``, ``code_system``)."""
    df = _ref("ed_codes.csv").copy()
    return df if field is None else df[df["field"] == field].reset_index(drop=True)


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
    """Return True if a header line looks like this ED attendance format."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "")
    return ("ed_site" in s or "edsite" in s) and "arrival_datetime" in s


def _parse_datetime(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse ISO or UK date-times; return (values, bad mask, UK-format mask)."""
    t = s.astype("str").str.strip().str.replace("T", " ", regex=False)
    blank = t.isna() | (t == "")
    out = pd.to_datetime(t, format="%Y-%m-%d %H:%M", errors="coerce").astype("datetime64[ns]")
    ukfmt = pd.Series(False, index=s.index)
    for fmt, is_uk in (("%Y-%m-%d %H:%M:%S", False), ("%d/%m/%Y %H:%M", True),
                       ("%d/%m/%Y %H:%M:%S", True)):
        todo = out.isna() & ~blank
        if not todo.any():
            break
        v = pd.to_datetime(t[todo], format=fmt, errors="coerce").astype("datetime64[ns]")
        out.loc[todo] = v
        if is_uk:
            ukfmt.loc[todo] = v.notna()
    bad = out.isna() & ~blank
    return out, bad, ukfmt


def load_ed(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate one file of ED assault attendances.

    Parameters
    ----------
    path
        CSV file.
    area
        Area configuration: attendances at sites of other areas are quarantined;
        residents of other authorities are kept (``resident_in_area`` False).

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by arrival and id.

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
    known = set(sites["site_code"])
    mine = set(sites.loc[sites["area_id"] == area.id, "site_code"])
    site = df["ed_site"]
    chk.reject(~site.isin(known), "unknown_ed_site",
               lazy("column 'ed_site': ", site, " is not a known ED site code"))
    chk.reject(~site.isin(mine), "site_outside_area",
               lazy("column 'ed_site': ", site, f" is not an ED of area {area.id!r}"))
    arr, bad, ukfmt = _parse_datetime(df["arrival_datetime"])
    chk.reject(bad | df["arrival_datetime"].eq(""), "bad_datetime",
               lazy("column 'arrival_datetime': ", df["arrival_datetime"],
                    " is not a valid date-time (YYYY-MM-DD HH:MM)"))
    chk.reject((arr < pd.Timestamp("2000-01-01")) | (arr > pd.Timestamp("2099-12-31")),
               "implausible_date",
               lazy("column 'arrival_datetime': ", df["arrival_datetime"],
                    " is outside 2000–2099"))
    inc, bad_i, uk_i = _parse_datetime(df["incident_datetime"])
    chk.reject(bad_i, "bad_datetime",
               lazy("column 'incident_datetime': ", df["incident_datetime"],
                    " is not a valid date-time (YYYY-MM-DD HH:MM)"))
    chk.reject(inc > arr + pd.Timedelta(minutes=1), "incident_after_arrival",
               lazy("column 'incident_datetime': ", df["incident_datetime"],
                    " is after the arrival ", df["arrival_datetime"]))
    n_uk = int((ukfmt | uk_i)[chk.alive].sum())
    if n_uk:
        notes.append(f"{n_uk} row(s) carry DD/MM/YYYY date-times (read as UK dates)")
    age_s = df["age"]
    age_num = pd.to_numeric(age_s.where(age_s != ""), errors="coerce")
    chk.reject((age_s != "") & (age_num.isna() | (age_num != age_num.round())), "bad_age",
               lazy("column 'age': ", age_s, " is not a whole number of years"))
    chk.reject((age_num < 0) | (age_num > 120), "age_out_of_range",
               lazy("column 'age': ", age_s, " is outside 0–120"))

    codes = code_list()
    for col in _CODED:
        v = df[col]
        if col in ("alcohol_involved", "drugs_involved"):
            v = v.str.upper().replace({"YES": "Y", "NO": "N", "UNKNOWN": "U", "": "U"})
            df[col] = v
        if col == "sex":
            v = v.str.upper()
            df[col] = v
        allowed = set(codes.loc[codes["field"] == col, "code"])
        present = v != ""
        chk.reject(present & looks_scientific(v), "excel_mangled_code",
                   lazy(f"column {col!r}: ", v, " is in scientific notation (a long code "
                        "mangled by Excel; re-export with the column as text)"))
        if col in _LOCAL_2DIGIT:
            lost = present & v.str.fullmatch(r"\d") & ("0" + v).isin(allowed)
            chk.reject(lost, "excel_mangled_code",
                       lazy(f"column {col!r}: ", v, " looks like '0", raw(v),
                            "' with its leading zero dropped (Excel)"))
        chk.reject(present & ~v.isin(allowed), "unknown_code",
                   lazy(f"column {col!r}: ", v, " is not in the code list"))
        if col == "sex":
            chk.reject(~present, "unknown_code", "column 'sex': blank (use X for not known)")
    lsoa = df["residence_lsoa"]
    chk.reject((lsoa != "") & ~lsoa.str.fullmatch(r"[EW]01\d{6}"), "bad_lsoa_code",
               lazy("column 'residence_lsoa': ", lsoa, " is not a 2011 LSOA code"))
    la = df["residence_la"]
    chk.reject((la != "") & ~la.str.fullmatch(r"[EWSN]\d{8}"), "bad_la_code",
               lazy("column 'residence_la': ", la, " is not an ONS area code"))
    lsoa_la = lsoa.map(_lsoa_to_la())
    chk.reject(lsoa_la.notna() & (la != "") & (lsoa_la != la), "residence_mismatch",
               lazy("LSOA ", lsoa, " lies in ", lsoa_la, ", not in residence_la ", la))
    chk.reject_repeated_rows(df, HEADER)
    aid = df["attendance_id"]
    dup_id = (aid != "") & aid.duplicated(keep="first")
    if dup_id.any():
        chk.reject(dup_id, "duplicate_attendance_id",
                   lazy("column 'attendance_id': ", aid, " was used by an earlier row (row ",
                        raw(first_row_of(df, ["attendance_id"])), ")"))

    k = df.loc[chk.alive]
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
    lab = _code_maps()
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
    for col, grp in (("incident_location_type", "incident_location_group"),
                     ("means_of_assault", "means_of_assault_group")):
        o[col] = k[col].where(k[col] != "")
        o[grp] = _map(k[col], lab, col, "group")
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
    out = pd.DataFrame(o, index=idx)
    out = out.sort_values(["arrival_datetime", "attendance_id", "row"], kind="stable")
    n_out = int((~out["resident_in_area"]).sum())
    if n_out:
        notes.append(f"{n_out} attendance(s) by people living outside the area kept "
                     "(resident_in_area False)")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


@functools.cache
def _code_maps() -> dict[tuple[str, str], dict[str, str]]:
    """(field, 'label' | 'group') -> {code: value}."""
    df = _ref("ed_codes.csv")
    out: dict[tuple[str, str], dict[str, str]] = {}
    for field, g in df.groupby("field"):
        for what in ("label", "group"):
            out[(str(field), what)] = dict(zip(g["code"], g[what], strict=True))
    return out


def _map(s: pd.Series, lab: dict[tuple[str, str], dict[str, str]], field: str, what: str
         ) -> pd.Series:
    return s.map(lab[(field, what)]).astype("str")


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
