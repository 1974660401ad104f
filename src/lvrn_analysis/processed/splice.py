"""Row groups of parquet files joined into a new file without encoding them again.

A parquet file is ``PAR1``, the row groups' column chunks one after another, the
footer (a Thrift compact-protocol ``FileMetaData``), its length and ``PAR1``. A row
group's bytes do not depend on where they sit in the file: only the footer holds
absolute offsets. So a row group written by one build can be copied into the next
build's file, and the footer rewritten with the offsets moved, giving the bytes
pyarrow would have written had it encoded every row group again
(``tests/test_incremental_build.py`` checks this against pyarrow's own output).

`splice()` does this for the kept police table of an incremental build
(`lvrn_analysis.processed.build`): the row groups whose rows come from unchanged
inputs are copied from the previous build's file, the others come from a file
pyarrow wrote with the same writer settings.

The Thrift codec here reads any compact-protocol struct into `Field` lists and
writes them back byte for byte (`decode()`, `encode()`); only the offset fields of
``RowGroup``, ``ColumnChunk`` and ``ColumnMetaData`` are interpreted.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Field", "ParquetParts", "SpliceError", "decode", "encode", "read_parts", "splice"]

MAGIC = b"PAR1"

# compact-protocol type codes
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT, _UUID = 9, 10, 11, 12, 13


class SpliceError(ValueError):
    """A file cannot be spliced (not parquet, encrypted, or laid out unexpectedly)."""


@dataclass
class Field:
    """One field of a compact-protocol struct: id, type code and value.

    Structs are lists of `Field`; lists and sets are ``(element type, [values])``;
    maps are ``(key type, value type, [(key, value)])``; booleans keep their value
    in ``ctype`` (``value`` is ``None``).
    """

    fid: int
    ctype: int
    value: object


# ------------------------------------------------------------------------- decoding


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        out, shift = 0, 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SpliceError("truncated Thrift data")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def value(self, ctype: int) -> object:
        if ctype in (_TRUE, _FALSE):  # inside a container: one byte
            return self.byte()
        if ctype == _BYTE:
            return self.byte()
        if ctype in (_I16, _I32, _I64):
            return self.zigzag()
        if ctype == _DOUBLE:
            return self.take(8)
        if ctype == _BINARY:
            return self.take(self.varint())
        if ctype == _UUID:
            return self.take(16)
        if ctype in (_LIST, _SET):
            head = self.byte()
            size, etype = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return (etype, [self.value(etype) for _ in range(size)])
        if ctype == _MAP:
            size = self.varint()
            if not size:
                return (0, 0, [])
            kv = self.byte()
            kt, vt = kv >> 4, kv & 0x0F
            return (kt, vt, [(self.value(kt), self.value(vt)) for _ in range(size)])
        if ctype == _STRUCT:
            return self.struct()
        raise SpliceError(f"unknown Thrift type {ctype}")

    def struct(self) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return fields
            ctype, delta = head & 0x0F, head >> 4
            fid = last + delta if delta else self.zigzag()
            last = fid
            value = None if ctype in (_TRUE, _FALSE) else self.value(ctype)
            fields.append(Field(fid, ctype, value))


def decode(data: bytes) -> list[Field]:
    """Decode one compact-protocol struct (e.g. a parquet footer)."""
    r = _Reader(data)
    out = r.struct()
    if r.pos != len(data):
        raise SpliceError("trailing bytes after the Thrift struct")
    return out


# ------------------------------------------------------------------------- encoding


def _varint(n: int, out: bytearray) -> None:
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def _zigzag(n: int, out: bytearray) -> None:
    _varint((n << 1) ^ (n >> 63), out)


def _value(ctype: int, v: object, out: bytearray) -> None:
    if ctype in (_TRUE, _FALSE, _BYTE):
        out.append(v)  # type: ignore[arg-type]
    elif ctype in (_I16, _I32, _I64):
        _zigzag(v, out)  # type: ignore[arg-type]
    elif ctype in (_DOUBLE, _UUID):
        out += v  # type: ignore[operator]
    elif ctype == _BINARY:
        _varint(len(v), out)  # type: ignore[arg-type]
        out += v  # type: ignore[operator]
    elif ctype in (_LIST, _SET):
        etype, items = v  # type: ignore[misc]
        if len(items) < 15:
            out.append((len(items) << 4) | etype)
        else:
            out.append(0xF0 | etype)
            _varint(len(items), out)
        for item in items:
            _value(etype, item, out)
    elif ctype == _MAP:
        kt, vt, items = v  # type: ignore[misc]
        _varint(len(items), out)
        if items:
            out.append((kt << 4) | vt)
            for k, x in items:
                _value(kt, k, out)
                _value(vt, x, out)
    elif ctype == _STRUCT:
        _struct(v, out)  # type: ignore[arg-type]
    else:
        raise SpliceError(f"unknown Thrift type {ctype}")


def _struct(fields: list[Field], out: bytearray) -> None:
    last = 0
    for f in fields:
        delta = f.fid - last
        if 0 < delta <= 15:
            out.append((delta << 4) | f.ctype)
        else:
            out.append(f.ctype)
            _zigzag(f.fid, out)
        last = f.fid
        if f.ctype not in (_TRUE, _FALSE):
            _value(f.ctype, f.value, out)
    out.append(0)


def encode(fields: list[Field]) -> bytes:
    """Encode a struct decoded by `decode()` (the same bytes for unchanged fields)."""
    out = bytearray()
    _struct(fields, out)
    return bytes(out)


# ------------------------------------------------------------------------- parquet

# FileMetaData: 3 num_rows, 4 row_groups. RowGroup: 1 columns, 5 file_offset, 7 ordinal.
# ColumnChunk: 1 file_path, 2 file_offset, 3 meta_data, 4/6 page-index offsets.
# ColumnMetaData: 7 total_compressed_size, 9 data page, 10 index page, 11 dictionary
# page, 14 bloom filter offsets.
_FMD_NUM_ROWS, _FMD_ROW_GROUPS = 3, 4
_RG_COLUMNS, _RG_NUM_ROWS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 3, 5, 7
_CC_FILE_PATH, _CC_FILE_OFFSET, _CC_META = 1, 2, 3
_CC_PAGE_INDEX = (4, 6)
_CC_CRYPTO = (8, 9)
_CMD_COMPRESSED, _CMD_DATA, _CMD_INDEX, _CMD_DICT, _CMD_BLOOM = 7, 9, 10, 11, 14


def _get(fields: list[Field], fid: int) -> Field | None:
    for f in fields:
        if f.fid == fid:
            return f
    return None


@dataclass
class ParquetParts:
    """A parquet file's footer and the byte range of each row group.

    Attributes
    ----------
    data
        The file's bytes.
    footer
        The decoded ``FileMetaData``.
    spans
        ``(start, stop)`` of each row group's bytes.
    """

    data: bytes
    footer: list[Field]
    spans: list[tuple[int, int]]

    @property
    def row_groups(self) -> list[list[Field]]:
        """The decoded ``RowGroup`` structs."""
        f = _get(self.footer, _FMD_ROW_GROUPS)
        return [] if f is None else f.value[1]  # type: ignore[index]


def _chunk_span(chunk: list[Field]) -> tuple[int, int]:
    if any(_get(chunk, fid) is not None for fid in (_CC_FILE_PATH, *_CC_CRYPTO,
                                                     *_CC_PAGE_INDEX)):
        raise SpliceError("column chunks in other files, encrypted or with page indexes")
    meta = _get(chunk, _CC_META)
    if meta is None:
        raise SpliceError("column chunk without metadata")
    md: list[Field] = meta.value  # type: ignore[assignment]
    if _get(md, _CMD_BLOOM) is not None or _get(md, _CMD_INDEX) is not None:
        raise SpliceError("column chunk with a bloom filter or index page")
    starts = [f.value for f in md if f.fid in (_CMD_DATA, _CMD_DICT)]
    start = min(starts)  # type: ignore[type-var]
    size = _get(md, _CMD_COMPRESSED).value  # type: ignore[union-attr]
    return int(start), int(start) + int(size)  # type: ignore[call-overload]


def read_parts(data: bytes) -> ParquetParts:
    """Split a parquet file into its footer and row-group byte ranges.

    Raises
    ------
    SpliceError
        If the bytes are not a plain parquet file whose row groups are contiguous
        runs of column chunks (no page indexes, bloom filters or encryption).
    """
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise SpliceError("not a parquet file")
    size = struct.unpack("<I", data[-8:-4])[0]
    if size + 12 > len(data):
        raise SpliceError("parquet footer length out of range")
    footer = decode(data[-8 - size:-8])
    parts = ParquetParts(data, footer, [])
    pos = 4
    for rg in parts.row_groups:
        cols = _get(rg, _RG_COLUMNS)
        spans = [_chunk_span(c) for c in cols.value[1]]  # type: ignore[union-attr]
        for a, b in spans:
            if a != pos:
                raise SpliceError("row group bytes are not contiguous")
            pos = b
        parts.spans.append((spans[0][0], spans[-1][1]))
    if pos != len(data) - 8 - size:
        raise SpliceError("unexpected bytes between the row groups and the footer")
    return parts


def _shift_row_group(rg: list[Field], delta: int, ordinal: int) -> list[Field]:
    """Return a copy of a ``RowGroup`` with its offsets moved by ``delta``."""
    out = []
    for f in rg:
        if f.fid == _RG_FILE_OFFSET:
            f = Field(f.fid, f.ctype, f.value + delta)  # type: ignore[operator]
        elif f.fid == _RG_ORDINAL:
            f = Field(f.fid, f.ctype, ordinal)
        elif f.fid == _RG_COLUMNS:
            etype, chunks = f.value  # type: ignore[misc]
            f = Field(f.fid, f.ctype, (etype, [_shift_chunk(c, delta) for c in chunks]))
        out.append(f)
    return out


def _shift_chunk(chunk: list[Field], delta: int) -> list[Field]:
    out = []
    for f in chunk:
        if f.fid == _CC_FILE_OFFSET and f.value:
            f = Field(f.fid, f.ctype, f.value + delta)  # type: ignore[operator]
        elif f.fid == _CC_META:
            f = Field(f.fid, f.ctype, [
                Field(m.fid, m.ctype, m.value + delta)  # type: ignore[operator]
                if m.fid in (_CMD_DATA, _CMD_DICT) else m for m in f.value])  # type: ignore[union-attr]
        out.append(f)
    return out


def _without_row_groups(footer: list[Field]) -> bytes:
    return encode([f for f in footer if f.fid not in (_FMD_NUM_ROWS, _FMD_ROW_GROUPS)])


def splice(pieces: list[tuple[ParquetParts, int]], path: Path | str,
           template: ParquetParts) -> int:
    """Write a parquet file made of row groups taken from other files.

    Parameters
    ----------
    pieces
        ``(file, row group index)`` in output order.
    path
        File to write.
    template
        File whose footer fields other than the row groups and row count (schema,
        key-value metadata, writer) the output takes; every file in ``pieces`` must
        have the same ones.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    SpliceError
        If the files' schemas or metadata differ.
    """
    return splice_file(pieces, path, template)[0]


def splice_file(pieces: list[tuple[ParquetParts, int]], path: Path | str,
                template: ParquetParts) -> tuple[int, str]:
    """`splice()`, also returning the SHA-256 of the file written (hashed as it is written)."""
    base = _without_row_groups(template.footer)
    for parts, _ in pieces:
        if parts is not template and _without_row_groups(parts.footer) != base:
            raise SpliceError("row groups from files with different schemas or metadata")
    digest = hashlib.sha256()
    tmp = Path(str(path) + ".tmp")
    groups, rows = [], 0
    with open(tmp, "wb") as fh:

        def put(data: bytes | memoryview) -> None:
            fh.write(data)
            digest.update(data)

        put(MAGIC)
        at = len(MAGIC)
        for ordinal, (parts, i) in enumerate(pieces):
            start, stop = parts.spans[i]
            rg = parts.row_groups[i]
            groups.append(_shift_row_group(rg, at - start, ordinal))
            rows += int(_get(rg, _RG_NUM_ROWS).value)  # type: ignore[union-attr, call-overload]
            put(memoryview(parts.data)[start:stop])
            at += stop - start
        footer = []
        for f in template.footer:
            if f.fid == _FMD_NUM_ROWS:
                f = Field(f.fid, f.ctype, rows)
            elif f.fid == _FMD_ROW_GROUPS:
                f = Field(f.fid, f.ctype, (f.value[0], groups))  # type: ignore[index]
            footer.append(f)
        meta = encode(footer)
        put(meta + struct.pack("<I", len(meta)) + MAGIC)
    tmp.replace(path)
    return rows, digest.hexdigest()


@dataclass
class TableRecord:
    """The kept police table of the previous build, for reusing its row groups.

    Attributes
    ----------
    parts
        The file's bytes, footer and row-group byte ranges.
    tokens
        Per row group, the identity of its rows (``None``: not reusable).
    rows
        Rows per row group.
    """

    parts: ParquetParts
    tokens: list[str | None]
    rows: list[int]

    def index(self) -> dict[str, int]:
        """Return row-group position by token."""
        return {t: i for i, t in enumerate(self.tokens) if t is not None}
