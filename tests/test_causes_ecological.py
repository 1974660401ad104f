"""The ecological model across forces: 23 real authorities, two forces, real factors.

The real data are read the way the build reads them (the embedded police aggregates of
both forces through `police.ingest`, the shipped IMD 2019 and indicator files through
their sources), so these tests need no build. Fits are checked against independent
statsmodels calls on the same frame; leave-one-out ranges against a constructed example
whose answer is known exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from lvrn_analysis.config.areas import load_area, load_comparators
from lvrn_analysis.sources import imd as imd_source
from lvrn_analysis.sources import indicators_real as ir
from lvrn_analysis.sources import police
from lvrn_analysis.story import causes

LANCS = "Lancashire Constabulary"
LEICS = "Leicestershire Police"
VIOLENCE = "Violence and sexual offences"


class _Sink:
    chunk_rows = 1 << 20

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def write_frame(self, kept: pd.DataFrame) -> None:
        self.frames.append(kept)

    def write_chunk(self, kept) -> None:  # pragma: no cover - embedded data use frames
        self.frames.append(kept.to_pandas())


def _police(area):
    sink = _Sink()
    got = police.ingest(area, sink, None)
    return pd.concat(sink.frames, ignore_index=True), got.coverage


@pytest.fixture(scope="module")
def areas():
    lancs = load_area("lancashire")
    return lancs, load_comparators(lancs)


@pytest.fixture(scope="module")
def tables(areas):
    lancs, (leics,) = areas
    counts, months = _police(lancs)
    c_counts, c_months = _police(leics)
    return counts, months, c_counts, c_months


@pytest.fixture(scope="module")
def violence(areas, tables):
    lancs, _ = areas
    return causes.ecological_violence(lancs, *tables)


@pytest.fixture(scope="module")
def imd(areas):
    area = areas[0]
    res = [r for p in imd_source.default_inputs(area) for r in imd_source.load_imd(p, area)]
    return imd_source.processed_table(res, area)


@pytest.fixture(scope="module")
def indicators(areas):
    area = areas[0]
    res = [r for p in ir.default_inputs(area) for r in ir.load_indicators_real(p, area)]
    return ir.processed_table(res, area)


@pytest.fixture(scope="module")
def factors(imd, indicators):
    return causes.real_factors(imd, indicators)


@pytest.fixture(scope="module")
def results(violence, factors):
    v, window = violence
    return causes.ecological_models(v, factors, window=window)


# ------------------------------------------------------------------ the data


def test_23_authorities_two_forces_common_window(violence, areas, tables):
    v, (start, end) = violence
    assert len(v) == 23 and v["la_code"].is_unique
    assert v.groupby("force")["la_code"].nunique().to_dict() == {LANCS: 14, LEICS: 9}
    lancs, (leics,) = areas
    assert set(v["la_code"]) == set(lancs.authorities) | set(leics.authorities)
    # Lancashire lacks 2020-06, 2020-08 and 2020-09; both forces end in 2022-10
    assert (start, end) == (pd.Timestamp("2021-11-01"), pd.Timestamp("2022-10-01"))
    # counts equal a direct sum of each force's own kept table over the window
    for counts in (tables[0], tables[2]):
        c = counts[(counts["crime_type"] == VIOLENCE) & (counts["geo_status"] == "in_area")
                   & counts["month"].between(start, end)]
        direct = c.groupby("la_code")["count"].sum()
        got = v.set_index("la_code").loc[direct.index, "count"]
        assert (got == direct).all()
    # each area's mid-year estimate nearest the window that the package holds
    assert v.groupby("force")["mid_year"].unique().map(list).to_dict() == {
        LANCS: [2022], LEICS: [2019]}
    assert np.allclose(v["person_years"], v["population"])  # 12 months


def test_comparator_tables_are_required_when_configured(areas, tables):
    with pytest.raises(ValueError, match="police_street_comparators"):
        causes.ecological_violence(areas[0], tables[0], tables[1])


def test_common_window_needs_every_force():
    def cov(force, months, missing=()):
        m = pd.date_range(*months, freq="MS")
        return pd.DataFrame({"force": force, "month": m,
                             "status": ["missing" if d.strftime("%Y-%m") in missing
                                        else "present" for d in m]})
    a = cov("A", ("2020-01-01", "2021-12-01"), missing=("2021-06",))
    b = cov("B", ("2020-01-01", "2021-03-01"))
    assert causes.common_window([a, b], n=6) == (pd.Timestamp("2020-10-01"),
                                                 pd.Timestamp("2021-03-01"))
    # 15 common months with data: a 16-month window does not exist
    with pytest.raises(ValueError, match="no run of 16"):
        causes.common_window([a, b], n=16)


def test_factor_values_equal_the_reference_files(results):
    d = results.data.set_index("la_name")
    assert d.loc["Blackpool", "children_low_income"] == 26.2
    assert d.loc["Ribble Valley", "children_low_income"] == 5.9
    assert d.loc["Blackpool", "self_harm_admissions"] == 466.5
    assert d.loc["Blackpool", "imd_score"] == pytest.approx(45.039)
    assert results.periods()["children_low_income"] == "2016"
    assert results.periods()["self_harm_admissions"] == "2017/18"
    assert results.periods()["alcohol_admissions_narrow"] == "2017/18"


def test_crime_domain_is_excluded(imd, results, violence):
    assert "crime_score" in imd.columns  # it exists, and is left out on purpose
    assert "crime_score" not in set(causes.imd_factor_frame(imd)["factor"])
    assert "crime_score" not in results.fits
    with pytest.raises(ValueError, match="circular"):
        causes.imd_factor_frame(imd, ["imd_score", "crime_score"])
    data = violence[0].assign(crime_score=violence[0]["la_code"].map(
        imd.set_index("la_code")["crime_score"]))
    with pytest.raises(ValueError, match="circular"):
        causes.fit_factor(data, "crime_score")
    tidy = pd.DataFrame({"la_code": ["E06000009"], "factor": ["crime_score"],
                         "period": ["2019"], "value": [1.0]})
    with pytest.raises(ValueError, match="circular"):
        causes.latest_periods(tidy, ["E06000009"])


# ------------------------------------------------------------------ the fits


def _standardised(results, factor):
    d = results.data.copy()
    x = d[factor]
    d["z"] = (x - x.mean()) / x.std(ddof=0)
    d["off"] = np.log(d["person_years"])
    return d


@pytest.mark.parametrize("factor", ["imd_score", "children_low_income",
                                    "self_harm_admissions"])
def test_nb_fit_equals_an_independent_statsmodels_call(results, factor):
    d = _standardised(results, factor)
    ref = smf.negativebinomial("count ~ z + C(force)", d, offset=d["off"],
                               loglike_method="nb2").fit(method="bfgs", maxiter=2000, disp=0)
    assert ref.mle_retvals["converged"]
    fit = results.fits[factor]
    terms = fit.terms.set_index("term")
    assert fit.n == 23 and fit.family == "negative_binomial"
    pairs = [("(intercept)", "Intercept"), (factor, "z"),
             (f"force: {LEICS}", f"C(force)[T.{LEICS}]")]
    for ours, theirs in pairs:
        assert terms.loc[ours, "coef"] == pytest.approx(ref.params[theirs], rel=1e-4, abs=1e-6)
        assert terms.loc[ours, "se"] == pytest.approx(ref.bse[theirs], rel=1e-3)
    assert fit.dispersion == pytest.approx(ref.params["alpha"], rel=1e-3)
    assert fit.reference_force == LANCS


def test_quasi_poisson_fit_equals_an_independent_statsmodels_glm(violence, factors):
    res = causes.ecological_models(violence[0], factors, family="quasi_poisson")
    d = _standardised(res, "imd_score")
    ref = smf.glm("count ~ z + C(force)", d, offset=d["off"],
                  family=sm.families.Poisson()).fit(scale="X2")
    fit = res.fits["imd_score"]
    terms = fit.terms.set_index("term")
    assert terms.loc["imd_score", "coef"] == pytest.approx(ref.params["z"], rel=1e-8)
    assert terms.loc["imd_score", "se"] == pytest.approx(ref.bse["z"], rel=1e-8)
    assert terms.loc[f"force: {LEICS}", "se"] == pytest.approx(
        ref.bse[f"C(force)[T.{LEICS}]"], rel=1e-8)
    assert fit.dispersion == pytest.approx(ref.scale, rel=1e-10)


def test_results_table_names_n_family_dispersion_and_loo_ranges(results):
    t = results.table()
    assert results.n == 23 and (t["n"] == 23).all()
    assert set(t["family"]) == {"negative_binomial"}
    assert (t["dispersion"] > 0).all()
    assert (t["loo_min"] <= t["rate_ratio"]).all() and (t["rate_ratio"] <= t["loo_max"]).all()
    shown = results.display_table()
    for col in ("Authorities", "Family", "Dispersion", "Range leaving one authority out",
                "Force term range leaving one out"):
        assert col in shown.columns
    assert set(shown["Authorities"]) == {23}
    assert shown["Family"].str.contains("negative binomial").all()
    assert shown["Dispersion"].str.startswith("α = ").all()
    text = results.summary()
    assert "23 authorities" in text and "Lancashire Constabulary 14" in text
    assert "November 2021 to October 2022" in text


def test_loo_ranges_equal_explicit_refits_on_the_real_frame(results):
    factor = "self_harm_admissions"
    d = _standardised(results, factor)
    rrs = {}
    for i in range(len(d)):
        sub = d.drop(index=d.index[i])
        m = smf.negativebinomial("count ~ z + C(force)", sub, offset=sub["off"],
                                 loglike_method="nb2").fit(method="bfgs", maxiter=2000,
                                                            disp=0)
        assert m.mle_retvals["converged"]
        rrs[d["la_name"].iloc[i]] = float(np.exp(m.params["z"]))
    row = results.table().set_index("factor").loc[factor]
    assert row["loo_min"] == pytest.approx(min(rrs.values()), rel=1e-4)
    assert row["loo_max"] == pytest.approx(max(rrs.values()), rel=1e-4)
    assert row["loo_max_left_out"] == max(rrs, key=rrs.get) == "Blackpool"


# ------------------------------------------------------------------ leave-one-out, constructed


def _constructed() -> pd.DataFrame:
    """Eight authorities in two forces on an exact log-linear curve, but one outlier.

    Counts are exactly ``person_years * exp(-3 + 0.4 z + 0.2 [force B])`` except unit
    ``H`` (three times its curve). Without ``H`` the quasi-Poisson fit is exact, so the
    leave-one-out refit without ``H`` recovers the coefficients 0.4 and 0.2 exactly.
    """
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    force = ["A", "A", "A", "A", "B", "B", "B", "B"]
    py = np.array([1000, 2000, 1500, 3000, 2500, 1200, 1800, 2200], dtype=float)
    z = (x - x.mean()) / x.std(ddof=0)
    mu = py * np.exp(-3 + 0.4 * z + 0.2 * (np.array(force) == "B"))
    mu[-1] *= 3.0
    return pd.DataFrame({"la_code": [f"E0{i}" for i in range(8)], "la_name": list("ABCDEFGH"),
                         "force": force, "count": mu, "person_years": py, "x": x})


EXACT_FIT = "ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning"


@pytest.mark.filterwarnings(EXACT_FIT)
def test_loo_range_on_a_constructed_example():
    d = _constructed()
    fit = causes.fit_factor(d, "x", family="quasi_poisson")
    loo = causes.leave_one_out_terms(d, fit)
    assert len(loo) == 8 * 3
    without_h = loo[loo["left_out"] == "H"].set_index("term")["coef"]
    assert without_h["x"] == pytest.approx(0.4, abs=1e-9)
    assert without_h["force: B"] == pytest.approx(0.2, abs=1e-9)
    assert without_h["(intercept)"] == pytest.approx(-3.0, abs=1e-9)
    # the outlier pulls the slope up: dropping it gives the smallest rate ratio
    slope = loo[loo["term"] == "x"].set_index("left_out")["rate_ratio"]
    assert slope.idxmin() == "H" and slope.min() == pytest.approx(np.exp(0.4), rel=1e-9)
    # every other refit equals an independent GLM without that authority, same scale
    z = (d["x"] - d["x"].mean()) / d["x"].std(ddof=0)
    for i in range(8):
        keep = np.arange(8) != i
        xm = np.column_stack([np.ones(7), z[keep], (d["force"][keep] == "B").astype(float)])
        ref = sm.GLM(d["count"][keep].to_numpy(), xm, family=sm.families.Poisson(),
                     offset=np.log(d["person_years"][keep].to_numpy())).fit(scale="X2")
        assert slope[d["la_name"][i]] == pytest.approx(np.exp(ref.params[1]), rel=1e-9)


@pytest.mark.filterwarnings(EXACT_FIT)
def test_results_loo_columns_on_the_constructed_example():
    d = _constructed().drop(columns="x")
    tidy = pd.DataFrame({"la_code": _constructed()["la_code"], "factor": "x",
                         "period": "2020", "value": _constructed()["x"]})
    res = causes.ecological_models(d, tidy, family="quasi_poisson", labels={"x": "X"})
    row = res.table().iloc[0]
    slope = res.loo_table("x")
    assert row["loo_min"] == slope["rate_ratio"].min()
    assert row["loo_max"] == slope["rate_ratio"].max()
    assert row["loo_min_left_out"] == "H" and row["most_influential"] == "H"
    assert row["n"] == 8 and row["dispersion_name"] == "phi"


# ------------------------------------------------------------------ missing factors, pages


def test_factor_missing_for_some_authorities_is_left_out_not_filled(violence, factors):
    v = violence[0]
    districts = v[~v["la_name"].isin(["Blackpool", "Blackburn with Darwen", "Leicester",
                                      "Rutland"])]
    ks4 = pd.DataFrame({"origin": "real", "la_code": districts["la_code"],
                        "academic_year": "2021/22", "att8": np.linspace(40, 52, 19)})
    synthetic = pd.DataFrame({"origin": "synthetic", "la_code": v["la_code"],
                              "academic_year": "2022/23", "att8": 45.0})
    f = causes.ks4_factor_frame(pd.concat([ks4, synthetic]))
    assert len(f) == 19 and set(f["period"]) == {"2021/22"}
    res = causes.ecological_models(v, pd.concat([factors[factors["factor"] == "imd_score"], f]))
    assert res.fits["ks4_att8"].n == 19 and res.fits["imd_score"].n == 23
    assert res.data["ks4_att8"].isna().sum() == 4
    text = causes.factor_coverage_sentence(res)
    assert "19 of the 23" in text and "Blackpool" in text and "Rutland" in text
    none = causes.ecological_models(v, factors[factors["factor"] == "imd_score"])
    assert "not modelled" in causes.factor_coverage_sentence(none, causes.KS4_FACTOR)


def test_sentences_carry_the_fitted_numbers(results, violence, factors):
    t = results.table().set_index("factor")
    text = causes.association_sentence(results)
    assert f"{t.loc['imd_score', 'rate_ratio']:.2f} times" in text
    assert "cause" not in text.lower()
    window = causes.window_sentence(results)
    assert "23 local authorities" in window and "mid-2019" in window and "mid-2022" in window
    infl = causes.influence_sentence(results, "Blackpool")
    assert "Blackpool" in infl and f"{t.loc['self_harm_admissions', 'loo_max']:.2f}" in infl
    qp = causes.ecological_models(violence[0], factors, family="quasi_poisson")
    assert "quasi-Poisson" in causes.family_sentence(results, qp)


def test_plots_distinguish_forces_and_label_outliers(results):
    from lvrn_analysis.charts import plots

    src = plots.source_line("test", synthetic=False)
    fig = results.plot(["imd_score", "self_harm_admissions"], source=src)
    assert LANCS in fig.lvrn_alt and LEICS in fig.lvrn_alt
    assert "Blackpool" in causes.labelled_outliers(results, "self_harm_admissions")
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert "Blackpool" in texts
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(LANCS in s for s in legend) and any(LEICS in s for s in legend)
    forest = results.forest(source=src)
    assert "leave" in forest.lvrn_alt.lower() or "left out" in forest.lvrn_alt
    plots.plt.close("all")
