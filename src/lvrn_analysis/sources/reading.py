"""Shared reading for the non-police sources: one reading layer, tolerant CSV and workbooks.

The layer, in the order a file meets it (documented in ``docs/architecture.md``,
"Reading files"):

1. `read_input()` reads the bytes (path or packaged resource);
2. `lvrn_analysis.sources.unpack.unpack()` tells text from gzip, zip,
   workbooks, PDF and HTML, decompressing ``.gz`` and single-CSV ``.zip``;
3. `decode_bytes()` decodes with `lvrn_analysis.sources.textcodec.decode()`
   (UTF-8, UTF-8 BOM, UTF-16, Windows-1252; ``--encoding`` overrides);
4. `read_csv_table()` finds the header (`lvrn_analysis.sources.records`:
   title rows, delimiter), maps header aliases to canonical names
   (`match_header()`), and splits the records so that each physical record is
   counted once: stray quotes, NUL bytes, truncated and wrong-width records are
   quarantined with a reason, trailing empty rows are noted, not counted;
5. each source checks its cells with `lvrn_analysis.sources.values`
   (`parse_numbers()` / `to_number()`, `normalise_code()`, `parse_dates()`)
   and its own rules, through `RowChecker`, so that every input row ends up
   kept or rejected with a reason.

Reported row numbers are *record* numbers after the header (a quoted field may
hold line breaks), not line numbers; messages give the line too where it helps.
Workbooks (xlsx, ods) are read by `lvrn_analysis.sources.workbooks`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.sources import records as rec_mod
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult, SourceError, quarantine, sha256_bytes
from lvrn_analysis.sources.values import parse_numbers
from lvrn_analysis.sources.workbooks import (  # noqa: F401 - re-exported
    cell_text,
    read_workbook,
    workbook_engine,
    workbook_head,
)

#: Anything a loader accepts as input: a filesystem path or a packaged resource.
SourceInput = str | Path | Traversable

#: Standard leading columns of every rejected frame.
REJECTED_LEAD = ("file", "reason", "detail", "row")

_SCI = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_WS = re.compile(r"\s+")


def label_of(path: SourceInput) -> str:
    """Return the label used for a file in messages and manifests.

    Files shipped inside the package are labelled ``lvrn_analysis/reference/…`` so
    that manifests and notebook outputs do not depend on where the package is
    installed; other files keep the path as given.
    """
    from importlib import resources

    try:
        root = Path(str(resources.files("lvrn_analysis"))).resolve()
        rel = Path(str(path)).resolve().relative_to(root)
    except (ValueError, OSError, TypeError):
        return str(path)
    return "lvrn_analysis/" + rel.as_posix()


def read_input(path: SourceInput) -> tuple[bytes, str]:
    """Read a file's bytes.

    Parameters
    ----------
    path
        Filesystem path or packaged resource (`importlib.abc.Traversable`).

    Returns
    -------
    tuple of (bytes, str)
        The bytes and the file label.

    Raises
    ------
    SourceError
        If the file does not exist or cannot be read.
    """
    label = label_of(path)
    p = Path(path) if isinstance(path, str) else path
    try:
        return p.read_bytes(), label
    except FileNotFoundError as exc:
        raise SourceError(label, "file not found") from exc
    except IsADirectoryError as exc:
        raise SourceError(label, "is a directory, not a file") from exc
    except OSError as exc:
        raise SourceError(label, f"cannot be read ({exc.strerror or exc})") from exc


def normalise_header(name: object) -> str:
    """Return a header cell normalised for matching.

    Strips a BOM, non-breaking and surrounding spaces (the official IMD File 10
    headers end in a space), collapses inner whitespace and case-folds.
    """
    s = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "")
    return _WS.sub(" ", s).strip().casefold()


def decode_bytes(data: bytes, label: str, notes: list[str]) -> str:
    """Decode text bytes with `lvrn_analysis.sources.textcodec.decode()`, noting quirks.

    Parameters
    ----------
    data
        Text bytes (see `lvrn_analysis.sources.unpack.unpack()`).
    label
        File label for messages.
    notes
        The file's notes; encoding notes (BOM removed, Windows-1252, UTF-16) are added.

    Raises
    ------
    SourceError
        Empty, HTML, an archive or workbook, or bytes that cannot be decoded.
    """
    from lvrn_analysis.sources import textcodec
    from lvrn_analysis.sources.read_options import current
    from lvrn_analysis.sources.validation import refuse_non_text

    refuse_non_text(data, label)
    try:
        dec = textcodec.decode(data, encoding=current().encoding)
    except textcodec.TextProblem as exc:
        raise SourceError(label, str(exc)) from exc
    notes.extend(dec.notes)
    return dec.text


def first_lines(data: bytes, n: int = 10) -> list[str]:
    """Return up to ``n`` non-blank lines from the start of a file's text.

    Unpacks gzip and single-CSV zips and decodes as `read_csv_table()` does (an
    encoding set with `lvrn_analysis.sources.read_options.reading_options()`
    is used); for a workbook, the first rows of each sheet, comma-joined. For
    recognising a source from its header (``lvrn validate`` without a source
    name), which may sit below title rows.

    Raises
    ------
    SourceError
        (with an empty label) For bytes no source can read: a truncated or damaged
        archive, a zip of several CSV files, HTML, PDF, ``.xls``, undecodable text.
    """
    from lvrn_analysis.sources import textcodec
    from lvrn_analysis.sources.read_options import current

    kind = textcodec.workbook_kind(data)
    if kind is not None:
        return workbook_head(data, kind, n)
    data, _ = unpack(data, "")
    head = data[:65536]
    try:
        text = textcodec.decode(head, encoding=current().encoding).text
    except textcodec.TextProblem as exc:
        try:
            text = textcodec.decode(head[:-1], encoding=current().encoding).text
        except textcodec.TextProblem:
            raise SourceError("", str(exc)) from exc
    return [ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()][:n]


@dataclass
class CsvTable:
    """A parsed delimited file.

    Attributes
    ----------
    label
        File label.
    header
        Header cells as found (BOM removed).
    columns
        Canonical name of each header cell (``None`` for unrecognised cells).
    records
        Data rows with canonical column names (all ``str``) and ``row`` (1-based
        record number, header excluded).
    broken
        Structurally broken records, already labelled for quarantine.
    rows_in
        Number of data records read (blank lines excluded).
    sha256
        Hash of the bytes.
    notes
        Notes for the manifest.
    delimiter
        Field separator found (``,`` unless the header was only found with another).
    header_line
        1-based line of the header (above 1 when title rows were skipped).
    """

    label: str
    header: list[str]
    columns: list[str | None]
    records: pd.DataFrame
    broken: pd.DataFrame
    rows_in: int
    sha256: str
    notes: list[str] = field(default_factory=list)
    delimiter: str = ","
    header_line: int = 1


def match_header(
    header: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Iterable[str],
    label: str,
    patterns: Mapping[str, str] | None = None,
    display: Mapping[str, str] | None = None,
) -> list[str | None]:
    """Map header cells to canonical names.

    Parameters
    ----------
    header
        Header cells.
    aliases
        Canonical name -> accepted spellings (compared after
        `normalise_header()`). The canonical name itself is always accepted.
    required
        Canonical names that must be present.
    label
        File label for errors.
    patterns
        Canonical name -> regular expression matched against the normalised cell,
        for headers whose wording varies (Fingertips' parent comparison column).

    display
        Canonical name -> name used in error messages (the real header name);
        defaults to the canonical name.

    Returns
    -------
    list
        Canonical name (or ``None``) per header cell.

    Raises
    ------
    SourceError
        If a required column is missing or a column appears twice.
    """
    lookup: dict[str, str] = {}
    for canon, names in aliases.items():
        for n in (canon, *names):
            lookup[normalise_header(n)] = canon
    out: list[str | None] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = normalise_header(cell)
        canon = lookup.get(key)
        if canon is None and patterns:
            for cname, pat in patterns.items():
                if re.fullmatch(pat, key):
                    canon = cname
                    break
        if canon is not None:
            if canon in seen:
                raise SourceError(
                    label,
                    f"column {cell.strip()!r} appears twice in the header (also column "
                    f"{seen[canon] + 1})",
                    column=cell.strip(),
                )
            seen[canon] = i
        out.append(canon)
    missing = [(display or {}).get(c, c) for c in required if c not in seen]
    if missing:
        shown = ", ".join(repr(h.strip()) for h in header[:12])
        more = " …" if len(header) > 12 else ""
        raise SourceError(
            label,
            f"missing required column {missing[0]!r}"
            + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1
               else "")
            + f"; header found: {shown}{more}",
            column=missing[0],
        )
    return out


def complete_columns(df: pd.DataFrame, columns: Sequence[str], notes: list[str]) -> pd.DataFrame:
    """Add absent optional columns as blank and strip every column's whitespace.

    Parameters
    ----------
    df
        The records of a parsed file (string columns, canonical names).
    columns
        Every canonical column of the format, in order.
    notes
        The file's notes; a note naming the absent columns is appended.

    Returns
    -------
    pandas.DataFrame
        ``df`` with every column of ``columns`` present (absent ones blank) and stripped.
    """
    absent = [c for c in columns if c not in df.columns]
    for c in absent:
        df[c] = pd.Series("", index=df.index, dtype="str")
    if absent:
        notes.append(f"optional column(s) absent, read as blank: {', '.join(absent)}")
    for c in columns:
        df[c] = df[c].str.strip()
    return df


def read_csv_table(
    data: bytes,
    label: str,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Iterable[str],
    patterns: Mapping[str, str] | None = None,
    expected_order: Sequence[str] | None = None,
    pad_trailing: Iterable[str] = (),
    pad_any: bool = False,
    display: Mapping[str, str] | None = None,
    reads_workbooks: bool = False,
) -> CsvTable:
    """Parse a delimited file quote-aware into canonical string columns.

    Parameters
    ----------
    data
        File bytes.
    label
        File label.
    aliases, required, patterns, display
        See `match_header()`.
    expected_order
        Canonical order of the real format; a note is left if the file's
        recognised columns come in another order (they are matched by name).
    pad_trailing
        Canonical names of optional columns that writers may leave off the end of
        a record when they are empty (Fingertips writes a 26-name header and
        25-field records, omitting the empty ``Compared to goal``). Short records
        whose missing fields are all such columns are padded with blanks, with a
        note; any other field-count mismatch is quarantined.
    pad_any
        Pad *every* short record (DfE performance tables omit all trailing empty
        fields, so rows of new schools stop after a few dozen columns). Records
        with too many fields are still quarantined.

    Returns
    -------
    CsvTable

    Raises
    ------
    SourceError
        Empty, HTML, undecodable, no header, missing or duplicated columns.
    """
    data, notes = unpack(data, label, reads_workbooks=reads_workbooks)
    text = decode_bytes(data, label, notes)
    stripped = text.rstrip("\x00")
    if len(stripped) < len(text):
        notes.append(f"{len(text) - len(stripped)} NUL byte(s) at the end of the file (padding "
                     "left by an interrupted copy?) ignored")
        text = stripped
    lines = rec_mod.split_lines(text)
    pad_set = set(pad_trailing)

    def match(cells: list[str]) -> list[str | None]:
        return match_header(cells, aliases, required=required, label=label,
                            patterns=patterns, display=display)

    head = rec_mod.find_header(lines, label, match)
    header, columns = head.cells, head.columns
    notes.extend(head.notes)
    if expected_order is not None:
        found = [c for c in columns if c is not None]
        want = [c for c in expected_order if c in found]
        if found != want:
            notes.append("columns are in a non-standard order (matched by name)")
    unknown = [h.strip() for h, c in zip(header, columns, strict=True) if c is None]
    if unknown:
        notes.append(f"ignored unrecognised column(s): {', '.join(unknown[:8])}"
                     + (" …" if len(unknown) > 8 else ""))
    width = len(header)
    min_width = width
    while min_width > 0 and (pad_any or columns[min_width - 1] in pad_set):
        min_width -= 1
    recs = rec_mod.read_records(lines, head, min_width=min_width, label=label)
    notes.extend(recs.notes)
    padded = recs.padded
    if pad_any and padded:
        notes.append(f"{sum(padded.values())} record(s) shorter than the header (trailing "
                     "empty fields omitted); read as blank")
    else:
        for k_missing, count in sorted(padded.items()):
            missing = ", ".join(repr(h.strip()) for h in header[width - k_missing:])
            notes.append(f"{count} record(s) omit the trailing empty column(s) {missing}; "
                         "read as blank")
    keep_idx = [i for i, c in enumerate(columns) if c is not None]
    names = [columns[i] for i in keep_idx]
    if recs.good:
        arr = np.array(recs.good, dtype=object)[:, keep_idx]
        records = pd.DataFrame(arr, columns=names).astype("str")
    else:
        records = pd.DataFrame({c: pd.Series([], dtype="str") for c in names})
    records.insert(0, "row", np.asarray(recs.good_rows, dtype="int64"))
    bdf = pd.DataFrame(recs.broken, columns=["row", "reason", "detail", "raw"])
    if not bdf.empty:
        bdf.insert(0, "file", label)
        bdf = bdf[["file", "reason", "detail", "row", "raw"]]
        bdf["row"] = bdf["row"].astype("int64")
    else:
        bdf = empty_rejected()
    return CsvTable(label=label, header=header, columns=columns, records=records,
                    broken=bdf, rows_in=recs.rows_in, sha256=sha256_bytes(data), notes=notes,
                    delimiter=head.delimiter, header_line=head.start + 1)


def empty_rejected() -> pd.DataFrame:
    """Return an empty rejected frame with the standard columns."""
    return pd.DataFrame({
        "file": pd.Series([], dtype="str"), "reason": pd.Series([], dtype="str"),
        "detail": pd.Series([], dtype="str"), "row": pd.Series([], dtype="int64"),
    })


class RowChecker:
    """Accumulate row-level quarantine for one file.

    Each row is quarantined at most once, for the first failed check, so that
    ``rows_in == kept + rejected`` holds.

    Parameters
    ----------
    frame
        Rows being validated (must have a ``row`` column).
    label
        File label.
    """

    def __init__(self, frame: pd.DataFrame, label: str) -> None:
        self.frame = frame
        self.label = label
        self.alive = pd.Series(True, index=frame.index)
        self._rejected: list[pd.DataFrame] = []

    def reject(
        self, mask: pd.Series, reason: str,
        detail: str | pd.Series | Callable[[pd.Index], pd.Series],
    ) -> None:
        """Quarantine the still-alive rows selected by ``mask``.

        Parameters
        ----------
        mask
            Boolean selection (missing treated as False).
        reason
            Short reason code.
        detail
            One sentence; a per-row Series of sentences; or a function of the
            selected index returning that Series (evaluated only if rows fail,
            which keeps large clean files fast).
        """
        m = mask.fillna(False).astype(bool)
        if not m.any():
            return
        m &= self.alive
        if not m.any():
            return
        first = detail if isinstance(detail, str) else ""
        q = quarantine(self.frame, m, reason=reason, detail=first, file=self.label)
        if callable(detail):
            q["detail"] = detail(q.index).astype("str").to_numpy()
        elif not isinstance(detail, str):
            q["detail"] = detail.loc[q.index].astype("str").to_numpy()
        self._rejected.append(q)
        self.alive &= ~m

    def reject_repeated_rows(self, df: pd.DataFrame, columns: Sequence[str]) -> None:
        """Quarantine rows that repeat an earlier row exactly (reason ``duplicate_row``).

        Parameters
        ----------
        df
            The file's records.
        columns
            The columns compared (the whole record of the format).
        """
        cols = list(columns)
        dup = df[cols].duplicated(keep="first")
        if dup.any():
            self.reject(dup, "duplicate_row",
                        lazy("row repeats an earlier row exactly (row ",
                             raw(first_row_of(df, cols)), ")"))

    def add(self, rejected: pd.DataFrame) -> None:
        """Add already-labelled rejected rows (e.g. structurally broken records)."""
        if not rejected.empty:
            self._rejected.append(rejected)

    def kept(self) -> pd.DataFrame:
        """Return the rows not quarantined."""
        return self.frame.loc[self.alive].copy()

    def rejected(self) -> pd.DataFrame:
        """Return all quarantined rows, sorted by row, standard columns first."""
        parts = [p for p in self._rejected if not p.empty]
        if not parts:
            return empty_rejected()
        keep = ("row", "n_rows", "sheet_row")
        parts = [p.astype({c: "str" for c in p.columns if c not in keep}) for p in parts]
        out = pd.concat(parts, ignore_index=True, sort=False)
        out["row"] = out["row"].astype("int64")
        lead = [c for c in REJECTED_LEAD if c in out.columns]
        rest = [c for c in out.columns if c not in lead]
        out = out[lead + rest].sort_values(["row", "reason"], kind="stable")
        return out.reset_index(drop=True)


def finish(
    source: str, table: CsvTable | None, kept: pd.DataFrame, rejected: pd.DataFrame, *,
    label: str | None = None, rows_in: int | None = None, sha256: str | None = None,
    notes: list[str] | None = None,
) -> LoadResult:
    """Build a `LoadResult` and check its accounting.

    Raises
    ------
    AssertionError
        If rows in != kept + rejected (a programming error, never a data error).
    """
    res = LoadResult(
        source=source,
        path=label if label is not None else table.label,  # type: ignore[union-attr]
        kept=kept.reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        rows_in=int(rows_in if rows_in is not None else table.rows_in),  # type: ignore[union-attr]
        sha256=sha256 if sha256 is not None else table.sha256,  # type: ignore[union-attr]
        notes=list(notes if notes is not None else table.notes),  # type: ignore[union-attr]
    )
    res.check_accounting()
    return res


def first_row_of(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    """Return, per row, the ``row`` number of the first row with the same ``cols`` (as str)."""
    key = df[list(cols)].astype("str").fillna("")
    first = df.assign(_r=df["row"]).groupby([key[c] for c in cols], sort=False,
                                            dropna=False)["_r"].transform("first")
    return first.astype("int64").astype("str")


def show(s: pd.Series, *, quote: bool = True) -> pd.Series:
    """Return cell values as display strings for quarantine details (always ``str``).

    Strings are shown quoted (``'abc'``), numbers plainly (``12``, ``3.5``) and
    missing values as ``blank``. Vectorised, so it is cheap on large files.
    """
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        f = s.astype("float64")
        t = pd.Series(f.to_numpy().astype(str), index=s.index, dtype="str")
        t = t.str.replace(r"\.0$", "", regex=True)
        return t.where(f.notna(), "blank").astype("str")
    t = s.astype("str")
    if quote:
        t = "'" + t + "'"
    return t.where(s.notna(), "blank").astype("str")


class raw:  # noqa: N801 - used like a marker function
    """Mark a Series as already formatted for `lazy()` (not quoted)."""

    def __init__(self, s: pd.Series) -> None:
        self.s = s


def lazy(*parts: str | pd.Series | raw) -> Callable[[pd.Index], pd.Series]:
    """Build a quarantine-detail function evaluated only for failing rows.

    Parameters
    ----------
    *parts
        Literal strings, Series (shown with `show()`) or `raw` Series
        (used as they are), concatenated in order.

    Returns
    -------
    callable
        ``f(index) -> Series`` of sentences, for `RowChecker.reject()`.
    """
    def f(idx: pd.Index) -> pd.Series:
        out = pd.Series("", index=idx, dtype="str")
        for p in parts:
            if isinstance(p, str):
                out = out + p
            elif isinstance(p, raw):
                out = out + p.s.loc[idx].astype("str").fillna("blank")
            else:
                out = out + show(p.loc[idx])
        return out

    return f


def looks_scientific(s: pd.Series) -> pd.Series:
    """Return True where a code looks like Excel's scientific notation (``1.05E+15``)."""
    t = s.astype("str")
    cand = t.str.contains("e", case=False, regex=False).fillna(False).astype(bool)
    out = pd.Series(False, index=s.index)
    if cand.any():
        out[cand] = t[cand].str.strip().str.fullmatch(_SCI.pattern).fillna(False).astype(bool)
    return out


def to_number(
    s: pd.Series, *, blanks: Iterable[str] = ("",), thousands: bool = True,
    percent: str | None = None, markers: Iterable[str] = (),
) -> tuple[pd.Series, pd.Series]:
    """Parse strings to floats with `lvrn_analysis.sources.values.parse_numbers()`.

    Parameters
    ----------
    s
        Strings.
    blanks
        Values that mean "no value" (returned as NaN, not flagged).
    thousands
        Accept thousands separators in their proper places (``1,234``; ``0,123``
        is refused).
    percent
        ``None`` (a ``%`` sign is bad), ``"points"`` (``45%`` is 45) or
        ``"fraction"`` (``45%`` is 0.45).
    markers
        Suppression markers read as missing, not flagged (e.g.
        `lvrn_analysis.sources.values.SUPPRESSION_MARKERS`); none by default.

    Returns
    -------
    tuple of (pandas.Series, pandas.Series)
        Float values, and a boolean mask of unparseable (non-blank) cells.
    """
    n = parse_numbers(s, thousands=thousands, percent=percent, markers=markers,
                      blanks=blanks)
    return n.value, n.bad
