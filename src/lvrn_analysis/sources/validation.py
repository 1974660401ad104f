"""Shared validation machinery: errors that name file, row and column; quarantine.

Every source loader in `lvrn_analysis.sources` follows the same contract:

* a file that cannot be used at all (wrong header, empty, not a CSV, unreadable
  encoding) raises `SourceError`, whose message names the file and, where
  it applies, the row and column;
* a usable file returns a `LoadResult` whose ``kept`` frame holds the
  clean rows and whose ``rejected`` frame holds every quarantined row with a
  ``reason`` (a short code) and ``detail`` (a sentence), so that
  ``rows_in == rows_kept + rows_rejected`` always holds.

Loaders may work on pre-aggregated inputs (the embedded police aggregate), where
one frame row stands for several input rows; the ``n_rows`` column carries that
weight, and the accounting uses it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Column that holds the number of input rows each frame row stands for.
WEIGHT = "n_rows"


class SourceError(ValueError):
    """A file cannot be used: the message names the file, and row/column if known.

    Parameters
    ----------
    path
        The file (or archive member) at fault.
    message
        What is wrong, in one line.
    row
        1-based data row number (header excluded), if the fault is in one row.
    column
        Column name, if the fault is in one column.
    """

    def __init__(
        self, path: str | Path, message: str, *, row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.message = message
        self.row = row
        self.column = column
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(": ".join([", ".join(where), message]))

    def __reduce__(self) -> tuple:
        """Pickle with row and column (worker processes send errors to the parent)."""
        return (_source_error, (self.path, self.message, self.row, self.column))


def _source_error(path: str, message: str, row: int | None, column: str | None) -> SourceError:
    return SourceError(path, message, row=row, column=column)


class Accounting:
    """Row accounting shared by every load result: rows in = kept + rejected.

    Subclasses provide ``source``, ``path``, ``sha256``, ``notes``, ``rows_in``,
    ``rows_kept``, ``rows_rejected`` and ``rejected_by_reason()``.
    """

    def check_accounting(self) -> None:
        """Raise `AssertionError` unless rows in = kept + rejected."""
        if self.rows_in != self.rows_kept + self.rows_rejected:
            raise AssertionError(
                f"{self.path}: rows in {self.rows_in} != kept {self.rows_kept} + "
                f"rejected {self.rows_rejected}"
            )

    def as_record(self) -> dict[str, object]:
        """Return the manifest record for this file."""
        return {
            "source": self.source,
            "file": self.path,
            "sha256": self.sha256,
            "rows_in": int(self.rows_in),
            "rows_kept": int(self.rows_kept),
            "rows_rejected": int(self.rows_rejected),
            "rejected_by_reason": self.rejected_by_reason(),
            "notes": list(self.notes),
        }


@dataclass
class LoadResult(Accounting):
    """The outcome of loading one input file.

    Attributes
    ----------
    source
        Source name, e.g. ``"police_street"``.
    path
        File label (path, or ``archive.zip!member.csv``).
    kept
        Clean rows.
    rejected
        Quarantined rows with ``file``, ``row``, ``reason``, ``detail`` columns
        (and ``n_rows`` when the input was aggregated).
    rows_in
        Number of input rows read (data rows, header excluded).
    sha256
        SHA-256 of the file's bytes as read (decompressed member for archives).
    notes
        Human-readable notes (e.g. rows kept with a caveat).
    """

    source: str
    path: str
    kept: pd.DataFrame
    rejected: pd.DataFrame
    rows_in: int
    sha256: str
    notes: list[str] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        """Input rows kept (weighted)."""
        return _weighted_len(self.kept)

    @property
    def rows_rejected(self) -> int:
        """Input rows quarantined (weighted)."""
        return _weighted_len(self.rejected)

    def rejected_by_reason(self) -> dict[str, int]:
        """Return quarantined input rows per reason, sorted by reason."""
        if self.rejected.empty:
            return {}
        w = self.rejected[WEIGHT] if WEIGHT in self.rejected else 1
        s = pd.Series(w, index=self.rejected.index).groupby(self.rejected["reason"]).sum()
        return {str(k): int(v) for k, v in s.sort_index().items()}



def _weighted_len(df: pd.DataFrame) -> int:
    if WEIGHT in df.columns:
        return int(df[WEIGHT].sum())
    return len(df)


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quarantine(
    frame: pd.DataFrame, mask: pd.Series, *, reason: str, detail: str, file: str
) -> pd.DataFrame:
    """Return the rows of ``frame`` selected by ``mask`` labelled for quarantine.

    Parameters
    ----------
    frame
        Rows being validated; must have a ``row`` column (1-based row number).
    mask
        Boolean selection of the rows to quarantine.
    reason
        Short machine-readable reason code, e.g. ``"duplicate_crime_id"``.
    detail
        One-sentence explanation for a person.
    file
        File label.

    Returns
    -------
    pandas.DataFrame
        The selected rows with ``file``, ``reason`` and ``detail`` columns first.
    """
    out = frame.loc[mask].copy()
    out.insert(0, "detail", detail)
    out.insert(0, "reason", reason)
    out.insert(0, "file", file)
    return out


def decode_text(data: bytes, label: str, *, encoding: str | None = None) -> str:
    """Decode a CSV file's bytes, or raise a `SourceError` that says what the file is.

    Encodings are detected by `lvrn_analysis.sources.textcodec.decode()`
    (byte-order marks, UTF-16, UTF-8, then Windows-1252); notes about the
    encoding are left to the caller (`lvrn_analysis.sources.reading.decode_bytes()`
    keeps them).

    Parameters
    ----------
    data
        Raw bytes.
    label
        File label for messages.
    encoding
        Codec to use instead of detecting one; default: the one set with
        `lvrn_analysis.sources.read_options.reading_options()`, if any.

    Returns
    -------
    str
        The decoded text (byte-order mark removed).

    Raises
    ------
    SourceError
        If the bytes are empty, HTML, a PDF, a workbook or an archive, or cannot be
        decoded; the message says what to do.
    """
    from lvrn_analysis.sources import textcodec
    from lvrn_analysis.sources.read_options import current

    refuse_non_text(data, label)
    try:
        return textcodec.decode(data, encoding=encoding or current().encoding).text
    except textcodec.TextProblem as exc:
        raise SourceError(label, str(exc)) from exc


def refuse_non_text(data: bytes, label: str) -> None:
    """Raise `SourceError` saying what the bytes are unless they are text.

    Raises
    ------
    SourceError
        Empty, HTML/XML, PDF, old Excel, a workbook, a zip or gzip archive.
    """
    from lvrn_analysis.sources import textcodec

    kind = textcodec.sniff_kind(data)
    if kind in textcodec.KIND_MESSAGES:
        raise SourceError(label, textcodec.KIND_MESSAGES[kind])
    if kind == "gzip":
        raise SourceError(label, "file is gzip-compressed (perhaps a truncated download); "
                                 "name it .csv.gz, or decompress it")
    if kind == "zip":
        wb = textcodec.workbook_kind(data)
        if wb is not None:
            raise SourceError(label, f"file is a spreadsheet workbook (.{wb}), not CSV text: "
                                     "open it and save as 'CSV UTF-8 (comma delimited)'")
        raise SourceError(label, "file is a zip archive; name it .zip, or unzip it")
