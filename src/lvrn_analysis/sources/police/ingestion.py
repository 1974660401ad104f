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

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.police.cached import (
    CachedMonth,
    ResultCache,
    month_entry,
    month_key,
)
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
    as one frame (`write_frame()`), or as Arrow tables, in order (`write_chunk()`);
    never both. The chunks are the row groups `group_sizes()` gives: at most
    ``chunk_rows`` rows, ending at a month's end once they hold `group_floor()` rows.
    """

    #: Rows per `write_chunk()` call.
    chunk_rows: int

    def write_frame(self, kept: pd.DataFrame) -> None:
        """Take the whole kept table (the sink may modify the frame)."""

    def write_chunk(self, kept: pa.Table) -> None:
        """Take the next row group of the kept table (`group_sizes()`)."""

    # A sink may also define ``reuse_chunk(token: str | None, rows: int) -> bool``: called
    # before each chunk with an identity of its rows (``None`` if some rows have none);
    # if it returns True the chunk is not built and `write_chunk()` is not called for
    # it (the sink has the same rows already, e.g. from the previous build).


def group_floor(chunk_rows: int) -> int:
    """Return the rows from which a row group of the kept table ends at a month's end.

    A sixteenth of ``chunk_rows`` (65,536 rows for pyarrow's default of 1,048,576).
    """
    return max(1, chunk_rows // 16)


def group_sizes(months: np.ndarray, chunk_rows: int) -> list[int]:
    """Return the row-group sizes of a kept table whose rows have these months (sorted).

    A row group ends where a month ends once it holds `group_floor()` rows, and
    after ``chunk_rows`` rows in any case. A national table (about 190,000 kept
    rows a month) thus has one row group per month, and adding a month leaves
    every earlier row group as it was, so an incremental build copies them
    (`lvrn_analysis.processed.splice`); an area's table (a few thousand rows a
    month) has a few row groups of several months each. `_KeptChunks` cuts a
    streamed table the same way.

    Parameters
    ----------
    months
        The month of each row, in table order (equal months adjacent).
    chunk_rows
        Most rows in one row group.
    """
    n = len(months)
    if not n:
        return []
    starts = np.flatnonzero(months[1:] != months[:-1]) + 1  # first row of each later month
    floor = group_floor(chunk_rows)
    sizes, at = [], 0
    for end in [*starts.tolist(), n]:
        while end - at >= chunk_rows:
            sizes.append(chunk_rows)
            at += chunk_rows
        if end - at >= floor or (end == n and end > at):
            sizes.append(end - at)
            at = end
    return sizes


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
           progress: bool = False, stream: bool | None = None,
           cache: ResultCache | None = None) -> PoliceIngest:
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
    cache
        Results kept between builds (`lvrn_analysis.sources.police.cached`; files
        only): inputs with an entry are not read again. The outputs are the same.

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
        stream = streamable(paths) if stream is None else stream
        results = iter_results(paths, area, relabel=relabel, desc=desc, progress=progress,
                               cache=cache, months=stream and streamable(paths))
        return _ingest_fast(results, kept, stream=stream, cache=cache)


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


def _ingest_fast(results: Iterable[PoliceFileResult | CachedMonth], kept: KeptSink, *,
                 stream: bool, cache: ResultCache | None = None) -> PoliceIngest:
    """`ingest_results()` for fast-path results: the same outputs, bounded memory.

    With a cache, each month finished here (monthly files in month order, every file
    with an entry) is stored as a finished month (`month_entry()`), and finished
    months from the cache (`CachedMonth`) are used as they are.
    """
    chunks = _KeptChunks(kept)
    done: list[PoliceFileResult | CachedMonth] = []
    records: list[dict] = []
    pairs: list[pd.DataFrame] = []
    pending: list[PoliceFileResult] = []

    def finish(group: list[PoliceFileResult]) -> None:
        resolve_overlaps_fast(group)
        for r in group:
            r.check_accounting()
        recs = [r.as_record() for r in group]
        records.extend(recs)
        pairs.append(kept_pairs(group))
        blocks = kept_blocks(group)
        if stream and cache is not None and hasattr(cache, "store_month") and group \
                and all(r.token is not None for r in group):
            _store_month(cache, group, recs, pairs[-1], blocks)
        chunks.add(blocks)
        for r in group:
            r.release_kept()

    month = None
    for r in results:
        if isinstance(r, CachedMonth):
            if pending:
                finish(pending)
                pending = []
            month = None
            records.extend(r.records)
            pairs.append(r.pairs)
            chunks.add_month(r)
            done.append(r)
            continue
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
    return PoliceIngest(records, coverage, _sorted_quarantine(_quarantine_table(done)))


def _store_month(cache: ResultCache, group: list[PoliceFileResult], recs: list[dict],
                 pairs: pd.DataFrame, blocks: list[tuple[PoliceFileResult, int, int]]) -> None:
    """Store a finished month in the cache (`lvrn_analysis.sources.police.cached`)."""
    keys = list(dict.fromkeys(r.token.split("#", 1)[0] for r in group))  # type: ignore[union-attr]
    parts = [(res.months[res.month[a]], res.forces[res.force[a]], b - a, (res.token, a))
             for res, a, b in blocks]
    entry = month_entry(recs, pairs, [_quarantine_item(r) for r in group], parts)
    name = month_from_name(group[0].path)
    cache.store_month(month_key(keys), entry,  # type: ignore[attr-defined]
                      f"month {name} ({len(keys)} files)")


def _quarantine_item(r: PoliceFileResult) -> object:
    """Return what `_quarantine_table()` takes from a result: its quarantine as kept."""
    return r.rejected if r.quarantined is None else r.quarantined


def _sorted_quarantine(rej: pd.DataFrame) -> pd.DataFrame:
    sort_cols = [c for c in ("file", "row", "reason") if c in rej.columns]
    return rej.sort_values(sort_cols, na_position="first", kind="mergesort")


def _quarantine_table(results: list[PoliceFileResult | CachedMonth]) -> pd.DataFrame:
    """``pd.concat([r.rejected for r in results], ignore_index=True)``, built faster.

    Files whose quarantine is not yet a frame are grouped by kind and each group is
    built as one frame (`quarantine_frame()`), placed
    where its first file was. Concatenation is associative, the groups have the
    columns and dtypes of their files' frames, and each file keeps its rows in order,
    so after the (stable) sort by file, row and reason the table is the same.
    """
    pieces: list[object] = []
    groups: dict[tuple, list] = {}
    items = [q for r in results for q in (
        r.quarantine if isinstance(r, CachedMonth) else [_quarantine_item(r)])]
    for q in items:
        if isinstance(q, pd.DataFrame):
            pieces.append(q)
            continue
        kind = q.kind
        if kind not in groups:
            groups[kind] = []
            pieces.append(kind)
        groups[kind].append(q)
    frames = [quarantine_frame(groups[p]) if isinstance(p, tuple) else p for p in pieces]
    return pd.concat(frames, ignore_index=True)  # type: ignore[arg-type]


_CRIME_TYPES = pa.array(CRIME_TYPES, pa.large_string())


def _chunk_token(parts: list[tuple]) -> str | None:
    """Identity of a chunk's rows: its parts' (result token, start, length), hashed.

    ``None`` if some part comes from a result without a token (not cached).
    """
    h = hashlib.sha256()
    for p in parts:
        if p[5] is None:
            return None
        h.update(f"{p[5][0]}:{p[5][1]}:{len(p[2])}\n".encode())
    return h.hexdigest()


class _KeptChunks:
    """Turns kept blocks (`kept_blocks()`) into Arrow chunks of the kept table for a sink."""

    def __init__(self, sink: KeptSink) -> None:
        self.sink = sink
        self.chunk_rows = sink.chunk_rows
        self.floor = group_floor(self.chunk_rows)
        self.rows = 0  # rows added
        self._parts: list[tuple] = []
        self._size = 0
        self._month: object = None  # month of the last part queued
        self._index: AreaIndex | None = None
        self._strings: dict[str, pa.Array] = {}

    def add(self, blocks: list[tuple[PoliceFileResult, int, int]]) -> None:
        """Queue blocks (in output order); finished chunks (`group_sizes()`) are sent at once."""
        for res, a, b in blocks:
            if self._index is None:
                self._index = res.index
            elif res.index is not self._index:
                raise ValueError("police results from different area indexes")
            self._queue((res.months[res.month[a]], res.forces[res.force[a]],
                         res.geo[a:b], res.ctype[a:b], res.n[a:b],
                         None if res.token is None else (res.token, a)))

    def add_month(self, month: CachedMonth) -> None:
        """Queue a finished month's blocks; their codes are made only if a chunk needs them."""
        if self._index is None:
            self._index = month.index
        elif month.index is not self._index:
            raise ValueError("police results from different area indexes")
        for i, (m, f, k, ident) in enumerate(month.parts):
            self._queue((m, f, *(_Lazy(month, i, j, 0, k) for j in range(3)), tuple(ident)))

    def _queue(self, part: tuple) -> None:
        """Queue one block, cutting chunks as `group_sizes()` does."""
        if part[0] != self._month and self._size >= self.floor:
            self._flush(self._size)  # a month ends and the row group is big enough
        self._month = part[0]
        self._parts.append(part)
        self._size += len(part[2])
        self.rows += len(part[2])
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
                ident = part[5]
                take.append(part[:2] + tuple(x[:left] for x in part[2:5]) + (ident,))
                rest.append(part[:2] + tuple(x[left:] for x in part[2:5])
                            + (None if ident is None else (ident[0], ident[1] + left),))
                left = 0
            else:
                rest.append(part)
        self._parts = rest
        self._size -= rows
        reuse = getattr(self.sink, "reuse_chunk", None)
        if reuse is not None and reuse(_chunk_token(take), rows):
            return
        self.sink.write_chunk(self._table(take))

    def _table(self, parts: list[tuple]) -> pa.Table:
        """Return the chunk as an Arrow table (`AGG_KEYS` and ``count``)."""
        index = self._index
        assert index is not None
        parts = [p[:2] + tuple(x.get() for x in p[2:5]) + p[5:] if isinstance(p[2], _Lazy)
                 else p for p in parts]
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


class _Lazy:
    """Rows ``start:stop`` of one code array (geo, crime type, count) of a cached month's block."""

    def __init__(self, month: CachedMonth, block: int, which: int, start: int,
                 stop: int) -> None:
        self.month, self.block, self.which = month, block, which
        self.start, self.stop = start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, s: slice) -> _Lazy:
        a, b, _ = s.indices(len(self))
        return _Lazy(self.month, self.block, self.which, self.start + a, self.start + b)

    def get(self) -> np.ndarray:
        """Return the rows, making the month's blocks once (`_month_arrays()`)."""
        if self.month.arrays is None:
            self.month.arrays = _month_arrays(self.month)
        return self.month.arrays[self.block][self.which][self.start:self.stop]


def _month_arrays(month: CachedMonth) -> list[tuple]:
    """Finish a cached month again from its results; return its blocks' code arrays.

    Raises
    ------
    ValueError
        If the blocks differ from the ones the month was stored with.
    """
    group = month.loader()  # type: ignore[operator]
    resolve_overlaps_fast(group)
    blocks = kept_blocks(group)
    got = [(res.months[res.month[a]], res.forces[res.force[a]], b - a, (res.token, a))
           for res, a, b in blocks]
    if got != month.parts or any(res.index is not month.index for res, _, _ in blocks):
        raise ValueError("a cached police month does not match its files' results")
    return [(res.geo[a:b], res.ctype[a:b], res.n[a:b]) for res, a, b in blocks]
