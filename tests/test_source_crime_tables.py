"""Home Office recorded crime by CSP: workbook drift, name joins, offence mapping, twin."""

from __future__ import annotations

import hashlib
import zipfile

import pandas as pd
import pytest
from scipy import stats

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import imd2019, populations
from lvrn_analysis.sources import crime_tables as ct
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.synthetic import crime_tables as ct_twin

FILE = "prc-csp-tables-synthetic.xlsx"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def synth(tmp_path_factory, area):
    out = tmp_path_factory.mktemp("csp")
    truth = ct_twin.synthesize(out, area)
    results = ct.load_crime_table(out / FILE, area)
    return out / FILE, truth, results


def _csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def test_synthetic_workbook_bytes_are_stable(tmp_path, area, synth):
    path, truth, _ = synth
    ct_twin.synthesize(tmp_path, area)
    assert hashlib.sha256(path.read_bytes()).digest() == \
        hashlib.sha256((tmp_path / FILE).read_bytes()).digest()
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(2021, 6, 1, 0, 0, 0)}
        assert b"2021-06-01T00:00:00Z" in z.read("docProps/core.xml")


def test_synthetic_sheets_and_drift(synth):
    _, truth, results = synth
    file_rec = next(t for t in truth if t["kind"] == "file")
    assert file_rec["sheets"][0] == "Notes"
    assert len(results) == len(file_rec["sheets"]) - 1
    assert [r.path.split("!")[1] for r in results] == file_rec["sheets"][1:]
    assert any("Notes" in n for n in results[0].notes)
    assert any("title rows" in n for r in results for n in r.notes)
    for r in results:
        r.check_accounting()
        assert r.rejected.empty
        assert list(r.kept.columns) == list(ct.SCHEMA)
    assert sum(r.rows_in for r in results) == file_rec["rows"]


def test_processed_table(synth, area):
    _, _, results = synth
    k = ct.processed_table(results, area)
    assert k["offences"].dtype == "int64" and (k["offences"] > 0).all()
    assert set(k["financial_year"]) >= {"2016/17", "2019/20", "2021/22"}
    assert set(k["quarter"].dropna()) == {1, 2, 3, 4}
    assert (k["period_end"] - k["period_start"]).dt.days.between(89, 91).all()
    un = k[k["unassigned"]]
    assert len(un) and un["la_code"].isna().all()
    assert set(k.loc[~k["unassigned"], "la_code"]) == set(area.authorities)
    assert k["in_lvrn_definition"].any() and (~k["in_lvrn_definition"]).any()
    assert set(k["lvrn_component"].dropna()) <= {"homicide", "assault_with_injury", "rape",
                                                 "robbery", "aggravated_burglary", "knife_crime",
                                                 "gun_crime"}
    again = k.sort_values(["period_start", "la_code", "offence_code", "file", "sheet", "row"],
                          na_position="last", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(k, again)


def test_deprivation_drives_violence(synth, area):
    _, truth, results = synth
    k = ct.processed_table(results, area)
    v = k[(k["offence_code"] == "8N") & ~k["unassigned"]].groupby("la_code")["offences"].sum()
    pop = populations(area, 2019).set_index("la_code")["population"]
    rate = v / pop.reindex(v.index)
    imd = imd2019(area).set_index("la_code")["imd_score"].reindex(v.index)
    assert stats.spearmanr(rate, imd).statistic > 0.8
    gen = next(t for t in truth if t["kind"] == "generator")
    assert gen["injected_effects"] == []


def test_csv_with_header_drift_and_formats(tmp_path, area):
    header = ["Financial Year", "Financial Quarter", "Police Force",
              "Community Safety Partnership", "Offence Description", "Offence Group",
              "Offence Subgroup", "Offence Code", "Offence Count"]
    rows = [
        ["2016-17", "1", "Lancashire Constabulary", "BLACKBURN WITH DARWEN",
         "Assault with injury", "Violence against the person", "Violence with injury", "8N",
         '"1,234"'],
        ["FY 2016/17", "Q2", "Lancashire", "Blackpool ", "Murder",
         "Violence against the person", "Homicide", "1", "2"],
        ["2016/2017", "", "Lancashire", "Unassigned", "Shoplifting", "Theft offences",
         "Shoplifting", "46", "12"],
        ["2016_17", "Q4", "lancashire", "Wyre", "Corporate manslaughter",
         "Violence against the person", "Homicide", "4.10", "1"],
    ]
    res = ct.load_crime_table(_csv(tmp_path / "d.csv", header, rows), area)
    assert len(res) == 1
    r = res[0]
    assert r.rejected.empty, r.rejected
    k = r.kept.sort_values("row")
    assert k["financial_year"].unique().tolist() == ["2016/17"]
    assert k["quarter"].tolist()[:2] == [1, 2] and pd.isna(k["quarter"].iloc[2])
    assert k["la_code"].tolist()[:2] == ["E06000008", "E06000009"]
    assert k["offences"].tolist() == [1234, 2, 12, 1]
    annual = k.iloc[2]
    assert annual["period_start"] == pd.Timestamp("2016-04-01")
    assert annual["period_end"] == pd.Timestamp("2017-03-31")
    assert k.iloc[3]["sv_category"] == "homicide"


def test_ods_workbook(tmp_path, area):
    df = pd.DataFrame([["2020/21", "Q1", "Lancashire", "Preston", "Assault with injury",
                        "Violence against the person", "Violence with injury", "8N", 250]],
                      columns=list(ct.HEADER))
    p = tmp_path / "t.ods"
    with pd.ExcelWriter(p, engine="odf") as xw:
        df.to_excel(xw, sheet_name="2020-21", index=False)
    res = ct.load_crime_table(p, area)
    assert res[0].path.endswith("!2020-21")
    assert res[0].kept["offences"].tolist() == [250]


def test_offence_code_reference_covers_the_definition():
    ref = ct.offence_codes().set_index("offence_code")
    want = {
        "homicide": ["1", "4.1", "4.2", "4.10"],
        "violence_with_injury": ["2", "5D", "5E", "8N", "8P", "8S"],
        "rape": ["19C", "19D", "19E", "19F", "19G", "19H"],
        "robbery": ["34A", "34B"],
        "aggravated_burglary": ["29", "29A", "31", "31A"],
        "weapons": ["10A", "10B", "10C", "10D", "90", "81"],
    }
    for cat, codes in want.items():
        for c in codes:
            assert ref.loc[c, "sv_category"] == cat, c
    assert ref.loc["10D", "weapon"] == "knife" and ref.loc["10A", "weapon"] == "firearm"
    # description patterns separate 4.1 from 4.10
    import re
    assert re.search(ref.loc["4.1", "description_pattern"], "Manslaughter", re.I)
    assert not re.search(ref.loc["4.1", "description_pattern"], "Corporate manslaughter", re.I)


def test_csp_lookup_covers_both_areas():
    look = ct.csp_lookup()
    for name in ("lancashire", "leicestershire"):
        a = load_area(name)
        codes = look[ct.norm_force(look["force_name"]) == ct.norm_force(a.force)]["la_code"]
        assert set(codes) == set(a.authorities)


def test_name_normalisation():
    assert ct.norm_name("Blackburn With Darwen ") == ct.norm_name("blackburn with darwen")
    assert ct.norm_name("Hinckley & Bosworth") == ct.norm_name("Hinckley and Bosworth")
    assert ct.norm_force("Lancashire Constabulary") == ct.norm_force("Lancashire") == "lancashire"
    assert ct.norm_force("Leicestershire Police") == "leicestershire"


def test_sniff_and_registry():
    spec = sources()["crime_tables"]
    assert spec.processed_name == "csp_crime"
    assert spec.sniff(",".join(ct.HEADER))
    assert spec.sniff("Financial Year,Financial Quarter,Police Force,Community Safety "
                      "Partnership,Offence Description,Offence Group,Offence Subgroup,"
                      "Offence Code,Offence Count")
    assert not spec.sniff("Indicator ID,Indicator Name")
