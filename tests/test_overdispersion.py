"""Tests for lvrn_analysis.stats.overdispersion and the profile page's funnel.

The hand computations below restate Spiegelhalter (2005, QSHC 14:347-351; Stat Med
24:1185-1202) with the standard library only, independent of the module's helpers.
The data are the real violence and sexual offences counts of the 14 pan-Lancashire
authorities, November 2021 to October 2022 (data.police.uk, OGL v3.0), with ONS
mid-2022 populations (12 months, so person-years = residents), as the page shows them.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lvrn_analysis.stats import funnels
from lvrn_analysis.stats import overdispersion as od
from lvrn_analysis.story import profile_funnel

#: (authority, violence and sexual offences Nov 2021 - Oct 2022, ONS mid-2022 residents)
REAL = [
    ("Blackpool", 11287, 141574), ("Burnley", 5347, 95553), ("Preston", 7664, 151582),
    ("Hyndburn", 4193, 83213), ("Blackburn with Darwen", 7112, 155762),
    ("Pendle", 3540, 96110), ("Lancaster", 5320, 144446), ("Rossendale", 2408, 71169),
    ("Chorley", 3934, 118624), ("Wyre", 3649, 114809), ("South Ribble", 3531, 112166),
    ("West Lancashire", 2912, 119367), ("Fylde", 2022, 83008),
    ("Ribble Valley", 1181, 63107),
]


def _rates() -> pd.DataFrame:
    df = pd.DataFrame(REAL, columns=["la_name", "count", "person_years"])
    df["person_years"] = df["person_years"].astype(float)
    return df


def _hand(winsor: float = 0.1):
    """Spiegelhalter (2005) by hand on the square-root scale, standard library only."""
    k = len(REAL)
    theta = sum(o for _, o, _ in REAL) / sum(n for _, _, n in REAL)  # per person-year
    e = {a: theta * n for a, _, n in REAL}
    z = {a: 2.0 * (math.sqrt(o) - math.sqrt(e[a])) for a, o, _ in REAL}
    zs = sorted(z.values())

    def pct(p: float) -> float:  # linear interpolation between order statistics (type 7)
        h = (k - 1) * p
        lo = math.floor(h)
        return zs[lo] + (h - lo) * (zs[min(lo + 1, k - 1)] - zs[lo])

    lo, hi = pct(winsor), pct(1 - winsor)
    zw = [min(max(v, lo), hi) for v in z.values()]
    phi = sum(v * v for v in zw) / k
    w = [4.0 * e[a] for a in e]  # 1 / s^2 with s = 1 / (2 sqrt(E))
    tau2 = max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    return theta, e, z, phi, tau2


def test_limits_match_hand_computation_for_two_authorities():
    theta, e, _, phi, tau2 = _hand()
    res = od.overdispersion_funnel(_rates(), "count", "person_years", label="la_name",
                                   multiplier=1000)
    t = res.table.set_index(["area", "method"])
    for area in ("Blackpool", "Ribble Valley"):
        s = 1.0 / (2.0 * math.sqrt(e[area]))
        for level, suffix in ((0.95, "95"), (0.998, "99_8")):
            zp = NormalDist().inv_cdf(1 - (1 - level) / 2)
            for method, sd in (("multiplicative", math.sqrt(max(phi, 1.0)) * s),
                               ("additive", math.sqrt(s * s + tau2))):
                lower = 1000 * theta * max(1 - zp * sd, 0.0) ** 2
                upper = 1000 * theta * (1 + zp * sd) ** 2
                assert t.loc[(area, method), f"lower_{suffix}"] == pytest.approx(lower, rel=1e-9)
                assert t.loc[(area, method), f"upper_{suffix}"] == pytest.approx(upper, rel=1e-9)
    # the Poisson limits are the exact ones of stats.funnels
    n = {a: n for a, _, n in REAL}
    pois = funnels.funnel_limits([n["Blackpool"]], 1000 * theta, kind="rate", multiplier=1000)
    assert t.loc[("Blackpool", "poisson"), "upper_99_8"] == pytest.approx(
        pois["upper_99_8"].iloc[0])
    # values measured on the real data (sqrt scale, 10%/90% winsorised)
    assert res.phi == pytest.approx(353.2, abs=0.05)
    assert res.tau2 == pytest.approx(0.02082, abs=5e-6)


def test_log_scale_by_hand():
    theta = sum(o for _, o, _ in REAL) / sum(n for _, _, n in REAL)
    res = od.overdispersion_funnel(_rates(), "count", "person_years", label="la_name",
                                   multiplier=1000, transform="log", winsor=0.0)
    z = [math.sqrt(theta * n) * math.log(o / (theta * n)) for _, o, n in REAL]
    assert res.phi == pytest.approx(sum(v * v for v in z) / len(z), rel=1e-12)
    row = res.table.set_index(["area", "method"]).loc[("Fylde", "multiplicative")]
    s = 1 / math.sqrt(theta * 83008)
    zp = NormalDist().inv_cdf(0.999)
    assert row["upper_99_8"] == pytest.approx(1000 * theta * math.exp(zp * math.sqrt(res.phi) * s))


def test_phi_equals_direct_computation():
    _, _, z, phi, _ = _hand()
    res = od.overdispersion_funnel(_rates(), "count", "person_years", label="la_name")
    assert res.phi == pytest.approx(phi, rel=1e-12)
    assert res.n_winsorised == 4  # 2.3rd and 12.7th order statistics: two pulled in each end
    assert res.chi2 == pytest.approx(14 * phi)
    assert res.p_value == pytest.approx(stats.chi2.sf(14 * phi, 13))
    # no winsorisation: the plain mean of the squared z-scores
    raw = od.overdispersion_funnel(_rates(), "count", "person_years", label="la_name",
                                   winsor=0.0)
    assert raw.phi == pytest.approx(sum(v * v for v in z.values()) / 14, rel=1e-12)
    assert raw.phi > res.phi  # winsorising pulls in Blackpool's z of about 59


def test_phi_is_about_one_and_test_has_its_size_without_overdispersion():
    rng = np.random.default_rng(13)
    e = np.linspace(500, 5000, 14)
    o = rng.poisson(e, size=(4000, 14))
    z = 2 * (np.sqrt(o) - np.sqrt(e))  # known target: k degrees of freedom
    phi = np.mean(z**2, axis=1)
    assert phi.mean() == pytest.approx(1.0, abs=0.03)
    reject = np.mean(stats.chi2.sf(14 * phi, 14) < 0.05)
    assert 0.035 < reject < 0.065


def test_tau2_floored_at_zero_when_underdispersed():
    pop = np.array([50_000, 80_000, 120_000, 150_000, 200_000, 90_000], dtype=float)
    counts = np.round(pop * 0.04)  # every area at the target: far less spread than Poisson
    df = pd.DataFrame({"area": list("ABCDEF"), "x": counts, "n": pop})
    res = od.overdispersion_funnel(df, "x", "n", label="area", multiplier=1000)
    assert res.phi < (res.k - 1) / res.k
    assert res.tau2 == 0.0
    assert res.p_value > 0.99
    t = res.table.set_index(["area", "method"])
    theta = counts.sum() / pop.sum()
    s = 1 / (2 * math.sqrt(theta * pop[0]))
    zp = NormalDist().inv_cdf(0.975)
    normal = 1000 * theta * (1 + zp * s) ** 2  # chance alone on the sqrt scale
    assert t.loc[("A", "additive"), "upper_95"] == pytest.approx(normal)
    assert t.loc[("A", "multiplicative"), "upper_95"] == pytest.approx(normal)  # phi floored
    assert od.tau_squared(0.5, 10, np.full(10, 0.01)) == 0.0
    assert od.tau_squared(0.9, 10, np.full(10, 0.01)) == 0.0  # k phi = k - 1 exactly


def test_additive_limits_stay_open_multiplicative_close():
    res = od.overdispersion_funnel(_rates(), "count", "person_years", label="la_name",
                                   multiplier=1000)
    lim = res.limits([1e5, 1e12])
    lo, hi = res.typical_range(0.95)
    assert lim["additive_upper_95"].iloc[-1] == pytest.approx(hi, rel=1e-4)
    assert lim["additive_lower_95"].iloc[-1] == pytest.approx(lo, rel=1e-4)
    assert lim["multiplicative_upper_95"].iloc[-1] == pytest.approx(res.target, rel=1e-3)
    assert (lim["additive_upper_99_8"] > lim["additive_upper_95"]).all()


def test_flags_and_counts_on_the_real_data():
    res = profile_funnel.authority_funnel(_rates())
    c = res.counts().set_index(["method", "level"])["outside"]
    assert c[("poisson", 0.95)] == 14 and c[("poisson", 0.998)] == 14
    assert c[("additive", 0.998)] == 0 and c[("additive", 0.95)] == 2
    assert c[("multiplicative", 0.998)] == 1
    assert res.outside("additive", 0.95)[["area", "side"]].to_numpy().tolist() == [
        ["Blackpool", "above"], ["Ribble Valley", "below"]]
    f = res.flags().set_index("area")
    assert f.loc["Burnley", "flag_poisson"] == "above 99.8% limit"
    assert f.loc["Burnley", "flag_additive"] == "within limits"
    # a flag agrees with the limits it names
    t = res.table
    above = t["flag"].str.startswith("above")
    assert (t.loc[above, "value"] > t.loc[above, "upper_95"]).all()
    within = t["flag"] == "within limits"
    assert ((t.loc[within, "value"] >= t.loc[within, "lower_95"])
            & (t.loc[within, "value"] <= t.loc[within, "upper_95"])).all()


def test_ratio_kind_targets_one():
    df = pd.DataFrame({"area": list("ABCD"), "obs": [120, 80, 100, 150],
                       "exp": [100.0, 100.0, 100.0, 100.0]})
    res = od.overdispersion_funnel(df, "obs", "exp", label="area", kind="ratio",
                                   multiplier=100)
    assert res.target == 100
    assert res.table["expected"].tolist()[:4] == [100.0] * 4
    assert res.table.loc[0, "ratio"] == pytest.approx(1.2)


@pytest.mark.parametrize(("change", "message"), [
    ({"count": [-1]}, "row 0, column 'count': needs a count >= 0"),
    ({"person_years": [0.0]}, "row 0, column 'person_years': needs a denominator > 0"),
    ({"count": ["many"]}, "row 0, column 'count': not a number"),
])
def test_bad_rows_are_named(change, message):
    df = _rates().astype({"count": object})
    for col, vals in change.items():
        df.loc[0, col] = vals[0]
    with pytest.raises(ValueError, match=message):
        od.overdispersion_funnel(df, "count", "person_years", label="la_name")


def test_other_bad_input():
    df = _rates()
    with pytest.raises(ValueError, match="at least 3 areas"):
        od.overdispersion_funnel(df.head(2), "count", "person_years", label="la_name")
    with pytest.raises(ValueError, match="transform"):
        od.overdispersion_funnel(df, "count", "person_years", label="la_name", transform="x")
    zero = df.copy()
    zero.loc[3, "count"] = 0
    with pytest.raises(ValueError, match="row 3, column 'count': a zero count has no log"):
        od.overdispersion_funnel(zero, "count", "person_years", label="la_name",
                                 transform="log")
    od.overdispersion_funnel(zero, "count", "person_years", label="la_name")  # sqrt copes
    with pytest.raises(KeyError, match="column 'nope'"):
        od.overdispersion_funnel(df, "nope", "person_years", label="la_name")


def test_summary_and_repr_carry_the_estimates():
    res = profile_funnel.authority_funnel(_rates())
    text = res.summary()
    for part in ("k = 14", "phi = 353.2", "13 df", "tau^2 = 0.02082", "10%/90%",
                 "square root", "additive"):
        assert part in text
    assert "phi=353.2" in repr(res)


def test_sentence_gives_the_numbers():
    res = profile_funnel.authority_funnel(_rates())
    rag = pd.Series(["worse"] * 5 + ["better"] * 9)
    text = profile_funnel.funnel_sentence(res, rag=rag)
    assert text.startswith("**Poisson limits (chance alone) flag 14 of 14 authorities**")
    assert "colours mark 14 of 14 better or worse" in text
    assert "φ = 353.2" in text and "13 degrees of freedom, p < 0.001" in text
    assert "**Allowing for that spread, 0 of 14 remain outside the 99.8%" in text
    assert "2 lie outside the 95% limits: Blackpool (above), Ribble Valley (below)" in text
    assert "1 of 14 lies outside the 99.8% limits: Blackpool (above)." in text
    assert "21.3 to 68.0 per 1,000" in text


def test_table_for_publication():
    res = profile_funnel.authority_funnel(_rates())
    tab = profile_funnel.funnel_table(res)
    assert tab["la_name"].iloc[0] == "Blackpool" and len(tab) == 14
    assert tab["vs Poisson limits"].str.contains("99.8%").all()
    assert tab.loc[tab["la_name"] == "Ribble Valley", "vs random-effects limits"].item() == \
        "below 95% limit"


def test_chart_labels_every_authority_and_shows_dispersion(tmp_path):
    res = profile_funnel.authority_funnel(_rates())
    fig = profile_funnel.funnel_chart(res, period="November 2021 to October 2022",
                                      mid_year=2022)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert {a for a, _, _ in REAL} <= set(texts)
    assert any("φ = 353.2" in t for t in texts)
    assert "no area lies outside the 99.8% limits" in fig.lvrn_alt
    assert "2 lie (Blackpool, Ribble Valley) outside the 95% limits only" in fig.lvrn_alt
    assert any("Real data." in t.get_text() for t in fig.texts)
    plt.close(fig)


def test_deterministic(tmp_path):
    a = profile_funnel.authority_funnel(_rates())
    b = profile_funnel.authority_funnel(_rates())
    assert a.table.to_csv() == b.table.to_csv()
    assert a.summary() == b.summary()
    pngs = []
    for i, res in enumerate((a, b)):
        fig = profile_funnel.funnel_chart(res, period="p", mid_year=2022)
        from lvrn_analysis.charts.plots import save_png

        pngs.append(save_png(fig, tmp_path / f"f{i}.png").read_bytes())
        plt.close(fig)
    assert pngs[0] == pngs[1]
