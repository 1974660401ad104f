"""The reading layer (issue 17): every class of bad input, read the same way by every source.

Each test crafts a file as a new user would get it wrong and asserts the outcome: no
traceback, a message naming file/row/column, no silently wrong value, and rows in = kept +
rejected counting the physical records.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.cli import main as lvrn
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import education, imd, indicators_real, navigator, programmes
from lvrn_analysis.sources.read_options import reading_options
from lvrn_analysis.sources.reading import first_lines, read_csv_table, to_number
from lvrn_analysis.sources.validation import SourceError, decode_text
from lvrn_analysis.sources.values import normalise_code, parse_dates, parse_numbers

DATA = Path(__file__).parent / "data"
ABC = {"a": (), "b": (), "c": ()}


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


def table(data: bytes, **kw):
    return read_csv_table(data, "f.csv", aliases=ABC, required=("a", "b", "c"), **kw)


def accounted(t) -> None:
    assert t.rows_in == len(t.records) + len(t.broken)


# --------------------------------------------------------------- records, quotes, NUL


def test_a_stray_quote_does_not_swallow_the_records_after_it():
    lines = [f"{i},x{i},{i * 10}" for i in range(1, 15)]
    lines[3] = '4,"x4,40'  # an opening quote that is never closed
    t = table(("a,b,c\n" + "\n".join(lines) + "\n").encode())
    assert t.rows_in == 14
    accounted(t)
    assert list(t.broken["row"]) == [4]
    assert t.broken["reason"].iloc[0] == "malformed_record"
    assert "unmatched double quote" in t.broken["detail"].iloc[0]
    assert list(t.records["a"]) == [str(i) for i in range(1, 15) if i != 4]


def test_two_stray_quotes_each_cost_one_line():
    lines = [f"{i},x{i},{i}" for i in range(1, 15)]
    lines[2] = '3,"x3,3'
    lines[8] = '9,x9",9'  # the quote that would close the first one, followed by text
    t = table(("a,b,c\n" + "\n".join(lines) + "\n").encode())
    assert t.rows_in == 14
    accounted(t)
    assert 3 in set(t.broken["row"]) and len(t.records) >= 12


def test_quoted_line_breaks_stay_one_record():
    data = b'a,b,c\n1,"two\nlines",3\n4,5,6\n'
    t = table(data)
    assert t.rows_in == 2 and t.broken.empty
    assert t.records["b"].iloc[0] == "two\nlines"


def test_a_file_cut_inside_a_quote_is_truncated_record():
    t = table(b'a,b,c\n1,2,3\n4,"cut')
    assert t.rows_in == 2
    assert list(t.broken["reason"]) == ["truncated_record"]


def test_nul_bytes_quarantine_the_record_and_name_the_column():
    t = table(b"a,b,c\n1,2,3\n4,5\x006\n7,8,9\n")
    accounted(t)
    assert t.rows_in == 3 and list(t.broken["row"]) == [2]
    d = t.broken["detail"].iloc[0]
    assert "NUL" in d and "column 'b'" in d and "line 3" in d
    assert list(t.records["a"]) == ["1", "7"]


def test_nul_padding_at_the_end_is_noted_not_counted():
    t = table(b"a,b,c\n1,2,3\n" + b"\x00" * 50)
    assert t.rows_in == 1 and t.broken.empty
    assert any("NUL byte(s) at the end" in n for n in t.notes)


def test_nul_in_the_header_is_refused():
    with pytest.raises(SourceError, match="header .* NUL"):
        table(b"a,b\x00,c\n1,2,3\n")


# ------------------------------------------------------- header, title rows, empty rows


def test_title_rows_above_the_header_are_skipped_with_a_note():
    data = b"Table 3: something,,\nSource: ONS,,\n,,\na,b,c\n1,2,3\n"
    t = table(data)
    assert t.header_line == 4 and t.rows_in == 1 and t.broken.empty
    assert any("2 title row(s)" in n and "line 4" in n for n in t.notes)


def test_no_header_anywhere_gives_the_first_rows_error():
    with pytest.raises(SourceError) as info:
        table(b"x,y,z\n1,2,3\n")
    assert "missing required column" in str(info.value) and info.value.column == "a"


def test_trailing_rows_of_bare_commas_are_noted_not_counted():
    t = table(b"a,b,c\n1,2,3\n,,\n4,5,6\n,,\n,,\n\n")
    assert t.rows_in == 3  # the middle empty record counts (and is quarantined)
    accounted(t)
    assert list(t.broken["reason"]) == ["empty_row"]
    assert any("2 empty record(s) at the end" in n for n in t.notes)


# ------------------------------------------------------------- encodings, delimiters


def test_utf16_unicode_text_from_excel_is_read():
    text = "a\tb\tc\r\n1\t£2\t3\r\n"
    t = table(b"\xff\xfe" + text.encode("utf-16-le"))
    assert t.rows_in == 1 and t.records["b"].iloc[0] == "£2"
    assert any("UTF-16" in n for n in t.notes) and any("tabs" in n for n in t.notes)


def test_utf16_without_bom_is_read():
    t = table("a,b,c\n1,2,3\n".encode("utf-16-be"))
    assert t.rows_in == 1 and any("UTF-16" in n for n in t.notes)


def test_cp1252_is_read_with_a_note_and_undecodable_text_says_what_to_do():
    t = table("a,b,c\n1,–,3\n".encode("cp1252"))
    assert t.records["b"].iloc[0] == "–" and any("Windows-1252" in n for n in t.notes)
    with pytest.raises(SourceError) as info:
        table(b"a,b,c\n1,\x81\x8d\x90,3\n")
    msg = str(info.value)
    assert "neither UTF-8 nor Windows-1252" in msg and "--encoding" in msg
    with reading_options(encoding="latin-1"):
        t = table(b"a,b,c\n1,\x81\xe9,3\n")
    assert t.records["b"].iloc[0] == "\x81é"


def test_semicolons_are_read_unless_numbers_use_decimal_commas():
    t = table(b"a;b;c\n1;2;x\n")
    assert t.delimiter == ";" and t.records["c"].iloc[0] == "x"
    with pytest.raises(SourceError) as info:
        table(b"a;b;c\n1;2,5;x\n")
    assert info.value.row == 1 and info.value.column == "b" and "decimal commas" in str(
        info.value)


# ------------------------------------------------------------------- archives, formats


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["a", "b", "c"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_archive_messages_tell_the_kinds_apart():
    gz = gzip.compress(b"a,b,c\n" + b"1,2,3\n" * 200, mtime=0)
    assert table(gz).rows_in == 200
    with pytest.raises(SourceError, match="gzip file is truncated"):
        table(gz[: len(gz) // 2])
    with pytest.raises(SourceError, match=r"workbook \(.xlsx\), not CSV"):
        table(_xlsx())
    with pytest.raises(SourceError, match=r"truncated or damaged .xlsx"):
        table(_xlsx()[:600])
    two = _zip({"one.csv": b"a,b,c\n1,2,3\n", "two.csv": b"a,b,c\n4,5,6\n"})
    with pytest.raises(SourceError) as info:
        table(two)
    assert "2 CSV files (one.csv, two.csv)" in str(info.value) and "corrupt" not in str(
        info.value)
    one = table(_zip({"only.csv": b"a,b,c\n1,2,3\n"}))
    assert one.rows_in == 1 and any("only.csv" in n for n in one.notes)
    with pytest.raises(SourceError, match="zip archive is truncated"):
        table(two[:40])
    with pytest.raises(SourceError, match=r"\.xls"):
        table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_decode_text_keeps_its_contract_with_clearer_messages():
    assert decode_text(b"\xef\xbb\xbfa,b\n", "f") == "a,b\n"
    with pytest.raises(SourceError, match="empty"):
        decode_text(b"  \n", "f")
    with pytest.raises(SourceError, match="HTML"):
        decode_text(b"<!DOCTYPE html><html>", "f")
    with pytest.raises(SourceError, match="spreadsheet workbook"):
        decode_text(_xlsx(), "f")
    assert decode_text("a,b\n".encode("utf-16"), "f") == "a,b\n"


def test_first_lines_finds_a_header_below_title_rows_and_in_utf16():
    data = "Title\r\n\r\nltla19_code,Score\r\n".encode("utf-16")
    assert first_lines(data) == ["Title", "ltla19_code,Score"]


# ----------------------------------------------------------------------------- values


def test_one_number_parser():
    s = pd.Series(["1,234", "1,234,567.5", "0,123", "12,34", "45%", "*", "x", "C", "..", ":",
                   "-", "[c]", "-3.5", "", "abc", "1.2e3"])
    n = parse_numbers(s, percent="points")
    v = dict(zip(s, n.value, strict=True))
    assert v["1,234"] == 1234 and v["1,234,567.5"] == 1234567.5 and v["45%"] == 45
    assert v["-3.5"] == -3.5 and v["1.2e3"] == 1200
    bad = dict(zip(s, n.bad, strict=True))
    assert bad["0,123"] and bad["12,34"] and bad["abc"]
    assert not any(bad[m] for m in ("*", "x", "C", "..", ":", "-", "[c]", ""))
    assert dict(zip(s, n.marker, strict=True))["C"] == "C"
    assert parse_numbers(pd.Series(["45%"]), percent="fraction").value[0] == 0.45
    assert parse_numbers(pd.Series(["45%"])).bad[0]
    # to_number keeps its signature and defaults (no markers, % refused)
    v, bad = to_number(pd.Series(["1,234", "*", "5%"]))
    assert v[0] == 1234 and list(bad) == [False, True, True]


def test_one_code_normaliser():
    s = pd.Series([" e01025473 ", "E0 1025473", "rxl01", ""])
    assert list(normalise_code(s)) == ["E01025473", "E01025473", "RXL01", ""]


def test_dates_in_us_order_throughout_are_read_as_us_never_swapped():
    s = pd.Series(["06/13/2020 10:00", "07/04/2020 11:00", "12/01/2020 09:30"])
    d = parse_dates(s, label="f", column="c")
    assert d.order == "MDY" and not d.bad.any()
    assert list(d.value) == [pd.Timestamp("2020-06-13 10:00"), pd.Timestamp("2020-07-04 11:00"),
                             pd.Timestamp("2020-12-01 09:30")]
    assert "US order" in d.notes[0]


def test_dates_whose_order_cannot_be_told_are_refused_or_read_as_documented():
    s = pd.Series(["2020-06-01", "01/02/2020", "03/04/2020"])
    with pytest.raises(SourceError) as info:
        parse_dates(s, label="f.csv", column="when", rows=pd.Series([4, 5, 6]))
    assert info.value.row == 5 and info.value.column == "when"
    assert "YYYY-MM-DD" in str(info.value) and "--date-order" in str(info.value)
    d = parse_dates(s, label="f", column="when", documented="DMY")
    assert d.value[1] == pd.Timestamp("2020-02-01") and "as the layout documents" in d.notes[0]
    with reading_options(date_order="MDY"):
        d = parse_dates(s, label="f", column="when")
    assert d.value[1] == pd.Timestamp("2020-01-02") and not d.notes


def test_mixed_orders_reject_the_minority_and_times_are_checked():
    s = pd.Series(["13/06/2020 10:00", "14/06/2020 10:00", "06/15/2020 10:00",
                   "2020-06-01 24:00", "2020-06-01", "5-Jun-2020 10:00", "2020-02-30 10:00"])
    d = parse_dates(s, label="f", column="c", time="required")
    assert d.order == "DMY"
    assert list(d.bad) == [False, False, True, True, True, False, True]
    assert list(d.other_order) == [False, False, True, False, False, False, False]
    assert d.value[5] == pd.Timestamp("2020-06-05 10:00")


# ---------------------------------------------------------------------------- sources

NAV = "C{i},P{i},{site},{when},25,1,violence,head_injury,ambulance,Y,N,face_to_face,none"


def _nav(tmp_path: Path, whens: list[str], site: str = "RXL01") -> Path:
    p = tmp_path / "nav.csv"
    rows = [NAV.format(i=i, site=site, when=w) for i, w in enumerate(whens)]
    p.write_text(",".join(navigator.HEADER) + "\n" + "\n".join(rows) + "\n")
    return p


def test_navigator_us_file_read_correctly_and_codes_normalised(tmp_path, area):
    p = _nav(tmp_path, ["06/13/2020 10:00", "07/04/2020 23:00", "06/02/2020 01:00"],
             site="rxl01")
    r = navigator.load_navigator(p, area)[0]
    assert r.rejected.empty and r.rows_in == 3
    got = sorted(r.kept["attendance_datetime"])
    assert got == [pd.Timestamp("2020-06-02 01:00"), pd.Timestamp("2020-06-13 10:00"),
                   pd.Timestamp("2020-07-04 23:00")]
    assert set(r.kept["ed_site"]) == {"RXL01"}
    assert any("US order" in n for n in r.notes)


def test_navigator_mixed_orders_reject_the_contradicting_row(tmp_path, area):
    p = _nav(tmp_path, ["13/06/2020 10:00", "20/06/2020 11:00", "06/21/2020 12:00"])
    r = navigator.load_navigator(p, area)[0]
    r.check_accounting()
    assert list(r.rejected["reason"]) == ["bad_datetime"]
    assert "month/day" in r.rejected["detail"].iloc[0]


PROG_HEAD = reference_file("programmes/programme_monitoring.csv").read_text(
    encoding="utf-8").splitlines()[0]
PROG = ('p{i},Prog,Area,2020,{start},{end},m{i},,{value},,,{unit},{den},'
        '"LVRN evaluation report 2021, §5.1",,')


def _prog(tmp_path: Path, rows: list[str]) -> Path:
    p = tmp_path / "prog.csv"
    p.write_text(PROG_HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_programmes_numbers_percent_and_thousands(tmp_path, area):
    rows = [PROG.format(i=1, start="2020-04-01", end="2021-03-31", value='"1,234"',
                        unit="count", den=""),
            PROG.format(i=2, start="2020-04-01", end="2021-03-31", value="25%", unit="percent",
                        den="4"),
            PROG.format(i=3, start="2020-04-01", end="2021-03-31", value="25%", unit="count",
                        den="")]
    r = programmes.load_programmes(_prog(tmp_path, rows), area)[0]
    r.check_accounting()
    k = r.kept.set_index("programme_id")["value"]
    assert k["p1"] == 1234 and k["p2"] == 25
    assert list(r.rejected["reason"]) == ["bad_number"]


def test_programmes_stray_quote_counts_every_record(tmp_path, area):
    rows = [PROG.format(i=i, start="2020-04-01", end="2021-03-31", value=str(i), unit="count",
                        den="") for i in range(14)]
    rows[3] = rows[3].replace(",Prog,", ',"Prog,', 1)
    r = programmes.load_programmes(_prog(tmp_path, rows), area)[0]
    assert r.rows_in == 14 and r.rows_kept == 13 and r.rows_rejected == 1
    assert r.rejected["reason"].iloc[0] == "malformed_record"


def test_programmes_dates_in_an_undecidable_order_are_refused(tmp_path, area):
    rows = [PROG.format(i=1, start="01/04/2020", end="03/05/2020", value="1", unit="count",
                        den="")]
    with pytest.raises(SourceError) as info:
        programmes.load_programmes(_prog(tmp_path, rows), area)
    assert info.value.row == 1 and "period_start" in info.value.column
    rows = [PROG.format(i=1, start="01/04/2020", end="31/03/2021", value="1", unit="count",
                        den="")]
    r = programmes.load_programmes(_prog(tmp_path, rows), area)[0]
    assert r.kept["period_start"].iloc[0] == pd.Timestamp("2020-04-01")


def _ks4_rows() -> list[list[str]]:
    text = (DATA / "education" / "2018-2019_888_ks4final.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _write_ks4(tmp_path: Path, rows: list[list[str]], tail: str = "") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    p = tmp_path / "2018-2019_888_ks4final.csv"
    p.write_bytes(buf.getvalue().encode("utf-8") + tail.encode())
    return p


def test_ks4_nul_row_is_quarantined_not_shifted(tmp_path, area):
    rows = _ks4_rows()
    p = _write_ks4(tmp_path, rows)
    base = education.load_ks4(p, area)[0]
    text = p.read_text(encoding="utf-8").split("\n")
    line = text[5].split(",")
    line[139] = line[139] + "\x00" + line[140]  # a NUL where a comma was: the row is short
    del line[140]
    text[5] = ",".join(line)
    p.write_text("\n".join(text), encoding="utf-8")
    r = education.load_ks4(p, area)[0]
    r.check_accounting()
    assert r.rows_in == base.rows_in
    row = r.rejected[r.rejected["reason"] == "malformed_record"]
    assert list(row["row"]) == [5] and "NUL" in row["detail"].iloc[0]
    assert f"column {rows[0][139]!r}" in row["detail"].iloc[0]


def test_ks4_thousands_in_summary_rows_and_trailing_commas(tmp_path, area):
    rows = _ks4_rows()
    h = rows[0]
    t, i = h.index("TPUP"), h.index("RECTYPE")
    for r in rows[1:]:
        if r[i] == "5":
            r[t] = f"{int(r[t]):,}"
    p = _write_ks4(tmp_path, rows, tail="," * (len(h) - 1) + "\n" + "," * (len(h) - 1) + "\n")
    res = education.load_ks4(p, area)[0]
    res.check_accounting()
    assert res.rows_in == len(rows) - 1
    eng = res.kept[res.kept["record_type"] == "5"]
    assert eng["pupils"].iloc[0] == 604963
    assert not (res.rejected["reason"] == "bad_number").any()
    assert any("2 empty record(s) at the end" in n for n in res.notes)


def test_ks4_truncated_gzip_says_truncated(tmp_path, area):
    gz = gzip.compress((DATA / "education" / "2018-2019_888_ks4final.csv").read_bytes(), mtime=0)
    p = tmp_path / "2018-2019_888_ks4final.csv.gz"
    p.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(SourceError, match="truncated"):
        education.load_ks4(p, area)


def test_imd_title_rows_lower_case_codes_and_trailing_commas(tmp_path, area):
    text = reference_file("geography/imd2019_ltla19.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    width = lines[0].count(",")
    body = [lines[0]] + [ln[:9].lower() + ln[9:] for ln in lines[1:]]
    p = tmp_path / "imd.csv"
    p.write_text("IMD 2019 summary\nSource: MHCLG\n" + "\n".join(body) + "\n"
                 + ("," * width + "\n") * 3, encoding="utf-8")
    r = imd.load_imd(p, area)[0]
    r.check_accounting()
    assert r.rows_in == 317 and r.rows_kept == 317
    assert r.kept["la_code"].str.fullmatch(r"E0[6-9]\d{6}").all()
    assert any("title row" in n for n in r.notes) and any("empty record" in n for n in r.notes)


def test_imd_zip_of_two_csvs_names_them(tmp_path, area):
    p = tmp_path / "imd.xlsx"
    p.write_bytes(_zip({"a.csv": b"x\n", "b.csv": b"y\n"}))
    with pytest.raises(SourceError) as info:
        imd.load_imd(p, area)
    assert "a.csv, b.csv" in info.value.message and "unzip" in info.value.message


def test_indicators_real_lower_case_area_codes(tmp_path, area):
    p = tmp_path / "ind.csv"
    p.write_text("area_code,area_name,period,value,indicator,measure,unit,significance\n"
                 "e06000009 ,Blackpool,2019/20,\"1,234.5\",Some indicator,Count,Persons,\n",
                 encoding="utf-8")
    r = indicators_real.load_indicators_real(p, area)[0]
    assert r.rejected.empty
    assert r.kept["area_code"].iloc[0] == "E06000009" and r.kept["value"].iloc[0] == 1234.5


# ------------------------------------------------------------------------------ lvrn


def test_lvrn_validate_on_crafted_files_never_crashes(tmp_path, capsys):
    files = {
        "utf16.csv": (",".join(navigator.HEADER) + "\r\n"
                      + NAV.format(i=1, site="RXL01", when="2020-06-01 10:00") + "\r\n")
        .encode("utf-16"),
        "xlsx_named.csv": _xlsx(),
        "two.zip.csv": _zip({"one.csv": b"a\n", "two.csv": b"b\n"}),
        "cut.csv.gz": gzip.compress(b"x" * 5000, mtime=0)[:30],
        "us_dates.csv": _nav(tmp_path, ["06/13/2020 10:00", "07/04/2020 11:00"]).read_bytes(),
        "titled.csv": b"Programme monitoring\n\n" + (PROG_HEAD + "\n" + PROG.format(
            i=1, start="2020-04-01", end="2021-03-31", value="5", unit="count", den="")
            + "\n").encode(),
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    rc = lvrn(["validate", *paths])
    out = capsys.readouterr().out
    assert rc == 1 and "Traceback" not in out
    assert "utf16.csv: navigator: rows in 1 = kept 1 + rejected 0" in out
    assert "us_dates.csv: navigator: rows in 2 = kept 2" in out and "US order" in out
    assert "titled.csv: programmes: rows in 1 = kept 1" in out
    assert "xlsx_named.csv: UNUSABLE" in out and "two.zip.csv: UNUSABLE" in out
    assert "2 CSV files (one.csv, two.csv)" in out
    assert "cut.csv.gz: UNUSABLE" in out
    rc = lvrn(["validate", "programmes", str(tmp_path / "us_dates.csv"), "--date-order", "DMY"])
    assert rc == 1 and "Traceback" not in capsys.readouterr().out
