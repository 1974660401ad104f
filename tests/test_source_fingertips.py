"""Fingertips exports: the real Campylobacter export, format variants, periods, twin."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import imd2019
from lvrn_analysis.sources import fingertips as ft
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.synthetic import fingertips as ft_twin

DATA = Path(__file__).parent / "data" / "fingertips"
REAL = DATA / "fingertips_93356_campylobacter_CountyUA.csv"


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def real(area):
    return ft.load_fingertips(REAL, area)[0]


@pytest.fixture(scope="module")
def synth(tmp_path_factory, area):
    out = tmp_path_factory.mktemp("ft")
    truth = ft_twin.synthesize(out, area)
    return out / "indicators-DistrictUA.data.csv", truth


def _records() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(REAL.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the real export


def test_real_export_loads_completely(real):
    assert real.rows_in == 852
    assert len(real.kept) == 852 and real.rejected.empty
    real.check_accounting()
    assert any("'Compared to goal'" in n for n in real.notes)  # 25-field records


def test_real_export_types_and_quirks(real):
    k = real.kept
    assert k["indicator_name"].unique().tolist() == ["Campylobacter incidence rate/100,000"]
    assert str(k["indicator_id"].dtype) == "Int64"
    assert k["period_start"].dtype == "datetime64[ns]"
    assert set(k["period_kind"]) == {"calendar_year"}
    assert k["is_category"].sum() == 60
    assert k.loc[k["is_category"], "category_type"].str.contains("deprivation").all()
    assert k["lower_ci998"].isna().all()
    assert set(k["parent_comparison_basis"]) == {"Region"}
    blank = k[k["value"].isna()]
    assert len(blank) == 10 and blank["value_note"].notna().all()
    assert set(k.loc[k["in_area"], "area_code"]) == {"E06000008", "E06000009", "E10000017"}


def test_real_export_is_sorted_deterministically(real):
    k = real.kept
    again = k.sort_values(["indicator_id", "area_code", "sex", "age", "category_type",
                           "category", "period_start", "row"], na_position="first",
                          kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(k, again)


def test_row_numbers_are_record_numbers_not_lines(real):
    header, recs = _records()
    k = real.kept
    # Blackpool, 2016, all ages: find its record number with the csv module
    want = next(i for i, r in enumerate(recs, 1)
                if r[4] == "E06000009" and r[11] == "2016" and r[8] == "All ages" and not r[9])
    got = k[(k["area_code"] == "E06000009") & (k["time_period"] == "2016")
            & (k["age"] == "All ages") & ~k["is_category"]]["row"].item()
    assert got == want
    # every record spans two physical lines, so a line number would be about twice as big
    assert REAL.read_bytes().count(b"\n") > 1.9 * len(recs)


def test_bad_value_reported_by_record_number(tmp_path, area):
    header, recs = _records()
    rows = [r[:] for r in recs[:5]]
    rows[3][12] = "not-a-number"
    res = ft.load_fingertips(_write(tmp_path / "x.csv", header, rows), area)[0]
    assert res.rejected["row"].tolist() == [4]
    assert "Value" in res.rejected["detail"].item()


# ------------------------------------------------------------------ variants


def test_27_column_variant(tmp_path, area):
    header, recs = _records()
    rows = [r + ["", "1y"] for r in recs[:10]]
    res = ft.load_fingertips(_write(tmp_path / "v27.csv", header + ["Time period range"], rows),
                             area)[0]
    assert res.rejected.empty
    assert (res.kept["time_period_range"] == "1y").all()
    assert any("27-column" in n for n in res.notes)


def test_25_column_variant_without_compared_to_goal(tmp_path, area):
    header, recs = _records()
    res = ft.load_fingertips(_write(tmp_path / "v25.csv", header[:-1], recs[:10]), area)[0]
    assert res.rejected.empty and len(res.kept) == 10
    assert res.kept["compared_to_goal"].isna().all()
    assert any("25-column" in n for n in res.notes)


@pytest.mark.parametrize("name, basis", [
    ("Compared to percentiles", "percentiles"),
    ("Compared to Combined authorities value or percentiles", "Combined authorities"),
    ("Compared to ICB value or percentiles", "ICB"),
])
def test_parent_comparison_column_names(tmp_path, area, name, basis):
    header, recs = _records()
    h = [name if c == "Compared to Region value or percentiles" else c for c in header]
    res = ft.load_fingertips(_write(tmp_path / "p.csv", h, recs[:5]), area)[0]
    assert res.rejected.empty
    assert set(res.kept["parent_comparison_basis"]) == {basis}
    assert res.kept["compared_to_parent"].notna().all()


def test_api_style_headers(tmp_path, area):
    header, recs = _records()
    h = [c.replace(" ", "") for c in header]
    res = ft.load_fingertips(_write(tmp_path / "api.csv", h, recs[:5]), area)[0]
    assert res.rejected.empty and len(res.kept) == 5


# ------------------------------------------------------------------ time periods


@pytest.mark.parametrize("label, year_type, start, end, kind", [
    ("2019", "financial", "2019-01-01", "2019-12-31", "calendar_year"),
    ("2019/20", "financial", "2019-04-01", "2020-03-31", "financial_year"),
    ("2019/20", "academic", "2019-09-01", "2020-08-31", "academic_year"),
    ("1999/00", "financial", "1999-04-01", "2000-03-31", "financial_year"),
    ("2017 - 19", "financial", "2017-01-01", "2019-12-31", "calendar_years_pooled"),
    ("2017-19", "financial", "2017-01-01", "2019-12-31", "calendar_years_pooled"),
    ("2017/18 - 19/20", "financial", "2017-04-01", "2020-03-31", "financial_years_pooled"),
    ("2019/20 Q2", "financial", "2019-07-01", "2019-09-30", "financial_quarter"),
    ("2019 Q4", "financial", "2019-10-01", "2019-12-31", "calendar_quarter"),
    ("Feb 2020", "financial", "2020-02-01", "2020-02-29", "month"),
])
def test_parse_time_period(label, year_type, start, end, kind):
    s, e, k = ft.parse_time_period(label, year_type)
    assert (s, e, k) == (pd.Timestamp(start), pd.Timestamp(end), kind)


@pytest.mark.parametrize("label", ["2019/21", "2019 - 18", "2017/18 - 19/21", "FY2019", "",
                                   "Q5 2019", "2019/20 Q5"])
def test_parse_time_period_rejects(label):
    assert ft.parse_time_period(label) is None


# ------------------------------------------------------------------ curated list


def test_curated_indicators():
    cur = ft.curated_indicators()
    for iid in (11201, 11202, 10401, 93203, 90803, 93701, 93378, 90813, 20401, 93553):
        assert iid in set(cur["indicator_id"])
    assert set(cur["polarity"]) <= {"low_is_good", "high_is_good", "no_judgement"}
    assert set(cur["year_type"]) <= {"financial", "academic", "calendar"}
    assert cur["why_it_matters"].str.len().gt(20).all()
    ref = Path(ft.__file__).parents[1] / "reference"
    readme = (ref / "fingertips" / "README.md").read_text()
    assert "not** been checked against the live fingertips api" in readme.lower()
    # no internal working notes on what readers see
    for note in ("from memory", "web access", "brief", "recalled"):
        assert note not in readme.lower() and not cur["confidence"].str.contains(note).any()
    # "confirmed" only where a shipped real export names the same ID
    assert set(cur["confidence"]) <= {"confirmed by a real export", "not yet confirmed",
                                      "not yet confirmed; lower confidence",
                                      "not yet confirmed (absolute or relative low income?)"}
    confirmed = set(cur.loc[cur["confidence"] == "confirmed by a real export", "indicator_id"])
    assert confirmed == {90803, 93203, 90813}
    real_readme = (ref / "indicators_real" / "README.md").read_text()
    for iid in confirmed:
        assert f"| {iid} |" in real_readme


def test_sniff(real):
    header = REAL.read_text(encoding="utf-8").splitlines()[0]
    assert ft.sniff(header) and ft.sniff("\ufeff" + header)
    assert not ft.sniff("Crime ID,Month,Reported by")
    assert sources()["fingertips"].sniff(header)


# ------------------------------------------------------------------ synthetic twin


def test_synthetic_is_deterministic(tmp_path, area, synth):
    path, _ = synth
    ft_twin.synthesize(tmp_path, area)
    a = path.read_bytes()
    b = (tmp_path / path.name).read_bytes()
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()


def test_synthetic_real_format(area, synth):
    path, _ = synth
    data = path.read_bytes()
    assert data.split(b"\r\n", 1)[0].decode() == ",".join(ft.HEADER_26)
    res = ft.load_fingertips(path, area)[0]
    assert res.rejected.empty
    k = res.kept
    assert set(k["indicator_id"]) == {93553, 93203, 93701, 93378, 11202, 11201, 10401}
    las = set(area.authorities)
    assert las <= set(k["area_code"]) and "E92000001" in set(k["area_code"])
    assert k["is_category"].sum() == 10
    assert (k["value"].isna() & k["value_note"].notna()).sum() == 1
    assert "financial_years_pooled" in set(k["period_kind"])
    assert "academic_year" in set(k.loc[k["indicator_id"] == 93378, "period_kind"])


def test_synthetic_imd_values_are_real(area, synth):
    path, _ = synth
    k = ft.load_fingertips(path, area)[0].kept
    got = k[(k["indicator_id"] == 93553) & k["in_area"]].set_index("area_code")["value"]
    real = imd2019(area).set_index("la_code")["imd_score"]
    pd.testing.assert_series_equal(got.sort_index(), real.sort_index(), check_names=False,
                                   atol=1e-9)


def test_synthetic_association_is_recovered(area, synth):
    path, truth = synth
    rec = next(t for t in truth if t.get("indicator_id") == 11202 and t["kind"] == "association")
    k = ft.load_fingertips(path, area)[0].kept
    v = k[(k["indicator_id"] == 11202) & k["in_area"]].copy()
    v["z_imd"] = v["area_code"].map(rec["z_imd"])
    v["z_neet"] = v["area_code"].map(rec["z_neet"])
    years = pd.get_dummies(v["time_period"], drop_first=True, dtype=float)
    x = sm.add_constant(pd.concat([v[["z_imd", "z_neet"]], years], axis=1))
    fit = sm.OLS(np.log(v["value"]), x).fit()
    assert abs(fit.params["z_imd"] - rec["b_imd"]) < 0.06
    assert abs(fit.params["z_neet"] - rec["c_neet"]) < 0.06
    # the true log values recorded in the ground truth are what was written (up to rounding
    # of counts)
    t = v.apply(lambda r: rec["true_log_value"][r["area_code"]][r["time_period"]], axis=1)
    assert np.max(np.abs(np.log(v["value"]) - t)) < 0.01
    # deprivation drives violence: Blackpool (most deprived) above Ribble Valley (least)
    last = v[v["time_period"] == v["time_period"].max()].set_index("area_code")["value"]
    assert last["E06000009"] > 1.5 * last["E07000124"]
