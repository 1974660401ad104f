"""An area file for any force, read from the force's own data.police.uk street files.

``lvrn area init --force SLUG FILES...`` (`infer_area()`, `area_yaml()`) configures a new
VRU from evidence rather than by hand:

* the **force** is the ``Falls within`` value of the files' rows;
* the **authorities** are those named by the LSOA names of the located rows (ONS names
  every 2011 LSOA after its authority: ``"Blackpool 010A"``), kept when they hold at least
  ``min_share`` of the located rows, so that the few crimes a force records in a
  neighbouring area (Bolton, Bath, ... in the Lancashire files) do not make that area part
  of the VRU; the authorities left out are listed in the file's comments with their rows;
* their **ONS codes and populations** come from the shipped England table
  (``reference/geography/england_ltla_mid2019.csv``: the 315 English lower-tier
  authorities, mid-2019).

LSOA 2011 names carry the authority names of 2011; the five authorities created in 2019
(e.g. Bournemouth, Christchurch and Poole) are named by their predecessors in those files,
so their LSOAs are reported as unmatched rather than guessed.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lvrn_analysis.config import geography
from lvrn_analysis.config.geography import la_name_from_lsoa_name
from lvrn_analysis.sources.validation import SourceError

#: The shipped England table: ``la_code``, ``la_name``, ``mid_year``, ``population``.
ENGLAND_TABLE = geography.ENGLAND_TABLE

_COLUMNS = ("Falls within", "LSOA name")


def england_authorities() -> pd.DataFrame:
    """Return the shipped England table of lower-tier authorities (codes, names, mid-2019).

    The same table `lvrn_analysis.config.geography.england_authorities()` reads (the
    geography layer's fallback for authorities it does not ship).
    """
    return geography.england_authorities()


@dataclass(frozen=True)
class InferredArea:
    """What a force's street files say about its area.

    Attributes
    ----------
    slug
        The force's slug in data.police.uk file names.
    force
        The ``Falls within`` value (the most frequent one).
    authorities
        ``la_code``, ``la_name``, ``rows`` (located rows in the files), ``share`` and
        ``population`` (mid-2019) of the authorities kept, largest first.
    excluded
        ``lsoa_la_name`` and ``rows`` of the authority names below ``min_share`` or not in
        the England table.
    files
        The files read.
    rows
        Rows read; ``located`` of them carry an LSOA name.
    located
        Rows with an LSOA name.
    """

    slug: str
    force: str
    authorities: pd.DataFrame
    excluded: pd.DataFrame
    files: tuple[str, ...]
    rows: int
    located: int


def _frames(path: Path, slug: str) -> list[tuple[str, pd.DataFrame]]:
    """Read the two needed columns of a street file (``.csv``, ``.csv.gz`` or archive ``.zip``)."""
    from lvrn_analysis.sources.police import iter_members

    out: list[tuple[str, pd.DataFrame]] = []
    for label, data in iter_members(path, slug if path.suffix == ".zip" else None):
        try:
            df = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig",
                             usecols=lambda c: c in _COLUMNS)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(label, "cannot read as a data.police.uk street file "
                              f"({exc})") from exc
        out.append((str(label), df))
    return out


def infer_area(paths: list[Path] | list[str], slug: str, *,
               min_share: float = 0.005) -> InferredArea:
    """Infer a force's area from its street files.

    Parameters
    ----------
    paths
        Street files of the force (``YYYY-MM-<slug>-street.csv[.gz]``) or monthly archives.
    slug
        The force's slug; in a file name, any other slug is an error.
    min_share
        Smallest share of the located rows an authority must hold to be part of the area.

    Returns
    -------
    InferredArea
        The force, the authorities kept and those left out.

    Raises
    ------
    SourceError
        If a file is not the force's (by name), lacks the columns, or no row is located
        in an English authority.
    """
    falls: Counter[str] = Counter()
    names: Counter[str] = Counter()
    rows = located = 0
    files: list[str] = []
    for p in map(Path, paths):
        if not p.is_file():
            raise SourceError(p, "file not found")
        if p.suffix != ".zip" and "-street" in p.name and f"-{slug}-street" not in p.name:
            raise SourceError(p, f"not a street file of force {slug!r} (by its name)")
        for label, df in _frames(p, slug):
            missing = [c for c in _COLUMNS if c not in df.columns]
            if missing:
                raise SourceError(label, f"no column {missing[0]!r}: not a data.police.uk "
                                  "street file", row=1, column=missing[0])
            files.append(label)
            rows += len(df)
            falls.update(df["Falls within"].dropna().str.strip())
            la = la_name_from_lsoa_name(df["LSOA name"]).dropna()
            located += len(la)
            names.update(la.astype(str))
    if not files:
        raise SourceError(", ".join(map(str, paths)) or "(no files)",
                          f"no street file of force {slug!r}")
    if not names:
        raise SourceError(files[0], "no row carries an LSOA name")
    eng = england_authorities()
    by_name = dict(zip(eng["la_name"], eng["la_code"], strict=True))
    pop = dict(zip(eng["la_code"], eng["population"], strict=True))
    table = pd.DataFrame(sorted(names.items(), key=lambda kv: (-kv[1], kv[0])),
                         columns=["lsoa_la_name", "rows"])
    table["share"] = table["rows"] / located
    table["la_code"] = table["lsoa_la_name"].map(by_name)
    keep = (table["share"] >= min_share) & table["la_code"].notna()
    if not keep.any():
        raise SourceError(files[0], "no authority named by the LSOAs is in the England table")
    kept = table[keep].rename(columns={"lsoa_la_name": "la_name"})
    kept = kept.assign(population=kept["la_code"].map(pop).astype("int64"))
    return InferredArea(
        slug=slug, force=falls.most_common(1)[0][0] if falls else "",
        authorities=kept[["la_code", "la_name", "rows", "share", "population"]]
        .reset_index(drop=True),
        excluded=table.loc[~keep, ["lsoa_la_name", "rows"]].reset_index(drop=True),
        files=tuple(files), rows=rows, located=located)


def area_yaml(inferred: InferredArea, *, area_id: str | None = None,
              name: str | None = None) -> str:
    """Write the area file (YAML text) for an inferred area.

    Parameters
    ----------
    inferred
        Output of `infer_area()`.
    area_id
        The area's id (default the force slug).
    name
        The VRU's display name (default a placeholder naming the force, to be edited).

    Returns
    -------
    str
        A file `lvrn_analysis.config.areas.load_area()` reads; authorities in ONS code
        order, each with its name, rows and population as a comment.
    """
    a = inferred.authorities.sort_values("la_code")
    vid = area_id or inferred.slug
    vru = name or f"{inferred.force} area Violence Reduction Unit"
    lines = [
        f"# Area configuration written by `lvrn area init --force {inferred.slug}` from "
        f"{len(inferred.files)} street file(s):",
        f"# {inferred.rows:,} rows, {inferred.located:,} with an LSOA. Authorities named by the "
        "LSOAs; ONS codes and mid-2019",
        "# populations from reference/geography/england_ltla_mid2019.csv. Check the names below.",
        f"id: {vid}",
        f"name: {vru}",
        f"short_name: {vid.upper()} VRU",
        f"vru_name: {vru}",
        f"place: the {inferred.force} area",
        "police:",
        f"  force: {inferred.force}",
        f"  file_slug: {inferred.slug}",
        "population:",
        "  default_mid_year: 2019",
        f"# {len(a)} authorities; population mid-2019 {int(a['population'].sum()):,}",
        "authorities:",
    ]
    for r in a.itertuples():
        lines.append(f"  - {r.la_code}  # {r.la_name}: {int(r.rows):,} rows "
                     f"({100 * r.share:.1f} %), population {int(r.population):,}")
    if len(inferred.excluded):
        lines.append("# Left out (below the share threshold or not an English authority of "
                     "the table):")
        for r in inferred.excluded.itertuples():
            lines.append(f"#   {r.lsoa_la_name}: {int(r.rows):,} rows")
    lines += ["synthetic:", "  start: 2016-01", "  end: 2022-10", "  seed: 1"]
    return "\n".join(lines) + "\n"
