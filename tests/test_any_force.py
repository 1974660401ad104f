"""Any force, end to end: `lvrn area init` → `lvrn build` on an area the package does not ship.

The geography layer falls back to the England table (codes, names, mid-2019 populations)
for authorities outside the 23 it ships, says so, and names what it cannot place (issue 16).
The street rows of the other force are real LSOAs (codes, names, centroids) taken from
``reference/geography/lsoa_police_centroids.csv``: Cumbria LSOAs that Lancashire
Constabulary recorded crimes in.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lvrn_analysis._resources import reference_file
from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import ConfigError, load_area
from lvrn_analysis.config.geography import (
    ENGLAND_SOURCE,
    POPULATIONS_ENV,
    assign_authority,
    fallback_authorities,
    geography_notes,
    imd2019,
    local_authorities,
    monthly_populations,
    populations,
)
from lvrn_analysis.sources import programmes as pg

ROOT = Path(__file__).resolve().parents[1]
TEST_POLICE = ROOT / "tests" / "data" / "police"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")
CUMBRIA = {"E07000026": ("Allerdale", 97_761), "E07000027": ("Barrow-in-Furness", 67_049),
           "E07000028": ("Carlisle", 108_678), "E07000029": ("Copeland", 68_183),
           "E07000030": ("Eden", 53_253), "E07000031": ("South Lakeland", 105_088)}


@pytest.fixture(autouse=True)
def _shipped_populations_only(monkeypatch):
    """No fetched estimates unless a test names a folder."""
    monkeypatch.setenv(POPULATIONS_ENV, "shipped")


def _cumbria_lsoas() -> pd.DataFrame:
    with reference_file("geography/lsoa_police_centroids.csv").open("r", encoding="utf-8") as f:
        c = pd.read_csv(f, dtype=str)
    names = {n for n, _ in CUMBRIA.values()}
    return c[c["lsoa_la_name"].isin(names)].reset_index(drop=True)


def _cumbria_month(folder: Path, month: str) -> Path:
    """One month of Cumbria street rows: every real Cumbria LSOA once, plus a row with no
    location."""
    lines = [HEADER]
    for i, r in enumerate(_cumbria_lsoas().itertuples()):
        lines.append(f"{month}-{i:04d},{month},Cumbria Constabulary,Cumbria Constabulary,"
                     f"{r.lon},{r.lat},On or near Main Street,{r.lsoa_code},{r.lsoa_name},"
                     "Violence and sexual offences,Under investigation,")
    lines.append(f"{month}-nl,{month},Cumbria Constabulary,Cumbria Constabulary,,,No Location,"
                 ",,Burglary,Under investigation,")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month}-cumbria-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cumbria(tmp_path_factory) -> tuple[Path, Path]:
    """Two months of Cumbria street files and the area file `lvrn area init` writes."""
    d = tmp_path_factory.mktemp("cumbria")
    files = [_cumbria_month(d / "raw" / "police", m) for m in ("2020-01", "2020-02")]
    yml = d / "cumbria.yml"
    assert main(["area", "init", "--force", "cumbria", *map(str, files), "--id", "cumbria",
                 "--name", "Cumbria VRU", "--out", str(yml)]) == 0
    return d, yml


# ------------------------------------------------------------------ geography fallback


def test_area_init_configures_the_six_cumbrian_districts(cumbria):
    _, yml = cumbria
    area = load_area(yml)
    assert area.force == "Cumbria Constabulary" and area.programmes is None
    assert sorted(area.authorities) == sorted(CUMBRIA)
    assert fallback_authorities(area) == area.authorities  # none of them is shipped
    las = local_authorities(area)
    assert las["la_code"].tolist() == list(area.authorities)  # configured order
    assert dict(zip(las["la_code"], las["la_name"], strict=True)) == {
        k: v[0] for k, v in CUMBRIA.items()}
    assert (las["la_type"] == "Non-metropolitan district").all()
    # a shire district's county and every region are not in the England table: blank
    assert las["upper_tier_code"].isna().all() and las["region_code"].isna().all()
    # imd2019 names them too
    imd = imd2019(area)
    assert sorted(imd["la_code"]) == sorted(CUMBRIA) and imd["la_name"].notna().all()


def test_populations_are_the_england_tables_mid_2019_and_say_so(cumbria):
    area = load_area(cumbria[1])
    pop = populations(area)
    assert (pop["mid_year"] == 2019).all() and (pop["source"] == ENGLAND_SOURCE).all()
    assert dict(zip(pop["la_code"], pop["population"], strict=True)) == {
        k: v[1] for k, v in CUMBRIA.items()}
    assert "mid-2019 only" in ENGLAND_SOURCE
    assert int(populations(area, 2019)["population"].sum()) == 500_012
    with pytest.raises(ValueError, match=r"available mid-years: \[2019\]"):
        populations(area, 2020)
    m = monthly_populations(area, ["2019-01-01", "2019-06-01", "2023-03-01"])
    assert set(m["basis"]) == {"carried back", "carried forward"}  # one anchor only
    assert (m["population"] == m["la_code"].map({k: v[1] for k, v in CUMBRIA.items()})).all()


def test_unshipped_unitary_and_metropolitan_authorities():
    area = load_area("lancashire")
    other = type(area)(**{**area.__dict__, "id": "x",
                          "authorities": ("E06000001", "E08000001", "E06000009")})
    las = local_authorities(other).set_index("la_code")
    # unitary and metropolitan authorities are their own upper tier
    assert las.loc["E06000001", "upper_tier_code"] == "E06000001"
    assert las.loc["E08000001", "la_type"] == "Metropolitan district"
    assert las.loc["E08000001", "la_name"] == "Bolton"
    assert las.loc["E06000009", "region_name"] == "North West"  # shipped row untouched
    notes = " ".join(geography_notes(other))
    # Blackpool has shipped estimates to mid-2022: the notes say the vintages are mixed
    assert "2 authorities are not in the shipped geography" in notes
    assert "Hartlepool (E06000001), Bolton (E08000001)" in notes
    assert "other 1 authority has estimates to mid-2022" in notes
    assert "mix population vintages" in notes


def test_fetched_estimates_take_precedence_over_the_england_table(cumbria, tmp_path,
                                                                 monkeypatch):
    area = load_area(cumbria[1])
    d = tmp_path / "populations"
    d.mkdir()
    # the real mid-2019 Carlisle estimate plus a mid-2023 value invented for this test
    (d / "nomis_NM_2002_1_x.csv").write_text(
        "DATE_NAME,GEOGRAPHY_NAME,GEOGRAPHY_CODE,OBS_VALUE\r\n"
        "2019,Carlisle,E07000028,108678\r\n2023,Carlisle,E07000028,110000\r\n",
        encoding="utf-8")
    monkeypatch.setenv(POPULATIONS_ENV, str(d))
    pop = populations(area)
    carlisle = pop[pop["la_code"] == "E07000028"]
    assert carlisle["mid_year"].tolist() == [2019, 2023]
    assert carlisle["source"].str.contains("fetched").all()
    assert (pop.loc[pop["la_code"] != "E07000028", "source"] == ENGLAND_SOURCE).all()
    assert "other 1 authority has estimates to mid-2023" in " ".join(geography_notes(area))


def test_lsoa_names_place_the_rows_in_the_fallback_authorities(cumbria):
    area = load_area(cumbria[1])
    c = _cumbria_lsoas()
    got = assign_authority(c["lsoa_code"], c["lsoa_name"], area)
    assert (got["geo_status"] == "in_area").all()
    assert (got["la_name"] == c["lsoa_la_name"]).all()
    bolton = assign_authority(pd.Series(["E01004800"]), pd.Series(["Bolton 010B"]), area)
    assert bolton["geo_status"].tolist() == ["outside_area"]


def test_an_authority_in_no_table_is_refused(tmp_path):
    p = tmp_path / "a.yml"
    p.write_text("id: a\nname: A\npolice: {force: F, file_slug: f}\n"
                 "authorities: [E07000026, E07999999]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="E07999999.*england_ltla_mid2019"):
        load_area(p)


def test_authorities_created_in_2019_are_named_as_unplaceable():
    area = load_area("leicestershire")
    bcp = type(area)(**{**area.__dict__, "id": "bcp", "authorities": ("E06000058",)})
    notes = geography_notes(bcp)
    created = [n for n in notes if "created in 2019" in n]
    assert len(created) == 1
    assert "Bournemouth, Christchurch and Poole (E06000058)" in created[0]
    assert "Bournemouth, Christchurch, Poole" in created[0]
    assert "LSOA (2011) to local authority (2019) lookup" in created[0]
    # the rule indeed cannot place them (real LSOAs of the centroid table)
    got = assign_authority(pd.Series(["E01015290", "E01032660"]),
                           pd.Series(["Bournemouth 021D", "Poole 015G"]), bcp)
    assert got["geo_status"].tolist() == ["outside_area", "outside_area"]
    assert got["lsoa_la_name"].tolist() == ["Bournemouth", "Poole"]


def test_shipped_areas_have_no_geography_notes():
    for name in ("lancashire", "leicestershire"):
        area = load_area(name)
        assert geography_notes(area) == []
        assert fallback_authorities(area) == ()
        assert (~populations(area)["source"].eq(ENGLAND_SOURCE)).all()


# ------------------------------------------------------------------ builds


def test_cumbria_builds_on_its_own_street_files(cumbria, capsys):
    d, yml = cumbria
    out = d / "out"
    rc = main(["build", "--area", str(yml), "--raw", str(d / "raw"), "--out", str(out),
               "--synthetic-dir", str(d / "syn"), "--no-synthetic", "--quiet"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "geography: 6 authorities are not in the shipped geography" in text
    assert "mid-2019 estimates only" in text
    assert "No shipped LSOA boundaries" in text
    police = pd.read_parquet(out / "police_street.parquet")
    n_lsoas = len(_cumbria_lsoas())
    placed = police[police["geo_status"] == "in_area"]
    assert int(placed["count"].sum()) == 2 * n_lsoas
    assert set(placed["la_code"]) == set(CUMBRIA)
    assert int(police.loc[police["geo_status"] == "no_lsoa", "count"].sum()) == 2
    # no LVRN programme figures for another VRU: an empty table
    assert pd.read_parquet(out / "programme_monitoring.parquet").empty


def test_cumbria_synthetic_twin_names_the_missing_lsoa_file(cumbria, capsys):
    d, yml = cumbria
    raw = d / "raw5"
    for m in ("2019-09", "2019-10", "2019-11", "2019-12", "2020-01"):
        _cumbria_month(raw / "police", m)
    rc = main(["build", "--area", str(yml), "--raw", str(raw), "--out", str(d / "out5"),
               "--synthetic-dir", str(d / "syn5"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "lsoa_police_centroids.csv" in err and "Cumbria Constabulary" in err
    assert "--no-synthetic" in err


def test_lancs2_from_area_init_builds_like_the_shipped_area(tmp_path, capsys):
    files = sorted(TEST_POLICE.glob("*-lancashire-street.csv.gz"))
    assert len(files) >= 2
    raw = tmp_path / "raw" / "police"
    raw.mkdir(parents=True)
    for f in files:
        (raw / f.name).write_bytes(f.read_bytes())
    yml = tmp_path / "lancs2.yml"
    assert main(["area", "init", "--force", "lancashire", *map(str, files), "--id", "lancs2",
                 "--out", str(yml)]) == 0
    lancs2 = load_area(yml)
    assert sorted(lancs2.authorities) == sorted(load_area("lancashire").authorities)
    assert yaml.safe_load(yml.read_text(encoding="utf-8"))["id"] == "lancs2"
    outs = {}
    for name, area in (("lancs2", str(yml)), ("lancashire", "lancashire")):
        outs[name] = tmp_path / f"out-{name}"
        assert main(["build", "--area", area, "--raw", str(tmp_path / "raw"), "--out",
                     str(outs[name]), "--synthetic-dir", str(tmp_path / f"syn-{name}"),
                     "--no-synthetic", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "geography:" not in text  # every authority is shipped: nothing to say
    a = pd.read_parquet(outs["lancs2"] / "police_street.parquet")
    b = pd.read_parquet(outs["lancashire"] / "police_street.parquet")
    pd.testing.assert_frame_equal(a, b)
    # programme figures follow the area file's `programmes` key
    assert pd.read_parquet(outs["lancs2"] / "programme_monitoring.parquet").empty
    assert len(pd.read_parquet(outs["lancashire"] / "programme_monitoring.parquet")) == 68


# ------------------------------------------------------------------ programmes, site errors


def test_programme_table_follows_the_area_file(tmp_path):
    assert [p.name for p in pg.default_inputs(load_area("lancashire"))] == [
        "programme_monitoring.csv"]
    none = pg.default_inputs(load_area("leicestershire"))
    assert [p.name for p in none] == ["no_programmes.csv"]
    empty = pg.load_programmes(none[0], load_area("leicestershire"))[0]
    assert empty.kept.empty and empty.rejected.empty
    own = tmp_path / "own.csv"
    own.write_text(",".join(pg.HEADER) + "\n", encoding="utf-8")
    data = {"id": "x", "name": "X", "authorities": ["E06000016"], "programmes": "own.csv",
            "police": {"force": "Leicestershire Police", "file_slug": "leicestershire"}}
    p = tmp_path / "area.yml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert pg.default_inputs(load_area(p)) == [own]
    data["programmes"] = "nowhere.csv"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="programmes file 'nowhere.csv'"):
        pg.default_inputs(load_area(p))


def test_site_errors_are_one_line(monkeypatch, capsys):
    from lvrn_analysis.site import render

    def fail(*args, **kwargs):
        raise render.SiteError("notebooks/01-problem-profile.ipynb: a cell failed:\n"
                               "Traceback (most recent call last):\n  File x\n"
                               "ValueError: no police table\n")

    monkeypatch.setattr(render, "render_site", fail)
    assert main(["site"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err == ("lvrn site: notebooks/01-problem-profile.ipynb: a cell failed: "
                   "ValueError: no police table")
