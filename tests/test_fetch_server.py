"""A loopback HTTP server for the `lvrn fetch` tests (127.0.0.1 only, no network).

`Loopback` serves a dict of ``path -> bytes`` from a thread and can honour or refuse
``Range`` requests, stop a response half-way (truncated download), answer every path
with an HTML page and status 200, or 404 a path. It records every request. The tests
of this module check the server itself, so the fetch tests rest on a server that
behaves as stated.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICE = ROOT / "tests" / "data" / "police"

HTML = (b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head>"
        b"<body><h1>Sorry, the archive is being rebuilt</h1></body></html>\n")


@dataclass
class Request:
    path: str
    range: str | None
    status: int
    sent: int


@dataclass
class Loopback:
    """Behaviour of the server (change it between runs of a test)."""

    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    #: Number of responses still to stop half-way (each counts down).
    truncate: int = 0
    #: Answer everything with an HTML page and status 200; its content type.
    html: str | None = None
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def sent(self) -> int:
        return sum(r.sent for r in self.requests)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def _handler(state: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = body
            if state.truncate > 0 and status in (200, 206) and len(body) > 1:
                state.truncate -= 1
                sent = body[: len(body) // 2]
                self.close_connection = True
            self.wfile.write(sent)
            self.wfile.flush()
            state.requests.append(Request(self.path, self.headers.get("Range"), status,
                                          len(sent)))

        def do_GET(self) -> None:  # noqa: N802
            if state.html is not None:
                self._send(200, HTML, {"Content-Type": state.html})
                return
            body = state.files.get(self.path, state.files.get(self.path.split("?")[0]))
            if body is None:
                self._send(404, b"<html><body>Not found</body></html>",
                           {"Content-Type": "text/html"})
                return
            etag = f'"{len(body):x}"'
            rng = self.headers.get("Range")
            m = _RANGE.match(rng or "")
            if state.ranges and m and (m.group(1) or m.group(2)):
                if m.group(1):
                    lo = int(m.group(1))
                    hi = int(m.group(2)) if m.group(2) else len(body) - 1
                else:
                    lo, hi = max(0, len(body) - int(m.group(2))), len(body) - 1
                hi = min(hi, len(body) - 1)
                if lo >= len(body):
                    self._send(416, b"", {"Content-Range": f"bytes */{len(body)}"})
                    return
                self._send(206, body[lo: hi + 1], {
                    "Content-Type": "application/zip", "ETag": etag, "Accept-Ranges": "bytes",
                    "Content-Range": f"bytes {lo}-{hi}/{len(body)}"})
                return
            self._send(200, body, {"Content-Type": "application/octet-stream", "ETag": etag})

    return Handler


@pytest.fixture(name="server")
def loopback_server():
    state = Loopback()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def street_bytes(name: str) -> bytes:
    """The original bytes of a real data.police.uk file shipped with the tests."""
    return gzip.decompress((POLICE / f"{name}.csv.gz").read_bytes())


def archive(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A monthly archive in the real layout (``YYYY-MM/YYYY-MM-<force>-<kind>.csv``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(2020, 5, 1, 0, 0, 0))
            info.compress_type = method
            zf.writestr(info, members[name])
    return buf.getvalue()


@functools.cache
def real_archive() -> tuple[bytes, dict[str, bytes]]:
    """The 2020-04 archive: real Lancashire and Leicestershire months and other files.

    Returns the archive and the original bytes of the Lancashire street files in it.
    """
    lancs = {m: street_bytes(f"{m}-lancashire-street") for m in ("2019-12", "2020-02",
                                                                 "2020-04")}
    members = {f"{m}/{m}-lancashire-street.csv": b for m, b in lancs.items()}
    members["2020-02/2020-02-leicestershire-street.csv"] = street_bytes(
        "2020-02-leicestershire-street")
    # the other files of an archive: outcomes and stop-and-search (header lines only)
    members["2020-02/2020-02-lancashire-outcomes.csv"] = (
        b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        b"LSOA name,Outcome type\n")
    members["2020-02/2020-02-lancashire-stop-and-search.csv"] = b"Type,Date\n"
    # another force's months (real rows, another slug) make the archive large
    for m in ("2020-01", "2020-03"):
        members[f"{m}/{m}-metropolitan-street.csv"] = street_bytes(
            "2019-12-lancashire-street") + street_bytes("2020-04-lancashire-street")
    return archive(members), lancs


# ----------------------------------------------------------------- the server itself


def test_server_honours_or_refuses_ranges(server):
    server.files["/a.bin"] = bytes(range(256)) * 4
    with httpx.Client() as c:
        r = c.get(server.url + "/a.bin", headers={"Range": "bytes=10-19"})
        assert r.status_code == 206 and r.content == bytes(range(10, 20))
        assert r.headers["content-range"] == "bytes 10-19/1024"
        r = c.get(server.url + "/a.bin", headers={"Range": "bytes=-4"})
        assert r.content == bytes(range(252, 256))
        server.ranges = False
        r = c.get(server.url + "/a.bin", headers={"Range": "bytes=10-19"})
        assert r.status_code == 200 and len(r.content) == 1024
        assert c.get(server.url + "/missing").status_code == 404


def test_server_truncates_and_serves_html(server):
    server.files["/a.bin"] = b"x" * 1000
    server.truncate = 1
    with httpx.Client() as c, pytest.raises(httpx.RemoteProtocolError):
        c.get(server.url + "/a.bin")
    server.html = "text/html"
    with httpx.Client() as c:
        r = c.get(server.url + "/a.bin")
    assert r.status_code == 200 and r.content.startswith(b"<!DOCTYPE html>")


def test_real_archive_layout():
    data, lancs = real_archive()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert "2020-02/2020-02-lancashire-street.csv" in names
        assert zf.read("2019-12/2019-12-lancashire-street.csv") == lancs["2019-12"]
    assert lancs["2019-12"].startswith(b"Crime ID,Month,Reported by,Falls within")
