"""`lvrn fetch fingertips` and `lvrn fetch populations`, and fetched populations in geography.

The loopback server serves a real Fingertips export (tests/data/fingertips) and a Nomis
NM_2002_1 CSV made from the shipped ONS estimates (reference/geography/populations.csv).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import (
    POPULATIONS_ENV,
    fetched_populations,
    monthly_populations,
    populations,
    read_nomis_populations,
)
from lvrn_analysis.fetch.fingertips import indicator_url
from lvrn_analysis.fetch.populations import nomis_url
from lvrn_analysis.sources.fingertips import load_fingertips
from test_fetch_server import loopback_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
FT = (ROOT / "tests" / "data" / "fingertips" / "fingertips_93356_campylobacter_CountyUA.csv"
      ).read_bytes()
HEADER_ONLY = FT.split(b"\n", 1)[0] + b"\n"


def _shipped() -> pd.DataFrame:
    with reference_file("geography/populations.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"la_code": str})


def nomis_csv(rows: pd.DataFrame) -> bytes:
    """The Nomis API's CSV layout (select=date_name,geography_name,geography_code,obs_value)."""
    out = pd.DataFrame({"DATE_NAME": rows["mid_year"].astype(str),
                        "GEOGRAPHY_NAME": rows["la_code"],  # names are not read
                        "GEOGRAPHY_CODE": rows["la_code"],
                        "OBS_VALUE": rows["population"].astype(str)})
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


@pytest.fixture(autouse=True)
def _no_fetched_populations(monkeypatch, tmp_path):
    """Each test starts in an empty folder with no fetched populations anywhere."""
    monkeypatch.delenv(POPULATIONS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


# ------------------------------------------------------------------------ Fingertips


def test_fingertips_writes_one_real_export_per_indicator_and_area_type(server, tmp_path,
                                                                       capsys):
    api = server.url + "/api"
    server.files[indicator_url("/api", 93356, 502, 15)] = FT
    server.files[indicator_url("/api", 93356, 501, 15)] = HEADER_ONLY  # no district rows
    dest = tmp_path / "raw" / "fingertips"
    assert main(["fetch", "fingertips", "--indicators", "93356", "--api-url", api,
                 "--dest", str(dest)]) == 0
    assert "1 indicator x area type with no rows" in capsys.readouterr().out
    assert sorted(p.name for p in dest.iterdir()) == ["fetch-log.json",
                                                      "fingertips_93356_at502.csv"]
    assert (dest / "fingertips_93356_at502.csv").read_bytes() == FT
    log = json.loads((dest / "fetch-log.json").read_text())["files"]
    assert log["fingertips_93356_at502.csv"] == {
        "url": api + "/all_data/csv/by_indicator_id?indicator_ids=93356&child_area_type_id=502"
               "&parent_area_type_id=15",
        "size": len(FT), "sha256": hashlib.sha256(FT).hexdigest()}
    # the file is what the Fingertips reader takes
    res = load_fingertips(dest / "fingertips_93356_at502.csv", load_area())[0]
    assert res.rows_in == res.rows_kept + res.rows_rejected and res.rows_kept > 0


def test_fingertips_default_is_the_curated_list(server, tmp_path):
    from lvrn_analysis.sources.fingertips import curated_indicators

    server.files["/api/all_data/csv/by_indicator_id"] = FT  # any query
    dest = tmp_path / "ft"
    assert main(["fetch", "fingertips", "--area-type", "502", "--api-url",
                 server.url + "/api", "--dest", str(dest)]) == 0
    asked = sorted(int(r.path.split("indicator_ids=")[1].split("&")[0])
                   for r in server.requests)
    assert asked == sorted(curated_indicators()["indicator_id"].tolist())


@pytest.mark.parametrize(("setup", "message"), [
    ("404", "not found (HTTP 404)"),
    ("html", "web page (HTML)"),
    ("truncated", "connection closed before the download finished"),
    ("not_fingertips", "not a Fingertips CSV export"),
])
def test_fingertips_failures_are_one_line_and_write_nothing(server, tmp_path, capsys,
                                                            setup, message):
    if setup == "html":
        server.html = "text/html"
    elif setup == "truncated":
        server.files["/api/all_data/csv/by_indicator_id"] = FT
        server.truncate = 10
    elif setup == "not_fingertips":
        server.files["/api/all_data/csv/by_indicator_id"] = b"a,b\n1,2\n"
    dest = tmp_path / "ft"
    assert main(["fetch", "fingertips", "--indicators", "93356", "--area-type", "502",
                 "--api-url", server.url + "/api", "--dest", str(dest)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not dest.exists() or not any(dest.iterdir())


def test_fingertips_bad_ids_are_refused(capsys, tmp_path):
    assert main(["fetch", "fingertips", "--indicators", "93356,abc", "--dest",
                 str(tmp_path)]) == 1
    assert "indicator id 'abc'" in capsys.readouterr().err


# ----------------------------------------------------------------------- populations


def test_populations_fetch_writes_the_nomis_file_and_logs_it(server, tmp_path, capsys):
    area = load_area("lancashire")
    rows = _shipped()
    rows = rows[rows["la_code"].isin(area.authorities)]
    body = nomis_csv(rows)
    server.files["/api/v01/dataset/NM_2002_1.data.csv"] = body
    dest = tmp_path / "raw" / "populations"
    assert main(["fetch", "populations", "--area", "lancashire", "--years", "4",
                 "--api-url", server.url + "/api/v01", "--dest", str(dest)]) == 0
    assert "42 estimates, mid-2019 to mid-2022, 14 authorities" in capsys.readouterr().out
    path = dest / "nomis_NM_2002_1_lancashire.csv"
    assert path.read_bytes() == body
    asked = server.requests[0].path
    assert asked == nomis_url("/api/v01", list(area.authorities), 4)
    assert "date=latestMINUS3-latest" in asked and "c_age=200" in asked
    log = json.loads((dest / "fetch-log.json").read_text())["files"]
    assert log[path.name]["sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize(("body", "message"), [
    (b"<html><body>Sorry</body></html>", "web page (HTML)"),
    (b"DATE_NAME,GEOGRAPHY_CODE\n2020,E06000008\n", "no OBS_VALUE column"),
    (b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\n2020,E99000001,100\n", "no estimates for any"),
])
def test_populations_failures_write_nothing(server, tmp_path, capsys, body, message):
    server.files["/api/v01/dataset/NM_2002_1.data.csv"] = body
    dest = tmp_path / "pop"
    assert main(["fetch", "populations", "--api-url", server.url + "/api/v01", "--dest",
                 str(dest)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(dest.glob("*.csv")) if dest.exists() else True


# --------------------------------------------------- fetched populations in geography


def _project_with(tmp_path: Path, body: bytes, name: str = "nomis_NM_2002_1_x.csv") -> Path:
    d = tmp_path / "data" / "raw" / "populations"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(body)
    return d


def test_without_fetched_files_populations_are_the_shipped_table():
    area = load_area("lancashire")
    assert fetched_populations() is None
    got = populations(area)
    ship = _shipped()
    ship = ship[ship["la_code"].isin(area.authorities)].sort_values(["la_code", "mid_year"])
    assert got["population"].tolist() == ship["population"].tolist()
    assert got["source"].str.contains("traffordDataLab").all()


def test_fetched_estimates_replace_the_shipped_ones_and_extend_the_years(tmp_path,
                                                                         monkeypatch):
    area = load_area("lancashire")
    ship = _shipped()
    blackpool = ship[ship["la_code"] == "E06000009"]
    # the real Blackpool estimates plus a mid-2023 value invented for this test
    fetched = pd.concat([blackpool, pd.DataFrame({"la_code": ["E06000009"],
                                                  "mid_year": [2023],
                                                  "population": [142000]})])
    sub = tmp_path / "notebooks"
    sub.mkdir()
    _project_with(tmp_path, nomis_csv(fetched))
    monkeypatch.chdir(sub)  # found from a sub-folder, as the notebooks run
    got = populations(area)
    bp = got[got["la_code"] == "E06000009"]
    assert bp["mid_year"].tolist() == [2019, 2020, 2022, 2023]
    assert bp["source"].str.contains("fetched").all()
    others = got[got["la_code"] != "E06000009"]
    assert others["source"].str.contains("traffordDataLab").all()  # not covered: shipped
    with pytest.raises(ValueError, match="no mid-2023 population for E06000008"):
        populations(area, 2023)  # only Blackpool has one
    m = monthly_populations(area, ["2023-06-01", "2024-01-01"])
    bp_m = m[m["la_code"] == "E06000009"].set_index("date")
    # mid-2023 is now an anchor: June 2023 is interpolated and close to it
    assert bp_m.loc["2023-06-01", "basis"] == "interpolated"
    assert abs(bp_m.loc["2023-06-01", "population"] - 142000) < 500
    # Burnley has no fetched estimate: its last shipped estimate (2022) is carried forward
    bu = m[m["la_code"] == "E07000117"].set_index("date")
    assert bu.loc["2023-06-01", "basis"] == "carried forward"
    # the environment variable switches fetched files off
    monkeypatch.setenv(POPULATIONS_ENV, "shipped")
    assert populations(area)["mid_year"].max() == 2022


def test_environment_variable_names_the_folder(tmp_path, monkeypatch):
    ship = _shipped()
    d = tmp_path / "elsewhere"
    d.mkdir()
    (d / "nomis_NM_2002_1_a.csv").write_bytes(nomis_csv(ship[ship["la_code"] == "E06000008"]))
    monkeypatch.setenv(POPULATIONS_ENV, str(d))
    got = fetched_populations()
    assert got is not None and set(got["la_code"]) == {"E06000008"}


def test_bad_fetched_file_names_file_row_and_column(tmp_path):
    body = b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\r\n2020,E06000008,150030\r\n2021,E06000008,n/a\r\n"
    _project_with(tmp_path, body, "nomis_NM_2002_1_bad.csv")
    with pytest.raises(ValueError, match=r"nomis_NM_2002_1_bad.csv: row 2, column 'OBS_VALUE'"):
        populations(load_area())


def test_files_that_disagree_are_refused(tmp_path):
    _project_with(tmp_path, b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\n2020,E06000008,150030\n",
                  "nomis_a.csv")
    _project_with(tmp_path, b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\n2020,E06000008,150031\n",
                  "nomis_b.csv")
    with pytest.raises(ValueError, match="disagree on the mid-2020 estimate for E06000008"):
        fetched_populations()


def test_read_nomis_refuses_duplicates_and_bad_codes():
    with pytest.raises(ValueError, match="second estimate for E06000008 mid-2020"):
        read_nomis_populations(b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\n2020,E06000008,1\n"
                               b"2020,E06000008,2\n", label="x.csv")
    with pytest.raises(ValueError, match="row 1, column 'GEOGRAPHY_CODE'"):
        read_nomis_populations(b"DATE_NAME,GEOGRAPHY_CODE,OBS_VALUE\n2020,Blackpool,1\n",
                               label="x.csv")
