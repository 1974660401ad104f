"""One house style for every chart the project publishes.

Every chart function in the package returns a `matplotlib.figure.Figure`
that carries

* a title and axis labels with units,
* a source line at the bottom that names the data and says whether they are real
  or synthetic, and
* alt text, stored on the figure as ``fig.lvrn_alt`` and used by `show()`
  when the figure is written to a notebook or the website.

When a figure is published (`show()`, `figure_markdown()`) with its lineage
(`lvrn_analysis.processed.lineage.Lineage`: the processed tables it rests on),
a figure resting on synthetic data gets a ``SYNTHETIC DATA`` stamp drawn on
the image (`stamp_synthetic()`), ``SYNTHETIC`` in its caption and alt text, and
the PNG stores its lineage in text chunks (`PNG_LINEAGE_KEY`, `PNG_STAMP_KEY`)
that ``tests/test_lineage_guard.py`` reads back, since pixels cannot be searched.

The palette is Okabe & Ito's colour-blind-safe set (Okabe M, Ito K. *Color
Universal Design*, 2008).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lvrn_analysis.processed.lineage import MARK, Lineage  # noqa: E402

#: PNG text chunk holding the figure's lineage record (JSON, `Lineage.record()`).
PNG_LINEAGE_KEY = "lvrn:lineage"
#: PNG text chunk holding the text of the synthetic stamp drawn on the image ("" if none).
PNG_STAMP_KEY = "lvrn:stamp"
#: ``gid`` of the source-line text artist (set by `finish()`).
SOURCE_LINE_GID = "lvrn-source-line"
#: ``gid`` of the synthetic stamp artist (set by `stamp_synthetic()`).
STAMP_GID = "lvrn-synthetic-stamp"

#: Okabe–Ito colour-blind-safe palette (black omitted, used for text).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#999999",  # grey
)

#: Colours with a fixed meaning across the site.
COLOURS: dict[str, str] = {
    "observed": PALETTE[0],
    "fitted": PALETTE[3],
    "counterfactual": PALETTE[7],
    "better": PALETTE[2],
    "similar": PALETTE[1],
    "worse": PALETTE[3],
    "not compared": PALETTE[7],
    "lockdown": "#DDDDDD",
    "synthetic": PALETTE[4],
}

_RC = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E5E5E5",
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
    "svg.hashsalt": "lvrn",
    "path.simplify": True,
}


def apply_house_style() -> None:
    """Set matplotlib defaults to the house style (idempotent)."""
    plt.rcParams.update(_RC)


def source_line(sources: Sequence[str] | str, *, synthetic: bool | None = None,
                lineage: Lineage | None = None) -> str:
    """Return the text of a chart's source line.

    Parameters
    ----------
    sources
        Names of the data sources, e.g. ``"data.police.uk (OGL v3.0)"``.
    synthetic
        Whether any of the data drawn are synthetic. Synthetic data are named
        in capitals so that nobody mistakes them for real figures.
    lineage
        The processed tables the chart rests on
        (`lvrn_analysis.processed.lineage.lineage()`); decides ``synthetic``
        when that is not given, and must agree with it when it is.

    Returns
    -------
    str
        ``"Source: ... Real data."`` or ``"Source: ... SYNTHETIC DATA - not real
        figures."``

    Raises
    ------
    ValueError
        If neither ``synthetic`` nor a declared ``lineage`` says whether the data
        are synthetic, or if they disagree.
    """
    declared = None if lineage is None else lineage.synthetic
    if synthetic is None and declared is None:
        raise ValueError("source_line() needs synthetic=True/False or a declared lineage")
    if synthetic is not None and declared is not None and bool(synthetic) != declared:
        raise ValueError(f"synthetic={synthetic} contradicts the lineage "
                         f"({lineage.sentence()})")  # type: ignore[union-attr]
    synthetic = bool(declared if synthetic is None else synthetic)
    if isinstance(sources, str):
        sources = [sources]
    text = "Source: " + "; ".join(sources) + "."
    if synthetic:
        return text + " SYNTHETIC DATA - illustrative, not real figures."
    return text + " Real data."


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None
) -> tuple[Figure, object]:
    """Create a figure and axes in the house style.

    Parameters
    ----------
    nrows, ncols
        Grid of axes, as in `matplotlib.pyplot.subplots()`.
    figsize
        Size in inches; defaults to the house size.

    Returns
    -------
    tuple
        ``(fig, axes)``.
    """
    apply_house_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or _RC["figure.figsize"])
    return fig, axes


def finish(
    fig: Figure,
    *,
    title: str,
    source: str,
    alt: str,
    ax: object | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Give a figure its title, axis labels, source line and alt text.

    Parameters
    ----------
    fig
        The figure.
    title
        Chart title.
    source
        Source line, usually from `source_line()`.
    alt
        Alt text: one or two sentences saying what the chart shows and its main
        message, for screen-reader users.
    ax
        Axes to label; defaults to the first axes of the figure.
    xlabel, ylabel
        Axis labels, including units.

    Returns
    -------
    Figure
        The same figure, with ``fig.lvrn_alt`` and ``fig.lvrn_title`` set.

    Raises
    ------
    ValueError
        If the title, source or alt text is empty.
    """
    for name, value in (("title", title), ("source", source), ("alt", alt)):
        if not value or not value.strip():
            raise ValueError(f"every chart needs a non-empty {name}")
    ax = ax if ax is not None else fig.axes[0]
    ax.set_title(textwrap.fill(title, width=int(fig.get_figwidth() * 7)))
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    fig.text(0.01, 0.005, source, fontsize=7.5, color="#444444", ha="left", va="bottom",
             wrap=True, gid=SOURCE_LINE_GID)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.lvrn_alt = alt  # type: ignore[attr-defined]
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig


def slug(text: str) -> str:
    """Return a file-name-safe slug of ``text``."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60] or "figure"


def save_png(fig: Figure, path: str | Path, *,
             metadata: Mapping[str, str] | None = None) -> Path:
    """Save a figure as a deterministic PNG (no timestamp metadata).

    Parameters
    ----------
    fig
        The figure.
    path
        Destination file.
    metadata
        Extra PNG text chunks (e.g. the lineage record), written in key order.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks: dict[str, str | None] = {"Software": None}
    chunks.update({k: metadata[k] for k in sorted(metadata or {})})
    fig.savefig(path, format="png", metadata=chunks)
    return path


def read_png_metadata(path: str | Path) -> dict[str, str]:
    """Return the text chunks of a PNG (e.g. `PNG_LINEAGE_KEY`, `PNG_STAMP_KEY`)."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        return {str(k): str(v) for k, v in getattr(img, "text", {}).items()}


def stamp_synthetic(fig: Figure, mark: str = f"{MARK} DATA", *, watermark: bool = True) -> str:
    """Stamp a figure ``SYNTHETIC DATA`` (once) and return the stamp's text.

    A solid tag in the top-right corner, in the site's synthetic colour, is
    legible over anything plotted; for a wholly synthetic figure a large,
    diagonal, translucent watermark of the same text crosses the plot too, so
    that a cropped screenshot still says what it is. A partly synthetic figure
    (whose synthetic parts are labelled in the chart) gets the tag only.

    Parameters
    ----------
    fig
        The figure.
    mark
        Stamp text; must contain ``"SYNTHETIC"``.
    watermark
        Also draw the diagonal watermark.

    Returns
    -------
    str
        The text of the stamp on the figure.
    """
    if MARK not in mark:
        raise ValueError(f"a synthetic stamp must say {MARK!r}, got {mark!r}")
    for artist in fig.texts:
        if artist.get_gid() == STAMP_GID:
            return artist.get_text()
    fig.text(0.995, 0.995, mark, fontsize=8, fontweight="bold", color="white", ha="right",
             va="top", zorder=101, gid=STAMP_GID,
             bbox={"boxstyle": "square,pad=0.3", "facecolor": COLOURS["synthetic"],
                   "edgecolor": "none"})
    if watermark:
        width_pt = fig.get_figwidth() * 72
        height_pt = fig.get_figheight() * 72
        size = max(14.0, min(60.0, min(width_pt, 2 * height_pt) / len(mark)))
        fig.text(0.5, 0.5, mark, fontsize=size, fontweight="bold",
                 color=COLOURS["synthetic"], alpha=0.25, rotation=20, ha="center",
                 va="center", zorder=100, gid=f"{STAMP_GID}-watermark")
    return mark


def _stamp_text(fig: Figure) -> str:
    return next((a.get_text() for a in fig.texts if a.get_gid() == STAMP_GID), "")


def _check_source_line(fig: Figure, lineage: Lineage) -> None:
    line = next((a.get_text() for a in fig.texts if a.get_gid() == SOURCE_LINE_GID), None)
    if line is None or lineage.synthetic is None or lineage.status == "none":
        return
    if lineage.synthetic and MARK not in line:
        raise ValueError(f"the figure rests on synthetic data ({lineage.sentence()}) but its "
                         f"source line does not say so: {line!r}")
    if not lineage.synthetic and MARK in line:
        raise ValueError(f"the figure's source line says synthetic but its declared sources "
                         f"are real ({lineage.sentence()}): {line!r}")


def _escape_attr(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'").replace("\n", " ")


def figure_markdown(fig: Figure, name: str, *, directory: str | Path = "figures",
                    lineage: Lineage | None = None) -> str:
    """Save ``fig`` as PNG and return the Markdown that shows it with alt text.

    The Markdown uses the Pandoc/Quarto image attribute ``fig-alt`` so that both
    real Quarto and the offline renderer write an ``alt`` attribute. The PNG
    stores ``Title``, ``Description`` (the alt text), `PNG_LINEAGE_KEY` and
    `PNG_STAMP_KEY` text chunks.

    Parameters
    ----------
    fig
        A figure finished with `finish()`.
    name
        File stem for the PNG.
    directory
        Folder, relative to the notebook, for the PNG file.
    lineage
        The processed tables the figure rests on. A synthetic (or partly
        synthetic) lineage stamps the image (`stamp_synthetic()`: tag and
        watermark, or the tag only when partly synthetic) and puts
        ``SYNTHETIC`` in the caption and the alt text; ``None`` records the
        lineage as undeclared.

    Returns
    -------
    str
        Markdown of the image.

    Raises
    ------
    ValueError
        If the figure has no alt text, or its source line contradicts the lineage.
    """
    alt = getattr(fig, "lvrn_alt", None)
    title = getattr(fig, "lvrn_title", None)
    if not alt or not title:
        raise ValueError("figure has no alt text: call plots.finish() before publishing it")
    lineage = lineage if lineage is not None else Lineage()
    _check_source_line(fig, lineage)
    if lineage.synthetic:
        stamp_synthetic(fig, lineage.mark, watermark=lineage.status == "synthetic")
        title = lineage.marked(title)
        alt = lineage.marked(alt, sep=", illustrative and not real figures: ")
    meta = {"Title": title, "Description": alt,
            PNG_LINEAGE_KEY: json.dumps(lineage.record(), sort_keys=True),
            PNG_STAMP_KEY: _stamp_text(fig)}
    path = save_png(fig, Path(directory) / f"{slug(name)}.png", metadata=meta)
    rel = Path(directory).name + "/" + path.name
    return f'![{_escape_attr(title)}]({rel}){{fig-alt="{_escape_attr(alt)}"}}'


def show(fig: Figure, name: str, *, directory: str | Path = "figures",
         lineage: Lineage | None = None) -> None:
    """Publish a figure in a notebook: PNG file + Markdown with alt text.

    nbval compares the Markdown (stable text); Quarto and the offline renderer
    show the PNG with its alt text. The figure is closed afterwards.

    Parameters
    ----------
    fig
        A figure finished with `finish()`.
    name
        File stem for the PNG.
    directory
        Folder, relative to the notebook, for the PNG file.
    lineage
        The processed tables the figure rests on (see `figure_markdown()`).
    """
    from IPython.display import Markdown, display

    md = figure_markdown(fig, name, directory=directory, lineage=lineage)
    plt.close(fig)
    display(Markdown(md))


def shade_periods(ax: object, periods: Iterable[tuple[object, object]], *, label: str) -> None:
    """Shade date periods (e.g. lockdowns) on a time axis.

    Parameters
    ----------
    ax
        Matplotlib axes with a date x-axis.
    periods
        ``(start, end)`` pairs of dates.
    label
        Legend label for the shading (used once).
    """
    first = True
    for start, end in periods:
        ax.axvspan(start, end, color=COLOURS["lockdown"], alpha=0.8, lw=0,
                   label=label if first else None, zorder=0)
        first = False
