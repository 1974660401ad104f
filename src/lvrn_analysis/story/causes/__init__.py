"""Causes of the causes: the risk and protective factor profile and ecological models.

Step 2 of the WHO public-health approach asks which risk and protective factors go with
violence. The "Causes" story page (`notebooks/02-causes.ipynb`) answers in two ways, and
this package holds what it computes, split by job. The page calls the names re-exported
here (`from lvrn_analysis.story import causes`, then `causes.fit_nb(...)`); each is
defined in one of these modules:

* `lvrn_analysis.story.causes.comparison` — each authority's latest value of each
  curated Fingertips indicator, its 95 % interval (recomputed where missing) and the
  Fingertips comparison with England;
* `lvrn_analysis.story.causes.spine` — the profile drawn as Fingertips-style spine
  charts, centred on England with worse values on the left, and an all-authorities grid;
* `lvrn_analysis.story.causes.models` — negative binomial (NB2) regression of violence
  counts on a standardised risk factor with a log person-years offset (`fit_nb()`),
  one model per factor, leave-one-out refits and a simulation check of the intervals;
* `lvrn_analysis.story.causes.model_data` — the models' data: real police counts joined
  to the real IMD 2019 domains, the synthetic Fingertips illustration and its ground
  truth, and the geography at which each input exists;
* `lvrn_analysis.story.causes.model_figures` — scatter of rate against a risk factor
  with the fitted curve, and forest plots of rate ratios;
* `lvrn_analysis.story.causes.narrative` — the page's sentences that carry computed
  numbers.

The unit of analysis is the local authority, so these are ecological associations
between places, not statements about people. The page's fixed prose is written in the
notebook's Markdown cells.
"""

from lvrn_analysis.story.causes.comparison import (
    ENGLAND_CODE,
    SHORT_LABELS,
    compare_with_england,
    fill_intervals,
    indicator_values,
    interval_check,
    interval_sentence,
)
from lvrn_analysis.story.causes.model_data import (
    DOMAINS,
    FINGERTIPS_FACTOR_LABELS,
    FINGERTIPS_FACTORS,
    IMD_SCORE,
    NEET,
    VIOLENCE_OFFENCES,
    count_lsoas,
    fingertips_model_data,
    fingertips_truth,
    geography_table,
    model_data_display,
    real_model_data,
    recovery_display,
    recovery_table,
    residual_display,
)
from lvrn_analysis.story.causes.model_figures import forest_figure, scatter_figure
from lvrn_analysis.story.causes.models import (
    NBFit,
    coverage_sentence,
    fit_nb,
    interval_coverage,
    leave_one_out,
    model_table,
    residual_table,
    standardise,
    univariable_table,
)
from lvrn_analysis.story.causes.narrative import (
    caveats_markdown,
    domains_sentence,
    headline_sentence,
    narrative_markdown,
    synthetic_sentences,
    truth_sentence,
)
from lvrn_analysis.story.causes.spine import (
    comparison_grid_figure,
    comparison_table,
    spine_chart,
    spine_data,
    spine_sentence,
)

__all__ = [
    "DOMAINS",
    "ENGLAND_CODE",
    "FINGERTIPS_FACTORS",
    "FINGERTIPS_FACTOR_LABELS",
    "IMD_SCORE",
    "NBFit",
    "NEET",
    "SHORT_LABELS",
    "VIOLENCE_OFFENCES",
    "caveats_markdown",
    "compare_with_england",
    "comparison_grid_figure",
    "comparison_table",
    "count_lsoas",
    "coverage_sentence",
    "domains_sentence",
    "fill_intervals",
    "fingertips_model_data",
    "fingertips_truth",
    "fit_nb",
    "forest_figure",
    "geography_table",
    "headline_sentence",
    "indicator_values",
    "interval_check",
    "interval_coverage",
    "interval_sentence",
    "leave_one_out",
    "model_data_display",
    "model_table",
    "narrative_markdown",
    "real_model_data",
    "recovery_display",
    "recovery_table",
    "residual_display",
    "residual_table",
    "scatter_figure",
    "spine_chart",
    "spine_data",
    "spine_sentence",
    "standardise",
    "synthetic_sentences",
    "truth_sentence",
    "univariable_table",
]
