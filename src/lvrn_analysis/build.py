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
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
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
    """

    inputs: list[dict] = field(default_factory=list)
    outputs: dict[str, dict] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    ground_truth: list[dict] = field(default_factory=list)

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
            r.path = _relabel(r.path)
            if not r.rejected.empty and "file" in r.rejected:
                r.rejected["file"] = r.path
            results.append(r)
    return results


def _police_tables(results: list[LoadResult], out: Path, stem: str,
                   report: BuildReport, origin: str) -> None:
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
    report = BuildReport()
    specs = sources()

    # --- police: real (dropped files or embedded aggregate)
    pspec = specs["police"]
    files = _files(raw, pspec)
    if files:
        results = _load_all(files, pspec, area, "police (raw)", progress)
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
        from lvrn_analysis.synthetic_police import write_synthetic_police

        real = pd.read_parquet(out / "police_street.parquet").rename(columns={"count": WEIGHT})
        sdir = syn / "police"
        _clear(sdir)
        report.ground_truth += write_synthetic_police(sdir, area, kept=real)
        sfiles = _files(syn, pspec)
        results = _load_all(sfiles, pspec, area, "police (synthetic)", progress)
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
    if not files:
        default = getattr(spec, "default_inputs", None)
        if callable(default):
            files = list(default(area))
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
    kept = pd.concat([r.kept for r in results], ignore_index=True) if results else pd.DataFrame()
    kept.insert(0, "origin", origin)
    kept = kept.sort_values(list(kept.columns), kind="mergesort", na_position="first")
    rej = pd.concat([r.rejected for r in results], ignore_index=True) if results else \
        pd.DataFrame()
    report.outputs[_rel(out / f"{stem}.parquet")] = write_parquet(kept, out / f"{stem}.parquet")
    if not rej.empty:
        qpath = out / "quarantine" / f"{stem}.parquet"
        report.outputs[_rel(qpath)] = write_parquet(rej.astype("string"), qpath)
    report.origins[stem] = origin


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
