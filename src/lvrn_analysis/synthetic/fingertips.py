"""Synthetic twin of a Fingertips indicator export.

`synthesize()` writes ``indicators-DistrictUA.data.csv`` in the real 26-column
layout read by `lvrn_analysis.sources.fingertips` (its `HEADER_26`), with a known
association structure (`ASSOCIATION`), and returns its ground truth. The
confidence limits of the written values follow PHEindicatormethods
(`byars_ci()`, `wilson_ci()`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.fingertips import HEADER_26, SOURCE, curated_indicators
from lvrn_analysis.synthetic.common import fmt_float, rng, write_csv

# ----------------------------------------------------------------- interval methods


def byars_ci(count: np.ndarray, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Return Byars' (exact for counts < 10) confidence limits of a Poisson count.

    Formulas as in PHEindicatormethods (``utils.R``): exact chi-squared below 10,
    Byars' approximation otherwise.
    """
    from scipy import stats  # here, not at import: the build never needs SciPy

    x = np.asarray(count, dtype=float)
    conf = 2 * stats.norm.cdf(z) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_b = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        hi_b = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
        lo_e = stats.chi2.ppf((1 - conf) / 2, 2 * x) / 2
        hi_e = stats.chi2.ppf(conf + (1 - conf) / 2, 2 * x + 2) / 2
    lo = np.where(x < 10, np.nan_to_num(lo_e, nan=0.0), np.maximum(lo_b, 0.0))
    hi = np.where(x < 10, hi_e, hi_b)
    return lo, hi


def wilson_ci(x: np.ndarray, n: np.ndarray, z: float = 1.959963984540054
              ) -> tuple[np.ndarray, np.ndarray]:
    """Return Wilson score limits of the proportion x/n (PHEindicatormethods form)."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    return (2 * x + z**2 - root) / (2 * (n + z**2)), (2 * x + z**2 + root) / (2 * (n + z**2))


# ------------------------------------------------------------------------ the export

#: Coefficients of the synthetic association structure (recorded in ground truth).
ASSOCIATION = {
    "neet": {"a": 5.5, "b_imd": 1.2, "sd_area": 0.35, "sd_year": 0.25},
    "low_income": {"a": 16.0, "b_imd": 4.5, "sd_area": 1.0, "sd_year": 0.6},
    "attainment8": {"a": 46.5, "b_imd": -2.4, "sd_area": 0.8, "sd_year": 0.5},
    "violence_offences": {"a": math.log(30.0), "b_imd": 0.22, "c_neet": 0.10,
                          "trend_per_year": 0.035, "covid_2020_21": -0.06, "sigma": 0.04},
    "violence_admissions": {"a": math.log(48.0), "b_imd": 0.35, "sigma": 0.06},
    "first_time_entrants": {"a": math.log(210.0), "b_imd": 0.30, "sigma": 0.10},
}

_FT_FILE = "indicators-DistrictUA.data.csv"


def _compare(lo: float, hi: float, ref: float, polarity: str) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi) and np.isfinite(ref)):
        return "Not compared"
    if lo <= ref <= hi:
        return "Similar"
    higher = lo > ref
    if polarity == "low_is_good":
        return "Worse" if higher else "Better"
    if polarity == "high_is_good":
        return "Better" if higher else "Worse"
    return "Higher" if higher else "Lower"


def synthesize(out_dir: Path, area: AreaConfig) -> list[dict]:
    """Write the synthetic Fingertips export for the area and return its ground truth.

    The file ``indicators-DistrictUA.data.csv`` is in the real 26-column format:
    England, the area's region and every configured authority, for indicators
    93553 (IMD 2019 score — the **real** published scores), 93203 (NEET),
    93701 (children in low income families), 93378 (Attainment 8), 11202
    (violence offences per 1,000), 11201 (hospital admissions for violence, three
    pooled financial years) and 10401 (first-time entrants), with deprivation-decile
    category rows for England, one suppressed value with a value note, and an
    embedded newline in one indicator name (a real quirk).

    Association structure (per authority *i*, period *t*; ``z_imd`` is the IMD 2019
    average score standardised across the area's authorities, so the real IMD
    ranks from `lvrn_analysis.config.geography.imd2019()` drive it)::

        NEET_it          = a_n + b_n·z_imd_i + u_i + e_it                (%)
        log violence_it  = a + b·z_imd_i + c·z_neet_i + trend·(t-2016)
                           + covid·[2020/21] + e_it                   (per 1,000)
        log admissions_i = a_h + b_h·z_imd_i + e_i            (per 100,000, DSR)

    where ``z_neet`` standardises the authority's mean synthetic NEET. The
    coefficients are in `ASSOCIATION` and in the returned records.

    Parameters
    ----------
    out_dir
        Folder to write into (created).
    area
        Area configuration (``synthetic_seed``).

    Returns
    -------
    list of dict
        Ground-truth records: ``{"source": "fingertips", "kind": "association", …}``
        per modelled indicator, ``"kind": "real_values"`` for 93553 and one
        ``"kind": "file"`` record.
    """
    from lvrn_analysis.config.geography import imd2019, local_authorities, populations

    g = rng(area, SOURCE)
    las = local_authorities(area)
    imd = imd2019(area).set_index("la_code").loc[las["la_code"]]
    pop_all = populations(area)
    pop = (pop_all[pop_all["mid_year"] == pop_all["mid_year"].min()]
           .set_index("la_code")["population"].reindex(las["la_code"]))
    codes = list(las["la_code"])
    names = dict(zip(las["la_code"], las["la_name"], strict=True))
    region_code = str(las["region_code"].iloc[0])
    region_name = str(las["region_name"].iloc[0]) + " region"
    score = imd["imd_score"].to_numpy(float)
    z_imd = (score - score.mean()) / score.std(ddof=0)
    zi = dict(zip(codes, z_imd, strict=True))
    cur = curated_indicators().set_index("indicator_id")
    rows: list[list[object]] = []
    truth: list[dict] = []
    years = list(range(int(area.synthetic_start[:4]), int(area.synthetic_end[:4])))

    def fy(y: int) -> str:
        return f"{y}/{str(y + 1)[2:]}"

    def emit(iid: int, area_code: str, tp: str, sortable: int, value: float, lo: float,
             hi: float, count: float | None, denom: float | None, *, name_suffix: str = "",
             note: str = "", cmp_eng: str = "Not compared", cmp_reg: str = "Not compared",
             cat_type: str = "", cat: str = "", new: str = "", age: str = "All ages") -> None:
        if area_code == "E92000001":
            pc, pn, an, at = "", "", "England", "Country"
        elif area_code == region_code:
            pc, pn, an, at = "E92000001", "England", region_name, "Region"
        else:
            pc, pn, an, at = region_code, region_name, names[area_code], "District & UA"
        rows.append([
            iid, str(cur.loc[iid, "name"]) + name_suffix, pc, pn, area_code, an, at,
            "Persons", age, cat_type, cat, tp, fmt_float(value), fmt_float(lo), fmt_float(hi),
            "", "", fmt_float(count, 0) if count is not None else "",
            fmt_float(denom, 0) if denom is not None else "", note, "", cmp_eng, cmp_reg,
            sortable, new, "",
        ])

    # --- 93553 IMD score (real values)
    eng_imd = 21.7
    for c in codes:
        emit(93553, c, "2019", 20190000, float(imd.loc[c, "imd_score"]), np.nan, np.nan,
             None, None, age="All ages")
    emit(93553, "E92000001", "2019", 20190000, eng_imd, np.nan, np.nan, None, None)
    truth.append({"source": SOURCE, "kind": "real_values", "indicator_id": 93553,
                  "description": "IMD 2019 average scores are the real published values "
                                 "(MHCLG File 10 via humaniverse/IMD); the England value "
                                 "21.7 is an approximate placeholder."})

    # --- 93203 NEET (%), calendar years
    p = ASSOCIATION["neet"]
    u = g.normal(0, p["sd_area"], len(codes))
    neet_mean = {}
    denom_1617 = {c: round(float(pop[c]) * 0.023) for c in codes}
    for t, y in enumerate(years):
        vals = []
        for j, c in enumerate(codes):
            pct = p["a"] + p["b_imd"] * zi[c] + u[j] + g.normal(0, p["sd_year"])
            n = denom_1617[c]
            x = round(max(pct, 0.5) / 100 * n)
            lo, hi = wilson_ci(np.array([x]), np.array([n]))
            vals.append((c, 100 * x / n, 100 * lo[0], 100 * hi[0], x, n))
            neet_mean.setdefault(c, []).append(100 * x / n)
        eng = 5.6 - 0.1 * t
        reg = 6.0 - 0.1 * t
        emit(93203, "E92000001", str(y), y * 10000, eng, eng - 0.05, eng + 0.05, None, None,
             age="16-17 yrs", new="New data" if t == len(years) - 1 else "")
        emit(93203, region_code, str(y), y * 10000, reg, reg - 0.15, reg + 0.15, None, None,
             age="16-17 yrs", cmp_eng=_compare(reg - 0.15, reg + 0.15, eng, "low_is_good"))
        for c, v, lo, hi, x, n in vals:
            emit(93203, c, str(y), y * 10000, v, lo, hi, x, n, age="16-17 yrs",
                 cmp_eng=_compare(lo, hi, eng, "low_is_good"),
                 cmp_reg=_compare(lo, hi, reg, "low_is_good"))
    nm = np.array([np.mean(neet_mean[c]) for c in codes])
    z_neet = (nm - nm.mean()) / nm.std(ddof=0)
    zn = dict(zip(codes, z_neet, strict=True))
    truth.append({"source": SOURCE, "kind": "association", "indicator_id": 93203,
                  "model": "value = a + b_imd*z_imd + u_area + e_year (percent)",
                  **{k: float(v) for k, v in p.items()},
                  "u_area": {c: float(x) for c, x in zip(codes, u, strict=True)}})

    # --- 93701 children in low income families (%), financial years
    p = ASSOCIATION["low_income"]
    u = g.normal(0, p["sd_area"], len(codes))
    for t, y in enumerate(years[:-1]):
        eng = 15.0 + 0.4 * t
        emit(93701, "E92000001", fy(y), y * 10000, eng, eng - 0.05, eng + 0.05, None, None,
             age="0-15 yrs")
        for j, c in enumerate(codes):
            n = round(float(pop[c]) * 0.185)
            pct = p["a"] + p["b_imd"] * zi[c] + u[j] + 0.4 * t + g.normal(0, p["sd_year"])
            x = round(max(pct, 1.0) / 100 * n)
            lo, hi = wilson_ci(np.array([x]), np.array([n]))
            emit(93701, c, fy(y), y * 10000, 100 * x / n, 100 * lo[0], 100 * hi[0], x, n,
                 age="0-15 yrs", cmp_eng=_compare(100 * lo[0], 100 * hi[0], eng,
                                                 "low_is_good"))
    truth.append({"source": SOURCE, "kind": "association", "indicator_id": 93701,
                  "model": "value = a + b_imd*z_imd + u_area + 0.4*(t) + e (percent)",
                  **{k: float(v) for k, v in p.items()}})

    # --- 93378 Attainment 8 (mean), academic years (no 2019/20, 2020/21 published)
    p = ASSOCIATION["attainment8"]
    u = g.normal(0, p["sd_area"], len(codes))
    for y in years:
        if y in (2019, 2020) or y + 1 > int(area.synthetic_end[:4]):
            continue
        eng = 46.5 if y < 2021 else 48.8
        emit(93378, "E92000001", fy(y), y * 10000, eng, eng - 0.05, eng + 0.05, None, None,
             age="15-16 yrs")
        for j, c in enumerate(codes):
            n = round(float(pop[c]) * 0.011)
            v = p["a"] + (eng - 46.5) + p["b_imd"] * zi[c] + u[j] + g.normal(0, p["sd_year"])
            half = 1.96 * 18.0 / math.sqrt(n)
            emit(93378, c, fy(y), y * 10000, round(v, 1), v - half, v + half, round(v * n), n,
                 age="15-16 yrs", cmp_eng=_compare(v - half, v + half, eng, "high_is_good"))
    truth.append({"source": SOURCE, "kind": "association", "indicator_id": 93378,
                  "model": "value = a + (England shift) + b_imd*z_imd + u_area + e",
                  **{k: float(v) for k, v in p.items()}})

    # --- 11202 violence offences per 1,000, financial years (+ England deciles)
    p = ASSOCIATION["violence_offences"]
    true_log: dict[str, dict[str, float]] = {}
    for t, y in enumerate(years[:-1]):
        covid = p["covid_2020_21"] if y == 2020 else 0.0
        eng = 22.0 * math.exp(p["trend_per_year"] * t + covid)
        reg = eng * 1.18
        suffix = "\n" if t == 0 else ""
        emit(11202, "E92000001", fy(y), y * 10000, eng, eng - 0.05, eng + 0.05, None, None,
             name_suffix=suffix)
        if t == len(years) - 2:
            deciles = ["Most deprived decile (IMD2019)", "Second most deprived decile (IMD2019)",
                       "Third more deprived decile (IMD2019)",
                       "Fourth more deprived decile (IMD2019)",
                       "Fifth more deprived decile (IMD2019)",
                       "Fifth less deprived decile (IMD2019)",
                       "Fourth less deprived decile (IMD2019)",
                       "Third less deprived decile (IMD2019)",
                       "Second least deprived decile (IMD2019)",
                       "Least deprived decile (IMD2019)"]
            for d, lab in enumerate(deciles):
                v = eng * math.exp(0.45 - 0.1 * d)
                emit(11202, "E92000001", fy(y), y * 10000, v, np.nan, np.nan, None, None,
                     cat_type="District & UA deprivation deciles in England (IMD2019)",
                     cat=lab, note="Aggregated from all known lower geography values")
        emit(11202, region_code, fy(y), y * 10000, reg, reg - 0.1, reg + 0.1, None, None,
             cmp_eng=_compare(reg - 0.1, reg + 0.1, eng, "low_is_good"))
        for c in codes:
            lv = (p["a"] + p["b_imd"] * zi[c] + p["c_neet"] * zn[c] + p["trend_per_year"] * t
                  + covid + g.normal(0, p["sigma"]))
            true_log.setdefault(c, {})[fy(y)] = lv
            n = float(pop[c])
            x = round(math.exp(lv) * n / 1000)
            lo, hi = byars_ci(np.array([x]))
            emit(11202, c, fy(y), y * 10000, x / n * 1000, lo[0] / n * 1000, hi[0] / n * 1000,
                 x, n, cmp_eng=_compare(lo[0] / n * 1000, hi[0] / n * 1000, eng, "low_is_good"),
                 cmp_reg=_compare(lo[0] / n * 1000, hi[0] / n * 1000, reg, "low_is_good"),
                 new="New data" if t == len(years) - 2 else "")
    truth.append({
        "source": SOURCE, "kind": "association", "indicator_id": 11202,
        "model": "log(value) = a + b_imd*z_imd + c_neet*z_neet + trend*(fy - first fy) "
                 "+ covid*[2020/21] + e, value per 1,000, e ~ N(0, sigma)",
        **{k: float(v) for k, v in p.items()},
        "z_imd": {c: float(zi[c]) for c in codes},
        "z_neet": {c: float(zn[c]) for c in codes},
        "z_definition": "z_imd: IMD 2019 average score standardised (population SD) across the "
                        "area's authorities; z_neet: authority mean of the synthetic NEET "
                        "values (indicator 93203) standardised the same way",
        "true_log_value": true_log,
    })

    # --- 11201 hospital admissions for violence, 3 pooled financial years (DSR)
    p = ASSOCIATION["violence_admissions"]
    for y in years[:-3]:
        tp = f"{fy(y)} - {fy(y + 2)[2:]}"
        eng = 44.0 - 1.0 * (y - years[0])
        emit(11201, "E92000001", tp, y * 10000, eng, eng - 0.4, eng + 0.4, None, None)
        for c in codes:
            n = float(pop[c]) * 3
            lv = p["a"] + p["b_imd"] * zi[c] - 0.02 * (y - years[0]) + g.normal(0, p["sigma"])
            x = round(math.exp(lv) * n / 100000)
            lo, hi = byars_ci(np.array([x]))
            emit(11201, c, tp, y * 10000, x / n * 1e5, lo[0] / n * 1e5, hi[0] / n * 1e5, x, n,
                 cmp_eng=_compare(lo[0] / n * 1e5, hi[0] / n * 1e5, eng, "low_is_good"))
    truth.append({"source": SOURCE, "kind": "association", "indicator_id": 11201,
                  "model": "log(value) = a + b_imd*z_imd - 0.02*(first year - 2016) + e "
                           "(per 100,000, three pooled years; counts over 3 x population)",
                  **{k: float(v) for k, v in p.items()}})

    # --- 10401 first-time entrants per 100,000 aged 10-17 (one suppressed value)
    p = ASSOCIATION["first_time_entrants"]
    smallest = min(codes, key=lambda c: float(pop[c]))
    for t, y in enumerate(years):
        eng = 230.0 * math.exp(-0.08 * t)
        emit(10401, "E92000001", str(y), y * 10000, eng, eng - 3, eng + 3, None, None,
             age="10-17 yrs")
        for c in codes:
            n = round(float(pop[c]) * 0.09)
            lv = p["a"] + p["b_imd"] * zi[c] - 0.08 * t + g.normal(0, p["sigma"])
            x = round(math.exp(lv) * n / 100000)
            if c == smallest and t == len(years) - 1:
                emit(10401, c, str(y), y * 10000, np.nan, np.nan, np.nan, None, n,
                     age="10-17 yrs",
                     note="Value suppressed for disclosure control due to small count")
                continue
            lo, hi = byars_ci(np.array([x]))
            emit(10401, c, str(y), y * 10000, x / n * 1e5, lo[0] / n * 1e5, hi[0] / n * 1e5, x,
                 n, age="10-17 yrs",
                 cmp_eng=_compare(lo[0] / n * 1e5, hi[0] / n * 1e5, eng, "low_is_good"))
    truth.append({"source": SOURCE, "kind": "association", "indicator_id": 10401,
                  "model": "log(value) = a + b_imd*z_imd - 0.08*t + e (per 100,000 aged 10-17)",
                  **{k: float(v) for k, v in p.items()},
                  "suppressed": {"area_code": smallest, "time_period": str(years[-1])}})

    out = Path(out_dir) / _FT_FILE
    write_csv(out, HEADER_26, rows, lineterminator="\r\n")
    truth.append({"source": SOURCE, "kind": "file", "file": _FT_FILE, "rows": len(rows),
                  "format": "Fingertips export, 26 columns, CRLF", "seed": area.synthetic_seed})
    return truth
