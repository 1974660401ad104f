"""Number formats shared by the Impact page's tables and sentences.

Rate ratios with their intervals, p-values, percentages, runs of months and small counts
in words, formatted the same way in every table and sentence of the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lvrn_analysis.its.results import format_p

__all__ = ["fmt_p", "fmt_rr", "month_runs", "pct", "plural"]


def fmt_rr(rr: float, lo: float, hi: float, nd: int = 3) -> str:
    """Format a rate ratio with its interval, e.g. ``"0.831 (0.776 to 0.890)"``.

    Parameters
    ----------
    rr, lo, hi
        Rate ratio and its interval limits.
    nd
        Decimal places.

    Returns
    -------
    str
        The text; empty when the rate ratio is not finite.
    """
    if not np.isfinite(rr):
        return ""
    return f"{rr:.{nd}f} ({lo:.{nd}f} to {hi:.{nd}f})"


def fmt_p(p: float | None) -> str:
    """Format a p-value with the shared `lvrn_analysis.its.results.format_p()`.

    Three decimals, ``"< 0.001"`` below 0.001, empty when missing.

    Parameters
    ----------
    p
        The p-value (``None`` or NaN allowed).

    Returns
    -------
    str
        The text.
    """
    return format_p(p)


def pct(x: float, nd: int = 0) -> str:
    """Format a proportion as a percentage, e.g. ``pct(0.15) == "15%"``.

    Parameters
    ----------
    x
        The proportion.
    nd
        Decimal places.

    Returns
    -------
    str
        The text.
    """
    return f"{100 * x:.{nd}f}%"


def month_runs(months: Sequence[pd.Timestamp]) -> str:
    """Describe months compactly: ``"March to November 2019, June 2020"``.

    Parameters
    ----------
    months
        Month-start dates (in any order; duplicates allowed).

    Returns
    -------
    str
        Runs of consecutive months, comma-separated.
    """
    per = sorted({pd.Timestamp(m).to_period("M") for m in months})
    runs: list[list[pd.Period]] = []
    for p in per:
        if runs and (p - runs[-1][-1]).n == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    parts = []
    for r in runs:
        a, b = r[0].to_timestamp(), r[-1].to_timestamp()
        if len(r) == 1:
            parts.append(f"{a:%B %Y}")
        elif len(r) == 2:
            parts.append(f"{a:%B} and {b:%B %Y}" if a.year == b.year
                         else f"{a:%B %Y} and {b:%B %Y}")
        else:
            parts.append(f"{a:%B} to {b:%B %Y}" if a.year == b.year
                         else f"{a:%B %Y} to {b:%B %Y}")
    return ", ".join(parts)


def plural(n: int, word: str) -> str:
    """Say a small count in words with its noun, e.g. ``plural(2, "change") == "two changes"``.

    Parameters
    ----------
    n
        The count (one to four are spelled out).
    word
        Singular noun.

    Returns
    -------
    str
        The text.
    """
    words = {1: "one", 2: "two", 3: "three", 4: "four"}
    return f"{words.get(n, n)} {word}" + ("" if n == 1 else "s")
