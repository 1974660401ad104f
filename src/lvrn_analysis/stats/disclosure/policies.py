"""Who is controlled and by which rule: the source registry and the suppression rule.

`SOURCE_POLICIES` registers each data source as *controlled* (person-level
data: counts of 1 to `SMALL_COUNT_MAX` suppressed, others rounded to the nearest
`ROUNDING_BASE`) or *exempt* (already-public aggregates, with the reason);
`policy_for()` looks a source up and fails closed (an unregistered source is
controlled). `Rule` is the suppression and rounding rule applied to a
controlled table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "ROUNDING_BASE",
    "SMALL_COUNT_MAX",
    "SOURCE_POLICIES",
    "PolicyName",
    "Rule",
    "SourcePolicy",
    "policy_for",
]

#: The project floor: counts from 1 to this are never shown for person-level data.
SMALL_COUNT_MAX = 7
#: Default rounding base for counts from controlled sources.
ROUNDING_BASE = 5

PolicyName = Literal["controlled", "exempt"]


@dataclass(frozen=True)
class SourcePolicy:
    """The disclosure policy of one data source.

    Attributes
    ----------
    source
        Source key, as passed to `publish()`.
    policy
        ``"controlled"`` or ``"exempt"``.
    reason
        Why, in one sentence (shown in the table footnote).
    person_level
        Whether the source holds person-level (record-level) data.
    """

    source: str
    policy: PolicyName
    reason: str
    person_level: bool


def _registry(*policies: SourcePolicy) -> Mapping[str, SourcePolicy]:
    return MappingProxyType({p.source: p for p in policies})


#: Registry of data source -> disclosure policy. Exemptions are only valid here.
SOURCE_POLICIES: Mapping[str, SourcePolicy] = _registry(
    SourcePolicy(
        "ed_attendances", "controlled",
        "person-level emergency department attendance records (assault attendances, "
        "ISTV/TIIG-style data sharing); health data about identifiable people",
        True,
    ),
    SourcePolicy(
        "navigator_contacts", "controlled",
        "person-level ED Navigator caseload records (10-39-year-olds after violence, self-harm "
        "or overdose); health data about identifiable people",
        True,
    ),
    SourcePolicy(
        "hospital_admissions", "controlled",
        "person-level hospital admission records (HES/SUS); health data about "
        "identifiable people",
        True,
    ),
    SourcePolicy(
        "ambulance_callouts", "controlled",
        "person-level ambulance service incident records; health data about identifiable "
        "people",
        True,
    ),
    SourcePolicy(
        "data.police.uk", "exempt",
        "already-public street-level crime counts published by data.police.uk under the "
        "Open Government Licence v3.0 (anonymised by the publisher)",
        False,
    ),
    SourcePolicy(
        "programme_figures", "exempt",
        "already-published aggregate programme figures (e.g. VRU annual reports and "
        "Home Office published statistics)",
        False,
    ),
    SourcePolicy(
        "fingertips", "exempt",
        "already-published OHID Fingertips indicator values (disclosure control applied "
        "by the publisher)",
        False,
    ),
    SourcePolicy(
        "ons_population", "exempt",
        "published ONS mid-year population estimates (aggregate official statistics, OGL "
        "v3.0)",
        False,
    ),
    SourcePolicy(
        "imd2019", "exempt",
        "published English Indices of Deprivation 2019 area summaries (MHCLG, OGL v3.0)",
        False,
    ),
    SourcePolicy(
        "dfe_school_performance", "exempt",
        "published DfE school performance tables (publisher's own suppression applied, "
        "OGL v3.0)",
        False,
    ),
)


def policy_for(source: str) -> SourcePolicy:
    """Return the policy of a data source.

    Unregistered sources are **controlled** (fail closed): an exemption must be
    registered in `SOURCE_POLICIES` with a reason.

    Parameters
    ----------
    source
        Source key, e.g. ``"ed_attendances"`` or ``"data.police.uk"``.

    Returns
    -------
    SourcePolicy
        The registered policy, or a controlled default.
    """
    if not isinstance(source, str) or not source.strip():
        raise ValueError("every published table needs a non-empty source")
    if source in SOURCE_POLICIES:
        return SOURCE_POLICIES[source]
    return SourcePolicy(
        source, "controlled",
        f"source {source!r} is not registered as exempt, so it is controlled by default",
        True,
    )


@dataclass(frozen=True)
class Rule:
    """A small-count suppression and rounding rule.

    Attributes
    ----------
    threshold
        Counts from 1 to ``threshold`` are suppressed (default 7).
    rounding
        Other counts are rounded to the nearest multiple of this (default 5;
        1 means no rounding).
    show_zero
        Show zero counts as 0 (default) or suppress them too.
    """

    threshold: int = SMALL_COUNT_MAX
    rounding: int = ROUNDING_BASE
    show_zero: bool = True

    def describe(self) -> str:
        """Return the rule in words, for footnotes."""
        text = f"counts of 1 to {self.threshold} are suppressed"
        if not self.show_zero:
            text = f"counts of 0 to {self.threshold} are suppressed"
        if self.rounding > 1:
            text += f" and other counts are rounded to the nearest {self.rounding}"
        return text
