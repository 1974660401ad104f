"""Arrow column kernels of the fast path: normalising, encoding and comparing values.

Each helper gives, on an Arrow column, what the reference path's pandas code gives
on the same values (``str.strip``, empty as missing, ``duplicated``,
``to_numeric(errors="coerce")``), without a pandas frame per file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NULL = pa.scalar(None, pa.string())


def _na_first(value: str | None) -> tuple[int, str]:
    """Sort key that puts missing values first (``na_position="first"``)."""
    return (0, "") if value is None else (1, value)


def _trim_null(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strip whitespace and turn empty strings into nulls, as `_normalise_raw()` does.

    pandas' ``str.strip`` on Arrow-backed strings is this same Arrow kernel.
    """
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), _NULL, t)


def _strip(value: str) -> str:
    """``str.strip`` as pandas does it on Arrow strings (Arrow's whitespace)."""
    if value.isascii() and value.isprintable():
        return value.strip(" ")
    return pc.utf8_trim_whitespace(pa.array([value], pa.string()))[0].as_py()


def _encode(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str | None]]:
    """Dictionary-encode a column: per-row codes and the distinct values, normalised."""
    if pa.types.is_dictionary(col.type) and col.num_chunks:
        if col.num_chunks > 1:  # one dictionary per parse block: unify them
            col = col.unify_dictionaries()
            idx = pa.concat_arrays([c.indices for c in col.chunks])
        else:
            idx = col.chunk(0).indices
        values = _dictionary_values(col.chunk(0).dictionary) + [None]  # last: missing
        if idx.null_count:
            idx = pc.fill_null(idx, len(values) - 1)
        return idx.to_numpy(zero_copy_only=False), values
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, pa.string())
    elif (one := _single_value(col)) is not None:
        return np.zeros(len(col), dtype=np.int64), _dictionary_values(one)
    d = pc.dictionary_encode(col.combine_chunks(), null_encoding="encode")
    return (d.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
            _trim_null(d.dictionary).to_pylist())


def _string_offsets(arr: pa.Array) -> np.ndarray:
    """Return the value offsets of a ``string`` array as a numpy view (no copy).

    Value ``i`` is ``data[off[i]:off[i + 1]]`` in the array's data buffer
    (``arr.buffers()[2]``); slices of an array are honoured.
    """
    return np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1,
                         offset=arr.offset * 4)


def _single_value(col: pa.ChunkedArray) -> pa.Array | None:
    """Return the value (as a one-value array) if every row of a string column holds it.

    Compares the bytes of the values (same length, same bytes, no nulls) without
    hashing them; ``None`` when the column is empty or holds anything else.
    """
    first: np.ndarray | None = None
    for chunk in col.chunks:
        n = len(chunk)
        if not n:
            continue
        if chunk.type != pa.string() or chunk.null_count:
            return None
        off = _string_offsets(chunk)
        width = int(off[1] - off[0])
        if not width or off[-1] - off[0] != n * width or \
                not (off[1:] - off[:-1] == width).all():
            return None
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[off[0]:off[-1]]
        if first is None:
            first = data[:width].copy()
        # every value equals the first: the bytes repeat with period ``width``
        if first.size != width or not np.array_equal(data[:width], first) or \
                not np.array_equal(data[width:], data[:-width]):
            return None
    if first is None:
        return None
    return pa.array([first.tobytes().decode("utf-8")], pa.string())


def _dictionary_values(dictionary: pa.Array) -> list[str | None]:
    """Return a dictionary's values stripped, empty ones as ``None`` (`_trim_null()`).

    Dictionaries with nothing to strip are returned as they are, without three
    kernel calls: small ones (months, forces, crime types) checked value by value
    (printable ASCII, no space at either end), larger ones (LSOA codes and names)
    by their bytes (no value empty or null, no first or last byte that is ASCII
    whitespace or not ASCII).
    """
    if len(dictionary) <= 64:
        values = dictionary.to_pylist()
        if all(v and v.isascii() and v.isprintable() and v[0] != " " and v[-1] != " "
               for v in values):
            return values
    elif dictionary.type == pa.string() and not dictionary.null_count:
        off = _string_offsets(dictionary)
        if (off[1:] > off[:-1]).all():  # no empty value
            data = np.frombuffer(dictionary.buffers()[2], dtype=np.uint8)
            if not (_WS_BYTES[data[off[:-1]]].any() or _WS_BYTES[data[off[1:] - 1]].any()):
                return dictionary.to_pylist()
    return _trim_null(dictionary).to_pylist()


def _canonical(values: list[str | None]) -> tuple[list[str | None], np.ndarray]:
    """Merge raw values that normalise to the same value; return them and the raw → merged map."""
    canon = list(dict.fromkeys(values))
    pos = {v: i for i, v in enumerate(canon)}
    return canon, np.array([pos[v] for v in values], dtype=np.int64)


_WS_BYTES = np.zeros(256, dtype=bool)
_WS_BYTES[[9, 10, 11, 12, 13, 32]] = True  # Arrow's ASCII whitespace
_WS_BYTES[128:] = True  # any non-ASCII byte: let the kernel decide
_FNV_PRIME = np.uint64(0x100000001B3)  # the 64-bit FNV prime, mixing words into the hash


def _crime_id_status(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return (blank, duplicate) per row, as `_normalise_raw()` sets ``crime_id_status``.

    Blank: missing after stripping. Duplicate: not blank and equal to an earlier
    row's (stripped) value. Values that need no stripping and all have one length
    (data.police.uk's 64-character IDs) are compared through an FNV-style hash of
    their bytes folded to 32 bits, confirmed byte for byte; anything else goes
    through Arrow's dictionary encoding.
    """
    arr = col.combine_chunks()
    n = len(arr)
    if n and arr.type == pa.string():
        valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
        if not valid.any():
            return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        off = _string_offsets(arr)
        lens = np.diff(off)
        width = int(lens[int(np.argmax(valid))])
        # every value is ``width`` bytes long and every missing one empty
        if width and width % 8 == 0 and np.array_equal(lens, valid * np.int32(width)):
            data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[off[0]:off[-1]]
            values = data.reshape(-1, width)
            # no value needs stripping: no first or last byte is whitespace (or non-ASCII)
            if not (_WS_BYTES[values[:, 0]].any() or _WS_BYTES[values[:, -1]].any()):
                words = data.view(np.uint64).reshape(-1, width // 8)  # one row per value
                h = words[:, 0] * _FNV_PRIME
                for j in range(1, words.shape[1]):
                    h ^= words[:, j]
                    h *= _FNV_PRIME
                h ^= h >> np.uint64(32)  # folded to 32 bits: sorts twice as fast
                return ~valid, _repeated_values(words, h.astype(np.uint32),
                                                np.flatnonzero(valid), n)
    cid = _trim_null(arr)
    blank = ~pc.is_valid(cid).to_numpy(zero_copy_only=False)
    cidx = pc.fill_null(pc.dictionary_encode(cid).indices, -1) \
        .to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    seen = np.concatenate(([-1], np.maximum.accumulate(cidx)[:-1]))[:n]
    return blank, ~blank & (cidx <= seen)


def _repeated_values(words: np.ndarray, h: np.ndarray, rows: np.ndarray, n: int
                     ) -> np.ndarray:
    """Flag values equal to an earlier one, given their bytes and a hash of each.

    Equal values have equal hashes, so only rows whose hash occurs more than once
    (found by sorting the hashes) can repeat a value; those few rows are then
    compared by their bytes, in file order. A hash collision between different
    values only adds rows to compare.

    Parameters
    ----------
    words
        One row per value: its bytes as 64-bit words.
    h
        A hash of each value (any integer type).
    rows
        The table row of each value.
    n
        Number of table rows.

    Returns
    -------
    numpy.ndarray
        Per table row, whether its value is a repeat.
    """
    dup = np.zeros(n, dtype=bool)
    hs = np.sort(h)
    twice = hs[1:][hs[1:] == hs[:-1]]  # hashes held by more than one row
    if not twice.size:
        return dup
    seen: set[bytes] = set()
    for i in np.flatnonzero(np.isin(h, twice)).tolist():  # in file order
        value = words[i].tobytes()
        if value in seen:
            dup[rows[i]] = True
        else:
            seen.add(value)
    return dup


def _numeric(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return (given, value) for a coordinate column, as ``pd.to_numeric(errors="coerce")``."""
    try:  # plain numbers (no padding) parse as they are; padded or odd values fail here
        num = pc.cast(col, pa.float64())
        return pc.is_valid(col).to_numpy(zero_copy_only=False), \
            np.asarray(num.to_numpy(zero_copy_only=False), dtype=np.float64)
    except pa.ArrowInvalid:
        pass
    s = _trim_null(col)
    given = pc.is_valid(s).to_numpy(zero_copy_only=False)
    try:
        num = pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # something Arrow will not parse: let pandas coerce it
        num = pd.to_numeric(pd.Series(pd.arrays.ArrowStringArray(s)), errors="coerce") \
            .to_numpy(dtype="float64", na_value=np.nan)
    return given, np.asarray(num, dtype=np.float64)


def _rank(keys: list) -> np.ndarray:
    """Dense rank of each key among ``keys``."""
    order = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([order[k] for k in keys], dtype=np.int64)


def _small(n: int) -> type:
    """Return the smallest integer type for codes below ``n``."""
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32
