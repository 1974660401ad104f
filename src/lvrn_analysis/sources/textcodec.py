"""What a file's bytes are, and how to turn text bytes into text.

The first step of the reading layer (see ``docs/architecture.md``, "Reading files"),
and independent of file labels: problems are raised as `TextProblem`
(a one-line message saying what is wrong and what to do), which the callers in
`lvrn_analysis.sources.validation` and `lvrn_analysis.sources.reading` turn
into `SourceError` naming the file.

`sniff_kind()` tells text from gzip, zip (and the workbooks that are zips:
xlsx, ods), old Excel ``.xls``, PDF and HTML by their first bytes.
`decode()` decodes text in this order:

1. an encoding the caller names (``lvrn validate --encoding``), strictly;
2. a byte-order mark: UTF-8, UTF-16 (LE/BE) or UTF-32;
3. UTF-16 without a mark, recognised by every other byte being NUL;
4. UTF-8;
5. Windows-1252 (Excel's default on Windows), with a note;
6. otherwise a refusal naming the first bad byte and, where
   `charset_normalizer` can tell, the encoding the text looks like.

Windows-1252 is tried before asking `charset_normalizer` because for short,
mostly ASCII files (the common case) the library cannot tell the Western code
pages apart, while Excel writes Windows-1252.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

#: Byte-order marks, longest first: (mark, codec, note).
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "text is UTF-32 (byte-order mark); decoded"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "text is UTF-32 (byte-order mark); decoded"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8 byte-order mark removed"),
    (b"\xff\xfe", "utf-16-le", "text is UTF-16 (as Excel's 'Unicode Text' saves it); decoded"),
    (b"\xfe\xff", "utf-16-be", "text is UTF-16 (big-endian byte-order mark); decoded"),
)
#: Note left when text is read as Windows-1252.
CP1252_NOTE = "text is not UTF-8; decoded as Windows-1252 (Excel's default)"
_HTML = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TextProblem(ValueError):
    """Bytes that cannot be read as text: the message says what is wrong and what to do."""


@dataclass
class Decoded:
    """Decoded text.

    Attributes
    ----------
    text
        The text (byte-order mark removed).
    encoding
        Codec used, e.g. ``"utf-8"``, ``"cp1252"``, ``"utf-16-le"``.
    notes
        Notes for the manifest (BOM removed, not UTF-8, …).
    """

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def sniff_kind(data: bytes) -> str:
    """Return what the bytes are from their first bytes.

    Returns
    -------
    str
        ``"empty"`` (nothing but whitespace), ``"gzip"``, ``"zip"`` (any zip,
        including xlsx and ods workbooks), ``"xls"`` (old binary Excel),
        ``"pdf"``, ``"html"`` (or XML) or ``"text"``.
    """
    if not data.strip():
        return "empty"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:2] == b"PK":
        return "zip"
    if data[:8] == _OLE2:
        return "xls"
    if data[:5] == b"%PDF-":
        return "pdf"
    head = data[:512]
    for bom, codec, _ in BOMS:
        if head.startswith(bom):
            try:
                head = head[len(bom):].decode(codec, errors="ignore").encode("utf-8")
            except LookupError:  # pragma: no cover - codecs are built in
                pass
            break
    if head.lstrip().lower().startswith(_HTML):
        return "html"
    return "text"


#: What to say for kinds that are not text: (what it is, what to do).
KIND_MESSAGES: dict[str, str] = {
    "empty": "file is empty",
    "html": "file is HTML/XML, not CSV (a download error page saved as .csv?); download "
            "the file again",
    "xls": "file is an old-style Excel workbook (.xls), not CSV text: open it in Excel and "
           "save as 'CSV UTF-8 (comma delimited)'",
    "pdf": "file is a PDF, not CSV: download the data table (CSV) instead",
}


def workbook_kind(data: bytes) -> str | None:
    """Return ``"xlsx"`` or ``"ods"`` for a workbook's bytes (even a truncated one), else None."""
    if data[:2] != b"PK":
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype"):
                return "ods"
            if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
                return "xlsx"
            return None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        head = data[:4096]
        if b"opendocument.spreadsheet" in head:
            return "ods"
        if b"[Content_Types].xml" in head or b"xl/" in head or b"docProps/" in head:
            return "xlsx"
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """Return ``"utf-16-le"``/``"utf-16-be"`` if every other byte is NUL, else ``None``."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd >= 0.6 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.6 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def guess_encoding(data: bytes) -> str | None:
    """Return the encoding `charset_normalizer` thinks the bytes are in, if any."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data[:65536]).best()
    return None if best is None else str(best.encoding)


def decode(data: bytes, *, encoding: str | None = None) -> Decoded:
    """Decode text bytes (see the module docstring for the order of attempts).

    Parameters
    ----------
    data
        The bytes (already known to be text: see `sniff_kind()`).
    encoding
        Codec to use instead of detecting one (e.g. ``"utf-16"``, ``"latin-1"``).

    Returns
    -------
    Decoded

    Raises
    ------
    TextProblem
        If the bytes cannot be decoded; the message names the byte and what to do.
    """
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError as exc:
            raise TextProblem(f"unknown encoding {encoding!r}; use a Python codec name such "
                              "as utf-8, cp1252, utf-16 or latin-1") from exc
        except UnicodeDecodeError as exc:
            raise TextProblem(f"text cannot be decoded as {encoding} (byte "
                              f"0x{data[exc.start]:02x} at offset {exc.start}); check the "
                              "encoding, or save the file as CSV UTF-8") from exc
        return Decoded(text.lstrip("\ufeff"), encoding, [f"decoded as {encoding} (as asked)"])
    for bom, codec, note in BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise TextProblem(
                    f"text starts with a {codec.upper()} byte-order mark but cannot be decoded "
                    f"as {codec.upper()} (offset {exc.start + len(bom)}: {exc.reason}); it may "
                    "be truncated: save it as CSV UTF-8, or pass --encoding") from exc
            return Decoded(text, codec, [note])
    codec16 = _utf16_without_bom(data)
    if codec16 is not None:
        try:
            text = data.decode(codec16)
        except UnicodeDecodeError as exc:
            raise TextProblem(
                f"text looks like UTF-16 without a byte-order mark but cannot be decoded "
                f"({exc.reason}): save it as CSV UTF-8, or pass --encoding utf-16") from exc
        return Decoded(text, codec16, [f"text is UTF-16 without a byte-order mark "
                                       f"({codec16}); decoded"])
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return Decoded(data.decode("cp1252"), "cp1252", [CP1252_NOTE])
        except UnicodeDecodeError as exc:
            guess = guess_encoding(data)
            looks = f"; it looks like {guess}" if guess and guess not in ("utf_8", "cp1252") \
                else ""
            raise TextProblem(
                f"text is neither UTF-8 nor Windows-1252 (byte 0x{data[exc.start]:02x} at "
                f"offset {exc.start}; UTF-8 failed at offset {utf8_error.start}){looks}: save "
                f"it as CSV UTF-8, or pass --encoding {guess or 'NAME'}") from exc
