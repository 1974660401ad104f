"""ED profile, the ED Navigator caseload snapshot (Box 1), benchmarks and coverage.

All on small hand-made frames.

Disclosure expectations are worked out by hand from the project rule (counts of
1-7 suppressed, others rounded to 5, secondary suppression of the next-smallest
cell in a line with a lone suppressed cell); benchmark labels from the
Fingertips rule (95 % interval wholly above / below the benchmark).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from lvrn_analysis.charts import ed as ed_charts
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import ed, navigator
from lvrn_analysis.sources.programmes import default_inputs, load_programmes
from lvrn_analysis.stats import disclosure as dc
from lvrn_analysis.story import ed_profile
from lvrn_analysis.story.ed_profile.controlled import _pct

SRC = "Source: test. SYNTHETIC DATA - illustrative, not real figures."
WEEKDAYS = ed_profile.WEEKDAYS


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def programmes(area):
    return load_programmes(default_inputs(area)[0], area)[0].kept


def attendances(n: int, *, start: str = "2022-01-03 12:00", freq: str = "7h",
                site: str = "RXN02", **cols: object) -> pd.DataFrame:
    """Build ``n`` attendances in the processed ED schema (only the columns used here)."""
    t = pd.date_range(start, periods=n, freq=freq)
    ages = pd.array(cols.pop("age", [25] * n), dtype="Int64")
    sites = ed.ed_sites().set_index("site_code")["site_name"]
    d = pd.DataFrame({
        "attendance_id": [f"A{i:05d}" for i in range(n)],
        "patient_pseudo_id": [f"P{i:05d}" for i in range(n)],
        "ed_site": site, "ed_site_name": sites[site],
        "arrival_datetime": t,
        "arrival_month": t.to_period("M").to_timestamp(),
        "weekday": np.asarray(WEEKDAYS, dtype=object)[t.day_of_week],
        "is_night": t.hour.isin(ed.NIGHT_HOURS),
        "age": ages,
        "sex": "1",
        "resident_in_area": True,
        "presenting_complaint_group": "facial_injury",
        "arrival_mode_group": "own_transport",
        "incident_location_group": "public_place",
        "means_of_assault_group": "body_part",
        "alcohol_involved": "N", "drugs_involved": "N",
        "referral_group": "none",
    })
    d["age_band"] = ed.age_band(d["age"])
    for k, v in cols.items():
        d[k] = v
    return d


# --------------------------------------------------------------- disclosure helpers


def test_published_counts_marks_suppression_as_na():
    df = pd.DataFrame({"district": ["Blackpool", "Fylde", "Wyre", "Total"],
                       "attendances": [3, 48, 112, 163]})
    pub = ed_profile.published_counts(df, "attendances", total_row=("district", "Total"))
    vals = pub["attendances"]
    assert str(vals.dtype) == "Int64"
    # 3 is small (primary); 48 is the next-smallest in the line (secondary)
    assert vals.isna().tolist() == [True, True, False, False]
    assert vals.iloc[2] == 110 and vals.iloc[3] == 165
    with pytest.raises(ValueError, match="complete counts"):
        ed_profile.published_counts(df.assign(attendances=pd.array([1, None, 3, 4],
                                                                   dtype="Int64")),
                                    "attendances")


@pytest.mark.parametrize(("n", "text"), [(0, "none"), (1, "fewer than 8"), (7, "fewer than 8"),
                                         (8, "about 10"), (1234, "about 1,235")])
def test_controlled_count(n, text):
    assert ed_profile.controlled_count(n) == text


def test_latest_months_window_and_gaps():
    d = pd.concat([attendances(3, start=f"{m}-02 10:00", freq="1D")
                   for m in pd.date_range("2021-01", "2022-06", freq="MS").strftime("%Y-%m")])
    start, end = ed_profile.latest_months(d, 12)
    assert (start, end) == (pd.Timestamp("2021-07-01"), pd.Timestamp("2022-06-01"))
    gap = d[d["arrival_month"] != pd.Timestamp("2022-02-01")]
    with pytest.raises(ValueError, match="2022-02"):
        ed_profile.latest_months(gap, 12)


# ------------------------------------------------------------------------ ED tables


def test_one_way_table_percentages_come_from_published_counts():
    groups = ["home"] * 100 + ["public_place"] * 52 + ["education"] * 3
    d = attendances(len(groups), incident_location_group=groups)
    spec = ed_profile.one_way_table(d, "incident_location_group",
                                    field_name="incident_location_type", label="Location",
                                    caption="c")
    df = spec.df.set_index("Location")
    assert df.loc["Total", "attendances"] == 155
    assert df.loc["Workplace", "attendances"] == 0  # every code listed, zeros shown
    pub = spec.published_counts().set_index("Location")
    # 3 suppressed; zeros do not protect it, so the next-smallest non-zero (52) goes too
    assert pd.isna(pub.loc["School or college", "attendances"])
    assert pd.isna(pub.loc["Street or other public place", "attendances"])
    assert pd.isna(pub.loc["Street or other public place", "percent"])
    assert pub.loc["Home", "percent"] == pytest.approx(100 * 100 / 155)
    assert pub.loc["Total", "attendances"] == 155
    html = spec.published().to_html()
    assert dc.scan_html(html) == []
    assert ">3<" not in html and ">52<" not in html


def test_one_way_table_rejects_codes_outside_the_list():
    d = attendances(10, means_of_assault_group=["body_part"] * 9 + ["laser"])
    with pytest.raises(ValueError, match="outside the code list"):
        ed_profile.one_way_table(d, "means_of_assault_group", field_name="means_of_assault",
                                 label="Means", caption="c")


def test_age_sex_table_margins_secondary_suppression_and_left_out():
    ages = [5] * 30 + [20] * 200 + [40] * 100 + [pd.NA] * 12
    sex = ["1"] * 20 + ["2"] * 10 + ["1"] * 120 + ["2"] * 80 + ["1"] * 60 + ["2"] * 40 \
        + ["1"] * 8 + ["2"] * 4
    d = attendances(len(ages), age=ages, sex=sex)
    extra = attendances(3, age=[20, 20, 20], sex=["9", "9", "X"])
    spec, left_out = ed_profile.age_sex_table(pd.concat([d, extra], ignore_index=True),
                                              caption="c.")
    assert left_out == 3
    assert "fewer than 8" in spec.caption
    raw = spec.df.set_index("age_band")
    assert (raw["Total"] == raw["Male"] + raw["Female"]).all()
    assert raw.loc["Total", "Total"] == len(d)
    pub = spec.published_counts().set_index("age_band")
    # Unknown female 4 -> primary; row partner Unknown male 8 and column partner 0-9 female
    # (10) -> secondary; then 0-9 male (20) to protect the 0-9 row
    assert pub.loc["Unknown", ["Male", "Female"]].isna().all()
    assert pub.loc["0-9", ["Male", "Female"]].isna().all()
    assert pub.loc["18-30", "Male"] == 120
    summ = ed_profile.suppression_summary(spec.published())
    assert summ == {"cells": 24, "primary": 1, "secondary": 3}
    assert "3 more to protect it" in ed_profile.people_text(spec)


def test_hour_weekday_table_shape_and_totals():
    d = attendances(500, freq="97min")
    spec = ed_profile.hour_weekday_table(d, caption="c")
    df = spec.df
    assert list(df.columns) == ["hour", *WEEKDAYS, "Total"]
    assert df["hour"].iloc[0] == "00:00" and df["hour"].iloc[23] == "23:00"
    assert len(df) == 25 and df["Total"].iloc[-1] == 500
    # a Monday 01:00 arrival lands in the right cell
    one = attendances(1, start="2022-01-03 01:30")
    cell = ed_profile.hour_weekday_table(one, caption="c").df.set_index("hour")
    assert cell.loc["01:00", "Monday"] == 1 and cell.drop(index="Total")["Total"].sum() == 1
    pub = spec.published_counts()
    assert dc.scan_html(spec.published().to_html()) == []
    assert pub[list(WEEKDAYS)].iloc[:-1].isna().to_numpy().any()  # 500 over 168 cells


def test_alcohol_drugs_table_and_recorded_shares():
    alc = ["Y"] * 40 + ["N"] * 50 + ["U"] * 30
    drg = ["Y"] * 10 + ["N"] * 30 + ["Y"] * 10 + ["N"] * 40 + ["U"] * 30
    d = attendances(120, alcohol_involved=alc, drugs_involved=drg)
    spec = ed_profile.alcohol_drugs_table(d, caption="c")
    raw = spec.df.set_index("alcohol_involved")
    assert raw.loc["Yes", "Drugs: yes"] == 10 and raw.loc["Total", "Total"] == 120
    assert raw.loc["Not recorded", "Drugs: not recorded"] == 30
    pub = spec.published_counts()
    a = ed_profile.recorded_share(pub, "alcohol")
    g = ed_profile.recorded_share(pub, "drugs")
    assert (a["yes"], a["no"], a["total"]) == (40, 50, 120)
    assert a["pct_yes_where_recorded"] == pytest.approx(100 * 40 / 90)
    assert g["yes"] == 20 and g["pct_recorded"] == pytest.approx(100 * 90 / 120)
    with pytest.raises(ValueError):
        ed_profile.recorded_share(pub, "tobacco")


def test_repeat_table_looks_back_before_the_period():
    before = attendances(40, start="2021-12-01 10:00", freq="13h")
    during = attendances(40, start="2022-01-05 10:00", freq="13h")
    # the first 10 patients of January attended in December too
    during["patient_pseudo_id"] = [f"P{i:05d}" for i in range(10)] + \
        [f"Q{i:05d}" for i in range(30)]
    during["attendance_id"] = [f"B{i:05d}" for i in range(40)]
    d = pd.concat([before, during], ignore_index=True)
    spec = ed_profile.repeat_table(d, pd.Timestamp("2022-01-01"), pd.Timestamp("2022-01-01"),
                                   caption="c")
    raw = spec.df.set_index("ed_site")
    assert raw.loc["Total", "attendances"] == 40
    assert raw.loc["Total", "repeat_attendances"] == 10
    pub = spec.published_counts().set_index("ed_site")
    assert pub.loc["Total", "percent_repeat"] == pytest.approx(25.0)


def _sentences_with_numbers(text: str) -> list[str]:
    import re
    return [t for t in re.split(r"(?<=[.!?])\s+(?=[A-Z*])", text) if re.search(r"\d", t)]


def test_ed_prose_calls_every_synthetic_number_illustrative():
    n = 400
    loc = (["public_place"] * 150 + ["home"] * 120 + ["licensed_premises"] * 80
           + ["unknown"] * 50)
    means = (["body_part"] * 220 + ["sharp_object"] * 60 + ["unknown"] * 80
             + ["blunt_object"] * 40)
    alc = (["Y", "N", "U", "N"] * 100)
    drg = (["N", "Y", "N", "U"] * 100)
    d = attendances(n, incident_location_group=loc, means_of_assault_group=means,
                    alcohol_involved=alc, drugs_involved=drg,
                    age=[15, 25, 35, 45] * 100, sex=["1", "2", "1", "1"] * 100)
    d["origin"] = "synthetic"
    place = ed_profile.one_way_table(d, "incident_location_group",
                                     field_name="incident_location_type", label="Place",
                                     caption="c")
    means_t = ed_profile.one_way_table(d, "means_of_assault_group",
                                       field_name="means_of_assault", label="Means",
                                       caption="c")
    people, _ = ed_profile.age_sex_table(d, caption="c")
    start = end = pd.Timestamp("2022-01-01")

    def texts(synthetic: bool) -> list[str]:
        return [ed_profile.place_means_text(place, means_t, synthetic=synthetic),
                ed_profile.alcohol_drugs_text(ed_profile.alcohol_drugs_table(d, caption="c"),
                                              synthetic=synthetic),
                ed_profile.people_text(people, synthetic=synthetic),
                ed_profile.time_text(ed_profile.hour_weekday_table(d, caption="c"),
                                     synthetic=synthetic),
                ed_profile.repeat_text(ed_profile.repeat_table(d, start, end, caption="c"),
                                       synthetic=synthetic)]

    knife = [t for t in _sentences_with_numbers(texts(True)[0]) if "knife" in t]
    assert knife and "illustrative" in knife[0]
    for text in texts(True) + [ed_profile.period_text(d, start, end)]:
        for sentence in _sentences_with_numbers(text):
            if "suppress" in sentence:  # counts of table cells, not of attendances
                continue
            assert "synthetic" in sentence or "illustrative" in sentence, sentence
    for text in texts(False) + [ed_profile.period_text(d.assign(origin="real"), start, end)]:
        assert "synthetic" not in text and "illustrative" not in text


# --------------------------------------------------------------------------- Box 1


def caseload(n: int, *, start: str = "2020-06-01 14:00", freq: str = "21h",
             site: str = ed_profile.NAVIGATOR_SITE, **cols: object) -> pd.DataFrame:
    """``n`` ED Navigator contacts in the processed ``navigator_contacts`` schema."""
    t = pd.date_range(start, periods=n, freq=freq)
    age = pd.Series(cols.pop("age", [25] * n), dtype="int64")
    d = pd.DataFrame({
        "contact_id": [f"C{i:05d}" for i in range(n)],
        "ed_site": site,
        "attendance_datetime": t,
        "attendance_month": t.to_period("M").to_timestamp(),
        "weekday": np.asarray(WEEKDAYS, dtype=object)[t.day_of_week],
        "is_night": t.hour.isin(ed.NIGHT_HOURS),
        "age": age, "age_band": navigator.age_band(age),
        "sex": "1", "referral_reason": "violence", "presenting_complaint": "facial_injury",
        "arrival_mode": "own_transport", "alcohol_factor": "N", "drugs_factor": "N",
        "contact": "face_to_face", "onward_referral": "none",
    })
    for k, v in cols.items():
        d[k] = v
    d["contact_attempted"] = d["contact"] != "none"
    return d


def box1_month() -> pd.DataFrame:
    """32 June 2020 contacts at the navigator site with the report's Box 1 quotas."""
    n = 32
    days = pd.date_range("2020-06-01", "2020-06-30", freq="D")
    mondays = [x for x in days if x.day_of_week == 0]
    others = [x for x in days if x.day_of_week != 0]
    dates = (mondays * 2)[:7] + (others * 2)[:25]
    hours = [23] * 13 + [14] * 19
    t = pd.DatetimeIndex([d + pd.Timedelta(hours=h) for d, h in zip(dates, hours, strict=True)])
    d = caseload(n, age=[20] * 15 + [35] * 17, sex=["1"] * 21 + ["2"] * 11,
                 presenting_complaint=["head_injury"] * 10 + ["facial_injury"] * 22,
                 arrival_mode=["ambulance"] * 12 + ["own_transport"] * 20,
                 alcohol_factor=["Y"] * 7 + ["N"] * 25,
                 drugs_factor=["Y"] * 3 + ["N"] * 4 + ["Y"] * 4 + ["N"] * 21,
                 referral_reason=["violence"] * 18 + ["self_harm"] * 8 + ["overdose"] * 6,
                 contact=["face_to_face"] * 17 + ["telephone"] * 12 + ["none"] * 3)
    d["attendance_datetime"] = t
    d["attendance_month"] = t.to_period("M").to_timestamp()
    d["weekday"] = np.asarray(WEEKDAYS, dtype=object)[t.day_of_week]
    d["is_night"] = t.hour.isin(ed.NIGHT_HOURS)
    return d


def test_box1_counts_agree_with_sources_navigator_box1_profile():
    d = box1_month()
    mine = ed_profile.box1_counts(d)
    prof = navigator.box1_profile(d, ed_profile.NAVIGATOR_SITE, "2020-06").set_index("measure")
    num = prof["numerator"]
    assert mine["attendances"] == num["attendances"] == 32
    for key, measure in (("male", "percent_male"), ("female", "percent_female"),
                         ("aged_18_30", "percent_aged_18_30"),
                         ("head_injury", "percent_head_injury"),
                         ("ambulance", "percent_ambulance"), ("night", "percent_night"),
                         ("contact", "contact_attempted"),
                         ("alcohol", "influencing_factor_alcohol"),
                         ("drugs", "influencing_factor_drugs"),
                         ("both", "influencing_factor_both"),
                         ("violence", "reason_violence"), ("self_harm", "reason_self_harm"),
                         ("overdose", "reason_overdose")):
        assert mine[key] == num[measure], key
    assert prof.loc["percent_male", "value"] == 65.6 and prof.loc["percent_night", "value"] == 40.6
    assert prof.loc["busiest_weekday", "value"] == ed_profile.busiest_weekday(d) == "Monday"
    assert (mine["monday"], mine["contact"]) == (7, 29)


def test_box1_table_is_the_navigator_caseload_under_control(programmes):
    june = box1_month()
    year = caseload(12 * 40, start="2020-04-01 00:30", freq="18h",
                    alcohol_factor=(["Y"] * 3 + ["N"] * 5) * 60,
                    drugs_factor=(["Y"] * 1 + ["N"] * 3) * 120,
                    referral_reason=(["violence"] * 2 + ["self_harm", "overdose"]) * 120,
                    contact=(["face_to_face"] * 3 + ["none"]) * 120)
    year = year[year["attendance_month"] != pd.Timestamp("2020-06-01")]
    d = pd.concat([june, year], ignore_index=True)
    spec = ed_profile.box1_table(d, programmes)
    assert spec.source == ed_profile.NAVIGATOR_SOURCE == "navigator_contacts"
    assert spec.caption.startswith("SYNTHETIC data.") and "caseload" in spec.caption
    assert "assault attendances" not in spec.caption
    df = spec.df.set_index("measure")
    rep = df.columns[0]
    assert "§5.2" in rep
    assert df.loc["Male", rep] == "65.6%"
    assert df.loc["Influencing factor: alcohol", rep] == "at least 7"
    assert df.loc["Arrived on a Monday", rep] == "Monday busiest"
    assert df.loc["Attendances in the navigators' caseload", rep] == "32"
    assert df.loc["Contact attempted (face to face or telephone)", rep] == "29"
    assert df.loc["Reason: self-harm", rep] == "not given"
    m_cnt, y_cnt = spec.count_cols
    assert m_cnt == "June 2020: count" and y_cnt == "April 2020 to March 2021: count"
    pub = spec.published()
    fr = pub.frame.set_index("measure")
    hidden = [m for m, h in zip(fr.index, pub.suppressed[m_cnt], strict=True) if h]
    assert hidden == ["Arrived on a Monday", "Influencing factor: alcohol",
                      "Influencing factor: drugs", "Influencing factors: alcohol and drugs",
                      "Reason: overdose"]
    assert not pub.suppressed[y_cnt].any()
    # 29 of 32 published as 30 of 30
    nav = fr.loc["Contact attempted (face to face or telephone)"]
    assert nav[m_cnt] == 30 and nav["June 2020: %"] == pytest.approx(100.0)
    assert pd.isna(fr.loc["Influencing factor: alcohol", "June 2020: %"])
    assert fr.loc["Male", "June 2020: %"] == pytest.approx(100 * 20 / 30)
    assert dc.scan_html(pub.to_html()) == []
    text = ed_profile.box1_text(spec, programmes)
    assert text.startswith("Before disclosure control, the synthetic records for June 2020 "
                           "give exactly the report's figures")
    assert "**5 of the 15 counts for June 2020 cannot be published**" in text
    assert "contact attempted with 29 of 32 attendances becomes 30 of 30" in text
    assert "0 of the 15" in text
    assert "416 contacts" in text and "illustrative" in text
    # a month that differs from the report gets no "exactly" sentence
    other = box1_month().assign(sex="2")
    text2 = ed_profile.box1_text(ed_profile.box1_table(pd.concat([other, year]), programmes))
    assert "exactly" not in text2


def test_box1_table_without_go_live_needs_a_year(programmes):
    with pytest.raises(ValueError, match="go-live"):
        ed_profile.box1_table(box1_month(), programmes, site="RXN02")


# ---------------------------------------------------------------------- benchmarks


def test_police_benchmark_labels_lower_is_better():
    rates = pd.DataFrame({
        "la_code": ["A", "B", "C"], "la_name": ["High", "Mid", "Low"],
        "count": [500, 300, 100], "rate": [60.0, 40.0, 20.0],
        "lower_ci": [55.0, 35.0, 18.0], "upper_ci": [65.0, 45.0, 22.0]})
    out = ed_profile.police_benchmark(rates, {"value": 40.5}, area_label="Area")
    lab = out.set_index("la_name")["vs Area"]
    assert lab.to_dict() == {"High": "worse", "Mid": "similar", "Low": "better"}
    assert out["la_name"].tolist() == ["High", "Mid", "Low"]
    assert (out["Area rate"] == 40.5).all()


def fingertips_frame(area) -> pd.DataFrame:
    las = list(area.authorities[:3])
    rows = []
    for period, sortable, scale in (("2019/20", 20190000, 1.0), ("2020/21", 20200000, 1.1)):
        for code, count, den, comp in zip(las, [600, 250, 100], [10000, 10000, 10000],
                                          ["Worse", "Similar", "Better"], strict=True):
            c = round(count * scale)
            v = c / den * 1000
            lo, hi = v * 0.9, v * 1.1
            rows.append((11202, code, f"LA {code}", period, sortable, v, lo, hi, c, den, comp,
                         False))
        eng = 25.0 * scale
        rows.append((11202, ed_profile.ENGLAND_CODE, "England", period, sortable, eng,
                     eng - 0.05, eng + 0.05, np.nan, np.nan, "", False))
        rows.append((11202, ed_profile.ENGLAND_CODE, "England", period, sortable, 99.0,
                     np.nan, np.nan, np.nan, np.nan, "", True))  # a deprivation decile
    f = pd.DataFrame(rows, columns=["indicator_id", "area_code", "area_name", "time_period",
                                    "time_period_sortable", "value", "lower_ci95",
                                    "upper_ci95", "count", "denominator",
                                    "compared_to_england", "is_category"])
    f["indicator_name"] = "Violent crime - violence offences per 1000 population"
    f["sex"] = "Persons"
    return f


def test_fingertips_benchmark_against_england_and_area(area):
    out = ed_profile.fingertips_benchmark(fingertips_frame(area), area, area_label="Area")
    a = out.attrs
    assert a["period"] == "2020/21"  # latest by default
    assert a["england"] == pytest.approx(27.5)
    # area value = summed counts / summed denominators x 1,000
    assert a["area"][0] == pytest.approx((660 + 275 + 110) / 30000 * 1000)
    assert a["area"][1] < a["area"][0] < a["area"][2]
    lab = out.set_index("la_name")
    assert lab["vs England"].tolist() == ["worse", "similar", "better"]
    assert lab["vs Area"].tolist() == ["worse", "better", "better"]  # area 34.8
    assert a["agreement"] == 3
    assert (out["England value"] == 27.5).all()
    older = ed_profile.fingertips_benchmark(fingertips_frame(area), area, period="2019/20")
    assert older.attrs["england"] == pytest.approx(25.0)
    with pytest.raises(ValueError, match="England"):
        f = fingertips_frame(area)
        ed_profile.fingertips_benchmark(f[f["area_name"] != "England"], area)
    text = ed_profile.benchmark_text(
        ed_profile.police_benchmark(
            pd.DataFrame({"la_code": ["A"], "la_name": ["X"], "count": [9], "rate": [1.0],
                          "lower_ci": [0.5], "upper_ci": [1.5]}), {"value": 1.2},
            area_label="Area"), out, area_label="Area")
    assert "agrees with the export's own *compared to England* column for 3 of 3" in text
    worse = [t for t in _sentences_with_numbers(text) if "authorities are worse" in t]
    assert worse and "illustrative" in worse[0]


def test_benchmark_grid_and_counts(area):
    police = ed_profile.police_benchmark(pd.DataFrame({
        "la_code": ["A", "B"], "la_name": ["LA one", "LA two"], "count": [5, 6],
        "rate": [2.0, 1.0], "lower_ci": [1.8, 0.8], "upper_ci": [2.2, 1.2]}), {"value": 1.5},
        area_label="pan-Lancashire")
    ft = pd.DataFrame({"la_name": ["LA two", "LA one"], "value": [3.0, 1.0],
                       "England value": [2.0, 2.0], "vs England": ["worse", "better"],
                       "pan-Lancashire value": [2.5, 2.5],
                       "vs pan-Lancashire": ["worse", "better"]})
    # the area label defaults to the one police_benchmark() was given
    grid = ed_profile.benchmark_grid(police, ft, police_label="P", fingertips_label="F")
    assert len(grid) == 6 and grid["comparison"].nunique() == 3
    one = grid[grid["la_name"] == "LA one"].set_index("comparison")
    assert one["order"].unique().tolist() == [0]
    assert one.loc["P\nvs pan-Lancashire", "label"] == "worse"
    assert one.loc["F\nvs England", "label"] == "better"
    counts = ed_profile.benchmark_counts(grid)
    assert counts.loc["P\nvs pan-Lancashire"].tolist() == [1, 0, 1, 0]
    fig = ed_charts.benchmark_grid_chart(grid, title="t", source=SRC)
    assert "1 worse, 0 similar, 1 better" in fig.lvrn_alt
    plt.close(fig)


# ------------------------------------------------------------------------ coverage


def test_coverage_table_publishes_without_counts():
    plain = ed_profile.coverage_table()
    assert len(plain) == 9 and plain.columns[0] == "component"
    assert set(plain.drop(columns="component").to_numpy().ravel()) <= {"yes", "partly", "no"}
    labelled = ed_profile.coverage_table({"police_street": "real (x)", "ed_attendances":
                                          "synthetic (y)"})
    assert any(c.endswith("[real]") for c in labelled.columns)
    assert any("ED assault" in c and c.endswith("[synthetic here]") for c in labelled.columns)
    pub = dc.publish(plain, source="documentation", count_cols=[])
    assert pub.status == "controlled" and dc.scan_html(pub.to_html()) == []
    reasons = ed_profile.coverage_reasons("ed").set_index("component")
    assert reasons.loc["Assault resulting in injury", "coverage"] == "yes"
    with pytest.raises(KeyError):
        ed_profile.coverage_reasons("tea-leaves")
    summary = ed_profile.coverage_summary(plain)
    assert (summary[["yes", "partly", "no"]].sum(axis=1) == 9).all()
    assert "measured fully by no source" in ed_profile.coverage_text(plain)


# -------------------------------------------------------------------------- charts


def _hatched(fig) -> int:
    return sum(1 for ax in fig.axes for p in ax.patches if p.get_hatch())


def test_charts_draw_suppressed_cells_hatched_never_as_zero():
    ages = [5] * 30 + [20] * 200 + [40] * 100 + [pd.NA] * 12
    sex = ["1"] * 20 + ["2"] * 10 + ["1"] * 120 + ["2"] * 80 + ["1"] * 60 + ["2"] * 40 \
        + ["1"] * 8 + ["2"] * 4
    spec, _ = ed_profile.age_sex_table(attendances(len(ages), age=ages, sex=sex), caption="c")
    fig = ed_charts.age_sex_chart(spec.published_counts(), title="t", source=SRC)
    assert _hatched(fig) == 2  # 0-9 male and female (Unknown is not drawn)
    assert "0-9 male, 0-9 female" in fig.lvrn_alt
    plt.close(fig)

    hw = ed_profile.hour_weekday_table(attendances(500, freq="97min"), caption="c")
    pub = hw.published_counts()
    n_na = int(pub[list(WEEKDAYS)].iloc[:-1].isna().to_numpy().sum())
    fig = ed_charts.hour_weekday_chart(pub, title="t", source=SRC)
    rects = [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(rects) == n_na > 0
    assert f"{n_na} of 168 cells are suppressed" in fig.lvrn_alt
    plt.close(fig)

    groups = ["home"] * 100 + ["public_place"] * 52 + ["education"] * 3
    place = ed_profile.one_way_table(attendances(len(groups), incident_location_group=groups),
                                     "incident_location_group",
                                     field_name="incident_location_type", label="Location",
                                     caption="c")
    fig = ed_charts.category_chart([(place.published_counts(), "Location", "Place")],
                                   title="t", source=SRC)
    assert _hatched(fig) == 2 and "2 categories suppressed" in fig.lvrn_alt
    plt.close(fig)


def test_alcohol_drugs_and_coverage_charts_have_alt_text():
    shares = {"Alcohol": {"yes": 40.0, "no": 50.0, "not_recorded": 30.0, "total": 120.0,
                          "pct_recorded": 75.0, "pct_yes_where_recorded": 100 * 40 / 90},
              "Drugs": {"yes": 20.0, "no": 70.0, "not_recorded": 30.0, "total": 120.0,
                        "pct_recorded": 75.0, "pct_yes_where_recorded": 100 * 20 / 90}}
    fig = ed_charts.alcohol_drugs_chart(shares, title="t", source=SRC)
    assert "Alcohol: involved in 33% of all attendances (44% where recorded)" in fig.lvrn_alt
    plt.close(fig)
    fig = ed_charts.coverage_chart(ed_profile.coverage_table(), title="t", source=SRC)
    assert "9 components" in fig.lvrn_alt and "Child exploitation" in fig.lvrn_alt
    plt.close(fig)


def test_percent_helper_suppressed_denominator():
    s = pd.Series(pd.array([10, None], dtype="Int64"))
    out = _pct(s, pd.NA)
    assert out.isna().all()
    out = _pct(s, 40)
    assert out.iloc[0] == 25.0 and math.isnan(out.iloc[1])
