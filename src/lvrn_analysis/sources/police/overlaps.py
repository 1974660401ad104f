"""Overlapping inputs and month coverage.

When the same force-month is supplied by more than one input (overlapping monthly
archives), the copy from the input that sorts last by name (the latest archive) is
kept and every row of the others is quarantined as ``superseded_month``, so each
input's accounting still balances. `month_coverage()` lists, per force, every month
from the first to the last with data, marking the gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lvrn_analysis.sources.police.columns import _na_first
from lvrn_analysis.sources.police.format import REASONS

if TYPE_CHECKING:
    from lvrn_analysis.sources.police.fastpath import PoliceFileResult
    from lvrn_analysis.sources.validation import LoadResult


def resolve_overlaps(results: list[LoadResult]) -> list[LoadResult]:
    """Quarantine force-months supplied by more than one input.

    The input whose label sorts last (the latest archive) supplies the month;
    every kept row of the other inputs moves to their quarantine as
    ``superseded_month``, so each input's accounting still balances.

    Parameters
    ----------
    results
        Loaded files.

    Returns
    -------
    list of LoadResult
        The same results, updated in place and returned in input order.
    """
    owners: dict[tuple[str, str], str] = {}
    for res in sorted(results, key=lambda r: r.path):
        if res.kept.empty:
            continue
        for force, month in (res.kept[["force", "month"]].drop_duplicates()
                             .itertuples(index=False)):
            owners[(str(force), str(month)[:7])] = res.path
    for res in results:
        if res.kept.empty:
            continue
        # a missing force is "<NA>" here as in `owners` (astype(str) would give NaN)
        forces = [str(f) for f in res.kept["force"].astype(object)]
        key = list(zip(forces, res.kept["month"].astype(str).str[:7], strict=True))
        lost = np.array([owners[k] != res.path for k in key], dtype=bool)
        if lost.any():
            winner = sorted({owners[k] for k, lo in zip(key, lost, strict=True) if lo})
            res.kept, res.rejected = _move_superseded(res.kept, res.rejected, lost, winner,
                                                      res.path)
            res.check_accounting()
    return results


def _move_superseded(kept: pd.DataFrame, rejected: pd.DataFrame, lost: np.ndarray,
                     winner: list[str], path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the kept rows selected by ``lost`` to the quarantine as ``superseded_month``."""
    moved = kept.loc[lost].copy()
    moved.insert(0, "detail", f"{REASONS['superseded_month']}: {', '.join(winner)}")
    moved.insert(0, "reason", "superseded_month")
    moved.insert(0, "file", path)
    moved["month"] = moved["month"].dt.strftime("%Y-%m")
    rejected = pd.concat([rejected, moved], ignore_index=True)
    return kept.loc[~lost].reset_index(drop=True), rejected


def _mf_unique(res: PoliceFileResult) -> tuple[np.ndarray, np.ndarray]:
    """Per kept group the code ``month * (len(forces) + 1) + force``, and the distinct codes.

    A monthly file of one force (the usual case) has one code: no sort needed.
    """
    code = res.month.astype(np.int64) * (len(res.forces) + 1) + res.force
    if code.size and code[0] == code[-1] and not (code != code[0]).any():
        return code, code[:1].copy()
    return code, np.unique(code)


def _month_force_codes(res: PoliceFileResult) -> tuple[np.ndarray, np.ndarray, list]:
    """Per kept group a (month, force) code, the distinct codes and their owner keys."""
    code, uniq = _mf_unique(res)
    keys = [("<NA>" if res.forces[c % (len(res.forces) + 1)] is None
             else res.forces[c % (len(res.forces) + 1)],
             str(res.months[c // (len(res.forces) + 1)])[:7]) for c in uniq.tolist()]
    return code, uniq, keys


def resolve_overlaps_fast(results: list[PoliceFileResult]) -> list[PoliceFileResult]:
    """`resolve_overlaps()` for fast-path results (same rule, same quarantine rows)."""
    owners: dict[tuple[str, str], str] = {}
    codes = {id(r): _month_force_codes(r) for r in results}
    for res in sorted(results, key=lambda r: r.path):
        for k in codes[id(res)][2]:
            owners[k] = res.path
    for res in results:
        if not len(res.n):
            continue
        code, uniq, keys = codes[id(res)]
        lost_codes = [c for c, k in zip(uniq.tolist(), keys, strict=True)
                      if owners[k] != res.path]
        if lost_codes:
            lost = np.isin(code, lost_codes)
            winner = sorted({owners[k] for c, k in zip(uniq.tolist(), keys, strict=True)
                             if c in lost_codes})
            _, res.rejected = _move_superseded(res.kept_frame(), res.rejected, lost, winner,
                                               res.path)
            res.reasons["superseded_month"] = (res.reasons.get("superseded_month", 0)
                                               + int(res.n[lost].sum(dtype=np.int64)))
            res.keep_only(~lost)
            if res.token is not None:
                res.token += "|superseded:" + ";".join(
                    sorted(f"{k[0]}@{k[1]}" for c, k in zip(uniq.tolist(), keys, strict=True)
                           if c in lost_codes))
            res.check_accounting()
    return results


def kept_blocks(results: list[PoliceFileResult]) -> list[tuple[PoliceFileResult, int, int]]:
    """Return ``(result, start, stop)`` slices of kept groups in `aggregate()` order.

    After `resolve_overlaps_fast()` every (month, force) comes from one file, and
    each file's groups are sorted, so the global order is the files' (month, force)
    blocks sorted by month then force (missing first).

    Parameters
    ----------
    results
        Fast-path results.

    Returns
    -------
    list of tuple
        Slices to concatenate in order.

    Raises
    ------
    ValueError
        If a (month, force) block comes from more than one file.
    """
    blocks = []
    for res in results:
        if not len(res.n):
            continue
        code = res.month.astype(np.int64) * (len(res.forces) + 1) + res.force
        cuts = np.flatnonzero(np.diff(code)) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [len(code)]))
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            m, f = res.months[res.month[a]], res.forces[res.force[a]]
            blocks.append(((m or "", _na_first(f)), res, a, b))
    blocks.sort(key=lambda x: x[0])
    for (k1, *_), (k2, *_) in zip(blocks, blocks[1:], strict=False):
        if k1 == k2:
            raise ValueError(f"month/force {k1} comes from more than one file")
    return [(res, a, b) for _, res, a, b in blocks]


def kept_pairs(results: list[PoliceFileResult]) -> pd.DataFrame:
    """Return the distinct kept (force, month) pairs, typed like the kept table."""
    found = set()
    for res in results:
        nf = len(res.forces) + 1
        for c in _mf_unique(res)[1].tolist():
            found.add((res.forces[c % nf], res.months[c // nf]))
    pairs = sorted(found, key=lambda p: (_na_first(p[0]), p[1] or ""))
    return pd.DataFrame({
        "force": pd.array([p[0] for p in pairs], dtype="string"),
        "month": pd.to_datetime(pd.Series([p[1] for p in pairs], dtype="string").astype(str),
                                format="%Y-%m").to_numpy(),
    })


def month_coverage(kept: pd.DataFrame, first: str | None = None,
                   last: str | None = None) -> pd.DataFrame:
    """Return every month from the first to the last with data, marking gaps.

    Parameters
    ----------
    kept
        Clean aggregated rows (``force``, ``month``).
    first, last
        Optional ``YYYY-MM`` bounds to widen the range (e.g. an expected period).

    Returns
    -------
    pandas.DataFrame
        ``force``, ``month``, ``status`` (``"present"`` or ``"missing"``). A missing
        month is a gap in the data, never a month with zero crimes.
    """
    out = []
    for force, g in kept.groupby("force", sort=True):
        have = set(g["month"].dt.to_period("M"))
        lo = min(have) if first is None else min(min(have), pd.Period(first, "M"))
        hi = max(have) if last is None else max(max(have), pd.Period(last, "M"))
        for p in pd.period_range(lo, hi, freq="M"):
            out.append((force, p.to_timestamp(), "present" if p in have else "missing"))
    return pd.DataFrame(out, columns=["force", "month", "status"])
