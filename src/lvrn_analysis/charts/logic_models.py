"""Logic models drawn as images: stage columns of boxes joined by arrows.

`logic_model_chart()` draws a logic model (inputs → activities → outputs →
outcomes, or any other sequence of stages) as a matplotlib figure in the house
style, so that it is published like every other chart: a PNG written when the
notebook runs, shown with alt text by both renderers and needing no script or
network in the reader's browser (`lvrn_analysis.charts.plots.show()`).

Layout is computed in inches from the measured size of each wrapped label, so
the figure is as tall as its longest column and no label overflows its box. At
the house resolution (``savefig.dpi`` 110) the default 8-inch figure is 880 px
wide; box labels are 9.5 pt and no text is under 8.5 pt (the source line): about
12.5 px and 11 px where the pages show the image, 760 px wide at a 1366-px window.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from lvrn_analysis.charts import plots

#: (fill, border) of each stage, in order: light tints of the Okabe–Ito palette.
STAGE_COLOURS: tuple[tuple[str, str], ...] = (
    ("#E6F0F8", plots.PALETTE[0]),
    ("#FCF1DC", plots.PALETTE[1]),
    ("#E0F3ED", plots.PALETTE[2]),
    ("#F6E9F1", plots.PALETTE[4]),
)
#: Border of a box whose text was filled in from data.
HIGHLIGHT_COLOUR = plots.PALETTE[3]
#: Smallest font sizes used (points); tests check the drawn text against them.
MIN_LABEL_PT = 9.0
MIN_SOURCE_PT = 8.5

_TEXT = "#111111"
_MARGIN = 0.12      # figure edge to content, inches
_GAP = 0.34         # between columns (the arrows sit here), inches
_PAD = 0.07         # box edge to text, inches
_SPACE = 0.09       # between boxes, inches
_LINE = 1.25        # line spacing, multiples of the font size


def _on(colour: str) -> str:
    """Return white or near-black, whichever contrasts more with ``colour`` (WCAG 2)."""
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour.lstrip("#")[k:k + 2], 16) / 255 for k in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    bg = lum(colour)
    return "white" if (1.05 / (bg + 0.05)) >= (bg + 0.05) / (lum(_TEXT) + 0.05) else _TEXT


@dataclass(frozen=True)
class _Label:
    text: str
    height: float   # inches, as drawn


def _measure(fig: Figure, text: str, size: float, weight: str = "normal") -> tuple[float, float]:
    """Return (width, height) in inches of ``text`` as drawn on ``fig``."""
    artist = fig.text(0, 0, text, fontsize=size, fontweight=weight, linespacing=_LINE,
                      transform=fig.dpi_scale_trans)
    box = artist.get_window_extent(renderer=fig.canvas.get_renderer())
    artist.remove()
    return box.width / fig.dpi, box.height / fig.dpi


def _wrap(fig: Figure, text: str, width_in: float, size: float,
          weight: str = "normal") -> _Label:
    """Wrap ``text`` to fit ``width_in`` inches (measured, not guessed)."""
    chars = max(8, int(width_in * 72 / (size * 0.5)))
    while True:
        wrapped = "\n".join(textwrap.wrap(text, width=chars, break_long_words=True,
                                          break_on_hyphens=False)) or " "
        w, h = _measure(fig, wrapped, size, weight)
        if w <= 0.95 * width_in or chars <= 8:  # a margin for hinting at other dpi
            return _Label(wrapped, h)
        chars -= 1


def logic_model_chart(
    stages: Sequence[tuple[str, Sequence[str]]],
    *,
    title: str,
    source: str,
    alt: str,
    highlight: Collection[tuple[int, int]] = (),
    highlight_label: str = "Filled in from the published monitoring figures",
    width: float = 8.0,
    label_size: float = 9.5,
) -> Figure:
    """Draw a logic model: one column of boxes per stage, arrows between stages.

    Parameters
    ----------
    stages
        ``(heading, items)`` per stage, left to right (e.g. Inputs, Activities,
        Outputs, Outcomes); each item is one box. At most four stages get
        their own colour; later ones reuse them.
    title
        Chart title (also the caption on the page).
    source
        Source line, from `lvrn_analysis.charts.plots.source_line()`.
    alt
        Alt text: what the diagram says, box by box.
    highlight
        ``(stage index, item index)`` of boxes whose text was filled in from
        data; they get a thick vermillion border and a key under the diagram.
    highlight_label
        Text of that key.
    width
        Figure width in inches (880 px at the house resolution for 8).
    label_size
        Font size of the box labels, in points (at least `MIN_LABEL_PT`).

    Returns
    -------
    matplotlib.figure.Figure
        With ``lvrn_alt`` and ``lvrn_title`` set (as `plots.finish()` does) and
        the source line tagged `plots.SOURCE_LINE_GID`.

    Raises
    ------
    ValueError
        If there are no stages, a stage has no items, a highlight names a box
        that does not exist, the labels are smaller than `MIN_LABEL_PT`, or the
        title, source or alt text is empty.
    """
    for name, value in (("title", title), ("source", source), ("alt", alt)):
        if not value or not value.strip():
            raise ValueError(f"every chart needs a non-empty {name}")
    if not stages:
        raise ValueError("a logic model needs at least one stage")
    for heading, items in stages:
        if not items:
            raise ValueError(f"stage {heading!r} has no items")
    for s, i in highlight:
        if not (0 <= s < len(stages) and 0 <= i < len(stages[s][1])):
            raise ValueError(f"highlight ({s}, {i}) names no box of the logic model")
    if label_size < MIN_LABEL_PT:
        raise ValueError(f"label_size {label_size} pt is below {MIN_LABEL_PT} pt: "
                         "too small to read at 100 % zoom")

    plots.apply_house_style()
    fig = Figure(figsize=(width, 4.0))
    FigureCanvasAgg(fig)  # measuring text needs a renderer
    fig.patch.set_facecolor("white")
    n = len(stages)
    col_w = (width - 2 * _MARGIN - (n - 1) * _GAP) / n
    text_w = col_w - 2 * _PAD
    head_size = label_size + 1.5

    title_lab = _wrap(fig, title, width - 2 * _MARGIN, 12.0, "bold")
    source_lab = _wrap(fig, source, width - 2 * _MARGIN, MIN_SOURCE_PT)
    key_lab = _wrap(fig, highlight_label, width - 2 * _MARGIN - 0.5, MIN_SOURCE_PT + 0.5)
    heads = [_wrap(fig, h, text_w, head_size, "bold") for h, _ in stages]
    head_h = max(lab.height for lab in heads) + 2 * _PAD
    cols = [[_wrap(fig, t, text_w, label_size) for t in items] for _, items in stages]
    col_h = [sum(lab.height + 2 * _PAD for lab in c) + _SPACE * (len(c) - 1) for c in cols]

    # heights from the top, in inches
    y_title = _MARGIN
    y_heads = y_title + title_lab.height + 0.16
    y_boxes = y_heads + head_h + 0.10
    y_key = y_boxes + max(col_h) + 0.14
    y_source = y_key + (key_lab.height + 0.10 if highlight else 0.0)
    total = y_source + source_lab.height + _MARGIN
    fig.set_size_inches(width, total)
    tr = fig.dpi_scale_trans

    def y(v: float) -> float:  # from the top to matplotlib's bottom-up inches
        return total - v

    fig.text(_MARGIN, y(y_title), title_lab.text, fontsize=12.0, fontweight="bold",
             color=_TEXT, ha="left", va="top", linespacing=_LINE, transform=tr)
    hl = set(highlight)
    for s, (head, col) in enumerate(zip(heads, cols, strict=True)):
        fill, edge = STAGE_COLOURS[s % len(STAGE_COLOURS)]
        x0 = _MARGIN + s * (col_w + _GAP)
        fig.add_artist(FancyBboxPatch(
            (x0, y(y_heads + head_h)), col_w, head_h, boxstyle="round,pad=0,rounding_size=0.04",
            facecolor=edge, edgecolor=edge, transform=tr))
        fig.text(x0 + col_w / 2, y(y_heads + head_h / 2), head.text, fontsize=head_size,
                 fontweight="bold", color=_on(edge), ha="center",
                 va="center", linespacing=_LINE, transform=tr)
        top = y_boxes
        for i, lab in enumerate(col):
            h = lab.height + 2 * _PAD
            marked = (s, i) in hl
            fig.add_artist(FancyBboxPatch(
                (x0, y(top + h)), col_w, h, boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=fill, edgecolor=HIGHLIGHT_COLOUR if marked else edge,
                linewidth=2.6 if marked else 1.0, transform=tr))
            fig.text(x0 + _PAD, y(top + _PAD), lab.text, fontsize=label_size, color=_TEXT,
                     ha="left", va="top", linespacing=_LINE, transform=tr)
            top += h + _SPACE
        if s < n - 1:
            x_from = x0 + col_w + 0.03
            y_mid = y(y_heads + head_h / 2)
            fig.add_artist(FancyArrowPatch(
                (x_from, y_mid), (x_from + _GAP - 0.06, y_mid), arrowstyle="-|>",
                mutation_scale=16, linewidth=2.0, color="#444444", transform=tr))
            # the flow continues down the columns: a second arrow level with the boxes
            y_body = y(y_boxes + min(col_h[s], col_h[s + 1]) / 2)
            fig.add_artist(FancyArrowPatch(
                (x_from, y_body), (x_from + _GAP - 0.06, y_body), arrowstyle="-|>",
                mutation_scale=16, linewidth=2.0, color="#444444", transform=tr))
    if highlight:
        fig.add_artist(FancyBboxPatch(
            (_MARGIN, y(y_key + 0.2)), 0.38, 0.2, boxstyle="round,pad=0,rounding_size=0.03",
            facecolor="white", edgecolor=HIGHLIGHT_COLOUR, linewidth=2.6, transform=tr))
        fig.text(_MARGIN + 0.5, y(y_key + 0.1), key_lab.text, fontsize=MIN_SOURCE_PT + 0.5,
                 color=_TEXT, ha="left", va="center", linespacing=_LINE, transform=tr)
    fig.text(_MARGIN, y(y_source), source_lab.text, fontsize=MIN_SOURCE_PT, color="#444444",
             ha="left", va="top", linespacing=_LINE, transform=tr, gid=plots.SOURCE_LINE_GID)
    fig.lvrn_alt = alt  # type: ignore[attr-defined]
    fig.lvrn_title = title  # type: ignore[attr-defined]
    return fig
