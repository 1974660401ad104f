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
series for the time-series pages, calibrated to the real table).

Outputs are deterministic: rows are sorted, parquet metadata carries no
timestamps, and the manifest holds no dates or absolute paths.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from lvrn_analysis import __version__
from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.parallel import default_workers, process_pool
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
    """

    inputs: list[dict] = field(default_factory=list)
    outputs: dict[str, dict] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    ground_truth: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


def write_parquet(df: pd.DataFrame, path: Path, statistics: list[str] | None = None) -> dict:
    """Write a frame to parquet deterministically and return its manifest entry.

    ``statistics`` limits the row-group statistics to these columns (default: all).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    df = _stringify(df).reset_index(drop=True)
    df.to_parquet(path, index=False, compression="snappy",
                  write_statistics=True if statistics is None else statistics)
    return {"sha256": sha256_file(path), "rows": len(df)}


def _files(raw: Path, spec: SourceSpec) -> list[Path]:
    d = raw / spec.raw_dir
    if not d.is_dir():
        return []
    found = {p for pat in spec.patterns for p in d.glob(pat) if p.is_file()}
    return sorted(found)


def _load_all(paths: list[Path], spec: SourceSpec, area: AreaConfig, desc: str,
              progress: bool) -> list[LoadResult]:
    results: list[LoadResult] = []
    for p in tqdm(paths, desc=desc, unit="file", disable=not progress or None, leave=False):
        for r in spec.load(p, area):
            _relabel_result(r)
            results.append(r)
    return results


def _relabel_police(r: police.PoliceFileResult) -> None:
    """`_relabel_result()` for a fast-path police result (it has no kept frame).

    Every ``file`` value of a police quarantine is the file's label, so the
    replacement gives the new label throughout, as a ``string`` column; a quarantine
    not yet built as a frame records that instead.
    """
    old = r.path
    r.path = _relabel_file(r.path)
    if r.quarantined is not None:
        r.quarantined.label = r.path
        r.quarantined.relabeled = True
        return
    frame = r.rejected
    if not frame.empty and "file" in frame.columns:
        frame["file"] = frame["file"].astype("string").str.replace(old, r.path, regex=False)


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


def _iter_police(paths: list[Path], area: AreaConfig, desc: str,
                 progress: bool) -> Iterator[police.PoliceFileResult]:
    """Load police files on the fast path, in worker processes when there is a lot to read.

    Results come in input order, as `_load_all()` returns them, as soon as they
    are ready. Below `POLICE_PARALLEL_BYTES` of input and
    `POLICE_PARALLEL_FILES` files, or with one worker, everything runs in this
    process (starting workers costs a fraction of a second with fork, a few seconds
    with spawn).
    """
    index = police.area_index(area)
    workers = police_workers()
    size = sum(p.stat().st_size for p in paths)
    with tqdm(total=len(paths), desc=desc, unit="file", disable=not progress or None,
              leave=False) as bar:
        if workers < 2 or len(paths) < 2 * workers or (
                size < POLICE_PARALLEL_BYTES and len(paths) < POLICE_PARALLEL_FILES):
            for p in paths:
                for r in police.iter_fast(p, area, index):
                    _relabel_police(r)
                    yield r
                bar.update()
            return
        with process_pool(workers, initializer=police.worker_init,
                          initargs=(area, _relabel_police)) as pool:
            maps: dict[int, np.ndarray] = {}
            for out in pool.map(police.worker_load, paths, chunksize=2):
                if isinstance(out, police.WorkerFailure):
                    raise out.error()
                for r in out:
                    yield r.attach(index, maps)
                bar.update()


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


def _streamable(paths: list[Path]) -> bool:
    """Whether police files can be finished month by month, in input order.

    True when every input is a monthly CSV named ``YYYY-MM-<force>-street.csv[.gz]``
    and the months never go back: kept rows must then have the month of their
    file's name, so a month is complete once a later month starts, and only files
    of one month can supply the same force-month.
    """
    months = [police.month_from_name(p.name) for p in paths]
    return (all(m is not None for m in months) and not any(p.suffix == ".zip" for p in paths)
            and all(a <= b for a, b in zip(months, months[1:], strict=False)))  # type: ignore[operator]


#: Rows per parquet row group when the kept police table is streamed to disk; pyarrow's
#: default for ``write_table``, so that the file is byte-identical to writing one frame.
KEPT_CHUNK_ROWS = 1 << 20


def _police_tables(results: list[LoadResult], out: Path, stem: str, report: BuildReport,
                   origin: str) -> None:
    results = police.resolve_overlaps(results)
    for r in results:
        r.check_accounting()
        report.inputs.append(r.as_record() | {"table": stem, "origin": origin})
    kept = pd.concat([r.kept for r in results], ignore_index=True)
    kept = police.aggregate(kept).rename(columns={WEIGHT: "count"})
    kept.insert(0, "origin", origin)
    cov = police.month_coverage(kept)
    cov.insert(0, "origin", origin)
    rej = pd.concat([r.rejected for r in results], ignore_index=True)
    sort_cols = [c for c in ("file", "row", "reason") if c in rej.columns]
    rej = rej.sort_values(sort_cols, na_position="first", kind="mergesort")
    report.outputs[_rel(out / f"{stem}.parquet")] = write_parquet(
        kept, out / f"{stem}.parquet", KEPT_STATISTICS)
    report.outputs[_rel(out / f"{stem}_months.parquet")] = write_parquet(
        cov, out / f"{stem}_months.parquet")
    qpath = out / "quarantine" / f"{stem}.parquet"
    report.outputs[_rel(qpath)] = write_parquet(rej, qpath)
    report.origins[stem] = origin
    if origin.startswith("real"):
        for force, g in cov.groupby("force"):
            report.missing_months[str(force)] = [
                m.strftime("%Y-%m") for m in g.loc[g["status"] == "missing", "month"]]


def _police_tables_fast(results: Iterable[police.PoliceFileResult], out: Path, stem: str,
                        report: BuildReport, origin: str, *, stream: bool = False,
                        chunk_rows: int = KEPT_CHUNK_ROWS) -> None:
    """`_police_tables()` for fast-path results: the same outputs, bounded memory.

    The kept table is never built as one frame. After overlaps are resolved, every
    (month, force) block comes from one file, already aggregated and sorted, so the
    blocks are written to parquet in (month, force) order, ``chunk_rows`` rows per
    row group. With ``stream`` (see `_streamable()`) each month is resolved and
    written as soon as the next month starts, while later files are still being
    read, and its kept groups are then released.
    """
    kpath = out / f"{stem}.parquet"
    writer = _KeptWriter(kpath, origin, chunk_rows)
    done: list[police.PoliceFileResult] = []
    records: dict[int, dict] = {}
    pairs: list[pd.DataFrame] = []
    pending: list[police.PoliceFileResult] = []

    def finish(group: list[police.PoliceFileResult]) -> None:
        police.resolve_overlaps_fast(group)
        for r in group:
            r.check_accounting()
            records[id(r)] = r.as_record()
        pairs.append(police.kept_pairs(group))
        writer.add(police.kept_blocks(group))
        for r in group:
            r.release_kept()

    month = None
    for r in results:
        m = police.month_from_name(r.path) if stream else None
        if stream and pending and m != month:
            finish(pending)
            pending = []
        month = m
        pending.append(r)
        done.append(r)
    if pending:
        finish(pending)
    for r in done:
        report.inputs.append(records[id(r)] | {"table": stem, "origin": origin})
    if writer.rows or writer.pending:
        report.outputs[_rel(kpath)] = writer.close()
        cov = police.month_coverage(pd.concat(pairs, ignore_index=True))
    else:  # nothing kept at all: the frame path gives the empty table's dtypes
        writer.close()
        kept = pd.concat([police.empty_kept() for _ in done], ignore_index=True)
        kept = police.aggregate(kept).rename(columns={WEIGHT: "count"})
        kept.insert(0, "origin", origin)
        report.outputs[_rel(kpath)] = write_parquet(kept, kpath, KEPT_STATISTICS)
        cov = police.month_coverage(kept)
    cov.insert(0, "origin", origin)
    rej = _quarantine_table(done)
    sort_cols = [c for c in ("file", "row", "reason") if c in rej.columns]
    rej = rej.sort_values(sort_cols, na_position="first", kind="mergesort")
    report.outputs[_rel(out / f"{stem}_months.parquet")] = write_parquet(
        cov, out / f"{stem}_months.parquet")
    qpath = out / "quarantine" / f"{stem}.parquet"
    report.outputs[_rel(qpath)] = write_parquet(rej, qpath)
    report.origins[stem] = origin
    if origin.startswith("real"):
        for force, g in cov.groupby("force"):
            report.missing_months[str(force)] = [
                m.strftime("%Y-%m") for m in g.loc[g["status"] == "missing", "month"]]


def _quarantine_table(results: list[police.PoliceFileResult]) -> pd.DataFrame:
    """``pd.concat([r.rejected for r in results], ignore_index=True)``, built faster.

    Files whose quarantine is not yet a frame are grouped by kind and each group is
    built as one frame (`quarantine_frame()`), placed
    where its first file was. Concatenation is associative, the groups have the
    columns and dtypes of their files' frames, and each file keeps its rows in order,
    so after the (stable) sort by file, row and reason the table is the same.
    """
    pieces: list[object] = []
    groups: dict[tuple, list] = {}
    for r in results:
        q = r.quarantined
        if q is None:
            pieces.append(r.rejected)
            continue
        kind = q.kind
        if kind not in groups:
            groups[kind] = []
            pieces.append(kind)
        groups[kind].append(q)
    frames = [police.quarantine_frame(groups[p]) if isinstance(p, tuple) else p
              for p in pieces]
    return pd.concat(frames, ignore_index=True)  # type: ignore[arg-type]


class _KeptWriter:
    """Writes the kept police table block by block, as `write_parquet()` would."""

    def __init__(self, path: Path, origin: str, chunk_rows: int) -> None:
        self.path = path
        self.origin = origin
        self.chunk_rows = chunk_rows
        self.rows = 0
        self._parts: list[tuple] = []
        self._size = 0
        self._fh = None
        self._writer: pq.ParquetWriter | None = None
        self._index: police.AreaIndex | None = None
        self._strings: dict[str, pa.Array] = {}
        self._schema: pa.Schema | None = None

    @property
    def pending(self) -> int:
        """Rows queued but not yet written."""
        return self._size

    def add(self, blocks: list[tuple[police.PoliceFileResult, int, int]]) -> None:
        """Queue blocks (in output order); full row groups are written at once."""
        for res, a, b in blocks:
            if self._index is None:
                self._index = res.index
            elif res.index is not self._index:
                raise ValueError("police results from different area indexes")
            self._parts.append((res.months[res.month[a]], res.forces[res.force[a]],
                                res.geo[a:b], res.ctype[a:b], res.n[a:b]))
            self._size += b - a
        while self._size >= self.chunk_rows:
            self._flush(self.chunk_rows)

    def close(self) -> dict:
        """Write what is left and return the manifest entry (or ``{}`` if nothing)."""
        if self._size:
            self._flush(self._size)
        if self._writer is not None:
            self._writer.close()
            self._fh.close()  # type: ignore[union-attr]
            return {"sha256": sha256_file(self.path), "rows": self.rows}
        return {}

    def _flush(self, rows: int) -> None:
        take, rest, left = [], [], rows
        for part in self._parts:
            k = len(part[2])
            if left >= k:
                take.append(part)
                left -= k
            elif left > 0:
                take.append(part[:2] + tuple(x[:left] for x in part[2:]))
                rest.append(part[:2] + tuple(x[left:] for x in part[2:]))
                left = 0
            else:
                rest.append(part)
        self._parts = rest
        self._size -= rows
        table = self._table(take)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "wb")  # noqa: SIM115 (closed in close())
            self._writer = pq.ParquetWriter(self._fh, table.schema, compression="snappy",
                                            write_statistics=KEPT_STATISTICS)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def _table(self, parts: list[tuple]) -> pa.Table:
        """One chunk as the frame path writes it: aggregate(), ``count``, ``origin`` first.

        The columns are built as Arrow arrays with the schema (types and pandas
        metadata) that ``pa.Table.from_pandas`` gives the frame path's frame, taken
        once from a one-row frame built the frame path's way (`_frame()`), so
        the parquet bytes are the same without a frame per chunk.
        """
        if self._schema is None:
            self._schema = pa.Table.from_pandas(
                _stringify(self._frame([p[:2] + tuple(x[:1] for x in p[2:])
                                        for p in parts[:1]])),
                preserve_index=False).schema
        cols = self._columns(parts)
        n = len(cols["count"])
        cols["origin"] = pa.repeat(pa.scalar(self.origin, pa.large_string()), n)
        return pa.Table.from_arrays([cols[f.name] for f in self._schema], schema=self._schema)

    def _columns(self, parts: list[tuple]) -> dict[str, object]:
        """Return the chunk's columns but ``origin``, as Arrow arrays."""
        index = self._index
        assert index is not None
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
        cols: dict[str, object] = {
            "month": pa.array(month, pa.timestamp("us")),
            "force": force,
            "crime_type": _CRIME_TYPES.take(ctype),
            "count": pa.array(np.concatenate([p[4] for p in parts]).astype(np.int64)),
        }
        for name in ("la_code", "la_name", "lsoa_code", "geo_status"):
            cols[name] = self._strings[name].take(geo)
        return cols

    def _frame(self, parts: list[tuple]) -> pd.DataFrame:
        """One chunk as a frame with the frame path's dtypes (used once, for the schema)."""
        cols = self._columns(parts)
        frame = pd.DataFrame({
            "month": cols["month"].to_numpy(zero_copy_only=False),  # type: ignore[attr-defined]
            **{name: pd.arrays.ArrowStringArray(cols[name])
               for name in ("force", "la_code", "la_name", "lsoa_code", "crime_type",
                            "geo_status")},
            "count": cols["count"].to_numpy(),  # type: ignore[attr-defined]
        })
        frame.insert(0, "origin", self.origin)
        return frame


_CRIME_TYPES = pa.array(police.CRIME_TYPES, pa.large_string())


def _embedded_results(area: AreaConfig) -> list[LoadResult]:
    assert area.embedded_police is not None
    with reference_file(area.embedded_police).open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""])
    frame[WEIGHT] = frame[WEIGHT].astype("int64")
    return police.load_embedded(frame, area, label=f"lvrn_analysis/reference/"
                                f"{area.embedded_police}")


def build(
    area: AreaConfig,
    *,
    raw_dir: Path | str = "data/raw",
    out_dir: Path | str = "data/processed",
    synthetic_dir: Path | str = "data/synthetic",
    synthetic: bool = True,
    progress: bool = True,
) -> BuildReport:
    """Build every processed table and the manifest.

    Parameters
    ----------
    area
        Area configuration.
    raw_dir
        Folder with real extracts, one sub-folder per source (``police/`` …).
    out_dir
        Folder for the parquet tables, quarantine and manifest (replaced).
    synthetic_dir
        Folder the synthetic twins are written to (regenerated each build).
    synthetic
        Whether to generate and build the synthetic twins.
    progress
        Show progress bars on multi-file work.

    Returns
    -------
    BuildReport
        What was read and written (also saved as ``manifest.json``).

    Raises
    ------
    lvrn_analysis.sources.validation.SourceError
        If a raw file cannot be used at all (the message names it).
    """
    with police.ingest_memory_pool():
        return _build(area, Path(raw_dir), Path(out_dir), Path(synthetic_dir), synthetic,
                      progress)


def _build(area: AreaConfig, raw: Path, out: Path, syn: Path, synthetic: bool,
           progress: bool) -> BuildReport:
    """Do the work of `build()` (same parameters)."""
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
        _police_tables_fast(_iter_police(files, area, "police (raw)", progress), out,
                            "police_street", report, "real", stream=_streamable(files))
    elif area.embedded_police:
        _police_tables(_embedded_results(area), out, "police_street", report,
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
        sfiles = _files(syn, pspec)
        _police_tables_fast(_iter_police(sfiles, area, "police (synthetic)", progress), out,
                            "police_street_synthetic", report, "synthetic",
                            stream=_streamable(sfiles))

    # --- every other registered source
    for name, spec in specs.items():
        if name == "police":
            continue
        _build_generic(spec, area, raw, out, syn, report, synthetic, progress)

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
    }
    _write_json(out / MANIFEST, manifest)
    return report


def _build_generic(spec: SourceSpec, area: AreaConfig, raw: Path, out: Path, syn: Path,
                   report: BuildReport, synthetic: bool, progress: bool) -> None:
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
    results = _load_all(files, spec, area, f"{spec.name} ({origin})", progress)
    for r in results:
        r.check_accounting()
        report.inputs.append(r.as_record() | {"table": spec.processed_name, "origin": origin})
    stem = spec.processed_name or spec.name
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
