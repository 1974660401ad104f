"""Deterministic writing shared by the synthetic twins.

`rng()` derives a reproducible random generator from the area's
``synthetic_seed`` and the source name; `synthetic_months()` gives the twins'
month range; `fmt_float()` and `write_csv()` write records with fixed rounding and
a fixed line terminator so that the same seed gives byte-identical files;
`stable_zip()` rewrites an xlsx/ods archive with fixed timestamps.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig


def rng(area: AreaConfig, source: str) -> np.random.Generator:
    """Return the generator of one source's synthetic twin.

    The stream depends only on ``area.synthetic_seed`` and the source name (CRC-32),
    so sources do not share random numbers and adding one does not shift another.
    """
    return np.random.default_rng([int(area.synthetic_seed), zlib.crc32(source.encode())])


def synthetic_months(area: AreaConfig) -> pd.DatetimeIndex:
    """Return the month starts from ``area.synthetic_start`` to ``synthetic_end``."""
    return pd.date_range(pd.Timestamp(area.synthetic_start + "-01"),
                         pd.Timestamp(area.synthetic_end + "-01"), freq="MS")


def fmt_float(x: float | None, digits: int = 6) -> str:
    """Format a float with fixed rounding for byte-stable output (blank for NaN)."""
    if x is None or not np.isfinite(x):
        return ""
    r = round(float(x), digits)
    s = repr(r)
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *,
    lineterminator: str = "\n", bom: bool = False, encoding: str = "utf-8",
) -> Path:
    r"""Write a CSV file deterministically.

    Parameters
    ----------
    path
        Output file (parent folders are created).
    header, rows
        Header cells and records (values are written with ``str``).
    lineterminator
        ``"\\r\\n"`` for files that come from Windows tools.
    bom
        Write a UTF-8 byte-order mark (as DfE files have).
    encoding
        Text encoding.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


#: Timestamp written into every synthetic archive member.
FIXED_ZIP_TIME = (2021, 6, 1, 0, 0, 0)


def stable_zip(path: Path) -> Path:
    """Rewrite a zip container (xlsx, ods) with fixed member timestamps.

    openpyxl stamps each archive member with the wall-clock time and overwrites the
    workbook's "modified" property on save, so two saves of the same workbook
    differ; rewriting the members in the same order with a fixed time, and the
    created/modified properties with a fixed date, makes the bytes depend on the
    content only.
    """
    with zipfile.ZipFile(path) as zin:
        members = [(i, zin.read(i.filename)) for i in zin.infolist()]
    fixed = "2021-06-01T00:00:00"
    patched = []
    for info, data in members:
        if info.filename in ("docProps/core.xml", "meta.xml"):
            text = data.decode("utf-8")
            text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                          rf"\g<1>{fixed}Z\g<2>", text)
            text = re.sub(r"(<(?:meta:creation-date|dc:date)>)[^<]*(</)", rf"\g<1>{fixed}\g<2>",
                          text)
            data = text.encode("utf-8")
        patched.append((info, data))
    members = patched
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for info, data in members:
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = info.compress_type
            zi.external_attr = 0o600 << 16
            zi.create_system = 0
            zout.writestr(zi, data)
    path.write_bytes(buf.getvalue())
    return path
