"""One parser per kind of cell value: numbers, codes and dates.

Every source reads its cells with these, and adds only its own rules (its own
markers, its own ranges):

* `parse_numbers()` — thousands separators in their proper places only
  (``1,234,567.5``; ``0,123`` and ``12,34`` are refused, not guessed), a
  ``%`` sign where the column holds percentages, and the statistical
  suppression markers `SUPPRESSION_MARKERS` (``*``, ``-``, ``:``, ``x``, ``c``,
  ``..`` and the GSS bracketed forms) read as missing with the marker kept;
* `normalise_code()` — ONS, LSOA, ODS and similar codes: surrounding and inner
  spaces removed, upper case (``e01025473 `` → ``E01025473``);
* `parse_dates()` — ISO dates, ``DD-Mon-YYYY`` and numeric ``NN/NN/YYYY`` dates
  whose order is decided **from the file as a whole**: a value above 12 in the
  first position proves day/month, in the second month/day; a file with only
  ambiguous values is refused with a message, never read in a guessed order;
  rows that contradict the file's order are flagged, never swapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lvrn_analysis.sources.read_options import DATE_ORDERS, current
from lvrn_analysis.sources.validation import SourceError

#: Cells that mean "value withheld or not available" in official statistics.
SUPPRESSION_MARKERS: tuple[str, ...] = ("*", "-", "–", ":", "x", "c", "..", "[c]", "[x]",
                                        "[z]", "[u]", "[low]")
_GROUPED = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"


@dataclass
class Numbers:
    """Parsed numeric cells.

    Attributes
    ----------
    value
        Float values (NaN for blank, marked and bad cells).
    marker
        The marker as written (upper case) for marked cells, else ``""``.
    bad
        True where a non-blank cell is neither a number nor a marker.
    """

    value: pd.Series
    marker: pd.Series
    bad: pd.Series


def parse_numbers(
    s: pd.Series, *, thousands: bool = True, percent: str | None = None,
    markers: Iterable[str] | Mapping[str, str] = SUPPRESSION_MARKERS,
    blanks: Iterable[str] = ("",),
) -> Numbers:
    """Parse numeric cells.

    Parameters
    ----------
    s
        Cells (strings).
    thousands
        Accept comma thousands separators in their proper places (``12,345.6``).
    percent
        ``None``: a ``%`` sign makes the cell bad; ``"points"``: ``45%`` is 45
        (the column holds percentages 0–100); ``"fraction"``: ``45%`` is 0.45.
    markers
        Cells read as missing with their marker kept (compared case-insensitively);
        a mapping's keys are used.
    blanks
        Cells that mean "no value" (missing, not bad, no marker).

    Returns
    -------
    Numbers
    """
    if percent not in (None, "points", "fraction"):
        raise ValueError(f"percent must be None, 'points' or 'fraction', not {percent!r}")
    t = s.astype("str").str.strip()
    blank = t.isin(list(blanks)) | s.isna()
    up = t.str.upper()
    marks = {str(m).upper() for m in markers}
    marked = up.isin(marks) & ~blank
    todo = ~blank & ~marked
    scale = pd.Series(1.0, index=s.index)
    has_pct = todo & t.str.endswith("%")
    pct_bad = pd.Series(False, index=s.index)
    if has_pct.any():
        if percent is None:
            pct_bad = has_pct
        else:
            t = t.where(~has_pct, t.str.slice(0, -1).str.strip())
            if percent == "fraction":
                scale = scale.mask(has_pct, 0.01)
    if thousands:
        grouped = todo & t.str.contains(",", regex=False) & t.str.fullmatch(_GROUPED)
        t = t.where(~grouped.fillna(False), t.str.replace(",", "", regex=False))
    v = pd.to_numeric(t.where(todo & ~pct_bad), errors="coerce").astype("float64") * scale
    bad = (v.isna() & todo) | pct_bad
    v = v.where(~bad)
    return Numbers(value=v.astype("float64"),
                   marker=up.where(marked, "").astype("str"),
                   bad=bad.fillna(False).astype(bool))


def normalise_code(s: pd.Series) -> pd.Series:
    """Return codes with every space removed and letters in upper case.

    For ONS (``E01025473``), ODS (``RXL01``), CSP and similar codes, which never
    contain spaces and are written in capitals; a blank stays blank.
    """
    t = s.astype("str").str.replace(r"\s+", "", regex=True).str.upper()
    return t.where(s.notna(), "").astype("str")


# ------------------------------------------------------------------------- dates

_TIME = r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
_ISO = r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})" + _TIME + r"Z?"
_NUM = r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})" + _TIME
_NAMED = r"(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})[ ,-]*(?P<y>\d{4})" + _TIME
_FULL = ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december")
_MONTHS = {**{m[:3]: i for i, m in enumerate(_FULL, 1)}, **{m: i for i, m in enumerate(_FULL, 1)},
           "sept": 9}


@dataclass
class ParsedDates:
    """Parsed date (or date-time) cells.

    Attributes
    ----------
    value
        ``datetime64[ns]`` (NaT for blank and bad cells).
    bad
        True where a non-blank cell is not a valid date in an accepted form, or is
        written in the other order from the rest of the file.
    other_order
        True where the cell is valid only in the other order (a subset of ``bad``).
    order
        ``"DMY"``, ``"MDY"`` or ``None`` (no ``NN/NN/YYYY`` cell).
    notes
        Notes for the manifest (order decided, two-digit years, …).
    """

    value: pd.Series
    bad: pd.Series
    other_order: pd.Series
    order: str | None = None
    notes: list[str] = field(default_factory=list)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _build(y: pd.Series, m: pd.Series, d: pd.Series, hh: pd.Series, mm: pd.Series,
           ss: pd.Series) -> pd.Series:
    ok = y.notna() & m.notna() & d.notna() & hh.fillna(0).le(23) & mm.fillna(0).le(59) \
        & ss.fillna(0).le(59)
    parts = pd.DataFrame({"year": y, "month": m, "day": d, "hour": hh.fillna(0),
                          "minute": mm.fillna(0), "second": ss.fillna(0)}).where(ok)
    out = pd.Series(pd.NaT, index=y.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok], errors="coerce").astype("datetime64[ns]")
    return out


def parse_dates(
    s: pd.Series, *, label: str, column: str, rows: pd.Series | None = None,
    time: str = "optional", order: str | None = None, documented: str | None = None,
) -> ParsedDates:
    """Parse dates, deciding the order of ``NN/NN/YYYY`` dates from the whole column.

    Parameters
    ----------
    s
        Cells (strings; blank is missing, not bad).
    label, column
        File label and column name, for messages.
    rows
        Row numbers of the cells (for messages); default the position + 1.
    time
        ``"required"`` (a date without a time is bad), ``"optional"`` or ``"none"``
        (a time other than 00:00 is bad).
    order
        ``"DMY"`` or ``"MDY"`` to impose an order; default: the one set with
        `lvrn_analysis.sources.read_options.reading_options()`, else decided from
        the file.
    documented
        The order the source's documented layout prescribes (``"DMY"`` for a
        layout documented as ``DD/MM/YYYY``): used, with a note, when no date in
        the file shows the order. Without it such a file is refused.

    Returns
    -------
    ParsedDates

    Raises
    ------
    SourceError
        If the column holds ``NN/NN/YYYY`` dates but none of them shows the order
        (every day and month is 12 or less, and they differ).
    """
    t = s.astype("str").str.strip()
    blank = t.eq("") | s.isna()
    rows = rows if rows is not None else pd.Series(np.arange(1, len(s) + 1), index=s.index)
    iso = t.str.extract("^" + _ISO + "$")
    num = t.str.extract("^" + _NUM + "$")
    named = t.str.extract("^" + _NAMED + "$")
    notes: list[str] = []
    values = _build(_num(iso["y"]), _num(iso["m"]), _num(iso["d"]), _num(iso["H"]),
                    _num(iso["M"]), _num(iso["S"]))
    has_time = iso["H"].notna()
    mon = named["mon"].str.lower().map(_MONTHS)
    v = _build(_num(named["y"]), mon, _num(named["d"]), _num(named["H"]), _num(named["M"]),
               _num(named["S"]))
    values = values.where(values.notna(), v)
    has_time = has_time | named["H"].notna()
    is_num = num["a"].notna()
    other = pd.Series(False, index=s.index)
    decided: str | None = None
    if is_num.any():
        a, b = _num(num["a"]), _num(num["b"])
        y = _num(num["y"])
        short = is_num & num["y"].str.len().eq(2)
        if short.any():
            y = y.mask(short, y + np.where(y <= 68, 2000, 1900))
            notes.append(f"column {column!r}: {int(short.sum())} date(s) with a two-digit "
                         "year read as 1969-2068")
        dmy_ev = is_num & (a > 12) & (b <= 12)
        mdy_ev = is_num & (b > 12) & (a <= 12)
        decided = (order or current().date_order or "").upper() or None
        if decided is not None and decided not in DATE_ORDERS:
            raise ValueError(f"date order must be one of {DATE_ORDERS}, not {order!r}")
        if decided is None:
            n_dmy, n_mdy = int(dmy_ev.sum()), int(mdy_ev.sum())
            if n_dmy == 0 and n_mdy == 0:
                amb = is_num & (a != b)
                if amb.any() and documented:
                    decided = documented
                    notes.append(f"column {column!r}: {int(amb.sum())} date(s) could be "
                                 "day/month or month/day and none shows the order; read as "
                                 + ("DD/MM/YYYY" if documented == "DMY" else "MM/DD/YYYY")
                                 + " as the layout documents (if the file was written the "
                                 "other way, say so: lvrn validate --date-order)")
                elif amb.any():
                    i = amb.idxmax()
                    raise SourceError(
                        label, f"cannot tell whether the dates are day/month or month/day: no "
                        f"date has a day above 12 (e.g. {t[i]!r}); write the dates as "
                        "YYYY-MM-DD, or say the order (lvrn validate --date-order DMY or MDY)",
                        row=int(rows[i]), column=column)
                else:
                    decided = "DMY"
            else:
                decided = "MDY" if n_mdy > n_dmy else "DMY"
                ev = mdy_ev if decided == "MDY" else dmy_ev
                i = ev.idxmax()
                what = "month/day (US order)" if decided == "MDY" else "day/month"
                if n_dmy and n_mdy:
                    notes.append(f"column {column!r}: dates are written in both orders "
                                 f"({n_dmy} prove day/month, {n_mdy} month/day); read as "
                                 f"{what}, the others rejected; dates that could be either "
                                 "were read as " + what)
                elif decided == "MDY":
                    notes.append(f"column {column!r}: dates are written month/day (US order) "
                                 f"throughout (e.g. row {int(rows[i])}: {t[i]!r}); read as "
                                 "MM/DD/YYYY")
        day, month = (b, a) if decided == "MDY" else (a, b)
        v = _build(y.where(is_num), month.where(is_num), day.where(is_num), _num(num["H"]),
                   _num(num["M"]), _num(num["S"]))
        other = (mdy_ev if decided == "DMY" else dmy_ev) & v.isna()
        values = values.where(values.notna(), v)
        has_time = has_time | num["H"].notna()
    bad = values.isna() & ~blank
    if time == "required":
        bad |= ~blank & ~has_time
    elif time == "none":
        bad |= ~blank & has_time & (values.dt.hour.fillna(0).gt(0)
                                    | values.dt.minute.fillna(0).gt(0)
                                    | values.dt.second.fillna(0).gt(0))
    values = values.where(~bad)
    return ParsedDates(value=values.astype("datetime64[ns]"), bad=bad.astype(bool),
                       other_order=(other & bad).astype(bool), order=decided, notes=notes)
