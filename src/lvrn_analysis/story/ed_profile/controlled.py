"""ED tables under disclosure control, and published numbers quoted in text.

ED data are person-level health data (source ``"ed_attendances"``, *controlled*
in `lvrn_analysis.stats.disclosure.policies.SOURCE_POLICIES`). Every ED table of
the page is an `EdTable`: raw counts plus the arguments
`lvrn_analysis.stats.disclosure.publishing.publish()` needs, so that the table and
the chart come from the same controlled counts. `published_counts()`,
`controlled_count()` and `published_value()` give the numbers that prose may
quote; `suppression_summary()` counts what was suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.stats.disclosure.policies import ROUNDING_BASE, SMALL_COUNT_MAX
from lvrn_analysis.stats.disclosure.published import PublishedTable
from lvrn_analysis.stats.disclosure.publishing import publish
from lvrn_analysis.stats.disclosure.suppression import round_to_base

__all__ = [
    "ED_SOURCE",
    "TOTAL",
    "EdTable",
    "controlled_count",
    "published_counts",
    "published_value",
    "suppression_summary",
]


#: Disclosure source key of the ED attendances (controlled, person-level).
ED_SOURCE = "ed_attendances"
#: Label of total rows and columns.
TOTAL = "Total"


@dataclass(frozen=True)
class EdTable:
    """A table of counts ready for publication, with its disclosure arguments.

    Attributes
    ----------
    df
        The table with **raw** counts (never display it directly).
    count_cols
        Count columns.
    caption
        Table caption.
    derived_cols
        ``{column: [count columns]}``: percentages computed from the published
        counts, suppressed with their numerator.
    total_row
        Total row(s), as `lvrn_analysis.stats.disclosure.publish()` takes them.
    total_col
        Count column holding row totals.
    source
        Disclosure source key (default ``"ed_attendances"``).
    """

    df: pd.DataFrame
    count_cols: tuple[str, ...]
    caption: str
    derived_cols: Mapping[str, Sequence[str]] = field(default_factory=dict)
    total_row: Any = None
    total_col: str | None = None
    source: str = ED_SOURCE

    def publish_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of `lvrn_analysis.stats.disclosure.publish()`."""
        kw: dict[str, Any] = {
            "source": self.source,
            "count_cols": list(self.count_cols),
            "derived_cols": {k: list(v) for k, v in self.derived_cols.items()},
            "caption": self.caption,
            # percentages are already computed from the published counts
            "rescale_derived": False,
        }
        if self.total_row is not None:
            kw["total_row"] = self.total_row
        if self.total_col is not None:
            kw["total_col"] = self.total_col
        return kw

    def table_kwargs(self) -> dict[str, Any]:
        """Return the arguments of `lvrn_analysis.story.notebook.table()` (without ``name``)."""
        return {"df": self.df, **self.publish_kwargs()}

    def published(self) -> PublishedTable:
        """Publish the table through disclosure control."""
        return publish(self.df, **self.publish_kwargs())

    def published_counts(self) -> pd.DataFrame:
        """Return the published frame: counts as ``Int64`` with ``<NA>`` where suppressed."""
        return self.published().frame


def published_counts(df: pd.DataFrame, count_cols: str | Sequence[str], *,
                     source: str = ED_SOURCE, **kwargs: Any) -> pd.DataFrame:
    """Return the counts that disclosure control lets out, for charts and prose.

    Parameters
    ----------
    df
        Table of raw counts (no missing counts).
    count_cols
        Count columns.
    source
        Disclosure source key.
    **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()` (``total_row``,
        ``total_col``, ``groups`` ...).

    Returns
    -------
    pandas.DataFrame
        ``publish(...).frame``: count columns are nullable ``Int64``, rounded
        to the nearest 5, and ``<NA>`` where a cell is suppressed (primary or
        secondary). As the input has no missing counts, ``<NA>`` means
        *suppressed*. Other columns are unchanged.
    """
    cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    if df[cols].isna().any().any():
        raise ValueError("published_counts() needs complete counts: <NA> marks suppression")
    return publish(df, source=source, count_cols=cols, **kwargs).frame


def controlled_count(n: int, *, threshold: int = SMALL_COUNT_MAX,
                     rounding: int = ROUNDING_BASE) -> str:
    """Return one person-level count as it may be quoted in text.

    Parameters
    ----------
    n
        The raw count.
    threshold, rounding
        The project rule (counts 1-7 suppressed, others rounded to 5).

    Returns
    -------
    str
        ``"none"`` for 0, ``"fewer than 8"`` for 1-7, else ``"about <rounded>"``.
    """
    n = int(n)
    if n < 0:
        raise ValueError("counts are non-negative")
    if n == 0:
        return "none"
    if n <= threshold:
        return f"fewer than {threshold + 1}"
    return f"about {int(round_to_base([n], rounding)[0]):,}"


def published_value(frame: pd.DataFrame, col: str, row: Any, *, by: str | None = None,
                    fmt: str = "{:,.0f}") -> str:
    """Return one published cell as text (``"[c]"`` when suppressed).

    Parameters
    ----------
    frame
        A published frame (`EdTable.published_counts()`).
    col
        Column.
    row
        Index label, or the value of column ``by`` that picks the row.
    by
        Column to look ``row`` up in (default: the index).
    fmt
        Format of the number.

    Returns
    -------
    str
        The formatted value or ``"[c]"``.
    """
    s = frame.set_index(by)[col] if by is not None else frame[col]
    v = s.loc[row]
    if isinstance(v, pd.Series):
        raise KeyError(f"{row!r} picks {len(v)} rows")
    return "[c]" if pd.isna(v) else fmt.format(float(v))


def suppression_summary(pub: PublishedTable) -> dict[str, int]:
    """Count a published table's count cells, and those suppressed.

    Returns
    -------
    dict
        ``cells`` (count cells), ``primary`` (suppressed as small counts) and
        ``secondary`` (suppressed to protect them), over the count columns.
    """
    cols = pub.count_cols
    return {"cells": int(len(pub.frame) * len(cols)),
            "primary": int(pub.primary[cols].to_numpy().sum()),
            "secondary": int(pub.secondary[cols].to_numpy().sum())}


def _pct(num: pd.Series, den: Any) -> pd.Series:
    """Percentage of published counts (NaN where either is suppressed)."""
    n = pd.to_numeric(num.astype("Float64"), errors="coerce").astype(float)
    d = float(den) if pd.notna(den) else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(100.0 * n.to_numpy() / d if d else np.full(len(n), np.nan),
                         index=num.index)


def _f(v: Any, fmt: str = "{:,.0f}") -> str:
    return "[c]" if v is None or pd.isna(v) else fmt.format(float(v))
