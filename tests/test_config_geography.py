"""Area configuration, reference geography, populations and lockdown periods.

Population totals are the published ONS mid-year estimates for the 14
pan-Lancashire authorities (reference README section 5).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lvrn_analysis._resources import area_file
from lvrn_analysis.config.areas import AreaConfig, ConfigError, load_area
from lvrn_analysis.config.geography import (
    assign_authority,
    imd2019,
    la_name_from_lsoa_name,
    local_authorities,
    populations,
)
from lvrn_analysis.config.periods import lockdown_fraction, lockdowns

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"

LANCS_14 = {
    "E06000008": ("Blackburn with Darwen", 149_696, 150_030, 155_762),
    "E06000009": ("Blackpool", 139_446, 138_381, 141_574),
    "E07000117": ("Burnley", 88_920, 89_344, 95_553),
    "E07000118": ("Chorley", 118_216, 118_870, 118_624),
    "E07000119": ("Fylde", 80_780, 81_211, 83_008),
    "E07000120": ("Hyndburn", 81_043, 81_133, 83_213),
    "E07000121": ("Lancaster", 146_038, 148_119, 144_446),
    "E07000122": ("Pendle", 92_112, 92_145, 96_110),
    "E07000123": ("Preston", 143_135, 144_147, 151_582),
    "E07000124": ("Ribble Valley", 60_888, 62_026, 63_107),
    "E07000125": ("Rossendale", 71_482, 71_432, 71_169),
    "E07000126": ("South Ribble", 110_788, 111_086, 112_166),
    "E07000127": ("West Lancashire", 114_306, 114_496, 119_367),
    "E07000128": ("Wyre", 112_091, 113_067, 114_809),
}


@pytest.fixture(scope="module")
def lancs() -> AreaConfig:
    return load_area("lancashire")


def _yaml(tmp_path: Path, data: dict, name: str = "area.yml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def _shipped(name: str = "lancashire") -> dict:
    return yaml.safe_load(area_file(name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ area configs


def test_lancashire_config(lancs):
    assert lancs.id == "lancashire"
    assert lancs.short_name == "LVRN"
    assert lancs.force == "Lancashire Constabulary"
    assert lancs.force_slug == "lancashire"
    assert set(lancs.authorities) == set(LANCS_14)
    assert len(lancs.authorities) == 14
    assert lancs.default_mid_year == 2020
    assert lancs.embedded_police == "police/lancashire_street_aggregate.csv.gz"
    assert (lancs.synthetic_start, lancs.synthetic_end) == ("2016-01", "2022-10")
    assert lancs.source == "areas/lancashire.yml"


def test_leicestershire_config():
    a = load_area("leicestershire")
    assert a.force == "Leicestershire Police" and a.force_slug == "leicestershire"
    assert len(a.authorities) == 9 and "E06000016" in a.authorities
    assert not set(a.authorities) & set(LANCS_14)


def test_config_from_a_yaml_path(tmp_path, lancs):
    p = _yaml(tmp_path, _shipped())
    a = load_area(p)
    assert a == lancs  # ``source`` is not compared
    assert a.source == str(p)
    assert load_area(str(p)).authorities == lancs.authorities


def test_optional_keys_take_defaults(tmp_path):
    data = {k: v for k, v in _shipped().items()
            if k in ("id", "name", "police", "authorities")}
    a = load_area(_yaml(tmp_path, data))
    assert a.short_name == "lancashire"
    assert a.default_mid_year == 2019
    assert a.embedded_police is None
    assert (a.synthetic_start, a.synthetic_end, a.synthetic_seed) == ("2016-01", "2022-10", 1)


def test_unknown_area_name():
    with pytest.raises(ConfigError) as err:
        load_area("cumbria")
    assert "'cumbria'" in str(err.value)
    assert "lancashire" in str(err.value)


def test_missing_yaml_file_named(tmp_path):
    p = tmp_path / "nowhere.yml"
    with pytest.raises(ConfigError, match="not found") as err:
        load_area(p)
    assert str(p) in str(err.value)


@pytest.mark.parametrize("key", ["id", "name", "police", "authorities"])
def test_missing_key_names_file_and_key(tmp_path, key):
    data = _shipped()
    del data[key]
    p = _yaml(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_area(p)
    assert str(p) in str(err.value)
    assert repr(key) in str(err.value)


@pytest.mark.parametrize("key", ["force", "file_slug"])
def test_missing_police_key(tmp_path, key):
    data = _shipped()
    del data["police"][key]
    p = _yaml(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_area(p)
    assert str(p) in str(err.value) and repr(key) in str(err.value)


def test_unknown_authority_code_named(tmp_path):
    data = _shipped()
    data["authorities"] = [*data["authorities"], "E09999999"]
    p = _yaml(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_area(p)
    assert str(p) in str(err.value)
    assert "E09999999" in str(err.value)


@pytest.mark.parametrize("text, words", [
    ("id: [unclosed\n", "not valid YAML"),
    ("- just\n- a list\n", "mapping"),
    ("id: x\nname: y\npolice: Lancashire\nauthorities: [E06000009]\n", "'police'"),
    ("id: x\nname: y\npolice: {force: F, file_slug: f}\nauthorities: E06000009\n",
     "'authorities'"),
], ids=["bad-yaml", "not-a-mapping", "police-not-mapping", "authorities-not-list"])
def test_malformed_configs(tmp_path, text, words):
    p = tmp_path / "bad.yml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_area(p)
    assert str(p) in str(err.value)
    assert words in str(err.value)


# ------------------------------------------------------------------ geography


def test_local_authorities_in_configured_order(lancs):
    las = local_authorities(lancs)
    assert las["la_code"].tolist() == list(lancs.authorities)
    assert dict(zip(las["la_code"], las["la_name"], strict=True)) == {
        k: v[0] for k, v in LANCS_14.items()}


@pytest.mark.parametrize("year, col, total", [(2019, 1, 1_508_941), (2020, 2, 1_515_487),
                                              (2022, 3, 1_550_490)])
def test_populations_match_published(lancs, year, col, total):
    pop = populations(lancs, year)
    assert len(pop) == 14
    assert int(pop["population"].sum()) == total
    assert dict(zip(pop["la_code"], pop["population"], strict=True)) == {
        k: v[col] for k, v in LANCS_14.items()}
    assert (pop["mid_year"] == year).all()


def test_populations_match_shared_reference(lancs):
    f = SHARED / "ons_mye_pan_lancashire_14LAs.csv"
    if not f.is_file():
        pytest.skip(f"{f} is absent")
    ref = pd.read_csv(f).set_index("area_code")
    for year in (2019, 2020, 2022):
        pop = populations(lancs, year).set_index("la_code")["population"]
        assert ref[f"mid{year}"].astype("int64").to_dict() == pop.to_dict(), year


def test_population_year_not_available(lancs):
    with pytest.raises(ValueError) as err:
        populations(lancs, 2021)
    msg = str(err.value)
    assert "2021" in msg
    assert "[2019, 2020, 2022]" in msg


def test_leicestershire_has_mid_2019_only():
    leics = load_area("leicestershire")
    assert sorted(populations(leics)["mid_year"].unique()) == [2019]
    with pytest.raises(ValueError, match=r"available mid-years: \[2019\]"):
        populations(leics, 2020)


def test_assign_authority(lancs):
    codes = pd.Series(["E01012673", "E01014468", "", None, "1.01E+04", " E01012663 "],
                      index=[10, 11, 12, 13, 14, 15])
    names = pd.Series(["Blackpool 010A", "Bath and North East Somerset 006D", "", None,
                       "Blackpool 010A", "Blackpool 001A"], index=codes.index)
    got = assign_authority(codes, names, lancs)
    assert got.index.tolist() == codes.index.tolist()
    assert got["geo_status"].tolist() == ["in_area", "outside_area", "no_lsoa", "no_lsoa",
                                          "bad_lsoa_code", "in_area"]
    assert got.loc[10, "la_code"] == "E06000009"
    assert got.loc[10, "la_name"] == "Blackpool"
    assert got.loc[11, "lsoa_la_name"] == "Bath and North East Somerset"
    assert got.loc[[11, 12, 13, 14], "la_code"].isna().all()
    assert got.loc[15, "la_code"] == "E06000009"


def test_la_name_from_lsoa_name():
    s = pd.Series(["Blackburn with Darwen 001A", "Ribble Valley 012C", "Blackpool",
                   "Preston 1A", None])
    got = la_name_from_lsoa_name(s)
    assert got.iloc[0] == "Blackburn with Darwen"
    assert got.iloc[1] == "Ribble Valley"
    assert got.iloc[2:].isna().all()


def test_imd2019_ranks(lancs):
    imd = imd2019(lancs).set_index("la_name")
    assert len(imd) == 14
    assert imd.loc["Blackpool", "imd_rank"] == 1
    assert imd.loc["Blackpool", "imd_score"] == pytest.approx(45.039, abs=1e-3)
    assert imd.loc["Ribble Valley", "imd_rank"] == 283


# ------------------------------------------------------------------ lockdowns


def test_three_national_lockdowns():
    ld = lockdowns()
    assert len(ld) == 3
    assert ld["start"].dt.strftime("%Y-%m-%d").tolist() == ["2020-03-23", "2020-11-05",
                                                            "2021-01-06"]
    assert (ld["end"] > ld["start"]).all()
    assert ld["source"].str.len().gt(10).all()


def test_lockdown_fraction():
    months = pd.to_datetime(["2020-02-01", "2020-03-01", "2020-04-01", "2020-11-01",
                             "2021-01-01"])
    f = lockdown_fraction(months)
    assert list(f.columns) == lockdowns()["period_id"].tolist()
    first, second, third = f.columns
    assert f.loc[0].sum() == 0
    assert f.loc[1, first] == pytest.approx(9 / 31)
    assert f.loc[2, first] == 1.0
    assert f.loc[2, [second, third]].sum() == 0
    assert f.loc[3, second] == pytest.approx(26 / 30)  # 5 to 30 November
    assert f.loc[4, third] == pytest.approx(26 / 31)  # 6 to 31 January
    assert ((f >= 0) & (f <= 1)).all().all()


def test_lockdown_fraction_accepts_a_series_in_any_order():
    s = pd.Series(pd.to_datetime(["2020-04-01", "2020-03-01"]))
    f = lockdown_fraction(s)
    assert f.iloc[:, 0].tolist() == pytest.approx([1.0, 9 / 31])


def test_area_config_is_frozen(lancs):
    with pytest.raises(dataclasses.FrozenInstanceError):
        lancs.force = "x"  # type: ignore[misc]
