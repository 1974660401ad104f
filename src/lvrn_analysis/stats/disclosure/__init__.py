"""Statistical disclosure control: the single path everything published goes through.

Every table the project publishes (notebook output, website table, downloadable
CSV) goes through `publish()`, which looks up the data source's policy in
`SOURCE_POLICIES`:

* **controlled** (person-level health data such as emergency-department
  attendances, and any source not registered): counts of 1 to 7 are suppressed,
  other counts are rounded to the nearest 5, as in OpenSAFELY's disclosure
  control guidance ("Updated disclosure control guidance": redact counts of 7
  or fewer, round the rest to the nearest 5; docs.opensafely.org, releasing
  files). Zero is shown as 0 unless ``show_zero=False``. **Secondary
  suppression** then makes sure that no suppressed cell can be worked out from
  a total: in every row or column that adds up to a total (a 1-way table with a
  total row, a 2-way table with margins, or groups whose totals are published
  elsewhere), a line with exactly one suppressed cell gets its next-smallest
  cell suppressed too, repeated until stable. Rates, percentages and limits
  derived from a suppressed count are suppressed with it.
* **exempt** (already-public aggregates, e.g. data.police.uk street-level
  crime, published programme figures): passed through unchanged, but marked
  and with the reason stated. Exemption must be registered explicitly.

Published tables use the Government Analysis Function / ONS shorthand for
tables ("Symbols in tables, definitions and help", Analysis Function
guidance, 2021): ``[c]`` for confidential (suppressed) cells and ``[x]`` for
not available. Their HTML carries the machine-readable marker
``data-lvrn-disclosure="controlled"`` or ``"exempt"`` and a visible footnote
stating the rule; downloadable CSVs get a CSVW-style ``<file>.csv-metadata.json``
sidecar with the same information.

`scan_notebook()`, `scan_html()`, `scan_csv()` and
`scan_publications()` implement the publication guard used by
``tests/test_publication_guard.py``: they report unmarked tables and visible
small counts in controlled tables.

Limitations: the line-by-line secondary suppression protects each row and
column of a table with margins; it does not solve the general linear-programming
problem of multi-dimensional linked tables (e.g. the same counts published in two
different breakdowns). Publish such tables from one call, or suppress by hand.
Derived values are rescaled to the rounded counts by default (see
`publish()`); an interval rescaled this way is an approximation.

Where each part lives
---------------------
* `lvrn_analysis.stats.disclosure.policies` — `SOURCE_POLICIES`, `policy_for()`,
  `Rule`;
* `lvrn_analysis.stats.disclosure.suppression` — `round_to_base()`,
  `secondary_suppression()`;
* `lvrn_analysis.stats.disclosure.publishing` — `publish()`;
* `lvrn_analysis.stats.disclosure.published` — `PublishedTable` (symbols,
  footnote, HTML, CSV and its sidecar);
* `lvrn_analysis.stats.disclosure.guard` — the publication guard.

The names are re-exported here, so ``from lvrn_analysis.stats import disclosure``
then ``disclosure.publish(...)`` (or the old ``lvrn_analysis.disclosure``) works.
"""

from __future__ import annotations

from lvrn_analysis.stats.disclosure.guard import (
    Finding,
    scan_csv,
    scan_html,
    scan_notebook,
    scan_publications,
)
from lvrn_analysis.stats.disclosure.policies import (
    ROUNDING_BASE,
    SMALL_COUNT_MAX,
    SOURCE_POLICIES,
    Rule,
    SourcePolicy,
    policy_for,
)
from lvrn_analysis.stats.disclosure.published import (
    CONFIDENTIAL,
    CSV_METADATA_SUFFIX,
    LINEAGE_ATTR,
    MARKER,
    NOT_AVAILABLE,
    ROLE_ATTR,
    SOURCE_ATTR,
    STATUS_COLUMN,
    PublishedTable,
)
from lvrn_analysis.stats.disclosure.publishing import publish
from lvrn_analysis.stats.disclosure.suppression import (
    Line,
    round_to_base,
    secondary_suppression,
)

__all__ = [
    "CONFIDENTIAL",
    "CSV_METADATA_SUFFIX",
    "LINEAGE_ATTR",
    "MARKER",
    "NOT_AVAILABLE",
    "ROLE_ATTR",
    "ROUNDING_BASE",
    "SMALL_COUNT_MAX",
    "SOURCE_ATTR",
    "SOURCE_POLICIES",
    "STATUS_COLUMN",
    "Finding",
    "Line",
    "PublishedTable",
    "Rule",
    "SourcePolicy",
    "policy_for",
    "publish",
    "round_to_base",
    "scan_csv",
    "scan_html",
    "scan_notebook",
    "scan_publications",
    "secondary_suppression",
]
