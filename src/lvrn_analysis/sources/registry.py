"""The list of sources the build and ``lvrn validate`` know about.

A `SourceSpec` says how to recognise a file of the source from its first
line, how to load it, and where raw files of the source are dropped
(``data/raw/<raw_dir>/``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.validation import LoadResult


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
    processed_name
        Stem of the processed parquet table (``data/processed/<stem>.parquet``).
    default_inputs
        ``default_inputs(area) -> list of paths``: inputs to load when
        ``data/raw/<raw_dir>/`` is empty (e.g. real reference data the package ships).
    processed_table
        ``processed_table(results, area) -> DataFrame``: the processed table built
        from every load result (default: the kept rows concatenated).
    """

    name: str
    description: str
    raw_dir: str
    patterns: tuple[str, ...]
    load: Callable[[Path, AreaConfig], list[LoadResult]]
    sniff: Callable[[str], bool]
    person_level: bool = False
    processed_name: str = ""
    default_inputs: Callable[[AreaConfig], list] | None = None
    processed_table: Callable[[list[LoadResult], AreaConfig], object] | None = None


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
        processed_name="police_street",
    )


def _with_hooks(spec: SourceSpec, module: object) -> SourceSpec:
    """Return ``spec`` with the module's ``default_inputs`` and ``processed_table`` hooks."""
    hooks = {h: getattr(module, h) for h in ("default_inputs", "processed_table")
             if callable(getattr(module, h, None))}
    return dataclasses.replace(spec, **hooks)


def _fingertips() -> SourceSpec:
    from lvrn_analysis.sources import fingertips

    spec = SourceSpec(
        name="fingertips",
        description="Fingertips (OHID) indicator export (CSV from the website or API)",
        raw_dir="fingertips",
        patterns=("*.csv",),
        load=fingertips.load_fingertips,
        sniff=fingertips.sniff,
        person_level=False,
        processed_name="fingertips",
    )
    return _with_hooks(spec, fingertips)


def _indicators_real() -> SourceSpec:
    from lvrn_analysis.sources import indicators_real

    spec = SourceSpec(
        name="indicators_real",
        description="Real indicator values: reduced Fingertips layout (area_code, area_name, "
                    "period, value, indicator, …) or DfE NCCIS NEET scorecard (real data "
                    "shipped)",
        raw_dir="indicators_real",
        patterns=("*.csv", "*.csv.gz"),
        load=indicators_real.load_indicators_real,
        sniff=indicators_real.sniff,
        person_level=False,
        processed_name="indicators_real",
    )
    return _with_hooks(spec, indicators_real)


def _ed() -> SourceSpec:
    from lvrn_analysis.sources import ed

    spec = SourceSpec(
        name="ed",
        description="Emergency-department assault attendances, ECDS/ISTV layout (person-level CSV)",
        raw_dir="ed",
        patterns=("*.csv",),
        load=ed.load_ed,
        sniff=ed.sniff,
        person_level=True,
        processed_name="ed_attendances",
    )
    return _with_hooks(spec, ed)


def _navigator() -> SourceSpec:
    from lvrn_analysis.sources import navigator

    spec = SourceSpec(
        name="navigator",
        description="ED Navigator contacts: the scheme's caseload of 10-39-year-olds after "
                    "violence, self-harm or overdose (person-level CSV)",
        raw_dir="navigator",
        patterns=("*.csv",),
        load=navigator.load_navigator,
        sniff=navigator.sniff,
        person_level=True,
        processed_name="navigator_contacts",
    )
    return _with_hooks(spec, navigator)


def _crime_tables() -> SourceSpec:
    from lvrn_analysis.sources import crime_tables

    spec = SourceSpec(
        name="crime_tables",
        description="Home Office police recorded crime by Community Safety Partnership "
                    "(CSV, xlsx or ods; the published prc-csp layout)",
        raw_dir="crime_tables",
        patterns=("*.csv", "*.xlsx", "*.ods"),
        load=crime_tables.load_crime_table,
        sniff=crime_tables.sniff,
        person_level=False,
        processed_name="csp_crime",
    )
    return _with_hooks(spec, crime_tables)


def _imd() -> SourceSpec:
    from lvrn_analysis.sources import imd

    spec = SourceSpec(
        name="imd",
        description="English Indices of Deprivation 2019, local-authority summaries "
                    "(File 10 or humaniverse layout; real data shipped)",
        raw_dir="imd",
        patterns=("*.csv", "*.xlsx"),
        load=imd.load_imd,
        sniff=imd.sniff,
        person_level=False,
        processed_name="imd2019",
    )
    return _with_hooks(spec, imd)


def _education() -> SourceSpec:
    from lvrn_analysis.sources import education

    spec = SourceSpec(
        name="education",
        description="DfE key stage 4 school performance tables (YYYY-YYYY_LLL_ks4final.csv)",
        raw_dir="education",
        patterns=("*ks4*.csv",),
        load=education.load_ks4,
        sniff=education.sniff,
        person_level=False,
        processed_name="ks4_by_la",
    )
    return _with_hooks(spec, education)


def _programmes() -> SourceSpec:
    from lvrn_analysis.sources import programmes

    spec = SourceSpec(
        name="programmes",
        description="Programme monitoring figures (cited table; LVRN report figures shipped)",
        raw_dir="programmes",
        patterns=("*.csv",),
        load=programmes.load_programmes,
        sniff=programmes.sniff,
        person_level=False,
        processed_name="programme_monitoring",
    )
    return _with_hooks(spec, programmes)


#: Factories for every registered source, in build order. Other source modules add
#: their factory here.
_FACTORIES: list[Callable[[], SourceSpec]] = [
    _police, _fingertips, _indicators_real, _ed, _navigator, _crime_tables, _imd, _education,
    _programmes,
]


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
