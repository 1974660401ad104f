"""The Impact page logic (lvrn_analysis.story.impact): series, truth checks, averted, power."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import monthly_populations, populations
from lvrn_analysis.config.outcomes import load_framework, parse_framework
from lvrn_analysis.its import fit_its, simulate_series
from lvrn_analysis.story import impact
from lvrn_analysis.story.impact.counterfactual import _averted_total
from lvrn_analysis.story.impact.formatting import month_runs
from lvrn_analysis.story.impact.truth import flag_counts

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("police_street", "police_street_months", "police_street_synthetic",
          "police_street_synthetic_months")
VIOLENCE = "violence_sexual_offences"
BLACKPOOL = "E06000009"


@pytest.fixture(scope="session")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="session")
def fw():
    return load_framework()


@pytest.fixture(scope="session")
def tables(processed):
    from lvrn_analysis.processed.store import read_table

    return {t: read_table(t, processed) for t in TABLES}


@pytest.fixture(scope="session")
def truth(processed):
    return impact.load_ground_truth(processed)


@pytest.fixture(scope="session")
def series(tables, area, fw):
    return impact.build_framework_series(tables["police_street_synthetic"],
                                         tables["police_street_synthetic_months"], area, fw)


@pytest.fixture(scope="session")
def results(series, truth, fw):
    return impact.attach_truth(impact.evaluate(series, fw), truth, fw)


# ------------------------------------------------------------------ populations and series
def test_monthly_population_interpolates_between_mid_years(area):
    months = pd.to_datetime(["2016-01-01", "2019-06-01", "2019-07-01", "2020-01-01",
                             "2021-06-01", "2021-07-01", "2022-06-01", "2022-07-01",
                             "2022-10-01"])
    pop = impact.monthly_population(area, months)
    assert len(pop) == 14 * len(months)
    assert list(pop.columns) == ["la_code", "date", "population", "basis"]
    ref = populations(area).set_index(["la_code", "mid_year"])["population"].astype(float)
    bp = pop[pop["la_code"] == BLACKPOOL].set_index("date")
    p19, p20, p22 = (ref[(BLACKPOOL, y)] for y in (2019, 2020, 2022))
    # carried back before mid-2019 and forward after mid-2022, interpolated between
    assert bp["basis"].tolist() == ["carried back"] * 2 + ["interpolated"] * 5 + [
        "carried forward"] * 2
    assert bp.loc["2016-01-01", "population"] == p19 == bp.loc["2019-06-01", "population"]
    assert bp.loc["2022-07-01", "population"] == p22 == bp.loc["2022-10-01", "population"]
    # mid-January 2020 is 200.5 days after 30 June 2019 (366 days to 30 June 2020)
    mid_jan = pd.Timestamp("2020-01-16 12:00")
    w = (mid_jan - pd.Timestamp("2019-06-30")) / (pd.Timestamp("2020-06-30")
                                                    - pd.Timestamp("2019-06-30"))
    assert bp.loc["2020-01-01", "population"] == pytest.approx(p19 + w * (p20 - p19))
    # mid-2021 is missing: the line runs from mid-2020 to mid-2022
    assert p20 < bp.loc["2021-06-01", "population"] < bp.loc["2021-07-01", "population"] < p22


def test_monthly_population_is_the_one_rule_and_has_no_steps(area):
    months = pd.date_range("2016-01-01", "2022-10-01", freq="MS")
    pop = impact.monthly_population(area, months)
    pd.testing.assert_frame_equal(pop, monthly_populations(area, months))
    wide = pop.pivot(index="date", columns="la_code", values="population")
    step = wide.pct_change().abs().iloc[1:]
    # the largest monthly change (Burnley, +6.9 % over two years) is far below a step
    assert step.max().max() < 0.004
    # the old nearest-estimate rule stepped by 6.9 % (Burnley) in July 2021
    assert step.loc["2021-07-01"].max() < 0.004
    with pytest.raises(ValueError, match="no mid-year population estimate for E99"):
        monthly_populations(dataclasses.replace(area, authorities=("E99999999",)), months)


def test_series_shape_no_gaps_and_offsets(series, tables, area):
    assert list(series.columns) == ["indicator_id", "area_code", "date", "count", "population"]
    assert set(series["indicator_id"]) == {VIOLENCE}
    assert series["area_code"].nunique() == 15  # 14 authorities + the total
    months = tables["police_street_synthetic_months"]
    n = int((months["status"] == "present").sum())
    for _, g in series.groupby("area_code"):
        d = pd.DatetimeIndex(g["date"])
        assert len(g) == n == 82
        assert d.is_monotonic_increasing
        assert (d.to_period("M").asi8[1:] - d.to_period("M").asi8[:-1] == 1).all()
    assert series["count"].dtype == np.int64 and (series["count"] >= 0).all()
    assert (series["population"] > 0).all()
    # the total is the sum of the authorities, counts and populations alike
    la = series[series["area_code"] != impact.TOTAL_CODE].groupby("date")[
        ["count", "population"]].sum()
    tot = series[series["area_code"] == impact.TOTAL_CODE].set_index("date")
    assert (tot["count"] == la["count"]).all()
    assert np.allclose(tot["population"], la["population"])
    # counts agree with a direct aggregation of the processed table
    raw = tables["police_street_synthetic"]
    sel = raw[(raw["crime_type"] == "Violence and sexual offences")
              & (raw["geo_status"] == "in_area") & (raw["la_code"] == BLACKPOOL)]
    direct = sel.groupby("month")["count"].sum()
    bp = series[series["area_code"] == BLACKPOOL].set_index("date")["count"]
    assert (bp.to_numpy() == direct.reindex(bp.index).to_numpy()).all()
    # population offsets are the interpolated monthly populations (no steps)
    bp_pop = series.loc[series["area_code"] == BLACKPOOL].set_index("date")["population"]
    ref = monthly_populations(area, bp_pop.index).set_index(["la_code", "date"])["population"]
    assert np.allclose(bp_pop.to_numpy(), ref.loc[BLACKPOOL].reindex(bp_pop.index).to_numpy())
    assert bp_pop.pct_change().abs().max() < 0.004


def test_real_series_keeps_gaps(tables, area, fw):
    s = impact.build_framework_series(tables["police_street"], tables["police_street_months"],
                                      area, fw, include_total=False)
    months = tables["police_street_months"]
    missing = set(months.loc[months["status"] != "present", "month"])
    assert missing, "the real extract is expected to have gaps"
    assert not set(s["date"]) & missing
    assert s.groupby("area_code").size().eq(int((months["status"] == "present").sum())).all()


def test_builder_with_no_served_indicator(tables, area, fw):
    raw = copy.deepcopy(fw.raw)
    for out in raw["outcomes"]:
        for ind in out["indicators"]:
            if ind["source"] == "police_street":
                ind["source"] = "police_recorded_crime"
    other = parse_framework(raw)
    s = impact.build_framework_series(tables["police_street_synthetic"],
                                      tables["police_street_synthetic_months"], area, other)
    assert s.empty and list(s.columns) == ["indicator_id", "area_code", "date", "count",
                                           "population"]


# ------------------------------------------------------------------ real data refusal
def test_refusal_of_gapped_real_series_is_readable(tables, area, truth, fw):
    text = impact.real_series_refusal(tables["police_street"], tables["police_street_months"],
                                      area, truth, fw)
    assert "refused" in text
    assert "missing period(s)" in text and "2019-10" in text
    assert "Gaps are not zero-filled" in text
    assert "Blackpool" in text and "March to November 2019" in text
    assert "Traceback" not in text and "ValueError" not in text


def test_fixed_prose_is_written_in_the_notebook():
    """Sentences without computed numbers are the page's Markdown, not function output."""
    nb = json.loads((ROOT / "notebooks" / "04-impact.ipynb").read_text(encoding="utf-8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"]
                         if c["cell_type"] == "markdown")
    for words in ("This is deliberate: filling missing months with zeros",
                  "Because the truth is known, this page can check",
                  "A slope term costs precision",
                  "free of assumptions: a comparison series must be untouched",
                  "These power figures assume the model is right."):
        assert words in markdown


def test_complete_series_is_fitted_not_refused(tables, area, truth, fw):
    text = impact.real_series_refusal(tables["police_street_synthetic"],
                                      tables["police_street_synthetic_months"], area, truth, fw)
    assert "fitted" in text and "refused" not in text


def test_month_runs():
    m = pd.to_datetime(["2019-03-01", "2019-04-01", "2019-05-01", "2020-06-01", "2020-08-01",
                        "2020-09-01", "2020-12-01", "2021-01-01"])
    assert month_runs(m) == ("March to May 2019, June 2020, August and September "
                             "2020, December 2020 and January 2021")


# ------------------------------------------------------------------ ground truth
def test_ground_truth_recovered(results, truth, fw):
    eff = impact.injected_effects(truth, fw)
    assert len(eff) == 1
    assert {k: eff[0][k] for k in ("indicator_id", "area_code", "rate_ratio", "start",
                                   "slope_ratio_per_year")} == {
        "indicator_id": VIOLENCE, "area_code": BLACKPOOL, "rate_ratio": 0.85,
        "start": pd.Timestamp("2019-10-01"), "slope_ratio_per_year": 1.0}
    assert len(eff[0]["averted_by_month"]) == 37  # October 2019 to October 2022
    assert 0.95 < eff[0]["area_total_level_ratio"] < 1.0
    ev = results[results["status"] == "evaluated"]
    assert len(ev) == 14
    bp = ev[ev["area_code"] == BLACKPOOL].iloc[0]
    assert bp["verdict"] == "improved" and bp["check"] == "found"
    assert bp["ci_low"] <= 0.85 <= bp["ci_high"]
    assert bp["p_holm"] < 0.05
    un = ev[ev["area_code"] != BLACKPOOL]
    assert (un["true_rate_ratio"] == 1.0).all()
    fp = un["check"] == "false positive"
    assert fp.sum() <= 2  # 13 tests at 5%: 0.65 expected by chance
    assert ((un["p_holm"] < 0.05) & fp).sum() == 0
    # every other indicator is listed, not dropped
    other = results[results["indicator_id"] != VIOLENCE]
    assert (other["status"] == "not evaluated: no data").all()
    assert len(other) == sum(len(i.areas) for i in fw.indicators if i.id != VIOLENCE)
    text = impact.ground_truth_sentence(results)
    assert "was found" in text and "untouched authorit" in text and "Holm" in text


def test_overview_and_table(results, fw):
    ov = impact.indicator_overview(results, fw)
    assert len(ov) == len(fw.indicators)
    assert (ov["Status"] == "not evaluated: no data").sum() == len(fw.indicators) - 1
    tab = impact.framework_table(results, fw)
    assert len(tab) == 14
    assert {"Verdict (level)", "Level change RR (95% CI)", "Level: interval of the verdict",
            "p (Holm)", "Slope per year (interval of the verdict)", "Slope p (Holm)",
            "Verdict (slope)", "Check"} <= set(tab.columns)
    assert not any("count" in c.lower() for c in tab.columns)


def _shown_interval(text):
    import re

    m = re.search(r"([0-9.]+) to ([0-9.]+) \(([0-9.]+)%\)", text)
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def test_verdicts_never_contradict_the_interval_shown(results, fw):
    """Property over the published table: each verdict agrees with the interval beside it."""
    tab = impact.framework_table(results, fw)
    slope_col = "Slope per year (interval of the verdict)"
    for row in tab.to_dict("records"):
        lib = row["Polarity"] == "lower is better"
        for verdict, shown in ((row["Verdict (level)"], row["Level: interval of the verdict"]),
                               (row["Verdict (slope)"], row[slope_col])):
            lo, hi, level = _shown_interval(shown)
            assert 95 <= level < 100
            if verdict == "improved":
                assert (hi < 1) if lib else (lo > 1)
            elif verdict == "worsened":
                assert (lo > 1) if lib else (hi < 1)
            else:
                assert verdict.startswith("no detectable change") and lo <= 1 <= hi
        # a single-test interval that excludes 1 beside "no detectable change" is explained
        lo95, hi95 = _shown_interval(row["Level change RR (95% CI)"].replace(")", " (95%)"))[:2]
        if (lo95 > 1 or hi95 < 1) and row["Verdict (level)"].startswith("no detectable"):
            assert "after Holm" in row["Verdict (level)"]
    text = impact.verdict_rule(results, fw)
    assert "Holm 1979" in text and "registered" in text
    assert fw.plan().primary.label.lower() in text


def test_check_is_polarity_aware(fw):
    raw = copy.deepcopy(fw.raw)
    raw["outcomes"][3]["indicators"][0]["polarity"] = "higher is better"
    hib = parse_framework(raw)
    truth = [{"source": "police_street", "crime_type": "Violence and sexual offences",
              "area_code": BLACKPOOL, "effect": "level", "start": "2019-10",
              "rate_ratio": 0.85},
             {"source": "police_street", "effect": "none"}]
    base = {"indicator_id": VIOLENCE, "status": "evaluated", "rate_ratio": 0.85,
            "ci_low": 0.8, "ci_high": 0.9}
    res = pd.DataFrame([
        {**base, "area_code": BLACKPOOL, "verdict": "worsened"},
        {**base, "area_code": "E07000123", "verdict": "worsened"},
        {**base, "area_code": "E07000117", "verdict": "no detectable change (MDE 9%)"},
    ])
    out = impact.attach_truth(res, truth, hib)
    assert out["check"].tolist() == ["found", "false positive", "correctly not flagged"]
    out_lib = impact.attach_truth(res, truth, fw)
    assert out_lib["check"].iloc[0] == "wrong direction"


def test_design_comparison_untouched_areas_unbiased(series, truth, fw):
    plan = fw.plan()
    level_label = next(d.label for d in plan.sensitivity if not d.controlled)
    designs = impact.compare_designs(series, truth, fw, designs={
        k: v for k, v in impact.DESIGNS.items() if not v[1]})
    tab = impact.design_table(designs)
    assert len(tab) == 2
    assert list(designs)[0] == plan.primary.label  # the registered primary comes first
    lvl, prim = flag_counts(designs[level_label]), flag_counts(designs[plan.primary.label])
    # with populations interpolated in the generator and the offsets alike, neither
    # design is biased in the untouched areas (the stepped offsets of the nearest
    # mid-year rule used to pull the level-only model down)
    assert abs(lvl["mean_rr_untouched"] - 1) < 0.02
    assert abs(prim["mean_rr_untouched"] - 1) < 0.02


# ------------------------------------------------------------------ key series and averted
def test_key_series_and_averted(series, truth, fw, area):
    keys = impact.key_series(series, truth, fw, area)
    assert [k.role for k in keys] == ["treated", "total", "untouched"]
    assert keys[0].area_code == BLACKPOOL and keys[0].true_rate_ratio == 0.85
    assert keys[1].area_code == impact.TOTAL_CODE and keys[1].name.startswith("Pan-Lancashire")
    assert 0.95 < keys[1].true_rate_ratio < 1.0
    # the truth in the page's terms: the treated series and the total share the averted
    # count recorded by the generator; the untouched series averted nothing
    rec = next(r for r in truth if r.get("effect") == "level")
    assert keys[0].true_averted == pytest.approx(rec["averted_post"], abs=0.01)
    assert keys[1].true_averted == pytest.approx(rec["averted_post"], abs=0.01)
    assert keys[2].true_averted == 0.0
    assert keys[1].true_rate_ratio == rec["area_total"]["implied_level_ratio"]
    s = series[(series["area_code"] != impact.TOTAL_CODE) & (series["area_code"] != BLACKPOOL)]
    assert keys[2].area_code == s.groupby("area_code")["count"].sum().idxmax()
    fits = {k: impact.fit_key(series, k) for k in (keys[0], keys[2])}
    tab = impact.averted_table(fits)
    assert len(tab) == 2 and tab["observed"].dtype.kind == "i"
    assert tab["True averted"].tolist() == [f"{rec['averted_post']:,.0f}", "0"]
    assert set(tab["Step: truth inside"]) <= {"yes", "no"}
    text = impact.averted_sentence(fits)
    assert f"true number averted: {rec['averted_post']:,.0f}" in text
    bp = _averted_total(impact.step_only(fits[keys[0]]))
    assert 0.08 < bp["share"] < 0.25 and bp["low"] > 0
    un = _averted_total(impact.step_only(fits[keys[2]]))
    assert abs(un["share"]) < 0.08


def test_step_only_equals_engine_counterfactual_without_slope():
    df = simulate_series(48, 24, baseline=300, effect=0.85, seed=5)
    res = fit_its(df, date="month", interruptions=["2020-01-01"], slope_change=False,
                  family="quasipoisson", ci_dist="t")
    st = impact.step_only(res)
    for col in ("counterfactual", "cf_low", "cf_high"):
        assert np.allclose(st.predictions[col], res.predictions[col])
    assert _averted_total(st)["averted"] == pytest.approx(
        _averted_total(res)["averted"])


def test_step_only_keeps_slope():
    df = simulate_series(48, 24, baseline=300, effect=0.85, slope_effect=0.99, seed=6)
    res = fit_its(df, date="month", interruptions=["2020-01-01"], slope_change=True)
    st = impact.step_only(res)
    rr = float(res.level_effect["rate_ratio"])
    post = st.predictions["post"].to_numpy()
    assert np.allclose(st.predictions["counterfactual"][post],
                       res.predictions["fitted"][post] / rr)


# ------------------------------------------------------------------ power
def test_power_inputs_recover_simulation_settings():
    df = simulate_series(60, 24, baseline=500, effect=1.0, dispersion=0.004,
                         seasonal_amplitude=0.1, seed=7)
    res = fit_its(df, date="month", interruptions=["2021-01-01"], harmonics=2)
    p = impact.power_inputs(res)
    assert 420 < p["baseline"] < 600
    assert 0.06 < p["seasonal_amplitude"] < 0.14
    assert 0.001 < p["dispersion"] < 0.01


def test_power_study_table_and_answers():
    inputs = {"Small": {"baseline": 100.0, "dispersion": 0.01, "seasonal_amplitude": 0.1},
              "Large": {"baseline": 2000.0, "dispersion": 0.001, "seasonal_amplitude": 0.1}}
    st = impact.power_study(inputs, pre_periods=(24,), months_after=(6, 12, 24), n_sims=60)
    assert len(st) == 2 * 3
    summ = st.attrs["summary"]
    big, small = summ.set_index("series").loc["Large"], summ.set_index("series").loc["Small"]
    assert big["mde"] < small["mde"]
    tab = impact.power_table(st)
    assert len(tab) == 2
    assert "Large" in impact.power_sentence(st)
    fig = impact.power_figure(st)
    assert "Power to detect" in fig.lvrn_alt


def test_framework_placebos_match_the_page_test_in_any_number_of_processes(series, results,
                                                                           truth, fw, area):
    sub = results[results["area_code"].isin([BLACKPOOL, "E07000117", "E07000118"])]
    one = impact.framework_placebos(series, sub, workers=1)
    two = impact.framework_placebos(series, sub, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["area_code"]) == list(sub.loc[sub["status"] == "evaluated", "area_code"])
    keys = impact.key_series(series, truth, fw, area)
    page = impact.placebo(series, keys[0])  # the Impact page's Blackpool placebo
    bp = one.set_index("area_code").loc[BLACKPOOL]
    assert bp["n_placebo"] == page.n_placebo > 10
    assert bp["placebo_p"] == pytest.approx(page.p_value)
    assert bp["placebo_rank"] == page.rank
    assert (one["placebo_p"] > 0).all() and (one["placebo_p"] <= 1).all()
