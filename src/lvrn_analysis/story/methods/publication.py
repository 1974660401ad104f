"""How the Data and methods page publishes its tables: disclosure keys and CSV-only downloads.

Counts of rows in input files are not statistics about people when the source
holds no person-level records. They are published under `MANIFEST_SOURCE`
(a key not registered as exempt, so controlled: counts of 1 to 7 are suppressed)
without rounding (`MANIFEST_RULE`), so that rows in = kept + rejected can be read
off the table. Files of person-level sources (`SourceSpec.person_level`) are
published separately under their own source's key and rule (``ed_attendances``:
suppressed 1 to 7, rounded to 5). Descriptive tables with no counts (the data
dictionary, the policies, the method catalogue) are published under `DOC_SOURCE`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.stats.disclosure.publishing import publish

#: Disclosure key of build-manifest and quality counts of non-person-level files.
MANIFEST_SOURCE = "build_manifest"
#: Disclosure key of descriptive tables with no counts (dictionary, policies ...).
DOC_SOURCE = "documentation"
#: Publication options of `MANIFEST_SOURCE` tables: suppress 1-7, no rounding.
MANIFEST_RULE: dict[str, int] = {"rounding": 1}


def publish_csv(df: pd.DataFrame, *, name: str, label: str, source: str,
                count_cols: str | Sequence[str], **kwargs: object) -> str:
    """Publish a table as a downloadable CSV only (no HTML), through disclosure control.

    For long tables (e.g. every input file) that the page links to rather than
    shows. The CSV and its metadata sidecar go where
    `lvrn_analysis.story.notebook.table()` writes them.

    Parameters
    ----------
    df
        The table.
    name
        File stem.
    label
        Link text.
    source, count_cols, **kwargs
        Passed to `lvrn_analysis.stats.disclosure.publish()`.

    Returns
    -------
    str
        Markdown link to the CSV, relative to the notebook.
    """
    from lvrn_analysis.story import notebook as nb

    pub = publish(df, source=source, count_cols=count_cols, **kwargs)
    path = pub.to_csv(nb.TABLE_DIR / f"{plots.slug(name)}.csv")
    return f"[{label}]({nb.TABLE_DIR.name}/{path.name})"
