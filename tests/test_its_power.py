"""Simulation, vectorised fitting, power and minimum detectable effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.its import fit_its, minimum_detectable_effect, power_analysis, simulate_series
from lvrn_analysis.its.power import _design, batched_fit
from lvrn_analysis.its.simulate import simulate_matrix


def test_simulate_series_shape_and_truth():
    df = simulate_series(24, 12, n_series=3, baseline=200, effect=0.8, population=1e5, seed=1)
    assert len(df) == 3 * 36
    assert set(df.columns) >= {"series", "month", "count", "expected", "post", "population"}
    assert df["count"].dtype.kind == "i" and (df["count"] >= 0).all()
    exp = df[df["series"] == 0]["expected"].to_numpy()
    assert exp[24] / exp[12] == pytest.approx(0.8 * np.exp(0), rel=1e-12)  # same month, no trend
    again = simulate_series(24, 12, n_series=3, baseline=200, effect=0.8, population=1e5, seed=1)
    pd.testing.assert_frame_equal(df, again)


def test_simulated_dispersion():
    Y, mu, _ = simulate_matrix(24, 12, n_series=4000, baseline=100, dispersion=0.05,
                               seasonal_amplitude=0.0, rng=np.random.default_rng(2))
    var = Y.var(axis=0).mean()
    assert var == pytest.approx(100 + 0.05 * 100**2, rel=0.08)


@pytest.mark.parametrize("se", ["model", "hac"])
def test_batched_fit_equals_fit_its(se):
    df = simulate_series(36, 24, n_series=4, baseline=80, effect=0.9, dispersion=0.03,
                         ar1=0.3, seed=3)
    Y = df.pivot(index="series", columns="month", values="count").to_numpy(dtype=float)
    dates = pd.DatetimeIndex(sorted(df["month"].unique()))
    X = _design(36, 24, dates, 2, False)
    b, s = batched_fit(X, Y, se=se)
    for i, (_, g) in enumerate(df.groupby("series")):
        r = fit_its(g, date="month", interruptions=["2019-01-01"], slope_change=False, se=se)
        assert b[i, -1] == pytest.approx(r.effects["estimate"].iloc[0], abs=1e-8)
        assert s[i, -1] == pytest.approx(r.effects["std_error"].iloc[0], rel=1e-6)


def test_power_monotonic_in_months_after():
    res = power_analysis(months_after=(3, 12, 48), n_pre=36, baseline=600, dispersion=0.005,
                         seasonal_amplitude=0.08, trend=0.02, n_sims=200)
    p = res.table["power"].to_numpy()
    assert np.all(np.diff(p) >= 0)
    assert p[-1] > p[0] + 0.2
    assert (res.table["size"] < 0.12).all()
    assert res.months_needed in (48, None) or res.months_needed <= 48
    fig = res.plot()
    assert "reduction" in fig.lvrn_alt
    again = power_analysis(months_after=(3, 12, 48), n_pre=36, baseline=600, dispersion=0.005,
                           seasonal_amplitude=0.08, trend=0.02, n_sims=200)
    pd.testing.assert_frame_equal(res.table, again.table)


def test_power_increases_with_effect_size_and_baseline():
    small = power_analysis(months_after=(24,), baseline=50, effect=0.9, n_sims=200,
                           check_size=False).table["power"].iloc[0]
    big = power_analysis(months_after=(24,), baseline=50, effect=0.7, n_sims=200,
                         check_size=False).table["power"].iloc[0]
    large_base = power_analysis(months_after=(24,), baseline=2000, effect=0.9,
                                dispersion=0.0, n_sims=200,
                                check_size=False).table["power"].iloc[0]
    assert big > small and large_base > small


def test_minimum_detectable_effect():
    mde = minimum_detectable_effect(36, 24, baseline=100, dispersion=0.01, n_sims=200)
    assert 0.05 < mde["mde_reduction"] < 0.4
    # simulation and the analytic approximation agree roughly
    assert mde["mde_reduction"] == pytest.approx(mde["analytic_reduction"], abs=0.04)
    more = minimum_detectable_effect(36, 24, baseline=1000, dispersion=0.01, n_sims=200)
    assert more["mde_reduction"] < mde["mde_reduction"]
