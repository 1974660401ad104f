"""The "causes of the causes" page logic (lvrn_analysis.story.causes): spine chart and NB models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities
from lvrn_analysis.sources.fingertips import curated_indicators
from lvrn_analysis.story import causes

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("fingertips", "imd2019", "ks4_by_la", "police_street", "police_street_months")


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def tables(processed):
    from lvrn_analysis.processed.store import read_table

    return {t: read_table(t, processed) for t in TABLES}


@pytest.fixture(scope="module")
def truth(processed):
    return json.loads((processed / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def authorities(area):
    return local_authorities(area)


@pytest.fixture(scope="module")
def values(tables, authorities):
    return causes.indicator_values(tables["fingertips"], curated_indicators(), authorities)


@pytest.fixture(scope="module")
def spine(values):
    return causes.spine_data(causes.compare_with_england(causes.fill_intervals(values)))


@pytest.fixture(scope="module")
def model_data(tables, area):
    from lvrn_analysis.story import profile

    start, end = profile.latest_complete_window(tables["police_street_months"])
    rates = profile.rates_by_authority(tables["police_street"],
                                       tables["police_street_months"], area,
                                       start=start, end=end)
    return causes.real_model_data(rates, tables["imd2019"])


@pytest.fixture(scope="module")
def ft_data(tables, authorities):
    return causes.fingertips_model_data(tables["fingertips"], authorities, tables["ks4_by_la"])


# ------------------------------------------------------------------ the NB model


def _simulate_nb(n: int, b1: float, alpha: float, seed: int) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    x = g.normal(0, 1, n)
    pop = g.uniform(5e4, 2e5, n)
    mu = pop * np.exp(-4.0 + b1 * x)
    lam = g.gamma(1 / alpha, alpha * mu)  # NB2 as a gamma-Poisson mixture
    return pd.DataFrame({"y": g.poisson(lam), "pop": pop, "x": x})


def test_fit_nb_recovers_known_coefficient_and_dispersion():
    d = _simulate_nb(400, b1=0.3, alpha=0.05, seed=1)
    fit = causes.fit_nb(d, count="y", exposure="pop", predictors=["x"],
                        standardise_predictors=False)
    t = fit.term("x")
    assert fit.converged
    assert t["lower"] < math.exp(0.3) < t["upper"]
    assert abs(t["coef"] - 0.3) < 0.05
    assert 0.03 < fit.alpha < 0.08
    assert fit.poisson_dispersion > 10  # strong overdispersion is detected


def test_fit_nb_interval_coverage_is_close_to_nominal():
    """Over 60 simulated 14-unit data sets the 95% Wald interval covers the truth often."""
    covered = 0
    for seed in range(60):
        d = _simulate_nb(14, b1=0.3, alpha=0.02, seed=100 + seed)
        t = causes.fit_nb(d, count="y", exposure="pop", predictors=["x"],
                          standardise_predictors=False).term("x")
        covered += t["lower"] <= math.exp(0.3) <= t["upper"]
    # nominal 95%; with 14 units the Wald interval is somewhat liberal
    assert covered >= 48


def test_interval_coverage_simulation_is_sane(model_data):
    fit = causes.fit_nb(model_data, count="count", exposure="person_years",
                        predictors=["imd_score"])
    cov = causes.interval_coverage(model_data, fit, n_sims=40, seed=5)
    assert cov["n_sims"] == 40
    assert 0.75 <= cov["wald"] <= cov["student_t"] <= 1.0  # t intervals are wider
    t = fit.term("imd_score")
    assert cov["t_lower"] < t["lower"] and cov["t_upper"] > t["upper"]
    text = causes.coverage_sentence(cov, fit)
    assert f"{cov['wald']:.0%}" in text and "12 degrees of freedom" in text


def test_standardise_uses_population_sd_and_rejects_constants():
    z, m, s = causes.standardise(pd.Series([1.0, 2.0, 3.0, 4.0]))
    assert m == 2.5
    assert s == pytest.approx(np.std([1, 2, 3, 4], ddof=0))
    assert z.std(ddof=0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="constant"):
        causes.standardise([2.0, 2.0, 2.0])


def test_fit_nb_rejects_bad_input():
    d = _simulate_nb(10, 0.2, 0.05, 3)
    with pytest.raises(ValueError, match="not in the data"):
        causes.fit_nb(d, count="y", exposure="pop", predictors=["nope"])
    bad = d.assign(pop=0.0)
    with pytest.raises(ValueError, match="positive"):
        causes.fit_nb(bad, count="y", exposure="pop", predictors=["x"])
    with pytest.raises(ValueError, match="cannot support"):
        causes.fit_nb(d.head(3), count="y", exposure="pop", predictors=["x"])


def test_predict_rate_band_contains_fitted_line():
    d = _simulate_nb(50, 0.4, 0.03, 7)
    fit = causes.fit_nb(d, count="y", exposure="pop", predictors=["x"])
    p = fit.predict_rate(pd.DataFrame({"x": [-1.0, 0.0, 1.0]}), per=1.0)
    assert (p["lower"] < p["rate"]).all() and (p["rate"] < p["upper"]).all()
    assert p["rate"].is_monotonic_increasing  # positive coefficient


# --------------------------------------------------- recovery of the ground truth


def test_synthetic_fingertips_association_is_recovered(ft_data, truth):
    rec = causes.fingertips_truth(truth)
    # the page's standardisation matches the generator's definition of z_imd and z_neet
    z_imd, _, _ = causes.standardise(ft_data["imd_score"])
    z_neet, _, _ = causes.standardise(ft_data["neet"])
    np.testing.assert_allclose(z_imd, [rec["z_imd"][c] for c in ft_data["la_code"]], atol=1e-4)
    np.testing.assert_allclose(z_neet, [rec["z_neet"][c] for c in ft_data["la_code"]],
                               atol=1e-3)
    fit = causes.fit_nb(ft_data, count="count", exposure="person_years",
                        predictors=["imd_score", "neet"])
    table = causes.recovery_table(fit, rec)
    assert list(table["term"]) == ["imd_score", "neet"]
    assert table["covered"].all(), table
    est = fit.terms.set_index("term")["coef"]
    assert est["imd_score"] == pytest.approx(rec["b_imd"], abs=0.03)
    assert est["neet"] == pytest.approx(rec["c_neet"], abs=0.03)


def test_univariable_neet_is_confounded_by_deprivation(ft_data, truth):
    """Alone, NEET picks up deprivation's effect: its rate ratio exceeds the true one."""
    rec = causes.fingertips_truth(truth)
    uni = causes.univariable_table(ft_data, {"neet": "NEET"}, count="count",
                                   exposure="person_years")
    assert uni["lower"].iloc[0] > math.exp(rec["c_neet"])


def test_fingertips_truth_missing_record_raises():
    with pytest.raises(KeyError):
        causes.fingertips_truth([{"source": "police_street", "kind": "file"}])


# ------------------------------------------------------------ real-data model


def test_real_model_imd_association(model_data):
    assert len(model_data) == 14
    assert model_data["count"].sum() > 0
    fit = causes.fit_nb(model_data, count="count", exposure="person_years",
                        predictors=["imd_score"])
    t = fit.term("imd_score")
    assert fit.converged and fit.alpha > 0
    assert t["lower"] > 1  # more deprived authorities have more recorded violence
    assert fit.poisson_dispersion > 5
    loo = causes.leave_one_out(model_data, count="count", exposure="person_years",
                               predictor="imd_score")
    assert len(loo) == 14 and loo["rate_ratio"].is_monotonic_increasing
    assert loo["rate_ratio"].min() <= t["rate_ratio"] <= loo["rate_ratio"].max()
    res = causes.residual_table(model_data, fit)
    # NB with a log link and an intercept: fitted counts are close to observed in total
    assert res["expected"].sum() == pytest.approx(res["observed"].sum(), rel=0.05)
    text = causes.headline_sentence(fit, model_data, loo, period="P")
    assert f"{t['rate_ratio']:.2f} times" in text
    assert f"95% CI {t['lower']:.2f} to {t['upper']:.2f}" in text


def test_domains_exclude_the_crime_domain(model_data):
    assert "crime_score" not in causes.DOMAINS
    uni = causes.univariable_table(model_data, causes.DOMAINS, count="count",
                                   exposure="person_years")
    assert list(uni["column"]) == list(causes.DOMAINS)
    assert (uni["lower"] < uni["rate_ratio"]).all() and (uni["rate_ratio"] < uni["upper"]).all()
    shown = causes.model_table(uni)
    assert shown["Rate ratio per 1 SD"].str.fullmatch(r"\d\.\d\d").all()


# ------------------------------------------------------------------ spine chart


def test_indicator_values_latest_period_and_roles(values):
    assert set(values["role"]) == {"authority", "england"}
    per_ind = values.groupby("indicator_id")
    assert (per_ind["time_period"].agg(lambda s: len(set(s))) == 1).all()
    assert (values[values["role"] == "authority"].groupby("indicator_id").size() == 14).all()
    assert values.loc[values["indicator_id"] == 11202, "time_period"].iloc[0] == "2020/21"


def test_comparisons_agree_with_the_exports_own(values):
    cmp = causes.compare_with_england(causes.fill_intervals(values))
    auth = cmp[(cmp["role"] == "authority") & cmp["export_comparison"].notna()
               & (cmp["export_comparison"] != "Not compared")]
    assert len(auth) > 50
    assert (auth["comparison"] == auth["export_comparison"].str.lower()).all()
    # IMD has no interval: never judged; the suppressed value is not compared either
    assert (cmp.loc[(cmp["indicator_id"] == 93553) & (cmp["role"] == "authority"),
                    "comparison"] == "not compared").all()
    supp = cmp[(cmp["role"] == "authority") & cmp["value"].isna()]
    assert len(supp) == 1 and supp["comparison"].iloc[0] == "not compared"


def test_fill_intervals_recomputes_dropped_limits(values):
    v = values.copy()
    rates = (v["indicator_id"] == 11202) & (v["role"] == "authority")
    props = (v["indicator_id"] == 93203) & (v["role"] == "authority")
    dsr = (v["indicator_id"] == 11201) & (v["role"] == "authority")
    drop = rates | props | dsr
    v.loc[drop, ["lower_ci", "upper_ci"]] = np.nan
    out = causes.fill_intervals(v)
    assert out.loc[rates, "ci_source"].str.startswith("recomputed (Byars").all()
    assert (out.loc[props, "ci_source"] == "recomputed (Wilson)").all()
    assert (out.loc[dsr, "ci_source"] == "not available").all()  # DSRs cannot be recomputed
    for col in ("lower_ci", "upper_ci"):
        np.testing.assert_allclose(out.loc[rates | props, col],
                                   values.loc[rates | props, col], rtol=1e-5)
    check = causes.interval_check(v).set_index("indicator_id")
    assert check.loc[11202, "missing"] == 14 and check.loc[11202, "checked"] == 0
    full = causes.interval_check(values).set_index("indicator_id")
    assert full.loc[11202, "checked"] == 14 and full.loc[11202, "max_difference"] < 1e-3


def _toy(polarity: str) -> pd.DataFrame:
    vals = [10.0, 12.0, 20.0, 16.0]
    return pd.DataFrame({
        "indicator_id": 1, "label": "toy", "unit": "%", "multiplier": 100.0,
        "value_type": "proportion", "polarity": polarity, "time_period": "2020",
        "area_code": ["E1", "E2", "E3", ENGLAND], "area_name": ["A", "B", "C", "England"],
        "role": ["authority", "authority", "authority", "england"], "value": vals,
        "lower_ci": [v - 0.5 for v in vals], "upper_ci": [v + 0.5 for v in vals],
        "count": np.nan, "denominator": np.nan, "value_note": pd.NA,
        "export_comparison": pd.NA,
    })


ENGLAND = causes.ENGLAND_CODE


@pytest.mark.parametrize("polarity", ["low_is_good", "high_is_good"])
def test_spine_positions_put_worse_on_the_left(polarity):
    sp = causes.spine_data(causes.compare_with_england(_toy(polarity))).set_index("area_name")
    # England (16) at the centre; C (20) is 4 above, A (10) is 6 below: half-width 6
    ends = (sp.loc["A", "pos_worst"], sp.loc["A", "pos_best"])
    assert 0.0 in ends or 1.0 in ends  # the comparator furthest from England is at an end
    if polarity == "low_is_good":
        assert sp.loc["A", "position"] == pytest.approx(1.0)  # lowest is best: right end
        assert sp.loc["C", "position"] == pytest.approx(0.5 - 4 / 12)
        assert sp.loc["C", "comparison"] == "worse"
        assert sp.loc["A", "worst"] == 20.0 and sp.loc["A", "best"] == 10.0
    else:
        assert sp.loc["A", "position"] == pytest.approx(0.0)
        assert sp.loc["C", "position"] == pytest.approx(0.5 + 4 / 12)
        assert sp.loc["C", "comparison"] == "better"
        assert sp.loc["A", "worst"] == 10.0 and sp.loc["A", "best"] == 20.0
    assert sp["position"].between(0, 1).all()
    assert sp["pos_worst"].iloc[0] < sp["pos_best"].iloc[0]


def test_spine_chart_and_tables(spine, values):
    src = plots.source_line(["test"], synthetic=True)
    fig = causes.spine_chart(spine, "Blackpool", source=src)
    assert "Blackpool" in fig.lvrn_alt and "worse than England on" in fig.lvrn_alt
    with pytest.raises(ValueError, match="no authority"):
        causes.spine_chart(spine, "Atlantis", source=src)
    cmp = causes.compare_with_england(causes.fill_intervals(values))
    tab = causes.comparison_table(spine, cmp)
    assert len(tab) == 15 and tab["Area"].iloc[0] == "England"
    cells = tab.drop(columns=["Area", "Indicators worse than England"]).iloc[1:]
    labels = cells.stack().str.replace(r"^[\d,.]+ ", "", regex=True)
    assert set(labels) <= {"better", "similar", "worse", "not compared", "-"}
    bp = tab.set_index("Area").loc["Blackpool", "Indicators worse than England"]
    assert int(bp) == int((spine[spine["area_name"] == "Blackpool"]["comparison"]
                           == "worse").sum())
    grid = causes.comparison_grid_figure(spine, source=src, title="t")
    assert grid.lvrn_alt.startswith("Grid of 14 authorities by 7 indicators")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_narrative_and_caveats_use_the_results(model_data, ft_data, spine, truth):
    fit = causes.fit_nb(model_data, count="count", exposure="person_years",
                        predictors=["imd_score"])
    res = causes.residual_table(model_data, fit)
    uni = causes.univariable_table(ft_data, causes.FINGERTIPS_FACTOR_LABELS, count="count",
                                   exposure="person_years")
    adj = causes.fit_nb(ft_data, count="count", exposure="person_years",
                        predictors=["imd_score", "neet"])
    rec = causes.recovery_table(adj, causes.fingertips_truth(truth))
    text = causes.narrative_markdown(fit, res, uni, rec, spine)
    assert f"{fit.term('imd_score')['rate_ratio']:.2f} times" in text
    first, second = causes.synthetic_sentences(uni, rec)
    assert "Attainment 8, Fingertips goes the other way" in first
    assert second.startswith("Both true rate ratios lie")
    cav = causes.caveats_markdown(fit, ft_data, n_lsoas=900)
    for word in ("Ecological fallacy", "Confounding", "14 units", "Modifiable areal unit",
                 "900 LSOAs"):
        assert word in cav


def test_fixed_prose_is_written_in_the_notebook():
    """Sentences without computed numbers are the page's Markdown, not function output."""
    nb = json.loads((ROOT / "notebooks" / "02-causes.ipynb").read_text(encoding="utf-8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"]
                         if c["cell_type"] == "markdown")
    for words in ("* **Cross-sectional.**", "* **Measurement.**", "**What this cannot say**",
                  "In the generator only deprivation and NEET act on violence directly"):
        assert words in markdown
