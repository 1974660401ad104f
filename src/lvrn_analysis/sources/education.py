"""DfE key stage 4 school performance tables, aggregated to local authority.

Format
------
The "KS4 final" school performance CSVs the Department for Education publishes
per local education authority (LEA) and year, named
``YYYY-YYYY_LLL_ks4final.csv`` (e.g. ``2018-2019_888_ks4final.csv``; 888 is
Lancashire County Council, 889 Blackburn with Darwen, 890 Blackpool, 855
Leicestershire, 856 Leicester, 857 Rutland). About 500 columns; the ones used::

    RECTYPE, LEA, ESTAB, URN, SCHNAME, TOWN, PCODE, PCON_CODE, NFTYPE, TPUP,
    TOTATT8, ATT8SCR, TFSM6CLA1A, PTFSM6CLA1A, PSEN_ALL, PTEALGRP2, P8MEA

DfE conventions handled: a UTF-8 BOM on the header; ``SUPP`` (suppressed),
``NE`` (no entries), ``NP`` (not published), ``NA`` (not applicable) and blank in
numeric cells (kept as missing with a ``*_status``); ``%`` inside percentages
(``24.10%``); summary rows by ``RECTYPE`` — 1 mainstream school, 2 special
school, 4 the LEA's state-funded total, 5 England all schools, 7 England
state-funded schools. The academic year comes from the file name.

District of a school
--------------------
The files have **no district column** (checked: 2017-18, 2018-19 and 2021-22
files of LEA 888 and 855; ``TOWN`` is free text and ``PCON_CODE``, present from
2018-19, is a parliamentary constituency that straddles districts, e.g.
*Wyre and Preston North*, *Ribble Valley*). For unitary LEAs the district is the
LEA. For the county LEAs (888 Lancashire, 855 Leicestershire) schools are placed
in a district **by postcode**: `POSTCODE_DISTRICTS` maps postcode sectors
(``PR5 6``) and, failing that, outward codes (``BB5``) to districts. The table was
compiled by hand from knowledge of Lancashire and Leicestershire postcode
geography and checked against every school postcode in the real 888 and 855
files; it is **not** ONSPD and some boundary sectors will be wrong. Pass
``postcode_lookup`` (a frame with ``pcds`` and ``laua`` columns, e.g. from the
ONS Postcode Directory) to `load_ks4()` to use an authoritative lookup.
Schools whose postcode is outside the area's districts (e.g. LEA 888 independent
special schools in Stockport) are kept with no district
(``district_method = "unallocated"``) and reported in the aggregate as
``unallocated``.

Aggregation (`ks4_by_la()`) follows the DfE LEA-total method: state-funded
schools only (``NFTYPE`` not ``IND…``), Attainment 8 = Σ ``TOTATT8`` / Σ ``TPUP``
with ``NE`` schools counting 0 points and ``SUPP`` schools left out of both
sums; disadvantaged share = Σ ``TFSM6CLA1A`` / Σ ``TPUP`` over schools whose
count is published. On the real 888 files this reproduces the published LEA
Attainment 8 (RECTYPE 4) to within 0.1.

Validation reasons: ``unknown_rectype``, ``outside_area`` (LEA not in the area),
``bad_urn``, ``bad_number``, ``negative_count``, ``out_of_range`` (Attainment 8
outside 0–90, percentages outside 0–100), ``inconsistent_counts``
(disadvantaged pupils > pupils), ``duplicate_urn``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    finish,
    first_row_of,
    lazy,
    raw,
    read_csv_table,
    read_input,
)
from lvrn_analysis.sources.validation import LoadResult, SourceError

SOURCE = "education"

#: DfE LEA number -> ONS code of the upper-tier authority.
LEA_CODES: dict[str, str] = {
    "888": "E10000017", "889": "E06000008", "890": "E06000009",
    "855": "E10000018", "856": "E06000016", "857": "E06000017",
}
#: RECTYPE values and their meaning.
RECTYPES: dict[str, str] = {
    "1": "mainstream school", "2": "special school", "4": "local authority (state-funded)",
    "5": "England (all schools)", "7": "England (state-funded schools)",
}
_SPECIAL = {"SUPP": "suppressed", "NE": "no_entries", "NP": "not_published",
            "NA": "not_applicable", "": "blank", "LOWCOV": "low_coverage", "NEW": "new_school",
            "DNS": "did_not_submit"}

#: Postcode sector / outward code -> district (hand-compiled; see the module docstring).
POSTCODE_DISTRICTS: dict[str, str] = {
    # Lancashire (LEA 888)
    "BB1 4": "E07000120",   # Rishton (Hyndburn); the rest of BB1 is Blackburn
    "BB4": "E07000125", "BB5": "E07000120", "BB6": "E07000120", "BB7": "E07000124",
    "BB8": "E07000122", "BB9": "E07000122", "BB10": "E07000117", "BB11": "E07000117",
    "BB12": "E07000117", "BB18": "E07000122",
    "BL0 0": "E07000125",   # Edenfield / Ramsbottom edge (Rossendale)
    "BL6 7": "E07000118",   # Adlington edge (Chorley constituency)
    "FY5": "E07000128", "FY6": "E07000128", "FY7": "E07000128", "FY8": "E07000119",
    "L39": "E07000127", "L40": "E07000127", "WN8": "E07000127", "WN5 7": "E07000127",
    "WN6": "E07000127",
    "LA1": "E07000121", "LA2": "E07000121", "LA3": "E07000121", "LA4": "E07000121",
    "LA5": "E07000121", "LA6": "E07000121",
    "OL12 8": "E07000125", "OL13": "E07000125",
    "PR1 0": "E07000126",   # Penwortham (South Ribble)
    "PR1": "E07000123", "PR2": "E07000123",
    "PR3 0": "E07000128", "PR3 1": "E07000128", "PR3 2": "E07000124", "PR3 3": "E07000124",
    "PR3 5": "E07000123", "PR3 6": "E07000128",
    "PR4 0": "E07000123", "PR4 1": "E07000119", "PR4 2": "E07000119", "PR4 3": "E07000119",
    "PR4 4": "E07000119", "PR4 5": "E07000126", "PR4 6": "E07000127",
    "PR5": "E07000126", "PR25": "E07000126", "PR26 7": "E07000126",
    "PR26 9": "E07000118",  # Croston (Chorley)
    "PR6": "E07000118", "PR7": "E07000118",
    # Leicestershire (LEA 855)
    "LE2 4": "E07000135", "LE2 5": "E07000135", "LE18": "E07000135",
    "LE3": "E07000129", "LE8": "E07000131", "LE9": "E07000129", "LE19": "E07000129",
    "LE4": "E07000130", "LE7": "E07000130", "LE11": "E07000130", "LE12": "E07000130",
    "LE6": "E07000132", "LE10": "E07000132", "CV13": "E07000132", "LE67": "E07000134",
    "LE65": "E07000134", "DE12": "E07000134", "DE74": "E07000134",
    "LE13": "E07000133", "LE14": "E07000133", "LE16": "E07000131", "LE17": "E07000131",
    "NG13 0": "E07000133",  # Bottesford (Melton)
    "CV9 3": "E07000132",   # Twycross (Hinckley and Bosworth); most of CV9 is Warwickshire
    "LE15": "E06000017",    # Oakham (Rutland)
}

_ALIASES: dict[str, tuple[str, ...]] = {c: () for c in (
    "RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "TOWN", "PCODE", "PCON_CODE", "NFTYPE",
    "TPUP", "TOTATT8", "ATT8SCR", "TFSM6CLA1A", "PTFSM6CLA1A", "PSEN_ALL", "PTEALGRP2",
    "P8MEA")}
_REQUIRED = ("RECTYPE", "LEA", "URN", "SCHNAME", "PCODE", "TPUP", "ATT8SCR", "TFSM6CLA1A")
_FILE = re.compile(r"(\d{4})-(\d{4})_(\d{3})_ks4")

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "academic_year": ("str", "'YYYY/YY' from the file name"),
    "record_type": ("str", "RECTYPE: 1, 2, 4, 5, 7"),
    "record_type_label": ("str", "see RECTYPES"),
    "lea": ("str", "DfE LEA number (missing on England rows)"),
    "la_code": ("str", "district for school rows, upper tier for RECTYPE 4, E92000001 for "
                       "England rows; missing if unallocated"),
    "la_name": ("str", "name of la_code (missing if unknown)"),
    "district_method": ("str", "unitary_lea | postcode_sector | postcode_outward | "
                               "postcode_lookup | summary | unallocated"),
    "urn": ("str", "unique reference number (missing on summary rows)"),
    "estab": ("str", "establishment number"),
    "school_name": ("str", "SCHNAME"), "town": ("str", "TOWN"), "postcode": ("str", "PCODE"),
    "pcon_code": ("str", "parliamentary constituency (from 2018-19)"),
    "school_type": ("str", "NFTYPE (IND… = independent)"),
    "state_funded": ("bool", "NFTYPE does not start with IND"),
    "pupils": ("Int64", "TPUP: pupils at the end of key stage 4"),
    "att8": ("float64", "ATT8SCR: average Attainment 8 score"),
    "att8_total": ("float64", "TOTATT8: total Attainment 8 points"),
    "att8_status": ("str", "published | suppressed | no_entries | not_published | "
                           "not_applicable | blank"),
    "disadvantaged": ("Int64", "TFSM6CLA1A: disadvantaged pupils"),
    "pct_disadvantaged": ("float64", "PTFSM6CLA1A, percent 0–100"),
    "disadvantaged_status": ("str", "as att8_status"),
    "pct_sen": ("float64", "PSEN_ALL, percent"),
    "pct_eal": ("float64", "PTEALGRP2, percent"),
    "progress8": ("float64", "P8MEA"),
    "in_area": ("bool", "la_code is one of the area's authorities"),
    "file": ("str", "file label"), "row": ("int64", "data-row number"),
}


def sniff(first_line: str) -> bool:
    """Return True for a DfE KS4 school performance header line."""
    s = first_line.lstrip("\ufeff").strip().upper()
    return s.startswith("RECTYPE,LEA,") and "ATT8SCR" in s


def academic_year_from_name(name: str) -> tuple[str, str] | None:
    """Return (``'2018/19'``, LEA) from a DfE file name, or None."""
    m = _FILE.search(Path(name).name)
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        return None
    return f"{m.group(1)}/{m.group(2)[2:]}", m.group(3)


def _special(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse DfE numeric cells: values, status, and a mask of unparseable cells."""
    t = s.astype("str").str.strip()
    up = t.str.upper()
    is_special = up.isin(list(_SPECIAL))
    status = up.map(_SPECIAL).where(is_special, "published").astype("str")
    num = pd.to_numeric(t.str.replace("%", "", regex=False).where(~is_special),
                        errors="coerce").astype("float64")
    bad = num.isna() & ~is_special
    return num, status, bad


def district_of(postcode: pd.Series, lookup: pd.DataFrame | None = None
                ) -> tuple[pd.Series, pd.Series]:
    """Place postcodes in districts.

    Parameters
    ----------
    postcode
        Postcodes (any spacing/case).
    lookup
        Optional authoritative lookup with columns ``pcds`` (postcode) and
        ``laua`` (district code), e.g. an ONSPD extract; used first.

    Returns
    -------
    tuple of (pandas.Series, pandas.Series)
        District code (missing when unknown) and the method used
        (``postcode_lookup``, ``postcode_sector``, ``postcode_outward`` or missing).
    """
    pc = postcode.astype("str").str.upper().str.replace(r"\s+", "", regex=True)
    pc = pc.where(pc.str.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}").fillna(False))
    outward = pc.str.slice(0, -3)
    sector = outward + " " + pc.str.slice(-3, -2)
    code = pd.Series(pd.NA, index=postcode.index, dtype="str")
    how = pd.Series(pd.NA, index=postcode.index, dtype="str")
    if lookup is not None:
        lk = lookup.assign(_pc=lookup["pcds"].astype("str").str.upper()
                           .str.replace(r"\s+", "", regex=True)).set_index("_pc")["laua"]
        v = pc.map(lk)
        how = how.mask(v.notna(), "postcode_lookup")
        code = code.fillna(v)
    v = sector.map(POSTCODE_DISTRICTS)
    how = how.mask(code.isna() & v.notna(), "postcode_sector")
    code = code.fillna(v)
    v = outward.map(POSTCODE_DISTRICTS)
    how = how.mask(code.isna() & v.notna(), "postcode_outward")
    code = code.fillna(v)
    return code.astype("str"), how.astype("str")


def load_ks4(path: SourceInput, area: AreaConfig, *,
             postcode_lookup: pd.DataFrame | None = None) -> list[LoadResult]:
    """Load and validate one DfE KS4 school performance file.

    Parameters
    ----------
    path
        ``YYYY-YYYY_LLL_ks4final.csv`` (the academic year is read from the name).
    area
        Area configuration: schools of LEAs outside the area are quarantined.
    postcode_lookup
        Optional ``pcds``/``laua`` lookup for placing county schools in districts.

    Returns
    -------
    list of LoadResult
        One result; ``kept`` holds school and summary rows (`SCHEMA`),
        sorted by record type, district and URN.

    Raises
    ------
    SourceError
        Empty, HTML, a required column missing, or a file name without the year.
    """
    data, label = read_input(path)
    name = getattr(path, "name", str(path))
    yr = academic_year_from_name(name)
    if yr is None:
        raise SourceError(label, "cannot tell the academic year from the file name; name it "
                                 "YYYY-YYYY_LLL_ks4final.csv as DfE does (e.g. "
                                 "2018-2019_888_ks4final.csv)")
    year = yr[0]
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED, pad_any=True)
    df = table.records.copy()
    for c in _ALIASES:
        if c not in df.columns:
            df[c] = pd.Series("", index=df.index, dtype="str")
        df[c] = df[c].str.strip()
    chk = RowChecker(df, label)
    chk.add(table.broken)
    rt = df["RECTYPE"]
    chk.reject(~rt.isin(list(RECTYPES)), "unknown_rectype",
               lazy("column 'RECTYPE': ", rt, " is not a known record type (1, 2, 4, 5, 7)"))
    school = rt.isin(["1", "2"])
    from lvrn_analysis.config.geography import local_authorities

    las = local_authorities(area)
    area_upper = set(las["upper_tier_code"]) | set(las["la_code"])
    lea_upper = df["LEA"].map(LEA_CODES)
    chk.reject((school | (rt == "4")) & ~lea_upper.isin(area_upper), "outside_area",
               lazy("column 'LEA': ", df["LEA"], " is not an education authority of area "
                    f"{area.id!r}"))
    chk.reject(school & ~df["URN"].str.fullmatch(r"\d{6}"), "bad_urn",
               lazy("column 'URN': ", df["URN"], " is not a six-digit URN"))
    vals: dict[str, tuple[pd.Series, pd.Series]] = {}
    for c in ("TPUP", "TOTATT8", "ATT8SCR", "TFSM6CLA1A", "PTFSM6CLA1A", "PSEN_ALL",
              "PTEALGRP2", "P8MEA"):
        v, status, bad = _special(df[c])
        vals[c] = (v, status)
        chk.reject(bad, "bad_number", lazy(f"column {c!r}: ", df[c],
                                           " is not a number or a DfE marker (SUPP, NE, NP)"))
    tpup = vals["TPUP"][0]
    chk.reject((tpup < 0) | (vals["TFSM6CLA1A"][0] < 0), "negative_count",
               lazy("pupil counts must not be negative (TPUP ", df["TPUP"], ", TFSM6CLA1A ",
                    df["TFSM6CLA1A"], ")"))
    chk.reject(tpup.notna() & (tpup != tpup.round()), "bad_number",
               lazy("column 'TPUP': ", df["TPUP"], " is not a whole number"))
    a8 = vals["ATT8SCR"][0]
    chk.reject((a8 < 0) | (a8 > 90), "out_of_range",
               lazy("column 'ATT8SCR': ", df["ATT8SCR"], " is outside 0–90"))
    for c in ("PTFSM6CLA1A", "PSEN_ALL", "PTEALGRP2"):
        v = vals[c][0]
        chk.reject((v < 0) | (v > 100), "out_of_range",
                   lazy(f"column {c!r}: ", df[c], " is outside 0–100%"))
    chk.reject(vals["TFSM6CLA1A"][0] > tpup, "inconsistent_counts",
               lazy("disadvantaged pupils ", df["TFSM6CLA1A"], " exceed pupils ", df["TPUP"]))
    dup = school & df["URN"].duplicated(keep="first")
    if dup.any():
        chk.reject(dup, "duplicate_urn",
                   lazy("URN ", df["URN"], " appeared earlier (row ",
                        raw(first_row_of(df, ["URN"])), ")"))

    k = df.loc[chk.alive]
    idx = k.index
    out = pd.DataFrame(index=idx)
    out["academic_year"] = pd.Series(year, index=idx, dtype="str")
    out["record_type"] = k["RECTYPE"]
    out["record_type_label"] = k["RECTYPE"].map(RECTYPES).astype("str")
    out["lea"] = k["LEA"].where(k["LEA"] != "").astype("str")
    is_school = k["RECTYPE"].isin(["1", "2"])
    lea_up = k["LEA"].map(LEA_CODES)
    unitary = lea_up.str.startswith("E06").fillna(False)
    dcode, dhow = district_of(k["PCODE"], postcode_lookup)
    dcode = dcode.where(dcode.isin(area.authorities))
    la = pd.Series(pd.NA, index=idx, dtype="str")
    how = pd.Series("summary", index=idx, dtype="str")
    la = la.mask(is_school & unitary, lea_up)
    how = how.mask(is_school & unitary, "unitary_lea")
    county = is_school & ~unitary
    la = la.mask(county, dcode)
    how = how.mask(county, dhow.fillna("unallocated"))
    how = how.mask(county & dcode.isna(), "unallocated")
    la = la.mask(k["RECTYPE"] == "4", lea_up)
    la = la.mask(k["RECTYPE"].isin(["5", "7"]), "E92000001")
    out["la_code"] = la.astype("str")
    names = local_authorities().set_index("la_code")["la_name"]
    extra = pd.Series({"E10000017": "Lancashire", "E10000018": "Leicestershire",
                       "E92000001": "England"})
    out["la_name"] = out["la_code"].map(pd.concat([names, extra])).astype("str")
    out["district_method"] = how
    blank = lambda c: k[c].where(k[c] != "").astype("str")  # noqa: E731
    out["urn"] = blank("URN")
    out["estab"] = blank("ESTAB")
    out["school_name"] = blank("SCHNAME")
    out["town"] = blank("TOWN")
    out["postcode"] = blank("PCODE")
    out["pcon_code"] = blank("PCON_CODE")
    out["school_type"] = blank("NFTYPE")
    out["state_funded"] = ~k["NFTYPE"].str.upper().str.startswith("IND")
    out["pupils"] = vals["TPUP"][0].loc[idx].round().astype("Int64")
    out["att8"] = vals["ATT8SCR"][0].loc[idx]
    out["att8_total"] = vals["TOTATT8"][0].loc[idx]
    out["att8_status"] = vals["ATT8SCR"][1].loc[idx]
    out["disadvantaged"] = vals["TFSM6CLA1A"][0].loc[idx].round().astype("Int64")
    out["pct_disadvantaged"] = vals["PTFSM6CLA1A"][0].loc[idx]
    out["disadvantaged_status"] = vals["TFSM6CLA1A"][1].loc[idx]
    out["pct_sen"] = vals["PSEN_ALL"][0].loc[idx]
    out["pct_eal"] = vals["PTEALGRP2"][0].loc[idx]
    out["progress8"] = vals["P8MEA"][0].loc[idx]
    out["in_area"] = out["la_code"].isin(area.authorities)
    out["file"] = label
    out["row"] = k["row"].astype("int64")
    out = out.sort_values(["record_type", "la_code", "urn", "row"], na_position="last",
                          kind="stable")
    notes = list(table.notes)
    una = out[(out["district_method"] == "unallocated")]
    if len(una):
        pcs = ", ".join(sorted(una["postcode"].fillna("blank").unique())[:6])
        notes.append(f"{len(una)} school(s) could not be placed in a district of the area "
                     f"(postcodes {pcs}); kept with no district")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def ks4_by_la(kept: pd.DataFrame, *, include_independent: bool = False) -> pd.DataFrame:
    """Aggregate school rows to district × academic year.

    Parameters
    ----------
    kept
        Kept frame(s) of `load_ks4()`.
    include_independent
        Include independent schools (DfE's LEA totals exclude them).

    Returns
    -------
    pandas.DataFrame
        ``academic_year``, ``la_code``, ``la_name`` (``unallocated`` rows have no
        code), ``schools``, ``pupils`` (all pupils of the schools counted),
        ``att8_pupils``, ``att8`` (pupil-weighted: Σ points / Σ pupils, NE = 0,
        SUPP excluded), ``att8_schools_suppressed``, ``disadvantaged``,
        ``disadvantaged_pupils`` (denominator), ``pct_disadvantaged``;
        sorted by year and code.
    """
    s = kept[kept["record_type"].isin(["1", "2"])].copy()
    if not include_independent:
        s = s[s["state_funded"]]
    s["la_key"] = s["la_code"].fillna("unallocated")
    pts = s["att8_total"].where(s["att8_status"] == "published")
    pts = pts.fillna((s["att8"] * s["pupils"].astype("float64")).where(
        s["att8_status"] == "published"))
    pts = pts.mask(s["att8_status"] == "no_entries", 0.0)
    use_a8 = pts.notna() & s["pupils"].notna()
    use_d = s["disadvantaged"].notna() & s["pupils"].notna()
    pupils = s["pupils"].astype("float64")
    g = pd.DataFrame({
        "academic_year": s["academic_year"], "la_key": s["la_key"],
        "pupils": pupils.fillna(0.0), "a8_points": pts.where(use_a8, 0.0),
        "a8_pupils": pupils.where(use_a8, 0.0),
        "a8_supp": (s["att8_status"] == "suppressed").astype("int64"),
        "dis": s["disadvantaged"].astype("float64").where(use_d, 0.0),
        "dis_pupils": pupils.where(use_d, 0.0), "schools": 1,
    }).groupby(["academic_year", "la_key"], sort=True).sum()
    out = pd.DataFrame({
        "academic_year": g.index.get_level_values(0).astype("str"),
        "la_code": pd.Series(g.index.get_level_values(1), dtype="str").replace(
            "unallocated", pd.NA).to_numpy(),
        "schools": g["schools"].to_numpy().astype("int64"),
        "pupils": g["pupils"].to_numpy().astype("int64"),
        "att8_pupils": g["a8_pupils"].to_numpy().astype("int64"),
        "att8": (g["a8_points"] / g["a8_pupils"].replace(0, np.nan)).to_numpy(),
        "att8_schools_suppressed": g["a8_supp"].to_numpy().astype("int64"),
        "disadvantaged": g["dis"].to_numpy().astype("int64"),
        "disadvantaged_pupils": g["dis_pupils"].to_numpy().astype("int64"),
    })
    out["pct_disadvantaged"] = 100 * out["disadvantaged"] / out["disadvantaged_pupils"].replace(
        0, np.nan)
    names = kept.dropna(subset=["la_code"]).drop_duplicates("la_code").set_index(
        "la_code")["la_name"]
    out.insert(2, "la_name", out["la_code"].map(names).fillna("unallocated").astype("str"))
    out["la_code"] = out["la_code"].astype("str")
    return out.sort_values(["academic_year", "la_code"], na_position="last",
                           kind="stable").reset_index(drop=True)


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the inputs to load when ``data/raw/education/`` is empty: none are shipped."""
    return []


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Return the processed table ``ks4_by_la``: `ks4_by_la()` of all kept rows."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return ks4_by_la(pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()}))
    kept = pd.concat(frames, ignore_index=True)
    kept = kept.drop_duplicates(["academic_year", "record_type", "urn", "lea"], keep="last")
    return ks4_by_la(kept)
