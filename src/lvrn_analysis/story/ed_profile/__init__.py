"""Problem profile from ED assault attendances, benchmark comparisons and source coverage.

This module holds the logic of the later sections of the problem-profile page:

* **Benchmarks** (`police_benchmark()`, `fingertips_benchmark()`,
  `benchmark_grid()`): Fingertips-style *better / similar / worse*
  comparisons of authority rates against the whole area and against England,
  with `lvrn_analysis.stats.benchmarking.compare_to_benchmark()` (95 % interval
  overlapping the benchmark value; lower is better for violence).
* **People, time, place and means** from the person-level ED assault
  attendances (`lvrn_analysis.sources.ed`): `age_sex_table()`,
  `hour_weekday_table()`, `one_way_table()` (incident location, means of
  assault), `alcohol_drugs_table()` and `repeat_table()`.
* **The ED Navigator caseload snapshot**: the LVRN report's Box 1 (§5.2), one
  month of the scheme's caseload (10-39-year-olds after violence, self-harm or
  overdose), rebuilt from the navigator contacts table
  (`lvrn_analysis.sources.navigator`, disclosure source ``"navigator_contacts"``):
  `box1_table()`.
* **Coverage** of the LVRN serious-violence definition by each source:
  `coverage_table()`, `coverage_reasons()`.

Disclosure control
------------------
ED data are person-level health data (source ``"ed_attendances"``, *controlled*
in `lvrn_analysis.stats.disclosure.SOURCE_POLICIES`: counts of 1-7 suppressed,
others rounded to the nearest 5, secondary suppression). Every ED table here is
returned as an `EdTable` (raw counts plus the arguments
`lvrn_analysis.stats.disclosure.publish()` needs), so the notebook's table
(``nb.table(**spec.table_kwargs(), name=...)``) and chart
(``spec.published_counts()``) come from **the same** controlled counts.
Percentages are computed from the *published* (rounded) counts and are
suppressed with their numerator (OpenSAFELY: derive statistics from rounded
counts). Numbers quoted in prose come from published counts too
(`controlled_count()`, `published_value()`).

Where each part lives
---------------------
* `lvrn_analysis.story.ed_profile.benchmarks` — the benchmark comparisons;
* `lvrn_analysis.story.ed_profile.attendances` — people, time, place and means;
* `lvrn_analysis.story.ed_profile.box1` — the ED Navigator caseload snapshot;
* `lvrn_analysis.story.ed_profile.coverage` — what each source can measure;
* `lvrn_analysis.story.ed_profile.controlled` — `EdTable` and the published
  numbers prose may quote;
* `lvrn_analysis.story.ed_profile.records` — choosing the months, period and site.

The names are re-exported here, so the notebook's ``ed_profile.<name>`` works. The
``*_text()`` functions return only sentences that carry computed numbers; the page's
fixed prose is written in the Markdown cells of ``notebooks/01-problem-profile.ipynb``.
"""

from __future__ import annotations

from lvrn_analysis.story.ed_profile.attendances import (
    age_sex_table,
    alcohol_drugs_table,
    alcohol_drugs_text,
    hour_weekday_table,
    one_way_table,
    people_text,
    period_text,
    place_means_text,
    recorded_share,
    repeat_table,
    repeat_text,
    time_text,
)
from lvrn_analysis.story.ed_profile.benchmarks import (
    ENGLAND_CODE,
    benchmark_counts,
    benchmark_grid,
    benchmark_text,
    fingertips_benchmark,
    police_benchmark,
)
from lvrn_analysis.story.ed_profile.box1 import (
    BOX1_MONTH,
    BOX1_ROWS,
    NAVIGATOR_SOURCE,
    box1_counts,
    box1_table,
    box1_text,
    busiest_weekday,
    caseload_period,
)
from lvrn_analysis.story.ed_profile.controlled import (
    ED_SOURCE,
    TOTAL,
    EdTable,
    controlled_count,
    published_counts,
    published_value,
    suppression_summary,
)
from lvrn_analysis.story.ed_profile.coverage import (
    coverage_reasons,
    coverage_summary,
    coverage_table,
    coverage_text,
)
from lvrn_analysis.story.ed_profile.records import (
    NAVIGATOR_SITE,
    WEEKDAYS,
    in_period,
    latest_months,
)

__all__ = [
    "BOX1_MONTH",
    "BOX1_ROWS",
    "ED_SOURCE",
    "ENGLAND_CODE",
    "NAVIGATOR_SITE",
    "NAVIGATOR_SOURCE",
    "TOTAL",
    "WEEKDAYS",
    "EdTable",
    "age_sex_table",
    "alcohol_drugs_table",
    "alcohol_drugs_text",
    "benchmark_counts",
    "benchmark_grid",
    "benchmark_text",
    "box1_counts",
    "box1_table",
    "box1_text",
    "busiest_weekday",
    "caseload_period",
    "controlled_count",
    "coverage_reasons",
    "coverage_summary",
    "coverage_table",
    "coverage_text",
    "fingertips_benchmark",
    "hour_weekday_table",
    "in_period",
    "latest_months",
    "one_way_table",
    "people_text",
    "period_text",
    "place_means_text",
    "police_benchmark",
    "published_counts",
    "published_value",
    "recorded_share",
    "repeat_table",
    "repeat_text",
    "suppression_summary",
    "time_text",
]
