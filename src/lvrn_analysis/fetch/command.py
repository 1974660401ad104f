"""The ``lvrn fetch`` command: its options and what it prints.

Kept apart from the fetchers so that building the ``lvrn`` parser imports no HTTP
library. Every failure is one line on standard error and exit status 1 (never a
traceback); success prints what was written and where it was logged.
"""

from __future__ import annotations

import argparse
import sys

FETCH_HELP = """\
Download real open data into data/raw/ (needs the internet; `lvrn build` never does this).
Files are written whole (temporary name, then rename) and logged with their URL, size and
SHA-256 in the folder's fetch-log.json, which `lvrn build` copies into its manifest.

  lvrn fetch police --force lancashire --from 2013-01 --to 2022-10
  lvrn fetch fingertips                      # the curated indicators, districts and counties
  lvrn fetch populations --area lancashire   # ONS mid-year estimates from Nomis
"""


def add_fetch_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``fetch`` and its three sources to the ``lvrn`` sub-command parsers."""
    f = sub.add_parser("fetch", help="download real data into data/raw (online only)",
                       description=FETCH_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    what = f.add_subparsers(dest="fetch_source", required=True, metavar="SOURCE")

    p = what.add_parser("police", help="a force's street-level months from data.police.uk's "
                        "monthly archives",
                        description="Read the fewest monthly archives covering the range; "
                                    "only the force's street files are downloaded when the "
                                    "server serves byte ranges (else the archive is streamed "
                                    "to the cache and read there).")
    p.add_argument("--force", required=True, metavar="SLUG",
                   help="force slug as in the file names (lancashire, leicestershire, ...)")
    p.add_argument("--from", dest="start", required=True, metavar="YYYY-MM",
                   help="first month")
    p.add_argument("--to", dest="end", required=True, metavar="YYYY-MM", help="last month")
    p.add_argument("--archive-url", default=None,
                   help="folder of YYYY-MM.zip archives (default: "
                        "https://data.police.uk/data/archive)")
    p.add_argument("--dest", default="data/raw/police", help="(default: %(default)s)")
    p.add_argument("--cache", default="data/raw/.fetch-cache/police",
                   help="whole archives from servers without range support "
                        "(default: %(default)s)")
    p.set_defaults(func=cmd_fetch)

    t = what.add_parser("fingertips", help="Fingertips API CSV exports of indicators")
    t.add_argument("--indicators", default=None, metavar="ID[,ID...]",
                   help="indicator ids (default: the curated list)")
    t.add_argument("--area-type", default="501,502", metavar="ID[,ID...]",
                   help="Fingertips child area type ids: 501 districts and unitaries, 502 "
                        "counties and unitaries (from April 2023); 401/402 for 2021-23, "
                        "101/102 before 2019 (default: %(default)s)")
    t.add_argument("--parent-area-type", type=int, default=15,
                   help="parent area type id: 15 England, 6 regions (default: %(default)s)")
    t.add_argument("--api-url", default=None,
                   help="API base URL (default: https://fingertips.phe.org.uk/api)")
    t.add_argument("--dest", default="data/raw/fingertips", help="(default: %(default)s)")
    t.set_defaults(func=cmd_fetch)

    o = what.add_parser("populations", help="ONS mid-year estimates of the area's authorities "
                        "(Nomis NM_2002_1)")
    o.add_argument("--area", default="lancashire", help="area configuration "
                   "(default: %(default)s)")
    o.add_argument("--years", type=int, default=10,
                   help="mid-years up to the latest published (default: %(default)s)")
    o.add_argument("--api-url", default=None,
                   help="Nomis API base URL (default: https://www.nomisweb.co.uk/api/v01)")
    o.add_argument("--dest", default="data/raw/populations", help="(default: %(default)s)")
    o.set_defaults(func=cmd_fetch)
    return f


def _police(args: argparse.Namespace) -> None:
    from lvrn_analysis.fetch.police import DEFAULT_ARCHIVE_URL, fetch_police

    rep = fetch_police(args.force, args.start, args.end,
                       archive_url=args.archive_url or DEFAULT_ARCHIVE_URL, dest=args.dest,
                       cache=args.cache, echo=print)
    print(f"lvrn fetch police: {len(rep.written)} file(s) written, {len(rep.unchanged)} "
          f"already there, in {args.dest}; log {rep.log}")
    if rep.missing:
        print(f"  not in the archives ({len(rep.missing)} month(s)): "
              + ", ".join(f"{m} ({why})" for m, why in sorted(rep.missing.items())))


def _fingertips(args: argparse.Namespace) -> None:
    from lvrn_analysis.fetch.fingertips import DEFAULT_API_URL, fetch_fingertips, parse_ids

    ids = parse_ids(args.indicators) if args.indicators else None
    rep = fetch_fingertips(ids, parse_ids(args.area_type, "area type"),
                           parent_area_type=args.parent_area_type,
                           api_url=args.api_url or DEFAULT_API_URL, dest=args.dest,
                           echo=print)
    print(f"lvrn fetch fingertips: {len(rep.written)} file(s) written in {args.dest}"
          + (f", {len(rep.empty)} indicator x area type with no rows" if rep.empty else "")
          + (f"; log {rep.log}" if rep.log else ""))


def _populations(args: argparse.Namespace) -> None:
    from lvrn_analysis.config.areas import load_area
    from lvrn_analysis.fetch.populations import DEFAULT_API_URL, fetch_populations

    rep = fetch_populations(load_area(args.area), years=args.years,
                            api_url=args.api_url or DEFAULT_API_URL, dest=args.dest,
                            echo=print)
    print(f"lvrn fetch populations: {rep.path} ({len(rep.estimates)} estimates); log {rep.log}")
    if rep.not_found:
        print(f"  no Nomis estimate for {', '.join(rep.not_found)}: the shipped table "
              "serves them")


def cmd_fetch(args: argparse.Namespace) -> int:
    """Run ``lvrn fetch SOURCE``; return 0, or 1 with one line on standard error."""
    from lvrn_analysis.config.areas import ConfigError
    from lvrn_analysis.fetch.http import FetchError

    run = {"police": _police, "fingertips": _fingertips, "populations": _populations}
    try:
        run[args.fetch_source](args)
    except (FetchError, ConfigError, ValueError, OSError) as exc:
        print(f"lvrn fetch {args.fetch_source}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lvrn fetch {args.fetch_source}: interrupted; complete files are kept and "
              "logged, a partial archive download resumes on the next run", file=sys.stderr)
        return 130
    return 0
