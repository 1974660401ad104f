"""Spine charts of the real risk-factor indicators against England's real distribution.

The ``indicators_real`` table (`lvrn_analysis.sources.indicators_real`) holds real
published values for **every English authority** and England, so the spine of each
indicator can be drawn against England's real value and England's real distribution, not
against the handful of authorities of one area:

1. `england_distribution()` — for each indicator's latest period, England's value and the
   worst, 25th percentile, 75th percentile and best value across all authorities of the
   indicator's tier in the file (lower tier: unitary authorities, metropolitan and
   non-metropolitan districts, London boroughs; upper tier: unitary authorities,
   metropolitan districts, London boroughs and counties). Percentiles are linear
   interpolation between order statistics (``numpy.percentile``, the same as R's default
   ``quantile(type = 7)`` that OHID's ``fingertipscharts::spine_rescaler`` uses);
2. `real_spine_data()` — each authority's value of each indicator: its own value for
   lower-tier indicators, its upper tier's value (e.g. Lancashire County Council's) for
   upper-tier ones, placed on the spine, plus any synthetic rows passed in (see
   `lvrn_analysis.story.causes.named_causes.synthetic_fill()`), marked ``origin ==
   "synthetic"``;
3. `real_spine_chart()` and `real_spine_sentence()` — one authority's chart (drawn by
   `lvrn_analysis.charts.real_spine.spine_figure()`) and its summary in words;
   `distribution_table()` and `authority_values_table()` — the same numbers as tables.

Scaling (Fingertips spine charts, as in ``fingertipscharts::spine_rescaler``): England
sits in the middle; the half-width is the larger distance from England to the lowest or
highest authority value; worse values are on the left whatever the polarity. A value
``v`` of an indicator with England value ``E`` and half-width ``D`` sits at
$0.5 + s (v - E) / (2D)$ with $s = -1$ when a low value is good.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lvrn_analysis.charts import real_spine as spine_chart_mod
from lvrn_analysis.sources.indicators_real import indicator_reference, tier_mask

__all__ = [
    "ENGLAND",
    "REAL_SOURCE",
    "authority_values_table",
    "distribution_table",
    "england_distribution",
    "profile_summary",
    "real_spine_chart",
    "real_spine_data",
    "real_spine_sentence",
    "spine_source",
]

#: ONS code of England.
ENGLAND = "E92000001"
#: The source line's names of the real data.
REAL_SOURCE = ("OHID Fingertips values (fingertipsR extract by Trafford Data Lab) and DfE "
               "NCCIS NEET scorecards, OGL v3.0; England's distribution computed from all "
               "English authorities in the files")


def _ref() -> pd.DataFrame:
    ref = indicator_reference().reset_index(drop=True)
    ref["order"] = np.arange(len(ref))
    return ref.set_index("indicator_key")


def latest_periods(real: pd.DataFrame) -> pd.DataFrame:
    """Return each known indicator's latest period that has an England value.

    Parameters
    ----------
    real
        The ``indicators_real`` table.

    Returns
    -------
    pandas.DataFrame
        ``indicator_key``, ``period``, ``period_start``, ``england_value``, ordered as
        the reference table.
    """
    ref = _ref()
    eng = real[(real["area_code"] == ENGLAND) & real["value"].notna() &
               real["indicator_key"].isin(ref.index)]
    last = eng.sort_values("period_start").groupby("indicator_key").tail(1)
    out = last[["indicator_key", "period", "period_start", "value"]].rename(
        columns={"value": "england_value"})
    out["_o"] = out["indicator_key"].map(ref["order"])
    return out.sort_values("_o").drop(columns="_o").reset_index(drop=True)


def england_distribution(real: pd.DataFrame) -> pd.DataFrame:
    """Return England's value and distribution of each indicator at its latest period.

    Parameters
    ----------
    real
        The ``indicators_real`` table (all English authorities).

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator_key``, ``label``, ``tier``, ``period``,
        ``unit_label``, ``polarity``, ``england_value``, ``n_areas`` (authorities with a
        value), ``min``, ``q25``, ``median``, ``q75``, ``max``, ``worst``, ``best``
        (``worst`` is ``max`` when a low value is good) and ``publisher``.
    """
    ref = _ref()
    rows = []
    for r in latest_periods(real).itertuples(index=False):
        meta = ref.loc[r.indicator_key]
        part = real[(real["indicator_key"] == r.indicator_key) & (real["period"] == r.period)]
        vals = part.loc[tier_mask(part, str(meta["tier"])), "value"].to_numpy(dtype=float)
        q25, q50, q75 = np.percentile(vals, [25, 50, 75])
        lo, hi = float(vals.min()), float(vals.max())
        low_good = meta["polarity"] == "low_is_good"
        rows.append({
            "indicator_key": r.indicator_key, "label": meta["label"], "tier": meta["tier"],
            "period": r.period, "unit_label": meta["unit_label"], "polarity": meta["polarity"],
            "england_value": float(r.england_value), "n_areas": len(vals), "min": lo,
            "q25": float(q25), "median": float(q50), "q75": float(q75), "max": hi,
            "worst": hi if low_good else lo, "best": lo if low_good else hi,
            "publisher": meta["publisher"],
        })
    return pd.DataFrame(rows)


def _position(v: pd.Series | float, eng: pd.Series | float, half: pd.Series | float,
              sign: pd.Series | float) -> pd.Series | float:
    return 0.5 + sign * (v - eng) / (2 * half)


def real_spine_data(real: pd.DataFrame, authorities: pd.DataFrame, *,
                    extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Place each authority's value of each real indicator on its spine.

    Parameters
    ----------
    real
        The ``indicators_real`` table.
    authorities
        `lvrn_analysis.config.geography.local_authorities()` of the area (``la_code``,
        ``la_name``, ``upper_tier_code``, ``upper_tier_name``).
    extra
        Rows to add in the same layout, e.g. synthetic values where no real measure
        exists (`lvrn_analysis.story.causes.named_causes.synthetic_fill()`); they must
        carry ``origin == "synthetic"`` and their own ``worst``/``q25``/``q75``/``best``.

    Returns
    -------
    pandas.DataFrame
        One row per authority × indicator: ``la_code``, ``la_name``, ``indicator_key``,
        ``label``, ``tier``, ``value_area_code``, ``value_area_name`` (whose value it is:
        the authority, or its upper tier), ``period``, ``value``, ``value_note``,
        ``comparison`` (Fingertips' published comparison with England, lower case;
        ``not compared`` for DfE values), ``england_value``, ``n_areas``, ``worst``,
        ``q25``, ``q75``, ``best``, ``polarity``, ``unit_label``, ``range_label``,
        ``origin`` (``real``/``synthetic``) and positions ``position``, ``pos_worst``,
        ``pos_q25``, ``pos_q75``, ``pos_best`` (0 = worst end, 1 = best end).
    """
    dist = england_distribution(real)
    rows = []
    for a in authorities.itertuples(index=False):
        for d in dist.itertuples(index=False):
            code = a.la_code if d.tier == "lower" else a.upper_tier_code
            vname = a.la_name if d.tier == "lower" or code == a.la_code else \
                f"{a.upper_tier_name} (county)"
            hit = real[(real["indicator_key"] == d.indicator_key) &
                       (real["area_code"] == code) & (real["period"] == d.period)]
            value = float(hit["value"].iloc[0]) if len(hit) else np.nan
            note = (str(hit["value_note"].iloc[0]) if len(hit) and
                    pd.notna(hit["value_note"].iloc[0]) else
                    ("" if len(hit) else "no row for this area in the file"))
            sig = hit["significance"].iloc[0] if len(hit) else None
            rows.append({
                "la_code": a.la_code, "la_name": a.la_name,
                "indicator_key": d.indicator_key, "label": d.label, "tier": d.tier,
                "value_area_code": code, "value_area_name": vname, "period": d.period,
                "value": value, "value_note": note,
                "comparison": str(sig).lower() if pd.notna(sig) and sig else "not compared",
                "england_value": d.england_value, "n_areas": d.n_areas,
                "worst": d.worst, "q25": d.q25, "q75": d.q75, "best": d.best,
                "polarity": d.polarity, "unit_label": d.unit_label,
                "range_label": f"{d.n_areas} English {d.tier}-tier authorities",
                "origin": "real", "publisher": d.publisher,
            })
    out = pd.DataFrame(rows)
    if extra is not None and not extra.empty:
        out = pd.concat([out, extra[[c for c in out.columns if c in extra.columns]]],
                        ignore_index=True)
        order = {c: i for i, c in enumerate(authorities["la_code"])}
        out = out.assign(_a=out["la_code"].map(order), _s=out["origin"] == "synthetic") \
            .sort_values(["_a", "_s"], kind="stable").drop(columns=["_a", "_s"]) \
            .reset_index(drop=True)
    sign = np.where(out["polarity"] == "low_is_good", -1.0, 1.0)
    half = np.maximum(np.abs(out["worst"] - out["england_value"]),
                      np.abs(out["best"] - out["england_value"]))
    half = half.where(half > 0, 1.0)
    for col, src in (("position", "value"), ("pos_worst", "worst"), ("pos_q25", "q25"),
                     ("pos_q75", "q75"), ("pos_best", "best")):
        out[col] = _position(out[src], out["england_value"], half, sign)
    return out


def spine_source(spine: pd.DataFrame) -> str:
    """Return the chart source line: real data, and what the synthetic rows are if any."""
    text = f"Source: {REAL_SOURCE}. Real data"
    if (spine["origin"] == "synthetic").any():
        text += ("; rows marked SYNTHETIC (hatched) are synthetic Fingertips-format values, "
                 "illustrative only, not real figures")
    return text + "."


def _select(spine: pd.DataFrame, authority: str) -> pd.DataFrame:
    sel = spine[(spine["la_name"] == authority) | (spine["la_code"] == authority)]
    if sel.empty:
        known = ", ".join(dict.fromkeys(spine["la_name"]))
        raise ValueError(f"no authority {authority!r} in the spine data (known: {known})")
    return sel.reset_index(drop=True)


def real_spine_chart(spine: pd.DataFrame, authority: str, *,
                     title: str | None = None) -> Figure:
    """Draw one authority's spine chart of the real indicators.

    Parameters
    ----------
    spine
        Output of `real_spine_data()`.
    authority
        Authority name or ONS code.
    title
        Chart title (default names the authority).

    Returns
    -------
    matplotlib.figure.Figure
        See `lvrn_analysis.charts.real_spine.spine_figure()`; synthetic rows are hatched
        and labelled SYNTHETIC in the chart itself.

    Raises
    ------
    ValueError
        If the authority is not in ``spine``.
    """
    sel = _select(spine, authority)
    name = str(sel["la_name"].iloc[0])
    real = sel[sel["origin"] == "real"]
    counts = {k: int((real["comparison"] == k).sum()) for k in ("worse", "similar", "better")}
    n_syn = int((sel["origin"] == "synthetic").sum())
    upper = sorted(set(real.loc[real["value_area_code"] != real["la_code"],
                                "value_area_name"]))
    alt = (f"Spine chart of {len(real)} real indicators for {name} against England's value "
           f"and the range of all English authorities of the same tier. By Fingertips' own "
           f"comparison with England, {name} is worse on {counts['worse']}, similar on "
           f"{counts['similar']} and better on {counts['better']}; "
           f"{len(real) - sum(counts.values())} not compared.")
    if upper:
        alt += f" Upper-tier indicators show the value of {', '.join(upper)}."
    if n_syn:
        alt += f" {n_syn} hatched row(s) marked SYNTHETIC are not real figures."
    return spine_chart_mod.spine_figure(
        sel, title=title or f"{name} compared with England: real risk-factor indicators",
        source=spine_source(sel), alt=alt)


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def real_spine_sentence(spine: pd.DataFrame, authority: str) -> str:
    """Say in words what one authority's real spine chart shows.

    Parameters
    ----------
    spine
        Output of `real_spine_data()`.
    authority
        Authority name or ONS code.

    Returns
    -------
    str
        Markdown naming the indicators worse and better than England (Fingertips'
        published comparison), with values, periods and England's value, and whose value
        the upper-tier rows show.
    """
    sel = _select(spine, authority)
    name = str(sel["la_name"].iloc[0])
    real = sel[sel["origin"] == "real"]

    def item(r: pd.Series) -> str:
        lab = r["label"].split(" (")[0]
        lab = lab[0].lower() + lab[1:] if lab[1:2].islower() else lab
        return (f"{lab} {_fmt(r['value'])} in {r['period']} "
                f"(England {_fmt(r['england_value'])})")

    parts = []
    for word, lab in (("**worse** than England on", "worse"), ("**better** on", "better")):
        hits = [item(r) for _, r in real[real["comparison"] == lab].iterrows()]
        parts.append(f"{word} {len(hits)}" + (f": {_listing(hits)}" if hits else ""))
    n_sim = int((real["comparison"] == "similar").sum())
    n_nc = int((real["comparison"] == "not compared").sum())
    text = (f"**{name}**, {len(real)} real indicators: " + "; ".join(parts)
            + f"; similar on {n_sim}; {n_nc} not compared (no published comparison).")
    up = real[real["value_area_code"] != real["la_code"]]
    if not up.empty:
        text += (f" The {len(up)} upper-tier rows show the value of "
                 f"{up['value_area_name'].iloc[0]}: the county as a whole, not {name}.")
    missing = real[real["value"].isna()]
    if not missing.empty:
        text += (" No value published for " + _listing(list(missing["label"])) + ".")
    return text


def distribution_table(dist: pd.DataFrame) -> pd.DataFrame:
    """Return `england_distribution()` as a table for the page.

    Returns
    -------
    pandas.DataFrame
        ``Indicator``, ``Period``, ``Tier``, ``Authorities``, ``England``, ``Worst``,
        ``25th percentile``, ``75th percentile``, ``Best``, ``Lower is better``.
    """
    return pd.DataFrame({
        "Indicator": dist["label"] + " (" + dist["unit_label"] + ")",
        "Period": dist["period"],
        "Tier": dist["tier"].map({"lower": "lower (districts and unitaries)",
                                  "upper": "upper (counties and unitaries)"}),
        "Authorities": dist["n_areas"].astype(int),
        "England": dist["england_value"].map(_fmt),
        "Worst": dist["worst"].map(_fmt),
        "25th percentile": dist["q25"].map(_fmt),
        "75th percentile": dist["q75"].map(_fmt),
        "Best": dist["best"].map(_fmt),
        "Lower is better": np.where(dist["polarity"] == "low_is_good", "yes", "no"),
    })


def authority_values_table(spine: pd.DataFrame) -> pd.DataFrame:
    """Return every authority's real values side by side, with England's first.

    Returns
    -------
    pandas.DataFrame
        One row for England then one per authority; one column per real indicator
        (short label and period) holding e.g. ``"26.2 worse"`` (Fingertips' comparison
        with England) or ``"-"``; upper-tier values are those of the authority's upper
        tier (say so in the caption).
    """
    real = spine[spine["origin"] == "real"]
    order = list(dict.fromkeys(real["la_name"]))
    data: dict[str, list[str]] = {"Area": ["England", *order]}
    for _key, part in real.groupby("indicator_key", sort=False):
        head = f"{part['label'].iloc[0]}, {part['period'].iloc[0]}"
        p = part.set_index("la_name")
        col = [_fmt(float(part["england_value"].iloc[0]))]
        for a in order:
            v, lab = p.loc[a, "value"], str(p.loc[a, "comparison"])
            col.append("-" if pd.isna(v) else
                       _fmt(float(v)) + ("" if lab == "not compared" else f" {lab}"))
        data[head] = col
    return pd.DataFrame(data)


def profile_summary(spine: pd.DataFrame, imd: pd.DataFrame | None = None) -> str:
    """Summarise the real profile of all the area's authorities in one paragraph.

    Lower-tier indicators are counted per authority; upper-tier ones once per upper-tier
    authority (a county's value would otherwise count once for each of its districts).

    Parameters
    ----------
    spine
        Output of `real_spine_data()`.
    imd
        The ``imd2019`` table (optional): adds the Spearman rank correlation between an
        authority's IMD 2019 score and its number of lower-tier indicators worse than
        England.

    Returns
    -------
    str
        Markdown with the counts, the authorities worse on most indicators and those at
        the worst end of England's distribution.
    """
    real = spine[spine["origin"] == "real"]
    low = real[real["tier"] == "lower"]
    up = real[real["tier"] == "upper"].drop_duplicates(["value_area_code", "indicator_key"])
    n_low = low["indicator_key"].nunique()
    per = low.assign(w=low["comparison"] == "worse").groupby("la_name", sort=False)["w"].sum()
    top = per[per == per.max()].index.tolist()
    labels = _listing([f"{lab.split(' (')[0].lower()} {p}" for lab, p in
                       low.drop_duplicates("indicator_key")[["label", "period"]]
                       .itertuples(index=False)])
    text = (f"**On the real profile**, {int(per.sum())} of {len(low)} values of the "
            f"{n_low} indicators published for every district ({labels}) are significantly "
            f"worse than England by Fingertips' own comparison; {_listing(top)} "
            f"{'is' if len(top) == 1 else 'are'} worse on the most ({int(per.max())} of "
            f"{n_low}).")
    ups = []
    for name, g in up.groupby("value_area_name", sort=False):
        ups.append(f"{name} on {int((g['comparison'] == 'worse').sum())} of {len(g)}")
    if ups:
        text += f" Of the upper-tier indicators, {_listing(ups)} are worse than England."
    at_worst = real[np.isclose(real["value"], real["worst"])].drop_duplicates(
        ["value_area_code", "indicator_key"])
    if not at_worst.empty:
        items = [f"{r.value_area_name} on {r.label.split(' (')[0].lower()} ({r.period}, "
                 f"{_fmt(r.value)}, the worst of {r.n_areas} English {r.tier}-tier "
                 "authorities)"
                 for r in at_worst.itertuples(index=False)]
        text += " At the very worst end of England: " + _listing(items) + "."
    if imd is not None and not imd.empty and len(per) > 2:
        codes = low.drop_duplicates("la_name").set_index("la_name")["la_code"]
        score = imd.set_index("la_code")["imd_score"].reindex(codes.to_numpy())
        score.index = codes.index
        ok = score.notna()
        if ok.sum() > 2:
            rho = float(per[ok].rank().corr(score[ok].rank()))
            trend = "rises" if rho > 0 else "falls"
            text += (f" The number of district indicators worse than England {trend} with "
                     f"deprivation (Spearman rank correlation {rho:.2f} with the IMD 2019 "
                     f"score across the {int(ok.sum())} authorities): an association "
                     "between places, not a cause.")
    return text
