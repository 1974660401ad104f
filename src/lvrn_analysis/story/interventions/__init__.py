"""Interventions page: programme monitoring figures, intervals, logic models and links.

This sub-package serves the "Interventions" page (WHO public-health approach, step
3: develop and evaluate interventions), ``notebooks/03-interventions.ipynb``. It
works on the processed table ``programme_monitoring``
(`lvrn_analysis.sources.programmes`): figures quoted from the LVRN evaluation report
(Liverpool John Moores University, June 2021), one row per programme × period ×
measure × breakdown, each with a section citation. The page's fixed prose (what
each programme is, captions, how to read the figures) is written in the notebook;
the modules here compute what comes from the data:

* `lvrn_analysis.story.interventions.programmes` — `PROGRAMMES`, each workstream as
  data: its monitoring rows, its logic model (inputs → activities → outputs →
  outcomes, outputs filled from the figures) and its outcomes-framework links;
* `lvrn_analysis.story.interventions.monitoring` — `value_of()`, `fill()`,
  `proportions()` (every "x of n" figure with its Wilson 95 % interval, Wilson 1927;
  Newcombe 1998), `programme_figures()` and the page's overview sentences;
* `lvrn_analysis.story.interventions.logic_models` — `logic_model_figure()`: the logic
  model drawn as an image at build time (four columns of boxes joined by arrows; no
  network needed); `logic_model_mermaid()` / `logic_model_markdown()` keep a Mermaid
  source of the same model for editing;
* `lvrn_analysis.story.interventions.reach` — `reach_table()` / `reach_figure()`:
  people, staff and schools each programme reached, by unit;
* `lvrn_analysis.story.interventions.consistency` — `consistency_checks()`: the sums
  behind the discrepancies found in the report, computed from the data;
* `lvrn_analysis.story.interventions.outcomes_framework` — `framework_links()`:
  programme → outcomes-framework indicator;
* `lvrn_analysis.story.interventions.ed_repeat` — `ed_repeat_followup()`: the share of
  young ED attenders who re-attend within a year in the (synthetic) ED data, for an
  honest comparison with the ED Navigators' "4 of 122".

The names below are re-exported here so that the notebook can call
``interventions.reach_table(...)`` and so on.
"""

from __future__ import annotations

from lvrn_analysis.story.interventions.consistency import (
    DIVERT_ITEMS,
    REPORTED_BREAKDOWNS,
    breakdown_sums,
    consistency_checks,
    consistency_sentence,
)
from lvrn_analysis.story.interventions.ed_repeat import (
    ed_repeat_display,
    ed_repeat_followup,
    ed_repeat_sentence,
    proportion_sentence,
)
from lvrn_analysis.story.interventions.logic_models import (
    logic_model_description,
    logic_model_figure,
    logic_model_markdown,
    logic_model_mermaid,
    mermaid_markdown,
)
from lvrn_analysis.story.interventions.monitoring import (
    MEASURE_LABELS,
    PROPORTION_KIND,
    fill,
    fmt_interval,
    monitoring_overview,
    programme_figures,
    proportions,
    proportions_display,
    round_half_up,
    value_of,
    youth_commission_sentence,
)
from lvrn_analysis.story.interventions.outcomes_framework import (
    framework_gap_sentence,
    framework_links,
)
from lvrn_analysis.story.interventions.programmes import (
    NOT_PROGRAMMES,
    PROGRAMME_SOURCE,
    PROGRAMMES,
    REPORT,
    REPORT_SOURCE,
    LogicModel,
    Programme,
    programme_scope,
)
from lvrn_analysis.story.interventions.reach import (
    REACH,
    REACH_PANELS,
    reach_display,
    reach_figure,
    reach_table,
)

__all__ = [
    "DIVERT_ITEMS",
    "MEASURE_LABELS",
    "NOT_PROGRAMMES",
    "PROGRAMMES",
    "PROGRAMME_SOURCE",
    "PROPORTION_KIND",
    "REACH",
    "REACH_PANELS",
    "REPORT",
    "REPORTED_BREAKDOWNS",
    "REPORT_SOURCE",
    "LogicModel",
    "Programme",
    "breakdown_sums",
    "consistency_checks",
    "consistency_sentence",
    "ed_repeat_display",
    "ed_repeat_followup",
    "ed_repeat_sentence",
    "fill",
    "fmt_interval",
    "framework_gap_sentence",
    "framework_links",
    "logic_model_description",
    "logic_model_figure",
    "logic_model_markdown",
    "logic_model_mermaid",
    "mermaid_markdown",
    "monitoring_overview",
    "programme_figures",
    "programme_scope",
    "proportion_sentence",
    "proportions",
    "proportions_display",
    "reach_display",
    "reach_figure",
    "reach_table",
    "round_half_up",
    "value_of",
    "youth_commission_sentence",
]
