"""Families, standard errors, ARIMA errors and controls of the ITS engine."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lvrn_analysis.its import fit_its, newey_west_lags, simulate_series


@pytest.fixture(scope="module")
def nb_series() -> pd.DataFrame:
    return simulate_series(48, 36, baseline=80, effect=0.8, dispersion=0.05,
                           seasonal_amplitude=0.2, seed=11, population=250_000)


def test_negative_binomial_family(nb_series):
    res = fit_its(nb_series, date="month", interruptions=["2020-01-01"], exposure="population",
                  family="negbin", slope_change=False)
    alpha = res.diagnostics["nb_alpha"]
    assert 0.01 < alpha < 0.15
    assert res.effects["rate_ratio"].iloc[0] == pytest.approx(0.8, abs=0.08)
    assert res.warnings == []
    # alpha is the ML estimate: the NB log-likelihood is maximal there
    X = res.design.to_numpy()
    y = res.predictions["observed"].to_numpy()
    off = res.offset

    def llf(a: float) -> float:
        return sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=a), offset=off).fit().llf

    assert llf(alpha) >= max(llf(alpha * 0.8), llf(alpha * 1.25))


def test_hac_matches_statsmodels(nb_series):
    res = fit_its(nb_series, date="month", interruptions=["2020-01-01"], exposure="population",
                  se="hac", slope_change=False)
    n = len(nb_series)
    assert res.diagnostics["hac_lags"] == newey_west_lags(n) == 3
    assert "Newey" in res.diagnostics["hac_rule"]
    X = res.design
    direct = sm.GLM(nb_series["count"].to_numpy(), X, family=sm.families.Poisson(),
                    offset=res.offset).fit(cov_type="HAC",
                                           cov_kwds={"maxlags": 3, "use_correction": True})
    assert res.effects["std_error"].iloc[0] == pytest.approx(
        direct.bse["level[2020-01-01]"], rel=1e-8)
    user = fit_its(nb_series, date="month", interruptions=["2020-01-01"], se="hac",
                   hac_lags=6, slope_change=False)
    assert user.diagnostics["hac_lags"] == 6
    assert "HAC" in user.summary()


def test_newey_west_rule():
    assert newey_west_lags(59) == 3
    assert newey_west_lags(100) == 4
    assert newey_west_lags(10) == 2
    assert newey_west_lags(1) == 1


def test_arima_errors_path():
    df = simulate_series(48, 36, baseline=1000, effect=0.85, dispersion=0.0, ar1=0.5,
                         ar_sd=0.15, seasonal_amplitude=0.1, seed=1)
    glm = fit_its(df, date="month", interruptions=["2020-01-01"], slope_change=False)
    res = fit_its(df, date="month", interruptions=["2020-01-01"], method="arima",
                  arima_order=(1, 0, 0), slope_change=False)
    assert res.spec["method"] == "arima"
    e = res.effects.iloc[0]
    assert e["ci_low"] < 0.85 < e["ci_high"]
    assert float(res.model.params["ar.L1"]) > 0.2
    # the AR term whitens the residuals and widens the interval
    assert glm.diagnostics["flags"]["autocorrelation"]
    assert res.diagnostics["ljung_box_p"] > glm.diagnostics["ljung_box_p"]
    assert e["std_error"] > glm.effects["std_error"].iloc[0]
    assert "ARIMA" in res.summary()


def _controlled_data(seed: int = 8):
    """Treated: level RR 0.9 (shared shock) x 0.8 (intervention); controls: 0.9 only."""
    rng = np.random.default_rng(seed)
    n, k = 60, 36
    t = np.arange(n)
    dates = pd.date_range("2016-01-01", periods=n, freq="MS")
    season = np.exp(0.15 * np.cos(2 * np.pi * (dates.month - 7) / 12))
    shock = np.where(t >= k, 0.9, 1.0)
    treated = pd.DataFrame({"date": dates, "count": rng.poisson(
        400 * season * shock * np.where(t >= k, 0.8, 1.0) * np.exp(0.002 * t)),
        "population": 150_000.0})
    ctrl = pd.concat([
        pd.DataFrame({"area": a, "date": dates, "count": rng.poisson(
            base * season * shock * np.exp(0.004 * t)), "population": pop})
        for a, base, pop in (("A", 300, 110_000.0), ("B", 500, 180_000.0))],
        ignore_index=True)
    return treated, ctrl


def test_controlled_its_interaction_recovers_difference():
    treated, ctrl = _controlled_data()
    res = fit_its(treated, interruptions=["2019-01-01"], exposure="population", control=ctrl,
                  control_area="area", slope_change=True)
    eff = res.effects.set_index("effect")
    assert eff.loc["level", "term"] == "level[2019-01-01]:treated"
    assert eff.loc["level", "rate_ratio"] == pytest.approx(0.8, abs=0.04)
    assert eff.loc["level", "ci_low"] < 0.8 < eff.loc["level", "ci_high"]
    assert eff.loc["slope", "ci_low"] < 1 < eff.loc["slope", "ci_high"]
    # the control's own (shared) change is in params
    common = res.params.set_index("term").loc["level[2019-01-01]", "rate_ratio"]
    assert common == pytest.approx(0.9, abs=0.04)
    assert {"area[B]", "treated", "treated:time"} <= set(res.params["term"])
    assert len(res.predictions) == 60
    assert res.spec["control_method"] == "interaction"


def test_controlled_its_offset_recovers_difference():
    treated, ctrl = _controlled_data(9)
    res = fit_its(treated, interruptions=["2019-01-01"], exposure="population", control=ctrl,
                  control_area="area", control_method="offset", slope_change=False,
                  harmonics=0)
    assert res.effects["rate_ratio"].iloc[0] == pytest.approx(0.8, abs=0.04)
    # without the control the shared shock is wrongly attributed to the intervention
    naive = fit_its(treated, interruptions=["2019-01-01"], exposure="population",
                    slope_change=False)
    assert naive.effects["rate_ratio"].iloc[0] == pytest.approx(0.72, abs=0.04)


def test_control_must_match_dates():
    treated, ctrl = _controlled_data()
    with pytest.raises(ValueError, match="control series 'A'"):
        fit_its(treated, interruptions=["2019-01-01"], control=ctrl[ctrl["date"] > "2016-01-01"],
                control_area="area")


def test_no_warnings_escape_and_are_recorded():
    # a tiny, zero-heavy series provokes optimiser warnings in SARIMAX
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"date": pd.date_range("2019-01-01", periods=30, freq="MS"),
                       "count": rng.poisson(0.7, 30)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_its(df, interruptions=["2020-06-01"], method="arima", slope_change=False)
        res.summary()
        fit_its(df, interruptions=["2020-06-01"], family="negbin", slope_change=False)
    assert any("zero counts" in w for w in res.warnings)


def test_deterministic(nb_series):
    a = fit_its(nb_series, date="month", interruptions=["2020-01-01"])
    b = fit_its(nb_series, date="month", interruptions=["2020-01-01"])
    pd.testing.assert_frame_equal(a.effects, b.effects)
    pd.testing.assert_frame_equal(a.averted(n_draws=500), b.averted(n_draws=500))


def test_t_intervals_wider(nb_series):
    z = fit_its(nb_series, date="month", interruptions=["2020-01-01"], slope_change=False)
    t = fit_its(nb_series, date="month", interruptions=["2020-01-01"], slope_change=False,
                ci_dist="t")
    assert t.effects["rate_ratio"].iloc[0] == z.effects["rate_ratio"].iloc[0]
    assert t.effects["ci_low"].iloc[0] < z.effects["ci_low"].iloc[0]
    assert t.effects["p_value"].iloc[0] >= z.effects["p_value"].iloc[0]


def test_plot_house_style(nb_series):
    res = fit_its(nb_series, date="month", interruptions=["2020-01-01"], exposure="population",
                  lockdowns=True)
    fig = res.plot(source="simulated", synthetic=True, scale="rate")
    assert fig.lvrn_alt.startswith("Line chart")
    texts = [t.get_text() for t in fig.texts]
    assert any("SYNTHETIC" in t for t in texts)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "National lockdown" in labels and "Counterfactual (no intervention)" in labels
    import matplotlib.pyplot as plt

    plt.close("all")
