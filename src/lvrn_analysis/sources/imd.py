"""English Indices of Deprivation 2019: local-authority district summaries.

Formats
-------
Two layouts of the same figures are read (columns matched by name):

* **MHCLG File 10** (``File_10_-_IoD2019_Local_Authority_District_Summaries__lower-tier__.xlsx``,
  sheet ``IMD``, or that sheet saved as CSV). Its headers carry **trailing
  spaces** (``"IMD - Average score "``) and a year in brackets::

      Local Authority District code (2019), Local Authority District name (2019),
      IMD - Average rank , IMD - Rank of average rank , IMD - Average score ,
      IMD - Rank of average score , IMD - Proportion of LSOAs in most deprived 10%
      nationally , IMD - Rank of proportion of LSOAs in most deprived 10% nationally ,
      IMD 2019 - Extent , IMD 2019 - Rank of extent , IMD 2019 - Local concentration ,
      IMD 2019 - Rank of local concentration

* **humaniverse/IMD** ``imd2019_england_ltla19`` (shipped in
  ``reference/geography/imd2019_ltla19.csv``): ``ltla19_code, Score, Proportion,
  Extent`` and domain scores, with ``rank_of_average_score_derived`` (a rank
  computed by this project from the 317 scores, 1 = most deprived).

The shipped real data are loaded by default (`default_inputs()`); there is no
synthetic twin because the real values are public and committed.

District codes are compared without spaces in upper case; numbers may carry
thousands separators (``15,123.5``).

Validation reasons: ``bad_la_code`` (not an English district code
E06/E07/E08/E09), ``bad_number``, ``out_of_range`` (score outside 0–100,
proportion or extent outside 0–1, rank outside 1–317), ``duplicate_la_code``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    cell_text,
    finish,
    first_row_of,
    lazy,
    normalise_header,
    raw,
    read_csv_table,
    read_input,
    read_workbook,
    to_number,
    workbook_engine,
)
from lvrn_analysis.sources.unpack import unpack
from lvrn_analysis.sources.validation import LoadResult, SourceError
from lvrn_analysis.sources.values import normalise_code

SOURCE = "imd"

#: File 10 ``IMD`` sheet header, verbatim (note the trailing spaces).
FILE10_HEADER: tuple[str, ...] = (
    "Local Authority District code (2019)", "Local Authority District name (2019)",
    "IMD - Average rank ", "IMD - Rank of average rank ", "IMD - Average score ",
    "IMD - Rank of average score ",
    "IMD - Proportion of LSOAs in most deprived 10% nationally ",
    "IMD - Rank of proportion of LSOAs in most deprived 10% nationally ",
    "IMD 2019 - Extent ", "IMD 2019 - Rank of extent ", "IMD 2019 - Local concentration ",
    "IMD 2019 - Rank of local concentration ",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "la_code": ("Local Authority District code (2019)", "Local Authority District code",
                "ltla19_code", "LAD19CD", "lad_code"),
    "la_name": ("Local Authority District name (2019)", "Local Authority District name",
                "LAD19NM", "area_name", "lad_name"),
    "imd_average_rank": ("IMD - Average rank", "IMD 2019 - Average rank"),
    "imd_rank_of_average_rank": ("IMD - Rank of average rank", "IMD 2019 - Rank of average rank"),
    "imd_score": ("IMD - Average score", "IMD 2019 - Average score", "Score"),
    "imd_rank_official": ("IMD - Rank of average score", "IMD 2019 - Rank of average score"),
    "imd_rank_derived": ("rank_of_average_score_derived",),
    "proportion_most_deprived_10pct": (
        "IMD - Proportion of LSOAs in most deprived 10% nationally",
        "IMD 2019 - Proportion of LSOAs in most deprived 10% nationally", "Proportion"),
    "rank_proportion": ("IMD - Rank of proportion of LSOAs in most deprived 10% nationally",
                        "IMD 2019 - Rank of proportion of LSOAs in most deprived 10% "
                        "nationally"),
    "extent": ("IMD 2019 - Extent", "IMD - Extent", "Extent"),
    "rank_extent": ("IMD 2019 - Rank of extent", "IMD - Rank of extent"),
    "local_concentration": ("IMD 2019 - Local concentration", "IMD - Local concentration"),
    "rank_local_concentration": ("IMD 2019 - Rank of local concentration",
                                 "IMD - Rank of local concentration"),
    "income_score": ("Income_Score",), "employment_score": ("Employment_Score",),
    "education_score": ("Education_Score",), "health_score": ("Health_Score",),
    "crime_score": ("Crime_Score",), "housing_score": ("Housing_and_Access_Score",),
    "environment_score": ("Environment_Score",),
    "crime_rank_derived": ("crime_rank_of_average_score_derived",),
}
_DISPLAY = {c: names[0] for c, names in _ALIASES.items() if names}
_REQUIRED = ("la_code", "imd_score")
_FLOATS = ("imd_score", "imd_average_rank", "proportion_most_deprived_10pct", "extent",
           "local_concentration", "income_score", "employment_score", "education_score",
           "health_score", "crime_score", "housing_score", "environment_score")
_RANKS = ("imd_rank_official", "imd_rank_derived", "imd_rank_of_average_rank", "rank_proportion",
          "rank_extent", "rank_local_concentration", "crime_rank_derived")
N_DISTRICTS = 317

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "la_code": ("str", "ONS 2019 district code (E06/E07/E08/E09 + 6 digits)"),
    "la_name": ("str", "name (from the file, else the reference geography; may be missing)"),
    "imd_score": ("float64", "IMD average score, 0–100 (higher = more deprived)"),
    "imd_rank": ("Int64", "rank of average score, 1 = most deprived of 317"),
    "imd_rank_source": ("str", "official | derived (humaniverse, from 317 scores) | "
                               "derived_within_file"),
    "imd_average_rank": ("float64", "IMD average rank (File 10 only)"),
    "proportion_most_deprived_10pct": ("float64", "share of LSOAs in the most deprived 10%"),
    "extent": ("float64", "extent, 0–1"),
    "local_concentration": ("float64", "local concentration (File 10 only)"),
    "income_score": ("float64", "domain score (humaniverse only)"),
    "employment_score": ("float64", "domain score"),
    "education_score": ("float64", "domain score"),
    "health_score": ("float64", "domain score"),
    "crime_score": ("float64", "domain score"),
    "housing_score": ("float64", "barriers to housing and services score"),
    "environment_score": ("float64", "living environment score"),
    "in_area": ("bool", "one of the configured authorities"),
    "file": ("str", "file label"),
    "row": ("int64", "data-row number (header excluded)"),
}


def sniff(first_line: str) -> bool:
    """Return True for a File 10 or humaniverse IMD header line."""
    s = normalise_header(first_line)
    return "imd - average score" in s or s.startswith("ltla19_code,score")


def _sheet_as_csv(data: bytes, label: str, engine: str) -> bytes:
    """Return the IMD sheet of a workbook as CSV bytes, starting at its header row."""
    sheets = read_workbook(data, label, engine)
    order = sorted(sheets, key=lambda n: (n.strip().upper() != "IMD", list(sheets).index(n)))
    want_code = {normalise_header(n) for n in _ALIASES["la_code"]}
    want_score = {normalise_header(n) for n in _ALIASES["imd_score"]}
    for name in order:
        rows = sheets[name]
        for i, r in enumerate(rows[:20]):
            cells = [normalise_header(cell_text(v)[0]) for v in r]
            if want_code & set(cells) and want_score & set(cells):
                buf = io.StringIO()
                w = csv.writer(buf, lineterminator="\n")
                for rr in rows[i:]:
                    w.writerow([cell_text(v)[0] for v in rr])
                return buf.getvalue().encode("utf-8")
    raise SourceError(label, "no sheet with an IMD header (district code and IMD average "
                             f"score); sheets: {', '.join(sheets)}")


def load_imd(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate an IMD 2019 district summary (CSV or the File 10 workbook).

    Parameters
    ----------
    path
        File or packaged resource.
    area
        Sets ``in_area``; all 317 districts are kept (they are the comparators).

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by ``la_code``.

    Raises
    ------
    SourceError
        Empty, HTML, missing district code or average score column, no IMD sheet.
    """
    data, label = read_input(path)
    engine = workbook_engine(data)
    unpacked: list[str] = []
    if engine == "bad":  # a zip that is no readable workbook: say which kind of file it is
        data, unpacked = unpack(data, label, reads_workbooks=True)
        engine = None
    if engine is not None:
        data = _sheet_as_csv(data, label, engine)
    table = read_csv_table(data, label, aliases=_ALIASES, required=_REQUIRED, display=_DISPLAY,
                           reads_workbooks=True)
    table.notes[:0] = unpacked
    if engine is not None:
        table.notes.append(f"read from a workbook ({engine})")
    trailing = [h for h in table.header if h != h.rstrip()]
    if trailing:
        table.notes.append(f"{len(trailing)} header(s) with trailing spaces matched "
                           "(as in MHCLG File 10)")
    df = table.records.copy()
    for c in _ALIASES:
        if c not in df.columns:
            df[c] = pd.Series("", index=df.index, dtype="str")
        df[c] = df[c].str.strip()
    chk = RowChecker(df, label)
    chk.add(table.broken)
    df["la_code"] = normalise_code(df["la_code"])
    code = df["la_code"]
    chk.reject(~code.str.fullmatch(r"E0[6-9]\d{6}"), "bad_la_code",
               lazy("column 'la_code': ", code, " is not an English district code "
                    "(E06/E07/E08/E09 and six digits)"))
    vals: dict[str, pd.Series] = {}
    for c in (*_FLOATS, *_RANKS):
        v, bad = to_number(df[c])
        vals[c] = v
        chk.reject(bad, "bad_number", lazy(f"column {c!r}: ", df[c], " is not a number"))
    chk.reject(df["imd_score"] == "", "bad_number", "column 'imd_score': blank")
    chk.reject((vals["imd_score"] < 0) | (vals["imd_score"] > 100), "out_of_range",
               lazy("IMD average score ", vals["imd_score"], " is outside 0–100"))
    for c in ("proportion_most_deprived_10pct", "extent"):
        chk.reject((vals[c] < 0) | (vals[c] > 1), "out_of_range",
                   lazy(f"column {c!r}: ", vals[c], " is outside 0–1"))
    for c in _RANKS:
        v = vals[c]
        chk.reject((v < 1) | (v > N_DISTRICTS) | (v.notna() & (v != v.round())), "out_of_range",
                   lazy(f"column {c!r}: ", v, f" is not a rank 1–{N_DISTRICTS}"))
    dup = code.duplicated(keep="first") & (code != "")
    if dup.any():
        chk.reject(dup, "duplicate_la_code",
                   lazy("district ", code, " appeared earlier (row ",
                        raw(first_row_of(df, ["la_code"])), ")"))

    k = df.loc[chk.alive]
    idx = k.index
    out = pd.DataFrame(index=idx)
    out["la_code"] = k["la_code"]
    from lvrn_analysis.config.geography import local_authorities

    ref_names = local_authorities().set_index("la_code")["la_name"]
    nm = k["la_name"].where(k["la_name"] != "")
    out["la_name"] = nm.fillna(out["la_code"].map(ref_names)).astype("str")
    out["imd_score"] = vals["imd_score"].loc[idx]
    notes = list(table.notes)
    if vals["imd_rank_official"].loc[idx].notna().any():
        out["imd_rank"] = vals["imd_rank_official"].loc[idx].round().astype("Int64")
        source = "official"
    elif vals["imd_rank_derived"].loc[idx].notna().any():
        out["imd_rank"] = vals["imd_rank_derived"].loc[idx].round().astype("Int64")
        source = "derived"
    else:
        out["imd_rank"] = (out["imd_score"].rank(ascending=False, method="min")
                           .round().astype("Int64"))
        source = "derived_within_file"
        if len(out) != N_DISTRICTS:
            notes.append(f"no rank column: rank derived among the {len(out)} districts in the "
                         f"file, not among all {N_DISTRICTS}")
    out["imd_rank_source"] = pd.Series(source, index=idx, dtype="str")
    for c in _FLOATS:
        if c != "imd_score":
            out[c] = vals[c].loc[idx].astype("float64")
    out["in_area"] = out["la_code"].isin(area.authorities)
    out["file"] = label
    out["row"] = k["row"].astype("int64")
    out = out[list(SCHEMA)].sort_values("la_code", kind="stable")
    missing = sorted(set(area.authorities) - set(out["la_code"]))
    if missing:
        notes.append(f"area authorities missing from the file: {', '.join(missing)}")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the shipped real IMD 2019 summary, loaded when ``data/raw/imd/`` is empty."""
    return [reference_file("geography/imd2019_ltla19.csv")]


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Return the kept rows of the (single) IMD input, sorted by district code.

    If several files are loaded, the last one wins for a district (later files are
    treated as corrections) and a district appears once.
    """
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates("la_code", keep="last")
    return out.sort_values("la_code", kind="stable").reset_index(drop=True)
