"""Fast-path results kept between builds: what a cache entry holds and how it comes back.

A street-level file whose bytes, label and processing code are unchanged gives the
same `PoliceFileResult` in every build, so the build
(`lvrn_analysis.processed.cache`) keeps one entry per input path and reads it
instead of parsing the file again. This module turns results into entries
(`to_entry()`) and back (`from_entries()`); the cache itself (where entries live,
their keys, corruption checks) is a `ResultCache` supplied by the caller.

An entry holds, per CSV the path gave: the accounting (rows in, SHA-256, notes,
rejected rows per reason), the kept groups as integer codes, the quarantined rows
(as the worker processes send them: a few rows as lists), and the geo records
(authority code and name, LSOA code, status) the file's geo codes stand for. A
cache that keeps many entries in one file (`lvrn_analysis.processed.cache`) stores
each record once for all of them: `split_geo()` takes the records out of an entry
and `join_geo()` puts a reference to the shared table back, so that
`from_entries()` places each distinct record in this process's `AreaIndex` once.

A month of monthly files that an earlier build finished is kept as one more entry
(`month_entry()`, under `month_key()` of its files' keys) and comes back as a
`CachedMonth`, so an update does not load the files' results of unchanged months.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from lvrn_analysis.sources.police.fastpath import PoliceFileResult
from lvrn_analysis.sources.police.index import AreaIndex
from lvrn_analysis.sources.police.quarantined import QuarantinedRows

#: Version of the entry layout (part of every cache key).
ENTRY_FORMAT = 4


class ResultCache(Protocol):
    """Where `lvrn_analysis.sources.police.ingest()` finds and keeps results per input.

    Implemented by `lvrn_analysis.processed.cache.BuildCache`; must be picklable
    (worker processes store the entries of the files they read).
    """

    def key(self, path: Path, label: str) -> str | None:
        """Return the entry key of an input (``None``: do not cache it)."""

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key`` (`load()` may still find it unusable)."""

    def load(self, key: str) -> dict | None:
        """Return the entry stored under ``key``, or ``None`` (missing or unusable)."""

    def store(self, key: str, entry: dict) -> None:
        """Keep ``entry`` under ``key``."""

    # A cache may also define ``load_index(index: AreaIndex) -> None``: give the index
    # what an earlier build's index of the same area and code learnt (before worker
    # processes start, so that they inherit it), and keep it for the next build.


def _pack(a: np.ndarray) -> tuple:
    """Return an integer array in few bytes, with its dtype and length.

    ``(dtype, length, value)`` if every element is ``value``, else ``(dtype, length,
    array)`` with the array in the smallest unsigned type that holds it.
    """
    if not len(a):
        return (a.dtype.str, 0, a)
    lo, hi = int(a.min()), int(a.max())
    if lo == hi:
        return (a.dtype.str, len(a), lo)
    if lo >= 0:
        small = np.uint8 if hi < 1 << 8 else np.uint16 if hi < 1 << 16 else None
        if small is not None:
            return (a.dtype.str, len(a), a.astype(small))
    return (a.dtype.str, len(a), a)


def _unpack(p: tuple) -> np.ndarray:
    """Return the array `_pack()` packed, in its own dtype."""
    dtype, n, v = p
    if isinstance(v, int):
        return np.full(n, v, dtype=np.dtype(dtype))
    return np.asarray(v).astype(np.dtype(dtype), copy=False)


def _result_state(r: PoliceFileResult) -> dict:
    """Return one result as plain values (see the module docstring)."""
    u, local = np.unique(r.geo, return_inverse=True)
    recs = r.index.geo_records
    q = r.quarantined
    return {
        "path": r.path, "sha256": r.sha256, "rows_in": r.rows_in, "notes": list(r.notes),
        "reasons": dict(r.reasons), "months": list(r.months), "forces": list(r.forces),
        "month": _pack(r.month), "force": _pack(r.force),
        "geo": _pack(local.reshape(-1).astype(np.int32)), "ctype": _pack(r.ctype),
        "n": _pack(r.n), "geo_records": [recs[g] for g in u.tolist()],
        "rejected": None if q is not None else r.rejected,
        "quarantined": None if q is None else {
            "label": q.label, "outside": q.outside, "malformed": q.malformed,
            "relabeled": q.relabeled,
            "rows": q.rows.to_pydict() if hasattr(q.rows, "to_pydict") else q.rows},
    }


def _states(entry: object) -> list[dict]:
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        raise ValueError("cache entry of another layout")
    return entry["results"]


def split_geo(entry: object) -> list[list[tuple]] | None:
    """Take the geo records out of an entry made by `to_entry()` (in place).

    Returns
    -------
    list of list of tuple, or None
        Per result, its geo records (the entry's geo codes index them); ``None`` if
        ``entry`` is not a police entry of this layout (it is left as it is).
    """
    try:
        states = _states(entry)
    except ValueError:
        return None
    out = []
    for s in states:
        out.append(list(s["geo_records"]))
        s["geo_records"] = None
    return out


def join_geo(entry: dict, table: list[tuple], maps: Sequence[np.ndarray]) -> dict:
    """Undo `split_geo()` with a shared table: result ``i``'s codes are ``table[maps[i]]``.

    The table is not copied: `from_entries()` places its records in the area's
    index once for every entry that refers to it.
    """
    states = _states(entry)
    if len(maps) != len(states):
        raise ValueError("cache entry and its geo maps do not match")
    for s, m in zip(states, maps, strict=True):
        s["geo_table"], s["geo_map"] = table, m
    return entry


def to_entry(results: Sequence[PoliceFileResult]) -> dict:
    """Return the cache entry of one input's results (all in one `AreaIndex`)."""
    return {"format": ENTRY_FORMAT, "results": [_result_state(r) for r in results]}


def from_entries(entries: Sequence[dict], index: AreaIndex) -> list[list[PoliceFileResult]]:
    """Return the results of cache entries, with geo codes in ``index``'s ids.

    Parameters
    ----------
    entries
        Entries made by `to_entry()`.
    index
        The area's index in this process.

    Returns
    -------
    list of list of PoliceFileResult
        Per entry, its results in the order they were read.

    Raises
    ------
    ValueError
        If an entry has another layout.
    """
    states = [_states(e) for e in entries]
    placed: dict[int, np.ndarray] = {}  # per shared table: its records' ids in ``index``
    out = []
    for group in states:
        res = []
        for s in group:
            table = s.pop("geo_table", None)
            if table is not None:
                ids = placed.get(id(table))
                if ids is None:
                    ids = placed[id(table)] = index.geo_ids(table)
                gmap = ids[np.asarray(s.pop("geo_map"), dtype=np.int64)]
            elif s["geo_records"]:
                gmap = index.geo_ids(s["geo_records"])
            else:
                gmap = np.zeros(0, dtype=np.int64)
            res.append(_result(s, gmap, index))
        out.append(res)
    return out


def _result(s: dict, gmap: np.ndarray, index: AreaIndex) -> PoliceFileResult:
    qs = s["quarantined"]
    q = None if qs is None else QuarantinedRows(qs["label"], qs["rows"], qs["outside"],
                                                qs["malformed"], qs["relabeled"])
    local = _unpack(s["geo"])
    geo = gmap[local].astype(np.int32) if len(local) else np.zeros(0, dtype=np.int32)
    r = PoliceFileResult(
        path=s["path"], sha256=s["sha256"], rows_in=s["rows_in"], quarantined=q,
        notes=list(s["notes"]), index=index, months=list(s["months"]),
        forces=list(s["forces"]), month=_unpack(s["month"]), force=_unpack(s["force"]),
        geo=geo, ctype=_unpack(s["ctype"]), n=_unpack(s["n"]), reasons=dict(s["reasons"]))
    if qs is None:
        r.rejected = s["rejected"]
    r.check_accounting()
    return r


#: Layout of a finished month's entry (`month_entry()`).
MONTH_FORMAT = "police-month-1"


def month_key(keys: Sequence[str]) -> str:
    """Return the key of a finished month: its inputs' entry keys, in input order."""
    import hashlib

    text = "\n".join([MONTH_FORMAT, *keys])
    return hashlib.sha256(text.encode()).hexdigest()


class CachedMonth:
    """A month of monthly files finished by an earlier build (`month_entry()`).

    Holds what finishing the month gave (accounting records, kept (force, month)
    pairs, quarantine items, and the kept blocks' month, force, length and identity),
    so that the build uses it without loading the month's file results. The blocks'
    codes are made only if a row group that is not reused needs them: ``loader``
    returns the month's results (from their entries, or read again).
    """

    def __init__(self, entry: object, loader: object, index: AreaIndex) -> None:
        if not isinstance(entry, dict) or entry.get("format") != MONTH_FORMAT:
            raise ValueError("cache entry of another layout")
        self.records: list[dict] = entry["records"]
        self.pairs = entry["pairs"]
        self.quarantine: list = entry["quarantine"]
        self.parts: list[tuple] = [tuple(p) for p in entry["parts"]]
        self.loader = loader
        self.index = index
        self.arrays: list[tuple] | None = None


def month_entry(records: list[dict], pairs: object, quarantine: list,
                parts: list[tuple]) -> dict:
    """Return the cache entry of a finished month (see `CachedMonth`)."""
    return {"format": MONTH_FORMAT, "records": records, "pairs": pairs,
            "quarantine": quarantine, "parts": parts}
