"""Tests for lvrn_analysis.stats.disclosure (publish path; the guard: test_publication_guard)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lvrn_analysis.stats import disclosure as dc

ED = "ed_attendances"


def _line_counts(supp: np.ndarray) -> list[int]:
    """Suppressed cells per additive line of a matrix whose last row/col are totals."""
    rows = [int(supp[r, :].sum()) for r in range(supp.shape[0])]
    cols = [int(supp[:, c].sum()) for c in range(supp.shape[1])]
    return rows + cols


# ---------------------------------------------------------------------------
# primary suppression and rounding
# ---------------------------------------------------------------------------


def test_small_counts_suppressed_and_others_rounded():
    df = pd.DataFrame({"n": [0, 1, 7, 8, 12, 13, 100, 1234]})
    out = dc.publish(df, source=ED, count_cols="n")
    assert out.frame["n"].dtype == "Int64"
    assert out.frame["n"].tolist() == [0, pd.NA, pd.NA, 10, 10, 15, 100, 1235]
    assert out.primary["n"].tolist() == [False, True, True] + [False] * 5
    assert out.display_frame()["n"].tolist() == [
        "0", "[c]", "[c]", "10", "10", "15", "100", "1,235"]
    values = out.frame["n"].dropna().to_numpy(dtype=int)
    assert np.all(values % 5 == 0)


def test_zero_can_be_suppressed():
    out = dc.publish(pd.DataFrame({"n": [0, 9]}), source=ED, count_cols="n", show_zero=False)
    assert out.display_frame()["n"].tolist() == ["[c]", "10"]
    assert "0 to 7" in out.footnote()


def test_threshold_configurable_but_not_below_floor_for_person_level():
    out = dc.publish(pd.DataFrame({"n": [9, 11]}), source=ED, count_cols="n", threshold=10)
    assert out.display_frame()["n"].tolist() == ["[c]", "10"]
    with pytest.raises(ValueError, match="person-level"):
        dc.publish(pd.DataFrame({"n": [9]}), source=ED, count_cols="n", threshold=5)


def test_round_to_base():
    assert dc.round_to_base([0, 2, 3, 7, 8, 12, 13, 15], 5).tolist() == [
        0, 0, 5, 5, 10, 10, 15, 15]
    assert dc.round_to_base([15, 14], 10).tolist() == [20, 10]
    assert dc.round_to_base([3], 1).tolist() == [3]


def test_counts_must_be_nonnegative_integers():
    with pytest.raises(ValueError, match=r"row index 1, column 'n'"):
        dc.publish(pd.DataFrame({"n": [3, 2.5]}), source=ED, count_cols="n")
    with pytest.raises(ValueError, match="column 'n'"):
        dc.publish(pd.DataFrame({"n": [-1]}), source=ED, count_cols="n")


def test_missing_counts_shown_as_not_available():
    out = dc.publish(pd.DataFrame({"n": [np.nan, 20.0]}), source=ED, count_cols="n")
    assert out.display_frame()["n"].tolist() == ["[x]", "20"]
    assert not out.suppressed["n"].iloc[0]


# ---------------------------------------------------------------------------
# secondary suppression
# ---------------------------------------------------------------------------


def test_one_way_table_total_cannot_reveal_a_small_cell():
    # Without secondary suppression, A = 113 - 40 - 52 - 18 = 3 would be recoverable.
    df = pd.DataFrame({"district": ["A", "B", "C", "D", "Total"],
                       "attendances": [3, 40, 52, 18, 113]})
    out = dc.publish(df, source=ED, count_cols="attendances",
                     total_row=("district", "Total"))
    supp = out.suppressed["attendances"].tolist()
    assert supp == [True, False, False, True, False]  # D (next smallest) also suppressed
    assert out.primary["attendances"].tolist()[0] and out.secondary["attendances"].iloc[3]
    assert sum(supp) != 1


def test_partner_is_smallest_nonzero_cell():
    # a visible zero is no protection: the partner must be a non-zero cell
    df = pd.DataFrame({"g": ["A", "B", "C", "Total"], "n": [3, 0, 50, 53]})
    out = dc.publish(df, source=ED, count_cols="n", total_row=("g", "Total"))
    assert out.suppressed["n"].tolist() == [True, False, True, False]
    # a total equal to one small cell is itself a small count: suppressed as primary
    df = pd.DataFrame({"g": ["A", "B", "Total"], "n": [3, 0, 3]})
    out = dc.publish(df, source=ED, count_cols="n", total_row=("g", "Total"))
    assert out.primary["n"].tolist() == [True, False, True]


def test_totals_published_elsewhere():
    df = pd.DataFrame({"g": ["A", "B", "C"], "n": [5, 30, 60]})
    plain = dc.publish(df, source=ED, count_cols="n")
    assert plain.suppressed["n"].sum() == 1
    known = dc.publish(df, source=ED, count_cols="n", totals_published=True)
    assert known.suppressed["n"].tolist() == [True, True, False]


def test_groups_each_have_their_own_total():
    df = pd.DataFrame({
        "year": [2021] * 4 + [2022] * 4,
        "district": ["A", "B", "C", "Total"] * 2,
        "n": [2, 50, 60, 112, 30, 40, 50, 120],
    })
    out = dc.publish(df, source=ED, count_cols="n", groups="year",
                     total_row=("district", "Total"))
    assert out.suppressed["n"].tolist() == [True, True, False, False, False, False, False, False]


def test_two_way_table_with_margins():
    table = pd.DataFrame(
        {"male": [4, 30, 25, 59], "female": [12, 40, 33, 85], "total": [16, 70, 58, 144]},
        index=pd.Index(["A", "B", "C", "Total"], name="district"),
    )
    out = dc.publish(table, source=ED, count_cols=["male", "female", "total"],
                     total_row="Total", total_col="total")
    supp = out.suppressed[["male", "female", "total"]].to_numpy()
    assert supp[0, 0]  # the small cell
    assert all(k != 1 for k in _line_counts(supp)), supp
    html = out.to_html()
    assert "district" in html and '<th scope="row">Total</th>' in html


def test_totals_must_add_up():
    df = pd.DataFrame({"g": ["A", "B", "Total"], "n": [10, 20, 99]})
    with pytest.raises(ValueError, match="not the sum"):
        dc.publish(df, source=ED, count_cols="n", total_row=("g", "Total"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=2, max_size=8))
def test_property_one_way_no_line_with_single_suppression(parts):
    df = pd.DataFrame({"g": [f"c{i}" for i in range(len(parts))] + ["Total"],
                       "n": [*parts, sum(parts)]})
    before = df.copy(deep=True)
    out = dc.publish(df, source=ED, count_cols="n", total_row=("g", "Total"))
    pd.testing.assert_frame_equal(df, before)
    assert out.suppressed["n"].sum() != 1
    shown = out.frame["n"].dropna().to_numpy(dtype=int)
    assert not np.any((shown >= 1) & (shown <= 7))
    assert np.all(shown % 5 == 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=5))
def test_property_two_way_no_line_with_single_suppression(rows):
    m = np.array(rows)
    full = np.zeros((m.shape[0] + 1, m.shape[1] + 1), dtype=int)
    full[:-1, :-1] = m
    full[:-1, -1] = m.sum(axis=1)
    full[-1, :] = full[:-1, :].sum(axis=0)
    cols = ["a", "b", "c", "total"]
    df = pd.DataFrame(full, columns=cols)
    df.index = [*range(m.shape[0]), "Total"]
    out = dc.publish(df, source=ED, count_cols=cols, total_row="Total", total_col="total")
    supp = out.suppressed[cols].to_numpy()
    assert all(k != 1 for k in _line_counts(supp))


# ---------------------------------------------------------------------------
# derived values
# ---------------------------------------------------------------------------


def test_rates_from_suppressed_counts_are_suppressed():
    df = pd.DataFrame({"district": ["A", "B", "C", "D", "Total"],
                       "n": [3, 40, 52, 18, 113],
                       "pop": [1000, 2000, 3000, 1500, 7500]})
    df["rate"] = df["n"] / df["pop"] * 1000
    df["lower"] = df["rate"] * 0.8
    out = dc.publish(df, source=ED, count_cols="n",
                     derived_cols={"rate": "n", "lower": "n"},
                     total_row=("district", "Total"))
    assert out.frame["rate"].isna().tolist() == [True, False, False, True, False]
    assert out.frame["lower"].isna().tolist() == [True, False, False, True, False]
    shown = out.display_frame()
    assert shown.loc[0, "rate"] == "[c]" and shown.loc[3, "rate"] == "[c]"
    # rates are recomputed on the rounded counts (52 -> 50), so they do not leak 52
    assert out.frame["rate"].iloc[2] == pytest.approx(50 / 3000 * 1000)
    assert out.frame.attrs["disclosure"]["derived_rescaled_to_rounded_counts"]
    kept = dc.publish(df, source=ED, count_cols="n", derived_cols={"rate": "n"},
                      rescale_derived=False)
    assert kept.frame["rate"].iloc[2] == pytest.approx(52 / 3000 * 1000)


def test_percentage_with_two_sources():
    df = pd.DataFrame({"n": [3, 50], "total": [40, 60]})
    df["pct"] = df["n"] / df["total"] * 100
    out = dc.publish(df, source=ED, count_cols=["n", "total"],
                     derived_cols={"pct": ["n", "total"]})
    assert np.isnan(out.frame["pct"].iloc[0])
    assert out.frame["pct"].iloc[1] == pytest.approx(50 / 60 * 100)


# ---------------------------------------------------------------------------
# policies
# ---------------------------------------------------------------------------


def test_exempt_source_passes_unchanged_but_marked():
    df = pd.DataFrame({"lsoa": ["E01", "E02"], "crimes": [3, 41]})
    out = dc.publish(df, source="data.police.uk", count_cols="crimes")
    pd.testing.assert_frame_equal(out.frame, df)
    assert out.status == "exempt"
    info = out.frame.attrs["disclosure"]
    assert info["policy"] == "exempt" and "data.police.uk" in info["reason"]
    html = out._repr_html_()
    assert 'data-lvrn-disclosure="exempt"' in html
    assert "Not subject to disclosure control" in html
    assert ">3<" in html


def test_registry_policies():
    assert dc.policy_for(ED).policy == "controlled"
    assert dc.policy_for(ED).person_level
    assert dc.policy_for("data.police.uk").policy == "exempt"
    assert dc.policy_for("programme_figures").policy == "exempt"
    for p in dc.SOURCE_POLICIES.values():
        assert p.reason
    unknown = dc.policy_for("some_new_extract")
    assert unknown.policy == "controlled" and "not registered" in unknown.reason
    with pytest.raises(TypeError):
        dc.SOURCE_POLICIES["x"] = unknown  # read-only registry
    with pytest.raises(ValueError):
        dc.policy_for("")


def test_input_never_mutated():
    df = pd.DataFrame({"g": ["A", "B", "Total"], "n": [3, 40, 43], "rate": [0.1, 2.0, 1.0]})
    df.attrs["note"] = "keep"
    before = df.copy(deep=True)
    out = dc.publish(df, source=ED, count_cols="n", derived_cols={"rate": "n"},
                     total_row=("g", "Total"))
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"note": "keep"}
    assert out.frame is not df
    assert out.frame.attrs["note"] == "keep"


# ---------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------


def _published():
    df = pd.DataFrame({"district": ["A", "B", "C", "Total"], "n": [3, 40, 52, 95],
                       "pop": [1000, 2000, 3000, 6000]})
    df["rate"] = df["n"] / df["pop"] * 1000
    return dc.publish(df, source=ED, count_cols="n", derived_cols={"rate": "n"},
                      total_row=("district", "Total"), caption="ED assault attendances")


def test_html_has_marker_footnote_and_flags():
    html = _published()._repr_html_()
    assert 'data-lvrn-disclosure="controlled"' in html
    assert 'data-lvrn-source="ed_attendances"' in html
    assert "[c]" in html and html.count('data-lvrn-suppressed="true"') >= 2
    # published HTML must not say which suppressed cell is the small (primary) one
    assert "primary" not in html and "secondary" not in html
    assert 'data-lvrn-rounded="5"' in html and "<sup" in html
    assert "counts of 1 to 7 are suppressed" in html
    assert "rounded to the nearest 5" in html
    assert "Symbols in tables, definitions and help" in html
    assert "<caption>ED assault attendances</caption>" in html
    assert dc.scan_html(html) == []


def test_attrs_record_policy():
    info = _published().frame.attrs["disclosure"]
    assert info["policy"] == "controlled" and info["source"] == ED
    assert info["threshold"] == 7 and info["rounding"] == 5
    pub = _published()
    assert ["0", "n"] in info["suppressed_cells"]
    assert len(info["suppressed_cells"]) == int(pub.primary.to_numpy().sum()
                                                + pub.secondary.to_numpy().sum())
    # the published record must not tell primary from secondary suppression
    assert not any("primary" in k or "secondary" in k for k in info)


def test_to_csv_and_sidecar(tmp_path):
    pub = _published()
    path = pub.to_csv(tmp_path / "tables" / "ed.csv")
    text = path.read_text()
    assert "[c]" in text and "1,000" not in text
    back = pd.read_csv(path, dtype=str)
    assert back["n"].tolist() == ["[c]", "[c]", "50", "95"]
    meta = json.loads((tmp_path / "tables" / "ed.csv-metadata.json").read_text())
    assert meta["lvrn:disclosure"] == "controlled"
    assert meta["dc:source"] == ED
    roles = {c["name"]: c.get("lvrn:role") for c in meta["tableSchema"]["columns"]}
    assert roles["n"] == "count" and roles["rate"] == "derived"
    assert dc.scan_csv(path) == []
    assert "[controlled]" in repr(pub)


# ---------------------------------------------------------------------------
# footnotes only where they apply; lineage (issue 14)
# ---------------------------------------------------------------------------


def test_footnote_only_under_tables_with_counts():
    text = pd.DataFrame({"source": ["police"], "what": ["street-level crime"]})
    doc = dc.publish(text, source="documentation", count_cols=[])
    html = doc.to_html()
    assert "lvrn-disclosure-note" not in html and "not registered as exempt" not in html
    assert 'data-lvrn-disclosure="controlled"' in html and dc.scan_html(html) == []
    assert "not registered" not in repr(doc)
    counted = _published().to_html()
    assert "lvrn-disclosure-note" in counted and "counts of 1 to 7" in counted
    # a table with derived columns only still gets it
    rates = dc.publish(pd.DataFrame({"n": [40], "rate": [1.5]}), source=ED, count_cols="n",
                       derived_cols={"rate": "n"})
    assert "lvrn-disclosure-note" in rates.to_html()


def test_synthetic_lineage_replaces_the_exemption_reason(tmp_path):
    from lvrn_analysis.processed.lineage import Lineage

    lin = Lineage.from_origins(["fingertips"], {"fingertips": "synthetic"})
    df = pd.DataFrame({"area": ["A", "B"], "count": [40, 52]})
    pub = dc.publish(df, source="fingertips", count_cols="count", lineage=lin,
                     caption="Violence offences")
    assert "already-published" not in pub.footnote() and "SYNTHETIC" in pub.footnote()
    html = pub.to_html()
    assert "<caption>SYNTHETIC DATA. Violence offences</caption>" in html
    assert 'data-lvrn-lineage="synthetic"' in html and "lvrn-lineage" in html
    path = pub.to_csv(tmp_path / "ft.csv")
    back = pd.read_csv(path)
    assert back.columns[0] == dc.STATUS_COLUMN and back[dc.STATUS_COLUMN].eq("SYNTHETIC").all()
    assert back["count"].tolist() == [40, 52]
    meta = json.loads((tmp_path / "ft.csv-metadata.json").read_text())
    assert meta["lvrn:synthetic"] is True and "already-published" not in json.dumps(meta)
    assert meta["lvrn:lineage"]["sources"] == ["fingertips"]
    assert dc.scan_csv(path) == []
    real = dc.publish(df, source="fingertips", count_cols="count")
    assert "already-published" in real.footnote() and real.lineage.status == "undeclared"
    with pytest.raises(ValueError, match="reserved"):
        dc.publish(df.rename(columns={"area": dc.STATUS_COLUMN}), source="fingertips",
                   count_cols="count", lineage=lin).to_csv(tmp_path / "clash.csv")
