"""Suppression and rounding of counts: rounding to a base and secondary suppression.

`round_to_base()` rounds counts (integer arithmetic); `secondary_suppression()`
extends a pattern of suppressed small counts so that none can be worked out by
subtraction from a total, along the additive `Line`s of a table (its rows and
columns with margins, or groups whose totals are published elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Line", "round_to_base", "secondary_suppression"]


def round_to_base(values: Any, base: int) -> np.ndarray:
    """Round non-negative integer counts to the nearest multiple of ``base``.

    Halves round up (e.g. 12.5 cannot arise for integers with base 5; with base
    10, 15 rounds to 20). Uses integer arithmetic, so results are exact.

    Parameters
    ----------
    values
        Non-negative integer counts (array-like of int).
    base
        Rounding base, >= 1.

    Returns
    -------
    numpy.ndarray
        int64 array of rounded counts.
    """
    v = np.asarray(values, dtype=np.int64)
    if base <= 1:
        return v.copy()
    return ((v + base // 2) // base) * base


@dataclass
class Line:
    """Cells of a table that add up to a known total.

    Attributes
    ----------
    cells
        ``(row position, column position)`` pairs, including the total cell
        when the total is in the table.
    known_total
        ``True`` when the total is published elsewhere (not a cell here).
    """

    cells: list[tuple[int, int]]
    known_total: bool


def _choose(values: np.ndarray, suppressed: np.ndarray, line: Line) -> tuple[int, int] | None:
    candidates = [
        (r, c) for r, c in line.cells if not suppressed[r, c] and not np.isnan(values[r, c])
    ]
    if not candidates:
        return None
    nonzero = [rc for rc in candidates if values[rc] > 0]
    pool = nonzero or candidates
    return min(pool, key=lambda rc: (values[rc], rc))


def secondary_suppression(
    values: np.ndarray, primary: np.ndarray, lines: Sequence[Line]
) -> np.ndarray:
    """Extend a suppression pattern so no line has exactly one suppressed cell.

    A *line* is a set of cells that add up to a total (the total cell is in the
    line, or the total is published elsewhere). If exactly one cell of a line
    is suppressed it can be recovered by subtraction, so the smallest
    non-zero visible cell of the line is suppressed too (ONS practice:
    suppress the next-smallest cell); repeated until no line changes.

    Parameters
    ----------
    values
        2-D float array of counts (NaN = missing, never chosen).
    primary
        Boolean array, same shape: cells suppressed for being small.
    lines
        The additive lines of the table.

    Returns
    -------
    numpy.ndarray
        Boolean array of the cells suppressed by this step only (secondary).
    """
    suppressed = primary.copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            n_supp = sum(bool(suppressed[rc]) for rc in line.cells)
            if n_supp != 1:
                continue
            pick = _choose(values, suppressed, line)
            if pick is not None:
                suppressed[pick] = True
                changed = True
    return suppressed & ~primary


def _row_mask(frame: pd.DataFrame, total_row: Any) -> np.ndarray:
    if total_row is None:
        return np.zeros(len(frame), dtype=bool)
    if isinstance(total_row, tuple) and len(total_row) == 2 and total_row[0] in frame.columns:
        col, label = total_row
        return (frame[col] == label).to_numpy(dtype=bool)
    if isinstance(total_row, np.ndarray | pd.Series | list) and len(total_row) == len(frame):
        return np.asarray(total_row, dtype=bool)
    return np.asarray(frame.index == total_row, dtype=bool)


def _lines(
    frame: pd.DataFrame,
    count_cols: list[str],
    values: np.ndarray,
    groups: list[str],
    total_mask: np.ndarray,
    total_col: str | None,
    totals_published: bool,
) -> list[Line]:
    if groups:
        codes = frame.groupby(groups, sort=False, dropna=False, observed=True).ngroup()
        codes = codes.to_numpy()
    else:
        codes = np.zeros(len(frame), dtype=int)
    tcol = count_cols.index(total_col) if total_col is not None else None
    parts_cols = [j for j in range(len(count_cols)) if j != tcol]
    lines: list[Line] = []
    for g in np.unique(codes):
        rows = np.flatnonzero(codes == g)
        totals = [r for r in rows if total_mask[r]]
        parts = [r for r in rows if not total_mask[r]]
        if len(totals) > 1:
            raise ValueError(f"group {g} has {len(totals)} total rows; expected at most one")
        for j in range(len(count_cols)):
            cells = [(r, j) for r in parts]
            if totals:
                t = totals[0]
                _check_sum(frame, values, parts, t, j, count_cols[j], "column")
                lines.append(Line([*cells, (t, j)], known_total=False))
            elif totals_published:
                lines.append(Line(cells, known_total=True))
        if tcol is not None:
            for r in rows:
                cells = [(r, j) for j in parts_cols]
                _check_row_sum(frame, values, r, parts_cols, tcol, total_col)
                lines.append(Line([*cells, (r, tcol)], known_total=False))
    return lines


def _check_sum(frame, values, parts, t, j, col, what) -> None:
    part_vals = values[parts, j]
    if np.isnan(part_vals).any() or np.isnan(values[t, j]):
        return
    if not np.isclose(part_vals.sum(), values[t, j]):
        raise ValueError(
            f"total row {frame.index[t]!r}, column {col!r}: {values[t, j]:g} is not the sum "
            f"of its parts ({part_vals.sum():g}); add the missing categories (e.g. an "
            "'Unknown' row) or do not declare the total"
        )


def _check_row_sum(frame, values, r, parts_cols, tcol, total_col) -> None:
    part_vals = values[r, parts_cols]
    if np.isnan(part_vals).any() or np.isnan(values[r, tcol]):
        return
    if not np.isclose(part_vals.sum(), values[r, tcol]):
        raise ValueError(
            f"row index {frame.index[r]!r}, column {total_col!r}: {values[r, tcol]:g} is not "
            f"the sum of the other count columns ({part_vals.sum():g})"
        )
