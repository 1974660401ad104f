"""Neighbourhood maps: shipped boundaries, the police → boundary join, smoothing, hot spots.

Reference values are from ``../shared/reference/boundaries/MANIFEST.md`` (feature counts
per authority, mid-2020 population totals) and the originals themselves, read here with
``json`` and ``hashlib`` independently of `lvrn_analysis.config.boundaries`.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config import boundaries
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.processed.store import manifest, read_table
from lvrn_analysis.sources.police.embedded import read_embedded
from lvrn_analysis.sources.validation import WEIGHT
from lvrn_analysis.story import neighbourhoods as nh
from lvrn_analysis.story import profile

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "boundaries"
SHIPPED = {  # shipped file -> original in ../shared/reference/boundaries
    "lsoa11_bsc_lancashire.geojson.gz": "lsoa11_bsc_lancashire.geojson",
    "lsoa11_bsc_llr.geojson.gz": "lsoa11_bsc_llr.geojson",
    "lsoa11_lad21_pop2020_lancs_llr.csv.gz": "lsoa11_lad21_pop2020_lancs_llr.csv",
}
LANCS_14 = ("E06000008", "E06000009", *(f"E07000{i}" for i in range(117, 129)))
LLR_9 = ("E06000016", "E06000017", *(f"E07000{i}" for i in range(129, 136)))


# ------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def lancs_tables(processed):
    area = load_area(manifest(processed)["area"]["id"])
    return (area, read_table("police_street", processed),
            read_table("police_street_months", processed))


@cache
def leics_tables():
    """The Leicestershire police tables, from the shipped real aggregate (as lvrn build)."""
    area = load_area("leicestershire")
    kept = pd.concat([r.kept for r in read_embedded(area)], ignore_index=True)
    kept = kept.rename(columns={WEIGHT: "count"})
    keys = ["month", "force", "la_code", "la_name", "lsoa_code", "crime_type", "geo_status"]
    counts = kept.groupby(keys, dropna=False, as_index=False, observed=True)["count"].sum()
    months = pd.date_range(counts["month"].min(), counts["month"].max(), freq="MS")
    have = set(counts["month"])
    mt = pd.DataFrame({"force": area.force, "month": months,
                       "status": ["present" if m in have else "missing" for m in months]})
    return area, counts, mt


def _shipped(name: str) -> bytes:
    with reference_file(f"boundaries/{name}").open("rb") as fh:
        return fh.read()


# ------------------------------------------------------------------ shipped boundaries


def test_shipped_boundaries_cover_the_configured_areas_only():
    assert boundaries.covered_authorities() == tuple(sorted(LANCS_14 + LLR_9))
    lancs = boundaries.lsoa_boundaries(load_area("lancashire"))
    llr = boundaries.lsoa_boundaries(load_area("leicestershire"))
    assert (len(lancs), len(llr)) == (941, 611)  # MANIFEST.md
    per = pd.concat([lancs, llr]).groupby("la_code").size()
    assert per["E06000009"] == 94 and per["E07000124"] == 40  # Blackpool, Ribble Valley
    assert per["E06000016"] == 192 and per["E06000017"] == 23  # Leicester, Rutland
    assert str(lancs.crs) == "EPSG:4326"
    assert lancs["lsoa_code"].is_monotonic_increasing and lancs["lsoa_code"].is_unique
    assert lancs.geometry.is_valid.all()


def test_shipped_populations_equal_the_manifest_totals():
    lancs = boundaries.lsoa_populations(load_area("lancashire"))
    llr = boundaries.lsoa_populations(load_area("leicestershire"))
    assert int(lancs["population"].sum()) == 1_515_487
    assert int(llr["population"].sum()) == 1_107_597
    assert set(lancs["mid_year"]) == {2020}
    geo = boundaries.lsoa_boundaries(load_area("lancashire"))
    assert lancs["lsoa_code"].tolist() == geo["lsoa_code"].tolist()


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference not beside the clone")
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_files_match_the_originals(name):
    original = (SHARED / SHIPPED[name]).read_bytes()
    shipped = gzip.decompress(_shipped(name))
    assert hashlib.sha256(shipped).hexdigest() == hashlib.sha256(original).hexdigest()
    if name.endswith(".geojson.gz"):
        a = json.loads(original)["features"]
        b = json.loads(shipped)["features"]
        assert len(a) == len(b)
        assert [f["properties"]["LSOA11CD"] for f in a] == \
            [f["properties"]["LSOA11CD"] for f in b]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_readme_records_the_sha256_of_what_is_shipped_and_its_original(name):
    readme = reference_file("boundaries/README.md").read_text(encoding="utf-8")
    data = _shipped(name)
    assert hashlib.sha256(data).hexdigest() in readme
    assert hashlib.sha256(gzip.decompress(data)).hexdigest() in readme
    assert "Open Government Licence v.3.0" in readme
    assert "Contains OS data \u00a9 Crown copyright and database right" in readme


def test_an_area_without_shipped_boundaries_is_named():
    area = dataclasses.replace(load_area("lancashire"), id="elsewhere",
                               authorities=("E06000009", "E09000001"))
    with pytest.raises(ValueError, match="E09000001"):
        boundaries.lsoa_boundaries(area)
    with pytest.raises(ValueError, match="E09000001"):
        boundaries.lsoa_populations(area)


def test_british_national_grid_needs_no_network():
    import pyproj

    assert not pyproj.network.is_network_enabled()
    geo = boundaries.lsoa_boundaries(load_area("lancashire"), crs=boundaries.BRITISH_NATIONAL_GRID)
    x0, y0, x1, y1 = geo.total_bounds  # metres; Lancashire lies about 330-400 km E, 400-480 N
    assert 320_000 < x0 < x1 < 410_000 and 390_000 < y0 < y1 < 490_000
    out = boundaries.authority_outlines(load_area("lancashire"))
    assert out["n_lsoas"].sum() == 941 and len(out) == 14


# ------------------------------------------------------------------ the join


def test_every_in_area_police_lsoa_joins_a_boundary(lancs_tables):
    area, counts, _ = lancs_tables
    bad = nh.unjoined_lsoas(counts, area)
    assert len(bad) == 0, bad
    placed = counts.loc[counts["geo_status"] == "in_area", "lsoa_code"].nunique()
    assert placed == (941 if area.id == "lancashire" else placed)


def test_every_leicestershire_police_lsoa_joins_a_boundary():
    area, counts, _ = leics_tables()
    assert len(nh.unjoined_lsoas(counts, area)) == 0
    assert counts.loc[counts["geo_status"] == "in_area", "lsoa_code"].nunique() == 611


def test_codes_that_do_not_join_are_reported(lancs_tables):
    area, counts, _ = lancs_tables
    real = boundaries.lsoa_boundaries(area).iloc[0]
    other = next(c for c in area.authorities if c != real["la_code"])
    extra = pd.DataFrame({
        "month": counts["month"].max(), "force": area.force,
        "la_code": [area.authorities[0], other], "la_name": ["Somewhere", "Elsewhere"],
        "lsoa_code": ["E01999999", real["lsoa_code"]], "crime_type": profile.VIOLENCE,
        "geo_status": "in_area", "count": [5, 7]})
    bad = nh.unjoined_lsoas(pd.concat([counts, extra], ignore_index=True), area)
    assert bad["lsoa_code"].tolist() == sorted(["E01999999", real["lsoa_code"]])
    made_up = bad.set_index("lsoa_code").loc["E01999999"]
    assert made_up["reason"] == "no boundary" and made_up["count"] == 5
    assert pd.isna(made_up["boundary_la_code"])
    moved = bad.set_index("lsoa_code").loc[real["lsoa_code"]]
    assert moved["reason"] == "boundary in another authority"
    assert moved["boundary_la_code"] == real["la_code"] and moved["count"] == 7


# ------------------------------------------------------------------ counts and rates


def test_lsoa_counts_pool_the_authority_totals(lancs_tables):
    area, counts, months = lancs_tables
    start, end = profile.latest_complete_window(months)
    lsoas = nh.lsoa_counts(counts, months, area)
    assert (lsoas.attrs["start"], lsoas.attrs["end"]) == (start, end)
    rates = profile.rates_by_authority(counts, months, area, start=start, end=end)
    assert int(lsoas["count"].sum()) == int(rates["count"].sum())
    by_la = lsoas.groupby("la_code")["count"].sum()
    assert by_la.to_dict() == rates.set_index("la_code")["count"].to_dict()
    row = lsoas.iloc[0]
    assert row["rate"] == pytest.approx(row["count"] / (row["population"] * 12 / 12) * 1000)
    with pytest.raises(ValueError, match="no data"):
        nh.lsoa_counts(counts, months, area, start=pd.Timestamp("2019-02-01"),
                       end=pd.Timestamp("2019-12-01"))


def _marshall(y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Marshall (1991) global moment estimator, written out independently."""
    m = y.sum() / n.sum()
    r = y / n
    s2 = np.sum(n * (r - m) ** 2) / n.sum()
    a = max(0.0, s2 - m / n.mean())
    c = a / (a + m / n) if a > 0 else np.zeros_like(n)
    return m + c * (r - m)


def test_shrunk_rates_lie_between_raw_and_authority_rates(lancs_tables):
    area, counts, months = lancs_tables
    fit = nh.shrink_rates(nh.lsoa_counts(counts, months, area))
    d = fit.lsoas
    lo = np.minimum(d["rate"], d["authority_rate"]) - 1e-9
    hi = np.maximum(d["rate"], d["authority_rate"]) + 1e-9
    assert ((d["shrunk_rate"] >= lo) & (d["shrunk_rate"] <= hi)).all()
    assert d["weight"].between(0, 1).all()
    # each authority's rate is its pooled rate, and the formula is Marshall's
    for _code, g in d.groupby("la_code"):
        assert g["authority_rate"].iloc[0] == pytest.approx(
            g["count"].sum() / g["person_years"].sum() * 1000)
        expect = _marshall(g["count"].to_numpy(float), g["person_years"].to_numpy(float))
        np.testing.assert_allclose(g["shrunk_rate"].to_numpy(), expect * 1000, rtol=1e-12)
    s = fit.summary()
    assert len(s) == len(area.authorities)
    assert (s["shrunk_max"] <= s["raw_max"] + 1e-9).all()


def test_no_between_area_variation_gives_the_authority_rate():
    # equal rates up to Poisson noise smaller than expected: A = 0, full shrinkage
    lsoas = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "la_code": "X", "la_name": "X",
                          "count": [10, 10, 11], "person_years": [1000.0, 1000.0, 1000.0]})
    lsoas["rate"] = lsoas["count"] / lsoas["person_years"] * 1000
    fit = nh.shrink_rates(lsoas, per=1000)
    assert fit.priors["between_variance"].iloc[0] == 0
    np.testing.assert_allclose(fit.lsoas["shrunk_rate"], 31 / 3000 * 1000)
    assert (fit.lsoas["weight"] == 0).all()


def test_smaller_neighbourhoods_are_shrunk_more():
    lsoas = pd.DataFrame({"lsoa_code": list("abcd"), "la_code": "X", "la_name": "X",
                          "count": [5, 50, 200, 400], "person_years": [100.0, 1000.0,
                                                                        2000.0, 2000.0]})
    lsoas["rate"] = lsoas["count"] / lsoas["person_years"] * 1000
    w = nh.shrink_rates(lsoas, per=1000).lsoas.set_index("lsoa_code")["weight"]
    assert w["a"] < w["b"] < w["c"] == w["d"]


# ------------------------------------------------------------------ hot spots


def test_hot_spots_are_computed_as_defined():
    lsoas = pd.DataFrame({"lsoa_code": [f"L{i:02d}" for i in range(20)],
                          "count": [50, 30, 30, 10, *([5] * 16)],
                          "population": [1000] * 20})
    top = nh.hot_spots(lsoas, share=0.05)  # ceil(0.05 x 20) = 1 LSOA
    assert top.loc[top["hot_spot"], "lsoa_code"].tolist() == ["L00"]
    assert top.attrs["hot_count"] == 50 and top.attrs["total_count"] == 200
    assert top.attrs["share_of_offences"] == pytest.approx(0.25)
    assert top.attrs["share_of_residents"] == pytest.approx(0.05)
    two = nh.hot_spots(lsoas, share=0.10)  # 2 LSOAs: L01 and L02 tie, code order decides
    assert two.loc[two["hot_spot"], "lsoa_code"].tolist() == ["L00", "L01"]
    assert two.attrs["tie_at_cut"]
    # smallest set holding at least 40 % of 200 = 80 offences: 50 + 30 = 80
    off = nh.hot_spots(lsoas, share=0.40, rule="offences")
    assert off.attrs["n_hot"] == 2 and off.attrs["hot_count"] == 80
    off = nh.hot_spots(lsoas, share=0.41, rule="offences")
    assert off.attrs["n_hot"] == 3 and off.attrs["hot_count"] == 110
    with pytest.raises(ValueError, match="rule"):
        nh.hot_spots(lsoas, rule="people")


def test_real_hot_spots_match_the_concentration_table(lancs_tables):
    area, counts, months = lancs_tables
    lsoas = nh.lsoa_counts(counts, months, area)
    spots = nh.hot_spots(lsoas, share=0.05)
    a = spots.attrs
    conc = profile.concentration(counts, area, start=a["start"], end=a["end"])
    first = conc.iloc[0]
    assert a["n_hot"] == int(first["n_lsoas"]) == math.ceil(0.05 * len(lsoas))
    assert a["hot_count"] == int(first["count"])
    assert a["share_of_offences"] == pytest.approx(float(first["share_of_crime"]))
    hot = spots.loc[spots["hot_spot"], "count"]
    assert hot.min() >= spots.loc[~spots["hot_spot"], "count"].max()
    by = nh.hot_spots_by_authority(spots)
    assert by["n_hot"].sum() == a["n_hot"] and by["hot_count"].sum() == a["hot_count"]
    if area.id == "lancashire":
        assert (a["n_hot"], a["hot_count"], a["total_count"]) == (48, 14_462, 64_100)


# ------------------------------------------------------------------ maps and sentences


def _legend_title(fig) -> str:
    return " ".join(ax.get_legend().get_title().get_text() for ax in fig.axes
                    if ax.get_legend() is not None)


def test_maps_have_outlines_labels_legend_with_units_and_alt_text(lancs_tables):
    import matplotlib.pyplot as plt

    area, counts, months = lancs_tables
    lsoas = nh.lsoa_counts(counts, months, area)
    fig = nh.rate_figure(nh.shrink_rates(lsoas), area)
    assert "per 1,000 residents per year" in _legend_title(fig).replace("\n", " ").lower()
    assert "smoothed" in _legend_title(fig)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Blackpool", "Preston", "10 km"} <= texts
    assert f"{len(lsoas)} neighbourhoods" in fig.lvrn_alt
    assert "Open Government Licence v.3.0; Contains OS data" in fig.texts[-1].get_text()
    plt.close(fig)
    spots = nh.hot_spots(lsoas)
    fig = nh.hot_spot_figure(spots, area)
    assert "Offences" in _legend_title(fig)
    assert f"The {spots.attrs['n_hot']} hot-spot LSOAs" in fig.lvrn_alt
    plt.close(fig)


def test_maps_work_for_leicestershire():
    import matplotlib.pyplot as plt

    area, counts, months = leics_tables()
    lsoas = nh.lsoa_counts(counts, months, area)
    assert int(lsoas["population"].sum()) == 1_107_597
    spots = nh.hot_spots(lsoas)
    fig = nh.hot_spot_figure(spots, area)
    assert "Leicester" in {t.get_text() for t in fig.axes[0].texts}
    assert "611 neighbourhoods" in fig.lvrn_alt
    plt.close(fig)
    assert "Leicester" in nh.hot_spot_sentence(spots)


def test_sentences_are_deterministic_and_carry_the_numbers(lancs_tables):
    area, counts, months = lancs_tables
    lsoas = nh.lsoa_counts(counts, months, area)
    fit = nh.shrink_rates(lsoas)
    spots = nh.hot_spots(lsoas)
    texts = [nh.join_sentence(counts, area, lsoas), nh.smoothing_sentence(fit),
             nh.hot_spot_sentence(spots)]
    again = [nh.join_sentence(counts, area, nh.lsoa_counts(counts, months, area)),
             nh.smoothing_sentence(nh.shrink_rates(lsoas)),
             nh.hot_spot_sentence(nh.hot_spots(lsoas))]
    assert texts == again
    assert f"{int(lsoas['count'].sum()):,}" in texts[0]
    assert f"{spots.attrs['share_of_offences']:.1%}" in texts[2]
    top = nh.top_lsoas(fit, spots, n=10)
    assert top["rank"].tolist() == list(range(1, 11))
    assert top["count"].is_monotonic_decreasing and top["hot_spot"].all()
