"""Programme monitoring figures: a cited table, loaded and validated like any source.

Format
------
``reference/programmes/programme_monitoring.csv`` (shipped, loaded by default) or
any CSV with the same header — for example a VRU's own monitoring returns::

    programme_id, programme, delivery_area, period_label, period_start, period_end,
    measure, breakdown, value, value_text, value_qualifier, unit, denominator,
    citation, source_text, note

One row per programme × period × measure × breakdown. Every shipped figure is
quoted from the LVRN evaluation report (June 2021) with a section citation and
a verbatim fragment (``source_text``); `check_against_report()` confirms each
fragment occurs in the report text. Discrepancies found in the report are listed
in ``reference/programmes/README.md``.

Cells are read with `lvrn_analysis.sources.values`: values may carry thousands
separators, and a ``%`` sign where the unit is ``percent``; period dates are ISO
(``YYYY-MM-DD``) or ``DD/MM/YYYY`` (``MM/DD/YYYY`` when the whole file shows
that order).

Validation reasons: ``bad_number`` (value not numeric, or blank without
``value_text`` for unit ``text``), ``negative_value``, ``bad_unit``,
``out_of_range`` (a percentage outside 0–100), ``percent_inconsistent`` (a
percentage that no whole count out of its denominator rounds to),
``count_exceeds_denominator``, ``bad_denominator``, ``bad_citation``,
``bad_date``, ``duplicate_key``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.reading import (
    RowChecker,
    SourceInput,
    finish,
    first_row_of,
    lazy,
    raw,
    read_csv_table,
    read_input,
    to_number,
)
from lvrn_analysis.sources.validation import LoadResult
from lvrn_analysis.sources.values import parse_dates

SOURCE = "programmes"

HEADER: tuple[str, ...] = (
    "programme_id", "programme", "delivery_area", "period_label", "period_start", "period_end",
    "measure", "breakdown", "value", "value_text", "value_qualifier", "unit", "denominator",
    "citation", "source_text", "note",
)
_REQUIRED = ("programme_id", "programme", "period_label", "measure", "value", "unit",
             "citation")
#: Allowed units.
UNITS = ("count", "percent", "hours per week", "years", "weeks", "million people",
         "GBP million", "text")
#: Allowed value qualifiers.
QUALIFIERS = ("", "at least", "around", "about", "between", "up to", "more than")
CITATION_PATTERN = r"LVRN evaluation report 2021, §\d+(\.\d+)*"

#: Output schema of the kept frame: column -> (dtype, description / allowed values).
SCHEMA: dict[str, tuple[str, str]] = {
    "programme_id": ("str", "short id, e.g. 'ed_navigators'"),
    "programme": ("str", "name"),
    "delivery_area": ("str", "where it was delivered"),
    "period_label": ("str", "period as worded in the source"),
    "period_start": ("datetime64[ns]", "missing for 'up to …' figures"),
    "period_end": ("datetime64[ns]", "last day covered"),
    "measure": ("str", "what is counted"),
    "breakdown": ("str", "'key=value; …' or missing for totals"),
    "value": ("float64", "the figure (missing for text facts)"),
    "value_text": ("str", "non-numeric facts, e.g. 'Monday'"),
    "value_qualifier": ("str", "'at least', 'around', 'about', 'between' or missing"),
    "unit": ("str", ", ".join(UNITS)),
    "denominator": ("Int64", "n of an 'x of n' figure or a percentage"),
    "citation": ("str", "'LVRN evaluation report 2021, §x.y'"),
    "section": ("str", "'x.y' taken from the citation"),
    "source_text": ("str", "verbatim fragment of the source"),
    "note": ("str", "caveats and discrepancies"),
    "file": ("str", "file label"),
    "row": ("int64", "data-row number"),
}


def sniff(first_line: str) -> bool:
    """Return True for a programme-monitoring header line."""
    s = first_line.lstrip("\ufeff").strip().lower().replace(" ", "")
    return s.startswith("programme_id,programme,")


def _round_half_up(x: float, nd: int = 1) -> float:
    f = 10 ** nd
    return math.floor(x * f + 0.5) / f


def load_programmes(path: SourceInput, area: AreaConfig) -> list[LoadResult]:
    """Load and validate a programme-monitoring table.

    Parameters
    ----------
    path
        CSV file or packaged resource.
    area
        Area configuration (not used for filtering: programme figures are the
        area's own; kept for the common loader signature).

    Returns
    -------
    list of LoadResult
        One result; ``kept`` follows `SCHEMA`, sorted by programme, period
        end, measure and breakdown.

    Raises
    ------
    SourceError
        Empty, HTML, undecodable or a required column missing.
    """
    data, label = read_input(path)
    aliases = {c: () for c in HEADER}
    table = read_csv_table(data, label, aliases=aliases, required=_REQUIRED,
                           expected_order=HEADER)
    df = table.records.copy()
    for c in HEADER:
        if c not in df.columns:
            df[c] = pd.Series("", index=df.index, dtype="str")
        df[c] = df[c].str.strip()
    chk = RowChecker(df, label)
    chk.add(table.broken)
    unit = df["unit"]
    chk.reject(~unit.isin(list(UNITS)), "bad_unit",
               lazy("column 'unit': ", unit, f" is not one of {', '.join(UNITS)}"))
    chk.reject(~df["value_qualifier"].isin(list(QUALIFIERS)), "bad_unit",
               lazy("column 'value_qualifier': ", df["value_qualifier"],
                    " is not a known qualifier"))
    pct = unit == "percent"
    val, bad = to_number(df["value"])
    pval, pbad = to_number(df["value"], percent="points")
    val, bad = val.where(~pct, pval), bad.where(~pct, pbad)
    is_text = unit == "text"
    chk.reject(~is_text & (bad | (df["value"] == "")), "bad_number",
               lazy("column 'value': ", df["value"], " is not a number (a % sign only with "
                    "unit 'percent')"))
    chk.reject(is_text & (df["value_text"] == ""), "bad_number",
               "unit 'text' needs value_text")
    chk.reject(val < 0, "negative_value", lazy("column 'value': ", df["value"],
                                               " is negative"))
    den, bad_d = to_number(df["denominator"])
    chk.reject(bad_d | (den.notna() & ((den <= 0) | (den != den.round()))), "bad_denominator",
               lazy("column 'denominator': ", df["denominator"],
                    " is not a positive whole number"))
    chk.reject(pct & ((val < 0) | (val > 100)), "out_of_range",
               lazy("percentage ", df["value"], " is outside 0–100"))
    incons = pd.Series(False, index=df.index)
    for i in df.index[pct & den.notna() & val.notna()]:
        n = int(den[i])
        ok = any(abs(_round_half_up(100 * k / n, 1) - val[i]) < 1e-9
                 or abs(round(100 * k / n) - val[i]) < 1e-9 for k in range(n + 1))
        incons[i] = not ok
    chk.reject(incons, "percent_inconsistent",
               lazy("percentage ", df["value"], " is not k/", raw(df["denominator"]),
                    " for any whole k (rounded to 1 decimal)"))
    chk.reject((unit == "count") & den.notna() & (val > den), "count_exceeds_denominator",
               lazy("count ", df["value"], " exceeds its denominator ", raw(df["denominator"])))
    chk.reject(~df["citation"].str.fullmatch(CITATION_PATTERN), "bad_citation",
               lazy("column 'citation': ", df["citation"],
                    " is not 'LVRN evaluation report 2021, §x.y'"))
    both = pd.concat([df["period_start"], df["period_end"]], ignore_index=True)
    parsed = parse_dates(both, label=label, column="period_start/period_end",
                         rows=pd.concat([df["row"], df["row"]], ignore_index=True), time="none")
    notes = list(table.notes) + parsed.notes
    starts = pd.Series(parsed.value.iloc[:len(df)].to_numpy(), index=df.index)
    ends = pd.Series(parsed.value.iloc[len(df):].to_numpy(), index=df.index)
    bad_date = pd.Series(parsed.bad.iloc[:len(df)].to_numpy() | parsed.bad.iloc[len(df):]
                         .to_numpy(), index=df.index)
    chk.reject(bad_date, "bad_date",
               lazy("period dates ", df["period_start"], " – ", df["period_end"],
                    " are not valid dates (YYYY-MM-DD)"))
    chk.reject(starts > ends, "bad_date",
               lazy("period_start ", df["period_start"], " is after period_end ",
                    df["period_end"]))
    key = ["programme_id", "period_label", "measure", "breakdown"]
    dup = df[key].duplicated(keep="first")
    if dup.any():
        chk.reject(dup, "duplicate_key",
                   lazy("the same programme, period, measure and breakdown appeared earlier "
                        "(row ", raw(first_row_of(df, key)), ")"))

    k = df.loc[chk.alive]
    idx = k.index
    out = pd.DataFrame(index=idx)
    for c in ("programme_id", "programme"):
        out[c] = k[c]
    na = lambda c: k[c].where(k[c] != "").astype("str")  # noqa: E731
    out["delivery_area"] = na("delivery_area")
    out["period_label"] = k["period_label"]
    out["period_start"] = starts.loc[idx].astype("datetime64[ns]")
    out["period_end"] = ends.loc[idx].astype("datetime64[ns]")
    out["measure"] = k["measure"]
    out["breakdown"] = na("breakdown")
    out["value"] = val.loc[idx].astype("float64")
    out["value_text"] = na("value_text")
    out["value_qualifier"] = na("value_qualifier")
    out["unit"] = k["unit"]
    out["denominator"] = den.loc[idx].round().astype("Int64")
    out["citation"] = k["citation"]
    out["section"] = k["citation"].str.extract(r"§([\d.]+)", expand=False).astype("str")
    out["source_text"] = na("source_text")
    out["note"] = na("note")
    out["file"] = label
    out["row"] = k["row"].astype("int64")
    out = out.sort_values(["programme_id", "period_end", "measure", "breakdown", "row"],
                          na_position="first", kind="stable")
    return [finish(SOURCE, table, out, chk.rejected(), notes=notes)]


#: The LVRN evaluation report's programme figures, shipped in the package.
LVRN_TABLE = "programmes/programme_monitoring.csv"
#: The same header with no rows: what an area without a programme table loads.
NO_PROGRAMMES = "programmes/no_programmes.csv"


def default_inputs(area: AreaConfig) -> list[SourceInput]:
    """Return the area's programme-monitoring table, loaded when ``data/raw/programmes/`` is empty.

    The area file's ``programmes`` key names it (`AreaConfig.programmes`): a path (read
    next to the area file when relative, e.g. a VRU's own monitoring returns) or a
    table shipped in the package (the LVRN's `LVRN_TABLE`, named by the Lancashire
    area). An area without the key loads `NO_PROGRAMMES` (the header, no rows), so the
    build writes an empty ``programme_monitoring`` table, and its Interventions page
    says that no programme data are loaded.

    Raises
    ------
    FileNotFoundError
        If ``programmes`` names a file that is neither a path nor shipped.
    """
    name = area.programmes
    if not name:
        return [reference_file(NO_PROGRAMMES)]
    p = Path(name)
    here = Path(area.source).parent if area.source and Path(area.source).is_file() else None
    for cand in ((p,) if p.is_absolute() else ((here / p,) if here is not None else ())):
        if cand.is_file():
            return [cand]
    try:
        return [reference_file(name)]
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{area.source or area.id}: programmes file {name!r} is neither a file "
            f"{'next to the area file ' if here is not None else ''}nor a table shipped in "
            "the package (reference/programmes/)") from exc


def processed_table(results: Iterable[LoadResult], area: AreaConfig) -> pd.DataFrame:
    """Concatenate kept frames (sorted by programme, period end, measure, breakdown)."""
    frames = [r.kept for r in results if not r.kept.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, (t, _) in SCHEMA.items()})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["programme_id", "period_end", "measure", "breakdown", "file", "row"],
                           na_position="first", kind="stable").reset_index(drop=True)


def _norm_text(s: str) -> str:
    s = s.replace("*", "").replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", s).strip().casefold()


def check_against_report(kept: pd.DataFrame, report_text: str) -> pd.DataFrame:
    """Check that each row's ``source_text`` occurs in the report and holds its value.

    Parameters
    ----------
    kept
        Kept frame of `load_programmes()`.
    report_text
        Full text of the report (markdown emphasis and curly quotes are ignored).

    Returns
    -------
    pandas.DataFrame
        ``programme_id``, ``measure``, ``breakdown``, ``found`` (fragment occurs),
        ``value_in_fragment`` (the value, written as digits or as a word for 1–12,
        occurs in the fragment; NA for text facts).
    """
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
             8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
    text = _norm_text(report_text)
    rows = []
    for r in kept.itertuples(index=False):
        frag = _norm_text(r.source_text) if isinstance(r.source_text, str) else ""
        found = bool(frag) and frag in text
        if pd.isna(r.value):
            inval: object = pd.NA
        else:
            v = float(r.value)
            forms = {f"{v:g}", f"{v:,.0f}" if v.is_integer() else f"{v:g}"}
            if v.is_integer() and int(v) in words:
                forms.add(words[int(v)])
            if v.is_integer() and int(v) == 2:
                forms.add("twice")
            inval = any(re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", frag) for f in forms)
        rows.append({"programme_id": r.programme_id, "measure": r.measure,
                     "breakdown": r.breakdown, "found": found, "value_in_fragment": inval})
    return pd.DataFrame(rows)
