"""Selecting ED records: the latest months, a period and site, code-list labels, site names."""

from __future__ import annotations

import pandas as pd

from lvrn_analysis.sources import ed

__all__ = ["NAVIGATOR_SITE", "WEEKDAYS", "in_period", "latest_months"]


#: The ED Navigator site (Blackpool Victoria Hospital; LVRN report §5.2).
NAVIGATOR_SITE = "RXL01"
#: Weekdays in calendar order, Monday first.
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                             "Saturday", "Sunday")


def latest_months(ed_table: pd.DataFrame, n: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last month of the latest ``n`` months of ED data.

    Parameters
    ----------
    ed_table
        The ``ed_attendances`` table.
    n
        Number of months.

    Returns
    -------
    tuple of Timestamp
        Month starts of the window (inclusive).

    Raises
    ------
    ValueError
        If the table holds fewer than ``n`` months or a month inside the window
        has no attendances at all (a gap, not a quiet month, at this volume).
    """
    months = pd.DatetimeIndex(sorted(ed_table["arrival_month"].dropna().unique()))
    if len(months) == 0:
        raise ValueError("no ED attendances")
    end = months.max()
    start = end - pd.DateOffset(months=n - 1)
    wanted = pd.date_range(start, end, freq="MS")
    gaps = wanted.difference(months)
    if len(gaps):
        raise ValueError("months without ED data: " + ", ".join(f"{m:%Y-%m}" for m in gaps))
    return pd.Timestamp(start), pd.Timestamp(end)


def in_period(ed_table: pd.DataFrame, start: pd.Timestamp | str, end: pd.Timestamp | str, *,
              site: str | None = None) -> pd.DataFrame:
    """Return attendances arriving in months ``start`` to ``end`` (and at ``site``)."""
    m = ed_table["arrival_month"]
    keep = (m >= pd.Timestamp(start)) & (m <= pd.Timestamp(end))
    if site is not None:
        keep &= ed_table["ed_site"] == site
    return ed_table[keep]


def _labels(field_name: str) -> list[tuple[str, str]]:
    """``(group, label)`` of an ED code list, in code order, first label per group."""
    cl = ed.code_list(field_name).sort_values("code")
    out: dict[str, str] = {}
    for g, lab in zip(cl["group"], cl["label"], strict=True):
        out.setdefault(str(g), str(lab))
    return list(out.items())


def _site_name(site: str) -> str:
    s = ed.ed_sites().set_index("site_code")
    return str(s.loc[site, "site_name"]) if site in s.index else site
