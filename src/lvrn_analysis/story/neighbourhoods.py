"""Where, neighbourhood by neighbourhood: violence by LSOA, smoothed rates and hot spots.

The profile page's maps rest on three computations, each a tidy frame:

* `lsoa_counts()` — police counts pooled over a period (by default the latest 12
  complete months) for every LSOA of the area, with the ONS mid-2020 LSOA population;
* `shrink_rates()` — empirical-Bayes rates: each LSOA's rate pulled towards its
  authority's rate, the more so the fewer residents it has (Poisson–gamma model,
  method-of-moments prior; Clayton & Kaldor 1987, Marshall 1991);
* `hot_spots()` — the LSOAs with most violence (by default the top 5 % of LSOAs
  ranked by count).

`unjoined_lsoas()` reports the police LSOA codes that do not join a shipped
boundary (or join one in another authority): they cannot be mapped.

References
----------
Clayton D, Kaldor J. Empirical Bayes estimates of age-standardized relative risks
for use in disease mapping. *Biometrics* 1987; 43: 671–681.

Marshall RJ. Mapping disease and mortality rates using empirical Bayes estimators.
*Journal of the Royal Statistical Society, Series C (Applied Statistics)* 1991; 40:
283–294.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.boundaries import (
    ATTRIBUTION,
    POPULATION_MID_YEAR,
    lsoa_boundaries,
    lsoa_populations,
)
from lvrn_analysis.story.profile import VIOLENCE, fmt_period, latest_complete_window

#: How the hot spots may be defined (see `hot_spots()`).
HOT_SPOT_RULES = ("lsoas", "offences")


def unjoined_lsoas(counts: pd.DataFrame, area: AreaConfig) -> pd.DataFrame:
    """Police LSOA codes placed in the area that do not join its shipped boundaries.

    Every in-area row of the police table (all months, all crime types) is checked:
    its LSOA code must be one of the area's 2011 LSOA boundaries, in the same
    authority as the police data place it (by the authority name that starts the
    LSOA name).

    Parameters
    ----------
    counts
        The ``police_street`` table (``lsoa_code``, ``la_code``, ``la_name``,
        ``geo_status``, ``count``).
    area
        Area configuration.

    Returns
    -------
    pandas.DataFrame
        One row per code that does not join: ``lsoa_code``, ``la_code``,
        ``la_name`` (as placed by the police data), ``boundary_la_code`` (missing
        when no boundary has the code), ``reason`` (``"no boundary"`` or
        ``"boundary in another authority"``) and ``count`` (rows, all months and
        crime types), sorted by code. Empty when every code joins.
    """
    placed = counts[counts["geo_status"] == "in_area"]
    g = (placed.groupby(["lsoa_code", "la_code", "la_name"], as_index=False, observed=True)
         ["count"].sum())
    bounds = lsoa_boundaries(area)[["lsoa_code", "la_code"]].rename(
        columns={"la_code": "boundary_la_code"})
    j = g.merge(bounds, on="lsoa_code", how="left")
    bad = j[j["boundary_la_code"].isna() | (j["boundary_la_code"] != j["la_code"])].copy()
    bad["reason"] = np.where(bad["boundary_la_code"].isna(), "no boundary",
                             "boundary in another authority")
    bad["count"] = bad["count"].astype("int64")
    cols = ["lsoa_code", "la_code", "la_name", "boundary_la_code", "reason", "count"]
    return bad[cols].sort_values("lsoa_code").reset_index(drop=True)


def lsoa_counts(counts: pd.DataFrame, months: pd.DataFrame, area: AreaConfig, *,
                crime_type: str = VIOLENCE, start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None, per: int = 1000) -> pd.DataFrame:
    r"""Pool counts over a period for every LSOA of the area, with populations and rates.

    Parameters
    ----------
    counts, months
        The ``police_street`` and ``police_street_months`` tables.
    area
        Area configuration: its authorities' 2011 LSOAs are the rows (LSOAs with
        no such crime in the period count zero).
    crime_type
        data.police.uk crime type.
    start, end
        Period (month starts, inclusive); defaults to the latest 12 complete months
        (`lvrn_analysis.story.profile.latest_complete_window()`).
    per
        Rate multiplier (per 1,000 residents by default).

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``lsoa_name``, ``la_code``, ``la_name``, ``count`` (int),
        ``population`` (ONS mid-2020), ``months``, ``person_years``
        ($\text{population} \times \text{months} / 12$) and ``rate`` (annual, per
        ``per`` residents), sorted by code. ``attrs`` holds ``start``, ``end``,
        ``crime_type``, ``per`` and ``unjoined_count`` (in-area offences of the
        period whose LSOA does not join, see `unjoined_lsoas()`).

    Raises
    ------
    ValueError
        If the period contains months with no data.
    """
    if start is None or end is None:
        start, end = latest_complete_window(months)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    wanted = pd.date_range(start, end, freq="MS")
    present = set(months.loc[months["status"] == "present", "month"])
    missing = [m for m in wanted if m not in present]
    if missing:
        raise ValueError("period includes months with no data: "
                         + ", ".join(m.strftime("%Y-%m") for m in missing))
    c = counts[(counts["crime_type"] == crime_type) & (counts["geo_status"] == "in_area")
               & (counts["month"] >= start) & (counts["month"] <= end)]
    per_lsoa = c.groupby("lsoa_code", observed=True)["count"].sum()
    pop = lsoa_populations(area)
    df = pop.drop(columns="mid_year").copy()
    df["count"] = df["lsoa_code"].map(per_lsoa).fillna(0).astype("int64")
    unjoined = int(per_lsoa[~per_lsoa.index.isin(df["lsoa_code"])].sum())
    df["months"] = len(wanted)
    df["person_years"] = df["population"] * len(wanted) / 12
    df["rate"] = df["count"] / df["person_years"] * per
    df = df[["lsoa_code", "lsoa_name", "la_code", "la_name", "count", "population",
             "months", "person_years", "rate"]].sort_values("lsoa_code").reset_index(drop=True)
    df.attrs = {"start": start, "end": end, "crime_type": crime_type, "per": per,
                "unjoined_count": unjoined}
    return df


@dataclass
class ShrunkRates:
    """Empirical-Bayes LSOA rates and the prior fitted in each authority.

    Attributes
    ----------
    lsoas
        One row per LSOA: the `lsoa_counts()` columns plus ``authority_rate``,
        ``weight`` (the share of the LSOA's own rate in the smoothed one, 0–1) and
        ``shrunk_rate``.
    priors
        One row per authority: ``la_code``, ``la_name``, ``n_lsoas``, ``count``,
        ``person_years``, ``authority_rate`` (the prior mean $m$),
        ``between_variance`` (the prior variance $A$, per ``per`` residents
        squared), ``gamma_shape`` ($m^2/A$) and ``gamma_rate`` ($m/A$, per ``per``
        person-years), ``median_weight``.
    per
        Rate multiplier.
    """

    lsoas: pd.DataFrame
    priors: pd.DataFrame
    per: int

    def summary(self) -> pd.DataFrame:
        """Return the fitted prior of each authority and how much its LSOAs were shrunk."""
        s = self.priors.copy()
        lo = self.lsoas.groupby("la_code")
        s["raw_min"] = s["la_code"].map(lo["rate"].min())
        s["raw_max"] = s["la_code"].map(lo["rate"].max())
        s["shrunk_min"] = s["la_code"].map(lo["shrunk_rate"].min())
        s["shrunk_max"] = s["la_code"].map(lo["shrunk_rate"].max())
        return s

    def plot(self, area: AreaConfig, *, title: str, source: str, **kwargs: object) -> object:
        """Draw the smoothed rates on a map (`lvrn_analysis.charts.maps.rate_map()`)."""
        from lvrn_analysis.charts.maps import rate_map

        return rate_map(self.lsoas, area, value="shrunk_rate", title=title, source=source,
                        **kwargs)


def shrink_rates(lsoas: pd.DataFrame, *, per: int | None = None) -> ShrunkRates:
    r"""Shrink LSOA rates towards their authority's rate (empirical Bayes, Poisson–gamma).

    Within each authority, counts are modelled as $y_i \sim \text{Poisson}(\theta_i
    n_i)$ with $n_i$ person-years and LSOA rates $\theta_i$ drawn from a gamma
    distribution with mean $m$ and variance $A$ (Clayton & Kaldor 1987). The prior is
    fitted by the method of moments (Marshall 1991, global estimator):

    $$m = \frac{\sum y_i}{\sum n_i}, \quad
      s^2 = \frac{\sum n_i (r_i - m)^2}{\sum n_i}, \quad
      A = \max\left(0,\; s^2 - \frac{m}{\bar n}\right)$$

    with $r_i = y_i / n_i$ and $\bar n$ the mean person-years. The smoothed rate is
    the posterior mean,

    $$\tilde r_i = m + C_i (r_i - m), \qquad C_i = \frac{A}{A + m / n_i},$$

    which always lies between the LSOA's own rate and its authority's rate: small
    LSOAs (small $n_i$) and authorities whose LSOAs vary little (small $A$) are
    pulled most. When $A = 0$ every LSOA gets its authority's rate.

    Parameters
    ----------
    lsoas
        Output of `lsoa_counts()` (``la_code``, ``la_name``, ``count``,
        ``person_years``, ``rate``).
    per
        Rate multiplier; default ``lsoas.attrs["per"]`` or 1,000.

    Returns
    -------
    ShrunkRates
        The LSOA frame with ``authority_rate``, ``weight`` and ``shrunk_rate`` added,
        and the fitted prior of each authority.

    Raises
    ------
    ValueError
        If an LSOA has no person-years (no residents).
    """
    per = int(per if per is not None else lsoas.attrs.get("per", 1000))
    if (lsoas["person_years"] <= 0).any():
        bad = lsoas.loc[lsoas["person_years"] <= 0, "lsoa_code"].tolist()
        raise ValueError(f"LSOAs with no residents cannot have a rate: {', '.join(bad[:5])}")
    df = lsoas.copy()
    y = df["count"].astype(float)
    n = df["person_years"].astype(float)
    r = y / n
    g = df.assign(_y=y, _n=n).groupby("la_code", sort=True)
    m = g["_y"].sum() / g["_n"].sum()
    mi = df["la_code"].map(m)
    s2 = (n * (r - mi) ** 2).groupby(df["la_code"]).sum() / g["_n"].sum()
    nbar = g["_n"].mean()
    a = (s2 - m / nbar).clip(lower=0)
    ai = df["la_code"].map(a)
    weight = np.where(ai > 0, ai / (ai + mi / n), 0.0)
    df["authority_rate"] = mi * per
    df["weight"] = weight
    df["shrunk_rate"] = (mi + weight * (r - mi)) * per
    priors = pd.DataFrame({
        "la_code": m.index,
        "la_name": g["la_name"].first().to_numpy(),
        "n_lsoas": g.size().to_numpy(),
        "count": g["_y"].sum().astype("int64").to_numpy(),
        "person_years": g["_n"].sum().to_numpy(),
        "authority_rate": m.to_numpy() * per,
        "between_variance": a.to_numpy() * per ** 2,
    })
    with np.errstate(divide="ignore"):
        priors["gamma_shape"] = np.where(a > 0, m ** 2 / a, np.inf)
        priors["gamma_rate"] = np.where(a > 0, m / a / per, np.inf)
    priors["median_weight"] = priors["la_code"].map(
        pd.Series(weight, index=df.index).groupby(df["la_code"]).median()).to_numpy()
    df.attrs = dict(lsoas.attrs)
    return ShrunkRates(lsoas=df, priors=priors.reset_index(drop=True), per=per)


def hot_spots(lsoas: pd.DataFrame, *, share: float = 0.05, rule: str = "lsoas") -> pd.DataFrame:
    r"""Mark the LSOAs with most offences (hot spots).

    LSOAs are ranked by count (most first; ties by LSOA code, so the ranking is
    reproducible). Two definitions:

    * ``rule="lsoas"`` (default): the top ``share`` of LSOAs by count, i.e. the first
      $\lceil \text{share} \times N \rceil$ of the $N$ LSOAs (as in
      `lvrn_analysis.story.profile.concentration()`);
    * ``rule="offences"``: the smallest set of LSOAs, taken in rank order, holding at
      least ``share`` of all offences.

    Parameters
    ----------
    lsoas
        Output of `lsoa_counts()` (``lsoa_code``, ``count``; ``population`` if
        present is summed for the residents' share).
    share
        The share, between 0 and 1.
    rule
        ``"lsoas"`` or ``"offences"``.

    Returns
    -------
    pandas.DataFrame
        The input with ``count_rank`` (1 = most), ``cum_share`` (share of offences
        in this LSOA and all ranked above it) and ``hot_spot`` (bool) added, in the
        input's order. ``attrs`` holds the summary: ``rule``, ``share``,
        ``n_hot``, ``n_lsoas``, ``hot_count``, ``total_count``, ``share_of_offences``,
        ``share_of_lsoas``, ``share_of_residents`` and ``tie_at_cut`` (whether the
        first LSOA left out has the same count as the last one in).

    Raises
    ------
    ValueError
        If the rule is unknown or the share is not in (0, 1].
    """
    if rule not in HOT_SPOT_RULES:
        raise ValueError(f"rule must be one of {HOT_SPOT_RULES}, not {rule!r}")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share}")
    df = lsoas.copy()
    order = df.sort_values(["count", "lsoa_code"], ascending=[False, True]).index
    ranked = df.loc[order, "count"].astype("int64").to_numpy()
    total = int(ranked.sum())
    cum = np.cumsum(ranked)
    cum_share = cum / total if total else np.zeros(len(ranked))
    if rule == "lsoas":
        k = int(np.ceil(share * len(ranked)))
    else:
        target = share * total - 1e-9  # guard against share * total rounding up
        k = int(np.searchsorted(cum, target, side="left") + 1) if total else 0
    k = min(k, len(ranked))
    df.loc[order, "count_rank"] = np.arange(1, len(ranked) + 1)
    df["count_rank"] = df["count_rank"].astype("int64")
    df.loc[order, "cum_share"] = cum_share
    df["hot_spot"] = df["count_rank"] <= k
    hot_count = int(cum[k - 1]) if k else 0
    pop = df["population"] if "population" in df else None
    df.attrs = dict(lsoas.attrs) | {
        "rule": rule, "share": share, "n_hot": k, "n_lsoas": len(df),
        "hot_count": hot_count, "total_count": total,
        "share_of_offences": hot_count / total if total else float("nan"),
        "share_of_lsoas": k / len(df) if len(df) else float("nan"),
        "share_of_residents": (float(pop[df["hot_spot"]].sum() / pop.sum())
                               if pop is not None else float("nan")),
        "tie_at_cut": bool(0 < k < len(ranked) and ranked[k - 1] == ranked[k]),
    }
    return df


def hot_spots_by_authority(spots: pd.DataFrame) -> pd.DataFrame:
    """Hot spots per authority, most first.

    Parameters
    ----------
    spots
        Output of `hot_spots()`.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``n_lsoas``, ``n_hot``, ``count`` (all offences),
        ``hot_count`` (offences in its hot spots), sorted by ``n_hot`` (most first),
        then name.
    """
    g = spots.assign(_hc=spots["count"].where(spots["hot_spot"], 0)).groupby(
        ["la_code", "la_name"], as_index=False, observed=True)
    out = g.agg(n_lsoas=("lsoa_code", "size"), n_hot=("hot_spot", "sum"),
                count=("count", "sum"), hot_count=("_hc", "sum"))
    for col in ("n_lsoas", "n_hot", "count", "hot_count"):
        out[col] = out[col].astype("int64")
    return out.sort_values(["n_hot", "la_name"], ascending=[False, True]).reset_index(drop=True)


# ------------------------------------------------------------------ page helpers


def map_source() -> str:
    """Source line of the neighbourhood maps, with the attribution the OGL asks for."""
    return plots.source_line(
        ["data.police.uk street-level crime (OGL v3.0)",
         f"LSOA boundaries and mid-{POPULATION_MID_YEAR} populations: {ATTRIBUTION}"],
        synthetic=False)


def _names(series: pd.Series) -> str:
    items = [f"{k} ({v})" for k, v in series.items()]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def join_sentence(counts: pd.DataFrame, area: AreaConfig, lsoas: pd.DataFrame) -> str:
    """Say whether every police LSOA code joins a boundary, and what the maps rest on.

    Parameters
    ----------
    counts
        The ``police_street`` table.
    area
        Area configuration.
    lsoas
        Output of `lsoa_counts()`.

    Returns
    -------
    str
        Markdown text.
    """
    bad = unjoined_lsoas(counts, area)
    n_codes = int(counts.loc[counts["geo_status"] == "in_area", "lsoa_code"].nunique())
    a = lsoas.attrs
    n_las = lsoas["la_code"].nunique()
    if bad.empty:
        joined = (f"All **{n_codes:,}** LSOA codes that the police data place in the "
                  f"{n_las} authorities (in any month) join an ONS 2011 LSOA boundary.")
    else:
        joined = (f"**{len(bad)} of {n_codes:,}** LSOA codes that the police data place in "
                  f"the {n_las} authorities do not join an ONS 2011 LSOA boundary ("
                  + ", ".join(f"{r.lsoa_code}: {r.reason}" for r in bad.head(5).itertuples())
                  + (", …" if len(bad) > 5 else "") + f"); their {a.get('unjoined_count', 0):,} "
                  "offences in the period are left off the maps.")
    total = int(lsoas["count"].sum())
    pop = int(lsoas["population"].sum())
    rate = total / float(lsoas["person_years"].sum()) * a.get("per", 1000)
    return (f"{joined} The maps pool **{total:,}** {a.get('crime_type', VIOLENCE).lower()} "
            f"over {fmt_period(a['start'], a['end'])} in {len(lsoas):,} neighbourhoods, with "
            f"ONS mid-{POPULATION_MID_YEAR} LSOA populations ({pop:,} residents): "
            f"{rate:.1f} per 1,000 residents per year across the area.")


def smoothing_sentence(shrunk: ShrunkRates) -> str:
    """Say how much small-area noise the smoothing removed, with the highest rates.

    Parameters
    ----------
    shrunk
        Output of `shrink_rates()`.

    Returns
    -------
    str
        Markdown text.
    """
    d = shrunk.lsoas
    change = (d["shrunk_rate"] - d["rate"]).abs()
    big = d.loc[change.sort_values(ascending=False, kind="stable").index[0]]
    top = d.sort_values(["shrunk_rate", "lsoa_code"], ascending=[False, True]).head(3)
    med = float(np.median(d["weight"]))
    return (f"Pooled over {int(d['months'].iloc[0])} months, the median neighbourhood had "
            f"**{int(d['count'].median()):,}** offences (from {int(d['count'].min()):,} to "
            f"{int(d['count'].max()):,}), so chance moves few rates far: each LSOA keeps a "
            f"median **{med:.0%}** of its own rate after smoothing. The largest change is "
            f"{big['lsoa_name']} ({big['count']:,} offences, {big['population']:,} residents), "
            f"from {big['rate']:.1f} to {big['shrunk_rate']:.1f} per 1,000 towards "
            f"{big['la_name']}'s {big['authority_rate']:.1f}. Highest smoothed rates: "
            + "; ".join(f"{r.lsoa_name} {r.shrunk_rate:,.0f}" for r in top.itertuples())
            + " per 1,000 residents per year.")


def hot_spot_sentence(spots: pd.DataFrame) -> str:
    """Say how many hot spots there are, what share of violence they hold and where.

    Parameters
    ----------
    spots
        Output of `hot_spots()`.

    Returns
    -------
    str
        Markdown text.
    """
    s = spots.attrs
    rule = (f"the top {s['share']:.0%} of the {s['n_lsoas']:,} neighbourhoods ranked by count"
            if s["rule"] == "lsoas" else
            f"the fewest neighbourhoods, ranked by count, holding at least {s['share']:.0%} "
            "of offences")
    by = hot_spots_by_authority(spots)
    with_hot = by[by["n_hot"] > 0].set_index("la_name")["n_hot"]
    none = int((by["n_hot"] == 0).sum())
    tie = (" Counts tie at the cut, so the set is completed by LSOA code order."
           if s["tie_at_cut"] else "")
    return (f"The **{s['n_hot']} hot spots** ({rule}) hold **{s['hot_count']:,}** of the "
            f"{s['total_count']:,} offences, **{s['share_of_offences']:.1%}**, where "
            f"{s['share_of_residents']:.1%} of residents live. By authority: "
            f"{_names(with_hot)}; {none} of the {len(by)} authorities have none.{tie}")


def rate_figure(shrunk: ShrunkRates, area: AreaConfig) -> object:
    """Draw the smoothed-rate map for the page (title, legend and source filled in)."""
    a = shrunk.lsoas.attrs
    ct = a.get("crime_type", VIOLENCE)
    return shrunk.plot(
        area, source=map_source(),
        title=f"{ct} per 1,000 residents by neighbourhood (LSOA), smoothed, "
              f"{fmt_period(a['start'], a['end'])}",
        legend_title="Per 1,000 residents per year,\nsmoothed towards the\nauthority rate "
                     "(empirical\nBayes, Poisson-gamma)")


def hot_spot_figure(spots: pd.DataFrame, area: AreaConfig) -> object:
    """Draw the hot-spot map for the page (title, legend and source filled in)."""
    from lvrn_analysis.charts.maps import hot_spot_map

    a = spots.attrs
    what = (f"the {a['share']:.0%} of neighbourhoods with most"
            if a["rule"] == "lsoas" else f"the neighbourhoods holding {a['share']:.0%} of")
    return hot_spot_map(
        spots, area, source=map_source(),
        title=f"Hot spots: {what} {a.get('crime_type', VIOLENCE).lower()}, "
              f"{fmt_period(a['start'], a['end'])}")


def top_lsoas(shrunk: ShrunkRates, spots: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Return the ``n`` neighbourhoods with most offences, for a published table.

    Parameters
    ----------
    shrunk
        Output of `shrink_rates()`.
    spots
        Output of `hot_spots()` on the same `lsoa_counts()` frame.
    n
        Number of rows.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``lsoa_code``, ``lsoa_name``, ``la_name``, ``count``, ``population``,
        ``rate``, ``shrunk_rate``, ``hot_spot``, in rank order (most offences first).
    """
    d = shrunk.lsoas.merge(spots[["lsoa_code", "count_rank", "hot_spot"]], on="lsoa_code")
    d = d.sort_values("count_rank").head(n).rename(columns={"count_rank": "rank"})
    return d[["rank", "lsoa_code", "lsoa_name", "la_name", "count", "population", "rate",
              "shrunk_rate", "hot_spot"]].reset_index(drop=True)
