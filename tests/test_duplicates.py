"""Crimes published twice: kept in the shipped aggregate, counted by month, shown in the rates.

The real Lancashire files of March, July, October and December 2020 each repeat 800 to
1,150 Crime IDs. The embedded aggregate keeps those copies (``crime_id_status =
"duplicate"``, with ``repeat_of_first``), so a build from it quarantines exactly what a
build from the raw files does. Checks against the raw files run when
``../shared/reference/police`` is beside the clone.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.charts import duplicates as dup_charts
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import police
from lvrn_analysis.sources.validation import WEIGHT
from lvrn_analysis.story import duplicates

ROOT = Path(__file__).resolve().parents[1]
SHARED_POLICE = ROOT.parent / "shared" / "reference" / "police"
FAULT_MONTHS = ["2020-03", "2020-07", "2020-10", "2020-12"]
needs_raw = pytest.mark.skipif(not SHARED_POLICE.is_dir(),
                               reason=f"{SHARED_POLICE} is absent (real monthly files)")


class _Sink:
    """A kept-table sink collecting frames in memory."""

    chunk_rows = 1_000_000

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def write_frame(self, kept: pd.DataFrame) -> None:
        self.parts.append(kept)

    def write_chunk(self, kept: pa.Table) -> None:
        self.parts.append(kept.to_pandas(types_mapper={pa.large_string(): pd.StringDtype(),
                                                       pa.string(): pd.StringDtype()}.get))


def _tables(area, paths=None):
    """The police_street, police_street_months and quarantine tables, as the build writes."""
    sink = _Sink()
    got = police.ingest(area, sink, paths)
    counts = pd.concat(sink.parts, ignore_index=True).rename(columns={WEIGHT: "count"})
    return counts, got.coverage, got.quarantine, got.records


def _raw_files(slug: str = "lancashire") -> list[Path]:
    return sorted(SHARED_POLICE.glob(f"*-{slug}-street.csv.gz"))


def _shipped(area) -> pd.DataFrame:
    with reference_file(area.embedded_police).open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""])
    frame[WEIGHT] = frame[WEIGHT].astype("int64")
    return frame


@pytest.fixture(scope="module")
def lancs():
    return load_area("lancashire")


@pytest.fixture(scope="module")
def embedded(lancs):
    return _tables(lancs)


@pytest.fixture(scope="module")
def raw(lancs):
    if not SHARED_POLICE.is_dir():
        pytest.skip(f"{SHARED_POLICE} is absent")
    return _tables(lancs, _raw_files())


@pytest.fixture(scope="module")
def by_month(embedded):
    counts, _, quarantine, _ = embedded
    return duplicates.duplicates_by_month(counts, quarantine)


@pytest.fixture(scope="module")
def effect(embedded, lancs):
    counts, months, quarantine, _ = embedded
    return duplicates.duplicate_effect(counts, months, quarantine, lancs)


# ------------------------------------------------------------------ the shipped aggregate


def test_aggregate_keeps_the_copies_by_month(lancs):
    frame = _shipped(lancs)
    assert list(frame.columns) == list(police.EMBED_COLUMNS)
    dup = frame[frame["crime_id_status"] == "duplicate"]
    per_month = dup.groupby("month")[WEIGHT].sum()
    assert per_month[FAULT_MONTHS].between(800, 1150).all()
    assert per_month.drop(FAULT_MONTHS).max() < 100
    # only repeated Crime IDs say whether they repeat the first copy, and all of them do
    assert dup["repeat_of_first"].isin(list(police.REPEAT_OF_FIRST)).all()
    assert frame.loc[frame["crime_id_status"] != "duplicate", "repeat_of_first"].isna().all()


@needs_raw
@pytest.mark.parametrize("slug", ["lancashire", "leicestershire"])
def test_shipped_aggregate_is_the_functions_output(slug):
    """Regenerating from the real files with the package's function gives the shipped bytes."""
    area = load_area(slug)
    built = police.build_embedded_aggregate(_raw_files(slug))
    with reference_file(area.embedded_police).open("rb") as fh:
        shipped = gzip.decompress(fh.read()).decode("utf-8")
    buf = io.StringIO()
    built.to_csv(buf, index=False)
    assert buf.getvalue() == shipped


@needs_raw
def test_aggregate_copies_equal_a_direct_count_of_the_raw_files(lancs):
    """Repeated Crime IDs per file, counted with plain pandas on the raw CSVs."""
    frame = _shipped(lancs)
    dup = frame[frame["crime_id_status"] == "duplicate"]
    same = dup[dup["repeat_of_first"] == "same_place_and_type"]
    agg = dup.groupby("source_file")[WEIGHT].sum()
    agg_same = same.groupby("source_file")[WEIGHT].sum()
    keys = ["Longitude", "Latitude", "Location", "LSOA code", "Crime type"]
    for p in _raw_files():
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
        raw = raw.apply(lambda c: c.str.strip())
        cid = raw["Crime ID"]
        repeated = (cid != "") & cid.duplicated(keep="first")
        name = p.name.removesuffix(".gz")
        assert int(repeated.sum()) == int(agg.get(name, 0)), name
        first = raw[(cid != "") & ~repeated].set_index("Crime ID")[keys]
        copies = raw[repeated]
        matches = (first.loc[copies["Crime ID"]].to_numpy() == copies[keys].to_numpy()).all(1)
        assert int(matches.sum()) == int(agg_same.get(name, 0)), name


# ------------------------------------------------------------------ builds agree


def test_every_copy_is_quarantined_and_rows_balance(embedded, lancs):
    counts, _, quarantine, records = embedded
    for r in records:
        assert r["rows_in"] == r["rows_kept"] + r["rows_rejected"], r["file"]
    assert sum(r["rows_in"] for r in records) == int(_shipped(lancs)[WEIGHT].sum())
    # a copy is quarantined as a duplicate unless an earlier rule caught it
    copies = quarantine[quarantine["crime_id_status"] == "duplicate"]
    frame = _shipped(lancs)
    assert int(copies[WEIGHT].sum()) == int(
        frame.loc[frame["crime_id_status"] == "duplicate", WEIGHT].sum())
    by_file = {r["file"].split("!")[-1][:7]: r for r in records}
    bm = duplicates.duplicates_by_month(counts, quarantine)
    for row in bm.itertuples():
        rec = by_file[f"{row.month:%Y-%m}"]
        assert row.rows_in_file == rec["rows_in"]
        assert row.duplicates == rec["rejected_by_reason"].get("duplicate_crime_id", 0)


def test_fault_months_are_the_four_2020_files(by_month):
    fault = by_month[by_month["publishing_fault"]]
    assert fault["month"].dt.strftime("%Y-%m").tolist() == FAULT_MONTHS
    assert fault["duplicates"].tolist() == [1144, 1033, 814, 1069]
    assert fault["same_place_and_type"].tolist() == [1144, 1030, 812, 1068]
    assert by_month.loc[~by_month["publishing_fault"], "duplicates"].max() == 27


def test_build_from_aggregate_equals_build_from_raw(embedded, raw, lancs):
    counts_e, months_e, q_e, _ = embedded
    counts_r, months_r, q_r, _ = raw
    keys = ["month", "la_code", "crime_type", "geo_status"]
    kept_e = counts_e.groupby(keys, dropna=False)["count"].sum()
    kept_r = counts_r.groupby(keys, dropna=False)["count"].sum()
    pd.testing.assert_series_equal(kept_e, kept_r)
    bm_e = duplicates.duplicates_by_month(counts_e, q_e)
    bm_r = duplicates.duplicates_by_month(counts_r, q_r)
    pd.testing.assert_frame_equal(bm_e.drop(columns="same_place_and_type"),
                                  bm_r.drop(columns="same_place_and_type"))
    assert bm_r["same_place_and_type"].isna().all()  # raw quarantine cannot say
    pd.testing.assert_frame_equal(
        duplicates.duplicate_effect(counts_e, months_e, q_e, lancs),
        duplicates.duplicate_effect(counts_r, months_r, q_r, lancs))


def test_old_aggregate_without_repeat_column_still_loads(lancs):
    frame = _shipped(lancs)
    old = police.load_embedded(frame.drop(columns="repeat_of_first"), lancs, label="old")
    new = police.load_embedded(frame, lancs, label="new")
    for a, b in zip(old, new, strict=True):
        assert a.rejected_by_reason() == b.rejected_by_reason()
        pd.testing.assert_frame_equal(a.kept, b.kept)


# ------------------------------------------------------------------ with and without


def test_with_and_without_differ_by_exactly_the_copies(effect, embedded, by_month):
    counts, _, quarantine, _ = embedded
    assert (effect["with_duplicates"] - effect["without"] == effect["duplicates"]).all()
    py = effect["population"] * effect["months"] / 12
    np.testing.assert_allclose(effect["rate_with"] - effect["rate_without"],
                               1000 * effect["duplicates"] / py, rtol=1e-12)
    # the window is 2020, its 9 months with data
    months = effect.attrs["months_with_data"]
    assert [f"{m:%Y-%m}" for m in months] == [
        "2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-07", "2020-10",
        "2020-11", "2020-12"]
    # kept counts are the page's placed violence counts over the same months
    v = counts[(counts["crime_type"] == duplicates.VIOLENCE) & counts["month"].isin(months)
               & (counts["geo_status"] == "in_area")]
    assert effect.set_index("la_code")["without"].to_dict() == \
        v.groupby("la_code")["count"].sum().to_dict()
    # placed copies + copies without a place = every violence copy removed in the window
    d = quarantine[(quarantine["reason"] == duplicates.DUPLICATE)
                   & (quarantine["crime_type"] == duplicates.VIOLENCE)]
    unplaced = d[d["lsoa_code"].isna() & d["month"].isin([f"{m:%Y-%m}" for m in months])]
    in_window = by_month[by_month["month"].isin(months)]["duplicates_of_type"].sum()
    assert int(effect["duplicates"].sum()) + int(unplaced[WEIGHT].sum()) == int(in_window)


def test_effect_is_uneven_by_authority(effect):
    share = effect.set_index("la_name")["removed_share"]
    assert round(100 * share["Wyre"], 1) == 9.1
    assert round(100 * share["Blackpool"], 1) == 6.4
    assert effect.iloc[0]["la_name"] == "Wyre"
    tot = duplicates.area_effect(effect)
    assert 0.045 < tot["removed_share"] < 0.055
    table = duplicates.effect_table(effect)
    assert table.iloc[-1]["Authority"] == "All authorities"
    assert table.iloc[-1]["second copies removed"] == int(effect["duplicates"].sum())
    assert (table["kept"] + table["second copies removed"] == table["with copies"]).all()


def test_sentence_numbers(by_month, effect):
    text = duplicates.duplicates_sentence(by_month, effect)
    fault = by_month[by_month["publishing_fault"]]
    n = int(fault["duplicates"].sum())
    tot = duplicates.area_effect(effect)
    assert "March 2020, July 2020, October 2020 and December 2020" in text
    assert f"**{n:,} rows are second copies**" in text and n == 4060
    assert "814 to 1,144 a file" in text
    assert "at most 27 in any of the other 32 files" in text
    assert f"{int(fault['same_place_and_type'].sum()):,} of the {n:,} second copies" in text
    assert f"at {tot['rate_with']:.1f} per 1,000" in text
    assert f"instead of **{tot['rate_without']:.1f}**" in text
    assert f"**{100 * tot['removed_share']:.1f} %**" in text
    assert "Wyre 9.1 %" in text and "in 2020 (9 months with data)" in text
    # without the repeat column (a build from raw files) the clause is left out
    blind = by_month.assign(same_place_and_type=pd.array([pd.NA] * len(by_month),
                                                         dtype="Int64"))
    assert "map point" not in duplicates.duplicates_sentence(blind, effect)


def test_no_fault_month_means_no_window(by_month):
    with pytest.raises(ValueError, match="publishing fault"):
        duplicates.duplicate_window(by_month.assign(publishing_fault=False))


def test_charts_say_what_they_show(by_month, effect):
    f1 = dup_charts.duplicates_month_chart(by_month, title="t", source="s")
    assert "March 2020 (1,144)" in f1.lvrn_alt and "more than 27" in f1.lvrn_alt
    f2 = dup_charts.duplicates_effect_chart(effect, title="t", source="s")
    assert "9.1 % (Wyre)" in f2.lvrn_alt
    assert len(f2.axes[0].collections) >= 3  # the bars between, the two kinds of dot
