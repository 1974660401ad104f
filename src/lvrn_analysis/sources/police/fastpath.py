"""The fast path: one file parsed once into Arrow columns, rules applied per distinct value.

`load_fast()` gives the same kept aggregate and quarantine as the reference path
(`lvrn_analysis.sources.police.rules.load_bytes_reference()`), as a
`PoliceFileResult` whose kept groups are integer codes sorted like `aggregate()`;
`load_bytes()` and `load_police_path()` return it as `LoadResult` objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig, area_slugs
from lvrn_analysis.sources.police.archives import iter_members
from lvrn_analysis.sources.police.columns import (
    _canonical,
    _crime_id_status,
    _encode,
    _na_first,
    _numeric,
    _rank,
    _small,
)
from lvrn_analysis.sources.police.format import (
    ASB,
    CRIME_TYPES,
    GEO_STATUS,
    REASONS,
    SOURCE,
    month_from_name,
)
from lvrn_analysis.sources.police.index import _STATUS_INDEX, AreaIndex, area_index
from lvrn_analysis.sources.police.parsing import _DICT_COLUMNS, parse_street_table
from lvrn_analysis.sources.police.quarantined import _CODES, QuarantinedRows, _quarantined
from lvrn_analysis.sources.police.rules import _LAT, _LON, aggregate
from lvrn_analysis.sources.validation import WEIGHT, Accounting, LoadResult, sha256_bytes

#: Crime type → its code (index into `CRIME_TYPES`); codes → sort ranks and back.
_TYPE_INDEX: dict[str, int] = {t: i for i, t in enumerate(CRIME_TYPES)}
_TYPE_RANK = np.array([sorted(CRIME_TYPES).index(t) for t in CRIME_TYPES], dtype=np.int64)
_TYPE_OF_RANK = np.argsort(_TYPE_RANK)
_ASB_INDEX = _TYPE_INDEX[ASB]
_STATUS_RANK = np.array([sorted(GEO_STATUS).index(g) for g in GEO_STATUS], dtype=np.int64)


@dataclass(eq=False)
class PoliceFileResult(Accounting):
    """The outcome of loading one street-level file on the fast path.

    Holds the same information as a `LoadResult`
    (`to_load_result()` gives it), but the kept aggregate as integer codes
    sorted like `aggregate()` (the build streams them to parquet without
    building one frame per file).

    Attributes
    ----------
    path, sha256, rows_in, notes
        As in `LoadResult`.
    quarantined
        The quarantined rows before they become a frame (`rejected` builds it).
    index
        The `AreaIndex` whose geo ids `geo` refers to.
    months, forces
        Normalised ``Month`` and ``Falls within`` values the codes refer to.
    month, force, geo, ctype, n
        One entry per kept group: month and force codes, geo id, crime type
        (index into `CRIME_TYPES`) and number of rows.
    reasons
        Quarantined rows per reason.
    token
        Identity of the kept groups when the input came through a build cache
        (`lvrn_analysis.sources.police.cached`), else ``None``.
    """

    path: str
    sha256: str
    rows_in: int
    quarantined: QuarantinedRows | None
    notes: list[str]
    index: AreaIndex
    months: list[str | None]
    forces: list[str | None]
    month: np.ndarray
    force: np.ndarray
    geo: np.ndarray
    ctype: np.ndarray
    n: np.ndarray
    reasons: dict[str, int]
    source: str = SOURCE
    geo_table: list | None = None
    worker: int = 0
    released: bool = False
    _rows_kept: int = 0
    ugeo: np.ndarray | None = None
    _rejected: pd.DataFrame | None = None
    #: Identity of the kept groups for reusing written rows (the input's cache key,
    #: the member's position and any superseded force-months), or ``None``.
    token: str | None = None
    #: Detached: the LSOA pairs the worker placed since its last result
    #: (`AreaIndex.pairs_since()`), and how many geo ids its index had when the
    #: worker started (the same ids as in the parent's index, which it inherited).
    pairs: tuple | None = None
    base: int = 0

    @property
    def rejected(self) -> pd.DataFrame:
        """The quarantined rows as `clean()` returns them (built on first use)."""
        if self._rejected is None:
            assert self.quarantined is not None
            self._rejected = self.quarantined.frame()
            self.quarantined = None
        return self._rejected

    @rejected.setter
    def rejected(self, frame: pd.DataFrame) -> None:
        self._rejected = frame
        self.quarantined = None

    @property
    def rows_kept(self) -> int:
        """Input rows kept."""
        if self.released:
            return self._rows_kept
        return int(self.n.sum(dtype=np.int64))

    @property
    def rows_rejected(self) -> int:
        """Input rows quarantined (weighted; the sum of `reasons`)."""
        return int(sum(self.reasons.values()))

    def rejected_by_reason(self) -> dict[str, int]:
        """Return quarantined input rows per reason, sorted by reason."""
        return {k: int(v) for k, v in sorted(self.reasons.items()) if v}

    def kept_frame(self) -> pd.DataFrame:
        """Return the kept aggregate as `clean()` returns it."""
        if not len(self.n):
            return _empty_kept()
        recs = self.index.geo_records
        geo = [recs[g] for g in self.geo.tolist()]
        months = np.array(self.months, dtype=object)[self.month]
        forces = np.array(self.forces, dtype=object)[self.force]
        return pd.DataFrame({
            "month": pd.to_datetime(pd.Series(months, dtype="string").astype(str),
                                    format="%Y-%m").to_numpy(),
            "force": pd.array(forces, dtype="string"),
            "la_code": pd.array([g[0] for g in geo], dtype="string"),
            "la_name": pd.array([g[1] for g in geo], dtype="string"),
            "lsoa_code": pd.array([g[2] for g in geo], dtype="string"),
            "crime_type": pd.array(np.array(CRIME_TYPES, dtype=object)[self.ctype],
                                   dtype="string"),
            "geo_status": pd.array([g[3] for g in geo], dtype="string"),
            WEIGHT: self.n.astype(np.int64),
        })

    def release_kept(self) -> None:
        """Drop the kept groups once written, keeping `rows_kept` (bounded memory)."""
        self._rows_kept = int(self.n.sum(dtype=np.int64))
        empty = np.zeros(0, dtype=np.int32)
        self.month, self.force, self.geo = empty, empty, empty
        self.ctype, self.n = empty.astype(np.int8), empty.astype(np.int64)
        self.released = True

    def keep_only(self, mask: np.ndarray) -> None:
        """Drop the kept groups where ``mask`` is false."""
        for name in ("month", "force", "geo", "ctype", "n"):
            setattr(self, name, getattr(self, name)[mask])

    def detach(self, sent: set[int] | None = None, pairs: tuple | None = None,
               base: int = 0) -> PoliceFileResult:
        """Prepare the result for another process (see `attach()`).

        Geo ids stay this process's; the records of those not in ``sent`` (which is
        updated), or of all of them, travel with the result, as do ``pairs``
        (`AreaIndex.pairs_since()`) and the records of their geo ids. ``base``: the
        geo ids below it are the same in the receiving process (inherited).
        """
        recs = self.index.geo_records
        ids = np.unique(self.geo).tolist() if self.ugeo is None else self.ugeo.tolist()
        if pairs is not None and len(pairs[1]):
            ids = sorted(set(ids).union(pairs[1].tolist()))
        self.pairs, self.base = pairs, base
        new = ids if sent is None else [g for g in ids if g not in sent]
        if sent is not None:
            sent.update(new)
        self.geo_table = [(g, recs[g]) for g in new]
        self.worker = os.getpid()
        self.index = None  # type: ignore[assignment]
        return self

    def attach(self, index: AreaIndex, maps: dict[int, np.ndarray] | None = None
               ) -> PoliceFileResult:
        """Re-express a detached result in ``index``'s geo ids.

        ``maps`` (one per parent, shared by the calls) remembers each worker's ids, so
        that records sent once are not needed again; results of one worker must be
        attached in the order that worker produced them.
        """
        maps = {} if maps is None else maps
        m = maps.get(self.worker)
        if m is None:  # ids below base are the ones the worker inherited from this process
            m = maps[self.worker] = np.arange(self.base, dtype=np.int32)
        if self.geo_table:
            top = max(g for g, _ in self.geo_table) + 1
            if top > len(m):
                m = np.concatenate([m, np.full(max(top, 2 * len(m)) - len(m), -1, np.int32)])
            m[[g for g, _ in self.geo_table]] = index.geo_ids([r for _, r in self.geo_table])
            maps[self.worker] = m
        if self.pairs is not None and self.pairs[0]:
            keys, pgeo, status, la_names = self.pairs
            index.adopt_pairs(keys, m[pgeo], status, la_names)
        self.pairs = None
        self.geo = m[self.geo]
        self.geo_table = None
        self.ugeo = None
        self.index = index
        return self

    def relabel(self, label: str) -> None:
        """Replace the file label (e.g. by a path relative to the working folder).

        Every ``file`` value of a police quarantine is the file's label, so the
        replacement gives the new label throughout, as a ``string`` column (as
        replacing it in a `LoadResult`'s frames does); a quarantine not yet built
        as a frame records that instead.
        """
        old = self.path
        self.path = label
        if self.quarantined is not None:
            self.quarantined.label = label
            self.quarantined.relabeled = True
            return
        frame = self.rejected
        if not frame.empty and "file" in frame.columns:
            frame["file"] = frame["file"].astype("string").str.replace(old, label, regex=False)

    def to_load_result(self) -> LoadResult:
        """Return the equivalent `LoadResult`."""
        return LoadResult(self.source, self.path, self.kept_frame(), self.rejected,
                          self.rows_in, self.sha256, list(self.notes))


def empty_kept() -> pd.DataFrame:
    """Return the kept aggregate of a file with nothing kept (as `clean()` gives it)."""
    return _empty_kept()


def _empty_kept() -> pd.DataFrame:
    """Return the kept aggregate of a file with no kept rows, built as `clean()` does."""
    e = pd.Series([], dtype="string")
    return aggregate(pd.DataFrame({
        "month": pd.to_datetime(e.astype(str), format="%Y-%m").to_numpy(),
        "force": e.array, "la_code": e.array, "la_name": e.array,
        "lsoa_code": e.array, "crime_type": e.array, "geo_status": e.array,
        WEIGHT: np.array([], dtype=np.int64),
    }))


def load_fast(data: bytes, label: str, area: AreaConfig,
              index: AreaIndex | None = None, sha256: str | None = None) -> PoliceFileResult:
    """Load one street-level CSV on the fast path (same result as `load_bytes_reference()`).

    Parameters
    ----------
    data
        The CSV bytes (decompressed).
    label
        File label (``YYYY-MM-<force>-street.csv`` for the month check to apply).
    area
        Area configuration.
    index
        Shared per-area cache (default: `area_index()`).
    sha256
        The SHA-256 of ``data`` if the caller computed it already.

    Returns
    -------
    PoliceFileResult
        Kept groups as codes, quarantined rows as a frame.

    Raises
    ------
    SourceError
        If the file cannot be used.
    """
    if index is None:
        index = area_index(area)
    sha = sha256_bytes(data) if sha256 is None else sha256
    table, rownum, malformed, notes = parse_street_table(data, label, _DICT_COLUMNS,
                                                         shared_empty=True)
    n = table.num_rows
    expected = month_from_name(label)

    col = dict(zip(table.column_names, table.columns, strict=True))
    # value-level rules: once per distinct value
    mi, mvals = _encode(col["month"])
    m_canon, m_map = _canonical(mvals)
    mc = m_map[mi]
    fi, fvals = _encode(col["falls_within"])
    f_canon, f_map = _canonical(fvals)
    fc = f_map[fi]
    forces = set(index.forces)
    other_u = np.array([v is not None and v not in forces for v in f_canon], dtype=bool)
    ti, tvals = _encode(col["crime_type"])
    t_code = np.array([-1 if v is None else _TYPE_INDEX.get(v, -1) for v in tvals],
                      dtype=np.int64)
    ctype = t_code[ti]
    ci, cvals = _encode(col["lsoa_code"])
    ni, nvals = _encode(col["lsoa_name"])
    name_of = np.zeros(len(cvals), dtype=np.int64)
    name_of[ci] = ni
    if np.array_equal(name_of[ci], ni):  # one name per code: the code index is the pair
        pids = index.pair_ids_of(cvals, [nvals[k] for k in name_of.tolist()])
        pinv = ci
    else:
        n_names = max(len(nvals), 1)
        upair, pinv = np.unique(ci * n_names + ni, return_inverse=True)
        pinv = pinv.reshape(-1)
        pids = index.pair_ids([(cvals[k // n_names], nvals[k % n_names])
                               for k in upair.tolist()])
    pid = pids[pinv]
    pair_status = index.pair_status[pids]

    # row-level rules
    lon_given, lon = _numeric(col["longitude"])
    lat_given, lat = _numeric(col["latitude"])
    present = lon_given & lat_given
    with np.errstate(invalid="ignore"):
        inside = (lon >= _LON[0]) & (lon <= _LON[1]) & (lat >= _LAT[0]) & (lat <= _LAT[1])
    bad_coords = (lon_given != lat_given) | (present & (np.isnan(lon) | np.isnan(lat)))
    bad_coords |= present & ~inside
    blank, dup = _crime_id_status(col["crime_id"])

    # each row gets the first rule it breaks (the order of clean())
    reason = np.zeros(n, dtype=np.int8)

    def flag(mask: np.ndarray, code: str) -> None:
        reason[(reason == 0) & mask] = _CODES[code]

    def flag_values(bad_value: np.ndarray, codes: np.ndarray, code: str) -> None:
        # a value-level rule: rows are looked at only if some value breaks it
        if bad_value.any():
            flag(bad_value[codes], code)

    flag_values(index.bad_months(m_canon), mc, "bad_month")
    if expected is not None:
        flag_values(np.array([v is not None and v != expected for v in m_canon], dtype=bool),
                    mc, "month_mismatch")
    flag_values(other_u, fc, "other_force")
    flag_values(t_code < 0, ti, "unknown_crime_type")
    flag(bad_coords, "bad_coordinates")
    flag(blank & (ctype != _ASB_INDEX), "missing_crime_id")
    flag_values(pair_status == _STATUS_INDEX["bad_lsoa_code"], pinv, "bad_lsoa_code")
    flag_values(pair_status == _STATUS_INDEX["outside_area"], pinv, "lsoa_outside_area")
    flag(dup, "duplicate_crime_id")

    rej = np.flatnonzero(reason)
    quarantined = _quarantined(table, rej, rownum, reason, blank, dup, pid, index, label,
                               malformed)
    counts = np.bincount(reason, minlength=len(REASONS) + 1)
    reasons = {r: int(counts[_CODES[r]]) for r in REASONS if counts[_CODES[r]]}
    if len(malformed):
        reasons["malformed_row"] = reasons.get("malformed_row", 0) + len(malformed)

    # kept rows: count per (month, force, geo id, crime type). The count key is made of
    # the sort ranks of aggregate()'s keys, so the non-empty counts come out sorted.
    keep = reason == 0
    no_coords = int(np.count_nonzero(keep & ~(present & ~bad_coords)))
    if no_coords:
        notes.append(f"{no_coords} kept rows have no coordinates")
    ugeo, geo_pos = np.unique(index.pair_geo[pids], return_inverse=True)
    g_rank = index.geo_ranks(ugeo)
    s_rank = _STATUS_RANK[index.geo_status(ugeo)]
    m_rank = _rank([_na_first(v) for v in m_canon])
    f_rank = _rank([_na_first(v) for v in f_canon])
    n_m, n_f, n_g = len(m_canon), max(len(f_canon), 1), max(len(ugeo), 1)
    n_t, n_s = len(CRIME_TYPES), len(GEO_STATUS)
    if len(np.unique(g_rank)) == len(g_rank):  # no two geo ids tie: status adds nothing
        n_s, s_rank = 1, np.zeros_like(s_rank)
    row_geo = geo_pos.reshape(-1)[pinv[keep]]
    key = (((m_rank[mc[keep]] * n_f + f_rank[fc[keep]]) * n_g + g_rank[row_geo]) * n_t
           + _TYPE_RANK[ctype[keep]]) * n_s + s_rank[row_geo]
    size = n_m * n_f * n_g * n_t * n_s
    if size <= 8 * key.size + (1 << 20):
        cnt = np.bincount(key, minlength=size)
        ukey = np.flatnonzero(cnt)
        cnt = cnt[ukey]
    else:
        ukey, cnt = np.unique(key, return_counts=True)
    g_s = ukey % n_s
    rest = ukey // n_s
    g_t = _TYPE_OF_RANK[rest % n_t]
    rest //= n_t
    g_g = rest % n_g
    rest //= n_g
    g_f = np.argsort(f_rank)[rest % n_f] if len(f_canon) else rest % n_f
    g_m = np.argsort(m_rank)[rest // n_f] if len(m_canon) else rest // n_f
    geo_at = np.zeros(n_g * n_s, dtype=np.int64)
    geo_at[g_rank * n_s + s_rank] = ugeo
    g_g = geo_at[g_g * n_s + g_s]
    res = PoliceFileResult(
        path=label, sha256=sha, rows_in=n + len(malformed), quarantined=quarantined,
        notes=notes,
        index=index, months=m_canon, forces=f_canon, month=g_m.astype(_small(len(m_canon))),
        force=g_f.astype(_small(len(f_canon))), geo=g_g.astype(np.int32),
        ctype=g_t.astype(np.int8), n=cnt.astype(np.int32), reasons=reasons, ugeo=ugeo)
    res.check_accounting()
    return res


def iter_fast(path: str | Path, area: AreaConfig,
              index: AreaIndex | None = None) -> Iterator[PoliceFileResult]:
    """Yield a `PoliceFileResult` for each street-level CSV in ``path``.

    Parameters
    ----------
    path
        A ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.
    area
        Area configuration; archives are filtered to the area's force slug(s).
    index
        Shared per-area cache (default: `area_index()`).

    Yields
    ------
    PoliceFileResult
        One per CSV read.
    """
    index = area_index(area) if index is None else index
    for label, data in iter_members(path, force_slug=area_slugs(area)):
        yield load_fast(data, label, area, index)


def load_bytes(data: bytes, label: str, area: AreaConfig) -> LoadResult:
    """Load one street-level CSV from its bytes.

    Parameters
    ----------
    data
        The CSV bytes (decompressed).
    label
        File label (its name must follow ``YYYY-MM-<force>-street.csv`` for the
        month check to apply).
    area
        Area configuration.

    Returns
    -------
    LoadResult
        Clean aggregated rows and quarantined rows.

    Notes
    -----
    Runs the fast path (`load_fast()`); `load_bytes_reference()` is the
    row-by-row implementation it reproduces.
    """
    return load_fast(data, label, area).to_load_result()


def load_police_path(path: str | Path, area: AreaConfig) -> list[LoadResult]:
    """Load a street-level ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.

    Parameters
    ----------
    path
        The file.
    area
        Area configuration; archives are filtered to the area's force slug.

    Returns
    -------
    list of LoadResult
        One per CSV read.

    Raises
    ------
    SourceError
        If a file cannot be used.
    """
    return [r.to_load_result() for r in iter_fast(path, area)]
