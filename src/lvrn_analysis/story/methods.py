r"""Data and methods page logic: dictionary, build manifest, quality, disclosure, methods.

Everything the "Data and methods" story page shows is computed here, from the
package itself and from the build's outputs, so that the page cannot drift from
the code:

* **Data dictionary** — `sources_overview()` lists every registered source
  (`lvrn_analysis.sources.registry.sources()`) and `data_dictionary()`
  describes every column of its kept rows and of its processed table, from each
  source module's ``SCHEMA`` (police, which has no ``SCHEMA``, from its
  ``HEADER``, ``COLUMNS``, ``CRIME_TYPES`` and ``AGG_KEYS``);
  `coverage_table()` says what each source can measure of the LVRN
  serious-violence definition (`lvrn_analysis.story.serious_violence`).
* **Build manifest** — `manifest_files()`, `manifest_by_table()` and
  `police_files()` turn ``data/processed/manifest.json`` into tables of
  rows in / kept / rejected per input file and per table, and
  `accounting_check()` verifies rows in = kept + rejected for every file.
* **Quality report** — `reason_catalogue()` lists every quarantine reason
  code of every source with its meaning (police from
  `lvrn_analysis.sources.police.REASONS`, the others from their module
  docstrings), `quarantine_counts()` counts the quarantined rows in
  ``data/processed/quarantine/*.parquet``, and `quality_figure()` charts them.
* **Disclosure control** — `policy_table()` is generated from
  `lvrn_analysis.stats.disclosure.SOURCE_POLICIES` and
  `lvrn_analysis.stats.disclosure.Rule`; `disclosure_example()` builds a
  small table of ED attendances that needs both primary and secondary
  suppression.
* **Statistical methods** — `METHODS` is the catalogue of the methods the
  package implements, each with its function, formula and citation, and
  `methods_markdown()` renders it with links to the package reference.
* **Reproducibility** — `pinned_packages()`, `output_hashes()`,
  `DATASETS` (every dataset with its licence, from the reference READMEs)
  and `read_assumptions()` (the assumptions and caveats log in
  ``docs/assumptions.md``).

Disclosure keys
---------------
Counts of rows in input files are not statistics about people when the source
holds no person-level records. They are published under `MANIFEST_SOURCE`
(a key not registered as exempt, so controlled: counts of 1 to 7 are suppressed)
without rounding, so that rows in = kept + rejected can be read off the table.
Files of person-level sources (`SourceSpec.person_level`) are published
separately under their own source's key and rule (``ed_attendances``: suppressed
1 to 7, rounded to 5).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib.ticker import FuncFormatter

from lvrn_analysis.charts import plots
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.processed.store import manifest, processed_dir
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import SourceSpec, sources
from lvrn_analysis.stats.disclosure import (
    CONFIDENTIAL,
    NOT_AVAILABLE,
    ROUNDING_BASE,
    SMALL_COUNT_MAX,
    SOURCE_POLICIES,
    Rule,
    policy_for,
    publish,
)
from lvrn_analysis.synthetic.twins import twin

#: Disclosure key of build-manifest and quality counts of non-person-level files.
MANIFEST_SOURCE = "build_manifest"
#: Disclosure key of descriptive tables with no counts (dictionary, policies ...).
DOC_SOURCE = "documentation"
#: Publication options of `MANIFEST_SOURCE` tables: suppress 1-7, no rounding.
MANIFEST_RULE: dict[str, int] = {"rounding": 1}
#: Hex characters of a SHA-256 shown on the page.
SHA_CHARS = 12

# --------------------------------------------------------------------------- helpers


def _project_root(directory: Path | str | None = None) -> Path:
    """Return the project folder (the parent of ``data/processed``)."""
    d = Path(directory) if directory is not None else processed_dir()
    return d.resolve().parents[1]


def _source_module(spec: SourceSpec) -> ModuleType:
    """Return the module that implements a registered source."""
    return importlib.import_module(spec.load.__module__)


def _spec_for_table(table: str, specs: Mapping[str, SourceSpec]) -> SourceSpec | None:
    """Return the source whose processed table is ``table`` (or a variant of it)."""
    for spec in specs.values():
        if table == spec.processed_name:
            return spec
    for spec in specs.values():  # e.g. police_street_synthetic
        if spec.processed_name and table.startswith(spec.processed_name + "_"):
            return spec
    return None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _arrow_type(t: object) -> str:
    text = str(t)
    if text.startswith("timestamp"):
        return "datetime"
    return {"large_string": "str", "string": "str", "bool": "bool"}.get(text, text)


def _table_columns(table: str, directory: Path | str | None = None) -> dict[str, str]:
    """Return ``{column: type}`` of a processed table from its parquet schema only."""
    d = Path(directory) if directory is not None else processed_dir()
    schema = pq.read_schema(d / f"{table}.parquet")
    return {name: _arrow_type(schema.field(name).type) for name in schema.names}


# --------------------------------------------------------------------------- dictionary

#: How each canonical police column (`police.COLUMNS`) is used; ``None`` in the
#: third place means it does not reach the processed table.
POLICE_COLUMNS: dict[str, tuple[str, str | None]] = {
    "crime_id": ("checked (required except for anti-social behaviour; a repeat within a "
                 "file is quarantined as the same crime twice), then dropped", None),
    "month": ("YYYY-MM; must equal the month in the file name", "month"),
    "reported_by": ("checked for presence only, then dropped", None),
    "falls_within": ("must be the configured force", "force"),
    "longitude": ("checked (numeric, inside Great Britain), then dropped", None),
    "latitude": ("checked (numeric, inside Great Britain), then dropped", None),
    "location": ("street-level snap point; dropped (never published)", None),
    "lsoa_code": ("2011 LSOA code; blank rows are kept as geo_status 'no_lsoa'",
                  "lsoa_code"),
    "lsoa_name": ("places the LSOA in an authority by the name that starts it (ONS "
                  "naming), then dropped", None),
    "crime_type": ("one of the 14 data.police.uk categories", "crime_type"),
    "last_outcome_category": ("dropped (never published)", None),
    "context": ("free text; dropped (never published)", None),
}

#: Columns of the processed police tables that are derived, not copied.
POLICE_DERIVED: dict[str, str] = {
    "origin": "where the row comes from: real, real (embedded aggregate) or synthetic",
    "month": "first day of the month (from Month)",
    "force": "the police force (from Falls within)",
    "la_code": "ONS code of the authority the LSOA lies in (missing without an LSOA)",
    "la_name": "name of that authority",
    "lsoa_code": "2011 LSOA code (missing for rows published without a location)",
    "crime_type": "data.police.uk crime category: " + "; ".join(police.CRIME_TYPES),
    "geo_status": "placement: " + ", ".join(police.GEO_STATUS),
    "count": "number of kept rows (crimes or anti-social behaviour incidents) in the cell",
}

#: Descriptions of processed-table columns that no ``SCHEMA`` holds (aggregated tables).
EXTRA_COLUMNS: dict[str, str] = {
    "origin": "where the row comes from: real, real (shipped reference data) or synthetic",
    "schools": "schools counted (state-funded mainstream and special)",
    "pupils": "pupils at the end of key stage 4 in those schools",
    "att8_pupils": "pupils of the schools whose Attainment 8 is published or 'no entries' "
                   "(the Attainment 8 denominator)",
    "att8": "Attainment 8, pupil-weighted: total points / pupils (DfE LEA method)",
    "att8_schools_suppressed": "schools whose Attainment 8 is suppressed (SUPP) by DfE",
    "disadvantaged": "disadvantaged pupils",
    "disadvantaged_pupils": "pupils of the schools whose disadvantaged count is published "
                            "(the denominator of the share)",
    "pct_disadvantaged": "disadvantaged pupils as a percentage of disadvantaged_pupils",
}


def sources_overview(directory: Path | str | None = None) -> pd.DataFrame:
    """One row per registered source: what it is, where its files go, what it builds.

    Parameters
    ----------
    directory
        Processed folder (default: found automatically).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``description``, ``raw folder``, ``file patterns``,
        ``person-level``, ``processed table``, ``origin in this build``,
        ``synthetic twin``, ``columns``.
    """
    origins = manifest(directory)["origins"]
    rows = []
    for name, spec in sources().items():
        table = spec.processed_name or name
        rows.append({
            "source": name,
            "description": spec.description,
            "raw folder": f"data/raw/{spec.raw_dir}/",
            "file patterns": ", ".join(spec.patterns),
            "person-level": _yes(spec.person_level),
            "processed table": table,
            "origin in this build": origins.get(table, "not built"),
            "synthetic twin": _yes(twin(spec.name) is not None),
            "columns": len(_table_columns(table, directory)),
        })
    return pd.DataFrame(rows)


def _schema_rows(schema: object) -> list[tuple[str, str, str]]:
    """Normalise a source module's ``SCHEMA`` to ``(column, type, description)`` rows.

    Accepts ``{column: (dtype, description)}`` (every source module today),
    ``{column: dtype}``, ``{column: {"dtype": ..., "description": ...}}`` and a
    sequence of column names.
    """
    rows: list[tuple[str, str, str]] = []
    if isinstance(schema, Mapping):
        for col, spec in schema.items():
            if isinstance(spec, tuple | list) and len(spec) >= 2:
                rows.append((str(col), str(spec[0]), str(spec[1])))
            elif isinstance(spec, Mapping):
                rows.append((str(col), str(spec.get("dtype", spec.get("type", ""))),
                             str(spec.get("description", ""))))
            else:
                rows.append((str(col), str(spec), ""))
    elif isinstance(schema, Sequence) and not isinstance(schema, str):
        rows = [(str(c), "", "") for c in schema]
    else:
        raise TypeError(f"cannot read a SCHEMA of type {type(schema).__name__}")
    return rows


def _police_dictionary(table_cols: Mapping[str, str]) -> list[dict]:
    if tuple(POLICE_COLUMNS) != tuple(police.COLUMNS):
        raise ValueError("POLICE_COLUMNS is out of step with lvrn_analysis.sources.police."
                         "COLUMNS: update methods_page")
    rows = []
    for raw, col in zip(police.HEADER, police.COLUMNS, strict=True):
        use, out = POLICE_COLUMNS[col]
        rows.append({"column": col, "raw header": raw, "type": "str", "description": use,
                     "in processed table": out if out else "no"})
    for col, typ in table_cols.items():
        rows.append({"column": col, "raw header": "", "type": typ,
                     "description": POLICE_DERIVED.get(col, ""),
                     "in processed table": "yes"})
    return rows


def data_dictionary(directory: Path | str | None = None) -> pd.DataFrame:
    """Describe every column of every registered source.

    For each source, first the columns of its kept rows (the module's
    ``SCHEMA``; for police the 12 raw columns of ``HEADER``/``COLUMNS`` and what
    happens to each), then the columns of the processed table that the schema
    does not hold (e.g. ``origin``, added by the build, or the aggregate columns
    of ``ks4_by_la``).

    Parameters
    ----------
    directory
        Processed folder (default: found automatically); its parquet schemas give
        the processed columns and their types.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``table``, ``column``, ``raw header`` (police only), ``type``,
        ``description``, ``in processed table`` (``yes``/``no``, or for police the
        processed column a raw column becomes).

    Raises
    ------
    ValueError
        If a processed column has no description anywhere.
    """
    rows: list[dict] = []
    for name, spec in sources().items():
        table = spec.processed_name or name
        table_cols = _table_columns(table, directory)
        if name == "police":
            part = _police_dictionary(table_cols)
        else:
            schema = getattr(_source_module(spec), "SCHEMA", None)
            if schema is None:
                raise ValueError(f"source {name!r} has no SCHEMA")
            part = []
            described = set()
            for col, typ, desc in _schema_rows(schema):
                part.append({"column": col, "raw header": "", "type": typ, "description": desc,
                             "in processed table": _yes(col in table_cols)})
                described.add(col)
            for col, typ in table_cols.items():
                if col not in described:
                    part.append({"column": col, "raw header": "", "type": typ,
                                 "description": EXTRA_COLUMNS.get(col, ""),
                                 "in processed table": "yes"})
        for r in part:
            if not r["description"]:
                raise ValueError(f"{name}.{r['column']} has no description")
            rows.append({"source": name, "table": table, **r})
    out = pd.DataFrame(rows)
    return out[["source", "table", "column", "raw header", "type", "description",
                "in processed table"]]


def coverage_table() -> pd.DataFrame:
    """Return what each source can measure of the LVRN serious-violence definition.

    Returns
    -------
    pandas.DataFrame
        One row per source x component: ``source``, ``component``, ``coverage``
        (``yes``/``partly``/``no``) and ``why``, from
        `lvrn_analysis.story.serious_violence.coverage()`.
    """
    from lvrn_analysis.story.serious_violence import coverage

    c = coverage()
    return pd.DataFrame({"source": c["source_label"], "component": c["component_label"],
                         "coverage": c["coverage"], "why": c["reason"]})


def coverage_matrix() -> pd.DataFrame:
    """Component x source matrix of ``yes``/``partly``/``no``, sources labelled.

    Returns
    -------
    pandas.DataFrame
        `lvrn_analysis.story.serious_violence.coverage_matrix()` with the source
        labels as columns and the component as an ordinary first column.
    """
    from lvrn_analysis.story.serious_violence import SOURCES
    from lvrn_analysis.story.serious_violence import coverage_matrix as _matrix

    m = _matrix().rename(columns=SOURCES)
    m.columns.name = None
    return m.reset_index()


# --------------------------------------------------------------------------- manifest


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
        spec = _spec_for_table(r["table"], specs)
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
        spec = _spec_for_table(r["table"], specs)
        if r["source"] == police.SOURCE or (spec is not None and spec.person_level):
            continue
        for n in dict.fromkeys(r.get("notes", [])):
            counts[(r["table"], n)] = counts.get((r["table"], n), 0) + 1
    return [f"`{t}`: {n} (in {k} input{'s' if k != 1 else ''})"
            for (t, n), k in sorted(counts.items())]


def publish_csv(df: pd.DataFrame, *, name: str, label: str, source: str,
                count_cols: str | Sequence[str], **kwargs: object) -> str:
    """Publish a table as a downloadable CSV only (no HTML), through disclosure control.

    For long tables (e.g. every input file) that the page links to rather than
    shows. The CSV and its metadata sidecar go where
    `lvrn_analysis.story.notebook.table()` writes them.

    Parameters
    ----------
    df
        The table.
    name
        File stem.
    label
        Link text.
    source, count_cols, **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()`.

    Returns
    -------
    str
        Markdown link to the CSV, relative to the notebook.
    """
    from lvrn_analysis.story import notebook as nb

    pub = publish(df, source=source, count_cols=count_cols, **kwargs)
    path = pub.to_csv(nb.TABLE_DIR / f"{plots.slug(name)}.csv")
    return f"[{label}]({nb.TABLE_DIR.name}/{path.name})"


# --------------------------------------------------------------------------- quality

#: Reasons of `lvrn_analysis.sources.reading.read_csv_table()` (structural problems).
STRUCTURAL_REASONS: dict[str, str] = {
    "truncated_record": "the file ends inside a quoted field (a truncated last record)",
    "malformed_record": "a record is not valid CSV: a quoted field is not closed or is "
                        "followed by stray text",
    "empty_row": "a record whose fields are all empty",
    "wrong_field_count": "a record with a different number of fields from the header "
                         "(truncated line or stray delimiter)",
}

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
        mod = _source_module(spec)
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
        spec = _spec_for_table(path.stem, specs)
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


# --------------------------------------------------------------------------- disclosure


def policy_table() -> pd.DataFrame:
    """Return the disclosure policy of every registered source, and of any other source.

    Returns
    -------
    pandas.DataFrame
        ``source key``, ``policy``, ``person-level``, ``rule``, ``reason``; the last
        row is the fail-closed default for unregistered sources.
    """
    rule = Rule()
    rows = []
    for key, p in SOURCE_POLICIES.items():
        rows.append({
            "source key": key, "policy": p.policy, "person-level": _yes(p.person_level),
            "rule": (rule.describe() + "; secondary suppression; derived values of "
                     "suppressed counts suppressed") if p.policy == "controlled" else
            "published unchanged, marked exempt with the reason",
            "reason": p.reason})
    default = policy_for("any source not listed above")
    rows.append({"source key": "(any other)", "policy": default.policy,
                 "person-level": _yes(default.person_level),
                 "rule": rule.describe() + "; secondary suppression; derived values of "
                 "suppressed counts suppressed",
                 "reason": "fail closed: an exemption must be registered with a reason"})
    out = pd.DataFrame(rows)
    order = {"controlled": 0, "exempt": 1}
    last = out.iloc[[-1]]
    body = out.iloc[:-1].sort_values(["policy", "source key"], key=lambda s: s.map(
        order) if s.name == "policy" else s, kind="stable")
    return pd.concat([body, last], ignore_index=True)


def policy_sentence() -> str:
    """State the rule's constants as the code holds them."""
    rule = Rule()
    return (f"Counts of 1 to **{SMALL_COUNT_MAX}** are suppressed and other counts are rounded "
            f"to the nearest **{ROUNDING_BASE}** (`Rule()`: {rule.describe()}; zero is "
            f"{'shown' if rule.show_zero else 'suppressed'}). Suppressed cells are shown as "
            f"`{CONFIDENTIAL}` and unavailable ones as `{NOT_AVAILABLE}`.")


@dataclass(frozen=True)
class DisclosureExample:
    """A crafted table for the worked example of disclosure control.

    Attributes
    ----------
    frame
        ``authority of residence``, ``attendances``; the last row is ``Total``.
    site_name
        The emergency department.
    month
        First day of the month.
    """

    frame: pd.DataFrame
    site_name: str
    month: pd.Timestamp

    def publish_kwargs(self) -> dict:
        """Arguments for `lvrn_analysis.story.notebook.table()` / ``publish``."""
        return {"source": "ed_attendances", "count_cols": ["attendances"],
                "total_row": ("authority of residence", "Total")}


def _example_frame(sub: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    inside = sub["resident_in_area"].fillna(False).astype(bool)
    la = sub["residence_la"].where(inside & sub["residence_la"].notna())
    label = la.map(names).where(la.notna(), "Outside the area or not known")
    counts = label.value_counts()
    named = sorted(k for k in counts.index if k in set(names.values()))
    other = [k for k in counts.index if k not in named]
    rows = [(k, int(counts[k])) for k in [*named, *other]]
    rows.append(("Total", int(len(sub))))
    return pd.DataFrame(rows, columns=["authority of residence", "attendances"])


def disclosure_example(ed: pd.DataFrame, area: AreaConfig, *, site: str | None = None,
                       month: str | None = None) -> DisclosureExample:
    """Build a small ED table (attendances by authority of residence) with a total.

    Without ``site`` the busiest site is used; without ``month`` the latest month
    whose table needs secondary suppression (exactly the case the example is
    meant to show), or the latest month if none does.

    Parameters
    ----------
    ed
        The processed ``ed_attendances`` table.
    area
        Area configuration (authority names).
    site, month
        ED site code and ``YYYY-MM`` month to use instead.

    Returns
    -------
    DisclosureExample
        The unpublished frame (never display it: publish it), the site name and
        the month.
    """
    from lvrn_analysis.config.geography import local_authorities

    names = dict(zip(local_authorities(area)["la_code"], local_authorities(area)["la_name"],
                     strict=True))
    site = site or str(ed["ed_site"].value_counts().sort_index().idxmax())
    at = ed[ed["ed_site"] == site]
    if at.empty:
        raise ValueError(f"no attendances at site {site!r}")
    site_name = str(at["ed_site_name"].iloc[0])
    months = sorted(at["arrival_month"].dropna().unique())
    if month is not None:
        chosen = pd.Timestamp(month + "-01")
    else:
        chosen = pd.Timestamp(months[-1])
        for mth in reversed(months):
            frame = _example_frame(at[at["arrival_month"] == mth], names)
            ex = DisclosureExample(frame, site_name, pd.Timestamp(mth))
            pub = publish(frame, **ex.publish_kwargs())
            if bool(pub.secondary.to_numpy().any()):
                chosen = pd.Timestamp(mth)
                break
    frame = _example_frame(at[at["arrival_month"] == chosen], names)
    return DisclosureExample(frame, site_name, chosen)


def disclosure_example_sentence(ex: DisclosureExample) -> str:
    """Explain the published example from the published values only.

    The sentence never says which suppressed cell is the small one.

    Parameters
    ----------
    ex
        Output of `disclosure_example()`.

    Returns
    -------
    str
        Markdown paragraph.
    """
    pub = publish(ex.frame, **ex.publish_kwargs())
    n_primary = int(pub.primary["attendances"].sum())
    n_secondary = int(pub.secondary["attendances"].sum())
    shown = pub.frame["attendances"]
    is_total = (ex.frame["authority of residence"] == "Total").to_numpy()
    supp = pub.suppressed["attendances"].to_numpy()
    parts_visible = int(shown[~is_total & ~supp].sum())
    total = shown[is_total].iloc[0]
    total_text = CONFIDENTIAL if pd.isna(total) or bool(supp[is_total][0]) else f"{int(total):,}"
    n_rows = int((~is_total).sum())
    text = (f"The table counts assault attendances at **{ex.site_name}** in "
            f"**{ex.month:%B %Y}** by the patient's authority of residence, with a total "
            f"(synthetic data). Of its {n_rows} rows, **{n_primary + n_secondary} are "
            f"suppressed**: {n_primary} because the count is between 1 and {SMALL_COUNT_MAX} "
            f"(*primary* suppression) and {n_secondary} more so that the small count cannot "
            "be worked out by subtracting the other rows from the total (*secondary* "
            "suppression, the next-smallest cell). The table does not say which is which. "
            f"Every other count, and the total, is rounded to the nearest {ROUNDING_BASE}: "
            f"the visible rows add up to {parts_visible:,} and the published total is "
            f"{total_text}, so the suppressed rows can only be bounded, not recovered.")
    if n_secondary == 0:
        text += (" (In this month no secondary suppression was needed: more than one cell "
                 "was already suppressed.)")
    return text


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class Method:
    """One statistical method of the package.

    Attributes
    ----------
    method
        Name of the method.
    function
        Dotted path of the function (or class method) implementing it.
    formula
        Formula summary (Markdown with TeX maths).
    citation
        Reference(s).
    doc_key
        A string that the function's or its module's docstring contains (checked
        by the tests, so that the catalogue and the docstrings agree).
    usage
        How to ask for it, when the function does more than this method.
    """

    method: str
    function: str
    formula: str
    citation: str
    doc_key: str
    usage: str = ""


#: The statistical methods of the package, with formulas and citations.
METHODS: tuple[Method, ...] = (
    Method("Exact (Garwood) Poisson interval for a count",
           "lvrn_analysis.stats.indicators.exact_poisson_interval",
           r"$L=\tfrac12\chi^2_{\alpha/2}(2x)$, $U=\tfrac12\chi^2_{1-\alpha/2}(2x+2)$",
           "Garwood F (1936). Fiducial limits for the Poisson distribution. *Biometrika* "
           "28:437-442.", "Garwood"),
    Method("Byar's approximation to the Poisson limits",
           "lvrn_analysis.stats.indicators.byars_lower",
           r"$L=x\left(1-\frac{1}{9x}-\frac{z}{3\sqrt{x}}\right)^3$, "
           r"$U=(x+1)\left(1-\frac{1}{9(x+1)}+\frac{z}{3\sqrt{x+1}}\right)^3$",
           "Breslow NE, Day NE (1987). *Statistical methods in cancer research, vol. II*. "
           "IARC; Eayres D (2008). *APHO Technical Briefing 3*.", "Breslow",
           "`byars_upper` for the upper limit"),
    Method("Crude rate with exact (below 10 events) or Byar's limits",
           "lvrn_analysis.stats.indicators.crude_rate",
           r"$r=x/n\times m$; limits of $x$ divided by $n$, times $m$",
           "Eayres D (2008). *APHO Technical Briefing 3: Commonly used public health "
           "statistics and their confidence intervals*.", "APHO Technical Briefing 3"),
    Method("Wilson score interval for a proportion",
           "lvrn_analysis.stats.indicators.wilson_interval",
           r"$\dfrac{2x+z^2\mp z\sqrt{z^2+4x(1-x/n)}}{2(n+z^2)}$",
           "Wilson EB (1927). *J Am Stat Assoc* 22:209-212; Newcombe RG (1998). *Stat Med* "
           "17:857-872.", "Wilson", "`proportion` for tidy frames"),
    Method("Directly standardised rate (DSR), Dobson limits, 2013 European Standard "
           "Population", "lvrn_analysis.stats.indicators.dsr",
           r"$\mathrm{DSR}=\frac{\sum_i w_i x_i/n_i}{\sum_i w_i}m$; "
           r"$\mathrm{DSR}+\sqrt{\mathrm{var}/O}\,(O_{L,U}-O)\,m$ with Byar's $O_{L,U}$",
           "Dobson AJ et al. (1991). *Stat Med* 10:457-462; Eurostat (2013). *Revision of "
           "the European Standard Population*.", "Dobson",
           "weights from `esp2013()`"),
    Method("Indirectly standardised rate and ratio (ISR, SMR)",
           "lvrn_analysis.stats.indicators.isr",
           r"$E=\sum_i (x^{ref}_i/n^{ref}_i)\,n_i$; $\mathrm{ISR}=O/E\times R$; limits of "
           r"$O$ (exact or Byar's) over $E$",
           "Breslow & Day (1987); Eayres D (2008). *APHO Technical Briefing 3*.",
           "Breslow", "`isratio` for the ratio"),
    Method("Mean with Student's t interval", "lvrn_analysis.stats.indicators.mean_ci",
           r"$\bar x\pm t_{1-\alpha/2,\,k-1}\,s/\sqrt{k}$",
           "Student (1908). The probable error of a mean. *Biometrika* 6:1-25.",
           "Student"),
    Method("Fingertips-style benchmark comparison",
           "lvrn_analysis.stats.benchmarking.compare_to_benchmark",
           r"better / similar / worse: the 95 % or 99.8 % interval lies wholly above, "
           r"across or below the benchmark, read by polarity",
           "OHID Fingertips comparison methods; Eayres D (2008). *APHO Technical Briefing 3*.",
           "Fingertips"),
    Method("Quintile ranking", "lvrn_analysis.stats.benchmarking.quintiles",
           r"quintile $\lceil 5r/k\rceil$ for rank $r$ of $k$ areas",
           "OHID Fingertips quintile comparison.", "quintile"),
    Method("Funnel plot control limits", "lvrn_analysis.stats.funnels.funnel_limits",
           r"$y_p=(r_p-\alpha)/\rho$, $\alpha=\frac{F(r_p)-p}{F(r_p)-F(r_p-1)}$ "
           r"(exact); $\theta\pm z\sqrt{\theta(1-\theta)/\rho}$ (Wilson)",
           "Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. "
           "*Stat Med* 24:1185-1202.", "Spiegelhalter"),
    Method("Interrupted time series: segmented regression",
           "lvrn_analysis.its.model.fit_its",
           r"$\log E[Y_t]=\log(\mathrm{pop}_t)+\beta_0+\beta_1 t+\beta_2\,\mathrm{level}_t"
           r"+\beta_3\,\mathrm{slope}_t+\mathrm{season}_t+\gamma'z_t$",
           "Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series "
           "regression for the evaluation of public health interventions: a tutorial. "
           "*Int J Epidemiol* 46(1):348-355.", "Lopez Bernal"),
    Method("Quasi-Poisson standard errors", "lvrn_analysis.its.model.fit_its",
           r"SE $\times\sqrt{\phi}$, $\phi=X^2_{\mathrm{Pearson}}/(n-p)$",
           "Lopez Bernal, Cummins & Gasparrini (2017), as above.", "quasipoisson",
           '`family="quasipoisson"` (the default)'),
    Method("Negative binomial (NB2) association model for area counts",
           "lvrn_analysis.story.causes.fit_nb",
           r"$\log E[Y_i]=\log(\mathrm{PY}_i)+b_0+b_1 z_i$, "
           r"$\mathrm{Var}(Y_i)=\mu_i+\alpha\mu_i^2$; $e^{b_1}$ = rate ratio per SD of the "
           r"risk factor",
           "Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed., §3.3.",
           "Cameron", "`univariable_table`, `leave_one_out` for the influence of each area"),
    Method("Negative binomial (NB2) family for interrupted time series",
           "lvrn_analysis.its.model.fit_its",
           r"$\mathrm{Var}(Y)=\mu+\alpha\mu^2$, $\alpha$ by maximum likelihood",
           "Venables WN, Ripley BD (2002). *Modern Applied Statistics with S*, 4th ed. "
           "(`MASS::glm.nb`).", "glm.nb", '`family="negbin"`'),
    Method("Fourier terms for seasonality", "lvrn_analysis.its.design.harmonic",
           r"$\sin(2\pi k\,\mathrm{month}/12)$, $\cos(2\pi k\,\mathrm{month}/12)$, "
           r"$k=1..K$",
           "Bhaskaran K et al. (2013). Time series regression studies in environmental "
           "epidemiology. *Int J Epidemiol* 42(4):1187-1195.", "Bhaskaran"),
    Method("COVID-19 lockdown covariates", "lvrn_analysis.its.design.lockdown_covariates",
           r"share of each period inside each national lockdown",
           "Institute for Government (2022). *Timeline of UK government coronavirus "
           "lockdowns and measures*.", "lockdown", "`lockdowns=True` in `fit_its`"),
    Method("Newey-West (HAC) standard errors", "lvrn_analysis.its.model.newey_west_lags",
           r"Bartlett-weighted sandwich, lag $L=\lfloor 4(n/100)^{2/9}\rfloor$",
           "Newey WK, West KD (1987). *Econometrica* 55(3):703-708; (1994). *Rev Econ Stud* "
           "61(4):631-653.", "Newey", '`se="hac"` in `fit_its`'),
    Method("Regression with ARIMA errors", "lvrn_analysis.its.model.fit_its",
           r"$\log(y_t/\mathrm{pop}_t)=x_t'\beta+\eta_t$, $\eta_t\sim\mathrm{ARIMA}(p,d,q)$",
           "Box GEP, Jenkins GM (1976). *Time series analysis: forecasting and control*; "
           "statsmodels `SARIMAX`.", "SARIMAX", '`method="arima"`'),
    Method("Controlled interrupted time series", "lvrn_analysis.its.model.fit_its",
           r"treated and control stacked with treated-specific level and slope terms, or "
           r"$\log$ control rate as an offset",
           "Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in "
           "interrupted time series studies of public health interventions. *Int J "
           "Epidemiol* 47(6):2082-2093; Bottomley C, Scott JAG, Isham V (2019). Analysing "
           "interrupted time series with a control. *Epidemiologic Methods* 8(1).",
           "Bottomley", '`control=..., control_method="interaction"` or `"offset"`'),
    Method("Offences averted (counterfactual minus fitted)",
           "lvrn_analysis.its.results.ITSResults.averted",
           r"$\sum_t(\hat\mu^{cf}_t-\hat\mu_t)$, interval from 2,000 draws of "
           r"$N(\hat\beta,V)$",
           "Gasparrini A, Leone M (2014). Attributable risk from distributed lag models. "
           "*BMC Med Res Methodol* 14:55.", "Gasparrini"),
    Method("In-time placebo test", "lvrn_analysis.its.robustness.placebo_test",
           r"$p=\dfrac{1+\#\{|\log RR_{placebo}|\ge|\log RR|\}}{1+n_{placebo}}$",
           "Lopez Bernal, Cummins & Gasparrini (2018), as above; Abadie A, Diamond A, "
           "Hainmueller J (2010). *JASA* 105:493-505.", "placebo"),
    Method("Sensitivity to seasonality and lockdown handling",
           "lvrn_analysis.its.robustness.sensitivity",
           r"refits with 0-3 Fourier pairs $\times$ lockdowns ignored / covariates / excluded",
           "Lopez Bernal, Cummins & Gasparrini (2017), as above.", "Sensitivity"),
    Method("Power by simulation", "lvrn_analysis.its.power.power_analysis",
           r"share of simulated NB series with $p<\alpha$ in the true direction; Monte "
           r"Carlo SE $\le\sqrt{0.25/n_{sims}}$",
           "Simulation under the fitted model; Wilson (1927) intervals for the power.",
           "Monte Carlo"),
    Method("Minimum detectable effect", "lvrn_analysis.its.power.minimum_detectable_effect",
           r"smallest fall with power $\ge 0.8$; analytic check "
           r"$1-\exp(-(z_{1-\alpha/2}+z_{power})\,sd)$",
           "Bloom HS (1995). Minimum detectable effects. *Evaluation Review* 19(5):547-556.",
           "detectable"),
    Method("Holm adjustment for multiple testing", "lvrn_analysis.story.impact.evaluate",
           r"$p_{(i)}^{adj}=\max_{j\le i}\min\{1,(k-j+1)p_{(j)}\}$",
           "Holm S (1979). A simple sequentially rejective multiple test procedure. *Scand J "
           "Stat* 6(2):65-70.", "Holm"),
    Method("Statistical disclosure control", "lvrn_analysis.stats.disclosure.publish",
           r"suppress counts 1-7, round others to 5, secondary suppression, derived values "
           r"of suppressed counts suppressed",
           "OpenSAFELY disclosure control guidance; Government Analysis Function (2021). "
           "*Symbols in tables, definitions and help*.", "OpenSAFELY"),
)


def resolve(dotted: str) -> tuple[ModuleType, object]:
    """Import the module of a dotted path and return it with the object named.

    Parameters
    ----------
    dotted
        E.g. ``"lvrn_analysis.its.results.ITSResults.averted"``.

    Returns
    -------
    tuple
        ``(module, obj)``.

    Raises
    ------
    ImportError
        If no prefix of the path is a module.
    AttributeError
        If the object does not exist.
    """
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            mod = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        obj: object = mod
        for name in parts[i:]:
            obj = getattr(obj, name)
        return mod, obj
    raise ImportError(f"no module in {dotted!r}")


def api_page(dotted: str) -> str:
    """Return the package reference page and anchor of a function, relative to notebooks/.

    The pages are written by `lvrn_analysis.site.apidoc.write_api_pages()`:
    ``lvrn_analysis.its.model`` → ``api/its-model.qmd``; each function or class
    has the anchor of its lower-cased name (a class method links to its class).

    Parameters
    ----------
    dotted
        Dotted path of the function.

    Returns
    -------
    str
        E.g. ``"../api/indicators.qmd#dsr"``.
    """
    mod, _ = resolve(dotted)
    stem = mod.__name__.replace("lvrn_analysis.", "").replace("lvrn_analysis", "package")
    member = dotted[len(mod.__name__) + 1:].split(".")[0]
    return f"../api/{stem.replace('.', '-')}.qmd#{member.lower()}"


def methods_frame() -> pd.DataFrame:
    """Return the method catalogue as a table (for the downloadable CSV).

    Returns
    -------
    pandas.DataFrame
        ``method``, ``function``, ``how to ask for it``, ``formula``, ``citation``,
        ``reference page``.
    """
    return pd.DataFrame([{
        "method": m.method, "function": m.function, "how to ask for it": m.usage,
        "formula": m.formula, "citation": m.citation,
        "reference page": api_page(m.function).removeprefix("../")} for m in METHODS])


def methods_markdown() -> str:
    """Render the method catalogue as a Markdown list linked to the package reference.

    Returns
    -------
    str
        One bullet per method: name, the function (linked to its reference page)
        and how to ask for it, the formula and the citation.
    """
    lines = []
    for m in METHODS:
        _, obj = resolve(m.function)
        first = (inspect.getdoc(obj) or "").split("\n")[0]
        usage = f" ({m.usage})" if m.usage else ""
        lines.append(f"* **{m.method}** — [`{m.function}`]({api_page(m.function)}){usage}: "
                     f"{m.formula}. *Docstring:* {first} *Source:* {m.citation}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- reproducibility


@dataclass(frozen=True)
class Dataset:
    """A dataset the build uses, with its licence.

    Attributes
    ----------
    name
        What it is.
    publisher
        Who publishes it.
    used_as
        Where it enters the project and whether real or synthetic.
    licence
        The licence (from the reference READMEs).
    readme
        The reference README (relative to ``lvrn_analysis/reference/``) that
        states the licence, checked by the tests; empty when no shipped README
        covers the dataset (the licence is then cited in the data file or the
        source module).
    """

    name: str
    publisher: str
    used_as: str
    licence: str
    readme: str


#: Every dataset of the build, with its licence as the reference READMEs state it.
DATASETS: tuple[Dataset, ...] = (
    Dataset("Street-level crime, Lancashire Constabulary (36 months) and Leicestershire "
            "Police (35 months)", "data.police.uk (Home Office)",
            "police_street: REAL, shipped as a compact aggregate; calibrates the synthetic "
            "police series", "Open Government Licence v3.0", "README.md"),
    Dataset("Mid-year population estimates (mid-2019, mid-2020, mid-2022)",
            "ONS, via Nomis NM_2002_1 and traffordDataLab/covid-19",
            "denominators of every rate: REAL", "OGL v3.0", "README.md"),
    Dataset("Local authority codes and names (2019)", "ONS Register of Geographic Codes",
            "geography: REAL", "OGL v3.0", "README.md"),
    Dataset("English Indices of Deprivation 2019, local authority summaries (File 10)",
            "MHCLG, via humaniverse/IMD", "imd2019: REAL",
            "OGL v3.0 (data); MIT (package)", "README.md"),
    Dataset("LSOA lookup and police LSOA centroids",
            "derived from the data.police.uk files", "geography: REAL (derived)",
            "OGL v3.0", "ed/README.md"),
    Dataset("England's national COVID-19 lockdown dates",
            "Institute for Government (2022); Health Protection (Coronavirus, "
            "Restrictions) (England) (No. 4) Regulations 2020",
            "lockdown covariates: REAL dates, each row cited",
            "dates are facts, each cited (no dataset licence)", "README.md"),
    Dataset("2013 European Standard Population", "Eurostat (2013)",
            "weights of directly standardised rates",
            "Eurostat copyright notice: re-use authorised with acknowledgement (cited in "
            "esp2013.csv)", ""),
    Dataset("Fingertips indicator export (format) and curated indicator list",
            "OHID (formerly Public Health England)",
            "fingertips: SYNTHETIC values in the real format (IMD 2019 values real)",
            "Open Government Licence v3.0 (Fingertips data); MIT (the curated list)",
            "fingertips/README.md"),
    Dataset("Police recorded crime by Community Safety Partnership (format assumed)",
            "Home Office", "csp_crime: SYNTHETIC; offence codes and CSP lookup our own",
            "OGL v3.0 (Home Office statistics); MIT (lookups)", "crime_tables/README.md"),
    Dataset("Key stage 4 school performance tables (format)", "Department for Education",
            "ks4_by_la: SYNTHETIC in the real format; real files used in tests",
            "OGL v3.0", ""),
    Dataset("TIIG-style ED assault attendances (format) and code lists",
            "this project (layout after TIIG, LJMU)",
            "ed_attendances: SYNTHETIC person-level rows; no real person-level data shipped",
            "MIT (lookups); ONS/police geography OGL v3.0", "ed/README.md"),
    Dataset("Programme monitoring figures", "LVRN evaluation report (LJMU, June 2021)",
            "programme_monitoring: REAL published figures, each cited by section",
            "quoted for analysis; the table MIT", "programmes/README.md"),
    Dataset("Serious-violence coverage judgements and outcomes framework (proposal)",
            "this project", "coverage table; impact page", "MIT (our own work)",
            "serious_violence/README.md"),
)


def datasets_frame() -> pd.DataFrame:
    """Every dataset of the build with publisher, use and licence (for publication)."""
    return pd.DataFrame([{"dataset": d.name, "publisher": d.publisher, "used as": d.used_as,
                          "licence": d.licence} for d in DATASETS])


def pinned_packages(project: Path | str | None = None,
                    names: Sequence[str] = ("numpy", "pandas", "pyarrow", "scipy",
                                            "statsmodels", "matplotlib", "seaborn",
                                            "nbval")) -> tuple[int, dict[str, str]]:
    """Read ``constraints.txt``: how many packages are pinned, and some versions.

    Parameters
    ----------
    project
        Project folder (default: the one holding ``data/processed``).
    names
        Packages whose pinned version to return.

    Returns
    -------
    tuple
        ``(number of pins, {name: version})``.
    """
    root = Path(project) if project is not None else _project_root()
    pins: dict[str, str] = {}
    for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return len(pins), {n: pins[n] for n in names if n in pins}


def reproducibility_markdown(project: Path | str | None = None,
                             m: Mapping | None = None) -> str:
    """Describe how to rebuild, the pinned environment and the determinism guarantees.

    Parameters
    ----------
    project
        Project folder.
    m
        Build manifest.

    Returns
    -------
    str
        Markdown.
    """
    m = manifest() if m is None else m
    n, versions = pinned_packages(project)
    pins = ", ".join(f"{k} {v}" for k, v in versions.items())
    seed = None
    try:
        from lvrn_analysis.config.areas import load_area

        seed = load_area(m["area"]["id"]).synthetic_seed
    except (FileNotFoundError, KeyError, ValueError):
        seed = None
    seed_text = f" (seed {seed} for area `{m['area']['id']}`)" if seed is not None else ""
    return (
        f"* **Environment.** `constraints.txt` pins **{n}** packages exactly ({pins}, …); "
        "`make` installs the package from it into `.venv/`. `environment.yml` gives the same "
        f"for conda. This build was made by `lvrn_analysis` {m['lvrn_analysis_version']}.\n"
        "* **Determinism.** The synthetic data are drawn from seeded generators"
        f"{seed_text}, so every build writes byte-identical inputs; processed tables are "
        "sorted and written without timestamps; the manifest holds no dates or absolute "
        "paths; figures are PNG without timestamp metadata; notebooks are executed without "
        "timing metadata and print only rounded numbers. nbval re-runs every notebook and "
        "fails on any change in its outputs.\n"
        "* **Check your rebuild.** The SHA-256 of every input file is in the manifest tables "
        "above and of every processed table below: after `make site` they should be the "
        "same.")


def output_hashes(m: Mapping | None = None) -> pd.DataFrame:
    """Every output of the build with its rows and SHA-256 (first characters).

    Parameters
    ----------
    m
        Build manifest.

    Returns
    -------
    pandas.DataFrame
        ``output`` (path relative to the project), ``rows``, ``sha256``.
    """
    m = manifest() if m is None else m
    return pd.DataFrame([{"output": k, "rows": int(v["rows"]), "sha256": short_sha(v["sha256"])}
                         for k, v in m["outputs"].items()])


# --------------------------------------------------------------------------- assumptions

_ENTRY = re.compile(r"^###\s+(?P<id>[AC]\d{2}):\s*(?P<title>.+?)\s*$", re.M)
_FIELD = re.compile(r"^\*\s+\*\*(?P<key>[^*]+?)\*\*:\s*(?P<value>.*)$")
#: Fields every entry of the assumptions log must have.
LOG_FIELDS: tuple[str, ...] = ("What is assumed", "Why", "Impact", "Quality", "Owner",
                               "Status", "Where")


def read_assumptions(path: Path | str | None = None) -> pd.DataFrame:
    """Parse the assumptions and caveats log (``docs/assumptions.md``).

    Each entry is a level-3 heading ``### A01: title`` (``C`` for caveats) followed
    by bullets ``* **Field**: text`` (continuation lines indented); every field
    of `LOG_FIELDS` is required.

    Parameters
    ----------
    path
        The log (default: ``docs/assumptions.md`` of the project).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``kind`` (``assumption``/``caveat``), ``title`` and one column per
        field.

    Raises
    ------
    ValueError
        If an entry lacks a field or an id repeats.
    """
    p = Path(path) if path is not None else _project_root() / "docs" / "assumptions.md"
    text = p.read_text(encoding="utf-8")
    heads = list(_ENTRY.finditer(text))
    rows = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[h.end():end].split("\n## ", 1)[0]
        fields: dict[str, str] = {}
        key = None
        for line in body.splitlines():
            fm = _FIELD.match(line)
            if fm:
                key = fm.group("key").strip()
                fields[key] = fm.group("value").strip()
            elif key and line.startswith("  ") and line.strip():
                fields[key] += " " + line.strip()
            elif not line.strip():
                key = None
        missing = [f for f in LOG_FIELDS if not fields.get(f)]
        if missing:
            raise ValueError(f"{p.name}: entry {h.group('id')} lacks {missing}")
        rows.append({"id": h.group("id"),
                     "kind": "assumption" if h.group("id")[0] == "A" else "caveat",
                     "title": h.group("title"), **{f: fields[f] for f in LOG_FIELDS}})
    out = pd.DataFrame(rows)
    if out.empty:
        raise ValueError(f"{p.name}: no entries")
    dup = out["id"][out["id"].duplicated()]
    if len(dup):
        raise ValueError(f"{p.name}: repeated ids {sorted(dup)}")
    return out


def assumptions_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Return the log as a compact table (id, title, quality, impact, status).

    Parameters
    ----------
    log
        Output of `read_assumptions()`.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``assumption or caveat``, ``quality``, ``impact``, ``status``; the
        impact is its RAG rating (the first word of the Impact field).
    """
    def rag(text: str) -> str:
        m = re.match(r"\s*(Red|Amber|Green|Open|Accepted|Closed)\b", text, re.I)
        return m.group(1).capitalize() if m else text.split(".", 1)[0].strip()

    return pd.DataFrame({"id": log["id"], "assumption or caveat": log["title"],
                         "quality": log["Quality"].map(rag), "impact": log["Impact"].map(rag),
                         "status": log["Status"].map(rag)})


def assumptions_sentence(log: pd.DataFrame) -> str:
    """Count the log's entries by kind, status and impact rating."""
    n_a = int((log["kind"] == "assumption").sum())
    n_c = int((log["kind"] == "caveat").sum())
    summ = assumptions_summary(log)
    by_status = summ["status"].value_counts().sort_index()
    red = int((summ["impact"].str.lower() == "red").sum())
    st = ", ".join(f"{int(v)} {k.lower()}" for k, v in by_status.items())
    return (f"The log holds **{n_a} assumptions and {n_c} caveats** ({st}); **{red}** have a "
            "red impact rating: outputs would be wrong or misleading if the assumption failed "
            "or the caveat were ignored.")
