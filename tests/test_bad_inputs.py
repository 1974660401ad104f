"""The bad-input corpus: every file gives a clear error or quarantined rows, never a crash.

``tests/data/bad/expected.csv`` lists each file with its source and the expected outcome:

* ``error`` — :class:`~lvrn_analysis.sources.validation.SourceError` whose message names the file
  and contains ``reason``;
* ``quarantine`` — the file loads, and at least one rejected row has a reason containing
  ``reason``; every rejected row carries ``file``, ``row``, ``reason`` and ``detail`` and the
  accounting rows in = kept + rejected holds (no silently dropped row);
* ``ok`` — the quirk is handled (nothing rejected) and a note containing ``reason`` says so.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.sources.validation import SourceError

BAD = Path(__file__).parent / "data" / "bad"
ROWS = list(csv.DictReader((BAD / "expected.csv").open(encoding="utf-8", newline="")))
# Police street-level files are loaded by lvrn_analysis.sources.police (the lead's loader);
# they are listed in expected.csv with their expected outcomes and tested by the lead's
# own test module, so they are filtered out here.
MINE = [r for r in ROWS if r["source"] != "police"]


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def specs():
    return sources()


def test_corpus_size_and_listing():
    assert len(MINE) >= 40
    assert {r["source"] for r in MINE} == {"fingertips", "ed", "crime_tables", "imd",
                                           "education", "programmes"}
    assert {r["expected"] for r in ROWS} <= {"error", "quarantine", "ok"}
    listed = {r["file"] for r in ROWS}
    on_disk = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*")
               if p.is_file() and p.name not in {"expected.csv", "README.md", "make_corpus.py"}}
    assert listed == on_disk, (listed ^ on_disk)
    police = [r for r in ROWS if r["source"] == "police"]
    assert len(police) >= 8 and {r["expected"] for r in police} <= {"error", "quarantine"}


@pytest.mark.parametrize("case", MINE, ids=[r["file"] for r in MINE])
def test_bad_input(case, area, specs):
    path = BAD / case["file"]
    spec = specs[case["source"]]
    if case["expected"] == "error":
        with pytest.raises(SourceError) as info:
            spec.load(path, area)
        msg = str(info.value)
        assert case["reason"] in msg
        assert str(path) in msg and info.value.path == str(path)
        return
    results = spec.load(path, area)
    assert results
    for res in results:
        res.check_accounting()
        rej = res.rejected
        if not rej.empty:
            for col in ("file", "row", "reason", "detail"):
                assert col in rej.columns and rej[col].notna().all(), col
            assert (rej["file"] == res.path).all()
            assert (rej["row"] >= 1).all()
            assert rej["detail"].str.len().gt(10).all()
    reasons = [x for res in results for x in res.rejected.get("reason", [])]
    notes = [n for res in results for n in res.notes]
    if case["expected"] == "quarantine":
        assert any(case["reason"] in x for x in reasons), (reasons, notes)
    else:
        assert not reasons, reasons
        assert any(case["reason"] in n for n in notes), notes


def test_errors_name_the_column_where_known(area, specs):
    for r in MINE:
        if r["expected"] != "error" or "missing" not in r["note"] + r["reason"]:
            continue
        with pytest.raises(SourceError) as info:
            specs[r["source"]].load(BAD / r["file"], area)
        if "column" in str(info.value) and "missing" in str(info.value):
            assert info.value.column is not None


def test_registry_detects_each_source_from_its_first_line():
    from lvrn_analysis.sources import crime_tables, ed, imd, registry

    data = Path(__file__).parent / "data"
    first = {
        "fingertips": (data / "fingertips" / "fingertips_93356_campylobacter_CountyUA.csv")
        .read_text(encoding="utf-8").split("\n", 1)[0],
        "ed": ",".join(ed.HEADER),
        "crime_tables": ",".join(crime_tables.HEADER),
        "imd": ",".join(imd.FILE10_HEADER),
        "education": (data / "education" / "2018-2019_888_ks4final.csv")
        .read_text(encoding="utf-8").split("\n", 1)[0],
        "programmes": (BAD / "programmes" / "prog_bad_unit.csv").read_text().split("\n", 1)[0],
        "police": "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                  "LSOA code,LSOA name,Crime type,Last outcome category,Context",
    }
    for name, line in first.items():
        spec = registry.detect(line)
        assert spec is not None and spec.name == name, (name, spec)
    assert registry.detect("ltla19_code,Score,Proportion").name == "imd"
    assert registry.detect("a,b,c") is None
    specs = registry.sources()
    for name, processed in (("fingertips", "fingertips"), ("ed", "ed_attendances"),
                            ("crime_tables", "csp_crime"), ("imd", "imd2019"),
                            ("education", "ks4_by_la"), ("programmes", "programme_monitoring")):
        assert specs[name].raw_dir == name and specs[name].processed_name == processed
