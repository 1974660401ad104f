"""Compressed and packaged inputs: gzip, zip and workbooks, told apart with clear messages.

`unpack()` returns the CSV bytes inside a ``.gz`` or a single-CSV ``.zip`` (or
the bytes unchanged for text), and otherwise raises `SourceError` with a message
that says which of these it is and what to do:

* a truncated or damaged gzip file (download it again);
* an Excel or OpenDocument workbook where CSV text was expected (an ``.xlsx``
  renamed ``.csv``): save it as CSV, or give it its own extension if the source
  reads workbooks;
* a truncated zip or workbook (no central directory);
* a zip holding several CSV files (the members are named: unzip it and validate
  each) or none;
* an old ``.xls`` workbook, a PDF, an HTML error page, an empty file.

`zip_members()` gives every CSV member of a zip, for a source that reads them all.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib

from lvrn_analysis.sources.textcodec import KIND_MESSAGES, sniff_kind, workbook_kind
from lvrn_analysis.sources.validation import SourceError

#: Note left when a gzip file was decompressed.
GZIP_NOTE = "gzip-compressed; SHA-256 is of the decompressed CSV"
_TEXT_MEMBER = (".csv", ".txt", ".tsv")


def _csv_names(z: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in z.namelist()
                  if n.lower().endswith(_TEXT_MEMBER) and not n.endswith("/")
                  and not n.startswith("__MACOSX/"))


def zip_members(data: bytes, label: str) -> list[tuple[str, bytes]]:
    """Return ``(name, bytes)`` of every CSV member of a zip archive, in name order.

    Raises
    ------
    SourceError
        A truncated or damaged archive, or a member that cannot be read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out = []
            for name in _csv_names(z):
                try:
                    out.append((name, z.read(name)))
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                    raise SourceError(label, f"zip member {name!r} is damaged ({exc}); "
                                             "download the archive again") from exc
            return out
    except zipfile.BadZipFile as exc:
        raise SourceError(label, f"zip archive is truncated or damaged ({exc}): the download "
                                 "or copy was cut short; download it again") from exc


def unpack(data: bytes, label: str, *, reads_workbooks: bool = False
           ) -> tuple[bytes, list[str]]:
    """Return the CSV text bytes of a file, decompressing gzip or a single-CSV zip.

    Parameters
    ----------
    data
        The file's bytes.
    label
        File label for messages.
    reads_workbooks
        Whether the calling source reads xlsx/ods workbooks (changes the advice
        given for a workbook with a ``.csv`` name).

    Returns
    -------
    tuple of (bytes, list of str)
        Text bytes and notes (what was unpacked).

    Raises
    ------
    SourceError
        For every kind of file that is not text, with what it is and what to do.
    """
    notes: list[str] = []
    kind = sniff_kind(data)
    if kind == "gzip":
        try:
            data = gzip.decompress(data)
        except EOFError as exc:
            raise SourceError(label, "gzip file is truncated (it ends before the end of the "
                                     "compressed data): the download or copy was cut short; "
                                     "download it again") from exc
        except (OSError, zlib.error) as exc:
            raise SourceError(label, f"gzip file is damaged ({exc}); download it again") \
                from exc
        notes.append(GZIP_NOTE)
        kind = sniff_kind(data)
        if kind == "gzip":
            raise SourceError(label, "file is gzip-compressed twice; decompress it once "
                                     "(gunzip) and try again")
    if kind == "zip":
        wb = workbook_kind(data)
        if wb is not None:
            intact = True
            try:
                zipfile.ZipFile(io.BytesIO(data)).close()
            except zipfile.BadZipFile:
                intact = False
            ext = ".xlsx" if wb == "xlsx" else ".ods"
            if not intact:
                raise SourceError(label, f"file is a truncated or damaged {ext} workbook "
                                         "(the zip has no central directory): the download "
                                         "was cut short; download it again")
            advice = (f"name it {ext} (this source reads workbooks)" if reads_workbooks
                      else "open it and save as 'CSV UTF-8 (comma delimited)'")
            raise SourceError(label, f"file is a spreadsheet workbook ({ext}), not CSV text, "
                                     f"though its name says otherwise: {advice}")
        members = zip_members(data, label)
        if len(members) > 1:
            names = ", ".join(n for n, _ in members[:6]) + (" …" if len(members) > 6 else "")
            raise SourceError(label, f"zip archive holds {len(members)} CSV files ({names}); "
                                     "this source reads one table per file: unzip the "
                                     "archive and give each CSV file separately")
        if not members:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = ", ".join(z.namelist()[:6]) or "none"
            raise SourceError(label, f"zip archive holds no CSV file (members: {names})")
        name, data = members[0]
        notes.append(f"read {name!r}, the only CSV file in the zip archive")
        kind = sniff_kind(data)
    if kind in KIND_MESSAGES:
        raise SourceError(label, KIND_MESSAGES[kind])
    if kind != "text":
        raise SourceError(label, f"file holds a {kind} inside an archive; unpack it first")
    return data, notes
