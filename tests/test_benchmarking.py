"""Tests for lvrn_analysis.stats.benchmarking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.charts.plots import COLOURS
from lvrn_analysis.stats import benchmarking as bm
from lvrn_analysis.stats import indicators as ind


@pytest.mark.parametrize(
    ("lower", "upper", "polarity", "expected"),
    [
        (12, 15, "higher is better", "better"),
        (12, 15, "lower is better", "worse"),
        (12, 15, "no judgement", "higher"),
        (5, 8, "higher is better", "worse"),
        (5, 8, "lower is better", "better"),
        (5, 8, "no judgement", "lower"),
        (8, 12, "higher is better", "similar"),
        (10, 12, "lower is better", "similar"),  # touching counts as overlapping
        (np.nan, 12, "higher is better", "not compared"),
    ],
)
def test_classify_against_value(lower, upper, polarity, expected):
    assert bm.classify(lower, upper, 10.0, polarity).item() == expected


def test_classify_vectorised_and_aliases():
    out = bm.classify([1, 11, 9], [2, 12, 11], [10, 10, np.nan], "RAG - Low is good")
    assert out.tolist() == ["better", "worse", "not compared"]


def test_classify_interval_overlap():
    # area 11-13 vs benchmark 10 (9.5-11.5): overlap -> similar; vs point -> higher
    assert bm.classify(11, 13, 10, "no judgement").item() == "higher"
    assert bm.classify(11, 13, 10, "no judgement", benchmark_lower=9.5,
                       benchmark_upper=11.5).item() == "similar"
    with pytest.raises(ValueError):
        bm.classify(1, 2, 3, "no judgement", benchmark_lower=1)


def test_unknown_polarity():
    with pytest.raises(ValueError, match="polarity"):
        bm.classify(1, 2, 3, "up is good")


def test_labels_have_house_colours():
    for label in ("better", "similar", "worse", "not compared"):
        assert label in COLOURS
    assert set(bm.LABELS) >= {"better", "similar", "worse", "higher", "lower", "not compared"}


def _rates() -> pd.DataFrame:
    df = pd.DataFrame({
        "area": ["Blackpool", "Fylde", "Wyre", "Tiny"],
        "x": [900, 150, 400, 0],
        "n": [139_446, 80_780, 112_091, 1_000],
        "region_value": [350.0, 350.0, 350.0, np.nan],
    })
    return ind.crude_rate(df, confidence=(0.95, 0.998))


def test_compare_to_benchmark_levels_and_polarity():
    rates = _rates()
    england = 350.0
    out95 = bm.compare_to_benchmark(rates, england, polarity="lower is better", level=0.95)
    assert out95["comparison"].tolist() == ["worse", "better", "similar", "similar"]
    out998 = bm.compare_to_benchmark(rates, england, polarity="lower is better", level=0.998)
    # at 99.8 % the intervals are wider: never "more significant" than at 95 %
    for a, b in zip(out95["comparison"], out998["comparison"], strict=True):
        assert b == a or b == "similar"
    assert out95.attrs["comparison"]["level"] == 0.95
    assert "comparison" not in rates  # input untouched


def test_compare_to_benchmark_column_and_missing():
    out = bm.compare_to_benchmark(_rates(), "region_value", polarity="no judgement")
    assert out["comparison"].tolist() == ["higher", "lower", "similar", "not compared"]


def test_compare_single_level_frame_checks_confidence():
    df = pd.DataFrame({"x": [900], "n": [139_446]})
    single = ind.crude_rate(df, confidence=0.998)
    assert bm.compare_to_benchmark(single, 350, polarity="no judgement",
                                   level=0.998)["comparison"].iloc[0] == "higher"
    with pytest.raises(ValueError, match="0.95"):
        bm.compare_to_benchmark(single, 350, polarity="no judgement", level=0.95)


def test_quintiles():
    df = pd.DataFrame({"area": list("abcdefghij") + ["k"],
                       "value": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan]})
    out = bm.quintiles(df, polarity="higher is better")
    assert out["quintile"].tolist()[:10] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert pd.isna(out["quintile"].iloc[10])
    assert out["quintile_label"].iloc[9] == "Best"
    assert out["quintile_label"].iloc[0] == "Worst"
    low = bm.quintiles(df, polarity="lower is better")
    assert low["quintile_label"].iloc[0] == "Best"
    nj = bm.quintiles(df)
    assert nj["quintile_label"].iloc[0] == "Lowest" and nj["quintile_label"].iloc[9] == "Highest"


def test_quintiles_grouped_and_ties():
    df = pd.DataFrame({"year": [1] * 5 + [2] * 5, "value": [5, 5, 5, 5, 5, 1, 2, 3, 4, 5]})
    out = bm.quintiles(df, group_by="year")
    assert out["quintile"].tolist() == [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
