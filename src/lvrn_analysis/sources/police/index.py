"""`AreaIndex`: an area's value-level rules, evaluated once per distinct value and cached."""

from __future__ import annotations

import re
import threading

import numpy as np
import pandas as pd
import pyarrow as pa

from lvrn_analysis.config.areas import AreaConfig, area_forces
from lvrn_analysis.config.geography import (
    LSOA_CODE_PATTERN,
    la_name_from_lsoa_name,
    local_authorities,
)
from lvrn_analysis.sources.police.columns import _na_first, _rank, _strip
from lvrn_analysis.sources.police.format import GEO_STATUS
from lvrn_analysis.sources.police.rules import _MONTH_PATTERN

#: ``geo_status`` → its integer code (index into `GEO_STATUS`).
_STATUS_INDEX = {g: i for i, g in enumerate(GEO_STATUS)}
_CODE_RE = re.compile(LSOA_CODE_PATTERN)
#: The pattern of `lvrn_analysis.config.geography.la_name_from_lsoa_name()`.
_LA_PREFIX_RE = re.compile(r"^(?P<la>.+?)\s+\d{3}[A-Z]$")


class AreaIndex:
    """The value-level rules of one area, evaluated once per distinct value and cached.

    Month format, force, crime type and LSOA → authority depend only on a value (or
    an LSOA code–name pair), so the fast path evaluates them on the distinct values
    of a file and keeps the answers for the next file. The two regular expressions
    of `assign_authority()` (LSOA code pattern, authority
    prefix of the LSOA name) run on new values only: through the same pandas calls
    (Arrow's RE2) for values with non-ASCII or control characters, through Python's
    ``re`` for printable ASCII, where both engines read these patterns alike. The rest
    of that rule (blank code, authority look-up) is applied here per pair
    (``tests/test_police_fastpath.py`` checks it against ``assign_authority``).
    LSOA pairs get integer ids; kept rows are grouped by a *geo id* standing for
    ``(la_code, la_name, lsoa_code, geo_status)``. Thread-safe.

    Parameters
    ----------
    area
        The area configuration.
    """

    def __init__(self, area: AreaConfig) -> None:
        self.area = area
        self.forces: tuple[str, ...] = area_forces(area)
        names_t = tuple(getattr(area, "authority_names", ()))
        if names_t:
            la_codes, la_names = list(area.authorities), list(names_t)
        else:
            las = local_authorities(area)
            la_codes, la_names = list(las["la_code"]), list(las["la_name"])
        self._by_name = dict(zip(la_names, la_codes, strict=True))
        self._names = dict(zip(la_codes, la_names, strict=True))
        self._lock = threading.Lock()
        self._month_ok: dict[str | None, bool] = {}
        self._code_ok: dict[str, bool] = {}
        self._strip: dict[str, str] = {}
        self._prefix: dict[str | None, str | None] = {}
        self._pairs: dict[tuple[str | None, str | None], int] = {}
        self._pair_keys: list[tuple[str | None, str | None]] = []  # by pair id
        #: per LSOA code: the name and id of the first pair placed with it
        self._by_code: dict[str | None, tuple[str | None, int]] = {}
        self._n_pairs = 0
        #: per pair id: geo id, geo status code (index into `GEO_STATUS`)
        self.pair_geo = np.zeros(1024, dtype=np.int64)
        self.pair_status = np.zeros(1024, dtype=np.int8)
        #: per pair id: the authority named by the LSOA name (``lsoa_la_name``)
        self.pair_la_name: list[str | None] = []
        self._geo: dict[tuple[str | None, str | None, str | None, str], int] = {}
        #: ``(la_code, la_name, lsoa_code, geo_status)`` of each geo id
        self.geo_records: list[tuple[str | None, str | None, str | None, str]] = []
        self._geo_sortkey: list[str] = []
        self._geo_status: list[int] = []
        self._status_codes = np.zeros(0, dtype=np.int64)  # _geo_status as an array
        self._global_pos = np.zeros(0, dtype=np.int64)
        self._stale = 0  # files ranked on their own since the positions were computed
        self._geo_odd = False  # a value holds a control character the sort key uses

    def bad_months(self, values: list[str | None]) -> np.ndarray:
        """Return, per value, whether it fails the ``YYYY-MM`` rule (``bad_month``)."""
        new = [v for v in values if v not in self._month_ok]
        if new:
            ok = (pd.Series(new, dtype="string").str.fullmatch(_MONTH_PATTERN)
                  .fillna(False).astype(bool))
            self._month_ok.update(zip(new, ok.tolist(), strict=True))
        return np.array([not self._month_ok[v] for v in values], dtype=bool)

    def pair_ids(self, pairs: list[tuple[str | None, str | None]]) -> np.ndarray:
        """Return the id of each ``(lsoa_code, lsoa_name)`` pair, placing new ones."""
        get = self._pairs.get
        ids = [get(p, -1) for p in pairs]
        if -1 in ids:
            with self._lock:
                new = [p for p in dict.fromkeys(pairs) if p not in self._pairs]
                if new:
                    self._register(new)
            ids = [self._pairs[p] for p in pairs]
        return np.array(ids, dtype=np.int64)

    def pair_ids_of(self, codes: list[str | None], names: list[str | None]) -> np.ndarray:
        """`pair_ids()` of the pairs ``zip(codes, names)``, looked up by code first.

        Each code remembers the first pair it was placed with; a pair with that
        code and name is found without building and hashing a tuple.
        """
        get = self._by_code.get
        ids = [e[1] if (e := get(c)) is not None and e[0] == nm else -1
               for c, nm in zip(codes, names, strict=True)]
        if -1 in ids:
            return self.pair_ids(list(zip(codes, names, strict=True)))
        return np.array(ids, dtype=np.int64)

    def _register(self, new: list[tuple[str | None, str | None]]) -> None:
        # The two regular expressions of geography.assign_authority. pandas runs them
        # with RE2 (Arrow); on printable ASCII text Python's re means the same for these
        # patterns, so only other values go through pandas.
        # assign_authority strips the code again (the fast path passes stripped codes)
        stripped = {c: _strip(c) for c, _ in new if c is not None and c not in self._strip}
        self._strip.update(stripped)
        codes = list(dict.fromkeys(self._strip[c] for c, _ in new if c is not None
                                   and self._strip[c] and self._strip[c] not in self._code_ok))
        odd = [c for c in codes if not (c.isascii() and c.isprintable())]
        self._code_ok.update((c, _CODE_RE.match(c) is not None) for c in codes
                             if c.isascii() and c.isprintable())
        if odd:  # geography.assign_authority: code.fillna("").str.match(LSOA_CODE_PATTERN)
            ok = pd.Series(odd, dtype="string")
            self._code_ok.update(zip(odd, ok.str.match(LSOA_CODE_PATTERN)
                                     .fillna(False).astype(bool).tolist(), strict=True))
        names = list(dict.fromkeys(n for _, n in new if n not in self._prefix))
        odd = [n for n in names if n is not None and not (n.isascii() and n.isprintable())]
        for n in names:
            if n is None:
                self._prefix[n] = None
            elif n.isascii() and n.isprintable():
                m = _LA_PREFIX_RE.match(n)
                self._prefix[n] = None if m is None else m.group("la")
        if odd:  # geography.la_name_from_lsoa_name
            pre = la_name_from_lsoa_name(pd.Series(odd, dtype="string"))
            self._prefix.update(zip(odd, pa.array(pre).to_pylist(), strict=True))
        n0 = self._n_pairs
        n1 = n0 + len(new)
        if n1 > len(self.pair_geo):
            cap = max(2 * len(self.pair_geo), n1)
            geo_a = np.zeros(cap, dtype=np.int64)
            st_a = np.zeros(cap, dtype=np.int8)
            geo_a[:n0], st_a[:n0] = self.pair_geo[:n0], self.pair_status[:n0]
        else:
            geo_a, st_a = self.pair_geo, self.pair_status
        for i, (code, name) in enumerate(new):
            prefix = self._prefix[name]
            la_code = self._by_name.get(prefix) if prefix is not None else None
            if code is None or not self._strip[code]:
                status = "no_lsoa"
            elif not self._code_ok[self._strip[code]]:
                status = "bad_lsoa_code"
            elif la_code is None:
                status = "outside_area"
            else:
                status = "in_area"
            if status != "in_area":
                la_code = None
            la_name = None if la_code is None else self._names.get(la_code)
            gkey = (la_code, la_name, code, status)
            gid = self._geo.get(gkey)
            if gid is None:
                gid = self._add_geo(gkey)
            geo_a[n0 + i] = gid
            st_a[n0 + i] = _STATUS_INDEX[status]
            self.pair_la_name.append(prefix)
        self._publish(new, geo_a, st_a)

    def _publish(self, new: list[tuple[str | None, str | None]], geo_a: np.ndarray,
                 st_a: np.ndarray) -> None:
        """Make pairs ``new`` (ids from `pair_count` on, arrays filled) visible to readers."""
        n0 = self._n_pairs
        self.pair_geo, self.pair_status = geo_a, st_a
        self._pair_keys.extend(new)
        self._n_pairs = n0 + len(new)
        for i, p in enumerate(new):  # publish last: readers only see complete entries
            self._pairs[p] = n0 + i
            self._by_code.setdefault(p[0], (p[1], n0 + i))

    # ------------------------------------------------- what one index learnt, for another
    @property
    def pair_count(self) -> int:
        """Number of LSOA code–name pairs placed so far (pair ids are ``0 .. pair_count - 1``)."""
        return self._n_pairs

    def pairs_since(self, start: int) -> tuple[list, np.ndarray, np.ndarray, list]:
        """Return the pairs placed from id ``start`` on, for `adopt_pairs()` in another index.

        Returns
        -------
        tuple
            The ``(lsoa_code, lsoa_name)`` pairs, their geo ids (this index's), their
            ``geo_status`` codes and the authority names their LSOA names start with.
        """
        n = self._n_pairs
        return (self._pair_keys[start:n], self.pair_geo[start:n].copy(),
                self.pair_status[start:n].copy(), self.pair_la_name[start:n])

    def adopt_pairs(self, keys: list[tuple[str | None, str | None]], geo: np.ndarray,
                    status: np.ndarray, la_names: list[str | None]) -> None:
        """Place pairs that an index of the same area worked out (`pairs_since()`).

        ``geo`` holds the pairs' geo ids in *this* index (their records placed here
        already). The rules are not evaluated again: an index of the same area and
        code gives the same answers, so a worker process that inherits the pairs
        reads a file of known LSOAs without evaluating any rule on them.
        """
        with self._lock:
            new = [i for i, p in enumerate(keys) if p not in self._pairs]
            if not new:
                return
            n0, n1 = self._n_pairs, self._n_pairs + len(new)
            cap = max(len(self.pair_geo), 1024)
            while cap < n1:
                cap *= 2
            geo_a = np.zeros(cap, dtype=np.int64)
            st_a = np.zeros(cap, dtype=np.int8)
            geo_a[:n0], st_a[:n0] = self.pair_geo[:n0], self.pair_status[:n0]
            take = np.asarray(new, dtype=np.int64)
            geo_a[n0:n1] = np.asarray(geo, dtype=np.int64)[take]
            st_a[n0:n1] = np.asarray(status, dtype=np.int8)[take]
            self.pair_la_name.extend(la_names[i] for i in new)
            self._publish([keys[i] for i in new], geo_a, st_a)

    def state(self, start: int = 0) -> dict:
        """Return the pairs placed from id ``start`` on, as plain values (`load_state()`).

        A pair's geo record follows from its LSOA code, the authority its LSOA name
        starts with and its status, so the state holds only those, column by column.
        """
        keys, _, status, la_names = self.pairs_since(start)
        return {"codes": [k[0] for k in keys], "names": [k[1] for k in keys],
                "prefix": la_names, "status": status.astype(np.int8).tobytes()}

    def load_state(self, state: object) -> int:
        """Place the pairs of a `state()` of an index of the same area and code.

        The rules are not evaluated again (the state is what they gave); pairs
        already placed are left as they are. Returns the number of pairs in ``state``.

        Raises
        ------
        ValueError
            If ``state`` is not such a state (nothing is placed).
        """
        try:
            codes, names = list(state["codes"]), list(state["names"])  # type: ignore[index]
            prefix = list(state["prefix"])  # type: ignore[index]
            status = np.frombuffer(state["status"], dtype=np.int8)  # type: ignore[index]
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"not an index state ({exc})") from None
        n = len(codes)
        if not (len(names) == len(prefix) == len(status) == n) or (n and not (
                0 <= status.min() and status.max() < len(GEO_STATUS))):
            raise ValueError("index state out of range")
        in_area = _STATUS_INDEX["in_area"]
        by_name, la_names = self._by_name, self._names
        recs = []
        for code, pre, st in zip(codes, prefix, status.tolist(), strict=True):
            if st == in_area:
                la = by_name.get(pre)  # type: ignore[arg-type]
                if la is None:
                    raise ValueError(f"index state names an authority not in the area: {pre!r}")
                recs.append((la, la_names.get(la), code, "in_area"))
            else:
                recs.append((None, None, code, GEO_STATUS[st]))
        ids = self.geo_ids(recs)
        self.adopt_pairs(list(zip(codes, names, strict=True)), ids, status, prefix)
        return n

    def _add_geo(self, gkey: tuple[str | None, str | None, str | None, str]) -> int:
        gid = len(self.geo_records)
        self.geo_records.append(gkey)
        self._geo_status.append(_STATUS_INDEX[gkey[3]])
        a, b, c = gkey[:3]
        if not self._geo_odd:
            self._geo_odd = any(v is not None and not v.isprintable()
                                and min(v, default="\x03") < "\x03" for v in (a, b, c))
        self._geo_sortkey.append(("\x01" if a is None else "\x02" + a) + "\x00"
                                 + ("\x01" if b is None else "\x02" + b) + "\x00"
                                 + ("\x01" if c is None else "\x02" + c))
        self._geo[gkey] = gid  # publish last
        return gid

    def geo_ids(self, records: list[tuple[str | None, str | None, str | None, str]]
                ) -> np.ndarray:
        """Return the geo id of each ``(la_code, la_name, lsoa_code, geo_status)`` record."""
        get = self._geo.get
        ids = [get(r, -1) for r in records]
        if -1 in ids:
            with self._lock:
                new = [r for r in dict.fromkeys(records) if r not in self._geo]
                if len(new) > 16:  # e.g. a build cache's table: placed together
                    self._add_geos(new)
                else:
                    for r in new:
                        self._add_geo(r)
                ids = [self._geo[r] for r in records]
        return np.array(ids, dtype=np.int64)

    def _add_geos(self, recs: list[tuple[str | None, str | None, str | None, str]]) -> None:
        """`_add_geo()` for many new distinct records at once (the same ids, in order)."""
        n0 = len(self.geo_records)
        self.geo_records.extend(recs)
        self._geo_status.extend(_STATUS_INDEX[r[3]] for r in recs)
        if not self._geo_odd:
            vals = [v for r in recs for v in r[:3] if v is not None]
            if not "".join(vals).isprintable():  # else no value can hold a control character
                self._geo_odd = any(not v.isprintable() and min(v, default="\x03") < "\x03"
                                    for v in vals)
        self._geo_sortkey.extend(("\x01" if a is None else "\x02" + a) + "\x00"
                                 + ("\x01" if b is None else "\x02" + b) + "\x00"
                                 + ("\x01" if c is None else "\x02" + c)
                                 for a, b, c, _ in recs)
        self._geo.update(zip(recs, range(n0, n0 + len(recs)), strict=True))  # publish last

    def geo_ranks(self, ids: np.ndarray) -> np.ndarray:
        """Dense rank of geo ids by ``(la_code, la_name, lsoa_code)``, missing first.

        Uses sort positions of all geo ids, recomputed when enough ids were added
        (64, or an eighth more) or when files with newer ids (ranked on their own
        meanwhile) came `_RERANK_AFTER` times.
        """
        if self._geo_odd:
            return self._file_ranks(ids)
        pos = self._global_pos
        if ids.size and int(ids.max()) >= len(pos):
            self._stale += 1
            if len(self.geo_records) - len(pos) >= max(64, len(pos) // 8) or \
                    self._stale >= _RERANK_AFTER:
                self._stale = 0
                keys = np.array(self._geo_sortkey, dtype=str)
                order = np.argsort(keys, kind="stable")
                srt = keys[order]
                new = np.ones(len(srt), dtype=bool)
                new[1:] = srt[1:] != srt[:-1]
                pos = np.empty(len(srt), dtype=np.int64)
                pos[order] = np.cumsum(new) - 1
                self._global_pos = pos
            else:
                return self._file_ranks(ids)
        _, rank = np.unique(pos[ids], return_inverse=True)
        return rank.reshape(-1)

    def _file_ranks(self, ids: np.ndarray) -> np.ndarray:
        if self._geo_odd:  # exact but slower: compare the tuples
            keys: list = [tuple(_na_first(v) for v in self.geo_records[i][:3])
                          for i in ids.tolist()]
            return _rank(keys)
        keys_u = np.array([self._geo_sortkey[i] for i in ids.tolist()], dtype=str)
        order = np.argsort(keys_u, kind="stable")
        srt = keys_u[order]
        new = np.ones(len(srt), dtype=bool)
        new[1:] = srt[1:] != srt[:-1]
        rank = np.empty(len(srt), dtype=np.int64)
        rank[order] = np.cumsum(new) - 1
        return rank

    def geo_status(self, geo: np.ndarray) -> np.ndarray:
        """Return the ``geo_status`` code (index into `GEO_STATUS`) of each geo id."""
        if len(self._status_codes) != len(self._geo_status):  # geo ids added since
            self._status_codes = np.array(self._geo_status, dtype=np.int64)
        return self._status_codes[geo]


#: Files ranked on their own (`AreaIndex.geo_ranks()`) before the sort positions
#: of all geo ids are computed again (at 35,000 geo ids, one file costs about a
#: twentieth of that: 0.2 ms against 4 ms).
_RERANK_AFTER = 32

_INDEXES: dict[AreaConfig, AreaIndex] = {}


def area_index(area: AreaConfig) -> AreaIndex:
    """Return the shared `AreaIndex` of an area (created on first use)."""
    idx = _INDEXES.get(area)
    if idx is None or idx.area.source != area.source:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        idx = _INDEXES[area] = AreaIndex(area)
    return idx
