"""Key series of the Impact page: their fits, counterfactuals and offences averted.

`key_series()` chooses the series shown in detail (the treated authority, the area
total and the largest untouched authority), `fit_key()` fits the page's model to one,
`step_only()` gives the counterfactual without the step only, and
`counterfactual_figure()`, `averted_table()` and `averted_sentence()` show the
observed, fitted and counterfactual series and the offences averted.

The page shows several averted-count intervals at once (two per key series when the
model has a slope change). They are *simultaneous*: each is computed at
`simultaneous_level()` so that all of them contain their true values together with
probability at least 95 % (Bonferroni's inequality; Dunn 1961, "Multiple comparisons
among means", *JASA* 56(293):52-64), the same family-wise standard as the
Holm-adjusted verdicts. `family_level()` gives that level for a page's fits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.its import ITSResults, fit_its
from lvrn_analysis.story.impact.formatting import fmt_rr
from lvrn_analysis.story.impact.models import AVERTED_DRAWS, PRIMARY_MODEL, simultaneous_level
from lvrn_analysis.story.impact.series import SYNTHETIC_SOURCES, TOTAL_CODE, total_name
from lvrn_analysis.story.impact.truth import implied_total_rr, injected_effects, true_averted

__all__ = [
    "KeySeries",
    "averted_sentence",
    "averted_table",
    "counterfactual_figure",
    "family_level",
    "fit_key",
    "key_frame",
    "key_series",
    "step_only",
]

def family_level(fits: Mapping[KeySeries, ITSResults], level: float = 0.95) -> float:
    """Level of each averted-count interval shown on the page for these fits.

    The family is every averted interval the page shows: the step and the step and
    slope change for a model with a slope change, the step alone otherwise.

    Parameters
    ----------
    fits
        ``KeySeries -> ITSResults``.
    level
        Family-wise level (0.95).

    Returns
    -------
    float
        `simultaneous_level()` for the number of intervals.
    """
    return simultaneous_level(sum(2 if _has_slope(r) else 1 for r in fits.values()), level)


def interval_label(level: float, family: float = 0.95) -> str:
    """Name an averted interval: ``"95% interval"`` or ``"simultaneous 95% interval"``."""
    if abs(level - family) < 1e-12:
        return f"{100 * family:.0f}% interval"
    return f"simultaneous {100 * family:.0f}% interval"


@dataclass(frozen=True)
class KeySeries:
    """A series shown in detail on the page.

    Attributes
    ----------
    role
        ``"treated"``, ``"total"`` or ``"untouched"``.
    indicator_id, area_code
        Which series of the framework frame.
    name
        Display name of the area.
    true_rate_ratio
        The (implied) true level change.
    start
        Go-live date.
    true_averted
        Offences the injected effect averted in the series from go-live to its last
        month (`lvrn_analysis.story.impact.truth.true_averted()`); 0 for an untouched
        series, NaN when unknown.
    """

    role: str
    indicator_id: str
    area_code: str
    name: str
    true_rate_ratio: float
    start: pd.Timestamp
    true_averted: float = field(default=float("nan"), compare=False)

    @property
    def slug(self) -> str:
        """File-name stem."""
        return plots.slug(self.name.replace("(", "").replace(")", ""))


def key_series(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
               framework: OutcomesFramework | None = None,
               area: AreaConfig | None = None) -> list[KeySeries]:
    """Choose the series to show in detail.

    The rule: the series with the injected effect; the area total of the same indicator;
    and the untouched authority with the most recorded offences (the best-powered
    series that should show no change).

    Parameters
    ----------
    series
        Framework series (with the total).
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.
    area
        Area configuration, to name the total (`total_name()`).

    Returns
    -------
    list of KeySeries
        Treated, total, untouched (those that exist), each with its true level change and
        true averted count over the post-go-live months of ``series``.
    """
    fw = framework if framework is not None else load_framework()
    eff = injected_effects(truth, fw)
    ind_id = eff[0]["indicator_id"] if eff else str(series["indicator_id"].iloc[0])
    ind = fw.indicator(ind_id)
    s = series[series["indicator_id"] == ind_id]
    start = ind.intervention_start
    end = pd.Timestamp(s["date"].max()) if len(s) else start
    untouched = any(r.get("effect") == "none" and r.get("source") == ind.source for r in truth)

    def averted(code: str) -> float:
        return true_averted(eff, ind_id, code, start=start, end=end, untouched=untouched)

    keys = []
    treated = {e["area_code"] for e in eff if e["indicator_id"] == ind_id}
    for e in eff:
        if e["indicator_id"] == ind_id:
            keys.append(KeySeries("treated", ind_id, e["area_code"],
                                  fw.areas.get(e["area_code"], e["area_code"]),
                                  e["rate_ratio"], start, averted(e["area_code"])))
            break
    if (s["area_code"] == TOTAL_CODE).any():
        n = s.loc[s["area_code"] != TOTAL_CODE, "area_code"].nunique()
        keys.append(KeySeries("total", ind_id, TOTAL_CODE, total_name(n, area),
                              implied_total_rr(series, eff, ind_id), start,
                              averted(TOTAL_CODE)))
    tot = (s[(s["area_code"] != TOTAL_CODE) & ~s["area_code"].isin(treated)]
           .groupby("area_code")["count"].sum().sort_values(ascending=False, kind="stable"))
    if len(tot):
        code = str(tot.index[0])
        keys.append(KeySeries("untouched", ind_id, code, fw.areas.get(code, code), 1.0,
                              start, averted(code)))
    return keys


def key_frame(series: pd.DataFrame, key: KeySeries) -> pd.DataFrame:
    """Return one key series as the frame the ITS functions take.

    Parameters
    ----------
    series
        Framework series.
    key
        The series.

    Returns
    -------
    pandas.DataFrame
        ``date, offences, population``, sorted by date.
    """
    s = series[(series["indicator_id"] == key.indicator_id)
               & (series["area_code"] == key.area_code)]
    return (s[["date", "count", "population"]].rename(columns={"count": "offences"})
            .sort_values("date").reset_index(drop=True))


def fit_key(series: pd.DataFrame, key: KeySeries, *,
            model: Mapping[str, Any] | None = None) -> ITSResults:
    """Fit the page's model to one key series.

    Parameters
    ----------
    series
        Framework series.
    key
        The series.
    model
        Model; default `PRIMARY_MODEL`.

    Returns
    -------
    ITSResults
        The fit (outcome column ``offences``, population offset).
    """
    kw = dict(PRIMARY_MODEL if model is None else model)
    return fit_its(key_frame(series, key), date="date", outcome="offences",
                   interruptions={"go-live": key.start}, exposure="population", **kw)


def step_only(res: ITSResults) -> ITSResults:
    """Return a copy of a fit whose counterfactual removes only the level (step) change.

    The engine's counterfactual sets every interruption term to zero, so with a slope
    change it also extrapolates the pre-go-live trend for the whole post period. This
    copy keeps the slope change in the counterfactual and removes only the step, so
    ``averted()`` gives the offences attributable to the step: ``fitted_t (1/RR - 1)``.
    The counterfactual band is recomputed with the fit's reference distribution.

    Parameters
    ----------
    res
        A fit from `lvrn_analysis.its.fit_its()` (uncontrolled).

    Returns
    -------
    ITSResults
        The same fit with ``counterfactual_design`` and the ``counterfactual``,
        ``cf_low`` and ``cf_high`` predictions replaced.
    """
    from scipy import stats

    levels = res.effects.loc[res.effects["effect"] == "level", "term"].tolist()
    X = res.design
    Xcf = X.copy()
    for col in levels:
        Xcf[col] = 0.0
    beta = res.params.set_index("term")["estimate"].reindex(X.columns).to_numpy()
    V = res.cov.loc[X.columns, X.columns].to_numpy()
    M = Xcf.to_numpy()
    eta = M @ beta + res.offset
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", M, V, M), 0, None))
    a = float(res.spec.get("alpha", 0.05))
    ref = (stats.t(df=max(1.0, float(res.spec.get("df_resid", 1.0))))
           if res.spec.get("ci_dist") == "t" else stats.norm())
    z = ref.ppf(1 - a / 2)
    pred = res.predictions.copy()
    pred["counterfactual"] = np.exp(eta)
    pred["cf_low"] = np.exp(eta - z * se)
    pred["cf_high"] = np.exp(eta + z * se)
    return dataclasses.replace(res, counterfactual_design=Xcf, predictions=pred)


def _averted_total(res: ITSResults, level: float = 0.95) -> dict[str, float]:
    a = res.averted(level=level, n_draws=AVERTED_DRAWS)
    tot = a.attrs["total"]
    return {"months": len(a), "observed": float(a["observed"].sum()),
            "counterfactual": float(a["counterfactual"].sum()),
            "fitted": float(a["fitted"].sum()),
            "averted": tot["averted"], "low": tot["low"], "high": tot["high"],
            "share": tot["averted"] / float(a["counterfactual"].sum())}


def _has_slope(res: ITSResults) -> bool:
    return bool((res.effects["effect"] == "slope").any())


def counterfactual_figure(res: ITSResults, key: KeySeries, *, level: float = 0.95,
                          sources: Sequence[str] | None = None):
    """Observed, fitted and counterfactual series of a key indicator, house style.

    Draws the engine's chart (`lvrn_analysis.its.ITSResults.plot()`: observed,
    fitted, counterfactual without any interruption term and its 95 % band, go-live
    line, lockdowns shaded) and, when the model has a slope change, adds the
    counterfactual without the step only (`step_only()`). Lockdowns are shaded in
    pale yellow so that they cannot be mistaken for the grey interval band.

    Parameters
    ----------
    res
        Fit of the key series (`fit_key()`).
    key
        The series.
    level
        Level of each averted interval in the alt text (`family_level()` of the page's
        fits for simultaneous intervals; 0.95 alone).
    sources
        Source names; default the synthetic police sources.

    Returns
    -------
    matplotlib.figure.Figure
        House-style chart with a title naming the area and alt text giving the effect
        and the averted counts.
    """
    lvl = res.level_effect
    full = _averted_total(res, level)
    label = interval_label(level)
    truth = ("no change was injected" if key.true_rate_ratio == 1.0
             else f"true level change {key.true_rate_ratio:.3f}")
    alt = (f"Line chart of monthly violence and sexual offences in {key.name} from "
           f"{res.predictions['date'].min():%B %Y} to {res.predictions['date'].max():%B %Y}: "
           "observed, fitted by the segmented regression and the counterfactual without the "
           "intervention, with national lockdowns shaded. Level-change rate ratio "
           f"{fmt_rr(lvl.rate_ratio, lvl.ci_low, lvl.ci_high)} ({truth}). Offences averted "
           f"over {full['months']} months: {full['averted']:,.0f} ({label} "
           f"{full['low']:,.0f} to {full['high']:,.0f}) against the full counterfactual")
    if _has_slope(res):
        st = _averted_total(step_only(res), level)
        alt += (f", {st['averted']:,.0f} ({st['low']:,.0f} to {st['high']:,.0f}) against the "
                "counterfactual without the step only")
    alt += "."
    if np.isfinite(key.true_averted):
        alt += f" The injected change averted {key.true_averted:,.0f} offences."
    fig = res.plot(title=f"{key.name}: violence and sexual offences, observed and "
                         "counterfactual", source=list(sources or SYNTHETIC_SOURCES),
                   synthetic=True, alt=alt)
    ax = fig.axes[0]
    for patch in ax.patches:
        patch.set_facecolor(plots.PALETTE[6])
        patch.set_alpha(0.35)
    for line in ax.get_lines():
        if line.get_label() == "Counterfactual (no intervention)":
            line.set_label("Counterfactual: no step, no slope change")
    if _has_slope(res):
        p = step_only(res).predictions
        post = p["post"].to_numpy(dtype=bool)
        ax.plot(pd.to_datetime(p["date"])[post], p["counterfactual"][post], ls=(0, (1, 1.5)),
                lw=1.8, color=plots.PALETTE[2], label="Counterfactual: no step (slope kept)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncol=2)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.22 * (hi - lo))
    ax.set_ylabel("Offences per month")
    return fig


def _averted_cell(a: Mapping[str, float]) -> str:
    return (f"{a['averted']:,.0f} ({a['low']:,.0f} to {a['high']:,.0f}); "
            f"{100 * a['share']:.1f}%")


def _inside(a: Mapping[str, float], truth: float) -> str:
    if not np.isfinite(truth):
        return ""
    return "yes" if a["low"] <= truth <= a["high"] else "no"


def averted_table(fits: Mapping[KeySeries, ITSResults], *, level: float | None = None
                  ) -> pd.DataFrame:
    """Offences averted after go-live for each key series, with intervals.

    Averted = counterfactual minus fitted, summed over the post-go-live months
    (`lvrn_analysis.its.ITSResults.averted()`: `AVERTED_DRAWS` coefficient draws, fixed
    seed, percentile intervals); negative values are excess offences. Two
    counterfactuals are given: without the step only (`step_only()`) and without
    the step and the slope change (the engine's default). The intervals are
    simultaneous 95 % intervals over the whole table (`family_level()`).

    Parameters
    ----------
    fits
        ``KeySeries -> ITSResults``.
    level
        Level of each averted interval; default `family_level()` of ``fits``.

    Returns
    -------
    pandas.DataFrame
        ``Series, True fall, Level change RR (95% CI), Slope change, RR per year (95% CI),
        Months, observed`` (a count), ``True averted`` (the injected truth,
        `KeySeries.true_averted`, as a display string) and the two averted columns as
        display strings (``n (low to high); % of the counterfactual``), each followed by
        whether its interval contains the truth (``Truth inside``: ``yes``/``no``).
    """
    lev = family_level(fits) if level is None else level
    ci = "simultaneous 95% CI" if abs(lev - 0.95) > 1e-12 else "95% CI"
    rows = []
    for key, res in fits.items():
        full = _averted_total(res, lev)
        lvl = res.level_effect
        sl = res.effects[res.effects["effect"] == "slope"]
        slope = "" if sl.empty else fmt_rr(float(sl["rate_ratio"].iloc[0]) ** 12,
                                            float(sl["ci_low"].iloc[0]) ** 12,
                                            float(sl["ci_high"].iloc[0]) ** 12)
        step = _averted_total(step_only(res), lev) if _has_slope(res) else full
        rows.append({
            "Series": key.name,
            "True fall": "none (untouched)" if key.true_rate_ratio == 1.0 else
            f"{100 * (1 - key.true_rate_ratio):.1f}%"
            + (" (implied)" if key.role == "total" else ""),
            "Level change RR (95% CI)": fmt_rr(lvl.rate_ratio, lvl.ci_low, lvl.ci_high),
            "Slope change, RR per year (95% CI)": slope,
            "Months": full["months"],
            "observed": int(round(full["observed"])),
            "True averted": (f"{key.true_averted:,.0f}" if np.isfinite(key.true_averted)
                             else "unknown"),
            f"Averted by the step ({ci}); %": _averted_cell(step),
            "Step: truth inside": _inside(step, key.true_averted),
            f"Averted by step and slope ({ci}); %": _averted_cell(full),
            "Step and slope: truth inside": _inside(full, key.true_averted),
        })
    return pd.DataFrame(rows)


def _where(a: Mapping[str, float], truth: float) -> str:
    return "inside" if a["low"] <= truth <= a["high"] else "**outside**"


def averted_sentence(fits: Mapping[KeySeries, ITSResults], *, level: float | None = None
                     ) -> str:
    """Summarise averted offences for the key series against the truth.

    Parameters
    ----------
    fits
        ``KeySeries -> ITSResults``.
    level
        Level of each averted interval; default `family_level()` of ``fits``.

    Returns
    -------
    str
        Markdown paragraph: for each series the offences averted by the step (and by
        step and slope change) with simultaneous 95% intervals, the true averted count
        and whether each interval contains it.
    """
    lev = family_level(fits) if level is None else level
    n = sum(2 if _has_slope(r) else 1 for r in fits.values())
    parts = []
    if abs(lev - 0.95) > 1e-12:
        parts.append(f"The {n} intervals below are simultaneous: each is a "
                     f"{100 * lev:.1f}% interval, so that all {n} contain their true values "
                     "together with probability at least 95%.")
    for key, res in fits.items():
        full = _averted_total(res, lev)
        step = _averted_total(step_only(res), lev) if _has_slope(res) else full
        lvl = res.level_effect
        sig = bool(lvl.ci_high < 1 or lvl.ci_low > 1)
        true = ("nothing was injected" if key.true_rate_ratio == 1.0 else
                f"the true fall is {100 * (1 - key.true_rate_ratio):.1f}%"
                + (" (implied by the injected change)" if key.role == "total"
                   else ""))
        txt = (f"**{key.name}**: the step {'is' if sig else 'is not'} statistically "
               f"significant and accounts for {step['averted']:,.0f} offences averted "
               f"({step['low']:,.0f} to {step['high']:,.0f}; "
               f"{100 * step['share']:.1f}% of its counterfactual); {true}")
        if np.isfinite(key.true_averted):
            txt += (f" (true number averted: {key.true_averted:,.0f}, "
                    f"{_where(step, key.true_averted)} the interval)")
        txt += "."
        if _has_slope(res):
            txt += (f" Counting the slope change as well gives {full['averted']:,.0f} "
                    f"({full['low']:,.0f} to {full['high']:,.0f}; "
                    f"{100 * full['share']:.1f}%)")
            if np.isfinite(key.true_averted):
                txt += f", with the truth {_where(full, key.true_averted)} the interval"
            txt += "."
        parts.append(txt)
    return " ".join(parts)
