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
from lvrn_analysis.its.framework import adjust_verdicts, step_levels
from lvrn_analysis.its.results import format_p

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
    assert adj.loc[lost, "verdict"].str.contains("after Holm").all()
    # the adjusted verdict never calls more changes than the unadjusted one
    assert called.sum() <= raw["verdict"].isin(["improved", "worsened"]).sum()


# ------------------------------------------------------------------ verdict rule (issue 14)
def _check_rows_agree(out, alpha):
    """Every evaluated row: verdict <-> interval shown <-> adjusted p, level and slope."""
    ev = out[out["status"] == "evaluated"]
    assert len(ev)
    for prefix, verdict in (("", "verdict"), ("slope_", "slope_verdict")):
        lo = ev[f"{prefix}ci_low_adjusted"].astype(float)
        hi = ev[f"{prefix}ci_high_adjusted"].astype(float)
        if lo.isna().all():
            continue
        lib = ev["polarity"] == "lower is better"
        good = np.where(lib, hi < 1, lo > 1)
        bad = np.where(lib, lo > 1, hi < 1)
        v = ev[verdict]
        assert ((v == "improved") == good).all()
        assert ((v == "worsened") == bad).all()
        assert (v.str.startswith("no detectable change") == ~(good | bad)).all()
        assert ((ev[f"{prefix}p_adjusted"] < alpha) == (good | bad)).all()
        # the adjusted interval contains the unadjusted one
        if prefix == "":
            assert (lo <= ev["ci_low"] + 1e-12).all() and (hi >= ev["ci_high"] - 1e-12).all()
            unadj = (ev["ci_low"] > 1) | (ev["ci_high"] < 1)
            after = unadj & ~(good | bad)
            assert v[after].str.contains("after ").all()


@pytest.mark.parametrize("adjust", ["holm", "bonferroni", None])
def test_verdict_never_contradicts_its_interval(fw, adjust):
    # 14 authorities: two with real falls (one weak), one rise, eleven untouched
    codes = list(fw.indicator("violence_sexual_offences").areas)
    rrs = [0.80, 0.94, 1.12] + [1.0] * 11
    series = pd.concat([_series("violence_sexual_offences", c, rr, 300 + i)
                        for i, (c, rr) in enumerate(zip(codes, rrs, strict=True))],
                       ignore_index=True)
    out = evaluate_framework(fw, series, adjust=adjust, slope_change=True)
    _check_rows_agree(out, 0.05)
    ev = out[out["status"] == "evaluated"]
    levels = ev["ci_level_adjusted"]
    if adjust is None:
        assert np.allclose(levels, 0.95)
    elif adjust == "bonferroni":
        assert np.allclose(levels, 1 - 0.05 / 14)
    else:
        assert levels.between(0.95, 1 - 0.05 / 14 + 1e-12).all()
    # slope reported as a ratio per year, with its interval at 95 % unadjusted
    assert ((ev["slope_ci_low"] < ev["slope_ratio_year"])
            & (ev["slope_ratio_year"] < ev["slope_ci_high"])).all()
    # re-adjusting the same table as one family changes nothing (controlled ITS path)
    again = adjust_verdicts(out, adjust=adjust)
    pd.testing.assert_frame_equal(again, out)


def test_holm_levels_follow_the_step_down():
    p = np.array([0.04, 0.001, 0.3, 0.01])
    lv = step_levels(p, 0.05, "holm")
    # ranks: 0.001 -> 0.05/4, 0.01 -> 0.05/3, 0.04 fails at 0.05/2 -> stop, 0.3 keeps it
    assert lv == pytest.approx([0.025, 0.0125, 0.025, 0.05 / 3])
    rng = np.random.default_rng(7)
    from statsmodels.stats.multitest import multipletests

    for _ in range(300):
        m = int(rng.integers(1, 20))
        p = rng.uniform(0, 0.2, m) ** 2
        lv = step_levels(p, 0.05, "holm")
        order = np.argsort(p, kind="stable")
        # levels never fall with rank: intervals are widest for the smallest p-value and
        # narrow (towards the unadjusted 95 %) down the ranks, between Bonferroni and none
        assert (np.diff(lv[order]) >= -1e-15).all()
        assert (lv >= 0.05 / m - 1e-15).all() and (lv <= 0.05 + 1e-15).all()
        # the interval excludes the null exactly when Holm rejects
        assert ((p < lv) == multipletests(p, alpha=0.05, method="holm")[0]).all()
    with pytest.raises(ValueError, match="adjust must be one of"):
        step_levels(p, 0.05, "fdr_bh")


def test_holm_interval_is_the_interval_at_its_step_level(fw):
    from scipy import stats

    codes = list(fw.indicator("violence_sexual_offences").areas)[:5]
    series = pd.concat([_series("violence_sexual_offences", c, rr, 40 + i)
                        for i, (c, rr) in enumerate(zip(codes, [0.8, 1, 1, 1, 1], strict=True))],
                       ignore_index=True)
    out = evaluate_framework(fw, series)
    ev = out[out["status"] == "evaluated"].sort_values("p_value")
    top = ev.iloc[0]
    q = stats.t.ppf(1 - 0.05 / 5 / 2, top["df_resid"])
    assert top["ci_level_adjusted"] == pytest.approx(1 - 0.05 / 5)
    assert top["ci_low_adjusted"] == pytest.approx(np.exp(top["estimate"] - q * top["std_error"]))
    assert top["ci_high_adjusted"] == pytest.approx(np.exp(top["estimate"]
                                                           + q * top["std_error"]))


# ------------------------------------------------------------------ registered plan
def test_plan_is_read_from_the_framework_file(fw):
    plan = fw.plan()
    raw = _raw()["analysis_plan"]
    assert plan.registered == pd.Timestamp(raw["registered"])
    assert plan.primary.model == raw["primary"]["model"]
    assert [d.id for d in plan.sensitivity] == [d["id"] for d in raw["sensitivity"]]
    assert plan.multiplicity == "holm" and plan.adjust == "holm"
    from lvrn_analysis.story.impact.models import designs, primary_model

    assert primary_model(fw)["slope_change"] is raw["primary"]["model"]["slope_change"]
    assert list(designs(fw))[0] == raw["primary"]["label"]
    # a different registered primary model changes what the page fits
    edited = copy.deepcopy(_raw())
    edited["analysis_plan"]["primary"]["model"]["harmonics"] = 1
    assert primary_model(parse_framework(edited))["harmonics"] == 1


def test_missing_plan_is_a_clear_error(tmp_path):
    data = copy.deepcopy(_raw())
    data.pop("analysis_plan")
    path = tmp_path / "no_plan.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    fw = load_framework(path)  # the framework itself is still readable
    with pytest.raises(FrameworkError, match=r"no_plan\.yml: analysis_plan: required"):
        fw.plan()
    from lvrn_analysis.story.impact.framework import evaluate

    with pytest.raises(FrameworkError, match="analysis_plan"):
        evaluate(_series("violence_sexual_offences", "E07000123", 1.0, 1), fw)


@pytest.mark.parametrize(("edit", "key", "message"), [
    (lambda p: p["primary"]["model"].__setitem__("family", "gaussian"),
     r"analysis_plan\.primary\.model\.family", "must be one of"),
    (lambda p: p["primary"]["model"].__setitem__("slope_change", "yes"),
     r"analysis_plan\.primary\.model\.slope_change", "true or false"),
    (lambda p: p["primary"]["model"].__setitem__("harmonics", True),
     r"analysis_plan\.primary\.model\.harmonics", "must be one of"),
    (lambda p: p["primary"]["model"].__setitem__("colour", "red"),
     r"analysis_plan\.primary\.model\.colour", "unknown model option"),
    (lambda p: p.pop("primary"), r"analysis_plan\.primary", "required"),
    (lambda p: p.__setitem__("registered", "soon"), r"analysis_plan\.registered", "ISO date"),
    (lambda p: p.__setitem__("alpha", 0.7), r"analysis_plan\.alpha", "between 0 and 0.5"),
    (lambda p: p.__setitem__("multiplicity", "fdr"), r"analysis_plan\.multiplicity",
     "must be one of"),
    (lambda p: p["sensitivity"][1].__setitem__("id", "level_only"),
     r"analysis_plan\.sensitivity", "duplicate design id"),
])
def test_invalid_plan_names_file_and_key(tmp_path, edit, key, message):
    data = copy.deepcopy(_raw())
    edit(data["analysis_plan"])
    path = tmp_path / "bad_plan.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(FrameworkError, match="bad_plan.yml") as exc:
        load_framework(path)
    assert re.search(key, str(exc.value)), str(exc.value)
    assert message in str(exc.value)


# ------------------------------------------------------------------ p-value format
@pytest.mark.parametrize(("p", "text"), [
    (0.0, "< 0.001"), (1e-12, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
    (0.0132, "0.013"), (0.0496, "0.0496"), (0.0504, "0.050"), (0.00996, "0.0100"),
    (0.5, "0.500"), (1.0, "1.000"), (float("nan"), ""), (None, ""),
])
def test_format_p(p, text):
    assert format_p(p) == text


def test_effects_table_never_prints_zero_p():
    from lvrn_analysis.its import fit_its, simulate_series

    df = simulate_series(36, 24, baseline=800, effect=0.7, dispersion=0.001, seed=3)
    res = fit_its(df, date="month", interruptions=["2019-01-01"], slope_change=False)
    assert res.effects["p_value"].iloc[0] < 0.001
    tab = res.effects_table()
    assert list(tab.columns) == ["Interruption", "Effect", "Rate ratio", "95% CI", "p"]
    assert tab["p"].iloc[0] == "< 0.001"
    both = fit_its(df, date="month", interruptions=["2019-01-01"]).effects_table()
    assert both["Effect"].tolist() == ["level", "slope per year"]
    assert "< 0.001" in res.summary() and " 0.000" not in res.summary()


# ------------------------------------------------------------------ autocorrelation flag
@pytest.mark.slow
def test_autocorrelation_flag_false_positive_rate():
    """The flag fires at about its nominal 5 % on series without autocorrelation."""
    from lvrn_analysis.its.robustness import autocorrelation_false_positive_rate
    from lvrn_analysis.story.impact.models import primary_model

    rate = autocorrelation_false_positive_rate(200, **primary_model())
    print(f"autocorrelation flag on 200 white-noise series: {rate}")
    # binomial SD at 5 % over 200 series is 1.5 points: allow 3 SD
    assert rate["flag_rate"] <= 0.095
    # the chi-squared Ljung-Box reference it replaces is too liberal at this length
    assert rate["chi2_rate"] > 0.10 > rate["flag_rate"]
