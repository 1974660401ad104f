"""Hexagon tile maps: one equal-sized tile per local authority.

A tile map shows every authority at the same size, so a small, dense authority
(Blackpool) is as visible as a large rural one (Ribble Valley). Tile positions
are a schematic layout shipped in ``reference/geography/tile_layout.csv``
(odd rows offset by half a tile), not real boundaries.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import RegularPolygon

from lvrn_analysis._resources import reference_file
from lvrn_analysis.charts import plots


def tile_layout(la_codes: list[str] | None = None) -> pd.DataFrame:
    """Return tile positions (columns la_code, la_name, row, col, short_name, x, y).

    Parameters
    ----------
    la_codes
        Authorities to keep; every one must have a tile.

    Raises
    ------
    ValueError
        If an authority has no tile position.
    """
    with reference_file("geography/tile_layout.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"la_code": str})
    if la_codes is not None:
        missing = sorted(set(la_codes) - set(df["la_code"]))
        if missing:
            raise ValueError(f"no tile position for {', '.join(missing)}")
        df = df[df["la_code"].isin(la_codes)]
    df = df.copy()
    df["x"] = df["col"] + np.where(df["row"] % 2 == 1, 0.5, 0.0)
    df["y"] = -df["row"] * np.sqrt(3) / 2
    return df.reset_index(drop=True)


def tile_map(values: pd.DataFrame, *, value: str, title: str, source: str, unit: str,
             fmt: str = "{:.1f}", cmap: str = "cividis_r") -> Figure:
    """Draw a hexagon tile map coloured by ``value``.

    Parameters
    ----------
    values
        One row per authority with ``la_code`` and the value column.
    value
        Column to colour by.
    title, source
        Title and source line.
    unit
        Unit of the value (colour-bar label and alt text).
    fmt
        Format of the value printed on each tile.
    cmap
        Matplotlib colour map (default: cividis, colour-vision-deficiency safe).

    Returns
    -------
    Figure
        Finished figure with alt text.
    """
    lay = tile_layout(values["la_code"].tolist()).merge(
        values[["la_code", value]], on="la_code", how="left")
    fig, ax = plots.new_figure(figsize=(7.5, 6))
    norm = mpl.colors.Normalize(vmin=float(lay[value].min()), vmax=float(lay[value].max()))
    cm = mpl.colormaps[cmap]
    r = 1 / np.sqrt(3)
    for t in lay.itertuples(index=False):
        v = getattr(t, value)
        colour = cm(norm(v)) if pd.notna(v) else "#FFFFFF"
        ax.add_patch(RegularPolygon((t.x, t.y), numVertices=6, radius=r * 0.97,
                                    orientation=0, facecolor=colour, edgecolor="white", lw=2))
        light = pd.notna(v) and norm(v) > 0.55
        ax.text(t.x, t.y + 0.08, t.short_name, ha="center", va="center", fontsize=7.5,
                color="white" if light else "black")
        ax.text(t.x, t.y - 0.12, fmt.format(v) if pd.notna(v) else "n/a", ha="center",
                va="center", fontsize=8.5, fontweight="bold",
                color="white" if light else "black")
    ax.set_xlim(lay["x"].min() - 0.7, lay["x"].max() + 0.7)
    ax.set_ylim(lay["y"].min() - 0.7, lay["y"].max() + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
    cb = fig.colorbar(sm, ax=ax, shrink=0.6)
    cb.set_label(unit)
    top = lay.sort_values(value, ascending=False)
    alt = (f"Hexagon tile map of {len(lay)} local authorities, one equal-sized tile each, "
           f"coloured by {unit}. Highest: " + ", ".join(
               f"{n} {fmt.format(v)}" for n, v in zip(top["la_name"].head(3),
                                                      top[value].head(3), strict=True))
           + f"; lowest: {top['la_name'].iloc[-1]} {fmt.format(top[value].iloc[-1])}.")
    fig = plots.finish(fig, ax=ax, title=title, source=source, alt=alt)
    fig.subplots_adjust(top=0.88)  # equal-aspect axes: keep the title inside the figure
    return fig
