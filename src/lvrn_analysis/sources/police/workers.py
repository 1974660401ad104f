"""Reading many files: worker processes, Arrow's memory pool, results in input order.

`iter_results()` loads files on the fast path, in this process or, when there is
a lot to read, in worker processes (`worker_init()`, `worker_load()`); results
come back in input order either way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.parallel import default_workers, process_pool
from lvrn_analysis.sources.police.fastpath import PoliceFileResult, iter_fast
from lvrn_analysis.sources.police.index import area_index
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
                 progress: bool = False) -> Iterator[PoliceFileResult]:
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
    workers = police_workers()
    size = sum(p.stat().st_size for p in paths)
    with tqdm(total=len(paths), desc=desc, unit="file", disable=not progress or None,
              leave=False) as bar:
        if workers < 2 or len(paths) < 2 * workers or (
                size < POLICE_PARALLEL_BYTES and len(paths) < POLICE_PARALLEL_FILES):
            for p in paths:
                for r in iter_fast(p, area, index):
                    if relabel is not None:
                        r.relabel(relabel(r.path))
                    yield r
                bar.update()
            return
        with process_pool(workers, initializer=worker_init, initargs=(area, relabel)) as pool:
            maps: dict[int, np.ndarray] = {}
            for out in pool.map(worker_load, paths, chunksize=2):
                if isinstance(out, WorkerFailure):
                    raise out.error()
                for r in out:
                    yield r.attach(index, maps)
                bar.update()


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


def worker_init(area: AreaConfig, relabel: Callable[[str], str] | None = None) -> None:
    """Set up a worker process of `worker_load()` (a process-pool initializer)."""
    _WORKER.clear()
    pool = _jemalloc_pool()  # see ingest_memory_pool (a worker process is ours to set)
    if pool is not None:
        pa.set_memory_pool(pool)
    _WORKER["area"] = area
    _WORKER["relabel"] = relabel


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


def worker_load(path: str | Path) -> list[PoliceFileResult] | WorkerFailure:
    """Load one path in a worker process; results come detached (`PoliceFileResult.detach()`).

    Each result is first relabelled with the ``relabel`` function given to
    `worker_init()` (the build makes labels relative there).
    """
    area = _WORKER["area"]
    relabel = _WORKER.get("relabel")
    out = []
    sent = _WORKER.setdefault("sent", set())
    try:
        for r in iter_fast(path, area):  # type: ignore[arg-type]
            if relabel is not None:
                r.relabel(relabel(r.path))  # type: ignore[operator]
            out.append(r.detach(sent))  # type: ignore[arg-type]
    except SourceError as exc:
        return WorkerFailure(exc.path, exc.message, exc.row, exc.column)
    return out
