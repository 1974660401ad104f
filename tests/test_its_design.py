"""Design matrix and input validation of the ITS engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.its import fit_its, simulate_series
from lvrn_analysis.its.design import (
    build_design,
    harmonic,
    parse_interruptions,
    validate_series,
)


def _series(n: int = 48, start: str = "2018-01-01", value: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(start, periods=n, freq="MS"),
                         "count": np.full(n, value), "population": 1000.0})


def test_harmonic_matches_tsmodel():
    # tsModel::harmonic(1:12, 2, 12): sin(2*pi*x*k/12) for k=1,2 then the cosines
    h = harmonic(np.arange(1, 13), 2, 12)
    assert h.shape == (12, 4)
    np.testing.assert_allclose(h[0], [0.5, np.sqrt(3) / 2, np.sqrt(3) / 2, 0.5], atol=1e-12)
    np.testing.assert_allclose(h[2], [1.0, 0.0, 0.0, -1.0], atol=1e-12)  # March
    np.testing.assert_allclose(h[11], [0.0, 0.0, 1.0, 1.0], atol=1e-12)  # December
    x = np.arange(1, 13)
    np.testing.assert_allclose(h[:, 1], np.sin(2 * np.pi * 2 * x / 12))
    with pytest.raises(ValueError, match="period/2"):
        harmonic(x, 7, 12)


def test_design_columns_and_slope_coding():
    s = validate_series(_series(), "date", "count", "population")
    intr = parse_interruptions(["2020-01-01"], s)
    X, excl, terms = build_design(s, intr, harmonics=2)
    assert list(X.columns) == ["const", "time", "sin1", "sin2", "cos1", "cos2",
                               "level[2020-01-01]", "slope[2020-01-01]"]
    assert not excl.any()
    k = intr[0].index
    assert k == 24
    lv, sl = X["level[2020-01-01]"].to_numpy(), X["slope[2020-01-01]"].to_numpy()
    assert lv[:k].sum() == 0 and (lv[k:] == 1).all()
    # as Rcode.R: I(time - 36):smokban is 1 in the first post month
    np.testing.assert_array_equal(sl, np.where(X["time"] > k, X["time"] - k, 0))
    assert terms["level"] == {"2020-01-01": "level[2020-01-01]"}


def test_month_dummies_and_no_seasonality():
    s = validate_series(_series(), "date", "count")
    intr = parse_interruptions(["2020-01-01"], s)
    X, _, _ = build_design(s, intr, seasonality="dummies", slope_change=False)
    assert [c for c in X if c.startswith("month")] == [f"month{m:02d}" for m in range(2, 13)]
    X0, _, _ = build_design(s, intr, harmonics=0)
    assert list(X0.columns) == ["const", "time", "level[2020-01-01]", "slope[2020-01-01]"]


def test_transition_window_exclude_and_phase():
    s = validate_series(_series(), "date", "count")
    intr = parse_interruptions(["2020-01-01"], s, transition=3)
    X, excl, _ = build_design(s, intr, harmonics=0)
    k = 24
    assert excl[k:k + 3].all() and excl.sum() == 3
    lv = X["level[2020-01-01]"].to_numpy()
    assert lv[: k + 3].sum() == 0 and (lv[k + 3:] == 1).all()
    assert X["slope[2020-01-01]"].iloc[k + 3] == 1
    Xp, exclp, _ = build_design(s, intr, harmonics=0, transition_mode="phase")
    assert not exclp.any()
    np.testing.assert_allclose(Xp["level[2020-01-01]"].iloc[k:k + 5], [0.25, 0.5, 0.75, 1, 1])


def test_transition_in_fit_recovers_effect():
    df = simulate_series(36, 30, effect=0.8, baseline=400, dispersion=0.002, seed=3)
    # months 1-3 after go-live have no effect yet: the excluded window absorbs them
    df.loc[36:38, "count"] = (df.loc[36:38, "count"] / 0.8).round().astype(int)
    res = fit_its(df, date="month", interruptions=["2019-01-01"], transition=3,
                  slope_change=False)
    assert res.diagnostics["n_fit"] == 63
    assert res.predictions["excluded"].sum() == 3
    assert res.effects["rate_ratio"].iloc[0] == pytest.approx(0.8, abs=0.03)


def test_multiple_interruptions():
    n = 72
    t = np.arange(n)
    mu = 200 * np.where(t >= 24, 0.8, 1.0) * np.where(t >= 48, 1.25, 1.0)
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"date": pd.date_range("2015-01-01", periods=n, freq="MS"),
                       "count": rng.poisson(mu)})
    res = fit_its(df, interruptions={"launch": "2017-01-01", "expansion": "2019-01-01"},
                  slope_change=[True, False], harmonics=0)
    eff = res.effects
    assert list(zip(eff["interruption"], eff["effect"], strict=True)) == [
        ("launch", "level"), ("launch", "slope"), ("expansion", "level")]
    lv = eff.set_index(["interruption", "effect"])["rate_ratio"]
    assert lv[("launch", "level")] == pytest.approx(0.8, abs=0.06)
    assert lv[("expansion", "level")] == pytest.approx(1.25, abs=0.1)


def test_weekly_series():
    n = 156
    rng = np.random.default_rng(2)
    dates = pd.date_range("2019-01-07", periods=n, freq="7D")
    mu = 50 * np.where(np.arange(n) >= 104, 0.7, 1.0)
    df = pd.DataFrame({"week": dates, "count": rng.poisson(mu)})
    res = fit_its(df, date="week", interruptions=["2021-01-04"], harmonics=1,
                  slope_change=False, family="poisson")
    assert res.spec["freq"] == "W"
    assert res.effects["rate_ratio"].iloc[0] == pytest.approx(0.7, abs=0.08)


def test_lockdown_covariates_and_exclusion():
    df = simulate_series(36, 36, start="2018-01-01", baseline=300, effect=0.9, seed=5)
    res = fit_its(df, date="month", interruptions=["2021-01-01"], lockdowns=True,
                  slope_change=False)
    assert {"lockdown1", "lockdown2", "lockdown3"} <= set(res.params["term"])
    ex = fit_its(df, date="month", interruptions=["2021-01-01"], exclude="lockdowns",
                 slope_change=False)
    # Mar-Jul 2020, Nov-Dec 2020, Jan-Mar 2021 overlap a lockdown
    assert ex.diagnostics["n_fit"] == 72 - 10


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.iloc[::-1], "not sorted"),
    (lambda d: pd.concat([d, d.iloc[[5]]]).sort_values("date"), "duplicate dates"),
    (lambda d: d.drop(index=[10, 11]), r"2 missing period\(s\).*2018-11, 2018-12.*not zero-filled"),
    (lambda d: d.assign(count=d["count"] + 0.5), "integer counts"),
    (lambda d: d.assign(count=np.where(d.index == 3, -1, d["count"])), "negative counts"),
    (lambda d: d.assign(count=np.where(d.index == 3, np.nan, d["count"])), "missing"),
    (lambda d: d.assign(population=np.where(d.index == 7, 0.0, 1000.0)), "must be > 0"),
])
def test_bad_input_messages(mutate, message):
    df = mutate(_series())
    with pytest.raises(ValueError, match=message):
        fit_its(df, interruptions=["2020-01-01"], exposure="population")


def test_interruption_outside_series():
    with pytest.raises(ValueError, match="outside the series"):
        fit_its(_series(), interruptions=["2030-01-01"])
    with pytest.raises(ValueError, match="too few periods"):
        fit_its(_series(), interruptions=["2018-02-01"])


def test_bad_options():
    df = _series()
    with pytest.raises(ValueError, match="family must be"):
        fit_its(df, interruptions=["2020-01-01"], family="gaussian")
    with pytest.raises(ValueError, match="se must be"):
        fit_its(df, interruptions=["2020-01-01"], se="robust")
    with pytest.raises(ValueError, match="column 'nope' not found"):
        fit_its(df, interruptions=["2020-01-01"], exposure="nope")
    with pytest.raises(ValueError, match="frequency"):
        fit_its(df.assign(date=df["date"] + pd.Timedelta(days=3)).iloc[[0, 1, 5, 9]],
                interruptions=["2018-05-01"])
