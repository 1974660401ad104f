"""ED attendances (ECDS/ISTV-aligned layout): validator, geography of violence, effects.

The synthetic sites' shares of assault attendances must follow their catchments'
shares of the real police-recorded violence, within `SHARE_TOLERANCE` (absolute,
before the navigator go-live). No site or month is forced to a published figure:
Box 1 of the LVRN report is the ED Navigator caseload (tests/test_navigator.py).
"""

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
#: Largest allowed gap between a site's share of attendances and its catchment's share of
#: violence (about 4 standard errors of the largest site's share over 51 months).
SHARE_TOLERANCE = 0.01


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


def test_no_cell_is_forced_to_box1(synth):
    _, truth, res = synth
    assert not [t for t in truth if t.get("by_construction")]
    gen = next(t for t in truth if t["kind"] == "generator")
    assert "box1" not in " ".join(map(str, gen))
    k = res.kept
    june = k[(k["ed_site"] == "RXL01") & (k["arrival_month"] == "2020-06-01")]
    # a Poisson draw around its expectation, which is no longer pinned at 32
    exp = gen["expected_counts"]["RXL01"]["2020-06"]
    assert exp > 40 and abs(len(june) - exp) < 4 * math.sqrt(exp)


def test_authority_violence_is_the_real_police_share(area):
    v = ed_twin.authority_violence(area).set_index("la_code")
    # data.police.uk, Lancashire, every shipped month: Blackpool holds 17.6 % of the
    # violence and sexual offences placed in an authority
    assert v.loc["E06000009", "share"] == pytest.approx(0.176, abs=0.001)
    assert v["share"].sum() == pytest.approx(1.0)
    assert v["violence"].min() > 0


def test_site_shares_track_catchment_violence(synth, area):
    _, truth, res = synth
    target = ed_twin.catchment_violence(area).set_index("site_code")["violence_share"]
    cal = next(t for t in truth if t.get("fact") == "geography of violence")
    assert "real police-recorded violence" in cal["weighted_by"]
    for site, share in cal["site_share"].items():
        assert share == pytest.approx(target[site], abs=1e-6)
    eff = next(t for t in truth if t["kind"] == "injected_effect")
    got = ed_twin.site_shares(res.kept, before=eff["start"])
    assert set(got.index) == set(target.index)
    gap = (got - target.reindex(got.index)).abs()
    assert gap.max() < SHARE_TOLERANCE, gap
    # Blackpool Victoria and Royal Blackburn now carry their catchments' violence
    assert got["RXL01"] > 0.18 and got["RXR10"] < 0.42


def test_site_weights_fall_back_on_population_without_police(area):
    import dataclasses
    import tempfile
    from pathlib import Path

    bare = dataclasses.replace(area, embedded_police=None)
    with tempfile.TemporaryDirectory() as d:
        truth = ed_twin.synthesize(Path(d), bare)
    cal = next(t for t in truth if t.get("fact") == "geography of violence")
    assert cal["weighted_by"].startswith("population")


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
    fit = sm.GLM(s.to_numpy(), np.ones((len(s), 1)) * after[:, None],
                 family=sm.families.Poisson(), offset=np.log(base.to_numpy())).fit()
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


#: The project's v1 layout (before the ECDS/ISTV alignment), still read through
#: reference/ed/mapping_v1_layout.yml.
V1_HEADER = ("attendance_id,patient_pseudo_id,ed_site,arrival_datetime,age,sex,residence_lsoa,"
             "residence_la,arrival_mode,presenting_complaint,injury,incident_datetime,"
             "incident_location_type,means_of_assault,alcohol_involved,drugs_involved,"
             "referral,discharge")


def test_v1_layout_accepts_uk_dates_and_blank_age_and_recodes(tmp_path, area):
    rows = [
        "A1,P1,RXL01,2020-01-05 23:10,25,1,E01012680,E06000009,1048071000000103,82271004,"
        "312608009,2020-01-05 22:40,03,01,Y,N,04,05",
        "A2,P2,RXL01,06/01/2020 01:15,,2,,E08000012,1048081000000101,125596004,125667009,,"
        "02,09,U,U,00,01",
    ]
    p = tmp_path / "e.csv"
    p.write_text(V1_HEADER + "\n" + "\n".join(rows) + "\n")
    res = ed.load_ed(p, area)[0]
    assert res.rejected.empty
    k = res.kept.set_index("attendance_id")
    assert k.loc["A2", "arrival_datetime"] == pd.Timestamp("2020-01-06 01:15")
    assert pd.isna(k.loc["A2", "age"]) and pd.isna(k.loc["A2", "age_band"])
    assert k.loc["A1", "is_night"] and k.loc["A2", "is_night"]
    assert not k.loc["A2", "resident_in_area"]
    assert any("DD/MM/YYYY" in n for n in res.notes)
    assert any("v1 ED layout" in n for n in res.notes)
    # v1 'police' and 'own transport' identifiers had their meanings swapped: recoded
    assert k.loc["A1", "arrival_mode"] == "1048001000000106"
    assert k.loc["A1", "arrival_mode_group"] == "police"
    assert k.loc["A2", "arrival_mode"] == "1048071000000103"
    assert k.loc["A2", "arrival_mode_group"] == "own_transport"
    # v1 discharge local codes -> ECDS discharge destination codes
    assert k.loc["A1", "discharge"] == "305398007" and k.loc["A1", "discharge_group"] == "died"
    assert k.loc["A2", "discharge_group"] == "discharged"


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
