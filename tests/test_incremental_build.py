"""Incremental builds (issue 16, part 4): the build cache gives the outputs of a clean build.

Builds here read the committed police files (three Lancashire months and one
Leicestershire month, whose rows are all quarantined as another force: a
quarantine of thousands of rows) and the shipped reference data, without the
synthetic twins. Each build runs from its own folder with the same relative names,
as ``lvrn build`` does, so the outputs of a clean build (``cache=False``) and of an
incremental one can be compared byte for byte. The kept police table is written in
row groups of `CHUNK` rows, so that row groups are copied from the previous build.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.processed import build as build_mod
from lvrn_analysis.processed import cache as cache_mod
from lvrn_analysis.processed import packs
from lvrn_analysis.processed.build import build
from lvrn_analysis.processed.splice import decode, encode, read_parts, splice
from lvrn_analysis.sources.police import ingestion, workers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "police"
MONTHS = ["2019-12", "2020-02", "2020-04"]
LEICS = "2020-02-leicestershire-street.csv.gz"
CHUNK = 2_000


def lancs(month: str) -> str:
    return f"{month}-lancashire-street.csv.gz"


@pytest.fixture(autouse=True)
def small_row_groups(monkeypatch):
    monkeypatch.setattr(build_mod, "KEPT_CHUNK_ROWS", CHUNK)


@pytest.fixture(autouse=True)
def count_reads(monkeypatch):
    """Count the police files parsed in this process (``reads``)."""
    calls: list[str] = []
    real = workers.iter_fast

    def counting(path, area, index=None):
        calls.append(Path(path).name)
        return real(path, area, index)

    monkeypatch.setattr(workers, "iter_fast", counting)
    return calls


def make_folder(folder: Path, names: list[str]) -> Path:
    raw = folder / "raw" / "police"
    raw.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy2(DATA / n, raw / n)
    return folder


def run(folder: Path, *, cache: bool = True):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        return build(load_area(), raw_dir="raw", out_dir="out", synthetic_dir="syn",
                     synthetic=False, progress=False, cache=cache)


def outputs(folder: Path) -> dict[str, bytes]:
    out = folder / "out"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and cache_mod.CACHE_DIR not in p.relative_to(out).parts}


def manifest(folder: Path) -> dict:
    return json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))


def last_build(folder: Path) -> dict:
    path = folder / "out" / cache_mod.CACHE_DIR / cache_mod.LAST_BUILD
    return json.loads(path.read_text(encoding="utf-8"))


def assert_same_outputs(a: Path, b: Path) -> None:
    """Every output byte for byte, the manifest included."""
    oa, ob = outputs(a), outputs(b)
    assert sorted(oa) == sorted(ob)
    for name in oa:
        assert oa[name] == ob[name], name


def police_from_cache(folder: Path) -> list[str]:
    return last_build(folder)["inputs_from_cache"].get("police_street", [])


ALL = [lancs(m) for m in MONTHS] + [LEICS]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """The reference: every file, no cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build_mod, "KEPT_CHUNK_ROWS", CHUNK)
        folder = make_folder(tmp_path_factory.mktemp("clean"), ALL)
        run(folder, cache=False)
    assert not (folder / "out" / cache_mod.CACHE_DIR).exists()
    return folder


def test_clean_build_has_several_row_groups(clean):
    meta = pq.ParquetFile(clean / "out" / "police_street.parquet").metadata
    assert meta.num_row_groups >= 4
    assert "cache" not in manifest(clean)


def test_manifest_is_the_same_cold_warm_and_without_cache(clean, tmp_path):
    """The project's rule: same inputs, byte-identical processed files (manifest too)."""
    folder = make_folder(tmp_path, ALL)
    reference = (clean / "out" / "manifest.json").read_bytes()
    cold = run(folder)
    assert (folder / "out" / "manifest.json").read_bytes() == reference
    warm = run(folder)
    assert (folder / "out" / "manifest.json").read_bytes() == reference
    assert cold.cache["inputs_from_cache"] == {} and warm.cache["inputs_read"] == {}
    assert last_build(folder) == warm.cache  # what the cache gave is kept beside it
    run(folder, cache=False)
    assert (folder / "out" / "manifest.json").read_bytes() == reference


def test_added_month_reads_only_that_file(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL[:2])
    run(folder)  # cold: two months, cache written
    assert sorted(count_reads) == sorted(ALL[:2])
    count_reads.clear()
    make_folder(folder, ALL[2:])  # the new month (and the Leicestershire file)
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL[2:])
    assert_same_outputs(clean, folder)
    assert sorted(police_from_cache(folder)) == sorted(f"raw/police/{n}" for n in ALL[:2])
    copied, total = map(int, rep.cache["row_groups_copied"]["police_street"].split(" of "))
    assert 0 < copied < total  # the first months' row groups were copied, not re-encoded
    # accounting still covers every physical row of every file
    recs = [r for r in manifest(folder)["inputs"] if r["table"] == "police_street"]
    assert len(recs) == len(ALL)
    assert all(r["rows_in"] == r["rows_kept"] + r["rows_rejected"] for r in recs)


def test_unchanged_rebuild_reads_nothing(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    count_reads.clear()
    rep = run(folder)
    assert count_reads == []
    assert_same_outputs(clean, folder)
    copied, total = map(int, rep.cache["row_groups_copied"]["police_street"].split(" of "))
    assert copied == total > 0
    # the shipped reference inputs of the other sources came from the cache too
    cached = last_build(folder)["inputs_from_cache"]
    assert "indicators_real" in cached and not last_build(folder)["inputs_read"]


def rewrite_without_last_row(path: Path) -> None:
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    path.write_bytes(gzip.compress(b"".join(lines[:-1]), mtime=0))


def test_modified_file_is_read_again(tmp_path, count_reads):
    ref = make_folder(tmp_path / "ref", ALL)
    rewrite_without_last_row(ref / "raw" / "police" / ALL[1])
    run(ref, cache=False)
    folder = make_folder(tmp_path / "inc", ALL)
    run(folder)
    count_reads.clear()
    shutil.copy2(ref / "raw" / "police" / ALL[1], folder / "raw" / "police" / ALL[1])
    run(folder)
    assert count_reads == [ALL[1]]
    assert_same_outputs(ref, folder)


def test_code_fingerprint_change_is_a_miss(clean, tmp_path, monkeypatch, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    count_reads.clear()
    monkeypatch.setattr(cache_mod, "_FINGERPRINT", "another version of the code")
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL)
    assert police_from_cache(folder) == []
    assert rep.cache["row_groups_copied"]["police_street"].startswith("0 of ")
    assert_same_outputs(clean, folder)


def pack_files(folder: Path) -> list[Path]:
    return sorted((folder / "out" / cache_mod.CACHE_DIR / "packs").glob("*.pack"))


def packed(folder: Path) -> dict[str, object]:
    """Every entry of every pack, unpickled (geo records still in the pack's table)."""
    out = {}
    for p in pack_files(folder):
        pack = packs.read_pack(p)
        for key, (off, n, _, _) in pack.entries.items():
            out[key] = pickle.loads(pack.view([off, n]))
    return out


def police_pack(folder: Path) -> Path:
    [path] = [p for p in pack_files(folder) if any(
        m is not None for *_, m in packs.read_pack(p).entries.values())]
    return path


def file_entries(path: Path) -> list[str]:
    """Keys of a police pack's file entries (finished months have no geo maps)."""
    return [k for k, v in packs.read_pack(path).entries.items() if v[3] is not None]


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_one_pack_per_table_and_records_stored_once(tmp_path):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    assert not (folder / "out" / cache_mod.CACHE_DIR / "entries").exists()  # gathered
    pack = packs.read_pack(police_pack(folder))
    files = {k: v for k, v in pack.entries.items() if v[3] is not None}
    assert len(files) == len(ALL)
    months = [pickle.loads(pack.view(v[:2])) for v in pack.entries.values() if v[3] is None]
    assert sorted(len(m["records"]) for m in months) == [1, 1, 2]  # one entry per month
    geo = pack.records()
    assert len(geo) == len(set(geo)) > 100  # each (authority, LSOA, status) once
    for off, n, _, maps in files.values():
        entry = pickle.loads(pack.view([off, n]))
        assert all(s["geo_records"] is None for s in entry["results"])
        assert len(maps) == len(entry["results"])


def test_corrupted_entry_is_ignored_with_a_note(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    for p in pack_files(folder):
        pack = packs.read_pack(p)
        for off, n, _, _ in pack.entries.values():
            flip(p, pack.base + off + n - 10)  # one flipped byte in every entry
    count_reads.clear()
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL)
    assert any("ignored and deleted" in n and "checksum" in n for n in rep.cache["notes"])
    assert_same_outputs(clean, folder)
    count_reads.clear()
    run(folder)  # the entries were written again
    assert count_reads == []


def test_finished_months_are_reused_without_decoding_file_entries(clean, tmp_path,
                                                                  monkeypatch, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    decoded: list[int] = []
    real = workers.from_entries
    monkeypatch.setattr(workers, "from_entries",
                        lambda entries, index: decoded.append(len(entries)) or real(entries, index))
    count_reads.clear()
    run(folder)
    assert count_reads == [] and decoded == []  # every month from its finished-month entry
    assert sorted(police_from_cache(folder)) == sorted(f"raw/police/{n}" for n in ALL)
    assert last_build(folder)["inputs_read"].get("police_street", 0) == 0
    assert_same_outputs(clean, folder)


def add_last_month(folder: Path, monkeypatch, count_reads) -> list[int]:
    """Build ``folder`` as it is, add the last month, build again (reading that file only).

    Returns the cached months whose kept blocks' codes had to be made again.
    """
    run(folder)
    make_folder(folder, ALL)
    made: list[int] = []
    real = ingestion._month_arrays
    monkeypatch.setattr(ingestion, "_month_arrays",
                        lambda month: made.append(len(month.parts)) or real(month))
    count_reads.clear()
    run(folder)
    assert count_reads == [lancs(MONTHS[2])]
    return made


def test_added_month_copies_every_earlier_row_group(clean, tmp_path, monkeypatch,
                                                    count_reads):
    """Row groups end at a month's end, so a month added last re-encodes no earlier rows."""
    folder = make_folder(tmp_path, ALL[:2] + [LEICS])
    made = add_last_month(folder, monkeypatch, count_reads)
    assert made == []  # no cached month's codes were needed
    meta = pq.ParquetFile(folder / "out" / "police_street.parquet").metadata
    col = meta.schema.names.index("month")
    new = [i for i in range(meta.num_row_groups)
           if str(meta.row_group(i).column(col).statistics.max).startswith(MONTHS[2])]
    assert new and all(str(meta.row_group(i).column(col).statistics.min).startswith(MONTHS[2])
                       for i in new)  # the new month's row groups hold that month only
    copied = meta.num_row_groups - len(new)
    assert last_build(folder)["row_groups_copied"]["police_street"] == \
        f"{copied} of {meta.num_row_groups}"
    assert_same_outputs(clean, folder)


def test_added_month_rebuilds_a_shared_row_group_from_cached_months(tmp_path, monkeypatch,
                                                                    count_reads):
    """Months smaller than the floor share a row group, rebuilt from the cached months."""
    monkeypatch.setattr(build_mod, "KEPT_CHUNK_ROWS", 1 << 20)  # floor 65,536: one row group
    reference = make_folder(tmp_path / "clean", ALL)
    run(reference, cache=False)
    folder = make_folder(tmp_path / "inc", ALL[:2] + [LEICS])
    made = add_last_month(folder, monkeypatch, count_reads)
    assert made  # a row group mixing cached and new months was encoded again
    assert pq.ParquetFile(folder / "out" / "police_street.parquet").metadata.num_row_groups == 1
    assert_same_outputs(reference, folder)


def test_added_month_is_appended_to_the_pack(clean, tmp_path, count_reads):
    """A build that used every packed entry appends the new ones; the old bytes stay."""
    folder = make_folder(tmp_path, ALL[:2] + [LEICS])
    run(folder)
    path = police_pack(folder)
    before = path.read_bytes()
    make_folder(tmp_path, ALL)
    run(folder)
    after = path.read_bytes()
    assert after.startswith(before) and len(after) > len(before)  # appended, not rewritten
    pack = packs.read_pack(path)
    assert pack.dead == packs.read_pack_bytes(before).tail  # the old index, unread
    assert len(pack.maps) == 2  # one maps section more (and geo records only if new ones)
    assert len(file_entries(path)) == len(ALL)
    count_reads.clear()
    rep = run(folder)  # everything from the appended pack
    assert count_reads == [] and rep.cache["notes"] == []
    assert path.read_bytes() == after  # nothing new: the pack was not written
    assert_same_outputs(clean, folder)
    (folder / "raw" / "police" / ALL[0]).unlink()  # an entry unused: written anew
    run(folder)
    pack = packs.read_pack(path)
    assert pack.dead == 0 and len(pack.geo) == 1
    assert set(pack.map_array().tolist()) == set(range(len(pack.records())))


def test_unfinished_append_is_ignored_with_a_note(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    path = police_pack(folder)
    with open(path, "ab") as fh:  # a build stopped while appending
        fh.write(b"\0" * 1000)
    count_reads.clear()
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL)
    assert any("pack of police_street ignored" in n for n in rep.cache["notes"])
    assert_same_outputs(clean, folder)


def test_corrupted_month_entry_is_ignored_with_a_note(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    p = police_pack(folder)
    pack = packs.read_pack(p)
    for off, n, _, maps in pack.entries.values():
        if maps is None:  # a finished month
            flip(p, pack.base + off + n - 10)
    count_reads.clear()
    rep = run(folder)
    assert count_reads == []  # the months were finished again from the files' entries
    assert any("month" in n and "checksum" in n for n in rep.cache["notes"])
    assert_same_outputs(clean, folder)
    rep = run(folder)
    assert rep.cache["notes"] == []  # the months were stored again


def test_corrupted_geo_table_or_header_is_ignored_with_a_note(clean, tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL)
    run(folder)
    path = police_pack(folder)
    pack = packs.read_pack(path)
    flip(path, pack.base + pack.geo[0][0] + 5)
    count_reads.clear()
    rep = run(folder)  # the finished months need no geo table: nothing read, no note yet
    assert count_reads == [] and rep.cache["notes"] == []
    assert_same_outputs(clean, folder)
    pack = packs.read_pack(path)
    for off, n, _, maps in pack.entries.values():
        if maps is None:  # the finished months damaged too: the files' entries are needed
            flip(path, pack.base + off + n - 10)
    count_reads.clear()
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL)
    assert [n for n in rep.cache["notes"] if "geo table" in n and "checksum" in n]
    assert_same_outputs(clean, folder)
    count_reads.clear()
    rep = run(folder)  # written anew: all good again
    assert count_reads == [] and rep.cache["notes"] == []
    flip(police_pack(folder), -packs.TRAILER - 40)  # in the index
    count_reads.clear()
    rep = run(folder)
    assert sorted(count_reads) == sorted(ALL)
    assert any("pack of police_street ignored" in n for n in rep.cache["notes"])
    assert_same_outputs(clean, folder)


def test_entry_with_foreign_code_is_not_unpickled(tmp_path, count_reads):
    folder = make_folder(tmp_path, ALL[:1])
    run(folder)
    path = police_pack(folder)
    pack = packs.read_pack(path)
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Evil(str(marker)))
    assert len(pack.entries) == 2  # the file's entry and its finished month's
    entries = [(key, payload, hashlib.sha256(payload).hexdigest(), pack.entries[key][3])
               for key in pack.entries]
    packs.write_pack(path, entries, pack.records(), pack.map_array())
    count_reads.clear()
    rep = run(folder)
    assert not marker.exists()
    assert count_reads == ALL[:1]
    assert any("not allowed" in n for n in rep.cache["notes"])


def test_entry_file_of_an_unfinished_build_is_used_or_ignored(clean, tmp_path, count_reads):
    """Entry files outside the pack (a build stopped before its end) are checked too."""
    folder = make_folder(tmp_path, ALL)
    run(folder)
    path = police_pack(folder)
    pack = packs.read_pack(path)
    scope = cache_mod.ScopedCache(path.parents[1], path.stem, "police_street", None)
    geo, maps = pack.records(), pack.map_array()
    keys = sorted(k for k, v in pack.entries.items() if v[3] is not None)  # files, not months
    for key in keys:  # as files, the way the readers write them
        off, n, _, spans = pack.entries[key]
        entry = pickle.loads(pack.view([off, n]))
        for s, (a, b) in zip(entry["results"], spans, strict=True):
            s["geo_records"] = [geo[i] for i in maps[a:b]]
        scope.store(key, entry)
    path.unlink()
    flip(scope._entry_path(keys[0]), -10)
    count_reads.clear()
    rep = run(folder)
    assert len(count_reads) == 1
    assert any("ignored and deleted" in n for n in rep.cache["notes"])
    assert_same_outputs(clean, folder)
    assert len(file_entries(police_pack(folder))) == len(ALL)


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_worker_processes_give_the_same_outputs(clean, tmp_path, monkeypatch, count_reads):
    monkeypatch.setenv("LVRN_WORKERS", "2")
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 1)
    folder = make_folder(tmp_path, ALL)
    run(folder)  # cold: the workers read the files and store the entries
    assert count_reads == []  # nothing parsed in this process
    assert len(file_entries(police_pack(folder))) == len(ALL)
    assert_same_outputs(clean, folder)
    rep = run(folder)
    assert sorted(police_from_cache(folder)) == sorted(f"raw/police/{n}" for n in ALL)
    assert rep.cache["notes"] == []
    assert_same_outputs(clean, folder)


def test_touched_files_are_hashed_by_the_workers_and_taken_from_the_cache(
        clean, tmp_path, monkeypatch):
    """A file whose stat changed is hashed by the worker that would read it; same bytes:
    its entry is used, nothing is parsed, and the new stat is remembered."""
    monkeypatch.setenv("LVRN_WORKERS", "2")
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 1)
    folder = make_folder(tmp_path, ALL)
    run(folder)
    for p in (folder / "raw" / "police").iterdir():
        os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    log = tmp_path / "parsed.txt"  # written by whichever process parses a file
    real_iter, real_load = workers.iter_fast, workers.load_fast

    def logging_iter(path, area, index=None):
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {Path(path).name}\n")
        return real_iter(path, area, index)

    def logging_load(data, label, *args):
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {label}\n")
        return real_load(data, label, *args)

    monkeypatch.setattr(workers, "iter_fast", logging_iter)  # inherited by the forked workers
    monkeypatch.setattr(workers, "load_fast", logging_load)
    rep = run(folder)
    assert not log.exists()  # every touched file hashed, found, not parsed
    assert sorted(police_from_cache(folder)) == sorted(f"raw/police/{n}" for n in ALL)
    assert rep.cache["notes"] == []
    assert_same_outputs(clean, folder)
    hashes = json.loads((folder / "out" / cache_mod.CACHE_DIR / "hashes.json").read_text())
    for p in (folder / "raw" / "police").iterdir():  # the new stats, with the right hash
        st = p.stat()
        assert hashes[str(p.resolve())][:2] == [st.st_size, st.st_mtime_ns]
        assert hashes[str(p.resolve())][4] == hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_new_file_is_hashed_by_its_worker(clean, tmp_path, monkeypatch):
    monkeypatch.setenv("LVRN_WORKERS", "2")
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 1)
    folder = make_folder(tmp_path, ALL[:2] + [LEICS])
    run(folder)
    make_folder(tmp_path, ALL)
    rep = run(folder)
    assert last_build(folder)["inputs_read"]["police_street"] == 1
    assert rep.cache["notes"] == []
    assert_same_outputs(clean, folder)
    rep = run(folder)  # its stat and hash remembered: nothing read
    assert last_build(folder)["inputs_read"].get("police_street", 0) == 0
    assert_same_outputs(clean, folder)


def test_no_cache_option_on_the_command_line(tmp_path):
    from lvrn_analysis.cli import main

    folder = make_folder(tmp_path, ALL[:1])
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        assert main(["build", "--raw", "raw", "--no-synthetic", "--quiet", "--no-cache"]) == 0
    assert not (folder / "data" / "processed" / cache_mod.CACHE_DIR).exists()
    m = json.loads((folder / "data" / "processed" / "manifest.json").read_text())
    assert "cache" not in m


def test_unused_entries_are_removed(tmp_path):
    folder = make_folder(tmp_path, ALL[:2])
    run(folder)
    before = packed(folder)
    (folder / "raw" / "police" / ALL[1]).unlink()
    run(folder)
    after = packed(folder)
    # the file's entry and its finished month's are gone
    assert len(after) == len(before) - 2 and set(after) < set(before)
    pack = packs.read_pack(police_pack(folder))  # only records still referred to
    assert set(pack.map_array().tolist()) == set(range(len(pack.records())))


# ----------------------------------------------------------------------- splicing


def test_footer_codec_round_trip():
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, 3], "b": ["x", None, "z"]}), buf)
    data = buf.getvalue()
    size = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - size:-8]
    assert encode(decode(footer)) == footer


def test_splice_gives_the_bytes_pyarrow_writes(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "month": pd.to_datetime(np.sort(rng.integers(0, 24, 5000)) * 30, unit="D"),
        "lsoa": pd.array([f"E01{k:06d}" for k in rng.integers(0, 300, 5000)], dtype="string"),
        "count": rng.integers(1, 50, 5000),
    })
    table = pa.Table.from_pandas(frame, preserve_index=False)

    def write(path: Path, starts: list[int]) -> bytes:
        with pq.ParquetWriter(path, table.schema, compression="snappy",
                              write_statistics=["month"]) as w:
            for s in starts:
                w.write_table(table.slice(s, 1000))
        return path.read_bytes()

    whole = write(tmp_path / "whole.parquet", [0, 1000, 2000, 3000, 4000])
    old = read_parts(write(tmp_path / "old.parquet", [0, 1000, 2000]))
    new = read_parts(write(tmp_path / "new.parquet", [3000, 4000]))
    splice([(old, 0), (old, 1), (old, 2), (new, 0), (new, 1)], tmp_path / "out.parquet",
           template=new)
    assert (tmp_path / "out.parquet").read_bytes() == whole
    # a middle row group from another file, too
    mid = read_parts(write(tmp_path / "mid.parquet", [2000]))
    splice([(old, 0), (old, 1), (mid, 0), (new, 0), (new, 1)], tmp_path / "out2.parquet",
           template=old)
    assert (tmp_path / "out2.parquet").read_bytes() == whole
