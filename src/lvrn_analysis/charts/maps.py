"""Neighbourhood maps: LSOA choropleths and hot spots, with authority outlines.

Drawn with geopandas and matplotlib on the LSOA 2011 boundaries shipped in the
package (`lvrn_analysis.config.boundaries`), projected to British National Grid
(EPSG:27700, from pyproj's bundled PROJ database: no network needed). Every map
carries authority outlines and labels, a legend with units, a 10 km scale bar, a
source line with the ONS/OS attribution and alt text (house style:
`lvrn_analysis.charts.plots`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.patheffects as pe
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from lvrn_analysis.charts import plots
from lvrn_analysis.charts.tilemap import tile_layout
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.boundaries import (
    BRITISH_NATIONAL_GRID,
    authority_outlines,
    lsoa_boundaries,
)

#: Quantiles of the mapped values that bound the colour classes (the top class is the
#: highest 5 % of LSOAs).
CLASS_QUANTILES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 0.95)
#: Colour map of the choropleth (cividis: safe for colour-vision deficiency).
CMAP = "cividis_r"
#: Fill of LSOAs that are not hot spots.
BACKGROUND = "#E3E3E3"


def _nice(x: float) -> float:
    """Round to two significant figures (class breaks people can read)."""
    if x <= 0 or not np.isfinite(x):
        return 0.0
    mag = 10 ** (np.floor(np.log10(x)) - 1)
    return float(np.round(x / mag) * mag)


def class_breaks(values: Sequence[float] | pd.Series,
                 quantiles: Sequence[float] = CLASS_QUANTILES) -> list[float]:
    """Return class breaks at quantiles of the values, rounded to two significant figures.

    Parameters
    ----------
    values
        Mapped values.
    quantiles
        Quantiles that bound the classes (between 0 and 1).

    Returns
    -------
    list of float
        Increasing inner breaks without repeats; classes are ``[b_i, b_{i+1})``, the
        first open below and the last open above.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    out: list[float] = []
    for q in quantiles:
        b = _nice(float(np.quantile(v, q)))
        if b > 0 and (not out or b > out[-1]):
            out.append(b)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:,.1f}"


def class_labels(breaks: Sequence[float]) -> list[str]:
    """Legend labels for classes bounded by ``breaks`` (``"under 20"``, ``"20 to 40"``, …)."""
    if not breaks:
        return ["all"]
    labels = [f"under {_fmt(breaks[0])}"]
    labels += [f"{_fmt(a)} to {_fmt(b)}" for a, b in zip(breaks[:-1], breaks[1:], strict=True)]
    labels.append(f"{_fmt(breaks[-1])} and over")
    return labels


def _figsize(bounds: np.ndarray, *, map_width: float = 6.2, legend: float = 2.6
             ) -> tuple[float, float]:
    w = bounds[2] - bounds[0]
    h = bounds[3] - bounds[1]
    height = float(np.clip(map_width * h / w, 4.6, 8.6)) + 0.7
    return (map_width + legend, height)


def _authority_layer(area: AreaConfig) -> pd.DataFrame:
    out = authority_outlines(area, crs=BRITISH_NATIONAL_GRID)
    short = tile_layout()[["la_code", "short_name"]]
    out = out.merge(short, on="la_code", how="left")
    out["short_name"] = out["short_name"].fillna(out["la_name"])
    return out


def _label_point(geom: object) -> tuple[float, float]:
    """Return the point of the largest part of a (multi)polygon farthest from its edge."""
    from shapely.ops import polylabel

    parts = list(getattr(geom, "geoms", [geom]))
    big = max(parts, key=lambda p: p.area)
    p = polylabel(big, tolerance=100.0)  # pole of inaccessibility, to 100 m
    return float(p.x), float(p.y)


_HALO = [pe.withStroke(linewidth=2.6, foreground="white")]


def _draw(ax: object, gdf: pd.DataFrame, outlines: pd.DataFrame, *, labels: bool) -> None:
    """Draw LSOAs (fill ``_colour``, edge ``_edge``), authority outlines and labels."""
    gdf.plot(ax=ax, color=gdf["_colour"], edgecolor=gdf["_edge"], linewidth=0.2, zorder=2)
    outlines.boundary.plot(ax=ax, color="#1A1A1A", linewidth=1.0, zorder=4)
    if labels:
        for row in outlines.itertuples(index=False):
            x, y = _label_point(row.geometry)
            ax.text(x, y, row.short_name, ha="center", va="center", fontsize=7.5,
                    fontweight="bold", color="#1A1A1A", path_effects=_HALO, zorder=5)


def _scale_bar(ax: object, bounds: np.ndarray, km: int) -> None:
    """Draw a ``km`` scale bar in the lower right corner of a map (metres: BNG)."""
    w, h = bounds[2] - bounds[0], bounds[3] - bounds[1]
    x1 = bounds[2] - 0.02 * w
    y0 = bounds[1] + 0.01 * h
    ax.plot([x1 - km * 1000, x1], [y0, y0], color="#1A1A1A", lw=3, solid_capstyle="butt",
            zorder=5)
    ax.text(x1 - km * 500, y0 + 0.012 * h, f"{km} km", ha="center", va="bottom", fontsize=8,
            path_effects=_HALO, zorder=5)


def _zoom(ax: object, lax: object, gdf: pd.DataFrame, outlines: pd.DataFrame,
          la_code: str) -> None:
    """Inset in the legend panel: the authority ``la_code`` drawn larger, boxed on the map."""
    from matplotlib.patches import Rectangle

    row = outlines[outlines["la_code"] == la_code].iloc[0]
    x0, y0, x1, y1 = row.geometry.bounds
    pad = 0.06 * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    iax = lax.inset_axes((0.02, 0.0, 0.96, 0.56))
    _draw(iax, gdf, outlines, labels=False)
    iax.set_xlim(x0, x1)
    iax.set_ylim(y0, y1)
    iax.set_aspect("equal", adjustable="box", anchor="NW")
    iax.set_xticks([])
    iax.set_yticks([])
    iax.set_xlabel("")
    iax.set_ylabel("")
    for spine in iax.spines.values():
        spine.set_visible(True)
        spine.set_color("#777777")
    iax.set_title(f"Zoom: {row.la_name}", fontsize=8.5, fontweight="bold", loc="left")
    _scale_bar(iax, np.array([x0, y0, x1, y1]), km=1 if max(x1 - x0, y1 - y0) < 12000 else 2)
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="#1A1A1A", lw=0.8,
                           ls="--", zorder=6))


def _finish(fig: Figure, ax: object, lax: object, gdf: pd.DataFrame, outlines: pd.DataFrame,
            code: str | None, **kwargs: str) -> Figure:
    """House-style finish (layout), then the zoom inset, placed in the laid-out panel."""
    fig = plots.finish(fig, ax=ax, **kwargs)
    # equal-aspect map: keep a two-line title inside the figure (as charts.tilemap does)
    fig.subplots_adjust(top=1 - 0.75 / fig.get_figheight())
    if code is not None:
        _zoom(ax, lax, gdf, outlines, code)
    return fig


def _most(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """Count rows per authority where ``mask`` holds, most first (ties by name)."""
    by = frame.loc[mask, "la_name"].value_counts()
    return by.sort_index().sort_values(ascending=False, kind="stable")


def _base(area: AreaConfig, lsoas: pd.DataFrame, cols: Sequence[str]):
    """Join the values to the boundaries; make a figure with a map and a legend panel."""
    geo = lsoa_boundaries(area, crs=BRITISH_NATIONAL_GRID)
    missing = sorted(set(lsoas["lsoa_code"]) - set(geo["lsoa_code"]))
    if missing:
        raise ValueError(f"{len(missing)} LSOA codes have no boundary in area {area.id!r}: "
                         f"{', '.join(missing[:5])}")
    gdf = geo[["lsoa_code", "la_code", "geometry"]].merge(
        lsoas[["lsoa_code", *cols]], on="lsoa_code", how="inner")
    bounds = geo.total_bounds
    size = _figsize(bounds)
    fig, (ax, lax) = plots.new_figure(1, 2, figsize=size)
    ax.get_gridspec().set_width_ratios([size[0] - 2.6, 2.6])
    for a in (ax, lax):
        a.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax, lax, gdf, bounds, _authority_layer(area)


def _zoom_code(outlines: pd.DataFrame, by_la: pd.Series, zoom: str | bool | None) -> str | None:
    if zoom is False or (zoom is None and by_la.empty):
        return None
    if isinstance(zoom, str):
        if zoom not in set(outlines["la_code"]):
            raise ValueError(f"no authority {zoom!r} on this map")
        return zoom
    name = by_la.index[0]
    return str(outlines.loc[outlines["la_name"] == name, "la_code"].iloc[0])


def rate_map(lsoas: pd.DataFrame, area: AreaConfig, *, value: str = "shrunk_rate",
             title: str, source: str, unit: str = "per 1,000 residents per year",
             legend_title: str | None = None, breaks: Sequence[float] | None = None,
             zoom: str | bool | None = None) -> Figure:
    """Choropleth of a rate by LSOA, with authority outlines and labels.

    Parameters
    ----------
    lsoas
        One row per LSOA with ``lsoa_code``, ``lsoa_name``, ``la_name`` and the value
        column, e.g. `lvrn_analysis.story.neighbourhoods.ShrunkRates.lsoas`.
    area
        Area configuration (its authorities' boundaries are drawn).
    value
        Column to colour by.
    title, source
        Title and source line.
    unit
        Unit of the value, for the legend and alt text.
    legend_title
        Legend title (default: the unit).
    breaks
        Inner class breaks; default `class_breaks()` of the values (quintiles and the
        top 5 %).
    zoom
        Authority code to show enlarged beside the map; default the authority with
        most LSOAs in the top class; ``False`` for none.

    Returns
    -------
    Figure
        Finished figure with alt text.

    Raises
    ------
    ValueError
        If an LSOA code has no boundary in the area.
    """
    fig, ax, lax, gdf, bounds, outlines = _base(area, lsoas, [value])
    breaks = list(breaks) if breaks is not None else class_breaks(gdf[value])
    labels = class_labels(breaks)
    cls = np.searchsorted(np.asarray(breaks, dtype=float), gdf[value].to_numpy(float),
                          side="right")
    cmap = mpl.colormaps[CMAP]
    colours = [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 1.0, len(labels))]
    gdf = gdf.assign(_colour=[colours[i] for i in cls], _edge="white")
    _draw(ax, gdf, outlines, labels=True)
    _scale_bar(ax, bounds, km=10)
    counts = np.bincount(cls, minlength=len(labels))
    handles = [Patch(facecolor=c, edgecolor="#999999", lw=0.5, label=f"{lab} ({n} LSOAs)")
               for c, lab, n in zip(colours, labels, counts, strict=True)][::-1]
    lax.legend(handles=handles, title=(legend_title or unit[0].upper() + unit[1:]),
               loc="upper left", frameon=False, fontsize=8, title_fontsize=8.5,
               alignment="left")
    named = lsoas.sort_values([value, "lsoa_code"], ascending=[False, True])
    top = named.head(3)
    in_top = named[value] >= breaks[-1] if breaks else named[value].notna()
    by_la = _most(named, in_top)
    code = _zoom_code(outlines, by_la, zoom)
    alt = (f"Map of {len(gdf)} neighbourhoods (LSOAs) in {len(outlines)} local authorities, "
           f"outlined and labelled, coloured in {len(labels)} classes of the rate {unit}. "
           f"Highest: " + "; ".join(f"{r.lsoa_name} {_fmt(getattr(r, value))}"
                                     for r in top.itertuples(index=False))
           + f". The top class ({labels[-1]}) holds {int(in_top.sum())} LSOAs, most in "
           + ", ".join(f"{k} ({v})" for k, v in by_la.head(3).items()) + ".")
    if code is not None:
        alt += f" An enlarged view shows {outlines.set_index('la_code').loc[code, 'la_name']}."
    return _finish(fig, ax, lax, gdf, outlines, code, title=title, source=source, alt=alt)


def hot_spot_map(spots: pd.DataFrame, area: AreaConfig, *, title: str, source: str,
                 label: str | None = None, zoom: str | bool | None = None) -> Figure:
    """Map of hot-spot LSOAs (``hot_spot`` true) against the rest, with authority outlines.

    Parameters
    ----------
    spots
        Output of `lvrn_analysis.story.neighbourhoods.hot_spots()` (``lsoa_code``,
        ``la_name``, ``count``, ``hot_spot``; its ``attrs`` summary is used for the
        legend and alt text).
    area
        Area configuration.
    title, source
        Title and source line.
    label
        Legend text for the hot spots (default: built from the summary).
    zoom
        Authority code to show enlarged beside the map; default the authority with
        most hot spots; ``False`` for none.

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    fig, ax, lax, gdf, bounds, outlines = _base(area, spots, ["hot_spot", "count"])
    s = spots.attrs
    hot = gdf["hot_spot"].astype(bool)
    gdf = gdf.assign(_colour=np.where(hot, plots.COLOURS["worse"], BACKGROUND),
                     _edge=np.where(hot, "#5A1E00", "white"))
    _draw(ax, gdf, outlines, labels=True)
    _scale_bar(ax, bounds, km=10)
    share_def = s.get("share", 0.05)
    rule = (f"top {share_def:.0%} of LSOAs by count" if s.get("rule", "lsoas") == "lsoas"
            else f"fewest LSOAs holding {share_def:.0%} of offences")
    n_hot = int(s.get("n_hot", int(hot.sum())))
    hot_count = int(s.get("hot_count", int(gdf.loc[hot, "count"].sum())))
    total = int(s.get("total_count", int(gdf["count"].sum())))
    share = hot_count / total if total else float("nan")
    if label is None:
        label = (f"Hot spot: {n_hot} LSOAs\n({rule}),\n{hot_count:,} offences = "
                 f"{share:.0%} of all")
    handles = [Patch(facecolor=plots.COLOURS["worse"], edgecolor="#5A1E00", label=label),
               Patch(facecolor=BACKGROUND, edgecolor="#999999",
                     label=f"Other {len(gdf) - n_hot} LSOAs,\n{total - hot_count:,} offences")]
    lax.legend(handles=handles, title="Offences, pooled over\nthe period", loc="upper left",
               frameon=False, fontsize=8, title_fontsize=8.5, alignment="left")
    by_la = _most(spots, spots["hot_spot"].astype(bool))
    code = _zoom_code(outlines, by_la, zoom)
    alt = (f"Map of {len(gdf)} neighbourhoods (LSOAs) in {len(outlines)} local authorities, "
           f"outlined and labelled. The {n_hot} hot-spot LSOAs ({rule}) are shaded; together "
           f"they hold {hot_count:,} offences, {share:.0%} of the total. Most are in "
           + ", ".join(f"{k} ({v})" for k, v in by_la.head(4).items())
           + f"; {len(by_la)} of {len(outlines)} authorities have at least one.")
    if code is not None:
        alt += f" An enlarged view shows {outlines.set_index('la_code').loc[code, 'la_name']}."
    return _finish(fig, ax, lax, gdf, outlines, code, title=title, source=source, alt=alt)
