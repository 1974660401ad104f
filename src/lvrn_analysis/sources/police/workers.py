"""Reading many files: worker processes, Arrow's memory pool, results in input order.

`iter_results()` loads files on the fast path, in this process or, when there is
a lot to read, in worker processes (`worker_init()`, `worker_load()`); results
come back in input order either way.
"""

from __future__ import annotations

import contextlib
import functools
import gc
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
from lvrn_analysis.sources.police.fastpath import PoliceFileResult, iter_fast, load_fast
from lvrn_analysis.sources.police.format import month_from_name
from lvrn_analysis.sources.police.index import AreaIndex, area_index
from lvrn_analysis.sources.validation import SourceError, sha256_bytes, sha256_file

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
    if cache is not None and hasattr(cache, "load_index"):
        cache.load_index(index)  # what an earlier build's index learnt (before any fork)
    # What is loaded now (the index, cached results) lives as long as the build: the
    # cyclic collector need not walk it again and again (at national scale that cost a
    # tenth of an update), nor touch its pages in forked workers. Unfrozen at the end.
    gc.freeze()
    keys: list[str | None] = [None] * len(paths)
    labels: list[str | None] = [None] * len(paths)
    known_key = getattr(cache, "known_key", None)
    if cache is not None:
        labels = [relabel(str(p)) if relabel is not None else str(p) for p in paths]
        # a file whose stat changed (new, most likely) is hashed by whoever reads it
        keys = [(known_key or cache.key)(p, lb) for p, lb in zip(paths, labels, strict=True)]
    stored = {i for i, k in enumerate(keys) if k is not None and cache.has(k)}  # type: ignore[union-attr]
    todo = [i for i in range(len(paths)) if i not in stored]
    workers = police_workers()
    size = sum(paths[i].stat().st_size for i in todo)
    # files to read go to worker processes when there are many, or when the cached
    # inputs keep this process busy meanwhile
    parallel = workers >= 2 and len(todo) >= 2 * workers and (
        size >= POLICE_PARALLEL_BYTES or len(todo) >= POLICE_PARALLEL_FILES or bool(stored))
    if cache is not None and not parallel and known_key is not None:
        for i in todo:  # read here: hashed here
            if keys[i] is None:
                keys[i] = cache.key(paths[i], labels[i])
                if cache.has(keys[i]):  # type: ignore[arg-type]
                    stored.add(i)
        todo = [i for i in todo if i not in stored]
    with contextlib.ExitStack() as stack:
        stack.callback(gc.unfreeze)
        loaded: Iterator = iter(())
        maps: dict[int, np.ndarray] = {}
        if parallel:
            pool = stack.enter_context(process_pool(workers, initializer=worker_init,
                                                    initargs=(area, relabel, cache)))
            loaded = pool.map(worker_load, [(paths[i], keys[i], labels[i]) for i in todo],
                              chunksize=2)
        # finished months and entries are taken while the workers read the other files
        month_hits, skip = _cached_months(cache, paths, keys, stored, months, index, area,
                                          relabel)
        hits = _cached(cache, keys, stored - skip, index)
        gc.freeze()
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
                if isinstance(out, WorkerHashed):  # hashed by the worker
                    keys[i] = cache.adopt(p, labels[i], out.sha256)  # type: ignore[union-attr]
                    if out.results is None:  # ... and found in the cache there
                        got = _cached(cache, keys, {i}, index)
                        yield from (got[i] if i in got else _load_here(
                            p, area, index, relabel, cache, keys[i]))
                        bar.update()
                        continue
                    out = out.results
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
    # what this process's index holds already (inherited from the parent with fork)
    index = area_index(area)
    _WORKER["base"] = len(index.geo_records)
    _WORKER["sent"] = set(range(_WORKER["base"]))  # type: ignore[arg-type]
    _WORKER["pairs_sent"] = index.pair_count


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


@dataclass
class WorkerHashed:
    """What a worker gives back for a file it hashed (no cache key was known for it).

    ``results`` is ``None`` when the file's entry was found in the cache: the
    parent then takes the results from there.
    """

    sha256: str
    results: list[PoliceFileResult] | None


def worker_load(job: str | Path | tuple
                ) -> list[PoliceFileResult] | WorkerFailure | WorkerHashed:
    """Load one path in a worker process; results come detached (`PoliceFileResult.detach()`).

    ``job`` is a path, ``(path, cache key)`` or ``(path, cache key or None, label)``:
    with a key, the results are stored in the cache given to `worker_init()` before
    they are detached; with ``None`` and a label (a file whose SHA-256 the parent
    did not know), the file is hashed here first, and if the cache holds its entry
    it is not read (`WorkerHashed`). Each result is first relabelled with the
    ``relabel`` function given to `worker_init()` (the build makes labels relative
    there).
    """
    path, key, label = (job + (None,) * (3 - len(job)) if isinstance(job, tuple)
                        else (job, None, None))
    area = _WORKER["area"]
    relabel = _WORKER.get("relabel")
    cache = _WORKER.get("cache")
    sha, data = None, None
    if cache is not None and key is None and label is not None and hasattr(cache, "key_of"):
        try:
            if Path(path).suffix in (".zip", ".gz"):
                sha = sha256_file(path)
            else:  # a plain CSV: read and hashed once
                data = Path(path).read_bytes()
                sha = sha256_bytes(data)
        except OSError:  # unreadable: iter_fast below names the file and the error
            sha, data = None, None
        if sha is not None:
            key = cache.key_of(label, sha)  # type: ignore[attr-defined]
            if cache.has(key):  # type: ignore[attr-defined]
                return WorkerHashed(sha, None)
    out = []
    sent = _WORKER.setdefault("sent", set())
    index = area_index(area)  # type: ignore[arg-type]
    try:
        got = (iter_fast(path, area, index) if data is None  # type: ignore[arg-type]
               else [load_fast(data, str(Path(path)), area, index, sha)])  # type: ignore[arg-type]
        for r in got:
            if relabel is not None:
                r.relabel(relabel(r.path))  # type: ignore[operator]
            out.append(r)
    except SourceError as exc:
        return WorkerFailure(exc.path, exc.message, exc.row, exc.column)
    if cache is not None and key is not None:
        cache.store(key, to_entry(out))  # type: ignore[attr-defined]
    # the LSOA pairs placed here travel once, so that the parent's index learns them
    # (and keeps them for the next build: `lvrn_analysis.processed.cache`)
    start = _WORKER.get("pairs_sent", 0)
    pairs = index.pairs_since(start) if out else None  # type: ignore[arg-type]
    if pairs is not None:
        _WORKER["pairs_sent"] = start + len(pairs[0])  # type: ignore[operator]
    base = _WORKER.get("base", 0)
    done = [r.detach(sent, pairs if i == 0 else None, base)  # type: ignore[arg-type]
            for i, r in enumerate(out)]
    return done if sha is None else WorkerHashed(sha, done)
