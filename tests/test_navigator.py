"""ED Navigator contacts: the scheme's caseload (source, synthetic twin, Box 1).

Box 1 of the LVRN evaluation report (§5.2) is one month of the ED Navigator
scheme's caseload (10-39-year-olds after violence, self-harm or overdose), not
the ED's assault attendances. The published figures are read here straight from
the shipped, cited ``programme_monitoring.csv``, not from the generator.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import navigator as nv
from lvrn_analysis.sources import registry
from lvrn_analysis.synthetic import navigator as twin
from lvrn_analysis.synthetic.twins import twin as twin_of

FILE = "navigator_contacts.csv"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def synth(tmp_path_factory, area):
    out = tmp_path_factory.mktemp("navigator")
    truth = twin.synthesize(out, area)
    res = nv.load_navigator(out / FILE, area)[0]
    return out / FILE, truth, res


@pytest.fixture(scope="module")
def box1_published() -> dict[str, dict[str, str]]:
    """Box 1 rows of the shipped programme-monitoring table, read as plain CSV."""
    with reference_file("programmes/programme_monitoring.csv").open("r", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["programme_id"] == "ed_navigators" and r["period_label"] == "June 2020"]
    return {r["measure"]: r for r in rows}


# ------------------------------------------------------------------- registration


def test_registered_person_level_with_a_twin():
    spec = registry.sources()["navigator"]
    assert spec.person_level is True
    assert spec.processed_name == "navigator_contacts" and spec.raw_dir == "navigator"
    assert twin_of("navigator") is twin.synthesize
    assert registry.detect(",".join(nv.HEADER)).name == "navigator"
    # the ED assault layout is not mistaken for it, nor it for the ED layout
    from lvrn_analysis.sources import ed
    assert registry.detect(",".join(ed.HEADER)).name == "ed"


# ------------------------------------------------------------------------- Box 1


def test_box1_reproduced_from_the_navigator_table(synth, box1_published):
    _, truth, res = synth
    assert len(box1_published) == 12
    prof = nv.box1_profile(res.kept, "RXL01", "2020-06").set_index("measure")
    for measure, row in box1_published.items():
        got = prof.loc[measure, "value"]
        if row["unit"] == "text":
            assert got == row["value_text"], measure
        else:
            assert float(got) == pytest.approx(float(row["value"]), abs=1e-9), measure
        if row["denominator"]:
            assert prof.loc[measure, "denominator"] == int(float(row["denominator"]))
    assert prof.loc["main_presenting_complaint", "value"] == "head_injury"
    n = int(prof.loc["attendances", "numerator"])
    assert sum(int(prof.loc[f"reason_{r}", "numerator"]) for r in nv.REASONS) == n
    cal = next(t for t in truth if t["kind"] == "calibration" and t.get("by_construction"))
    assert (cal["site"], cal["month"]) == ("RXL01", "2020-06")
    # 32 is plausible under the model, not an outlier forced into it
    exp = cal["expected_count_under_model"]
    assert abs(32 - exp) < 3 * math.sqrt(exp)
    # the three without contact went to the safeguarding team, an IDVA and the FCWA
    k = res.kept
    june = k[(k["ed_site"] == "RXL01") & (k["attendance_month"] == "2020-06-01")]
    assert sorted(june.loc[~june["contact_attempted"], "onward_referral"]) == \
        ["fcwa", "idva", "safeguarding"]


def test_box1_quotas_refuse_a_percentage_that_is_no_whole_count():
    fig = {"attendances": 32, "percent_male": 65.0, "percent_female": 34.4,
           "percent_aged_18_30": 46.9, "percent_head_injury": 31.3,
           "percent_ambulance": 37.5, "percent_night": 40.6, "contact_attempted": 29,
           "influencing_factor_alcohol": 7, "influencing_factor_drugs": 7,
           "influencing_factor_both": 3}
    with pytest.raises(ValueError, match="percent_male"):
        twin.box1_quotas(fig)
    fig["percent_male"] = 65.6
    q = twin.box1_quotas(fig)
    assert (q["male"], q["female"], q["aged_18_30"], q["head_injury"], q["ambulance"],
            q["night"]) == (21, 11, 15, 10, 12, 13)


# ------------------------------------------------------------- what the table holds


def test_ages_reasons_and_codes_are_the_schemes(synth, area):
    path, truth, res = synth
    k = res.kept
    assert path.read_text().splitlines()[0] == ",".join(nv.HEADER)
    assert list(k.columns) == list(nv.SCHEMA)
    assert k["age"].between(10, 39).all()
    assert set(k["referral_reason"]) == {"violence", "self_harm", "overdose"}
    assert set(k["contact"]) <= set(nv.CONTACTS)
    assert k["contact_attempted"].eq(k["contact"] != "none").all()
    assert set(k["ed_site"]) == {"RXL01"}
    assert k["attendance_month"].min() == pd.Timestamp("2020-04-01")
    assert k["attendance_month"].max() == pd.Timestamp(area.synthetic_end + "-01")
    assert k["contact_id"].is_unique and k["attendance_datetime"].is_monotonic_increasing
    # a person seen again keeps their sex and grows older, never younger
    rep = k.groupby("patient_pseudo_id").agg(n=("sex", "size"), sexes=("sex", "nunique"),
                                             lo=("age", "min"), hi=("age", "max"))
    assert (rep["n"] > 1).any() and (rep["sexes"] == 1).all() and (rep["hi"] - rep["lo"] <= 2).all()
    assert next(t for t in truth if t["kind"] == "file")["rows"] == len(k)


def test_calibrated_to_the_reports_416_contacts(synth):
    _, truth, res = synth
    gen = next(t for t in truth if t["kind"] == "generator")
    cal = next(t for t in truth if t.get("contacts_2020_21"))
    year = {m: v for m, v in gen["expected_counts"]["RXL01"].items() if "2020-04" <= m <= "2021-03"}
    assert sum(year.values()) * cal["p_contact"] == pytest.approx(416, abs=0.01)
    k = res.kept
    in_year = k["attendance_month"].between("2020-04-01", "2021-03-01")
    got = k.loc[in_year, "contact_attempted"].sum()
    assert abs(got - 416) < 4 * math.sqrt(416)


def test_synthetic_is_deterministic(tmp_path, area, synth):
    path, _, _ = synth
    twin.synthesize(tmp_path, area)
    assert hashlib.sha256(path.read_bytes()).digest() == \
        hashlib.sha256((tmp_path / FILE).read_bytes()).digest()


def test_area_without_a_navigator_site_writes_nothing(tmp_path):
    truth = twin.synthesize(tmp_path, load_area("leicestershire"))
    assert [t["kind"] for t in truth] == ["skipped"]
    assert not (tmp_path / FILE).exists()


# ------------------------------------------------------------- quarantine and accounting


GOOD = "C1,P1,RXL01,2020-06-01 23:10,17,1,violence,head_injury,ambulance,Y,N,face_to_face,none"


def test_bad_rows_are_quarantined_with_reasons(tmp_path, area):
    bad = {
        "C2,P2,XXX99,2020-06-02 10:00,20,2,violence,head_injury,ambulance,N,N,telephone,none":
            "unknown_ed_site",
        "C3,P3,RWEAA,2020-06-02 10:00,20,2,violence,head_injury,ambulance,N,N,telephone,none":
            "site_outside_area",
        "C4,P4,RXL01,2020-02-30 10:00,20,2,violence,head_injury,ambulance,N,N,telephone,none":
            "bad_datetime",
        "C5,P5,RXL01,1999-06-02 10:00,20,2,violence,head_injury,ambulance,N,N,telephone,none":
            "implausible_date",
        "C6,P6,RXL01,2020-06-02 10:00,,2,violence,head_injury,ambulance,N,N,telephone,none":
            "bad_age",
        "C7,P7,RXL01,2020-06-02 10:00,9,2,violence,head_injury,ambulance,N,N,telephone,none":
            "age_outside_scheme",
        "C8,P8,RXL01,2020-06-02 10:00,40,2,violence,head_injury,ambulance,N,N,telephone,none":
            "age_outside_scheme",
        "C9,P9,RXL01,2020-06-02 10:00,20,2,fall,head_injury,ambulance,N,N,telephone,none":
            "unknown_reason",
        "C10,P10,RXL01,2020-06-02 10:00,20,2,overdose,poisoning,ambulance,N,N,letter,none":
            "unknown_code",
        GOOD: "duplicate_row",
        "C1,P11,RXL01,2020-06-03 10:00,25,2,self-harm,self_harm_wound,own_transport,N,Y,"
        "telephone,idva": "duplicate_contact_id",
    }
    ok = ["C12,P12,RXL01,03/06/2020 01:30,39,2,Self harm,,,,,none,safeguarding",
          "C13,P13,RXL01,2020-06-04 12:00,10,X,OVERDOSE,poisoning,police,U,Y,telephone,"
          "mental_health"]
    p = tmp_path / "nav.csv"
    p.write_text(",".join(nv.HEADER) + "\n" + "\n".join([GOOD, *bad, *ok]) + "\n")
    res = nv.load_navigator(p, area)[0]
    res.check_accounting()
    assert res.rows_in == 1 + len(bad) + len(ok) == len(res.kept) + len(res.rejected)
    got = dict(zip(res.rejected["row"], res.rejected["reason"], strict=True))
    assert [got[i + 2] for i in range(len(bad))] == list(bad.values())
    assert res.rejected["detail"].str.contains("column|row repeats").all()
    k = res.kept.set_index("contact_id")
    assert list(k.index) == ["C1", "C12", "C13"]
    assert k.loc["C12", "referral_reason"] == "self_harm"
    assert k.loc["C13", "referral_reason"] == "overdose"
    assert k.loc["C12", "arrival_mode"] == "unknown" and k.loc["C12", "alcohol_factor"] == "U"
    assert k.loc["C12", "is_night"] and not k.loc["C12", "contact_attempted"]
    assert k.loc["C12", "attendance_datetime"] == pd.Timestamp("2020-06-03 01:30")


def test_build_writes_the_table_with_row_accounting(tmp_path, area):
    from lvrn_analysis.processed.build import BuildReport, _build_generic

    report = BuildReport()
    out = tmp_path / "processed"
    _build_generic(registry.sources()["navigator"], area, tmp_path / "raw", out,
                   tmp_path / "synthetic", report, True, False)
    assert report.origins == {"navigator_contacts": "synthetic"}
    (rec,) = report.inputs
    assert rec["rows_in"] == rec["rows_kept"] + rec["rows_rejected"] and rec["rows_rejected"] == 0
    t = pd.read_parquet(out / "navigator_contacts.parquet")
    assert len(t) == rec["rows_kept"] and set(t["origin"]) == {"synthetic"}
    assert {g["source"] for g in report.ground_truth} == {"navigator"}
    # a dropped-in real file wins over the twin
    raw = tmp_path / "raw" / "navigator"
    raw.mkdir(parents=True)
    (raw / "june.csv").write_text(",".join(nv.HEADER) + "\n" + GOOD + "\n")
    report = BuildReport()
    _build_generic(registry.sources()["navigator"], area, tmp_path / "raw", out,
                   tmp_path / "synthetic", report, True, False)
    assert report.origins == {"navigator_contacts": "real"}
    assert len(pd.read_parquet(out / "navigator_contacts.parquet")) == 1


def test_empty_processed_table_keeps_the_schema(area):
    t = nv.processed_table([], area)
    assert list(t.columns) == list(nv.SCHEMA) and t.empty
    assert Path(nv.__file__).name == "navigator.py"
