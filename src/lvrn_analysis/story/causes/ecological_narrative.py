"""Sentences with the numbers of the ecological model across forces.

Each function states one result of `lvrn_analysis.story.causes.ecological` in words: the
data and window (`window_sentence()`), the associations and the force term
(`association_sentence()`), whether one authority carries them (`influence_sentence()`),
which factors lack real values for some authorities (`factor_coverage_sentence()`), and how
far a second family agrees (`family_sentence()`). Fixed prose (what the design can and
cannot show) belongs in the notebook's Markdown cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lvrn_analysis.story.causes.ecological import FAMILIES, EcologicalResults
from lvrn_analysis.story.causes.ecological_data import FACTOR_SHORT
from lvrn_analysis.story.profile import fmt_period

__all__ = [
    "association_sentence",
    "factor_coverage_sentence",
    "family_sentence",
    "influence_sentence",
    "window_sentence",
]


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ci(rr: float, lo: float, hi: float) -> str:
    return f"{rr:.2f} (95% CI {lo:.2f} to {hi:.2f})"


def _times(rr: float, lo: float, hi: float) -> str:
    return f"**{rr:.2f} times** the rate (95% CI {lo:.2f} to {hi:.2f})"


def _short(factor: str, results: EcologicalResults) -> str:
    return FACTOR_SHORT.get(factor, results.labels.get(factor, factor))


def _side(lo: float, hi: float) -> str:
    return "above" if lo > 1 else "below" if hi < 1 else "across"


def window_sentence(results: EcologicalResults) -> str:
    """Say which authorities, forces, months and populations the model uses.

    Returns
    -------
    str
        Markdown paragraph.
    """
    d = results.data
    forces = results.forces()
    years = d.groupby("force")["mid_year"].agg(lambda s: sorted(set(int(v) for v in s)))
    when = (f" in **{fmt_period(*results.window)}**, the latest 12 months that every "
            "force's data cover in full" if results.window else "")
    pops = _and([f"mid-{'/'.join(map(str, years[f]))} for {f}" for f in forces.index])
    return (f"The model compares **{results.n} local authorities** in {len(forces)} forces — "
            + _and([f"{f} ({int(k)})" for f, k in forces.items()])
            + f" — using the {int(d['count'].sum()):,} violence and sexual offences the "
            f"police recorded{when}. Person-years come from ONS mid-year population "
            f"estimates: {pops} (for each area, the estimate nearest that window among "
            "those the package holds).")


def association_sentence(results: EcologicalResults, lead: str = "imd_score") -> str:
    """State the associations, the strongest one and the force term in plain words.

    Parameters
    ----------
    results
        The fitted models.
    lead
        Factor reported first (default: the IMD 2019 average score, if fitted).

    Returns
    -------
    str
        Markdown paragraph.
    """
    t = results.table()
    lead = lead if lead in set(t["factor"]) else str(t["factor"].iloc[0])
    r = t.set_index("factor").loc[lead]
    sides = [_side(lo, hi) for lo, hi in zip(t["lower"], t["upper"], strict=True)]
    short = [_short(f, results) for f in t["factor"]]
    above = [lab for lab, s in zip(short, sides, strict=True) if s == "above"]
    below = [lab for lab, s in zip(short, sides, strict=True) if s == "below"]
    strongest = t.iloc[int(np.argmax(np.abs(np.log(t["rate_ratio"]))))]
    more = "more" if r["rate_ratio"] >= 1 else "less"
    text = (f"Comparing authorities within each force, those with a higher "
            f"{_short(lead, results)} recorded {more} violence: each 1 SD higher (1 SD = "
            f"{_unit(float(r['sd']))}) went with "
            f"{_times(r['rate_ratio'], r['lower'], r['upper'])}. Of the {len(t)} factors, "
            f"{len(above)} have a 95% interval wholly above 1")
    text += (f" and {len(below)} wholly below 1 ({_and(below)})" if below else "") + "; "
    text += (f"the strongest association is with the "
             f"{_short(str(strongest['factor']), results)} "
             f"({strongest['rate_ratio']:.2f} per 1 SD).")
    if "force_term" in r and isinstance(r["force_term"], str):
        other, ref = r["force_term"].split(" vs ")
        text += (f" At the same {_short(lead, results)}, {other} recorded "
                 f"{_times(r['force_rate_ratio'], r['force_lower'], r['force_upper'])} of "
                 f"{ref}; across the {len(t)} models this force ratio ranges from "
                 f"{t['force_rate_ratio'].min():.2f} to {t['force_rate_ratio'].max():.2f}.")
    return text


def _unit(sd: float) -> str:
    return f"{sd:,.0f}" if sd >= 100 else f"{sd:.1f}" if sd >= 10 else f"{sd:.2g}"


def influence_sentence(results: EcologicalResults, unit: str = "Blackpool") -> str:
    """Answer "is it all one authority?" with the leave-one-out refits.

    Parameters
    ----------
    results
        The fitted models.
    unit
        The authority to report by name (the most extreme one, Blackpool, by default).

    Returns
    -------
    str
        Markdown paragraph: whether every refit keeps each association on the same
        side of 1, for how many factors every refit's interval excludes 1, how often
        ``unit`` is the authority that moves an association most, and the rate ratios
        without ``unit`` where leaving it out changes them by more than 5 %.
    """
    t = results.table()
    same = [(r.loo_min > 1) == (r.rate_ratio > 1) and (r.loo_max > 1) == (r.rate_ratio > 1)
            for r in t.itertuples()]
    robust = int((t["loo_all_above_1"] | t["loo_all_below_1"]).sum())
    text = (f"**Is it all {unit}?** Leaving each of the {results.n} authorities out in turn, "
            + ("every factor's rate ratio stays on the same side of 1"
               if all(same) else "the rate ratio of the "
               + _and([_short(f, results) for f, s in zip(t["factor"], same, strict=True)
                       if not s])
               + " crosses 1 when one authority is left out")
            + f", and for {robust} of the {len(t)} factors every refit's 95% interval "
            "excludes 1.")
    mine = t[t["most_influential"] == unit]
    text += (f" {unit} is the authority whose removal changes the association most for "
             f"{len(mine)} of the {len(t)} factors" if len(mine) else
             f" {unit} is not the most influential authority for any factor")
    lo = results.loo[(results.loo["left_out"] == unit)
                     & (results.loo["term"] == results.loo["factor"])].set_index("factor")
    moved = []
    for r in t.itertuples():
        if r.factor in lo.index:
            w = lo.loc[r.factor]
            if abs(math.log(w["rate_ratio"] / r.rate_ratio)) > math.log(1.05):
                moved.append(f"the {_short(r.factor, results)} from {r.rate_ratio:.2f} to "
                             f"{_ci(w['rate_ratio'], w['lower'], w['upper'])}")
    text += (("; without it, the rate ratio per 1 SD (on the same scale) changes by more "
              "than 5% for " + _and(moved) + ".") if moved else
             "; without it, no rate ratio changes by more than 5%.")
    return text


def factor_coverage_sentence(results: EcologicalResults,
                      expected: Mapping[str, str] | None = None) -> str:
    """Say which factors lack real values for some authorities, or are absent.

    Parameters
    ----------
    results
        The fitted models.
    expected
        Factors the page hoped to model (factor -> label), e.g. key stage 4 attainment;
        those with no real value at all are named.

    Returns
    -------
    str
        Markdown sentence(s).
    """
    names = results.data.set_index("la_code")["la_name"]
    parts = []
    for name, fit in results.fits.items():
        if fit.n < results.n:
            gone = sorted(names[~names.index.isin(fit.la_codes)])
            parts.append(f"{results.labels.get(name, name)} has real values for {fit.n} of the "
                         f"{results.n} authorities (none for {_and(gone)}), so its model uses "
                         f"those {fit.n}")
    absent = [lab for f, lab in (expected or {}).items() if f not in results.fits]
    text = ("Every factor has a real value for all "
            f"{results.n} authorities." if not parts else "; ".join(parts) + ".")
    if absent:
        text += (f" No real values of {_and(absent)} are available in this build, so "
                 f"{'it is' if len(absent) == 1 else 'they are'} not modelled (nothing is "
                 "filled in).")
    return text


def family_sentence(results: EcologicalResults, other: EcologicalResults) -> str:
    """Compare the rate ratios of two families fitted to the same data.

    Parameters
    ----------
    results, other
        The same factors fitted with two families (e.g. negative binomial and
        quasi-Poisson).

    Returns
    -------
    str
        Markdown sentence: the other family's dispersion range, the largest difference
        in rate ratios, and for how many factors the interval falls on the same side of 1.
    """
    a = results.table().set_index("factor")
    b = other.table().set_index("factor").reindex(a.index)
    diff = float(np.max(np.abs(a["rate_ratio"] - b["rate_ratio"])))
    agree = sum(_side(x.lower, x.upper) == _side(y.lower, y.upper)
                for x, y in zip(a.itertuples(), b.itertuples(), strict=True))
    label, sym = FAMILIES[other.family]
    sym = {"alpha": "α", "phi": "φ"}.get(sym, sym)
    disp = b["dispersion"]
    return (f"A {label} model of the same counts ({sym} from {disp.min():.3g} to "
            f"{disp.max():.3g}) gives rate ratios within {diff:.2f} of these, with the "
            f"interval on the same side of 1 for {agree} of the {len(a)} factors.")
