"""Outcomes framework file and the framework-wide ITS evaluation."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from lvrn_analysis.config.outcomes import FrameworkError, load_framework, parse_framework
from lvrn_analysis.its import evaluate_framework

LANCS = {
    "E06000008": "Blackburn with Darwen", "E06000009": "Blackpool", "E07000117": "Burnley",
    "E07000118": "Chorley", "E07000119": "Fylde", "E07000120": "Hyndburn",
    "E07000121": "Lancaster", "E07000122": "Pendle", "E07000123": "Preston",
    "E07000124": "Ribble Valley", "E07000125": "Rossendale", "E07000126": "South Ribble",
    "E07000127": "West Lancashire", "E07000128": "Wyre",
}


@pytest.fixture(scope="module")
def fw():
    return load_framework()


def test_shipped_framework(fw):
    assert fw.status == "proposal"
    assert fw.areas == LANCS
    assert {"home_office_vru_guidance", "lvrn_evaluation_2021"} <= set(fw.citations)
    ids = {i.id for i in fw.indicators}
    assert {"knife_assault_admissions", "knife_serious_violence", "non_domestic_homicide",
            "violence_sexual_offences", "domestic_abuse_crimes", "ed_repeat_assault_attendance",
            "divert_custody_reentry"} <= ids
    vso = fw.indicator("violence_sexual_offences")
    assert vso.source == "police_street"
    assert vso.series["filter"] == {"crime_type": "Violence and sexual offences"}
    assert vso.series_name == "police_street[crime_type=Violence and sexual offences]"
    assert vso.lower_is_better and vso.intervention_start == pd.Timestamp("2019-10-01")
    assert len(vso.areas) == 14
    assert all(i.citations for i in fw.indicators)
    overview = fw.to_frame()
    assert len(overview) == len(fw.indicators)


def _raw():
    from lvrn_analysis._resources import reference_file

    text = reference_file("outcomes_framework_lancashire.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@pytest.mark.parametrize(("edit", "key", "message"), [
    (lambda d: d["outcomes"][0]["indicators"][1].__setitem__("polarity", "down"),
     r"outcomes\[0\]\.indicators\[1\]\.polarity", "lower is better"),
    (lambda d: d["outcomes"][1]["indicators"][0].__setitem__("source", "twitter"),
     r"outcomes\[1\]\.indicators\[0\]\.source", "unknown source"),
    (lambda d: d["outcomes"][0]["indicators"][0].__setitem__("intervention_start", "Oct 2019"),
     r"intervention_start", "ISO date"),
    (lambda d: d["outcomes"][0]["indicators"][0].__setitem__("areas", ["E07000999"]),
     r"outcomes\[0\]\.indicators\[0\]\.areas", "not listed"),
    (lambda d: d["outcomes"][0]["indicators"][0].__setitem__("comparison_areas", ["X1"]),
     r"comparison_areas\[0\]", "ONS area code"),
    (lambda d: d["outcomes"][0]["indicators"][1].__setitem__("id", "knife_assault_admissions"),
     r"outcomes\[0\]\.indicators\[1\]\.id", "duplicate"),
    (lambda d: d["framework"].__setitem__("status", "final"), r"framework\.status", "proposal"),
    (lambda d: d["outcomes"][0].__setitem__("citations", ["nobody_2020"]),
     r"outcomes\[0\]\.citations", "unknown citation"),
    (lambda d: d.pop("sources"), "sources", "required"),
])
def test_validation_errors_name_file_and_key(tmp_path, edit, key, message):
    data = copy.deepcopy(_raw())
    edit(data)
    path = tmp_path / "bad_framework.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(FrameworkError, match="bad_framework.yml") as exc:
        load_framework(path)
    assert re.search(key, str(exc.value)), str(exc.value)
    assert message in str(exc.value)


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("framework: [unclosed\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="broken.yml: not valid YAML"):
        load_framework(path)


def _series(indicator: str, area: str, rr: float, seed: int, *, start: str = "2016-10-01",
            go_live: str = "2019-10-01", n: int = 60, base: float = 400.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n, freq="MS")
    season = np.exp(0.1 * np.cos(2 * np.pi * (dates.month - 7) / 12))
    effect = np.where(dates >= pd.Timestamp(go_live), rr, 1.0)
    lam = base * season * effect * rng.gamma(1 / 0.005, 0.005, n)
    return pd.DataFrame({"indicator_id": indicator, "area_code": area, "date": dates,
                         "count": rng.poisson(lam), "population": 140_000.0})


def test_evaluate_framework_finds_injected_change(fw):
    series = pd.concat([
        _series("violence_sexual_offences", "E07000123", 0.75, 1),   # Preston: 25 % fall
        _series("violence_sexual_offences", "E06000009", 1.00, 2),   # Blackpool: no change
        _series("knife_serious_violence", "E07000117", 1.35, 3, base=60),  # Burnley: rise
    ], ignore_index=True)
    out = evaluate_framework(fw, series)
    assert len(out) == sum(len(i.areas) for i in fw.indicators)
    row = out.set_index(["indicator_id", "area_code"])
    pre = row.loc[("violence_sexual_offences", "E07000123")]
    assert pre["verdict"] == "improved"
    assert pre["rate_ratio"] == pytest.approx(0.75, abs=0.06)
    assert pre["ci_high"] < 1
    bpl = row.loc[("violence_sexual_offences", "E06000009")]
    assert bpl["verdict"].startswith("no detectable change (MDE ")
    assert 0 < bpl["mde"] < 0.3
    assert row.loc[("knife_serious_violence", "E07000117"), "verdict"] == "worsened"
    missing = row.loc[("domestic_abuse_crimes", "E07000123")]
    assert missing["status"] == "not evaluated: no data"
    assert missing["verdict"] == "not evaluated: no data"
    assert (out["status"] == "evaluated").sum() == 3
    flags = [c for c in out.columns if c.startswith("flag_")]
    assert flags == ["flag_overdispersion", "flag_autocorrelation", "flag_short_series",
                     "flag_convergence"]
    assert not bool(pre["flag_convergence"])


def test_polarity_higher_is_better_and_bad_series():
    raw = _raw()
    raw["outcomes"] = [{
        "id": "more_engagement", "name": "More young people engaged",
        "indicators": [{
            "id": "engagements", "name": "Engagements", "source": "custody_divert",
            "series": {"filter": {"cohort": "DIVERT"}}, "polarity": "higher is better",
            "areas": ["E07000123", "E07000121"]}]}]
    fw = parse_framework(raw, path="inline")
    ok = _series("engagements", "E07000123", 1.4, 5, base=80)
    gap = _series("engagements", "E07000121", 1.0, 6).drop(index=[20])
    out = evaluate_framework(fw, pd.concat([ok, gap]))
    v = out.set_index("area_code")["verdict"]
    assert v["E07000123"] == "improved"
    assert v["E07000121"].startswith("not evaluated: ") and "missing period" in v["E07000121"]


def test_evaluate_framework_needs_columns(fw):
    with pytest.raises(ValueError, match="lacks column"):
        evaluate_framework(fw, pd.DataFrame({"indicator_id": [], "date": []}))


def test_holm_adjustment_controls_the_verdict(fw):
    # 14 authorities, no change anywhere except a weak 6 % fall in one: the unadjusted
    # verdicts may flag it (or a chance authority); the adjusted verdict needs p_holm < 0.05
    codes = [a for a in fw.indicators[0].areas][:14]
    parts = [_series("violence_sexual_offences", c, 1.0, 100 + i) for i, c in enumerate(codes)]
    series = pd.concat(parts, ignore_index=True)
    adj = evaluate_framework(fw, series)
    raw = evaluate_framework(fw, series, adjust=None)
    ev = adj["status"] == "evaluated"
    assert ev.sum() == len(codes)
    assert (adj.loc[ev, "p_adjusted"] >= adj.loc[ev, "p_value"] - 1e-12).all()
    assert (raw.loc[ev, "p_adjusted"] == raw.loc[ev, "p_value"]).all()
    assert (raw["verdict"] == raw["verdict_unadjusted"]).all()
    called = adj["verdict"].isin(["improved", "worsened"])
    assert (adj.loc[called, "p_adjusted"] < 0.05).all()
    lost = adj["verdict_unadjusted"].isin(["improved", "worsened"]) & ~called
    assert adj.loc[lost, "verdict"].str.contains("after holm").all()
    # the adjusted verdict never calls more changes than the unadjusted one
    assert called.sum() <= raw["verdict"].isin(["improved", "worsened"]).sum()
