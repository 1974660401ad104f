"""The ECDS/ISTV-aligned ED schema, its code lists, and per-provider mappings onto it.

The ED attendance schema (`lvrn_analysis.sources.ed`) is described by two data
files shipped under ``reference/ed/``:

* ``ed_columns.csv`` — one row per schema column: its file column in the standard
  layout (the NHS England SUS ECDS flat name, e.g. ``EC_Arrival_Mode_SNOMED_CT``,
  or the ISTV minimum data set item, e.g. ``Assault_Method``), the data item, whether
  it is required, whether its code list is *closed* (a value outside the list
  quarantines the row) or *open* (the value is kept with group ``unmapped`` and
  counted in a note), other accepted spellings, and whether the name was verified
  against a published source (which one);
* ``ed_codes.csv`` — the code lists, each code with its label, analysis group,
  code system, ``verified`` (``secondary``: found in a named public secondary
  source; ``unidentified``: found only in a file whose repository is not known;
  ``no``: the project's own or illustrative) and ``source``.

A **mapping** (YAML, `load_mapping()`) turns a provider's own extract into the
schema without code changes: ``columns`` (extract column -> schema column),
``ignore`` (extract columns deliberately not read), ``codes`` (per schema column,
the extract's value -> schema code) and ``code_lists`` (codes the provider adds,
each with label, group and source). `mapping_report()` reads a file with a mapping
and summarises, in one report, the columns that are mapped, unmapped or missing
and every value outside the code lists with its count — what
``lvrn validate ed FILE --mapping MAPPING.yml`` prints. The project's own earlier
layout is read through ``reference/ed/mapping_v1_layout.yml`` (`legacy_mapping()`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from lvrn_analysis._resources import reference_file
from lvrn_analysis.sources.reading import (
    SourceInput,
    looks_scientific,
    normalise_header,
    read_csv_table,
    read_input,
)
from lvrn_analysis.sources.validation import SourceError

__all__ = [
    "UNMAPPED",
    "EdMapping",
    "MappingReport",
    "aliases",
    "apply_codes",
    "code_list",
    "codes_with",
    "is_legacy_header",
    "legacy_mapping",
    "load_mapping",
    "mapping_for",
    "mapping_report",
    "normalise_values",
    "schema_columns",
]

#: Group given to a value of an *open* code list that is not in the list.
UNMAPPED = "unmapped"
_CODE_COLS = ("field", "code", "label", "group", "code_system", "verified", "source")


@functools.cache
def _ref(name: str) -> pd.DataFrame:
    with reference_file(f"ed/{name}").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def schema_columns() -> pd.DataFrame:
    """Return the schema columns (``reference/ed/ed_columns.csv``).

    Returns
    -------
    pandas.DataFrame
        ``column`` (schema name), ``file_column`` (name in the standard layout;
        blank for an alternative input column such as a combined date-time),
        ``standard`` (ECDS, ISTV, SUS derived or project), ``data_item``,
        ``required`` (yes/no), ``code_list`` (closed, open or blank), ``aliases``
        (``|``-separated), ``verified`` (yes, partly, no) and ``source``.
    """
    return _ref("ed_columns.csv").copy()


def code_list(field: str | None = None) -> pd.DataFrame:
    """Return the shipped ED code lists (all fields, or one).

    Returns
    -------
    pandas.DataFrame
        ``field``, ``code``, ``label``, ``group``, ``code_system``, ``verified``
        and ``source`` (see the module docstring).
    """
    df = _ref("ed_codes.csv").copy()
    return df if field is None else df[df["field"] == field].reset_index(drop=True)


@dataclass(frozen=True)
class EdMapping:
    """A provider's mapping of its extract onto the ED schema.

    Attributes
    ----------
    name
        What the mapping is for.
    path
        The YAML file (``""`` for an empty mapping).
    columns
        Extract column -> schema column.
    ignore
        Extract columns deliberately not read.
    codes
        Schema column -> {extract value: schema code}.
    extra_codes
        Codes the provider adds to the shipped lists (columns of `code_list()`).
    """

    name: str = "no mapping"
    path: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    extra_codes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: pd.Series([], dtype="str")
                                              for c in _CODE_COLS}))


def _resolve(name: str, where: str, label: str) -> str:
    """Return the schema column named ``name`` (schema or file-column spelling)."""
    cols = schema_columns()
    key = normalise_header(name)
    for _, r in cols.iterrows():
        if key in (normalise_header(r["column"]), normalise_header(r["file_column"])):
            return str(r["column"])
    raise SourceError(label, f"{where}: {name!r} is not a column of the ED schema; use one "
                             "of: " + ", ".join(cols["column"]))


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def load_mapping(path: SourceInput) -> EdMapping:
    """Read a provider mapping (YAML; see ``reference/ed/mapping_example.yml``).

    Raises
    ------
    SourceError
        If the file cannot be read, is not YAML, has an unknown key, or names a
        column that is not in the schema.
    """
    data, label = read_input(path)
    try:
        raw = yaml.safe_load(data.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(label, f"is not a valid YAML mapping ({exc})") from exc
    if not isinstance(raw, dict):
        raise SourceError(label, "a mapping file holds keys name, columns, ignore, codes, "
                                 "code_lists")
    unknown = set(raw) - {"name", "columns", "ignore", "codes", "code_lists"}
    if unknown:
        raise SourceError(label, f"unknown key(s) {sorted(unknown)}; a mapping file holds "
                                 "name, columns, ignore, codes, code_lists")
    columns = {_text(k): _resolve(_text(v), f"columns: {k}", label)
               for k, v in (raw.get("columns") or {}).items()}
    codes: dict[str, dict[str, str]] = {}
    for col, values in (raw.get("codes") or {}).items():
        target = _resolve(_text(col), "codes", label)
        if not isinstance(values, dict):
            raise SourceError(label, f"codes: {col}: expected 'local value: schema code' lines")
        codes[target] = {_text(k): _text(v) for k, v in values.items()}
    extra = []
    for col, rows in (raw.get("code_lists") or {}).items():
        target = _resolve(_text(col), "code_lists", label)
        for r in rows or []:
            if not isinstance(r, dict) or not {"code", "label", "group"} <= set(r):
                raise SourceError(label, f"code_lists: {col}: each entry needs code, label, "
                                         "group (and source)")
            extra.append({"field": target, "code": _text(r["code"]),
                          "label": _text(r["label"]), "group": _text(r["group"]),
                          "code_system": _text(r.get("code_system", "provider local code")),
                          "verified": "provider", "source": _text(r.get("source", label))})
    extra_df = (pd.DataFrame(extra, columns=list(_CODE_COLS)).astype("str") if extra
                else EdMapping().extra_codes)
    return EdMapping(name=_text(raw.get("name")) or Path(label).name, path=label,
                     columns=columns, ignore=tuple(_text(c) for c in raw.get("ignore") or ()),
                     codes=codes, extra_codes=extra_df)


@functools.cache
def legacy_mapping() -> EdMapping:
    """Return the mapping of the project's v1 layout (``reference/ed/mapping_v1_layout.yml``)."""
    return load_mapping(reference_file("ed/mapping_v1_layout.yml"))


def is_legacy_header(header: list[str]) -> bool:
    """Return True for the project's v1 layout (``ed_site`` and ``arrival_datetime``)."""
    h = {normalise_header(c) for c in header}
    return "ed_site" in h and "arrival_datetime" in h


def mapping_for(path: SourceInput) -> Path | None:
    """Return the mapping file that sits beside an extract, if any.

    ``<name>.mapping.yml`` (``trust.csv`` -> ``trust.mapping.yml``) wins over a
    ``mapping.yml`` for every extract of the folder.
    """
    if not isinstance(path, str | Path):
        return None
    p = Path(path)
    for cand in (p.with_name(p.name.split(".")[0] + ".mapping.yml"),
                 p.with_name("mapping.yml")):
        if cand.is_file():
            return cand
    return None


def aliases(mapping: EdMapping | None = None) -> dict[str, tuple[str, ...]]:
    """Return schema column -> accepted header spellings (file column, aliases, mapping)."""
    out: dict[str, list[str]] = {}
    for _, r in schema_columns().iterrows():
        names = [r["file_column"]] if r["file_column"] else []
        names += [a for a in r["aliases"].split("|") if a]
        out[str(r["column"])] = names
    for ext, col in (mapping.columns.items() if mapping else ()):
        out[col].append(ext)
    return {k: tuple(v) for k, v in out.items()}


def codes_with(mapping: EdMapping | None = None) -> pd.DataFrame:
    """Return the shipped code lists plus the mapping's own codes."""
    base = code_list()
    if mapping is None or mapping.extra_codes.empty:
        return base
    return pd.concat([base, mapping.extra_codes], ignore_index=True).drop_duplicates(
        ["field", "code"], keep="first").reset_index(drop=True)


_FLAGS = {"YES": "Y", "NO": "N", "UNKNOWN": "U", "NOT RECORDED": "U", "": "U"}


def normalise_values(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise the case of sex and the alcohol/drug flags (in place; returns ``df``)."""
    if "sex" in df:
        df["sex"] = df["sex"].str.upper()
    for col in ("alcohol_involved", "drugs_involved"):
        if col in df:
            v = df[col].str.upper()
            df[col] = v.where(~v.isin(list(_FLAGS)), v.map(_FLAGS))
    return df


def apply_codes(df: pd.DataFrame, mapping: EdMapping | None) -> dict[str, int]:
    """Recode the mapping's local values to schema codes (in place).

    Returns
    -------
    dict
        Schema column -> number of values recoded.
    """
    done: dict[str, int] = {}
    for col, table in (mapping.codes.items() if mapping else ()):
        if col not in df or not table:
            continue
        hit = df[col].isin(list(table))
        if hit.any():
            df.loc[hit, col] = df.loc[hit, col].map(table)
            done[col] = int(hit.sum())
    return done


@dataclass
class MappingReport:
    """What `mapping_report()` found.

    Attributes
    ----------
    file, mapping
        File label and mapping name.
    rows
        Data records read.
    columns
        ``header`` (as in the file), ``schema_column`` (blank if unmapped),
        ``how`` (standard name, alias, mapping, ignored, unmapped), ``non_blank``.
    missing
        Schema columns the file lacks: ``schema_column``, ``file_column``, ``required``.
    unlisted
        Values outside the code lists: ``schema_column``, ``value``, ``rows``,
        ``effect`` (quarantined, or kept with group ``unmapped``).
    recoded
        Schema column -> values recoded by the mapping.
    """

    file: str
    mapping: str
    rows: int
    columns: pd.DataFrame
    missing: pd.DataFrame
    unlisted: pd.DataFrame
    recoded: dict[str, int]

    def text(self, top: int = 8) -> str:
        """Return the report as plain text (one summary, values by count)."""
        lines = [f"{self.file}: ED mapping report ({self.mapping}); {self.rows:,} record(s)"]
        c = self.columns
        for how in ("standard name", "alias", "mapping"):
            part = c[c["how"] == how]
            if len(part):
                lines.append(f"  mapped by {how} ({len(part)}): " + ", ".join(
                    f"{h}->{s}" if h != s else h for h, s in zip(part["header"],
                                                                 part["schema_column"],
                                                                 strict=True)))
        for how in ("ignored", "unmapped"):
            part = c[c["how"] == how]
            if len(part):
                lines.append(f"  {how} column(s) ({len(part)}): " + ", ".join(
                    f"{h} ({n:,} non-blank)" for h, n in zip(part["header"],
                                                             part["non_blank"], strict=True)))
        if len(self.missing):
            req = self.missing[self.missing["required"] == "yes"]
            lines.append("  schema column(s) absent (read as blank): "
                         + ", ".join(self.missing["schema_column"]))
            if len(req):
                lines.append("  REQUIRED column(s) absent: " + ", ".join(
                    f"{s} (e.g. {f})" for s, f in zip(req["schema_column"], req["file_column"],
                                                      strict=True)))
        for col, n in self.recoded.items():
            lines.append(f"  {col}: {n:,} value(s) recoded by the mapping")
        if self.unlisted.empty:
            lines.append("  every coded value is in the code lists")
        for (col, effect), g in self.unlisted.groupby(["schema_column", "effect"], sort=False):
            shown = ", ".join(f"{v!r} ({n:,})" for v, n in zip(g["value"].head(top),
                                                               g["rows"].head(top),
                                                               strict=True))
            more = f" and {len(g) - top} more" if len(g) > top else ""
            lines.append(f"  {col}: {int(g['rows'].sum()):,} row(s) with {len(g)} value(s) "
                         f"not in the code list, {effect}: {shown}{more}")
        return "\n".join(lines)


def mapping_report(path: SourceInput, mapping: EdMapping | SourceInput | None = None
                   ) -> MappingReport:
    """Summarise how an ED extract maps onto the schema, before loading it.

    Parameters
    ----------
    path
        The extract (CSV).
    mapping
        A mapping, the path of a mapping file, or None (the mapping beside the
        file, else the v1 layout's for a v1 header, else none).

    Returns
    -------
    MappingReport
        Every column mapped, ignored, unmapped or missing, and every value outside
        the code lists with its count — one summary instead of a quarantined row
        per value.

    Raises
    ------
    SourceError
        If the file or the mapping cannot be read at all.
    """
    data, label = read_input(path)
    if mapping is not None and not isinstance(mapping, EdMapping):
        mapping = load_mapping(mapping)
    if mapping is None and (found := mapping_for(path)) is not None:
        mapping = load_mapping(found)
    table = read_csv_table(data, label, aliases=aliases(mapping), required=())
    if mapping is None and is_legacy_header(table.header):
        mapping = legacy_mapping()
    if mapping is not None and table.header:
        table = read_csv_table(data, label, aliases=aliases(mapping), required=())
    cols = schema_columns()
    std = {normalise_header(f): c for c, f in zip(cols["column"], cols["file_column"],
                                                   strict=True) if f}
    ext = {normalise_header(k) for k in (mapping.columns if mapping else {})}
    ign = {normalise_header(k) for k in (mapping.ignore if mapping else ())}
    rec = table.records
    rows = []
    for h, c in zip(table.header, table.columns, strict=True):
        k = normalise_header(h)
        if c is None:
            how = "ignored" if k in ign else "unmapped"
        else:
            how = ("mapping" if k in ext else "standard name" if std.get(k) == c
                   else "alias")
        rows.append({"header": h.strip(), "schema_column": c or "", "how": how,
                     "non_blank": 0})
    columns = pd.DataFrame(rows, columns=["header", "schema_column", "how", "non_blank"])
    try:
        raw = read_csv_table(data, label, aliases={h.strip(): () for h in table.header
                                                   if h.strip()}, required=()).records
    except SourceError:  # two header cells that differ only in case or spacing
        raw = None
    if raw is not None:
        for i, h in enumerate(table.header):
            if h.strip() in raw.columns:
                columns.loc[i, "non_blank"] = int((raw[h.strip()].str.strip() != "").sum())
    present = set(c for c in table.columns if c)
    absent = cols[~cols["column"].isin(present) & (cols["file_column"] != "")]
    missing = pd.DataFrame({"schema_column": absent["column"],
                            "file_column": absent["file_column"],
                            "required": absent["required"]}).reset_index(drop=True)
    arrival = {"arrival_date", "arrival_datetime"} & present
    if not arrival:
        missing.loc[missing["schema_column"] == "arrival_date", "required"] = "yes"
    df = rec.copy()
    for c in df.columns.drop("row"):
        df[c] = df[c].str.strip()
    normalise_values(df)
    recoded = apply_codes(df, mapping)
    codes = codes_with(mapping)
    out = []
    for _, r in cols[cols["code_list"] != ""].iterrows():
        col = str(r["column"])
        if col not in df:
            continue
        v = df[col]
        bad = (v != "") & ~v.isin(set(codes.loc[codes["field"] == col, "code"]))
        if r["column"] == "sex":
            bad |= v == ""
        for val, n in v[bad].value_counts().items():
            effect = ("quarantined (Excel scientific notation)" if looks_scientific(
                pd.Series([val])).iloc[0] else "quarantined" if r["code_list"] == "closed"
                else f"kept with group '{UNMAPPED}'")
            out.append({"schema_column": col, "value": str(val), "rows": int(n),
                        "effect": effect})
    values = pd.DataFrame(out, columns=["schema_column", "value", "rows", "effect"])
    return MappingReport(file=label, mapping=mapping.name if mapping else "no mapping",
                         rows=int(table.rows_in), columns=columns, missing=missing,
                         unlisted=values, recoded=recoded)
