"""Interventions: programme monitoring figures, intervals, logic models and links.

This module serves the "Interventions" page (WHO public-health approach, step 3:
develop and evaluate interventions). It works on the processed table
``programme_monitoring`` (`lvrn_analysis.sources.programmes`): figures quoted
from the LVRN evaluation report (Liverpool John Moores University, June 2021),
one row per programme × period × measure × breakdown, each with a section
citation.

What it provides:

* `PROGRAMMES` — each workstream as data: what it is (paraphrased from the
  report, with section numbers) and its logic model (inputs → activities →
  outputs → outcomes), whose outputs are filled from the monitoring figures;
* `programme_figures()` — a programme's published figures as a display table,
  with a Wilson 95 % interval for every "x of n" figure;
* `proportions()` — every "x of n" figure with its Wilson interval
  (Wilson 1927; Newcombe 1998) through `lvrn_analysis.stats.indicators.proportion()`;
* `logic_model_mermaid()` / `mermaid_markdown()` — the logic model as a
  Mermaid flowchart in a ```` ```{mermaid} ```` fenced block, the form Quarto
  renders (and the offline renderer smalldocs renders too);
* `reach_table()` / `reach_figure()` — how many people, staff and schools
  each programme reached, by unit;
* `consistency_checks()` — the sums behind the discrepancies found in the
  report, computed from the data;
* `framework_links()` — programme → outcomes-framework indicator;
* `ed_repeat_followup()` — the share of young ED attenders who re-attend
  within a year in the (synthetic) ED data, for an honest comparison with the
  ED Navigators' "4 of 122".

The logic models are **our reconstruction** from the report text: the report's
own logic-model figures (Figures 3–5) are images not reproduced in its text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.stats.disclosure import ROUNDING_BASE, round_to_base
from lvrn_analysis.stats.indicators import proportion

__all__ = [
    "PROGRAMMES",
    "REPORT",
    "REPORT_SOURCE",
    "LogicModel",
    "Programme",
    "consistency_checks",
    "consistency_sentence",
    "ed_repeat_followup",
    "ed_repeat_sentence",
    "figures_caption",
    "fill",
    "fmt_interval",
    "round_half_up",
    "framework_gap_sentence",
    "framework_links",
    "logic_model_mermaid",
    "monitoring_overview",
    "mermaid_markdown",
    "programme_figures",
    "programme_intro",
    "proportion_sentence",
    "proportions",
    "reach_figure",
    "reach_table",
    "value_of",
    "youth_commission_sentence",
]

#: The report every figure on the page comes from.
REPORT = ("Liverpool John Moores University (2021). Lancashire Violence Reduction Network: "
          "evaluation, final report (June 2021)")
#: Short source name used in chart source lines.
REPORT_SOURCE = "LVRN evaluation report (2021)"
#: Disclosure source key of the published programme figures (exempt: already public).
PROGRAMME_SOURCE = "programme_figures"


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class LogicModel:
    """A logic model: inputs → activities → outputs → outcomes.

    Attributes
    ----------
    inputs, activities
        Short phrases.
    outputs
        Phrases; ``{measure}`` or ``{measure[breakdown]}`` placeholders are
        filled from the monitoring figures by `fill()` (``+`` inside the
        braces sums several figures).
    outcomes_short, outcomes_long
        Short-term and longer-term outcomes (may hold placeholders too).
    """

    inputs: tuple[str, ...]
    activities: tuple[str, ...]
    outputs: tuple[str, ...]
    outcomes_short: tuple[str, ...]
    outcomes_long: tuple[str, ...]


@dataclass(frozen=True)
class Programme:
    """One LVRN programme or workstream.

    Attributes
    ----------
    id
        Key of `PROGRAMMES`; also the heading anchor.
    name
        Display name.
    monitoring_ids
        ``programme_id`` values of its rows in ``programme_monitoring``.
    workstream
        The LVRN workstream it belongs to (report Figure 2), or the report's
        description of where it sits.
    sections
        Report sections describing it, e.g. ``("5.1", "5.2", "5.3")``.
    summary
        One or two sentences paraphrased from the report.
    logic_model
        Its `LogicModel`.
    framework
        ``(indicator_id, how the programme relates to it)`` pairs; empty when
        the outcomes framework has no indicator for it.
    framework_gap
        What the framework would need, when ``framework`` is empty or partial.
    """

    id: str
    name: str
    monitoring_ids: tuple[str, ...]
    workstream: str
    sections: tuple[str, ...]
    summary: str
    logic_model: LogicModel
    framework: tuple[tuple[str, str], ...] = ()
    framework_gap: str = ""


def _lm(inputs: Sequence[str], activities: Sequence[str], outputs: Sequence[str],
        short: Sequence[str], long: Sequence[str]) -> LogicModel:
    return LogicModel(tuple(inputs), tuple(activities), tuple(outputs), tuple(short),
                      tuple(long))


DIRECT = "direct: measured on the programme's own participants"
POPULATION = "contributory: whole population, many other causes"

#: The programmes and workstreams of the page, in page order.
PROGRAMMES: Mapping[str, Programme] = {p.id: p for p in (
    Programme(
        "ed_navigators", "ED Navigator scheme", ("ed_navigators",),
        "Accident and emergency navigators (aim: to help stop the revolving door of violent "
        "injury in our hospitals)", ("2.3", "5.1", "5.2", "5.3"),
        "Trained health professionals based in the emergency department (ED) of Blackpool "
        "Victoria Hospital, working part time, meet people aged 10–39 (focus 10–25) who attend "
        "with a violence-related injury or concerns about their safety, use the 'reachable, "
        "teachable moment' to build a trusted relationship, and go with them to health, "
        "safeguarding and other services, continuing after discharge (§5.1–5.2). The LVRN "
        "sees it as secondary and tertiary prevention (§5.2).",
        _lm(
            ["LVRN funding: {lvrn_funded_hours} of {navigator_hours_per_week} navigator "
             "hours a week", "Blackpool Victoria Hospital ED and its safeguarding teams",
             "Learning from ED violence intervention programmes in Glasgow and London",
             "TIIG data and the needs assessment"],
            ["Face-to-face assessment in the ED at the reachable, teachable moment",
             "Telephone follow-up of attendances outside navigator hours",
             "Follow-up after discharge: home visits, walk-and-talk, text",
             "Accompanied referral to health, IDVA, safeguarding and exploitation teams, "
             "housing and work support"],
            ["{contacts_children_young_people} contacts with children and young people in "
             "2020/21", "June 2020: contact attempted with {contact_attempted} of "
             "{attendances} attendances", "{engaged_with_repeat_ed_attendance.denominator} "
             "young people engaged (§5.3)"],
            ["Trusted relationship with a single point of contact",
             "Needs met: mental, dental and sexual health, school return, debt, work",
             "Follow-up appointments attended"],
            ["Fewer repeat ED attendances for violence "
             "({engaged_with_repeat_ed_attendance} of "
             "{engaged_with_repeat_ed_attendance.denominator} engaged re-attended; no "
             "comparison group)", "Fewer violence-related injuries and less exploitation"],
        ),
        (("ed_repeat_assault_attendance", DIRECT + ", once engagement is linked to ED records"),
         ("knife_assault_admissions_u25", POPULATION)),
        "The framework's repeat-attendance indicator is a population count; the scheme's own "
        "measure needs the engaged cohort and a comparison group linked to ED records.",
    ),
    Programme(
        "divert", "DIVERT Lancashire", ("divert",),
        "Lancashire DIVERT programme (aim: to get offenders to change their behaviour, to "
        "reduce the likelihood of them returning to police custody)", ("2.3", "7.1", "7.3"),
        "Coaches seconded from football community trusts meet 18–25-year-olds held in police "
        "custody for violent crime at the custody suites of Preston, Blackburn, Blackpool and "
        "Lancaster, treating custody as a teachable moment; engagement is voluntary and "
        "confidential and works on unmet needs and goals for education, training and "
        "employment (§7.1–7.2).",
        _lm(
            ["LVRN funding", "Lancashire Police: custody access for vetted coaches",
             "Football community trusts and the New Era Foundation",
             "{custody_suites} custody suites"],
            ["Assertive engagement of 18–25-year-olds in custody",
             "Needs assessment and individual goal-setting",
             "Bridging to housing, addiction, mental health and finance services",
             "Football and community activities; referrals from youth offending, "
             "probation and prison release"],
            ["Jan–Mar 2021: {referrals} referrals",
             "{information_advice_guidance} information, advice and guidance contacts",
             "{positive_outcomes} positive outcomes reported (itemised lines sum to "
             "{education+training+employment+supported_into_treatment+supported_into_housing"
             "+supported_into_finance_benefits_advice+supported_into_community_activities"
             "+information_advice_guidance})"],
            ["Soft outcomes: well-being, communication skills, structure, new peer groups",
             "Access to treatment, housing and finance advice"],
            ["Education, training and employment",
             "Less reoffending: fewer returns to custody"],
        ),
        (("divert_custody_reentry", DIRECT),
         ("violence_with_injury", POPULATION)),
        "",
    ),
    Programme(
        "empower_the_invisible", "Empower the Invisible", ("empower_the_invisible",),
        "LVRN-funded community intervention, report case study 1", ("4.1", "4.2", "4.3"),
        "A youth and community outreach programme in targeted areas of Preston, led by people "
        "with lived experience of gangs, that talks with children and young adults in parks and "
        "other hotspots about knife crime, county lines and exploitation, through one-to-one "
        "mentoring and informal street workshops (§4.1–4.2).",
        _lm(
            ["LVRN funding", "Leaders with lived experience",
             "Community partners: shopkeepers, cricket and football clubs"],
            ["Street outreach in parks and hotspots", "One-to-one mentoring and informal "
             "workshops, two to three sessions a week", "Knife awareness and knife hand-ins",
             "Safeguarding referrals; mediation with residents"],
            ["{individuals_engaged} individuals engaged to Dec 2020, "
             "{individuals_engaged[sex=female; age=under 18]+individuals_engaged[sex=male; "
             "age=under 18]} of them under 18", "{regularly_engaged} engaged regularly",
             "{knives_handed_in_or_retrieved} knives handed in or retrieved"],
            ["Changed attitudes to carrying knives", "Trust and safeguarding disclosures",
             "Better community perceptions of young people"],
            ["Less knife carrying and knife violence among young people in the targeted "
             "areas", "Less criminal and sexual exploitation"],
        ),
        (("knife_serious_violence_u25", POPULATION),
         ("knife_assault_admissions_u25", POPULATION)),
        "No participant-level outcome (e.g. later arrest or injury of those engaged) is in the "
        "framework.",
    ),
    Programme(
        "preston_united", "Preston United community engagement", ("preston_united",),
        "LVRN-funded community intervention, report case study 3", ("6.1", "6.2", "6.3", "6.4"),
        "A grassroots community group brings together children aged 10–14 from Broadgate and "
        "Kingsfold, two areas of Preston with a history of violent conflict, through sport and "
        "group sessions, and trains mentors aged 20 and over from both communities; planned as "
        "a 20-week programme (§6.1–6.2).",
        _lm(
            ["LVRN funding (received a week before the first lockdown)",
             "Preston United and a local sports centre",
             "Police referrals from Kingsfold", "Mentors from both communities"],
            ["Mentor training: exploitation, county lines, ACEs, trauma-informed practice",
             "Joint sport and outdoor sessions, in small bubbles or online",
             "Sessions with parents; a guest speaker on gang violence"],
            ["{children_engaged} children aged 10–14",
             "{mentors[age=20+; sex=male]} mentors ({mentors_recruited} recruited)",
             "{sessions_run} sessions of a planned {planned_duration}-week programme"],
            ["Friendships between the two groups",
             "No violence between participants reported (§6.3)",
             "Mentors' skills and qualifications"],
            ["Fewer tensions and less violence between the two areas",
             "A legacy of local mentors"],
        ),
        (("knife_serious_violence_u25", POPULATION),
         ("violence_sexual_offences", POPULATION + " (Preston)")),
        "Area-level indicators for two neighbourhoods are too small to show change; the "
        "programme's own outcomes need participant follow-up.",
    ),
    Programme(
        "caring_dads", "Caring Dads Safer Children", ("caring_dads",),
        "Parenting workstream", ("2.3",),
        "A 17-week group programme, developed in Canada, for fathers where there are domestic "
        "abuse concerns, which aims to change men's behaviour by focusing on their role as "
        "fathers; evaluated by the NSPCC (2016), with an independent local evaluation "
        "commissioned in Blackburn with Darwen (§2.3).",
        _lm(
            ["LVRN funding", "Trained facilitators", "NSPCC evaluation evidence (2016)"],
            ["{programme_length}-week group-work programme, face to face during COVID-19",
             "Objectives: engagement, child-centred fathering, responsibility for abuse, "
             "rebuilding trust"],
            ["{fathers_supported} fathers (and their families) supported"],
            ["Fathers' awareness of child-centred and of abusive fathering"],
            ["Less domestic abuse", "Safer children"],
        ),
        (("domestic_abuse_crimes", POPULATION),),
        "Re-referral of participating fathers for domestic abuse would be the direct measure.",
    ),
    Programme(
        "epec", "Empowering Parents Empowering Communities (EPEC)", ("epec",),
        "Parenting workstream", ("2.3",),
        "A parent-led parenting programme offered in socially disadvantaged communities chosen "
        "from the needs assessment, with Lancashire as an EPEC hub; rated by the Early "
        "Intervention Foundation as evidence level 3 and low cost (§2.3).",
        _lm(
            ["LVRN partnership with the EPEC Scaling Programme",
             "Needs assessment to choose communities"],
            ["Train and accredit staff", "Train parent group leaders",
             "Parent-led courses: discussion, role-play, homework"],
            ["{staff_trained} staff trained (to Dec 2020)",
             "{parents_certified} parents certified as group leaders"],
            ["Parent leaders' confidence, skills and employability",
             "Better parent–child interactions"],
            ["Less negative child behaviour", "Less intergenerational adversity"],
        ),
        (),
        "No indicator: child behaviour and parenting outcomes are not in the framework.",
    ),
    Programme(
        "trauma_informed_training", "Trauma-informed practice training",
        ("trauma_informed_training",),
        "Awareness raising and prevention workstream (aim: to adopt a trauma-informed approach "
        "across all agencies)", ("2.3", "3.2"),
        "A trauma-informed practice training package delivered across agencies (virtually "
        "during the pandemic), with bespoke training for student police officers and a "
        "self-assessment toolkit for organisations (§2.3); partners see workforce development "
        "as the route to whole-system change (§3.2).",
        _lm(
            ["LVRN core team and partners", "Training package (evaluated by Phythian, 2021)",
             "Self-assessment toolkit"],
            ["Multi-agency training, face to face and virtual",
             "Bespoke training for student police officers",
             "Organisational self-assessment"],
            ["{staff_trained[sector=children's social care]} children's social care staff "
             "trained", "{staff_trained[sector=multi-agency]} multi-agency staff trained"],
            ["Practitioner awareness and confidence in trauma-informed practice"],
            ["Trauma-informed services across Lancashire",
             "Fewer people re-traumatised by services"],
        ),
        (),
        "No indicator: workforce and system change (§3.4) would need process measures.",
    ),
    Programme(
        "prisoners_families", "Prisoners and prisoners' families", ("prisoners_families",),
        "Prisoners and prisoners' families workstream (aims: to help prisoners understand "
        "their own behaviour; to increase the family's wellbeing and reduce offending after "
        "release)", ("2.3",),
        "Co-produced materials and training for schools and practitioners on the needs of "
        "children with a parent in prison, built around the story of Mia; a programme for "
        "prisoners and their partners (Strength Inside and Out) was in development (§2.3).",
        _lm(
            ["LVRN", "Materials co-produced with men in custody, children and prisons",
             "A psychologist (Strength Inside and Out)"],
            ["Training for schools and multi-agency practitioners",
             "Mia's story book and leaflets for families",
             "Develop Strength Inside and Out"],
            ["{schools_trained} schools trained", "{practitioners_trained} practitioners "
             "trained", "{books_requested} books of Mia's story requested"],
            ["Schools and practitioners able to support children with a parent in prison"],
            ["Family wellbeing and reintegration", "Less reoffending after release"],
        ),
        (),
        "No indicator: reoffending after release and children's outcomes are not in the "
        "framework.",
    ),
    Programme(
        "operation_encompass", "Operation Encompass", ("operation_encompass",),
        "Multi-agency violence reduction workstream (aim: to target families with serious "
        "violence, including domestic violence, where children are involved)", ("2.3", "3.2"),
        "Police share domestic abuse alerts with a child's school in confidence, so that the "
        "school can support the child; the LVRN supported its roll-out across Lancashire "
        "(§2.3), including a shared database and training for schools and the Constabulary "
        "(§3.2, an interviewee's account).",
        _lm(
            ["Police and schools", "LVRN support", "A toolkit of resources for schools"],
            ["Set up the schools notification database",
             "Train schools and the Constabulary: domestic abuse, ACEs, coercive control",
             "Notify schools after incidents involving a child"],
            ["{schools_in_scheme} schools in the scheme (interviewee)"],
            ["Compliance in some schools from {compliance_some_schools[stage=before]}% to "
             "{compliance_some_schools[stage=after]}% (interviewee)",
             "Children supported at school after domestic abuse"],
            ["Less harm to children from domestic abuse"],
        ),
        (("domestic_abuse_crimes", POPULATION + "; a rise may mean more reporting"),),
        "Notification and compliance rates would be the process measures.",
    ),
    Programme(
        "exploitation", "Exploitation and family support",
        ("blackpool_exploitation", "engage_team"),
        "Exploitation and family support workstream (aim: to increase support for individuals "
        "and their families who have been victims of exploitation and violence)", ("2.3",),
        "Two strands: in Blackpool, work with children and young people already showing "
        "anti-social and escalating violent behaviour, to protect them from criminal "
        "exploitation; in Blackburn with Darwen, LVRN-funded workers alongside the Engage team "
        "support children at risk of going missing from home (§2.3).",
        _lm(
            ["LVRN funding", "Blackpool workers", "Engage team, Blackburn with Darwen"],
            ["Engage children showing escalating violent behaviour (Blackpool)",
             "Work with children at risk of going missing from home (Blackburn with Darwen)"],
            ["{blackpool_exploitation:children_young_people_engaged} children and young "
             "people engaged in Blackpool", "{engage_team:children_young_people_engaged} "
             "children and young people supported in Blackburn with Darwen",
             "{engage_team:missing_from_home_episodes} missing-from-home episodes dealt with"],
            ["Fewer missing-from-home episodes", "Protective, trusted relationships"],
            ["Fewer children drawn into criminal exploitation"],
        ),
        (),
        "No indicator, although child exploitation is part of the LVRN's serious-violence "
        "definition (§2.3 footnote 4).",
    ),
)}


# --------------------------------------------------------------------------- lookups

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
#: A "+" joining terms (not one inside a breakdown such as ``age=20+``).
_PLUS = re.compile(r"\+(?![^\[]*\])")
_TERM = re.compile(r"^\s*(?:(?P<pid>[a-z_]+):)?(?P<measure>[a-z0-9_]+)"
                   r"(?:\[(?P<breakdown>[^\]]*)\])?(?P<den>\.denominator)?\s*$")


def _rows(df: pd.DataFrame, programme_ids: Iterable[str]) -> pd.DataFrame:
    return df[df["programme_id"].isin(list(programme_ids))]


def value_of(df: pd.DataFrame, programme_id: str, measure: str,
             breakdown: str | None = None, *, denominator: bool = False) -> float:
    """Return one published figure (or its denominator).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id, measure
        Which figure.
    breakdown
        ``"key=value; …"`` or ``None`` for the total row.
    denominator
        Return the row's ``denominator`` (the *n* of "x of n") instead.

    Returns
    -------
    float
        The value.

    Raises
    ------
    KeyError
        If there is not exactly one such row, or it has no value.
    """
    rows = df[(df["programme_id"] == programme_id) & (df["measure"] == measure)]
    if breakdown is None:
        rows = rows[rows["breakdown"].isna()]
    else:
        rows = rows[rows["breakdown"] == breakdown]
    if len(rows) != 1:
        raise KeyError(f"{len(rows)} rows for {programme_id}/{measure}/{breakdown}; "
                       "expected exactly one")
    v = rows["denominator"].iloc[0] if denominator else rows["value"].iloc[0]
    if pd.isna(v):
        what = "denominator" if denominator else "value"
        raise KeyError(f"{programme_id}/{measure}/{breakdown} has no {what}")
    return float(v)


def _fmt_number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def fill(template: str, df: pd.DataFrame, programme_ids: Sequence[str]) -> str:
    """Fill ``{measure}`` placeholders of a logic-model phrase from the figures.

    Placeholder forms: ``{measure}`` (total row), ``{measure[key=value; …]}``
    (a breakdown row), ``{programme_id:measure}`` (another programme),
    ``{measure.denominator}`` (the *n* of an "x of n" figure) and ``a+b`` (sum).
    Values carry their qualifier ("at least 600" is written "600+").

    Parameters
    ----------
    template
        The phrase.
    df
        The ``programme_monitoring`` table.
    programme_ids
        Default ``programme_id`` for terms without a ``programme_id:`` prefix
        (the first is used).

    Returns
    -------
    str
        The phrase with numbers.

    Raises
    ------
    KeyError
        If a placeholder names no single figure.
    """
    default = programme_ids[0]

    def one(term: str) -> tuple[float, bool]:
        m = _TERM.match(term)
        if not m:
            raise KeyError(f"cannot read placeholder term {term!r}")
        pid = m["pid"] or default
        bd = m["breakdown"]
        v = value_of(df, pid, m["measure"], bd, denominator=bool(m["den"]))
        rows = df[(df["programme_id"] == pid) & (df["measure"] == m["measure"])]
        rows = rows[rows["breakdown"].isna()] if bd is None else rows[rows["breakdown"] == bd]
        at_least = (not m["den"]) and rows["value_qualifier"].iloc[0] in ("at least",
                                                                           "more than")
        return v, at_least

    def sub(match: re.Match[str]) -> str:
        parts = [one(t) for t in _PLUS.split(match.group(1))]
        total = sum(v for v, _ in parts)
        return _fmt_number(total) + ("+" if any(a for _, a in parts) else "")

    return _PLACEHOLDER.sub(sub, template)


def round_half_up(x: float | np.ndarray | pd.Series, decimals: int = 1) -> np.ndarray:
    """Round halves away from zero for positive numbers (31.25 -> 31.3), as reports do."""
    f = 10.0 ** decimals
    return np.floor(np.asarray(x, dtype=float) * f + 0.5 + 1e-9) / f


def fmt_interval(value: float, lower: float, upper: float, *, decimals: int = 1) -> str:
    """Format a percentage and its interval, e.g. ``"3.3% (1.3% to 8.1%)"``.

    Values are rounded half up (`round_half_up()`), so 10 of 32 = 31.25 %
    is written 31.3 %, as in the report.
    """
    v, lo, up = (float(round_half_up(t, decimals)) for t in (value, lower, upper))
    return f"{v:.{decimals}f}% ({lo:.{decimals}f}% to {up:.{decimals}f}%)"


# --------------------------------------------------------------------------- labels

#: Display labels of the monitoring measures.
MEASURE_LABELS: Mapping[str, str] = {
    "contacts_children_young_people": "Contacts with children and young people",
    "eligible_age_min": "Youngest age supported",
    "eligible_age_max": "Oldest age supported",
    "navigator_hours_per_week": "Navigator hours",
    "lvrn_funded_hours": "Hours funded by the LVRN",
    "engaged_with_repeat_ed_attendance": "Engaged young people with a repeat ED attendance",
    "attendances": "Assault attendances (Box 1 snapshot)",
    "percent_male": "Male",
    "percent_female": "Female",
    "percent_aged_18_30": "Aged 18–30",
    "percent_head_injury": "Head injury main presenting complaint",
    "percent_ambulance": "Brought in by ambulance",
    "percent_night": "Presented during the night",
    "busiest_weekday": "Busiest weekday",
    "contact_attempted": "Contact attempted",
    "influencing_factor_alcohol": "Influencing factor: alcohol",
    "influencing_factor_drugs": "Influencing factor: drugs",
    "influencing_factor_both": "Influencing factor: alcohol and drugs",
    "custody_suites": "Custody suites",
    "referrals": "Referrals",
    "information_advice_guidance": "Information, advice and guidance provided",
    "education": "Education",
    "training": "Training",
    "employment": "Employment",
    "supported_into_treatment": "Supported into treatment",
    "supported_into_housing": "Supported into housing",
    "supported_into_finance_benefits_advice": "Supported into finance/benefits advice",
    "supported_into_community_activities": "Supported into community-based activities",
    "positive_outcomes": "Positive outcomes",
    "individuals_engaged": "Individuals engaged",
    "knives_handed_in_or_retrieved": "Knives handed in or retrieved",
    "regularly_engaged": "Children and young adults engaged regularly",
    "engaged_at_any_time": "People engaged at any time",
    "children_engaged": "Children engaged",
    "mentors": "Mentors",
    "mentors_recruited": "Mentors recruited",
    "sessions_run": "Sessions run",
    "planned_duration": "Planned duration",
    "percent_completed": "Share of the programme completed",
    "fathers_supported": "Fathers supported",
    "programme_length": "Programme length",
    "staff_trained": "Staff trained",
    "parents_certified": "Parents certified",
    "schools_trained": "Schools trained",
    "practitioners_trained": "Practitioners trained",
    "books_requested": "Books of Mia's story requested",
    "schools_in_scheme": "Schools in the scheme",
    "compliance_some_schools": "Compliance in some schools",
    "children_young_people_engaged": "Children and young people engaged",
    "missing_from_home_episodes": "Missing-from-home episodes dealt with",
    "children_young_people_members": "Children and young people members",
    "meetings": "Meetings",
}

#: What kind of proportion each "x of n" figure is (default: "profile").
PROPORTION_KIND: Mapping[str, str] = {
    "engaged_with_repeat_ed_attendance": "outcome",
    "contact_attempted": "process",
}


def _measure_label(measure: str) -> str:
    return MEASURE_LABELS.get(measure, measure.replace("_", " ").capitalize())


def _breakdown_label(breakdown: object) -> str:
    if not isinstance(breakdown, str) or not breakdown:
        return "all"
    parts = [p.partition("=")[2].strip() for p in breakdown.split(";")]
    return ", ".join(p for p in parts if p)


def _fmt_figure(row: pd.Series) -> str:
    unit, v, q = row["unit"], row["value"], row["value_qualifier"]
    if unit == "text":
        return str(row["value_text"])
    num = _fmt_number(v)
    text = {"percent": f"{num}%", "hours per week": f"{num} hours per week",
            "weeks": f"{num} weeks", "years": f"{num} years",
            "million people": f"{num} million people",
            "GBP million": f"£{num} million"}.get(unit, num)
    if isinstance(q, str) and q and q != "between":
        text = f"{q} {text}"
    return text


def _display_note(note: object) -> str:
    """Return a data note for display (internal document names made readable)."""
    if not isinstance(note, str):
        return ""
    return note.replace("DESIGN.md §7 cites", "the project's design notes cite")


def _numerator(row: pd.Series) -> float:
    """Return the x of an "x of n" figure (a percentage is turned back into a count)."""
    if row["unit"] == "percent":
        return float(np.floor(row["value"] * row["denominator"] / 100 + 0.5))
    return float(row["value"])


def _x_of_n_rows(df: pd.DataFrame) -> pd.DataFrame:
    mask = df["denominator"].notna() & df["unit"].isin(["count", "percent"]) & \
        df["value"].notna()
    return df[mask]


# --------------------------------------------------------------------------- tables


def proportions(df: pd.DataFrame, programme_ids: Iterable[str] | None = None,
                confidence: float = 0.95) -> pd.DataFrame:
    r"""Return every "x of n" figure with a Wilson score interval.

    The interval is $\frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1-x/n)}}{2(n+z^2)}$
    (Wilson 1927; Newcombe 1998), computed by
    `lvrn_analysis.stats.indicators.proportion()`. A published percentage of a
    known *n* (Box 1) is turned back into its whole count first
    (``x = round(p n / 100)``).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_ids
        Restrict to these ``programme_id`` values (default: all).
    confidence
        Interval level.

    Returns
    -------
    pandas.DataFrame
        ``programme_id``, ``programme``, ``period``, ``measure``, ``group``,
        ``qualifier``, ``kind`` (outcome, process or profile), ``x``, ``n``,
        ``percent``, ``lower_ci``, ``upper_ci``, ``section``; ``x`` and ``n``
        are int64.
    """
    rows = _x_of_n_rows(df)
    if programme_ids is not None:
        rows = _rows(rows, programme_ids)
    out = pd.DataFrame({
        "programme_id": rows["programme_id"].to_numpy(),
        "programme": rows["programme"].to_numpy(),
        "period": rows["period_label"].to_numpy(),
        "measure": [_measure_label(m) for m in rows["measure"]],
        "group": [_breakdown_label(b) for b in rows["breakdown"]],
        "qualifier": rows["value_qualifier"].fillna("").to_numpy(),
        "kind": [PROPORTION_KIND.get(m, "profile") for m in rows["measure"]],
        "x": [int(_numerator(r)) for _, r in rows.iterrows()],
        "n": rows["denominator"].astype("int64").to_numpy(),
        "section": ("§" + rows["section"]).to_numpy(),
    })
    if out.empty:
        for c in ("percent", "lower_ci", "upper_ci"):
            out[c] = pd.Series(dtype="float64")
        return out
    p = proportion(out, "x", "n", multiplier=100, confidence=confidence)
    out["percent"] = p["value"].to_numpy()
    out["lower_ci"] = p["lower_ci"].to_numpy()
    out["upper_ci"] = p["upper_ci"].to_numpy()
    cols = ["programme_id", "programme", "period", "measure", "group", "qualifier", "kind",
            "x", "n", "percent", "lower_ci", "upper_ci", "section"]
    return out[cols].reset_index(drop=True)


def proportions_display(props: pd.DataFrame) -> pd.DataFrame:
    """Shape `proportions()` for publication (readable headers, rounded).

    Parameters
    ----------
    props
        Output of `proportions()`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Programme``, ``Period``, ``Measure``, ``Group``, ``Kind``,
        ``x``, ``n``, ``%``, ``95% CI lower``, ``95% CI upper``, ``Section``.
    """
    measure = [f"{m} ({q} x)" if q else m for m, q in zip(props["measure"],
                                                           props["qualifier"], strict=True)]
    return pd.DataFrame({
        "Programme": props["programme"], "Period": props["period"], "Measure": measure,
        "Group": props["group"], "Kind": props["kind"], "x": props["x"], "n": props["n"],
        "%": round_half_up(props["percent"]), "95% CI lower": round_half_up(props["lower_ci"]),
        "95% CI upper": round_half_up(props["upper_ci"]), "Section": props["section"],
    })


def programme_figures(df: pd.DataFrame, programme_id: str) -> pd.DataFrame:
    """Return a programme's published figures as a display table.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES` (its ``monitoring_ids`` are shown).

    Returns
    -------
    pandas.DataFrame
        ``Programme`` (only when several monitoring ids), ``Period``, ``Measure``,
        ``Group``, ``Figure`` (with its unit and qualifier), ``Out of`` (the *n*
        of an "x of n" figure), ``Share (95% CI)`` (for "x of n" figures, blank
        otherwise), ``Section``, ``Note``; in report-section order. A
        "between" pair (``bound=min``/``bound=max``) is shown as one row.
    """
    prog = PROGRAMMES[programme_id]
    rows = _rows(df, prog.monitoring_ids).copy()
    rows["_order"] = [prog.monitoring_ids.index(p) for p in rows["programme_id"]]
    rows["_section"] = [tuple(int(x) for x in t.split(".")) for t in rows["section"]]
    rows = rows.sort_values(["_order", "_section", "period_end", "measure", "breakdown"],
                            na_position="first", kind="stable")
    props = proportions(rows)
    share = {}
    for (_, r), (_, p) in zip(_x_of_n_rows(rows).iterrows(), props.iterrows(), strict=True):
        share[r.name] = fmt_interval(p["percent"], p["lower_ci"], p["upper_ci"])
    records = []
    seen_between: set[tuple[str, str, str]] = set()
    for idx, r in rows.iterrows():
        bd = r["breakdown"] if isinstance(r["breakdown"], str) else ""
        figure = _fmt_figure(r)
        group = _breakdown_label(r["breakdown"])
        if bd.startswith("bound="):
            key = (r["programme_id"], r["period_label"], r["measure"])
            if key in seen_between:
                continue
            seen_between.add(key)
            pair = rows[(rows["programme_id"] == key[0]) & (rows["period_label"] == key[1])
                        & (rows["measure"] == key[2])]
            lo = pair.loc[pair["breakdown"] == "bound=min", "value"].iloc[0]
            hi = pair.loc[pair["breakdown"] == "bound=max", "value"].iloc[0]
            figure, group = f"between {_fmt_number(lo)} and {_fmt_number(hi)}", "all"
        records.append({
            "Programme": r["programme"], "Period": r["period_label"],
            "Measure": _measure_label(r["measure"]), "Group": group, "Figure": figure,
            "Out of": "" if pd.isna(r["denominator"]) else f"{int(r['denominator']):,}",
            "Share (95% CI)": share.get(idx, ""), "Section": "§" + r["section"],
            "Note": _display_note(r["note"]),
        })
    out = pd.DataFrame(records)
    if len(prog.monitoring_ids) == 1:
        out = out.drop(columns="Programme")
    return out.reset_index(drop=True)


def figures_caption(programme_id: str) -> str:
    """Return the caption of a programme's figures table.

    Parameters
    ----------
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        Caption naming the report and the interval method.
    """
    p = PROGRAMMES[programme_id]
    return (f"{p.name}: monitoring figures as published in the LVRN evaluation report (2021), "
            "with the report section of each. 'Share (95% CI)': Wilson score interval for "
            "figures given as x of n.")


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


def monitoring_overview(df: pd.DataFrame) -> str:
    """Describe what the monitoring table holds, in one paragraph.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown: numbers of figures, programmes and report sections, and how
        many figures are "x of n".
    """
    progs = df[df["programme_id"] != "needs_assessment"]
    secs = sorted(progs["section"].unique(), key=lambda t: [int(x) for x in t.split(".")])
    n_x = len(_x_of_n_rows(progs))
    small = int(((progs["unit"] == "count") & progs["value"].between(1, 7)).sum())
    return (f"The monitoring table holds **{len(progs)} published figures** for "
            f"**{progs['programme_id'].nunique()} programmes** (plus "
            f"{len(df) - len(progs)} needs-assessment facts used on other pages), quoted from "
            f"report sections {', '.join('§' + t for t in secs)}. {n_x} of the figures are "
            f"'x of n' and get an interval below. {small} counts are between 1 and 7; they "
            "are shown exactly as published.")


def youth_commission_sentence(df: pd.DataFrame) -> str:
    """Describe the Youth Commission's figures (§2.3).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown sentence.
    """
    return fill("With the Police and Crime Commissioner, the LVRN formed a Youth Commission on "
                "Crime Reduction and Prevention: {children_young_people_members} children and "
                "young people, who had met {meetings} times by the time of the report "
                "(§2.3, *Working with and for communities*). It is a way of working with "
                "communities rather than an intervention with outcomes of its own, so it has "
                "no logic model here.", df, ["youth_commission"])


def programme_intro(programme_id: str) -> str:
    """Markdown introducing a programme: workstream, summary and sections.

    Parameters
    ----------
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        Markdown paragraph.
    """
    p = PROGRAMMES[programme_id]
    secs = ", ".join(f"§{s}" for s in p.sections)
    return (f"**Where it sits:** {p.workstream}.\n\n{p.summary}\n\n"
            f"*Source: LVRN evaluation report (2021), {secs}.*")


# --------------------------------------------------------------------------- Mermaid

#: (subgraph id, title, class, node-id prefix) of the four stages.
_STAGES = (("inputs", "Inputs", "stIn", "in"), ("activities", "Activities", "stAct", "ac"),
           ("outputs", "Outputs", "stOut", "op"), ("outcomes", "Outcomes", "stOc", "oc"))
#: Fill / border colours of the stages: light tints of the Okabe–Ito palette.
_STAGE_STYLE = {
    "stIn": "fill:#E6F0F8,stroke:#0072B2,color:#111111",
    "stAct": "fill:#FCF1DC,stroke:#E69F00,color:#111111",
    "stOut": "fill:#E0F3ED,stroke:#009E73,color:#111111",
    "stOc": "fill:#F6E9F1,stroke:#CC79A7,color:#111111",
    "fromData": "stroke:#D55E00,stroke-width:3px",
}


#: Mermaid entity codes for characters that would break a quoted node label.
_ENTITIES = {"#": "#35;", '"': "#quot;", ";": "#59;", "<": "#lt;", ">": "#gt;"}


def _mermaid_text(text: str, width: int = 30) -> str:
    """Escape a label for a quoted Mermaid node and wrap it with ``<br>``."""
    safe = re.sub(r'[#";<>]', lambda m: _ENTITIES[m.group()], text)
    return "<br>".join(textwrap.wrap(safe, width=width, break_long_words=False))


def _plain(text: str) -> str:
    """Return one line of plain text for ``accTitle``/``accDescr``."""
    text = text.replace("{", "(").replace("}", ")").replace(";", ",").replace("#", "")
    return re.sub(r"\s+", " ", text).strip()


def logic_model_mermaid(df: pd.DataFrame, programme_id: str, *, width: int = 26) -> str:
    """Return the programme's logic model as Mermaid flowchart source.

    Four stage boxes (inputs → activities → outputs → outcomes) laid out left
    to right; phrases carrying monitoring figures (filled by `fill()`) get
    the class ``fromData`` (a thick vermillion border). ``accTitle`` and
    ``accDescr`` give screen readers a title and a description.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.
    width
        Characters per label line.

    Returns
    -------
    str
        Mermaid source (no fences).
    """
    p = PROGRAMMES[programme_id]
    lm = p.logic_model
    stages = {
        "inputs": list(lm.inputs), "activities": list(lm.activities),
        "outputs": list(lm.outputs),
        "outcomes": [f"Short term: {t}" for t in lm.outcomes_short]
        + [f"Longer term: {t}" for t in lm.outcomes_long],
    }
    lines = ["flowchart LR",
             f"  accTitle: Logic model of {_plain(p.name)}",
             f"  accDescr: {_plain(logic_model_description(df, programme_id))}"]
    classes: dict[str, list[str]] = {"fromData": []}
    for sid, title, cls, prefix in _STAGES:
        lines.append(f'  subgraph {sid}["{title}"]')
        # a subgraph linked as a whole is laid out on its own, top-to-bottom by default,
        # which puts unconnected nodes side by side; LR stacks them in a column
        lines.append("    direction LR")
        ids = []
        for k, phrase in enumerate(stages[sid], start=1):
            nid = f"{prefix}{k}"
            text = fill(phrase, df, p.monitoring_ids)
            lines.append(f'    {nid}["{_mermaid_text(text, width)}"]')
            ids.append(nid)
            if _PLACEHOLDER.search(phrase):
                classes["fromData"].append(nid)
        lines.append("  end")
        classes[cls] = ids
    lines.append("  " + " --> ".join(stage[0] for stage in _STAGES))
    for stage in _STAGES:
        lines.append(f"  style {stage[0]} fill:#FFFFFF,stroke:#BBBBBB")
    for cls, style in _STAGE_STYLE.items():
        lines.append(f"  classDef {cls} {style}")
    for cls, ids in classes.items():
        if ids and cls != "fromData":
            lines.append(f"  class {','.join(ids)} {cls}")
    if classes["fromData"]:
        lines.append(f"  class {','.join(classes['fromData'])} fromData")
    return "\n".join(lines)


def logic_model_description(df: pd.DataFrame, programme_id: str) -> str:
    """Describe the logic model in one paragraph of plain text (alt text, captions).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        "Inputs: …. Activities: …. Outputs: …. Outcomes: …."
    """
    p = PROGRAMMES[programme_id]
    lm = p.logic_model

    def part(items: Iterable[str]) -> str:
        return "; ".join(fill(t, df, p.monitoring_ids) for t in items)

    return (f"Inputs: {part(lm.inputs)}. Activities: {part(lm.activities)}. "
            f"Outputs: {part(lm.outputs)}. Short-term outcomes: {part(lm.outcomes_short)}. "
            f"Longer-term outcomes: {part(lm.outcomes_long)}.")


def mermaid_markdown(source: str, caption: str | None = None) -> str:
    """Wrap Mermaid source in a ```` ```{mermaid} ```` fence (plus an optional caption).

    ```` ```{mermaid} ```` is Quarto's diagram notation; the offline renderer
    smalldocs accepts it too (and plain ```` ```mermaid ````).

    Parameters
    ----------
    source
        Mermaid source from `logic_model_mermaid()`.
    caption
        Markdown shown under the diagram.

    Returns
    -------
    str
        Markdown.
    """
    text = "```{mermaid}\n" + source.rstrip() + "\n```"
    if caption:
        text += f"\n\n{caption}"
    return text


def logic_model_markdown(df: pd.DataFrame, programme_id: str) -> str:
    """Return the logic model diagram with its standard caption, ready for ``nb.md``.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        Markdown: a ```` ```{mermaid} ```` block and a caption.
    """
    p = PROGRAMMES[programme_id]
    secs = ", ".join(f"§{s}" for s in p.sections)
    caption = (f"*Logic model of {p.name}: our reconstruction from the report text ({secs}); "
               "boxes with a thick vermillion border carry published monitoring figures.*")
    return mermaid_markdown(logic_model_mermaid(df, programme_id), caption)


# --------------------------------------------------------------------------- reach

#: Reach figures for the summary: (panel, programme_id, measure, breakdowns summed, label).
REACH: tuple[tuple[str, str, str, tuple[str | None, ...], str], ...] = (
    ("people", "ed_navigators", "contacts_children_young_people", (None,),
     "ED Navigators: children and young people contacted"),
    ("people", "divert", "referrals", (None,), "DIVERT: referrals"),
    ("people", "empower_the_invisible", "individuals_engaged", (None,),
     "Empower the Invisible: individuals engaged"),
    ("people", "engage_team", "children_young_people_engaged", (None,),
     "Engage team (Blackburn with Darwen): children and young people"),
    ("people", "blackpool_exploitation", "children_young_people_engaged", (None,),
     "Exploitation work (Blackpool): children and young people"),
    ("people", "caring_dads", "fathers_supported", (None,), "Caring Dads: fathers supported"),
    ("people", "youth_commission", "children_young_people_members", (None,),
     "Youth Commission: members"),
    ("people", "preston_united", "children_engaged", (None,), "Preston United: children"),
    ("people", "epec", "parents_certified", (None,), "EPEC: parents certified"),
    ("staff", "trauma_informed_training", "staff_trained",
     ("sector=children's social care", "sector=multi-agency"),
     "Trauma-informed training: staff trained"),
    ("staff", "prisoners_families", "practitioners_trained", (None,),
     "Prisoners' families: practitioners trained"),
    ("staff", "epec", "staff_trained", (None,), "EPEC: staff trained"),
    ("staff", "preston_united", "mentors", ("age=20+; sex=male",), "Preston United: mentors"),
    ("schools", "operation_encompass", "schools_in_scheme", (None,),
     "Operation Encompass: schools in the scheme"),
    ("schools", "prisoners_families", "schools_trained", (None,),
     "Prisoners' families: schools trained"),
)

#: Panel titles and axis units of the reach chart.
REACH_PANELS: Mapping[str, tuple[str, str]] = {
    "people": ("Children, young people and adults reached", "people"),
    "staff": ("Staff, practitioners and mentors trained", "people trained"),
    "schools": ("Schools", "schools"),
}


def reach_table(df: pd.DataFrame) -> pd.DataFrame:
    """Return the reach of each programme, by unit (people, staff, schools).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    pandas.DataFrame
        ``panel``, ``label``, ``period``, ``reach`` (int64), ``qualifier``
        ("at least" or ""), ``section``; in `REACH` order.
    """
    recs = []
    for panel, pid, measure, bds, label in REACH:
        rows = []
        for bd in bds:
            sel = df[(df["programme_id"] == pid) & (df["measure"] == measure)]
            sel = sel[sel["breakdown"].isna()] if bd is None else sel[sel["breakdown"] == bd]
            if len(sel) != 1:
                raise KeyError(f"reach figure {pid}/{measure}/{bd} not found exactly once")
            rows.append(sel.iloc[0])
        quals = {r["value_qualifier"] for r in rows if isinstance(r["value_qualifier"], str)}
        recs.append({
            "panel": panel, "label": label, "period": rows[0]["period_label"],
            "reach": int(sum(r["value"] for r in rows)),
            "qualifier": "at least" if quals & {"at least", "more than"} else "",
            "section": "§" + rows[0]["section"],
        })
    return pd.DataFrame(recs).astype({"reach": "int64"})


def reach_display(reach: pd.DataFrame) -> pd.DataFrame:
    """Shape `reach_table()` for publication.

    Parameters
    ----------
    reach
        Output of `reach_table()`.

    Returns
    -------
    pandas.DataFrame
        ``Unit``, ``Programme and measure``, ``Period``, ``Number``,
        ``Qualifier``, ``Section``.
    """
    return pd.DataFrame({
        "Unit": [REACH_PANELS[p][1] for p in reach["panel"]],
        "Programme and measure": reach["label"], "Period": reach["period"],
        "Number": reach["reach"], "Qualifier": reach["qualifier"],
        "Section": reach["section"],
    })


def reach_figure(reach: pd.DataFrame) -> object:
    """Bar chart of programme reach: one panel per unit, each with its own scale.

    Parameters
    ----------
    reach
        Output of `reach_table()`.

    Returns
    -------
    matplotlib.figure.Figure
        Finished with title, axis labels, source line (real data) and alt text.
    """
    import matplotlib.pyplot as plt

    plots.apply_house_style()
    panels = [p for p in REACH_PANELS if p in set(reach["panel"])]
    sizes = [int((reach["panel"] == p).sum()) for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.0, 1.6 + 0.42 * sum(sizes)),
                             gridspec_kw={"height_ratios": sizes})
    axes = np.atleast_1d(axes)
    for k, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        d = reach[reach["panel"] == panel].iloc[::-1]
        labels = [f"{lab}, {per}" for lab, per in zip(d["label"], d["period"], strict=True)]
        y = np.arange(len(d))
        ax.barh(y, d["reach"], color=plots.PALETTE[k], height=0.65)
        ax.set_yticks(y, labels, fontsize=8.5)
        top = float(d["reach"].max())
        for yi, v, q in zip(y, d["reach"], d["qualifier"], strict=True):
            ax.text(v + top * 0.01, yi, f"{v:,}" + ("+" if q else ""), va="center",
                    fontsize=8.5)
        ax.set_xlim(0, top * 1.15)
        ax.grid(axis="y", visible=False)
        title, unit = REACH_PANELS[panel]
        ax.set_xlabel(f"Number of {unit}" if not unit.startswith("people trained")
                      else "Number of people trained", fontsize=9)
        ax.set_title(title, fontsize=10, loc="left")
    biggest = reach.loc[reach["reach"].idxmax()]
    alt = (f"Horizontal bar charts of the reach of {len(reach)} LVRN-funded programmes as "
           "published in the 2021 evaluation report, in three panels with their own scales: "
           "people reached, staff trained and schools. "
           + "; ".join(f"{lab}: {v:,}{'+' if q else ''}" for lab, v, q in
                       zip(reach["label"], reach["reach"], reach["qualifier"], strict=True))
           + f". The largest figure is {biggest['label']} ({biggest['reach']:,}"
           + ("+" if biggest["qualifier"] else "") + ").")
    src = plots.source_line([REPORT_SOURCE + ", §2.3–7.1"], synthetic=False)
    fig = plots.finish(fig, title="Reach of LVRN programmes as published (periods and units "
                       "differ; not comparable between programmes)", source=src, alt=alt,
                       ax=axes[0])
    # finish() put the chart title on the first panel: move it above all panels
    axes[0].set_title(REACH_PANELS[panels[0]][0], fontsize=10, loc="left")
    fig.suptitle(textwrap.fill(fig.lvrn_title, 80),  # type: ignore[attr-defined]
                 x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


# --------------------------------------------------------------------------- checks

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
                "parent": _breakdown_label("; ".join(f"{k}={v}" for k, v in parent_pairs)),
                "by": key, "published": float(g.loc[parent[0], "value"]),
                "sum_of_parts": float(g.loc[idx, "value"].sum()),
                "parts": " + ".join(_fmt_number(v) for v in g.loc[idx, "value"]),
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
            "Check": f"{prog}: {_measure_label(r.measure).lower()} ({r.parent}) by {r.by}",
            "Section": r.section, "Published": _fmt_number(r.published),
            "Computed from the data": f"{r.parts} = {_fmt_number(r.sum_of_parts)}",
            "Consistent": "yes" if r.published == r.sum_of_parts else "no", "Comment": "",
        })
    items = [value_of(df, "divert", m) for m in DIVERT_ITEMS]
    total = value_of(df, "divert", "positive_outcomes")
    recs.append({
        "Check": "DIVERT: positive outcomes against the eight itemised lines",
        "Section": "§7.1", "Published": _fmt_number(total),
        "Computed from the data": " + ".join(_fmt_number(v) for v in items)
        + f" = {_fmt_number(sum(items))}",
        "Consistent": "yes" if sum(items) == total else "no",
        "Comment": f"difference {_fmt_number(total - sum(items))}; the label says 'e.g.', so "
                   "other outcome types may be counted, and starred lines may include clients "
                   "referred in earlier quarters",
    })
    for (pid, measure), parts in REPORTED_BREAKDOWNS.items():
        total = value_of(df, pid, measure)
        s = sum(v for _, v, _, _ in parts)
        recs.append({
            "Check": f"{PROGRAMMES[pid].name}: {_measure_label(measure).lower()} against the "
                     "breakdown given in words",
            "Section": "§" + parts[0][3], "Published": _fmt_number(total),
            "Computed from the data": " + ".join(str(v) for _, v, _, _ in parts) + f" = {s}",
            "Consistent": "yes" if s == total else "no",
            "Comment": "the report adds a blade recovered from a 17-year-old not engaged with "
                       "the programme, which may be the missing one",
        })
    male = value_of(df, "ed_navigators", "percent_male", "sex=male")
    female = value_of(df, "ed_navigators", "percent_female", "sex=female")
    recs.append({
        "Check": "ED Navigators Box 1: male and female shares add to 100%", "Section": "§5.2",
        "Published": f"{_fmt_number(male)}% + {_fmt_number(female)}%",
        "Computed from the data": f"{_fmt_number(male + female)}%",
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
        "Published": f"at least {_fmt_number(alc)} alcohol, {_fmt_number(drg)} drugs, "
                     f"{_fmt_number(both)} both (of {_fmt_number(n)})",
        "Computed from the data": f"{_fmt_number(inside)} if 'both' is inside each figure "
                                  f"({_fmt_number(alc)} + {_fmt_number(drg)} − "
                                  f"{_fmt_number(both)}); {_fmt_number(outside)} if separate",
        "Consistent": "ambiguous",
        "Comment": "the report does not say which; both readings are at least figures",
    })
    kept = value_of(df, "preston_united", "mentors", "age=20+; sex=male")
    recruited = value_of(df, "preston_united", "mentors_recruited")
    recs.append({
        "Check": "Preston United: mentors in the engagement box against mentors recruited",
        "Section": "§6.2, §6.4", "Published": f"{_fmt_number(kept)} mentors; "
                                              f"{_fmt_number(recruited)} recruited",
        "Computed from the data": f"{_fmt_number(recruited)} − 1 who dropped out = "
                                  f"{_fmt_number(recruited - 1)}",
        "Consistent": "yes" if recruited - 1 == kept else "no",
        "Comment": "consistent once the drop-out reported in §6.4 is counted",
    })
    hours = value_of(df, "ed_navigators", "navigator_hours_per_week")
    funded = value_of(df, "ed_navigators", "lvrn_funded_hours")
    recs.append({
        "Check": "ED Navigators: hours funded by the LVRN against navigator hours",
        "Section": "§5.1, §5.2", "Published": f"{_fmt_number(hours)} hours a week; "
                                              f"'10 hours of resources' funded",
        "Computed from the data": f"{_fmt_number(funded)} of {_fmt_number(hours)} hours "
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
        "Published": f"{_fmt_number(contacts)} contacts in 2020/21; "
                     f"{_fmt_number(repeat)} of {_fmt_number(engaged)} engaged (period not "
                     "stated)",
        "Computed from the data": f"contacts in §{sec['contacts_children_young_people']} "
                                  "(engagement box); repeat attendance in "
                                  f"§{sec['engaged_with_repeat_ed_attendance']} (impact)",
        "Consistent": "yes" if sec["contacts_children_young_people"]
        != sec["engaged_with_repeat_ed_attendance"] else "no",
        "Comment": "often quoted together (this project's design notes cited both to §5.3); "
                   "the report does not say whether those who engaged are among the contacts",
    })
    return pd.DataFrame(recs)


# --------------------------------------------------------------------------- framework


def framework_links(framework: object) -> pd.DataFrame:
    """Programme → outcomes-framework indicator, with the kind of link.

    Parameters
    ----------
    framework
        An `lvrn_analysis.config.outcomes.OutcomesFramework`.

    Returns
    -------
    pandas.DataFrame
        ``Programme``, ``Indicator`` (id), ``Indicator name``, ``Data source``,
        ``Link`` and ``What is missing`` (on each programme's first row);
        programmes without an indicator get one row with ``Indicator`` "none".

    Raises
    ------
    KeyError
        If a programme names an indicator the framework does not have.
    """
    recs = []
    for p in PROGRAMMES.values():
        first = len(recs)
        for ind_id, how in p.framework:
            ind = framework.indicator(ind_id)  # type: ignore[attr-defined]
            src = framework.sources.get(ind.source, {})  # type: ignore[attr-defined]
            recs.append({"Programme": p.name, "Indicator": ind_id, "Indicator name": ind.name,
                         "Data source": src.get("name", ind.source), "Link": how,
                         "What is missing": ""})
        if not p.framework:
            recs.append({"Programme": p.name, "Indicator": "none", "Indicator name": "",
                         "Data source": "", "Link": "none", "What is missing": ""})
        recs[first]["What is missing"] = p.framework_gap
    return pd.DataFrame(recs)


def framework_gap_sentence(links: pd.DataFrame) -> str:
    """Summarise which programmes the framework cannot follow.

    Parameters
    ----------
    links
        Output of `framework_links()`.

    Returns
    -------
    str
        Markdown sentence.
    """
    gaps = links.loc[links["Indicator"] == "none", "Programme"].tolist()
    direct = links.loc[links["Link"].str.startswith("direct"), "Programme"].unique().tolist()
    return (f"**{len(gaps)} of {links['Programme'].nunique()} programmes** have no indicator in "
            f"the framework ({', '.join(gaps)}); each needs at least a process measure. Only "
            f"{len(direct)} ({' and '.join(direct)}) have an indicator measured on their own "
            "participants, and using it needs participants linked to ED or custody records and "
            "a comparison group.")


# --------------------------------------------------------------------------- ED comparison


def ed_repeat_followup(ed: pd.DataFrame, *, site: str = "RXL01",
                       periods: Sequence[tuple[str, str, str]] = (
                           ("2019/20", "2019-04-01", "2020-03-31"),
                           ("2020/21", "2020-04-01", "2021-03-31")),
                       ages: tuple[int, int] = (10, 25), window_days: int = 365,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Share of young ED attenders who attend the same ED again within a window.

    For each period, the *index* attendance of each person (``patient_pseudo_id``)
    is their first at ``site`` in the period, aged within ``ages``; the person
    has a repeat when they attend the same site again within ``window_days``
    after it (the same rule as `lvrn_analysis.sources.ed.flag_repeats()`,
    looking forward from the index). Wilson intervals as in `proportions()`.

    Parameters
    ----------
    ed
        ``ed_attendances`` processed table.
    site
        ED site code (default Blackpool Victoria Hospital, RXL01).
    periods
        ``(label, first day, last day)``.
    ages
        Inclusive age range at the index attendance.
    window_days
        Follow-up window.
    confidence
        Interval level.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``people`` and ``with_repeat`` (int64), ``percent``,
        ``lower_ci``, ``upper_ci``, ``followup_complete`` (whether the data run
        to the end of every follow-up window).

    Raises
    ------
    ValueError
        If the site has no attendances.
    """
    d = ed[(ed["ed_site"] == site) & ed["patient_pseudo_id"].notna()]
    if d.empty:
        raise ValueError(f"no ED attendances at site {site!r}")
    d = d.sort_values(["patient_pseudo_id", "arrival_datetime"], kind="stable")
    last = ed["arrival_datetime"].max()
    recs = []
    for label, start, end in periods:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        w = d[(d["arrival_datetime"] >= t0) & (d["arrival_datetime"] < t1)]
        idx = w.groupby("patient_pseudo_id", sort=True).head(1)
        idx = idx[idx["age"].between(ages[0], ages[1])]
        later = d.merge(idx[["patient_pseudo_id", "arrival_datetime"]], on="patient_pseudo_id",
                        suffixes=("", "_index"))
        gap = later["arrival_datetime"] - later["arrival_datetime_index"]
        hit = later[(gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=window_days))]
        recs.append({"period": label, "people": len(idx),
                     "with_repeat": int(hit["patient_pseudo_id"].nunique()),
                     "followup_complete": bool(t1 + pd.Timedelta(days=window_days) <= last)})
    out = pd.DataFrame(recs).astype({"people": "int64", "with_repeat": "int64"})
    p = proportion(out, "with_repeat", "people", multiplier=100, confidence=confidence)
    out["percent"] = p["value"].to_numpy()
    out["lower_ci"] = p["lower_ci"].to_numpy()
    out["upper_ci"] = p["upper_ci"].to_numpy()
    return out[["period", "people", "with_repeat", "percent", "lower_ci", "upper_ci",
                "followup_complete"]]


def ed_repeat_display(followup: pd.DataFrame, rounding: int = ROUNDING_BASE) -> pd.DataFrame:
    """Round `ed_repeat_followup()` for publication and recompute its shares.

    The counts are rounded to the nearest ``rounding`` (the project's rule for
    ED data, `lvrn_analysis.stats.disclosure`), and the percentage and its
    Wilson interval are recomputed **from the rounded counts**, so that no
    exact count can be worked back from a published share (OpenSAFELY:
    derive statistics from rounded counts).

    Parameters
    ----------
    followup
        Output of `ed_repeat_followup()`.
    rounding
        Rounding base.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``people aged 10-25``, ``with a repeat within 12 months``
        (rounded, int64), ``percent``, ``lower_ci``, ``upper_ci`` (one decimal).
    """
    people = round_to_base(followup["people"].to_numpy(), rounding).astype("int64")
    reps = round_to_base(followup["with_repeat"].to_numpy(), rounding).astype("int64")
    p = proportion(pd.DataFrame({"x": reps, "n": np.maximum(people, 1)}), multiplier=100)
    return pd.DataFrame({
        "period": followup["period"].to_numpy(), "people aged 10-25": people,
        "with a repeat within 12 months": reps,
        "percent": round_half_up(p["value"]), "lower_ci": round_half_up(p["lower_ci"]),
        "upper_ci": round_half_up(p["upper_ci"]),
    })


def proportion_sentence(df: pd.DataFrame) -> str:
    """Write the ED Navigators' repeat-attendance figure with its interval, in words.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown sentence.
    """
    x = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance")
    n = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance", denominator=True)
    p = proportion(pd.DataFrame({"x": [x], "n": [n]}), multiplier=100)
    v, lo, up = (float(p[c].iloc[0]) for c in ("value", "lower_ci", "upper_ci"))
    return (f"**{_fmt_number(x)} of {_fmt_number(n)}** young people who engaged with the ED "
            f"Navigators had a repeat ED attendance afterwards (§5.3): "
            f"**{fmt_interval(v, lo, up)}**, Wilson 95% interval. With {_fmt_number(n)} people "
            f"the data are consistent with a true share anywhere from {lo:.1f}% to {up:.1f}%; "
            "even a comparison group measured without error would have to lie outside that "
            "range for a difference to be clear.")


def ed_repeat_sentence(display: pd.DataFrame, df: pd.DataFrame) -> str:
    """Compare the synthetic ED repeat share with the navigators' figure, honestly.

    Parameters
    ----------
    display
        Output of `ed_repeat_display()` (rounded counts, shares recomputed
        from them), so that the sentence quotes what the table shows.
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown paragraph.
    """
    parts = [f"{per}: about {fmt_interval(v, lo, up)}" for per, v, lo, up in
             zip(display["period"], display["percent"], display["lower_ci"],
                 display["upper_ci"], strict=True)]
    x = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance")
    n = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance", denominator=True)
    return ("In the **synthetic** ED data, the share of people aged 10–25 attending Blackpool "
            "Victoria after an assault who attended again within 12 months was "
            + "; ".join(parts) + f". The navigators' {_fmt_number(x)} of {_fmt_number(n)} "
            "looks low beside these, but the comparison is not like for like: the synthetic "
            "data are invented (calibrated to published facts, with a fall in repeats built "
            "in from April 2020), they count every young attender rather than those who "
            "chose to engage, the navigators' follow-up period is not stated, and a real "
            "comparison would need the engaged cohort linked to ED records and a comparable "
            "group who were not seen.")
