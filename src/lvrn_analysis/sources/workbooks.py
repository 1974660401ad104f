"""Spreadsheet workbooks (xlsx, ods): their cells as text.

`workbook_engine()` picks the pandas engine from a workbook's bytes,
`read_workbook()` gives every sheet's cell values, `workbook_head()` the first
rows of each sheet (for recognising a source), and `cell_text()` turns a cell
into the text a CSV would hold. Sources that read workbooks (crime tables, IMD)
find their header rows in these values and hand the rows on as CSV text to
`lvrn_analysis.sources.reading.read_csv_table()`.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pandas as pd

from lvrn_analysis.sources.validation import SourceError


def cell_text(v: object) -> tuple[str, bool]:
    """Return a spreadsheet cell as text, and whether it was stored as a number.

    Integer-valued floats lose their ``.0``; dates become ISO strings.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "", False
    if isinstance(v, bool):
        return str(v), False
    if isinstance(v, (int, np.integer)):
        return str(int(v)), True
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return (str(int(f)) if f.is_integer() else repr(f)), True
    if isinstance(v, pd.Timestamp):
        return v.isoformat(), False
    return str(v).strip(), False


def workbook_engine(data: bytes) -> str | None:
    """Return the pandas engine for a workbook's bytes.

    Returns ``"openpyxl"`` (xlsx), ``"odf"`` (ods), ``"bad"`` (a zip that is not a
    readable workbook) or ``None`` (not a zip: treat as text).
    """
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype"):
                return "odf"
            if "xl/workbook.xml" in names:
                return "openpyxl"
    except zipfile.BadZipFile:
        return "bad"
    return "bad"


def read_workbook(data: bytes, label: str, engine: str) -> dict[str, list[tuple]]:
    """Return every sheet's cell values as row tuples (openpyxl read-only for xlsx)."""
    try:
        if engine == "openpyxl":
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
            finally:
                wb.close()
        frames = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object,
                               engine=engine)
        return {str(k): [tuple(r) for r in v.to_numpy(dtype=object)] for k, v in frames.items()}
    except Exception as exc:  # noqa: BLE001 - any reader failure means an unusable file
        raise SourceError(label, f"workbook cannot be read ({type(exc).__name__}: {exc})") \
            from exc


def workbook_head(data: bytes, kind: str, n: int) -> list[str]:
    """Return the first ``n`` non-blank rows of each sheet, comma-joined (never raises)."""
    try:
        if kind == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = [list(ws.iter_rows(max_row=n, values_only=True))
                          for ws in wb.worksheets]
            finally:
                wb.close()
        else:
            frames = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object,
                                   engine="odf", nrows=n)
            sheets = [[tuple(r) for r in v.to_numpy(dtype=object)] for v in frames.values()]
    except Exception:  # noqa: BLE001 - detection only; the loader reports the problem
        return []
    return [",".join(cell_text(v)[0] for v in r) for rows in sheets for r in rows
            if any(cell_text(v)[0] for v in r)]
