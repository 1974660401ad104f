"""Small helpers that keep the story notebooks thin.

Each helper writes one kind of output in a form that both nbval (stable text)
and the website renderers (Quarto or smalldocs) handle well:

* `banner()` — the visible real/synthetic data notice at the top of a page;
* `md()` — a paragraph of Markdown built from computed numbers;
* `table()` — a table published through disclosure control, shown as HTML
  and written as a downloadable CSV;
* `figure()` — a house-style figure saved as PNG and shown with alt text.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from lvrn_analysis.charts import plots
from lvrn_analysis.processed.store import manifest
from lvrn_analysis.stats.disclosure.publishing import publish

TABLE_DIR = Path("tables")
FIGURE_DIR = Path("figures")

#: What each processed table's data are, for banners and source lines.
SOURCE_NAMES: dict[str, str] = {
    "police_street": "data.police.uk street-level crime (OGL v3.0)",
    "police_street_synthetic": "synthetic data.police.uk-format street-level crime "
                               "calibrated to the real months",
    "ed_attendances": "TIIG-style emergency-department assault attendances "
                      "(person-level; published only as disclosure-controlled aggregates)",
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


def table(df: pd.DataFrame, *, name: str, source: str, count_cols: str | Sequence[str],
          derived_cols: Mapping[str, str | Sequence[str]] | None = None,
          caption: str | None = None, **kwargs: object) -> None:
    """Publish a table: disclosure control, HTML display and a downloadable CSV.

    The published (controlled) frame is not returned, so that a notebook cell
    ending with this call shows only the controlled table.

    Parameters
    ----------
    df
        The table.
    name
        File stem of the CSV (``tables/<name>.csv``, next to the notebook).
    source
        Disclosure source key (see `lvrn_analysis.stats.disclosure.SOURCE_POLICIES`).
    count_cols, derived_cols, caption, **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()`.
    """
    pub = publish(df, source=source, count_cols=count_cols, derived_cols=derived_cols,
                  caption=caption, **kwargs)
    path = pub.to_csv(TABLE_DIR / f"{plots.slug(name)}.csv")
    display(HTML(pub.to_html()))
    md(f"[Download this table (CSV)]({TABLE_DIR.name}/{path.name})")


def figure(fig: object, name: str) -> None:
    """Show a finished figure as PNG with alt text (see `lvrn_analysis.charts.plots.show()`)."""
    plots.show(fig, name, directory=FIGURE_DIR)
