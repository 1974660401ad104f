"""Benchmarks: authority rates better, similar or worse than the area and England.

Fingertips-style comparisons (`police_benchmark()`, `fingertips_benchmark()`,
`benchmark_grid()`, `benchmark_counts()`) with
`lvrn_analysis.stats.benchmarking.compare_to_benchmark()` (95 % interval
overlapping the benchmark value; lower is better for violence), and the
sentences that summarise them (`benchmark_text()`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.stats import benchmarking
from lvrn_analysis.stats.indicators.rates import crude_rate

__all__ = ["ENGLAND_CODE", "benchmark_counts", "benchmark_grid", "benchmark_text",
           "fingertips_benchmark", "police_benchmark"]


#: ONS code of England in Fingertips exports.
ENGLAND_CODE = "E92000001"


def police_benchmark(rates: pd.DataFrame, overall: pd.Series | Mapping[str, float], *,
                     area_label: str = "area") -> pd.DataFrame:
    """Compare authority rates with the whole area's rate, Fingertips style.

    An authority is *worse* (lower is better) when its 95 % interval lies wholly
    above the area rate, *better* when wholly below, else *similar*
    (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`; Fingertips
    "confidence intervals overlapping reference value (95.0)", APHO Technical
    Briefing 3, 2008). The area rate includes the authority itself, as
    Fingertips' England and region benchmarks do.

    Parameters
    ----------
    rates
        Output of `lvrn_analysis.story.profile.rates_by_authority()`.
    overall
        Output of `lvrn_analysis.story.profile.area_rate()` (``value``).
    area_label
        Name of the whole area in the column header (pass the area's
        ``place``, e.g. "pan-Lancashire").

    Returns
    -------
    pandas.DataFrame
        ``la_name``, ``count``, ``rate``, ``lower_ci``, ``upper_ci``,
        ``<area_label> rate`` (rounded to 1 decimal for display; the comparison
        uses the unrounded rate), ``vs <area_label>``, ordered by rate (highest
        first).
    """
    bench = float(overall["value"])
    out = benchmarking.compare_to_benchmark(
        rates[["la_code", "la_name", "count", "rate", "lower_ci", "upper_ci"]], bench,
        polarity="lower is better", column=f"vs {area_label}")
    out.insert(6, f"{area_label} rate", round(bench, 1))
    return out.sort_values(["rate", "la_name"], ascending=[False, True]).reset_index(drop=True)


def _label_of(police: pd.DataFrame) -> str:
    """Return the area label a `police_benchmark()` frame was built with (``vs <label>``)."""
    return next(c[3:] for c in police.columns if c.startswith("vs ") and c != "vs England")


def fingertips_benchmark(fingertips: pd.DataFrame, area: AreaConfig, *,
                         indicator_id: int = 11202, period: str | None = None,
                         area_label: str | None = None) -> pd.DataFrame:
    """Compare authorities' Fingertips values with England and with the whole area.

    The whole area's value is recomputed from the authorities' counts and
    denominators (rate per 1,000, Byar's interval; `lvrn_analysis.stats.indicators.
    crude_rate()`). Each authority's 95 % interval is compared with the England
    value and with the area value, lower is better
    (`lvrn_analysis.stats.benchmarking.compare_to_benchmark()`). The export's own
    ``compared_to_england`` column is kept as a check.

    Parameters
    ----------
    fingertips
        The ``fingertips`` table.
    area
        Area configuration (its authorities are the rows).
    indicator_id
        Fingertips indicator (11202: violence offences per 1,000 population).
    period
        ``time_period`` to use; default the latest with data for the area.
    area_label
        Name of the whole area in column headers (default the area's ``place``).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``count``, ``denominator``, ``value``,
        ``lower_ci``, ``upper_ci``, ``England value``, ``vs England``,
        ``<area_label> value``, ``vs <area_label>``, ``export: vs England``
        (benchmark values rounded to 1 decimal for display, compared unrounded);
        sorted by value (highest first). ``attrs`` holds ``period``,
        ``indicator_name``, ``england``, ``area`` (value, lower, upper) and
        ``agreement`` (rows where the recomputed England comparison matches the
        export's).

    Raises
    ------
    ValueError
        If the indicator, the period or the England value is missing.
    """
    area_label = area_label or area.place
    f = fingertips[(fingertips["indicator_id"] == indicator_id)
                   & ~fingertips["is_category"].astype(bool)]
    if "sex" in f:
        f = f[f["sex"].fillna("Persons") == "Persons"]
    las = f[f["area_code"].isin(area.authorities)]
    if las.empty:
        raise ValueError(f"indicator {indicator_id} has no values for the area's authorities")
    if period is None:
        sortable = las.dropna(subset=["value"]).sort_values("time_period_sortable")
        period = str(sortable["time_period"].iloc[-1])
    las = las[las["time_period"] == period]
    eng = f[(f["area_code"] == ENGLAND_CODE) & (f["time_period"] == period)]
    if len(eng) != 1:
        raise ValueError(f"expected one England value for {period}, found {len(eng)}")
    eng_value = float(eng["value"].iloc[0])
    tot = pd.DataFrame({"x": [float(las["count"].sum())],
                        "n": [float(las["denominator"].sum())]})
    pan = crude_rate(tot, x="x", n="n", multiplier=1000).iloc[0]
    out = pd.DataFrame({
        "la_code": las["area_code"].to_numpy(), "la_name": las["area_name"].to_numpy(),
        "count": las["count"].to_numpy(dtype=float),
        "denominator": las["denominator"].to_numpy(dtype=float),
        "value": las["value"].to_numpy(dtype=float),
        "lower_ci": las["lower_ci95"].to_numpy(dtype=float),
        "upper_ci": las["upper_ci95"].to_numpy(dtype=float),
    })
    out = benchmarking.compare_to_benchmark(out, eng_value, polarity="lower is better",
                                            column="vs England")
    out.insert(out.columns.get_loc("vs England"), "England value", eng_value)
    out[f"{area_label} value"] = float(pan["value"])
    out = benchmarking.compare_to_benchmark(out, float(pan["value"]),
                                            polarity="lower is better",
                                            column=f"vs {area_label}")
    export = las["compared_to_england"].fillna("").astype(str).str.lower().to_numpy()
    out["export: vs England"] = export
    out = out.sort_values(["value", "la_name"], ascending=[False, True]).reset_index(drop=True)
    # benchmark columns rounded for display; the comparisons above used full precision
    for c in ("England value", f"{area_label} value"):
        out[c] = out[c].round(1)
    out.attrs = {
        "period": period,
        "indicator_id": int(indicator_id),
        "indicator_name": str(las["indicator_name"].iloc[0]),
        "england": eng_value,
        "area": (float(pan["value"]), float(pan["lower_ci"]), float(pan["upper_ci"])),
        "agreement": int((out["vs England"] == out["export: vs England"]).sum()),
    }
    return out


def benchmark_grid(police: pd.DataFrame, fingertips: pd.DataFrame, *,
                   police_label: str, fingertips_label: str,
                   area_label: str | None = None) -> pd.DataFrame:
    """Put the comparisons side by side: one row per authority, one column per comparison.

    Parameters
    ----------
    police
        Output of `police_benchmark()`.
    fingertips
        Output of `fingertips_benchmark()`.
    police_label, fingertips_label
        Short descriptions of the two data sets (used in the column names).
    area_label
        Name of the whole area (default: the one `police_benchmark()` used).

    Returns
    -------
    pandas.DataFrame
        Long frame: ``la_name``, ``comparison`` (column title), ``label``
        (better / similar / worse / not compared), ``value`` (the authority's
        rate), ``benchmark`` (the benchmark's value), ``order`` (0 = the
        authority with the highest police rate); comparisons in the order
        police vs area, Fingertips vs England, Fingertips vs area.
    """
    area_label = area_label or _label_of(police)
    order = {n: i for i, n in enumerate(police["la_name"])}
    parts = [
        (police, "rate", f"vs {area_label}", f"{area_label} rate",
         f"{police_label}\nvs {area_label}"),
        (fingertips, "value", "vs England", "England value",
         f"{fingertips_label}\nvs England"),
        (fingertips, "value", f"vs {area_label}", f"{area_label} value",
         f"{fingertips_label}\nvs {area_label}"),
    ]
    rows = []
    for frame, val, lab, bench, title in parts:
        for _, r in frame.iterrows():
            rows.append({"la_name": r["la_name"], "comparison": title, "label": r[lab],
                         "value": float(r[val]), "benchmark": float(r[bench]),
                         "order": order.get(r["la_name"], len(order))})
    return pd.DataFrame(rows)


def benchmark_counts(grid: pd.DataFrame) -> pd.DataFrame:
    """Tally the labels of each comparison in a `benchmark_grid()` frame.

    Returns
    -------
    pandas.DataFrame
        One row per comparison, columns ``better``, ``similar``, ``worse``,
        ``not compared`` (authorities).
    """
    t = pd.crosstab(grid["comparison"], grid["label"])
    t = t.reindex(index=list(dict.fromkeys(grid["comparison"])),
                  columns=["better", "similar", "worse", "not compared"], fill_value=0)
    return t.fillna(0).astype(int)


def benchmark_text(police: pd.DataFrame, fingertips: pd.DataFrame, *,
                   area_label: str | None = None) -> str:
    """Summarise the two benchmark comparisons in Markdown.

    Parameters
    ----------
    police
        Output of `police_benchmark()` (real data).
    fingertips
        Output of `fingertips_benchmark()` (synthetic export in this build).
    area_label
        Name of the whole area (default: the one `police_benchmark()` used).

    Returns
    -------
    str
        Two paragraphs: which authorities are significantly worse than each
        benchmark, and how the recomputed England comparison agrees with the
        export's own column.
    """
    area_label = area_label or _label_of(police)
    col = f"vs {area_label}"
    worse_p = police.loc[police[col] == "worse", "la_name"].tolist()
    sim_p = police.loc[police[col] == "similar", "la_name"].tolist()
    a = fingertips.attrs
    worse_e = fingertips.loc[fingertips["vs England"] == "worse", "la_name"].tolist()
    better_e = fingertips.loc[fingertips["vs England"] == "better", "la_name"].tolist()
    worse_a = fingertips.loc[fingertips[col] == "worse", "la_name"].tolist()
    bench = float(police[f"{area_label} rate"].iloc[0])
    p1 = (f"**Real police data.** Against the {area_label} rate ({bench:.1f} per 1,000 "
          f"residents per year), **{len(worse_p)} of {len(police)} authorities are "
          f"significantly worse**: {', '.join(worse_p) or 'none'}. ")
    verb = "is" if len(sim_p) <= 1 else "are"
    p1 += (f"{len(sim_p) or 'None'} {verb} similar: with counts in the thousands the "
           "intervals are narrow, so almost every authority differs significantly from the "
           "area rate. ")
    p2 = (f"**Synthetic Fingertips export** (indicator {a['indicator_id']}, "
          f"{a['indicator_name'].split(' - ')[-1]}, {a['period']}). In this synthetic export "
          "(illustrative, not real figures), against England "
          f"({a['england']:.1f} per 1,000), **{len(worse_e)} authorities are worse** and "
          f"{len(better_e)} better ({', '.join(better_e) or 'none'}); against the "
          f"{area_label} value recomputed from the authorities' counts "
          f"({a['area'][0]:.1f}, 95% CI {a['area'][1]:.1f} to {a['area'][2]:.1f}), "
          f"{len(worse_a)} are worse. The comparison recomputed here agrees with the "
          f"export's own *compared to England* column for {a['agreement']} of "
          f"{len(fingertips)} authorities. ")
    return "\n\n".join([p1.strip(), p2.strip()])
