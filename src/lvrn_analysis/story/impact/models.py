"""The Impact page's ITS model specifications.

`PRIMARY_MODEL` is the recommended specification of the ITS engine
(`lvrn_analysis.its.RECOMMENDED`: quasi-Poisson, two Fourier pairs, model-based
standard errors, t intervals) with a level **and** slope change at go-live (the standard
segmented regression of Lopez Bernal, Cummins & Gasparrini 2017, *Int J Epidemiol*
46(1):348-355) and the share of each month spent in each national COVID-19 lockdown as
covariates. The post period here is three years long and spans the pandemic, so the
page does not force the pre-go-live trend onto it (a level-only model does). The
level-only framework default and a controlled ITS (Lopez Bernal, Cummins & Gasparrini
2018, *Int J Epidemiol* 47(6):2082-2093) are reported beside it (`DESIGNS`).
"""

from __future__ import annotations

from typing import Any

from lvrn_analysis.its import RECOMMENDED

__all__ = ["DESIGNS", "DESIGN_SHORT", "FRAMEWORK_DEFAULT_MODEL", "PRIMARY_MODEL"]

#: The page's primary model (see the module docstring).
PRIMARY_MODEL: dict[str, Any] = {**RECOMMENDED, "slope_change": True, "lockdowns": True}

#: The framework default of `lvrn_analysis.its.evaluate_framework()` (level change
#: only), with the same lockdown covariates.
FRAMEWORK_DEFAULT_MODEL: dict[str, Any] = {**RECOMMENDED, "slope_change": False,
                                           "lockdowns": True}

#: Designs compared against the ground truth: label -> (model, controlled).
DESIGNS: dict[str, tuple[dict[str, Any], bool]] = {
    "Level change only (framework default)": (FRAMEWORK_DEFAULT_MODEL, False),
    "Level and slope change (primary)": (PRIMARY_MODEL, False),
    "Controlled: each authority against the others (level change)":
        (FRAMEWORK_DEFAULT_MODEL, True),
}

#: Short names of the designs, for chart legends.
DESIGN_SHORT = {
    "Level change only (framework default)": "Level only",
    "Level and slope change (primary)": "Level + slope (primary)",
    "Controlled: each authority against the others (level change)": "Controlled",
}
