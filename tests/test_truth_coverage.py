"""The synthetic test bed against its truth: averted-count coverage and slope false positives.

The generator records its truth in the terms the Impact page reports (level ratio, slope
ratio per year, offences averted). These tests check the page's intervals against it on
the shipped seed, and over 200 fresh draws of the generator's own model (no builds: the
expected counts are drawn afresh and analysed with the page's model). Run with ``-s`` to
see the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.outcomes import load_framework
from lvrn_analysis.its.results import DEFAULT_SEED
from lvrn_analysis.story import impact
from lvrn_analysis.story.impact.counterfactual import _averted_total
from lvrn_analysis.story.impact.models import AVERTED_DRAWS
from lvrn_analysis.story.impact.truth import _ModelDesign

BLACKPOOL = "E06000009"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def fw():
    return load_framework()


@pytest.fixture(scope="module")
def truth(processed):
    return impact.load_ground_truth(processed)


@pytest.fixture(scope="module")
def series(processed, area, fw):
    from lvrn_analysis.processed.store import read_table

    return impact.build_framework_series(read_table("police_street_synthetic", processed),
                                         read_table("police_street_synthetic_months",
                                                    processed), area, fw)


@pytest.fixture(scope="module")
def fits(series, truth, fw, area):
    keys = impact.key_series(series, truth, fw, area)
    return {k: impact.fit_key(series, k) for k in keys}


@pytest.fixture(scope="module")
def study(area):
    return impact.truth_coverage(area, n_seeds=200)


def test_truth_is_recorded_in_the_page_terms(truth):
    rec = next(r for r in truth if r.get("effect") == "level")
    assert rec["level_ratio"] == rec["rate_ratio"] == 0.85
    assert rec["slope_ratio_per_year"] == 1.0
    assert (rec["post_start"], rec["post_end"], rec["post_months"]) == ("2019-10", "2022-10",
                                                                         37)
    by_month = rec["averted_by_month"]
    assert len(by_month) == 37 and all(v > 0 for v in by_month.values())
    assert sum(by_month.values()) == pytest.approx(rec["averted_post"], abs=0.01)
    # averted = counterfactual - expected = expected (1/RR - 1)
    assert rec["averted_post"] == pytest.approx(
        rec["counterfactual_post"] - rec["expected_post"], abs=0.02)
    assert rec["averted_post"] == pytest.approx(rec["expected_post"] * (1 / 0.85 - 1),
                                                abs=0.02)
    # the estimate ("about 5,200 implied by the injected truth")
    assert 5000 < rec["averted_post"] < 5500
    tot = rec["area_total"]
    assert tot["averted_post"] == pytest.approx(rec["averted_post"], abs=0.02)
    assert tot["implied_level_ratio"] == pytest.approx(
        tot["expected_post"] / tot["counterfactual_post"], abs=1e-6)
    none = next(r for r in truth if r.get("effect") == "none"
                and r.get("source") == "police_street")
    assert none["averted_post"] == 0.0 and none["slope_ratio_per_year"] == 1.0
    assert "interpolated" in none["population"]


def test_averted_intervals_cover_the_truth_on_the_shipped_seed(fits):
    """The injected change is a step, so its truth is the step's averted count.

    The page shows six averted intervals (step; step and slope, for three series) as
    simultaneous 95 % intervals (each at 1 - 0.05/6). On the shipped seed every one of
    them contains its truth, and so does every level-change interval.
    """
    level = impact.family_level(fits)
    assert level == pytest.approx(1 - 0.05 / 6)
    tab = impact.averted_table(fits)
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print("\n" + tab.to_string())
    for key, res in fits.items():
        assert np.isfinite(key.true_averted)
        for name, fit in (("step", impact.step_only(res)), ("step and slope", res)):
            a = _averted_total(fit, level)
            assert a["low"] <= key.true_averted <= a["high"], (key.name, name, a)
            # and the table states the interval it checked
            assert f"{a['low']:,.0f} to {a['high']:,.0f}" in " ".join(
                tab.loc[tab["Series"] == key.name].astype(str).iloc[0])
        lvl = res.level_effect
        assert lvl.ci_low <= key.true_rate_ratio <= lvl.ci_high, key.name
    assert (tab["Step: truth inside"] == "yes").all()
    assert (tab["Step and slope: truth inside"] == "yes").all()
    assert "simultaneous 95% CI" in " ".join(tab.columns)


def test_simultaneous_level_is_bonferroni():
    assert impact.simultaneous_level(1) == pytest.approx(0.95)
    assert impact.simultaneous_level(6) == pytest.approx(1 - 0.05 / 6)
    assert impact.simultaneous_level(4, 0.9) == pytest.approx(0.975)
    with pytest.raises(ValueError, match="at least 1"):
        impact.simultaneous_level(0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        impact.simultaneous_level(3, 1.5)


def test_batched_analysis_is_the_engine(series, fits, area):
    """The simulation's vectorised analysis reproduces `fit_key()` and `averted()`."""
    key, res = next((k, r) for k, r in fits.items() if k.role == "treated")
    frame = series[(series["area_code"] == key.area_code)
                   & (series["indicator_id"] == key.indicator_id)].sort_values("date")
    months = pd.DatetimeIndex(frame["date"])
    pop = frame["population"].to_numpy(dtype=float)
    y = frame["count"].to_numpy(dtype=float)
    design = _ModelDesign.build(months, pop, y, key.start, dict(impact.PRIMARY_MODEL), 0.95)
    out = design.analyse(y[None, :], np.log(pop), n_draws=AVERTED_DRAWS, seed=DEFAULT_SEED)
    lvl = res.level_effect
    assert out["level_rr"][0] == pytest.approx(lvl.rate_ratio, rel=1e-6)
    assert out["level_low"][0] == pytest.approx(lvl.ci_low, rel=1e-6)
    assert out["level_high"][0] == pytest.approx(lvl.ci_high, rel=1e-6)
    sl = res.effects[res.effects["effect"] == "slope"].iloc[0]
    assert out["slope_rr_year"][0] == pytest.approx(sl["rate_ratio"] ** 12, rel=1e-6)
    assert out["slope_p"][0] == pytest.approx(sl["p_value"], rel=1e-4)
    full, step = _averted_total(res), _averted_total(impact.step_only(res))
    for name, ref in (("full", full), ("step", step)):
        assert out[f"averted_{name}"][0] == pytest.approx(ref["averted"], rel=1e-6)
        assert out[f"{name}_low"][0] == pytest.approx(ref["low"], rel=1e-4)
        assert out[f"{name}_high"][0] == pytest.approx(ref["high"], rel=1e-4)


@pytest.mark.slow
def test_coverage_and_slope_false_positives_over_200_seeds(study, truth):
    summ = study.summary()
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print("\n" + summ.to_string())
    print(study.sentence())
    assert study.n_seeds == 200
    runs = study.runs
    assert len(runs) == 200 * 15  # 14 authorities and their total
    # the simulation's truth is the build's truth
    rec = next(r for r in truth if r.get("effect") == "level")
    treated = runs[runs["role"] == "treated"]
    assert set(treated["area_code"]) == {BLACKPOOL}
    assert treated["true_averted"].iloc[0] == pytest.approx(rec["averted_post"], abs=0.01)
    assert (runs.loc[runs["role"] == "untouched", "true_averted"] == 0).all()
    # the estimates are unbiased for the truth (mean over seeds within 5 %)
    assert treated["averted_full"].mean() == pytest.approx(rec["averted_post"], rel=0.05)
    assert treated["averted_step"].mean() == pytest.approx(rec["averted_post"], rel=0.05)
    s = summ.set_index(["measure", "role"])["rate"]
    for measure in ("averted interval (step and slope) covers the truth",
                    "averted interval (step only) covers the truth"):
        for role in ("treated", "total"):
            assert 0.90 <= s[(measure, role)] <= 0.99, (measure, role, s[(measure, role)])
        assert 0.92 <= s[(measure, "untouched")] <= 0.98, (measure, s[(measure, "untouched")])
    assert 0.92 <= s[("level-change interval covers the truth", "untouched")] <= 0.98
    fp = s[("slope-change test p < alpha (false positive)", "untouched")]
    assert 0.02 <= fp <= 0.08, fp
    assert 0.02 <= s[("level-change test p < alpha (false positive)", "untouched")] <= 0.08
    # the page's six simultaneous intervals hold together at (about) their nominal 95 %:
    # the rate is at least 90 % and its Wilson interval reaches 95 %
    fam = summ.set_index(["measure", "role"]).loc[
        ("all the page's simultaneous averted intervals cover the truth", "key series")]
    assert study.family == pytest.approx(1 - 0.05 / 6)
    assert fam["n"] == 200 and fam["rate"] >= 0.90 and fam["high"] >= 0.95, fam
    per_seed = study.page_family_covers()
    assert len(per_seed) == 200 and per_seed.dtype == bool
