"""The synthetic data.police.uk generator: format, determinism, calibration, ground truth.

One module fixture writes the Lancashire series for 2018-01..2021-06 (42 months:
a 21-month pre-period before the injected October 2019 change and three
lockdowns) and loads every file through the real loader. Determinism and seed
checks use a six-month period to stay fast.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.periods import lockdown_fraction
from lvrn_analysis.sources import police
from lvrn_analysis.sources.validation import WEIGHT
from lvrn_analysis.synthetic.police import write_synthetic_police

VSO = "Violence and sexual offences"
ASB = "Anti-social behaviour"
BLACKPOOL = "E06000009"
PRESTON = "E07000123"
HEADER_LINE = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
START, END = "2018-01", "2021-06"
TINY = ("2019-09", "2020-02")


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def real_kept(area) -> pd.DataFrame:
    """Clean counts of the real embedded months (what the generator calibrates on)."""
    with reference_file(area.embedded_police).open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""])
    frame[WEIGHT] = frame[WEIGHT].astype("int64")
    return pd.concat([r.kept for r in police.load_embedded(frame, area, label="embedded")],
                     ignore_index=True)


@pytest.fixture(scope="module")
def synth(tmp_path_factory, area):
    """Write the 42-month series with the defaults (calibrated on the embedded data)."""
    out = tmp_path_factory.mktemp("synthetic") / "police"
    cfg = dataclasses.replace(area, synthetic_start=START, synthetic_end=END)
    truth = write_synthetic_police(out, cfg)
    return out, truth


@pytest.fixture(scope="module")
def loaded(synth, area):
    out, _ = synth
    return {p.name: police.load_police_path(p, area) for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def synth_kept(loaded) -> pd.DataFrame:
    return pd.concat([r.kept for rs in loaded.values() for r in rs], ignore_index=True)


def monthly(kept: pd.DataFrame, crime_type: str, la_code: str | None = None) -> pd.Series:
    k = kept[kept["crime_type"] == crime_type]
    if la_code is not None:
        k = k[(k["la_code"] == la_code) & (k["geo_status"] == "in_area")]
    return k.groupby("month")[WEIGHT].sum().sort_index()


def normal_months(index: pd.DatetimeIndex) -> np.ndarray:
    return (lockdown_fraction(index).sum(axis=1) == 0).to_numpy()


# ------------------------------------------------------------------ format


def test_one_file_per_month_with_the_real_name(synth):
    out, _ = synth
    names = sorted(p.name for p in out.iterdir())
    months = pd.period_range(START, END, freq="M")
    assert names == [f"{m}-lancashire-street.csv" for m in months.strftime("%Y-%m")]
    assert all(re.fullmatch(r"\d{4}-\d{2}-lancashire-street\.csv", n) for n in names)


def test_exact_header_and_twelve_fields(synth):
    out, _ = synth
    for p in sorted(out.iterdir()):
        with open(p, "rb") as fh:
            first = fh.readline()
            second = fh.readline()
        assert first.rstrip(b"\r\n").decode("utf-8") == HEADER_LINE, p.name
        assert len(second.rstrip(b"\r\n").split(b",")) == 12
        assert second.split(b",")[1].decode() == p.name[:7]


def test_every_file_loads_and_balances(loaded):
    assert len(loaded) == 42
    reasons: dict[str, int] = {}
    for name, results in loaded.items():
        assert len(results) == 1, name
        res = results[0]
        res.check_accounting()
        assert res.rows_in == res.rows_kept + res.rows_rejected
        assert res.rows_in > 10_000
        for k, v in res.rejected_by_reason().items():
            reasons[k] = reasons.get(k, 0) + v
    # the real files' quirks are present, and nothing else goes wrong
    assert set(reasons) == {"lsoa_outside_area", "duplicate_crime_id"}


def test_real_quirks_present(synth):
    out, _ = synth
    df = pd.read_csv(out / "2020-02-lancashire-street.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == HEADER_LINE.split(",")
    asb = df["Crime type"] == ASB
    assert (df.loc[asb, "Crime ID"] == "").all()
    assert (df.loc[asb, "Last outcome category"] == "").all()
    assert (df.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}")).all()
    no_lsoa = df["LSOA code"] == ""
    assert 0.02 < no_lsoa.mean() < 0.08
    assert (df.loc[no_lsoa, ["Longitude", "Latitude"]] == "").all().all()
    assert set(df["Falls within"]) == {"Lancashire Constabulary"}
    assert set(df["Crime type"]) <= set(police.CRIME_TYPES)


# ------------------------------------------------------------------ determinism


def test_deterministic_and_seeded(tmp_path, area, real_kept):
    cfg = dataclasses.replace(area, synthetic_start=TINY[0], synthetic_end=TINY[1])
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    truth_a = write_synthetic_police(a, cfg, kept=real_kept)
    truth_b = write_synthetic_police(b, cfg, kept=real_kept)
    write_synthetic_police(c, dataclasses.replace(cfg, synthetic_seed=cfg.synthetic_seed + 1),
                           kept=real_kept)
    names = sorted(p.name for p in a.iterdir())
    assert len(names) == 6
    assert names == sorted(p.name for p in b.iterdir()) == sorted(p.name for p in c.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
        assert (a / n).read_bytes() != (c / n).read_bytes(), n
    assert truth_a == truth_b


# ------------------------------------------------------------------ calibration


@pytest.mark.parametrize("crime_type", [VSO, ASB])
def test_calibrated_to_the_real_mean(synth_kept, real_kept, crime_type):
    real = monthly(real_kept, crime_type)
    syn = monthly(synth_kept, crime_type)
    real_mean = real[normal_months(real.index)].mean()
    syn_mean = syn[normal_months(syn.index)].mean()
    assert normal_months(real.index).sum() >= 20
    assert abs(syn_mean / real_mean - 1) <= 0.10, (syn_mean, real_mean)


def test_asb_rises_in_the_first_lockdown(synth_kept, real_kept):
    def ratio(kept: pd.DataFrame) -> float:
        s = monthly(kept, ASB)
        base = s[[pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")]].mean()
        return float(s[pd.Timestamp("2020-04-01")] / base)

    real, syn = ratio(real_kept), ratio(synth_kept)
    assert real > 2.5  # 11,631 kept in April 2020 against about 4,000 before
    assert syn > 2.0
    assert abs(np.log(syn / real)) < np.log(1.3)


# ------------------------------------------------------------------ ground truth


def test_ground_truth_records(synth):
    _, truth = synth
    level = [t for t in truth if t.get("effect") == "level"]
    assert len(level) == 1
    rec = level[0]
    assert {k: rec[k] for k in ("source", "series", "crime_type", "area_code", "effect",
                                "start", "rate_ratio", "level_ratio", "slope_ratio_per_year",
                                "area", "post_start", "post_end", "post_months")} == {
        "source": "police_street", "series": f"{VSO} in {BLACKPOOL}", "crime_type": VSO,
        "area_code": BLACKPOOL, "effect": "level", "start": "2019-10", "rate_ratio": 0.85,
        "level_ratio": 0.85, "slope_ratio_per_year": 1.0, "area": "lancashire",
        "post_start": "2019-10", "post_end": END, "post_months": 21}
    # the implied averted count: expected (1/RR - 1), month by month and in total
    assert list(rec["averted_by_month"]) == [
        m.strftime("%Y-%m") for m in pd.date_range("2019-10-01", END + "-01", freq="MS")]
    assert sum(rec["averted_by_month"].values()) == pytest.approx(rec["averted_post"],
                                                                  abs=0.01)
    assert rec["averted_post"] == pytest.approx(rec["expected_post"] * (1 / 0.85 - 1),
                                                abs=0.02)
    assert rec["area_total"]["averted_post"] == pytest.approx(rec["averted_post"], abs=0.02)
    none = [t for t in truth if t.get("effect") == "none"]
    assert len(none) == 1 and none[0]["area"] == "lancashire"
    assert none[0]["averted_post"] == 0.0 and none[0]["level_ratio"] == 1.0
    assert len(truth) == 2


def test_expected_counts_follow_the_monthly_population(area, real_kept):
    """No denominator artefact: mu / population is smooth where the population changes."""
    from lvrn_analysis.config.geography import monthly_populations
    from lvrn_analysis.synthetic.police import (
        POPULATION_REFERENCE,
        calibrate,
        default_effects,
        expected_counts,
    )

    months = pd.date_range("2016-01-01", "2022-10-01", freq="MS")
    exp = expected_counts(calibrate(real_kept, area), area, months, default_effects(area))
    pop = monthly_populations(area, months).set_index(["la_code", "date"])["population"]
    ref = pd.Timestamp(POPULATION_REFERENCE + "-01")
    for code in (BLACKPOOL, PRESTON, "E07000117"):
        e = exp[(exp["crime_type"] == VSO) & (exp["la_code"] == code)].set_index("month")
        p = pop.loc[code].reindex(months)
        assert np.allclose(e["population"], p / p.loc[ref])
        # every component multiplies: mu / (population ratio x the rest) is one constant
        rest = e["population"] * e["trend"] * e["season"] * e["covid"] * e["effect"]
        base = e["mu"] / rest
        assert np.allclose(base, base.iloc[0], rtol=1e-12)
        # the expected rate per head has no step where the nearest estimate used to change
        rate = e["mu"] / (e["trend"] * e["season"] * e["covid"] * e["effect"]) / p
        assert np.allclose(rate, rate.iloc[0], rtol=1e-12)


def fit_step(y: pd.Series, la_code: str) -> tuple[float, float, float]:
    """Poisson GLM (Pearson-scaled SE) of monthly counts on a level step at 2019-10.

    Covariates: the share of each month in each national lockdown, month-of-year
    dummies and a log-linear time trend (the generator's documented steady rise in
    recorded violence): without it the step would absorb the trend. The log of the
    authority's monthly population is the offset, as in the generator.
    """
    from lvrn_analysis.config.geography import monthly_populations

    idx = pd.DatetimeIndex(y.index)
    pop = monthly_populations(load_area("lancashire"), idx)
    pop = pop[pop["la_code"] == la_code].set_index("date")["population"].reindex(idx)
    x = pd.DataFrame({"step": (idx >= pd.Timestamp("2019-10-01")).astype(float)}, index=idx)
    lf = lockdown_fraction(idx)
    lf.index = idx
    x = x.join(lf.loc[:, lf.std() > 0])
    x["trend_years"] = (idx - pd.Timestamp("2019-06-01")).days / 365.25
    moy = pd.get_dummies(idx.month, prefix="m", drop_first=True, dtype=float)
    moy.index = idx
    x = sm.add_constant(x.join(moy))
    fit = sm.GLM(y.astype(float), x, family=sm.families.Poisson(),
                 offset=np.log(pop.to_numpy())).fit(scale="X2")
    lo, hi = np.exp(fit.conf_int().loc["step"])
    return float(np.exp(fit.params["step"])), float(lo), float(hi)


def test_injected_effect_is_recovered(synth_kept):
    y = monthly(synth_kept, VSO, BLACKPOOL)
    assert len(y) == 42 and (y > 300).all()
    rr, lo, hi = fit_step(y, BLACKPOOL)
    # the 95 % interval holds the injected 0.85 and excludes no change
    assert lo <= 0.85 <= hi < 1, (rr, lo, hi)


def test_control_authority_shows_no_effect(synth_kept):
    rr, lo, hi = fit_step(monthly(synth_kept, VSO, PRESTON), PRESTON)
    assert lo < 1 < hi, (rr, lo, hi)
