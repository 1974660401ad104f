"""Fingertips in its three shapes, all through the Fingertips source.

1. the Fingertips data CSV, as the website's download and the API
   (``/api/all_data/csv/by_indicator_id``) write it: 26 columns (the shipped real
   Campylobacter export is one), 27 with ``Time period range``, the parent comparison
   column named after the parent area type, older ``Target data``;
2. fingertipsR's full frame saved from R (spaceless names, ``NA``, row names);
3. the reduced extract analysts keep from fingertipsR (Trafford Data Lab's layout).

Each clean file loads with nothing rejected, and the same data in different shapes give
the same kept values.
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import fingertips as ft
from lvrn_analysis.sources import indicators_real as ir
from lvrn_analysis.sources.registry import sources

DATA = Path(__file__).parent / "data" / "fingertips"
REAL = DATA / "fingertips_93356_campylobacter_CountyUA.csv"
TRAFFORD = resources.files("lvrn_analysis").joinpath("reference", "indicators_real",
                                                     "traffordDataLab_dashboard")

#: Columns every shape carries (the reduced extract has no others).
SHARED = ["indicator_name", "area_code", "area_name", "sex", "is_category", "time_period",
          "period_kind", "period_start", "period_end", "value", "compared_to_england",
          "in_area"]
#: Columns of the kept frame the reduced shape cannot carry (missing there).
NOT_IN_REDUCED = ["parent_code", "parent_name", "area_type", "age", "category_type",
                  "category", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998",
                  "count", "denominator", "recent_trend", "compared_to_parent",
                  "parent_comparison_basis", "time_period_sortable", "new_data",
                  "compared_to_goal", "time_period_range"]

NAME = "Hospital admissions as a result of self-harm (10-24 years)"
AREAS = [("E92000001", "England", "England", "", ""),
         ("E06000008", "Blackburn with Darwen", "County & UA", "E12000002", "North West region"),
         ("E06000009", "Blackpool", "County & UA", "E12000002", "North West region"),
         ("E10000017", "Lancashire", "County & UA", "E12000002", "North West region")]
PERIODS = ["2015/16", "2016/17", "2017/18"]


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _data() -> list[dict[str, str]]:
    """One indicator (90813), four areas, three financial years; values to 1 decimal place."""
    out = []
    for i, (code, name, atype, pcode, pname) in enumerate(AREAS):
        for j, tp in enumerate(PERIODS):
            value = round(380.0 + 97.3 * i + 11.1 * j, 1)
            count = int(700 + 2900 * (i == 0) * 60 + 37 * i + 5 * j)
            missing = code == "E06000009" and tp == "2016/17"
            out.append({
                "Indicator ID": "90813", "Indicator Name": NAME, "Parent Code": pcode,
                "Parent Name": pname, "Area Code": code, "Area Name": name, "Area Type": atype,
                "Sex": "Persons", "Age": "10-24 yrs", "Category Type": "", "Category": "",
                "Time period": tp, "Value": "" if missing else f"{value}",
                "Lower CI 95.0 limit": "" if missing else f"{value - 20.5:.4f}",
                "Upper CI 95.0 limit": "" if missing else f"{value + 21.25:.4f}",
                "Lower CI 99.8 limit": "", "Upper CI 99.8 limit": "",
                "Count": "" if missing else f"{count}", "Denominator": "",
                "Value note": "Value suppressed for disclosure control" if missing else "",
                "Recent Trend": "", "Compared to England value or percentiles":
                    "Not compared" if code == "E92000001" or missing else
                    ("Worse" if i % 2 else "Similar"),
                "Compared to Region value or percentiles": "Not compared",
                "Time period Sortable": f"{tp[:4]}0000", "New data": "", "Compared to goal": "",
            })
    return out


def _api_rows(data, header):
    return [[d.get(h, "") for h in header] for d in data]


def _export(tmp_path, area, name, header, rows):
    res = ft.load_fingertips(_write(tmp_path / name, header, rows), area)
    assert len(res) == 1
    r = res[0]
    r.check_accounting()
    assert r.rejected.empty, r.rejected[["reason", "detail"]]
    assert r.rows_in == len(rows) == len(r.kept)
    return r


def _reduced_rows(data):
    """The reduced extract of ``data``, as Trafford Data Lab's scripts write it."""
    return [[d["Area Code"], d["Area Name"], d["Time period"], d["Value"] or "NA", NAME,
             "Age standardised rate per 100,000", "Persons",
             d["Compared to England value or percentiles"]] for d in data]


# ------------------------------------------------------------------ shape 1: data CSV


def test_the_shipped_export_has_the_api_header():
    """The header the Fingertips CSV writer emits is the shipped real file's header."""
    first = REAL.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.split(",") == list(ft.HEADER_26)
    assert ft.shape_of(first) == "export" and ft.sniff(first)


def test_api_csv_shapes_give_the_same_kept_frame(tmp_path, area):
    data = _data()
    h26 = list(ft.HEADER_26)
    base = _export(tmp_path, area, "web.csv", h26, _api_rows(data, h26))
    # newer API: parent England ("Compared to percentiles") and "Time period range"
    h27 = [("Compared to percentiles" if c.startswith("Compared to Region") else c)
           for c in h26] + ["Time period range"]
    rows27 = [r + ["1y"] for r in _api_rows(data, h26)]
    api27 = _export(tmp_path, area, "indicators-CountyUA.data.csv", h27, rows27)
    # older API: "Target data" where later files have "Compared to goal"
    hold = ["Target data" if c == "Compared to goal" else c for c in h26]
    old = _export(tmp_path, area, "old.csv", hold, _api_rows(data, h26))
    drop = ["file", "parent_comparison_basis", "time_period_range"]
    for other in (api27, old):
        pd.testing.assert_frame_equal(base.kept.drop(columns=drop),
                                      other.kept.drop(columns=drop))
    assert set(api27.kept["parent_comparison_basis"]) == {"percentiles"}
    assert set(api27.kept["time_period_range"]) == {"1y"}
    assert any("27-column" in n for n in api27.notes)
    k = base.kept
    assert k["indicator_id"].unique().tolist() == [90813]
    assert set(k["period_kind"]) == {"financial_year"}
    miss = k[k["value"].isna()]
    assert miss["area_code"].tolist() == ["E06000009"] and miss["value_note"].notna().all()


def test_fingertipsr_full_frame_saved_from_r(tmp_path, area):
    """fingertips_data() output saved with write.csv: spaceless names, NA, row names."""
    data = _data()
    h26 = list(ft.HEADER_26)
    base = _export(tmp_path, area, "web.csv", h26, _api_rows(data, h26))
    header = [""] + [c.replace(" ", "") for c in h26]
    rows = [[str(i)] + [v if v != "" else "NA" for v in r]
            for i, r in enumerate(_api_rows(data, h26), 1)]
    r = _export(tmp_path, area, "fingertipsR.csv", header, rows)
    assert any("fingertipsR" in n and "'NA'" in n for n in r.notes)
    pd.testing.assert_frame_equal(base.kept.drop(columns="file"), r.kept.drop(columns="file"))
    assert not r.kept["is_category"].any()  # 'NA' categories are not categories


def test_numbers_with_thousands_separators(tmp_path, area):
    data = _data()
    h26 = list(ft.HEADER_26)
    rows = _api_rows(data, h26)
    england = [i for i, d in enumerate(data) if d["Area Code"] == "E92000001" and d["Count"]]
    for i in england:
        rows[i][17] = f"{int(rows[i][17]):,}"
    assert "," in rows[england[0]][17]
    r = _export(tmp_path, area, "sep.csv", h26, rows)
    base = _export(tmp_path, area, "plain.csv", h26, _api_rows(data, h26))
    assert r.kept["count"].max() > 1000
    pd.testing.assert_series_equal(r.kept["count"], base.kept["count"])


# ------------------------------------------------------------------ shape 3: reduced


def test_reduced_extract_gives_the_same_values(tmp_path, area):
    data = _data()
    h26 = list(ft.HEADER_26)
    full = _export(tmp_path, area, "web.csv", h26, _api_rows(data, h26)).kept
    red = _export(tmp_path, area, "reduced.csv", list(ft.HEADER_REDUCED), _reduced_rows(data))
    assert any("reduced fingertipsR extract" in n for n in red.notes)
    k = red.kept
    pd.testing.assert_frame_equal(full[SHARED + ["indicator_id", "row"]],
                                  k[SHARED + ["indicator_id", "row"]])
    assert k[NOT_IN_REDUCED].isna().all().all()
    assert list(k.columns) == list(ft.SCHEMA)
    gone = k[k["value"].isna()]
    assert gone["value_note"].tolist() == ["not available ('NA' in the source)"]


def test_reduced_extract_columns_in_any_order_and_gzip(tmp_path, area):
    data = _data()
    header = list(ft.HEADER_REDUCED)
    order = [4, 0, 1, 2, 3, 7, 6, 5]
    rows = [[r[i] for i in order] for r in _reduced_rows(data)]
    p = _write(tmp_path / "shuffled.csv", [header[i] for i in order], rows)
    gz = tmp_path / "shuffled.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes(), mtime=0))
    a = ft.load_fingertips(p, area)[0]
    b = ft.load_fingertips(gz, area)[0]
    assert a.rejected.empty and b.rejected.empty
    pd.testing.assert_frame_equal(a.kept.drop(columns="file"), b.kept.drop(columns="file"))
    assert any("gzip" in n for n in b.notes)


def test_reduced_extract_quarantines_bad_rows(tmp_path, area):
    rows = _reduced_rows(_data())
    rows[0][0] = "E0600000"          # short code
    rows[1][2] = "2016/18"          # not a period
    rows[2][3] = "about 400"        # not a number
    rows[3][4] = " "                # no indicator
    rows.append(rows[5][:])         # exact repeat
    rows.append(rows[6][:3] + ["1.0"] + rows[6][4:])  # same key, another value
    r = ft.load_fingertips(_write(tmp_path / "bad.csv", list(ft.HEADER_REDUCED), rows), area)[0]
    r.check_accounting()
    got = dict(zip(r.rejected["row"], r.rejected["reason"], strict=True))
    assert got == {1: "bad_area_code", 2: "bad_time_period", 3: "bad_number",
                   4: "blank_indicator", 13: "duplicate_row", 14: "duplicate_key"}
    assert "'about 400'" in r.rejected.set_index("row").loc[3, "detail"]


def test_unknown_indicator_name_is_kept_without_an_id(tmp_path, area):
    rows = [r[:4] + ["Some other indicator"] + r[5:] for r in _reduced_rows(_data())]
    r = ft.load_fingertips(_write(tmp_path / "u.csv", list(ft.HEADER_REDUCED), rows), area)[0]
    assert r.rejected.empty and r.kept["indicator_id"].isna().all()
    assert any("no known Fingertips ID" in n for n in r.notes)


@pytest.mark.parametrize("name", sorted(p.name for p in TRAFFORD.iterdir()
                                        if p.name.endswith(".csv.gz")))
def test_shipped_reduced_extracts_load_through_fingertips(area, name):
    """The real Trafford extracts: nothing rejected, the values indicators_real reads."""
    path = TRAFFORD.joinpath(name)
    r = ft.load_fingertips(path, area)[0]
    r.check_accounting()
    assert r.rejected.empty
    assert r.kept["indicator_id"].notna().all()
    q = ir.load_indicators_real(path, area)[0]
    assert len(q.kept) == len(r.kept)
    a = r.kept.set_index(["area_code", "time_period"]).sort_index()
    b = q.kept.set_index(["area_code", "period"]).sort_index()
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())
    assert (a["period_start"].to_numpy() == b["period_start"].to_numpy()).all()
    assert (a["period_kind"].to_numpy() == b["period_kind"].to_numpy()).all()
    assert a["indicator_id"].unique().tolist() == b["fingertips_id"].dropna().unique().tolist()
    assert (a["compared_to_england"].fillna("") == b["significance"].fillna("")).all()


def test_real_export_reduced_as_trafford_does_gives_the_same_values(tmp_path, area):
    """Reduce the real Campylobacter export the way the Trafford scripts do, load both."""
    full = ft.load_fingertips(REAL, area)[0].kept
    # one sex and one age, no categories: what a reduced extract holds
    tot = full[~full["is_category"] & (full["sex"] == "Persons") & (full["age"] == "All ages")]
    rows = [[r.area_code, r.area_name, r.time_period,
             "NA" if pd.isna(r.value) else f"{round(r.value, 1)}", r.indicator_name,
             "Crude rate per 100,000", "Persons", r.compared_to_england or "NA"]
            for r in tot.itertuples()]
    red = _export(tmp_path, area, "campylobacter_reduced.csv", list(ft.HEADER_REDUCED), rows)
    k = red.kept
    assert k["indicator_id"].isna().all()  # 93356 is not an indicator the package knows
    key = ["area_code", "time_period"]
    a = tot.sort_values(key).reset_index(drop=True)
    b = k.sort_values(key).reset_index(drop=True)
    for col in ("area_code", "area_name", "time_period", "period_start", "period_end",
                "in_area"):
        assert (a[col] == b[col]).all(), col
    np.testing.assert_allclose(b["value"], a["value"].round(1), equal_nan=True)


def test_registry_detection_is_unchanged_for_reduced_files():
    """The reduced header is still auto-detected as indicators_real (explicitly: fingertips)."""
    line = ",".join(ft.HEADER_REDUCED)
    assert ft.shape_of(line) == "reduced" and not ft.sniff(line)
    from lvrn_analysis.sources.registry import detect

    assert detect(line).name == "indicators_real"
    assert sources()["fingertips"].load is ft.load_fingertips


def test_indicator_ids_by_name():
    got = ft.indicator_ids_by_name(pd.Series([
        "Hospital admissions as a result of self-harm (10-24 years)",
        "Children in care: rate per 10,000 population aged < 18",
        "CHILDREN IN LOW INCOME FAMILIES", "Pupil absence", "no such indicator"]))
    assert got.tolist()[:4] == [90813, 90803, 10101, 10301] and pd.isna(got.iloc[4])
