"""`publish()`: the single path every published table goes through.

It looks up the source's policy (`lvrn_analysis.stats.disclosure.policies`),
suppresses and rounds the counts of a controlled table
(`lvrn_analysis.stats.disclosure.suppression`), suppresses the values derived
from them, and returns a `lvrn_analysis.stats.disclosure.published.PublishedTable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lvrn_analysis.processed.lineage import Lineage
from lvrn_analysis.stats.disclosure.policies import (
    ROUNDING_BASE,
    SMALL_COUNT_MAX,
    Rule,
    policy_for,
)
from lvrn_analysis.stats.disclosure.published import (
    CONFIDENTIAL,
    NOT_AVAILABLE,
    PublishedTable,
)
from lvrn_analysis.stats.disclosure.suppression import (
    _lines,
    _row_mask,
    round_to_base,
    secondary_suppression,
)

__all__ = ["publish"]


def _as_list(cols: str | Iterable[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _counts(frame: pd.DataFrame, col: str) -> np.ndarray:
    try:
        vals = pd.to_numeric(frame[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(f"count column {col!r} must be numeric") from None
    bad = ~np.isnan(vals) & ((vals < 0) | (vals != np.round(vals)) | np.isinf(vals))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"row index {frame.index[i]!r}, column {col!r}: counts must be non-negative "
            f"integers (got {vals[i]!r})"
        )
    return vals


def publish(
    df: pd.DataFrame,
    *,
    source: str,
    count_cols: str | Sequence[str],
    derived_cols: Mapping[str, str | Sequence[str]] | None = None,
    groups: str | Sequence[str] | None = None,
    total_row: Any = None,
    total_col: str | None = None,
    totals_published: bool = False,
    threshold: int | None = None,
    rounding: int | None = None,
    show_zero: bool = True,
    rescale_derived: bool = True,
    decimals: int = 1,
    caption: str | None = None,
    lineage: Lineage | None = None,
) -> PublishedTable:
    """Apply the source's disclosure policy to a table for publication.

    Parameters
    ----------
    df
        The table (never modified).
    source
        Data source key, looked up in `SOURCE_POLICIES` (unregistered
        sources are controlled).
    count_cols
        Columns holding counts (non-negative integers or missing).
    derived_cols
        ``{derived_col: count_col}`` (or a list of count columns, numerator
        first): rates, percentages or limits computed from those counts,
        suppressed wherever a count they come from is suppressed.
    groups
        Columns splitting ``df`` into independent sub-tables (e.g. period),
        each with its own totals.
    total_row
        The margin row(s) holding column totals within each group: an index
        label, a ``(column, label)`` pair such as ``("district", "Total")``, or
        a boolean mask.
    total_col
        A count column equal to the sum of the other count columns (row
        margin of a 2-way table).
    totals_published
        Treat each group's column totals as known even without a total row
        (e.g. published elsewhere), so a lone suppressed cell gets a partner.
    threshold, rounding, show_zero
        Override the rule (default: suppress 1-7, round to 5, show zeros). For
        person-level sources the threshold cannot go below 7.
    rescale_derived
        Multiply each derived value by (published count / true count) of its
        numerator column, so that a published rate is the rate of the
        published (rounded) count. Otherwise a rate and a public denominator
        would give the exact count back (OpenSAFELY: derive statistics from
        rounded counts). For confidence limits this rescaling is an
        approximation; recompute intervals from the published counts when
        they matter.
    decimals
        Decimal places for derived columns when rendered.
    caption
        Optional caption for the HTML table.
    lineage
        The processed tables the table rests on
        (`lvrn_analysis.processed.lineage.lineage()`); ``None`` records it as
        undeclared. A synthetic lineage marks the caption, CSV and metadata
        ``SYNTHETIC`` (see `PublishedTable`).

    Returns
    -------
    PublishedTable
        Wrapper with ``frame`` (``attrs["disclosure"]`` set), ``_repr_html_``,
        ``to_html`` and ``to_csv``.

    Raises
    ------
    ValueError
        For non-integer or negative counts, totals that do not add up, or an
        attempt to weaken the rule for person-level data.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"publish() needs a DataFrame, got {type(df).__name__}")
    policy = policy_for(source)
    counts = _as_list(count_cols)
    derived = {k: _as_list(v) for k, v in (derived_cols or {}).items()}
    group_cols = _as_list(groups)
    missing = [c for c in [*counts, *derived, *group_cols] if c not in df.columns]
    missing += [c for v in derived.values() for c in v if c not in counts]
    if total_col is not None and total_col not in counts:
        missing.append(total_col)
    if missing:
        raise KeyError(f"columns {missing} are not in the table (or not declared as counts)")
    frame = df.copy(deep=True)
    flag_cols = [*counts, *derived]
    primary = pd.DataFrame(False, index=frame.index, columns=flag_cols)
    secondary = primary.copy()

    if policy.policy == "exempt":
        frame.attrs["disclosure"] = {
            "policy": "exempt", "source": policy.source, "reason": policy.reason,
            "rule": "exempt", "count_cols": counts, "derived_cols": derived,
        }
        return PublishedTable(frame, policy, None, counts, derived, primary, secondary,
                              decimals, caption, lineage or Lineage())

    rule = Rule(
        threshold=SMALL_COUNT_MAX if threshold is None else int(threshold),
        rounding=ROUNDING_BASE if rounding is None else int(rounding),
        show_zero=show_zero,
    )
    if rule.rounding < 1 or rule.threshold < 0:
        raise ValueError("rounding must be >= 1 and threshold >= 0")
    if policy.person_level and rule.threshold < SMALL_COUNT_MAX:
        raise ValueError(
            f"source {source!r} is person-level: counts of 1 to {SMALL_COUNT_MAX} must "
            f"always be suppressed (threshold {rule.threshold} asked)"
        )
    values = np.column_stack([_counts(frame, c) for c in counts]) if counts else np.empty(
        (len(frame), 0)
    )
    lo = 0 if not rule.show_zero else 1
    with np.errstate(invalid="ignore"):
        prim = (values >= lo) & (values <= rule.threshold)
    lines = _lines(
        frame, counts, values, group_cols, _row_mask(frame, total_row), total_col,
        totals_published,
    )
    sec = secondary_suppression(values, prim, lines)
    scale: dict[str, np.ndarray] = {}
    for j, col in enumerate(counts):
        primary[col] = prim[:, j]
        secondary[col] = sec[:, j]
        hidden = prim[:, j] | sec[:, j] | np.isnan(values[:, j])
        shown = np.where(hidden, 0, values[:, j]).astype(np.int64)
        rounded = round_to_base(shown, rule.rounding)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale[col] = np.where(shown > 0, rounded / np.maximum(shown, 1), 1.0)
        out = pd.array(rounded, dtype="Int64")
        out[hidden] = pd.NA
        frame[col] = out
    for col, sources in derived.items():
        hit = np.zeros(len(frame), dtype=bool)
        for c in sources:
            hit |= primary[c].to_numpy() | secondary[c].to_numpy()
        secondary[col] = hit
        vals = pd.to_numeric(frame[col], errors="coerce").astype(float)
        if rescale_derived:
            vals = vals * scale[sources[0]]
        frame[col] = vals.mask(hit)

    def _labels(mask: pd.DataFrame) -> list[list[str]]:
        return [[str(idx), str(col)] for col in mask.columns for idx in mask.index[mask[col]]]

    frame.attrs["disclosure"] = {
        "policy": "controlled",
        "source": policy.source,
        "reason": policy.reason,
        "rule": rule.describe(),
        "threshold": rule.threshold,
        "rounding": rule.rounding,
        "show_zero": rule.show_zero,
        "derived_rescaled_to_rounded_counts": bool(rescale_derived and rule.rounding > 1),
        "count_cols": counts,
        "derived_cols": derived,
        # published with the table: one list, so that it does not say which
        # suppressed cell holds the small count (PublishedTable.primary keeps that)
        "suppressed_cells": sorted(_labels(primary | secondary)),
        "symbols": {CONFIDENTIAL: "confidential", NOT_AVAILABLE: "not available"},
    }
    return PublishedTable(frame, policy, rule, counts, derived, primary, secondary, decimals,
                          caption, lineage or Lineage())
