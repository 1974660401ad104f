"""Every class of bad input of issue 17, crafted for ED, Fingertips and the CSP crime tables.

For each source a small clean file is spoilt the way a new user would spoil it (US dates,
a stray quote, a NUL byte, thousands separators, ``%`` signs, lower-case codes, title rows
above the header, Excel's trailing rows of commas, UTF-16, a truncated ``.gz``, an
``.xlsx`` renamed ``.csv``, a zip of two CSV files), then run through ``lvrn validate``
and the loader: no traceback; a file that cannot be used is refused with a message naming
it and saying what is wrong; otherwise rows in (the physical records) = kept + rejected,
every rejected row carries its file, row and a detail naming the column, and the kept
values are the right ones (never swapped, never shifted).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis.cli import main as lvrn
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import crime_tables, ed, fingertips
from lvrn_analysis.sources.read_options import reading_options, use_reading_options
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.sources.validation import LoadResult, SourceError

# ------------------------------------------------------------------------ clean files

#: ED rows in the standard layout (Lancashire sites; LSOA and authority agree). The
#: arrival and injury dates are put in by `_ed_rows()`, so that their order can be spoilt.
ED_ROWS = [
    "A1,P1,RXR10,{a},01:34,24,1,E01012588,E06000008,1048031000000100,125596004,13924000,"
    "{i},22:43,,,,,,N,N,02,,01,,00,306689006",
    "A2,P2,RXR10,{a},04:08,36,1,E01025392,E07000125,1048031000000100,127279002,125667009,"
    "{i},23:44,,,,,,U,U,02,,01,,02,306689006",
    "A3,P3,RXN02,{a},04:45,26,1,E01025263,E07000123,1048071000000103,418799008,312608009,"
    "{i},01:51,,,,,,N,N,02,,05,,00,04",
    "A4,P4,RXR10,{a},07:41,19,1,E01012593,E06000008,1048031000000100,127279002,262525000,"
    "{i},02:42,,,,,,Y,Y,01,,01,,00,306689006",
    "A5,P5,RXR10,{a},09:27,27,1,E01025355,E07000125,1048031000000100,125600009,312608009,"
    "{i},08:39,,,,,,N,N,09,,01,,00,04",
    "A6,P6,RXN02,{a},17:13,44,1,E01025458,E07000126,1048031000000100,82271004,125667009,"
    "{i},15:55,,,,,,N,N,01,,01,,00,306689006",
]
#: (arrival, injury) dates of `ED_ROWS`: three have a day above 12, three do not.
ED_DATES = [("2020-06-13", "2020-06-12"), ("2020-06-02", "2020-06-01"),
            ("2020-07-04", "2020-07-04"), ("2020-03-05", "2020-03-05"),
            ("2020-11-20", "2020-11-20"), ("2020-01-09", "2020-01-09")]
#: Arrival date-times of `ED_ROWS` by attendance id.
ED_ARRIVALS = {f"A{i + 1}": pd.Timestamp(f"{a} {r.split(',')[4]}")
               for i, ((a, _), r) in enumerate(zip(ED_DATES, ED_ROWS, strict=True))}

FT_NAME = ("16-17 year olds not in education employment or training (NEET) or whose activity "
           "is not known")
#: Fingertips export rows (indicator 93203, a percentage): area code, name, value, limits,
#: count, denominator.
FT_AREAS = [("E06000008", "Blackburn with Darwen", "5.2", "4.6", "5.8", "52", "1000"),
            ("E06000009", "Blackpool", "6.1", "5.4", "6.8", "61", "1000"),
            ("E07000117", "Burnley", "4.0", "3.3", "4.8", "40", "1000"),
            ("E07000118", "Chorley", "3.1", "2.5", "3.8", "31", "1000"),
            ("E07000123", "Preston", "4.4", "3.8", "5.1", "44", "1000"),
            ("E10000017", "Lancashire", "4.5", "4.3", "4.7", "450", "10000")]

CSP_ROWS = [
    ["2019/20", "Q1", "Lancashire", "Blackpool", "Assault with injury",
     "Violence against the person", "Violence with injury", "8N", "412"],
    ["2019/20", "Q1", "Lancashire", "Preston", "Assault with injury",
     "Violence against the person", "Violence with injury", "8N", "301"],
    ["2019/20", "Q1", "Lancashire", "Burnley", "Robbery of personal property", "Robbery",
     "Robbery of personal property", "34B", "19"],
    ["2019/20", "Q1", "Lancashire", "Blackburn with Darwen", "Murder",
     "Violence against the person", "Homicide", "1", "1"],
    ["2019/20", "Q1", "Lancashire", "Unassigned", "Assault without injury",
     "Violence against the person", "Violence without injury", "105A", "7"],
    ["2019/20", "Q2", "Lancashire", "Blackpool", "Assault with injury",
     "Violence against the person", "Violence with injury", "8N", "398"],
]
N_ROWS = 6


def _ed_rows(fmt: Callable[[str], str] = lambda d: d) -> list[list[str]]:
    return [r.format(a=fmt(a), i=fmt(i)).split(",")
            for r, (a, i) in zip(ED_ROWS, ED_DATES, strict=True)]


def _ft_rows() -> list[list[str]]:
    return [["93203", FT_NAME, "E12000002", "North West region", code, name, "County & UA",
             "Persons", "16-17 yrs", "", "", "2019", v, lo, hi, "", "", n, d, "",
             "No significant change", "Similar", "Similar", "20190000", "", ""]
            for code, name, v, lo, hi, n, d in FT_AREAS]


def _csp_rows() -> list[list[str]]:
    return [r[:] for r in CSP_ROWS]


@dataclass(frozen=True)
class Src:
    """A source's clean file: header, rows and where its cells are."""

    name: str
    header: tuple[str, ...]
    rows: Callable[[], list[list[str]]]
    text_col: str  # a free-text column (for the stray quote)
    number_col: str  # a numeric column
    code_col: str  # a code column (for lower case)

    def col(self, name: str) -> int:
        return self.header.index(name)


SRC = {
    "ed": Src("ed", ed.HEADER, _ed_rows, "Assault_Location_Description", "Age_At_Arrival",
              "Der_Postcode_LSOA_2011_Code"),
    "fingertips": Src("fingertips", fingertips.HEADER_26, _ft_rows, "Area Name", "Count",
                      "Area Code"),
    "crime_tables": Src("crime_tables", crime_tables.HEADER, _csp_rows, "CSP Name",
                        "Offence Count", "Offence Code"),
}


def _text(header: tuple[str, ...] | list[str], rows: list[list[str]], eol: str = "\r\n") -> str:
    """CSV text written plainly (no quoting: the cells hold no commas or quotes)."""
    return eol.join(",".join(r) for r in [list(header), *rows]) + eol


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _xlsx(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2019_20"
    ws.append(list(header))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------- the classes


@dataclass
class Case:
    """A crafted file and what must come of it."""

    data: bytes
    name: str = "file.csv"
    error: str | None = None  # substring of the refusal
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> rows
    note: str | None = None  # substring of a note
    check: Callable[[list[LoadResult]], None] | None = None


def _kept(results: list[LoadResult]) -> pd.DataFrame:
    return pd.concat([r.kept for r in results], ignore_index=True)


def us_dates(s: Src) -> Case:
    if s.name == "ed":
        def us(d: str) -> str:
            y, m, dd = d.split("-")
            return f"{m}/{dd}/{y}"

        def right_values(res: list[LoadResult]) -> None:
            k = _kept(res).set_index("attendance_id")["arrival_datetime"]
            assert k.to_dict() == ED_ARRIVALS  # never day and month swapped

        return Case(_text(s.header, _ed_rows(us)).encode(), note="US order",
                    check=right_values)
    rows = s.rows()
    if s.name == "fingertips":  # periods are not dates: a date there is refused
        rows[1][s.col("Time period")] = "06/13/2019"
        return Case(_text(s.header, rows).encode(), rejected={"bad_time_period": 1})
    rows[1][s.col("Financial Year")] = "04/01/2019"
    return Case(_text(s.header, rows).encode(), rejected={"bad_financial_year": 1})


def stray_quote(s: Src) -> Case:
    rows = s.rows()
    rows[2][s.col(s.text_col)] = '"' + (rows[2][s.col(s.text_col)] or "Outside the pub")
    return Case(_text(s.header, rows).encode(), rejected={"malformed_record": 1})


def nul_byte(s: Src) -> Case:
    rows = s.rows()
    cell = rows[3][s.col(s.number_col)]
    rows[3][s.col(s.number_col)] = cell[:1] + "\x00" + cell[1:]

    def names_column(res: list[LoadResult]) -> None:
        rej = res[0].rejected
        assert s.number_col in rej["detail"].iloc[0] and "NUL" in rej["detail"].iloc[0]

    return Case(_text(s.header, rows).encode(), rejected={"malformed_record": 1},
                check=names_column)


def thousands(s: Src) -> Case:
    rows = s.rows()
    if s.name == "ed":  # no count in ED: '1,024' is not an age, '53,75' not a latitude
        rows[0][s.col("Age_At_Arrival")] = "1,024"
        rows[1][s.col("EC_Place_Of_Injury_Latitude")] = "53,75"
        return Case(_text(s.header, rows, "\n").encode().replace(b"1,024", b'"1,024"')
                    .replace(b"53,75", b'"53,75"'),
                    rejected={"bad_age": 1, "bad_coordinate": 1})
    if s.name == "fingertips":
        rows[0][s.col("Count")] = "1,234"
        rows[0][s.col("Denominator")] = "23,456"
        rows[0][s.col("Value")], rows[0][s.col("Lower CI 95.0 limit")], \
            rows[0][s.col("Upper CI 95.0 limit")] = "5.3", "5.0", "5.6"

        def counts(res: list[LoadResult]) -> None:
            k = _kept(res).set_index("area_code")
            assert k.loc["E06000008", "count"] == 1234.0
            assert k.loc["E06000008", "denominator"] == 23456.0
    else:
        rows[0][s.col("Offence Count")] = "1,234"

        def counts(res: list[LoadResult]) -> None:
            k = _kept(res)
            assert 1234 in set(k["offences"].astype(int))

    text = _text(s.header, rows).replace("1,234", '"1,234"').replace("23,456", '"23,456"')
    return Case(text.encode(), check=counts)


def percent(s: Src) -> Case:
    rows = s.rows()
    if s.name == "fingertips":
        rows[0][s.col("Value")] = "5.2%"
        rows[0][s.col("Lower CI 95.0 limit")] = "4.6%"
        rows[0][s.col("Upper CI 95.0 limit")] = "5.8%"
        rate = rows[5][:]  # a rate per 1,000 written with a % sign: refused
        rate[0], rate[1], rate[12] = "11202", "Violent crime - violence offences per 1000", "25%"
        rows[5] = rate

        def points(res: list[LoadResult]) -> None:
            k = _kept(res).set_index("area_code")
            assert k.loc["E06000008", ["value", "lower_ci95", "upper_ci95"]].tolist() == \
                [5.2, 4.6, 5.8]
            det = res[0].rejected["detail"].iloc[0]
            assert "'Value'" in det and "not a percentage" in det and "per 1000" in det

        return Case(_text(s.header, rows).encode(), rejected={"bad_number": 1},
                    note="percentage points", check=points)
    rows[1][s.col(s.number_col)] = "25%"
    reason = "bad_age" if s.name == "ed" else "bad_count"
    return Case(_text(s.header, rows).encode(), rejected={reason: 1})


def lower_case_codes(s: Src) -> Case:
    rows = s.rows()
    for r in rows:
        r[s.col(s.code_col)] = r[s.col(s.code_col)].lower()
    if s.name == "ed":
        for r in rows:
            r[s.col("Site_Code_of_Treatment")] = r[s.col("Site_Code_of_Treatment")].lower()
            r[s.col("residence_la")] = " " + r[s.col("residence_la")].lower()

        def upper(res: list[LoadResult]) -> None:
            k = _kept(res)
            assert set(k["residence_lsoa"]) == {r.split(",")[7] for r in ED_ROWS}
            assert set(k["ed_site"]) == {"RXR10", "RXN02"}
            assert k["residence_la"].str.fullmatch(r"E0\d{7}").all()
    elif s.name == "fingertips":
        def upper(res: list[LoadResult]) -> None:
            assert set(_kept(res)["area_code"]) == {a[0] for a in FT_AREAS}
    else:
        for r in rows:
            r[s.col("CSP Name")] = r[s.col("CSP Name")].lower()

        def upper(res: list[LoadResult]) -> None:
            assert "8N" in set(_kept(res)["offence_code"])
    return Case(_text(s.header, rows).encode(), check=upper)


def title_rows(s: Src) -> Case:
    text = "Table 1: an extract\nSource: a provider, 2021\n\n" + _text(s.header, s.rows())
    return Case(text.encode(), note="title")


def trailing_commas(s: Src) -> Case:
    blank = "," * (len(s.header) - 1)
    text = _text(s.header, s.rows()) + (blank + "\r\n") * 3
    return Case(text.encode())


def utf16(s: Src) -> Case:
    return Case(_text(s.header, s.rows()).encode("utf-16"), note="UTF-16")


def truncated_gz(s: Src) -> Case:
    gz = gzip.compress(_text(s.header, s.rows() * 40).encode(), mtime=0)
    return Case(gz[: len(gz) // 2], name="file.csv.gz", error="gzip file is truncated")


def xlsx_named_csv(s: Src) -> Case:
    data = _xlsx(s.header, s.rows())
    if s.name == "crime_tables":  # this source reads workbooks: read it, say so
        return Case(data, note="read as a workbook")
    return Case(data, error="workbook (.xlsx), not CSV text")


def zip_of_two(s: Src) -> Case:
    one = _text(s.header, s.rows()).encode()
    return Case(_zip({"part1.csv": one, "part2.csv": one}), name="file.zip",
                error="2 CSV files (part1.csv, part2.csv)")


CLASSES = {f.__name__: f for f in (us_dates, stray_quote, nul_byte, thousands, percent,
                                     lower_case_codes, title_rows, trailing_commas, utf16,
                                     truncated_gz, xlsx_named_csv, zip_of_two)}
CASES = [(src, cls) for src in SRC for cls in CLASSES]


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(autouse=True)
def _detect_again():
    """``lvrn validate --date-order`` run in-process sets the order for the rest of the
    thread; put detection back so that no other test reads with it."""
    yield
    use_reading_options()


@pytest.mark.parametrize(("src", "cls"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_bad_input_class(src, cls, tmp_path, area, capsys):
    case = CLASSES[cls](SRC[src])
    path = tmp_path / case.name
    path.write_bytes(case.data)
    rc = lvrn(["validate", src, str(path)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert str(path) in out.out
    spec = sources()[src]
    if case.error:
        assert rc == 1 and f"{path}: UNUSABLE: " in out.out and case.error in out.out, out.out
        with pytest.raises(SourceError) as info:
            spec.load(path, area)
        assert info.value.path == str(path) and case.error in info.value.message
        return
    assert rc == 0, out.out
    results = spec.load(path, area)
    rows_in = sum(r.rows_in for r in results)
    assert rows_in == N_ROWS  # the physical records: none lost, none invented
    for r in results:
        r.check_accounting()
        assert f"{r.path}: {src}: rows in {r.rows_in} = kept {r.rows_kept} + rejected " \
               f"{r.rows_rejected}" in out.out
    rej = pd.concat([r.rejected for r in results], ignore_index=True)
    assert rej.groupby("reason").size().to_dict() == case.rejected, rej
    if not rej.empty:
        assert (rej["file"] == str(path)).all() and (rej["row"] >= 1).all()
        assert (rej["row"] <= N_ROWS).all()
        cell_level = ~rej["reason"].isin(["malformed_record"])
        assert rej.loc[cell_level, "detail"].str.contains("column|date-time").all(), rej
    if case.note:
        notes = [n for r in results for n in r.notes]
        assert any(case.note in n for n in notes), notes
    if case.check:
        case.check(results)


# ------------------------------------------------------------------------ ED dates


def _ed_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    p = tmp_path / "ed.csv"
    p.write_text(_text(ed.HEADER, rows, "\n"))
    return p


def test_ed_mixed_orders_reject_the_minority_with_a_message(tmp_path, area):
    def uk(d: str) -> str:
        y, m, dd = d.split("-")
        return f"{dd}/{m}/{y}"

    rows = _ed_rows(uk)
    a, i = rows[0][3], rows[0][12]  # 13/06/2020, 12/06/2020 -> written month/day instead
    rows[0][3], rows[0][12] = "06/13/2020", "06/12/2020"
    assert (a, i) == ("13/06/2020", "12/06/2020")
    res = ed.load_ed(_ed_file(tmp_path, rows), area)[0]
    res.check_accounting()
    assert res.rows_in == N_ROWS and list(res.rejected["row"]) == [1]
    rej = res.rejected.iloc[0]
    assert rej["reason"] == "bad_datetime"
    assert "'06/13/2020 01:34'" in rej["detail"] and "month/day" in rej["detail"] \
        and "--date-order" in rej["detail"]
    k = res.kept.set_index("attendance_id")["arrival_datetime"].to_dict()
    assert k == {key: v for key, v in ED_ARRIVALS.items() if key != "A1"}
    assert any("both orders" in n for n in res.notes)


def test_ed_order_is_decided_from_arrival_and_injury_together(tmp_path, area):
    # only an injury date shows month/day (06/30): read alone, the arrival 07/01 would be
    # 7 January (the documented order), before its injury on 30 June
    rows = _ed_rows()
    rows[0][3], rows[0][12] = "07/01/2020", "06/30/2020"
    rows[1][3], rows[1][12] = "06/02/2020", "06/01/2020"
    res = ed.load_ed(_ed_file(tmp_path, rows), area)[0]
    assert res.rejected.empty, res.rejected
    k = res.kept.set_index("attendance_id")
    assert k.loc["A1", "arrival_datetime"] == pd.Timestamp("2020-07-01 01:34")
    assert k.loc["A1", "incident_datetime"] == pd.Timestamp("2020-06-30 22:43")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-06-02 04:08")
    assert k.loc["A2", "incident_datetime"] == pd.Timestamp("2020-06-01 23:44")


def test_ed_ambiguous_file_read_as_documented_or_as_told(tmp_path, area, capsys):
    rows = _ed_rows()
    rows[1][3], rows[1][12] = "06/02/2020", "06/01/2020"  # no date shows the order
    p = _ed_file(tmp_path, rows)
    res = ed.load_ed(p, area)[0]
    k = res.kept.set_index("attendance_id")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-02-06 04:08")
    assert any("as the layout documents" in n for n in res.notes)
    assert lvrn(["validate", "ed", str(p), "--date-order", "MDY"]) == 0
    assert "Traceback" not in capsys.readouterr().out
    use_reading_options()
    with reading_options(date_order="MDY"):
        k = ed.load_ed(p, area)[0].kept.set_index("attendance_id")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-06-02 04:08")


def test_ed_arrival_needs_a_time_and_sql_fractions_are_read(tmp_path, area):
    rows = _ed_rows()
    rows[0][4] = ""  # arrival date without a time
    rows[1][4] = "04:08:00.000"
    res = ed.load_ed(_ed_file(tmp_path, rows), area)[0]
    assert list(res.rejected["reason"]) == ["bad_datetime"] and list(res.rejected["row"]) == [1]
    k = res.kept.set_index("attendance_id")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-06-02 04:08")


def test_ed_lower_case_codes_in_messages_are_shown_as_written(tmp_path, area):
    rows = _ed_rows()
    rows[0][ed.HEADER.index("Der_Postcode_LSOA_2011_Code")] = "e0101258"
    res = ed.load_ed(_ed_file(tmp_path, rows), area)[0]
    assert list(res.rejected["reason"]) == ["bad_lsoa_code"]
    assert "'e0101258'" in res.rejected["detail"].iloc[0]


# ---------------------------------------------------------------- crime tables, zips


def test_crime_tables_zip_of_one_csv_is_read_and_messages_differ(tmp_path, area):
    one = _text(crime_tables.HEADER, _csp_rows()).encode()
    p = tmp_path / "one.zip"
    p.write_bytes(_zip({"prc-csp.csv": one}))
    res = crime_tables.load_crime_table(p, area)
    assert sum(r.rows_in for r in res) == N_ROWS
    assert any("prc-csp.csv" in n for r in res for n in r.notes)
    msgs = []
    for name, data in (("cut.csv.gz", gzip.compress(one * 50, mtime=0)[:200]),
                       ("cut.xlsx", _xlsx(crime_tables.HEADER, _csp_rows())[:700])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SourceError) as info:
            crime_tables.load_crime_table(tmp_path / name, area)
        msgs.append(info.value.message)
    assert "gzip file is truncated" in msgs[0] and ".xlsx workbook" in msgs[1]
    assert "corrupt" not in " ".join(msgs)


# ------------------------------------------------------------------ Fingertips shapes


def test_fingertips_reduced_shape_is_found_below_title_rows_in_utf16_and_in_a_zip(tmp_path,
                                                                                 area):
    from lvrn_analysis._resources import reference_file

    gz = reference_file("indicators_real/traffordDataLab_dashboard/"
                        "full_admissions_self_harm.csv.gz").read_bytes()
    text = gzip.decompress(gz).decode("utf-8")
    head = "\n".join(text.splitlines()[:21]) + "\n"  # header and 20 records
    (tmp_path / "t.csv").write_bytes(("Self-harm extract\n\n" + head).encode("utf-16"))
    (tmp_path / "t.zip").write_bytes(_zip({"reduced.csv": head.encode()}))
    for name in ("t.csv", "t.zip"):
        res = fingertips.load_fingertips(tmp_path / name, area)[0]
        assert res.rows_in == 20 and res.rejected.empty
        assert any("reduced fingertipsR extract" in n for n in res.notes)
        assert res.kept["value"].notna().any()
