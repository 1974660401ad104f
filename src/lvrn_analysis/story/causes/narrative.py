"""The causes page's sentences that carry computed numbers.

Each function states one result of the page in words, with its numbers: the headline
association, the deprivation domains, the synthetic illustration and its ground truth,
the caveats of ecological inference and the closing narrative. The page's fixed prose
is written in the notebook's Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.story.causes.model_data import FINGERTIPS_FACTOR_LABELS, IMD_SCORE
from lvrn_analysis.story.causes.models import NBFit

__all__ = [
    "caveats_markdown",
    "domains_sentence",
    "headline_sentence",
    "narrative_markdown",
    "synthetic_sentences",
    "truth_sentence",
]


def headline_sentence(fit: NBFit, data: pd.DataFrame, loo: pd.DataFrame, *,
                      period: str, predictor: str = "imd_score") -> str:
    """State the headline result of the real-data model in plain words.

    Parameters
    ----------
    fit
        NB model of police violence on the IMD score.
    data
        The model data (`real_model_data()`).
    loo
        `leave_one_out()` of the same model.
    period
        The 12 months, in words.
    predictor
        Predictor column.

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = fit.term(predictor)
    sd = fit.sds[predictor]
    per10 = math.exp(float(t["coef"]) * 10 / sd)
    cv = math.sqrt(fit.alpha)
    lo_row, hi_row = loo.iloc[0], loo.iloc[-1]
    return (
        f"Across the {fit.n} authorities, in {period}, **each 1 SD higher IMD 2019 average "
        f"score ({sd:.3g} points) is associated with {t['rate_ratio']:.2f} times the rate of "
        f"recorded violence and sexual offences (95% CI {t['lower']:.2f} to "
        f"{t['upper']:.2f})**, about {per10:.2f} times per 10 points of score. "
        f"Leaving out one authority at a time, the rate ratio ranges from "
        f"{lo_row['rate_ratio']:.2f} (without {lo_row['left_out']}) to "
        f"{hi_row['rate_ratio']:.2f} (without {hi_row['left_out']}). "
        f"The negative binomial dispersion alpha = {fit.alpha:.3f} means that authorities "
        f"with the same deprivation still differ by about {cv:.0%} (coefficient of variation) "
        f"in their rates; a Poisson model would have had a dispersion of "
        f"{fit.poisson_dispersion:.0f} instead of 1 and intervals far too narrow. "
        f"Deprivation scores of the {len(data)} authorities range from "
        f"{data[predictor].min():.1f} to {data[predictor].max():.1f}.")


def domains_sentence(domains: pd.DataFrame) -> str:
    """Summarise the univariable deprivation-domain models in words.

    Parameters
    ----------
    domains
        `univariable_table()` over `DOMAINS`.

    Returns
    -------
    str
        Markdown paragraph: the range of the positive associations, the domains whose
        intervals overlap the strongest one, and any negative association with its
        likely reason.
    """
    d = domains[domains["column"] != "imd_score"]
    pos = d[d["lower"] > 1].sort_values("rate_ratio", ascending=False)
    neg = d[d["upper"] < 1]
    parts = []
    if len(pos):
        top = pos.iloc[0]
        overlap = pos[pos["upper"] >= top["lower"]]
        parts.append(
            f"{len(pos)} of the {len(d)} domains go with more violence, with rate ratios per "
            f"SD from {pos['rate_ratio'].min():.2f} ({pos.iloc[-1]['factor']}) to "
            f"{top['rate_ratio']:.2f} ({top['factor']}). The intervals of "
            f"{len(overlap)} of them overlap the strongest one's: across {int(top['n'])} "
            "authorities the domains move together, so these data cannot say which part of "
            "deprivation matters.")
    for _, r in neg.iterrows():
        why = (" This domain measures distance to services (GP, school, shop, post office) as "
               "well as housing affordability, so it scores rural authorities as more "
               "deprived, and rural authorities have less recorded violence."
               if r["column"] == "housing_score" else "")
        parts.append(f"{r['factor']} runs the other way (rate ratio {r['rate_ratio']:.2f}, "
                     f"95% CI {r['lower']:.2f} to {r['upper']:.2f}).{why}")
    return " ".join(parts)


def synthetic_sentences(uni: pd.DataFrame, recovery: pd.DataFrame) -> tuple[str, str]:
    """Describe the synthetic illustration: univariable results, then the recovery.

    Parameters
    ----------
    uni
        `univariable_table()` of the synthetic risk factors.
    recovery
        `recovery_table()` of the two-predictor model.

    Returns
    -------
    tuple of str
        ``(univariable paragraph, recovery paragraph)``. How the generator made the
        associations is said in the notebook's Markdown.
    """
    sig = uni[(uni["lower"] > 1) | (uni["upper"] < 1)]
    prot = uni[uni["upper"] < 1]
    n_sig = f"All {len(uni)}" if len(sig) == len(uni) else f"{len(sig)} of the {len(uni)}"
    first = (f"{n_sig} risk factors are significantly associated with "
             f"violence on their own (rate ratios per SD from {uni['rate_ratio'].min():.2f} to "
             f"{uni['rate_ratio'].max():.2f})")
    if len(prot):
        first += (f"; {' and '.join(prot['factor'].str.split(' [(]', regex=True).str[0])} "
                  f"{'goes' if len(prot) == 1 else 'go'} the other way, as protective "
                  "factors should")
    first += "."
    ok = bool(recovery["covered"].all())
    rows = "; ".join(
        f"{FINGERTIPS_FACTOR_LABELS.get(r['term'], r['term']).split(' (')[0].split(',')[0]}: "
        f"estimated {r['rate_ratio']:.3f} (95% CI {r['lower']:.3f} to {r['upper']:.3f}), "
        f"true {r['true_rate_ratio']:.3f}" for _, r in recovery.iterrows())
    second = (f"{'Both true rate ratios lie' if ok else 'Not every true rate ratio lies'} "
              f"inside the 95% intervals ({rows}). "
              + ("The model recovers the built-in associations, but only because the "
                 "synthetic data were generated from this kind of model with no unmeasured "
                 "confounders; real data offer no such guarantee."
                 if ok else "The model does not recover the built-in associations here."))
    return first, second


def truth_sentence(truth: Mapping[str, Any]) -> str:
    """Describe the association built into the synthetic violence-offences indicator.

    Parameters
    ----------
    truth
        `fingertips_truth()` record.

    Returns
    -------
    str
        Markdown sentence with the true log rate ratios and rate ratios per 1 SD.
    """
    b, c = float(truth["b_imd"]), float(truth["c_neet"])
    return (f"The synthetic Fingertips export was generated with a **known** association: the "
            f"log rate of violence offences (indicator {int(truth['indicator_id'])}) rises by "
            f"{b:.2f} per SD of the IMD 2019 score (a rate ratio of {math.exp(b):.3f}) and by "
            f"{c:.2f} per SD of the NEET indicator (rate ratio {math.exp(c):.3f}), with "
            f"authority-by-year noise of SD {float(truth['sigma']):.2f} on the log scale; NEET "
            "itself was generated to track deprivation.")


def caveats_markdown(fit: NBFit, ft_data: pd.DataFrame, *, n_lsoas: int | None = None) -> str:
    """Spell out the caveats of ecological inference that carry this page's own numbers.

    Parameters
    ----------
    fit
        The real-data model.
    ft_data
        `fingertips_model_data()` (for the IMD-NEET correlation).
    n_lsoas
        Number of LSOAs with police counts (for the MAUP point).

    Returns
    -------
    str
        Markdown bullet list: ecological fallacy, confounding, number of units and the
        modifiable areal unit problem (the caveats without numbers are in the notebook's
        Markdown).
    """
    r = float(np.corrcoef(ft_data["imd_score"], ft_data["neet"])[0, 1])
    vif = 1 / (1 - r**2)
    lsoa = f"{n_lsoas:,} LSOAs" if n_lsoas else "LSOAs"
    return "\n".join([
        f"* **Ecological fallacy.** The unit is the authority ({fit.n} of them). An "
        "association between deprived *places* and violent *places* does not show that "
        "deprived *people* are more likely to be victims or offenders; individual-level "
        "data are needed for that (Robinson 1950; Morgenstern 1995).",
        "* **Confounding.** Deprivation travels with urban centres, night-time economies, "
        "transport hubs and police activity, which also raise *recorded* violence. In the "
        f"synthetic illustration above, NEET and deprivation correlate at r = {r:.2f} "
        f"(variance inflation factor {vif:.1f}), so their separate effects can only be told "
        "apart because the data were generated to allow it.",
        f"* **{fit.n} units.** With {fit.n} authorities a model can carry one or two "
        "predictors at most; intervals are large-sample (Wald) approximations, and one "
        "authority can move the estimate (see the leave-one-out range).",
        "* **Modifiable areal unit problem.** Associations depend on the units: each "
        f"authority averages over many of the area's {lsoa}, whose deprivation and violence "
        "vary much more than the authority averages do. Grouping them differently (wards, "
        "LSOAs, police beats) would give different, typically weaker, correlations "
        "(Openshaw 1984).",
    ])


def narrative_markdown(fit: NBFit, residuals: pd.DataFrame, uni_ft: pd.DataFrame,
                       adjusted: pd.DataFrame, spine: pd.DataFrame, *,
                       place: str = "the area") -> str:
    """Write a short, honest narrative computed from the page's results.

    Parameters
    ----------
    fit
        Real-data model (police violence on IMD score).
    residuals
        `residual_table()` of that model.
    uni_ft
        `univariable_table()` of the synthetic Fingertips illustration.
    adjusted
        `recovery_table()` of the two-predictor synthetic model.
    spine
        `spine_data()` (for the count of worse-than-England cells).
    place
        How the area is named (`lvrn_analysis.story.area.AreaWords.place`, e.g.
        ``"pan-Lancashire"``).

    Returns
    -------
    str
        Markdown paragraphs (what the results cannot say is in the notebook's Markdown).
    """
    t = fit.term("imd_score")
    above = residuals[residuals["ratio"] > 1.1]
    below = residuals[residuals["ratio"] < 0.9]

    def names(df: pd.DataFrame, col: str = "la_name") -> str:
        items = [f"{r[col]} ({r['ratio']:.2f})" for _, r in df.iterrows()]
        if not items:
            return "none"
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    neet_u = uni_ft.set_index("column").loc["neet"]
    neet_a = adjusted.set_index("term").loc["neet"]
    worse = spine[spine["comparison"] == "worse"]
    most = worse.groupby("area_name").size().sort_values(ascending=False)
    top = most[most == most.max()].index.tolist() if len(most) else []
    n_worse = spine.assign(w=spine["comparison"] == "worse").groupby("area_name")["w"].sum()
    imd_by = spine[spine["indicator_id"] == IMD_SCORE].set_index("area_name")["value"]
    rho = float(n_worse.reindex(imd_by.index).rank().corr(imd_by.rank()))
    return "\n\n".join([
        f"**Deprivation and violence go together in {place}.** The more deprived the "
        f"authority, the higher its rate of recorded violence: {t['rate_ratio']:.2f} times "
        f"per standard deviation of the IMD 2019 score (95% CI {t['lower']:.2f} to "
        f"{t['upper']:.2f}), on real data. That is what the needs assessment's focus on "
        "deprived communities assumed, and it is a statement about places.",
        "**Deprivation is not the whole story.** Relative to what their deprivation "
        f"predicts, violence is higher than expected (observed / expected above 1.1) in "
        f"{names(above)} and lower than expected (below 0.9) in {names(below)}. Where "
        "offences are recorded (town centres, transport hubs, retail parks), travel across "
        "authority boundaries and recording practice are possible reasons, which these data "
        "cannot tell apart.",
        f"**Risk factors overlap.** In the synthetic Fingertips illustration, NEET alone "
        f"looks like a strong risk factor ({neet_u['rate_ratio']:.2f} per SD), but with "
        f"deprivation in the model its rate ratio falls to {neet_a['rate_ratio']:.2f} "
        f"(95% CI {neet_a['lower']:.2f} to {neet_a['upper']:.2f}), close to the "
        f"{neet_a['true_rate_ratio']:.2f} built into the data. Univariable associations "
        "between authorities mostly measure how strongly a factor tracks deprivation.",
        f"**On the profile** (synthetic values), {len(worse)} of "
        f"{int(spine['value'].notna().sum())} authority-indicator values are significantly "
        f"worse than England. {', '.join(top)} {'is' if len(top) == 1 else 'are'} worse "
        f"on the most indicators ({int(most.max()) if len(most) else 0} of "
        f"{spine['indicator_id'].nunique()}). The number of indicators worse than England "
        f"rises with deprivation (Spearman rank correlation {rho:.2f} with the IMD 2019 "
        "score across the authorities), as it must in these synthetic data, which were "
        "generated from deprivation.",
    ])
