"""Synthetic twin of the TIIG-style ED assault attendances (`lvrn_analysis.sources.ed`).

`synthesize()` writes ``ed_assault_attendances.csv`` in the documented layout
(`lvrn_analysis.sources.ed.HEADER`): person-level rows whose monthly counts follow
a known generating model (`GENERATOR`), calibrated to published facts
(`CALIBRATION`: the LVRN report's Box 1 is reproduced exactly by construction),
with a navigator effect injected at the sites that have a go-live date. It
returns the ground truth. All rows are fictitious.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.ed import AGE_BANDS, HEADER, SOURCE, ed_sites, lsoa_lookup
from lvrn_analysis.synthetic.common import rng, synthetic_months, write_csv

#: Published facts the synthetic twin is calibrated to.
CALIBRATION = {
    "resident_attendances_per_month": 400.0,   # TIIG: 14,427 Apr 2013-Mar 2016 / 36
    "p_male": 0.656,                           # Box 1
    "p_age_18_30": 0.469,                      # Box 1
    "p_head_injury": 0.313,                    # Box 1
    "p_ambulance": 0.375,                      # Box 1
    "p_night": 0.406,                          # Box 1
    "p_alcohol_recorded": 0.70,
    "p_alcohol_if_recorded": 0.44,             # TIIG Lancashire: 44 % where recorded
    "p_drugs_recorded": 0.60,
    "p_drugs_if_recorded": 0.12,
}

#: Data-generating parameters of the monthly series (recorded in ground truth).
GENERATOR = {
    "imd_elasticity": 0.35,
    "seasonal_amplitude": 0.10,  # exp(A cos(2π(month-7)/12)), peak in July
    "trend_per_year": 0.01,
    "lockdown_rate_ratio": {"lockdown1": 0.62, "lockdown2": 0.85, "lockdown3": 0.75},
    "p_repeat": 0.15,
    "navigator_level_rate_ratio": 0.90,
    "navigator_repeat_ratio": 0.80,
    "burn_in_months": 12,
}

#: Pan-Lancashire mid-2019 population (ONS), the base of the TIIG calibration.
LANCASHIRE_POP_2019 = 1_508_941

_NONRES_LAS = ("E08000012", "E08000003", "E08000001", "E08000010", "E06000018", "E08000026")
_AGE_P = (("0-9", 0, 9, 0.02), ("10-17", 10, 17, 0.12), ("18-30", 18, 30, 0.469),
          ("31-45", 31, 45, 0.241), ("46-64", 46, 64, 0.12), ("65+", 65, 90, 0.03))
_COMPLAINT_P = {"82271004": 0.313, "125596004": 0.20, "125600009": 0.15, "127279002": 0.12,
                "125601008": 0.08, "283545005": 0.06, "418799008": 0.077}
_INJURY_P = {"125605004": 0.12, "312608009": 0.30, "125667009": 0.33, "62106007": 0.08,
             "13924000": 0.04, "262525000": 0.13}
_LOCATION_P = {"01": 0.30, "02": 0.35, "03": 0.15, "04": 0.04, "05": 0.02, "06": 0.08,
               "09": 0.06}
_WEAPON_P = {"01": 0.56, "02": 0.10, "03": 0.06, "04": 0.003, "05": 0.05, "06": 0.05,
             "09": 0.177}
_ARRIVAL_P = {"1048031000000100": 0.365, "1048051000000107": 0.01, "1048071000000103": 0.05,
              "1048081000000101": 0.52, "1048061000000105": 0.055}
_DISCHARGE_P = {"01": 0.76, "02": 0.15, "03": 0.02, "04": 0.065, "05": 0.0005, "06": 0.0045}
_REFERRAL_P = {"00": 0.70, "01": 0.08, "02": 0.10, "03": 0.03, "05": 0.05, "06": 0.03,
               "08": 0.01}
_WEEKDAY_W = np.array([0.13, 0.11, 0.11, 0.12, 0.15, 0.19, 0.19])

_ED_FILE = "ed_assault_attendances.csv"


def _catchment() -> pd.DataFrame:
    """Share of each authority's residents' attendances that go to each site (synthetic)."""
    with reference_file("ed/ed_catchment.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df["share"] = df["share"].astype(float)
    return df


def _choice(g: np.random.Generator, p: dict[str, float], n: int) -> np.ndarray:
    keys = list(p)
    w = np.array([p[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[g.choice(len(keys), size=n, p=w / w.sum())]


def _month_multipliers(months: pd.DatetimeIndex) -> np.ndarray:
    from lvrn_analysis.config.periods import lockdown_fraction

    lf = lockdown_fraction(pd.Series(months))
    logm = np.zeros(len(months))
    for k, rr in GENERATOR["lockdown_rate_ratio"].items():
        if k in lf:
            logm += lf[k].to_numpy() * math.log(rr)
    mon = months.month.to_numpy()
    season = GENERATOR["seasonal_amplitude"] * np.cos(2 * np.pi * (mon - 7) / 12)
    years = (months - pd.Timestamp("2016-01-01")).days.to_numpy() / 365.25
    return np.exp(logm + season + GENERATOR["trend_per_year"] * years)


def _arrivals(g: np.random.Generator, month: pd.Timestamp, n: int,
              night: np.ndarray | None = None, weekdays: np.ndarray | None = None
              ) -> np.ndarray:
    """Return ``n`` arrival timestamps (minute resolution) in ``month``."""
    days = pd.date_range(month, month + pd.offsets.MonthEnd(0), freq="D")
    if weekdays is None:
        w = _WEEKDAY_W[days.day_of_week]
        day = days[g.choice(len(days), size=n, p=w / w.sum())]
    else:
        day = []
        for wd in weekdays:
            cand = days[days.day_of_week == wd]
            day.append(cand[g.integers(len(cand))])
        day = pd.DatetimeIndex(day)
    if night is None:
        night = g.random(n) < CALIBRATION["p_night"]
    night_min = (22 * 60 + g.integers(0, 8 * 60, n)) % (24 * 60)
    day_min = 6 * 60 + g.integers(0, 16 * 60, n)
    minutes = np.where(night, night_min, day_min)
    return day.to_numpy().astype("datetime64[m]") + minutes.astype("timedelta64[m]")


def synthesize(out_dir: Path, area: AreaConfig) -> list[dict]:
    """Write synthetic ED assault attendances for the area; return the ground truth.

    Writes ``ed_assault_attendances.csv`` (the layout of `HEADER`, LF line
    endings) for ``area.synthetic_start`` … ``synthetic_end``.

    Generating model, per site *s* and month *t*::

        mu_st = sum_LA k·pop_LA·exp(b·z_imd_LA)·share(s, LA) / (1 - nonres_s)
                · exp(A cos(2π(m_t - 7)/12)) · exp(trend·years_t)
                · Π_k RR_k^(lockdown fraction_kt)           (COVID-19 lockdowns)
                · RR_level^[s is the navigator site and t >= go-live]
        N_st ~ Poisson(mu_st)

    ``k`` is calibrated so that residents' attendances at the area's EDs average
    400 a month at baseline (TIIG: 14,427 from April 2013 to March 2016), scaled by
    the area's population relative to pan-Lancashire (1,508,941 in mid-2019) for
    other areas.
    Person attributes follow Box 1's proportions and TIIG's 44 % alcohol
    involvement where recorded. Each attendance is a repeat (an earlier patient of
    the same site within the previous 11 whole months, so within 365 days) with
    probability ``p_repeat``, multiplied by ``navigator_repeat_ratio`` at the
    navigator site from go-live.

    **Box 1 by construction.** For the site and month flagged ``box1_month`` in
    ``ed_sites.csv`` (Blackpool Victoria, June 2020) the Poisson draw is replaced by
    exactly 32 attendances whose attributes are fixed quotas: 21 male / 11 female
    (65.6 %), 15 aged 18–30 (46.9 %), 10 head injuries (31.3 %, the largest
    complaint group), 12 by ambulance (37.5 %), 13 at night (40.6 %, 22:00–05:59),
    Monday 7 and every other weekday 4 or 5, alcohol 7, drugs 7, both 3 (read as
    4 alcohol only, 4 drugs only, 3 both), ED Navigator referral 29 and one each to
    the safeguarding team, an IDVA and the FCWA.

    Returns
    -------
    list of dict
        Ground-truth records: ``"kind": "injected_effect"`` (level and repeat
        effects at the navigator site, with start month and ratio),
        ``"kind": "calibration"`` (Box 1 forced cell, TIIG volume),
        ``"kind": "generator"`` (all parameters and the expected monthly counts per
        site) and ``"kind": "file"``.
    """
    from lvrn_analysis.config.geography import imd2019, local_authorities, populations

    g = rng(area, SOURCE)
    sites = ed_sites(area)
    if sites.empty:
        return [{"source": SOURCE, "kind": "skipped",
                 "reason": f"no ED sites configured for area {area.id!r} in "
                           "reference/ed/ed_sites.csv; no synthetic file written"}]
    catch = _catchment()
    catch = catch[catch["site_code"].isin(sites["site_code"])]
    las = local_authorities(area)
    pop_all = populations(area)
    pop = (pop_all[pop_all["mid_year"] == pop_all["mid_year"].min()]
           .set_index("la_code")["population"].reindex(las["la_code"]).astype(float))
    score = imd2019(area).set_index("la_code")["imd_score"].reindex(las["la_code"])
    z = (score - score.mean()) / score.std(ddof=0)
    weight = pop * np.exp(GENERATOR["imd_elasticity"] * z)
    site_codes = list(sites["site_code"])
    share = (catch.pivot_table(index="site_code", columns="la_code", values="share",
                               aggfunc="sum")
             .reindex(index=site_codes, columns=las["la_code"]).fillna(0.0))
    contrib = share * weight.to_numpy()[None, :]
    # TIIG's 400 a month is pan-Lancashire; other areas are scaled by population
    target = CALIBRATION["resident_attendances_per_month"] * float(pop.sum()) / LANCASHIRE_POP_2019
    k_scale = target / float(contrib.to_numpy().sum())
    contrib = contrib * k_scale
    nonres = sites.set_index("site_code")["non_resident_share"].reindex(site_codes)
    base = contrib.sum(axis=1) / (1 - nonres)

    out_months = synthetic_months(area)
    burn = GENERATOR["burn_in_months"]
    months = pd.date_range(out_months[0] - pd.DateOffset(months=burn), out_months[-1],
                           freq="MS")
    mult = _month_multipliers(months)
    nav = sites.set_index("site_code")
    # Box 1 calibration: scale the Box 1 site's catchment so that its expected count in
    # the Box 1 month is 32, then rescale the other sites to keep 400 residents a month.
    for s in site_codes:
        b1 = nav.loc[s, "box1_month"]
        if not b1:
            continue
        j = int(np.flatnonzero(months == pd.Timestamp(b1 + "-01"))[0])
        eff = (GENERATOR["navigator_level_rate_ratio"]
               if pd.notna(nav.loc[s, "navigator_go_live"])
               and months[j] >= nav.loc[s, "navigator_go_live"] else 1.0)
        f = 32.0 / (float(base[s]) * mult[j] * eff)
        contrib.loc[s] *= f
        others = [o for o in site_codes if o != s]
        if others:
            rest = float(contrib.loc[others].to_numpy().sum())
            want = target - float(contrib.loc[s].sum())
            contrib.loc[others] *= want / rest
        base = contrib.sum(axis=1) / (1 - nonres)
    mu = np.outer(base.to_numpy(), mult)
    p_rep = np.full(mu.shape, GENERATOR["p_repeat"])
    effects: list[dict] = []
    for i, s in enumerate(site_codes):
        go = nav.loc[s, "navigator_go_live"]
        if pd.notna(go):
            after = months >= go
            mu[i, after] *= GENERATOR["navigator_level_rate_ratio"]
            p_rep[i, after] *= GENERATOR["navigator_repeat_ratio"]
            effects.append({"site": s, "go_live": go})
    counts = g.poisson(mu)
    forced: tuple[int, int] | None = None
    for i, s in enumerate(site_codes):
        b1 = nav.loc[s, "box1_month"]
        if b1:
            j = int(np.flatnonzero(months == pd.Timestamp(b1 + "-01"))[0])
            forced = (i, j)
            counts[i, j] = 32

    lsoas = lsoa_lookup()
    lsoas = lsoas.sort_values(["la_code", "lsoa_code"]).reset_index(drop=True)
    lsoa_all = lsoas["lsoa_code"].to_numpy(dtype=object)
    lsoa_off = {la: int(grp.index[0]) for la, grp in lsoas.groupby("la_code")}
    lsoa_cnt = {la: len(grp) for la, grp in lsoas.groupby("la_code")}
    la_codes = np.asarray(las["la_code"], dtype=object)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in (
        "site", "arrival", "age", "birth", "sex", "lsoa", "la", "pid", "rep", "_forced",
        "f_complaint", "f_mode", "f_alc", "f_drg", "f_referral")}
    hist: dict[str, list[tuple[int, dict[str, np.ndarray]]]] = {s: [] for s in site_codes}
    next_pid = 0
    for j, month in enumerate(months):
        for i, s in enumerate(site_codes):
            n = int(counts[i, j])
            if n == 0:
                hist[s].append((j, {}))
                continue
            if forced == (i, j):
                rec = _box1_cell(g, month, n)
            else:
                rec = {"arrival": _arrivals(g, month, n)}
                band = g.choice(len(_AGE_P), size=n, p=[a[3] for a in _AGE_P])
                lo = np.array([_AGE_P[b][1] for b in band])
                hi = np.array([_AGE_P[b][2] for b in band])
                rec["age"] = lo + (g.random(n) * (hi - lo + 1)).astype(int)
                rec["sex"] = np.where(g.random(n) < CALIBRATION["p_male"], "1", "2").astype(object)
                rec["sex"][g.random(n) < 0.004] = "9"
            # residence
            w = np.append(contrib.loc[s].to_numpy(), base[s] * nonres[s])
            which = g.choice(len(w), size=n, p=w / w.sum())
            la = np.where(which < len(la_codes), la_codes[np.minimum(which, len(la_codes) - 1)],
                          np.asarray(_NONRES_LAS, dtype=object)[g.integers(0, len(_NONRES_LAS),
                                                                          n)])
            off = np.array([lsoa_off.get(x, -1) for x in la])
            cnt = np.array([lsoa_cnt.get(x, 1) for x in la])
            pick = off + (g.random(n) * cnt).astype(int)
            lsoa = np.where(off >= 0, lsoa_all[np.maximum(pick, 0)], "").astype(object)
            lsoa[g.random(n) < 0.01] = ""
            arrival = rec["arrival"]
            age = rec["age"].astype(int)
            sex = rec["sex"]
            offset = (age * 365.25 * 24 * 60).astype("int64") + g.integers(0, 364 * 24 * 60, n)
            birth = arrival - offset.astype("timedelta64[m]")
            pid = np.empty(n, dtype=object)
            rep = g.random(n) < p_rep[i, j]
            pool = [h for jj, h in hist[s][-11:] if h and jj >= j - 11]
            if pool:
                P = {key: np.concatenate([h[key] for h in pool]) for key in pool[0]}
            else:
                P = None
            for r in np.flatnonzero(rep):
                if P is None:
                    rep[r] = False
                    continue
                cand = np.arange(len(P["pid"]))
                if forced == (i, j):
                    # keep the Box 1 quotas: same sex, and the age stays in its band
                    age_now = ((arrival[r] - P["birth"]) / np.timedelta64(1, "D") // 365.25
                               ).astype(int)
                    blo, bhi = _band_of(age[r])
                    cand = cand[(P["sex"] == sex[r]) & (age_now >= blo) & (age_now <= bhi)]
                    if len(cand) == 0:
                        rep[r] = False
                        continue
                c = cand[g.integers(len(cand))]
                pid[r], sex[r], birth[r] = P["pid"][c], P["sex"][c], P["birth"][c]
                la[r], lsoa[r] = P["la"][c], P["lsoa"][c]
                age[r] = int((arrival[r] - birth[r]) / np.timedelta64(1, "D") // 365.25)
            new = ~rep
            pid[new] = [f"P{next_pid + q:07d}" for q in range(int(new.sum()))]
            next_pid += int(new.sum())
            cell = {"site": np.full(n, s, dtype=object), "arrival": arrival, "age": age,
                    "birth": birth, "sex": sex, "lsoa": lsoa, "la": la, "pid": pid,
                    "rep": rep}
            hist[s].append((j, cell))
            if month >= out_months[0]:
                for key in ("site", "arrival", "age", "birth", "sex", "lsoa", "la", "pid",
                            "rep"):
                    cols[key].append(cell[key])
                cols["_forced"].append(np.full(n, forced == (i, j)))
                for key in ("complaint", "mode", "alc", "drg", "referral"):
                    cols["f_" + key].append(rec.get(key, np.full(n, None, dtype=object)))
    data = {k: np.concatenate(v) for k, v in cols.items() if v}
    n = len(data["site"])
    forced_mask = data["_forced"]
    complaint = _choice(g, _COMPLAINT_P, n)
    mode = _choice(g, _ARRIVAL_P, n)
    alc_rec = g.random(n) < CALIBRATION["p_alcohol_recorded"]
    alc = np.where(alc_rec, np.where(g.random(n) < CALIBRATION["p_alcohol_if_recorded"], "Y",
                                     "N"), "U").astype(object)
    drg_rec = g.random(n) < CALIBRATION["p_drugs_recorded"]
    drg = np.where(drg_rec, np.where(g.random(n) < CALIBRATION["p_drugs_if_recorded"], "Y",
                                     "N"), "U").astype(object)
    referral = _choice(g, _REFERRAL_P, n)
    site_arr = data["site"]
    arrival = data["arrival"]
    for s, go in ((e["site"], e["go_live"]) for e in effects):
        m = (site_arr == s) & (arrival >= np.datetime64(go)) & (data["age"] >= 10) & (
            data["age"] <= 39)
        referral[m & (g.random(n) < 0.35)] = "04"
    for key, arr_ in (("complaint", complaint), ("mode", mode), ("alc", alc), ("drg", drg),
                      ("referral", referral)):
        f = data["f_" + key]
        arr_[forced_mask] = f[forced_mask]
    injury = _choice(g, _INJURY_P, n)
    location = _choice(g, _LOCATION_P, n)
    weapon = _choice(g, _WEAPON_P, n)
    injury[(weapon == "03") & (g.random(n) < 0.6)] = "13924000"
    discharge = _choice(g, _DISCHARGE_P, n)
    delay = g.exponential(90, n).astype(int) + 5
    incident = arrival - delay.astype("timedelta64[m]")
    no_incident = g.random(n) < 0.05
    order = np.lexsort((data["pid"].astype(str), arrival))
    codes_age = data["age"].astype(object)
    codes_age[(g.random(n) < 0.004) & ~forced_mask] = ""
    arr_s = _fmt_dt(arrival)
    inc_s = np.where(no_incident, "", _fmt_dt(incident))
    ids = np.array([f"A{q + 1:07d}" for q in range(n)], dtype=object)
    columns = [data["pid"], site_arr, arr_s, codes_age, data["sex"], data["lsoa"], data["la"],
               mode, complaint, injury, inc_s, location, weapon, alc, drg, referral, discharge]
    rows = zip(ids, *(np.asarray(c, dtype=object)[order] for c in columns), strict=True)
    path = Path(out_dir) / _ED_FILE
    write_csv(path, HEADER, rows, lineterminator="\n")

    # ground truth
    truth: list[dict] = []
    for e in effects:
        go = e["go_live"]
        truth.append({
            "source": SOURCE, "kind": "injected_effect", "series": "monthly attendances",
            "site": e["site"], "start": go.strftime("%Y-%m"), "effect_type": "level",
            "rate_ratio": GENERATOR["navigator_level_rate_ratio"],
            "description": "ED Navigator go-live: expected monthly assault attendances at the "
                           "site multiplied by rate_ratio from the start month (step change, "
                           "no slope change)",
        })
        truth.append({
            "source": SOURCE, "kind": "injected_effect", "series": "repeat attendance share",
            "site": e["site"], "start": go.strftime("%Y-%m"), "effect_type": "proportion",
            "before": GENERATOR["p_repeat"],
            "after": GENERATOR["p_repeat"] * GENERATOR["navigator_repeat_ratio"],
            "ratio": GENERATOR["navigator_repeat_ratio"],
            "definition": "share of the site's attendances whose patient_pseudo_id attended "
                          "the same site within the previous 365 days "
                          "(lvrn_analysis.sources.ed.flag_repeats)",
        })
    if forced is not None:
        truth.append({
            "source": SOURCE, "kind": "calibration", "fact": "LVRN report 2021 Box 1 (§5.2)",
            "site": site_codes[forced[0]], "month": months[forced[1]].strftime("%Y-%m"),
            "by_construction": True,
            "values": {"attendances": 32, "male": 21, "female": 11, "aged_18_30": 15,
                       "head_injury": 10, "ambulance": 12, "night": 13,
                       "weekday_counts": {"Monday": 7, "Tuesday": 5, "Wednesday": 4,
                                          "Thursday": 4, "Friday": 4, "Saturday": 4,
                                          "Sunday": 4},
                       "alcohol": 7, "drugs": 7, "both": 3, "navigator_referral": 29},
            "night_definition": "arrival 22:00-05:59",
        })
    truth.append({
        "source": SOURCE, "kind": "calibration", "fact": "TIIG Lancashire",
        "description": "residents' attendances at the area's EDs average "
                       f"{CALIBRATION['resident_attendances_per_month']:.0f} a month at baseline "
                       "(14,427 from April 2013 to March 2016); alcohol involved in 44% where "
                       "recorded",
        **{k: float(v) for k, v in CALIBRATION.items()},
    })
    exp_counts = {s: {m.strftime("%Y-%m"): round(float(mu[i, j]), 4)
                      for j, m in enumerate(months) if m >= out_months[0]}
                  for i, s in enumerate(site_codes)}
    truth.append({
        "source": SOURCE, "kind": "generator",
        "model": "N_st ~ Poisson(base_s * exp(A cos(2pi(month-7)/12) + trend*years "
                 "+ sum_k log(RR_k) * lockdown_fraction_k) * RR_level^[navigator])",
        **{k: (v if not isinstance(v, dict) else dict(v)) for k, v in GENERATOR.items()},
        "base_per_month": {s: round(float(base[s]), 4) for s in site_codes},
        "expected_counts": exp_counts,
    })
    truth.append({"source": SOURCE, "kind": "file", "file": _ED_FILE, "rows": int(n),
                  "person_level": True, "seed": area.synthetic_seed})
    return truth


def _band_of(age: int) -> tuple[int, int]:
    for lo, hi, _ in AGE_BANDS:
        if lo <= age <= hi:
            return lo, hi
    return 0, 120


def _fmt_dt(x: np.ndarray) -> np.ndarray:
    """Format datetime64 values as ``YYYY-MM-DD HH:MM`` strings."""
    return np.char.replace(np.datetime_as_string(x.astype("datetime64[m]"), unit="m"),
                           "T", " ").astype(object)


def _box1_cell(g: np.random.Generator, month: pd.Timestamp, n: int) -> dict[str, np.ndarray]:
    """Attributes of the Box 1 cell: exact quotas, randomly paired."""
    assert n == 32
    sex = np.array(["1"] * 21 + ["2"] * 11, dtype=object)
    ages = np.concatenate([g.integers(18, 31, 15), g.integers(10, 18, 6),
                           g.integers(31, 40, 8), g.integers(46, 60, 3)])
    complaint = np.array(["82271004"] * 10 + ["125596004"] * 7 + ["125600009"] * 6
                         + ["127279002"] * 4 + ["125601008"] * 3 + ["283545005"] * 2,
                         dtype=object)
    mode = np.array(["1048031000000100"] * 12 + ["1048081000000101"] * 16
                    + ["1048071000000103"] * 3 + ["1048061000000105"] * 1, dtype=object)
    night = np.array([True] * 13 + [False] * 19)
    weekdays = np.array([0] * 7 + [1] * 5 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [6] * 4)
    alc = np.array(["Y"] * 7 + ["N"] * 25, dtype=object)
    drg = np.array(["Y"] * 3 + ["N"] * 4 + ["Y"] * 4 + ["N"] * 21, dtype=object)
    referral = np.array(["04"] * 29 + ["05", "03", "07"], dtype=object)
    perm = {k: g.permutation(32) for k in ("sex", "age", "c", "m", "n", "w", "ad", "r")}
    rec = {
        "sex": sex[perm["sex"]], "age": ages[perm["age"]],
        "complaint": complaint[perm["c"]], "mode": mode[perm["m"]],
        "alc": alc[perm["ad"]], "drg": drg[perm["ad"]], "referral": referral[perm["r"]],
    }
    rec["arrival"] = _arrivals(g, month, n, night=night[perm["n"]],
                               weekdays=weekdays[perm["w"]])
    return rec
