"""The LVRN programmes of the Interventions page, as data.

`PROGRAMMES` holds each programme or workstream of the LVRN evaluation report
(Liverpool John Moores University, June 2021): which rows of the processed table
``programme_monitoring`` (`lvrn_analysis.sources.programmes`) are its figures, its
logic model (inputs → activities → outputs → outcomes, whose phrases carry
``{measure}`` placeholders filled from the figures by
`lvrn_analysis.story.interventions.monitoring.fill()`), and its links to the
outcomes framework. What each programme is, in words, is written in the notebook
``notebooks/03-interventions.ipynb``.

The logic models are **our reconstruction** from the report text: the report's
own logic-model figures (Figures 3–5) are images not reproduced in its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
        filled from the monitoring figures by
        `lvrn_analysis.story.interventions.monitoring.fill()` (``+`` inside the
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
             "2020/21", "June 2020 (Box 1): contact attempted with {contact_attempted} of "
             "the {attendances} attendances in the caseload",
             "{engaged_with_repeat_ed_attendance.denominator} young people engaged (§5.3)"],
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

#: Monitoring entries (``programme_id`` of ``programme_monitoring``) that the page does
#: not follow as a programme: ``(short name, why)``, the reason in words that follow
#: "being" or "it is".
NOT_PROGRAMMES: Mapping[str, tuple[str, str]] = {
    "youth_commission": ("the Youth Commission",
                         "a way of working with communities rather than an intervention "
                         "with outcomes of its own"),
}


def programme_scope(monitoring_names: Mapping[str, str]) -> dict[str, list[str]]:
    """Say how the report's monitoring entries map onto the page's programmes.

    Parameters
    ----------
    monitoring_names
        ``{programme_id: name}`` of the monitoring table's entries (without the
        needs-assessment facts).

    Returns
    -------
    dict
        ``"merged"``: one clause per page programme that takes several entries
        together (e.g. "Exploitation work (Blackpool) and Engage team (Blackburn
        with Darwen) are taken together as Exploitation and family support");
        ``"apart"``: one clause per entry not followed as a programme, with its
        reason from `NOT_PROGRAMMES`; ``"unplaced"``: names of entries that are in
        neither (should be empty; a test checks it).
    """
    placed = {m for p in PROGRAMMES.values() for m in p.monitoring_ids}
    merged = [" and ".join(monitoring_names.get(m, m) for m in p.monitoring_ids)
              + f" are taken together as {p.name}"
              for p in PROGRAMMES.values() if len(p.monitoring_ids) > 1]
    apart = [f"the {monitoring_names[m]} is described on its own, being {why}"
             for m, (_, why) in NOT_PROGRAMMES.items() if m in monitoring_names]
    unplaced = sorted(n for m, n in monitoring_names.items()
                      if m not in placed and m not in NOT_PROGRAMMES)
    return {"merged": merged, "apart": apart, "unplaced": unplaced}
