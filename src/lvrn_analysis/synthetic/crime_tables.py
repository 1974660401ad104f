"""Synthetic twin of the Home Office CSP crime table (`lvrn_analysis.sources.crime_tables`).

`synthesize()` writes ``prc-csp-tables-synthetic.xlsx``, a workbook in the assumed
layout of the real table with the drift the reader must handle (sheet names and
header wording that change between years, title rows, ``Unassigned`` rows), from a
known Poisson model (`BASE_RATES`, `GENERATOR`), and returns its ground truth.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.crime_tables import (
    HEADER,
    SOURCE,
    csp_lookup,
    norm_force,
    offence_codes,
)
from lvrn_analysis.synthetic.common import rng, stable_zip, synthetic_months

#: Offences per 1,000 residents per year at IMD z = 0, by offence code (synthetic).
BASE_RATES: dict[str, float] = {
    "1": 0.008, "4.1": 0.003, "4.2": 0.0002, "4.10": 0.0001, "2": 0.02, "5D": 0.45,
    "5E": 0.25, "8N": 8.5, "8P": 0.12, "8S": 0.35, "19C": 0.62, "19D": 0.14, "19E": 0.10,
    "19F": 0.05, "19G": 0.03, "19H": 0.03, "34A": 0.06, "34B": 0.50, "29": 0.005,
    "29A": 0.02, "31": 0.002, "31A": 0.005, "10A": 0.01, "10B": 0.04, "10C": 0.12,
    "10D": 0.35, "81": 0.03, "90": 0.02, "105A": 9.5, "46": 6.5,
}
#: Other generator parameters (recorded in ground truth).
GENERATOR = {"imd_elasticity": 0.30, "seasonal_amplitude": 0.08,
             "lockdown_rate_ratio": {"lockdown1": 0.75, "lockdown2": 0.88, "lockdown3": 0.82},
             "unassigned_share": 0.004}

#: Sheet names and header variants by financial year (drift by design).
_SHEET_NAMES = ["2015_16", "2016_17", "2017-18", "2018-19", "FY 2019-20",
                "Year ending March 2021", "2021-22", "2022-23 (provisional)"]
_HEADERS = {
    "old": HEADER,
    "mid": ("Financial Year", "Financial Quarter", "Force Name", "Community Safety Partnership",
            "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code",
            "Offence Count"),
    "new": ("Financial Year", "Financial Quarter", "Police Force",
            "Community Safety Partnership", "Offence Description", "Offence Group",
            "Offence Subgroup", "Offence Code", "Offence Count"),
}
_CSP_FILE = "prc-csp-tables-synthetic.xlsx"


def synthesize(out_dir: Path, area: AreaConfig) -> list[dict]:
    """Write a synthetic CSP crime workbook for the area; return the ground truth.

    ``prc-csp-tables-synthetic.xlsx`` has a ``Notes`` sheet and one sheet per
    financial year covering the whole quarters inside ``synthetic_start`` …
    ``synthetic_end``; sheet names and header wording drift between years, one
    sheet has title rows above its header, financial years are written
    ``2016/17`` or ``2016-17``, and each quarter has a small ``Unassigned`` row.
    Zero counts are omitted, as in published tables. The bytes are stable.

    Model, per CSP *i*, quarter *t*, offence code *o*::

        N_ito ~ Poisson(rate_o / 4 · pop_i / 1000 · exp(b·z_imd_i)
                        · exp(A cos(2π(mid-month_t − 7)/12)) · Π_k RR_k^(lockdown share))

    Returns
    -------
    list of dict
        ``"kind": "generator"`` (rates, elasticity, lockdown ratios; no
        intervention effect is injected in this source) and ``"kind": "file"``.
    """
    import openpyxl

    from lvrn_analysis.config.geography import imd2019, local_authorities, populations
    from lvrn_analysis.config.periods import lockdown_fraction

    g = rng(area, SOURCE)
    las = local_authorities(area)
    look = csp_lookup()
    look = look[norm_force(look["force_name"]) == norm_force(area.force)]
    csp_by_la = dict(zip(look["la_code"], look["csp_name"], strict=True))
    # areas without CSP rows in the lookup: one CSP per authority, named after it
    for code, name in zip(las["la_code"], las["la_name"], strict=True):
        csp_by_la.setdefault(code, name)
    force_name = str(look["force_name"].iloc[0]) if len(look) else area.force
    pop_all = populations(area)
    pop = (pop_all[pop_all["mid_year"] == pop_all["mid_year"].min()]
           .set_index("la_code")["population"].reindex(las["la_code"]).astype(float))
    score = imd2019(area).set_index("la_code")["imd_score"].reindex(las["la_code"])
    z = (score - score.mean()) / score.std(ddof=0)
    ref = offence_codes().set_index("offence_code")

    months = synthetic_months(area)
    lf = lockdown_fraction(pd.Series(months))
    logm = np.zeros(len(months))
    for k_, rr in GENERATOR["lockdown_rate_ratio"].items():
        if k_ in lf:
            logm += lf[k_].to_numpy() * math.log(rr)
    mfac = pd.Series(np.exp(logm), index=months)
    # whole financial quarters inside the range
    qstarts = [m for m in months if m.month in (1, 4, 7, 10)
               and m + pd.DateOffset(months=2) <= months[-1]]
    by_fy: dict[int, list[list[object]]] = {}
    for qs in qstarts:
        fy0 = qs.year if qs.month >= 4 else qs.year - 1
        quarter = ((qs.month - 4) % 12) // 3 + 1
        qmonths = [qs + pd.DateOffset(months=i) for i in range(3)]
        lock = float(np.mean([mfac[m] for m in qmonths]))
        mid = qs.month + 1
        season = math.exp(GENERATOR["seasonal_amplitude"] * math.cos(2 * math.pi * (mid - 7) / 12))
        fy_label = f"{fy0}/{str(fy0 + 1)[2:]}" if fy0 % 2 == 0 else f"{fy0}-{str(fy0 + 1)[2:]}"
        rows = by_fy.setdefault(fy0, [])
        for la in las["la_code"]:
            for code, rate in BASE_RATES.items():
                mu = (rate / 4 * pop[la] / 1000 * math.exp(GENERATOR["imd_elasticity"] * z[la])
                      * season * lock)
                n = int(g.poisson(mu))
                if n == 0:
                    continue
                rows.append([fy_label, f"Q{quarter}", force_name, csp_by_la[la],
                             ref.loc[code, "offence_description"], ref.loc[code, "offence_group"],
                             ref.loc[code, "offence_subgroup"], code, n])
        for code in ("8N", "105A"):
            n = int(g.poisson(BASE_RATES[code] / 4 * pop.sum() / 1000
                              * GENERATOR["unassigned_share"] * lock))
            if n:
                rows.append([fy_label, f"Q{quarter}", force_name, "Unassigned",
                             ref.loc[code, "offence_description"], ref.loc[code, "offence_group"],
                             ref.loc[code, "offence_subgroup"], code, n])

    wb = openpyxl.Workbook(write_only=True)
    notes = wb.create_sheet("Notes")
    for line in ("Police recorded crime by Community Safety Partnership - SYNTHETIC",
                 "Generated by lvrn_analysis.synthetic.crime_tables.synthesize; all counts are "
                 "synthetic.",
                 "Layout: the Home Office's published police recorded crime by CSP tables."):
        notes.append([line])
    fys = sorted(by_fy)
    for n_sheet, fy0 in enumerate(fys):
        idx = min(max(fy0 - 2015, 0), len(_SHEET_NAMES) - 1)
        ws = wb.create_sheet(_SHEET_NAMES[idx])
        variant = "old" if fy0 < 2018 else ("mid" if fy0 < 2020 else "new")
        if n_sheet == len(fys) - 2:
            ws.append([f"Recorded crime by CSP, financial year {fy0}/{str(fy0 + 1)[2:]}"])
            ws.append([])
        ws.append(list(_HEADERS[variant]))
        for r in by_fy[fy0]:
            ws.append(r)
    wb.properties.creator = "lvrn_analysis (synthetic)"
    out = Path(out_dir) / _CSP_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    stable_zip(out)
    return [
        {"source": SOURCE, "kind": "generator",
         "model": "N ~ Poisson(rate/4 * pop/1000 * exp(b*z_imd) * season * lockdown), per CSP, "
                  "quarter and offence code; zero rows omitted",
         "base_rates_per_1000_per_year": dict(BASE_RATES),
         **{k_: (dict(v) if isinstance(v, dict) else v) for k_, v in GENERATOR.items()},
         "z_imd": {c: float(v) for c, v in z.items()},
         "injected_effects": [],
         "note": "no intervention effect is injected in the CSP table"},
        {"source": SOURCE, "kind": "file", "file": _CSP_FILE,
         "rows": int(sum(len(v) for v in by_fy.values())),
         "sheets": ["Notes"] + [_SHEET_NAMES[min(max(f - 2015, 0), len(_SHEET_NAMES) - 1)]
                                for f in fys],
         "format": "xlsx (openpyxl), fixed timestamps", "seed": area.synthetic_seed},
    ]
