"""lvrn-analysis: violence-reduction analytics from raw data to an evaluated story.

The package cleans and validates the sources a Violence Reduction Unit's needs
assessment uses (data.police.uk street-level crime, Fingertips exports, ECDS/ISTV-layout
emergency-department assault attendances), computes indicator statistics with honest
intervals, fits interrupted time series against an outcomes framework, and applies
disclosure control to everything that is published.
"""

from __future__ import annotations

import os as _os

# Arrow's bundled jemalloc (the pool the police build reads files with, see
# sources.police.ingest_memory_pool) reads its options once, when pyarrow loads.
# By default it gives freed pages straight back to the system, so each file's and
# each row group's buffers are faulted in afresh; with "muzzy" pages kept, freed
# pages are only marked reclaimable (MADV_FREE: the kernel takes them back when it
# needs memory) and the next buffers reuse them. At 20 million rows this cut the
# build's page faults by half or more (docs/benchmarks.md). It only takes effect if
# pyarrow is not loaded yet, and never overrides a setting already made.
_os.environ.setdefault("JE_ARROW_MALLOC_CONF", "muzzy_decay_ms:-1")

__version__ = "0.1.0"

from lvrn_analysis import _aliases  # noqa: E402  (after the jemalloc setting above)

_aliases.install()

__all__ = ["__version__"]
