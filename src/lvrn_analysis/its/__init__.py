"""Interrupted time-series (ITS) engine: segmented regression of count series.

* `fit_its()` fits Poisson / quasi-Poisson / negative-binomial segmented regressions
  (or regression with ARIMA errors), with Fourier seasonality, covariates, transition
  windows, several interruptions and controls, and returns `ITSResults`.
* `placebo_test()` and `sensitivity()` check robustness.
* `simulate_series()`, `power_analysis()` and `minimum_detectable_effect()`
  plan a design by simulation.
* `evaluate_framework()` fits every indicator x area of an outcomes framework.

The recommended analysis is `RECOMMENDED` (quasi-Poisson, two Fourier pairs,
model-based standard errors, t intervals), chosen from coverage simulations.
"""

from __future__ import annotations

from lvrn_analysis.its.framework import evaluate_framework
from lvrn_analysis.its.model import RECOMMENDED, fit_its, newey_west_lags
from lvrn_analysis.its.power import PowerResults, minimum_detectable_effect, power_analysis
from lvrn_analysis.its.results import ITSResults
from lvrn_analysis.its.robustness import PlaceboResults, placebo_test, sensitivity
from lvrn_analysis.its.simulate import simulate_series

__all__ = [
    "ITSResults",
    "PlaceboResults",
    "PowerResults",
    "RECOMMENDED",
    "evaluate_framework",
    "fit_its",
    "minimum_detectable_effect",
    "newey_west_lags",
    "placebo_test",
    "power_analysis",
    "sensitivity",
    "simulate_series",
]
