"""Programme monitoring: the cited table of DESIGN.md §7 figures, checked against the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import programmes as pg
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.synthetic.twins import twin

REPORT = Path(__file__).resolve().parents[2] / "shared" / "context" / \
    "lvrn-evaluation-final-report-2021.txt"

#: Every figure of DESIGN.md §7: (programme_id, measure, breakdown or None) -> value.
DESIGN_FIGURES = {
    ("ed_navigators", "contacts_children_young_people", None): 416,
    ("ed_navigators", "engaged_with_repeat_ed_attendance", None): 4,
    ("ed_navigators", "eligible_age_min", None): 10,
    ("ed_navigators", "eligible_age_max", None): 39,
    ("ed_navigators", "navigator_hours_per_week", None): 18,
    ("ed_navigators", "attendances", None): 32,
    ("ed_navigators", "percent_male", "sex=male"): 65.6,
    ("ed_navigators", "percent_female", "sex=female"): 34.4,
    ("ed_navigators", "percent_aged_18_30", "age=18-30"): 46.9,
    ("ed_navigators", "percent_head_injury", "presenting_complaint=head injury"): 31.3,
    ("ed_navigators", "percent_ambulance", "arrival=ambulance"): 37.5,
    ("ed_navigators", "percent_night", "arrival=night"): 40.6,
    ("ed_navigators", "contact_attempted", None): 29,
    ("ed_navigators", "influencing_factor_alcohol", "factor=alcohol"): 7,
    ("ed_navigators", "influencing_factor_drugs", "factor=drugs"): 7,
    ("ed_navigators", "influencing_factor_both", "factor=alcohol and drugs"): 3,
    ("divert", "referrals", None): 59,
    ("divert", "information_advice_guidance", None): 81,
    ("divert", "education", None): 3,
    ("divert", "training", None): 2,
    ("divert", "employment", None): 2,
    ("divert", "supported_into_treatment", None): 7,
    ("divert", "supported_into_housing", None): 3,
    ("divert", "supported_into_finance_benefits_advice", None): 4,
    ("divert", "supported_into_community_activities", None): 6,
    ("divert", "positive_outcomes", None): 114,
    ("divert", "custody_suites", None): 4,
    ("empower_the_invisible", "individuals_engaged", None): 53,
    ("empower_the_invisible", "individuals_engaged", "sex=female"): 17,
    ("empower_the_invisible", "individuals_engaged", "sex=female; age=under 18"): 11,
    ("empower_the_invisible", "individuals_engaged", "sex=female; age=18-41"): 6,
    ("empower_the_invisible", "individuals_engaged", "sex=male"): 36,
    ("empower_the_invisible", "individuals_engaged", "sex=male; age=under 18"): 25,
    ("empower_the_invisible", "individuals_engaged", "sex=male; age=18-25"): 11,
    ("empower_the_invisible", "knives_handed_in_or_retrieved", None): 11,
    ("preston_united", "children_engaged", None): 12,
    ("preston_united", "children_engaged", "sex=female"): 3,
    ("preston_united", "children_engaged", "sex=male"): 9,
    ("preston_united", "mentors", "age=20+; sex=male"): 3,
    ("caring_dads", "fathers_supported", None): 26,
    ("epec", "staff_trained", None): 3,
    ("epec", "parents_certified", None): 8,
    ("trauma_informed_training", "staff_trained", "sector=children's social care"): 150,
    ("trauma_informed_training", "staff_trained", "sector=multi-agency"): 100,
    ("prisoners_families", "schools_trained", None): 445,
    ("prisoners_families", "practitioners_trained", None): 105,
    ("prisoners_families", "books_requested", None): 1090,
    ("operation_encompass", "schools_in_scheme", None): 600,
    ("operation_encompass", "compliance_some_schools", "stage=before"): 30,
    ("operation_encompass", "compliance_some_schools", "stage=after"): 80,
    ("blackpool_exploitation", "children_young_people_engaged", None): 40,
    ("engage_team", "children_young_people_engaged", None): 51,
    ("engage_team", "missing_from_home_episodes", None): 58,
    ("youth_commission", "children_young_people_members", None): 25,
    ("needs_assessment", "population", None): 1.5,
    ("needs_assessment", "violent_crime_cost", None): 346.6,
    ("needs_assessment", "knife_crime_share_of_problem_profile", None): 1,
}


@pytest.fixture(scope="module")
def table():
    area = load_area("lancashire")
    res = pg.load_programmes(pg.default_inputs(area)[0], area)[0]
    return res


def test_loads_clean(table):
    table.check_accounting()
    assert table.rejected.empty and table.rows_in == len(table.kept) >= 60
    spec = sources()["programmes"]
    assert twin("programmes") is None and spec.processed_name == "programme_monitoring"
    k = table.kept
    assert list(k.columns) == list(pg.SCHEMA)
    assert k["citation"].str.fullmatch(pg.CITATION_PATTERN).all()
    assert k["period_end"].notna().all()


def test_every_design_figure_is_present(table):
    k = table.kept.copy()
    k["bd"] = k["breakdown"].astype(object).where(k["breakdown"].notna(), None)
    idx = {(r.programme_id, r.measure, r.bd): r.value for r in k.itertuples()}
    for key, value in DESIGN_FIGURES.items():
        assert key in idx, key
        assert idx[key] == pytest.approx(value), key
    box = k[(k["programme_id"] == "ed_navigators") & (k["period_label"] == "June 2020")]
    assert box.loc[box["measure"] == "busiest_weekday", "value_text"].item() == "Monday"


def test_box1_percentages_are_consistent_with_32(table):
    k = table.kept
    pct = k[(k["unit"] == "percent") & k["denominator"].notna()]
    assert len(pct) == 6
    for r in pct.itertuples():
        assert any(abs(round(100 * n / r.denominator + 1e-9, 1) - r.value) < 1e-9
                   for n in range(r.denominator + 1)), r.measure


def test_breakdowns_add_up(table):
    k = table.kept
    e = k[(k["programme_id"] == "empower_the_invisible") & (k["measure"] == "individuals_engaged")]
    v = e.set_index(e["breakdown"].fillna("total"))["value"]
    assert v["sex=female"] + v["sex=male"] == v["total"]
    assert v["sex=female; age=under 18"] + v["sex=female; age=18-41"] == v["sex=female"]
    assert v["sex=male; age=under 18"] + v["sex=male; age=18-25"] == v["sex=male"]


def test_divert_discrepancy_is_documented(table):
    k = table.kept
    d = k[(k["programme_id"] == "divert") & (k["period_label"].str.startswith("Q4"))]
    items = d[~d["measure"].isin(["referrals", "positive_outcomes"])]["value"].sum()
    assert items == 108
    note = d.loc[d["measure"] == "positive_outcomes", "note"].item()
    assert "108" in note and "114" in note


@pytest.mark.skipif(not REPORT.exists(), reason="report text not available (../shared/context)")
def test_figures_match_the_report_text(table):
    chk = pg.check_against_report(table.kept, REPORT.read_text(encoding="utf-8"))
    assert chk["found"].all(), chk[~chk["found"]]
    derived = table.kept["note"].fillna("").str.startswith("derived").to_numpy()
    vals = chk.loc[~derived, "value_in_fragment"]
    assert vals.dropna().all(), chk.loc[~derived][vals.eq(False)]


def test_check_against_report_flags_a_wrong_value(table):
    k = table.kept.head(3).copy()
    k.loc[k.index[0], "value"] = 999
    chk = pg.check_against_report(k, " ".join(k["source_text"].fillna("")))
    assert not chk["value_in_fragment"].iloc[0]


def test_sniff():
    header = pg.default_inputs(load_area("lancashire"))[0].read_text(encoding="utf-8")
    assert pg.sniff(header.splitlines()[0])
    assert not pg.sniff("RECTYPE,LEA,URN")


def test_processed_table_sorted(table):
    out = pg.processed_table([table], load_area("lancashire"))
    assert len(out) == len(table.kept)
    pd.testing.assert_frame_equal(
        out, out.sort_values(["programme_id", "period_end", "measure", "breakdown", "file", "row"],
                             na_position="first", kind="stable").reset_index(drop=True))
