"""IMD 2019 district summaries and DfE KS4 school performance tables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import education as edu
from lvrn_analysis.sources import imd
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.synthetic import education as edu_twin
from lvrn_analysis.synthetic import imd as imd_twin
from lvrn_analysis.synthetic.twins import twin

EDU = Path(__file__).parent / "data" / "education"
README_RANKS = {  # shared/reference/README.md §6: score (derived rank)
    "E06000009": (45.039, 1), "E07000117": (37.793, 8), "E06000008": (36.013, 9),
    "E07000120": (34.333, 16), "E07000122": (30.723, 33), "E07000123": (29.531, 45),
    "E07000121": (24.165, 89), "E07000125": (24.062, 92), "E07000128": (20.858, 129),
    "E07000127": (18.645, 155), "E07000118": (16.863, 177), "E07000119": (15.875, 195),
    "E07000126": (15.330, 204), "E07000124": (10.594, 283),
}


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


# --------------------------------------------------------------------------- IMD


def test_imd_default_inputs_are_the_real_values(area):
    spec = sources()["imd"]
    assert twin("imd") is None and spec.processed_name == "imd2019"
    res = imd.load_imd(imd.default_inputs(area)[0], area)[0]
    assert res.rows_in == 317 and res.rejected.empty
    k = res.kept
    assert k["la_code"].is_unique and k["la_code"].is_monotonic_increasing
    sub = k[k["in_area"]].set_index("la_code")
    assert len(sub) == 14
    for code, (score, rank) in README_RANKS.items():
        assert sub.loc[code, "imd_score"] == pytest.approx(score)
        assert sub.loc[code, "imd_rank"] == rank
    assert set(k["imd_rank_source"]) == {"derived"}
    assert str(k["imd_rank"].dtype) == "Int64"


def test_file10_csv_with_trailing_spaces_round_trip(tmp_path, area):
    p = imd_twin.write_file10_csv(tmp_path / "file10.csv")
    header = p.read_text().splitlines()[0]
    assert "IMD - Average score ," in header
    assert imd.sniff(header)
    res = imd.load_imd(p, area)[0]
    assert res.rejected.empty and res.rows_in == 317
    assert any("trailing spaces" in n for n in res.notes)
    assert set(res.kept["imd_rank_source"]) == {"official"}
    base = imd.load_imd(imd.default_inputs(area)[0], area)[0].kept.set_index("la_code")
    got = res.kept.set_index("la_code")
    pd.testing.assert_series_equal(got["imd_score"], base["imd_score"])


def test_file10_workbook(tmp_path, area):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["English indices of deprivation 2019"])
    ws = wb.create_sheet("IMD")
    ws.append(list(imd.FILE10_HEADER))
    ws.append(["E06000009", "Blackpool", 12345.6, 1, 45.039, 1, 0.4149, 2, 0.5766, 3, 0.3, 4])
    ws.append(["E07000124", "Ribble Valley", 28000.1, 300, 10.594, 283, 0.0, 250, 0.0, 260,
               0.01, 270])
    p = tmp_path / "File_10.xlsx"
    wb.save(p)
    res = imd.load_imd(p, area)[0]
    assert res.rejected.empty
    k = res.kept.set_index("la_code")
    assert k.loc["E07000124", "imd_rank"] == 283
    assert k.loc["E06000009", "imd_average_rank"] == pytest.approx(12345.6)
    assert any("workbook" in n for n in res.notes)


def test_rank_derived_within_partial_file(tmp_path, area):
    p = tmp_path / "few.csv"
    p.write_text("ltla19_code,Score\nE06000009,45.039\nE07000124,10.594\nE07000117,37.793\n")
    res = imd.load_imd(p, area)[0]
    assert res.kept.set_index("la_code")["imd_rank"].to_dict() == {
        "E06000009": 1, "E07000117": 2, "E07000124": 3}
    assert any("not among all 317" in n for n in res.notes)
    assert set(res.kept["imd_rank_source"]) == {"derived_within_file"}


# --------------------------------------------------------------------- education


@pytest.fixture(scope="module")
def ks4(area):
    return {f.name[:9]: edu.load_ks4(f, area)[0] for f in sorted(EDU.glob("*_888_*.csv"))}


def test_real_ks4_files_load_completely(ks4):
    assert set(ks4) == {"2017-2018", "2018-2019", "2021-2022"}
    for res in ks4.values():
        res.check_accounting()
        assert res.rejected.empty
        assert any("byte-order mark" in n for n in res.notes)
        assert any("shorter than the header" in n for n in res.notes)
        k = res.kept
        assert set(k["record_type"]) == {"1", "2", "4", "5", "7"}
        assert {"suppressed", "no_entries"} <= set(k["att8_status"])
        assert k.loc[k["att8_status"] != "published", "att8"].isna().all()
        assert k["pct_disadvantaged"].dropna().between(0, 100).all()


def test_every_state_school_is_placed_in_a_district(ks4, area):
    for res in ks4.values():
        k = res.kept
        schools = k[k["record_type"].isin(["1", "2"])]
        state = schools[schools["state_funded"]]
        assert state["la_code"].notna().all()
        assert set(state["la_code"]) <= set(area.authorities) - {"E06000008", "E06000009"}
        # the only unplaced schools are independent ones outside Lancashire or without data
        una = schools[schools["la_code"].isna()]
        assert (~una["state_funded"]).all()


def test_district_aggregate_reproduces_the_dfe_la_row(ks4):
    for year, res in ks4.items():
        k = res.kept
        la_row = k[k["record_type"] == "4"].iloc[0]
        agg = edu.ks4_by_la(k).dropna(subset=["la_code"])
        att8 = (agg["att8"] * agg["att8_pupils"]).sum() / agg["att8_pupils"].sum()
        assert att8 == pytest.approx(la_row["att8"], abs=0.1), year
        dis = 100 * agg["disadvantaged"].sum() / agg["disadvantaged_pupils"].sum()
        assert dis == pytest.approx(la_row["pct_disadvantaged"], abs=0.5), year
        assert agg["pupils"].sum() == pytest.approx(la_row["pupils"], rel=0.01)
        assert len(agg) == 12


def test_ks4_by_la_tidy_and_sorted(ks4):
    agg = edu.ks4_by_la(pd.concat([r.kept for r in ks4.values()], ignore_index=True))
    assert agg["academic_year"].is_monotonic_increasing
    assert {"2017/18", "2018/19", "2021/22"} == set(agg["academic_year"])
    assert agg["schools"].dtype == "int64" and agg["att8"].dtype == "float64"
    deprived = agg[agg["la_code"] == "E07000117"]["att8"].mean()   # Burnley
    affluent = agg[agg["la_code"] == "E07000124"]["att8"].mean()   # Ribble Valley
    assert deprived < affluent - 5


def test_leicestershire_file(area):
    lei = load_area("leicestershire")
    res = edu.load_ks4(EDU / "2021-2022_855_ks4final.csv", lei)[0]
    assert res.rejected.empty
    state = res.kept[res.kept["record_type"].isin(["1", "2"]) & res.kept["state_funded"]]
    assert state["la_code"].notna().all()
    other = edu.load_ks4(EDU / "2021-2022_855_ks4final.csv", area)[0]
    assert set(other.rejected["reason"]) == {"outside_area"}


def test_district_of_with_authoritative_lookup():
    pcs = pd.Series(["PR1 0JE", "PR1 4PR", "BB5 4AY", "ZZ9 9ZZ", "bad"])
    code, how = edu.district_of(pcs)
    assert code.tolist()[:3] == ["E07000126", "E07000123", "E07000120"]
    assert code.iloc[3:].isna().all()
    assert how.tolist()[:3] == ["postcode_sector", "postcode_outward", "postcode_outward"]
    lk = pd.DataFrame({"pcds": ["PR1 4PR"], "laua": ["E07000126"]})
    code2, how2 = edu.district_of(pcs, lk)
    assert code2.iloc[1] == "E07000126" and how2.iloc[1] == "postcode_lookup"


def test_year_from_file_name():
    assert edu.academic_year_from_name("2018-2019_888_ks4final.csv") == ("2018/19", "888")
    assert edu.academic_year_from_name("x/2021-2022_855_ks4final_v2.csv") == ("2021/22", "855")
    assert edu.academic_year_from_name("2018-2020_888_ks4final.csv") is None


def test_synthetic_ks4(tmp_path_factory, area):
    out = tmp_path_factory.mktemp("ks4")
    truth = edu_twin.synthesize(out, area)
    files = sorted(p.name for p in out.iterdir())
    assert "2018-2019_888_ks4final.csv" in files and "2018-2019_889_ks4final.csv" in files
    assert not [f for f in files if f.startswith(("2019-2020", "2020-2021"))]
    raw = (out / files[0]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    out2 = tmp_path_factory.mktemp("ks4b")
    edu_twin.synthesize(out2, area)
    for f in files:
        assert hashlib.sha256((out / f).read_bytes()).digest() == \
            hashlib.sha256((out2 / f).read_bytes()).digest()
    results = [edu.load_ks4(out / f, area)[0] for f in files]
    assert all(r.rejected.empty for r in results)
    table = edu.processed_table(results, area)
    exp = next(t for t in truth if t["kind"] == "association")["expected_by_la"]
    got = table.dropna(subset=["la_code"]).set_index(["academic_year", "la_code"])
    assert set(got.index.get_level_values(1)) == set(area.authorities)
    for ay, by_la in exp.items():
        for la, v in by_la.items():
            assert got.loc[(ay, la), "att8"] == pytest.approx(v["att8"], abs=1e-6)
            assert got.loc[(ay, la), "pct_disadvantaged"] == pytest.approx(
                v["pct_disadvantaged"], abs=1e-6)
    assert sources()["education"].processed_name == "ks4_by_la"
