"""HTTP for `lvrn fetch`: one client, clear errors, ranged reads, resumable downloads.

Everything goes through `httpx` (connection retries by its transport). The helpers
here add what a download of real open data needs on top:

* `FetchError` — one line that says what failed and where, for the command line;
* `open_stream()` — a streamed ``GET`` whose HTTP errors, HTML error pages served with
  status 200 and unreachable hosts all become a `FetchError`;
* `get_range()` — bytes ``[start, end)`` of a file by ``Range`` requests, resuming from
  the last byte received when a response stops early;
* `RangeFile` — a read-only, seekable file over HTTP ranges, which `zipfile.ZipFile`
  reads as if the archive were on disk (the end-of-central-directory record and the
  central directory first, then only the members asked for);
* `download()` — a whole file streamed to ``<name>.part`` beside its final name,
  resumed with a ``Range`` request when a previous attempt stopped early and renamed
  into place only when complete;
* `write_atomic()` — bytes written under a temporary name and renamed, so a reader
  never sees half a file.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from lvrn_analysis import __version__

#: Seconds to wait for a connection, a read, a write or a pooled connection.
TIMEOUT = 60.0
#: Connection attempts made by the transport (httpx retries failed connects).
CONNECT_RETRIES = 2
#: Attempts to complete one ranged read that stops early (each resumes where it stopped).
RANGE_ATTEMPTS = 4
#: Bytes read ahead by `RangeFile` when a read falls outside what it holds.
READ_AHEAD = 256 * 1024

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class FetchError(Exception):
    """A download failed; the message is one line for the command line."""


def client(timeout: float = TIMEOUT) -> httpx.Client:
    """Return the HTTP client every fetcher uses.

    Parameters
    ----------
    timeout
        Seconds for connect, read, write and pool timeouts.

    Returns
    -------
    httpx.Client
        Follows redirects, retries failed connections (`CONNECT_RETRIES`) and names
        the package in its ``User-Agent``.
    """
    return httpx.Client(
        transport=httpx.HTTPTransport(retries=CONNECT_RETRIES),
        timeout=httpx.Timeout(timeout), follow_redirects=True,
        headers={"User-Agent": f"lvrn-analysis/{__version__} (lvrn fetch)"})


def describe(exc: BaseException, url: str) -> str:
    """Return one line describing a transport failure for ``url``."""
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {httpx.URL(url).host} ({exc}); are you online?"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url}: timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return f"{url}: connection closed before the download finished ({exc})"
    return f"{url}: {type(exc).__name__}: {exc}"


def _looks_like_html(response: httpx.Response, first: bytes) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = first.lstrip()[:15].lower()
    return "html" in ctype or head.startswith((b"<!doctype", b"<html"))


def check_response(response: httpx.Response, url: str, first: bytes = b"") -> None:
    """Raise `FetchError` for an HTTP error status or an HTML page instead of data.

    Parameters
    ----------
    response
        The response (headers read, body possibly not).
    url
        The URL asked for (named in the message).
    first
        The first bytes of the body, when already read, to recognise an HTML page
        served with status 200 by a server that does not set its content type.
    """
    if response.status_code == 404:
        raise FetchError(f"{url}: not found (HTTP 404)")
    if response.status_code == 416:
        raise FetchError(f"{url}: requested range not satisfiable (HTTP 416)")
    if response.status_code >= 400:
        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
    if _looks_like_html(response, first):
        raise FetchError(f"{url}: the server sent a web page (HTML), not the data file "
                         f"(HTTP {response.status_code}); is the URL right?")


@contextlib.contextmanager
def open_stream(http: httpx.Client, url: str, headers: dict[str, str] | None = None,
                params: dict[str, str] | None = None) -> Iterator[httpx.Response]:
    """Open a streamed ``GET``; errors become `FetchError`.

    The status and content type are checked before the body is read; callers that
    read the body should also pass its first bytes to `check_response()`.
    """
    try:
        with http.stream("GET", url, headers=headers, params=params) as response:
            check_response(response, url)
            yield response
    except httpx.HTTPError as exc:
        raise FetchError(describe(exc, url)) from exc


def read_body(http: httpx.Client, url: str) -> bytes:
    """Return the whole body of a ``GET`` (a small file, e.g. an API's CSV).

    Raises
    ------
    FetchError
        An unreachable host, an HTTP error, a body shorter than its
        ``Content-Length``, or an HTML page (by content type or by its first bytes).
    """
    with open_stream(http, url) as r:
        try:
            body = r.read()
        except httpx.HTTPError as exc:
            raise FetchError(describe(exc, url)) from exc
        check_response(r, url, body[:64])
        declared = r.headers.get("content-length")
        if declared is not None and "content-encoding" not in r.headers \
                and int(declared) != len(body):
            raise FetchError(f"{url}: got {len(body):,} of {int(declared):,} bytes")
    return body


def parse_content_range(value: str | None) -> tuple[int, int, int | None]:
    """Return ``(first, last, total)`` of a ``Content-Range`` header (total ``None`` if ``*``).

    Raises
    ------
    FetchError
        If the header is missing or malformed.
    """
    m = _CONTENT_RANGE.fullmatch((value or "").strip())
    if not m:
        raise FetchError(f"partial response without a valid Content-Range ({value!r})")
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), int(m.group(2)), total


def get_range(http: httpx.Client, url: str, start: int, end: int,
              validator: str | None = None, attempts: int = RANGE_ATTEMPTS) -> bytes:
    """Return bytes ``[start, end)`` of ``url`` by ``Range`` requests, resuming early stops.

    Parameters
    ----------
    http
        The client.
    url
        The file.
    start, end
        Byte offsets (end exclusive).
    validator
        ``ETag`` or ``Last-Modified`` of the file, sent as ``If-Range`` so that a
        changed file is noticed rather than spliced.
    attempts
        Requests made at most; each asks only for the bytes still missing.

    Returns
    -------
    bytes
        Exactly ``end - start`` bytes.

    Raises
    ------
    FetchError
        On an HTTP error, a full (``200``) answer to a ranged request, a range that does
        not start where asked, or when the bytes are still incomplete after ``attempts``.
    """
    buf = bytearray()
    last: BaseException | None = None
    for _ in range(attempts):
        lo = start + len(buf)
        if lo >= end:
            break
        headers = {"Range": f"bytes={lo}-{end - 1}"}
        if validator:
            headers["If-Range"] = validator
        try:
            with http.stream("GET", url, headers=headers) as r:
                check_response(r, url)
                if r.status_code != 206:
                    raise FetchError(f"{url}: the server answered a range request with the "
                                     f"whole file (HTTP {r.status_code}); it changed or no "
                                     "longer serves ranges")
                first, _, _ = parse_content_range(r.headers.get("content-range"))
                if first != lo:
                    raise FetchError(f"{url}: asked for bytes from {lo}, got bytes from {first}")
                for chunk in r.iter_bytes():
                    buf += chunk[: end - start - len(buf)]
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
            last = exc  # stopped early: the next attempt asks for the rest
        except httpx.HTTPError as exc:
            raise FetchError(describe(exc, url)) from exc
    if len(buf) != end - start:
        why = f" ({describe(last, url)})" if last else ""
        raise FetchError(f"{url}: got {len(buf):,} of {end - start:,} bytes of range "
                         f"{start}-{end - 1} after {attempts} attempts{why}")
    return bytes(buf)


class RangeFile(io.RawIOBase):
    """A read-only, seekable file whose bytes come from HTTP ``Range`` requests.

    Bytes already fetched are kept (`prefetch()` fetches a whole span in one request,
    e.g. one zip member); a read outside them fetches `READ_AHEAD` bytes. Give it to
    `zipfile.ZipFile` to list an archive and read chosen members without downloading
    the rest.

    Parameters
    ----------
    http
        The client.
    url
        The file.
    size
        Its size in bytes (from the ``Content-Range`` of a first ranged response).
    validator
        ``ETag`` or ``Last-Modified``, sent as ``If-Range``.
    segments
        Bytes already known, as ``{offset: bytes}`` (e.g. the tail read to find the size).
    """

    def __init__(self, http: httpx.Client, url: str, size: int, validator: str | None = None,
                 segments: dict[int, bytes] | None = None) -> None:
        super().__init__()
        self.http, self.url, self.size, self.validator = http, url, size, validator
        self._segments: dict[int, bytes] = dict(segments or {})
        self._pos = 0
        #: Bytes and requests fetched through this object (for the report).
        self.bytes_fetched = 0
        self.requests = 0

    def readable(self) -> bool:  # noqa: D102
        return True

    def seekable(self) -> bool:  # noqa: D102
        return True

    def tell(self) -> int:  # noqa: D102
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:  # noqa: D102
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        pos = base + offset
        if pos < 0:
            raise OSError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def _find(self, lo: int, hi: int) -> bytes | None:
        for off, data in self._segments.items():
            if off <= lo and hi <= off + len(data):
                return data[lo - off: hi - off]
        return None

    def prefetch(self, start: int, end: int) -> None:
        """Fetch bytes ``[start, end)`` (clipped to the file) in one ranged request."""
        start, end = max(0, start), min(self.size, end)
        if end <= start or self._find(start, end) is not None:
            return
        self._segments[start] = get_range(self.http, self.url, start, end, self.validator)
        self.bytes_fetched += end - start
        self.requests += 1

    def read(self, size: int = -1) -> bytes:  # noqa: D102
        hi = self.size if size is None or size < 0 else min(self.size, self._pos + size)
        lo = self._pos
        if hi <= lo:
            return b""
        data = self._find(lo, hi)
        if data is None:
            self.prefetch(lo, max(hi, lo + READ_AHEAD))
            data = self._find(lo, hi)
        assert data is not None
        self._pos = hi
        return data

    def readinto(self, b) -> int:  # noqa: D102
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def forget(self) -> None:
        """Drop fetched bytes (after a member has been written) to bound memory."""
        self._segments.clear()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name in the same folder, then rename.

    The temporary file starts with a dot and ends in ``.part``, so no source pattern of
    the build (``*.csv``, ``*-street.csv``, ``*.zip``) matches it if a run is killed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def download(response: httpx.Response, http: httpx.Client, url: str, target: Path,
             progress: Callable[[int], None] | None = None) -> int:
    """Stream a whole file to ``target``, resuming an earlier partial download.

    The body of ``response`` (a ``200`` already opened, e.g. by a probe the server
    answered in full) is written to ``target.part``; if the connection stops early the
    partial file is kept and the error says to run again. When ``target.part`` already
    holds bytes from an earlier run, a ``Range`` request asks for the rest first (the
    open response is then not used); a server that answers with the whole file restarts
    it. ``target`` appears only once ``Content-Length`` bytes have arrived.

    Parameters
    ----------
    response
        An open streamed ``200`` response for ``url``.
    http
        The client (for the resume request).
    url
        The file.
    target
        Final path (its folder is created).
    progress
        Called with the number of bytes of each chunk written.

    Returns
    -------
    int
        The size of the complete file.

    Raises
    ------
    FetchError
        If the download stops early (the partial file is kept for the next run) or
        the server sends HTML.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    expected = response.headers.get("content-length")
    total = int(expected) if expected is not None else None

    def pump(r: httpx.Response, mode: str, offset: int) -> int:
        n = offset
        chunks = r.iter_bytes()
        try:
            first = next(chunks, b"")
            if offset == 0:
                check_response(r, url, first)  # an HTML page never reaches the disk
            with open(part, mode) as fh:
                for chunk in itertools.chain([first], chunks):
                    fh.write(chunk)
                    n += len(chunk)
                    if progress:
                        progress(len(chunk))
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
            raise FetchError(f"{describe(exc, url)}; {n:,} bytes kept in {part}: run the "
                             "same command again to resume") from exc
        return n

    if have and total is not None and have < total:
        validator = response.headers.get("etag") or response.headers.get("last-modified")
        headers = {"Range": f"bytes={have}-"} | ({"If-Range": validator} if validator else {})
        try:
            with http.stream("GET", url, headers=headers) as r:
                check_response(r, url)
                if r.status_code == 206 and parse_content_range(
                        r.headers.get("content-range"))[0] == have:
                    n = pump(r, "ab", have)
                else:
                    n = pump(r, "wb", 0)
        except httpx.HTTPError as exc:
            raise FetchError(describe(exc, url)) from exc
    else:
        try:
            n = pump(response, "wb", 0)
        except httpx.HTTPError as exc:
            raise FetchError(describe(exc, url)) from exc
    if total is not None and n != total:
        raise FetchError(f"{url}: got {n:,} of {total:,} bytes; kept in {part}: run the same "
                         "command again to resume")
    os.replace(part, target)
    return n
