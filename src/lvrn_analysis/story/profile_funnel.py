"""Problem profile: a funnel plot of authority rates that allows for over-dispersion.

The Fingertips-style comparison on the profile page
(`lvrn_analysis.story.ed_profile.police_benchmark()`) asks whether each
authority's rate differs from the pan-Lancashire rate by more than counting
noise. With thousands of crimes per authority nearly every one does. The
functions here ask the question a funnel plot with over-dispersed limits asks
(`lvrn_analysis.stats.overdispersion`, Spiegelhalter 2005): is an authority
unusual *given how much authorities usually differ from one another*? They
return the results, the chart, a table for publication and the sentence that
says, with the numbers, why the two comparisons disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import plots
from lvrn_analysis.stats.overdispersion import OverdispersionResult, overdispersion_funnel

__all__ = ["authority_funnel", "funnel_chart", "funnel_sentence", "funnel_table"]

_NAMES = {"poisson": "Poisson", "multiplicative": "multiplicative",
          "additive": "random-effects"}
_SCALE = {"sqrt": "square-root", "log": "log"}


def authority_funnel(rates: pd.DataFrame, *, per: float = 1000.0, transform: str = "sqrt",
                     winsor: float = 0.1) -> OverdispersionResult:
    """Funnel limits for authority rates against the whole area's rate.

    Parameters
    ----------
    rates
        Output of `lvrn_analysis.story.profile.rates_by_authority()` (``la_name``,
        ``count``, ``person_years``).
    per
        Rate multiplier used for ``rates`` (per 1,000 residents by default).
    transform, winsor
        Scale of the z-scores and winsorisation level
        (`lvrn_analysis.stats.overdispersion.overdispersion_funnel()`).

    Returns
    -------
    OverdispersionResult
        Target: the pooled rate of all the authorities, the same value as
        `lvrn_analysis.story.profile.area_rate()`, so the funnel and the
        Fingertips-style comparison share one benchmark.
    """
    return overdispersion_funnel(rates, "count", "person_years", label="la_name", kind="rate",
                                 multiplier=per, transform=transform, winsor=winsor)


def funnel_chart(result: OverdispersionResult, *, period: str, mid_year: int,
                 months: int = 12, method: str = "additive",
                 area_label: str = "Pan-Lancashire",
                 sources: Sequence[str] = ("data.police.uk street-level crime (OGL v3.0)",),
                 ) -> Figure:
    r"""House-style funnel plot of authority rates against population.

    Parameters
    ----------
    result
        Output of `authority_funnel()`.
    period
        The period in words (`lvrn_analysis.story.profile.fmt_period()`).
    mid_year
        Year of the ONS population estimate.
    months
        Months in the period (the x axis shows residents: person-years x 12 /
        months).
    method
        Over-dispersed limits drawn: ``"additive"`` (random effects) or
        ``"multiplicative"``.
    area_label
        Name of the whole area, for the target line.
    sources
        Data sources for the source line (real data).

    Returns
    -------
    Figure
        Every authority labelled; the dispersion ratio and $\tau^2$ printed on
        the chart.
    """
    per = result.multiplier
    src = plots.source_line([*sources, f"ONS mid-{mid_year} population estimates",
                             "limits after Spiegelhalter (2005)"], synthetic=False)
    return result.plot(
        title=f"Violence and sexual offences per {per:,.0f} residents by authority size: "
              f"funnel plot allowing for the spread between authorities, {period}",
        source=src, method=method, xlabel=f"Resident population (ONS mid-{mid_year})",
        ylabel=f"Rate per {per:,.0f} residents per year",
        target_label=f"{area_label} rate", x_scale=12.0 / months)


def funnel_table(result: OverdispersionResult, *, method: str = "additive") -> pd.DataFrame:
    """One row per authority: its rate, the limits and its flag under each method.

    Parameters
    ----------
    result
        Output of `authority_funnel()`.
    method
        Over-dispersed limits whose 99.8 % values are shown: ``"additive"`` or
        ``"multiplicative"``.

    Returns
    -------
    pandas.DataFrame
        ``la_name``, ``count``, ``rate``, ``z`` (on the transformed scale, 1
        decimal), ``Poisson 99.8% lower`` / ``upper`` and the same for the
        over-dispersed limits (``random-effects`` or ``multiplicative``; 1
        decimal), and the flags ``vs Poisson limits``,
        ``vs multiplicative limits``, ``vs random-effects limits``, highest rate
        first.
    """
    if method not in ("additive", "multiplicative"):
        raise ValueError(f"method must be 'additive' or 'multiplicative', got {method!r}")
    t = result.table
    f = result.flags()
    out = pd.DataFrame({"la_name": f["area"], "count": f["observed"].astype("int64"),
                        "rate": f["value"], "z": f["z"].round(1)})
    for m in ("poisson", method):
        sub = t[t["method"] == m]
        out[f"{_NAMES[m]} 99.8% lower"] = sub["lower_99_8"].round(1).to_numpy()
        out[f"{_NAMES[m]} 99.8% upper"] = sub["upper_99_8"].round(1).to_numpy()
    for m, name in _NAMES.items():
        out[f"vs {name} limits"] = f[f"flag_{m}"].to_numpy()
    return out.sort_values(["rate", "la_name"], ascending=[False, True]).reset_index(drop=True)


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _list(out: pd.DataFrame) -> str:
    return ", ".join(f"{r.area} ({r.side})" for r in out.itertuples(index=False))


def funnel_sentence(result: OverdispersionResult, *, rag: pd.Series | None = None,
                    unit: str = "per 1,000 residents a year") -> str:
    """Say, with the numbers, why chance-only and over-dispersed limits disagree.

    Parameters
    ----------
    result
        Output of `authority_funnel()`.
    rag
        Optional Fingertips-style labels (``better``/``similar``/``worse``), e.g.
        the ``vs pan-Lancashire`` column of
        `lvrn_analysis.story.ed_profile.police_benchmark()`.
    unit
        Unit of the rates, for the typical range.

    Returns
    -------
    str
        Markdown paragraph.
    """
    k = result.k
    c = result.counts().set_index(["method", "level"])
    pois95 = int(c.loc[("poisson", 0.95), "outside"])
    pois998 = int(c.loc[("poisson", 0.998), "outside"])
    parts = [f"**Poisson limits (chance alone) flag {pois95} of {k} authorities** "
             f"({pois998} outside the 99.8% limits)"]
    if rag is not None:
        lab = rag.astype(str)
        n_rag = int(lab.isin(["better", "worse", "higher", "lower"]).sum())
        parts[0] += f", and the Fingertips-style colours mark {n_rag} of {len(lab)} better or worse"
    parts[0] += "."
    pv = "p < 0.001" if result.p_value < 0.001 else f"p = {result.p_value:.3f}"
    lo, hi = result.typical_range(0.95)
    parts.append(
        f"But the authorities differ from one another far more than counting noise would "
        f"make them: their spread is **{result.phi:,.0f} times** what chance alone gives "
        f"(dispersion ratio φ = {result.phi:,.1f}; χ² = {result.chi2:,.0f} on {result.df} "
        f"degrees of freedom, {pv}; z-scores on the {_SCALE[result.transform]} scale, "
        f"winsorised at {result.winsor:.0%} each end). On that spread (between-authority "
        f"variance τ² = {result.tau2:.4f}), rates from about {lo:.1f} to {hi:.1f} {unit} "
        "are within the usual range.")
    re998 = result.outside("additive", 0.998)
    re95 = result.outside("additive", 0.95)
    only95 = re95[~re95["area"].isin(re998["area"])]
    verb = _verb(len(re998), "remains", "remain")
    txt = (f"**Allowing for that spread, {len(re998)} of {k} {verb} outside the 99.8% "
           "random-effects limits**")
    txt += f": {_list(re998)}" if len(re998) else ""
    if len(only95):
        more = " more" if len(re998) else ""
        txt += (f"; {len(only95)}{more} {_verb(len(only95), 'lies', 'lie')} outside the 95% "
                f"limits: {_list(only95)}")
    parts.append(txt + ".")
    mult = result.outside("multiplicative", 0.998)
    parts.append(f"With multiplicative limits, {len(mult)} of {k} "
                 f"{_verb(len(mult), 'lies', 'lie')} outside the 99.8% limits"
                 + (f": {_list(mult)}." if len(mult) else "."))
    return " ".join(parts)
