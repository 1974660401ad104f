"""The build manifest as tables: rows in, kept and quarantined per input file and table.

`manifest_files()`, `manifest_by_table()` and `police_files()` turn
``data/processed/manifest.json`` into tables of rows in / kept / rejected per
input file and per table, `accounting_check()` verifies rows in = kept + rejected
for every file, and the sentences say what the build recorded (origins, missing
police months, the loaders' notes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from lvrn_analysis.processed.store import manifest
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import SourceSpec, sources

#: Hex characters of a SHA-256 shown on the page.
SHA_CHARS = 12


def spec_for_table(table: str, specs: Mapping[str, SourceSpec]) -> SourceSpec | None:
    """Return the source whose processed table is ``table`` (or a variant of it)."""
    for spec in specs.values():
        if table == spec.processed_name:
            return spec
    for spec in specs.values():  # e.g. police_street_synthetic
        if spec.processed_name and table.startswith(spec.processed_name + "_"):
            return spec
    return None


def short_sha(sha: str | None) -> str:
    """Return the first `SHA_CHARS` hex characters of a SHA-256."""
    return (sha or "")[:SHA_CHARS]


def _month_of(file_label: str) -> str:
    m = re.search(r"(\d{4}-\d{2})-[a-z0-9-]+-street\.csv", file_label)
    return m.group(1) if m else ""


def _no_coordinates(notes: Sequence[str]) -> int:
    for n in notes:
        m = re.match(r"(\d+) kept rows have no coordinates", n)
        if m:
            return int(m.group(1))
    return 0


def manifest_files(m: Mapping | None = None) -> pd.DataFrame:
    """One row per input file of the build.

    Parameters
    ----------
    m
        The build manifest (default: `lvrn_analysis.processed.store.manifest()`).

    Returns
    -------
    pandas.DataFrame
        ``table``, ``origin``, ``source``, ``file``, ``person_level``,
        ``rows_in``, ``rows_kept``, ``rows_rejected``, one ``rejected: <reason>``
        column per reason seen in the build, ``sha256`` (first
        `SHA_CHARS` characters) and ``notes`` (joined with "; ").
    """
    m = manifest() if m is None else m
    specs = sources()
    rows = []
    reasons: set[str] = set()
    for r in m["inputs"]:
        spec = spec_for_table(r["table"], specs)
        row = {"table": r["table"], "origin": r["origin"], "source": r["source"],
               "file": r["file"], "person_level": bool(spec and spec.person_level),
               "rows_in": int(r["rows_in"]), "rows_kept": int(r["rows_kept"]),
               "rows_rejected": int(r["rows_rejected"])}
        for reason, n in r.get("rejected_by_reason", {}).items():
            row[f"rejected: {reason}"] = int(n)
            reasons.add(reason)
        row["sha256"] = short_sha(r.get("sha256"))
        row["notes"] = "; ".join(r.get("notes", []))
        rows.append(row)
    out = pd.DataFrame(rows)
    rcols = [f"rejected: {x}" for x in sorted(reasons)]
    for c in rcols:
        out[c] = out[c].fillna(0).astype("int64") if c in out else 0
    lead = ["table", "origin", "source", "file", "person_level", "rows_in", "rows_kept",
            "rows_rejected"]
    return out[[*lead, *rcols, "sha256", "notes"]]


def accounting_check(files: pd.DataFrame) -> pd.DataFrame:
    """Check rows in = kept + rejected, and rejected = sum by reason, for every file.

    Parameters
    ----------
    files
        Output of `manifest_files()`.

    Returns
    -------
    pandas.DataFrame
        ``file``, ``in_eq_kept_plus_rejected``, ``rejected_eq_sum_of_reasons``
        (booleans), one row per file.
    """
    rcols = [c for c in files.columns if c.startswith("rejected: ")]
    by_reason = files[rcols].sum(axis=1) if rcols else 0
    return pd.DataFrame({
        "file": files["file"],
        "in_eq_kept_plus_rejected": files["rows_in"] == files["rows_kept"]
        + files["rows_rejected"],
        "rejected_eq_sum_of_reasons": files["rows_rejected"] == by_reason,
    })


def accounting_sentence(files: pd.DataFrame) -> str:
    """Say, from the computed check, whether every file's rows add up."""
    chk = accounting_check(files)
    n = len(chk)
    ok1 = int(chk["in_eq_kept_plus_rejected"].sum())
    ok2 = int(chk["rejected_eq_sum_of_reasons"].sum())
    tables = files["table"].nunique()
    if ok1 == n and ok2 == n:
        return (f"**Every row accounted for.** Checked when this page was built: for all "
                f"**{n:,}** input files of the {tables} processed tables, rows in = rows kept "
                "+ rows rejected, and rows rejected = the sum of the rejections by reason. "
                f"In total {int(files['rows_in'].sum()):,} rows were read, "
                f"{int(files['rows_kept'].sum()):,} kept and "
                f"{int(files['rows_rejected'].sum()):,} quarantined.")
    bad = chk.loc[~(chk["in_eq_kept_plus_rejected"] & chk["rejected_eq_sum_of_reasons"]),
                  "file"]
    return (f"**Accounting failure.** {n - ok1} of {n} files break rows in = kept + rejected "
            f"and {n - ok2} break rejected = sum of reasons: {', '.join(bad.head(5))}.")


def manifest_by_table(m: Mapping | None = None) -> pd.DataFrame:
    """Summarise the manifest per processed table.

    Parameters
    ----------
    m
        The build manifest (default: the current build's).

    Returns
    -------
    pandas.DataFrame
        ``table``, ``origin``, ``person_level``, ``input files``, ``rows in``,
        ``kept``, ``rejected``, ``output rows`` (rows of the processed table, which
        may be aggregated) and ``output sha256``, in manifest order.
    """
    m = manifest() if m is None else m
    files = manifest_files(m)
    g = files.groupby("table", sort=False).agg(
        origin=("origin", "first"), person_level=("person_level", "first"),
        files=("file", "size"), rows_in=("rows_in", "sum"), kept=("rows_kept", "sum"),
        rejected=("rows_rejected", "sum")).reset_index()
    outputs = {Path(k).stem: v for k, v in m["outputs"].items()
               if Path(k).parent.name != "quarantine" and k.endswith(".parquet")}
    g["output rows"] = [int(outputs.get(t, {}).get("rows", 0)) for t in g["table"]]
    g["output sha256"] = [short_sha(outputs.get(t, {}).get("sha256")) for t in g["table"]]
    return g.rename(columns={"files": "input files", "rows_in": "rows in"})


def police_files(m: Mapping | None = None, table: str = "police_street") -> pd.DataFrame:
    """Per-file manifest of one police table, for publication.

    Parameters
    ----------
    m
        The build manifest.
    table
        ``"police_street"`` (real) or ``"police_street_synthetic"``.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``file`` (the member name inside an archive or aggregate),
        ``rows in``, ``kept``, ``rejected``, one column per rejection reason of the
        table, ``kept without coordinates`` and ``sha256`` (first characters).
    """
    files = manifest_files(m)
    f = files[files["table"] == table].copy()
    rcols = [c for c in f.columns if c.startswith("rejected: ") and f[c].sum() > 0]
    m = manifest() if m is None else m
    notes = {r["file"]: r.get("notes", []) for r in m["inputs"] if r["table"] == table}
    out = pd.DataFrame({
        "month": f["file"].map(_month_of),
        "file": f["file"].str.rsplit("!", n=1).str[-1].str.rsplit("/", n=1).str[-1],
        "rows in": f["rows_in"], "kept": f["rows_kept"], "rejected": f["rows_rejected"],
    })
    for c in rcols:
        out[c] = f[c]
    out["kept without coordinates"] = [_no_coordinates(notes[x]) for x in f["file"]]
    out["sha256"] = f["sha256"]
    return out.sort_values("month", kind="stable").reset_index(drop=True)


def files_for_csv(files: pd.DataFrame, *, person_level: bool) -> pd.DataFrame:
    """Select the per-file manifest to publish: non-person-level or person-level files.

    Parameters
    ----------
    files
        Output of `manifest_files()`.
    person_level
        Select files of person-level sources (``True``) or the others.

    Returns
    -------
    pandas.DataFrame
        The selected rows without the ``person_level`` flag.
    """
    sel = files[files["person_level"] == person_level].drop(columns="person_level")
    return sel.reset_index(drop=True)


def count_columns(df: pd.DataFrame) -> list[str]:
    """Return the count columns of a manifest frame (rows in/kept/rejected, by reason)."""
    names = {"rows_in", "rows_kept", "rows_rejected", "rows in", "kept", "rejected",
             "kept without coordinates", "output rows"}
    return [c for c in df.columns if c in names or str(c).startswith("rejected: ")]


def _month_label(ym: str) -> str:
    return pd.Timestamp(ym + "-01").strftime("%B %Y")


def month_ranges(months: Sequence[str]) -> list[str]:
    """Collapse ``YYYY-MM`` months into runs, e.g. ``["March to November 2019", "June 2020"]``.

    Parameters
    ----------
    months
        Months as ``YYYY-MM`` strings.

    Returns
    -------
    list of str
        One label per run of consecutive months.
    """
    ps = sorted({pd.Period(x, freq="M") for x in months})
    runs: list[list[pd.Period]] = []
    for p in ps:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    out = []
    for run in runs:
        a, b = run[0], run[-1]
        if a == b:
            out.append(a.strftime("%B %Y"))
        elif a.year == b.year:
            out.append(f"{a.strftime('%B')} to {b.strftime('%B %Y')}")
        else:
            out.append(f"{a.strftime('%B %Y')} to {b.strftime('%B %Y')}")
    return out


def missing_months_sentence(m: Mapping | None = None) -> str:
    """Describe the months missing from the real police table, force by force."""
    m = manifest() if m is None else m
    parts = []
    for force, months in sorted(m.get("police_missing_months", {}).items()):
        if months:
            parts.append(f"{force}: **{len(months)} months missing** "
                         f"({'; '.join(month_ranges(months))})")
        else:
            parts.append(f"{force}: no month missing")
    if not parts:
        return "The build recorded no missing police months."
    return ("Months with no file in the real police extract are recorded in the manifest and "
            "shown as gaps, never as zero. " + ". ".join(parts) + ".")


def origins_sentence(m: Mapping | None = None) -> str:
    """Say which processed tables are real and which synthetic."""
    m = manifest() if m is None else m
    groups: dict[str, list[str]] = {}
    for table, origin in m["origins"].items():
        key = "synthetic" if origin.startswith("synthetic") else origin
        groups.setdefault(key, []).append(f"`{table}`")
    parts = [f"{origin}: {', '.join(t)}" for origin, t in sorted(groups.items())]
    notes = m.get("notes") or []
    text = "Origins of the processed tables in this build — " + "; ".join(parts) + "."
    text += (" Build notes: " + " ".join(notes)) if notes else " The build recorded no notes."
    return text


def file_notes(m: Mapping | None = None) -> list[str]:
    """Return the notes the loaders attached to non-police input files, grouped.

    Identical notes of one table are given once with the number of files they
    apply to. Notes of person-level sources are left out: they can hold counts
    of people (e.g. attendances by non-residents) that are published only
    through disclosure control.

    Parameters
    ----------
    m
        The build manifest.

    Returns
    -------
    list of str
        Markdown lines, e.g. ``"`ks4_by_la`: UTF-8 byte-order mark removed (in 12 inputs)"``.
    """
    m = manifest() if m is None else m
    specs = sources()
    counts: dict[tuple[str, str], int] = {}
    for r in m["inputs"]:
        spec = spec_for_table(r["table"], specs)
        if r["source"] == police.SOURCE or (spec is not None and spec.person_level):
            continue
        for n in dict.fromkeys(r.get("notes", [])):
            counts[(r["table"], n)] = counts.get((r["table"], n), 0) + 1
    return [f"`{t}`: {n} (in {k} input{'s' if k != 1 else ''})"
            for (t, n), k in sorted(counts.items())]
