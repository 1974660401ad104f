"""The fast police path gives exactly what the row-by-row reference path gives.

``police.load_bytes`` runs the fast path (Arrow columns, value-level rules cached
per area, quarantine built from the bad rows only); ``police.load_bytes_reference``
is the original pandas implementation (``parse_street_csv`` + ``clean``). The build
reads files through ``police.ingest``, which streams fast-path results to parquet
instead of concatenating frames (``police.ingest_results``, the frame path used for
the embedded aggregate). Every test here compares the two:
the same kept aggregate (columns, dtypes, order), the same quarantine (rows,
reason codes, row numbers, columns, dtypes), the same manifest records and, for
the build, the same parquet files byte for byte.

Inputs: the committed real files, crafted bad files (one defect each, plus a
seeded mix), and a small national archive from the benchmark generator.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lvrn_analysis.config.areas import (
    ConfigError,
    MultiForceArea,
    area_slugs,
    load_area,
    load_multi_force_area,
)
from lvrn_analysis.config.geography import assign_authority
from lvrn_analysis.processed import build as B
from lvrn_analysis.sources import police
from lvrn_analysis.sources.police import columns, index, parsing, quarantined, workers
from lvrn_analysis.sources.validation import LoadResult, SourceError
from lvrn_analysis.synthetic.national import (
    FAULT_RATES,
    national_geography,
    write_national_archive,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "police"
REAL = sorted(DATA.glob("*.csv.gz"))
LABEL = "2019-12-lancashire-street.csv"


@cache
def lancs():
    return load_area("lancashire")


@cache
def leics():
    return load_area("leicestershire")


@cache
def raw(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


@cache
def base_lines() -> tuple[str, ...]:
    """Header and 60 real rows (with an ASB row, a no-LSOA row and a Bath LSOA)."""
    lines = raw(DATA / "2019-12-lancashire-street.csv.gz").decode("utf-8").split("\n")
    body = [ln for ln in lines[1:] if ln]
    pick = body[:40] + [ln for ln in body if ",,,No Location," in ln or ",,No Location" in ln][:5]
    pick += body[-15:]
    return (lines[0], *pick)


def field(line: str, i: int, value: str) -> str:
    parts = line.split(",")
    parts[i] = value
    return ",".join(parts)


def text(lines, end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode("utf-8")


def assert_same(fast: LoadResult, ref: LoadResult) -> None:
    assert list(fast.kept.columns) == list(ref.kept.columns)
    pd.testing.assert_frame_equal(fast.kept, ref.kept, check_exact=True)
    assert list(fast.rejected.columns) == list(ref.rejected.columns)
    pd.testing.assert_frame_equal(fast.rejected, ref.rejected, check_exact=True)
    assert fast.as_record() == ref.as_record()
    fast.check_accounting()


def compare_bytes(data: bytes, label: str = LABEL, area=None) -> LoadResult:
    area = area or lancs()
    try:
        ref = police.load_bytes_reference(data, label, area)
    except SourceError as exc:
        with pytest.raises(SourceError) as got:
            police.load_bytes(data, label, area)
        assert str(got.value) == str(exc)
        return None  # type: ignore[return-value]
    fast = police.load_bytes(data, label, area)
    assert_same(fast, ref)
    return fast


# ------------------------------------------------------------------ real files


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
@pytest.mark.parametrize("area", ["lancashire", "leicestershire"])
def test_real_files(path, area):
    area = lancs() if area == "lancashire" else leics()
    res = compare_bytes(raw(path), path.name.removesuffix(".gz"), area)
    assert res.rows_in == res.rows_kept + res.rows_rejected


def test_load_police_path_uses_the_fast_path_and_agrees():
    path = DATA / "2020-04-lancashire-street.csv.gz"
    (got,) = police.load_police_path(path, lancs())
    ref = police.load_bytes_reference(raw(path), str(path), lancs())
    assert_same(got, ref)


# ------------------------------------------------------------------ crafted files

HEAD, *ROWS = base_lines()
CRAFTED = {
    "bom": lambda: b"\xef\xbb\xbf" + text([HEAD, *ROWS]),
    "cp1252": lambda: (HEAD + "\n" + "\n".join(
        [field(ROWS[0], 6, "On or near Caf\u00e9 Street"), *ROWS[1:]]) + "\n").encode("cp1252"),
    "crlf": lambda: text([HEAD, *ROWS], end="\r\n"),
    "no_final_newline": lambda: text([HEAD, *ROWS])[:-1],
    "malformed_rows": lambda: text([HEAD, ROWS[0], ROWS[1][:30], *ROWS[2:10],
                                    ROWS[10] + ",extra,fields", *ROWS[11:], ROWS[3][:20]])[:-1],
    "duplicate_ids": lambda: text([HEAD, *ROWS, ROWS[0], ROWS[3], ROWS[0]]),
    "duplicate_padded_ids": lambda: text(
        [HEAD, *ROWS, field(ROWS[0], 0, " " + ROWS[0].split(",")[0] + "\t")]),
    "duplicate_short_ids": lambda: text(
        [HEAD] + [field(r, 0, f"id{i % 7}" if r.split(",")[0] else "")
                  for i, r in enumerate(ROWS)]),
    "outside_area": lambda: text([HEAD, *ROWS, field(field(ROWS[0], 7, "E01000001"), 8,
                                                     "Nowhere 001A"),
                                  field(ROWS[1], 8, "Bolton"), field(ROWS[2], 8, "")]),
    "missing_month": lambda: text([HEAD, field(ROWS[0], 1, ""), *ROWS[1:]]),
    "bad_month": lambda: text([HEAD, field(ROWS[0], 1, "2019-13"), field(ROWS[1], 1, "19-12"),
                               field(ROWS[2], 1, "2019-1"), *ROWS[3:]]),
    "month_mismatch": lambda: text([HEAD, field(ROWS[0], 1, "2019-11"), *ROWS[1:]]),
    "other_and_blank_force": lambda: text([HEAD, field(ROWS[0], 3, "Cumbria Constabulary"),
                                           field(ROWS[1], 3, ""), *ROWS[2:]]),
    "crime_types": lambda: text([HEAD, field(ROWS[0], 9, "Knife crime"),
                                 field(ROWS[1], 9, ""), field(ROWS[2], 9, "drugs"), *ROWS[3:]]),
    "coordinates": lambda: text([HEAD, field(ROWS[0], 4, ""), field(ROWS[1], 5, "abc"),
                                 field(ROWS[2], 4, "12.5"), field(ROWS[3], 4, " -2.45 "),
                                 field(ROWS[4], 5, "nan"), field(ROWS[5], 4, "NA"),
                                 field(ROWS[6], 4, "1e1"), field(ROWS[7], 4, "-8.7"),
                                 *ROWS[8:]]),
    "missing_crime_id": lambda: text([HEAD, field(ROWS[0], 0, ""), field(ROWS[1], 0, "  "),
                                      *ROWS[2:]]),
    "bad_lsoa_code": lambda: text([HEAD, field(ROWS[0], 7, "E1.00E+06"),
                                   field(ROWS[1], 7, "e01012607"),
                                   field(ROWS[2], 7, "E01\u0661\u0662\u0663\u0664\u0665\u0666"),
                                   field(ROWS[3], 7, "E010126071"), *ROWS[4:]]),
    "whitespace_and_nulls": lambda: text([HEAD, field(ROWS[0], 1, " 2019-12 "),
                                          field(ROWS[1], 3, "Lancashire Constabulary "),
                                          field(ROWS[2], 9, "NULL"), field(ROWS[3], 8, "N/A"),
                                          field(ROWS[4], 6, '""'), *ROWS[5:]]),
    "quoted_fields": lambda: text([HEAD, ROWS[0].replace(",On or near ", ',"On or near, ', 1)
                                   .replace(",E01", '",E01', 1), *ROWS[1:]]),
    "odd_lsoa_names": lambda: text([HEAD, field(ROWS[0], 8, "Blackpool\x1c010A"),
                                    field(ROWS[1], 8, "Blackpool 010A\x0b"),
                                    field(ROWS[2], 8, "Pr\u00e9ston 001A"),
                                    field(ROWS[3], 8, "Blackpool  010A"), *ROWS[4:]]),
    "header_only": lambda: text([HEAD]),
    "all_rejected": lambda: text([HEAD] + [field(r, 3, "Other Police") for r in ROWS]),
    "empty": lambda: b"",
    "html": lambda: b"<!DOCTYPE html><html><body>Not found</body></html>",
    "wrong_header": lambda: text([HEAD.replace("Month", "Date"), *ROWS]),
    "padded_header": lambda: text([HEAD.replace(",", ", "), *ROWS]),
    "stray_quote": lambda: text([HEAD, *ROWS[:5], ROWS[5].replace(",", ',"', 1), *ROWS[6:]]),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_file(case):
    compare_bytes(CRAFTED[case]())


@pytest.mark.parametrize("few", [0, 1 << 30], ids=["arrow-kernels", "one-by-one"])
@pytest.mark.parametrize("case", ["whitespace_and_nulls", "odd_lsoa_names", "coordinates",
                                  "duplicate_padded_ids", "outside_area", "bad_lsoa_code",
                                  "malformed_rows", "all_rejected"])
def test_quarantine_row_paths_agree(monkeypatch, case, few):
    """Quarantined rows read one by one in Python or taken with Arrow kernels agree.

    The fast path reads up to ``_FEW_ROWS`` rows per file value by value; forcing
    either way on files with padded, empty, non-ASCII and control-character values
    must give the reference quarantine.
    """
    monkeypatch.setattr(quarantined, "_FEW_ROWS", few)
    res = compare_bytes(CRAFTED[case]())
    assert res.rows_rejected > 0


MUTATIONS = [
    lambda r: r[: len(r) // 2],
    lambda r: r + ",x",
    lambda r: field(r, 0, ""),
    lambda r: field(r, 1, "2020-01"),
    lambda r: field(r, 1, ""),
    lambda r: field(r, 3, "Merseyside Police"),
    lambda r: field(r, 4, ""),
    lambda r: field(r, 5, "99"),
    lambda r: field(r, 7, "E02000001"),
    lambda r: field(r, 7, ""),
    lambda r: field(r, 8, "Wigan 001A"),
    lambda r: field(r, 9, "Anti-social behaviour"),
    lambda r: field(r, 9, "Other"),
    lambda r: " " + r,
]


@pytest.mark.parametrize("seed", range(12))
def test_seeded_mix_of_defects(seed):
    rng = random.Random(seed)
    rows = list(ROWS) * 3
    for _ in range(rng.randint(1, 25)):
        i = rng.randrange(len(rows))
        rows[i] = rng.choice(MUTATIONS)(rows[i])
    for _ in range(rng.randint(0, 4)):  # published twice
        rows.insert(rng.randrange(len(rows)), rng.choice(rows))
    compare_bytes(text([HEAD, *rows]), LABEL, lancs() if seed % 2 else leics())


def test_large_file_with_malformed_rows_in_late_blocks():
    rows = raw(DATA / "2020-04-lancashire-street.csv.gz").decode().split("\n")
    body = [r for r in rows[1:] if r]
    for k in (100, 9000, 15000, 20000):
        body[k] = body[k][: len(body[k]) // 3]
    compare_bytes(text([rows[0], *body]), "2020-04-lancashire-street.csv")


@pytest.mark.parametrize("seed", range(4))
def test_many_parse_blocks(monkeypatch, seed):
    """Columns in many chunks (one dictionary each) give the same result as one chunk.

    Blocks of 4 KiB cut a file into dozens of chunks; defects placed at random make
    values (months, forces, LSOAs, blanks) that first appear in a late block.
    """
    monkeypatch.setattr(parsing, "_BLOCK_SIZE", 4096)
    rng = random.Random(100 + seed)
    rows = list(ROWS) * 4
    for i in rng.sample(range(len(rows) // 2, len(rows)), rng.randint(5, 30)):
        rows[i] = rng.choice(MUTATIONS)(rows[i])
    got = compare_bytes(text([HEAD, *rows]), LABEL, lancs() if seed % 2 else leics())
    table, *_ = police.parse_street_table(text([HEAD, *rows]), LABEL, parsing._DICT_COLUMNS)
    assert table.column("month").num_chunks > 1
    assert got.rows_in == got.rows_kept + got.rows_rejected


def test_ingest_memory_pool_is_scoped():
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    with police.ingest_memory_pool():
        inside = pa.default_memory_pool().backend_name
        arr = pa.array(np.arange(1000))
    assert pa.default_memory_pool().backend_name == before
    assert arr.sum().as_py() == 499500  # buffers from the build's pool outlive it
    if workers._jemalloc_pool() is not None:
        assert inside == "jemalloc"
    else:
        assert inside == before


_FAULTS = """
import ctypes, resource, sys
import lvrn_analysis  # sets Arrow's jemalloc options before pyarrow loads
import pyarrow as pa
try:
    pool = pa.jemalloc_memory_pool()
except NotImplementedError:
    print(-1)
    sys.exit()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):  # allocate, write every page, free
    buf = pa.allocate_buffer(32 << 20, memory_pool=pool)
    ctypes.memset(buf.address, 1, buf.size)
    del buf
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
"""


def test_jemalloc_keeps_freed_pages_for_reuse():
    """Importing the package first makes Arrow's jemalloc reuse freed pages.

    Ten 32 MiB buffers, one after the other: with the package's default options
    the pages of the first are reused (few page faults); with jemalloc's own
    (``JE_ARROW_MALLOC_CONF`` set empty, which the package leaves alone) every
    buffer is faulted in afresh.
    """
    import os
    import subprocess
    import sys

    resource = pytest.importorskip("resource")
    del resource

    def faults(**env: str) -> int:
        run = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True,
                             text=True, check=True,
                             env={k: v for k, v in os.environ.items()
                                  if k != "JE_ARROW_MALLOC_CONF"} | env)
        return int(run.stdout.strip())

    ours, default = faults(), faults(JE_ARROW_MALLOC_CONF="")
    if ours < 0:
        pytest.skip("this pyarrow has no jemalloc")
    pages = 10 * (32 << 20) // 4096
    assert default > pages / 2  # freed pages went back to the system each time
    assert ours < pages / 4  # the first buffer's pages, then reused


def test_area_index_matches_assign_authority():
    codes = ["E01012607", "E01012607", None, "E1.00E+06", "E01000001", "W01000001",
             "E01\u0661\u0662\u0663\u0664\u0665\u0666", "E010126071\n", "E01012607 "]
    names = ["Blackburn with Darwen 001A", "Blackburn with Darwen  001A", None,
             "Blackpool 001A", "Bolton 001A", "Blackpool\x1c001A", "Blackpool 001A",
             "Blackpool 001A\n", "Chorley 0001A"]
    idx = police.AreaIndex(lancs())
    ids = idx.pair_ids(list(zip(codes, names, strict=True)))
    geo = assign_authority(pd.Series(codes, dtype="string"), pd.Series(names, dtype="string"),
                           lancs())
    for i, pid in enumerate(ids.tolist()):
        la_code, la_name, _, status = idx.geo_records[int(idx.pair_geo[pid])]
        want = geo.iloc[i]
        assert status == want["geo_status"]
        assert la_code == (None if pd.isna(want["la_code"]) else want["la_code"])
        assert la_name == (None if pd.isna(want["la_name"]) else want["la_name"])
        lla = idx.pair_la_name[pid]
        assert lla == (None if pd.isna(want["lsoa_la_name"]) else want["lsoa_la_name"])


def test_area_index_prefix_rule_matches_geography():
    """The LSOA-name rule on every shipped LSOA name and on odd ones, both engines."""
    from lvrn_analysis._resources import reference_file
    from lvrn_analysis.config.geography import la_name_from_lsoa_name

    with reference_file("geography/lsoa_police_centroids.csv").open("r", encoding="utf-8") as f:
        names = list(pd.read_csv(f, dtype=str)["lsoa_name"].dropna())
    names += ["Blackpool 01A", "Blackpool 0010A", "Blackpool 001a", "Blackpool001A",
              " Blackpool 001A", "Blackpool\t001A", "Blackpool \u00a0001A", "A 001A 001B",
              "Blackpool 001A ", "St. Helens 012Z", "Ynys M\u00f4n 001A"]
    idx = police.AreaIndex(lancs())
    ids = idx.pair_ids([("E01000001", n) for n in names])
    want = la_name_from_lsoa_name(pd.Series(names, dtype="string"))
    got = [idx.pair_la_name[i] for i in ids.tolist()]
    assert got == [None if pd.isna(w) else w for w in want]


# ------------------------------------------------------------------ build tables


def reference_tables(paths, area, out: Path, stem="police_street", origin="real",
                     chunk_rows=B.KEPT_CHUNK_ROWS):
    """The frame path of the build on reference loads (as before the fast path)."""
    results = []
    for p in paths:
        for label, data in police.iter_members(p, force_slug=area_slugs(area)):
            r = police.load_bytes_reference(data, label, area)
            B._relabel_result(r)
            results.append(r)
    report = B.BuildReport()
    kept = B._KeptWriter(out / f"{stem}.parquet", origin, chunk_rows)
    B._police_outputs(police.ingest_results(results, kept), kept, out, stem, report, origin)
    return report


def fast_tables(paths, area, out: Path, *, stream, parallel, chunk_rows=B.KEPT_CHUNK_ROWS,
                monkeypatch=None, stem="police_street", origin="real"):
    if monkeypatch is not None:
        monkeypatch.setattr(workers, "POLICE_PARALLEL_BYTES", 0 if parallel else 1 << 60)
        monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 0 if parallel else 1 << 30)
        monkeypatch.setenv("LVRN_WORKERS", "2")
    report = B.BuildReport()
    B._police_tables(area, paths, out, stem, report, origin, stream=stream,
                     chunk_rows=chunk_rows)
    return report


def assert_same_tables(ref_dir: Path, ref_rep, fast_dir: Path, fast_rep, *, same_bytes=True):
    assert fast_rep.inputs == ref_rep.inputs
    assert fast_rep.missing_months == ref_rep.missing_months
    assert fast_rep.origins == ref_rep.origins
    ref_files = sorted(p.relative_to(ref_dir) for p in ref_dir.rglob("*.parquet"))
    assert ref_files == sorted(p.relative_to(fast_dir) for p in fast_dir.rglob("*.parquet"))
    for rel in ref_files:
        a, b = pd.read_parquet(ref_dir / rel), pd.read_parquet(fast_dir / rel)
        pd.testing.assert_frame_equal(b, a, check_exact=True)
        if same_bytes:
            assert (ref_dir / rel).read_bytes() == (fast_dir / rel).read_bytes(), rel
    if same_bytes:
        strip = {k.split("/")[-1]: v for k, v in ref_rep.outputs.items()}
        assert {k.split("/")[-1]: v for k, v in fast_rep.outputs.items()} == strip


@pytest.fixture(scope="module")
def overlap_inputs(tmp_path_factory):
    """Real files, the Leicestershire file, and a second copy of 2020-02 (superseded)."""
    d = tmp_path_factory.mktemp("overlap")
    paths = []
    for p in REAL:
        q = d / p.name
        q.write_bytes(p.read_bytes())
        paths.append(q)
    lines = raw(DATA / "2020-02-lancashire-street.csv.gz").decode().split("\n")
    extra = d / "2020-02-lancashire-street.csv"  # sorts before the .csv.gz: superseded
    extra.write_text("\n".join(lines[:3000]) + "\n", encoding="utf-8")
    paths.append(extra)
    return sorted(paths)


@pytest.mark.parametrize(("stream", "parallel"), [(False, False), (True, False), (True, True)])
def test_build_tables_same_as_frame_path(tmp_path, monkeypatch, overlap_inputs, stream,
                                         parallel):
    monkeypatch.chdir(tmp_path)
    ref = reference_tables(overlap_inputs, lancs(), tmp_path / "ref")
    fast = fast_tables(overlap_inputs, lancs(), tmp_path / "fast", stream=stream,
                       parallel=parallel, monkeypatch=monkeypatch)
    reasons = {k for r in fast.inputs for k in r["rejected_by_reason"]}
    assert {"superseded_month", "other_force", "lsoa_outside_area"} <= reasons
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast)


def test_build_tables_in_small_row_groups(tmp_path, monkeypatch, overlap_inputs):
    monkeypatch.chdir(tmp_path)
    ref = reference_tables(overlap_inputs, lancs(), tmp_path / "ref")
    fast = fast_tables(overlap_inputs, lancs(), tmp_path / "fast", stream=True, parallel=False,
                       chunk_rows=997, monkeypatch=monkeypatch)
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast, same_bytes=False)


@pytest.mark.parametrize("chunk_rows", [997, 4_096, 50_000])
def test_small_row_groups_same_bytes_both_paths(tmp_path, monkeypatch, overlap_inputs,
                                                chunk_rows):
    """Row groups cut at month ends (`group_sizes()`): the same bytes streamed or whole."""
    monkeypatch.chdir(tmp_path)
    ref = reference_tables(overlap_inputs, lancs(), tmp_path / "ref", chunk_rows=chunk_rows)
    fast = fast_tables(overlap_inputs, lancs(), tmp_path / "fast", stream=True, parallel=False,
                       chunk_rows=chunk_rows, monkeypatch=monkeypatch)
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast)
    meta = pq.ParquetFile(tmp_path / "fast" / "police_street.parquet").metadata
    months = pd.read_parquet(tmp_path / "fast" / "police_street.parquet",
                             columns=["month"])["month"].to_numpy()
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == police.group_sizes(months, chunk_rows)


def test_group_sizes_rule():
    m = np.repeat(np.array(["a", "b", "c", "d"]), [5, 30, 3, 40])
    # chunk 32, floor 2: every month ends a group; b and d are cut at 32 rows
    assert police.group_sizes(m, 32) == [5, 30, 3, 32, 8]
    # chunk 160, floor 10: a joins b; c (3 rows) joins d
    assert police.group_sizes(m, 160) == [35, 43]
    # chunk 1,600, floor 100: one group
    assert police.group_sizes(m, 1_600) == [78]
    assert police.group_sizes(m[:0], 32) == []
    for chunk in (1, 2, 7, 16, 33, 100):
        sizes = police.group_sizes(m, chunk)
        assert sum(sizes) == len(m) and max(sizes) <= chunk
        ends = np.cumsum(sizes)[:-1]
        floor = max(1, chunk // 16)
        for e, size in zip(ends, sizes, strict=False):  # a group ends at a month's end
            assert m[e] != m[e - 1] or size == chunk  # ... or when it is full
            assert size >= floor or size == chunk


def test_build_tables_crafted_and_archive(tmp_path, monkeypatch):
    """Crafted files (malformed, BOM, cp1252, nothing kept) and a monthly zip archive."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "in"
    d.mkdir()
    for i, case in enumerate(["malformed_rows", "bom", "cp1252", "duplicate_ids",
                              "outside_area", "other_and_blank_force"]):
        (d / f"2019-{i + 1:02d}-lancashire-street.csv").write_bytes(
            CRAFTED[case]().replace(b",2019-12,", f",2019-{i + 1:02d},".encode()))
    with zipfile.ZipFile(d / "2019-12.zip", "w") as zf:
        zf.writestr("2019-12/2019-12-lancashire-street.csv", CRAFTED["duplicate_ids"]())
        zf.writestr("2019-12/2019-12-cumbria-street.csv", CRAFTED["duplicate_ids"]())
    paths = sorted(d.iterdir())
    ref = reference_tables(paths, lancs(), tmp_path / "ref")
    fast = fast_tables(paths, lancs(), tmp_path / "fast", stream=police.streamable(paths),
                       parallel=False, monkeypatch=monkeypatch)
    assert not police.streamable(paths)  # a zip: finished at the end
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast)


@pytest.mark.parametrize("parallel", [False, True])
def test_build_names_an_unusable_file(tmp_path, monkeypatch, parallel):
    """An unusable file stops the build with its name, from a worker process too."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "raw" / "police"
    d.mkdir(parents=True)
    for m in range(1, 7):
        (d / f"2019-{m:02d}-lancashire-street.csv").write_bytes(
            CRAFTED["duplicate_ids"]().replace(b",2019-12,", f",2019-{m:02d},".encode()))
    (d / "2019-04-lancashire-street.csv").write_bytes(CRAFTED["html"]())
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 0 if parallel else 1 << 30)
    monkeypatch.setenv("LVRN_WORKERS", "2")
    with pytest.raises(SourceError, match="2019-04-lancashire-street.csv.*HTML"):
        B.build(lancs(), raw_dir="raw", out_dir="out", synthetic_dir="syn", synthetic=False,
                progress=False)


def test_build_names_a_damaged_gzip_read_by_a_worker(tmp_path, monkeypatch):
    """A new file (hashed by the worker that reads it) that cannot be decompressed."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "raw" / "police"
    d.mkdir(parents=True)
    for m in range(1, 7):
        data = CRAFTED["duplicate_ids"]().replace(b",2019-12,", f",2019-{m:02d},".encode())
        (d / f"2019-{m:02d}-lancashire-street.csv.gz").write_bytes(gzip.compress(data))
    whole = (d / "2019-05-lancashire-street.csv.gz").read_bytes()
    (d / "2019-05-lancashire-street.csv.gz").write_bytes(whole[:len(whole) // 2])
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 0)
    monkeypatch.setenv("LVRN_WORKERS", "2")
    with pytest.raises(SourceError, match="2019-05-lancashire-street.csv.gz.*cannot read"):
        B.build(lancs(), raw_dir="raw", out_dir="out", synthetic_dir="syn", synthetic=False,
                progress=False, cache=True)


def test_build_tables_when_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "2019-12-lancashire-street.csv"
    p.write_bytes(CRAFTED["all_rejected"]())
    ref = reference_tables([p], lancs(), tmp_path / "ref")
    fast = fast_tables([p], lancs(), tmp_path / "fast", stream=True, parallel=False,
                       monkeypatch=monkeypatch)
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast)


def test_streamable():
    ok = [Path("a/2019-01-x-street.csv"), Path("a/2019-01-y-street.csv.gz"),
          Path("a/2019-02-x-street.csv")]
    assert police.streamable(ok)
    assert not police.streamable([*ok, Path("a/2018-12-x-street.csv")])
    assert not police.streamable([*ok, Path("a/latest.zip")])
    assert not police.streamable([*ok, Path("a/x-street.csv")])


# ------------------------------------------------------------------ national archive


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """3 forces x 3 months from the benchmark generator, with every fault made common."""
    rates = dict(FAULT_RATES) | {"outside_area": 0.01, "duplicate": 0.01,
                                 "bad_coordinates": 0.005, "malformed_file": 0.5}
    return write_national_archive(tmp_path_factory.mktemp("national"), rows=24_000, forces=3,
                                  months=3, seed=7, faults=rates, processes=1)


def test_national_archive_layout(national):
    assert national.rows == 24_000
    assert len(national.files) == 9
    assert [f.name for f in national.files][:3] == [
        "2020-01-avon-and-somerset-street.csv", "2020-01-bedfordshire-street.csv",
        "2020-01-cambridgeshire-street.csv"]
    area = load_multi_force_area(national.area_yaml)
    assert area.forces == ("Avon and Somerset Constabulary", "Bedfordshire Police",
                           "Cambridgeshire Constabulary")
    assert area.force_slugs == ("avon-and-somerset", "bedfordshire", "cambridgeshire")
    assert len(area.authorities) == len(area.authority_names) == len(
        national_geography(3).authorities)
    total = 0
    for f in national.files:
        res = police.load_bytes(f.read_bytes(), f.name, area)
        total += res.rows_in
    assert total == national.rows


def test_national_generator_is_deterministic(tmp_path, national):
    rates = dict(FAULT_RATES) | {"outside_area": 0.01, "duplicate": 0.01,
                                 "bad_coordinates": 0.005, "malformed_file": 0.5}
    again = write_national_archive(tmp_path, rows=24_000, forces=3, months=3, seed=7,
                                   faults=rates, processes=2)
    for a, b in zip(national.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("rerank", [1, 1 << 30])
def test_national_files_same_as_reference(national, monkeypatch, rerank):
    """Every national file agrees with the reference path, in one shared index.

    ``rerank`` sets how soon the index sorts all its geo ids again (every file with
    new ones, or never by that rule): ranks must not depend on it.
    """
    monkeypatch.setattr(index, "_RERANK_AFTER", rerank)
    monkeypatch.setattr(index, "_INDEXES", {})  # a fresh index, grown file by file
    area = load_multi_force_area(national.area_yaml)
    seen: set[str] = set()
    for f in national.files:
        res = compare_bytes(f.read_bytes(), f.name, area)
        seen |= set(res.rejected_by_reason())
    assert {"duplicate_crime_id", "lsoa_outside_area", "bad_coordinates",
            "malformed_row"} <= seen


@pytest.mark.parametrize("few", [None, 3, 1 << 30])
def test_national_build_same_as_frame_path(tmp_path, monkeypatch, national, few):
    """The streamed build gives the frame path's tables byte for byte.

    ``few`` (``quarantined._FEW_ROWS``): by default the larger force's files quarantine
    more than 64 rows each (kept as Arrow tables) and the others fewer (kept as
    lists), so the quarantine joins both kinds; 3 makes every file a table, a huge
    value every file lists.
    """
    if few is not None:
        monkeypatch.setattr(quarantined, "_FEW_ROWS", few)
    monkeypatch.chdir(tmp_path)
    area = load_multi_force_area(national.area_yaml)
    ref = reference_tables(national.files, area, tmp_path / "ref")
    fast = fast_tables(national.files, area, tmp_path / "fast", stream=True, parallel=True,
                       monkeypatch=monkeypatch)
    assert_same_tables(tmp_path / "ref", ref, tmp_path / "fast", fast)
    kept = pd.read_parquet(tmp_path / "fast" / "police_street.parquet")
    assert kept["force"].nunique() == 3
    assert set(kept["geo_status"]) == {"in_area", "no_lsoa"}


def test_national_build_end_to_end(tmp_path, monkeypatch, national):
    """``build()`` with the national area: manifest accounting per file, no synthetic twin."""
    monkeypatch.chdir(tmp_path)
    area = load_multi_force_area(national.area_yaml)
    report = B.build(area, raw_dir=national.raw_dir, out_dir="out", synthetic_dir="syn",
                     synthetic=False, progress=False)
    recs = [r for r in report.inputs if r["table"] == "police_street"]
    assert len(recs) == 9
    assert sum(r["rows_in"] for r in recs) == national.rows
    for r in recs:
        assert r["rows_in"] == r["rows_kept"] + r["rows_rejected"]
    assert report.missing_months == {f: [] for f in area.forces}


def test_multi_force_area_rules():
    """Falls within may be any configured force; a blank one is kept, as for one force."""
    base = lancs()
    area = MultiForceArea(**{f.name: getattr(base, f.name)
                                    for f in dataclasses.fields(base)},
                                 forces=(base.force, "Cumbria Constabulary"),
                                 force_slugs=(base.force_slug, "cumbria"))
    data = text([HEAD, *ROWS[:10], field(ROWS[10], 3, "Cumbria Constabulary"),
                 field(ROWS[11], 3, ""), field(ROWS[12], 3, "Merseyside Police"), *ROWS[13:]])
    res = compare_bytes(data, LABEL, area)
    assert res.rejected_by_reason().get("other_force") == 1
    assert set(res.kept["force"].dropna()) == {base.force, "Cumbria Constabulary"}
    assert area_slugs(area) == ("lancashire", "cumbria")
    assert area_slugs(base) == "lancashire"


def test_multi_force_area_file_errors(tmp_path):
    bad = tmp_path / "a.yml"
    bad.write_text("id: x\nname: y\npolice: {force: z}\nauthorities_file: a.csv\n")
    with pytest.raises(ConfigError, match="police.forces"):
        load_multi_force_area(bad)
    bad.write_text("id: x\nname: y\npolice: {forces: [{force: z, file_slug: z}]}\n"
                   "authorities_file: missing.csv\n")
    with pytest.raises(ConfigError, match="authorities file"):
        load_multi_force_area(bad)


@pytest.mark.parametrize("odd", [None, "E01012607 ", "\tE01012607", "\u00c9tretat 001A",
                                 "Preston 001A\u3000", "", "Blackpool\x1c010A", "x"])
@pytest.mark.parametrize("size", [10, 200])
def test_dictionary_values_match_the_strip_kernel(odd, size):
    """Dictionary values come back as ``_trim_null`` gives them, checked or not.

    Small and large dictionaries (value by value, or by their first and last
    bytes) with one odd value: padded, non-ASCII at either end, empty, control
    characters, or none at all.
    """
    import pyarrow as pa

    values = [f"E01{i:06d}" for i in range(size)]
    if odd is not None:
        values[size // 2] = odd
    d = pa.array(values, pa.string())
    assert columns._dictionary_values(d) == columns._trim_null(d).to_pylist()


@pytest.mark.parametrize("chunks", [
    [["2019-12"] * 5, ["2019-12"] * 3],          # one value, two chunks
    [["2019-12"] * 5, ["2019-11"] * 3],          # a second value in a later chunk
    [["2019-12"] * 4 + ["2019-1"], ["2019-12"]],  # a shorter value
    [[" 2019-12"] * 3],                          # one value that needs stripping
    [["2019-12", None, "2019-12"]],              # a missing value
    [[], ["Lancashire Constabulary"] * 2],       # an empty chunk first
    [[]],                                        # nothing at all
])
def test_encode_gives_each_rows_normalised_value(chunks):
    """``_encode`` (single-value check or hashing) maps every row to its stripped value."""
    import pyarrow as pa

    col = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    codes, values = columns._encode(col)
    assert [values[c] for c in codes.tolist()] == columns._trim_null(col).to_pylist()


def test_duplicate_detection_paths_agree():
    """The hashed comparison of fixed-width IDs and Arrow's dictionary encoding agree."""
    import pyarrow as pa

    rng = np.random.default_rng(3)
    ids = [rng.bytes(32).hex() for _ in range(500)]
    col = [ids[i] if i % 9 else None for i in rng.integers(0, 400, 3000)]
    fast = columns._crime_id_status(pa.chunked_array([pa.array(col, pa.string())]))
    padded = [None if v is None else v + " " for v in col]  # forces the slow path
    slow = columns._crime_id_status(pa.chunked_array([pa.array(padded, pa.string())]))
    series = pd.Series(col, dtype="string")
    want_dup = (series.notna() & series.duplicated(keep="first")).to_numpy()
    for blank, dup in (fast, slow):
        assert (blank == series.isna().to_numpy()).all()
        assert (dup == want_dup).all()


@pytest.mark.parametrize("buckets", [1, 3, 1 << 62])
def test_repeated_values_survive_hash_collisions(buckets):
    """Rows whose hashes collide are compared byte for byte (few buckets: many collisions)."""
    rng = np.random.default_rng(buckets % 97)
    pool = rng.integers(0, 2**63, size=(40, 8), dtype=np.int64).view(np.uint64)
    words = pool[rng.integers(0, 40, 600)]
    h = (words[:, 0] ^ words[:, 3]) % np.uint64(buckets)
    rows = np.sort(rng.choice(900, 600, replace=False))
    got = columns._repeated_values(words, h, rows, 900)
    want = np.zeros(900, dtype=bool)
    seen = set()
    for r, w in zip(rows.tolist(), map(bytes, words), strict=True):
        want[r] = w in seen
        seen.add(w)
    assert (got == want).all()
    assert want.sum() > 0


def test_load_area_reads_a_multi_force_file(tmp_path, monkeypatch, national):
    """`lvrn build --area national.yml` goes through config.load_area."""
    from lvrn_analysis.cli import main
    from lvrn_analysis.config.areas import load_area

    area = load_area(national.area_yaml)
    assert isinstance(area, MultiForceArea)
    assert area == load_multi_force_area(national.area_yaml)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--area", str(national.area_yaml), "--raw", str(national.raw_dir),
                 "--out", "out", "--no-synthetic", "--quiet"]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    police_in = [r for r in manifest["inputs"] if r["table"] == "police_street"]
    assert len(police_in) == 9
    assert sum(r["rows_in"] for r in police_in) == national.rows
