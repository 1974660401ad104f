"""Tests for lvrn_analysis.stats.funnels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy import stats

from lvrn_analysis.charts.plots import source_line
from lvrn_analysis.stats import funnels
from lvrn_analysis.stats.indicators import wilson_interval


def _spiegelhalter(dist, p, rho):
    """Independent re-statement of Spiegelhalter (2005), Appendix A.1.1."""
    r = 0
    while dist.cdf(r) < p:
        r += 1
    f_r, f_r1 = dist.cdf(r), dist.cdf(r - 1)
    alpha = (f_r - p) / (f_r - f_r1)
    return max(r - alpha, 0.0) / rho


@pytest.mark.parametrize("n", [20, 150, 1000])
def test_exact_binomial_limits_match_definition(n):
    lim = funnels.funnel_limits([n], 0.3, kind="proportion")
    dist = stats.binom(n, 0.3)
    assert lim["lower_95"].iloc[0] == pytest.approx(_spiegelhalter(dist, 0.025, n))
    assert lim["upper_95"].iloc[0] == pytest.approx(_spiegelhalter(dist, 0.975, n))
    assert lim["lower_99_8"].iloc[0] == pytest.approx(_spiegelhalter(dist, 0.001, n))
    assert lim["upper_99_8"].iloc[0] == pytest.approx(_spiegelhalter(dist, 0.999, n))


@pytest.mark.parametrize("expected", [2.5, 12.0, 340.0])
def test_exact_poisson_ratio_limits_match_definition(expected):
    lim = funnels.funnel_limits([expected], 100, kind="ratio", multiplier=100)
    dist = stats.poisson(expected)
    assert lim["lower_95"].iloc[0] == pytest.approx(100 * _spiegelhalter(dist, 0.025, expected))
    assert lim["upper_99_8"].iloc[0] == pytest.approx(
        100 * _spiegelhalter(dist, 0.999, expected))


def test_rate_limits_scale_with_multiplier_and_approach_normal():
    pop = np.array([1e4, 1e5, 1e6, 1e7])
    lim = funnels.funnel_limits(pop, 500, kind="rate")  # 500 per 100,000
    assert (lim["lower_99_8"] < lim["lower_95"]).all()
    assert (lim["lower_95"] < 500).all() and (lim["upper_95"] > 500).all()
    assert np.all(np.diff(lim["upper_95"] - lim["lower_95"]) < 0)  # funnel narrows
    theta = 500 / 1e5
    normal = 500 + stats.norm.ppf(0.975) * np.sqrt(theta / 1e7) * 1e5
    assert lim["upper_95"].iloc[-1] == pytest.approx(normal, rel=1e-3)


def test_wilson_limits_closed_form():
    lim = funnels.funnel_limits([100], 20, kind="proportion", multiplier=100, method="wilson")
    half = stats.norm.ppf(0.975) * np.sqrt(0.2 * 0.8 / 100) * 100
    assert lim["lower_95"].iloc[0] == pytest.approx(20 - half)
    assert lim["upper_95"].iloc[0] == pytest.approx(20 + half)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(5, 5000), frac=st.floats(0, 1), theta=st.floats(0.01, 0.99))
def test_wilson_funnel_agrees_with_wilson_interval(n, frac, theta):
    x = round(n * frac)
    lo, up = wilson_interval(x, n, 0.95)
    assume(abs(lo - theta) > 1e-9 and abs(up - theta) > 1e-9)
    fd = funnels.funnel_data(pd.DataFrame({"x": [x], "n": [n]}), "x", "n", kind="proportion",
                             target=theta, method="wilson", levels=(0.95,))
    outside = fd["significance"].iloc[0] != "within limits"
    assert outside == bool(theta < lo or theta > up)


def test_funnel_data_significance():
    df = pd.DataFrame({
        "area": ["high", "mid", "low", "missing"],
        "observed": [60, 100, 76, np.nan],
        "expected": [30.0, 100.0, 100.0, 50.0],
    })
    fd = funnels.funnel_data(df, "observed", "expected", kind="ratio", multiplier=100)
    assert fd["target"].iloc[0] == 100
    assert fd["significance"].tolist() == [
        "above 99.8% limit", "within limits", "below 95% limit", "not compared"]
    assert "significance" not in df


def test_funnel_data_default_target_is_pooled():
    df = pd.DataFrame({"x": [10, 30], "n": [100, 100]})
    fd = funnels.funnel_data(df, "x", "n", kind="proportion", multiplier=100)
    assert fd["target"].iloc[0] == pytest.approx(20)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        funnels.funnel_limits([10], 1, kind="mean")
    with pytest.raises(ValueError, match="Wilson"):
        funnels.funnel_limits([10], 1, kind="ratio", method="wilson")
    with pytest.raises(ValueError, match="precision"):
        funnels.funnel_limits([0], 0.5, kind="proportion")


def test_funnel_plot_house_style():
    rng = np.random.default_rng(7)
    n = rng.integers(200, 20_000, size=25)
    x = rng.binomial(n, 0.12)
    x[0] = int(n[0] * 0.3)  # a clear outlier
    df = pd.DataFrame({"area": [f"LA{i}" for i in range(25)], "x": x, "n": n})
    fig = funnels.funnel_plot(
        df, "x", "n", kind="proportion", multiplier=100, title="Repeat attendances",
        source=source_line("Synthetic example", synthetic=True), label="area",
        target_label="Pan-Lancashire",
    )
    try:
        assert isinstance(fig, Figure)
        assert fig.lvrn_title == "Repeat attendances"
        assert "Funnel plot of 25 areas" in fig.lvrn_alt
        assert "above" in fig.lvrn_alt and "99.8%" in fig.lvrn_alt
        texts = [t.get_text() for t in fig.texts]
        assert any("SYNTHETIC" in t for t in texts)
        ax = fig.axes[0]
        assert ax.get_xlabel() == "Denominator" and "%" in ax.get_ylabel()
        assert any(t.get_text() == "LA0" for t in ax.texts)
        assert fig.lvrn_funnel_data.loc[0, "significance"] == "above 99.8% limit"
    finally:
        plt.close(fig)


def test_funnel_plot_requires_source():
    df = pd.DataFrame({"x": [5, 8], "n": [50.0, 60.0]})
    with pytest.raises(ValueError, match="source"):
        funnels.funnel_plot(df, "x", "n", kind="ratio", title="t", source=" ")
    plt.close("all")
