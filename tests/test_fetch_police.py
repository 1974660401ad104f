"""`lvrn fetch police` against a loopback server serving archives in the real layout."""

from __future__ import annotations

import ast
import hashlib
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.fetch.http import FetchError, download
from lvrn_analysis.fetch.police import ARCHIVE_MONTHS, month_range, plan_archives
from test_fetch_server import archive, loopback_server, real_archive, street_bytes  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def _run(server, tmp_path: Path, start: str, end: str, *extra: str) -> int:
    return main(["fetch", "police", "--force", "lancashire", "--from", start, "--to", end,
                 "--archive-url", server.url + "/archive", "--dest", str(tmp_path / "police"),
                 "--cache", str(tmp_path / "cache"), *extra])


def _street_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.glob("*") if p.name != "fetch-log.json") \
        if d.is_dir() else []


def _log(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "police" / "fetch-log.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------- the archive plan


@pytest.mark.parametrize(("start", "end", "n"), [
    ("2020-01", "2020-01", 1), ("2017-11", "2020-10", 1), ("2017-10", "2020-10", 2),
    ("2013-01", "2022-10", 4), ("2010-11", "2022-10", 4), ("2010-10", "2022-10", 5)])
def test_fewest_archives_cover_the_range_exactly(start, end, n):
    plan = plan_archives(start, end)
    assert len(plan) == n == -(-len(month_range(start, end)) // ARCHIVE_MONTHS)
    covered = [m for _, months in plan for m in months]
    assert sorted(covered) == month_range(start, end)  # every month once, none outside
    for name, months in plan:
        assert months[-1] == name and len(months) <= ARCHIVE_MONTHS  # inside its archive
    assert plan[0][0] == end


def test_plan_of_ten_years_names_the_archives():
    assert [a for a, _ in plan_archives("2013-01", "2022-10")] == [
        "2022-10", "2019-10", "2016-10", "2013-10"]


@pytest.mark.parametrize("bad", [("2020-13", "2021-01"), ("2021-02", "2021-01"),
                                 ("2020/01", "2020-02")])
def test_bad_months_are_refused(bad):
    with pytest.raises(FetchError):
        plan_archives(*bad)


# -------------------------------------------------------------- ranged reads (the norm)


def test_ranged_fetch_writes_the_requested_months_and_nothing_else(server, tmp_path, capsys):
    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    assert _run(server, tmp_path, "2020-01", "2020-04") == 0
    out = capsys.readouterr().out
    # 2020-02 and 2020-04 are in the range and the archive; 2019-12 is in the archive but
    # before the range; 2020-01 and 2020-03 hold only another force; leicestershire is
    # another force; outcomes and stop-and-search are other kinds of file
    months = ("2020-02", "2020-04")
    assert _street_files(tmp_path / "police") == [f"{m}-lancashire-street.csv" for m in months]
    for m in months:
        assert (tmp_path / "police" / f"{m}-lancashire-street.csv").read_bytes() == lancs[m]
    log = _log(tmp_path)["files"]
    assert sorted(log) == [f"{m}-lancashire-street.csv" for m in months]
    for m in months:
        rec = log[f"{m}-lancashire-street.csv"]
        assert rec["sha256"] == hashlib.sha256(lancs[m]).hexdigest()
        assert rec["size"] == len(lancs[m])
        assert rec["url"] == server.url + "/archive/2020-04.zip"
        assert rec["member"] == f"{m}/{m}-lancashire-street.csv"
        assert rec["archive_size"] == len(data)
    assert "2020-01 (no lancashire file" in out and "2020-03 (no lancashire file" in out
    # every request asked for a range, and far less than the archive was sent
    assert all(r.range for r in server.requests) and all(r.status == 206
                                                         for r in server.requests)
    assert server.sent() < len(data) // 2
    assert not list((tmp_path / "cache").glob("*"))  # nothing cached: ranges were served


def test_rerun_downloads_no_member_and_keeps_the_log_identical(server, tmp_path, capsys):
    data, _ = real_archive()
    server.files["/archive/2020-04.zip"] = data
    assert _run(server, tmp_path, "2019-12", "2020-04") == 0
    first = (tmp_path / "police" / "fetch-log.json").read_bytes()
    sent_first = server.sent()
    server.requests.clear()
    assert _run(server, tmp_path, "2019-12", "2020-04") == 0
    assert "already there" in capsys.readouterr().out
    assert (tmp_path / "police" / "fetch-log.json").read_bytes() == first
    # only the end of the archive (its directory) was read again
    assert server.sent() < sent_first / 4


def test_truncated_ranged_reads_resume_where_they_stopped(server, tmp_path):
    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    server.truncate = 3  # the tail and the first two member reads stop half-way
    assert _run(server, tmp_path, "2019-12", "2020-04") == 0
    for m in ("2019-12", "2020-02", "2020-04"):
        assert (tmp_path / "police" / f"{m}-lancashire-street.csv").read_bytes() == lancs[m]
    starts = [int(r.range.split("=")[1].split("-")[0]) for r in server.requests
              if r.range and not r.range.startswith("bytes=-")]
    # a resumed request starts where the one before it stopped
    resumed = [r for prev, r in zip(server.requests, server.requests[1:], strict=False)
               if prev.status == 206 and r.range and prev.range
               and not prev.range.startswith("bytes=-") and not r.range.startswith("bytes=-")
               and int(r.range.split("=")[1].split("-")[0])
               == int(prev.range.split("=")[1].split("-")[0]) + prev.sent]
    assert resumed and len(starts) > 3


def test_corrupt_member_fails_its_crc_and_is_not_written(server, tmp_path, capsys):
    good = street_bytes("2020-02-lancashire-street")
    data = bytearray(archive({"2020-02/2020-02-lancashire-street.csv": good},
                             method=zipfile.ZIP_STORED))
    at = bytes(data).index(good[:200]) + 100
    data[at] ^= 0x01  # one flipped bit in the stored member
    server.files["/archive/2020-02.zip"] = bytes(data)
    assert _run(server, tmp_path, "2020-02", "2020-02") == 1
    err = capsys.readouterr().err
    assert "corrupt member" in err and "CRC" in err and "Traceback" not in err
    assert _street_files(tmp_path / "police") == []


# ------------------------------------------------- servers that refuse range requests


def test_server_refusing_ranges_gets_a_streamed_download_then_the_cache(server, tmp_path):
    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    server.ranges = False
    assert _run(server, tmp_path, "2020-02", "2020-04") == 0
    assert _street_files(tmp_path / "police") == ["2020-02-lancashire-street.csv",
                                                  "2020-04-lancashire-street.csv"]
    assert (tmp_path / "police" / "2020-04-lancashire-street.csv").read_bytes() == \
        lancs["2020-04"]
    assert (tmp_path / "cache" / "2020-04.zip").read_bytes() == data
    log = _log(tmp_path)["files"]
    assert log["2020-02-lancashire-street.csv"]["sha256"] == \
        hashlib.sha256(lancs["2020-02"]).hexdigest()
    # a second run (one month more) reads the cached archive: no request at all
    server.requests.clear()
    assert _run(server, tmp_path, "2019-12", "2020-04") == 0
    assert server.requests == []
    assert "2019-12-lancashire-street.csv" in _street_files(tmp_path / "police")


def test_truncated_streamed_download_fails_cleanly_and_resumes(server, tmp_path, capsys):
    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    server.ranges = False
    server.truncate = 1
    assert _run(server, tmp_path, "2020-04", "2020-04") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run the same command again to resume" in err
    assert "Traceback" not in err
    assert _street_files(tmp_path / "police") == []  # nothing where build reads
    part = tmp_path / "cache" / "2020-04.zip.part"
    assert 0 < part.stat().st_size < len(data)
    assert not (tmp_path / "cache" / "2020-04.zip").exists()
    assert _run(server, tmp_path, "2020-04", "2020-04") == 0
    assert (tmp_path / "police" / "2020-04-lancashire-street.csv").read_bytes() == \
        lancs["2020-04"]
    assert not part.exists()


def test_partial_download_resumes_with_a_range_request(server, tmp_path):
    body = street_bytes("2020-02-lancashire-street")
    server.files["/f.csv"] = body
    target = tmp_path / "f.csv"
    (tmp_path / "f.csv.part").write_bytes(body[:1000])
    with httpx.Client() as c, c.stream("GET", server.url + "/f.csv") as r:
        assert download(r, c, server.url + "/f.csv", target) == len(body)
    assert target.read_bytes() == body
    assert server.requests[-1].range == "bytes=1000-"
    assert server.requests[-1].sent == len(body) - 1000


# ------------------------------------------------------------------ failures: one line


def test_missing_month_archive_is_one_line_and_writes_nothing(server, tmp_path, capsys):
    data, _ = real_archive()
    server.files["/archive/2020-04.zip"] = data
    assert _run(server, tmp_path, "2020-01", "2020-05") == 1  # 2020-05.zip: 404
    err = capsys.readouterr().err
    assert err.strip() == (f"lvrn fetch police: {server.url}/archive/2020-05.zip: "
                           "not found (HTTP 404)")
    assert _street_files(tmp_path / "police") == []


def test_second_archive_missing_keeps_the_complete_files_of_the_first(server, tmp_path,
                                                                       capsys):
    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    assert _run(server, tmp_path, "2016-01", "2020-04") == 1  # 2017-04.zip is not served
    assert "2017-04.zip: not found (HTTP 404)" in capsys.readouterr().err
    names = _street_files(tmp_path / "police")
    assert names == [f"{m}-lancashire-street.csv" for m in ("2019-12", "2020-02", "2020-04")]
    assert sorted(_log(tmp_path)["files"]) == names  # what was written is logged


@pytest.mark.parametrize("ctype", ["text/html; charset=utf-8", "application/octet-stream"])
def test_html_page_with_status_200_is_refused(server, tmp_path, capsys, ctype):
    server.files["/archive/2020-04.zip"] = real_archive()[0]
    server.html = ctype
    server.ranges = False
    assert _run(server, tmp_path, "2020-04", "2020-04") == 1
    err = capsys.readouterr().err
    assert "web page (HTML)" in err and err.count("\n") == 1
    assert _street_files(tmp_path / "police") == []
    assert not list((tmp_path / "cache").glob("*")) if (tmp_path / "cache").exists() else True


def test_offline_is_one_line(tmp_path, capsys):
    rc = main(["fetch", "police", "--force", "lancashire", "--from", "2020-01", "--to",
               "2020-01", "--archive-url", "http://127.0.0.1:9/archive", "--dest",
               str(tmp_path / "police"), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot connect to 127.0.0.1" in err and "are you online" in err
    assert err.count("\n") == 1


def test_bad_slug_is_refused(tmp_path, capsys):
    assert main(["fetch", "police", "--force", "Lancashire Constabulary", "--from", "2020-01",
                 "--to", "2020-01", "--dest", str(tmp_path)]) == 1
    assert "not a data.police.uk slug" in capsys.readouterr().err


# ---------------------------------------------------------------------- architecture


def test_only_the_command_line_imports_the_fetch_layer():
    """`lvrn build`, `lvrn site` and every other layer stay offline."""
    pkg = ROOT / "src" / "lvrn_analysis"
    importers = []
    for p in sorted(pkg.rglob("*.py")):
        rel = p.relative_to(pkg).as_posix()
        if rel.startswith("fetch/") or rel == "cli.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.startswith("lvrn_analysis.fetch") or n == "httpx" for n in names):
                importers.append(rel)
    assert not importers, f"modules importing the fetch layer or httpx: {importers}"


# ------------------------------------------------------------ into the build's manifest


def test_build_copies_the_fetch_log_into_its_manifest(server, tmp_path):
    from lvrn_analysis.processed.build import build, read_manifest

    data, lancs = real_archive()
    server.files["/archive/2020-04.zip"] = data
    raw = tmp_path / "raw"
    assert main(["fetch", "police", "--force", "lancashire", "--from", "2020-02", "--to",
                 "2020-04", "--archive-url", server.url + "/archive", "--dest",
                 str(raw / "police"), "--cache", str(tmp_path / "cache")]) == 0
    out = tmp_path / "processed"
    build(load_area(), raw_dir=raw, out_dir=out, synthetic_dir=tmp_path / "syn",
          synthetic=False, progress=False)
    manifest = read_manifest(out)
    log = json.loads((raw / "police" / "fetch-log.json").read_text(encoding="utf-8"))
    assert manifest["fetched"] == {"police": log["files"]}
    fetched = manifest["fetched"]["police"]
    assert fetched["2020-04-lancashire-street.csv"]["sha256"] == \
        hashlib.sha256(lancs["2020-04"]).hexdigest()
    # the build read exactly the fetched files (and not the log)
    files = {Path(r["file"]).name for r in manifest["inputs"] if r["table"] == "police_street"}
    assert files == {"2020-02-lancashire-street.csv", "2020-04-lancashire-street.csv"}
