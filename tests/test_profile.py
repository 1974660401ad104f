"""Problem-profile aggregations on small hand-made frames.

Rates and intervals are recomputed here from the formulas (exact Poisson below 10
events, Byar's approximation otherwise; APHO Technical Briefing 3 / PHEindicatormethods)
and ONS populations, independently of ``lvrn_analysis.stats.indicators``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities, populations
from lvrn_analysis.stats.indicators import crude_rate
from lvrn_analysis.story import profile

VSO = profile.VIOLENCE
FORCE = "Lancashire Constabulary"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


def month_table(first: str, last: str, missing: tuple[str, ...] = ()) -> pd.DataFrame:
    months = pd.date_range(f"{first}-01", f"{last}-01", freq="MS")
    status = ["missing" if m.strftime("%Y-%m") in missing else "present" for m in months]
    return pd.DataFrame({"force": FORCE, "month": months, "status": status})


def counts_table(area, months: pd.DataFrame, per_la: dict[str, int], *,
                 no_lsoa: int = 0, other_type: int = 0) -> pd.DataFrame:
    """One row per present month x authority with ``per_la[la_code]`` violence crimes."""
    las = local_authorities(area)
    rows = []
    for m in months.loc[months["status"] == "present", "month"]:
        for code, name in zip(las["la_code"], las["la_name"], strict=True):
            if per_la.get(code, 0):
                rows.append((m, FORCE, code, name, f"L{code}", VSO, "in_area", per_la[code]))
            if other_type:
                rows.append((m, FORCE, code, name, f"L{code}", "Drugs", "in_area", other_type))
        if no_lsoa:
            rows.append((m, FORCE, pd.NA, pd.NA, pd.NA, VSO, "no_lsoa", no_lsoa))
    return pd.DataFrame(rows, columns=["month", "force", "la_code", "la_name", "lsoa_code",
                                       "crime_type", "geo_status", "count"])


def exact_or_byars(x: float, conf: float = 0.95) -> tuple[float, float, str]:
    """Poisson interval of a count: exact (x < 10) or Byar's."""
    z = stats.norm.ppf(conf + (1 - conf) / 2)
    if x < 10:
        lo = 0.0 if x == 0 else stats.chi2.ppf((1 - conf) / 2, 2 * x) / 2
        return lo, stats.chi2.ppf(conf + (1 - conf) / 2, 2 * x + 2) / 2, "Exact"
    lo = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return lo, hi, "Byars"


# ------------------------------------------------------------------ latest_complete_window


def test_latest_complete_window_skips_gaps():
    months = month_table("2019-01", "2020-12", missing=("2020-06",))
    start, end = profile.latest_complete_window(months, n=12)
    assert (start, end) == (pd.Timestamp("2019-06-01"), pd.Timestamp("2020-05-01"))
    start, end = profile.latest_complete_window(months, n=6)
    assert (start, end) == (pd.Timestamp("2020-07-01"), pd.Timestamp("2020-12-01"))


def test_latest_complete_window_unsorted_and_duplicated_input():
    months = month_table("2019-01", "2020-12", missing=("2020-06",))
    shuffled = pd.concat([months, months]).sample(frac=1, random_state=3)
    assert profile.latest_complete_window(shuffled, n=12) == (
        pd.Timestamp("2019-06-01"), pd.Timestamp("2020-05-01"))


def test_latest_complete_window_none():
    months = month_table("2020-01", "2020-12", missing=("2020-04", "2020-09"))
    with pytest.raises(ValueError, match="12 consecutive"):
        profile.latest_complete_window(months, n=12)


def test_latest_complete_window_real_shape():
    """The real extract: the latest 12 complete months are Nov 2021 to Oct 2022."""
    months = month_table("2018-11", "2022-10", missing=(
        "2019-03", "2019-04", "2019-05", "2019-06", "2019-07", "2019-08", "2019-09",
        "2019-10", "2019-11", "2020-06", "2020-08", "2020-09"))
    assert profile.latest_complete_window(months) == (pd.Timestamp("2021-11-01"),
                                                      pd.Timestamp("2022-10-01"))


# ------------------------------------------------------------------ monthly_counts


def test_monthly_counts_missing_is_na_not_zero(area):
    months = month_table("2020-01", "2020-04", missing=("2020-03",))
    counts = counts_table(area, months, {"E06000009": 5, "E07000123": 3}, no_lsoa=2,
                          other_type=7)
    # a present month in which no violence was recorded at all
    counts = counts[~((counts["month"] == pd.Timestamp("2020-02-01"))
                      & (counts["crime_type"] == VSO))]
    out = profile.monthly_counts(counts, months)
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2020-01", "2020-02", "2020-03",
                                                          "2020-04"]
    assert out["status"].tolist() == ["present", "present", "missing", "present"]
    assert out["count"].tolist()[:2] == [10, 0]
    assert pd.isna(out.loc[2, "count"]) and pd.isna(out.loc[2, "no_lsoa"])
    assert out.loc[3, "count"] == 10
    assert out["no_lsoa"].tolist()[:2] == [2, 0]
    assert str(out["count"].dtype) == "Int64"


def test_monthly_counts_several_types(area):
    months = month_table("2020-01", "2020-02")
    counts = counts_table(area, months, {"E06000009": 5}, other_type=1)
    out = profile.monthly_counts(counts, months, crime_type=[VSO, "Drugs"])
    assert out["count"].tolist() == [5 + 14, 5 + 14]


def test_monthly_counts_by_authority(area):
    months = month_table("2020-01", "2020-03", missing=("2020-02",))
    counts = counts_table(area, months, {"E06000009": 5, "E07000123": 3}, no_lsoa=4)
    counts = counts[~((counts["month"] == pd.Timestamp("2020-03-01"))
                      & (counts["la_code"] == "E07000123"))]
    out = profile.monthly_counts(counts, months, by_authority=True)
    assert list(out.columns) == ["month", "la_code", "la_name", "count", "status"]
    assert set(out["la_code"]) == {"E06000009", "E07000123"}  # rows without LSOA excluded
    out = out.assign(ym=out["month"].dt.strftime("%Y-%m"))
    bp = out[out["la_code"] == "E06000009"].set_index("ym")
    pr = out[out["la_code"] == "E07000123"].set_index("ym")
    assert bp.loc["2020-01", "count"] == 5 and bp.loc["2020-03", "count"] == 5
    assert pd.isna(bp.loc["2020-02", "count"]) and bp.loc["2020-02", "status"] == "missing"
    assert pr.loc["2020-03", "count"] == 0  # present month, none recorded: a true zero
    assert pd.isna(pr.loc["2020-02", "count"])


# ------------------------------------------------------------------ rates_by_authority

PER_LA = {"E06000008": 120, "E06000009": 250, "E07000117": 95, "E07000118": 60,
          "E07000119": 4, "E07000120": 0, "E07000121": 80, "E07000122": 70,
          "E07000123": 150, "E07000124": 9, "E07000125": 30, "E07000126": 55,
          "E07000127": 40, "E07000128": 45}


@pytest.fixture(scope="module")
def rate_inputs(area):
    months = month_table("2019-01", "2019-12")
    return months, counts_table(area, months, PER_LA, no_lsoa=10, other_type=3)


def test_rates_independent(area, rate_inputs):
    months, counts = rate_inputs
    rates = profile.rates_by_authority(counts, months, area)
    assert len(rates) == 14
    assert (rates["months"] == 12).all()
    assert (rates["mid_year"] == 2019).all()  # the estimate nearest mid-2019
    pop = populations(area, 2019).set_index("la_code")["population"]
    r = rates.set_index("la_code")
    for code, per_month in PER_LA.items():
        x = per_month * 12
        person_years = pop[code] * 12 / 12
        assert r.loc[code, "count"] == x
        assert r.loc[code, "population"] == pop[code]
        assert r.loc[code, "rate"] == pytest.approx(x / person_years * 1000, rel=1e-12)
        lo, hi, method = exact_or_byars(x)
        assert r.loc[code, "method"] == method, code
        assert r.loc[code, "lower_ci"] == pytest.approx(lo / person_years * 1000, rel=1e-9,
                                                        abs=1e-12)
        assert r.loc[code, "upper_ci"] == pytest.approx(hi / person_years * 1000, rel=1e-9)
    assert r.loc["E07000120", "method"] == "Exact" and r.loc["E07000120", "count"] == 0
    # rank 1 = highest rate; sorted by rank
    assert rates["rank"].tolist() == sorted(rates["rank"])
    assert rates.iloc[0]["la_name"] == "Blackpool"
    expected_rank = r["rate"].rank(ascending=False, method="min").astype(int)
    assert (r["rank"] == expected_rank).all()


def test_rates_match_crude_rate(area, rate_inputs):
    months, counts = rate_inputs
    rates = profile.rates_by_authority(counts, months, area, per=100_000, confidence=0.998)
    ref = crude_rate(rates[["la_code", "count", "person_years"]], x="count",
                     n="person_years", multiplier=100_000, confidence=0.998)
    np.testing.assert_allclose(rates["rate"], ref["value"], rtol=1e-12)
    np.testing.assert_allclose(rates["lower_ci"], ref["lower_ci"], rtol=1e-12)
    np.testing.assert_allclose(rates["upper_ci"], ref["upper_ci"], rtol=1e-12)
    assert rates["method"].tolist() == ref["method"].tolist()


def test_rates_partial_window_annualised(area):
    months = month_table("2020-01", "2020-12")
    counts = counts_table(area, months, {"E06000009": 30})
    rates = profile.rates_by_authority(counts, months, area, start=pd.Timestamp("2020-01-01"),
                                       end=pd.Timestamp("2020-06-01"), mid_year=2020)
    bp = rates.set_index("la_code").loc["E06000009"]
    assert bp["months"] == 6 and bp["count"] == 180
    assert bp["rate"] == pytest.approx(180 / (138_381 * 6 / 12) * 1000)


def test_rates_raise_on_a_missing_month(area):
    months = month_table("2020-01", "2020-12", missing=("2020-06",))
    counts = counts_table(area, months, {"E06000009": 30})
    with pytest.raises(ValueError, match="2020-06"):
        profile.rates_by_authority(counts, months, area, start=pd.Timestamp("2020-01-01"),
                                   end=pd.Timestamp("2020-12-01"))


def test_rates_raise_on_a_window_outside_the_data(area):
    months = month_table("2020-01", "2020-12")
    counts = counts_table(area, months, {"E06000009": 30})
    with pytest.raises(ValueError, match="2019-"):
        profile.rates_by_authority(counts, months, area, start=pd.Timestamp("2019-07-01"),
                                   end=pd.Timestamp("2020-06-01"))


def test_rates_unavailable_population_year(area, rate_inputs):
    months, counts = rate_inputs
    with pytest.raises(ValueError, match="available mid-years"):
        profile.rates_by_authority(counts, months, area, mid_year=2021)


@pytest.mark.parametrize("start, end, expected", [
    ("2019-01-01", "2019-12-01", 2019), ("2020-01-01", "2020-12-01", 2020),
    ("2021-11-01", "2022-10-01", 2022), ("2020-07-01", "2021-06-01", 2020),
])
def test_nearest_mid_year(start, end, expected):
    assert profile.nearest_mid_year(pd.Timestamp(start), pd.Timestamp(end),
                                    [2019, 2020, 2022]) == expected


# ------------------------------------------------------------------ ranking_agreement


def test_area_rate_and_ranking_agreement(area, rate_inputs):
    months, counts = rate_inputs
    rates = profile.rates_by_authority(counts, months, area)
    overall = profile.area_rate(rates)
    total = sum(PER_LA.values()) * 12
    py = float(populations(area, 2019)["population"].sum())
    assert overall["count"] == total
    assert overall["value"] == pytest.approx(total / py * 1000)
    agree = profile.ranking_agreement(rates)
    assert sorted(agree["la_name"]) == sorted(profile.REPORT_HIGHEST)
    r = rates.set_index("la_name")
    for row in agree.itertuples():
        assert row.rank == r.loc[row.la_name, "rank"]
        assert row.in_top == (r.loc[row.la_name, "rank"] <= 4)
        assert row.significantly_above_area == (r.loc[row.la_name, "lower_ci"]
                                                > overall["value"])
    assert agree["rank"].tolist() == sorted(agree["rank"])
    # Blackpool (250/month) and Preston are in the top four; Burnley and Blackburn too
    top4 = set(rates.nsmallest(4, "rank")["la_name"])
    assert set(agree.loc[agree["in_top"], "la_name"]) == top4 & set(profile.REPORT_HIGHEST)
    text = profile.ranking_sentence(agree, rates)
    assert text.startswith(("**The data agree**", "**The data partly agree**",
                            "**The data do not agree**"))


def test_ranking_agreement_custom_names(area, rate_inputs):
    months, counts = rate_inputs
    rates = profile.rates_by_authority(counts, months, area)
    agree = profile.ranking_agreement(rates, named=("Fylde", "Hyndburn"))
    assert agree.set_index("la_name")["in_top"].to_dict() == {"Fylde": False,
                                                              "Hyndburn": False}
    assert not agree["significantly_above_area"].any()


# ------------------------------------------------------------------ file_quality


def _quarantine(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["file", "reason", "detail", "row", "month",
                                       "crime_type", "lsoa_code", "n_rows"])


@pytest.fixture()
def quality_inputs(area):
    months = month_table("2020-01", "2020-02")
    counts = counts_table(area, months, {"E06000009": 5, "E07000123": 3}, no_lsoa=2,
                          other_type=1)
    q = _quarantine([
        ("a", "lsoa_outside_area", "d", 4, "2020-01", VSO, "E01014468", 1),
        ("a", "duplicate_crime_id", "d", 9, "2020-01", VSO, pd.NA, 1),
        ("a", "duplicate_crime_id", "d", 12, "2020-01", "Drugs", "E01012673", 1),
        ("b", "duplicate_crime_id", "d", 7, "2020-02", VSO, "E01012673", 1),
        ("e", "superseded_month", "d", pd.NA, "2020-02", VSO, "E01012673", 6),
    ])
    return counts, q


def test_file_quality_accounting(quality_inputs):
    counts, q = quality_inputs
    fq = profile.file_quality(counts, q).set_index("month")
    assert fq.index.strftime("%Y-%m").tolist() == ["2020-01", "2020-02"]
    reasons = ["duplicate_crime_id", "lsoa_outside_area", "superseded_month"]
    assert sorted(c for c in fq.columns
                  if c not in ("rows_in_file", "no_lsoa_in_file", "kept")) == reasons
    assert (fq["rows_in_file"] == fq["kept"] + fq[reasons].sum(axis=1)).all()
    jan, feb = fq.iloc[0], fq.iloc[1]
    assert jan["kept"] == 5 + 3 + 2 and feb["kept"] == 10
    assert jan["lsoa_outside_area"] == 1 and jan["duplicate_crime_id"] == 1  # Drugs ignored
    assert feb["superseded_month"] == 6  # weighted by n_rows
    assert jan["rows_in_file"] == 12 and feb["rows_in_file"] == 17
    assert jan["no_lsoa_in_file"] == 2 + 1 and feb["no_lsoa_in_file"] == 2


def test_file_quality_other_crime_type(quality_inputs):
    counts, q = quality_inputs
    fq = profile.file_quality(counts, q, crime_type="Drugs").set_index("month")
    assert fq["kept"].tolist() == [14, 14]
    assert fq["rows_in_file"].tolist() == [15, 14]


def test_file_quality_with_a_bad_month_row(quality_inputs):
    counts, q = quality_inputs
    q = pd.concat([q, _quarantine([("a", "bad_month", "d", 5, "2020-13", VSO, "E01012673",
                                    1)])], ignore_index=True)
    fq = profile.file_quality(counts, q)
    assert int(fq.get("bad_month", pd.Series([0])).sum()) == 1


# ------------------------------------------------------------------ small helpers


def test_unplaced_share(area):
    months = month_table("2020-01", "2020-02")
    counts = counts_table(area, months, {"E06000009": 6}, no_lsoa=2)
    share = profile.unplaced_share(counts, start=pd.Timestamp("2020-01-01"),
                                   end=pd.Timestamp("2020-02-01"))
    assert share == pytest.approx(4 / 16)
    assert np.isnan(profile.unplaced_share(counts, crime_type="Robbery",
                                           start=pd.Timestamp("2020-01-01"),
                                           end=pd.Timestamp("2020-02-01")))


def test_fmt_period_and_round_half():
    assert profile.fmt_period(pd.Timestamp("2021-11-01"), pd.Timestamp("2022-10-01")) == (
        "November 2021 to October 2022")
    assert profile.round_half(2.25) == 2.3
    assert profile.round_half(-2.25) == -2.3
    assert profile.round_half(0.05, 1) == 0.1
