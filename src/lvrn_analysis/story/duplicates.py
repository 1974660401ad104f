"""Crimes published twice: how many, in which months, and what removing them does to the rates.

A Crime ID that appears twice in one monthly data.police.uk file is the same crime
published twice; the cleaning rules keep the first row and quarantine the others
(reason ``duplicate_crime_id``, see `lvrn_analysis.sources.police.rules`). In a few
real Lancashire files this happened to about one row in twenty at once, a publishing
fault. These functions take the tables written by ``lvrn build`` (the kept
``police_street`` table, ``police_street_months`` and ``quarantine/police_street``)
and show the duplicates month by month, by authority, and the rates with and
without them. They work the same on a build from the raw files and on a build from
the embedded aggregate, which keeps the duplicates' counts; only the embedded
aggregate also records whether each copy repeats the first copy's place and crime
type (``repeat_of_first``).
"""

from __future__ import annotations

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import assign_authority, local_authorities, populations
from lvrn_analysis.sources.validation import WEIGHT
from lvrn_analysis.story.profile import VIOLENCE, fmt_period, nearest_mid_year, round_half

#: The quarantine reason of a repeated Crime ID.
DUPLICATE = "duplicate_crime_id"

#: A monthly file is flagged as a publishing fault when at least this share of its rows
#: are repeated Crime IDs (the real files hold either a handful or about 5 %).
FAULT_SHARE = 0.01


def _weights(q: pd.DataFrame) -> pd.Series:
    return (q[WEIGHT].astype("int64") if WEIGHT in q.columns
            else pd.Series(1, index=q.index, dtype="int64"))


def _file_month(q: pd.DataFrame) -> pd.Series:
    """Month of each quarantined row: its file's month, else its own Month."""
    from lvrn_analysis.sources.police import month_from_name

    fm = q["file"].astype(str).map(lambda f: month_from_name(f.split("!")[-1]))
    own = q["month"].astype("string") if "month" in q.columns else pd.Series(
        pd.NA, index=q.index, dtype="string")
    return pd.to_datetime(fm.fillna(own), format="%Y-%m", errors="coerce")


def _duplicates(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Return the quarantined second copies, with their file month and weight."""
    q = quarantine[quarantine["reason"] == DUPLICATE]
    return q.assign(month=_file_month(q), _w=_weights(q))


def duplicates_by_month(counts: pd.DataFrame, quarantine: pd.DataFrame, *,
                        crime_type: str = VIOLENCE,
                        fault_share: float = FAULT_SHARE) -> pd.DataFrame:
    """Repeated Crime IDs removed from each monthly file.

    Parameters
    ----------
    counts
        The ``police_street`` table (kept rows, all crime types; ``month``,
        ``crime_type``, ``count``).
    quarantine
        The ``quarantine/police_street`` table.
    crime_type
        The crime type counted separately in ``duplicates_of_type``.
    fault_share
        Share of a file's rows above which the file is flagged as a publishing
        fault (`FAULT_SHARE`).

    Returns
    -------
    pandas.DataFrame
        One row per month with data, sorted: ``month``, ``rows_in_file`` (kept +
        quarantined rows, all crime types), ``duplicates`` (rows quarantined as
        ``duplicate_crime_id``), ``share`` (``duplicates / rows_in_file``),
        ``duplicates_of_type`` (those of ``crime_type``),
        ``same_place_and_type`` (copies repeating the first copy's coordinates,
        location, LSOA and crime type; missing when the quarantine does not say,
        as in a build from raw files) and ``publishing_fault``
        (``share >= fault_share``).
    """
    kept = counts.groupby("month")["count"].sum()
    q = quarantine.assign(month=_file_month(quarantine), _w=_weights(quarantine))
    quarantined = q.groupby("month")["_w"].sum()
    d = _duplicates(quarantine)
    dups = d.groupby("month")["_w"].sum()
    of_type = d[d["crime_type"] == crime_type].groupby("month")["_w"].sum()
    df = pd.DataFrame({"kept": kept, "quarantined": quarantined}).fillna(0).astype("int64")
    df["rows_in_file"] = df["kept"] + df["quarantined"]
    df["duplicates"] = dups.reindex(df.index).fillna(0).astype("int64")
    df["share"] = df["duplicates"] / df["rows_in_file"]
    df["duplicates_of_type"] = of_type.reindex(df.index).fillna(0).astype("int64")
    if "repeat_of_first" in d.columns:
        same = d[d["repeat_of_first"] == "same_place_and_type"].groupby("month")["_w"].sum()
        df["same_place_and_type"] = same.reindex(df.index).fillna(0).astype("Int64")
    else:
        df["same_place_and_type"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["publishing_fault"] = df["share"] >= fault_share
    df = df.rename_axis("month").reset_index().sort_values("month", na_position="first")
    return df[["month", "rows_in_file", "duplicates", "share", "duplicates_of_type",
               "same_place_and_type", "publishing_fault"]].reset_index(drop=True)


def duplicate_window(by_month: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Calendar years holding the publishing-fault months: first January to last December.

    Parameters
    ----------
    by_month
        Output of `duplicates_by_month()`.

    Returns
    -------
    tuple of Timestamp
        First and last month start of the window.

    Raises
    ------
    ValueError
        If no month is flagged as a publishing fault.
    """
    fault = by_month.loc[by_month["publishing_fault"], "month"]
    if fault.empty:
        raise ValueError("no monthly file is flagged as a publishing fault")
    return pd.Timestamp(fault.min().year, 1, 1), pd.Timestamp(fault.max().year, 12, 1)


def duplicate_effect(counts: pd.DataFrame, months: pd.DataFrame, quarantine: pd.DataFrame,
                     area: AreaConfig, *, crime_type: str = VIOLENCE,
                     start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                     per: int = 1000) -> pd.DataFrame:
    r"""Rates by authority with and without the removed second copies.

    The rate is the crude rate $r = k\,x / (P \cdot m / 12)$ per year ($k$ = `per`), $x$ the
    count over the $m$ months of the window that have data and $P$ the mid-year
    population nearest the window's middle, as in
    `lvrn_analysis.story.profile.rates_by_authority()` (whose window may not
    have gaps; this one may, as the months with duplicates sit in a year with
    missing months). "With" adds the quarantined copies, each placed in an
    authority by its own LSOA with the same rule as the kept rows
    (`lvrn_analysis.config.geography.assign_authority()`); copies and kept rows
    without an LSOA cannot be placed and are left out of both.

    Parameters
    ----------
    counts, months, quarantine
        The ``police_street``, ``police_street_months`` and
        ``quarantine/police_street`` tables.
    area
        Area configuration (its authorities define the rows).
    crime_type
        data.police.uk crime type.
    start, end
        Window (month starts, inclusive); defaults to `duplicate_window()`.
    per
        Rate multiplier.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``without`` (kept count), ``duplicates``,
        ``with_duplicates`` (``without + duplicates``), ``population``,
        ``mid_year``, ``months`` (months with data in the window), ``rate_without``,
        ``rate_with`` (per ``per`` residents per year), ``removed_share``
        (``duplicates / with_duplicates``), sorted by ``removed_share`` descending
        then name. ``attrs`` holds ``start``, ``end`` and ``months_with_data``.
    """
    if start is None or end is None:
        start, end = duplicate_window(duplicates_by_month(counts, quarantine,
                                                          crime_type=crime_type))
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    wanted = pd.date_range(start, end, freq="MS")
    present = sorted(set(months.loc[months["status"] == "present", "month"])
                     & set(wanted))
    if not present:
        raise ValueError(f"no month with data between {start:%Y-%m} and {end:%Y-%m}")
    c = counts[(counts["crime_type"] == crime_type) & (counts["geo_status"] == "in_area")
               & counts["month"].isin(present)]
    kept = c.groupby("la_code")["count"].sum()
    d = _duplicates(quarantine)
    d = d[(d["crime_type"] == crime_type) & d["month"].isin(present)]
    geo = assign_authority(d["lsoa_code"].astype("string"), d["lsoa_name"].astype("string"),
                           area)
    placed = geo["geo_status"].to_numpy() == "in_area"
    dups = d.loc[placed, "_w"].groupby(geo.loc[placed, "la_code"].to_numpy()).sum()
    pops = populations(area)
    mid_year = nearest_mid_year(start, end, sorted(pops["mid_year"].unique()))
    df = local_authorities(area)[["la_code", "la_name"]].copy()
    df["without"] = df["la_code"].map(kept).fillna(0).astype("int64")
    df["duplicates"] = df["la_code"].map(dups).fillna(0).astype("int64")
    df["with_duplicates"] = df["without"] + df["duplicates"]
    df = df.merge(populations(area, mid_year)[["la_code", "population"]], on="la_code",
                  how="left")
    df["mid_year"] = mid_year
    df["months"] = len(present)
    person_years = df["population"] * len(present) / 12
    df["rate_without"] = per * df["without"] / person_years
    df["rate_with"] = per * df["with_duplicates"] / person_years
    df["removed_share"] = df["duplicates"] / df["with_duplicates"]
    df = df.sort_values(["removed_share", "la_name"], ascending=[False, True])
    df = df.reset_index(drop=True)
    df.attrs.update(start=start, end=end, months_with_data=list(present))
    return df


def area_effect(effect: pd.DataFrame, *, per: int = 1000) -> pd.Series:
    """Return the whole area's counts and rates with and without the copies.

    Parameters
    ----------
    effect
        Output of `duplicate_effect()`.
    per
        Rate multiplier (as in `duplicate_effect()`).

    Returns
    -------
    pandas.Series
        ``without``, ``duplicates``, ``with_duplicates``, ``population``,
        ``rate_without``, ``rate_with``, ``removed_share``.
    """
    py = float(effect["population"].sum()) * int(effect["months"].iloc[0]) / 12
    w, d = int(effect["without"].sum()), int(effect["duplicates"].sum())
    return pd.Series({"without": w, "duplicates": d, "with_duplicates": w + d,
                      "population": int(effect["population"].sum()),
                      "rate_without": per * w / py, "rate_with": per * (w + d) / py,
                      "removed_share": d / (w + d)})


def effect_table(effect: pd.DataFrame) -> pd.DataFrame:
    """Return the with/without comparison as a publishable table, area row last.

    Parameters
    ----------
    effect
        Output of `duplicate_effect()`.

    Returns
    -------
    pandas.DataFrame
        ``Authority``, ``kept``, ``second copies removed``, ``with copies``,
        ``rate without``, ``rate with`` (per 1,000 residents per year, 1 decimal)
        and ``removed (%)`` (1 decimal); a final ``All authorities`` row.
    """
    tot = area_effect(effect)
    rows = effect[["la_name", "without", "duplicates", "with_duplicates", "rate_without",
                   "rate_with", "removed_share"]].copy()
    rows.loc[len(rows)] = ["All authorities", int(tot["without"]), int(tot["duplicates"]),
                           int(tot["with_duplicates"]), tot["rate_without"], tot["rate_with"],
                           tot["removed_share"]]
    out = pd.DataFrame({
        "Authority": rows["la_name"],
        "kept": rows["without"].astype("int64"),
        "second copies removed": rows["duplicates"].astype("int64"),
        "with copies": rows["with_duplicates"].astype("int64"),
        "rate without": rows["rate_without"].map(round_half),
        "rate with": rows["rate_with"].map(round_half),
        "removed (%)": (100 * rows["removed_share"]).map(round_half),
    })
    return out.reset_index(drop=True)


def window_label(effect: pd.DataFrame) -> str:
    """Name the window of a `duplicate_effect()` frame: ``"2020"`` or a month range.

    Parameters
    ----------
    effect
        Output of `duplicate_effect()`.

    Returns
    -------
    str
        The calendar year when the window is one whole year, else
        ``"January 2020 to December 2021"`` (`lvrn_analysis.story.profile.fmt_period()`).
    """
    start, end = effect.attrs["start"], effect.attrs["end"]
    if start.year == end.year and start.month == 1 and end.month == 12:
        return str(start.year)
    return fmt_period(start, end)


def _month_list(ms: pd.Series) -> str:
    names = [f"{m:%B %Y}" for m in sorted(ms)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def has_publishing_fault(by_month: pd.DataFrame) -> bool:
    """Return whether any monthly file of `duplicates_by_month()` is a publishing fault."""
    return bool(by_month["publishing_fault"].any())


def duplicates_sentence(by_month: pd.DataFrame, effect: pd.DataFrame | None, *,
                        crime_label: str = "violence and sexual offences") -> str:
    """Say how many crimes were published twice, when, and what removing them does.

    Parameters
    ----------
    by_month
        Output of `duplicates_by_month()`.
    effect
        Output of `duplicate_effect()`; ``None`` when no file is a publishing fault
        (see `has_publishing_fault()`).
    crime_label
        How the crime type is named in the text.

    Returns
    -------
    str
        Markdown: the publishing-fault months and their counts, the largest count
        in any other month, how many copies repeat the first copy's place and type
        (when known), and the change in the area's rate and in the two authorities
        most and the one least affected.
    """
    fault = by_month[by_month["publishing_fault"]]
    other = by_month[~by_month["publishing_fault"]]
    n = int(fault["duplicates"].sum())
    if fault.empty or effect is None:
        total = int(by_month["duplicates"].sum())
        return (f"**No monthly file is a publishing fault** here: the {len(by_month)} files "
                f"hold {total:,} second copies of a crime in all, at most "
                f"{int(by_month['duplicates'].max()) if len(by_month) else 0:,} in any one "
                "file. The project still counts each crime once.")
    parts = [
        f"In **{len(fault)} monthly files** ({_month_list(fault['month'])}) "
        f"**{n:,} rows are second copies** of a crime already listed in the same file "
        "(same Crime ID): "
        f"{int(fault['duplicates'].min()):,} to {int(fault['duplicates'].max()):,} a file, "
        f"{100 * fault['share'].min():.1f} % to {100 * fault['share'].max():.1f} % of its "
        f"rows, against at most {int(other['duplicates'].max()) if len(other) else 0:,} "
        f"in any of the other {len(other)} files."
    ]
    same = fault["same_place_and_type"]
    if same.notna().all():
        parts.append(f"{int(same.sum()):,} of the {n:,} second copies even repeat the "
                     "first copy's map point, LSOA and crime type.")
    parts.append("The project counts each crime once: it keeps the first copy and "
                 "quarantines the others.")
    tot = area_effect(effect)
    period = window_label(effect)
    m = int(effect["months"].iloc[0])
    top = effect.head(2)
    low = effect.iloc[-1]
    parts.append(
        f"Counting the copies would have put {crime_label} in {period} "
        f"({m} months with data) at {tot['rate_with']:.1f} per 1,000 residents per year "
        f"across the area instead of **{tot['rate_without']:.1f}**: removing them lowers "
        f"the count by **{100 * tot['removed_share']:.1f} %** "
        f"({int(tot['duplicates']):,} of {int(tot['with_duplicates']):,}), and unevenly: "
        + " and ".join(f"{r.la_name} {100 * r.removed_share:.1f} %"
                       for r in top.itertuples())
        + f", against {low['la_name']} {100 * low['removed_share']:.1f} %."
    )
    return " ".join(parts)
