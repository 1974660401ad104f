"""One house style for every chart the project publishes.

Every chart function in the package returns a `matplotlib.figure.Figure`
that carries

* a title and axis labels with units,
* a source line at the bottom that names the data and says whether they are real
  or synthetic, and
* alt text, stored on the figure as ``fig.lvrn_alt`` and used by `show()`
  when the figure is written to a notebook or the website.

The palette is Okabe & Ito's colour-blind-safe set (Okabe M, Ito K. *Color
Universal Design*, 2008).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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


def source_line(sources: Sequence[str] | str, *, synthetic: bool) -> str:
    """Return the text of a chart's source line.

    Parameters
    ----------
    sources
        Names of the data sources, e.g. ``"data.police.uk (OGL v3.0)"``.
    synthetic
        Whether any of the data drawn are synthetic. Synthetic data are named
        in capitals so that nobody mistakes them for real figures.

    Returns
    -------
    str
        ``"Source: ... Real data."`` or ``"Source: ... SYNTHETIC DATA - not real
        figures."``
    """
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
             wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.lvrn_alt = alt  # type: ignore[attr-defined]
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig


def slug(text: str) -> str:
    """Return a file-name-safe slug of ``text``."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60] or "figure"


def save_png(fig: Figure, path: str | Path) -> Path:
    """Save a figure as a deterministic PNG (no timestamp metadata).

    Parameters
    ----------
    fig
        The figure.
    path
        Destination file.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _escape_attr(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'").replace("\n", " ")


def figure_markdown(fig: Figure, name: str, *, directory: str | Path = "figures") -> str:
    """Save ``fig`` as PNG and return the Markdown that shows it with alt text.

    The Markdown uses the Pandoc/Quarto image attribute ``fig-alt`` so that both
    real Quarto and the offline renderer write an ``alt`` attribute.

    Parameters
    ----------
    fig
        A figure finished with `finish()`.
    name
        File stem for the PNG.
    directory
        Folder, relative to the notebook, for the PNG file.

    Returns
    -------
    str
        Markdown of the image.
    """
    alt = getattr(fig, "lvrn_alt", None)
    title = getattr(fig, "lvrn_title", None)
    if not alt or not title:
        raise ValueError("figure has no alt text: call plots.finish() before publishing it")
    path = save_png(fig, Path(directory) / f"{slug(name)}.png")
    rel = Path(directory).name + "/" + path.name
    return f'![{_escape_attr(title)}]({rel}){{fig-alt="{_escape_attr(alt)}"}}'


def show(fig: Figure, name: str, *, directory: str | Path = "figures") -> None:
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
    """
    from IPython.display import Markdown, display

    md = figure_markdown(fig, name, directory=directory)
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
