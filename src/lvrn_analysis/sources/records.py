"""The records of a delimited text file, counted so that none can vanish.

`find_header()` finds the header row: normally the first line, but title rows
above it (as statistical releases have) are skipped with a note, an Excel
``sep=;`` line is obeyed, and if no header is found with commas, tab, ``;`` and
``|`` are tried (a note says which was used; a ``;`` file whose numbers use
decimal commas is refused rather than misread).

`read_records()` then splits the lines after the header into records,
quote-aware (a quoted field may hold line breaks), and checks each:

* a record that spans several lines is tested for a **stray quote**: if the
  line after its first line reads as a good record on its own (and, when the
  joined record has the right width, ends before it does, so that an ordinary
  quoted line break is never split), the first line alone is quarantined
  (``malformed_record``) and reading resumes on the next line, so a stray
  ``"`` cannot swallow the records after it;
* a record containing a NUL byte is quarantined naming the column
  (``malformed_record``): the bytes there are damaged and the fields after it
  cannot be trusted;
* a record ending inside a quoted field at the end of the file is
  ``truncated_record``; other invalid CSV is ``malformed_record``;
* records of empty fields (``,,,,``) at the **end** of the file, as Excel
  writes, are ignored and counted in a note; in the middle they are
  quarantined (``empty_row``); blank lines are ignored and counted in a note;
* NUL padding at the very end of the file is ignored with a note.

Records are numbered from 1 after the header (every physical record, broken
or not), so rows in = kept + rejected counts what a person sees in the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lvrn_analysis.sources.validation import SourceError

#: Delimiters tried, in order, when the header is not found with commas.
DELIMITERS: tuple[str, ...] = (",", "\t", ";", "|")
_DELIM_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "vertical bars"}
#: How many records above the header may be title rows.
MAX_TITLE_ROWS = 20
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$')
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+(?:\.\d{3})*,\d+$")

#: Structural reasons and their meaning.
STRUCTURAL_REASONS: dict[str, str] = {
    "truncated_record": "the file ends inside a quoted field (a truncated last record)",
    "malformed_record": "a record is not valid CSV: a quoted field is not closed or is "
                        "followed by stray text, a stray quote, or NUL bytes",
    "empty_row": "a record whose fields are all empty, between records with data",
    "wrong_field_count": "a record with a different number of fields from the header "
                         "(truncated line or stray delimiter)",
}


class _Cursor:
    """An iterator over lines whose position can be moved (for re-reading)."""

    __slots__ = ("lines", "pos")

    def __init__(self, lines: list[str], pos: int = 0) -> None:
        self.lines = lines
        self.pos = pos

    def __iter__(self) -> _Cursor:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def split_lines(text: str) -> list[str]:
    """Return the physical lines of ``text`` with their line endings (CR, LF or CRLF)."""
    return list(io.StringIO(text, newline=""))


def iter_records(lines: list[str], start: int, delimiter: str,
                 width_ok: Callable[[int], bool]) -> Iterator[tuple[int, int, list | None, str]]:
    """Yield ``(first line index, number of lines, fields or None, error)`` per record.

    ``error`` is ``""`` for a parsed record, ``"stray_quote"`` for a line
    quarantined because a stray quote would have joined it to the lines after
    it, else the `csv.Error` message. Blank lines come as ``[]``.
    """
    cur = _Cursor(lines, start)
    reader = csv.reader(cur, delimiter=delimiter, strict=True)
    while cur.pos < len(lines):
        first = cur.pos
        try:
            rec: list[str] | None = next(reader)
            err = ""
        except StopIteration:
            return
        except csv.Error as exc:
            rec, err = None, str(exc)
        n = cur.pos - first
        if n > 1:
            # A record over several lines: quoted line breaks, or a stray quote that joined
            # lines. If the next line is a good record on its own, and (for a record of the
            # right width) lies wholly inside this one, the first line alone is damaged.
            broken = rec is None or not width_ok(len(rec))
            end = cur.pos
            cur.pos = first + 1
            try:
                trial: list[str] | None = next(reader)
            except (StopIteration, csv.Error):
                trial = None
            if trial and width_ok(len(trial)) and (broken or cur.pos < end):
                yield first, 1, None, "stray_quote"
                yield first + 1, cur.pos - first - 1, trial, ""
                continue
            cur.pos = end
        yield first, n, rec, err


@dataclass
class Header:
    """Where the header is and how the file is delimited."""

    cells: list[str]
    columns: list[str | None]
    start: int
    end: int
    delimiter: str
    notes: list[str] = field(default_factory=list)


def find_header(lines: list[str], label: str,
                match: Callable[[list[str]], list[str | None]]) -> Header:
    """Find the header row (see the module docstring).

    Parameters
    ----------
    lines
        Physical lines (`split_lines()`).
    label
        File label for messages.
    match
        ``match(cells) -> columns``, raising `SourceError` if the cells are not the
        header (`lvrn_analysis.sources.reading.match_header()`).

    Raises
    ------
    SourceError
        The error for the first row (as if it were the header) when no row matches.
    """
    start, forced, notes = 0, None, []
    if lines and (m := _SEP_LINE.match(lines[0])):
        start, forced = 1, m.group(1)
        notes.append(f"first line {lines[0].strip()!r} (Excel's separator hint) obeyed")
    first_error: SourceError | None = None
    for delim in (forced,) if forced else DELIMITERS:
        if delim != "," and not forced and not any(delim in ln for ln in lines[start:50]):
            continue
        seen = 0
        for i, n, rec, err in iter_records(lines, start, delim, lambda _k: True):
            if err or not rec or not any(c.strip() for c in rec):
                if i == start and first_error is None and rec is not None and not err:
                    first_error = SourceError(label, "first line is blank; expected a "
                                                     "header row", row=0)
                seen += 1
                if seen > MAX_TITLE_ROWS:
                    break
                continue
            cells = [c.replace("\ufeff", "") for c in rec]
            if any("\x00" in c for c in cells):
                raise SourceError(label, f"the header (line {i + 1}) contains NUL bytes: the "
                                         "file is damaged; download or export it again", row=0)
            try:
                columns = match(cells)
            except SourceError as exc:
                if first_error is None:
                    first_error = exc
                seen += 1
                if seen > MAX_TITLE_ROWS:
                    break
                continue
            out = Header(cells, columns, i, i + n, delim, list(notes))
            titles = [ln.strip()[:60] for ln in lines[start:i]
                      if ln.strip().strip(delim + '"').strip()]
            if titles:
                out.notes.append(f"{len(titles)} title row(s) above the header skipped (header "
                                 f"on line {i + 1}; first: {titles[0]!r})")
            elif i > start:
                out.notes.append(f"{i - start} blank line(s) above the header skipped")
            if delim != ",":
                out.notes.append(f"fields are separated by {_DELIM_NAMES[delim]}, not commas; "
                                 "read with that separator")
            return out
    if first_error is None:
        first_error = SourceError(label, "no header row found (the file has no records)",
                                  row=0)
    raise first_error


@dataclass
class Records:
    """The data records of a file.

    Attributes
    ----------
    good
        Records of an accepted width, padded to the header's width.
    good_rows
        Their record numbers.
    broken
        Quarantined records: ``row``, ``reason``, ``detail``, ``raw``.
    rows_in
        Records counted (blank lines and trailing empty records excluded).
    padded
        Number of fields added -> number of records so padded.
    notes
        Notes for the manifest.
    """

    good: list[list[str]]
    good_rows: list[int]
    broken: list[dict[str, object]]
    rows_in: int
    padded: dict[int, int]
    notes: list[str] = field(default_factory=list)


def _raw(line: str) -> str:
    return line.rstrip("\r\n")[:200]


def read_records(lines: list[str], header: Header, *, min_width: int,
                 label: str) -> Records:
    """Split the lines after the header into checked records (see the module docstring).

    Parameters
    ----------
    lines
        Physical lines.
    header
        The header found by `find_header()`.
    min_width
        Fewest fields a record may have (short records are padded with blanks).
    label
        File label for messages.

    Raises
    ------
    SourceError
        A ``;``-separated file whose numbers use decimal commas.
    """
    width = len(header.cells)
    names = [c.strip() for c in header.cells]
    has_nul = any("\x00" in ln for ln in lines[header.end:])
    out = Records([], [], [], 0, {})
    blank_lines = 0
    empties: list[dict[str, object]] = []
    n = 0

    def width_ok(k: int) -> bool:
        return min_width <= k <= width

    for i, _span, rec, err in iter_records(lines, header.end, header.delimiter, width_ok):
        if rec == [] and not err:
            blank_lines += 1
            continue
        n += 1
        where = f"record {n} (line {i + 1})"
        if err == "stray_quote":
            out.broken.append({"row": n, "reason": "malformed_record", "raw": _raw(lines[i]),
                               "detail": f"{where} has an unmatched double quote (\") that "
                                         "would join it to the lines after it; this line is "
                                         "quarantined and the lines after it read on their own"})
            continue
        if err:
            trunc = "end of data" in err
            out.broken.append({"row": n, "reason": "truncated_record" if trunc
                               else "malformed_record", "raw": _raw(lines[i]),
                               "detail": f"{where} is not valid CSV ({err}); "
                               + ("the file ends inside a quoted field (cut short?)" if trunc
                                  else "a quoted field is not closed or is followed by "
                                       "stray text")})
            continue
        assert rec is not None
        if has_nul and any("\x00" in c for c in rec):
            k = next(j for j, c in enumerate(rec) if "\x00" in c)
            col = names[k] if k < width else f"field {k + 1}"
            out.broken.append({"row": n, "reason": "malformed_record", "raw": _raw(lines[i]),
                               "detail": f"{where}: column {col!r} (field {k + 1}) contains a "
                                         "NUL byte: the file is damaged here (an interrupted "
                                         "copy?) and the fields after it cannot be trusted; "
                                         "download or export it again"})
            continue
        if all(not c.strip() for c in rec):
            empties.append({"row": n, "reason": "empty_row", "raw": "",
                            "detail": f"{where} has {len(rec)} empty field(s)"})
            continue
        if empties:
            out.broken.extend(empties)
            empties = []
        if min_width <= len(rec) < width:
            out.padded[width - len(rec)] = out.padded.get(width - len(rec), 0) + 1
            rec = rec + [""] * (width - len(rec))
        if len(rec) != width:
            out.broken.append({"row": n, "reason": "wrong_field_count",
                               "detail": f"{where} has {len(rec)} fields, the header has "
                                         f"{width} (truncated line or stray delimiter)",
                               "raw": header.delimiter.join(rec)[:200]})
            continue
        out.good.append(rec)
        out.good_rows.append(n)
    out.rows_in = n - len(empties)
    if blank_lines:
        out.notes.append(f"{blank_lines} blank line(s) ignored")
    if empties:
        out.notes.append(f"{len(empties)} empty record(s) at the end of the file (only "
                         "delimiters, as Excel writes) ignored")
    if header.delimiter == ";":
        _refuse_decimal_commas(out, names, label)
    return out


def _refuse_decimal_commas(rec: Records, names: list[str], label: str) -> None:
    for row, fields in zip(rec.good_rows, rec.good, strict=True):
        for k, c in enumerate(fields):
            if _DECIMAL_COMMA.match(c.strip()):
                raise SourceError(
                    label, f"fields are separated by semicolons and numbers use decimal commas "
                        f"({c.strip()!r}): save the file as CSV with commas and decimal points",
                    row=row, column=names[k])
