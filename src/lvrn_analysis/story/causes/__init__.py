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
* `lvrn_analysis.story.causes.real_spine` — spine charts of the **real** indicators
  (`indicators_real`) against England's real value and the real distribution of all English
  authorities of the same tier;
* `lvrn_analysis.story.causes.named_causes` — the causes of the causes the LVRN report
  names, the real measure (or proxy) of each, and synthetic rows only where none exists;
* `lvrn_analysis.story.causes.attainment` — key stage 4 attainment and disadvantage by
  district from the real DfE school tables (LEAs 888 and 855), pupil-weighted, and the
  tidy KS4 factor frame for the ecological model;
* `lvrn_analysis.story.causes.models` — negative binomial (NB2) regression of violence
  counts on a standardised risk factor with a log person-years offset (`fit_nb()`),
  one model per factor, leave-one-out refits and a simulation check of the intervals;
* `lvrn_analysis.story.causes.model_data` — the models' data: real police counts joined
  to the real IMD 2019 domains, the synthetic Fingertips illustration and its ground
  truth, and the geography at which each input exists;
* `lvrn_analysis.story.causes.model_figures` — scatter of rate against a risk factor
  with the fitted curve, and forest plots of rate ratios;
* `lvrn_analysis.story.causes.narrative` — the page's sentences that carry computed
  numbers;
* `lvrn_analysis.story.causes.ecological_data` — the model across forces' data: violence
  per authority of the area and its comparators over a common window, and real risk
  factors as one tidy frame (IMD 2019 domains but crime, Fingertips indicators, key
  stage 4 where real);
* `lvrn_analysis.story.causes.ecological` — that model: negative binomial or
  quasi-Poisson, one factor at a time with a force term, leave-one-out influence, and a
  results object (`EcologicalResults`) with ``summary()``, ``table()`` and ``plot()``;
* `lvrn_analysis.story.causes.ecological_figures` — each factor against the rate, and
  rate ratios with their leave-one-out ranges;
* `lvrn_analysis.story.causes.ecological_narrative` — its sentences with numbers.

The unit of analysis is the local authority, so these are ecological associations
between places, not statements about people. The page's fixed prose is written in the
notebook's Markdown cells.
"""

from lvrn_analysis.story.causes.attainment import (
    KS4_AREAS,
    KS4_FACTORS,
    KS4_MAPPING,
    KS4_WEIGHTS,
    ks4_accounting,
    ks4_coverage_sentence,
    ks4_display,
    ks4_district_table,
    ks4_england,
    ks4_factors,
    ks4_figure,
    ks4_placement_table,
    ks4_sentence,
    ks4_suppression_table,
    real_ks4,
)
from lvrn_analysis.story.causes.comparison import (
    ENGLAND_CODE,
    SHORT_LABELS,
    compare_with_england,
    fill_intervals,
    indicator_values,
    interval_check,
    interval_sentence,
)
from lvrn_analysis.story.causes.ecological import (
    FAMILIES,
    EcoFit,
    EcologicalResults,
    ecological_models,
    fit_factor,
    leave_one_out_terms,
)
from lvrn_analysis.story.causes.ecological_data import (
    CIRCULAR_FACTORS,
    FACTOR_LABELS,
    FACTOR_SHORT,
    IMD_FACTORS,
    INDICATOR_FACTORS,
    KS4_FACTOR,
    check_factors,
    common_window,
    ecological_violence,
    factor_table,
    imd_factor_frame,
    indicator_factor_frame,
    ks4_factor_frame,
    latest_periods,
    real_factors,
    violence_by_authority,
)
from lvrn_analysis.story.causes.ecological_figures import (
    factor_grid,
    influence_forest,
    labelled_outliers,
)
from lvrn_analysis.story.causes.ecological_narrative import (
    association_sentence,
    factor_coverage_sentence,
    family_sentence,
    influence_sentence,
    window_sentence,
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
from lvrn_analysis.story.causes.named_causes import (
    cause_measures,
    cause_measures_display,
    causes_sentence,
    named_causes,
    synthetic_fill,
)
from lvrn_analysis.story.causes.narrative import (
    caveats_markdown,
    domains_sentence,
    headline_sentence,
    narrative_markdown,
    synthetic_sentences,
    truth_sentence,
)
from lvrn_analysis.story.causes.real_spine import (
    authority_values_table,
    distribution_table,
    england_distribution,
    profile_summary,
    real_spine_chart,
    real_spine_data,
    real_spine_sentence,
    spine_source,
)
from lvrn_analysis.story.causes.spine import (
    comparison_grid_figure,
    comparison_table,
    spine_chart,
    spine_data,
    spine_sentence,
)

__all__ = [
    "CIRCULAR_FACTORS",
    "DOMAINS",
    "ENGLAND_CODE",
    "FACTOR_LABELS",
    "FACTOR_SHORT",
    "FAMILIES",
    "FINGERTIPS_FACTORS",
    "FINGERTIPS_FACTOR_LABELS",
    "IMD_FACTORS",
    "IMD_SCORE",
    "INDICATOR_FACTORS",
    "KS4_AREAS",
    "KS4_FACTOR",
    "KS4_FACTORS",
    "KS4_MAPPING",
    "KS4_WEIGHTS",
    "NEET",
    "SHORT_LABELS",
    "VIOLENCE_OFFENCES",
    "EcoFit",
    "EcologicalResults",
    "NBFit",
    "association_sentence",
    "authority_values_table",
    "cause_measures",
    "cause_measures_display",
    "causes_sentence",
    "caveats_markdown",
    "check_factors",
    "common_window",
    "compare_with_england",
    "comparison_grid_figure",
    "comparison_table",
    "count_lsoas",
    "coverage_sentence",
    "distribution_table",
    "domains_sentence",
    "ecological_models",
    "ecological_violence",
    "england_distribution",
    "factor_coverage_sentence",
    "factor_grid",
    "factor_table",
    "family_sentence",
    "fill_intervals",
    "fingertips_model_data",
    "fingertips_truth",
    "fit_factor",
    "fit_nb",
    "forest_figure",
    "geography_table",
    "headline_sentence",
    "imd_factor_frame",
    "indicator_factor_frame",
    "indicator_values",
    "influence_forest",
    "influence_sentence",
    "interval_check",
    "interval_coverage",
    "interval_sentence",
    "ks4_accounting",
    "ks4_coverage_sentence",
    "ks4_display",
    "ks4_district_table",
    "ks4_england",
    "ks4_factor_frame",
    "ks4_factors",
    "ks4_figure",
    "ks4_placement_table",
    "ks4_sentence",
    "ks4_suppression_table",
    "labelled_outliers",
    "latest_periods",
    "leave_one_out",
    "leave_one_out_terms",
    "model_data_display",
    "model_table",
    "named_causes",
    "profile_summary",
    "narrative_markdown",
    "real_factors",
    "real_ks4",
    "real_model_data",
    "real_spine_chart",
    "real_spine_data",
    "real_spine_sentence",
    "recovery_display",
    "recovery_table",
    "residual_display",
    "residual_table",
    "scatter_figure",
    "spine_chart",
    "spine_data",
    "spine_sentence",
    "spine_source",
    "standardise",
    "synthetic_fill",
    "synthetic_sentences",
    "truth_sentence",
    "univariable_table",
    "violence_by_authority",
    "window_sentence",
]
