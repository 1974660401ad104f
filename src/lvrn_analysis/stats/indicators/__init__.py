"""Indicator statistics with confidence intervals, the Fingertips way.

Every function takes a tidy `pandas.DataFrame` (one row per area, or one
row per area and age band for standardised statistics), optionally grouped with
``group_by``, and returns a **new** frame; the input is never modified. Output
columns follow one convention:

``value``
    The point estimate (times ``multiplier``).
``lower_ci``, ``upper_ci``, ``confidence``
    The interval at a single level, e.g. ``confidence=0.95``. When
    ``confidence`` is a sequence such as ``(0.95, 0.998)`` the columns are
    instead ``lower_ci_95``, ``upper_ci_95``, ``lower_ci_99_8``,
    ``upper_ci_99_8`` (no ``confidence`` column; the levels are in
    ``frame.attrs["confidence"]``).
``method``
    The interval method used for the row (``"Exact"``, ``"Byars"``,
    ``"Wilson"``, ``"Dobson"``, ...), missing when the row could not be computed.

``frame.attrs`` records ``statistic`` (e.g. ``"rate per 100000"``),
``multiplier`` and ``confidence``.

The methods are those of the Public Health England / OHID technical guidance
(Eayres D, *APHO Technical Briefing 3: Commonly used public health statistics
and their confidence intervals*, Association of Public Health Observatories,
2008) and are checked in the test-suite against the expected results published
with the PHEindicatormethods R package (v2.1.0); no code from that package is
used.

Missing values and zeros
------------------------
* A zero count gives a lower limit of exactly 0 (exact method).
* Crude rates, proportions: a missing numerator or denominator gives a missing
  result (``value``, limits and ``method`` all missing) for that row.
* DSR and ISR: a missing count in an age band means no events (as in
  PHEindicatormethods). See each function for populations.
* Negative counts, non-positive denominators, and numerators above the
  denominator (proportions) raise `ValueError` naming the row index (or
  the group) and the column.

Where each part lives
---------------------
* `lvrn_analysis.stats.indicators.intervals` — $z$, Byar's and exact Poisson
  limits of a count, the Wilson interval of a proportion;
* `lvrn_analysis.stats.indicators.rates` — `crude_rate()`, `proportion()`;
* `lvrn_analysis.stats.indicators.standardised` — `dsr()` (with `esp2013()`),
  `isratio()`, `isr()`;
* `lvrn_analysis.stats.indicators.means` — `mean_ci()`;
* `lvrn_analysis.stats.indicators.tidy` — the input checks and output columns
  they share.

The names are re-exported here, so ``from lvrn_analysis.stats import indicators``
then ``indicators.crude_rate(...)`` (or the old ``lvrn_analysis.indicators``) works.
"""

from __future__ import annotations

from lvrn_analysis.stats.indicators.intervals import (
    EXACT_BELOW,
    byars_lower,
    byars_upper,
    exact_poisson_interval,
    level_suffix,
    wilson_interval,
    z_value,
)
from lvrn_analysis.stats.indicators.means import mean_ci
from lvrn_analysis.stats.indicators.rates import crude_rate, proportion
from lvrn_analysis.stats.indicators.standardised import DSR_MIN_COUNT, dsr, esp2013, isr, isratio

__all__ = [
    "DSR_MIN_COUNT",
    "EXACT_BELOW",
    "byars_lower",
    "byars_upper",
    "crude_rate",
    "dsr",
    "esp2013",
    "exact_poisson_interval",
    "isr",
    "isratio",
    "level_suffix",
    "mean_ci",
    "proportion",
    "wilson_interval",
    "z_value",
]
