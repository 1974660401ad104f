"""The published Home Office layout of police recorded crime by CSP, file by file.

The open data tables are published as four workbooks (later releases follow the last
name's pattern), one sheet per financial year, nine columns::

    Financial Year, Financial Quarter, Force Name, CSP Name, Offence Description,
    Offence Group, Offence Subgroup, Offence Code, Offence Count

These tests build workbooks in exactly that layout (file names, sheet names, a cover
sheet, quarters stored as numbers 1-4, counts stored as numbers shown with a thousands
separator or as text with one) and check that a clean file loads with nothing rejected.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import crime_tables as ct
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.sources.validation import SourceError

#: The published header, in order.
PUBLISHED = ["Financial Year", "Financial Quarter", "Force Name", "CSP Name",
             "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code",
             "Offence Count"]

#: Published workbook name -> its sheet names (one per financial year).
RELEASES = {
    "prc-csp-0203-to-0607-tabs.xlsx": [f"20{y:02d}-{y + 1:02d}" for y in range(2, 7)],
    "prc-csp-0708-to-1011-tabs.xlsx": [f"20{y:02d}-{y + 1:02d}" for y in range(7, 11)],
    "prc-csp-1112-1415-tables.xlsx": [f"20{y:02d}-{y + 1:02d}" for y in range(11, 15)],
    "prc-csp-mar16-dec24-tables-240425.xlsx": [f"20{y:02d}_{y + 1:02d}" for y in range(15, 25)],
}

#: (code, description, group, subgroup) as in offence_codes.csv, plus one code outside it.
OFFENCES = [
    ("8N", "Assault with injury", "Violence against the person", "Violence with injury"),
    ("1", "Murder", "Violence against the person", "Homicide"),
    ("4.10", "Corporate manslaughter", "Violence against the person", "Homicide"),
    ("10D", "Possession of article with blade or point", "Possession of weapons offences",
     "Possession of weapons offences"),
    ("34B", "Robbery of personal property", "Robbery", "Robbery of personal property"),
    ("30A", "Burglary in a building other than a dwelling (outcome only)", "Theft offences",
     "Non-domestic burglary"),
]
CSPS = ["Blackburn with Darwen", "Blackpool", "Preston", "Ribble Valley", "Unassigned"]


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


def _fy(sheet: str) -> str:
    return sheet[:4] + "/" + sheet[-2:]


def _rows(sheet: str, quarters: int = 4) -> list[list[object]]:
    """Data rows of one financial-year sheet: counts stored as numbers, some large."""
    out = []
    for q in range(1, quarters + 1):
        for i, csp in enumerate(CSPS):
            for j, (code, desc, grp, sub) in enumerate(OFFENCES):
                n = (i + 1) * 7 + j * 3 + q
                if code == "8N" and csp == "Blackpool":
                    n = 1000 + 37 * q  # four-digit counts, shown as 1,037 …
                out.append([_fy(sheet), q, "Lancashire", csp, desc, grp, sub, code, n])
    return out


def _workbook(path, sheets: dict[str, list[list[object]]], *, cover: bool = True,
              text_counts: bool = False):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if cover:
        ws = wb.create_sheet("Cover")
        ws.append(["Police recorded crime by Community Safety Partnership"])
        ws.append(["Source: Home Office, police recorded crime open data tables"])
        ws.append([])
        ws.append(["Each sheet holds one financial year: Financial Year, Financial Quarter, "
                   "Force Name, CSP Name, Offence Code, Offence Count"])
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(PUBLISHED)
        for r in rows:
            r = list(r)
            if text_counts and isinstance(r[8], int):
                r[8] = f"{r[8]:,}"
            ws.append(r)
            if not text_counts:
                ws.cell(row=ws.max_row, column=9).number_format = "#,##0"
    wb.save(path)
    return path


@pytest.mark.parametrize("name", sorted(RELEASES))
def test_each_published_workbook_loads_with_nothing_rejected(tmp_path, area, name):
    sheets = {s: _rows(s, quarters=1 if len(RELEASES[name]) > 5 else 2)
              for s in RELEASES[name]}
    res = ct.load_crime_table(_workbook(tmp_path / name, sheets), area)
    assert [r.path for r in res] == [f"{tmp_path / name}!{s}" for s in RELEASES[name]]
    for r, (sheet, rows) in zip(res, sheets.items(), strict=True):
        r.check_accounting()
        assert r.rejected.empty, r.rejected[["reason", "detail"]].head()
        assert r.rows_in == len(rows) == len(r.kept)
        assert list(r.kept.columns) == list(ct.SCHEMA)
        assert set(r.kept["financial_year"]) == {_fy(sheet)}
        assert set(r.kept["sheet"]) == {sheet}
    assert any("Cover" in n for n in res[0].notes)  # the cover sheet is skipped, and said so


def test_published_values_are_read_exactly(tmp_path, area):
    sheet = "2019_20"
    rows = _rows(sheet)
    res = ct.load_crime_table(
        _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx", {sheet: rows}), area)
    k = res[0].kept.sort_values("row")
    assert k["offences"].tolist() == [r[8] for r in rows]
    bp = k[(k["csp_name"] == "Blackpool") & (k["offence_code"] == "8N")]
    assert bp["offences"].tolist() == [1037, 1074, 1111, 1148]
    assert bp["quarter"].tolist() == [1, 2, 3, 4]
    assert bp["period_start"].tolist() == [pd.Timestamp(d) for d in
                                          ("2019-04-01", "2019-07-01", "2019-10-01",
                                           "2020-01-01")]
    assert bp["la_code"].unique().tolist() == ["E06000009"]
    assert k.loc[k["offence_code"] == "4.10", "sv_category"].unique().tolist() == ["homicide"]
    outside = k[k["offence_code"] == "30A"]
    assert len(outside) == 20 and outside["sv_category"].isna().all()
    assert any("30A" in n and "offence_codes.csv" in n for n in res[0].notes)
    un = k[k["unassigned"]]
    assert len(un) == 24 and un["la_code"].isna().all()


def test_counts_written_as_text_with_thousands_separators(tmp_path, area):
    sheet = "2016_17"
    rows = _rows(sheet)
    path = _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx", {sheet: rows},
                     text_counts=True)
    cells = openpyxl.load_workbook(path)[sheet]
    assert "1,037" in [c.value for c in cells["I"]]
    res = ct.load_crime_table(path, area)[0]
    assert res.rejected.empty
    assert res.kept.sort_values("row")["offences"].tolist() == [r[8] for r in rows]


def test_quarters_written_as_text(tmp_path, area):
    """Some copies store the quarter as text ('1' or 'Q1'); both read as the same quarter."""
    sheet = "2017_18"
    rows = _rows(sheet)
    for r in rows:
        r[1] = str(r[1]) if r[3] != "Preston" else f"Q{r[1]}"
    res = ct.load_crime_table(
        _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx", {sheet: rows}), area)[0]
    assert res.rejected.empty
    assert res.kept.sort_values("row")["quarter"].tolist() == [r[1] if isinstance(r[1], int)
                                                               else int(str(r[1])[-1])
                                                               for r in rows]


def test_a_later_release_with_the_same_pattern(tmp_path, area):
    name = "prc-csp-mar16-sep25-tables-290126.xlsx"
    sheets = {s: _rows(s, quarters=2) for s in ("2024_25", "2025_26")}
    res = ct.load_crime_table(_workbook(tmp_path / name, sheets, cover=False), area)
    assert [r.path.rsplit("!", 1)[1] for r in res] == ["2024_25", "2025_26"]
    assert all(r.rejected.empty for r in res)
    assert sum(len(r.kept) for r in res) == sum(map(len, sheets.values()))


def test_ods_copy_of_a_published_workbook(tmp_path, area):
    sheet = "2020_21"
    rows = _rows(sheet, quarters=1)
    p = tmp_path / "prc-csp-mar16-dec24-tables-240425.ods"
    with pd.ExcelWriter(p, engine="odf") as xw:
        pd.DataFrame([["Police recorded crime by CSP"]]).to_excel(
            xw, sheet_name="Cover", index=False, header=False)
        pd.DataFrame(rows, columns=PUBLISHED).to_excel(xw, sheet_name=sheet, index=False)
    res = ct.load_crime_table(p, area)
    assert len(res) == 1 and res[0].rejected.empty
    assert res[0].kept.sort_values("row")["offences"].tolist() == [r[8] for r in rows]


def test_csv_saved_from_a_published_sheet(tmp_path, area):
    sheet = "2021_22"
    rows = _rows(sheet, quarters=1)
    p = tmp_path / "prc-csp-2021_22.csv"
    pd.DataFrame(rows, columns=PUBLISHED).to_csv(p, index=False)
    assert sources()["crime_tables"].sniff(p.read_text().splitlines()[0])
    res = ct.load_crime_table(p, area)[0]
    assert res.rejected.empty and len(res.kept) == len(rows)


def test_header_constant_is_the_published_header():
    assert list(ct.HEADER) == PUBLISHED


def test_a_national_table_keeps_other_forces_as_comparators(tmp_path, area):
    """A national file holds every force: with the area's force and at least ten forces in
    all, the other forces' rows are comparators (kept, in_area false, no authority)."""
    sheet = "2018_19"
    rows = _rows(sheet, quarters=1)
    forces = [("Cumbria", "Carlisle"), ("Merseyside", "Liverpool"), ("Cheshire", "Chester"),
              ("Cleveland", "Hartlepool"), ("Durham", "Darlington"),
              ("Greater Manchester", "Bolton"), ("Humberside", "Hull"),
              ("Northumbria", "Newcastle"), ("West Yorkshire", "Leeds")]
    other = [[_fy(sheet), 1, f, c, "Assault with injury", "Violence against the person",
              "Violence with injury", "8N", f"{1000 + i:,}"] for i, (f, c) in enumerate(forces)]
    res = ct.load_crime_table(
        _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx", {sheet: rows + other}),
        area)[0]
    res.check_accounting()
    assert res.rows_in == len(rows) + len(forces) and res.rows_rejected == 0
    k = res.kept
    assert int(k["in_area"].sum()) == len(rows)
    comp = k[~k["in_area"]].sort_values("offences")
    assert comp["force_name"].tolist() == [f for f, _ in forces]
    assert comp["offences"].tolist() == [1000 + i for i in range(len(forces))]
    assert comp["la_code"].isna().all()
    assert any("9 row(s) of 9 other force(s) kept as comparators" in n for n in res.notes)
    # one force fewer is not a national table: the stray forces' rows are quarantined
    res = ct.load_crime_table(
        _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx",
                  {sheet: rows + other[:-1]}), area)[0]
    res.check_accounting()
    assert res.rows_rejected == len(forces) - 1
    assert set(res.rejected["reason"]) == {"outside_area"}


def test_a_sheet_without_the_areas_force_is_quarantined_not_dropped(tmp_path, area):
    """A file holding only other forces is the wrong file: every row is outside_area."""
    sheet = "2018_19"
    other = [[_fy(sheet), 1, "Cumbria", "Carlisle", "Assault with injury",
              "Violence against the person", "Violence with injury", "8N", 1234]]
    res = ct.load_crime_table(
        _workbook(tmp_path / "prc-csp-mar16-dec24-tables-240425.xlsx", {sheet: other}),
        area)[0]
    res.check_accounting()
    assert res.rows_in == 1 and res.kept.empty
    assert res.rejected["reason"].tolist() == ["outside_area"]
    assert "'Cumbria'" in res.rejected["detail"].item()


def test_missing_count_column_names_the_published_column(tmp_path, area):
    sheet = "2019_20"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(PUBLISHED[:-1])
    ws.append(_rows(sheet, 1)[0][:-1])
    wb.save(tmp_path / "prc.xlsx")
    with pytest.raises(SourceError, match="Offence Count"):
        ct.load_crime_table(tmp_path / "prc.xlsx", area)
