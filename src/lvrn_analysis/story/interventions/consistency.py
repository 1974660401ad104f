"""Consistency checks of the published figures: totals against their parts, from the data.

`breakdown_sums()` adds up every count breakdown; `consistency_checks()` adds the
report's known discrepancies and ambiguities (DIVERT's positive outcomes, the knives
Empower the Invisible recovered, Box 1's shares and influencing factors, Preston
United's mentors, the navigators' hours and contacts); `consistency_sentence()`
summarises them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lvrn_analysis.story.interventions.monitoring import (
    breakdown_label,
    fmt_number,
    measure_label,
    value_of,
)
from lvrn_analysis.story.interventions.programmes import PROGRAMMES

#: Breakdowns the report gives in words but the monitoring table keeps only in its note:
#: (programme_id, measure) -> list of (part label, value, verbatim fragment, section).
REPORTED_BREAKDOWNS: Mapping[tuple[str, str], tuple[tuple[str, int, str, str], ...]] = {
    ("empower_the_invisible", "knives_handed_in_or_retrieved"): (
        ("given in by a male aged eight", 1, "one was given in by a male aged eight", "4.1"),
        ("by females aged 12 to 16", 3, "three by females aged 12 to 16 years", "4.1"),
        ("by males aged 12-25", 6, "the remaining six by males aged 12-25 years", "4.1"),
    ),
}

#: DIVERT's itemised outcome lines (§7.1 highlights box).
DIVERT_ITEMS: tuple[str, ...] = (
    "information_advice_guidance", "education", "training", "employment",
    "supported_into_treatment", "supported_into_housing",
    "supported_into_finance_benefits_advice", "supported_into_community_activities",
)


def _parse_breakdown(bd: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(bd, str) or not bd:
        return ()
    return tuple((k.strip(), v.strip()) for k, _, v in (p.partition("=") for p in bd.split(";")))


def breakdown_sums(df: pd.DataFrame) -> pd.DataFrame:
    """Check that every breakdown of a count adds up to its parent figure.

    A row with breakdown ``k1=v1; …; kj=vj`` is a part of the row with the first
    ``j-1`` pairs (the total row when ``j = 1``), for the same programme, period
    and measure; parts sharing their last key are summed. ``bound=`` rows are
    skipped.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    pandas.DataFrame
        ``programme_id``, ``measure``, ``parent`` (breakdown label or "all"),
        ``by`` (the key summed over), ``published``, ``sum_of_parts``,
        ``parts``, ``section``.
    """
    counts = df[(df["unit"] == "count") & df["value"].notna()]
    recs = []
    for (pid, _period, measure), g in counts.groupby(["programme_id", "period_label",
                                                     "measure"], sort=True):
        parsed = {i: _parse_breakdown(b) for i, b in g["breakdown"].items()}
        if any(k == "bound" for pairs in parsed.values() for k, _ in pairs):
            continue
        groups: dict[tuple[tuple[tuple[str, str], ...], str], list[int]] = {}
        for i, pairs in parsed.items():
            if pairs:
                groups.setdefault((pairs[:-1], pairs[-1][0]), []).append(i)
        for (parent_pairs, key), idx in sorted(groups.items()):
            parent = [i for i, pairs in parsed.items() if pairs == parent_pairs]
            if len(parent) != 1:
                continue
            recs.append({
                "programme_id": pid, "measure": measure,
                "parent": breakdown_label("; ".join(f"{k}={v}" for k, v in parent_pairs)),
                "by": key, "published": float(g.loc[parent[0], "value"]),
                "sum_of_parts": float(g.loc[idx, "value"].sum()),
                "parts": " + ".join(fmt_number(v) for v in g.loc[idx, "value"]),
                "section": "§" + g.loc[parent[0], "section"],
            })
    return pd.DataFrame(recs, columns=["programme_id", "measure", "parent", "by", "published",
                                       "sum_of_parts", "parts", "section"])


def consistency_checks(df: pd.DataFrame) -> pd.DataFrame:
    """Totals against their parts, and the report's known ambiguities, from the data.

    Checks: every count breakdown (`breakdown_sums()`); DIVERT's positive
    outcomes against its eight itemised lines (§7.1); Empower the Invisible's
    knives against the breakdown given in words (`REPORTED_BREAKDOWNS`,
    §4.1); Box 1's male and female shares; Box 1's influencing factors under
    both readings (§5.2); Preston United's mentors (§6.2 against §6.4); the
    navigators' funded hours (§5.1–5.2); and where the 416 contacts and the
    4-of-122 figure are reported.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    pandas.DataFrame
        ``Check``, ``Section``, ``Published``, ``Computed from the data``,
        ``Consistent`` ("yes", "no" or "ambiguous"), ``Comment``.
    """
    recs = []
    for r in breakdown_sums(df).itertuples(index=False):
        prog = next((p.name for p in PROGRAMMES.values() if r.programme_id in p.monitoring_ids),
                    r.programme_id)
        recs.append({
            "Check": f"{prog}: {measure_label(r.measure).lower()} ({r.parent}) by {r.by}",
            "Section": r.section, "Published": fmt_number(r.published),
            "Computed from the data": f"{r.parts} = {fmt_number(r.sum_of_parts)}",
            "Consistent": "yes" if r.published == r.sum_of_parts else "no", "Comment": "",
        })
    items = [value_of(df, "divert", m) for m in DIVERT_ITEMS]
    total = value_of(df, "divert", "positive_outcomes")
    recs.append({
        "Check": "DIVERT: positive outcomes against the eight itemised lines",
        "Section": "§7.1", "Published": fmt_number(total),
        "Computed from the data": " + ".join(fmt_number(v) for v in items)
        + f" = {fmt_number(sum(items))}",
        "Consistent": "yes" if sum(items) == total else "no",
        "Comment": f"difference {fmt_number(total - sum(items))}; the label says 'e.g.', so "
                   "other outcome types may be counted, and starred lines may include clients "
                   "referred in earlier quarters",
    })
    for (pid, measure), parts in REPORTED_BREAKDOWNS.items():
        total = value_of(df, pid, measure)
        s = sum(v for _, v, _, _ in parts)
        recs.append({
            "Check": f"{PROGRAMMES[pid].name}: {measure_label(measure).lower()} against the "
                     "breakdown given in words",
            "Section": "§" + parts[0][3], "Published": fmt_number(total),
            "Computed from the data": " + ".join(str(v) for _, v, _, _ in parts) + f" = {s}",
            "Consistent": "yes" if s == total else "no",
            "Comment": "the report adds a blade recovered from a 17-year-old not engaged with "
                       "the programme, which may be the missing one",
        })
    male = value_of(df, "ed_navigators", "percent_male", "sex=male")
    female = value_of(df, "ed_navigators", "percent_female", "sex=female")
    recs.append({
        "Check": "ED Navigators Box 1: male and female shares add to 100%", "Section": "§5.2",
        "Published": f"{fmt_number(male)}% + {fmt_number(female)}%",
        "Computed from the data": f"{fmt_number(male + female)}%",
        "Consistent": "yes" if abs(male + female - 100) < 0.05 else "no", "Comment": "",
    })
    n = value_of(df, "ed_navigators", "attendances")
    alc = value_of(df, "ed_navigators", "influencing_factor_alcohol", "factor=alcohol")
    drg = value_of(df, "ed_navigators", "influencing_factor_drugs", "factor=drugs")
    both = value_of(df, "ed_navigators", "influencing_factor_both", "factor=alcohol and drugs")
    inside, outside = alc + drg - both, alc + drg + both
    recs.append({
        "Check": "ED Navigators Box 1: attendances with any influencing factor",
        "Section": "§5.2",
        "Published": f"at least {fmt_number(alc)} alcohol, {fmt_number(drg)} drugs, "
                     f"{fmt_number(both)} both (of {fmt_number(n)})",
        "Computed from the data": f"{fmt_number(inside)} if 'both' is inside each figure "
                                  f"({fmt_number(alc)} + {fmt_number(drg)} − "
                                  f"{fmt_number(both)}); {fmt_number(outside)} if separate",
        "Consistent": "ambiguous",
        "Comment": "the report does not say which; both readings are at least figures",
    })
    kept = value_of(df, "preston_united", "mentors", "age=20+; sex=male")
    recruited = value_of(df, "preston_united", "mentors_recruited")
    recs.append({
        "Check": "Preston United: mentors in the engagement box against mentors recruited",
        "Section": "§6.2, §6.4", "Published": f"{fmt_number(kept)} mentors; "
                                              f"{fmt_number(recruited)} recruited",
        "Computed from the data": f"{fmt_number(recruited)} − 1 who dropped out = "
                                  f"{fmt_number(recruited - 1)}",
        "Consistent": "yes" if recruited - 1 == kept else "no",
        "Comment": "consistent once the drop-out reported in §6.4 is counted",
    })
    hours = value_of(df, "ed_navigators", "navigator_hours_per_week")
    funded = value_of(df, "ed_navigators", "lvrn_funded_hours")
    recs.append({
        "Check": "ED Navigators: hours funded by the LVRN against navigator hours",
        "Section": "§5.1, §5.2", "Published": f"{fmt_number(hours)} hours a week; "
                                              f"'10 hours of resources' funded",
        "Computed from the data": f"{fmt_number(funded)} of {fmt_number(hours)} hours "
                                  f"({funded / hours:.0%})",
        "Consistent": "yes" if funded <= hours else "no",
        "Comment": "read as per week; the hospital funds the rest (§5.2)",
    })
    sec = {m: df.loc[(df["programme_id"] == "ed_navigators") & (df["measure"] == m),
                     "section"].iloc[0]
           for m in ("contacts_children_young_people", "engaged_with_repeat_ed_attendance")}
    contacts = value_of(df, "ed_navigators", "contacts_children_young_people")
    repeat = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance")
    engaged = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance",
                       denominator=True)
    recs.append({
        "Check": "ED Navigators: the 416 contacts and the 4 of 122 describe different groups",
        "Section": f"§{sec['contacts_children_young_people']}, "
                   f"§{sec['engaged_with_repeat_ed_attendance']}",
        "Published": f"{fmt_number(contacts)} contacts in 2020/21; "
                     f"{fmt_number(repeat)} of {fmt_number(engaged)} engaged (period not "
                     "stated)",
        "Computed from the data": f"contacts in §{sec['contacts_children_young_people']} "
                                  "(engagement box); repeat attendance in "
                                  f"§{sec['engaged_with_repeat_ed_attendance']} (impact)",
        "Consistent": "yes" if sec["contacts_children_young_people"]
        != sec["engaged_with_repeat_ed_attendance"] else "no",
        "Comment": "often quoted together as if they were one group; the report does not "
                   "say whether those who engaged are among the contacts",
    })
    return pd.DataFrame(recs)


def consistency_sentence(checks: pd.DataFrame) -> str:
    """Summarise `consistency_checks()` in one sentence.

    Parameters
    ----------
    checks
        Output of `consistency_checks()`.

    Returns
    -------
    str
        Markdown sentence with the numbers of checks by outcome.
    """
    c = checks["Consistent"].value_counts()
    bad = checks.loc[checks["Consistent"] == "no", "Check"].tolist()
    text = (f"Of **{len(checks)} checks** computed from the data, {c.get('yes', 0)} are "
            f"consistent, **{c.get('no', 0)} are not** and {c.get('ambiguous', 0)} "
            f"{'is' if c.get('ambiguous', 0) == 1 else 'are'} ambiguous as worded.")
    if bad:
        text += " Those that are not: " + "; ".join(b.split(":")[0] + " (" + b.split(": ", 1)[1]
                                                     + ")" for b in bad) + "."
    return text
