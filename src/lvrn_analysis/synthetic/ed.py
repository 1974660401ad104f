"""Synthetic twin of the ED assault attendances (`lvrn_analysis.sources.ed`).

`synthesize()` writes ``ed_assault_attendances.csv`` in the ECDS/ISTV-aligned layout
(`lvrn_analysis.sources.ed.HEADER`): person-level rows whose monthly counts follow
a known generating model (`GENERATOR`), with a navigator effect injected at the
sites that have a go-live date. It returns the ground truth. All rows are
fictitious.

**Where the attendances go.** Each site's expected share of the area's assault
attendances is its catchment's share of the *real* police-recorded violence
(`catchment_violence()`: data.police.uk "Violence and sexual offences" by
authority, from the area's shipped aggregate, weighted by the catchment shares of
``reference/ed/ed_catchment.csv``). No site or month is forced to a published
figure: the LVRN report's Box 1 (32 in June 2020 at Blackpool Victoria) is one
month's caseload of the ED Navigator scheme, not the ED's assault attendances,
and is reproduced by the navigator twin (`lvrn_analysis.synthetic.navigator`).

**Which codes it writes.** Only codes in ``reference/ed/ed_codes.csv``: the ECDS
arrival-mode and discharge-destination codes found in published secondary sources
(``verified`` ``secondary``), the chief-complaint and diagnosis identifiers of the
code list (some marked unverified there), and the project's local codes for the
ISTV assault location type and method, for which no national code list was found.
The ECDS place of injury, injury intent and injury mechanism columns, the place of
injury coordinates and the ISTV free-text columns are left blank: no verified code
for an assault exists in the shipped lists, and no code is made up to fill them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.ed import FILE_COLUMN, HEADER, SOURCE, ed_sites, lsoa_lookup
from lvrn_analysis.sources.validation import WEIGHT
from lvrn_analysis.synthetic.common import rng, synthetic_months, write_csv

#: The published source of the TIIG figures below.
TIIG_SOURCE = ("Critchley KA, Russell S, Whitfield M (2017). TIIG Lancashire: Alcohol-related "
               "violence across Lancashire, April 2013 to March 2016. Public Health Institute, "
               "Liverpool John Moores University (ISBN 978-1-912210-03-9)")

#: Published facts the synthetic twin is calibrated to (TIIG figures: `TIIG_SOURCE`).
CALIBRATION = {
    "resident_attendances_per_month": 400.0,   # TIIG: 14,427 Apr 2013-Mar 2016 / 36
    # Person mix borrowed from Box 1 (the ED Navigator caseload, June 2020): no published
    # profile of Lancashire assault attendances is at hand, so these are stand-ins.
    "p_male": 0.656,
    "p_age_18_30": 0.469,
    "p_head_injury": 0.313,
    "p_ambulance": 0.375,
    "p_night": 0.406,
    "p_alcohol_recorded": 0.70,
    "p_alcohol_if_recorded": 0.44,             # TIIG Lancashire: 44 % where recorded
    "p_drugs_recorded": 0.60,
    "p_drugs_if_recorded": 0.12,
}

#: Data-generating parameters of the monthly series (recorded in ground truth).
GENERATOR = {
    "site_weights": "catchment share of real police-recorded violence",
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
#: data.police.uk crime type whose real counts place the synthetic attendances.
VIOLENCE_TYPE = "Violence and sexual offences"

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
# ECDS arrival mode: emergency road ambulance, helicopter air ambulance, police transport,
# own transport, public transport (reference/ed/ed_codes.csv)
_ARRIVAL_P = {"1048031000000100": 0.365, "1048051000000107": 0.01, "1048001000000106": 0.05,
              "1048071000000103": 0.52, "1048061000000105": 0.055}
# ECDS discharge destination groups discharged, admitted, transfer, died (epidm groups);
# 04 (left before treatment) and 06 (other) are local codes: no SNOMED CT code verified
_DISCHARGE_P = {"306689006": 0.76, "306706006": 0.15, "19712007": 0.02, "04": 0.065,
                "305398007": 0.0005, "06": 0.0045}
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


#: Clean rows of each area's shipped police aggregate, read once per process.
_EMBEDDED: dict[tuple[str, str], pd.DataFrame] = {}


def _embedded_kept(area: AreaConfig) -> pd.DataFrame:
    from lvrn_analysis.sources import police

    key = (area.id, str(area.embedded_police))
    if key not in _EMBEDDED:
        _EMBEDDED[key] = pd.concat([r.kept for r in police.read_embedded(area)],
                                   ignore_index=True)
    return _EMBEDDED[key]


def authority_violence(area: AreaConfig, kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """Real police-recorded violence by authority: the weights of the synthetic ED sites.

    Parameters
    ----------
    area
        Area configuration.
    kept
        Clean police rows (`lvrn_analysis.sources.police` kept frame, counts in
        ``n_rows`` or ``count``); default the area's shipped data.police.uk
        aggregate (real, OGL v3.0).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``violence`` (int64: "Violence and sexual offences" placed
        in the authority, every month of the data) and ``share`` (of the
        area's violence placed in an authority), in the order of the area's
        authorities. Crimes with no location cannot be placed and are left out.

    Raises
    ------
    ValueError
        If the area has no police data to weight by.
    """
    from lvrn_analysis.config.geography import local_authorities

    if kept is None:
        if not area.embedded_police:
            raise ValueError(f"area {area.id!r} has no embedded police data: pass kept=")
        kept = _embedded_kept(area)
    w = WEIGHT if WEIGHT in kept.columns else "count"
    las = list(local_authorities(area)["la_code"])
    v = (kept.loc[kept["crime_type"] == VIOLENCE_TYPE].groupby("la_code")[w].sum()
         .reindex(las).fillna(0).astype("int64"))
    return pd.DataFrame({"la_code": las, "violence": v.to_numpy(),
                         "share": v.to_numpy() / max(int(v.sum()), 1)})


def catchment_violence(area: AreaConfig, kept: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Each ED site's catchment share of the area's real police-recorded violence.

    For site $s$, $V_s = \sum_a c_{sa} V_a$, where $V_a$ is the violence placed
    in authority $a$ (`authority_violence()`) and $c_{sa}$ the share of the
    authority's residents who attend site $s$ (``reference/ed/ed_catchment.csv``);
    the site's target share is $V_s / \sum_{s'} V_{s'}$. The synthetic twin
    gives each site that share of the area's assault attendances (before the
    injected navigator effect).

    Parameters
    ----------
    area
        Area configuration.
    kept
        Clean police rows; default the area's shipped aggregate.

    Returns
    -------
    pandas.DataFrame
        ``site_code``, ``site_name``, ``catchment_violence`` (float) and
        ``violence_share`` (float, sums to 1), in the order of ``ed_sites.csv``.
    """
    sites = ed_sites(area)
    av = authority_violence(area, kept).set_index("la_code")["violence"].astype(float)
    catch = _catchment()
    catch = catch[catch["site_code"].isin(sites["site_code"])]
    share = (catch.pivot_table(index="site_code", columns="la_code", values="share",
                               aggfunc="sum")
             .reindex(index=list(sites["site_code"]), columns=av.index).fillna(0.0))
    v = share.to_numpy() @ av.to_numpy()
    return pd.DataFrame({"site_code": sites["site_code"].to_numpy(),
                         "site_name": sites["site_name"].to_numpy(),
                         "catchment_violence": v, "violence_share": v / v.sum()})


def site_shares(kept: pd.DataFrame, *, before: str | None = None) -> pd.Series:
    """Each site's share of the ED assault attendances (optionally before a month).

    Parameters
    ----------
    kept
        ED attendances (``ed_site``, ``arrival_month``).
    before
        ``YYYY-MM``: count only arrivals before this month (e.g. the navigator
        go-live, so that the injected effect does not move the shares).

    Returns
    -------
    pandas.Series
        Share by ``ed_site`` (sums to 1), sorted by site code.
    """
    d = kept if before is None else kept[kept["arrival_month"] < pd.Timestamp(before + "-01")]
    n = d.groupby("ed_site").size().sort_index()
    return (n / n.sum()).rename("attendance_share")


def _choice(g: np.random.Generator, p: dict[str, float], n: int) -> np.ndarray:
    keys = list(p)
    w = np.array([p[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[g.choice(len(keys), size=n, p=w / w.sum())]


def month_multipliers(months: pd.DatetimeIndex) -> np.ndarray:
    r"""Return the expected-count multiplier of each month (season, trend, lockdowns).

    $M_t = e^{A\cos(2\pi(m_t-7)/12) + \beta y_t + \sum_j f_{jt}\log RR_j}$ with
    $A$ = ``seasonal_amplitude``, $\beta$ = ``trend_per_year``, $y_t$ years since
    2016 and $f_{jt}$ the fraction of month $t$ in lockdown $j$ (`GENERATOR`).
    """
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


def arrival_times(g: np.random.Generator, month: pd.Timestamp, n: int,
                  night: np.ndarray | None = None, weekdays: np.ndarray | None = None
                  ) -> np.ndarray:
    """Return ``n`` arrival timestamps (minute resolution) in ``month``.

    ``night`` (booleans) fixes which arrivals fall at 22:00-05:59 (default: drawn
    with probability ``p_night``); ``weekdays`` (0 = Monday) fixes their weekdays
    (default: drawn with a weekend-heavy weighting).
    """
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
    r"""Write synthetic ED assault attendances for the area; return the ground truth.

    Writes ``ed_assault_attendances.csv`` (the layout of `HEADER`, LF line
    endings) for ``area.synthetic_start`` … ``synthetic_end``.

    Generating model, per site *s* and month *t*:

    $$\mu_{st} = k\,V_s\,e^{A\cos(2\pi(m_t-7)/12)}\,e^{\beta\,y_t}
    \prod_j RR_j^{f_{jt}}\,RR_{\mathrm{level}}^{[s\text{ navigator},\ t \ge
    \text{go-live}]},\qquad N_{st} \sim \mathrm{Poisson}(\mu_{st})$$

    where $V_s$ is the site's catchment violence (`catchment_violence()`: real
    data.police.uk violence by authority weighted by the catchment shares), $f_{jt}$
    the fraction of month $t$ in COVID-19 lockdown $j$, and $y_t$ years since
    2016. Police violence is recorded where it happens, visitors included, so
    $V_s$ sets all the site's attendances; ``non_resident_share`` of them are
    given homes outside the area and the rest homes in the catchment's
    authorities in proportion to $c_{sa} V_a$. ``k`` is calibrated so that
    residents' attendances at the area's EDs average 400 a month at baseline
    (TIIG: 14,427 from April 2013 to March 2016), scaled by the area's population
    relative to pan-Lancashire (1,508,941 in mid-2019) for other areas. An area
    with no police data to weight by falls back on population weights.
    Person attributes follow `CALIBRATION` (TIIG's 44 % alcohol involvement where
    recorded; the rest stand-ins, see there). Each attendance is a repeat (an
    earlier patient of the same site within the previous 11 whole months, so
    within 365 days) with probability ``p_repeat``, multiplied by
    ``navigator_repeat_ratio`` at the navigator site from go-live. No cell is
    forced to a published figure.

    Returns
    -------
    list of dict
        Ground-truth records: ``"kind": "injected_effect"`` (level and repeat
        effects at the navigator site, with start month and ratio),
        ``"kind": "calibration"`` (TIIG volume; the sites' target shares of
        real violence), ``"kind": "generator"`` (all parameters and the expected
        monthly counts per site) and ``"kind": "file"``.
    """
    from lvrn_analysis.config.geography import local_authorities, populations

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
    if area.embedded_police:
        weight = authority_violence(area).set_index("la_code")["violence"].reindex(
            las["la_code"]).astype(float)
        weighted_by = "real police-recorded violence (data.police.uk, shipped aggregate)"
    else:
        weight = pop
        weighted_by = "population (no police data to weight by)"
    site_codes = list(sites["site_code"])
    share = (catch.pivot_table(index="site_code", columns="la_code", values="share",
                               aggfunc="sum")
             .reindex(index=site_codes, columns=las["la_code"]).fillna(0.0))
    # residents of each authority by site, before scaling: c_sa * V_a
    contrib = share * weight.to_numpy()[None, :]
    nonres = sites.set_index("site_code")["non_resident_share"].reindex(site_codes)
    # all attendances at s are proportional to V_s; residents are (1 - nonres_s) of them
    contrib = contrib.mul(1 - nonres, axis=0)
    # TIIG's 400 a month is pan-Lancashire; other areas are scaled by population
    target = CALIBRATION["resident_attendances_per_month"] * float(pop.sum()) / LANCASHIRE_POP_2019
    k_scale = target / float(contrib.to_numpy().sum())
    contrib = contrib * k_scale
    base = contrib.sum(axis=1) / (1 - nonres)
    target_share = base / base.sum()

    out_months = synthetic_months(area)
    burn = GENERATOR["burn_in_months"]
    months = pd.date_range(out_months[0] - pd.DateOffset(months=burn), out_months[-1],
                           freq="MS")
    mult = month_multipliers(months)
    nav = sites.set_index("site_code")
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

    lsoas = lsoa_lookup()
    lsoas = lsoas.sort_values(["la_code", "lsoa_code"]).reset_index(drop=True)
    lsoa_all = lsoas["lsoa_code"].to_numpy(dtype=object)
    lsoa_off = {la: int(grp.index[0]) for la, grp in lsoas.groupby("la_code")}
    lsoa_cnt = {la: len(grp) for la, grp in lsoas.groupby("la_code")}
    la_codes = np.asarray(las["la_code"], dtype=object)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in (
        "site", "arrival", "age", "birth", "sex", "lsoa", "la", "pid", "rep")}
    hist: dict[str, list[tuple[int, dict[str, np.ndarray]]]] = {s: [] for s in site_codes}
    next_pid = 0
    for j, month in enumerate(months):
        for i, s in enumerate(site_codes):
            n = int(counts[i, j])
            if n == 0:
                hist[s].append((j, {}))
                continue
            rec = {"arrival": arrival_times(g, month, n)}
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
                c = g.integers(len(P["pid"]))
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
    data = {k: np.concatenate(v) for k, v in cols.items() if v}
    n = len(data["site"])
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
    codes_age[g.random(n) < 0.004] = ""
    arr_s = _fmt_dt(arrival)
    inc_s = np.where(no_incident, "", _fmt_dt(incident))
    ids = np.array([f"A{q + 1:07d}" for q in range(n)], dtype=object)
    blank = np.full(n, "", dtype=object)
    values = {
        "attendance_id": ids, "patient_pseudo_id": data["pid"], "ed_site": site_arr,
        "arrival_date": _date_part(arr_s), "arrival_time": _time_part(arr_s),
        "age": codes_age, "sex": data["sex"], "residence_lsoa": data["lsoa"],
        "residence_la": data["la"], "arrival_mode": mode, "presenting_complaint": complaint,
        "injury": injury, "incident_date": _date_part(inc_s), "incident_time": _time_part(inc_s),
        "incident_location_type": location, "means_of_assault": weapon,
        "alcohol_involved": alc, "drugs_involved": drg, "referral": referral,
        "discharge": discharge,
    }
    # rows in arrival order; ids are numbered in that order (so not reordered)
    cols = [np.asarray(values.get(FILE_COLUMN[h], blank), dtype=object) for h in HEADER]
    rows = zip(*(c if FILE_COLUMN[h] == "attendance_id" else c[order]
                 for h, c in zip(HEADER, cols, strict=True)), strict=True)
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
    truth.append({
        "source": SOURCE, "kind": "calibration", "fact": "geography of violence",
        "description": "each site's expected share of the area's assault attendances "
                       "(before the injected navigator effect) is its catchment's share of "
                       f"the violence it is weighted by: {weighted_by}",
        "weighted_by": weighted_by,
        "site_share": {s: round(float(target_share[s]), 6) for s in site_codes},
    })
    truth.append({
        "source": SOURCE, "kind": "calibration", "fact": "TIIG Lancashire",
        "description": "residents' attendances at the area's EDs average "
                       f"{CALIBRATION['resident_attendances_per_month']:.0f} a month at baseline "
                       "(14,427 from April 2013 to March 2016); alcohol involved in 44% where "
                       f"recorded ({TIIG_SOURCE})",
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


def _date_part(s: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of ``YYYY-MM-DD HH:MM`` strings (blank stays blank)."""
    return np.array([v[:10] for v in s], dtype=object)


def _time_part(s: np.ndarray) -> np.ndarray:
    """``HH:MM`` of ``YYYY-MM-DD HH:MM`` strings (blank stays blank)."""
    return np.array([v[11:] for v in s], dtype=object)


def _fmt_dt(x: np.ndarray) -> np.ndarray:
    """Format datetime64 values as ``YYYY-MM-DD HH:MM`` strings."""
    return np.char.replace(np.datetime_as_string(x.astype("datetime64[m]"), unit="m"),
                           "T", " ").astype(object)
