"""`lvrn area init`: an area file from a force's own street files (issue 16, part 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources.area_init import area_yaml, england_authorities, infer_area
from lvrn_analysis.sources.validation import SourceError

ROOT = Path(__file__).resolve().parents[1]
SHARED_POLICE = ROOT.parent / "shared" / "reference" / "police"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


def _street(path: Path, rows: list[tuple[str, str]], force: str = "Lancashire Constabulary"
            ) -> Path:
    lines = [HEADER]
    for i, (code, name) in enumerate(rows):
        lines.append(f"id{i},2020-01,{force},{force},-3.0,53.8,On or near X,{code},{name},"
                     "Violence and sexual offences,Under investigation,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_england_table_is_complete_and_consistent():
    eng = england_authorities()
    assert len(eng) == 315 and eng["la_code"].is_unique and eng["la_name"].is_unique
    assert int(eng["population"].sum()) == 56_286_961  # ONS mid-2019, England
    shipped = pd.read_csv(ROOT / "src/lvrn_analysis/reference/geography/local_authorities.csv",
                          dtype=str)
    both = shipped.merge(eng, on="la_code", how="left")
    assert (both["la_name_x"] == both["la_name_y"]).all()


def test_small_share_and_unknown_names_are_left_out(tmp_path):
    rows = ([("E01012680", "Blackpool 001A")] * 300 + [("E01025300", "Preston 001A")] * 100
            + [("E01004800", "Bolton 010B")] * 1 + [("", "")] * 5)
    f = _street(tmp_path / "2020-01-lancashire-street.csv", rows)
    inf = infer_area([f], "lancashire")
    assert inf.force == "Lancashire Constabulary"
    assert list(inf.authorities["la_code"]) == ["E06000009", "E07000123"]
    assert inf.rows == 406 and inf.located == 401
    assert list(inf.excluded["lsoa_la_name"]) == ["Bolton"]
    text = area_yaml(inf, area_id="my-vru", name="My VRU")
    raw = yaml.safe_load(text)
    assert raw["authorities"] == ["E06000009", "E07000123"]
    assert raw["police"] == {"force": "Lancashire Constabulary", "file_slug": "lancashire"}
    assert "#   Bolton: 1 rows" in text
    out = tmp_path / "my-vru.yml"
    out.write_text(text, encoding="utf-8")
    area = load_area(out)
    assert area.id == "my-vru" and area.vru_name == "My VRU"


def test_other_force_file_and_bad_file_are_refused(tmp_path):
    f = _street(tmp_path / "2020-01-cumbria-street.csv", [("E01012680", "Blackpool 001A")])
    with pytest.raises(SourceError, match="not a street file of force 'lancashire'"):
        infer_area([f], "lancashire")
    bad = tmp_path / "2020-01-lancashire-street.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="Falls within"):
        infer_area([bad], "lancashire")


def test_cli_writes_a_loadable_file(tmp_path, capsys):
    f = _street(tmp_path / "2020-01-leicestershire-street.csv",
                [("E01025600", "Leicester 001A")] * 50 + [("E01025700", "Rutland 001A")] * 10,
                force="Leicestershire Police")
    out = tmp_path / "llr.yml"
    assert main(["area", "init", "--force", "leicestershire", str(f), "--out", str(out)]) == 0
    assert load_area(out).authorities == ("E06000016", "E06000017")
    assert main(["area", "init", "--force", "leicestershire", str(f), "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err


@pytest.mark.parametrize("slug", ["lancashire", "leicestershire"])
def test_real_months_reproduce_the_shipped_authorities(slug):
    files = sorted(SHARED_POLICE.glob(f"2020-0[1-3]-{slug}-street.csv*")) \
        if SHARED_POLICE.is_dir() else []
    if not files:
        pytest.skip(f"{SHARED_POLICE} holds no real {slug} months")
    inf = infer_area(files, slug)
    shipped = load_area(slug)
    assert inf.force == shipped.force
    assert sorted(inf.authorities["la_code"]) == sorted(shipped.authorities)
    # mid-2019 populations from the England table: pan-Lancashire's is the 1,508,941 the
    # synthetic ED calibration uses; LLR's the sum of the shipped reference populations
    expected = {"lancashire": 1_508_941, "leicestershire": 1_100_306}[slug]
    assert int(inf.authorities["population"].sum()) == expected
    # the crimes recorded outside the area stay far below the threshold
    assert inf.excluded["rows"].sum() < 0.005 * inf.located
