"""The Impact page's ITS designs, read from the registered analysis plan.

The primary design and the sensitivity designs are not chosen here: they are registered
in the outcomes-framework file (``analysis_plan`` in
``reference/outcomes_framework_lancashire.yml``, read by
`lvrn_analysis.config.outcomes.OutcomesFramework.plan()`), before any fit. This module
turns a plan into the keyword arguments of the ITS engine:

* `primary_model()`: the primary design's model, the recommended specification of the
  engine (`lvrn_analysis.its.RECOMMENDED`: quasi-Poisson, two Fourier pairs,
  model-based standard errors, t intervals) with whatever the plan sets: for the shipped
  plan a level **and** slope change at go-live (the segmented regression of Lopez Bernal,
  Cummins & Gasparrini 2017, *Int J Epidemiol* 46(1):348-355) and the share of each
  month spent in a national COVID-19 lockdown as covariates;
* `designs()`: ``label -> (model, controlled)`` for the primary design and each
  sensitivity design (the shipped plan adds a level-only model and a controlled ITS,
  Lopez Bernal, Cummins & Gasparrini 2018, *Int J Epidemiol* 47(6):2082-2093);
* `design_short()`: legend labels;
* `simultaneous_level()`: the level of each of several intervals shown together (the
  page's averted counts) so that they hold jointly at 95 %.

The names `PRIMARY_MODEL`, `FRAMEWORK_DEFAULT_MODEL` (the first uncontrolled
sensitivity design without a slope change), `DESIGNS` and `DESIGN_SHORT` are the same
for the shipped framework, computed from its plan when first used.
"""

from __future__ import annotations

from typing import Any

from lvrn_analysis.config.outcomes import OutcomesFramework, load_framework
from lvrn_analysis.its import RECOMMENDED

# PRIMARY_MODEL, FRAMEWORK_DEFAULT_MODEL, DESIGNS and DESIGN_SHORT are module attributes
# computed on first use (`__getattr__`), so they are not listed here.
__all__ = [
    "AVERTED_DRAWS",
    "design_short", "designs", "level_only_model", "primary_model", "simultaneous_level",
]


def _fw(framework: OutcomesFramework | None) -> OutcomesFramework:
    return framework if framework is not None else load_framework()


def primary_model(framework: OutcomesFramework | None = None) -> dict[str, Any]:
    """Return the registered primary model as keyword arguments of `fit_its()`.

    Parameters
    ----------
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    dict
        `RECOMMENDED` updated with the plan's primary model.

    Raises
    ------
    lvrn_analysis.config.outcomes.FrameworkError
        If the framework registers no analysis plan.
    """
    return {**RECOMMENDED, **_fw(framework).plan().primary.model}


def level_only_model(framework: OutcomesFramework | None = None) -> dict[str, Any]:
    """Return the plan's first uncontrolled design without a slope change.

    Parameters
    ----------
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    dict
        Keyword arguments of `fit_its()`; the primary model with ``slope_change=False``
        when the plan has no such design.
    """
    plan = _fw(framework).plan()
    for d in plan.designs:
        if not d.controlled and not d.model.get("slope_change"):
            return {**RECOMMENDED, **d.model}
    return {**RECOMMENDED, **plan.primary.model, "slope_change": False}


def designs(framework: OutcomesFramework | None = None
            ) -> dict[str, tuple[dict[str, Any], bool]]:
    """Return the registered designs, primary first: ``label -> (model, controlled)``.

    Parameters
    ----------
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    dict
        One entry per design of the plan, in the order primary, then sensitivity designs
        in file order.
    """
    return {d.label: ({**RECOMMENDED, **d.model}, d.controlled)
            for d in _fw(framework).plan().designs}


def design_short(framework: OutcomesFramework | None = None) -> dict[str, str]:
    """Return ``label -> short label`` of the registered designs, for chart legends.

    Parameters
    ----------
    framework
        Outcomes framework; default the shipped proposal.

    Returns
    -------
    dict
        Short labels.
    """
    return {d.label: d.short for d in _fw(framework).plan().designs}


#: Coefficient draws for the averted intervals (`lvrn_analysis.its.ITSResults.averted()`):
#: enough for the tails of a simultaneous interval (at 99.2 % for six intervals, each
#: tail holds about 20 of 5,000 draws).
AVERTED_DRAWS = 5_000


def simultaneous_level(n_intervals: int, level: float = 0.95) -> float:
    """Level of each of ``n_intervals`` intervals that hold jointly at ``level``.

    Bonferroni: ``1 - (1 - level) / n`` (Dunn 1961, *JASA* 56(293):52-64). All
    ``n`` intervals then contain their true values together with probability at least
    ``level``, whatever the dependence between them.

    Parameters
    ----------
    n_intervals
        Number of intervals shown together (at least 1).
    level
        Family-wise level.

    Returns
    -------
    float
        The level of each interval.
    """
    if n_intervals < 1:
        raise ValueError(f"n_intervals must be at least 1, got {n_intervals}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    return 1 - (1 - level) / n_intervals


_LAZY = {"PRIMARY_MODEL": primary_model, "FRAMEWORK_DEFAULT_MODEL": level_only_model,
         "DESIGNS": designs, "DESIGN_SHORT": design_short}


def __getattr__(name: str) -> Any:
    """Compute the shipped plan's designs on first use (PEP 562)."""
    if name in _LAZY:
        value = _LAZY[name]()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
