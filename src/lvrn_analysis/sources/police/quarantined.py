"""The fast path's quarantine: a file's rejected rows, kept as Arrow columns until needed.

Only the rows that break a rule are taken from a file's table; they become the
frame `lvrn_analysis.sources.police.rules.clean()` would return only when asked
(`QuarantinedRows.frame()`, or `quarantine_frame()` for many files at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lvrn_analysis.sources.police.columns import _strip, _trim_null
from lvrn_analysis.sources.police.format import COLUMNS, REASONS
from lvrn_analysis.sources.police.rules import _empty_rejected, _malformed_part
from lvrn_analysis.sources.validation import WEIGHT

if TYPE_CHECKING:
    from lvrn_analysis.sources.police.index import AreaIndex

#: Reason → the fast path's integer code (0: kept), and back.
_CODES: dict[str, int] = {r: i + 1 for i, r in enumerate(REASONS)}
_REASON_NAMES = np.array(list(REASONS), dtype=object)
_REASON_DETAILS = np.array(list(REASONS.values()), dtype=object)


def _take_rows(table: pa.Table, idx: np.ndarray) -> pa.Table:
    """``table.take(idx)`` without first joining the table's chunks.

    ``Table.take`` concatenates every chunk of a column (for dictionary columns,
    unifying their dictionaries) before taking a handful of rows, which cost more
    than the rest of the quarantine. Here each record batch gives its own rows and
    the few rows are then put in the order of ``idx``. Dictionary columns may come
    back with one dictionary per batch (same values).
    """
    batches = table.to_batches()
    if len(batches) <= 1:
        return table.take(pa.array(idx))
    order = np.argsort(idx, kind="stable")
    srt = idx[order]
    bounds = np.cumsum([0] + [b.num_rows for b in batches])
    parts = []
    for k in np.unique(np.searchsorted(bounds, srt, side="right") - 1).tolist():
        sel = srt[(srt >= bounds[k]) & (srt < bounds[k + 1])] - bounds[k]
        parts.append(batches[k].take(pa.array(sel)))
    picked = pa.Table.from_batches(parts, schema=table.schema)
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return picked.take(pa.array(back))


#: Up to this many quarantined rows per file, their values are read one by one in
#: Python (`_row_values()`); more are taken with Arrow kernels.
_FEW_ROWS = 64


def _row_values(table: pa.Table, idx: np.ndarray) -> list[list[str | None]]:
    """Return the normalised values of a few rows, one list per column (in ``idx`` order).

    Gives what ``_trim_null`` does on the taken rows (stripped, empty as null), value
    by value: a handful of rows costs less in Python than a dozen kernel calls.
    """
    batches = table.to_batches()
    bounds = np.cumsum([0] + [b.num_rows for b in batches])
    where = np.searchsorted(bounds, idx, side="right") - 1
    rows = [(batches[b], i - int(bounds[b])) for b, i in zip(where.tolist(), idx.tolist(),
                                                                strict=True)]
    out = []
    for j in range(len(COLUMNS)):
        vals = []
        for batch, i in rows:
            v = batch.column(j)[i].as_py()
            vals.append(None if v is None else _strip(v) or None)
        out.append(vals)
    return out


def _quarantined(table: pa.Table, rej: np.ndarray, rownum: np.ndarray, reason: np.ndarray,
                 blank: np.ndarray, dup: np.ndarray, pid: np.ndarray, index: AreaIndex,
                 label: str, malformed: pd.DataFrame) -> QuarantinedRows:
    """Collect a file's quarantined rows (see `QuarantinedRows`).

    A few rows are kept as Python lists (they travel between processes as lists
    anyway); more as an Arrow table.
    """
    rows: pa.Table | dict[str, list] | None = None
    outside = False
    if rej.size:
        idx = rej[np.argsort(reason[rej], kind="stable")]  # by reason, in REASONS order
        r = reason[idx]
        detail = _REASON_DETAILS[r - 1]
        out_rows = r == _CODES["lsoa_outside_area"]
        if out_rows.any():  # REASONS[code] + ": " + lsoa_la_name.fillna("unknown authority")
            outside = True
            head = REASONS["lsoa_outside_area"] + ": "
            detail = detail.copy()
            detail[out_rows] = [head + ("unknown authority" if la is None else la)
                                for la in (index.pair_la_name[p]
                                           for p in pid[idx[out_rows]].tolist())]
        status = np.where(blank[idx], "blank", np.where(dup[idx], "duplicate", "present"))
        k = idx.size
        if k <= _FEW_ROWS:
            rows = {"reason": _REASON_NAMES[r - 1].tolist(), "detail": detail.tolist(),
                    "row": rownum[idx].tolist(),
                    **dict(zip(COLUMNS, _row_values(table, idx), strict=True)),
                    "crime_id_status": status.tolist()}
        else:
            sub_t = _take_rows(table, idx)
            # strip every column in one kernel call: the columns end to end, then cut back
            cols = [pc.cast(col, pa.string()) if pa.types.is_dictionary(col.type) else col
                    for col in sub_t.columns]
            flat = _trim_null(pa.chunked_array([c for col in cols for c in col.chunks],
                                               pa.string()).combine_chunks())
            arrays = [pa.array(_REASON_NAMES[r - 1], pa.string()),
                      pa.array(detail, pa.string()), pa.array(rownum[idx])]
            arrays += [flat.slice(j * k, k) for j in range(len(COLUMNS))]
            arrays.append(pa.array(status.tolist(), pa.string()))
            rows = pa.Table.from_arrays(arrays, schema=_QUARANTINE_SCHEMA)
    return QuarantinedRows(label, rows, outside, malformed if len(malformed) else None)


_QUARANTINE_COLUMNS = ["reason", "detail", "row", *COLUMNS, "crime_id_status"]
_QUARANTINE_SCHEMA = pa.schema([(c, pa.int64() if c == "row" else pa.string())
                                for c in _QUARANTINE_COLUMNS])


@dataclass
class QuarantinedRows:
    """A file's quarantined rows, kept as Arrow columns until a frame is needed.

    `clean()` builds a file's quarantine by concatenating one
    `quarantine()` frame per reason (in `REASONS`
    order) and then the malformed rows. The reason frames have the same columns and
    dtypes except ``detail`` (``string`` for ``lsoa_outside_area``, ``str``
    otherwise; concatenated: ``string``), so `frame()` builds them as one frame
    with the rows in that order. Files whose rows have the same `kind` make
    frames with the same columns and dtypes, so `quarantine_frame()` builds one
    frame for all of them, which is what concatenating their frames gives.

    Attributes
    ----------
    label
        The file label (the ``file`` column).
    rows
        Rows that broke a rule: ``reason``, ``detail``, ``row``, the normalised
        columns, ``crime_id_status``, as an Arrow table or a dict of column lists
        (`table` gives the table); ``None`` if there are none.
    outside
        Whether some are ``lsoa_outside_area``.
    malformed
        Malformed rows (``row``, ``text``), or ``None``.
    relabeled
        Whether the label was replaced (its ``file`` column is then ``string``, as
        `lvrn_analysis.sources.police.fastpath.PoliceFileResult.relabel()` makes it).
    """

    label: str
    rows: pa.Table | dict[str, list] | None
    outside: bool
    malformed: pd.DataFrame | None
    relabeled: bool = False

    def __getstate__(self) -> dict:
        # a few rows: plain lists pickle much faster than an Arrow table
        state = dict(self.__dict__)
        if isinstance(self.rows, pa.Table):
            state["rows"] = self.rows.to_pydict()
        return state

    @property
    def table(self) -> pa.Table | None:
        """The rows as an Arrow table (``None`` if there are none)."""
        if isinstance(self.rows, dict):
            self.rows = pa.table(self.rows, schema=_QUARANTINE_SCHEMA)
        return self.rows

    @property
    def kind(self) -> tuple[bool, bool, bool, bool]:
        """Which columns and dtypes the frame has."""
        return (self.rows is not None, self.outside, self.malformed is not None,
                self.relabeled)

    def frame(self) -> pd.DataFrame:
        """Return the quarantine frame of this file, as `clean()` returns it."""
        return quarantine_frame([self])


def quarantine_frame(files: list[QuarantinedRows]) -> pd.DataFrame:
    """Return the quarantine frames of files of one `kind`, concatenated.

    For one file this is its frame as `clean()` builds it; for several, the
    same rows as concatenating their frames (each file's rows in the same order).

    Parameters
    ----------
    files
        Files whose rows all have the same kind.

    Returns
    -------
    pandas.DataFrame
        The rows.
    """
    has_rows, outside, has_mal, relabeled = files[0].kind
    if any(f.kind != files[0].kind for f in files):
        raise ValueError("quarantine_frame needs files of one kind")
    parts = []
    if has_rows:
        if all(isinstance(f.rows, dict) for f in files):  # lists: joined, one table
            t = pa.table({c: [v for f in files for v in f.rows[c]]  # type: ignore[index]
                          for c in _QUARANTINE_COLUMNS}, schema=_QUARANTINE_SCHEMA)
            sizes = [len(f.rows["row"]) for f in files]  # type: ignore[index]
        else:
            tables = [f.table for f in files]
            t = pa.concat_tables(tables)  # type: ignore[arg-type]
            sizes = [x.num_rows for x in tables]  # type: ignore[union-attr]
        labels = np.repeat(np.array([f.label for f in files], dtype=object), sizes)
        d: dict[str, object] = {
            "file": pd.array(labels, dtype=_STR),
            "reason": pd.array(t.column("reason"), dtype=_STR),
            "detail": pd.array(t.column("detail"), dtype="string" if outside else _STR),
            "row": t.column("row").to_numpy(),
        }
        for c in COLUMNS:
            d[c] = pd.arrays.ArrowStringArray(t.column(c))
        d["crime_id_status"] = pd.array(t.column("crime_id_status"), dtype=_STR)
        d[WEIGHT] = np.ones(t.num_rows, dtype=np.int64)
        parts.append(pd.DataFrame(d))
    if has_mal:
        parts += [_malformed_part(f.malformed, f.label) for f in files]  # type: ignore[arg-type]
    if not parts:
        frame = _empty_rejected(files[0].label)
    elif len(parts) == 1:
        frame = parts[0]
    else:
        frame = pd.concat(parts, ignore_index=True)
    if relabeled and not frame.empty and "file" in frame.columns:
        frame["file"] = frame["file"].astype("string")
    return frame


_STR = pd.StringDtype(na_value=np.nan)
