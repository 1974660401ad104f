"""The build: raw (or embedded, or synthetic) inputs → processed parquet + manifest.

``lvrn build`` runs :func:`build`. For each registered source it

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

import json
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from lvrn_analysis import __version__
from lvrn_analysis._resources import reference_file
from lvrn_analysis.config import AreaConfig
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import SourceSpec, sources
from lvrn_analysis.validation import WEIGHT, LoadResult, sha256_file

MANIFEST = "manifest.json"


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


def write_parquet(df: pd.DataFrame, path: Path) -> dict:
    """Write a frame to parquet deterministically and return its manifest entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df = _stringify(df).reset_index(drop=True)
    df.to_parquet(path, index=False, compression="snappy")
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


def _load_police(paths: list[Path], area: AreaConfig, desc: str,
                 progress: bool) -> list[police.PoliceFileResult]:
    """Load police files on the fast path, two files at a time (threads).

    Parsing, hashing and the Arrow kernels release the GIL, so two threads use both
    cores; results come back in input order, as :func:`_load_all` returns them.
    """
    index = police.area_index(area)

    def one(p: Path) -> list[police.PoliceFileResult]:
        out = []
        for r in police.iter_fast(p, area, index):
            r.path = _relabel(r.path)
            if not r.rejected.empty and "file" in r.rejected:
                r.rejected["file"] = r.path
            out.append(r)
        return out

    results: list[police.PoliceFileResult] = []
    workers = max(1, min(POLICE_THREADS, len(paths)))
    with ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(paths), desc=desc, unit="file", disable=not progress or None,
                 leave=False) as bar:
        # a bounded window of files in flight keeps memory flat
        pending: deque = deque()
        it = iter(paths)
        try:
            for p in it:
                pending.append(pool.submit(one, p))
                if len(pending) >= 2 * workers:
                    results += pending.popleft().result()
                    bar.update()
            while pending:
                results += pending.popleft().result()
                bar.update()
        except BaseException:
            for f in pending:
                f.cancel()
            raise
    return results


#: Threads that load police files in parallel (the machine this was tuned on has 2 cores).
POLICE_THREADS = min(2, os.cpu_count() or 1)

#: Rows per parquet row group when the kept police table is streamed to disk; pyarrow's
#: default for ``write_table``, so that the file is byte-identical to writing one frame.
KEPT_CHUNK_ROWS = 1 << 20


def _police_tables(results: list[LoadResult] | list[police.PoliceFileResult], out: Path,
                   stem: str, report: BuildReport, origin: str) -> None:
    if results and all(isinstance(r, police.PoliceFileResult) for r in results):
        _police_tables_fast(results, out, stem, report, origin)  # type: ignore[arg-type]
        return
    results = [r.to_load_result() if isinstance(r, police.PoliceFileResult) else r
               for r in results]
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
    report.outputs[_rel(out / f"{stem}.parquet")] = write_parquet(kept, out / f"{stem}.parquet")
    report.outputs[_rel(out / f"{stem}_months.parquet")] = write_parquet(
        cov, out / f"{stem}_months.parquet")
    qpath = out / "quarantine" / f"{stem}.parquet"
    report.outputs[_rel(qpath)] = write_parquet(rej, qpath)
    report.origins[stem] = origin
    if origin.startswith("real"):
        for force, g in cov.groupby("force"):
            report.missing_months[str(force)] = [
                m.strftime("%Y-%m") for m in g.loc[g["status"] == "missing", "month"]]


def _police_tables_fast(results: list[police.PoliceFileResult], out: Path, stem: str,
                        report: BuildReport, origin: str) -> None:
    """:func:`_police_tables` for fast-path results: same outputs, bounded memory.

    The kept table is never built as one frame: every (month, force) block comes
    from one file already aggregated and sorted, so the blocks are written to
    parquet in order, :data:`KEPT_CHUNK_ROWS` rows at a time.
    """
    if not any(len(r.n) for r in results):  # nothing kept: the frame path is exact and cheap
        _police_tables([r.to_load_result() for r in results], out, stem, report, origin)
        return
    results = police.resolve_overlaps_fast(results)
    for r in results:
        r.check_accounting()
        report.inputs.append(r.as_record() | {"table": stem, "origin": origin})
    kpath = out / f"{stem}.parquet"
    report.outputs[_rel(kpath)] = _write_parquet_chunks(
        _kept_chunks(results, origin, KEPT_CHUNK_ROWS), kpath)
    cov = police.month_coverage(police.kept_pairs(results))
    cov.insert(0, "origin", origin)
    rej = pd.concat(_distinct_empty([r.rejected for r in results]), ignore_index=True)
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


def _distinct_empty(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Drop repeated empty frames of identical columns and dtypes before a concat.

    They add no rows, and the first one still takes part in the column order and
    the dtype resolution, so the concatenation is unchanged - and much faster when
    most files have nothing quarantined.
    """
    seen: set = set()
    out = []
    for f in frames:
        if f.empty:
            sig = tuple((c, str(t)) for c, t in f.dtypes.items())
            if sig in seen:
                continue
            seen.add(sig)
        out.append(f)
    return out


def _kept_chunks(results: list[police.PoliceFileResult], origin: str,
                 chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the kept police table in order, as frames of at most ``chunk_rows`` rows.

    Each frame has the columns and dtypes of ``police.aggregate(...)`` renamed and
    with ``origin`` inserted, as :func:`_police_tables` writes it.
    """
    index = results[0].index
    recs = index.geo_records
    la_code = pa.array([g[0] for g in recs], pa.large_string())
    la_name = pa.array([g[1] for g in recs], pa.large_string())
    lsoa = pa.array([g[2] for g in recs], pa.large_string())
    status = pa.array([g[3] for g in recs], pa.large_string())
    ctypes = pa.array(police.CRIME_TYPES, pa.large_string())
    parts: list[tuple[police.PoliceFileResult, int, int]] = []
    size = 0
    blocks = police.kept_blocks(results)
    for i, (res, a, b) in enumerate(blocks):
        if res.index is not index:
            raise ValueError("police results from different area indexes")
        while a < b:
            take = min(b - a, chunk_rows - size)
            parts.append((res, a, a + take))
            size += take
            a += take
            if size == chunk_rows or (a == b and i == len(blocks) - 1):
                yield _kept_frame(parts, origin, la_code, la_name, lsoa, status, ctypes)
                parts, size = [], 0


def _kept_frame(parts: list[tuple[police.PoliceFileResult, int, int]], origin: str,
                la_code: pa.Array, la_name: pa.Array, lsoa: pa.Array, status: pa.Array,
                ctypes: pa.Array) -> pd.DataFrame:
    geo = pa.array(np.concatenate([r.geo[a:b] for r, a, b in parts]))
    month = np.concatenate([np.full(b - a, np.datetime64(r.months[r.month[a]], "us"))
                            for r, a, b in parts])
    force = pa.chunked_array([pa.nulls(b - a, pa.large_string())
                              if r.forces[r.force[a]] is None else
                              pa.repeat(pa.scalar(r.forces[r.force[a]], pa.large_string()),
                                        b - a) for r, a, b in parts], pa.large_string())
    frame = pd.DataFrame({
        "month": month,
        "force": pd.arrays.ArrowStringArray(force),
        "la_code": pd.arrays.ArrowStringArray(la_code.take(geo)),
        "la_name": pd.arrays.ArrowStringArray(la_name.take(geo)),
        "lsoa_code": pd.arrays.ArrowStringArray(lsoa.take(geo)),
        "crime_type": pd.arrays.ArrowStringArray(ctypes.take(pa.array(
            np.concatenate([r.ctype[a:b] for r, a, b in parts])))),
        "geo_status": pd.arrays.ArrowStringArray(status.take(geo)),
        "count": np.concatenate([r.n[a:b] for r, a, b in parts]).astype(np.int64),
    })
    frame.insert(0, "origin", origin)
    return frame


def _write_parquet_chunks(frames: Iterator[pd.DataFrame], path: Path) -> dict:
    """Write frames as consecutive row groups of one parquet file (as :func:`write_parquet`).

    With frames of pyarrow's default row-group size the bytes equal those of
    :func:`write_parquet` on the concatenated frame.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    writer = None
    with open(path, "wb") as fh:
        try:
            for df in frames:
                table = pa.Table.from_pandas(_stringify(df).reset_index(drop=True),
                                             preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(fh, table.schema, compression="snappy")
                writer.write_table(table)
                rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
    return {"sha256": sha256_file(path), "rows": rows}


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
    lvrn_analysis.validation.SourceError
        If a raw file cannot be used at all (the message names it).
    """
    raw, out, syn = Path(raw_dir), Path(out_dir), Path(synthetic_dir)
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
        results = _load_police(files, area, "police (raw)", progress)
        _police_tables(results, out, "police_street", report, "real")
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
        results = _load_police(sfiles, area, "police (synthetic)", progress)
        _police_tables(results, out, "police_street_synthetic", report, "synthetic")

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
        if not synthetic or spec.synthesize is None:
            return
        d = syn / spec.raw_dir
        _clear(d)
        report.ground_truth += spec.synthesize(d, area)
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
    from lvrn_analysis.synthetic_police import write_synthetic_police

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
