"""Boundaries for maps: LSOA 2011 polygons, authority outlines and LSOA populations.

Reference files (shipped in ``reference/boundaries/``, see its README for the
provenance and sha256 of each):

* ``lsoa11_bsc_lancashire.geojson.gz``, ``lsoa11_bsc_llr.geojson.gz`` — ONS Lower
  layer Super Output Areas (December 2011) Boundaries Super Generalised Clipped
  (BSC) EW V3, for the 14 pan-Lancashire and the 9 Leicester, Leicestershire and
  Rutland authorities (941 + 611 LSOAs), WGS84 longitude/latitude;
* ``lsoa11_lad21_pop2020_lancs_llr.csv.gz`` — the ONS LSOA 2011 → local authority
  (December 2021) lookup with ONS mid-2020 LSOA population estimates (all ages).

The police months shipped with the package use 2011 LSOA codes, so these are the
boundaries they join. Authority outlines are made here by dissolving the LSOA
polygons, so their edges match the LSOA layer exactly.

Geography is configuration: an area's map is drawn from its configured authorities.
An area whose authorities are not all covered by the shipped files gets a clear
error naming them.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
from typing import TYPE_CHECKING

import pandas as pd

from lvrn_analysis._resources import reference_file

if TYPE_CHECKING:
    import geopandas as gpd

    from lvrn_analysis.config.areas import AreaConfig

#: The shipped LSOA boundary files (2011 LSOAs, super generalised clipped).
LSOA_FILES: tuple[str, ...] = (
    "boundaries/lsoa11_bsc_lancashire.geojson.gz",
    "boundaries/lsoa11_bsc_llr.geojson.gz",
)
#: The shipped LSOA 2011 → authority lookup with mid-2020 populations.
POPULATION_FILE = "boundaries/lsoa11_lad21_pop2020_lancs_llr.csv.gz"
#: Mid-year of the shipped LSOA population estimates.
POPULATION_MID_YEAR = 2020
#: Census vintage of the shipped LSOA codes and boundaries.
LSOA_VINTAGE = 2011
#: Coordinate reference system of the shipped files (WGS84 longitude/latitude).
SHIPPED_CRS = "EPSG:4326"
#: British National Grid, used for drawing maps (in pyproj's bundled PROJ database).
BRITISH_NATIONAL_GRID = "EPSG:27700"

#: Attribution the Open Government Licence asks for, for every map drawn from these files.
ATTRIBUTION = ("Office for National Statistics licensed under the Open Government Licence "
               "v.3.0; Contains OS data \u00a9 Crown copyright and database right 2011\u20132021")
#: Short name of the boundary product, for source lines.
BOUNDARY_NAME = "ONS LSOA (Dec 2011) super generalised clipped boundaries (BSC) EW V3"
#: Short name of the population product, for source lines.
POPULATION_NAME = "ONS mid-2020 LSOA population estimates (SAPE23DT2)"


def _read_bytes(name: str) -> bytes:
    with reference_file(name).open("rb") as fh:
        return gzip.decompress(fh.read())


@functools.cache
def _all_lsoas() -> pd.DataFrame:
    """All shipped LSOA features as a plain frame (shapely geometries), sorted by code."""
    import shapely.geometry

    rows = []
    for name in LSOA_FILES:
        doc = json.loads(_read_bytes(name))
        for feat in doc["features"]:
            p = feat["properties"]
            rows.append({"lsoa_code": p["LSOA11CD"], "lsoa_name": p["LSOA11NM"],
                         "la_code": p["LAD21CD"], "la_name": p["LAD21NM"],
                         "geometry": shapely.geometry.shape(feat["geometry"])})
    df = pd.DataFrame(rows)
    if df["lsoa_code"].duplicated().any():
        dup = sorted(df.loc[df["lsoa_code"].duplicated(), "lsoa_code"])
        raise ValueError(f"shipped LSOA boundaries repeat codes: {', '.join(dup[:5])}")
    return df.sort_values("lsoa_code").reset_index(drop=True)


def covered_authorities() -> tuple[str, ...]:
    """Return the ONS codes of the authorities the shipped boundaries cover, sorted."""
    return tuple(sorted(_all_lsoas()["la_code"].unique()))


def _check_covered(area: AreaConfig) -> None:
    have = set(covered_authorities())
    missing = [c for c in area.authorities if c not in have]
    if missing:
        raise ValueError(
            f"area {area.id!r}: no shipped LSOA boundaries for {', '.join(missing)}; "
            f"the package ships boundaries for {len(have)} authorities (pan-Lancashire "
            "and Leicester, Leicestershire and Rutland)")


def lsoa_boundaries(area: AreaConfig | None = None, *,
                    crs: str | None = None) -> gpd.GeoDataFrame:
    """Return the LSOA 2011 polygons (super generalised clipped) as a GeoDataFrame.

    Parameters
    ----------
    area
        Keep only this area's authorities (all of them must be covered, see
        `covered_authorities()`). ``None`` returns every shipped LSOA.
    crs
        Coordinate reference system to return, e.g. `BRITISH_NATIONAL_GRID`;
        default the shipped WGS84 longitude/latitude (`SHIPPED_CRS`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per LSOA, sorted by code: ``lsoa_code``, ``lsoa_name``, ``la_code``,
        ``la_name`` (ONS December 2021 authority) and ``geometry``.

    Raises
    ------
    ValueError
        If an authority of the area has no shipped boundaries.
    """
    import geopandas as gpd

    df = _all_lsoas()
    if area is not None:
        _check_covered(area)
        df = df[df["la_code"].isin(area.authorities)]
    gdf = gpd.GeoDataFrame(df.copy(), geometry="geometry", crs=SHIPPED_CRS)
    for col in ("lsoa_code", "lsoa_name", "la_code", "la_name"):
        gdf[col] = gdf[col].astype("string")
    gdf = gdf.reset_index(drop=True)
    return gdf.to_crs(crs) if crs is not None else gdf


def authority_outlines(area: AreaConfig | None = None, *,
                       crs: str | None = None) -> gpd.GeoDataFrame:
    """Return authority outlines made by dissolving the LSOA polygons.

    Parameters
    ----------
    area
        Keep only this area's authorities.
    crs
        Coordinate reference system to return (default WGS84, `SHIPPED_CRS`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per authority, sorted by code: ``la_code``, ``la_name``, ``n_lsoas``
        and ``geometry`` (the union of its LSOAs, so edges match the LSOA layer).
    """
    lsoas = lsoa_boundaries(area, crs=crs)
    out = lsoas.dissolve(by=["la_code", "la_name"], as_index=False, sort=True)
    n = lsoas.groupby("la_code").size()
    out["n_lsoas"] = out["la_code"].map(n).astype("int64")
    return out[["la_code", "la_name", "n_lsoas", "geometry"]].reset_index(drop=True)


@functools.cache
def _populations() -> pd.DataFrame:
    df = pd.read_csv(io.BytesIO(_read_bytes(POPULATION_FILE)),
                     dtype={"lsoa11cd": str, "lsoa11nm": str, "lad21cd": str,
                            "lad21nm": str, "vru": str, "pop_mid2020": "int64"})
    out = pd.DataFrame({
        "lsoa_code": df["lsoa11cd"].astype("string"),
        "lsoa_name": df["lsoa11nm"].astype("string"),
        "la_code": df["lad21cd"].astype("string"),
        "la_name": df["lad21nm"].astype("string"),
        "mid_year": POPULATION_MID_YEAR,
        "population": df["pop_mid2020"],
    })
    return out.sort_values("lsoa_code").reset_index(drop=True)


def lsoa_populations(area: AreaConfig | None = None) -> pd.DataFrame:
    """Return ONS mid-2020 population estimates (all ages) for 2011 LSOAs.

    Parameters
    ----------
    area
        Keep only this area's authorities (all of them must be covered).

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``lsoa_name``, ``la_code``, ``la_name`` (ONS December 2021
        authority), ``mid_year`` (2020) and ``population`` (int), sorted by code.

    Raises
    ------
    ValueError
        If an authority of the area has no shipped LSOA populations.
    """
    df = _populations()
    if area is not None:
        _check_covered(area)
        df = df[df["la_code"].isin(area.authorities)]
    return df.reset_index(drop=True).copy()
