"""Home Office police recorded crime by Community Safety Partnership (xlsx, ods, CSV).

Format (the published layout)
-----------------------------
The Home Office publishes police recorded crime "open data tables" by Community
Safety Partnership (CSP) as workbooks covering several financial years::

    prc-csp-0203-to-0607-tabs.xlsx           sheets 2002-03 … 2006-07
    prc-csp-0708-to-1011-tabs.xlsx           sheets 2007-08 … 2010-11
    prc-csp-1112-1415-tables.xlsx            sheets 2011-12 … 2014-15
    prc-csp-mar16-dec24-tables-240425.xlsx   sheets 2015_16 … 2024_25

(later releases follow the last name's pattern, ``prc-csp-mar16-<month><yy>-tables-
<ddmmyy>``). Each workbook has one sheet per financial year, possibly beside cover or
notes sheets, and every year sheet has the same nine columns::

    Financial Year, Financial Quarter, Force Name, CSP Name, Offence Description,
    Offence Group, Offence Subgroup, Offence Code, Offence Count

with the financial year written ``2015/16``, the quarter as a number ``1``–``4``
(April–June = 1), the force without "Police"/"Constabulary" (``Lancashire``), the
CSP by name (no code) and the count as a whole number. One row is one force × CSP ×
offence code × quarter; offences a force could not attribute to a CSP are published
under the CSP ``Unassigned``. The layout was taken from public analysis code that reads
these files (see ``reference/crime_tables/README.md``), and is tested on workbooks built
in exactly that layout (``tests/test_source_crime_tables_real_layout.py``).

Variations also read (columns are matched by name, never by position):

* ``Police Force`` for ``Force Name``; ``Community Safety Partnership`` for ``CSP Name``;
  ``Number of Offences`` for ``Offence Count``;
* sheet names in any wording (``2015_16``, ``2015-16``, ``FY 2019-20``, ``Year ending
  March 2021`` …); sheets without a data header (cover, contents, notes) are skipped,
  with a note; title rows above the header (the header row is found in the first 20
  rows);
* financial years written ``2016/17``, ``2016-17``, ``2016_17`` or ``2016/2017``;
  quarters ``1`` (number or text) or ``Q1``, blank for annual rows;
* counts stored as numbers or as text with thousands separators (``1,234``);
* a single sheet saved as CSV, also gzip-compressed or alone in a zip; a workbook
  given a ``.csv`` name (read as a workbook, with a note). Other packaging is told
  apart with what to do (`lvrn_analysis.sources.unpack`): a zip of several CSV
  files (named), a truncated gzip, a truncated or damaged workbook.

CSPs are joined **by name** to ONS local-authority codes through
``reference/crime_tables/csp_lookup.csv`` (in Lancashire every authority is a CSP;
Blackburn with Darwen and Blackpool are unitary); ``Unassigned`` rows are kept with no
authority. The published tables cover every force in England and Wales (43 forces). In a
*national* sheet (one holding the area's force and at least `NATIONAL_MIN_FORCES` forces
in all) the other forces' rows are valid data, not errors: they are kept as comparators
with ``in_area`` false (no authority is assigned to them, and a note says how many forces
and rows), so a national table loads with 0 rows rejected. Anywhere else, a row of
another force is a stray row in the area's extract, or the file is the wrong one: it is
quarantined as ``outside_area`` (counted, never silently dropped).

Offence codes are mapped to the LVRN serious-violence definition with
``reference/crime_tables/offence_codes.csv`` (see `lvrn_analysis.story.serious_violence`);
codes not in that table are kept, classed as outside the definition, with a note.

Each workbook sheet gives one `LoadResult`
labelled ``file.xlsx!sheet``; ``row`` is the data-row number within the sheet
(header excluded) and rejected rows also carry ``sheet_row`` (the spreadsheet row).

Validation reasons: ``bad_financial_year``, ``bad_quarter``, ``bad_count``,
``negative_count``, ``bad_offence_code``, ``excel_mangled_code`` (scientific
notation), ``ambiguous_numeric_code`` (a code stored as a number that may have lost
a trailing zero, e.g. 4.10 → 4.1), ``code_description_mismatch``, ``outside_area``
(another force), ``unknown_csp``, ``duplicate_row``, ``duplicate_key``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import (
    CsvTable,
    RowChecker,
    SourceInput,
    cell_text,
    empty_rejected,
    finish,
    first_row_of,
    lazy,
    looks_scientific,
    match_header,
    normalise_header,
    raw,
    read_csv_table,
    read_input,
    read_workbook,
    to_number,
    workbook_engine,
)
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult, SourceError, sha256_bytes

SOURCE = "crime_tables"

#: The published header of every financial-year sheet, in order.
HEADER: tuple[str, ...] = (
    "Financial Year", "Financial Quarter", "Force Name", "CSP Name", "Offence Description",
    "Offence Group", "Offence Subgroup", "Offence Code", "Offence Count",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "financial_year": ("Financial Year", "Financial year", "FY", "Year"),
    "financial_quarter": ("Financial Quarter", "Quarter", "Financial quarter"),
    "force_name": ("Force Name", "Police Force", "Force", "Police Force Area"),
    "csp_name": ("CSP Name", "Community Safety Partnership", "CSP",
                 "Community Safety Partnership Name"),
    "offence_description": ("Offence Description", "Offence"),
    "offence_group": ("Offence Group",),
    "offence_subgroup": ("Offence Subgroup", "Offence Sub Group", "Offence Sub-group"),
    "offence_code": ("Offence Code", "Home Office Offence Code"),
    "offences": ("Offence Count", "Number of Offences", "Number of offences", "Count"),
}
_DISPLAY = {c: names[0] for c, names in _ALIASES.items() if names}
_DISPLAY["offences"] = "Offence Count (or Number of Offences)"
_REQUIRED = ("financial_year", "force_name", "csp_name", "offence_code", "offences")
_ORDER = ("financial_year", "financial_quarter", "force_name", "csp_name",
          "offence_description", "offence_group", "offence_subgroup", "offence_code",
          "offences")
_UNASSIGNED = {"unassigned", "unknown", "not assigned", "unallocated"}

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "financial_year": ("str", "'YYYY/YY'"),
    "quarter": ("Int64", "1–4 (April–June = 1), missing for annual rows"),
    "period_start": ("datetime64[ns]", "first day of the quarter (or financial year)"),
    "period_end": ("datetime64[ns]", "last day of the quarter (or financial year)"),
    "force_name": ("str", "force as published"),
    "csp_name": ("str", "CSP as published"),
    "la_code": ("str", "ONS code of the CSP's authority; missing for Unassigned"),
    "la_name": ("str", "authority name; missing for Unassigned"),
    "unassigned": ("bool", "row is the force's Unassigned remainder"),
    "in_area": ("bool", "row is of the area's force (false: another force's row of a "
                        "national table, kept as a comparator)"),
    "offence_code": ("str", "Home Office offence code, e.g. '8N', '4.10'"),
    "offence_description": ("str", "as published (missing if blank)"),
    "offence_group": ("str", "as published"),
    "offence_subgroup": ("str", "as published"),
    "offences": ("int64", ">= 0"),
    "sv_category": ("str", "homicide | violence_with_injury | rape | robbery | "
                           "aggravated_burglary | weapons; missing outside the definition"),
    "lvrn_component": ("str", "homicide | assault_with_injury | rape | robbery | "
                              "aggravated_burglary | knife_crime | gun_crime; missing if none"),
    "in_lvrn_definition": ("bool", "sv_category is not missing"),
    "sheet": ("str", "workbook sheet ('' for CSV)"),
    "file": ("str", "file label"),
    "row": ("int64", "data-row number within the sheet (header excluded)"),
}


#: A sheet with rows of at least this many forces (the area's among them) is a national
#: table, whose other forces are kept as comparators (England and Wales have 43 forces).
NATIONAL_MIN_FORCES = 10


@functools.cache
def _ref(name: str) -> pd.DataFrame:
    with reference_file(f"crime_tables/{name}").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def offence_codes() -> pd.DataFrame:
    """Return the offence-code → LVRN serious-violence mapping (see the README)."""
    return _ref("offence_codes.csv").copy()


def csp_lookup() -> pd.DataFrame:
    """Return the CSP name → local-authority lookup (``force_name``, ``csp_name``, ``la_code``)."""
    return _ref("csp_lookup.csv").copy()


def norm_name(s: pd.Series | str) -> pd.Series | str:
    """Normalise a CSP or force name for joining (case, '&', punctuation, spaces)."""
    def one(x: str) -> str:
        x = str(x).casefold().replace("&", " and ")
        x = re.sub(r"[^a-z0-9 ]+", " ", x)
        return re.sub(r"\s+", " ", x).strip()

    if isinstance(s, str):
        return one(s)
    return s.astype("str").map(one).astype("str")


def norm_force(s: pd.Series | str) -> pd.Series | str:
    """Normalise a force name: drop 'Constabulary', 'Police', 'Police Service'."""
    def one(x: str) -> str:
        x = norm_name(x)
        return re.sub(r"\b(constabulary|police service|police force|police)\b", "", x).strip()

    if isinstance(s, str):
        return one(s)
    return s.astype("str").map(one).astype("str")


def sniff(first_line: str) -> bool:
    """Return True if a CSV header line looks like the CSP crime table."""
    s = normalise_header(first_line)
    return "offence code" in s and ("csp name" in s or "community safety partnership" in s)


# --------------------------------------------------------------------------- reading


def _sheet_tables(data: bytes, label: str, engine: str) -> list[tuple[str, CsvTable, pd.Series]]:
    """Split a workbook into per-sheet tables (sheets without a header are skipped)."""
    sheets = read_workbook(data, label, engine)
    out: list[tuple[str, CsvTable, pd.Series]] = []
    skipped: list[str] = []
    digest = sha256_bytes(data)
    for name, values in sheets.items():
        hdr_at = None
        for i in range(min(20, len(values))):
            cells = [normalise_header(cell_text(v)[0]) for v in values[i]]
            found = sum(1 for c in cells for names in _ALIASES.values()
                        if c in {normalise_header(n) for n in names})
            if found >= 4:
                hdr_at = i
                break
        if hdr_at is None:
            skipped.append(str(name))
            continue
        header = [cell_text(v)[0] for v in values[hdr_at]]
        while header and header[-1] == "":
            header.pop()
        slabel = f"{label}!{name}"
        columns = match_header(header, _ALIASES, required=_REQUIRED, label=slabel,
                               display=_DISPLAY)
        keep = [i for i, c in enumerate(columns) if c is not None]
        recs, rows, sheet_rows, numeric_code = [], [], [], []
        n = 0
        code_i = columns.index("offence_code")
        for r in range(hdr_at + 1, len(values)):
            cells = [cell_text(v) for v in values[r][: len(header)]]
            cells += [("", False)] * (len(header) - len(cells))
            if all(c[0] == "" for c in cells) and all(
                    cell_text(v)[0] == "" for v in values[r][len(header):]):
                continue
            n += 1
            recs.append([cells[i][0] for i in keep])
            rows.append(n)
            sheet_rows.append(r + 1)
            numeric_code.append(cells[code_i][1])
        names_ = [columns[i] for i in keep]
        df = (pd.DataFrame(recs, columns=names_).astype("str") if recs else
              pd.DataFrame({c: pd.Series([], dtype="str") for c in names_}))
        df.insert(0, "row", np.asarray(rows, dtype="int64"))
        df["sheet_row"] = np.asarray(sheet_rows, dtype="int64")
        notes = []
        if hdr_at:
            notes.append(f"header found on spreadsheet row {hdr_at + 1} (title rows above)")
        t = CsvTable(label=slabel, header=header, columns=columns, records=df,
                     broken=empty_rejected(), rows_in=n, sha256=digest, notes=notes)
        out.append((str(name), t, pd.Series(numeric_code, index=df.index, dtype=bool)))
    if not out:
        raise SourceError(label, "no sheet has the expected header (Financial Year, Force Name, "
                                 f"CSP Name, Offence Code, Offence Count); sheets: "
                                 f"{', '.join(map(str, sheets))}")
    if skipped:
        out[0][1].notes.append(f"sheet(s) without a data header skipped: {', '.join(skipped)}")
    return out


def load_crime_table(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load a CSP crime table (CSV, xlsx or ods), one result per data sheet.

    Parameters
    ----------
    path
        File (``.csv``, ``.xlsx``, ``.ods``; the format is detected from the bytes).
    area
        Area configuration: rows of other forces are quarantined as ``outside_area``.

    Returns
    -------
    list of LoadResult
        One per CSV file or workbook sheet with a data header.

    Raises
    ------
    SourceError
        Empty, HTML, corrupt workbook, no sheet with a header, missing column.
    """
    data, label = read_input(path)
    kind = workbook_engine(data)
    if kind in (None, "bad"):
        # gzip, a zip of CSV files, a damaged workbook, PDF, HTML …: told apart here
        data, notes = unpack(data, label, reads_workbooks=True)
        table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED, display=_DISPLAY,
                               expected_order=_ORDER)
        table.notes[:0] = notes
        code = table.records.get("offence_code", pd.Series([], dtype="str"))
        return [_validate(table, area, "", pd.Series(False, index=code.index))]
    results = [_validate(t, area, sheet, numeric) for sheet, t, numeric in
               _sheet_tables(data, label, kind)]
    suffix = Path(label).suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".ods", ""):
        results[0].notes.insert(0, f"file named {suffix} is "
                                   + ("an ODS" if kind == "odf" else "an Excel (.xlsx)")
                                   + " workbook; read as a workbook (give it its own "
                                     "extension)")
    return results


_FY = re.compile(r"^(?:FY\s*)?(\d{4})\s*[/_-]\s*(\d{2}|\d{4})$", re.I)


def _fy(s: pd.Series) -> pd.Series:
    """Normalise financial-year labels to 'YYYY/YY' (missing when invalid)."""
    def one(x: str) -> str | None:
        m = _FY.match(x.strip())
        if not m:
            return None
        y = int(m.group(1))
        e = m.group(2)
        end = int(e) if len(e) == 4 else (y // 100 * 100 + int(e))
        if end < y:
            end += 100
        if end != y + 1:
            return None
        return f"{y}/{str(end)[2:]}"

    return s.astype("str").map(one).astype("str")


def _validate(table: CsvTable, area: AreaConfig, sheet: str, numeric_code: pd.Series
              ) -> LoadResult:
    label = table.label
    hdr = {c: h.strip() for h, c in zip(table.header, table.columns, strict=False) if c}
    count_col = hdr.get("offences", "Offence Count")
    df = table.records.copy()
    for c in _ORDER:
        if c not in df.columns:
            df[c] = pd.Series("", index=df.index, dtype="str")
        df[c] = df[c].str.strip()
    chk = RowChecker(df, label)
    chk.add(table.broken)
    fy = _fy(df["financial_year"])
    chk.reject(fy.isna(), "bad_financial_year",
               lazy("column 'Financial Year': ", df["financial_year"],
                    " is not a financial year (e.g. 2016/17)"))
    q_raw = df["financial_quarter"].str.upper().str.replace(r"^Q", "", regex=True)
    q = pd.to_numeric(q_raw.where(q_raw != ""), errors="coerce")
    chk.reject((q_raw != "") & ~q.isin([1, 2, 3, 4]), "bad_quarter",
               lazy("column 'Financial Quarter': ", df["financial_quarter"],
                    " is not a quarter 1–4"))
    cnt, bad = to_number(df["offences"])
    chk.reject(bad | (df["offences"] == "") | (cnt.notna() & (cnt != cnt.round())),
               "bad_count",
               lazy(f"column {count_col!r}: ", df["offences"], " is not a whole number"))
    chk.reject(cnt < 0, "negative_count",
               lazy(f"column {count_col!r}: ", df["offences"], " is negative"))
    code = df["offence_code"].str.upper()
    chk.reject(looks_scientific(code), "excel_mangled_code",
               lazy("column 'Offence Code': ", df["offence_code"],
                    " is in scientific notation (damaged by Excel)"))
    chk.reject(~code.str.fullmatch(r"\d{1,3}(\.\d{1,2})?[A-Z]{0,2}"), "bad_offence_code",
               lazy("column 'Offence Code': ", df["offence_code"],
                    " is not a Home Office offence code"))
    ref = offence_codes().set_index("offence_code")
    known = set(ref.index)
    ambiguous = numeric_code & code.str.contains(".", regex=False) & (code + "0").isin(known)
    chk.reject(ambiguous, "ambiguous_numeric_code",
               lazy("column 'Offence Code': ", df["offence_code"],
                    " is stored as a number, so it may be '", raw(code + "0"),
                    "' with the trailing zero lost; store codes as text"))
    desc = df["offence_description"]
    pat = code.map(ref["description_pattern"])
    mism = pd.Series(
        [bool(p) and bool(d) and re.search(p, d, flags=re.I) is None
         for p, d in zip(pat.fillna(""), desc.fillna(""), strict=True)],
        index=df.index)
    chk.reject(mism, "code_description_mismatch",
               lazy("offence code ", df["offence_code"], " does not match its description ",
                    desc, " (expected '", raw(code.map(ref["offence_description"])),
                    "'; was the code damaged, e.g. 4.10 read as 4.1?)"))
    force = norm_force(df["force_name"])
    in_area = force == norm_force(area.force)
    national = bool(in_area.any()) and force[force != ""].nunique() >= NATIONAL_MIN_FORCES
    chk.reject(~in_area & (not national), "outside_area",
               lazy("column 'Force Name': ", df["force_name"],
                    f" is not the area's force ({area.force}) in a sheet that is not a "
                    f"national table (rows of at least {NATIONAL_MIN_FORCES} forces)"))
    look = csp_lookup()
    look = look[norm_force(look["force_name"]) == norm_force(area.force)]
    by_name = dict(zip(norm_name(look["csp_name"]), look["la_code"], strict=True))
    from lvrn_analysis.config.geography import local_authorities

    area_las = local_authorities(area)
    for la_c, la_n in zip(area_las["la_code"], area_las["la_name"], strict=True):
        by_name.setdefault(norm_name(la_n), la_c)  # a CSP named exactly as its authority
    cname = norm_name(df["csp_name"])
    unassigned = cname.isin(_UNASSIGNED)
    la_code = cname.map(by_name).where(in_area)  # another force's CSP: no authority
    chk.reject(in_area & ~unassigned & la_code.isna(), "unknown_csp",
               lazy("column 'CSP Name': ", df["csp_name"],
                    " is not a CSP of the area (see reference/crime_tables/csp_lookup.csv)"))
    chk.reject_repeated_rows(df, _ORDER)
    keyd = pd.DataFrame({"fy": fy, "q": q.astype("str"), "f": force, "c": cname, "o": code,
                         "row": df["row"]})
    dkey = keyd[["fy", "q", "f", "c", "o"]].duplicated(keep="first")
    if dkey.any():
        chk.reject(dkey, "duplicate_key",
                   lazy("an earlier row (row ", raw(first_row_of(keyd, ["fy", "q", "f", "c", "o"])),
                        ") has the same year, quarter, CSP and offence code"))

    k = df.loc[chk.alive]
    idx = k.index
    out = pd.DataFrame(index=idx)
    out["financial_year"] = fy.loc[idx]
    out["quarter"] = q.loc[idx].astype("Int64")
    fy_start = pd.to_datetime(fy.loc[idx].str.slice(0, 4) + "-04-01")
    qq = out["quarter"].fillna(0).astype(int)
    start = [s + pd.DateOffset(months=3 * (x - 1)) if x else s for s, x in
             zip(fy_start, qq, strict=True)]
    out["period_start"] = pd.Series(start, index=idx, dtype="datetime64[ns]")
    end = [s + pd.DateOffset(months=3 if x else 12) - pd.Timedelta(days=1) for s, x in
           zip(out["period_start"], qq, strict=True)]
    out["period_end"] = pd.Series(end, index=idx, dtype="datetime64[ns]")
    out["force_name"] = k["force_name"]
    out["csp_name"] = k["csp_name"]
    out["la_code"] = la_code.loc[idx].astype("str")
    names = local_authorities().set_index("la_code")["la_name"]
    out["la_name"] = out["la_code"].map(names).astype("str")
    out["unassigned"] = unassigned.loc[idx]
    out["in_area"] = in_area.loc[idx].astype(bool)
    out["offence_code"] = code.loc[idx]
    for c in ("offence_description", "offence_group", "offence_subgroup"):
        out[c] = k[c].where(k[c] != "").astype("str")
    out["offences"] = cnt.loc[idx].round().astype("int64")
    sv = ref["sv_category"].replace("", np.nan)
    comp = ref["lvrn_component"].replace("", np.nan)
    out["sv_category"] = out["offence_code"].map(sv).astype("str")
    out["lvrn_component"] = out["offence_code"].map(comp).astype("str")
    out["in_lvrn_definition"] = out["sv_category"].notna()
    out["sheet"] = sheet
    out["file"] = label
    out["row"] = k["row"].astype("int64")
    out = out.sort_values(["period_start", "la_code", "offence_code", "row"],
                          na_position="last", kind="stable")
    notes = list(table.notes)
    n_un = int((out["unassigned"] & out["in_area"]).sum())
    if n_un:
        notes.append(f"{n_un} 'Unassigned' row(s) kept with no local authority")
    others = out.loc[~out["in_area"], "force_name"]
    if len(others):
        notes.append(f"{len(others):,} row(s) of {others.nunique()} other force(s) kept as "
                     f"comparators (in_area false; a national table)")
    unknown = sorted(set(out["offence_code"]) - known)
    if unknown:
        notes.append(f"{len(unknown)} offence code(s) not in offence_codes.csv, classed as "
                     f"outside the definition: {', '.join(unknown[:10])}")
    rej = chk.rejected()
    return finish(SOURCE, table, out, rej, notes=notes)


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the inputs to load when ``data/raw/crime_tables/`` is empty: none."""
    return []


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate kept frames of all files and sheets (sorted by period, authority, code)."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["period_start", "la_code", "offence_code", "file", "sheet", "row"],
                           na_position="last", kind="stable").reset_index(drop=True)
