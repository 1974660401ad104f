"""Synthetic twin of the ED Navigator contacts (`lvrn_analysis.sources.navigator`).

The ED Navigator scheme works with people aged 10-39 who attend the emergency
department after violence, self-harm or overdose (LVRN evaluation report 2021,
§5.1-5.2). Its real monitoring records are not public, so `synthesize()` writes a
fictitious caseload in the documented layout (`lvrn_analysis.sources.navigator.HEADER`)
for every site with a navigator go-live in ``reference/ed/ed_sites.csv``, from the
go-live month to the end of the synthetic period, and returns its ground truth.

Calibration (`box1_figures()`, `CALIBRATION`):

* **Box 1 by construction.** The report's one published month (Box 1, June 2020
  at Blackpool Victoria, §5.2) is reproduced exactly: the figures are read from
  the shipped, cited programme-monitoring table and turned into whole-count
  quotas (32 attendances; 21 male, 11 female; 15 aged 18-30; 10 head injuries,
  the main presenting complaint; 12 by ambulance; 13 at night, 22:00-05:59;
  Monday the busiest day; contact attempted with 29; alcohol 7, drugs 7, both 3,
  read as 4 alcohol only, 4 drugs only and 3 both; the other 3 referred to the
  safeguarding team, an IDVA and the FCWA).
* **Volume.** Expected monthly caseloads follow the ED twin's seasonal, trend and
  lockdown multipliers (`lvrn_analysis.synthetic.ed.month_multipliers`), scaled
  so that the attendances with contact attempted in 2020/21 total the report's
  416 contacts with children and young people (§5.1).
* **Everything else** (the reason split, complaints by reason, face-to-face
  share, onward referrals, repeat contacts) is chosen by us: `GENERATOR`.

The twin is not linked to the synthetic ED assault attendances: a real caseload
would be a subset of all the ED's attendances (assaults, self-harm, overdoses),
which the assault-only ED twin does not hold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.ed import ed_sites
from lvrn_analysis.sources.navigator import AGE_RANGE, HEADER, REASONS
from lvrn_analysis.sources.navigator import SOURCE as SOURCE
from lvrn_analysis.synthetic.common import rng, synthetic_months, write_csv
from lvrn_analysis.synthetic.ed import arrival_times, month_multipliers

#: Published facts the twin is calibrated to (LVRN evaluation report 2021).
CALIBRATION = {
    "contacts_2020_21": 416,          # §5.1: contact with 416 children and young people
    "contacts_period": ("2020-04", "2021-03"),
}

#: Choices of ours (recorded in the ground truth). The shares Box 1 gives (male, aged
#: 18-30, ambulance, night, contact attempted, influencing factors) are taken from it
#: for every month (`box1_quotas()`); these fill in what it does not give.
GENERATOR: dict[str, object] = {
    "reason_p": {"violence": 0.55, "self_harm": 0.25, "overdose": 0.20},
    "p_aged_10_17": 0.28,
    "complaint_p": {
        "violence": {"head_injury": 0.45, "facial_injury": 0.25, "limb_injury": 0.20,
                     "other_injury": 0.10},
        "self_harm": {"self_harm_wound": 0.60, "mental_health": 0.25, "poisoning": 0.15},
        "overdose": {"poisoning": 0.90, "mental_health": 0.10},
    },
    "arrival_not_ambulance_p": {"own_transport": 0.72, "police": 0.16, "other": 0.12},
    "p_face_to_face_if_contacted": 0.60,
    "referral_if_contacted_p": {"none": 0.45, "mental_health": 0.15, "health": 0.15,
                                "child_exploitation": 0.06, "safeguarding": 0.08,
                                "idva": 0.06, "other": 0.05},
    "referral_if_not_contacted_p": {"safeguarding": 0.40, "idva": 0.20, "fcwa": 0.20,
                                    "none": 0.20},
    "p_repeat": 0.08,
}

_FILE = "navigator_contacts.csv"
_BANDS = {"10-17": (10, 17), "18-30": (18, 30), "31-39": (31, AGE_RANGE[1])}
_MEASURES = ("attendances", "percent_male", "percent_female", "percent_aged_18_30",
             "percent_head_injury", "percent_ambulance", "percent_night", "busiest_weekday",
             "contact_attempted", "influencing_factor_alcohol", "influencing_factor_drugs",
             "influencing_factor_both")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def box1_figures(area: AreaConfig, month_label: str = "June 2020") -> dict[str, object]:
    """Read Box 1's published figures from the shipped programme-monitoring table.

    Parameters
    ----------
    area
        Area configuration (for the loader).
    month_label
        ``period_label`` of the Box 1 rows.

    Returns
    -------
    dict
        Measure -> value: ``attendances`` and the counts (float), percentages
        (float), ``busiest_weekday`` (text).

    Raises
    ------
    KeyError
        If a Box 1 measure is missing or repeated in the table.
    """
    from lvrn_analysis._resources import reference_file
    from lvrn_analysis.sources.programmes import LVRN_TABLE, load_programmes

    pm = load_programmes(reference_file(LVRN_TABLE), area)[0].kept
    rows = pm[(pm["programme_id"] == "ed_navigators") & (pm["period_label"] == month_label)]
    out: dict[str, object] = {}
    for m in _MEASURES:
        r = rows[rows["measure"] == m]
        if len(r) != 1:
            raise KeyError(f"programme monitoring has {len(r)} rows for Box 1 measure {m!r}")
        out[m] = r["value_text"].iloc[0] if m == "busiest_weekday" else float(r["value"].iloc[0])
    return out


def box1_quotas(fig: dict[str, object]) -> dict[str, int]:
    r"""Turn Box 1's figures into whole counts out of its attendances.

    Each percentage $p$ of $n$ attendances becomes $k = \mathrm{round}(p n / 100)$,
    checked to give back $p$ when rounded half up to one decimal.

    Raises
    ------
    ValueError
        If a percentage is not a whole count out of ``n``.
    """
    n = int(fig["attendances"])
    q = {"attendances": n}
    for m in ("percent_male", "percent_female", "percent_aged_18_30", "percent_head_injury",
              "percent_ambulance", "percent_night"):
        p = float(fig[m])  # type: ignore[arg-type]
        k = int(round(p * n / 100))
        if abs(np.floor(1000 * k / n + 0.5) / 10 - p) > 1e-9:
            raise ValueError(f"Box 1 {m} = {p} is not a whole count out of {n}")
        q[m.removeprefix("percent_")] = k
    for m in ("contact_attempted", "influencing_factor_alcohol", "influencing_factor_drugs",
              "influencing_factor_both"):
        q[m.removeprefix("influencing_factor_")] = int(fig[m])  # type: ignore[arg-type]
    return q


def _pick(g: np.random.Generator, p: dict[str, float], n: int) -> np.ndarray:
    keys = list(p)
    w = np.array([p[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[g.choice(len(keys), size=n, p=w / w.sum())]


def _ages(g: np.random.Generator, bands: np.ndarray) -> np.ndarray:
    lo = np.array([_BANDS[b][0] for b in bands])
    hi = np.array([_BANDS[b][1] for b in bands])
    return lo + (g.random(len(bands)) * (hi - lo + 1)).astype(int)


def _drawn_cell(g: np.random.Generator, month: pd.Timestamp, n: int, q: dict[str, int]
                ) -> dict[str, np.ndarray]:
    """Attributes of ``n`` contacts drawn with Box 1's shares and `GENERATOR`."""
    gp = GENERATOR
    tot = q["attendances"]
    reason = _pick(g, gp["reason_p"], n)  # type: ignore[arg-type]
    complaint = np.empty(n, dtype=object)
    for r in REASONS:
        m = reason == r
        complaint[m] = _pick(g, gp["complaint_p"][r], int(m.sum()))  # type: ignore[index]
    p_both = q["both"] / tot
    factor = _pick(g, {"both": p_both, "alcohol_only": q["alcohol"] / tot - p_both,
                       "drugs_only": q["drugs"] / tot - p_both,
                       "neither": 1 - (q["alcohol"] + q["drugs"] - q["both"]) / tot}, n)
    p_mid, p_young = q["aged_18_30"] / tot, float(gp["p_aged_10_17"])  # type: ignore[arg-type]
    mode = _pick(g, gp["arrival_not_ambulance_p"], n)  # type: ignore[arg-type]
    mode[g.random(n) < q["ambulance"] / tot] = "ambulance"
    return {
        "arrival": arrival_times(g, month, n, night=g.random(n) < q["night"] / tot),
        "age": _ages(g, _pick(g, {"10-17": p_young, "18-30": p_mid,
                                  "31-39": 1 - p_young - p_mid}, n)),
        "sex": np.where(g.random(n) < q["male"] / tot, "1", "2").astype(object),
        "reason": reason, "complaint": complaint, "mode": mode, "factor": factor,
        "contacted": g.random(n) < q["contact_attempted"] / tot,
    }


def _box1_cell(g: np.random.Generator, month: pd.Timestamp, q: dict[str, int],
               busiest: str) -> dict[str, np.ndarray]:
    """Attributes of the Box 1 month: exact quotas, randomly paired."""
    n = q["attendances"]
    head = q["head_injury"]
    # reasons and complaints together: head injuries are violence; no other complaint
    # reaches the head-injury count, so head injury stays the main presenting complaint
    rest = n - head
    pairs = [("violence", "head_injury")] * head
    plan = [("violence", "facial_injury", 0.20), ("violence", "limb_injury", 0.12),
            ("self_harm", "self_harm_wound", 0.20), ("self_harm", "mental_health", 0.12),
            ("overdose", "poisoning", 0.36)]
    sizes = [min(int(round(rest * w)), head - 1) for *_, w in plan]
    sizes[-1] = rest - sum(sizes[:-1])
    if sizes[-1] >= head or sizes[-1] < 0:
        raise ValueError("Box 1 quotas leave no room under the head-injury count")
    for (r, c, _), k in zip(plan, sizes, strict=True):
        pairs += [(r, c)] * k
    n_young = (n - q["aged_18_30"]) // 2
    bands = np.array(["18-30"] * q["aged_18_30"] + ["10-17"] * n_young
                     + ["31-39"] * (n - q["aged_18_30"] - n_young), dtype=object)
    modes = np.array(["ambulance"] * q["ambulance"]
                     + ["own_transport", "own_transport", "police", "other"]
                     * (n - q["ambulance"]), dtype=object)[:n]
    first = _WEEKDAYS.index(busiest)
    per_day = [(n - 7) // 6 + (1 if i < (n - 7) % 6 else 0) for i in range(6)]
    weekdays = [first] * 7
    for i, k in enumerate(per_day):
        weekdays += [(first + 1 + i) % 7] * k
    if max(per_day) >= 7:
        raise ValueError("Box 1 quotas cannot make one weekday the busiest")
    both, alc, drg = q["both"], q["alcohol"] - q["both"], q["drugs"] - q["both"]
    factor = np.array(["both"] * both + ["alcohol_only"] * alc + ["drugs_only"] * drg
                      + ["neither"] * (n - both - alc - drg), dtype=object)
    perm = {k: g.permutation(n) for k in ("sex", "age", "rc", "m", "night", "w", "f", "c")}
    rc = np.array(pairs, dtype=object)[perm["rc"]]
    night = np.array([True] * q["night"] + [False] * (n - q["night"]))[perm["night"]]
    return {
        "arrival": arrival_times(g, month, n, night=night,
                                 weekdays=np.array(weekdays)[perm["w"]]),
        "age": _ages(g, bands[perm["age"]]),
        "sex": np.array(["1"] * q["male"] + ["2"] * q["female"], dtype=object)[perm["sex"]],
        "reason": rc[:, 0], "complaint": rc[:, 1],
        "mode": modes[perm["m"]], "factor": factor[perm["f"]],
        "contacted": np.array([True] * q["contact_attempted"]
                              + [False] * (n - q["contact_attempted"]))[perm["c"]],
    }


def synthesize(out_dir: Path, area: AreaConfig) -> list[dict]:
    r"""Write synthetic ED Navigator contacts for the area; return the ground truth.

    For each site with a navigator go-live and each month $t$ from it to the end
    of the synthetic period, $N_t \sim \mathrm{Poisson}(c\,M_t)$ contacts, where
    $M_t$ are the ED twin's monthly multipliers (season, trend, lockdowns) and
    $c$ makes the expected attendances with contact attempted in 2020/21 equal
    the report's 416. The Box 1 month (``box1_month`` in ``ed_sites.csv``) is
    replaced by Box 1's exact quotas (`box1_quotas()`). Each contact is a repeat
    of a person seen at the site in the previous 12 months with probability
    ``p_repeat`` (their sex and birth date carried over, while they are still
    under 40), except in the Box 1 month.

    Returns
    -------
    list of dict
        ``"kind": "calibration"`` (Box 1 by construction, with the model's
        expected count for that month; the 416 contacts), ``"kind": "generator"``
        (`GENERATOR` and the expected monthly counts) and ``"kind": "file"``;
        or one ``"kind": "skipped"`` record when the area has no navigator site.
    """
    sites = ed_sites(area)
    sites = sites[sites["navigator_go_live"].notna()]
    if sites.empty:
        return [{"source": SOURCE, "kind": "skipped",
                 "reason": f"no ED site of area {area.id!r} has a navigator go-live in "
                           "reference/ed/ed_sites.csv; no synthetic file written"}]
    g = rng(area, SOURCE)
    fig = box1_figures(area)
    q = box1_quotas(fig)
    p_contact = q["contact_attempted"] / q["attendances"]
    end = synthetic_months(area)[-1]
    c0, c1 = (pd.Timestamp(m + "-01") for m in CALIBRATION["contacts_period"])
    cols: dict[str, list] = {k: [] for k in ("site", "arrival", "age", "birth", "sex", "pid",
                                             "reason", "complaint", "mode", "factor",
                                             "contacted")}
    truth: list[dict] = []
    box1_cells: list[tuple[str, str]] = []
    expected: dict[str, dict[str, float]] = {}
    next_pid = 0
    for s, go, b1 in zip(sites["site_code"], sites["navigator_go_live"], sites["box1_month"],
                         strict=True):
        months = pd.date_range(pd.Timestamp(go).to_period("M").to_timestamp(), end, freq="MS")
        mult = month_multipliers(months)
        in_year = (months >= c0) & (months <= c1)
        if not in_year.any():
            raise ValueError(f"site {s}: no month of {CALIBRATION['contacts_period']} after "
                             "its go-live to calibrate on")
        scale = CALIBRATION["contacts_2020_21"] / (p_contact * float(mult[in_year].sum()))
        mu = scale * mult
        counts = g.poisson(mu)
        expected[s] = {m.strftime("%Y-%m"): round(float(v), 4)
                       for m, v in zip(months, mu, strict=True)}
        b1_month = pd.Timestamp(b1 + "-01") if b1 else None
        pool: list[tuple[pd.Timestamp, dict[str, np.ndarray]]] = []
        for month, n in zip(months, counts, strict=True):
            box1 = month == b1_month
            rec = (_box1_cell(g, month, q, str(fig["busiest_weekday"])) if box1
                   else _drawn_cell(g, month, int(n), q))
            n = len(rec["arrival"])
            age = rec["age"].astype(int)
            birth = rec["arrival"] - ((age * 365.25 * 24 * 60).astype("int64")
                                      + g.integers(0, 364 * 24 * 60, n)).astype("timedelta64[m]")
            sex = rec["sex"]
            pid = np.array([f"N{next_pid + i:06d}" for i in range(n)], dtype=object)
            next_pid += n
            recent = [c for m0, c in pool if m0 >= month - pd.DateOffset(months=12)]
            if recent and not box1:
                prev = {k: np.concatenate([c[k] for c in recent]) for k in ("pid", "sex",
                                                                             "birth")}
                for r in np.flatnonzero(g.random(n) < GENERATOR["p_repeat"]):
                    j = g.integers(len(prev["pid"]))
                    a = int((rec["arrival"][r] - prev["birth"][j]) / np.timedelta64(1, "D")
                            // 365.25)
                    if AGE_RANGE[0] <= a <= AGE_RANGE[1]:
                        pid[r], sex[r], birth[r], age[r] = (prev["pid"][j], prev["sex"][j],
                                                            prev["birth"][j], a)
            cell = {"pid": pid, "sex": sex, "birth": birth}
            pool.append((month, cell))
            cols["site"].append(np.full(n, s, dtype=object))
            for k in ("arrival", "reason", "complaint", "mode", "factor", "contacted"):
                cols[k].append(rec[k])
            cols["age"].append(age)
            cols["birth"].append(birth)
            cols["sex"].append(sex)
            cols["pid"].append(pid)
        if b1_month is not None and b1_month in months:
            box1_cells.append((s, b1))
            truth.append({
                "source": SOURCE, "kind": "calibration",
                "fact": "LVRN report 2021 Box 1 (§5.2): one month of the ED Navigator caseload",
                "site": s, "month": b1, "by_construction": True,
                "values": q, "busiest_weekday": fig["busiest_weekday"],
                "expected_count_under_model": expected[s][b1],
                "reading": "influencing factors '[at least] 7 alcohol, 7 drugs, 3 both' read "
                           "as 4 alcohol only, 4 drugs only, 3 both; night = arrival "
                           "22:00-05:59; the 3 without contact referred to the safeguarding "
                           "team, an IDVA and the FCWA",
            })
    d = {k: np.concatenate(v) for k, v in cols.items()}
    n = len(d["site"])
    factor, contacted = d["factor"], d["contacted"].astype(bool)
    alcohol = np.where(np.isin(factor, ("alcohol_only", "both")), "Y", "N").astype(object)
    drugs = np.where(np.isin(factor, ("drugs_only", "both")), "Y", "N").astype(object)
    contact = np.where(contacted, np.where(g.random(n) < GENERATOR[
        "p_face_to_face_if_contacted"], "face_to_face", "telephone"), "none").astype(object)
    referral = np.where(contacted, _pick(g, GENERATOR["referral_if_contacted_p"], n),  # type: ignore[arg-type]
                        _pick(g, GENERATOR["referral_if_not_contacted_p"], n)).astype(object)  # type: ignore[arg-type]
    # Box 1: the three without contact went to the safeguarding team, an IDVA and the FCWA
    for s, b1 in box1_cells:
        m0 = pd.Timestamp(b1 + "-01")
        m = ((d["site"] == s) & ~contacted & (d["arrival"] >= m0.to_datetime64())
             & (d["arrival"] < (m0 + pd.offsets.MonthBegin(1)).to_datetime64()))
        dest = np.array(["safeguarding", "idva", "fcwa"] * n, dtype=object)[:int(m.sum())]
        referral[np.flatnonzero(m)] = dest
    order = np.lexsort((d["pid"].astype(str), d["arrival"]))
    when = np.char.replace(np.datetime_as_string(d["arrival"].astype("datetime64[m]"), unit="m"),
                           "T", " ").astype(object)
    columns = [d["pid"], d["site"], when, d["age"].astype(object), d["sex"], d["reason"],
               d["complaint"], d["mode"], alcohol, drugs, contact, referral]
    ids = np.array([f"C{i + 1:06d}" for i in range(n)], dtype=object)
    rows = zip(ids, *(np.asarray(c, dtype=object)[order] for c in columns), strict=True)
    write_csv(Path(out_dir) / _FILE, HEADER, rows, lineterminator="\n")
    truth.append({
        "source": SOURCE, "kind": "calibration", "fact": "LVRN report 2021 §5.1",
        "description": "expected attendances with contact attempted in "
                       f"{CALIBRATION['contacts_period'][0]} to "
                       f"{CALIBRATION['contacts_period'][1]} total the report's "
                       f"{CALIBRATION['contacts_2020_21']} contacts with children and young "
                       "people (contact attempted with 29 of 32 attendances, Box 1)",
        "contacts_2020_21": CALIBRATION["contacts_2020_21"], "p_contact": p_contact,
    })
    truth.append({"source": SOURCE, "kind": "generator",
                  "model": "N_t ~ Poisson(c * M_t), M_t the ED twin's month multipliers",
                  **GENERATOR, "expected_counts": expected})
    truth.append({"source": SOURCE, "kind": "file", "file": _FILE, "rows": int(n),
                  "person_level": True, "seed": area.synthetic_seed})
    return truth
