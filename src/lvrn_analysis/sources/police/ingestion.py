"""The police source's one entry point for the build: `ingest()`.

Street-level files (or an area's embedded aggregate) and the area go in; out come
the kept table (handed to a `KeptSink` as it is made, so that a national extract
never sits in memory as one frame), and a `PoliceIngest`: the month coverage, the
quarantine and one accounting record per input file.

Two paths give the same tables, row for row and byte for byte once written:

* the *frame path* (`ingest_results()`): `LoadResult` objects with kept frames,
  concatenated and aggregated; used for the embedded aggregate, and in the tests
  as the reference for the other path;
* the *streamed path*: fast-path results (`lvrn_analysis.sources.police.workers`).
  After overlaps are resolved, every (month, force) block comes from one file,
  already aggregated and sorted, so the blocks are sent to the sink in
  (month, force) order, ``sink.chunk_rows`` rows at a time. When the files are
  monthly CSVs in month order (`streamable()`), each month is resolved and sent as
  soon as the next month starts, while later files are still being read, and its
  kept groups are then released.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.police.embedded import read_embedded
from lvrn_analysis.sources.police.fastpath import PoliceFileResult, empty_kept
from lvrn_analysis.sources.police.format import CRIME_TYPES, month_from_name
from lvrn_analysis.sources.police.index import AreaIndex
from lvrn_analysis.sources.police.overlaps import (
    kept_blocks,
    kept_pairs,
    month_coverage,
    resolve_overlaps,
    resolve_overlaps_fast,
)
from lvrn_analysis.sources.police.quarantined import quarantine_frame
from lvrn_analysis.sources.police.rules import aggregate
from lvrn_analysis.sources.police.workers import ingest_memory_pool, iter_results
from lvrn_analysis.sources.validation import WEIGHT, LoadResult

#: Column of the kept table holding the number of input rows of each group.
COUNT = "count"


class KeptSink(Protocol):
    """Where `ingest()` sends the kept table (the build writes it to parquet).

    The kept table has the columns `lvrn_analysis.sources.police.format.AGG_KEYS`
    and ``count``, sorted by them (missing values first). It arrives either whole,
    as one frame (`write_frame()`), or as Arrow tables of ``chunk_rows`` rows (the
    last may be shorter), in order (`write_chunk()`); never both.
    """

    #: Rows per `write_chunk()` call.
    chunk_rows: int

    def write_frame(self, kept: pd.DataFrame) -> None:
        """Take the whole kept table (the sink may modify the frame)."""

    def write_chunk(self, kept: pa.Table) -> None:
        """Take the next ``chunk_rows`` rows of the kept table."""


@dataclass
class PoliceIngest:
    """What `ingest()` read, besides the kept table.

    Attributes
    ----------
    records
        One accounting record per input file, in input order
        (`lvrn_analysis.sources.validation.Accounting.as_record()`: rows in =
        kept + rejected, by reason).
    coverage
        ``force``, ``month``, ``status`` (`month_coverage()`).
    quarantine
        Every quarantined row, sorted by file, row and reason.
    """

    records: list[dict]
    coverage: pd.DataFrame
    quarantine: pd.DataFrame

    def missing_months(self) -> dict[str, list[str]]:
        """Return, per force, the ``YYYY-MM`` months with no data (gaps in coverage)."""
        return {str(force): [m.strftime("%Y-%m")
                             for m in g.loc[g["status"] == "missing", "month"]]
                for force, g in self.coverage.groupby("force")}


def ingest(area: AreaConfig, kept: KeptSink, paths: list[Path] | None = None, *,
           relabel: Callable[[str], str] | None = None, desc: str = "police",
           progress: bool = False, stream: bool | None = None) -> PoliceIngest:
    """Read police inputs for an area: the kept table goes to ``kept``, the rest is returned.

    Parameters
    ----------
    area
        Area configuration (force(s) and authorities).
    kept
        Receives the kept table (`KeptSink`).
    paths
        Street-level files (``.csv``, ``.csv.gz``, monthly archive ``.zip``), read
        on the fast path; ``None`` reads the area's embedded aggregate
        (`lvrn_analysis.sources.police.embedded.read_embedded()`).
    relabel
        Maps a file's label to the label to record (e.g. a relative path); files only.
    desc, progress
        Progress bar title, and whether to show it (files only).
    stream
        Whether files are finished month by month; default: `streamable()`.

    Returns
    -------
    PoliceIngest
        Accounting records, month coverage and quarantine.

    Raises
    ------
    SourceError
        If a file cannot be used at all (the message names it).
    ValueError
        If ``paths`` is ``None`` and the area has no embedded aggregate.

    Notes
    -----
    Arrow allocates from jemalloc meanwhile
    (`lvrn_analysis.sources.police.workers.ingest_memory_pool()`).
    """
    with ingest_memory_pool():
        if paths is None:
            return ingest_results(read_embedded(area), kept)
        results = iter_results(paths, area, relabel=relabel, desc=desc, progress=progress)
        return _ingest_fast(results, kept, stream=streamable(paths) if stream is None
                            else stream)


def ingest_results(results: list[LoadResult], kept: KeptSink) -> PoliceIngest:
    """`ingest()` for loaded files (the frame path): same outputs from `LoadResult` objects.

    Parameters
    ----------
    results
        Loaded street-level files (e.g. from
        `lvrn_analysis.sources.police.rules.load_bytes_reference()`).
    kept
        Receives the kept table, as one frame.

    Returns
    -------
    PoliceIngest
        Accounting records, month coverage and quarantine.
    """
    results = resolve_overlaps(results)
    for r in results:
        r.check_accounting()
    records = [r.as_record() for r in results]
    table = pd.concat([r.kept for r in results], ignore_index=True)
    table = aggregate(table).rename(columns={WEIGHT: COUNT})
    coverage = month_coverage(table)
    kept.write_frame(table)
    rej = pd.concat([r.rejected for r in results], ignore_index=True)
    return PoliceIngest(records, coverage, _sorted_quarantine(rej))


def streamable(paths: list[Path]) -> bool:
    """Whether police files can be finished month by month, in input order.

    True when every input is a monthly CSV named ``YYYY-MM-<force>-street.csv[.gz]``
    and the months never go back: kept rows must then have the month of their
    file's name, so a month is complete once a later month starts, and only files
    of one month can supply the same force-month.
    """
    months = [month_from_name(p.name) for p in paths]
    return (all(m is not None for m in months) and not any(p.suffix == ".zip" for p in paths)
            and all(a <= b for a, b in zip(months, months[1:], strict=False)))  # type: ignore[operator]


def _ingest_fast(results: Iterable[PoliceFileResult], kept: KeptSink, *,
                 stream: bool) -> PoliceIngest:
    """`ingest_results()` for fast-path results: the same outputs, bounded memory."""
    chunks = _KeptChunks(kept)
    done: list[PoliceFileResult] = []
    records: dict[int, dict] = {}
    pairs: list[pd.DataFrame] = []
    pending: list[PoliceFileResult] = []

    def finish(group: list[PoliceFileResult]) -> None:
        resolve_overlaps_fast(group)
        for r in group:
            r.check_accounting()
            records[id(r)] = r.as_record()
        pairs.append(kept_pairs(group))
        chunks.add(kept_blocks(group))
        for r in group:
            r.release_kept()

    month = None
    for r in results:
        m = month_from_name(r.path) if stream else None
        if stream and pending and m != month:
            finish(pending)
            pending = []
        month = m
        pending.append(r)
        done.append(r)
    if pending:
        finish(pending)
    if chunks.rows:
        chunks.close()
        coverage = month_coverage(pd.concat(pairs, ignore_index=True))
    else:  # nothing kept at all: the frame path gives the empty table's dtypes
        table = pd.concat([empty_kept() for _ in done], ignore_index=True)
        table = aggregate(table).rename(columns={WEIGHT: COUNT})
        coverage = month_coverage(table)
        kept.write_frame(table)
    return PoliceIngest([records[id(r)] for r in done], coverage,
                        _sorted_quarantine(_quarantine_table(done)))


def _sorted_quarantine(rej: pd.DataFrame) -> pd.DataFrame:
    sort_cols = [c for c in ("file", "row", "reason") if c in rej.columns]
    return rej.sort_values(sort_cols, na_position="first", kind="mergesort")


def _quarantine_table(results: list[PoliceFileResult]) -> pd.DataFrame:
    """``pd.concat([r.rejected for r in results], ignore_index=True)``, built faster.

    Files whose quarantine is not yet a frame are grouped by kind and each group is
    built as one frame (`quarantine_frame()`), placed
    where its first file was. Concatenation is associative, the groups have the
    columns and dtypes of their files' frames, and each file keeps its rows in order,
    so after the (stable) sort by file, row and reason the table is the same.
    """
    pieces: list[object] = []
    groups: dict[tuple, list] = {}
    for r in results:
        q = r.quarantined
        if q is None:
            pieces.append(r.rejected)
            continue
        kind = q.kind
        if kind not in groups:
            groups[kind] = []
            pieces.append(kind)
        groups[kind].append(q)
    frames = [quarantine_frame(groups[p]) if isinstance(p, tuple) else p for p in pieces]
    return pd.concat(frames, ignore_index=True)  # type: ignore[arg-type]


_CRIME_TYPES = pa.array(CRIME_TYPES, pa.large_string())


class _KeptChunks:
    """Turns kept blocks (`kept_blocks()`) into Arrow chunks of the kept table for a sink."""

    def __init__(self, sink: KeptSink) -> None:
        self.sink = sink
        self.chunk_rows = sink.chunk_rows
        self.rows = 0  # rows added
        self._parts: list[tuple] = []
        self._size = 0
        self._index: AreaIndex | None = None
        self._strings: dict[str, pa.Array] = {}

    def add(self, blocks: list[tuple[PoliceFileResult, int, int]]) -> None:
        """Queue blocks (in output order); full chunks are sent at once."""
        for res, a, b in blocks:
            if self._index is None:
                self._index = res.index
            elif res.index is not self._index:
                raise ValueError("police results from different area indexes")
            self._parts.append((res.months[res.month[a]], res.forces[res.force[a]],
                                res.geo[a:b], res.ctype[a:b], res.n[a:b]))
            self._size += b - a
            self.rows += b - a
        while self._size >= self.chunk_rows:
            self._flush(self.chunk_rows)

    def close(self) -> None:
        """Send what is left."""
        if self._size:
            self._flush(self._size)

    def _flush(self, rows: int) -> None:
        take, rest, left = [], [], rows
        for part in self._parts:
            k = len(part[2])
            if left >= k:
                take.append(part)
                left -= k
            elif left > 0:
                take.append(part[:2] + tuple(x[:left] for x in part[2:]))
                rest.append(part[:2] + tuple(x[left:] for x in part[2:]))
                left = 0
            else:
                rest.append(part)
        self._parts = rest
        self._size -= rows
        self.sink.write_chunk(self._table(take))

    def _table(self, parts: list[tuple]) -> pa.Table:
        """Return the chunk as an Arrow table (`AGG_KEYS` and ``count``)."""
        index = self._index
        assert index is not None
        recs = index.geo_records
        if len(self._strings.get("la_code", ())) != len(recs):  # new geo ids since last time
            for j, name in enumerate(("la_code", "la_name", "lsoa_code", "geo_status")):
                self._strings[name] = pa.array([g[j] for g in recs], pa.large_string())
        geo = pa.array(np.concatenate([p[2] for p in parts]))
        sizes = np.array([len(p[2]) for p in parts], dtype=np.int64)
        month = np.repeat(np.array([p[0] for p in parts], dtype="datetime64[us]"), sizes)
        names = list(dict.fromkeys(p[1] for p in parts))  # the chunk's forces (None too)
        at = {f: i for i, f in enumerate(names)}
        force = pa.array(names, pa.large_string()).take(
            pa.array(np.repeat(np.array([at[p[1]] for p in parts], dtype=np.int32), sizes)))
        ctype = pa.array(np.concatenate([p[3] for p in parts]).astype(np.int32))
        strings = {name: self._strings[name].take(geo)
                   for name in ("la_code", "la_name", "lsoa_code", "geo_status")}
        return pa.table({
            "month": pa.array(month, pa.timestamp("us")),
            "force": force,
            "la_code": strings["la_code"],
            "la_name": strings["la_name"],
            "lsoa_code": strings["lsoa_code"],
            "crime_type": _CRIME_TYPES.take(ctype),
            "geo_status": strings["geo_status"],
            COUNT: pa.array(np.concatenate([p[4] for p in parts]).astype(np.int64)),
        })
