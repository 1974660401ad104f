"""National-scale ingest benchmark: raw parse vs a naive pandas loop vs ``lvrn build``.

Run on demand (never in the unit tests)::

    python benchmarks/ingest.py --quick          # ~1 million rows, about a minute
    python benchmarks/ingest.py                  # 43 forces x 36 months, 20 million rows
    python benchmarks/ingest.py --rows 5e6 --forces 10 --months 12

It writes a synthetic national data.police.uk archive in the real layout (one
``YYYY-MM-<force>-street.csv`` per force per month, see
:mod:`lvrn_analysis.synthetic.national`), then measures, on the same files and each
in its own child process:

raw
    the raw parse: ``pandas.read_csv`` (C parser, default options) of every file,
    results discarded. The practical limit to approach.
naive
    the peer: a naive analyst's loop - read every monthly CSV with pandas,
    concatenate, count by month x LSOA x crime type.
build
    ``lvrn build`` (``lvrn_analysis.processed.build.build``, no synthetic twins) with the
    national area: validation, classification, quarantine, parquet and manifest.

Optional reference points (``--variants``): ``arrow`` (pyarrow's multithreaded
CSV reader + Arrow ``group_by``, no validation) and ``duckdb`` (DuckDB
``read_csv`` + ``GROUP BY`` over all files, no validation; needs ``pip install
duckdb``, not a package dependency).

Wall time is ``time.perf_counter`` around the work inside the child (imports
excluded, the source readers' modules included: ``build()`` imports them on first
use, and on a machine that writes no bytecode cache, such as this one with
``PYTHONDONTWRITEBYTECODE=1``, that compiles them every time, about 0.1 s); peak
memory is the child's ``ru_maxrss`` (plus that of its own children, if any). The
page cache cannot be dropped: the raw parse is run once first as a warm-up, so every
variant reads from a warm cache. Results are printed and written to
``docs/benchmarks.md`` (``--no-docs`` to skip).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
VARIANTS = ("raw", "naive", "build")
EXTRA = ("arrow", "duckdb")
TARGETS = {"time_vs_raw": 1.5, "time_vs_naive": 1.0, "peak_gb": 2.0, "mem_vs_naive": 0.2}


# ----------------------------------------------------------------------------- child side


def _files(raw_dir: Path) -> list[Path]:
    return sorted((raw_dir / "police").glob("*-street.csv"))


def _peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB): this process, and its largest (waited-for) child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, kids / 1024  # ru_maxrss is in kB on Linux


class TreeSampler(threading.Thread):
    """Samples the resident memory of this process and all its descendants (psutil).

    Worker processes run at the same time, so the sum of their RSS is the
    footprint; shared pages are counted once per process (an overestimate).
    """

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not self._halt.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total / 2**20)
            self._halt.wait(self.interval)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_raw(raw_dir: Path, **_: object) -> int:
    import pandas as pd

    rows = 0
    for f in _files(raw_dir):
        rows += len(pd.read_csv(f))
    return rows


def run_naive(raw_dir: Path, **_: object) -> int:
    import pandas as pd

    frames = [pd.read_csv(f) for f in _files(raw_dir)]
    df = pd.concat(frames, ignore_index=True)
    counts = df.groupby(["Month", "LSOA code", "Crime type"]).size()
    assert counts.sum() > 0
    return len(df)


def run_build(raw_dir: Path, area_yaml: Path, out_dir: Path, cache: bool = False,
              **_: object) -> int:
    """``build()`` of the national area; a clean build (no cache) unless ``cache``."""
    from lvrn_analysis.config.areas import load_multi_force_area
    from lvrn_analysis.processed.build import build

    area = load_multi_force_area(area_yaml)
    report = build(area, raw_dir=raw_dir, out_dir=out_dir / "processed",
                   synthetic_dir=out_dir / "synthetic", synthetic=False, progress=False,
                   cache=cache)
    recs = [r for r in report.inputs if r["table"] == "police_street"]
    for r in recs:
        assert r["rows_in"] == r["rows_kept"] + r["rows_rejected"], r["file"]
    return sum(r["rows_in"] for r in recs)


def run_arrow(raw_dir: Path, **_: object) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = 0
    parts = []
    for f in _files(raw_dir):
        t = pacsv.read_csv(f, parse_options=pacsv.ParseOptions(
            invalid_row_handler=lambda r: "skip"))
        rows += t.num_rows
        parts.append(t.group_by(["Month", "LSOA code", "Crime type"]).aggregate(
            [([], "count_all")]))
    out = pa.concat_tables(parts).group_by(["Month", "LSOA code", "Crime type"]).aggregate(
        [("count_all", "sum")])
    assert out.num_rows > 0
    return rows


def run_duckdb(raw_dir: Path, **_: object) -> int:
    import duckdb

    con = duckdb.connect()
    glob = str(raw_dir / "police" / "*-street.csv")
    src = f"read_csv('{glob}', all_varchar=true, ignore_errors=true, header=true)"
    out = con.execute(f'SELECT "Month", "LSOA code", "Crime type", count(*) AS n FROM {src} '
                      "GROUP BY ALL").fetchnumpy()
    return int(out["n"].sum())  # malformed rows are skipped


def run_cached(raw_dir: Path, area_yaml: Path, out_dir: Path, **_: object) -> int:
    """``build()`` with the build cache in ``out_dir`` (left in place between runs)."""
    return run_build(raw_dir, area_yaml, out_dir, cache=True)


RUNNERS = {"raw": run_raw, "naive": run_naive, "build": run_build, "arrow": run_arrow,
           "duckdb": run_duckdb, "cached": run_cached}


def child(args: argparse.Namespace) -> None:
    """Run one variant and print one JSON line."""
    import pandas  # noqa: F401  (imports are not part of the measured work)
    import pyarrow.csv  # noqa: F401

    if args.child in ("build", "cached"):
        import lvrn_analysis.processed.build  # noqa: F401
        from lvrn_analysis.sources.registry import sources

        sources()  # imports every reader's module (build() would on first use)
    base = _rss_mb()
    sampler = TreeSampler()
    sampler.start()
    t0 = time.perf_counter()
    c0 = os.times()
    rows = RUNNERS[args.child](raw_dir=Path(args.raw_dir), area_yaml=Path(args.area),
                               out_dir=Path(args.scratch))
    wall = time.perf_counter() - t0
    c1 = os.times()
    tree = sampler.stop()
    own, kid = _peak_mb()
    workers = 0
    if args.child in ("build", "cached"):
        from lvrn_analysis.sources.police import police_workers

        workers = police_workers()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
        + (c1.children_system - c0.children_system)
    # peak footprint: the sampled process tree, or this process plus every worker at the
    # size of the largest one, whichever is larger (ru_maxrss keeps only the largest child)
    peak = max(tree, own + workers * kid)
    print(json.dumps({"variant": args.child, "wall_s": wall, "rows": rows, "cpu_s": cpu,
                      "peak_mb": peak, "self_peak_mb": own, "child_peak_mb": kid,
                      "tree_peak_mb": tree, "base_mb": base}))


# ---------------------------------------------------------------------------- parent side


def _measure(variant: str, archive: dict, scratch: Path, out: str = "build_out") -> dict:
    if variant == "build":
        shutil.rmtree(scratch / out, ignore_errors=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant,
           "--raw-dir", archive["raw_dir"], "--area", archive["area_yaml"],
           "--scratch", str(scratch / out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=scratch)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict[str, str]:
    """Describe the machine and software versions."""
    import numpy
    import pandas
    import pyarrow

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}


def generate(workdir: Path, rows: int, forces: int, months: int, seed: int) -> dict:
    """Write (or reuse) the archive for these parameters."""
    from lvrn_analysis.synthetic.national import write_national_archive

    key = {"rows": rows, "forces": forces, "months": months, "seed": seed, "version": 1}
    stamp = workdir / "archive.json"
    if stamp.is_file():
        info = json.loads(stamp.read_text())
        if info.get("key") == key:
            print(f"reusing archive in {workdir}")
            return info
    shutil.rmtree(workdir / "raw", ignore_errors=True)
    t = time.perf_counter()
    a = write_national_archive(workdir, rows=rows, forces=forces, months=months, seed=seed)
    info = {"key": key, "raw_dir": str(a.raw_dir), "area_yaml": str(a.area_yaml),
            "files": len(a.files), "rows": a.rows, "bytes": a.bytes,
            "generate_s": time.perf_counter() - t}
    stamp.write_text(json.dumps(info, indent=2))
    return info


def summarise(results: dict[str, list[dict]]) -> dict[str, dict]:
    """Median wall time and peak memory of the repeats of each variant."""
    out = {}
    for v, runs in results.items():
        out[v] = {"wall_s": statistics.median(r["wall_s"] for r in runs),
                  "wall_min_s": min(r["wall_s"] for r in runs),
                  "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                  "peak_mb": statistics.median(r["peak_mb"] for r in runs),
                  "base_mb": statistics.median(r["base_mb"] for r in runs),
                  "rows": runs[0]["rows"], "repeats": len(runs)}
        out[v]["rows_per_s"] = out[v]["rows"] / out[v]["wall_s"]
    if "build" in results and "raw" in results:  # each repeat's build over its own raw parse
        out["build"]["per_repeat_vs_raw"] = [b["wall_s"] / r["wall_s"] for b, r in
                                             zip(results["build"], results["raw"], strict=True)]
    return out


def verdict(s: dict[str, dict]) -> list[tuple[str, str, str, bool]]:
    """Targets of issue #7: (what, measured, target, met)."""
    b, r, n = s["build"], s["raw"], s["naive"]
    t_raw = b["wall_s"] / r["wall_s"]
    t_naive = b["wall_s"] / n["wall_s"]
    mem_ratio = b["peak_mb"] / n["peak_mb"]
    return [
        ("build time / raw parse time", f"{t_raw:.2f}", f"<= {TARGETS['time_vs_raw']}",
         t_raw <= TARGETS["time_vs_raw"]),
        ("build time / naive loop time", f"{t_naive:.2f}", f"<= {TARGETS['time_vs_naive']}",
         t_naive <= TARGETS["time_vs_naive"]),
        ("build peak memory", f"{b['peak_mb'] / 1024:.2f} GB", f"<= {TARGETS['peak_gb']} GB",
         b["peak_mb"] / 1024 <= TARGETS["peak_gb"]),
        ("build peak memory / naive peak memory", f"{mem_ratio:.2f}",
         f"<= {TARGETS['mem_vs_naive']}", mem_ratio <= TARGETS["mem_vs_naive"]),
    ]


def report_text(label: str, archive: dict, s: dict[str, dict], mach: dict[str, str],
                argv: list[str], load: tuple[float, float, float]) -> str:
    """Return the markdown block for docs/benchmarks.md (also printed)."""
    names = {"raw": "(a) raw parse: pandas.read_csv of every file",
             "naive": "(b) naive loop: read_csv + concat + groupby",
             "build": "(c) lvrn build (validate, classify, quarantine, manifest)",
             "arrow": "(ref) pyarrow threaded read_csv + group_by, no validation",
             "duckdb": "(ref) DuckDB read_csv + GROUP BY, no validation"}
    lines = [
        f"### {label}: {archive['rows']:,} rows, {archive['files']} files, "
        f"{archive['bytes'] / 1e9:.2f} GB of CSV",
        "",
        f"Command: `python benchmarks/ingest.py {' '.join(argv)}`".rstrip() + "  ",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM, {mach['os']}; "
        f"Python {mach['python']}, pandas {mach['pandas']}, pyarrow {mach['pyarrow']}, "
        f"numpy {mach['numpy']}.  ",
        f"Load average before the run: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(1 / 5 / 15 min). Page cache warm (one unmeasured raw parse first). "
        f"Median of {s['raw']['repeats']} run(s) per variant.",
        "",
        "| variant | wall time (s) | rows/s | CPU time (s) | peak RSS (MB) "
        "| RSS after imports (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for v, r in s.items():
        lines.append(f"| {names[v]} | {r['wall_s']:.2f} | {r['rows_per_s']:,.0f} | "
                     f"{r['cpu_s']:.1f} | {r['peak_mb']:,.0f} | {r['base_mb']:,.0f} |")
    lines += ["", "| target (issue #7) | measured | target | met |", "|---|---:|---:|:---:|"]
    for what, got, target, ok in verdict(s):
        lines.append(f"| {what} | {got} | {target} | {'yes' if ok else '**no**'} |")
    per = s.get("build", {}).get("per_repeat_vs_raw", [])
    if len(per) > 1:
        lines += ["", "Build time / raw parse time of each repeat (a repeat's variants run "
                  "back to back): " + ", ".join(f"{x:.2f}" for x in per) + "."]
    return "\n".join(lines) + "\n"


def write_docs(label: str, block: str) -> None:
    """Replace (or append) the results block for ``label`` in docs/benchmarks.md."""
    begin, end = f"<!-- ingest:{label}:begin -->", f"<!-- ingest:{label}:end -->"
    text = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else "# Benchmarks\n"
    new = f"{begin}\n{block}{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + new + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


INCREMENTAL_TARGET = 0.10  # issue 16: one more month costs at most this share of a clean build


def _same_outputs(a: Path, b: Path) -> list[str]:
    """Return the outputs that differ between two processed folders (cache excluded).

    Every output is compared byte for byte, the manifest included (what the cache
    gave a build is in ``.cache/last-build.json``, not in the manifest).
    """
    def files(d: Path) -> dict[str, Path]:
        return {p.relative_to(d).as_posix(): p for p in d.rglob("*")
                if p.is_file() and ".cache" not in p.relative_to(d).parts}

    fa, fb = files(a), files(b)
    bad = sorted(set(fa) ^ set(fb))
    for name in sorted(set(fa) & set(fb)):
        if fa[name].read_bytes() != fb[name].read_bytes():
            bad.append(name)
    return bad


def incremental_stage(archive: dict, workdir: Path, repeats: int) -> tuple[str, bool]:
    """Time a clean build and a build after one month was added, side by side (issue 16).

    The archive's last month is held back and a build with the cache on is run on the
    other months (the state after last month's update; its time is reported as the
    cold build that also writes the cache). The month is put back (same files, same
    modification times), then each repeat runs a clean build of every month
    (``cache=False``) and the incremental build from a copy of that cache, in their
    own folders. The outputs of the two must be byte-identical, the manifests included.
    """
    raw = Path(archive["raw_dir"]) / "police"
    files = sorted(raw.glob("*-street.csv"))
    last = max(f.name[:7] for f in files)
    new = [f for f in files if f.name.startswith(last)]
    held = workdir / "held_back"
    shutil.rmtree(held, ignore_errors=True)
    held.mkdir()
    clean_dir, inc_dir = workdir / "scratch_clean", workdir / "scratch_inc"
    for d in (clean_dir, inc_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    for f in new:
        os.rename(f, held / f.name)
    try:
        cold = _measure("cached", archive, inc_dir)
    finally:
        for f in new:
            os.rename(held / f.name, f)
    cache = inc_dir / "build_out" / "processed" / ".cache"
    warm = workdir / "warm_cache"
    shutil.rmtree(warm, ignore_errors=True)
    shutil.copytree(cache, warm)
    print(f"  cache written by a build of {len(files) - len(new)} files: "
          f"{cold['wall_s']:.2f} s (month {last} held back)", flush=True)
    clean_runs, inc_runs, loads = [], [], [os.getloadavg()]
    for i in range(repeats):
        c = _measure("build", archive, clean_dir)
        shutil.rmtree(cache)
        shutil.copytree(warm, cache)
        n = _measure("cached", archive, inc_dir)
        clean_runs.append(c)
        inc_runs.append(n)
        print(f"  run {i + 1}/{repeats} clean {c['wall_s']:7.2f} s  cpu {c['cpu_s']:6.1f} s | "
              f"+1 month {n['wall_s']:6.2f} s  cpu {n['cpu_s']:5.1f} s | ratio "
              f"{n['wall_s'] / c['wall_s']:.3f}  (load {os.getloadavg()[0]:.2f})", flush=True)
        loads.append(os.getloadavg())
    differ = _same_outputs(clean_dir / "build_out" / "processed",
                           inc_dir / "build_out" / "processed")
    summary = json.loads((cache / "last-build.json").read_text())
    reused = len(summary["inputs_from_cache"].get("police_street", []))
    read = summary["inputs_read"].get("police_street", 0)
    ratios = [n["wall_s"] / c["wall_s"] for c, n in zip(clean_runs, inc_runs, strict=True)]
    cpu_ratios = [n["cpu_s"] / c["cpu_s"] for c, n in zip(clean_runs, inc_runs, strict=True)]
    med = statistics.median(ratios)
    ok = med <= INCREMENTAL_TARGET and not differ
    lines = [
        f"### incremental: one month added to {archive['rows']:,} rows in "
        f"{archive['files']} files",
        "",
        f"Month {last} ({len(new)} files) held back, a build with the cache run on the "
        f"other {len(files) - len(new)} files ({cold['wall_s']:.2f} s, cache written), "
        "the month put back; then, side by side in each repeat, a clean build "
        "(`cache=False`, what `lvrn build --no-cache` runs) and the incremental build "
        "from that cache. Median of "
        f"{repeats} repeat(s).",
        "",
        "| build | wall time (s) | CPU time (s) | peak RSS (MB) |",
        "|---|---:|---:|---:|",
        f"| clean build, every month | {statistics.median(r['wall_s'] for r in clean_runs):.2f}"
        f" | {statistics.median(r['cpu_s'] for r in clean_runs):.1f} | "
        f"{statistics.median(r['peak_mb'] for r in clean_runs):,.0f} |",
        f"| one month added (cache) | {statistics.median(r['wall_s'] for r in inc_runs):.2f}"
        f" | {statistics.median(r['cpu_s'] for r in inc_runs):.1f} | "
        f"{statistics.median(r['peak_mb'] for r in inc_runs):,.0f} |",
        "",
        f"Police inputs taken from the cache: {reused}; read: {read}; kept-table row "
        f"groups copied: {summary['row_groups_copied'].get('police_street', 'n/a')}. "
        "Outputs byte-identical to the clean build, manifest included: "
        f"{'yes' if not differ else 'NO: ' + ', '.join(differ)}.",
        "",
        "| target (issue 16) | measured | target | met |",
        "|---|---:|---:|:---:|",
        f"| one month added / clean build (wall time) | {med:.3f} | <= {INCREMENTAL_TARGET}"
        f" | {'yes' if ok else '**no**'} |",
        f"| one month added / clean build (CPU time) | {statistics.median(cpu_ratios):.3f} |"
        f" (<= {INCREMENTAL_TARGET}) | "
        f"{'yes' if statistics.median(cpu_ratios) <= INCREMENTAL_TARGET else 'no'} |",
        "",
        "Ratio of each repeat (wall): " + ", ".join(f"{x:.3f}" for x in ratios) + "; (CPU): "
        + ", ".join(f"{x:.3f}" for x in cpu_ratios) + ". Load average (1 / 5 / 15 min) "
        "before the repeats and after each: "
        + "; ".join(" / ".join(f"{v:.2f}" for v in la) for la in loads) + ".",
    ]
    return "\n".join(lines) + "\n", ok


SITE_TARGETS = {"build + site": 120.0, "its": 10.0}
_COPY_IGNORE = (".venv", ".git", "_site", ".quarto", "__pycache__", ".pytest_cache",
                ".ruff_cache", ".hypothesis", "processed", "synthetic", "raw", "*.egg-info")


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a command; return wall time, peak process-tree RSS (MB) and its output tail."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        psutil = None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    peak = 0.0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    while proc.poll() is None:
        if psutil is not None:
            try:
                p = psutil.Process(proc.pid)
                peak = max(peak, sum(x.memory_info().rss for x in [p, *p.children(True)])
                           / 2**20)
            except psutil.Error:
                pass
        time.sleep(0.1)
    reader.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{''.join(out)[-3000:]}")
    return wall, peak, "".join(out)[-600:]


def site_stage(workdir: Path) -> str:
    """Time the Lancashire pipeline from clean in a copy of the project (item 3 of #7).

    ``lvrn build`` (embedded real police months, synthetic twins, every source), then
    ``lvrn its`` (the outcomes framework by ITS), ``lvrn its --placebos`` (the same with
    the in-time placebo test of every evaluated series), then ``lvrn site`` (executes
    every notebook and renders). The copy leaves the project's own notebooks and
    outputs untouched.
    """
    proj = workdir / "site_project"
    shutil.rmtree(proj, ignore_errors=True)
    patterns = shutil.ignore_patterns(*_COPY_IGNORE)

    def ignore(folder: str, names: list[str]) -> set[str]:
        # also skip sockets and pipes (e.g. Jupyter kernel-ipc files next to notebooks)
        odd = {n for n in names if not (os.path.isfile(os.path.join(folder, n))
                                        or os.path.isdir(os.path.join(folder, n)))}
        return set(patterns(folder, names)) | odd

    shutil.copytree(ROOT, proj, ignore=ignore)
    lvrn = [sys.executable, "-m", "lvrn_analysis.cli"]
    steps = [("lvrn build (from clean)", [*lvrn, "build", "--quiet"]),
             ("lvrn its", [*lvrn, "its"]),
             ("lvrn its --placebos", [*lvrn, "its", "--placebos"]),
             ("lvrn site", [*lvrn, "site", "--project", "."])]
    rows = []
    for name, cmd in steps:
        wall, peak, _ = _timed(cmd, proj)
        rows.append((name, wall, peak))
        print(f"  {name:<24} {wall:8.1f} s  peak {peak:8,.0f} MB", flush=True)
    total = rows[0][1] + rows[3][1]
    its = rows[2][1]
    lines = ["### site: the Lancashire pipeline from clean", "",
             "| step | wall time (s) | peak RSS (MB) |", "|---|---:|---:|"]
    lines += [f"| {n} | {w:.1f} | {p:,.0f} |" for n, w, p in rows]
    lines += ["", "| target (issue #7) | measured | target | met |", "|---|---:|---:|:---:|",
              f"| build + site from clean | {total:.1f} s | <= {SITE_TARGETS['build + site']:.0f}"
              f" s | {'yes' if total <= SITE_TARGETS['build + site'] else '**no**'} |",
              f"| outcomes framework with placebos (lvrn its --placebos) | {its:.1f} s | <= "
              f"{SITE_TARGETS['its']:.0f} s | "
              f"{'yes' if its <= SITE_TARGETS['its'] else '**no**'} |"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=float, default=20e6, help="total data rows (default 2e7)")
    p.add_argument("--forces", type=int, default=43, help="forces (default 43)")
    p.add_argument("--months", type=int, default=36, help="months (default 36)")
    p.add_argument("--quick", action="store_true",
                   help="1 million rows (43 forces x 36 months), 3 repeats")
    p.add_argument("--repeats", type=int, default=None,
                   help="runs per variant, median reported (default 1; 3 with --quick)")
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help=f"comma-separated, from {', '.join(VARIANTS + EXTRA)}")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=None,
                   help="where the archive is written and kept for reuse "
                        "(default: a temporary folder, removed afterwards)")
    p.add_argument("--label", default=None, help="name of the docs section (default: "
                   "quick, full or custom)")
    p.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    p.add_argument("--site", action="store_true",
                   help="instead: time lvrn build + lvrn its + lvrn site for Lancashire from "
                        "clean, in a copy of the project")
    p.add_argument("--incremental", action="store_true",
                   help="instead: time a clean build and a build after one month was added "
                        "(the build cache), side by side (issue 16)")
    p.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    p.add_argument("--raw-dir", help=argparse.SUPPRESS)
    p.add_argument("--area", help=argparse.SUPPRESS)
    p.add_argument("--scratch", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0

    if args.site:
        load = os.getloadavg()
        with tempfile.TemporaryDirectory(prefix="lvrn-site-") as tmp:
            print(f"site pipeline from clean in {tmp} (load {load[0]:.2f})")
            block = site_stage(Path(tmp))
        mach = machine()
        block = block.replace(
            "\n\n", f"\n\nCommand: `python benchmarks/ingest.py --site`  \nMachine: "
            f"{mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM; load average "
            f"before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.\n\n", 1)
        print()
        print(block)
        if not args.no_docs:
            write_docs("site", block)
        return 0

    rows = 1_000_000 if args.quick else int(args.rows)
    repeats = args.repeats or (3 if args.quick else 1)
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in RUNNERS:
            p.error(f"unknown variant {v!r}")
    missing = [v for v in VARIANTS if v not in variants]
    if missing:
        p.error(f"the variants {', '.join(VARIANTS)} are required (missing {missing})")
    default_size = (args.forces, args.months) == (43, 36)
    label = args.label or ("quick" if args.quick else
                           "full" if default_size and rows == 20_000_000 else "custom")
    tmp = None
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="lvrn-ingest-")
        workdir = Path(tmp)
    try:
        print(f"archive: {rows:,} rows, {args.forces} forces x {args.months} months "
              f"in {workdir}")
        archive = generate(workdir, rows, args.forces, args.months, args.seed)
        print(f"  {archive['files']} files, {archive['bytes'] / 1e9:.2f} GB "
              f"(generated in {archive['generate_s']:.1f} s)")
        if args.incremental:
            load = os.getloadavg()
            print("warm-up: one unmeasured raw parse (fills the page cache)")
            (workdir / "scratch").mkdir(exist_ok=True)
            _measure("raw", archive, workdir / "scratch")
            block, ok = incremental_stage(archive, workdir, repeats)
            mach = machine()
            block = block.replace(
                "\n\n", f"\n\nCommand: `python benchmarks/ingest.py "
                f"{' '.join(argv if argv is not None else sys.argv[1:])}`  \nMachine: "
                f"{mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM; Python "
                f"{mach['python']}, pandas {mach['pandas']}, pyarrow {mach['pyarrow']}; load "
                f"average before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.\n\n", 1)
            print()
            print(block)
            if not args.no_docs:
                write_docs(args.label or "incremental", block)
                print(f"written to {DOCS}")
            return 0 if ok else 1
        scratch = workdir / "scratch"
        scratch.mkdir(exist_ok=True)
        load = os.getloadavg()
        print("warm-up: one unmeasured raw parse (fills the page cache)")
        _measure("raw", archive, scratch)
        results: dict[str, list[dict]] = {v: [] for v in variants}
        for i in range(repeats):
            for v in variants:
                r = _measure(v, archive, scratch)
                results[v].append(r)
                print(f"  run {i + 1}/{repeats} {v:<6} {r['wall_s']:8.2f} s "
                      f"{r['rows'] / r['wall_s']:>12,.0f} rows/s  cpu {r['cpu_s']:6.1f} s  "
                      f"peak {r['peak_mb']:8,.0f} MB  (load {os.getloadavg()[0]:.2f})",
                      flush=True)
        for v in variants:
            if v in VARIANTS and results[v][0]["rows"] != archive["rows"]:
                raise AssertionError(f"{v} read {results[v][0]['rows']} rows, "
                                     f"archive has {archive['rows']}")
        s = summarise(results)
        block = report_text(label, archive, s, machine(), argv if argv is not None
                            else sys.argv[1:], load)
        print()
        print(block)
        if not args.no_docs:
            write_docs(label, block)
            print(f"written to {DOCS}")
        return 0 if all(ok for *_, ok in verdict(s)) else 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
