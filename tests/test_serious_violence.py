"""The LVRN serious-violence definition across sources."""

from __future__ import annotations

import pandas as pd
import pytest

from lvrn_analysis.sources import crime_tables, ed
from lvrn_analysis.story import serious_violence as sv

POLICE_TYPES = [
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences",
]


def test_coverage_table_complete():
    cov = sv.coverage()
    assert len(cov) == len(sv.SOURCES) * len(sv.COMPONENTS) == 45
    assert not cov.duplicated(["source", "component"]).any()
    assert set(cov["coverage"]) <= set(sv.COVERAGE_LEVELS)
    assert cov["reason"].str.len().gt(15).all()
    m = sv.coverage_matrix()
    assert m.shape == (9, 5) and not m.isna().any().any()


@pytest.mark.parametrize("source, component, level", [
    ("police_street", "robbery", "yes"),
    ("police_street", "rape", "partly"),
    ("police_street", "domestic_abuse", "no"),
    ("csp_crime", "homicide", "yes"),
    ("csp_crime", "knife_crime", "partly"),
    ("csp_crime", "domestic_abuse", "no"),
    ("ed", "assault_with_injury", "yes"),
    ("ed", "knife_crime", "partly"),
    ("fingertips", "assault_with_injury", "partly"),
    ("programmes", "child_exploitation", "partly"),
])
def test_selected_judgements(source, component, level):
    cov = sv.coverage().set_index(["source", "component"])["coverage"]
    assert cov[(source, component)] == level


def test_classify_csp_offence_brief_codes():
    want = {"1": "homicide", "4.1": "homicide", "4.2": "homicide", "4.10": "homicide",
            "2": "assault_with_injury", "5D": "assault_with_injury", "8N": "assault_with_injury",
            "8P": "assault_with_injury", "8S": "assault_with_injury", "5E": "assault_with_injury",
            "19C": "rape", "19H": "rape", "34A": "robbery", "34B": "robbery",
            "29": "aggravated_burglary", "31A": "aggravated_burglary",
            "10D": "knife_crime", "90": "knife_crime", "10A": "gun_crime", "81": "gun_crime"}
    out = sv.classify_csp_offence(pd.Series(list(want), index=range(10, 10 + len(want))))
    assert list(out.index) == list(range(10, 10 + len(want)))
    for r in out.itertuples():
        assert bool(getattr(r, f"sv_{want[r.offence_code]}"))
        assert bool(r.sv_any)
    other = sv.classify_csp_offence(["46", "105A", "10C", " 8n "])
    assert other["sv_any"].tolist() == [False, False, False, True]
    assert other["sv_category"].iloc[2] == "weapons"  # in the brief's weapons group
    assert other[[f"sv_{c}" for c in sv.COMPONENTS]].notna().all().all()


def test_classify_police_street():
    out = sv.classify_police_street(pd.Series(POLICE_TYPES))
    by = out.set_index("crime_type")
    assert by.loc["Robbery", "match"] == "exact" and bool(by.loc["Robbery", "sv_robbery"])
    assert pd.isna(by.loc["Violence and sexual offences", "sv_rape"])
    assert pd.isna(by.loc["Violence and sexual offences", "sv_any"])
    assert not by.loc["Violence and sexual offences", "sv_robbery"]
    assert pd.isna(by.loc["Possession of weapons", "sv_knife_crime"])
    assert not by.loc["Shoplifting", "sv_any"] and by.loc["Shoplifting", "match"] == "none"
    assert by.loc["Burglary", "match"] == "broader"


def test_classify_ed():
    out = sv.classify_ed(["03", "04", "01", "09", ""], ["01", "02", "01", "01", "02"],
                         ["306689006", "306706006", "305398007", "306689006", "19712007"])
    assert out["sv_assault_with_injury"].all()
    assert out["sv_knife_crime"].tolist()[:3] == [True, False, False]
    assert out["sv_knife_crime"].iloc[3:].isna().all()
    assert bool(out["sv_gun_crime"].iloc[1])
    assert bool(out["sv_homicide"].iloc[2]) and pd.isna(out["sv_homicide"].iloc[1])
    assert out["sv_homicide"].iloc[0] is False or not out["sv_homicide"].iloc[0]
    assert pd.isna(out["sv_homicide"].iloc[4])  # transferred: outcome unknown
    assert out["possible_domestic"].tolist() == [True, False, True, True, False]
    assert out["sv_domestic_abuse"].isna().all()
    assert out["sv_any"].all()


def test_classifiers_agree_with_the_coverage_table():
    """Where coverage is 'no', a classifier never says a record counts."""
    cov = sv.coverage().set_index(["source", "component"])["coverage"]
    codes = crime_tables.offence_codes()["offence_code"]
    grid = pd.MultiIndex.from_product([ed.code_list("means_of_assault")["code"],
                                       ed.code_list("incident_location_type")["code"],
                                       ed.code_list("discharge")["code"]],
                                      names=["moa", "loc", "dis"]).to_frame(index=False)
    cases = {
        "police_street": sv.classify_police_street(POLICE_TYPES),
        "csp_crime": sv.classify_csp_offence(codes),
        "ed": sv.classify_ed(grid["moa"], grid["loc"], grid["dis"]),
    }
    for source, out in cases.items():
        for comp in sv.COMPONENTS:
            counts = out[f"sv_{comp}"].eq(True).fillna(False).any()
            if cov[(source, comp)] == "no":
                assert not counts, (source, comp)
            if cov[(source, comp)] == "yes":
                assert counts, (source, comp)


def test_to_long():
    long = sv.to_long(sv.classify_police_street(["Robbery", "Drugs"]))
    assert len(long) == 18
    assert set(long["status"]) == {"counts", "does_not_count"}
    assert long["component"].tolist()[:9] == list(sv.COMPONENTS)
    long2 = sv.to_long(sv.classify_police_street(["Violence and sexual offences"]))
    assert (long2["status"] == "cannot_tell").sum() == 7


def test_definition():
    d = sv.definition()
    assert d["component"].tolist() == list(sv.COMPONENTS)
    assert len(d) == 9
