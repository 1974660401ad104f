"""Reading many files: worker processes, Arrow's memory pool, results in input order.

`iter_results()` loads files on the fast path, in this process or, when there is
a lot to read, in worker processes (`worker_init()`, `worker_load()`); results
come back in input order either way.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.parallel import default_workers, process_pool
from lvrn_analysis.sources.police.cached import (
    CachedMonth,
    ResultCache,
    from_entries,
    month_key,
    to_entry,
)
from lvrn_analysis.sources.police.fastpath import PoliceFileResult, iter_fast
from lvrn_analysis.sources.police.format import month_from_name
from lvrn_analysis.sources.police.index import AreaIndex, area_index
from lvrn_analysis.sources.validation import SourceError

#: Input size, or number of files, from which police files are read by worker processes.
POLICE_PARALLEL_BYTES = 256 * 2**20
POLICE_PARALLEL_FILES = 64


def police_workers() -> int:
    """Return the number of worker processes for police files.

    ``LVRN_WORKERS`` in the environment overrides the default: the number of cores,
    at most 4 (each worker holds one file at a time, about 200 MB with its imports).
    """
    env = os.environ.get("LVRN_WORKERS", "").strip()
    if env:
        return max(1, int(env))
    return default_workers()


def iter_results(paths: list[Path], area: AreaConfig, *,
                 relabel: Callable[[str], str] | None = None, desc: str = "police",
                 progress: bool = False, cache: ResultCache | None = None,
                 months: bool = False) -> Iterator[PoliceFileResult | CachedMonth]:
    """Load police files on the fast path, in worker processes when there is a lot to read.

    Results come in input order as soon as they are ready. Below
    `POLICE_PARALLEL_BYTES` of input and `POLICE_PARALLEL_FILES` files, or with one
    worker, everything runs in this process (starting workers costs a fraction of a
    second with fork, a few seconds with spawn).

    Parameters
    ----------
    paths
        Street-level files (``.csv``, ``.csv.gz``, monthly ``.zip``).
    area
        Area configuration.
    relabel
        Maps a file label to the label to record (`PoliceFileResult.relabel()`), in
        the worker that read the file.
    desc, progress
        Progress bar title, and whether to show it.
    cache
        Results kept between builds (`lvrn_analysis.sources.police.cached`): inputs
        with an entry are not read again; the entries of the others are stored by
        whichever process reads them. Only the files read count towards the
        parallel thresholds.
    months
        Whether ``paths`` are monthly files in month order (`streamable()`): a month
        whose files all have entries, finished by an earlier build, then comes as
        one `CachedMonth` (when the cache has it) instead of its files' results.

    Yields
    ------
    PoliceFileResult
        One per CSV read, in this process's `AreaIndex`.

    Raises
    ------
    SourceError
        If a file cannot be used (raised again here when a worker met it).
    """
    index = area_index(area)
    keys: list[str | None] = [None] * len(paths)
    if cache is not None:
        keys = [cache.key(p, relabel(str(p)) if relabel is not None else str(p))
                for p in paths]
    stored = {i for i, k in enumerate(keys) if k is not None and cache.has(k)}  # type: ignore[union-attr]
    todo = [i for i in range(len(paths)) if i not in stored]
    workers = police_workers()
    size = sum(paths[i].stat().st_size for i in todo)
    # files to read go to worker processes when there are many, or when the cached
    # inputs keep this process busy meanwhile
    parallel = workers >= 2 and len(todo) >= 2 * workers and (
        size >= POLICE_PARALLEL_BYTES or len(todo) >= POLICE_PARALLEL_FILES or bool(stored))
    with contextlib.ExitStack() as stack:
        loaded: Iterator = iter(())
        maps: dict[int, np.ndarray] = {}
        if parallel:
            pool = stack.enter_context(process_pool(workers, initializer=worker_init,
                                                    initargs=(area, relabel, cache)))
            loaded = pool.map(worker_load, [(paths[i], keys[i]) for i in todo], chunksize=2)
        # finished months and entries are taken while the workers read the other files
        month_hits, skip = _cached_months(cache, paths, keys, stored, months, index, area,
                                          relabel)
        hits = _cached(cache, keys, stored - skip, index)
        bar = stack.enter_context(tqdm(total=len(paths), desc=desc, unit="file",
                                       disable=not progress or None, leave=False))
        for i, p in enumerate(paths):
            if i in month_hits:
                yield month_hits.pop(i)
            elif i in skip:
                pass
            elif i in hits:
                yield from hits.pop(i)
            elif not parallel or i in stored:  # (a stored entry found unusable: read here)
                yield from _load_here(p, area, index, relabel, cache, keys[i])
            else:
                out = next(loaded)
                if isinstance(out, WorkerFailure):
                    raise out.error()
                for j, r in enumerate(out):
                    r.token = None if keys[i] is None else f"{keys[i]}#{j}"
                    yield r.attach(index, maps)
            bar.update()


def _cached(cache: ResultCache | None, keys: list[str | None], stored: set[int],
            index: AreaIndex) -> dict[int, list[PoliceFileResult]]:
    """Return the results of the inputs whose cache entries are usable, by position."""
    if cache is None or not stored:
        return {}
    found = {i: e for i in sorted(stored) if (e := cache.load(keys[i])) is not None}  # type: ignore[arg-type]
    hits = {}
    for i, res in zip(found, from_entries(list(found.values()), index), strict=True):
        for j, r in enumerate(res):
            r.token = f"{keys[i]}#{j}"
        hits[i] = res
    return hits


def _cached_months(cache: ResultCache | None, paths: list[Path], keys: list[str | None],
                   stored: set[int], months: bool, index: AreaIndex, area: AreaConfig,
                   relabel: Callable[[str], str] | None
                   ) -> tuple[dict[int, CachedMonth], set[int]]:
    """Return the finished months found in the cache (by first position), and their positions."""
    if cache is None or not months or not stored or not hasattr(cache, "load_month"):
        return {}, set()
    groups: dict[object, list[int]] = {}
    for i, p in enumerate(paths):
        groups.setdefault(month_from_name(p.name), []).append(i)
    found: dict[int, CachedMonth] = {}
    skip: set[int] = set()
    for m, group in groups.items():
        if not all(i in stored for i in group):
            continue
        gkeys = [keys[i] for i in group]
        entry = cache.load_month(month_key(gkeys), gkeys,  # type: ignore[attr-defined,arg-type]
                                 f"month {m} ({len(group)} files)")
        if entry is None:
            continue
        loader = functools.partial(_month_results, cache, [paths[i] for i in group], gkeys,
                                   area, index, relabel)
        try:
            found[group[0]] = CachedMonth(entry, loader, index)
        except (ValueError, KeyError, TypeError):
            continue
        skip.update(group)
    return found, skip


def _month_results(cache: ResultCache, paths: list[Path], keys: list[str], area: AreaConfig,
                   index: AreaIndex, relabel: Callable[[str], str] | None
                   ) -> list[PoliceFileResult]:
    """Return a cached month's file results: from their entries, or read again."""
    entries = [cache.load(k) for k in keys]
    found = [e for e in entries if e is not None]
    loaded = iter(from_entries(found, index))  # one call: shared geo records placed once
    out: list[PoliceFileResult] = []
    for p, k, entry in zip(paths, keys, entries, strict=True):
        if entry is None:
            out += _load_here(p, area, index, relabel, cache, k)
            continue
        res = next(loaded)
        for j, r in enumerate(res):
            r.token = f"{k}#{j}"
        out += res
    return out


def _load_here(path: Path, area: AreaConfig, index: AreaIndex,
               relabel: Callable[[str], str] | None, cache: ResultCache | None,
               key: str | None) -> list[PoliceFileResult]:
    """Load one path in this process (relabelled, stored in the cache if there is one)."""
    out = []
    for r in iter_fast(path, area, index):
        if relabel is not None:
            r.relabel(relabel(r.path))
        out.append(r)
    if cache is not None and key is not None:
        cache.store(key, to_entry(out))
        for j, r in enumerate(out):
            r.token = f"{key}#{j}"
    return out


_WORKER: dict[str, object] = {}


def _jemalloc_pool() -> pa.MemoryPool | None:
    """Return pyarrow's jemalloc pool, or ``None`` if this pyarrow has none (Windows)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None


@contextlib.contextmanager
def ingest_memory_pool() -> Iterator[None]:
    """Make jemalloc Arrow's default memory pool while police files are read.

    pyarrow's default pool (mimalloc in the Linux wheels) hands large buffers back to
    the system when they are released, so the buffers of every file and of every
    row group of the kept table are faulted in afresh; jemalloc keeps them for the
    next one (with the options `lvrn_analysis` sets before pyarrow loads; see
    the package's ``__init__``). At 20 million rows this saved about a tenth of the
    build's time (``benchmarks/ingest.py``, ``docs/benchmarks.md``). Where pyarrow
    has no jemalloc the default pool stays; the previous default is restored on exit.
    """
    pool = _jemalloc_pool()
    if pool is None:
        yield
        return
    old = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(old)


def worker_init(area: AreaConfig, relabel: Callable[[str], str] | None = None,
                cache: ResultCache | None = None) -> None:
    """Set up a worker process of `worker_load()` (a process-pool initializer)."""
    _WORKER.clear()
    pool = _jemalloc_pool()  # see ingest_memory_pool (a worker process is ours to set)
    if pool is not None:
        pa.set_memory_pool(pool)
    _WORKER["area"] = area
    _WORKER["relabel"] = relabel
    _WORKER["cache"] = cache


@dataclass(frozen=True)
class WorkerFailure:
    """A `SourceError` raised in a worker process.

    ``SourceError`` cannot be unpickled (its constructor takes more than the
    message), so workers send this instead and the parent raises it again.
    """

    path: str
    message: str
    row: int | None
    column: str | None

    def error(self) -> SourceError:
        """Return the error to raise."""
        return SourceError(self.path, self.message, row=self.row, column=self.column)


def worker_load(job: str | Path | tuple[str | Path, str | None]
                ) -> list[PoliceFileResult] | WorkerFailure:
    """Load one path in a worker process; results come detached (`PoliceFileResult.detach()`).

    ``job`` is a path, or ``(path, cache key)``: with a key, the results are stored
    in the cache given to `worker_init()` before they are detached. Each result is
    first relabelled with the ``relabel`` function given to `worker_init()` (the
    build makes labels relative there).
    """
    path, key = job if isinstance(job, tuple) else (job, None)
    area = _WORKER["area"]
    relabel = _WORKER.get("relabel")
    cache = _WORKER.get("cache")
    out = []
    sent = _WORKER.setdefault("sent", set())
    try:
        for r in iter_fast(path, area):  # type: ignore[arg-type]
            if relabel is not None:
                r.relabel(relabel(r.path))  # type: ignore[operator]
            out.append(r)
    except SourceError as exc:
        return WorkerFailure(exc.path, exc.message, exc.row, exc.column)
    if cache is not None and key is not None:
        cache.store(key, to_entry(out))  # type: ignore[attr-defined]
    return [r.detach(sent) for r in out]  # type: ignore[arg-type]
