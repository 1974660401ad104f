"""data.police.uk street-level crime: reader, validator and cleaner.

One CSV per force per month (``YYYY-MM-<force>-street.csv``, also gzipped or inside
a monthly archive ``.zip``), Open Government Licence v3.0. Each row is kept or
quarantined with the first rule it breaks (`REASONS`); clean rows are aggregated to
month × LSOA × crime type counts, and the row-level file is never written to
``data/processed/``. When the same force-month is supplied by more than one input
(overlapping monthly archives), the copy from the input that sorts last by name
(the latest archive) is kept and the others are quarantined as ``superseded_month``.

The modules, in the order a file goes through them:

* `format` — the header, columns, crime types, quarantine reasons, file names;
* `archives` — members of ``.csv``, ``.csv.gz`` and monthly ``.zip`` files;
* `parsing` — one file's bytes into Arrow string columns (both paths start here);
* `rules` — the cleaning rules, row by row with pandas (the reference path, `clean()`);
* `columns`, `index`, `quarantined`, `fastpath` — the fast path (`load_fast()`): the
  file parsed once, the rules that depend only on a value (month format, force,
  crime type, LSOA → authority) evaluated once per distinct value with the
  reference path's pandas code and cached across files (`AreaIndex`), rows carrying
  integer codes, pandas frames built for the quarantined rows alone. Both paths give
  the same kept aggregate and the same quarantine, row for row
  (``tests/test_police_fastpath.py``);
* `overlaps` — inputs supplying the same force-month, and month coverage;
* `workers` — many files read in worker processes, Arrow's memory pool;
* `cached` — a file's results as a build-cache entry and back, so that an unchanged
  input is not read again (`lvrn_analysis.processed.cache`);
* `embedded` — the embedded aggregate of real files shipped with the package;
* `ingestion` — `ingest()`, the one entry point of the build: files (or the
  embedded aggregate) and the area in; the kept table, month coverage, quarantine
  and row accounting out.

Areas covering several forces (a national comparison) are
`lvrn_analysis.config.areas.MultiForceArea` configurations: ``Falls within`` must
name one of their forces and LSOAs are placed by the same LSOA-name rule in their
own list of authorities.

The names below are this package's public surface (the source registry, the
command line, the story pages, the synthetic twins, tests and benchmarks use them).
"""

from lvrn_analysis.sources.police.archives import iter_members
from lvrn_analysis.sources.police.embedded import (
    EMBED_COLUMNS,
    REPEAT_OF_FIRST,
    build_embedded_aggregate,
    load_embedded,
    read_embedded,
    repeat_of_first,
)
from lvrn_analysis.sources.police.fastpath import (
    PoliceFileResult,
    empty_kept,
    iter_fast,
    load_bytes,
    load_fast,
    load_police_path,
)
from lvrn_analysis.sources.police.format import (
    AGG_KEYS,
    ASB,
    COLUMNS,
    CRIME_TYPES,
    GEO_STATUS,
    HEADER,
    REASONS,
    SOURCE,
    month_from_name,
    slug_from_name,
    sniff,
)
from lvrn_analysis.sources.police.index import AreaIndex, area_index
from lvrn_analysis.sources.police.ingestion import (
    KeptSink,
    PoliceIngest,
    group_sizes,
    ingest,
    ingest_results,
    streamable,
)
from lvrn_analysis.sources.police.overlaps import month_coverage, resolve_overlaps
from lvrn_analysis.sources.police.parsing import parse_street_csv, parse_street_table
from lvrn_analysis.sources.police.rules import (
    aggregate,
    clean,
    load_bytes_reference,
)
from lvrn_analysis.sources.police.workers import ingest_memory_pool, police_workers

__all__ = [
    "AGG_KEYS",
    "ASB",
    "COLUMNS",
    "CRIME_TYPES",
    "EMBED_COLUMNS",
    "GEO_STATUS",
    "HEADER",
    "REASONS",
    "REPEAT_OF_FIRST",
    "SOURCE",
    "AreaIndex",
    "KeptSink",
    "PoliceFileResult",
    "PoliceIngest",
    "aggregate",
    "area_index",
    "build_embedded_aggregate",
    "clean",
    "empty_kept",
    "group_sizes",
    "ingest",
    "ingest_memory_pool",
    "ingest_results",
    "iter_fast",
    "iter_members",
    "load_bytes",
    "load_bytes_reference",
    "load_embedded",
    "load_fast",
    "load_police_path",
    "month_coverage",
    "month_from_name",
    "parse_street_csv",
    "parse_street_table",
    "police_workers",
    "read_embedded",
    "repeat_of_first",
    "resolve_overlaps",
    "slug_from_name",
    "sniff",
    "streamable",
]
