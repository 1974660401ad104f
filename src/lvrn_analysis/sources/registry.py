"""The list of sources the build and ``lvrn validate`` know about.

A :class:`SourceSpec` says how to recognise a file of the source from its first
line, how to load it, and where raw files of the source are dropped
(``data/raw/<raw_dir>/``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lvrn_analysis.config import AreaConfig
from lvrn_analysis.validation import LoadResult


@dataclass(frozen=True)
class SourceSpec:
    """How to find, recognise and load one source.

    Attributes
    ----------
    name
        Source name used on the command line (``lvrn validate police FILE``).
    description
        One line for ``--help`` and the data dictionary.
    raw_dir
        Sub-folder of ``data/raw/`` where its files are dropped.
    patterns
        Glob patterns of its files inside ``raw_dir``.
    load
        ``load(path, area) -> list[LoadResult]`` (an archive may hold several files).
    sniff
        ``sniff(first_line) -> bool``: does a file's header look like this source?
    person_level
        Whether rows are about individual people (then only disclosure-controlled
        aggregates may be published).
    synthesize
        ``synthesize(out_dir, area) -> list[dict]``: write the deterministic
        synthetic twin of the source, in the exact real format, into ``out_dir``
        and return its ground-truth records (injected effects, association
        structure) as a list of plain dicts; ``None`` if the source has no twin.
    processed_name
        Stem of the processed parquet table (``data/processed/<stem>.parquet``).
    """

    name: str
    description: str
    raw_dir: str
    patterns: tuple[str, ...]
    load: Callable[[Path, AreaConfig], list[LoadResult]]
    sniff: Callable[[str], bool]
    person_level: bool = False
    synthesize: Callable[[Path, AreaConfig], list[dict]] | None = None
    processed_name: str = ""


def _police() -> SourceSpec:
    from lvrn_analysis.sources import police

    return SourceSpec(
        name="police",
        description="data.police.uk street-level crime (CSV, .csv.gz or monthly archive .zip)",
        raw_dir="police",
        patterns=("*-street.csv", "*-street.csv.gz", "*.zip"),
        load=police.load_police_path,
        sniff=police.sniff,
        person_level=False,
        synthesize=police.synthesize_default,
        processed_name="police_street",
    )


#: Factories for every registered source, in build order. Other source modules add
#: their factory here.
_FACTORIES: list[Callable[[], SourceSpec]] = [_police]


def sources() -> dict[str, SourceSpec]:
    """Return the registered sources by name (build order)."""
    out: dict[str, SourceSpec] = {}
    for f in _FACTORIES:
        spec = f()
        out[spec.name] = spec
    return out


def detect(first_line: str) -> SourceSpec | None:
    """Return the source whose header matches ``first_line``, or ``None``."""
    for spec in sources().values():
        if spec.sniff(first_line):
            return spec
    return None
