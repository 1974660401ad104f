"""In-time placebo and sensitivity analyses."""

from __future__ import annotations

import pytest

from lvrn_analysis.its import placebo_test, sensitivity, simulate_series


def test_placebo_real_effect_stands_out():
    df = simulate_series(48, 24, baseline=400, effect=0.7, dispersion=0.003, seed=21)
    res = placebo_test(df, date="month", interruptions=["2020-01-01"], harmonics=2)
    t = res.table
    assert (t["kind"] == "real").sum() == 1
    assert res.n_placebo == 48 - 12 - 6 + 1
    assert res.rank == 1
    assert res.p_value == pytest.approx(1 / (res.n_placebo + 1))
    assert set(t.columns) >= {"interruption", "kind", "rate_ratio", "ci_low", "ci_high"}
    fig = res.plot(source="simulated", synthetic=True)
    assert "placebo" in fig.lvrn_alt


def test_placebo_no_effect_not_flagged():
    df = simulate_series(48, 24, baseline=400, effect=1.0, dispersion=0.003, seed=22)
    res = placebo_test(df, date="month", interruptions=["2020-01-01"])
    assert res.p_value > 0.1


def test_sensitivity_grid():
    df = simulate_series(36, 36, baseline=300, effect=0.85, start="2018-01-01", seed=23)
    out = sensitivity(df, date="month", interruptions=["2021-01-01"], slope_change=False)
    assert set(out["harmonics"]) == {0, 1, 2, 3}
    assert set(out["lockdown_handling"]) == {"ignored", "covariates", "excluded"}
    assert len(out) == 12
    assert (out["note"] == "").all()
    ex = out[out["lockdown_handling"] == "excluded"]
    assert (ex["n_fit"] == 62).all()
    assert out["rate_ratio"].between(0.7, 1.0).all()
    # no lockdown overlap -> only the 'ignored' variant
    pre = simulate_series(36, 12, baseline=300, start="2015-01-01", seed=24)
    out2 = sensitivity(pre, date="month", interruptions=["2018-01-01"], harmonics=(0, 2))
    assert set(out2["lockdown_handling"]) == {"ignored"}
