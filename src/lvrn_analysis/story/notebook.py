"""Small helpers that keep the story notebooks thin.

Each helper writes one kind of output in a form that both nbval (stable text)
and the website renderers (Quarto or smalldocs) handle well:

* `banner()` — the visible real/synthetic data notice at the top of a page;
* `md()` — a paragraph of Markdown built from computed numbers;
* `table()` — a table published through disclosure control, shown as a
  styled HTML table (`lvrn_analysis.story.tables.published_html()`: headers for
  readers from `lvrn_analysis.story.table_labels`, numbers formatted by column
  kind) and written as a downloadable CSV (column names as in the data);
* `figure()` — a house-style figure saved as PNG and shown with alt text.

Both take ``sources=[...]``: the processed tables (keys of the build manifest's
``"origins"``) the output rests on, ``[]`` for documentation resting on none.
Nothing is inferred: without ``sources`` the output says its sources are not
declared, and ``tests/test_lineage_guard.py`` fails. Anything resting on a
synthetic table is marked ``SYNTHETIC`` in the image, alt text, caption, CSV and
metadata (see `lvrn_analysis.processed.lineage`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from lvrn_analysis.charts import plots
from lvrn_analysis.processed.lineage import Lineage
from lvrn_analysis.processed.lineage import lineage as _lineage
from lvrn_analysis.processed.store import manifest
from lvrn_analysis.stats.disclosure.publishing import publish
from lvrn_analysis.story.tables import published_html

TABLE_DIR = Path("tables")
FIGURE_DIR = Path("figures")

#: What each processed table's data are, for banners and source lines.
SOURCE_NAMES: dict[str, str] = {
    "police_street": "data.police.uk street-level crime (OGL v3.0)",
    "police_street_synthetic": "synthetic data.police.uk-format street-level crime "
                               "calibrated to the real months",
    "ed_attendances": "emergency-department assault attendances in the ECDS/ISTV layout "
                      "(person-level; published only as disclosure-controlled aggregates)",
    "navigator_contacts": "ED Navigator contacts: the scheme's caseload of 10-39-year-olds "
                          "after violence, self-harm or overdose (person-level; published "
                          "only as disclosure-controlled aggregates)",
    "fingertips": "Fingertips (OHID) indicator export",
    "csp_crime": "Home Office police recorded crime by Community Safety Partnership",
    "imd2019": "English Indices of Deprivation 2019, local-authority summaries (MHCLG, "
               "OGL v3.0)",
    "ks4_by_la": "DfE key stage 4 school performance tables, aggregated to local authority",
    "programme_monitoring": "LVRN programme monitoring figures as published in the LVRN "
                            "evaluation report (2021)",
    "indicators_real": "OHID Fingertips values for every English authority and DfE NCCIS "
                       "NEET scorecards (OGL v3.0)",
    "police_street_comparators": "data.police.uk street-level crime of the comparator "
                                 "area(s) (OGL v3.0)",
}


def quiet() -> None:
    """Silence warnings that would put unstable text on stderr in stored outputs."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    pd.set_option("display.max_rows", 60)


def md(text: str) -> None:
    """Display Markdown (a paragraph computed from data)."""
    display(Markdown(text))


def banner(tables: Sequence[str], directory: Path | str | None = None) -> None:
    """Display the data notice for a page built on the given processed tables.

    Pages resting on any synthetic table get a prominent warning callout; pages
    on real data get a note naming the data and their licence.

    Parameters
    ----------
    tables
        Processed table names the page uses.
    directory
        Processed folder (default: found automatically).
    """
    origins = manifest(directory)["origins"]
    synth = [t for t in tables if origins.get(t, "synthetic").startswith("synthetic")]
    real = [t for t in tables if t not in synth]
    if synth:
        names = "; ".join(SOURCE_NAMES.get(t, t) for t in synth)
        text = ("::: {.callout-warning}\n## Synthetic data on this page\n"
                f"Parts of this page use **synthetic data**: {names}. They are generated in "
                "the real formats and calibrated to published facts so that the methods can "
                "be shown and tested; they are **not real figures** and must not be quoted "
                "as such. Charts and tables say which data they rest on.\n:::")
    else:
        text = ""
    if real:
        names = "; ".join(f"{SOURCE_NAMES.get(t, t)} [{origins.get(t)}]" for t in real)
        text += ("\n\n" if text else "") + (
            "::: {.callout-note}\n## Real data\n"
            f"This page uses real published data: {names}.\n:::")
    md(text)


def lineage(sources: Sequence[str] | str | None) -> Lineage:
    """Return the lineage of an output resting on the named processed tables.

    For calls that publish through other paths (e.g.
    `lvrn_analysis.story.methods.publication.publish_csv(..., lineage=nb.lineage([...]))`).

    Parameters
    ----------
    sources
        Processed table names (keys of the manifest's ``"origins"``); ``[]``
        for documentation resting on none; ``None`` for undeclared.

    Returns
    -------
    lvrn_analysis.processed.lineage.Lineage

    Raises
    ------
    KeyError
        If a name is not a processed table of this build.
    """
    return _lineage(sources)


def sources_by_origin(rows: pd.DataFrame, *, real: Sequence[str], synthetic: Sequence[str],
                      column: str = "origin") -> list[str]:
    """Return the sources of an output whose rows say which are synthetic.

    For outputs that mix rows of real and synthetic tables row by row (e.g. a
    spine chart with synthetic rows only for some authorities): the ``real``
    tables always, plus the ``synthetic`` ones if any row's ``column`` is
    ``"synthetic"``.

    Parameters
    ----------
    rows
        The rows the output shows.
    real, synthetic
        Processed table names of the real rows and of the synthetic rows.
    column
        Column holding ``"real"`` / ``"synthetic"``.

    Returns
    -------
    list of str
        Table names for ``sources=``.

    Raises
    ------
    KeyError
        If ``rows`` has no ``column``.
    """
    if column not in rows.columns:
        raise KeyError(f"no column {column!r} saying which rows are synthetic")
    has_synthetic = bool(rows[column].astype(str).str.startswith("synthetic").any())
    return [*real, *(synthetic if has_synthetic else [])]


def table(df: pd.DataFrame, *, name: str, source: str, count_cols: str | Sequence[str],
          derived_cols: Mapping[str, str | Sequence[str]] | None = None,
          caption: str | None = None, sources: Sequence[str] | None = None,
          **kwargs: object) -> None:
    """Publish a table: disclosure control, HTML display and a downloadable CSV.

    The published (controlled) frame is not returned, so that a notebook cell
    ending with this call shows only the controlled table.

    The page shows it with headers for readers and numbers formatted by kind of
    column (`lvrn_analysis.story.tables.published_html()`; add a new column name
    to `lvrn_analysis.story.table_labels.LABELS`); the CSV keeps the column names
    and plain numbers of ``df``.

    Parameters
    ----------
    df
        The table.
    name
        File stem of the CSV (``tables/<name>.csv``, next to the notebook); its
        slug is also the HTML id of the table (``lvrn-table-<name>``).
    source
        Disclosure source key (see `lvrn_analysis.stats.disclosure.SOURCE_POLICIES`).
    count_cols, derived_cols, caption, **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()`.
    sources
        Processed tables the table rests on (see `lineage()`); a synthetic one
        marks the caption, HTML, CSV and metadata ``SYNTHETIC``.
    """
    pub = publish(df, source=source, count_cols=count_cols, derived_cols=derived_cols,
                  caption=caption, lineage=lineage(sources), **kwargs)
    path = pub.to_csv(TABLE_DIR / f"{plots.slug(name)}.csv")
    display(HTML(published_html(pub, name=path.stem)))
    md(f"[Download this table (CSV)]({TABLE_DIR.name}/{path.name})")


def figure(fig: object, name: str, *, sources: Sequence[str] | None = None) -> None:
    """Show a finished figure as PNG with alt text (see `lvrn_analysis.charts.plots.show()`).

    Parameters
    ----------
    fig
        A figure finished with `lvrn_analysis.charts.plots.finish()`.
    name
        File stem of the PNG (``figures/<name>.png``, next to the notebook).
    sources
        Processed tables the figure rests on (see `lineage()`); a synthetic one
        stamps the image and marks its caption, alt text and PNG metadata
        ``SYNTHETIC``.
    """
    plots.show(fig, name, directory=FIGURE_DIR, lineage=lineage(sources))
