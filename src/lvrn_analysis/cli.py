"""The ``lvrn`` command line.

Commands
--------
``lvrn build``
    Raw (or embedded/synthetic) data → ``data/processed/*.parquet`` + manifest.
``lvrn validate [SOURCE] FILE...``
    Check files without building: rows read / kept / rejected by reason per file;
    exit 0 when every file is usable (even with quarantined rows), 1 with a
    one-line reason per unusable file. ``lvrn validate ed FILE --mapping M.yml``
    reads an ED extract through a provider mapping and first prints one summary of
    its mapped, unmapped and missing columns and of values outside the code lists.
``lvrn its``
    Fit interrupted time series over the outcomes framework and print verdicts.
``lvrn site``
    Execute the notebooks (stored outputs refreshed), then render the website
    with Quarto if found, else with the offline renderer.
``lvrn fetch police|fingertips|populations ...``
    (Online only) download real data into ``data/raw/`` with a fetch log
    (`lvrn_analysis.fetch`); nothing else in the package touches the network.
``lvrn embed-police FILE...``
    (Maintainers) aggregate real data.police.uk files into the compact embedded
    form shipped with the package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lvrn_analysis import __version__
from lvrn_analysis.sources.validation import SourceError

EPILOG = """\
Quick start (from the project folder):
  lvrn build            # data/raw (or embedded real police data + synthetic twins)
                        #   -> data/processed
  lvrn site             # execute notebooks/ and render the website into _site/
  lvrn its              # interrupted time series over the outcomes framework
  lvrn validate data/raw/police/2020-02-lancashire-street.csv.gz

Real extracts go in data/raw/<source>/ (police/, fingertips/, ed/, ...); they are never
committed. Without them, the build uses the real data.police.uk months shipped with the
package and synthetic data in the real formats for everything else, and says so on
every page.
"""


def _area(name: str):
    from lvrn_analysis.config.areas import load_area

    return load_area(name)


def _fmt(n: int) -> str:
    return f"{n:,}"


def cmd_build(args: argparse.Namespace) -> int:
    """Run the build and print a one-screen summary."""
    from lvrn_analysis.processed.build import build

    area = _area(args.area)
    rep = build(area, raw_dir=args.raw, out_dir=args.out, synthetic_dir=args.synthetic_dir,
                synthetic=not args.no_synthetic, progress=not args.quiet,
                cache=not getattr(args, "no_cache", False))
    t = rep.totals()
    print(f"lvrn build: area {area.id} ({area.name})")
    from lvrn_analysis.config.geography import geography_notes

    for note in geography_notes(area):  # fallbacks and gaps of a non-shipped area
        print(f"  geography: {note}")
    for table, origin in sorted(rep.origins.items()):
        rows = [r for r in rep.inputs if r["table"] == table]
        print(f"  {table:<28} {origin:<44} files {len(rows):>3}  rows in "
              f"{_fmt(sum(r['rows_in'] for r in rows)):>10} = kept "
              f"{_fmt(sum(r['rows_kept'] for r in rows)):>10} + rejected "
              f"{_fmt(sum(r['rows_rejected'] for r in rows)):>7}")
    for force, months in rep.missing_months.items():
        if months:
            print(f"  missing months ({force}): {', '.join(months)}")
    print(f"  total rows in {_fmt(t['rows_in'])} = kept {_fmt(t['rows_kept'])} + rejected "
          f"{_fmt(t['rows_rejected'])}; manifest: {Path(args.out) / 'manifest.json'}")
    if rep.cache.get("inputs_from_cache") is not None:
        reused = sum(len(v) for v in rep.cache["inputs_from_cache"].values())
        print(f"  build cache: {reused} input file(s) reused, "
              f"{sum(rep.cache['inputs_read'].values())} read"
              + "".join(f"\n  note: {n}" for n in rep.cache["notes"]))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate files and print per-file accounting."""
    from lvrn_analysis.sources.registry import detect, sources

    area = _area(args.area)
    specs = sources()
    names = list(args.items)
    forced = None
    if names and names[0] in specs and not Path(names[0]).exists():
        forced = specs[names.pop(0)]
    if not names:
        print("lvrn validate: no files given", file=sys.stderr)
        return 2
    status = 0
    from lvrn_analysis.sources.read_options import use_reading_options

    use_reading_options(encoding=getattr(args, "encoding", None),
                        date_order=getattr(args, "date_order", None))
    for name in names:
        path = Path(name)
        try:
            if not path.is_file():
                raise SourceError(path, "file not found")
            spec = forced or _detect(path, detect)
            if getattr(args, "mapping", None) and spec.name == "ed":
                results = _validate_ed_mapping(path, area, args.mapping)
            else:
                results = spec.load(path, area)
        except SourceError as exc:
            print(f"{exc.path}: UNUSABLE: {exc.message}"
                  + (f" (row {exc.row})" if exc.row is not None else "")
                  + (f" (column {exc.column!r})" if exc.column is not None else ""))
            status = 1
            continue
        for r in results:
            r.check_accounting()
            reasons = r.rejected_by_reason()
            why = (" (" + ", ".join(f"{k} {_fmt(v)}" for k, v in reasons.items()) + ")"
                   if reasons else "")
            print(f"{r.path}: {spec.name}: rows in {_fmt(r.rows_in)} = kept "
                  f"{_fmt(r.rows_kept)} + rejected {_fmt(r.rows_rejected)}{why}")
            for note in r.notes:
                print(f"  note: {note}")
            if args.by_crime_type and spec.name == "police":
                from lvrn_analysis.story.profile import crime_type_breakdown

                print(crime_type_breakdown(r).to_string(index=False))
    return status


def _validate_ed_mapping(path: Path, area, mapping: str) -> list:
    """``lvrn validate ed FILE --mapping M``: print the one-summary mapping report, then load."""
    from lvrn_analysis.sources import ed, ed_mapping

    print(ed_mapping.mapping_report(path, mapping).text())
    return ed.load_ed(path, area, mapping=mapping)


def _detect(path: Path, detect) -> object:
    from lvrn_analysis.sources import police

    if path.suffix == ".zip":
        first = next(iter(police.iter_members(path)))[1][:2048]
    else:
        from lvrn_analysis.sources.reading import first_lines

        try:  # the header may sit below title rows, in any encoding the readers accept
            lines = first_lines(path.read_bytes())
        except SourceError as exc:
            raise SourceError(path, exc.message) from exc
        first = "\n".join(lines).encode("utf-8")
    line = first.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    spec = next((s for s in map(detect, line) if s is not None), None) if line else detect("")
    if spec is None:
        raise SourceError(path, "header does not match any known source; name the source: "
                          "lvrn validate SOURCE FILE", row=1)
    return spec


def cmd_site(args: argparse.Namespace) -> int:
    """Execute notebooks and render the website."""
    from lvrn_analysis.site.render import render_site

    if args.area:
        from lvrn_analysis.site.area_site import render_area_site

        out = render_area_site(Path(args.project), args.area, build=not args.no_build,
                               execute=not args.no_execute, renderer=args.renderer,
                               quarto=args.quarto)
        print(f"lvrn site: website for area {args.area} written to {out}")
        return 0
    out = render_site(Path(args.project), execute=not args.no_execute,
                      renderer=args.renderer, quarto=args.quarto)
    print(f"lvrn site: website written to {out}")
    return 0


def cmd_area_init(args: argparse.Namespace) -> int:
    """Write an area file from a force's street files."""
    from lvrn_analysis.config.areas import load_area
    from lvrn_analysis.sources.area_init import area_yaml, infer_area

    inferred = infer_area([Path(f) for f in args.files], args.force, min_share=args.min_share)
    text = area_yaml(inferred, area_id=args.id, name=args.name)
    if args.out in (None, "-"):
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        print(f"lvrn area init: {out} exists (use --overwrite)", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    from lvrn_analysis.config.areas import ConfigError

    try:
        load_area(out)
    except ConfigError as exc:
        print(f"lvrn area init: note: {exc}; the file is written, but `lvrn build` needs "
              "these authorities in reference/geography/local_authorities.csv and "
              "populations.csv", file=sys.stderr)
    print(f"lvrn area init: {out}: {inferred.force}, {len(inferred.authorities)} "
          "authorities from "
          f"{len(inferred.files)} file(s) ({inferred.located:,} of {inferred.rows:,} rows "
          f"located); {len(inferred.excluded)} authority names left out")
    return 0


def cmd_its(args: argparse.Namespace) -> int:
    """Evaluate the outcomes framework with interrupted time series."""
    import pandas as pd

    from lvrn_analysis.config.outcomes import load_framework
    from lvrn_analysis.processed.store import read_table
    from lvrn_analysis.story.impact.framework import evaluate
    from lvrn_analysis.story.impact.models import FRAMEWORK_DEFAULT_MODEL, PRIMARY_MODEL
    from lvrn_analysis.story.impact.robustness import framework_placebos
    from lvrn_analysis.story.impact.series import build_framework_series

    area = _area(args.area)
    framework = load_framework(args.framework) if args.framework else load_framework()
    table = "police_street" if args.real else "police_street_synthetic"
    counts = read_table(table, args.processed)
    months = read_table(f"{table}_months", args.processed)
    series = build_framework_series(counts, months, area, framework)
    model = PRIMARY_MODEL if args.model == "primary" else FRAMEWORK_DEFAULT_MODEL
    res = evaluate(series, framework, model=model, alpha=args.alpha)
    if args.placebos:
        pl = framework_placebos(series, res, model=model)
        res = res.merge(pl, on=["indicator_id", "area_code"], how="left")
    cols = [c for c in ("indicator_id", "area_name", "area_code", "rate_ratio", "ci_low",
                        "ci_high", "p_value", "p_holm", "verdict", "placebo_p", "flags")
            if c in res.columns]
    out = res[cols].copy()
    for c in ("rate_ratio", "ci_low", "ci_high"):
        if c in out:
            out[c] = out[c].round(3)
    for c in ("p_value", "p_holm", "placebo_p"):
        if c in out:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    origin = "synthetic" if table.endswith("synthetic") else "real"
    print(f"lvrn its: {framework.title} on {table} ({origin} data), model '{args.model}'")
    no_data = out["verdict"].astype(str).str.startswith("not evaluated")
    print(out[~no_data].to_string(index=False))
    if no_data.any():
        skipped = out.loc[no_data].groupby("indicator_id").size()
        print("not evaluated (" + ", ".join(sorted({str(v) for v in out.loc[no_data, 'verdict']}))
              + "): " + ", ".join(f"{k} ({v} areas)" for k, v in skipped.items()))
    if args.out:
        out_path = Path(args.out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        res.to_csv(out_path, index=False)
        print(f"full results: {out_path}")
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    """Write the embedded aggregate of real police files."""
    from lvrn_analysis.sources import police

    agg = police.build_embedded_aggregate([Path(p) for p in args.files])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    agg.to_csv(out, index=False, compression={"method": "gzip", "mtime": 0,
                                               "compresslevel": 9})
    print(f"{out}: {len(agg):,} aggregate rows standing for {int(agg['n_rows'].sum()):,} "
          f"input rows from {agg['source_file'].nunique()} files")
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the argument parser (its help reads like the README)."""
    p = argparse.ArgumentParser(
        prog="lvrn",
        description="lvrn-analysis: violence-reduction data from raw files to an evaluated "
                    "story (problem profile, causes of the causes, interventions, "
                    "interrupted time series).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"lvrn-analysis {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="raw data -> data/processed parquet + manifest",
                       description="Read, validate and clean every source; write "
                                   "data/processed/*.parquet, quarantine tables and "
                                   "manifest.json (rows in = kept + rejected per file).")
    b.add_argument("--area", default="lancashire",
                   help="area configuration: lancashire, leicestershire or a YAML file "
                        "(default: %(default)s)")
    b.add_argument("--raw", default="data/raw", help="folder of raw extracts "
                   "(default: %(default)s)")
    b.add_argument("--out", default="data/processed", help="output folder "
                   "(default: %(default)s)")
    b.add_argument("--synthetic-dir", default="data/synthetic",
                   help="where synthetic twins are written (default: %(default)s)")
    b.add_argument("--no-synthetic", action="store_true",
                   help="build real inputs only (the time-series pages need the synthetic "
                        "series)")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--no-cache", "--clean", dest="no_cache", action="store_true",
                   help="read every input again and neither use nor update the build cache "
                        "(data/processed/.cache/); the outputs are the same")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="check input files without building",
                       description="Check files without building. Prints rows read / kept / "
                                   "rejected by reason for each file. Exit 0 if every file "
                                   "is usable (even with quarantined rows); 1 if any file "
                                   "cannot be used, with a one-line reason.")
    v.add_argument("items", nargs="+", metavar="[SOURCE] FILE",
                   help="optional source name (police, ...) then files; without a source "
                        "name it is detected from each file's header")
    v.add_argument("--area", default="lancashire", help="area configuration "
                   "(default: %(default)s)")
    v.add_argument("--by-crime-type", action="store_true",
                   help="police: also print rows per crime type")
    v.add_argument("--encoding", default=None, metavar="NAME",
                   help="read text in this encoding (e.g. utf-16, latin-1) instead of "
                        "detecting UTF-8, UTF-16 or Windows-1252")
    v.add_argument("--date-order", default=None, choices=("DMY", "MDY"),
                   help="order of NN/NN/YYYY dates when the file itself does not show it")
    v.add_argument("--mapping", default=None, metavar="MAPPING.yml",
                   help="ed: read the file through a provider mapping (its column names and "
                        "local codes) and first print one summary of mapped, unmapped and "
                        "missing columns and of values outside the code lists, with counts")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("site", help="execute notebooks and render the website",
                       description="Execute notebooks/*.ipynb in place (outputs stored for "
                                   "nbval and Quarto), then render the website into _site/ "
                                   "with Quarto if found (on PATH, or $LVRN_QUARTO / "
                                   "$QUARTO_PATH), else with the offline renderer smalldocs.")
    s.add_argument("--project", default=".", help="project folder with _quarto.yml "
                   "(default: %(default)s)")
    s.add_argument("--no-execute", action="store_true",
                   help="render the stored outputs without executing the notebooks")
    s.add_argument("--renderer", choices=["auto", "quarto", "smalldocs"], default="auto",
                   help="force a renderer (default: %(default)s)")
    s.add_argument("--quarto", default=None, help="path to the quarto executable")
    s.add_argument("--area", default=None,
                   help="render the whole story for another area (shipped name or YAML "
                        "file) into _build/site-<id>/_site: builds the area, executes copies "
                        "of the notebooks there; the tracked notebooks are not touched")
    s.add_argument("--no-build", action="store_true",
                   help="with --area: reuse the area's existing build in _build/site-<id>/")
    s.set_defaults(func=cmd_site)

    i = sub.add_parser("its", help="interrupted time series over the outcomes framework",
                       description="Fit every indicator x area of the outcomes framework at "
                                   "its go-live date (segmented regression, see the Impact "
                                   "page) and print rate ratios, intervals and verdicts. "
                                   "Runs on the synthetic police series by default: the real "
                                   "extract has gaps, which the ITS engine refuses.")
    i.add_argument("--area", default="lancashire", help="area configuration "
                   "(default: %(default)s)")
    i.add_argument("--framework", default=None,
                   help="outcomes framework YAML (default: the shipped Lancashire proposal)")
    i.add_argument("--processed", default=None, help="processed folder (default: found "
                   "from the current folder)")
    i.add_argument("--real", action="store_true",
                   help="use the real police table instead of the synthetic series")
    i.add_argument("--model", choices=["primary", "level-only"], default="primary",
                   help="primary: level and slope change with lockdown covariates; "
                        "level-only: the framework default (default: %(default)s)")
    i.add_argument("--alpha", type=float, default=0.05, help="test level "
                   "(default: %(default)s)")
    i.add_argument("--placebos", action="store_true",
                   help="also run the in-time placebo test of every evaluated series "
                        "(placebo_p: rank p-value of the real level change among fake "
                        "pre-period go-live dates; one worker process per core)")
    i.add_argument("--out", default=None, help="write the full results table as CSV")
    i.set_defaults(func=cmd_its)

    from lvrn_analysis.fetch.command import add_fetch_parser

    add_fetch_parser(sub)

    ar = sub.add_parser("area", help="configure an area: `lvrn area init --force SLUG FILES`")
    ar_sub = ar.add_subparsers(dest="area_command", required=True, metavar="ACTION")
    ai = ar_sub.add_parser(
        "init", help="write an area file from a force's street files",
        description="Write the area YAML from the force's own data.police.uk street files: "
                    "the force from 'Falls within', the authorities from the LSOA names "
                    "(those holding at least --min-share of the located rows), their ONS "
                    "codes and mid-2019 populations from the shipped England table.")
    ai.add_argument("files", nargs="+", metavar="FILE",
                    help="street files (.csv, .csv.gz) or monthly archives (.zip)")
    ai.add_argument("--force", required=True, help="the force's slug, e.g. leicestershire")
    ai.add_argument("--id", default=None, help="area id (default: the slug)")
    ai.add_argument("--name", default=None, help="the VRU's name (default: a placeholder)")
    ai.add_argument("--min-share", type=float, default=0.005,
                    help="smallest share of located rows for an authority (default: "
                         "%(default)s)")
    ai.add_argument("--out", default=None, help="file to write (default: standard output)")
    ai.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    ai.set_defaults(func=cmd_area_init)

    e = sub.add_parser("embed-police", help="(maintainers) aggregate real police files for "
                       "embedding in the package")
    e.add_argument("files", nargs="+")
    e.add_argument("--out", required=True)
    e.set_defaults(func=cmd_embed)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lvrn`` command."""
    p = parser()
    args, extra = p.parse_known_args(argv)
    if extra:
        # `lvrn validate police --by-crime-type FILE`: files may follow an option
        if args.command == "validate" and not any(e.startswith("-") for e in extra):
            args.items = [*args.items, *extra]
        else:
            p.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.func(args))
    except SourceError as exc:
        print(f"lvrn: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        print(f"lvrn: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        from lvrn_analysis.site.render import SiteError

        if not isinstance(exc, SiteError):
            raise
        print(f"lvrn site: {_one_line(str(exc))}", file=sys.stderr)
        return 1


def _one_line(message: str) -> str:
    """Shorten a multi-line error (a failed cell's traceback) to its first and last lines."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else "failed"
    return f"{lines[0]} {lines[-1]}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
