"""Data and methods page: dictionary, build manifest, quality, disclosure, methods.

Everything the "Data and methods" page (``notebooks/05-data-and-methods.ipynb``)
shows from the package is computed here, from the package itself and from the
build's outputs, so that the page cannot drift from the code; its fixed prose
(and the list of datasets and licences) is written in the notebook.

* `lvrn_analysis.story.methods.dictionary` — the data inventory: `sources_overview()`,
  `data_dictionary()` (every column of every registered source, from each source
  module's ``SCHEMA``), `coverage_table()` / `coverage_matrix()` (what each source can
  measure of the LVRN serious-violence definition);
* `lvrn_analysis.story.methods.build_manifest` — ``data/processed/manifest.json`` as
  tables: `manifest_files()`, `manifest_by_table()`, `police_files()`, and
  `accounting_check()` (rows in = kept + rejected for every file);
* `lvrn_analysis.story.methods.quality` — the quality report: `reason_catalogue()`
  (every quarantine reason with its meaning), `quarantine_counts()`,
  `quality_table()`, `quality_figure()`;
* `lvrn_analysis.story.methods.disclosure_control` — `policy_table()` (generated from
  `lvrn_analysis.stats.disclosure.policies.SOURCE_POLICIES`) and the worked example
  `disclosure_example()`;
* `lvrn_analysis.story.methods.method_catalogue` — `METHODS`, the statistical methods
  of the package with their functions, formulas and citations, and
  `methods_markdown()`;
* `lvrn_analysis.story.methods.reference_links` — `api_page()`: the link from a
  function to its page in the package reference;
* `lvrn_analysis.story.methods.reproducibility` — `pinned_packages()`,
  `reproducibility_markdown()`, `output_hashes()`;
* `lvrn_analysis.story.methods.assumptions` — `read_assumptions()`, the assumptions and
  caveats log in ``docs/assumptions.md``;
* `lvrn_analysis.story.methods.publication` — the disclosure keys of the page's tables
  (`MANIFEST_SOURCE`, `DOC_SOURCE`) and `publish_csv()` for CSV-only downloads.

The names below are re-exported here so that the notebook can call
``mp.data_dictionary()`` and so on.
"""

from __future__ import annotations

from lvrn_analysis.story.methods.assumptions import (
    LOG_FIELDS,
    assumptions_sentence,
    assumptions_summary,
    read_assumptions,
)
from lvrn_analysis.story.methods.build_manifest import (
    SHA_CHARS,
    accounting_check,
    accounting_sentence,
    count_columns,
    file_notes,
    files_for_csv,
    manifest_by_table,
    manifest_files,
    missing_months_sentence,
    month_ranges,
    origins_sentence,
    police_files,
    short_sha,
)
from lvrn_analysis.story.methods.dictionary import (
    EXTRA_COLUMNS,
    POLICE_COLUMNS,
    POLICE_DERIVED,
    coverage_matrix,
    coverage_table,
    data_dictionary,
    ed_code_verification,
    ed_schema_table,
    sources_overview,
)
from lvrn_analysis.story.methods.disclosure_control import (
    DisclosureExample,
    disclosure_example,
    disclosure_example_sentence,
    policy_sentence,
    policy_table,
)
from lvrn_analysis.story.methods.method_catalogue import (
    METHODS,
    Method,
    methods_frame,
    methods_markdown,
)
from lvrn_analysis.story.methods.publication import (
    DOC_SOURCE,
    MANIFEST_RULE,
    MANIFEST_SOURCE,
    publish_csv,
)
from lvrn_analysis.story.methods.quality import (
    REASON_MEANINGS,
    STRUCTURAL_REASONS,
    docstring_reasons,
    quality_figure,
    quality_sentence,
    quality_table,
    quarantine_counts,
    quarantine_matches_manifest,
    reason_catalogue,
)
from lvrn_analysis.story.methods.reference_links import api_page, resolve
from lvrn_analysis.story.methods.reproducibility import (
    output_hashes,
    pinned_packages,
    reproducibility_markdown,
)

__all__ = [
    "DOC_SOURCE",
    "EXTRA_COLUMNS",
    "LOG_FIELDS",
    "MANIFEST_RULE",
    "MANIFEST_SOURCE",
    "METHODS",
    "POLICE_COLUMNS",
    "POLICE_DERIVED",
    "REASON_MEANINGS",
    "SHA_CHARS",
    "STRUCTURAL_REASONS",
    "DisclosureExample",
    "Method",
    "accounting_check",
    "accounting_sentence",
    "api_page",
    "assumptions_sentence",
    "assumptions_summary",
    "count_columns",
    "coverage_matrix",
    "coverage_table",
    "data_dictionary",
    "ed_code_verification",
    "ed_schema_table",
    "disclosure_example",
    "disclosure_example_sentence",
    "docstring_reasons",
    "file_notes",
    "files_for_csv",
    "manifest_by_table",
    "manifest_files",
    "methods_frame",
    "methods_markdown",
    "missing_months_sentence",
    "month_ranges",
    "origins_sentence",
    "output_hashes",
    "pinned_packages",
    "police_files",
    "policy_sentence",
    "policy_table",
    "publish_csv",
    "quality_figure",
    "quality_sentence",
    "quality_table",
    "quarantine_counts",
    "quarantine_matches_manifest",
    "read_assumptions",
    "reason_catalogue",
    "reproducibility_markdown",
    "resolve",
    "short_sha",
    "sources_overview",
]
