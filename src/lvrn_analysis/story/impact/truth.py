"""The synthetic build's ground truth, and checks of the ITS verdicts against it.

The synthetic police series carry a known injected effect (recorded in the build's
``ground_truth.json`` in the terms the page reports: level ratio, slope ratio per year
and the implied number of offences averted). `load_ground_truth()` reads it,
`injected_effects()` maps it to framework indicators, `true_averted()` gives the true
averted count of a series, `attach_truth()` checks each verdict against it and
`ground_truth_sentence()` says, with the numbers, what was found and what was wrongly
flagged. `truth_coverage()` repeats the check over many seeds of the generator's model
(`CoverageStudy`): how often the averted-count intervals cover the truth and how often
the slope-change test flags an untouched series.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.story.impact.formatting import fmt_p, fmt_rr, pct, plural
from lvrn_analysis.story.impact.series import TOTAL_CODE

if TYPE_CHECKING:
    from lvrn_analysis.config.areas import AreaConfig

__all__ = [
    "CoverageStudy",
    "attach_truth",
    "flag_counts",
    "ground_truth_sentence",
    "implied_total_rr",
    "injected_effects",
    "load_ground_truth",
    "true_averted",
    "truth_coverage",
    "truth_description",
]


def load_ground_truth(directory: Path | str | None = None) -> list[dict[str, Any]]:
    """Read the synthetic build's ground truth (``ground_truth.json``).

    Parameters
    ----------
    directory
        Processed folder (default: `lvrn_analysis.processed.store.processed_dir()`).

    Returns
    -------
    list of dict
        One record per injected effect, plus records stating untouched series.
    """
    from lvrn_analysis.processed.store import processed_dir

    d = Path(directory) if directory is not None else processed_dir()
    return json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))


def injected_effects(truth: Sequence[Mapping[str, Any]], framework: OutcomesFramework
                     ) -> list[dict[str, Any]]:
    """Map injected level effects to framework indicators.

    Parameters
    ----------
    truth
        Ground-truth records (`load_ground_truth()`).
    framework
        The outcomes framework.

    Returns
    -------
    list of dict
        ``indicator_id, area_code, rate_ratio, start`` for each injected level effect
        that a framework indicator measures, plus ``slope_ratio_per_year`` (1.0 when not
        recorded), ``averted_by_month`` (``YYYY-MM -> offences averted``; empty when
        not recorded) and ``area_total_level_ratio`` (the implied level ratio of the area
        total over the post period; NaN when not recorded).
    """
    out = []
    for rec in truth:
        if rec.get("effect") != "level":
            continue
        for ind in framework.indicators:
            filt = ind.series.get("filter") or {}
            if (ind.source == rec.get("source") and filt.get("crime_type") == rec.get(
                    "crime_type") and rec.get("area_code") in ind.areas):
                total = rec.get("area_total") or {}
                out.append({"indicator_id": ind.id, "area_code": rec["area_code"],
                            "rate_ratio": float(rec["rate_ratio"]),
                            "start": pd.Timestamp(str(rec["start"]) + "-01"),
                            "slope_ratio_per_year": float(rec.get("slope_ratio_per_year",
                                                                  1.0)),
                            "averted_by_month": dict(rec.get("averted_by_month") or {}),
                            "area_total_level_ratio": float(total.get(
                                "implied_level_ratio", float("nan")))})
    return out


def true_averted(effects: Sequence[Mapping[str, Any]], indicator_id: str, area_code: str,
                 *, start: pd.Timestamp | str, end: pd.Timestamp | str,
                 untouched: bool = True) -> float:
    r"""Return the offences the injected effects averted in a series over a post period.

    The truth behind the page's "offences averted": the sum over the months from
    ``start`` to ``end`` of the generator's expected count without the effect minus the
    expected count with it, $\sum_t \mu_t (1/RR - 1)$, as recorded month by month in
    the ground truth (`lvrn_analysis.synthetic.police.InjectedEffect.record()`). The area
    total (``area_code == TOTAL_CODE``) sums every injected authority of the indicator.

    Parameters
    ----------
    effects
        Injected effects (`injected_effects()`).
    indicator_id, area_code
        The series.
    start, end
        First and last month of the post period (inclusive).
    untouched
        Whether series without an injected effect are known to be untouched (then 0.0 is
        returned for them, otherwise NaN).

    Returns
    -------
    float
        Offences averted (positive: fewer offences than without the effect); NaN when an
        effect applies but its months were not recorded.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    effs = [e for e in effects if e["indicator_id"] == indicator_id
            and (area_code == TOTAL_CODE or e["area_code"] == area_code)]
    if not effs:
        return 0.0 if untouched else float("nan")
    total = 0.0
    for e in effs:
        by_month = e.get("averted_by_month") or {}
        if not by_month:
            return float("nan")
        total += sum(float(v) for m, v in by_month.items()
                     if lo <= pd.Timestamp(m + "-01") <= hi)
    return total


def _untouched_sources(truth: Sequence[Mapping[str, Any]]) -> set[str]:
    return {str(r.get("source")) for r in truth if r.get("effect") == "none"}


def _true_rr(indicator_id: str, area_code: str, source: str,
             effects: Sequence[Mapping[str, Any]], untouched: set[str]) -> float:
    for e in effects:
        if e["indicator_id"] == indicator_id and e["area_code"] == area_code:
            return float(e["rate_ratio"])
    return 1.0 if source in untouched else float("nan")


def implied_total_rr(series: pd.DataFrame, effects: Sequence[Mapping[str, Any]],
                     indicator_id: str) -> float:
    """Return the true rate ratio of the area total implied by the injected effects.

    The ratio recorded by the generator (expected over counterfactual offences of the
    whole area after the start) when the ground truth holds it; otherwise the
    approximation ``1 - sum_a share_a (1 - RR_a)`` with ``share_a`` the authority's share
    of the total in the 12 months before the effect starts (exact if the shares stay
    constant).

    Parameters
    ----------
    series
        Framework series (`build_framework_series()`).
    effects
        Injected effects (`injected_effects()`).
    indicator_id
        Indicator.

    Returns
    -------
    float
        The implied rate ratio (1.0 when no effect was injected into the indicator).
    """
    effs = [e for e in effects if e["indicator_id"] == indicator_id]
    if not effs:
        return 1.0
    recorded = {float(e.get("area_total_level_ratio", float("nan"))) for e in effs}
    if len(recorded) == 1 and np.isfinite(next(iter(recorded))):
        return next(iter(recorded))
    s = series[(series["indicator_id"] == indicator_id) & (series["area_code"] != TOTAL_CODE)]
    start = min(e["start"] for e in effs)
    pre = s[(s["date"] < start) & (s["date"] >= start - pd.DateOffset(months=12))]
    share = pre.groupby("area_code")["count"].sum() / pre["count"].sum()
    return float(1 - sum(share.get(e["area_code"], 0.0) * (1 - e["rate_ratio"]) for e in effs))


def truth_description(series: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                      framework: OutcomesFramework | None = None) -> str:
    """Describe the synthetic series and the injected ground truth in a paragraph.

    Parameters
    ----------
    series
        Framework series built from the synthetic table.
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    str
        Markdown paragraph: the period, the injected changes and the untouched series
        (what this makes possible is said in the notebook's Markdown).
    """
    fw = framework if framework is not None else load_framework()
    eff = injected_effects(truth, fw)
    ind = fw.indicator(eff[0]["indicator_id"]) if eff else fw.indicators[0]
    dates = pd.DatetimeIndex(sorted(series["date"].unique()))
    start = ind.intervention_start
    n_pre = int((dates < start).sum())
    text = (f"The synthetic series run from {dates[0]:%B %Y} to {dates[-1]:%B %Y}: "
            f"{len(dates)} months, {n_pre} before and {len(dates) - n_pre} from the go-live "
            f"date the framework assumes ({start:%B %Y}), with no gaps. ")
    if eff:
        changes = "; ".join(
            f"a {100 * (1 - e['rate_ratio']):.0f}% fall (rate ratio {e['rate_ratio']:.2f}) in "
            f"{fw.indicator(e['indicator_id']).name.split(' (')[0].lower()} in "
            f"{fw.areas.get(e['area_code'], e['area_code'])} from {e['start']:%B %Y}"
            for e in eff)
        text += (f"The generator injected **{plural(len(eff), 'known change')}**: {changes}. ")
    none = [r for r in truth if r.get("effect") == "none"]
    if none:
        text += ("Every other series is untouched (the ground-truth file says: "
                 f"*{none[0].get('description', '').rstrip('.')}*). ")
    return text.rstrip()


def attach_truth(results: pd.DataFrame, truth: Sequence[Mapping[str, Any]],
                 framework: OutcomesFramework | None = None) -> pd.DataFrame:
    """Add the ground truth and a check of each verdict against it.

    Parameters
    ----------
    results
        Output of `evaluate()` (or `evaluate_controlled()`).
    truth
        Ground-truth records.
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    pandas.DataFrame
        ``results`` plus ``true_rate_ratio`` (NaN where the truth is unknown),
        ``covers_truth`` (the 95 % interval contains it) and ``check``: ``"found"``,
        ``"missed"``, ``"wrong direction"``, ``"false positive"``, ``"correctly not
        flagged"`` or ``""`` (not evaluated or truth unknown). The check is
        polarity-aware because it reads the polarity-aware verdict.
    """
    fw = framework if framework is not None else load_framework()
    effects = injected_effects(truth, fw)
    untouched = _untouched_sources(truth)
    src = {i.id: i.source for i in fw.indicators}
    lower = {i.id: i.lower_is_better for i in fw.indicators}
    out = results.copy()
    out["true_rate_ratio"] = [
        _true_rr(r.indicator_id, r.area_code, src.get(r.indicator_id, ""), effects, untouched)
        for r in out.itertuples(index=False)]
    checks, covers = [], []
    for r in out.itertuples(index=False):
        t = r.true_rate_ratio
        if r.status != "evaluated" or not np.isfinite(t):
            checks.append("")
            covers.append(pd.NA)
            continue
        covers.append(bool(r.ci_low <= t <= r.ci_high))
        flagged = r.verdict in ("improved", "worsened")
        if t == 1.0:
            checks.append("false positive" if flagged else "correctly not flagged")
            continue
        good = (t < 1) == bool(lower.get(r.indicator_id, True))
        expected = "improved" if good else "worsened"
        checks.append("found" if r.verdict == expected else
                      "wrong direction" if flagged else "missed")
    out["covers_truth"] = pd.array(covers, dtype="boolean")
    out["check"] = checks
    return out


def flag_counts(res: pd.DataFrame) -> dict[str, Any]:
    """Count what a design flagged among the untouched series, and pick the treated ones.

    Parameters
    ----------
    res
        Output of `attach_truth()`.

    Returns
    -------
    dict
        ``n_untouched``; ``false_pos`` (untouched series flagged at the nominal level,
        before multiplicity adjustment), split into ``false_improved`` and
        ``false_worsened``, with their names (``false_pos_names``) and the number still
        flagged after Holm's adjustment (``false_pos_holm``); ``mean_rr_untouched`` (the
        geometric mean rate ratio of the untouched series); and ``treated``, the rows
        with an injected effect.
    """
    ev = res[res["status"] == "evaluated"]
    un = ev[ev["true_rate_ratio"] == 1.0]
    tr = ev[(ev["true_rate_ratio"] != 1.0) & ev["true_rate_ratio"].notna()]
    # flags at the nominal level: the verdict before multiplicity adjustment
    verdict = un["verdict_unadjusted"] if "verdict_unadjusted" in un else un["verdict"]
    flagged = verdict.isin(["improved", "worsened"])
    return {
        "n_untouched": len(un),
        "false_pos": int(flagged.sum()),
        "false_improved": int((verdict == "improved").sum()),
        "false_worsened": int((verdict == "worsened").sum()),
        "false_pos_names": un.loc[flagged, "area_name"].tolist(),
        "false_pos_holm": int((flagged & (un["p_holm"] < 0.05)).sum()),
        "mean_rr_untouched": float(np.exp(np.log(un["rate_ratio"]).mean())) if len(un)
        else float("nan"),
        "treated": tr,
    }


def ground_truth_sentence(results: pd.DataFrame, alpha: float = 0.05) -> str:
    """Say whether the injected effect was found and how many untouched areas were flagged.

    Parameters
    ----------
    results
        Output of `attach_truth()`.
    alpha
        Test level used for the verdicts.

    Returns
    -------
    str
        Markdown paragraph, including the multiple-testing arithmetic.
    """
    c = flag_counts(results)
    parts = []
    for t in c["treated"].itertuples(index=False):
        found = {"found": "**was found**", "missed": "**was missed**",
                 "wrong direction": "**was estimated in the wrong direction**"}[t.check]
        cover = ("inside" if t.covers_truth else "**outside**")
        parts.append(
            f"The injected change in {t.area_name} ({pct(1 - t.true_rate_ratio)} fall, rate "
            f"ratio {t.true_rate_ratio:.2f}) {found}: estimated rate ratio "
            f"{fmt_rr(t.rate_ratio, t.ci_low, t.ci_high)}, so the truth lies {cover} the 95% "
            f"interval; "
            + (f"it stays significant after Holm adjustment (adjusted p {fmt_p(t.p_holm)})."
               if t.p_holm < alpha else
               f"it is not significant after Holm adjustment (adjusted p "
               f"{fmt_p(t.p_holm)})."))
    n, k = c["n_untouched"], c["false_pos"]
    if n:
        names = f" ({', '.join(c['false_pos_names'])})" if k else ""
        detail = ""
        if k:
            detail = (f": {c['false_improved']} as improved and "
                      f"{c['false_worsened']} as worsened")
        expected = n * alpha
        p_any = 1 - (1 - alpha) ** n
        parts.append(
            f"**{k} of the {n} untouched authorities {'was' if k == 1 else 'were'} flagged at the "
            f"{pct(alpha)} level**{names}{detail}. With {n} tests at {pct(alpha)}, about "
            f"{expected:.2f} false positives are expected by chance alone and the chance of "
            f"at least one is {pct(p_any)}. After Holm's adjustment for the "
            f"{n + len(c['treated'])} tests, {c['false_pos_holm']} untouched "
            f"{'authority remains' if c['false_pos_holm'] == 1 else 'authorities remain'} "
            "flagged.")
    return " ".join(parts)


# ------------------------------------------------------------------ coverage by simulation
@dataclass(frozen=True)
class CoverageStudy:
    """Repeated draws of the synthetic police test bed, analysed with the page's model.

    Attributes
    ----------
    runs
        One row per seed x series: ``seed, area_code, role`` (``"treated"``, ``"total"``
        or ``"untouched"``), ``level_rr, level_low, level_high, level_p``,
        ``slope_rr_year, slope_p`` (slope change per year and its two-sided p-value),
        ``averted_full, full_low, full_high`` (step and slope change),
        ``averted_step, step_low, step_high`` (step only), the same intervals at the
        page's simultaneous level (``full_sim_low, full_sim_high, step_sim_low,
        step_sim_high``), ``observed`` (the series' total count), ``true_level_rr`` and
        ``true_averted``.
    level
        Interval level (0.95).
    alpha
        Test level (0.05).
    model
        The ITS specification fitted.
    family
        Level of each of the page's simultaneous averted intervals.
    """

    runs: pd.DataFrame
    level: float
    alpha: float
    model: dict[str, Any]
    family: float = 0.95

    _FAMILY = "all the page's simultaneous averted intervals cover the truth"

    def page_family_covers(self) -> pd.Series:
        """Per seed, whether every averted interval the page shows contains its truth.

        The page's key series are the treated authority, the area total and the
        untouched authority with the most offences (in that draw); each shows the
        averted count by the step and, with a slope change, by step and slope, at the
        simultaneous level ``family``.

        Returns
        -------
        pandas.Series
            Boolean, indexed by seed.
        """
        r = self.runs
        un = r[r["role"] == "untouched"]
        largest = un.loc[un.groupby("seed")["observed"].idxmax()]
        keyed = pd.concat([r[r["role"].isin(["treated", "total"])], largest])
        t = keyed["true_averted"]
        ok = (keyed["step_sim_low"] <= t) & (t <= keyed["step_sim_high"])
        if keyed["slope_p"].notna().any():
            ok &= (keyed["full_sim_low"] <= t) & (t <= keyed["full_sim_high"])
        return ok.groupby(keyed["seed"]).all()

    @property
    def n_seeds(self) -> int:
        """Number of seeds simulated."""
        return int(self.runs["seed"].nunique())

    def summary(self) -> pd.DataFrame:
        """Coverage and rejection rates with Wilson 95 % intervals.

        Returns
        -------
        pandas.DataFrame
            ``measure, role, n, rate, low, high, nominal``: the share of intervals of
            the averted count (step and slope; step only) and of the level change that
            contain the truth, by role, and the share of untouched series whose slope
            (or level) change test gives ``p < alpha`` (the false-positive rate).
        """
        r = self.runs
        cov_full = (r["full_low"] <= r["true_averted"]) & (r["true_averted"] <= r["full_high"])
        cov_step = (r["step_low"] <= r["true_averted"]) & (r["true_averted"] <= r["step_high"])
        cov_lvl = (r["level_low"] <= r["true_level_rr"]) & (r["true_level_rr"] <= r["level_high"])
        rows = []

        def add(measure: str, flag: pd.Series, nominal: float, roles: Sequence[str]) -> None:
            for role in roles:
                f = flag[r["role"] == role]
                if f.empty:
                    continue
                lo, hi = _wilson(int(f.sum()), len(f))
                rows.append({"measure": measure, "role": role, "n": len(f),
                             "rate": float(f.mean()), "low": lo, "high": hi,
                             "nominal": nominal})

        everyone = ("treated", "total", "untouched")
        add("averted interval (step and slope) covers the truth", cov_full, self.level, everyone)
        add("averted interval (step only) covers the truth", cov_step, self.level, everyone)
        add("level-change interval covers the truth", cov_lvl, self.level,
            ("treated", "untouched"))
        if r["slope_p"].notna().any():
            add("slope-change test p < alpha (false positive)", r["slope_p"] < self.alpha,
                self.alpha, ("treated", "untouched"))
        add("level-change test p < alpha (false positive)", r["level_p"] < self.alpha,
            self.alpha, ("untouched",))
        fam = self.page_family_covers()
        lo, hi = _wilson(int(fam.sum()), len(fam))
        rows.append({"measure": self._FAMILY, "role": "key series", "n": len(fam),
                     "rate": float(fam.mean()), "low": lo, "high": hi, "nominal": self.level})
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """`summary()` for display: what is checked, for which series, and the rate.

        Returns
        -------
        pandas.DataFrame
            ``Check, Series, Fits, Rate (95% CI), Nominal`` as display strings
            (``Fits`` is the number of simulated series analysed, not a count of events).
        """
        names = {"treated": "treated authority", "total": "area total",
                 "untouched": "untouched authorities",
                 "key series": "treated, total and largest untouched (per draw)"}
        s = self.summary()
        return pd.DataFrame({
            "Check": s["measure"].str.replace(" < alpha", f" < {self.alpha:g}", regex=False),
            "Series": s["role"].map(names),
            "Fits": s["n"].map("{:,}".format),
            "Rate (95% CI)": [f"{100 * r:.1f}% ({100 * lo:.1f} to {100 * hi:.1f})"
                              for r, lo, hi in zip(s["rate"], s["low"], s["high"],
                                                   strict=True)],
            "Nominal": s["nominal"].map(lambda v: f"{100 * v:.0f}%"),
        })

    def sentence(self) -> str:
        """Say, with the numbers, how the page's intervals and tests behave over the seeds.

        Returns
        -------
        str
            Markdown sentence.
        """
        summ = self.summary().set_index(["measure", "role"])

        def rate(measure: str, role: str) -> str:
            row = summ.loc[(measure, role)]
            return f"{100 * row['rate']:.1f}% ({100 * row['low']:.1f}-{100 * row['high']:.1f}%)"

        full = "averted interval (step and slope) covers the truth"
        un = self.runs[self.runs["role"] == "untouched"]
        has_slope = ("slope-change test p < alpha (false positive)", "untouched") in summ.index
        test = "slope" if has_slope else "level"
        return (
            f"Over {self.n_seeds} fresh draws of the synthetic series (the generator's own "
            f"model, seeds {int(self.runs['seed'].min())} to {int(self.runs['seed'].max())}), "
            f"the {100 * self.level:.0f}% interval of the offences averted contained the "
            f"injected truth in {rate(full, 'treated')} of draws for the treated authority "
            f"and {rate(full, 'total')} for the area total. Of {len(un):,} fits to untouched "
            f"authorities, {rate(f'{test}-change test p < alpha (false positive)', 'untouched')} "
            f"showed a {test} change significant at the {100 * self.alpha:.0f}% level "
            f"(nominal {100 * self.alpha:.0f}%). The page's averted intervals are "
            f"simultaneous (each at {100 * self.family:.1f}%): all of them contained their "
            f"truth together in {rate(self._FAMILY, 'key series')} of draws (nominal at "
            f"least {100 * self.level:.0f}%).")


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927, *JASA* 22(158):209-212)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z ** 2 / n
    centre = (p + z ** 2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / den
    return float(centre - half), float(centre + half)


def _batched_cov(X: np.ndarray, Y: np.ndarray, off: np.ndarray, beta: np.ndarray
                 ) -> np.ndarray:
    r"""Quasi-Poisson covariance $\phi (X'WX)^{-1}$ of many fits sharing one design."""
    mu = np.exp(beta @ X.T + off)
    A = (X.T[None, :, :] * mu[:, None, :]) @ X
    T, p = X.shape
    phi = np.sum((Y - mu) ** 2 / mu, axis=1) / (T - p)
    return np.linalg.inv(A) * phi[:, None, None]


def _averted_draws(beta: np.ndarray, cov: np.ndarray, X: np.ndarray,
                   counterfactuals: Sequence[np.ndarray], off: np.ndarray, n_draws: int,
                   seed: int, levels: Sequence[float]
                   ) -> list[tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]]:
    """Point and (low, high) per level of total averted counts, as `ITSResults.averted()`.

    One set of coefficient draws serves every counterfactual design and level.
    """
    w, v = np.linalg.eigh((cov + np.transpose(cov, (0, 2, 1))) / 2)
    root = v * np.sqrt(np.clip(w, 0, None))[:, None, :]
    z = np.random.default_rng(seed).standard_normal((n_draws, beta.shape[1]))
    draws = beta[:, None, :] + np.einsum("dk,sjk->sdj", z, root)

    flat = draws.reshape(-1, draws.shape[2])  # one matrix product, not one per seed

    def total(M: np.ndarray) -> np.ndarray:
        return np.exp((flat @ M.T).reshape(*draws.shape[:2], -1) + off).sum(axis=2)

    fitted = total(X)
    fit_point = np.exp(beta @ X.T + off).sum(axis=1)
    out = []
    for Xc in counterfactuals:
        diff = total(Xc) - fitted
        point = np.exp(beta @ Xc.T + off).sum(axis=1) - fit_point
        out.append((point, [(np.quantile(diff, (1 - lev) / 2, axis=1),
                             np.quantile(diff, (1 + lev) / 2, axis=1)) for lev in levels]))
    return out


@dataclass(frozen=True)
class _ModelDesign:
    """The engine's design for one series layout, to analyse many count vectors at once."""

    X: np.ndarray
    Xcf: np.ndarray
    Xstep: np.ndarray
    post: np.ndarray
    level_col: int
    slope_col: int | None
    tdist: Any
    q: float
    level: float
    family: float

    @classmethod
    def build(cls, months: pd.DatetimeIndex, population: np.ndarray, counts: np.ndarray,
              start: pd.Timestamp, spec: Mapping[str, Any], level: float,
              family: float | None = None) -> _ModelDesign:
        """Take the design the engine builds (`lvrn_analysis.its.fit_its()`) for a layout."""
        from scipy import stats

        from lvrn_analysis.its import fit_its

        frame = pd.DataFrame({"date": months, "offences": counts, "population": population})
        res = fit_its(frame, date="date", outcome="offences",
                      interruptions={"go-live": start}, exposure="population", **spec)
        cols = list(res.design.columns)
        eff = res.effects
        lvl = cols.index(eff.loc[eff["effect"] == "level", "term"].iloc[0])
        slopes = eff.loc[eff["effect"] == "slope", "term"].tolist()
        X = res.design.to_numpy(dtype=float)
        Xstep = X.copy()
        Xstep[:, lvl] = 0.0
        df = X.shape[0] - X.shape[1]
        tdist = stats.t(df=df) if spec.get("ci_dist") == "t" else stats.norm()
        return cls(X=X, Xcf=res.counterfactual_design.to_numpy(dtype=float), Xstep=Xstep,
                   post=res.predictions["post"].to_numpy(dtype=bool), level_col=lvl,
                   slope_col=cols.index(slopes[0]) if slopes else None, tdist=tdist,
                   q=float(tdist.ppf(1 - (1 - level) / 2)), level=level,
                   family=level if family is None else family)

    def analyse(self, Y: np.ndarray, off: np.ndarray, *, n_draws: int, seed: int
                ) -> dict[str, np.ndarray]:
        """Fit every row of ``Y`` and return the effects and averted counts as arrays."""
        from lvrn_analysis.its.power import batched_fit

        X, post, j = self.X, self.post, self.level_col
        beta, se = batched_fit(X, Y, offset=off, family="quasipoisson")
        cov = _batched_cov(X, Y, off, beta)
        (fp, full), (sp, step) = _averted_draws(
            beta, cov, X[post], [self.Xcf[post], self.Xstep[post]], off[post], n_draws, seed,
            (self.level, self.family))
        k = self.slope_col
        nan = np.full(len(beta), np.nan)
        return {
            "level_rr": np.exp(beta[:, j]), "level_low": np.exp(beta[:, j] - self.q * se[:, j]),
            "level_high": np.exp(beta[:, j] + self.q * se[:, j]),
            "level_p": 2 * self.tdist.sf(np.abs(beta[:, j] / se[:, j])),
            "slope_rr_year": np.exp(12 * beta[:, k]) if k is not None else nan,
            "slope_p": 2 * self.tdist.sf(np.abs(beta[:, k] / se[:, k])) if k is not None
            else nan,
            "averted_full": fp, "full_low": full[0][0], "full_high": full[0][1],
            "averted_step": sp, "step_low": step[0][0], "step_high": step[0][1],
            "full_sim_low": full[1][0], "full_sim_high": full[1][1],
            "step_sim_low": step[1][0], "step_sim_high": step[1][1],
        }


def truth_coverage(area: AreaConfig, *, n_seeds: int = 200, first_seed: int = 1,
                   kept: pd.DataFrame | None = None, model: Mapping[str, Any] | None = None,
                   framework: OutcomesFramework | None = None, n_draws: int | None = None,
                   level: float = 0.95, alpha: float = 0.05) -> CoverageStudy:
    """Check the page's intervals and tests against the truth over many generator seeds.

    The synthetic police generator's expected counts for the crime type of the injected
    effect (`lvrn_analysis.synthetic.police.expected_counts()`: calibrated level, monthly
    populations, recording trend, season, lockdowns, the injected step) are drawn afresh
    ``n_seeds`` times with the generator's gamma-Poisson draw
    (`lvrn_analysis.synthetic.police.draw_counts()`, seed = ``first_seed``,
    ``first_seed + 1``, ...), for every authority and their total. Each series is fitted
    with the page's model (default `PRIMARY_MODEL`) on the design and offset the engine
    builds (`lvrn_analysis.its.fit_its()`), by the engine's vectorised IRLS
    (`lvrn_analysis.its.power.batched_fit()`; same estimates), and the offences averted
    are computed as `lvrn_analysis.its.ITSResults.averted()` does (coefficient draws,
    percentile interval) for the full counterfactual and for the step only
    (`lvrn_analysis.story.impact.counterfactual.step_only()`). Builds are not repeated:
    only the series the model sees are simulated.

    Parameters
    ----------
    area
        Area configuration (authorities, synthetic period).
    n_seeds, first_seed
        Number of draws and the first seed.
    kept
        Clean real police counts to calibrate on; default the area's embedded aggregate.
    model
        ITS specification; default `PRIMARY_MODEL`.
    framework
        Outcomes framework (the go-live date of the indicator); default the shipped one.
    n_draws
        Coefficient draws per fit for the averted intervals; default the page's
        (`lvrn_analysis.story.impact.models.AVERTED_DRAWS`).
    level, alpha
        Interval and test levels.

    Returns
    -------
    CoverageStudy
        Per-seed results with `CoverageStudy.summary()`.
    """
    from lvrn_analysis.config.geography import monthly_populations
    from lvrn_analysis.story.impact.models import (
        AVERTED_DRAWS,
        PRIMARY_MODEL,
        simultaneous_level,
    )
    from lvrn_analysis.synthetic import police as gen

    fw = framework if framework is not None else load_framework()
    spec = dict(PRIMARY_MODEL if model is None else model)
    if spec.get("family") != "quasipoisson" or spec.get("se", "model") != "model":
        raise ValueError("truth_coverage() reproduces quasi-Poisson model-based fits only")
    cal = gen.calibrate(gen._embedded_kept(area) if kept is None else kept, area)
    months = pd.date_range(area.synthetic_start + "-01", area.synthetic_end + "-01", freq="MS")
    effects = gen.default_effects(area)
    exp = gen.expected_counts(cal, area, months, effects)
    truth = [e.record(area, exp) for e in effects] + [
        {"source": "police_street", "effect": "none"}]
    eff = injected_effects(truth, fw)
    if not eff:
        raise ValueError("no injected effect is measured by a framework indicator")
    ind = fw.indicator(eff[0]["indicator_id"])
    crime = (ind.series.get("filter") or {}).get("crime_type")
    sel = exp[exp["crime_type"] == crime]
    mu = sel.pivot(index="la_code", columns="month", values="mu").reindex(columns=months)
    codes = list(mu.index)
    pop = (monthly_populations(area, months).pivot(index="la_code", columns="date",
                                                   values="population")
           .reindex(index=codes, columns=months))
    start = ind.intervention_start
    # the page shows the averted counts of three key series (treated, total, largest
    # untouched), two per series with a slope change: simultaneous intervals over them
    family = simultaneous_level(3 * (2 if spec.get("slope_change", True) else 1), level)
    design = _ModelDesign.build(months, pop.iloc[0].to_numpy(dtype=float),
                                np.round(mu.iloc[0].to_numpy()), start, spec, level, family)
    seeds = np.arange(first_seed, first_seed + n_seeds)
    draws = np.stack([gen.draw_counts(mu.to_numpy(), np.random.default_rng(int(s)))
                      for s in seeds]).astype(float)  # (seed, authority, month)
    treated = {e["area_code"] for e in eff if e["indicator_id"] == ind.id}
    series = [(c, draws[:, i, :], pop.loc[c].to_numpy(dtype=float)) for i, c in
              enumerate(codes)]
    series.append((TOTAL_CODE, draws.sum(axis=1), pop.to_numpy(dtype=float).sum(axis=0)))
    out = []
    for code, Y, p in series:
        row = design.analyse(Y, np.log(p), seed=first_seed,
                             n_draws=AVERTED_DRAWS if n_draws is None else n_draws)
        row.update({
            "seed": seeds, "area_code": code, "observed": Y.sum(axis=1),
            "role": ("total" if code == TOTAL_CODE else "treated" if code in treated
                     else "untouched"),
            "true_level_rr": (implied_total_rr(pd.DataFrame(), eff, ind.id)
                              if code == TOTAL_CODE else _true_rr(ind.id, code, ind.source, eff,
                                                                  {ind.source})),
            "true_averted": true_averted(eff, ind.id, code, start=start, end=months[-1]),
        })
        out.append(pd.DataFrame(row))
    cols = ["seed", "area_code", "role", "level_rr", "level_low", "level_high", "level_p",
            "slope_rr_year", "slope_p", "averted_full", "full_low", "full_high",
            "averted_step", "step_low", "step_high", "full_sim_low", "full_sim_high",
            "step_sim_low", "step_sim_high", "observed", "true_level_rr", "true_averted"]
    runs = pd.concat(out, ignore_index=True)[cols].sort_values(
        ["seed", "area_code"], kind="stable").reset_index(drop=True)
    return CoverageStudy(runs=runs, level=level, alpha=alpha, model=spec, family=family)
