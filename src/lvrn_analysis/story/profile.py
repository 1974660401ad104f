"""Problem-profile aggregations: how much violence, where, and when.

These functions take the clean tables written by ``lvrn build`` and return tidy
frames ready for a chart or a published table. Rates use
`lvrn_analysis.stats.indicators.crude_rate()` (Byar's method, exact Poisson below
10 events).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import local_authorities, populations
from lvrn_analysis.sources.validation import WEIGHT, LoadResult

VIOLENCE = "Violence and sexual offences"

#: Districts the LVRN needs assessment named as highest in serious violence
#: relative to population (LVRN evaluation report 2021, §2.3, Table 1).
REPORT_HIGHEST = ("Blackpool", "Burnley", "Preston", "Blackburn with Darwen")

#: Label for quarantined rows that could not be split into fields (no crime type).
UNPARSED = "(malformed row)"


def crime_type_breakdown(result: LoadResult) -> pd.DataFrame:
    """Rows per crime type in one police file: in the file, without LSOA, kept, rejected.

    Parameters
    ----------
    result
        A loaded police file.

    Returns
    -------
    pandas.DataFrame
        ``crime_type``, ``rows_in``, ``no_lsoa_in_file``, ``kept``, ``rejected``,
        sorted by crime type; a final ``All`` row holds the totals.
    """
    k = result.kept.groupby("crime_type")[WEIGHT].sum()
    k_nol = result.kept[result.kept["geo_status"] == "no_lsoa"].groupby("crime_type")[
        WEIGHT].sum()
    rej = result.rejected
    if rej.empty:
        r = pd.Series(dtype="int64")
        r_nol = pd.Series(dtype="int64")
    else:
        w = rej[WEIGHT] if WEIGHT in rej else pd.Series(1, index=rej.index)
        # malformed rows could not be split into fields: they have no crime type
        ct = (rej["crime_type"] if "crime_type" in rej else pd.Series(pd.NA, index=rej.index))
        ct = ct.astype("string").fillna(UNPARSED)
        lsoa = rej["lsoa_code"] if "lsoa_code" in rej else pd.Series(pd.NA, index=rej.index)
        r = w.groupby(ct).sum()
        nol = lsoa.isna() & (ct != UNPARSED)
        r_nol = w[nol].groupby(ct[nol]).sum()
    df = pd.DataFrame({"kept": k, "rejected": r, "no_lsoa_kept": k_nol,
                       "no_lsoa_rejected": r_nol}).fillna(0).astype("int64")
    df["rows_in"] = df["kept"] + df["rejected"]
    df["no_lsoa_in_file"] = df["no_lsoa_kept"] + df["no_lsoa_rejected"]
    df = df.rename_axis("crime_type").reset_index()
    df = df[["crime_type", "rows_in", "no_lsoa_in_file", "kept", "rejected"]]
    df = df.sort_values("crime_type").reset_index(drop=True)
    total = df.drop(columns="crime_type").sum()
    df.loc[len(df)] = ["All", *total.tolist()]
    return df


def monthly_counts(counts: pd.DataFrame, months: pd.DataFrame, *,
                   crime_type: str | Sequence[str] = VIOLENCE,
                   by_authority: bool = False) -> pd.DataFrame:
    """Monthly counts with missing months kept as gaps (never zero).

    Parameters
    ----------
    counts
        The ``police_street`` table (``month``, ``force``, ``la_code``,
        ``crime_type``, ``geo_status``, ``count``).
    months
        The ``police_street_months`` table (``force``, ``month``, ``status``).
    crime_type
        One crime type or several (summed).
    by_authority
        Break down by local authority (rows without LSOA are then excluded and
        reported separately by `monthly_counts()` with ``by_authority=False``).

    Returns
    -------
    pandas.DataFrame
        ``month``, (``la_code``, ``la_name``), ``count`` (missing for months with no
        data), ``no_lsoa`` (force-level rows without LSOA; only when not by
        authority), ``status``.
    """
    types = [crime_type] if isinstance(crime_type, str) else list(crime_type)
    c = counts[counts["crime_type"].isin(types)]
    grid = months[["month", "status"]].drop_duplicates("month").sort_values("month")
    if by_authority:
        located = c[c["geo_status"] == "in_area"]
        agg = located.groupby(["month", "la_code", "la_name"], as_index=False)["count"].sum()
        las = located[["la_code", "la_name"]].drop_duplicates()
        full = grid.merge(las, how="cross")
        out = full.merge(agg, on=["month", "la_code", "la_name"], how="left")
        present = out["status"] == "present"
        out["count"] = out["count"].where(~present, out["count"].fillna(0))
        out["count"] = out["count"].astype("Int64")
        return out.sort_values(["la_code", "month"]).reset_index(drop=True)[
            ["month", "la_code", "la_name", "count", "status"]]
    tot = c.groupby("month", as_index=False)["count"].sum()
    nol = (c[c["geo_status"] == "no_lsoa"].groupby("month", as_index=False)["count"].sum()
           .rename(columns={"count": "no_lsoa"}))
    out = grid.merge(tot, on="month", how="left").merge(nol, on="month", how="left")
    present = out["status"] == "present"
    for col in ("count", "no_lsoa"):
        out[col] = out[col].where(~present, out[col].fillna(0)).astype("Int64")
    return out[["month", "count", "no_lsoa", "status"]].reset_index(drop=True)


def latest_complete_window(months: pd.DataFrame, n: int = 12) -> tuple[pd.Timestamp,
                                                                        pd.Timestamp]:
    """Return the latest run of ``n`` consecutive months that all have data.

    Parameters
    ----------
    months
        The ``police_street_months`` table.
    n
        Window length in months.

    Returns
    -------
    tuple of Timestamp
        First and last month of the window.

    Raises
    ------
    ValueError
        If no run of ``n`` months without a gap exists.
    """
    m = months.drop_duplicates("month").sort_values("month")
    ok = (m["status"] == "present").to_numpy()
    dates = m["month"].to_numpy()
    run = 0
    best = None
    for i, good in enumerate(ok):
        run = run + 1 if good else 0
        if run >= n:
            best = i
    if best is None:
        raise ValueError(f"no run of {n} consecutive months with data")
    return pd.Timestamp(dates[best - n + 1]), pd.Timestamp(dates[best])


def nearest_mid_year(start: pd.Timestamp, end: pd.Timestamp, available: Sequence[int]) -> int:
    """Return the available mid-year estimate closest to the middle of a period."""
    mid = start + (end + pd.offsets.MonthEnd(0) - start) / 2
    target = mid.year + (mid - pd.Timestamp(mid.year, 7, 1)).days / 365.25
    return int(min(available, key=lambda y: (abs(y - target), y)))


def rates_by_authority(counts: pd.DataFrame, months: pd.DataFrame, area: AreaConfig, *,
                       crime_type: str = VIOLENCE, start: pd.Timestamp | None = None,
                       end: pd.Timestamp | None = None, mid_year: int | None = None,
                       per: int = 1000, confidence: float = 0.95) -> pd.DataFrame:
    """Annual rate per ``per`` residents by authority, with intervals and rank.

    Parameters
    ----------
    counts, months
        The ``police_street`` and ``police_street_months`` tables.
    area
        Area configuration (its authorities define the rows).
    crime_type
        data.police.uk crime type.
    start, end
        Period (month starts, inclusive); defaults to the latest 12 complete months.
    mid_year
        Population estimate to use; defaults to the one nearest the period's middle.
    per
        Rate multiplier (per 1,000 residents by default).
    confidence
        Interval level.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``count``, ``population``, ``mid_year``,
        ``months``, ``rate`` (annualised), ``lower_ci``, ``upper_ci``, ``method``,
        ``rank`` (1 = highest rate), sorted by rank. Rows without LSOA cannot be
        placed and are excluded (see `unplaced_share()`).

    Raises
    ------
    ValueError
        If the period contains months with no data.
    """
    from lvrn_analysis.stats.indicators.rates import crude_rate

    if start is None or end is None:
        start, end = latest_complete_window(months)
    wanted = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS")
    present = set(months.loc[months["status"] == "present", "month"])
    missing = [m for m in wanted if m not in present]
    if missing:
        raise ValueError("period includes months with no data: "
                         + ", ".join(m.strftime("%Y-%m") for m in missing))
    n_months = len(wanted)
    pops = populations(area)
    if mid_year is None:
        mid_year = nearest_mid_year(start, end, sorted(pops["mid_year"].unique()))
    pop = populations(area, mid_year)[["la_code", "population"]]
    c = counts[(counts["crime_type"] == crime_type) & (counts["geo_status"] == "in_area")
               & (counts["month"] >= start) & (counts["month"] <= end)]
    agg = c.groupby("la_code")["count"].sum()
    las = local_authorities(area)[["la_code", "la_name"]]
    df = las.merge(agg.rename("count").reset_index(), on="la_code", how="left")
    df["count"] = df["count"].fillna(0).astype("int64")
    df = df.merge(pop, on="la_code", how="left")
    df["mid_year"] = mid_year
    df["months"] = n_months
    # person-years at risk: population x years in the period
    df["person_years"] = df["population"] * n_months / 12
    r = crude_rate(df, x="count", n="person_years", multiplier=per, confidence=confidence)
    df["rate"] = r["value"].to_numpy()
    df["lower_ci"] = r["lower_ci"].to_numpy()
    df["upper_ci"] = r["upper_ci"].to_numpy()
    df["method"] = r["method"].to_numpy()
    df["rank"] = df["rate"].rank(ascending=False, method="min").astype(int)
    return df.sort_values(["rank", "la_name"]).reset_index(drop=True)


def area_rate(rates: pd.DataFrame, *, per: int = 1000, confidence: float = 0.95) -> pd.Series:
    """Return the whole area's rate with interval from a `rates_by_authority()` frame."""
    from lvrn_analysis.stats.indicators.rates import crude_rate

    tot = pd.DataFrame({"count": [int(rates["count"].sum())],
                        "person_years": [float(rates["person_years"].sum())]})
    r = crude_rate(tot, x="count", n="person_years", multiplier=per, confidence=confidence)
    return r.iloc[0][["count", "value", "lower_ci", "upper_ci"]]


def ranking_agreement(rates: pd.DataFrame,
                      named: Sequence[str] = REPORT_HIGHEST) -> pd.DataFrame:
    """Compare the data's ranking with authorities a report named as highest.

    Parameters
    ----------
    rates
        Output of `rates_by_authority()`.
    named
        Authority names the report listed as highest.

    Returns
    -------
    pandas.DataFrame
        One row per named authority: ``la_name``, ``rank``, ``in_top`` (whether its
        rank is within the number named), ``significantly_above_area`` (its lower
        interval limit exceeds the whole area's rate).
    """
    overall = area_rate(rates)
    top = len(named)
    sub = rates[rates["la_name"].isin(named)][["la_name", "rank", "rate", "lower_ci"]].copy()
    sub["in_top"] = sub["rank"] <= top
    sub["significantly_above_area"] = sub["lower_ci"] > float(overall["value"])
    return sub.drop(columns=["lower_ci"]).sort_values("rank").reset_index(drop=True)


def unplaced_share(counts: pd.DataFrame, *, crime_type: str = VIOLENCE,
                   start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Share of kept rows in a period with no LSOA (cannot be placed in an authority)."""
    c = counts[(counts["crime_type"] == crime_type) & (counts["month"] >= start)
               & (counts["month"] <= end)]
    total = c["count"].sum()
    return float(c.loc[c["geo_status"] == "no_lsoa", "count"].sum() / total) if total else \
        float("nan")


def fmt_period(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Return ``"November 2021 to October 2022"``."""
    return f"{start:%B %Y} to {end:%B %Y}"


def round_half(x: float, nd: int = 1) -> float:
    """Round half away from zero (stable printing of published numbers)."""
    q = 10 ** nd
    return float(np.sign(x) * np.floor(abs(x) * q + 0.5) / q)


def ranking_sentence(agreement: pd.DataFrame, rates: pd.DataFrame) -> str:
    """Say in one paragraph whether the data agree with a report's named ranking.

    Parameters
    ----------
    agreement
        Output of `ranking_agreement()`.
    rates
        Output of `rates_by_authority()`.

    Returns
    -------
    str
        Markdown text.
    """
    n = len(agreement)
    top = rates.sort_values("rank").head(n)["la_name"].tolist()
    hits = agreement[agreement["in_top"]]["la_name"].tolist()
    misses = agreement[~agreement["in_top"]]
    sig = agreement[agreement["significantly_above_area"]]["la_name"].tolist()
    if len(hits) == n:
        verdict = "**The data agree**"
    elif hits:
        verdict = "**The data partly agree**"
    else:
        verdict = "**The data do not agree**"
    named = ", ".join(agreement.sort_values("la_name")["la_name"])
    parts = [f"{verdict}: the report named {named} "
             f"as highest relative to population; in these data the {n} highest are "
             f"{', '.join(top)}."]
    if len(misses):
        parts.append("Not in the top " + str(n) + ": " + ", ".join(
            f"{r.la_name} (rank {r.rank})" for r in misses.itertuples()) + ".")
    parts.append(f"{len(sig)} of the {n} named authorities have a rate whose 95% interval "
                 "lies wholly above the area rate.")
    parts.append("The report's ranking was of *serious* violence; data.police.uk's broad "
                 "'Violence and sexual offences' category also holds less serious violence, "
                 "so agreement here is supportive rather than a replication.")
    return " ".join(parts)


def file_quality(counts: pd.DataFrame, quarantine: pd.DataFrame, *,
                 crime_type: str = VIOLENCE) -> pd.DataFrame:
    """Rows of one crime type per monthly file: in the file, without LSOA, kept, quarantined.

    Parameters
    ----------
    counts
        The ``police_street`` table.
    quarantine
        The ``quarantine/police_street`` table.
    crime_type
        Crime type to count.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``rows_in_file``, ``no_lsoa_in_file``, ``kept``, and one column
        per quarantine reason, sorted by month. ``rows_in_file`` = ``kept`` + the
        reason columns. Quarantined rows whose month cannot be told (no month in
        the file name and an invalid Month) are counted under a missing month.
    """
    c = counts[counts["crime_type"] == crime_type]
    kept = c.groupby("month")["count"].sum()
    kept_nol = c[c["geo_status"] == "no_lsoa"].groupby("month")["count"].sum()
    from lvrn_analysis.sources.police import month_from_name

    q = quarantine[quarantine["crime_type"] == crime_type].copy()
    # the month of a quarantined row is its file's month (its own Month may be invalid)
    file_month = q["file"].astype(str).map(lambda f: month_from_name(f.split("!")[-1]))
    q["month"] = pd.to_datetime(file_month.fillna(q["month"].astype("string")),
                                format="%Y-%m", errors="coerce")
    # rows whose file name carries no month and whose own Month is invalid stay, with
    # month missing (NaT), so that no quarantined row is dropped from the accounting
    w = q[WEIGHT].astype("int64") if WEIGHT in q else pd.Series(1, index=q.index)
    q = q.assign(_w=w)
    by_reason = q.pivot_table(index="month", columns="reason", values="_w", aggfunc="sum",
                              fill_value=0, dropna=False)
    q_nol = q[q["lsoa_code"].isna()].groupby("month", dropna=False)["_w"].sum()
    df = pd.DataFrame({"kept": kept}).join(by_reason, how="outer").fillna(0).astype("int64")
    reasons = [col for col in df.columns if col != "kept"]
    df.insert(0, "no_lsoa_in_file", (kept_nol.reindex(df.index).fillna(0)
                                     + q_nol.reindex(df.index).fillna(0)).astype("int64"))
    df.insert(0, "rows_in_file", df["kept"] + df[reasons].sum(axis=1))
    df.columns.name = None
    return df.rename_axis("month").reset_index()


def concentration(counts: pd.DataFrame, area: AreaConfig, *, crime_type: str = VIOLENCE,
                  start: pd.Timestamp, end: pd.Timestamp,
                  shares: Sequence[float] = (0.05, 0.10, 0.20)) -> pd.DataFrame:
    """How concentrated a crime type is in a few neighbourhoods (LSOAs).

    The LSOAs of the area are those placed in its authorities in any month of
    the data (LSOAs with no such crime in the period count as zero).

    Parameters
    ----------
    counts
        The ``police_street`` table.
    area
        Area configuration (unused beyond documentation of scope; kept for symmetry).
    crime_type
        Crime type.
    start, end
        Period (inclusive month starts).
    shares
        Top shares of LSOAs to report.

    Returns
    -------
    pandas.DataFrame
        ``top_share_of_lsoas``, ``n_lsoas``, ``count``, ``share_of_crime`` (of the
        located crimes of the type in the period), plus ``total_lsoas`` and
        ``total_count``.
    """
    del area
    located = counts[counts["geo_status"] == "in_area"]
    all_lsoas = located["lsoa_code"].dropna().unique()
    c = located[(located["crime_type"] == crime_type) & (located["month"] >= start)
                & (located["month"] <= end)]
    per = c.groupby("lsoa_code")["count"].sum().reindex(all_lsoas, fill_value=0)
    per = np.sort(per.to_numpy())[::-1]
    total = int(per.sum())
    rows = []
    for s in shares:
        k = int(np.ceil(s * len(per)))
        top = int(per[:k].sum())
        rows.append({"top_share_of_lsoas": s, "n_lsoas": k, "count": top,
                     "share_of_crime": top / total if total else np.nan})
    df = pd.DataFrame(rows)
    df["total_lsoas"] = len(per)
    df["total_count"] = total
    return df


def seasonal_index(series: pd.DataFrame) -> pd.DataFrame:
    """Average count by calendar month relative to the overall average.

    Months inside a national lockdown (any part of the month) and missing months
    are left out, so the index shows the usual seasonal shape rather than the
    pandemic.

    Parameters
    ----------
    series
        Output of `monthly_counts()` (``month``, ``count``, ``status``).

    Returns
    -------
    pandas.DataFrame
        ``month_of_year`` (1-12), ``month_name``, ``months_used``, ``mean_count``,
        ``index`` (1 = the average month).
    """
    from lvrn_analysis.config.periods import lockdown_fraction

    s = series[series["status"] == "present"].copy()
    frac = lockdown_fraction(s["month"]).sum(axis=1).to_numpy()
    s = s[frac == 0]
    s["month_of_year"] = s["month"].dt.month
    g = s.groupby("month_of_year")["count"].agg(["size", "mean"]).reindex(range(1, 13))
    overall = float(s["count"].astype(float).mean())
    out = pd.DataFrame({
        "month_of_year": range(1, 13),
        "month_name": [pd.Timestamp(2000, m, 1).strftime("%b") for m in range(1, 13)],
        "months_used": g["size"].fillna(0).astype(int).to_numpy(),
        "mean_count": g["mean"].astype(float).to_numpy(),
    })
    out["index"] = out["mean_count"] / overall
    return out
