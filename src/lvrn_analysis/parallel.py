"""Worker processes: how many by default, and a pool started the same way everywhere.

The police source (files read for the build, `lvrn_analysis.sources.police.workers`),
the national benchmark generator and the framework placebo tests spread independent
work over processes. On Linux the pool forks: workers start at once, inherit what
the parent has loaded and need no ``if __name__ == "__main__":`` guard in the calling
script; elsewhere they spawn.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def default_workers() -> int:
    """Return the default number of worker processes: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def process_pool(workers: int, **kwargs: Any) -> ProcessPoolExecutor:
    """Return a process pool that forks on Linux and spawns elsewhere.

    Parameters
    ----------
    workers
        Number of worker processes.
    **kwargs
        Passed to `concurrent.futures.ProcessPoolExecutor` (``initializer``,
        ``initargs``).

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        The pool (use it as a context manager).
    """
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, **kwargs)
