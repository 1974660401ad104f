"""The data inventory: every registered source, its columns, and what it can measure.

`sources_overview()` lists every registered source
(`lvrn_analysis.sources.registry.sources()`) and `data_dictionary()` describes
every column of its kept rows and of its processed table, from each source
module's ``SCHEMA`` (police, which has no ``SCHEMA``, from its ``HEADER``,
``COLUMNS``, ``CRIME_TYPES`` and ``AGG_KEYS``, with `POLICE_COLUMNS` and
`POLICE_DERIVED`); `coverage_table()` and `coverage_matrix()` say what each source
can measure of the LVRN serious-violence definition
(`lvrn_analysis.story.serious_violence`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import pandas as pd
import pyarrow.parquet as pq

from lvrn_analysis.processed.store import manifest, processed_dir
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import SourceSpec, sources
from lvrn_analysis.synthetic.twins import twin


def source_module(spec: SourceSpec) -> ModuleType:
    """Return the module that implements a registered source."""
    return importlib.import_module(spec.load.__module__)


def yes_no(flag: bool) -> str:
    """Return ``"yes"`` or ``"no"``, as the page's tables write flags."""
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
            "person-level": yes_no(spec.person_level),
            "processed table": table,
            "origin in this build": origins.get(table, "not built"),
            "synthetic twin": yes_no(twin(spec.name) is not None),
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
                         "COLUMNS: update lvrn_analysis.story.methods.dictionary")
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
            schema = getattr(source_module(spec), "SCHEMA", None)
            if schema is None:
                raise ValueError(f"source {name!r} has no SCHEMA")
            part = []
            described = set()
            for col, typ, desc in _schema_rows(schema):
                part.append({"column": col, "raw header": "", "type": typ, "description": desc,
                             "in processed table": yes_no(col in table_cols)})
                described.add(col)
            for col, typ in table_cols.items():
                if col not in described:
                    extra = getattr(source_module(spec), "PROCESSED_COLUMNS", {})
                    part.append({"column": col, "raw header": "", "type": typ,
                                 "description": extra.get(col, EXTRA_COLUMNS.get(col, "")),
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


def ed_schema_table() -> pd.DataFrame:
    """Return the ED layout for the page: each column, its standard and its status.

    Returns
    -------
    pandas.DataFrame
        ``Column, Name in the extract, Standard, Data item, Required, Code list,
        Name verified, Source`` from `lvrn_analysis.sources.ed_mapping.schema_columns()`.
    """
    from lvrn_analysis.sources.ed_mapping import schema_columns

    s = schema_columns().fillna("")
    return pd.DataFrame({
        "Column": s["column"], "Name in the extract": s["file_column"],
        "Standard": s["standard"], "Data item": s["data_item"], "Required": s["required"],
        "Code list": s["code_list"], "Name verified": s["verified"], "Source": s["source"],
    })


def ed_code_verification() -> pd.DataFrame:
    """Return how many codes of each ED code list were verified, and against what.

    Returns
    -------
    pandas.DataFrame
        One row per code list: ``Code list``, ``Codes`` and the codes by verification
        status (``Verified``: against the official reference set; ``From a named
        secondary source``; ``From an unidentified file``; ``Not verified``), from
        `lvrn_analysis.sources.ed_mapping.code_list()`.
    """
    from lvrn_analysis.sources.ed_mapping import code_list

    codes = code_list()
    status = {"verified": "Verified", "secondary": "From a named secondary source",
              "unidentified": "From an unidentified file", "no": "Not verified"}
    unknown = set(codes["verified"]) - set(status)
    if unknown:
        raise ValueError(f"ed_codes.csv: unknown verification status {sorted(unknown)}")
    wide = (codes.groupby(["field", "verified"]).size().unstack(fill_value=0)
            .reindex(columns=list(status), fill_value=0).rename(columns=status))
    wide.insert(0, "Codes", wide.sum(axis=1))
    return wide.rename_axis("Code list").reset_index().rename_axis(None, axis=1)
