"""Impact page logic: interrupted time series (ITS) against the outcomes framework.

Everything the "Impact" story page (`notebooks/04-impact.ipynb`) computes, split by job.
The page calls the names re-exported here (`from lvrn_analysis.story import impact`, then
`impact.evaluate(...)`); each is defined in one of these modules:

* `lvrn_analysis.story.impact.models` — the page's ITS designs, read from the analysis
  plan registered in the outcomes-framework file (`primary_model()`, `designs()`;
  `PRIMARY_MODEL`, `FRAMEWORK_DEFAULT_MODEL` and `DESIGNS` for the shipped plan);
* `lvrn_analysis.story.impact.series` — `build_framework_series()` turns a processed
  police table into the tidy series frame the ITS engine expects, one series per
  framework indicator x area (plus an area total), with monthly populations interpolated
  between ONS mid-year estimates (`monthly_population()`);
* `lvrn_analysis.story.impact.truth` — the synthetic build's ground truth
  (`load_ground_truth()`, `injected_effects()`) and the check of each verdict against
  it (`attach_truth()`, `ground_truth_sentence()`);
* `lvrn_analysis.story.impact.framework` — `evaluate()`, `evaluate_controlled()` and
  `compare_designs()` run `lvrn_analysis.its.evaluate_framework()`; tables, sentence
  and figure of the verdicts and designs;
* `lvrn_analysis.story.impact.real_extract` — `real_series_refusal()` tries the real
  (gapped) extract and reports, with its numbers, why the engine refuses it;
* `lvrn_analysis.story.impact.counterfactual` — `key_series()`, `fit_key()`,
  `step_only()`, `counterfactual_figure()` and `averted_table()`: counterfactuals and
  offences averted;
* `lvrn_analysis.story.impact.robustness` — `placebo()`, `framework_placebos()`,
  `sensitivity_table()` and their figures and sentences;
* `lvrn_analysis.story.impact.power` — `power_study()`, `power_table()` and
  `power_figure()` answer "how long until an effect of this size is detectable?";
* `lvrn_analysis.story.impact.formatting` — number formats shared by the tables and
  sentences.

The functions return tables, figures and sentences that carry computed numbers; the
page's fixed prose is written in the notebook's Markdown cells.
"""

from lvrn_analysis.story.impact.counterfactual import (
    KeySeries,
    averted_sentence,
    averted_table,
    counterfactual_figure,
    family_level,
    fit_key,
    key_series,
    step_only,
)
from lvrn_analysis.story.impact.framework import (
    autocorrelation_sentence,
    compare_designs,
    design_figure,
    design_sentence,
    design_table,
    evaluate,
    evaluate_controlled,
    framework_table,
    indicator_overview,
    verdict_rule,
)
from lvrn_analysis.story.impact.models import (
    DESIGN_SHORT,
    DESIGNS,
    FRAMEWORK_DEFAULT_MODEL,
    PRIMARY_MODEL,
    simultaneous_level,
)
from lvrn_analysis.story.impact.power import (
    power_caveat,
    power_figure,
    power_inputs,
    power_sentence,
    power_study,
    power_table,
)
from lvrn_analysis.story.impact.real_extract import real_series_refusal
from lvrn_analysis.story.impact.robustness import (
    framework_placebos,
    placebo,
    placebo_figure,
    placebo_sentence,
    sensitivity_display,
    sensitivity_figure,
    sensitivity_sentence,
    sensitivity_table,
)
from lvrn_analysis.story.impact.series import (
    POLICE_SOURCE,
    SYNTHETIC_SOURCES,
    SYNTHETIC_TABLE_SOURCE,
    TOTAL_CODE,
    build_framework_series,
    monthly_population,
    total_name,
)
from lvrn_analysis.story.impact.truth import (
    CoverageStudy,
    attach_truth,
    ground_truth_sentence,
    implied_total_rr,
    injected_effects,
    load_ground_truth,
    true_averted,
    truth_coverage,
    truth_description,
)

__all__ = [
    "CoverageStudy",
    "DESIGNS",
    "DESIGN_SHORT",
    "FRAMEWORK_DEFAULT_MODEL",
    "KeySeries",
    "POLICE_SOURCE",
    "PRIMARY_MODEL",
    "SYNTHETIC_SOURCES",
    "SYNTHETIC_TABLE_SOURCE",
    "TOTAL_CODE",
    "attach_truth",
    "autocorrelation_sentence",
    "averted_sentence",
    "averted_table",
    "build_framework_series",
    "compare_designs",
    "counterfactual_figure",
    "family_level",
    "design_figure",
    "design_sentence",
    "design_table",
    "evaluate",
    "evaluate_controlled",
    "fit_key",
    "framework_placebos",
    "framework_table",
    "ground_truth_sentence",
    "implied_total_rr",
    "indicator_overview",
    "injected_effects",
    "key_series",
    "load_ground_truth",
    "monthly_population",
    "placebo",
    "placebo_figure",
    "placebo_sentence",
    "power_caveat",
    "power_figure",
    "power_inputs",
    "power_sentence",
    "power_study",
    "power_table",
    "real_series_refusal",
    "sensitivity_display",
    "sensitivity_figure",
    "sensitivity_sentence",
    "sensitivity_table",
    "simultaneous_level",
    "step_only",
    "total_name",
    "true_averted",
    "truth_coverage",
    "truth_description",
    "verdict_rule",
]
