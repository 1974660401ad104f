"""IMD 2019 values written in the real File 10 layout (`lvrn_analysis.sources.imd`).

IMD has no synthetic twin: the real values ship with the package. `write_file10_csv()`
writes them (or any kept frame of `lvrn_analysis.sources.imd.load_imd()`) in the layout of
MHCLG's File 10, so that the reader can be tested on that layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.sources.imd import FILE10_HEADER, default_inputs, load_imd
from lvrn_analysis.synthetic.common import write_csv


def write_file10_csv(path: Path, frame: pd.DataFrame | None = None) -> Path:
    """Write IMD values in the File 10 ``IMD``-sheet layout (trailing-space headers).

    Parameters
    ----------
    path
        Output CSV.
    frame
        Kept frame of `load_imd()`; by default the shipped real values.
        Columns File 10 has but the frame lacks (average rank, local concentration
        and their ranks) are written blank; the rank of average score is written
        from ``imd_rank``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if frame is None:
        from lvrn_analysis.config.areas import load_area

        lancs = load_area("lancashire")
        frame = load_imd(default_inputs(lancs)[0], lancs)[0].kept

    def f(x: object) -> str:
        if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
            return ""
        return str(x)

    rows = [[r.la_code, f(r.la_name), f(r.imd_average_rank), "", f(r.imd_score), f(r.imd_rank),
             f(r.proportion_most_deprived_10pct), "", f(r.extent), "",
             f(r.local_concentration), ""] for r in frame.itertuples(index=False)]
    return write_csv(Path(path), FILE10_HEADER, rows, lineterminator="\r\n")
