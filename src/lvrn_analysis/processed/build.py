"""The build: raw (or embedded, or synthetic) inputs → processed parquet + manifest.

``lvrn build`` runs `build()`. For each registered source it

1. reads the files dropped in ``data/raw/<source>/`` (real extracts), or, where
   there are none, the embedded real data shipped with the package (police), or
   the source's deterministic synthetic twin (written to ``data/synthetic/``);
2. validates and cleans them, quarantining bad rows with reasons;
3. writes ``data/processed/<table>.parquet``, ``data/processed/quarantine/<table>.parquet``
   and one ``data/processed/manifest.json`` that records, for every input, its
   SHA-256 and rows in = kept + rejected (by reason), plus every output's SHA-256.

The police source always gets two tables: ``police_street`` (real: raw files or
the embedded aggregate) and ``police_street_synthetic`` (the long synthetic
series for the time-series pages, calibrated to the real table). An area whose file
names ``comparators`` also gets ``police_street_comparators``: those areas' real
police data, read the same way (`_comparator_tables()`).

Outputs are deterministic: rows are sorted, parquet metadata carries no
timestamps, and the manifest holds no dates or absolute paths.

Inputs whose bytes, label and processing code are unchanged since the last build
are not read again: their results come from ``data/processed/.cache/``
(`lvrn_analysis.processed.cache`), and the row groups of the kept police tables
that hold only such inputs' rows are copied from the previous build's file
(`lvrn_analysis.processed.splice`). The outputs are byte for byte those of a build
without the cache (``cache=False``, ``lvrn build --no-cache``), the manifest
included: which inputs came from the cache is written to
``data/processed/.cache/last-build.json`` (`BuildReport.cache`) instead.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from lvrn_analysis import __version__
from lvrn_analysis.config.areas import AreaConfig, load_comparators
from lvrn_analysis.processed.cache import CACHE_DIR, BuildCache, ScopedCache
from lvrn_analysis.processed.splice import TableRecord, read_parts, splice_file
from lvrn_analysis.processed.store import MANIFEST
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import SourceSpec, sources
from lvrn_analysis.sources.validation import WEIGHT, LoadResult, sha256_file
from lvrn_analysis.synthetic.twins import twin


@dataclass
class BuildReport:
    """What a build read and wrote.

    Attributes
    ----------
    inputs
        One manifest record per input file.
    outputs
        ``{path: {"sha256": ..., "rows": ...}}``.
    origins
        Table → ``"real"``, ``"real (embedded)"`` or ``"synthetic"``.
    missing_months
        Force → list of ``YYYY-MM`` months with no data in the real police table.
    ground_truth
        Records of the effects injected into synthetic data.
    notes
        Build-level notes (e.g. which data calibrated a synthetic series).
    cache
        What the build cache gave (inputs taken from it or read, notes), as written
        to ``<out>/.cache/last-build.json``; ``{"used": False}`` without the cache.
        Not in the manifest, which is the same with or without the cache.
    """

    inputs: list[dict] = field(default_factory=list)
    outputs: dict[str, dict] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    ground_truth: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        """Return rows in, kept and rejected summed over inputs."""
        return {k: sum(int(r[k]) for r in self.inputs)
                for k in ("rows_in", "rows_kept", "rows_rejected")}


def _rel(path: Path | str) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def _relabel(label: str) -> str:
    head, sep, member = label.partition("!")
    return _rel(head) + (sep + member if sep else "")


def _relabel_result(r: LoadResult) -> None:
    """Make a result's file labels relative (no absolute paths in processed tables)."""
    old = r.path
    r.path = _relabel(r.path)
    for frame in (r.kept, r.rejected):
        if not frame.empty and "file" in frame.columns:
            frame["file"] = frame["file"].astype("string").str.replace(old, r.path,
                                                                      regex=False)


def _stringify(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return out


#: Columns of the kept police table with min/max statistics in each row group. The
#: table is sorted by month first, so month statistics let readers skip row groups;
#: a row group spans every force and authority, so the string columns' statistics
#: would skip nothing and cost a third of the writing time.
KEPT_STATISTICS = ["month"]


def write_parquet(df: pd.DataFrame, path: Path, statistics: list[str] | None = None,
                  row_groups: list[int] | None = None) -> dict:
    """Write a frame to parquet deterministically and return its manifest entry.

    ``statistics`` limits the row-group statistics to these columns (default: all);
    ``row_groups`` gives the rows of each row group (default: pyarrow's, 1,048,576
    rows each), written as ``DataFrame.to_parquet`` writes them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    df = _stringify(df).reset_index(drop=True)
    stats = True if statistics is None else statistics
    if row_groups is None:
        df.to_parquet(path, index=False, compression="snappy", write_statistics=stats)
    else:
        if sum(row_groups) != len(df):
            raise ValueError(f"row groups of {sum(row_groups)} rows for {len(df)} rows")
        table = pa.Table.from_pandas(df, preserve_index=False)
        with pq.ParquetWriter(path, table.schema, compression="snappy",
                              write_statistics=stats) as writer:
            at = 0
            for n in row_groups:
                writer.write_table(table.slice(at, n))
                at += n
    return {"sha256": sha256_file(path), "rows": len(df)}


def _files(raw: Path, spec: SourceSpec) -> list[Path]:
    d = raw / spec.raw_dir
    if not d.is_dir():
        return []
    found = {p for pat in spec.patterns for p in d.glob(pat) if p.is_file()}
    return sorted(found)


def _load_all(paths: list[Path], spec: SourceSpec, area: AreaConfig, desc: str,
              progress: bool, cache: ScopedCache | None = None) -> list[LoadResult]:
    results: list[LoadResult] = []
    for p in tqdm(paths, desc=desc, unit="file", disable=not progress or None, leave=False):
        key = None if cache is None else cache.key(p, _rel(p))
        got = None if key is None else cache.load(key)  # type: ignore[union-attr]
        if not (isinstance(got, list) and all(isinstance(r, LoadResult) for r in got)):
            got = spec.load(p, area)
            for r in got:
                _relabel_result(r)
            if key is not None:
                cache.store(key, got)  # type: ignore[union-attr]
        results.extend(got)
    return results


def _relabel_file(label: str) -> str:
    """`_relabel()` for a plain file label, resolving its folder once per folder."""
    if "!" in label or os.path.islink(label):
        return _relabel(label)
    head, name = os.path.split(label)
    return _rel_dir(head, os.getcwd()) + name


@functools.lru_cache(maxsize=64)
def _rel_dir(head: str, cwd: str) -> str:
    rel = _rel(Path(head or "."))
    return "" if rel == "." else rel.rstrip("/") + "/"


#: Most rows in a row group of the kept police table (pyarrow's default for
#: ``write_table``). Row groups also end at a month's end once they hold a sixteenth
#: of this (`lvrn_analysis.sources.police.group_sizes()`), both when the table is
#: streamed and when it is written as one frame, so the two give the same bytes and
#: an added month leaves the earlier row groups as they were.
KEPT_CHUNK_ROWS = 1 << 20


def _police_tables(area: AreaConfig, paths: list[Path] | None, out: Path, stem: str,
                   report: BuildReport, origin: str, *, desc: str = "police",
                   progress: bool = False, stream: bool | None = None,
                   chunk_rows: int | None = None, cache: BuildCache | None = None) -> None:
    """Build one police table (``stem``) from files, or the embedded aggregate if ``None``.

    `lvrn_analysis.sources.police.ingest()` reads the inputs and sends the kept
    table to a `_KeptWriter`; the month coverage, the quarantine and the accounting
    records it returns are written here. With a ``cache``, unchanged inputs are not
    read again and unchanged row groups of the kept table are copied.
    """
    chunk_rows = KEPT_CHUNK_ROWS if chunk_rows is None else chunk_rows
    use = cache is not None and paths is not None
    # the previous table is read when the first chunk asks for it, while the worker
    # processes read the new files
    previous = functools.partial(cache.table_record, stem, origin, chunk_rows) if use \
        else None  # type: ignore[union-attr]
    kept = _KeptWriter(out / f"{stem}.parquet", origin, chunk_rows, previous=previous,
                       track=use)
    got = police.ingest(area, kept, paths, relabel=_relabel_file, desc=desc,
                        progress=progress, stream=stream,
                        cache=cache.scope(stem, repr(area), "police") if use  # type: ignore[union-attr]
                        else None)
    _police_outputs(got, kept, out, stem, report, origin)
    if use:
        cache.row_groups[stem] = [sum(old for old, _ in kept.pieces),  # type: ignore[union-attr]
                                  len(kept.pieces)]
    if use and kept.tokens:
        cache.save_table(stem, kept.path, origin, chunk_rows, kept.tokens,  # type: ignore[union-attr]
                         kept.group_rows, report.outputs[_rel(kept.path)]["sha256"])


def _police_outputs(got: police.PoliceIngest, kept: _KeptWriter, out: Path, stem: str,
                    report: BuildReport, origin: str) -> None:
    """Write what `_police_tables()` read and record it in the report."""
    for rec in got.records:
        report.inputs.append(rec | {"table": stem, "origin": origin})
    report.outputs[_rel(kept.path)] = kept.close()
    cov = got.coverage.copy()
    cov.insert(0, "origin", origin)
    report.outputs[_rel(out / f"{stem}_months.parquet")] = write_parquet(
        cov, out / f"{stem}_months.parquet")
    qpath = out / "quarantine" / f"{stem}.parquet"
    report.outputs[_rel(qpath)] = write_parquet(got.quarantine, qpath)
    report.origins[stem] = origin
    if origin.startswith("real"):
        report.missing_months.update(got.missing_months())


class _KeptWriter:
    """Writes the kept police table (a `lvrn_analysis.sources.police.KeptSink`).

    Whole (`write_frame()`: `write_parquet()` with ``origin`` first) or chunk by
    chunk (`write_chunk()`: one row group each), with the same bytes: a chunk's
    columns get the schema (types and pandas metadata) that ``pa.Table.from_pandas``
    gives the whole frame, taken once from a one-row frame built the frame path's
    way (`_frame()`), so the parquet bytes are the same without a frame per chunk.

    With the ``previous`` build's table (`lvrn_analysis.processed.splice.TableRecord`),
    a chunk whose identity matches one of its row groups (`reuse_chunk()`) is not
    built: the new chunks are written to a side file and the output is spliced
    from both (`lvrn_analysis.processed.splice.splice()`), the bytes pyarrow writes
    for the whole table. ``track`` keeps each row group's identity (`tokens`).
    """

    def __init__(self, path: Path, origin: str, chunk_rows: int = KEPT_CHUNK_ROWS, *,
                 previous: TableRecord | Callable[[], TableRecord | None] | None = None,
                 track: bool = False) -> None:
        self.path = path
        self.origin = origin
        self.chunk_rows = chunk_rows
        self.rows = 0
        self._entry: dict = {}
        self._fh = None
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._previous = previous
        self._reusable: dict[str, int] | None = None
        self.track = track or previous is not None
        #: per row group: identity of its rows (``None``: unknown) and rows
        self.tokens: list[str | None] = []
        self.group_rows: list[int] = []
        #: per row group: whether it comes from the previous file, and its position there
        #: (or among the new row groups)
        self.pieces: list[tuple[bool, int]] = []
        self._pending: str | None = None
        self._new_path = path

    @property
    def previous(self) -> TableRecord | None:
        """The previous build's table (read on first use when given as a function)."""
        if callable(self._previous):
            self._previous = self._previous()
        return self._previous

    def reuse_chunk(self, token: str | None, rows: int) -> bool:
        """Take a chunk from the previous build's file if it has these rows."""
        if self._reusable is None:
            self._reusable = self.previous.index() if self.previous is not None else {}
        i = self._reusable.get(token) if token is not None else None
        if i is None or self.previous is None or self.previous.rows[i] != rows:
            self._pending = token
            return False
        self.pieces.append((True, i))
        self.tokens.append(token)
        self.group_rows.append(rows)
        self.rows += rows
        return True

    def write_frame(self, kept: pd.DataFrame) -> None:
        """Write the whole table (``origin`` is inserted first)."""
        kept.insert(0, "origin", self.origin)
        self._entry = write_parquet(kept, self.path, KEPT_STATISTICS, police.group_sizes(
            kept["month"].to_numpy(), self.chunk_rows))
        self.tokens, self.group_rows = [], []

    def write_chunk(self, kept: pa.Table) -> None:
        """Write the next chunk of the table as one row group."""
        if self._schema is None:
            self._schema = pa.Table.from_pandas(_stringify(self._frame(kept.slice(0, 1))),
                                                preserve_index=False).schema
        origin = pa.repeat(pa.scalar(self.origin, pa.large_string()), kept.num_rows)
        table = pa.Table.from_arrays(
            [origin if f.name == "origin" else kept.column(f.name) for f in self._schema],
            schema=self._schema)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.previous is not None:  # the output is spliced from both files
                self._new_path = self.path.with_name(self.path.name + ".new")
            self._fh = open(self._new_path, "wb")  # noqa: SIM115 (closed in close())
            self._writer = pq.ParquetWriter(self._fh, table.schema, compression="snappy",
                                            write_statistics=KEPT_STATISTICS)
        self._writer.write_table(table)
        self.pieces.append((False, sum(not old for old, _ in self.pieces)))
        self.tokens.append(self._pending)
        self.group_rows.append(table.num_rows)
        self._pending = None
        self.rows += table.num_rows

    def close(self) -> dict:
        """Finish the file and return its manifest entry (``{}`` if nothing was written)."""
        if self._writer is not None:
            self._writer.close()
            self._fh.close()  # type: ignore[union-attr]
            self._writer = None
        if any(old for old, _ in self.pieces):
            assert self.previous is not None
            new = (read_parts(self._new_path.read_bytes())
                   if any(not old for old, _ in self.pieces) else None)
            _, sha = splice_file([(self.previous.parts if old else new, i)  # type: ignore[misc]
                                  for old, i in self.pieces], self.path,
                                 template=new if new is not None else self.previous.parts)
            if self._new_path != self.path:
                self._new_path.unlink(missing_ok=True)
            self._entry = {"sha256": sha, "rows": self.rows}
        elif self.pieces:
            if self._new_path != self.path:
                os.replace(self._new_path, self.path)
            self._entry = {"sha256": sha256_file(self.path), "rows": self.rows}
        return self._entry

    def _frame(self, kept: pa.Table) -> pd.DataFrame:
        """Return a chunk as a frame with the frame path's dtypes (used once, for the schema)."""
        frame = pd.DataFrame({
            "month": kept.column("month").to_numpy(),
            **{name: pd.arrays.ArrowStringArray(kept.column(name))
               for name in ("force", "la_code", "la_name", "lsoa_code", "crime_type",
                            "geo_status")},
            "count": kept.column("count").to_numpy(),
        })
        frame.insert(0, "origin", self.origin)
        return frame


def build(
    area: AreaConfig,
    *,
    raw_dir: Path | str = "data/raw",
    out_dir: Path | str = "data/processed",
    synthetic_dir: Path | str = "data/synthetic",
    synthetic: bool = True,
    progress: bool = True,
    cache: bool = True,
) -> BuildReport:
    """Build every processed table and the manifest.

    Parameters
    ----------
    area
        Area configuration.
    raw_dir
        Folder with real extracts, one sub-folder per source (``police/`` …), and
        ``comparators/<area id>/`` for the police files of a comparator area.
    out_dir
        Folder for the parquet tables, quarantine and manifest (replaced).
    synthetic_dir
        Folder the synthetic twins are written to (regenerated each build).
    synthetic
        Whether to generate and build the synthetic twins.
    progress
        Show progress bars on multi-file work.
    cache
        Reuse the results of unchanged inputs kept in ``<out_dir>/.cache/`` and
        update it (`lvrn_analysis.processed.cache`); ``False`` reads and writes no
        cache. The outputs are the same either way.

    Returns
    -------
    BuildReport
        What was read and written (also saved as ``manifest.json``).

    Raises
    ------
    lvrn_analysis.sources.validation.SourceError
        If a raw file cannot be used at all (the message names it).
    """
    out = Path(out_dir)
    store = BuildCache(out / CACHE_DIR) if cache else None
    report = _build(area, Path(raw_dir), out, Path(synthetic_dir), synthetic, progress, store)
    if store is not None:
        store.finish()
        report.cache = store.summary()
    else:
        report.cache = {"used": False}
    return report


def _build(area: AreaConfig, raw: Path, out: Path, syn: Path, synthetic: bool,
           progress: bool, cache: BuildCache | None = None) -> BuildReport:
    """Do the work of `build()` (same parameters; ``cache``: the build cache or ``None``)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.rglob("*.parquet")):
        old.unlink()
    # a failed build must not leave the previous manifest describing deleted tables
    (out / MANIFEST).unlink(missing_ok=True)
    (out / "ground_truth.json").unlink(missing_ok=True)
    report = BuildReport()
    specs = sources()

    # --- police: real (dropped files or embedded aggregate)
    pspec = specs["police"]
    files = _files(raw, pspec)
    if files:
        _police_tables(area, files, out, "police_street", report, "real",
                       desc="police (raw)", progress=progress, cache=cache)
    elif area.embedded_police:
        _police_tables(area, None, out, "police_street", report,
                       "real (embedded data.police.uk aggregate)")
    else:
        raise FileNotFoundError(
            f"no police files in {raw / pspec.raw_dir} and area {area.id!r} has no "
            "embedded police data"
        )
    # --- police: synthetic long series calibrated on the real table
    if synthetic:

        real = pd.read_parquet(out / "police_street.parquet").rename(columns={"count": WEIGHT})
        sdir = syn / "police"
        _clear(sdir)
        report.ground_truth += _write_synthetic_police(sdir, area, real, report)
        _police_tables(area, _files(syn, pspec), out, "police_street_synthetic", report,
                       "synthetic", desc="police (synthetic)", progress=progress,
                       cache=cache)

    # --- police: the comparator areas' real data (the area file's `comparators`)
    _comparator_tables(area, raw, out, report, progress, cache)

    # --- every other registered source
    for name, spec in specs.items():
        if name == "police":
            continue
        _build_generic(spec, area, raw, out, syn, report, synthetic, progress, cache)

    gt_path = out / "ground_truth.json"
    _write_json(gt_path, report.ground_truth)
    report.outputs[_rel(gt_path)] = {"sha256": sha256_file(gt_path),
                                     "rows": len(report.ground_truth)}
    manifest = {
        "lvrn_analysis_version": __version__,
        "area": {"id": area.id, "name": area.name, "config": area.source},
        "origins": dict(sorted(report.origins.items())),
        "totals": report.totals(),
        "inputs": sorted(report.inputs, key=lambda r: (r["table"], r["file"])),
        "outputs": dict(sorted(report.outputs.items())),
        "police_missing_months": report.missing_months,
        "notes": report.notes,
        "licences": {
            "police_street": "Contains public sector information licensed under the Open "
                             "Government Licence v3.0 (data.police.uk).",
        },
        # what `lvrn fetch` downloaded into data/raw/<folder>/ (URL, size, SHA-256 per file)
        "fetched": {p.parent.name: json.loads(p.read_text(encoding="utf-8")).get("files", {})
                    for p in sorted(raw.glob("*/fetch-log.json"))},
    }
    _write_json(out / MANIFEST, manifest)
    return report


#: Table of the comparator areas' real police data (`_comparator_tables()`).
COMPARATORS_TABLE = "police_street_comparators"


class _FrameSink:
    """Collects a kept police table in memory (a `lvrn_analysis.sources.police.KeptSink`).

    For comparator areas (a VRU area each, a few hundred thousand kept rows at most),
    whose tables are joined before they are written.
    """

    chunk_rows = KEPT_CHUNK_ROWS

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def write_frame(self, kept: pd.DataFrame) -> None:
        """Take the whole kept table."""
        self.parts.append(kept)

    def write_chunk(self, kept: pa.Table) -> None:
        """Take the next chunk of the kept table."""
        self.parts.append(kept.to_pandas(types_mapper={pa.large_string(): pd.StringDtype(),
                                                       pa.string(): pd.StringDtype()}.get))

    def frame(self) -> pd.DataFrame:
        """Return the kept table received."""
        return pd.concat(self.parts, ignore_index=True)


def _comparator_tables(area: AreaConfig, raw: Path, out: Path, report: BuildReport,
                       progress: bool, cache: BuildCache | None = None) -> None:
    """Build `COMPARATORS_TABLE`: the real police data of the area's comparator areas.

    Each comparator (`lvrn_analysis.config.areas.load_comparators()`) is read through
    `lvrn_analysis.sources.police.ingest()` with its own force and authorities, from
    the files in ``data/raw/comparators/<id>/`` if there are any, else from its
    embedded aggregate. The kept tables (sorted by month, then force), their month
    coverage and their quarantines are joined into one table each; every input file
    gets a manifest record (rows in = kept + rejected) naming its comparator.

    Raises
    ------
    FileNotFoundError
        If a comparator has neither raw files nor embedded police data.
    """
    comps = load_comparators(area)
    if not comps:
        return
    pspec = sources()["police"]
    kept, cover, quar, origins = [], [], [], []
    for comp in comps:
        files = _files(raw, dataclasses.replace(pspec, raw_dir=f"comparators/{comp.id}"))
        if files:
            origin = "real"
        elif comp.embedded_police:
            files, origin = None, "real (embedded data.police.uk aggregate)"
        else:
            raise FileNotFoundError(
                f"comparator {comp.id!r} of area {area.id!r}: no police files in "
                f"{raw / 'comparators' / comp.id} and no embedded police data")
        sink = _FrameSink()
        got = police.ingest(comp, sink, files, relabel=_relabel_file,
                            desc=f"police (comparator {comp.id})", progress=progress,
                            cache=None if cache is None or files is None else
                            cache.scope(COMPARATORS_TABLE, repr(comp), "police"))
        for rec in got.records:
            report.inputs.append(rec | {"table": COMPARATORS_TABLE, "origin": origin,
                                        "comparator": comp.id})
        frame = sink.frame()
        frame.insert(0, "origin", origin)
        kept.append(frame)
        cov = got.coverage.copy()
        cov.insert(0, "origin", origin)
        cover.append(cov)
        quar.append(got.quarantine)
        origins.append(origin)
        missing = got.missing_months()
        report.notes.append(
            f"{COMPARATORS_TABLE}: comparator {comp.id} ({comp.force}), "
            f"{cov['month'].min():%Y-%m} to {cov['month'].max():%Y-%m}, "
            + ("; ".join(f"{f} missing {', '.join(m)}" for f, m in missing.items() if m)
               or "no month missing") + ".")
    table = pd.concat(kept, ignore_index=True)
    table = table.sort_values(["month", "force"], kind="mergesort").reset_index(drop=True)
    report.outputs[_rel(out / f"{COMPARATORS_TABLE}.parquet")] = write_parquet(
        table, out / f"{COMPARATORS_TABLE}.parquet", KEPT_STATISTICS)
    report.outputs[_rel(out / f"{COMPARATORS_TABLE}_months.parquet")] = write_parquet(
        pd.concat(cover, ignore_index=True), out / f"{COMPARATORS_TABLE}_months.parquet")
    rej = pd.concat(quar, ignore_index=True)
    rej = rej.sort_values([c for c in ("file", "row", "reason") if c in rej.columns],
                          na_position="first", kind="mergesort")
    qpath = out / "quarantine" / f"{COMPARATORS_TABLE}.parquet"
    report.outputs[_rel(qpath)] = write_parquet(rej, qpath)
    report.origins[COMPARATORS_TABLE] = "; ".join(dict.fromkeys(origins))


def _build_generic(spec: SourceSpec, area: AreaConfig, raw: Path, out: Path, syn: Path,
                   report: BuildReport, synthetic: bool, progress: bool,
                   cache: BuildCache | None = None) -> None:
    files = _files(raw, spec)
    origin = "real"
    if not files and spec.default_inputs is not None:
        files = list(spec.default_inputs(area))
        origin = "real (shipped reference data)"
    if not files:
        write_twin = twin(spec.name)
        if not synthetic or write_twin is None:
            return
        d = syn / spec.raw_dir
        _clear(d)
        report.ground_truth += write_twin(d, area)
        files = _files(syn, spec)
        origin = "synthetic"
    stem = spec.processed_name or spec.name
    results = _load_all(files, spec, area, f"{spec.name} ({origin})", progress,
                        None if cache is None else cache.scope(stem, repr(area)))
    for r in results:
        r.check_accounting()
        report.inputs.append(r.as_record() | {"table": spec.processed_name, "origin": origin})
    if spec.processed_table is not None:
        kept = spec.processed_table(results, area).reset_index(drop=True)
    else:
        kept = pd.concat([r.kept for r in results], ignore_index=True) if results else \
            pd.DataFrame()
        kept = kept.sort_values(list(kept.columns), kind="mergesort", na_position="first")
    kept.insert(0, "origin", origin)
    rej = pd.concat([r.rejected for r in results], ignore_index=True) if results else \
        pd.DataFrame()
    report.outputs[_rel(out / f"{stem}.parquet")] = write_parquet(kept, out / f"{stem}.parquet")
    if not rej.empty:
        qpath = out / "quarantine" / f"{stem}.parquet"
        report.outputs[_rel(qpath)] = write_parquet(rej.astype("string"), qpath)
    report.origins[stem] = origin


def _write_synthetic_police(sdir: Path, area: AreaConfig, real: pd.DataFrame,
                            report: BuildReport) -> list[dict]:
    """Write the synthetic police series, calibrated on the real table if it can be.

    A handful of dropped-in months may not support calibration (it needs three
    months outside lockdowns); the area's embedded real aggregate is then used,
    and the manifest says so. Without either, the error names what is missing.
    """
    from lvrn_analysis.synthetic.police import write_synthetic_police

    try:
        return write_synthetic_police(sdir, area, kept=real)
    except ValueError as exc:
        if not area.embedded_police:
            raise ValueError(
                f"cannot calibrate the synthetic police series on the dropped-in files "
                f"({exc}); add more months to data/raw/police/ or build with --no-synthetic"
            ) from exc
        report.notes.append(
            f"synthetic police series calibrated on the embedded real aggregate, not on the "
            f"dropped-in files ({exc})")
        return write_synthetic_police(sdir, area)


def _clear(d: Path) -> None:
    if d.is_dir():
        for p in sorted(d.iterdir()):
            if p.is_file():
                p.unlink()
    d.mkdir(parents=True, exist_ok=True)


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(out_dir: Path | str = "data/processed") -> dict:
    """Return the manifest of the last build.

    Raises
    ------
    FileNotFoundError
        If no build has been run (the message says to run ``lvrn build``).
    """
    p = Path(out_dir) / MANIFEST
    if not p.is_file():
        raise FileNotFoundError(f"{p} not found: run `lvrn build` first")
    return json.loads(p.read_text(encoding="utf-8"))
