"""What one `AreaIndex` learnt, taken by another: worker processes and later builds.

An index places each LSOA code–name pair once (the rules of
`lvrn_analysis.config.geography.assign_authority` evaluated on it). A build keeps
what its index learnt (`lvrn_analysis.processed.cache`, ``index/*.state``) and the
next build's index takes it before its worker processes start, so that they read
known LSOAs without evaluating any rule. These tests check that an index given a
state (or pairs from another process) gives exactly the results of an index that
worked everything out itself, and that the cache keeps, appends and checks states.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.processed import build as build_mod
from lvrn_analysis.processed import cache as cache_mod
from lvrn_analysis.processed.build import build
from lvrn_analysis.sources.police import index as index_mod
from lvrn_analysis.sources.police import workers
from lvrn_analysis.sources.police.archives import iter_members
from lvrn_analysis.sources.police.fastpath import load_fast
from lvrn_analysis.sources.police.index import AreaIndex

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "police"
FILES = sorted(DATA.glob("*-street.csv.gz"))


def _members(path: Path) -> list[tuple[str, bytes]]:
    return list(iter_members(path))


def _results(index: AreaIndex, area) -> list:
    out = []
    for path in FILES:
        for label, data in _members(path):
            r = load_fast(data, label, area, index)
            out.append((r.kept_frame(), r.rejected.reset_index(drop=True), r.reasons))
    return out


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for (ka, ra, na), (kb, rb, nb) in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(ka, kb, check_exact=True)
        pd.testing.assert_frame_equal(ra, rb, check_exact=True)
        assert na == nb


@pytest.fixture
def area():
    return load_area("lancashire")


def test_a_loaded_state_gives_the_same_results_without_evaluating_rules(area, monkeypatch):
    cold = AreaIndex(area)
    expected = _results(cold, area)
    state = cold.state()
    assert len(state["codes"]) == cold.pair_count > 100
    warm = AreaIndex(area)
    assert warm.load_state(state) == cold.pair_count
    assert warm.pair_count == cold.pair_count
    calls: list[int] = []
    real = AreaIndex._register
    monkeypatch.setattr(AreaIndex, "_register",
                        lambda self, new: calls.append(len(new)) or real(self, new))
    _same(_results(warm, area), expected)
    assert calls == []  # every pair known: no rule evaluated
    # each pair stands for the same (authority, LSOA, status) record in both indexes
    for pair, pid in cold._pairs.items():
        wid = warm._pairs[pair]
        assert warm.geo_records[warm.pair_geo[wid]] == cold.geo_records[cold.pair_geo[pid]]
        assert warm.pair_la_name[wid] == cold.pair_la_name[pid]


def test_a_state_of_some_files_then_the_others(area):
    """A partial state: the index learns the rest itself; results unchanged."""
    expected = _results(AreaIndex(area), area)
    first = AreaIndex(area)
    for label, data in _members(FILES[0]):
        load_fast(data, label, area, first)
    index = AreaIndex(area)
    index.load_state(first.state())
    _same(_results(index, area), expected)
    more = index.state(first.pair_count)  # what it learnt since: one more chunk
    again = AreaIndex(area)
    again.load_state(first.state())
    again.load_state(more)
    assert again.pair_count == index.pair_count


def test_adopted_pairs_from_another_index(area):
    """A worker's pairs (`pairs_since`), placed in the parent with the parent's geo ids."""
    worker = AreaIndex(area)
    expected = _results(worker, area)
    parent = AreaIndex(area)
    parent.geo_ids([("X", "Y", "E01999999", "in_area")])  # the parent's ids differ
    keys, geo, status, la_names = worker.pairs_since(0)
    ids = parent.geo_ids([worker.geo_records[g] for g in geo.tolist()])
    parent.adopt_pairs(keys, ids, status, la_names)
    assert parent.pair_count == worker.pair_count
    _same(_results(parent, area), expected)


@pytest.mark.parametrize("bad", [
    {"codes": ["E01000001"], "names": ["Nowhere 001A"], "prefix": ["Nowhere"],
     "status": bytes([0])},  # in the area, under an authority the area does not have
    {"codes": ["E01000001"], "names": [], "prefix": [], "status": b""},  # lengths
    {"codes": ["E01000001"], "names": ["A 001A"], "prefix": ["A"], "status": bytes([9])},
    {"pairs": []},  # another layout
    [1, 2, 3],
])
def test_a_bad_state_is_refused_and_places_nothing(area, bad):
    index = AreaIndex(area)
    with pytest.raises(ValueError):
        index.load_state(bad)
    assert index.pair_count == 0 and index.geo_records == []


# --------------------------------------------------------------- through the build cache


@pytest.fixture(autouse=True)
def fresh_indexes(monkeypatch):
    """Each build starts with new indexes, as a new ``lvrn build`` process does."""
    monkeypatch.setattr(index_mod, "_INDEXES", {})
    monkeypatch.setattr(build_mod, "KEPT_CHUNK_ROWS", 2_000)


def _folder(tmp_path: Path, names: list[str]) -> Path:
    raw = tmp_path / "raw" / "police"
    raw.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy2(DATA / n, raw / n)
    return tmp_path


def _run(folder: Path, monkeypatch, *, cache: bool = True):
    monkeypatch.setattr(index_mod, "_INDEXES", {})
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        return build(load_area(), raw_dir="raw", out_dir="out", synthetic_dir="syn",
                     synthetic=False, progress=False, cache=cache)


def _states(folder: Path) -> list[Path]:
    return sorted((folder / "out" / cache_mod.CACHE_DIR / "index").glob("*.state"))


def _outputs(folder: Path) -> dict[str, bytes]:
    out = folder / "out"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and cache_mod.CACHE_DIR not in p.relative_to(out).parts}


def _kept_and_cold(folder: Path, path: Path) -> tuple[AreaIndex, AreaIndex]:
    """The index the build kept (loaded from ``path``) and one that read every month itself."""
    index = AreaIndex(load_area())
    cache = cache_mod.BuildCache(folder / "out" / cache_mod.CACHE_DIR)
    cache.load_index(path.stem, index, "police_street")
    cold = AreaIndex(load_area())
    for name in MONTHS:
        for label, data in _members(DATA / name):
            load_fast(data, label, load_area(), cold)
    return index, cold


MONTHS = ["2019-12-lancashire-street.csv.gz", "2020-02-lancashire-street.csv.gz",
          "2020-04-lancashire-street.csv.gz"]


def test_the_build_keeps_the_state_and_appends_what_is_new(tmp_path, monkeypatch):
    folder = _folder(tmp_path / "inc", MONTHS[:1])
    _run(folder, monkeypatch)
    [path] = _states(folder)
    first = path.read_bytes()
    _run(folder, monkeypatch)  # nothing new learnt: the file is not written
    assert path.read_bytes() == first
    _folder(tmp_path / "inc", MONTHS)
    rep = _run(folder, monkeypatch)
    now = path.read_bytes()
    assert now.startswith(first) and len(now) > len(first)  # one chunk appended
    assert rep.cache["notes"] == []
    index, cold = _kept_and_cold(folder, path)
    assert index.pair_count == cold.pair_count  # both chunks read
    reference = _folder(tmp_path / "clean", MONTHS)
    _run(reference, monkeypatch, cache=False)
    assert _outputs(folder) == _outputs(reference)


def test_a_damaged_state_is_ignored_with_a_note(tmp_path, monkeypatch):
    folder = _folder(tmp_path / "inc", MONTHS)
    _run(folder, monkeypatch)
    [path] = _states(folder)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    rep = _run(folder, monkeypatch)
    assert any("cached LSOA index of police_street ignored" in n for n in rep.cache["notes"])
    reference = _folder(tmp_path / "clean", MONTHS)
    _run(reference, monkeypatch, cache=False)
    assert _outputs(folder) == _outputs(reference)
    rep = _run(folder, monkeypatch)  # written anew
    assert rep.cache["notes"] == []


def test_workers_inherit_the_state_and_send_back_what_they_learn(tmp_path, monkeypatch):
    """With fork, workers start from the parent's index; new pairs come back once."""
    if os.name != "posix":
        pytest.skip("worker processes inherit the parent's index only with fork")
    monkeypatch.setenv("LVRN_WORKERS", "2")
    monkeypatch.setattr(workers, "POLICE_PARALLEL_FILES", 1)
    folder = _folder(tmp_path / "inc", MONTHS)
    _run(folder, monkeypatch)  # cold: the workers learn every pair and send them back
    [path] = _states(folder)
    index, cold = _kept_and_cold(folder, path)
    assert index.pair_count == cold.pair_count
    recs = {p: cold.geo_records[cold.pair_geo[i]] for p, i in cold._pairs.items()}
    assert {p: index.geo_records[index.pair_geo[i]] for p, i in index._pairs.items()} == recs
    assert np.array_equal(np.sort(index.pair_status[:index.pair_count]),
                          np.sort(cold.pair_status[:cold.pair_count]))
