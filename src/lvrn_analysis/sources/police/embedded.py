"""The embedded aggregate: real street-level files, shipped in a compact form.

Only the fields the cleaning rules need are kept, so that replaying
`lvrn_analysis.sources.police.rules.clean()` on the aggregate gives exactly the
counts of replaying it on the original rows, one `LoadResult` per original file.

Repeated Crime IDs (the same crime published twice) stay in the aggregate as rows
with ``crime_id_status = "duplicate"`` and their count, so a build from the
aggregate quarantines exactly the copies a build from the raw files does, month by
month. Each such row also says whether the copy repeats the first copy's place
(coordinates, location and LSOA) and crime type (`REPEAT_OF_FIRST`), which the
raw rows show and the aggregate would otherwise lose.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.police.archives import iter_members
from lvrn_analysis.sources.police.format import month_from_name
from lvrn_analysis.sources.police.parsing import parse_street_csv
from lvrn_analysis.sources.police.rules import _coords, _normalise_raw, clean
from lvrn_analysis.sources.validation import WEIGHT, LoadResult, SourceError, sha256_bytes

#: Columns of the embedded aggregate (one row per group of identical input rows).
EMBED_COLUMNS: tuple[str, ...] = (
    "source_file", "source_sha256", "month", "reported_by", "falls_within", "lsoa_code",
    "lsoa_name", "crime_type", "has_coordinates", "crime_id_status", "repeat_of_first",
    WEIGHT,
)

#: Values of ``repeat_of_first`` on rows whose Crime ID repeats an earlier row of
#: the same file (missing on all other rows).
REPEAT_OF_FIRST: dict[str, str] = {
    "same_place_and_type": "same coordinates, location, LSOA and crime type as the first copy",
    "differs": "coordinates, location, LSOA or crime type differ from the first copy",
}

#: Fields compared by `repeat_of_first()`.
_PLACE_AND_TYPE = ("longitude", "latitude", "location", "lsoa_code", "crime_type")


def repeat_of_first(rows: pd.DataFrame) -> pd.Series:
    """Say, for each repeated Crime ID, whether it repeats the first copy's place and type.

    Parameters
    ----------
    rows
        One file's rows after `_normalise_raw()` (``crime_id``, ``crime_id_status``
        and the fields in `_PLACE_AND_TYPE`).

    Returns
    -------
    pandas.Series
        ``"same_place_and_type"`` or ``"differs"`` (see `REPEAT_OF_FIRST`) on
        rows with ``crime_id_status == "duplicate"``, missing elsewhere.
    """
    out = pd.Series(pd.NA, index=rows.index, dtype="string")
    dup = rows["crime_id_status"] == "duplicate"
    if not dup.any():
        return out
    cols = list(_PLACE_AND_TYPE)
    # a "present" row is the first row of its Crime ID (see _normalise_raw)
    first = rows.loc[rows["crime_id_status"] == "present", ["crime_id", *cols]]
    first = first.set_index("crime_id")[cols].reindex(rows.loc[dup, "crime_id"])
    a = first.astype("string").fillna("").to_numpy()
    b = rows.loc[dup, cols].astype("string").fillna("").to_numpy()
    same = (a == b).all(axis=1)
    out.loc[dup] = pd.array(["same_place_and_type" if x else "differs" for x in same],
                            dtype="string")
    return out


def build_embedded_aggregate(paths: list[Path]) -> pd.DataFrame:
    """Aggregate real street-level files into the compact embedded form.

    Only the fields the cleaning rules need are kept (month, force, LSOA, crime
    type, whether coordinates and a Crime ID were present, and whether the Crime
    ID repeated within the file), so that replaying `clean()` on the
    aggregate gives exactly the counts of replaying it on the original rows.
    Repeated Crime IDs keep their count (``crime_id_status = "duplicate"``) and
    say whether they repeat the first copy's place and crime type
    (``repeat_of_first``, `repeat_of_first()`).

    Parameters
    ----------
    paths
        Real data.police.uk files (``.csv`` or ``.csv.gz``).

    Returns
    -------
    pandas.DataFrame
        Columns `EMBED_COLUMNS`, sorted.
    """
    frames = []
    for p in sorted(paths, key=lambda x: Path(x).name):
        for label, data in iter_members(p):
            rows, malformed, _ = parse_street_csv(data, label)
            if len(malformed):
                raise SourceError(label, f"{len(malformed)} malformed rows; fix before embedding")
            rows = _normalise_raw(rows)
            ok, has = _coords(rows)
            if not ok.all():
                raise SourceError(label, "invalid coordinates; fix before embedding")
            rows["has_coordinates"] = has
            rows["repeat_of_first"] = repeat_of_first(rows)
            name = Path(label).name.removesuffix(".gz")
            rows["source_file"] = name
            rows["source_sha256"] = sha256_bytes(data)
            keys = [c for c in EMBED_COLUMNS if c != WEIGHT]
            g = rows.groupby(keys, dropna=False, sort=True)[WEIGHT].sum().reset_index()
            frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values([c for c in EMBED_COLUMNS if c != WEIGHT],
                           na_position="first").reset_index(drop=True)


def load_embedded(frame: pd.DataFrame, area: AreaConfig, label: str) -> list[LoadResult]:
    """Replay the cleaning rules on an embedded aggregate, one result per source file.

    Parameters
    ----------
    frame
        The aggregate (columns `EMBED_COLUMNS`).
    area
        Area configuration.
    label
        Label of the aggregate file (prefixed to each source-file label).

    Returns
    -------
    list of LoadResult
        One per original monthly file, with its original SHA-256.
    """
    out = []
    for (name, sha), g in frame.groupby(["source_file", "source_sha256"], sort=True):
        g = g.copy()
        g["row"] = pd.array([pd.NA] * len(g), dtype="Int64")
        for c in ("crime_id", "longitude", "latitude", "location", "last_outcome_category",
                  "context"):
            g[c] = pd.NA
        g["has_coordinates"] = g["has_coordinates"].astype(str).str.lower().isin(
            ["true", "1"])
        if "repeat_of_first" not in g:  # an aggregate written before the column existed
            g["repeat_of_first"] = pd.NA
        g[WEIGHT] = g[WEIGHT].astype("int64")
        res = clean(g, label=f"{label}!{name}", area=area,
                    expected_month=month_from_name(str(name)), sha256=str(sha),
                    notes=["embedded aggregate of the real data.police.uk file"])
        res.rejected = res.rejected.drop(
            columns=[c for c in ("crime_id", "longitude", "latitude", "location",
                                 "last_outcome_category", "context") if c in res.rejected])
        out.append(res)
    return out


def read_embedded(area: AreaConfig) -> list[LoadResult]:
    """Replay the cleaning rules on the embedded aggregate shipped for an area.

    Parameters
    ----------
    area
        Area configuration naming the aggregate (``embedded_police``, a reference
        file inside the package).

    Returns
    -------
    list of LoadResult
        One per original monthly file (`load_embedded()`), labelled
        ``lvrn_analysis/reference/<file>!<original file>``.

    Raises
    ------
    ValueError
        If the area has no embedded aggregate.
    """
    if not area.embedded_police:
        raise ValueError(f"area {area.id!r} has no embedded police data")
    with reference_file(area.embedded_police).open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""])
    frame[WEIGHT] = frame[WEIGHT].astype("int64")
    return load_embedded(frame, area, label=f"lvrn_analysis/reference/{area.embedded_police}")
