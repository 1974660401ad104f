"""The causes page on real data: spine charts against England's real distribution."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities
from lvrn_analysis.sources import indicators_real as ir
from lvrn_analysis.story import causes

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "indicators_real"
REPORT = ROOT.parent / "shared" / "context" / "lvrn-evaluation-final-report-2021.txt"
SHIPPED = ROOT / "src" / "lvrn_analysis" / "reference" / "indicators_real"
#: Each indicator's original file and how its authorities are picked out in it.
FILES = {
    "children_low_income": "traffordDataLab_dashboard/full_low_income_families.csv",
    "self_harm_admissions": "traffordDataLab_dashboard/full_admissions_self_harm.csv",
    "alcohol_admissions_narrow": "traffordDataLab_dashboard/full_alcohol_related_admissions.csv",
    "children_in_care": "traffordDataLab_dashboard/full_children_in_care.csv",
    "neet_nk_16_17": "traffordDataLab_dashboard/full_neets.csv",
    "self_harm_admissions_10_24":
        "traffordDataLab_dashboard/full_admissions_self_harm_young_people.csv",
    "child_protection_plans": "traffordDataLab_dashboard/full_child_protection_plans.csv",
    "school_readiness_fsm": "traffordDataLab_dashboard/full_school_readiness_fsm.csv",
    "dfe_neet_nk_16_17": "dfe_nccis_neet/full_UD_NEETNK_LA_dashboard_final.csv",
}


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def real(area):
    res = [r for p in ir.default_inputs(area) for r in ir.load_indicators_real(p, area)]
    return ir.processed_table(res, area)


@pytest.fixture(scope="module")
def authorities(area):
    return local_authorities(area)


@pytest.fixture(scope="module")
def spine(real, authorities):
    return causes.real_spine_data(real, authorities)


def _original(key: str) -> pd.DataFrame:
    """The original file: ../shared when present (CI), else the shipped copy."""
    rel = FILES[key]
    p = SHARED / rel
    data = p.read_bytes() if p.is_file() else gzip.decompress(
        (SHIPPED / (rel + ".gz")).read_bytes())
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _recompute(key: str, period: str) -> tuple[int, float, float, float, float, float]:
    """England's value, n and min/q25/q75/max recomputed straight from the original file."""
    df = _original(key)
    if key == "dfe_neet_nk_16_17":
        england = float(df.loc[df["geographic_level"] == "National",
                               "NEET_not_known_percent"].iloc[0])
        vals = pd.to_numeric(df.loc[df["geographic_level"] == "Local authority",
                                    "NEET_not_known_percent"], errors="coerce").dropna()
    else:
        df = df[df["period"] == period]
        england = float(df.loc[df["area_code"] == "E92000001", "value"].iloc[0])
        lower = key in ("children_low_income", "self_harm_admissions",
                        "alcohol_admissions_narrow")
        keep = ("E06", "E07", "E08", "E09") if lower else ("E06", "E08", "E09", "E10")
        vals = pd.to_numeric(df.loc[df["area_code"].str[:3].isin(keep), "value"],
                             errors="coerce").dropna()
    v = vals.to_numpy(dtype=float)
    return (len(v), england, float(v.min()), float(np.quantile(v, 0.25)),
            float(np.quantile(v, 0.75)), float(v.max()))


def test_england_distribution_equals_a_recomputation_from_the_original_files(real):
    dist = causes.england_distribution(real).set_index("indicator_key")
    assert list(dist.index) == list(FILES)
    for key in FILES:
        n, eng, lo, q25, q75, hi = _recompute(key, dist.loc[key, "period"])
        d = dist.loc[key]
        assert d["n_areas"] == n and d["england_value"] == eng, key
        assert (d["min"], d["max"]) == (lo, hi), key
        assert d["q25"] == pytest.approx(q25) and d["q75"] == pytest.approx(q75), key
        worst, best = (hi, lo) if d["polarity"] == "low_is_good" else (lo, hi)
        assert (d["worst"], d["best"]) == (worst, best), key
    # all of England's authorities, not the 14: 326 districts and unitaries in the file
    assert dist.loc["children_low_income", "n_areas"] == 326
    assert dist.loc["children_low_income", "period"] == "2016"
    assert dist.loc["self_harm_admissions", "period"] == "2017/18"
    assert dist.loc["dfe_neet_nk_16_17", "period"] == "2025"


def test_spine_values_equal_the_files(spine):
    s = spine.set_index(["la_name", "indicator_key"])
    assert s.loc[("Blackpool", "children_low_income"), "value"] == 26.2
    assert s.loc[("Ribble Valley", "children_low_income"), "value"] == 5.9
    assert s.loc[("Blackpool", "self_harm_admissions"), "value"] == 466.5
    assert s.loc[("Blackpool", "self_harm_admissions"), "period"] == "2017/18"
    assert s.loc[("Blackpool", "children_low_income"), "england_value"] == 17.0
    # upper-tier indicators: a district shows its county's value, a unitary its own
    pre = s.loc[("Preston", "children_in_care")]
    assert pre["value_area_code"] == "E10000017" and pre["value"] == 79.2
    assert "Lancashire" in pre["value_area_name"]
    bpl = s.loc[("Blackpool", "children_in_care")]
    assert bpl["value_area_code"] == "E06000009" and bpl["value"] == 185.3
    assert set(spine["origin"]) == {"real"}
    assert len(spine) == 14 * 9
    assert set(spine["comparison"]) <= {"worse", "similar", "better", "not compared"}


def test_spine_positions(spine):
    # Fingertips scaling, recomputed: England in the middle, the furthest authority at an
    # end, worse on the left
    eng = spine["england_value"]
    half = np.maximum((spine["worst"] - eng).abs(), (spine["best"] - eng).abs())
    sign = np.where(spine["polarity"] == "low_is_good", -1.0, 1.0)
    assert np.allclose(spine["position"], 0.5 + sign * (spine["value"] - eng) / (2 * half))
    bpl = spine[(spine["la_name"] == "Blackpool") &
                (spine["indicator_key"] == "self_harm_admissions")].iloc[0]
    assert bpl["value"] == bpl["worst"] and bpl["position"] == pytest.approx(0.0)
    low_good = spine["polarity"] == "low_is_good"
    above = spine["value"] > spine["england_value"]
    assert (spine.loc[low_good & above, "position"] < 0.5).all()
    assert (spine.loc[~low_good & above, "position"] > 0.5).all()
    assert spine[["pos_worst", "pos_best"]].min().min() >= -1e-9
    assert spine[["pos_worst", "pos_best"]].max().max() <= 1 + 1e-9
    assert (spine["pos_worst"] <= spine["pos_q25"] + 1e-9).all()


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + \
        [t.get_text() for t in fig.texts]


def test_chart_real_only_has_no_synthetic_mark(spine):
    fig = causes.real_spine_chart(spine, "Blackpool")
    texts = _texts(fig)
    assert fig.lvrn_alt and "Blackpool" in fig.lvrn_title
    assert "26.2" in texts and "466.5" in texts and "2017/18" in texts and "2016" in texts
    assert not any("SYNTHETIC" in t for t in texts)
    assert fig.texts[0].get_text().endswith("Real data.")
    hatched = [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert not hatched


def test_synthetic_rows_only_where_no_real_value_and_marked_in_the_chart(spine, real,
                                                                         authorities):
    ft = pd.DataFrame({
        "origin": "synthetic", "indicator_id": [93378] * 3 + [93203] * 2,
        "area_code": ["E92000001", "E06000009", "E07000123", "E06000009", "E92000001"],
        "time_period": ["2021/22"] * 3 + ["2021"] * 2, "value": [48.8, 43.2, 48.9, 9.0, 5.0],
        "is_category": False,
    })
    fill = causes.synthetic_fill(spine, ft, authorities)
    # attainment (93378) has no real measure: filled; NEET (93203) has real values: never
    assert set(fill["indicator_key"]) == {"synthetic_93378"}
    assert set(fill["la_name"]) == {"Blackpool", "Preston"}
    assert set(fill["origin"]) == {"synthetic"}
    # a real KS4 value for Preston removes Preston's synthetic row
    ks4 = pd.DataFrame({"origin": ["real"], "la_code": ["E07000123"], "att8": [47.0],
                        "academic_year": ["2021/22"]})
    assert set(causes.synthetic_fill(spine, ft, authorities, ks4=ks4)["la_name"]) == \
        {"Blackpool"}
    # a real Fingertips export is never relabelled synthetic
    assert causes.synthetic_fill(spine, ft.assign(origin="real"), authorities).empty
    both = causes.real_spine_data(real, authorities, extra=fill)
    bpl = both[both["la_name"] == "Blackpool"]
    assert list(bpl["origin"])[-1] == "synthetic" and (bpl["origin"] == "real").sum() == 9
    fig = causes.real_spine_chart(both, "Blackpool")
    texts = _texts(fig)
    assert any(t.startswith("SYNTHETIC - Average Attainment 8") for t in texts)
    assert "synthetic" in texts
    assert "SYNTHETIC" in fig.texts[0].get_text() and "not real figures" in fig.lvrn_alt
    hatched = [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(hatched) == 2


def test_sentences_and_tables_carry_the_files_numbers(spine, real):
    text = causes.real_spine_sentence(spine, "Blackpool")
    assert "children in low-income families 26.2 in 2016 (England 17.0)" in text
    assert "466.5 in 2017/18" in text
    pre = causes.real_spine_sentence(spine, "Preston")
    assert "Lancashire" in pre and "not Preston" in pre
    tab = causes.authority_values_table(spine).set_index("Area")
    col = [c for c in tab.columns if c.startswith("Children in low-income")][0]
    assert col.endswith(", 2016")
    assert tab.loc["England", col] == "17.0"
    assert tab.loc["Blackpool", col] == "26.2 worse"
    assert tab.loc["Ribble Valley", col] == "5.9 better"
    dt = causes.distribution_table(causes.england_distribution(real))
    assert list(dt["Authorities"])[:3] == [326, 324, 324]


def test_named_causes_and_their_real_measures(real):
    nc = causes.named_causes()
    assert len(nc) == 8 and set(nc["relation"]) == {"direct", "proxy", "none"}
    if REPORT.is_file():
        text = REPORT.read_text(encoding="utf-8")
        for words in nc["report_words"]:
            for part in words.split("; "):
                first = part.split(" (")[0].split(":")[0][:40]
                assert first.lower() in text.lower(), first
    imd = pd.DataFrame({"origin": "real (shipped reference data)",
                        "la_code": ["E06000009"], "imd_score": [45.0]})
    ks4_syn = pd.DataFrame({"origin": "synthetic", "la_code": ["E06000009"], "att8": [40.0],
                            "academic_year": ["2021/22"]})
    m = causes.cause_measures(real, imd=imd, ks4=ks4_syn)
    status = m.groupby("cause", sort=False)["status"].first()
    assert status["Poor school attendance (persistent absence)"] == "no real measure reachable"
    assert status["Exclusions (fixed-period)"] == "no real measure reachable"
    # the synthetic KS4 twin never counts as a real measure
    assert status["Poor attainment (GCSE)"] == "no real measure reachable"
    neet = m[m["cause"] == "Young people NEET"].set_index("measure_key")
    assert neet.loc["dfe_neet_nk_16_17", "period"] == "2025"
    assert status["Adverse childhood experiences (ACEs)"] == "real proxy"
    sentence = causes.causes_sentence(m)
    assert "**3 have no real measure we could reach**" in sentence
    assert "exclusions (fixed-period)" in sentence
    shown = causes.cause_measures_display(m)
    assert (shown["Real measure in this build"] == "no real measure reachable").sum() == 3
    m2 = causes.cause_measures(real, imd=imd, ks4=ks4_syn.assign(origin="real"))
    assert (m2.groupby("cause", sort=False)["status"].first()["Poor attainment (GCSE)"]
            == "real")


def test_second_area_uses_its_own_upper_tier(real):
    leics = local_authorities(load_area("leicestershire"))
    sp = causes.real_spine_data(real, leics)
    s = sp.set_index(["la_name", "indicator_key"])
    assert s.loc[("Blaby", "children_in_care"), "value_area_code"] == "E10000018"
    assert s.loc[("Leicester", "children_in_care"), "value_area_code"] == "E06000016"
    assert s.loc[("Rutland", "children_low_income"), "value_area_code"] == "E06000017"
    assert sp["value"].notna().all()


def test_profile_summary_counts_each_county_value_once(spine):
    imd = pd.DataFrame({"la_code": spine["la_code"].unique()})
    imd["imd_score"] = np.arange(len(imd), dtype=float)
    text = causes.profile_summary(spine, imd)
    low = spine[spine["tier"] == "lower"]
    n_worse = int((low["comparison"] == "worse").sum())
    assert f"{n_worse} of {len(low)} values of the 3 indicators" in text
    assert "Lancashire (county) on 3 of 6" in text       # not 12 districts x 3
    assert "466.5, the worst of 324 English lower-tier authorities" in text
    per = low.assign(w=low["comparison"] == "worse").groupby("la_code", sort=False)["w"].sum()
    rho = per.rank().corr(imd.set_index("la_code")["imd_score"].reindex(per.index).rank())
    assert f"Spearman rank correlation {rho:.2f}" in text


def test_missing_value_is_shown_as_such(real, authorities):
    gap = real.copy()
    hit = (gap["indicator_key"] == "children_low_income") & (gap["area_code"] == "E06000009") \
        & (gap["period"] == "2016")
    gap.loc[hit, ["value", "value_note"]] = [np.nan, "not available ('NA' in the source)"]
    sp = causes.real_spine_data(gap, authorities)
    row = sp[(sp["la_name"] == "Blackpool") & (sp["indicator_key"] == "children_low_income")]
    assert row["value"].isna().all() and row["position"].isna().all()
    assert "no value published" in _texts(causes.real_spine_chart(sp, "Blackpool"))
    assert "No value published for Children in low-income families" in \
        causes.real_spine_sentence(sp, "Blackpool")
    # the distribution is unchanged in size but for the one authority
    assert causes.england_distribution(gap).iloc[0]["n_areas"] == 325
