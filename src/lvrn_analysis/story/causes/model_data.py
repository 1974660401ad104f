"""The data the causes models use: real police counts and IMD, synthetic Fingertips.

`real_model_data()` joins real police violence counts per authority to the real IMD 2019
measures (`DOMAINS`); `fingertips_model_data()` builds the synthetic Fingertips
illustration (`FINGERTIPS_FACTORS`), whose built-in association `fingertips_truth()`
reads and `recovery_table()` checks. `geography_table()` says at which geography each
input exists in this build; the `..._display()` functions format tables for publication.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lvrn_analysis.story.causes.models import NBFit

__all__ = [
    "DOMAINS",
    "FINGERTIPS_FACTORS",
    "FINGERTIPS_FACTOR_LABELS",
    "IMD_SCORE",
    "NEET",
    "VIOLENCE_OFFENCES",
    "count_lsoas",
    "fingertips_model_data",
    "fingertips_truth",
    "geography_table",
    "model_data_display",
    "real_model_data",
    "recovery_display",
    "recovery_table",
    "residual_display",
]

#: Fingertips indicator ID of the violence offences indicator (police recorded, per 1,000).
VIOLENCE_OFFENCES = 11202
#: Fingertips indicator ID of the IMD 2019 average score.
IMD_SCORE = 93553
#: Fingertips indicator ID of 16-17 year olds NEET or activity not known.
NEET = 93203

#: IMD 2019 measures used as real risk factors: column of the ``imd2019`` table -> label.
#: The crime domain is left out on purpose: it is built partly from recorded violence,
#: so "explaining" violence with it would be circular.
DOMAINS: dict[str, str] = {
    "imd_score": "IMD 2019 average score",
    "income_score": "Income domain",
    "employment_score": "Employment domain",
    "education_score": "Education, skills and training domain",
    "health_score": "Health deprivation and disability domain",
    "housing_score": "Barriers to housing and services domain",
    "environment_score": "Living environment domain",
}

#: Synthetic Fingertips risk factors used in the illustration: ID -> column name.
FINGERTIPS_FACTORS: dict[int, str] = {
    93553: "imd_score", 93203: "neet", 93701: "low_income", 93378: "attainment8",
}

#: Labels of the synthetic illustration's risk factors (columns of
#: `fingertips_model_data()`).
FINGERTIPS_FACTOR_LABELS: dict[str, str] = {
    "imd_score": "IMD 2019 average score (real values)",
    "neet": "16-17 year olds NEET or not known, % (synthetic)",
    "low_income": "Children in low-income families, % (synthetic)",
    "attainment8": "Attainment 8, Fingertips (synthetic; protective)",
}


def geography_table() -> pd.DataFrame:
    """Which geography each input is available at in this build, and whether it is real.

    Returns
    -------
    pandas.DataFrame
        ``Data``, ``Finest geography in this build``, ``Real or synthetic``, ``Role``.
    """
    rows = [
        ("Police street-level crime (data.police.uk)", "LSOA (month)", "real", "outcome"),
        ("ONS mid-year population estimates", "local authority", "real", "offset"),
        ("IMD 2019 average score and domains", "local authority (LSOA version not shipped)",
         "real", "risk factor"),
        ("Fingertips indicators", "local authority (district & UA)", "synthetic",
         "profile; illustrative outcome and risk factors"),
        ("DfE key stage 4 attainment and disadvantage", "school, aggregated to district (files "
         "of Lancashire County and Leicestershire only)", "real", "risk factor"),
    ]
    return pd.DataFrame(rows, columns=["Data", "Finest geography in this build",
                                       "Real or synthetic", "Role"])


def real_model_data(rates: pd.DataFrame, imd: pd.DataFrame) -> pd.DataFrame:
    """Join real police violence counts per authority to the real IMD 2019 measures.

    Parameters
    ----------
    rates
        `lvrn_analysis.story.profile.rates_by_authority()` (``count``, ``person_years``,
        ``rate`` …).
    imd
        The processed ``imd2019`` table.

    Returns
    -------
    pandas.DataFrame
        One row per authority: ``la_code``, ``la_name``, ``count``, ``population``,
        ``person_years``, ``rate`` (per 1,000 per year), ``lower_ci``, ``upper_ci`` and
        the `DOMAINS` columns, sorted by IMD score (most deprived first).

    Raises
    ------
    ValueError
        If an authority has no IMD 2019 values.
    """
    cols = ["la_code", *DOMAINS]
    out = rates[["la_code", "la_name", "count", "population", "person_years", "rate",
                 "lower_ci", "upper_ci"]].merge(imd[cols], on="la_code", how="left")
    if out[list(DOMAINS)].isna().any().any():
        bad = out.loc[out[list(DOMAINS)].isna().any(axis=1), "la_name"].tolist()
        raise ValueError(f"no IMD 2019 values for {bad}")
    return out.sort_values(["imd_score", "la_name"], ascending=[False, True]).reset_index(
        drop=True)


def fingertips_model_data(fingertips: pd.DataFrame, authorities: pd.DataFrame,
                          ks4: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-authority data for the synthetic Fingertips illustration.

    The outcome is indicator 11202 (violence offences): counts and denominators summed
    over all its financial years, so the exposure is person-years. Each risk factor is
    the authority's mean over the periods published (the definition of ``z_neet`` in the
    generator's ground truth).

    Parameters
    ----------
    fingertips
        The processed ``fingertips`` table.
    authorities
        ``la_code``, ``la_name`` of the area's authorities.
    ks4
        Optional processed ``ks4_by_la`` table of a **synthetic** build: adds
        ``ks4_att8``, the mean Attainment 8 of state-funded schools over the years
        published. A real table is ignored (real values are not mixed into the synthetic
        illustration; `lvrn_analysis.story.causes.attainment` shows them).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``count``, ``person_years``, ``rate`` (per 1,000 per
        year), ``years`` and the risk factor columns.
    """
    ft = fingertips[(~fingertips["is_category"]) & (fingertips["sex"] == "Persons")
                    & fingertips["area_code"].isin(authorities["la_code"])]
    v = ft[ft["indicator_id"] == VIOLENCE_OFFENCES]
    out = authorities[["la_code", "la_name"]].merge(
        v.groupby("area_code").agg(count=("count", "sum"), person_years=("denominator", "sum"),
                                   years=("time_period", "nunique")),
        left_on="la_code", right_index=True, how="left")
    out["count"] = out["count"].round().astype("int64")
    out["rate"] = out["count"] / out["person_years"] * 1000
    for iid, col in FINGERTIPS_FACTORS.items():
        out[col] = out["la_code"].map(ft[ft["indicator_id"] == iid].groupby("area_code")[
            "value"].mean())
    origin = pd.Series(dtype="str") if ks4 is None else ks4.get("origin", pd.Series(dtype="str"))
    if ks4 is not None and not origin.astype("str").str.startswith("real").any():
        out["ks4_att8"] = out["la_code"].map(ks4.groupby("la_code")["att8"].mean())
    return out.reset_index(drop=True)


def count_lsoas(counts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Count the area's LSOAs with police records in a period (for the MAUP caveat)."""
    c = counts[(counts["geo_status"] == "in_area") & (counts["month"] >= start)
               & (counts["month"] <= end)]
    return int(c["lsoa_code"].nunique())


def fingertips_truth(truth: Sequence[Mapping[str, Any]],
                     indicator_id: int = VIOLENCE_OFFENCES) -> dict[str, Any]:
    """Return the ground-truth association record of a synthetic Fingertips indicator.

    Parameters
    ----------
    truth
        Records of ``ground_truth.json``.
    indicator_id
        Indicator (default 11202, violence offences).

    Returns
    -------
    dict
        The record (``b_imd``, ``c_neet``, ``z_imd``, ``z_neet`` …).

    Raises
    ------
    KeyError
        If the build holds no such record (e.g. real Fingertips data were used).
    """
    for r in truth:
        if (r.get("source") == "fingertips" and r.get("kind") == "association"
                and int(r.get("indicator_id", -1)) == indicator_id):
            return dict(r)
    raise KeyError(f"no fingertips association record for indicator {indicator_id}")


def recovery_table(fit: NBFit, truth: Mapping[str, Any],
                   mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Compare a fitted model's log rate ratios with the generator's true coefficients.

    Parameters
    ----------
    fit
        A model with standardised predictors (per 1 SD, population SD, as the truth).
    truth
        `fingertips_truth()` record.
    mapping
        ``{predictor column: truth key}``; default ``imd_score -> b_imd``,
        ``neet -> c_neet``.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``true_rate_ratio``, ``rate_ratio``, ``lower``, ``upper``, ``covered``
        (truth inside the 95 % interval).
    """
    mapping = dict(mapping or {"imd_score": "b_imd", "neet": "c_neet"})
    rows = []
    for col in fit.predictors:
        if col not in mapping:
            continue
        t = fit.term(col)
        true_rr = math.exp(float(truth[mapping[col]]))
        rows.append({"term": col, "true_rate_ratio": true_rr,
                     "rate_ratio": float(t["rate_ratio"]), "lower": float(t["lower"]),
                     "upper": float(t["upper"]),
                     "covered": bool(t["lower"] <= true_rr <= t["upper"])})
    return pd.DataFrame(rows)


def recovery_display(recovery: pd.DataFrame) -> pd.DataFrame:
    """Format `recovery_table()` for publication (labels, rounded strings)."""
    return pd.DataFrame({
        "Risk factor": recovery["term"].map(FINGERTIPS_FACTOR_LABELS).fillna(recovery["term"]),
        "True rate ratio": [f"{v:.3f}" for v in recovery["true_rate_ratio"]],
        "Estimated rate ratio": [f"{v:.3f}" for v in recovery["rate_ratio"]],
        "95% CI": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(recovery["lower"],
                                                              recovery["upper"], strict=True)],
        "Truth inside the interval": recovery["covered"].map({True: "yes", False: "no"}),
    })


def residual_display(residuals: pd.DataFrame) -> pd.DataFrame:
    """Format `residual_table()` for publication (expected rounded, ratio as text)."""
    return pd.DataFrame({
        "Authority": residuals["la_name"], "observed": residuals["observed"],
        "expected": residuals["expected"].round().astype("int64"),
        "observed / expected": [f"{v:.2f}" for v in residuals["ratio"]],
    })


def model_data_display(data: pd.DataFrame) -> pd.DataFrame:
    """Select and format the real model data for publication."""
    out = data[["la_name", "count", "person_years", "rate", "lower_ci", "upper_ci"]].copy()
    out["imd_score"] = [f"{v:.1f}" for v in data["imd_score"]]
    return out.rename(columns={"la_name": "Authority", "imd_score": "IMD 2019 score"})
