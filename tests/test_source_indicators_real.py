"""Real indicator values: the reduced Fingertips layout, DfE NCCIS files and the shipped copy."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import indicators_real as ir
from lvrn_analysis.sources import nccis_neet
from lvrn_analysis.sources.fingertips import HEADER_26
from lvrn_analysis.sources.fingertips import sniff as fingertips_sniff
from lvrn_analysis.sources.registry import detect, sources
from lvrn_analysis.sources.validation import SourceError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "indicators_real"

#: SHA-256 and data rows of every shipped file, from the shared reference MANIFEST.md.
SHIPPED = {
    "full_UD_NEETNK_LA_dashboard_2021_vg_removed.csv":
        ("b22e3ea1db58016252682bf4587d0bdb7e99efd8bfc291725d9767f054da1182", 161),
    "full_UD_NEETNK_LA_dashboard_2022_final.csv":
        ("526e0b93be49de8b2110ffbfb0e1b1cd23471bff111c2819b061ece614ea16fd", 160),
    "full_UD_NEETNK_LA_dashboard_2023_final.csv":
        ("442b2f41ddad2394749a7632bc125e496961f98ef815eacb77f75fa215bc0301", 160),
    "full_UD_NEETNK_LA_dashboard_final.csv":
        ("ddabd3ef44c01c65d82e945ea01cb665f2e9136805d01661670d5178e85ef3a5", 161),
    "full_admissions_self_harm.csv":
        ("4b1ffed5778ee70583927de34fef1f06aceea9aeb5ae9b420442eda589ab05fb", 2624),
    "full_admissions_self_harm_young_people.csv":
        ("752bdc484ad09a99f976ff58a2ee45a86b9ad9ccd59a861909ab7fa417c3d03c", 1078),
    "full_alcohol_related_admissions.csv":
        ("3d1a475335f3180dfbe4bfe5cac1a17b9d9589b9148309f113ac492a7678ba6e", 3280),
    "full_child_protection_plans.csv":
        ("b6cc173a1edb2b37cb2f3a49153ab055a06dece8405bdd6f50f6a8f34cf33c7b", 462),
    "full_children_in_care.csv":
        ("8b4d0151952df8f3087a1bc270207c3a9e7d5877e1e974f50154d5f5d1505e55", 1228),
    "full_low_income_families.csv":
        ("57ad078caf708838abed9b4f92623ac75f69962da6d9a581315e166cd3a63572", 3608),
    "full_neets.csv":
        ("6a751df918e3ce460b87999746098097a9eb868eb849856c524f0186cd86b7ee", 462),
    "full_school_readiness_fsm.csv":
        ("abb96985a1ead8c7180a7f02d5be39d330ac535050e536eed62fe9de3247a649", 924),
}
REDUCED_HEADER = "area_code,area_name,period,value,indicator,measure,unit,significance"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def shipped(area):
    return [r for p in ir.default_inputs(area) for r in ir.load_indicators_real(p, area)]


@pytest.fixture(scope="module")
def table(shipped, area):
    return ir.processed_table(shipped, area)


def _name(r) -> str:
    return r.path.rsplit("/", 1)[-1].removesuffix(".gz")


# ------------------------------------------------------------------ shipped data


def test_shipped_files_are_the_published_files(shipped):
    assert sorted(_name(r) for r in shipped) == sorted(SHIPPED)
    for r in shipped:
        sha, rows = SHIPPED[_name(r)]
        assert r.sha256 == sha, _name(r)
        assert r.rows_in == rows == r.rows_kept + r.rows_rejected
        assert r.path.startswith("lvrn_analysis/reference/indicators_real/")
        assert any("gzip" in n for n in r.notes)
    rejected = pd.concat([r.rejected for r in shipped])
    # the only bad rows: the dummy 'LA demo' row and its 'Region demo' row (DfE 2021)
    assert list(rejected["reason"]) == ["blank_area_code", "blank_area_code"]
    assert set(rejected["la_name"]) == {"", "LA demo"}
    assert "Region demo" in set(rejected["region_name"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference not beside the clone")
def test_shipped_bytes_equal_the_shared_originals(area):
    for p in ir.default_inputs(area):
        name = p.name.removesuffix(".gz")
        original = SHARED / p.parent.name / name
        assert gzip.decompress(p.read_bytes()) == original.read_bytes(), name
        assert hashlib.sha256(original.read_bytes()).hexdigest() == SHIPPED[name][0]


def test_values_equal_the_reference_files(table):
    t = table.set_index(["indicator_key", "area_code", "period"])["value"]
    assert t[("children_low_income", "E06000009", "2016")] == 26.2      # Blackpool
    assert t[("children_low_income", "E07000124", "2016")] == 5.9       # Ribble Valley
    assert t[("children_low_income", "E92000001", "2016")] == 17.0      # England
    assert t[("self_harm_admissions", "E06000009", "2017/18")] == 466.5
    assert t[("alcohol_admissions_narrow", "E06000009", "2017/18")] == 1097.0
    assert t[("neet_nk_16_17", "E06000009", "2017")] == 18.0            # the known artefact
    # DfE NCCIS 2023 (MANIFEST.md check): England 5.2, Lancashire 5.3, Blackpool 11.1
    assert t[("dfe_neet_nk_16_17", "E92000001", "2023")] == 5.2
    assert t[("dfe_neet_nk_16_17", "E10000017", "2023")] == 5.3
    assert t[("dfe_neet_nk_16_17", "E06000009", "2023")] == 11.1


def test_table_schema_and_flags(table, area):
    assert list(table.columns) == list(ir.SCHEMA)
    assert str(table["fingertips_id"].dtype) == "Int64"
    assert table["value"].dtype == np.float64
    assert not table.duplicated(["indicator_key", "area_code", "period"]).any()
    ref = ir.indicator_reference()
    assert set(table["indicator_key"]) == set(ref["indicator_key"])
    tiers = table.groupby("indicator_key")["tier"].unique()
    for key, tier in zip(ref["indicator_key"], ref["tier"], strict=True):
        assert list(tiers[key]) == [tier]
    # lower-tier files hold districts (E07) but no counties (E10); upper-tier the reverse
    prefixes = table.groupby("tier")["area_code"].apply(lambda s: set(s.str[:3]))
    assert "E07" in prefixes["lower"] and "E10" not in prefixes["lower"]
    assert "E10" in prefixes["upper"] and "E07" not in prefixes["upper"]
    inside = set(table.loc[table["in_area"], "area_code"])
    assert inside == {"E06000008", "E06000009", "E10000017", *[f"E07000{c}" for c in
                                                               range(117, 129)]}
    missing = table[table["value"].isna()]
    assert len(missing) == 23 + 17 + 27 + 5 + 5 + 1 + 1 + 11
    assert missing["value_note"].notna().all()
    assert table.loc[table["value"].notna(), "value_note"].isna().all()
    assert set(table.loc[table["area_code"] == "E47000001", "area_type"]) == \
        {"Combined authority"}


def test_polarity_table_agrees_with_the_files_own_comparisons(table):
    """Every Fingertips 'Worse' lies on the bad side of England, every 'Better' the good."""
    ref = ir.indicator_reference().set_index("indicator_key")
    ft = table[table["publisher"] == "OHID Fingertips"]
    eng = ft[ft["area_code"] == "E92000001"].set_index(["indicator_key", "period"])["value"]
    for key, part in ft[ft["area_code"] != "E92000001"].groupby("indicator_key"):
        e = part.set_index(["indicator_key", "period"]).index.map(eng)
        high = part["value"].to_numpy() > np.asarray(e, dtype=float)
        low = part["value"].to_numpy() < np.asarray(e, dtype=float)
        bad_is_high = ref.loc[key, "polarity"] == "low_is_good"
        worse = (part["significance"] == "Worse").to_numpy()
        better = (part["significance"] == "Better").to_numpy()
        assert worse.sum() > 0 and better.sum() > 0, key
        assert (high if bad_is_high else low)[worse].all(), key
        assert (low if bad_is_high else high)[better].all(), key


# ---------------------------------------------------------- recognising the layouts


def test_sniff_and_registry():
    spec = sources()["indicators_real"]
    assert spec.processed_name == "indicators_real" and spec.raw_dir == "indicators_real"
    assert spec.default_inputs is not None and spec.processed_table is not None
    assert detect(REDUCED_HEADER).name == "indicators_real"
    assert detect('"area_code","area_name","period","value","indicator"').name == spec.name
    dfe = "time_period,time_identifier,geographic_level,country_code,NEET_not_known_percent"
    assert detect(dfe).name == spec.name and nccis_neet.sniff(dfe)
    assert not ir.sniff(",".join(HEADER_26))
    assert not fingertips_sniff(REDUCED_HEADER)


# ------------------------------------------------------------------ bad input


def _write(tmp_path: Path, text: str, name: str = "extract.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_reduced_layout_quarantine_and_numbers(tmp_path, area):
    ind = "Children in low income families"
    rows = [
        # reordered columns, BOM; quoted thousands separator, a per cent sign
        "\ufeffindicator,area_code,area_name,period,value,measure,unit,significance",
        f'{ind},E06000009,Blackpool,2016,"1,234.5",Count,Persons,Worse',
        f"{ind},E07000124,Ribble Valley,2016,5.9%,Percentage,Persons,Better",
        f"{ind},E07000117,Burnley,2016,NA,Percentage,Persons,Not compared",
        f"{ind},E07000118,Chorley,2016,c,Percentage,Persons,",
        f"{ind},,Nowhere,2016,10,Percentage,Persons,",
        f"{ind},E0600000,Short code,2016,10,Percentage,Persons,",
        f"{ind},E07000119,Fylde,2016/19,10,Percentage,Persons,",
        f"{ind},E07000120,Hyndburn,2016,abc,Percentage,Persons,",
        f"{ind},E07000121,Lancaster,2016,-3,Percentage,Persons,",
        f"{ind},E07000122,Pendle,2016,130,Percentage,Persons,",
        f"{ind},E07000124,Ribble Valley,2016,5.9%,Percentage,Persons,Better",
        f"{ind},E06000009,Blackpool,2016,26.2,Percentage,Persons,Worse",
        f"{ind},E07000123,Preston,2016,17.9,Percentage",
        ",E07000125,Rossendale,2016,16.0,Percentage,Persons,",
        "Something new,E07000126,South Ribble,2017/18,12.0,Percentage,Persons,Similar",
    ]
    res = ir.load_indicators_real(_write(tmp_path, "\n".join(rows) + "\n"), area)[0]
    assert res.rows_in == 15 == res.rows_kept + res.rows_rejected
    reasons = res.rejected.set_index("row")["reason"].to_dict()
    assert reasons == {5: "blank_area_code", 6: "bad_area_code", 7: "bad_period",
                       8: "bad_number", 9: "negative_value", 10: "percentage_out_of_range",
                       11: "duplicate_row", 12: "duplicate_key", 13: "wrong_field_count",
                       14: "blank_indicator"}
    assert "row 1" in res.rejected.set_index("row").loc[12, "detail"]
    assert "'abc' is not a number" in res.rejected.set_index("row").loc[8, "detail"]
    k = res.kept.set_index("row")
    assert k.loc[1, "value"] == 1234.5 and k.loc[2, "value"] == 5.9
    assert np.isnan(k.loc[3, "value"]) and "NA" in k.loc[3, "value_note"]
    assert np.isnan(k.loc[4, "value"]) and "suppressed" in k.loc[4, "value_note"]
    assert k.loc[15, "indicator_key"] == "something_new" and k.loc[15, "tier"] == "lower"
    assert k.loc[1, "indicator_key"] == "children_low_income"
    assert any("non-standard order" in n for n in res.notes)
    assert any("Something new" in n for n in res.notes)
    assert any("2 row(s) with no published value" in n for n in res.notes)


def test_missing_required_column_is_a_clear_error(tmp_path, area):
    p = _write(tmp_path, "area_code,area_name,period,value\nE06000009,Blackpool,2016,26.2\n")
    with pytest.raises(SourceError) as exc:
        ir.load_indicators_real(p, area)
    assert "indicator" in str(exc.value) and "extract.csv" in str(exc.value)


def test_gzip_and_damaged_gzip(tmp_path, area):
    text = f"{REDUCED_HEADER}\nE06000009,Blackpool,2016,26.2,Children in low income families," \
           "Percentage,Persons,Worse\n"
    good = tmp_path / "x.csv.gz"
    good.write_bytes(gzip.compress(text.encode(), mtime=0))
    res = ir.load_indicators_real(good, area)[0]
    assert res.rows_kept == 1 and res.sha256 == hashlib.sha256(text.encode()).hexdigest()
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(gzip.compress(text.encode(), mtime=0)[:30])
    with pytest.raises(SourceError, match="gzip"):
        ir.load_indicators_real(bad, area)


def test_nccis_symbols_age_and_levels(tmp_path, area):
    head = ("time_period,time_identifier,geographic_level,country_code,country_name,"
            "region_code,region_name,old_la_code,new_la_code,la_name,Age,"
            "NEET_not_known_percent,NEET_percent")
    rows = [head,
            "2024,Calendar year,National,E92000001,England,,,,,,16-17,5.4,2.9",
            "2024,Calendar year,Regional,E92000001,England,E12000002,North West,,,,16-17,6,3",
            "2024,Calendar year,Local authority,E92000001,England,E12000002,North West,890,"
            "E06000009,Blackpool,16-17,z,z",
            "2024,Calendar year,Local authority,E92000001,England,E12000002,North West,888,"
            "E10000017,Lancashire,16-18,6.0,3",
            "2024,Calendar year,Ward,E92000001,England,E12000002,North West,,X,Y,16-17,1,1",
            "24,Calendar year,Local authority,E92000001,England,E12000002,North West,889,"
            "E06000008,Blackburn with Darwen,16-17,5,3"]
    res = ir.load_indicators_real(_write(tmp_path, "\n".join(rows) + "\n", "nccis.csv"),
                                  area)[0]
    assert res.rows_in == 6 == res.rows_kept + res.rows_rejected
    assert res.rejected.set_index("row")["reason"].to_dict() == {
        4: "unexpected_age", 5: "unknown_level", 6: "bad_period"}
    k = res.kept.set_index("area_code")
    assert k.loc["E92000001", "value"] == 5.4 and k.loc["E92000001", "area_name"] == "England"
    assert k.loc["E12000002", "area_type"] == "Region"
    assert np.isnan(k.loc["E06000009", "value"])
    assert "not applicable" in k.loc["E06000009", "value_note"]
    assert set(k["indicator_key"]) == {"dfe_neet_nk_16_17"} and set(k["tier"]) == {"upper"}


# ------------------------------------------------------------------ the build


def _build_one(tmp_path: Path, area):
    from lvrn_analysis.processed.build import BuildReport, _build_generic

    report = BuildReport()
    out = tmp_path / "processed"
    _build_generic(sources()["indicators_real"], area, tmp_path / "raw", out,
                   tmp_path / "synthetic", report, False, False)
    return report, out


def test_build_uses_the_shipped_files_by_default(tmp_path, area):
    report, out = _build_one(tmp_path, area)
    assert report.origins == {"indicators_real": "real (shipped reference data)"}
    assert len(report.inputs) == 12
    for rec in report.inputs:
        assert rec["rows_in"] == rec["rows_kept"] + rec["rows_rejected"]
        assert rec["sha256"] == SHIPPED[rec["file"].rsplit("/", 1)[-1].removesuffix(".gz")][0]
    t = pd.read_parquet(out / "indicators_real.parquet")
    assert set(t["origin"]) == {"real (shipped reference data)"}
    assert len(t) == sum(r["rows_kept"] for r in report.inputs)
    assert (out / "quarantine" / "indicators_real.parquet").is_file()
    # deterministic: a second build gives the same bytes
    _, out2 = _build_one(tmp_path / "again", area)
    assert (out / "indicators_real.parquet").read_bytes() == \
        (out2 / "indicators_real.parquet").read_bytes()


def test_build_reads_dropped_files_instead(tmp_path, area):
    raw = tmp_path / "raw" / "indicators_real"
    raw.mkdir(parents=True)
    (raw / "mine.csv").write_text(
        f"{REDUCED_HEADER}\nE92000001,England,2016,17.0,Children in low income families,"
        "Percentage,Persons,Not compared\n", encoding="utf-8")
    report, out = _build_one(tmp_path, area)
    assert report.origins == {"indicators_real": "real"}
    assert [r["rows_in"] for r in report.inputs] == [1]
    assert len(pd.read_parquet(out / "indicators_real.parquet")) == 1


def test_processed_table_when_built():
    d = ROOT / "data" / "processed"
    if not (d / "indicators_real.parquet").is_file():
        pytest.skip("data/processed has no indicators_real table (run lvrn build)")
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert m["origins"]["indicators_real"].startswith("real")
    recs = [r for r in m["inputs"] if r["table"] == "indicators_real"]
    assert len(recs) == 12
    assert all(r["rows_in"] == r["rows_kept"] + r["rows_rejected"] for r in recs)
