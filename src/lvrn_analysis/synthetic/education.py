"""Synthetic twin of the DfE KS4 school performance files (`lvrn_analysis.sources.education`).

`synthesize()` writes one ``YYYY-YYYY_LLL_ks4final.csv`` per LEA and academic
year with the DfE conventions the reader handles (BOM, CRLF, ``%`` in
percentages, ``SUPP``/``NE``/``NP`` markers, summary rows), from a known
association structure (`ASSOCIATION`), and returns its ground truth.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.sources.education import LEA_CODES, POSTCODE_DISTRICTS, SOURCE
from lvrn_analysis.synthetic.common import rng, write_csv

#: Columns written by the synthetic twin (a subset of the ~500 real columns).
SYNTH_HEADER: tuple[str, ...] = (
    "RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "SCHNAME_AC", "TOWN", "PCODE", "PCON_CODE",
    "NFTYPE", "TOTPUPS", "TPUP", "TFSM6CLA1A", "PTFSM6CLA1A", "PSEN_ALL", "PTEALGRP2",
    "TOTATT8", "ATT8SCR", "P8MEA",
)
#: Association structure of the synthetic schools (recorded in ground truth).
ASSOCIATION = {"att8_a": 49.0, "att8_b_imd": -1.8, "att8_b_disadv": -0.22,
               "att8_school_sd": 3.5, "disadv_a": 24.0, "disadv_b_imd": 7.0,
               "disadv_school_sd": 6.0}
_LEAS_BY_UPPER = {v: k for k, v in LEA_CODES.items()}


def _sectors_for(la_code: str) -> list[str]:
    return sorted(k for k, v in POSTCODE_DISTRICTS.items() if v == la_code)


def synthesize(out_dir: Path, area: AreaConfig) -> list[dict]:
    """Write synthetic KS4 school performance files for the area's LEAs.

    One ``YYYY-YYYY_LLL_ks4final.csv`` per LEA and academic year inside the
    synthetic range, **except 2019/20 and 2020/21** (DfE published no school KS4
    results for those COVID years). Files carry a BOM, CRLF line endings, the
    columns of `SYNTH_HEADER` (a subset of the real ~500; the loader ignores
    the rest), ``%`` in percentages, ``SUPP``/``NE``/``NP`` markers, special and
    independent schools, an LEA total row (RECTYPE 4) and the two England rows.
    County schools get postcodes from `POSTCODE_DISTRICTS` sectors of their
    district so that the loader places them.

    Model, per state-funded school *j* in district *i*::

        pct_disadvantaged_j = disadv_a + disadv_b_imd·z_imd_i + e_j
        att8_j = att8_a + att8_b_imd·z_imd_i + att8_b_disadv·(pct_disadv_j − disadv_a) + u_j

    Returns
    -------
    list of dict
        ``"kind": "association"`` (coefficients) with ``expected_by_la``: the
        pupil-weighted Attainment 8 and disadvantaged share per district and year
        computed from the written values (what
        `lvrn_analysis.sources.education.ks4_by_la()` must return),
        and one ``"kind": "file"`` record per file.
    """
    from lvrn_analysis.config.geography import imd2019, local_authorities, populations

    g = rng(area, SOURCE)
    las = local_authorities(area)
    pop_all = populations(area)
    pop = (pop_all[pop_all["mid_year"] == pop_all["mid_year"].min()]
           .set_index("la_code")["population"].reindex(las["la_code"]).astype(float))
    score = imd2019(area).set_index("la_code")["imd_score"].reindex(las["la_code"])
    z = (score - score.mean()) / score.std(ddof=0)
    uppers = sorted(set(las["upper_tier_code"]))
    leas = [(_LEAS_BY_UPPER[u], u) for u in uppers if u in _LEAS_BY_UPPER]
    # a fixed roster of schools per district
    roster: list[dict] = []
    urn = 300000 + int(g.integers(0, 50000))
    for lea, upper in leas:
        dists = las[las["upper_tier_code"] == upper]["la_code"].tolist()
        estab = 4000
        for la in dists:
            n_main = max(3, round(pop[la] / 16000))
            sectors = _sectors_for(la) or ["XX1"]
            for j in range(n_main + 2):
                special = j >= n_main
                indep = (not special) and j == n_main - 1 and g.random() < 0.5
                sec = sectors[int(g.integers(len(sectors)))]
                if " " not in sec:
                    ok = [d for d in range(10)
                          if POSTCODE_DISTRICTS.get(f"{sec} {d}", la) == la]
                    sec = f"{sec} {ok[int(g.integers(len(ok)))]}"
                pc = sec + "".join(g.choice(list("ABDEFGHJLNPQRSTUWXY"), 2))
                urn += int(g.integers(1, 40))
                estab += int(g.integers(1, 9))
                roster.append({
                    "lea": lea, "la": la, "urn": str(urn),
                    "estab": str(7000 + j if special else estab),
                    "name": f"Synthetic {'Special School' if special else 'High School'} "
                            f"{len(roster) + 1}", "pc": pc,
                    "type": "INDSPEC" if special and j == n_main + 1 else (
                        "CYS" if special else ("IND" if indep else
                                               str(g.choice(["ACC", "CY", "VA", "AC"])))),
                    "size": float(g.uniform(3, 25) if special else g.uniform(90, 260)),
                    "u_a8": float(g.normal(0, ASSOCIATION["att8_school_sd"])),
                    "u_d": float(g.normal(0, ASSOCIATION["disadv_school_sd"])),
                })
    y0, y1 = int(area.synthetic_start[:4]), int(area.synthetic_end[:4])
    years = [y for y in range(y0, y1) if y not in (2019, 2020) and y + 1 <= y1]
    truth: list[dict] = []
    expected: dict[str, dict[str, dict[str, float]]] = {}
    for y in years:
        ay = f"{y}/{str(y + 1)[2:]}"
        shift = 1.8 if y >= 2021 else 0.0
        for lea, _upper in leas:
            rows: list[list[object]] = []
            tot = {"tp": 0, "pts": 0.0, "dis": 0}
            for s in (r for r in roster if r["lea"] == lea):
                tp = max(1, int(round(s["size"] * math.exp(g.normal(0, 0.05)))))
                pdis = float(np.clip(ASSOCIATION["disadv_a"] + ASSOCIATION["disadv_b_imd"]
                                     * z[s["la"]] + s["u_d"] + g.normal(0, 2), 3, 75))
                dis = int(round(tp * pdis / 100))
                special = s["type"] in ("CYS", "INDSPEC")
                a8 = (ASSOCIATION["att8_a"] + shift + ASSOCIATION["att8_b_imd"] * z[s["la"]]
                      + ASSOCIATION["att8_b_disadv"] * (100 * dis / tp - ASSOCIATION["disadv_a"])
                      + s["u_a8"] + g.normal(0, 1.0))
                if special:
                    a8 = max(0.0, a8 - 38)
                a8 = round(float(np.clip(a8, 0, 85)), 1)
                total = round(a8 * tp, 1)
                indep = s["type"].startswith("IND")
                att8_s, tot_s = f"{a8:g}", f"{total:g}"
                dis_s, pdis_s = str(dis), f"{round(100 * dis / tp):d}%"
                if special and tp <= 5:
                    att8_s = tot_s = dis_s = pdis_s = "SUPP"
                elif special and g.random() < 0.3:
                    att8_s = tot_s = "NE"
                    a8, total = 0.0, 0.0
                if indep:
                    dis_s = pdis_s = "NP"
                rows.append([
                    "2" if special else "1", lea, s["estab"], s["urn"], s["name"], s["name"],
                    "", s["pc"], "", s["type"], tp + int(g.integers(0, 400)), tp, dis_s,
                    pdis_s, f"{int(g.integers(5, 25))}%", f"{int(g.integers(0, 12))}%",
                    tot_s, att8_s, "NP" if indep else f"{g.normal(0, 0.4):.2f}",
                ])
                if not indep:
                    key = (s["la"] if not LEA_CODES[lea].startswith("E06") else LEA_CODES[lea])
                    if att8_s != "SUPP":
                        e = expected.setdefault(ay, {}).setdefault(
                            key, {"points": 0.0, "pupils": 0, "dis": 0, "dis_pupils": 0})
                        e["points"] += total
                        e["pupils"] += tp
                    if dis_s not in ("SUPP", "NP"):
                        e = expected.setdefault(ay, {}).setdefault(
                            key, {"points": 0.0, "pupils": 0, "dis": 0, "dis_pupils": 0})
                        e["dis"] += dis
                        e["dis_pupils"] += tp
                    tot["tp"] += tp
                    tot["pts"] += total
                    tot["dis"] += dis
            la_a8 = round(tot["pts"] / tot["tp"], 1)
            rows.append(["4", lea, "", "", "", "", "", "", "", "", "", tot["tp"], tot["dis"],
                         f"{100 * tot['dis'] / tot['tp']:.2f}%", "", "",
                         f"{tot['pts']:.1f}", f"{la_a8:g}", "-0.05"])
            rows.append(["5", "", "", "", "", "", "", "", "", "", "", 650000, "", "", "", "",
                         "30420000.0", "46.8" if y < 2021 else "48.9", ""])
            rows.append(["7", "", "", "", "", "", "", "", "", "", "", 588000, 155000, "26%", "",
                         "", "28610000.0", "46.5" if y < 2021 else "48.7", "-0.03"])
            fname = f"{y}-{y + 1}_{lea}_ks4final.csv"
            write_csv(Path(out_dir) / fname, SYNTH_HEADER, rows, lineterminator="\r\n",
                      bom=True)
            truth.append({"source": SOURCE, "kind": "file", "file": fname, "rows": len(rows)})
    exp_out = {ay: {la: {"att8": round(v["points"] / v["pupils"], 6) if v["pupils"] else None,
                         "pct_disadvantaged": (round(100 * v["dis"] / v["dis_pupils"], 6)
                                               if v["dis_pupils"] else None)}
                    for la, v in d.items()} for ay, d in expected.items()}
    truth.insert(0, {"source": SOURCE, "kind": "association",
                     "model": "pct_disadv = a_d + b_d*z_imd + e; att8 = a + b_imd*z_imd "
                              "+ b_disadv*(pct_disadv - a_d) + u (state-funded mainstream; "
                              "special schools 38 points lower)",
                     **{k: float(v) for k, v in ASSOCIATION.items()},
                     "z_imd": {c: float(v) for c, v in z.items()},
                     "expected_by_la": exp_out,
                     "note": "expected_by_la is computed from the written values with the "
                             "ks4_by_la method (state-funded, NE = 0 points, SUPP excluded)"})
    return truth
