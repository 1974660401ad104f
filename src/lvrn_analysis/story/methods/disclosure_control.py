"""Disclosure control on the page: the policy of every source and a worked example.

`policy_table()` is generated from
`lvrn_analysis.stats.disclosure.policies.SOURCE_POLICIES` and
`lvrn_analysis.stats.disclosure.policies.Rule`; `disclosure_example()` builds a
small table of ED attendances that needs both primary and secondary suppression,
and `disclosure_example_sentence()` explains it from the published values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.stats.disclosure.policies import (
    ROUNDING_BASE,
    SMALL_COUNT_MAX,
    SOURCE_POLICIES,
    Rule,
    policy_for,
)
from lvrn_analysis.stats.disclosure.published import CONFIDENTIAL, NOT_AVAILABLE
from lvrn_analysis.stats.disclosure.publishing import publish
from lvrn_analysis.story.methods.dictionary import yes_no


def policy_table() -> pd.DataFrame:
    """Return the disclosure policy of every registered source, and of any other source.

    Returns
    -------
    pandas.DataFrame
        ``source key``, ``policy``, ``person-level``, ``rule``, ``reason``; the last
        row is the fail-closed default for unregistered sources.
    """
    rule = Rule()
    rows = []
    for key, p in SOURCE_POLICIES.items():
        rows.append({
            "source key": key, "policy": p.policy, "person-level": yes_no(p.person_level),
            "rule": (rule.describe() + "; secondary suppression; derived values of "
                     "suppressed counts suppressed") if p.policy == "controlled" else
            "published unchanged, marked exempt with the reason",
            "reason": p.reason})
    default = policy_for("any source not listed above")
    rows.append({"source key": "(any other)", "policy": default.policy,
                 "person-level": yes_no(default.person_level),
                 "rule": rule.describe() + "; secondary suppression; derived values of "
                 "suppressed counts suppressed",
                 "reason": "fail closed: an exemption must be registered with a reason"})
    out = pd.DataFrame(rows)
    order = {"controlled": 0, "exempt": 1}
    last = out.iloc[[-1]]
    body = out.iloc[:-1].sort_values(["policy", "source key"], key=lambda s: s.map(
        order) if s.name == "policy" else s, kind="stable")
    return pd.concat([body, last], ignore_index=True)


def policy_sentence() -> str:
    """State the rule's constants as the code holds them."""
    rule = Rule()
    return (f"Counts of 1 to **{SMALL_COUNT_MAX}** are suppressed and other counts are rounded "
            f"to the nearest **{ROUNDING_BASE}** (`Rule()`: {rule.describe()}; zero is "
            f"{'shown' if rule.show_zero else 'suppressed'}). Suppressed cells are shown as "
            f"`{CONFIDENTIAL}` and unavailable ones as `{NOT_AVAILABLE}`.")


@dataclass(frozen=True)
class DisclosureExample:
    """A crafted table for the worked example of disclosure control.

    Attributes
    ----------
    frame
        ``authority of residence``, ``attendances``; the last row is ``Total``.
    site_name
        The emergency department.
    month
        First day of the month.
    """

    frame: pd.DataFrame
    site_name: str
    month: pd.Timestamp

    def publish_kwargs(self) -> dict:
        """Arguments for `lvrn_analysis.story.notebook.table()` / ``publish``."""
        return {"source": "ed_attendances", "count_cols": ["attendances"],
                "total_row": ("authority of residence", "Total")}


def _example_frame(sub: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    inside = sub["resident_in_area"].fillna(False).astype(bool)
    la = sub["residence_la"].where(inside & sub["residence_la"].notna())
    label = la.map(names).where(la.notna(), "Outside the area or not known")
    counts = label.value_counts()
    named = sorted(k for k in counts.index if k in set(names.values()))
    other = [k for k in counts.index if k not in named]
    rows = [(k, int(counts[k])) for k in [*named, *other]]
    rows.append(("Total", int(len(sub))))
    return pd.DataFrame(rows, columns=["authority of residence", "attendances"])


def disclosure_example(ed: pd.DataFrame, area: AreaConfig, *, site: str | None = None,
                       month: str | None = None) -> DisclosureExample:
    """Build a small ED table (attendances by authority of residence) with a total.

    Without ``site`` the busiest site is used; without ``month`` the latest month
    whose table needs secondary suppression (exactly the case the example is
    meant to show), or the latest month if none does.

    Parameters
    ----------
    ed
        The processed ``ed_attendances`` table.
    area
        Area configuration (authority names).
    site, month
        ED site code and ``YYYY-MM`` month to use instead.

    Returns
    -------
    DisclosureExample
        The unpublished frame (never display it: publish it), the site name and
        the month.
    """
    from lvrn_analysis.config.geography import local_authorities

    names = dict(zip(local_authorities(area)["la_code"], local_authorities(area)["la_name"],
                     strict=True))
    site = site or str(ed["ed_site"].value_counts().sort_index().idxmax())
    at = ed[ed["ed_site"] == site]
    if at.empty:
        raise ValueError(f"no attendances at site {site!r}")
    site_name = str(at["ed_site_name"].iloc[0])
    months = sorted(at["arrival_month"].dropna().unique())
    if month is not None:
        chosen = pd.Timestamp(month + "-01")
    else:
        chosen = pd.Timestamp(months[-1])
        for mth in reversed(months):
            frame = _example_frame(at[at["arrival_month"] == mth], names)
            ex = DisclosureExample(frame, site_name, pd.Timestamp(mth))
            pub = publish(frame, **ex.publish_kwargs())
            if bool(pub.secondary.to_numpy().any()):
                chosen = pd.Timestamp(mth)
                break
    frame = _example_frame(at[at["arrival_month"] == chosen], names)
    return DisclosureExample(frame, site_name, chosen)


def disclosure_example_sentence(ex: DisclosureExample) -> str:
    """Explain the published example from the published values only.

    The sentence never says which suppressed cell is the small one.

    Parameters
    ----------
    ex
        Output of `disclosure_example()`.

    Returns
    -------
    str
        Markdown paragraph.
    """
    pub = publish(ex.frame, **ex.publish_kwargs())
    n_primary = int(pub.primary["attendances"].sum())
    n_secondary = int(pub.secondary["attendances"].sum())
    shown = pub.frame["attendances"]
    is_total = (ex.frame["authority of residence"] == "Total").to_numpy()
    supp = pub.suppressed["attendances"].to_numpy()
    parts_visible = int(shown[~is_total & ~supp].sum())
    total = shown[is_total].iloc[0]
    total_text = CONFIDENTIAL if pd.isna(total) or bool(supp[is_total][0]) else f"{int(total):,}"
    n_rows = int((~is_total).sum())
    text = (f"The table counts assault attendances at **{ex.site_name}** in "
            f"**{ex.month:%B %Y}** by the patient's authority of residence, with a total "
            f"(synthetic data). Of its {n_rows} rows, **{n_primary + n_secondary} are "
            f"suppressed**: {n_primary} because the count is between 1 and {SMALL_COUNT_MAX} "
            f"(*primary* suppression) and {n_secondary} more so that the small count cannot "
            "be worked out by subtracting the other rows from the total (*secondary* "
            "suppression, the next-smallest cell). The table does not say which is which. "
            f"Every other count, and the total, is rounded to the nearest {ROUNDING_BASE}: "
            f"the visible rows add up to {parts_visible:,} and the published total is "
            f"{total_text}, so the suppressed rows can only be bounded, not recovered.")
    if n_secondary == 0:
        text += (" (In this month no secondary suppression was needed: more than one cell "
                 "was already suppressed.)")
    return text
