"""DfE key stage 4 school performance tables, aggregated to district.

Format
------
The "KS4 final" school performance CSVs the Department for Education publishes
per local education authority (LEA) and year, named
``YYYY-YYYY_LLL_ks4final.csv`` (e.g. ``2018-2019_888_ks4final.csv``; 888 is
Lancashire County Council, 889 Blackburn with Darwen, 890 Blackpool, 855
Leicestershire, 856 Leicester, 857 Rutland), plain or gzip-compressed
(``.csv.gz``). About 500 columns; the ones used (`USED_COLUMNS`)::

    RECTYPE, LEA, ESTAB, URN, SCHNAME, TOWN, PCODE, PCON_CODE, PCON_NAME, NFTYPE,
    TPUP, TOTATT8, ATT8SCR, TFSM6CLA1A, PTFSM6CLA1A, TNOTFSM6CLA1A, PSEN_ALL,
    PTEALGRP2, P8MEA, PTL2BASICS_95, ATT8SCR_FSM6CLA1A, ATT8SCR_NFSM6CLA1A

DfE conventions handled: a UTF-8 BOM on the header; ``SUPP`` (suppressed),
``NE`` (no entries), ``NP`` (not published), ``NA`` (not applicable) and blank in
numeric cells (kept as missing with a ``*_status``), and the general suppression
markers (``c``, ``x``, ``*``, ``..``, …, see `lvrn_analysis.sources.values`);
``%`` inside percentages (``24.10%``); thousands separators (``1,234`` in
summary rows); summary rows by ``RECTYPE`` — 1 mainstream school, 2 special
school, 4 the LEA's state-funded total, 5 England all schools, 7 England
state-funded schools. The academic year comes from the file name.

Real files shipped
------------------
The package ships the real 2017/18, 2018/19 and 2021/22 files of LEA 888
(Lancashire County Council) and LEA 855 (Leicestershire), reduced to
`USED_COLUMNS` (`subset_ks4()`; see ``reference/education/README.md``), and
`default_inputs()` loads those of the area's LEAs when ``data/raw/education/`` is
empty. No file is shipped for Blackpool (890), Blackburn with Darwen (889),
Leicester (856) or Rutland (857): those authorities get no value, never a
synthetic one (the synthetic twin runs only for areas with no shipped file).

District of a school
--------------------
The files have **no district column** (checked: 2017-18, 2018-19 and 2021-22
files of LEA 888 and 855). ``TOWN`` is the postal town, not the district
(schools in Blaby, Charnwood and Oadby give "Leicester", South Ribble schools
"Preston"), and ``PCON_CODE``/``PCON_NAME``, present from 2018-19, name a
parliamentary constituency, and constituencies straddle districts (*Wyre and
Preston North*; *Charnwood* takes in Groby, in Hinckley and Bosworth; *Ribble
Valley* takes in part of South Ribble). For unitary LEAs
the district is the LEA. For the county LEAs (888 Lancashire, 855
Leicestershire) schools are placed in a district **by postcode**:
`POSTCODE_DISTRICTS` maps postcode sectors (``PR5 6``) and, failing that,
outward codes (``BB5``) to districts, and only a district of the LEA's own county
is accepted.

Provenance of `POSTCODE_DISTRICTS`: compiled by hand for this project from
general knowledge of Lancashire and Leicestershire postcode geography; it is
**not** the ONS Postcode Directory (ONSPD) or the DfE register of schools (GIAS),
neither of which was reachable when it was made. Every state-funded school in the
shipped files was then reviewed by hand against the school's town and
constituency in the DfE file, which found and corrected six misplaced Leicestershire
schools (the ``LE8 5``, ``LE9 6``–``LE9 9`` and ``LE67 9`` sector entries).
Pass ``postcode_lookup`` (a frame with ``pcds`` and ``laua`` columns, e.g. from
ONSPD) to `load_ks4()` to use an authoritative lookup instead. Schools whose
postcode is outside the LEA's districts (e.g. LEA 888 independent special
schools in Stockport, LEA 855's independent school in Rutland) or missing (DfE
gives ``NA`` for independent schools in 2021-22) are kept with no district
(``district_method = "unallocated"``), counted in a note and in the aggregate's
``unallocated`` row.

Aggregation (`ks4_by_la()`) follows the DfE LEA-total method: state-funded
schools only (``NFTYPE`` not ``IND…``); every measure is weighted by pupils,
Attainment 8 = Σ ``TOTATT8`` / Σ ``TPUP``; a school's ``SUPP``, ``NP``, ``NA`` or
blank value is left out of both sums (and counted); ``NE`` (no entries: no pupil
entered any qualification) counts as 0 points with its pupils in the weight, as
DfE's own LEA row does. On the real 888 and 855 files this reproduces the
published LEA Attainment 8 (RECTYPE 4) to within 0.1; leaving ``NE`` schools out
instead (``no_entries="exclude"``) gives 0.3–0.5 points more.

Validation reasons: ``unknown_rectype``, ``outside_area`` (LEA not in the area),
``bad_urn``, ``bad_number``, ``negative_count``, ``out_of_range`` (Attainment 8
outside 0–90, percentages outside 0–100), ``inconsistent_counts``
(disadvantaged pupils > pupils), ``duplicate_urn``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
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
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult, SourceError
from lvrn_analysis.sources.values import SUPPRESSION_MARKERS, parse_numbers

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
#: Statistical suppression markers of other publications (`SUPPRESSION_MARKERS`) -> status.
_GENERIC = {**{m: "not_published" for m in SUPPRESSION_MARKERS},
            "*": "suppressed", "C": "suppressed", "[C]": "suppressed", "[LOW]": "suppressed",
            "[Z]": "not_applicable"}

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
    "LE8 4": "E07000129", "LE8 5": "E07000129",  # Blaby village, Countesthorpe (Blaby)
    "LE8 6": "E07000129",   # Whetstone (Blaby)
    "LE9 6": "E07000131",   # Broughton Astley (Harborough)
    "LE9 7": "E07000132", "LE9 8": "E07000132",  # Earl Shilton, Barwell (Hinckley & B.)
    "LE9 9": "E07000132",   # Desford, Newbold Verdon (Hinckley and Bosworth)
    "LE67 9": "E07000132",  # Markfield (Hinckley and Bosworth)
    "LE4": "E07000130", "LE7": "E07000130", "LE11": "E07000130", "LE12": "E07000130",
    "LE6": "E07000132", "LE10": "E07000132", "CV13": "E07000132", "LE67": "E07000134",
    "LE65": "E07000134", "DE12": "E07000134", "DE74": "E07000134",
    "LE13": "E07000133", "LE14": "E07000133", "LE16": "E07000131", "LE17": "E07000131",
    "NG13 0": "E07000133",  # Bottesford (Melton)
    "CV9 3": "E07000132",   # Twycross (Hinckley and Bosworth); most of CV9 is Warwickshire
    "LE15": "E06000017",    # Oakham (Rutland)
}

#: The DfE columns the package reads (the shipped subsets keep only these).
USED_COLUMNS: tuple[str, ...] = (
    "RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "TOWN", "PCODE", "PCON_CODE", "PCON_NAME",
    "NFTYPE", "TPUP", "TOTATT8", "ATT8SCR", "TFSM6CLA1A", "PTFSM6CLA1A", "TNOTFSM6CLA1A",
    "PSEN_ALL", "PTEALGRP2", "P8MEA", "PTL2BASICS_95", "ATT8SCR_FSM6CLA1A",
    "ATT8SCR_NFSM6CLA1A")
_ALIASES: dict[str, tuple[str, ...]] = {c: () for c in USED_COLUMNS}
#: Numeric columns: DfE column -> (kept value column, kept status column or None).
_NUMERIC: dict[str, tuple[str, str | None]] = {
    "TPUP": ("pupils", None), "TOTATT8": ("att8_total", None),
    "ATT8SCR": ("att8", "att8_status"), "TFSM6CLA1A": ("disadvantaged", "disadvantaged_status"),
    "PTFSM6CLA1A": ("pct_disadvantaged", None), "TNOTFSM6CLA1A": ("pupils_other", None),
    "PSEN_ALL": ("pct_sen", None), "PTEALGRP2": ("pct_eal", None), "P8MEA": ("progress8", None),
    "PTL2BASICS_95": ("pct_basics_95", "basics_95_status"),
    "ATT8SCR_FSM6CLA1A": ("att8_disadvantaged", "att8_disadvantaged_status"),
    "ATT8SCR_NFSM6CLA1A": ("att8_other", "att8_other_status"),
}
#: LEAs whose real files the package ships, and the academic years shipped.
SHIPPED_LEAS: tuple[str, ...] = ("855", "888")
SHIPPED_YEARS: tuple[str, ...] = ("2017-2018", "2018-2019", "2021-2022")
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
    "pcon_code": ("str", "parliamentary constituency code (from 2018-19)"),
    "pcon_name": ("str", "parliamentary constituency name (from 2018-19)"),
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
    "pupils_other": ("Int64", "TNOTFSM6CLA1A: pupils who are not disadvantaged"),
    "pct_basics_95": ("float64", "PTL2BASICS_95: % achieving grade 5 or above in English "
                                 "and maths"),
    "basics_95_status": ("str", "as att8_status"),
    "att8_disadvantaged": ("float64", "ATT8SCR_FSM6CLA1A: Attainment 8 of disadvantaged "
                                      "pupils"),
    "att8_disadvantaged_status": ("str", "as att8_status"),
    "att8_other": ("float64", "ATT8SCR_NFSM6CLA1A: Attainment 8 of other pupils"),
    "att8_other_status": ("str", "as att8_status"),
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
    """Parse DfE numeric cells: values, status, and a mask of unparseable cells.

    Read with `lvrn_analysis.sources.values.parse_numbers()` (thousands
    separators, ``%``), DfE's markers (`_SPECIAL`) and the general suppression
    markers (`_GENERIC`).
    """
    markers = {**{k.upper(): v for k, v in _GENERIC.items()},
               **{k: v for k, v in _SPECIAL.items() if k}}
    n = parse_numbers(s, percent="points", markers=markers)
    blank = s.astype("str").str.strip().eq("") | s.isna()
    status = n.marker.map(markers).where(n.marker != "", "published")
    status = status.mask(blank, _SPECIAL[""]).astype("str")
    return n.value, status, n.bad


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
        ``YYYY-YYYY_LLL_ks4final.csv`` or ``.csv.gz`` (the academic year is read from
        the name).
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
        Empty, HTML, a required column missing, a damaged gzip file, or a file name
        without the year.
    """
    data, label = read_input(path)
    name = getattr(path, "name", str(path))
    yr = academic_year_from_name(name)
    if yr is None:
        raise SourceError(label, "cannot tell the academic year from the file name; name it "
                                 "YYYY-YYYY_LLL_ks4final.csv as DfE does (e.g. "
                                 "2018-2019_888_ks4final.csv)")
    year = yr[0]
    data, gz_note = unpack(data, label)
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
    for c in _NUMERIC:
        v, status, bad = _special(df[c])
        vals[c] = (v, status)
        chk.reject(bad, "bad_number", lazy(f"column {c!r}: ", df[c],
                                           " is not a number or a DfE marker (SUPP, NE, NP)"))
    tpup = vals["TPUP"][0]
    neg = (tpup < 0) | (vals["TFSM6CLA1A"][0] < 0) | (vals["TNOTFSM6CLA1A"][0] < 0)
    chk.reject(neg, "negative_count",
               lazy("pupil counts must not be negative (TPUP ", df["TPUP"], ", TFSM6CLA1A ",
                    df["TFSM6CLA1A"], ", TNOTFSM6CLA1A ", df["TNOTFSM6CLA1A"], ")"))
    chk.reject(tpup.notna() & (tpup != tpup.round()), "bad_number",
               lazy("column 'TPUP': ", df["TPUP"], " is not a whole number"))
    for c in ("ATT8SCR", "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A"):
        a8 = vals[c][0]
        chk.reject((a8 < 0) | (a8 > 90), "out_of_range",
                   lazy(f"column {c!r}: ", df[c], " is outside 0–90"))
    for c in ("PTFSM6CLA1A", "PSEN_ALL", "PTEALGRP2", "PTL2BASICS_95"):
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
    out = _kept_frame(k, vals, year, label, area, postcode_lookup)
    notes = list(table.notes) + gz_note
    una = out[(out["district_method"] == "unallocated")]
    if len(una):
        pcs = ", ".join(sorted(una["postcode"].fillna("blank").unique())[:6])
        notes.append(f"{len(una)} school(s) could not be placed in a district of the area "
                     f"(postcodes {pcs}); kept with no district")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def _kept_frame(k: pd.DataFrame, vals: dict[str, tuple[pd.Series, pd.Series]], year: str,
                label: str, area: AreaConfig, postcode_lookup: pd.DataFrame | None
                ) -> pd.DataFrame:
    """Build the kept frame (`SCHEMA`) of `load_ks4()` from the surviving records."""
    from lvrn_analysis.config.geography import local_authorities

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
    # only a district of the LEA's own county (and of the area) is accepted
    upper_of = local_authorities().set_index("la_code")["upper_tier_code"]
    dcode = dcode.where(dcode.isin(area.authorities) & (dcode.map(upper_of) == lea_up))
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
    blank = lambda c: k[c].where((k[c] != "") & (k[c] != "NA")).astype("str")  # noqa: E731
    for col, dfe in (("urn", "URN"), ("estab", "ESTAB"), ("school_name", "SCHNAME"),
                     ("town", "TOWN"), ("postcode", "PCODE"), ("pcon_code", "PCON_CODE"),
                     ("pcon_name", "PCON_NAME"), ("school_type", "NFTYPE")):
        out[col] = blank(dfe)
    out["state_funded"] = ~k["NFTYPE"].str.upper().str.startswith("IND")
    for dfe, (col, status) in _NUMERIC.items():
        v = vals[dfe][0].loc[idx]
        counts = dfe in ("TPUP", "TFSM6CLA1A", "TNOTFSM6CLA1A")
        out[col] = v.round().astype("Int64") if counts else v
        if status is not None:
            out[status] = vals[dfe][1].loc[idx]
    out["in_area"] = out["la_code"].isin(area.authorities)
    out["file"] = label
    out["row"] = k["row"].astype("int64")
    out = out[list(SCHEMA)]
    return out.sort_values(["record_type", "la_code", "urn", "row"], na_position="last",
                           kind="stable")


#: Pupil-weighted measures of `ks4_by_la()`: name -> (value column, status column,
#: weight column) of the kept frame.
MEASURES: dict[str, tuple[str, str, str]] = {
    "att8": ("att8", "att8_status", "pupils"),
    "pct_basics_95": ("pct_basics_95", "basics_95_status", "pupils"),
    "att8_disadvantaged": ("att8_disadvantaged", "att8_disadvantaged_status", "disadvantaged"),
    "att8_other": ("att8_other", "att8_other_status", "pupils_other"),
}


_DFE_WEIGHT = {"pupils": "TPUP", "disadvantaged": "TFSM6CLA1A", "pupils_other": "TNOTFSM6CLA1A"}
#: Descriptions of the processed table's (`ks4_by_la()`) columns; those named like a
#: `SCHEMA` column are described there (the data dictionary reads both).
PROCESSED_COLUMNS: dict[str, str] = {
    "schools": "state-funded schools (mainstream and special) placed in the district",
    "schools_with_pupils": "of those, schools with pupils at the end of key stage 4",
    "pupils": "pupils at the end of key stage 4 (Σ TPUP) in those schools",
    **{f"{m}_pupils": f"weight of {m}: Σ {_DFE_WEIGHT[w]} of the schools whose value is "
                      "published or NE" for m, (_v, _s, w) in MEASURES.items()},
    **{f"{m}_schools_excluded": f"schools with pupils whose {m} is SUPP, NP, NA or blank, "
                                "left out of value and weight" for m in MEASURES},
    **{f"{m}_pupils_excluded": f"weight of the schools left out of {m} (where DfE gives it)"
       for m in MEASURES},
    "att8": "Attainment 8, pupil-weighted: Σ TOTATT8 / Σ TPUP (DfE LEA method; NE = 0)",
    "att8_schools_suppressed": "schools whose Attainment 8 is suppressed (SUPP) by DfE",
    "att8_schools_no_entries": "schools with pupils whose Attainment 8 is NE (no entries), "
                               "counted with 0 points as DfE does",
    "disadvantaged": "disadvantaged pupils (Σ TFSM6CLA1A)",
    "disadvantaged_pupils": "pupils of the schools whose disadvantaged count is published "
                            "(the denominator of the share)",
    "disadvantaged_schools_excluded": "schools with pupils whose disadvantaged count is "
                                      "suppressed or not published",
    "att8_gap": "att8_other − att8_disadvantaged (Attainment 8 points)",
}


def _measure_parts(s: pd.DataFrame, value: str, status: str, weight: str, *,
                   ne_zero: bool) -> pd.DataFrame:
    """Per-school numerator, weight used and exclusion flags of one pupil-weighted measure.

    A school counts when its value is published (numerator value × weight) or, with
    ``ne_zero``, marked ``NE`` (0 points, weight counted). It is *excluded* when it has
    pupils at the end of KS4 but its value is ``SUPP``, ``NP``, ``NA``, blank (or
    ``NE`` without ``ne_zero``), or its weight is itself suppressed.
    """
    w = s[weight].astype("float64")
    pub = (s[status] == "published") & s[value].notna() & w.notna()
    ne = (s[status] == "no_entries") & w.notna()
    use = pub | (ne & ne_zero)
    num = (s[value] * w).where(pub, 0.0)
    if value == "att8":  # exact total points where published (ATT8SCR is rounded)
        num = s["att8_total"].where(pub & s["att8_total"].notna(), num)
    cohort = s["pupils"].astype("float64").fillna(0) > 0
    excluded = cohort & ~use & ~(w == 0)
    return pd.DataFrame({"num": num.where(use, 0.0), "w": w.where(use, 0.0),
                         "excl": excluded.astype("int64"),
                         "excl_w": w.where(excluded, 0.0).fillna(0.0)})


def ks4_by_la(kept: pd.DataFrame, *, include_independent: bool = False,
              no_entries: str = "zero") -> pd.DataFrame:
    r"""Aggregate school rows to district × academic year, pupil-weighted.

    Every measure $m$ of a district is $\sum_j m_j w_j / \sum_j w_j$ over its
    schools $j$ whose value is usable, with weight $w_j$ = the school's pupils at
    the end of key stage 4 (``TPUP``) for Attainment 8 and the English and maths
    measure, its disadvantaged pupils (``TFSM6CLA1A``) for the Attainment 8 of
    disadvantaged pupils and its other pupils (``TNOTFSM6CLA1A``) for that of other
    pupils (DfE LEA-total method; Attainment 8 uses the exact ``TOTATT8`` points).

    Parameters
    ----------
    kept
        Kept frame(s) of `load_ks4()`.
    include_independent
        Include independent schools (DfE's LEA totals exclude them).
    no_entries
        ``"zero"`` (default, as DfE): an ``NE`` school's pupils count with 0 points;
        ``"exclude"``: leave ``NE`` schools out like suppressed ones.

    Returns
    -------
    pandas.DataFrame
        One row per ``academic_year`` × ``la_code`` (``unallocated`` rows have no
        code), sorted: ``la_name``, ``schools`` (state-funded schools placed there),
        ``schools_with_pupils``, ``pupils`` (Σ ``TPUP``); per measure ``att8``,
        ``pct_basics_95``, ``att8_disadvantaged``, ``att8_other``: the value, ``<m>_pupils``
        (the weight used), ``<m>_schools_excluded`` and ``<m>_pupils_excluded``
        (schools with pupils whose value is ``SUPP``/``NP``/``NA``/blank, and their
        weight where known); ``att8_schools_suppressed`` (``SUPP`` only) and
        ``att8_schools_no_entries``; ``disadvantaged``, ``disadvantaged_pupils``
        (schools whose count is published), ``pct_disadvantaged``,
        ``disadvantaged_schools_excluded``; ``att8_gap`` = ``att8_other`` −
        ``att8_disadvantaged``; ``district_method`` (how its schools were placed).

    Raises
    ------
    ValueError
        If ``no_entries`` is not ``"zero"`` or ``"exclude"``.
    """
    if no_entries not in ("zero", "exclude"):
        raise ValueError("no_entries must be 'zero' or 'exclude'")
    s = kept[kept["record_type"].isin(["1", "2"])].copy()
    if not include_independent:
        s = s[s["state_funded"]]
    s["la_key"] = s["la_code"].fillna("unallocated")
    pupils = s["pupils"].astype("float64")
    parts: dict[str, pd.Series] = {
        "pupils": pupils.fillna(0.0), "schools": pd.Series(1, index=s.index),
        "schools_with_pupils": (pupils.fillna(0) > 0).astype("int64"),
        "att8_schools_suppressed": (s["att8_status"] == "suppressed").astype("int64"),
        "att8_schools_no_entries": ((s["att8_status"] == "no_entries")
                                    & (pupils.fillna(0) > 0)).astype("int64"),
    }
    for m, (value, status, weight) in MEASURES.items():
        p = _measure_parts(s, value, status, weight, ne_zero=no_entries == "zero")
        parts[f"{m}__num"], parts[f"{m}_pupils"] = p["num"], p["w"]
        parts[f"{m}_schools_excluded"], parts[f"{m}_pupils_excluded"] = p["excl"], p["excl_w"]
    use_d = s["disadvantaged"].notna() & pupils.notna()
    parts["disadvantaged"] = s["disadvantaged"].astype("float64").where(use_d, 0.0)
    parts["disadvantaged_pupils"] = pupils.where(use_d, 0.0)
    parts["disadvantaged_schools_excluded"] = ((pupils.fillna(0) > 0) & ~use_d).astype(
        "int64")
    g = pd.DataFrame({"academic_year": s["academic_year"], "la_key": s["la_key"], **parts})
    g = g.groupby(["academic_year", "la_key"], sort=True).sum()
    how = s.groupby(["academic_year", "la_key"], sort=True)["district_method"].agg(
        lambda v: "; ".join(sorted(set(v.dropna()))))
    out = pd.DataFrame({
        "academic_year": g.index.get_level_values(0).astype("str"),
        "la_code": pd.Series(g.index.get_level_values(1), dtype="str").replace(
            "unallocated", pd.NA).to_numpy(),
    })
    ints = ["schools", "schools_with_pupils", "pupils"]
    for c in ints:
        out[c] = g[c].to_numpy().astype("int64")
    for m in MEASURES:
        out[m] = (g[f"{m}__num"] / g[f"{m}_pupils"].replace(0, np.nan)).to_numpy()
        out[f"{m}_pupils"] = g[f"{m}_pupils"].to_numpy().astype("int64")
        out[f"{m}_schools_excluded"] = g[f"{m}_schools_excluded"].to_numpy().astype("int64")
        out[f"{m}_pupils_excluded"] = g[f"{m}_pupils_excluded"].to_numpy().astype("int64")
        if m == "att8":
            out["att8_schools_suppressed"] = g["att8_schools_suppressed"].to_numpy().astype(
                "int64")
            out["att8_schools_no_entries"] = g["att8_schools_no_entries"].to_numpy().astype(
                "int64")
    out["disadvantaged"] = g["disadvantaged"].to_numpy().astype("int64")
    out["disadvantaged_pupils"] = g["disadvantaged_pupils"].to_numpy().astype("int64")
    out["pct_disadvantaged"] = 100 * out["disadvantaged"] / out["disadvantaged_pupils"].replace(
        0, np.nan)
    out["disadvantaged_schools_excluded"] = g["disadvantaged_schools_excluded"].to_numpy(
        ).astype("int64")
    out["att8_gap"] = out["att8_other"] - out["att8_disadvantaged"]
    out["district_method"] = how.to_numpy().astype("str")
    names = kept.dropna(subset=["la_code"]).drop_duplicates("la_code").set_index(
        "la_code")["la_name"]
    out.insert(2, "la_name", out["la_code"].map(names).fillna("unallocated").astype("str"))
    out["la_code"] = out["la_code"].astype("str")
    return out.sort_values(["academic_year", "la_code"], na_position="last",
                           kind="stable").reset_index(drop=True)


def subset_ks4(data: bytes) -> bytes:
    """Reduce a DfE KS4 file to the columns the package reads (how the shipped files are made).

    Every record is kept; of the columns, only `USED_COLUMNS` present in the file, in
    the file's order. Cells are copied unchanged (the `csv` module re-quotes only
    cells that need it); records shorter than the header are padded with empty
    cells. Output: UTF-8 with the original's byte-order mark, LF line endings.

    Parameters
    ----------
    data
        Bytes of an original DfE ``…_ks4final.csv`` (UTF-8, with or without BOM).

    Returns
    -------
    bytes
        The subset CSV.
    """
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    keep = [i for i, h in enumerate(rows[0]) if h.strip() in USED_COLUMNS]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([r[i] if i < len(r) else "" for i in keep])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def shipped_file(year: str, lea: str) -> str:
    """Return the package resource name of a shipped file (``education/<year>_<lea>_…``)."""
    return f"education/{year}_{lea}_ks4final.csv.gz"


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the shipped real files of the area's LEAs (used if ``data/raw/education/`` is empty).

    Only LEAs 888 (Lancashire County Council) and 855 (Leicestershire) are shipped,
    for `SHIPPED_YEARS`. An area with none of them gets no input, and the build
    falls back to the synthetic twin; an area with some (pan-Lancashire: 888, not
    889 or 890) gets only those, and its other authorities get no value.
    """
    from lvrn_analysis.config.geography import local_authorities

    uppers = set(local_authorities(area)["upper_tier_code"])
    leas = [lea for lea in SHIPPED_LEAS if LEA_CODES[lea] in uppers]
    return [reference_file(shipped_file(y, lea)) for lea in leas for y in SHIPPED_YEARS]


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Return the processed table ``ks4_by_la``: `ks4_by_la()` of all kept rows."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return ks4_by_la(pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()}))
    kept = pd.concat(frames, ignore_index=True)
    kept = kept.drop_duplicates(["academic_year", "record_type", "urn", "lea"], keep="last")
    return ks4_by_la(kept)
