"""Parsing one street-level CSV into string columns (the first step of both paths).

A wrong, reordered or incomplete header, an empty file, HTML, or bytes that are not
text make the whole file unusable (`SourceError`); rows with the wrong number of
fields are set aside as *malformed*, with their row numbers.
"""

from __future__ import annotations

import io
from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from lvrn_analysis.sources.police.format import COLUMNS, HEADER
from lvrn_analysis.sources.validation import SourceError, decode_text

_DICT = pa.dictionary(pa.int32(), pa.string())
#: Columns the fast path reads as dictionary-encoded strings (few distinct values).
#: ``month`` and ``falls_within`` hold one value per monthly file: they are read as
#: plain strings, which `_encode()` checks for a single value without hashing.
_DICT_COLUMNS = ("crime_type", "lsoa_code", "lsoa_name")
_HEADER_LINE = ",".join(HEADER)


def parse_street_csv(data: bytes, label: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Parse the bytes of one street-level CSV into string columns.

    Parameters
    ----------
    data
        File bytes (decompressed).
    label
        File label for messages.

    Returns
    -------
    tuple
        ``(rows, malformed, notes)``: ``rows`` has the internal column names plus
        ``row`` (spreadsheet row number: the header is row 1); ``malformed`` holds
        rows with the wrong number of fields (``row``, ``text``); ``notes`` says
        e.g. that the file was cp1252.

    Raises
    ------
    SourceError
        If the file is empty, HTML, or its header is not the data.police.uk header.
    """
    table, idx, malformed, notes = parse_street_table(data, label)
    rows = table.to_pandas()
    rows.insert(0, "row", idx)
    return rows, malformed, notes


def parse_street_table(data: bytes, label: str, dictionary: Collection[str] = (),
                       shared_empty: bool = False
                       ) -> tuple[pa.Table, np.ndarray, pd.DataFrame, list[str]]:
    """Parse one street-level CSV into an Arrow table (the first step of both paths).

    Parameters
    ----------
    data
        File bytes (decompressed).
    label
        File label for messages.
    dictionary
        Columns to read as dictionary-encoded strings (same values, fewer copies).
    shared_empty
        Return a shared (read-only) frame when there are no malformed rows.

    Returns
    -------
    tuple
        ``(table, row, malformed, notes)``: ``table`` has the internal column
        names, all strings; ``row`` the spreadsheet row number of each table row
        (the header is row 1); ``malformed`` and ``notes`` as in
        `parse_street_csv()`.

    Raises
    ------
    SourceError
        If the file is empty, HTML, or its header is not the data.police.uk header.
    """
    notes: list[str] = []
    text_needed = not (data.isascii() or _is_utf8(data))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("UTF-8 byte-order mark removed")
    if text_needed:
        data = decode_text(data, label).encode("utf-8")
        notes.append("file was not UTF-8; read as cp1252")
    else:
        decode_text(data[:4096] if len(data) > 4096 else data, label)  # empty/HTML checks
    first_nl = data.find(b"\n")
    header_line = (data if first_nl < 0 else data[:first_nl]).decode("utf-8").strip("\r\n")
    if header_line == _HEADER_LINE:
        found: tuple[str, ...] = HEADER
    else:
        row0 = next(iter(pd.read_csv(io.StringIO(header_line), header=None, dtype=str).values))
        found = tuple("" if pd.isna(x) else str(x).strip() for x in row0)
    if found != HEADER:
        missing = [c for c in HEADER if c not in found]
        extra = [c for c in found if c not in HEADER]
        if not missing and not extra:
            why = "columns are in the wrong order"
        else:
            why = "; ".join(
                p for p in (
                    f"missing {', '.join(repr(c) for c in missing)}" if missing else "",
                    f"unexpected {', '.join(repr(c) for c in extra)}" if extra else "",
                ) if p
            )
        raise SourceError(label, f"not a data.police.uk street-level header ({why})", row=1)
    # files without a quote character (most data.police.uk files) are read without
    # quote handling (a little faster, same result) and skip the line count: only a
    # quote can make the reader join lines
    quoted = b'"' in data
    table, bad = _read_arrow(data, label, dictionary, quoting=quoted)
    n_read = table.num_rows + len(bad)
    if quoted and n_read != _data_lines_quick(data) and \
            n_read != (expected := _data_lines(data)):
        # a stray quote opened a field that swallowed the following lines: no value
        # of this format spans lines, so read again with quotes taken literally
        swallowed = expected - table.num_rows - len(bad)
        table, bad = _read_arrow(data, label, dictionary, quoting=False)
        if table.num_rows + len(bad) != expected:
            raise SourceError(label, f"cannot account for every line ({expected} data lines, "
                              f"{table.num_rows + len(bad)} rows read)")
        notes.append(f"unbalanced quote: {swallowed} lines were being read into one field; "
                     "the file was read with quote characters taken literally")
    # InvalidRow.number is the physical line number (the header is line 1)
    bad_rows = sorted(n if n is not None else -1 for n, _ in bad)
    known_bad = np.array([b for b in bad_rows if b > 0], dtype=np.int64)
    idx = np.arange(table.num_rows, dtype=np.int64) + 2
    if known_bad.size:
        # shift good rows past the bad rows that precede them
        pos = idx.copy()
        for b in known_bad:
            pos = np.where(pos >= b, pos + 1, pos)
        idx = pos
    if bad:
        malformed = pd.DataFrame(
            {"row": [n if n is not None else pd.NA for n, _ in bad],
             "text": [t for _, t in bad]}
        )
    else:
        malformed = _NO_MALFORMED if shared_empty else pd.DataFrame({"row": [], "text": []})
    return table, idx, malformed, notes


def _data_lines_quick(data: bytes) -> int:
    """Count the data lines fast: lines after the header that are neither empty nor a lone CR.

    One vectorised pass over the bytes (three ``bytes.count`` passes cost a quarter
    of the fast path). Lines of spaces count here but not in `_data_lines()`,
    which the caller falls back on when this count does not match.
    """
    if not data:
        return 0
    b = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    if not nl.size:
        return 0
    gap = np.diff(nl)
    empty = int(np.count_nonzero(gap == 1))
    two = np.flatnonzero(gap == 2)
    if two.size:
        empty += int(np.count_nonzero(b[nl[two] + 1] == 13))
    return nl.size - 1 - empty + (0 if nl[-1] == b.size - 1 else 1)


def _data_lines(data: bytes) -> int:
    """Count the non-blank lines after the header (what the CSV reader should return)."""
    body = data[data.find(b"\n") + 1:] if b"\n" in data else b""
    return sum(1 for line in body.splitlines() if line.strip())


#: Parse block of the CSV reader; a column has one chunk per block. With freed pages
#: given back to the system at once, 1 MiB blocks parsed a quarter faster than 16 MiB
#: ones (fewer fresh pages per block); now that Arrow's jemalloc keeps them (see the
#: package's ``__init__``), 4 MiB blocks (one for most monthly files: fewer chunks to
#: join) make a worker 6-8 % faster than 1 MiB ones (docs/benchmarks.md).
_BLOCK_SIZE = 4 << 20


def _read_arrow(data: bytes, label: str, dictionary: Collection[str], *, quoting: bool
                ) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """Read the data rows with pyarrow, collecting rows with the wrong field count."""
    bad: list[tuple[int | None, str]] = []

    def _handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, column_names=list(COLUMNS), skip_rows=1,
                block_size=_BLOCK_SIZE,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=_handler, quote_char='"' if quoting else False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: _DICT if c in dictionary else pa.string() for c in COLUMNS},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
                check_utf8=False,  # the bytes were checked (or re-encoded) above
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(label, f"cannot parse CSV ({exc})") from exc
    return table, bad


#: The empty malformed-rows frame the fast path shares (never modified).
_NO_MALFORMED = pd.DataFrame({"row": [], "text": []})


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
