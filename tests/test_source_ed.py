"""TIIG-style ED attendances: validator, Box 1 by construction, injected effects."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import ed
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.synthetic import ed as ed_twin

FILE = "ed_assault_attendances.csv"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def synth(tmp_path_factory, area):
    out = tmp_path_factory.mktemp("ed")
    truth = ed_twin.synthesize(out, area)
    res = ed.load_ed(out / FILE, area)[0]
    return out / FILE, truth, res


def test_registry_marks_person_level():
    spec = sources()["ed"]
    assert spec.person_level is True
    assert spec.processed_name == "ed_attendances" and spec.raw_dir == "ed"


def test_synthetic_is_deterministic(tmp_path, area, synth):
    path, _, _ = synth
    ed_twin.synthesize(tmp_path, area)
    assert hashlib.sha256(path.read_bytes()).digest() == \
        hashlib.sha256((tmp_path / FILE).read_bytes()).digest()


def test_synthetic_loads_clean_in_schema_order(synth, area):
    path, truth, res = synth
    assert path.read_text().splitlines()[0] == ",".join(ed.HEADER)
    assert res.rejected.empty and res.rows_in == len(res.kept)
    res.check_accounting()
    k = res.kept
    assert list(k.columns) == list(ed.SCHEMA)
    assert k["arrival_month"].min() == pd.Timestamp(area.synthetic_start + "-01")
    assert k["arrival_month"].max() == pd.Timestamp(area.synthetic_end + "-01")
    assert k["arrival_datetime"].is_monotonic_increasing
    assert k["attendance_id"].is_unique
    # codes kept as strings with their leading zeros
    assert set(k["incident_location_type"].dropna()) <= {"01", "02", "03", "04", "05", "06",
                                                         "09"}
    assert k["arrival_mode"].dropna().str.len().eq(16).all()
    assert set(k["ed_site"]) == set(ed.ed_sites(area)["site_code"])
    file_rec = next(t for t in truth if t["kind"] == "file")
    assert file_rec["rows"] == len(k)


def test_box1_exact_by_construction(synth):
    _, truth, res = synth
    prof = ed.box1_profile(res.kept, "RXL01", "2020-06").set_index("measure")["value"]
    assert prof["attendances"] == 32
    assert prof["percent_male"] == 65.6 and prof["percent_female"] == 34.4
    assert prof["percent_aged_18_30"] == 46.9
    assert prof["percent_head_injury"] == 31.3
    assert prof["main_presenting_complaint"] == "head_injury"
    assert prof["percent_ambulance"] == 37.5
    assert prof["percent_night"] == 40.6
    assert prof["busiest_weekday"] == "Monday"
    assert (prof["alcohol_involved"], prof["drugs_involved"], prof["alcohol_and_drugs"]) == \
        (7, 7, 3)
    cal = next(t for t in truth if t["kind"] == "calibration" and t.get("by_construction"))
    assert cal["site"] == "RXL01" and cal["month"] == "2020-06"
    d = res.kept[(res.kept["ed_site"] == "RXL01")
                 & (res.kept["arrival_month"] == "2020-06-01")]
    assert (d["referral_group"] == "navigator").sum() == 29


def test_box1_month_is_not_an_outlier(synth):
    _, truth, _ = synth
    gen = next(t for t in truth if t["kind"] == "generator")
    assert gen["expected_counts"]["RXL01"]["2020-06"] == pytest.approx(32, abs=0.01)


def test_calibrated_to_tiig_volume_and_alcohol(synth, area):
    _, _, res = synth
    k = res.kept
    pre = k[(k["arrival_month"] < "2020-01-01") & k["resident_in_area"]]
    per_month = pre.groupby("arrival_month").size()
    assert 360 < per_month.mean() < 460
    rec = k[k["alcohol_involved"] != "U"]
    assert (rec["alcohol_involved"] == "Y").mean() == pytest.approx(0.44, abs=0.02)
    assert (k["sex"] == "1").mean() == pytest.approx(0.656, abs=0.02)
    assert (~k["resident_in_area"]).any()


def test_lockdown_dip_and_seasonality(synth):
    _, _, res = synth
    tot = res.kept.groupby("arrival_month").size()
    assert tot[pd.Timestamp("2020-04-01")] < 0.8 * tot[pd.Timestamp("2019-04-01")]
    by_month = tot[tot.index < "2020-01-01"].groupby(tot.index[tot.index < "2020-01-01"].month)
    m = by_month.mean()
    assert m[7] > m[1]  # summer peak


def test_injected_level_effect_is_recovered(synth):
    _, truth, res = synth
    eff = next(t for t in truth if t["kind"] == "injected_effect" and t["effect_type"] == "level")
    gen = next(t for t in truth if t["kind"] == "generator")
    assert eff["site"] == "RXL01" and eff["rate_ratio"] == 0.9
    mc = ed.monthly_counts(res.kept)
    s = mc[mc["ed_site"] == "RXL01"].set_index("month")["attendances"]
    expected = pd.Series(gen["expected_counts"]["RXL01"])
    expected.index = pd.to_datetime(expected.index + "-01")
    after = (s.index >= pd.Timestamp(eff["start"] + "-01")).astype(float)
    base = expected.reindex(s.index) / np.where(after == 1, eff["rate_ratio"], 1.0)
    keep = s.index != pd.Timestamp("2020-06-01")  # the Box 1 cell is fixed, not drawn
    fit = sm.GLM(s[keep].to_numpy(), np.ones((keep.sum(), 1)) * after[keep][:, None],
                 family=sm.families.Poisson(), offset=np.log(base[keep].to_numpy())).fit()
    rr = math.exp(fit.params[0])
    lo, hi = np.exp(fit.conf_int()[0])
    assert lo < eff["rate_ratio"] < hi
    assert rr == pytest.approx(0.9, abs=0.07)


def test_injected_repeat_effect(synth):
    _, truth, res = synth
    eff = next(t for t in truth if t["kind"] == "injected_effect"
               and t["effect_type"] == "proportion")
    k = res.kept.copy()
    k["repeat"] = ed.flag_repeats(k)
    site = k[k["ed_site"] == eff["site"]]
    go = pd.Timestamp(eff["start"] + "-01")
    before = site.loc[site["arrival_datetime"] < go, "repeat"].mean()
    after = site.loc[site["arrival_datetime"] >= go, "repeat"].mean()
    assert before == pytest.approx(eff["before"], abs=0.025)
    assert after == pytest.approx(eff["after"], abs=0.025)
    other = k[k["ed_site"] != eff["site"]]["repeat"].mean()
    assert other == pytest.approx(0.15, abs=0.02)


def test_repeat_patients_are_consistent(synth):
    _, _, res = synth
    k = res.kept.dropna(subset=["age"])
    assert k.drop_duplicates(["patient_pseudo_id", "sex"])["patient_pseudo_id"].is_unique
    first = k.groupby("patient_pseudo_id")["arrival_datetime"].transform("min")
    implied_birth_year = k["age"].astype(float) - (k["arrival_datetime"] - first).dt.days / 365.25
    g = implied_birth_year.groupby(k["patient_pseudo_id"])
    spread = g.max() - g.min()
    assert (spread <= 1.01).all()
    assert (k.groupby("patient_pseudo_id").size() > 1).any()


def test_flag_repeats_small():
    k = pd.DataFrame({
        "patient_pseudo_id": ["a", "a", "a", "b", None],
        "ed_site": ["S", "S", "T", "S", "S"],
        "arrival_datetime": pd.to_datetime(["2020-01-01", "2020-06-01", "2020-07-01",
                                            "2020-01-01", "2020-02-01"]),
    })
    assert ed.flag_repeats(k).tolist() == [False, True, False, False, False]
    assert ed.flag_repeats(k, same_site=False).tolist() == [False, True, True, False, False]
    k2 = k.assign(arrival_datetime=pd.to_datetime(["2020-01-01", "2021-06-01", "2021-07-01",
                                                   "2020-01-01", "2020-02-01"]))
    assert ed.flag_repeats(k2).tolist() == [False, False, False, False, False]


def test_monthly_counts_zero_filled():
    k = pd.DataFrame({"arrival_month": pd.to_datetime(["2020-01-01", "2020-03-01"]),
                      "ed_site": ["S", "S"]})
    mc = ed.monthly_counts(k)
    assert mc["attendances"].tolist() == [1, 0, 1]


def test_validator_accepts_uk_dates_and_blank_age(tmp_path, area):
    rows = [
        "A1,P1,RXL01,2020-01-05 23:10,25,1,E01012680,E06000009,1048031000000100,82271004,"
        "312608009,2020-01-05 22:40,03,01,Y,N,04,01",
        "A2,P2,RXL01,06/01/2020 01:15,,2,,E08000012,1048081000000101,125596004,125667009,,"
        "02,09,U,U,00,01",
    ]
    p = tmp_path / "e.csv"
    p.write_text(",".join(ed.HEADER) + "\n" + "\n".join(rows) + "\n")
    res = ed.load_ed(p, area)[0]
    assert res.rejected.empty
    k = res.kept.set_index("attendance_id")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-01-06 01:15")
    assert pd.isna(k.loc["A2", "age"]) and pd.isna(k.loc["A2", "age_band"])
    assert k.loc["A1", "is_night"] and k.loc["A2", "is_night"]
    assert not k.loc["A2", "resident_in_area"]
    assert any("DD/MM/YYYY" in n for n in res.notes)


def test_sniff(synth):
    path, _, _ = synth
    first = path.read_text().splitlines()[0]
    assert ed.sniff(first)
    assert not ed.sniff("Indicator ID,Indicator Name")


def test_leicestershire_twin_has_no_navigator(tmp_path):
    area = load_area("leicestershire")
    truth = ed_twin.synthesize(tmp_path, area)
    assert not [t for t in truth if t["kind"] == "injected_effect"]
    res = ed.load_ed(tmp_path / FILE, area)[0]
    assert res.rejected.empty and set(res.kept["ed_site"]) == {"RWEAA"}
