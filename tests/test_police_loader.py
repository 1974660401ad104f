"""The data.police.uk street-level loader on real files and on crafted bad files.

Real files: ``tests/data/police/`` holds byte-for-byte (gzipped) copies of three
Lancashire months and one Leicestershire month from data.police.uk (OGL v3.0;
provenance in ``../shared/reference/README.md`` section 2). Their row counts are
checked against the published facts and, independently, with the ``csv`` module.

Crafted files are written in ``tmp_path`` from a few real lines, one defect each,
and every test checks the exact reason code, the spreadsheet row number (the
header is row 1) and that rows in = kept + rejected.
"""

from __future__ import annotations

import copy
import csv
import gzip
import hashlib
import io
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities
from lvrn_analysis.sources import police
from lvrn_analysis.sources.validation import WEIGHT, LoadResult, SourceError
from lvrn_analysis.story.profile import crime_type_breakdown, monthly_counts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "police"
SHARED_POLICE = ROOT.parent / "shared" / "reference" / "police"
VSO = "Violence and sexual offences"
ASB = "Anti-social behaviour"
HEADER_LINE = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)

#: Published facts (reference README section 2): rows, VSO rows, rows without LSOA.
REAL = {
    "2019-12": {"rows": 14_748, "vso": 4_839, "no_lsoa": 276},
    "2020-02": {"rows": 15_344, "vso": 4_919, "no_lsoa": 1_690},
    "2020-04": {"rows": 20_553, "vso": 4_220, "no_lsoa": 809},
}
MONTHS = sorted(REAL)


def lancs_path(month: str) -> Path:
    return DATA / f"{month}-lancashire-street.csv.gz"


LEICS_PATH = DATA / "2020-02-leicestershire-street.csv.gz"


@cache
def raw_bytes(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


@cache
def csv_rows(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Header and data rows of a gzipped CSV, read with the standard library."""
    text = raw_bytes(path).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return tuple(rows[0]), tuple(tuple(r) for r in rows[1:])


def independent_duplicates(rows) -> int:
    """Non-blank Crime IDs minus unique non-blank Crime IDs."""
    ids = [r[0] for r in rows if r[0].strip()]
    return len(ids) - len(set(ids))


def assert_balanced(res: LoadResult, rows_written: int | None = None) -> None:
    res.check_accounting()
    assert res.rows_in == res.rows_kept + res.rows_rejected
    assert int(res.kept[WEIGHT].sum()) == res.rows_kept
    assert sum(res.rejected_by_reason().values()) == res.rows_rejected
    if rows_written is not None:
        assert res.rows_in == rows_written


@pytest.fixture(scope="module")
def lancs():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def leics():
    return load_area("leicestershire")


@pytest.fixture(scope="module")
def real(lancs) -> dict[str, LoadResult]:
    out = {}
    for m in MONTHS:
        results = police.load_police_path(lancs_path(m), lancs)
        assert len(results) == 1
        out[m] = results[0]
    return out


@pytest.fixture(scope="module")
def embedded(lancs) -> dict[str, LoadResult]:
    """The shipped real aggregate replayed through the cleaning rules, by file name."""
    with reference_file(lancs.embedded_police).open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""])
    frame[WEIGHT] = frame[WEIGHT].astype("int64")
    results = police.load_embedded(frame, lancs, label="embedded")
    return {r.path.split("!", 1)[1]: r for r in results}


# ------------------------------------------------------------------ real files


@pytest.mark.parametrize("month", MONTHS)
def test_real_row_counts_match_published_and_csv(real, month):
    res = real[month]
    header, rows = csv_rows(lancs_path(month))
    assert ",".join(header) == HEADER_LINE
    assert all(len(r) == 12 for r in rows)
    assert len(rows) == REAL[month]["rows"]
    assert res.rows_in == REAL[month]["rows"]
    assert_balanced(res)
    assert res.sha256 == hashlib.sha256(raw_bytes(lancs_path(month))).hexdigest()
    assert res.source == police.SOURCE


@pytest.mark.parametrize("month", MONTHS)
def test_real_violence_rows(real, month):
    table = crime_type_breakdown(real[month]).set_index("crime_type")
    _, rows = csv_rows(lancs_path(month))
    independent = Counter(r[9] for r in rows)
    assert independent[VSO] == REAL[month]["vso"]
    assert table.loc[VSO, "rows_in"] == REAL[month]["vso"]
    # every crime type, not just violence, agrees with the csv module
    by_type = table.drop(index="All")["rows_in"].to_dict()
    assert by_type == dict(independent)
    assert table.loc["All", "rows_in"] == real[month].rows_in
    assert table.loc["All", "kept"] == real[month].rows_kept
    assert table.loc["All", "rejected"] == real[month].rows_rejected


@pytest.mark.parametrize("month", MONTHS)
def test_real_rows_without_lsoa_are_kept_not_dropped(real, month):
    res = real[month]
    _, rows = csv_rows(lancs_path(month))
    no_lsoa = [r for r in rows if not r[7].strip()]
    assert len(no_lsoa) == REAL[month]["no_lsoa"]
    table = crime_type_breakdown(res).set_index("crime_type")
    assert table.loc["All", "no_lsoa_in_file"] == REAL[month]["no_lsoa"]
    kept_no_lsoa = int(res.kept.loc[res.kept["geo_status"] == "no_lsoa", WEIGHT].sum())
    rejected_no_lsoa = int(res.rejected["lsoa_code"].isna().sum())
    assert kept_no_lsoa + rejected_no_lsoa == REAL[month]["no_lsoa"]
    # a row without LSOA is only ever quarantined as a repeat of a crime already kept
    assert set(res.rejected.loc[res.rejected["lsoa_code"].isna(), "reason"]) <= {
        "duplicate_crime_id"}
    assert res.kept.loc[res.kept["geo_status"] == "no_lsoa", "la_code"].isna().all()


def test_2020_02_violence_without_lsoa(real):
    table = crime_type_breakdown(real["2020-02"]).set_index("crime_type")
    _, rows = csv_rows(lancs_path("2020-02"))
    independent = sum(1 for r in rows if r[9] == VSO and not r[7].strip())
    assert independent == 710
    assert table.loc[VSO, "no_lsoa_in_file"] == 710


def test_2020_02_reasons_and_duplicates(real):
    res = real["2020-02"]
    _, rows = csv_rows(lancs_path("2020-02"))
    reasons = res.rejected_by_reason()
    assert set(reasons) == {"lsoa_outside_area", "duplicate_crime_id"}
    assert independent_duplicates(rows) == 5
    assert reasons["duplicate_crime_id"] == 5


@pytest.mark.parametrize("month", MONTHS)
def test_real_quarantine_matches_independent_rules(real, lancs, month):
    """Outside-area and duplicate rows, with their row numbers, recomputed by hand."""
    res = real[month]
    _, rows = csv_rows(lancs_path(month))
    names = set(local_authorities(lancs)["la_name"])
    seen: set[str] = set()
    outside, dup = set(), set()
    for i, r in enumerate(rows):
        row_no = i + 2  # header is row 1
        cid = r[0].strip()
        is_dup = bool(cid) and cid in seen
        seen.add(cid)
        if r[7].strip() and r[8].rsplit(" ", 1)[0] not in names:
            outside.add(row_no)
        elif is_dup:
            dup.add(row_no)
    rej = res.rejected
    got_out = set(rej.loc[rej["reason"] == "lsoa_outside_area", "row"].astype(int))
    got_dup = set(rej.loc[rej["reason"] == "duplicate_crime_id", "row"].astype(int))
    assert got_out == outside
    assert got_dup == dup
    assert set(rej["reason"]) <= {"lsoa_outside_area", "duplicate_crime_id"}
    assert res.rows_rejected == len(outside) + len(dup)


def test_real_outside_area_detail_names_the_authority(real):
    rej = real["2019-12"].rejected
    bath = rej[rej["lsoa_name"].astype(str).str.startswith("Bath and North East Somerset")]
    assert len(bath) == 1
    row = bath.iloc[0]
    assert row["reason"] == "lsoa_outside_area"
    assert int(row["row"]) == 2  # the first data line of the real file
    assert "Bath and North East Somerset" in row["detail"]
    assert row["file"] == str(lancs_path("2019-12"))


# ------------------------------------------------------------------ formats


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_csv_gz_and_archive_give_identical_results(tmp_path, lancs):
    data = raw_bytes(lancs_path("2020-02"))
    plain = tmp_path / "2020-02-lancashire-street.csv"
    plain.write_bytes(data)
    archive = _zip(tmp_path / "2020-02.zip", {
        "2020-02/2020-02-lancashire-street.csv": data,
        "2020-02/2020-02-leicestershire-street.csv": raw_bytes(LEICS_PATH),
    })
    (r_csv,) = police.load_police_path(plain, lancs)
    (r_gz,) = police.load_police_path(lancs_path("2020-02"), lancs)
    r_zip = police.load_police_path(archive, lancs)
    assert len(r_zip) == 1, "the Leicestershire member must be skipped for Lancashire"
    (r_zip,) = r_zip
    assert r_zip.path == f"{archive}!2020-02/2020-02-lancashire-street.csv"
    sha = hashlib.sha256(data).hexdigest()
    for r in (r_csv, r_gz, r_zip):
        assert_balanced(r, REAL["2020-02"]["rows"])
        assert r.sha256 == sha
        assert r.rejected_by_reason() == r_csv.rejected_by_reason()
    pd.testing.assert_frame_equal(r_gz.kept, r_csv.kept)
    pd.testing.assert_frame_equal(r_zip.kept, r_csv.kept)
    for r in (r_gz, r_zip):
        pd.testing.assert_frame_equal(r.rejected.drop(columns="file"),
                                      r_csv.rejected.drop(columns="file"))
        assert (r.rejected["file"] == r.path).all()


def test_leicestershire_with_its_own_config(leics):
    (res,) = police.load_police_path(LEICS_PATH, leics)
    _, rows = csv_rows(LEICS_PATH)
    assert_balanced(res, len(rows))
    reasons = res.rejected_by_reason()
    assert reasons.get("other_force", 0) == 0
    assert set(reasons) <= {"lsoa_outside_area", "duplicate_crime_id"}
    # every Leicester, Leicestershire and Rutland LSOA is placed in an authority
    names = set(local_authorities(leics)["la_name"])
    in_area = sum(1 for r in rows if r[7].strip() and r[8].rsplit(" ", 1)[0] in names)
    assert int(res.kept.loc[res.kept["geo_status"] == "in_area", WEIGHT].sum()) == in_area
    assert set(res.kept["force"]) == {"Leicestershire Police"}


def test_leicestershire_file_with_lancashire_config_is_quarantined(lancs):
    (res,) = police.load_police_path(LEICS_PATH, lancs)
    _, rows = csv_rows(LEICS_PATH)
    assert_balanced(res, len(rows))
    assert res.rows_kept == 0
    assert res.rejected_by_reason() == {"other_force": len(rows)}


def test_archive_filter_skips_other_forces(tmp_path, lancs, leics):
    only_leics = _zip(tmp_path / "2020-02.zip", {
        "2020-02/2020-02-leicestershire-street.csv": raw_bytes(LEICS_PATH)})
    with pytest.raises(SourceError) as err:
        police.load_police_path(only_leics, lancs)
    assert err.value.path == str(only_leics)
    assert "lancashire" in str(err.value)
    both = _zip(tmp_path / "both.zip", {
        "2020-02/2020-02-lancashire-street.csv": raw_bytes(lancs_path("2020-02")),
        "2020-02/2020-02-leicestershire-street.csv": raw_bytes(LEICS_PATH)})
    results = police.load_police_path(both, leics)
    assert [r.path.rsplit("/", 1)[1] for r in results] == ["2020-02-leicestershire-street.csv"]
    assert results[0].rejected_by_reason().get("other_force", 0) == 0


# ------------------------------------------------------------------ crafted files

FILE_NAME = "2019-12-lancashire-street.csv"
BATH = ("E01014468", "Bath and North East Somerset 006D", "-2.351565", "51.389813")


@pytest.fixture(scope="module")
def base_lines() -> list[str]:
    """Six real, clean 2019-12 lines (2 ASB rows, 4 crimes, all in Blackburn with Darwen)."""
    text = raw_bytes(lancs_path("2019-12")).decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == HEADER_LINE
    chosen = lines[2:8]
    assert all('"' not in ln and len(ln.split(",")) == 12 for ln in chosen)
    types = [ln.split(",")[9] for ln in chosen]
    assert types[:2] == [ASB, ASB] and ASB not in types[2:]
    return chosen


def write(tmp_path: Path, lines: list[str], *, header: str = HEADER_LINE,
          name: str = FILE_NAME, nl: str = "\r\n", final_newline: bool = True,
          encoding: str = "utf-8", prefix: bytes = b"") -> Path:
    text = nl.join([header, *lines]) + (nl if final_newline else "")
    path = tmp_path / name
    path.write_bytes(prefix + text.encode(encoding))
    return path


def with_field(line: str, col: int, value: str) -> str:
    fields = line.split(",")
    fields[col] = value
    return ",".join(fields)


def load_one(path: Path, area) -> LoadResult:
    results = police.load_police_path(path, area)
    assert len(results) == 1
    return results[0]


def test_crafted_base_is_clean(tmp_path, base_lines, lancs):
    res = load_one(write(tmp_path, base_lines), lancs)
    assert_balanced(res, 6)
    assert res.rows_rejected == 0
    assert res.notes == []


def test_header_only_file_is_usable_and_empty(tmp_path, base_lines, lancs):
    res = load_one(write(tmp_path, []), lancs)
    assert_balanced(res, 0)
    assert res.kept.empty and res.rejected.empty


def test_reordered_header_is_unusable(tmp_path, base_lines, lancs):
    cols = HEADER_LINE.split(",")
    cols[0], cols[1] = cols[1], cols[0]
    path = write(tmp_path, base_lines, header=",".join(cols))
    with pytest.raises(SourceError) as err:
        police.load_police_path(path, lancs)
    assert err.value.path == str(path)
    assert err.value.row == 1
    assert str(path) in str(err.value) and "row 1" in str(err.value)
    assert "wrong order" in err.value.message


def test_missing_column_is_unusable(tmp_path, base_lines, lancs):
    header = HEADER_LINE.rsplit(",", 1)[0]
    path = write(tmp_path, [ln.rsplit(",", 1)[0] for ln in base_lines], header=header)
    with pytest.raises(SourceError) as err:
        police.load_police_path(path, lancs)
    assert err.value.path == str(path) and err.value.row == 1
    assert "'Context'" in err.value.message


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"   \r\n", "empty"),
    (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n", "HTML"),
    (b"\n\n<html><body>Not found</body></html>", "HTML"),
], ids=["empty", "blank", "html", "html-after-blank-lines"])
def test_unusable_files_name_the_file(tmp_path, lancs, content, words):
    path = tmp_path / FILE_NAME
    path.write_bytes(content)
    with pytest.raises(SourceError) as err:
        police.load_police_path(path, lancs)
    assert err.value.path == str(path)
    assert str(path) in str(err.value)
    assert words in err.value.message


def test_cp1252_file_loads_with_a_note(tmp_path, base_lines, lancs):
    bath = with_field(with_field(base_lines[2], 7, BATH[0]), 8, BATH[1])
    bath = bath.replace(bath.split(",")[6], "On or near Caf\u00e9 Road")
    lines = [*base_lines, bath.replace(bath.split(",")[0], "f" * 64)]
    path = write(tmp_path, lines, encoding="cp1252")
    raw = path.read_bytes()
    assert b"Caf\xe9 Road" in raw  # really cp1252, not valid UTF-8
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    res = load_one(path, lancs)
    assert_balanced(res, 7)
    assert any("cp1252" in n for n in res.notes)
    assert res.rejected_by_reason() == {"lsoa_outside_area": 1}
    row = res.rejected.iloc[0]
    assert row["location"] == "On or near Caf\u00e9 Road"
    assert int(row["row"]) == 8


def test_utf8_bom_loads_with_a_note(tmp_path, base_lines, lancs):
    path = write(tmp_path, base_lines, prefix=b"\xef\xbb\xbf")
    res = load_one(path, lancs)
    assert_balanced(res, 6)
    assert res.rows_rejected == 0
    assert any("byte-order mark" in n for n in res.notes)
    (tmp_path / "plain").mkdir()
    plain = load_one(write(tmp_path / "plain", base_lines), lancs)
    pd.testing.assert_frame_equal(res.kept, plain.kept)


def test_lf_line_endings_load_like_crlf(tmp_path, base_lines, lancs):
    crlf = load_one(write(tmp_path, base_lines), lancs)
    (tmp_path / "lf").mkdir()
    lf = load_one(write(tmp_path / "lf", base_lines, nl="\n"), lancs)
    pd.testing.assert_frame_equal(crlf.kept, lf.kept)


def _truncate(line: str) -> str:
    return ",".join(line.split(",")[:7])


#: (case id, builder(lines) -> lines, physical row of the malformed line, extra kw)
MALFORMED = {
    "truncated-last-line": (lambda ls: [*ls[:-1], _truncate(ls[-1])], 7, False),
    "truncated-middle-line": (lambda ls: [*ls[:2], _truncate(ls[2]), *ls[2:]], 4, True),
    "extra-field": (lambda ls: [*ls[:3], ls[3] + ",extra", *ls[4:]], 5, True),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_rows_are_quarantined(tmp_path, base_lines, lancs, case):
    build, _, newline = MALFORMED[case]
    lines = build(base_lines)
    res = load_one(write(tmp_path, lines, final_newline=newline), lancs)
    assert_balanced(res, len(lines))
    assert res.rejected_by_reason() == {"malformed_row": 1}
    bad = res.rejected.iloc[0]
    assert bad["file"] == str(tmp_path / FILE_NAME)
    assert bad["detail"] == police.REASONS["malformed_row"]
    assert bad["text"] in lines


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_row_number(tmp_path, base_lines, lancs, case):
    build, row, newline = MALFORMED[case]
    res = load_one(write(tmp_path, build(base_lines), final_newline=newline), lancs)
    assert int(res.rejected.iloc[0]["row"]) == row


def test_row_numbers_after_a_malformed_row(tmp_path, base_lines, lancs):
    lines = [*base_lines[:2], _truncate(base_lines[2]),
             with_field(base_lines[2], 1, "2020-13"), *base_lines[3:]]
    res = load_one(write(tmp_path, lines), lancs)
    assert_balanced(res, 7)
    rows = dict(zip(res.rejected["reason"], res.rejected["row"].astype(int), strict=True))
    assert rows == {"malformed_row": 4, "bad_month": 5}


def _replace_lsoa(line: str, code: str, name: str, lon: str, lat: str) -> str:
    f = line.split(",")
    f[4], f[5], f[7], f[8] = lon, lat, code, name
    return ",".join(f)


#: case -> (builder(lines) -> lines, reason, row of the bad line)
ROW_RULES = {
    "bad-month": (lambda ls: [*ls[:2], with_field(ls[2], 1, "2020-13"), *ls[3:]],
                  "bad_month", 4),
    "bad-month-format": (lambda ls: [*ls[:3], with_field(ls[3], 1, "Dec-19"), *ls[4:]],
                         "bad_month", 5),
    "month-mismatch": (lambda ls: [*ls[:2], with_field(ls[2], 1, "2020-01"), *ls[3:]],
                       "month_mismatch", 4),
    "other-force": (lambda ls: [*ls[:4], with_field(ls[4], 3, "Cumbria Constabulary"),
                                *ls[5:]], "other_force", 6),
    "unknown-crime-type": (lambda ls: [with_field(ls[0], 9, "Knife crime"), *ls[1:]],
                           "unknown_crime_type", 2),
    "non-numeric-coordinates": (lambda ls: [*ls[:2], with_field(ls[2], 4, "abc"), *ls[3:]],
                                "bad_coordinates", 4),
    "one-coordinate": (lambda ls: [*ls[:5], with_field(ls[5], 5, "")], "bad_coordinates", 7),
    "latitude-outside-gb": (lambda ls: [*ls[:2], with_field(ls[2], 5, "40.000000"), *ls[3:]],
                            "bad_coordinates", 4),
    "longitude-outside-gb": (lambda ls: [with_field(ls[0], 4, "12.500000"), *ls[1:]],
                             "bad_coordinates", 2),
    "missing-crime-id": (lambda ls: [*ls[:3], with_field(ls[3], 0, ""), *ls[4:]],
                         "missing_crime_id", 5),
    "excel-mangled-lsoa": (lambda ls: [*ls[:2], with_field(ls[2], 7, "1.01E+04"), *ls[3:]],
                           "bad_lsoa_code", 4),
    "lsoa-in-bath": (lambda ls: [*ls[:3], _replace_lsoa(ls[3], *BATH), *ls[4:]],
                     "lsoa_outside_area", 5),
    "duplicate-crime-id": (lambda ls: [*ls, ls[2]], "duplicate_crime_id", 8),
}


@pytest.mark.parametrize("case", sorted(ROW_RULES))
def test_row_rules(tmp_path, base_lines, lancs, case):
    build, reason, row = ROW_RULES[case]
    lines = build(base_lines)
    path = write(tmp_path, lines)
    res = load_one(path, lancs)
    assert_balanced(res, len(lines))
    assert res.rejected_by_reason() == {reason: 1}
    assert res.rows_kept == len(lines) - 1
    bad = res.rejected.iloc[0]
    assert int(bad["row"]) == row
    assert bad["file"] == str(path)
    assert bad["detail"].startswith(police.REASONS[reason])
    # the quarantined row is the line written at that row
    assert bad["crime_type"] == lines[row - 2].split(",")[9]
    if reason == "lsoa_outside_area":
        assert bad["detail"].endswith("Bath and North East Somerset")


def test_asb_without_crime_id_is_kept(tmp_path, base_lines, lancs):
    res = load_one(write(tmp_path, base_lines), lancs)
    asb = res.kept[res.kept["crime_type"] == ASB]
    assert int(asb[WEIGHT].sum()) == 2


def test_file_named_with_an_impossible_month(tmp_path, base_lines, lancs):
    path = write(tmp_path, base_lines, name="2019-13-lancashire-street.csv")
    res = load_one(path, lancs)
    assert_balanced(res, 6)
    assert res.rejected_by_reason() == {"month_mismatch": 6}
    assert sorted(res.rejected["row"].astype(int)) == list(range(2, 8))


def test_crime_type_breakdown_totals_include_malformed_rows(tmp_path, base_lines, lancs):
    lines = [*base_lines[:2], _truncate(base_lines[2]), *base_lines[2:]]
    res = load_one(write(tmp_path, lines), lancs)
    assert_balanced(res, 7)
    table = crime_type_breakdown(res).set_index("crime_type")
    assert table.loc["All", "rows_in"] == res.rows_in
    assert table.loc["All", "rejected"] == res.rows_rejected


# ------------------------------------------------------------------ overlaps, coverage


@pytest.fixture(scope="module")
def overlapping(tmp_path_factory, lancs) -> list[LoadResult]:
    d = tmp_path_factory.mktemp("archives")
    a = _zip(d / "2020-02.zip", {
        "2019-12/2019-12-lancashire-street.csv": raw_bytes(lancs_path("2019-12")),
        "2020-02/2020-02-lancashire-street.csv": raw_bytes(lancs_path("2020-02")),
        "2020-02/2020-02-leicestershire-street.csv": raw_bytes(LEICS_PATH),
    })
    b = _zip(d / "2020-03.zip", {
        "2020-02/2020-02-lancashire-street.csv": raw_bytes(lancs_path("2020-02")),
        "2020-04/2020-04-lancashire-street.csv": raw_bytes(lancs_path("2020-04")),
    })
    return police.load_police_path(b, lancs) + police.load_police_path(a, lancs)


def _key(label: str) -> str:
    archive, member = label.split("!")
    return f"{Path(archive).name}/{Path(member).name}"


@pytest.mark.parametrize("order", ["as-loaded", "reversed"])
def test_overlapping_archives_keep_the_latest(overlapping, order):
    before = copy.deepcopy(overlapping)
    if order == "reversed":
        before = before[::-1]
    snapshot = {r.path: (r.rows_in, r.rows_kept, r.rejected_by_reason()) for r in before}
    after = police.resolve_overlaps(before)
    assert [r.path for r in after] == [r.path for r in before]
    by = {_key(r.path): r for r in after}
    assert sorted(by) == ["2020-02.zip/2019-12-lancashire-street.csv",
                          "2020-02.zip/2020-02-lancashire-street.csv",
                          "2020-03.zip/2020-02-lancashire-street.csv",
                          "2020-03.zip/2020-04-lancashire-street.csv"]
    loser = by["2020-02.zip/2020-02-lancashire-street.csv"]
    winner = by["2020-03.zip/2020-02-lancashire-street.csv"]
    rows_in, rows_kept, reasons = snapshot[loser.path]
    assert loser.rows_in == rows_in
    assert loser.kept.empty
    assert loser.rejected_by_reason() == reasons | {"superseded_month": rows_kept}
    sup = loser.rejected[loser.rejected["reason"] == "superseded_month"]
    assert sup["detail"].str.contains(winner.path, regex=False).all()
    assert (sup["file"] == loser.path).all()
    for r in after:
        assert_balanced(r, snapshot[r.path][0])
        if r is not loser:
            assert (r.rows_kept, r.rejected_by_reason()) == snapshot[r.path][1:]
    assert winner.rows_kept == rows_kept
    kept = pd.concat([r.kept for r in after])
    assert kept.groupby("month")[WEIGHT].sum().to_dict() == {
        pd.Timestamp(f"{m}-01"): snapshot[r.path][1]
        for m, r in (("2019-12", by["2020-02.zip/2019-12-lancashire-street.csv"]),
                     ("2020-02", winner),
                     ("2020-04", by["2020-03.zip/2020-04-lancashire-street.csv"]))}


def test_month_coverage_marks_gaps_missing(embedded):
    kept = pd.concat([embedded[f"{m}-lancashire-street.csv"].kept
                      for m in ("2020-01", "2020-02", "2020-04")], ignore_index=True)
    cov = police.month_coverage(kept)
    assert cov["month"].dt.strftime("%Y-%m").tolist() == ["2020-01", "2020-02", "2020-03",
                                                          "2020-04"]
    assert cov["status"].tolist() == ["present", "present", "missing", "present"]
    assert set(cov["force"]) == {"Lancashire Constabulary"}
    wide = police.month_coverage(kept, first="2019-11", last="2020-05")
    assert wide["month"].dt.strftime("%Y-%m").tolist()[0] == "2019-11"
    assert wide.set_index(wide["month"].dt.strftime("%Y-%m"))["status"].to_dict() == {
        "2019-11": "missing", "2019-12": "missing", "2020-01": "present",
        "2020-02": "present", "2020-03": "missing", "2020-04": "present",
        "2020-05": "missing"}
    # a missing month is a gap, never a zero count
    series = monthly_counts(kept.rename(columns={WEIGHT: "count"}), cov)
    gap = series[series["month"] == pd.Timestamp("2020-03-01")].iloc[0]
    assert gap["status"] == "missing"
    assert pd.isna(gap["count"])
    assert series["count"].dropna().gt(0).all()


# ------------------------------------------------------------------ embedded aggregate


def _assert_equivalent(raw: LoadResult, emb: LoadResult) -> None:
    assert emb.rows_in == raw.rows_in
    assert emb.rows_kept == raw.rows_kept
    assert emb.rejected_by_reason() == raw.rejected_by_reason()
    assert emb.sha256 == raw.sha256
    pd.testing.assert_frame_equal(emb.kept, raw.kept)
    assert_balanced(emb)


@pytest.mark.parametrize("month", MONTHS)
def test_embedded_aggregate_equals_raw_file(real, embedded, month):
    _assert_equivalent(real[month], embedded[f"{month}-lancashire-street.csv"])


def test_embedded_aggregate_equals_all_shared_real_months(embedded, lancs):
    if not SHARED_POLICE.is_dir():
        pytest.skip(f"{SHARED_POLICE} is absent: the 36 real Lancashire months are not here")
    files = sorted(SHARED_POLICE.glob("*-lancashire-street.csv.gz"))
    assert len(files) == 36
    assert sorted(embedded) == sorted(p.name.removesuffix(".gz") for p in files)
    for p in files:
        (raw,) = police.load_police_path(p, lancs)
        _assert_equivalent(raw, embedded[p.name.removesuffix(".gz")])


def test_stray_quote_does_not_swallow_rows(tmp_path, base_lines, lancs):
    """A quote opening a field must not make the following lines vanish into it."""
    lines = list(base_lines)
    lines[2] = lines[2].replace(",On or near", ',"On or near', 1)
    assert lines[2] != base_lines[2]
    res = load_one(write(tmp_path, lines), lancs)
    assert_balanced(res, len(lines))
    assert any("unbalanced quote" in n for n in res.notes)
