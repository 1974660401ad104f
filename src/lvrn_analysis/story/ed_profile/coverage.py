"""Coverage: what each source can measure of the LVRN serious-violence definition."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lvrn_analysis.story.serious_violence import SOURCES, coverage, coverage_matrix

__all__ = ["coverage_reasons", "coverage_summary", "coverage_table", "coverage_text"]


def coverage_table(origins: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return what each source can measure of the LVRN serious-violence definition.

    Parameters
    ----------
    origins
        Optional ``manifest()["origins"]``: adds whether each source is real or
        synthetic in this build to its column name.

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.story.serious_violence.coverage_matrix()` with readable
        column names: one row per component of the definition (LVRN evaluation
        report 2021, §2.3), one column per source, values ``yes`` / ``partly``
        / ``no``.
    """
    m = coverage_matrix()
    processed = {"police_street": "police_street", "csp_crime": "csp_crime",
                 "ed": "ed_attendances", "fingertips": "fingertips",
                 "programmes": "programme_monitoring"}
    names = []
    for s in m.columns:
        name = SOURCES.get(s, s)
        if origins is not None and processed.get(s) in origins:
            o = str(origins[processed[s]])
            name += " [synthetic here]" if o.startswith("synthetic") else " [real]"
        names.append(name)
    out = m.copy()
    out.columns = pd.Index(names, name=None)
    return out.reset_index()


def coverage_reasons(source: str) -> pd.DataFrame:
    """Return one source's coverage of each component, with the reason.

    Parameters
    ----------
    source
        Key of `lvrn_analysis.story.serious_violence.SOURCES` (e.g. ``"ed"``).

    Returns
    -------
    pandas.DataFrame
        ``component``, ``coverage``, ``reason``.
    """
    c = coverage()
    c = c[c["source"] == source]
    if c.empty:
        raise KeyError(f"unknown source {source!r}")
    return c[["component_label", "coverage", "reason"]].rename(
        columns={"component_label": "component"}).reset_index(drop=True)


def coverage_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Count yes / partly / no per source of a `coverage_table()`.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``yes``, ``partly``, ``no`` (numbers of components).
    """
    m = matrix.set_index("component")
    rows = [{"source": s, **{lvl: int((m[s] == lvl).sum()) for lvl in ("yes", "partly", "no")}}
            for s in m.columns]
    return pd.DataFrame(rows)


def coverage_text(matrix: pd.DataFrame) -> str:
    """Summarise a `coverage_table()` in Markdown."""
    m = matrix.set_index("component")
    none_full = [c for c in m.index if not (m.loc[c] == "yes").any()]
    best = coverage_summary(matrix).sort_values(["yes", "partly"], ascending=False).iloc[0]
    return (f"The most complete is *{best['source']}* ({best['yes']} components fully, "
            f"{best['partly']} partly). **{len(none_full)} components are measured fully by "
            f"no source**: {', '.join(none_full)}.")
