"""The quality report: every quarantine reason, and the rows each quarantined in the build.

`reason_catalogue()` lists every quarantine reason code of every source with its
meaning (police from `lvrn_analysis.sources.police.REASONS`, the others from their
module docstrings, `docstring_reasons()`), `quarantine_counts()` counts the
quarantined rows in ``data/processed/quarantine/*.parquet``, `quality_table()`
joins the two and `quality_figure()` charts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from lvrn_analysis.charts import plots
from lvrn_analysis.processed.store import manifest, processed_dir
from lvrn_analysis.sources import police
from lvrn_analysis.sources.records import STRUCTURAL_REASONS
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.story.methods.build_manifest import spec_for_table
from lvrn_analysis.story.methods.dictionary import source_module

#: Meanings of reason codes whose module docstring gives none (by code; the same
#: code means the same check in every source).
REASON_MEANINGS: dict[str, str] = {
    "bad_financial_year": "financial year not in a recognised form (2016/17, 2016-17, "
                          "2016_17, 2016/2017)",
    "bad_quarter": "quarter not Q1-Q4, 1-4 or blank",
    "bad_count": "count is not a whole number",
    "negative_count": "count below zero",
    "negative_value": "value below zero",
    "bad_offence_code": "offence code not in the offence-code list",
    "unknown_csp": "Community Safety Partnership name not in the CSP lookup",
    "duplicate_row": "exact copy of an earlier row",
    "duplicate_key": "second or later row for the same key",
    "unknown_ed_site": "ED site code not in the list of sites",
    "site_outside_area": "ED site outside the configured area",
    "incident_after_arrival": "incident date-time later than the arrival date-time",
    "bad_age": "age is not a whole number",
    "age_out_of_range": "age outside 0-120",
    "unknown_code": "a coded field holds a value not in the code lists",
    "bad_lsoa_code": "LSOA code is not a 2011 LSOA code",
    "bad_la_code": "not an ONS local-authority code",
    "duplicate_attendance_id": "attendance ID already used by an earlier row",
    "bad_indicator_id": "indicator ID is not a whole number",
    "bad_area_code": "area code is not an ONS code",
    "bad_time_period": "time period not in a recognised Fingertips form",
    "bad_number": "a numeric field holds something that is not a number",
    "unknown_rectype": "record type (RECTYPE) not 1, 2, 4, 5 or 7",
    "bad_urn": "school URN is not a whole number",
    "duplicate_urn": "school URN repeated in the file",
    "bad_unit": "unit not in the allowed list",
    "count_exceeds_denominator": "count larger than its denominator",
    "bad_denominator": "denominator is not a positive number",
    "bad_citation": "citation not of the form 'LVRN evaluation report 2021, §x.y'",
    "bad_date": "date not an ISO date (YYYY-MM-DD)",
    "excel_mangled": "a code or period turned into a number by a spreadsheet (scientific "
                     "notation)",
    "code_description_mismatch": "the offence description does not match its offence code "
                                 "(e.g. a spreadsheet turned code 4.10 into 4.1)",
    "duplicate_la_code": "local-authority code repeated in the file",
}

_CODE = re.compile(r"``([a-z][a-z0-9_]*)``")


def _balanced(text: str, start: int) -> tuple[str, int]:
    """Return the text inside the parenthesis opening at ``start`` and the end index."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return text[start + 1:], len(text)


def _clean(text: str) -> str:
    text = re.sub(r"``([^`]+)``", r"'\1'", text)
    text = re.sub(r":(?:func|mod|class|data):`~?([^`]+)`", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def docstring_reasons(doc: str) -> dict[str, str]:
    """Parse the "Validation ..." paragraph of a source module docstring.

    The paragraph starts with ``Validation`` and lists reason codes in double
    backticks, each optionally followed by its meaning in parentheses; codes
    joined by ``/`` share the meaning that follows the last of them.

    Parameters
    ----------
    doc
        A module docstring.

    Returns
    -------
    dict
        ``{code: meaning}`` in the order listed (meaning ``""`` when none is given).
    """
    m = re.search(r"^Validation\b[^\n:]*:(.*?)(?:\n\s*\n|\Z)", doc, re.S | re.M)
    if not m:
        return {}
    block = m.group(1)
    out: dict[str, str] = {}
    pending: list[str] = []
    pos = 0
    while True:
        cm = _CODE.search(block, pos)
        if not cm:
            break
        pending.append(cm.group(1))
        pos = cm.end()
        rest = block[pos:]
        if re.match(r"\s*/\s*``", rest):
            continue
        meaning = ""
        pm = re.match(r"\s*\(", rest)
        if pm:
            inner, end = _balanced(block, pos + pm.end() - 1)
            meaning = _clean(inner)
            pos = end
        for code in pending:
            out[code] = meaning
        pending = []
    return out


def reason_catalogue() -> pd.DataFrame:
    """Every quarantine reason of every registered source, with its meaning.

    Police reasons come from `lvrn_analysis.sources.police.REASONS`; the
    other sources' from the "Validation" paragraph of their module docstrings
    (`docstring_reasons()`), plus the structural reasons of the shared CSV
    reader (`STRUCTURAL_REASONS`) for sources that use it. Codes the
    docstring lists without a meaning take it from `REASON_MEANINGS`.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``person_level``, ``reason``, ``meaning``.

    Raises
    ------
    ValueError
        If a reason code has no meaning.
    """
    rows = []
    for name, spec in sources().items():
        mod = source_module(spec)
        if name == "police":
            reasons = dict(police.REASONS)
        else:
            reasons = docstring_reasons(mod.__doc__ or "")
            if "read_csv_table" in vars(mod):
                for code, meaning in STRUCTURAL_REASONS.items():
                    reasons.setdefault(code, meaning)
        for code, meaning in reasons.items():
            meaning = meaning or REASON_MEANINGS.get(code, "")
            if not meaning:
                raise ValueError(f"reason {code!r} of source {name!r} has no meaning: add it "
                                 "to the module docstring or REASON_MEANINGS")
            rows.append({"source": name, "person_level": spec.person_level, "reason": code,
                         "meaning": meaning[0].upper() + meaning[1:]})
    return pd.DataFrame(rows)


def quarantine_counts(directory: Path | str | None = None) -> pd.DataFrame:
    """Quarantined input rows per processed table and reason.

    Reads every ``quarantine/*.parquet`` of the build. Rows of the embedded
    police aggregate stand for ``n_rows`` input rows each and are weighted so.

    Parameters
    ----------
    directory
        Processed folder.

    Returns
    -------
    pandas.DataFrame
        ``table``, ``source`` (registered source name), ``synthetic`` (bool),
        ``reason``, ``rows``; sorted by table and reason.
    """
    d = Path(directory) if directory is not None else processed_dir()
    origins = manifest(d)["origins"]
    specs = sources()
    parts = []
    for path in sorted((d / "quarantine").glob("*.parquet")):
        q = pd.read_parquet(path, columns=None)
        w = (pd.to_numeric(q["n_rows"]).fillna(1).astype("int64") if "n_rows" in q
             else pd.Series(1, index=q.index, dtype="int64"))
        s = w.groupby(q["reason"].astype(str)).sum()
        spec = spec_for_table(path.stem, specs)
        parts.append(pd.DataFrame({
            "table": path.stem, "source": spec.name if spec else path.stem,
            "synthetic": origins.get(path.stem, "synthetic").startswith("synthetic"),
            "reason": s.index, "rows": s.to_numpy(dtype="int64")}))
    if not parts:
        return pd.DataFrame(columns=["table", "source", "synthetic", "reason", "rows"])
    return pd.concat(parts, ignore_index=True).sort_values(["table", "reason"],
                                                           ignore_index=True)


def quarantine_matches_manifest(counts: pd.DataFrame, m: Mapping | None = None) -> bool:
    """Whether the quarantine files hold exactly the rejections the manifest records.

    Parameters
    ----------
    counts
        Output of `quarantine_counts()`.
    m
        The build manifest.

    Returns
    -------
    bool
        ``True`` when, for every table and reason, the weighted quarantined rows
        equal the sum of the manifest's ``rejected_by_reason``.
    """
    m = manifest() if m is None else m
    recorded: dict[tuple[str, str], int] = {}
    for r in m["inputs"]:
        for reason, n in r.get("rejected_by_reason", {}).items():
            key = (r["table"], reason)
            recorded[key] = recorded.get(key, 0) + int(n)
    found = {(t, r): int(n) for t, r, n in counts[["table", "reason", "rows"]].itertuples(
        index=False)}
    return recorded == found


def quality_sentence(counts: pd.DataFrame, m: Mapping | None = None) -> str:
    """Summarise the quarantine: the check against the manifest and the largest reasons.

    Parameters
    ----------
    counts
        Output of `quarantine_counts()`.
    m
        The build manifest.

    Returns
    -------
    str
        Markdown paragraph.
    """
    m = manifest() if m is None else m
    ok = quarantine_matches_manifest(counts, m)
    rows_in: dict[str, int] = {}
    for r in m["inputs"]:
        rows_in[r["table"]] = rows_in.get(r["table"], 0) + int(r["rows_in"])
    check = ("The quarantine files hold exactly the rejections the manifest records, table by "
             "table and reason by reason (checked when this page was built)." if ok else
             "**The quarantine files do not match the manifest's rejections**: rebuild with "
             "`lvrn build`.")
    parts = []
    for table, g in counts.groupby("table", sort=True):
        total = int(g["rows"].sum())
        share = total / rows_in[table] if rows_in.get(table) else float("nan")
        top = g.sort_values(["rows", "reason"], ascending=[False, True]).iloc[0]
        kind = "synthetic" if bool(g["synthetic"].iloc[0]) else "real"
        parts.append(f"`{table}` ({kind}): {total:,} of {rows_in.get(table, 0):,} input rows "
                     f"({share:.2%}), most often `{top['reason']}` ({int(top['rows']):,})")
    if not parts:
        return check + " No row was quarantined."
    return check + " Quarantined: " + "; ".join(parts) + ". No other table lost any row."


def quality_table(catalogue: pd.DataFrame, counts: pd.DataFrame, *,
                  person_level: bool) -> pd.DataFrame:
    """Reason catalogue with the rows quarantined in this build (real / synthetic data).

    Parameters
    ----------
    catalogue
        Output of `reason_catalogue()`.
    counts
        Output of `quarantine_counts()`.
    person_level
        Keep the reasons of person-level sources (``True``) or of the others.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``reason``, ``meaning``, ``rows quarantined (real data)``,
        ``rows quarantined (synthetic data)``.
    """
    cat = catalogue[catalogue["person_level"] == person_level].copy()
    for synthetic, col in ((False, "rows quarantined (real data)"),
                           (True, "rows quarantined (synthetic data)")):
        c = counts[counts["synthetic"] == synthetic].groupby(["source", "reason"])["rows"].sum()
        keys = list(zip(cat["source"], cat["reason"], strict=True))
        cat[col] = [int(c.get(k, 0)) for k in keys]
    extra = counts[~counts.set_index(["source", "reason"]).index.isin(
        list(zip(catalogue["source"], catalogue["reason"], strict=True)))]
    if len(extra):
        raise ValueError(f"quarantine reasons missing from the catalogue: "
                         f"{sorted(set(zip(extra['source'], extra['reason'], strict=True)))}")
    return cat.drop(columns="person_level").reset_index(drop=True)


def quality_figure(counts: pd.DataFrame, catalogue: pd.DataFrame) -> object:
    """Bar chart of quarantined rows by reason and table (non-person-level sources).

    Parameters
    ----------
    counts
        Output of `quarantine_counts()`.
    catalogue
        Output of `reason_catalogue()` (to leave out person-level sources,
        whose counts are published only through disclosure control).

    Returns
    -------
    matplotlib.figure.Figure
        House-style figure with title, labels, source line and alt text.
    """
    person = set(catalogue.loc[catalogue["person_level"], "source"])
    c = counts[~counts["source"].isin(person)]
    wide = c.pivot_table(index="reason", columns="table", values="rows", aggfunc="sum",
                         fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    fig, ax = plots.new_figure(figsize=(8.0, 1.6 + 0.55 * max(len(wide), 1) * max(
        len(wide.columns), 1)))
    tables = list(wide.columns)
    h = 0.8 / max(len(tables), 1)
    y = np.arange(len(wide))
    synthetic = bool(c["synthetic"].any())
    for i, t in enumerate(tables):
        syn = bool(c.loc[c["table"] == t, "synthetic"].any())
        label = f"{t} ({'synthetic' if syn else 'real'})"
        bars = ax.barh(y - (i - (len(tables) - 1) / 2) * h, wide[t].to_numpy(), height=h,
                       color=plots.PALETTE[i % len(plots.PALETTE)], label=label)
        ax.bar_label(bars, labels=[f"{int(v):,}" for v in wide[t]], padding=3, fontsize=8)
    ax.set_yticks(y, list(wide.index))
    ax.set_xlim(0, float(wide.to_numpy().max()) * 1.6 if wide.size else 1)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.legend(loc="lower right", frameon=False)
    parts = [f"{r}: " + ", ".join(f"{int(wide.loc[r, t]):,} in {t}" for t in tables)
             for r in reversed(wide.index)]
    alt = ("Horizontal bar chart of input rows quarantined by the build, by reason and "
           "processed table. " + "; ".join(parts) + ". No other reason occurred.")
    src = plots.source_line(["lvrn build quarantine files (data.police.uk street-level "
                             "crime, real and synthetic)"], synthetic=synthetic)
    return plots.finish(fig, title="Input rows quarantined by the build, by reason and table",
                        source=src, alt=alt, xlabel="Rows quarantined (count)",
                        ylabel="Reason")
