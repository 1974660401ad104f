"""data.police.uk monthly archives → one force's street-level files for a range of months.

data.police.uk publishes one archive a month, ``{archive_url}/YYYY-MM.zip``, holding the
latest 36 months (`ARCHIVE_MONTHS`) for every force as
``YYYY-MM/YYYY-MM-<force>-street.csv`` (with the outcomes and stop-and-search files).
An archive is gigabytes; a force's month is a few megabytes. `fetch_police()`:

1. chooses the fewest archives that cover the range (`plan_archives()`): the archive
   named for the last month, then the one named for the month before its first, …;
2. asks for the last 64 KiB of each archive with a ``Range`` request. A server that
   honours it (``206``) is read as a seekable file (`lvrn_analysis.fetch.http.RangeFile`):
   `zipfile` reads the end-of-central-directory record and the central directory, and
   only the wanted members' bytes are then requested, one request per member. A server
   that ignores the range (``200``) has started sending the whole archive: it is
   streamed to the cache folder (resumable, see `lvrn_analysis.fetch.http.download()`)
   and read from there;
3. writes each wanted member as ``YYYY-MM-<force>-street.csv`` (the original bytes)
   under a temporary name, renamed once `zipfile` has checked its CRC-32 and its size
   against the central directory. A file already in the destination with the same size
   and CRC-32 is left as it is, without downloading it again;
4. records the archive URL, member name, size, CRC-32 and SHA-256 of every file in the
   destination folder's fetch log (`lvrn_analysis.fetch.log`).

Nothing but the requested force's months in the requested range is written. Months the
archives do not hold for the force are reported, not invented.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd

from lvrn_analysis.fetch.http import (
    FetchError,
    RangeFile,
    check_response,
    client,
    describe,
    download,
    parse_content_range,
    write_atomic,
)
from lvrn_analysis.fetch.log import sha256_bytes, update_log
from lvrn_analysis.sources.police.format import month_from_name, slug_from_name

#: data.police.uk's archive folder.
DEFAULT_ARCHIVE_URL = "https://data.police.uk/data/archive"
#: Months one monthly archive holds (the month it is named for and the 35 before).
ARCHIVE_MONTHS = 36
#: Bytes read from the end of an archive first (the end record and, often, the
#: central directory).
TAIL_BYTES = 64 * 1024
#: Bytes read past a member's data, for a local header whose extra field is longer
#: than the central directory's (and a data descriptor).
MEMBER_MARGIN = 4 * 1024

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def month_range(start: str, end: str) -> list[str]:
    """Return the months ``start`` … ``end`` (``YYYY-MM``, both included).

    Raises
    ------
    FetchError
        If a month is not ``YYYY-MM`` or ``start`` is after ``end``.
    """
    for m in (start, end):
        if not _MONTH.match(m or ""):
            raise FetchError(f"month {m!r} is not YYYY-MM")
    if start > end:
        raise FetchError(f"--from {start} is after --to {end}")
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def plan_archives(start: str, end: str, span: int = ARCHIVE_MONTHS) -> list[tuple[str, list[str]]]:
    """Return the fewest monthly archives covering ``start`` … ``end``, latest first.

    Parameters
    ----------
    start, end
        The range (``YYYY-MM``).
    span
        Months one archive holds.

    Returns
    -------
    list of (str, list of str)
        ``(archive month, months of the range taken from it)``; the archive named for
        ``end`` supplies the last ``span`` months, the one named for the month before
        those the ``span`` before, and so on.
    """
    months = month_range(start, end)
    plan = []
    while months:
        take = months[-span:]
        plan.append((take[-1], take))
        months = months[:-span]
    return plan


@dataclass
class PoliceFetch:
    """What `fetch_police()` did."""

    #: Files written (names in the destination folder).
    written: list[str] = field(default_factory=list)
    #: Files already present with the right size and CRC-32 (not downloaded again).
    unchanged: list[str] = field(default_factory=list)
    #: Months of the range the archives hold no file for, with the reason.
    missing: dict[str, str] = field(default_factory=dict)
    #: One record per archive: url, mode (ranged / streamed / cache), size,
    #: bytes_downloaded, requests.
    archives: list[dict] = field(default_factory=list)
    #: The fetch log written.
    log: Path | None = None


def _open_archive(http: httpx.Client, url: str, cached: Path
                  ) -> tuple[zipfile.ZipFile, RangeFile | None, dict]:
    """Open an archive by ranges if the server allows, else stream it to ``cached``."""
    if cached.is_file():
        return _local_zip(cached, url), None, {"mode": "cache", "size": cached.stat().st_size,
                                               "bytes_downloaded": 0, "requests": 0}
    try:
        with http.stream("GET", url, headers={"Range": f"bytes=-{TAIL_BYTES}"}) as r:
            check_response(r, url)
            if r.status_code == 206:
                first, _, total = parse_content_range(r.headers.get("content-range"))
                if total is None:
                    raise FetchError(f"{url}: the server does not say the archive's size")
                validator = r.headers.get("etag") or r.headers.get("last-modified")
                segments = {}
                try:
                    tail = r.read()
                    if tail[:15].lstrip().lower().startswith((b"<!doctype", b"<html")):
                        check_response(r, url, tail)
                    segments = {first: tail} if first + len(tail) == total else {}
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout):
                    segments = {}  # read again through the RangeFile (which resumes)
                rf = RangeFile(http, url, total, validator, segments)
                rf.bytes_fetched, rf.requests = sum(map(len, segments.values())), 1
                try:
                    zf = zipfile.ZipFile(rf)
                except zipfile.BadZipFile as exc:
                    raise FetchError(f"{url}: not a zip archive ({exc})") from exc
                return zf, rf, {"mode": "ranged", "size": total}
            size = download(r, http, url, cached)
    except httpx.HTTPError as exc:
        raise FetchError(describe(exc, url)) from exc
    return _local_zip(cached, url), None, {"mode": "streamed", "size": size,
                                           "bytes_downloaded": size, "requests": 1}


def _local_zip(path: Path, url: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        path.unlink(missing_ok=True)  # a bad cached copy is fetched again next time
        raise FetchError(f"{url}: not a zip archive ({exc}); cached copy removed") from exc


def _wanted_members(zf: zipfile.ZipFile, slug: str, months: list[str]
                    ) -> tuple[dict[str, zipfile.ZipInfo], set[str]]:
    """Return the force's street members by month, and every month the archive holds."""
    found: dict[str, zipfile.ZipInfo] = {}
    held: set[str] = set()
    want = set(months)
    for info in zf.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        month = month_from_name(base)
        if month is None or not base.endswith("-street.csv"):
            continue
        held.add(month)
        if month in want and slug_from_name(base) == slug:
            found[month] = info
    return found, held


def _crc_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return crc


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, rf: RangeFile | None,
                 url: str) -> bytes:
    if rf is not None:
        start = info.header_offset
        rf.prefetch(start, start + 30 + len(info.orig_filename.encode("utf-8"))
                    + len(info.extra) + info.compress_size + MEMBER_MARGIN)
    try:
        with zf.open(info) as fh:
            data = fh.read()  # zipfile checks the CRC-32 at the end of the member
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FetchError(f"{url}!{info.filename}: corrupt member ({exc})") from exc
    if len(data) != info.file_size:
        raise FetchError(f"{url}!{info.filename}: {len(data):,} bytes, the archive says "
                         f"{info.file_size:,}")
    if rf is not None:
        rf.forget()
    return data


def fetch_police(force_slug: str, start: str, end: str, *,
                 archive_url: str = DEFAULT_ARCHIVE_URL,
                 dest: Path | str = "data/raw/police",
                 cache: Path | str = "data/raw/.fetch-cache/police",
                 http: httpx.Client | None = None,
                 echo: Callable[[str], None] | None = None) -> PoliceFetch:
    """Fetch one force's street-level files for ``start`` … ``end`` from the monthly archives.

    Parameters
    ----------
    force_slug
        The force's slug in data.police.uk file names (``lancashire``).
    start, end
        First and last month (``YYYY-MM``).
    archive_url
        Folder of the monthly archives (``{archive_url}/YYYY-MM.zip``).
    dest
        Where the street files and the fetch log go (``data/raw/police``).
    cache
        Where whole archives are kept when the server does not serve ranges (so a
        second run, or a resumed one, does not download them again). The default lies
        under ``data/raw/`` (never committed) but in no source's folder.
    http
        HTTP client (default: `lvrn_analysis.fetch.http.client()`).
    echo
        Called with one line per archive and per file (e.g. `print`).

    Returns
    -------
    PoliceFetch
        Files written and unchanged, months missing, archives read and the log path.

    Raises
    ------
    FetchError
        Bad arguments, an unreachable server, an HTTP error (e.g. an archive not
        published: 404), an HTML page instead of an archive, a download that stops
        early, or a member that fails its CRC-32 or size check. Files already written
        stay (each is complete and logged); none is left half-written.
    """
    slug = (force_slug or "").strip().lower()
    if not _SLUG.match(slug):
        raise FetchError(f"force slug {force_slug!r} is not a data.police.uk slug "
                         "(lower-case words joined by '-', e.g. 'lancashire')")
    plan = plan_archives(start, end)
    dest, cache = Path(dest), Path(cache)
    say = echo or (lambda _line: None)
    own = http is None
    http = http or client()
    report = PoliceFetch()
    records: dict[str, dict] = {}
    try:
        for archive_month, months in plan:
            url = f"{archive_url.rstrip('/')}/{archive_month}.zip"
            zf, rf, info = _open_archive(http, url, cache / f"{archive_month}.zip")
            with zf:
                found, held = _wanted_members(zf, slug, months)
                for month in months:
                    if month not in found:
                        report.missing[month] = (
                            f"no {slug} file in {url}" if month in held
                            else f"{url} holds no month {month}")
                for month in sorted(found):
                    member = found[month]
                    name = f"{month}-{slug}-street.csv"
                    path = dest / name
                    if (path.is_file() and path.stat().st_size == member.file_size
                            and _crc_of(path) == member.CRC):
                        data = path.read_bytes()
                        report.unchanged.append(name)
                        say(f"  {name}: already there (size and CRC-32 match {url})")
                    else:
                        data = _read_member(zf, member, rf, url)
                        write_atomic(path, data)
                        report.written.append(name)
                        say(f"  {name}: {len(data):,} bytes from {url}")
                    records[name] = {
                        "url": url, "member": member.filename, "archive_size": info["size"],
                        "size": len(data), "crc32": f"{member.CRC:08x}",
                        "sha256": sha256_bytes(data)}
            if rf is not None:
                info |= {"bytes_downloaded": rf.bytes_fetched, "requests": rf.requests}
            report.archives.append({"url": url, **info})
            say(f"{url}: {info['mode']}, {info['bytes_downloaded']:,} of {info['size']:,} "
                f"bytes downloaded in {info['requests']} request(s)")
    finally:
        if records:
            report.log = update_log(dest, records)
        if own:
            http.close()
    return report
