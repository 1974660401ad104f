"""The real DfE key stage 4 files shipped in the package, and the district values built on them.

Checks that the shipped subsets are exactly what `subset_ks4()` makes of the originals in
``../shared/reference/education/`` (skipped where that folder is absent), that district values
equal a hand recomputation from the original files, that every measure is weighted by pupils,
that suppressed values are left out and counted, and that authorities with no real file get no
value.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import education as edu
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.story import causes

ROOT = Path(__file__).resolve().parents[1]
ORIGINALS = ROOT.parent / "shared" / "reference" / "education"
SHIPPED = Path(str(resources.files("lvrn_analysis"))) / "reference" / "education"
FILES = [f"{y}_{lea}_ks4final" for lea in edu.SHIPPED_LEAS for y in edu.SHIPPED_YEARS]
UNITARY = ("E06000008", "E06000009", "E06000016", "E06000017")
needs_originals = pytest.mark.skipif(not ORIGINALS.is_dir(),
                                     reason="../shared/reference/education not present")


@pytest.fixture(scope="module")
def table():
    return causes.ks4_district_table()


@pytest.fixture(scope="module")
def england():
    return causes.ks4_england()


def _records(data: bytes) -> list[dict[str, str]]:
    """Parse a DfE CSV (independently of the package's reader), padding short records."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    head = [h.strip() for h in rows[0]]
    return [dict(zip(head, r + [""] * (len(head) - len(r)), strict=True)) for r in rows[1:]]


def _num(cell: str) -> float | None:
    try:
        return float(cell.replace("%", ""))
    except ValueError:
        return None


# ------------------------------------------------------------ shipped files = originals


@needs_originals
@pytest.mark.parametrize("stem", FILES)
def test_shipped_file_is_the_derived_subset_of_the_original(stem):
    original = (ORIGINALS / f"{stem}.csv").read_bytes()
    shipped = (SHIPPED / f"{stem}.csv.gz").read_bytes()
    assert gzip.decompress(shipped) == edu.subset_ks4(original)
    # the gzip is deterministic: re-compressing gives the same bytes
    assert gzip.compress(edu.subset_ks4(original), compresslevel=9, mtime=0) == shipped
    # every kept cell equals the original's, and no record is lost
    orig, sub = _records(original), _records(gzip.decompress(shipped))
    assert len(orig) == len(sub)
    cols = list(sub[0])
    assert set(cols) <= set(edu.USED_COLUMNS) and cols
    for o, s in zip(orig, sub, strict=True):
        assert {c: o[c] for c in cols} == s


def test_readme_gives_the_sha256_of_every_shipped_file():
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    for stem in FILES:
        gz = (SHIPPED / f"{stem}.csv.gz").read_bytes()
        line = next(ln for ln in readme.splitlines() if ln.startswith(f"| `{stem}.csv.gz`"))
        shas = re.findall(r"`([0-9a-f]{64})`", line)
        assert shas[1] == hashlib.sha256(gzip.decompress(gz)).hexdigest()
        assert shas[2] == hashlib.sha256(gz).hexdigest()
        if ORIGINALS.is_dir():
            assert shas[0] == hashlib.sha256((ORIGINALS / f"{stem}.csv").read_bytes()
                                             ).hexdigest()
    assert "Open Government Licence v3.0" in readme and "cfa59c6ea0ac872c" in readme


# ------------------------------------------------------------------ row accounting


def test_row_accounting_holds_on_the_real_files():
    acct = causes.ks4_accounting()
    assert len(acct) == 6
    assert (acct["rows_in"] == acct["rows_kept"] + acct["rows_rejected"]).all()
    assert (acct["rows_rejected"] == 0).all()
    for r in acct.itertuples():
        stem = Path(r.file).name.removesuffix(".csv.gz")
        data = gzip.decompress((SHIPPED / f"{stem}.csv.gz").read_bytes())
        assert r.rows_in == len(_records(data))
        if ORIGINALS.is_dir():
            assert r.rows_in == len(_records((ORIGINALS / f"{stem}.csv").read_bytes()))
    # no state-funded school is left unplaced
    assert (acct["state_schools_unplaced"] == 0).all()


def test_default_inputs_are_the_shipped_files_of_the_areas_leas():
    lancs, leics = load_area("lancashire"), load_area("leicestershire")
    spec = sources()["education"]
    names = [p.name for p in spec.default_inputs(lancs)]
    assert names == [f"{y}_888_ks4final.csv.gz" for y in edu.SHIPPED_YEARS]
    assert [p.name for p in edu.default_inputs(leics)] == [
        f"{y}_855_ks4final.csv.gz" for y in edu.SHIPPED_YEARS]
    res = [edu.load_ks4(p, lancs)[0] for p in spec.default_inputs(lancs)]
    agg = edu.processed_table(res, lancs)
    assert not agg["la_code"].isin(UNITARY).any()
    assert agg["la_code"].nunique() == 12 and agg["academic_year"].nunique() == 3


# ------------------------------------------------------ hand recomputation, two districts


def _hand(records: list[dict[str, str]], keep) -> dict[str, float]:
    """Pupil-weighted district values computed directly from the DfE cells."""
    pts = pup = dis = dis_den = b_num = b_den = gd_num = gd_den = 0.0
    schools = 0
    for r in records:
        if r["RECTYPE"] not in ("1", "2") or r["NFTYPE"].upper().startswith("IND") \
                or not keep(r):
            continue
        schools += 1
        tp = _num(r["TPUP"])
        if tp is None:
            continue
        if _num(r["ATT8SCR"]) is not None:
            pts += _num(r["TOTATT8"])
            pup += tp
        elif r["ATT8SCR"] == "NE":          # no entries: 0 points, pupils counted (DfE)
            pup += tp
        if _num(r["PTL2BASICS_95"]) is not None:
            b_num += _num(r["PTL2BASICS_95"]) * tp
            b_den += tp
        elif r["PTL2BASICS_95"] == "NE":
            b_den += tp
        if _num(r["TFSM6CLA1A"]) is not None:
            dis += _num(r["TFSM6CLA1A"])
            dis_den += tp
            w = _num(r["TFSM6CLA1A"])
            if _num(r["ATT8SCR_FSM6CLA1A"]) is not None:
                gd_num += _num(r["ATT8SCR_FSM6CLA1A"]) * w
                gd_den += w
            elif r["ATT8SCR_FSM6CLA1A"] == "NE":
                gd_den += w
    return {"schools": schools, "att8": pts / pup, "att8_pupils": pup,
            "pct_basics_95": b_num / b_den, "pct_disadvantaged": 100 * dis / dis_den,
            "att8_disadvantaged": gd_num / gd_den}


@pytest.mark.parametrize(("stem", "la_code", "year", "keep"), [
    # Burnley, 2018/19: every BB10, BB11 and BB12 postcode is in Burnley
    ("2018-2019_888_ks4final", "E07000117", "2018/19",
     lambda r: r["PCODE"].split(" ")[0] in ("BB10", "BB11", "BB12")),
    # Harborough, 2021/22: its six state-funded secondary schools, by URN (Market
    # Harborough, Lutterworth, Kibworth, Broughton Astley)
    ("2021-2022_855_ks4final", "E07000131", "2021/22",
     lambda r: r["URN"] in {"137161", "137170", "138150", "137115", "137540", "138527"}),
])
def test_district_values_equal_a_hand_recomputation(table, stem, la_code, year, keep):
    path = ORIGINALS / f"{stem}.csv"
    data = path.read_bytes() if path.is_file() else gzip.decompress(
        (SHIPPED / f"{stem}.csv.gz").read_bytes())
    want = _hand(_records(data), keep)
    got = table[(table["la_code"] == la_code) & (table["academic_year"] == year)].iloc[0]
    assert got["data"] == "real"
    assert got["schools"] == want["schools"]
    assert got["att8_pupils"] == want["att8_pupils"]
    for m in ("att8", "pct_basics_95", "pct_disadvantaged", "att8_disadvantaged"):
        assert got[m] == pytest.approx(want[m], abs=1e-9), m
    assert got["att8_gap"] == pytest.approx(got["att8_other"] - got["att8_disadvantaged"])


def test_districts_reproduce_each_leas_published_total():
    """Pupil-weighting the districts gives back DfE's own LEA row (RECTYPE 4) within 0.1."""
    kept = causes.real_ks4()
    for (_area, year), k in kept.groupby(["area", "academic_year"]):
        la = k[k["record_type"] == "4"].iloc[0]
        for ne, ok in (("zero", True), ("exclude", False)):
            agg = edu.ks4_by_la(k, no_entries=ne).dropna(subset=["la_code"])
            att8 = (agg["att8"] * agg["att8_pupils"]).sum() / agg["att8_pupils"].sum()
            assert bool(abs(att8 - la["att8"]) <= 0.1) is ok, (year, ne, att8, la["att8"])
        assert agg["pupils"].sum() == pytest.approx(la["pupils"], abs=10)


# ------------------------------------------------- weights, suppression, no entries


def _mini_file(tmp_path: Path) -> Path:
    """A small file in the real layout: two Burnley schools, a suppressed, an NE and an
    independent school."""
    head = ["RECTYPE", "LEA", "URN", "SCHNAME", "PCODE", "NFTYPE", "TPUP", "TOTATT8",
            "ATT8SCR", "TFSM6CLA1A", "PTFSM6CLA1A", "TNOTFSM6CLA1A", "PTL2BASICS_95",
            "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A"]
    rows = [
        ["1", "888", "100001", "Big", "BB10 1AA", "CY", "100", "4000", "40", "30", "30%",
         "70", "40%", "30", "44.3"],
        ["1", "888", "100002", "Small", "BB11 1AA", "ACC", "10", "600", "60", "2", "20%",
         "8", "90%", "50", "62.5"],
        ["2", "888", "100003", "Tiny special", "BB12 1AA", "CYS", "4", "SUPP", "SUPP",
         "SUPP", "SUPP", "SUPP", "SUPP", "SUPP", "SUPP"],
        ["2", "888", "100004", "Special NE", "BB10 2AA", "CYS", "12", "NE", "NE", "5", "42%",
         "7", "NE", "NE", "NE"],
        ["1", "888", "100005", "Independent", "BB11 2AA", "IND", "20", "1000", "50", "NP",
         "NP", "NP", "50%", "NP", "NP"],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([head, *rows])
    p = tmp_path / "2018-2019_888_ks4final.csv"
    p.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode())
    return p


def test_weights_are_pupils_and_suppressed_values_are_left_out_and_counted(tmp_path):
    res = edu.load_ks4(_mini_file(tmp_path), load_area("lancashire"))[0]
    assert res.rejected.empty
    got = edu.ks4_by_la(res.kept).set_index("la_code").loc["E07000117"]
    # pupil-weighted (not the mean of school averages, (40 + 60) / 2 = 50); the NE school's
    # 12 pupils count with 0 points; the suppressed school's 4 pupils are in no sum
    assert got["att8"] == pytest.approx((4000 + 600) / (100 + 10 + 12))
    assert got["att8_pupils"] == 122 and got["pupils"] == 126
    assert got["att8_schools_excluded"] == 1 and got["att8_pupils_excluded"] == 4
    assert got["att8_schools_suppressed"] == 1 and got["att8_schools_no_entries"] == 1
    assert got["pct_basics_95"] == pytest.approx((40 * 100 + 90 * 10) / 122)
    assert got["pct_disadvantaged"] == pytest.approx(100 * (30 + 2 + 5) / 122)
    assert got["disadvantaged_schools_excluded"] == 1
    # group scores are weighted by the group's own pupils
    assert got["att8_disadvantaged"] == pytest.approx((30 * 30 + 50 * 2) / (30 + 2 + 5))
    assert got["att8_other"] == pytest.approx((44.3 * 70 + 62.5 * 8) / (70 + 8 + 7))
    assert got["schools"] == 4      # the independent school is not in DfE's LEA totals
    ex = edu.ks4_by_la(res.kept, no_entries="exclude").set_index("la_code").loc["E07000117"]
    assert ex["att8"] == pytest.approx(4600 / 110) and ex["att8_schools_excluded"] == 2
    with pytest.raises(ValueError, match="no_entries"):
        edu.ks4_by_la(res.kept, no_entries="drop")


def test_suppression_is_counted_on_the_real_files():
    sup = causes.ks4_suppression_table()
    assert set(sup["code"]) <= {"SUPP", "NE", "NP", "NA", "blank"}
    lancs = sup[(sup["area"] == "lancashire") & (sup["academic_year"] == "2018/19")]
    a8 = lancs[lancs["measure"] == "att8"].set_index("code")
    # five small state-funded special schools (1 to 4 pupils each) are suppressed
    assert a8.loc["SUPP", "schools"] == 5 and a8.loc["SUPP", "pupils"] == 14
    t = causes.ks4_district_table()
    t = t[(t["area"] == "lancashire") & (t["academic_year"] == "2018/19")]
    assert t["att8_schools_suppressed"].sum() == 5
    assert t["att8_pupils_excluded"].sum() == 14


# ----------------------------------------------------------- no real data, no value


def test_unitary_authorities_have_no_value(table, england):
    none = table[table["la_code"].isin(UNITARY)]
    assert len(none) == 4 * 3
    assert (none["data"] == "no real data").all()
    values = ["schools", "pupils", "att8", "pct_basics_95", "pct_disadvantaged",
              "att8_disadvantaged", "att8_other", "att8_gap"]
    assert none[values].isna().all().all()
    assert none["note"].str.contains("no value is shown or filled in").all()
    real = table[~table["la_code"].isin(UNITARY)]
    assert (real["data"] == "real").all() and real["la_code"].nunique() == 19
    assert not causes.ks4_factors(table)["la_code"].isin(UNITARY).any()
    disp = causes.ks4_display(table, england)
    row = disp.set_index("Authority").loc["Blackpool"]
    assert (row.drop("County / LEA") == "no real data").all()
    assert "England (state-funded schools)" in set(disp["Authority"])


def test_schools_that_cannot_be_placed_are_counted_not_dropped():
    kept = causes.real_ks4()
    schools = kept[kept["record_type"].isin(["1", "2"])]
    una = schools[schools["district_method"] == "unallocated"]
    # LEA 888's independent schools in Stockport (SK6 2SR) and LEA 855's in Rutland
    assert (una["state_funded"] == False).all()  # noqa: E712
    assert {"SK6 2SR", "LE15 8LY"} <= set(una["postcode"].dropna())
    acct = causes.ks4_accounting().set_index(["area", "academic_year"])
    counted = una.groupby(["area", "academic_year"]).size()
    assert (acct.loc[counted.index, "schools_unplaced"] == counted).all()
    # LEA 855's school in Oakham is not placed in Rutland (not a Leicestershire district)
    assert not schools["la_code"].eq("E06000017").any()


@pytest.mark.parametrize(("urn", "la_code"), [
    ("138327", "E07000132"),   # Heath Lane Academy, Earl Shilton (LE9 7): Hinckley & Bosworth
    ("137969", "E07000132"),   # Bosworth Academy, Desford (LE9 9)
    ("139442", "E07000132"),   # South Charnwood High School, Markfield (LE67 9)
    ("138527", "E07000131"),   # Thomas Estley Community College, Broughton Astley (LE9 6)
    ("147902", "E07000129"),   # Countesthorpe Academy (LE8 5): Blaby
    ("137296", "E07000118"),   # Bishop Rawstorne CE Academy, Croston (PR26 9): Chorley
    ("137768", "E07000127"),   # Tarleton Academy (PR4 6): West Lancashire
    ("138948", "E07000126"),   # Penwortham Priory Academy (PR1 0): South Ribble
])
def test_reviewed_school_placements(urn, la_code):
    kept = causes.real_ks4()
    placed = set(kept.loc[kept["urn"] == urn, "la_code"])
    assert placed == {la_code}


# ------------------------------------------------------------ the story's outputs


def test_factor_frame_is_tidy_and_real(table):
    f = causes.ks4_factors(table)
    assert list(f.columns) == ["la_code", "factor", "period", "value"]
    assert set(f["factor"]) == set(causes.KS4_FACTORS)
    assert f["la_code"].nunique() == 19 and set(f["period"]) == {"2017/18", "2018/19", "2021/22"}
    assert len(f) == 19 * 3 * 4 and f["value"].notna().all()
    burnley = f[(f["la_code"] == "E07000117") & (f["factor"] == "ks4_att8")
                & (f["period"] == "2018/19")]["value"].iloc[0]
    row = table[(table["la_code"] == "E07000117") & (table["academic_year"] == "2018/19")]
    assert burnley == row["att8"].iloc[0]


def test_table_states_weights_and_mapping(table):
    real = table[table["data"] == "real"]
    assert real["mapping"].str.contains("postcode").all()
    assert real["mapping"].str.contains("not the ONS Postcode Directory").all()
    assert "TPUP" in causes.KS4_WEIGHTS and "TFSM6CLA1A" in causes.KS4_WEIGHTS


def test_sentence_carries_the_table_numbers(table, england):
    text = causes.ks4_sentence(table, england)
    t = table[(table["academic_year"] == "2021/22") & (table["data"] == "real")]
    lo, hi = t.loc[t["att8"].idxmin()], t.loc[t["att8"].idxmax()]
    assert f"{lo['att8']:.1f} in {lo['la_name']}" in text
    assert f"{hi['att8']:.1f} in {hi['la_name']}" in text
    assert "19 districts" in text and "48.7" in text
    assert "Blackburn with Darwen, Blackpool, Leicester and Rutland" in text
    r = float(np.corrcoef(t["pct_disadvantaged"], t["att8"])[0, 1])
    assert f"{abs(r):.2f}" in text and not math.isnan(r)


def test_coverage_sentence_counts_what_was_read_placed_and_left_out():
    text = causes.ks4_coverage_sentence()
    acct = causes.ks4_accounting()
    assert f"The 6 DfE files hold {acct['rows_in'].sum():,} rows" in text
    assert "0 quarantined" in text and "and 0 could not be placed" in text
    sup = causes.ks4_suppression_table()
    a8 = sup[(sup["measure"] == "att8") & (sup["code"] == "SUPP")]
    assert f"suppressed for {a8['schools'].sum()} state-funded school records " \
           f"({a8['pupils'].sum()} pupils)" in text


def test_figure_has_alt_text_and_names_the_missing(table, england):
    import matplotlib.pyplot as plt

    from lvrn_analysis.charts import plots

    src = plots.source_line(["DfE school performance tables (OGL v3.0)"], synthetic=False)
    fig = causes.ks4_figure(table, england, source=src)
    assert fig.lvrn_alt.startswith("Scatter of 19 districts in 2021/22")
    assert "Blackpool" in fig.lvrn_alt and "Real data" in src
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "No real KS4 file" in texts and "Rutland" in texts
    plt.close(fig)


def test_england_values_are_dfe_rectype_7(england):
    e = england.set_index("academic_year")
    assert e.loc["2021/22", "att8"] == 48.7 and e.loc["2018/19", "att8"] == 46.7
    assert e.loc["2021/22", "pct_disadvantaged"] == 26.0
    assert int(e.loc["2017/18", "pupils"]) == 523636
