"""Write notebooks/04-interventions.ipynb (cells only; `lvrn site` or site.execute_notebook runs it)."""

from nbgen import NotebookWriter

from lvrn_analysis.interventions import PROGRAMMES

nbw = NotebookWriter(
    title="Interventions: what the LVRN funded and what its monitoring shows",
    subtitle="WHO public-health approach, step 3: develop and evaluate interventions",
)
md, code = nbw.md, nbw.code
md("""
The WHO public-health approach to violence moves from defining the problem (step 1) and its
risk and protective factors (step 2) to **developing and evaluating interventions** (step 3)
and scaling up what works (step 4). The LVRN evaluation report (June 2021) places its work
programme at step 3: the needs assessment "has been used to inform the development of the LVRN
strategy" and its workstreams for 2020–25 (§2.3, *Implementing effective interventions, and
monitoring and evaluating their impact*).

This page asks, for each programme: **what is it, what did its monitoring count, how is it
supposed to work, and which outcome in the outcomes framework should it move?** Every figure
is quoted from the report with its section number; every sum, share and interval below is
computed by the `lvrn_analysis` package from the monitoring table when the page is built.
""")
code("""
from lvrn_analysis import interventions
from lvrn_analysis import notebook as nb
from lvrn_analysis.outcomes import load_framework
from lvrn_analysis.processed import read_table

nb.quiet()
monitoring = read_table("programme_monitoring")
ed = read_table("ed_attendances")
framework = load_framework()
nb.banner(["programme_monitoring", "ed_attendances"])
""")
md("""
Only one part of this page uses synthetic data: the comparison with emergency-department
records in the ED Navigator section, which is labelled as such. Everything else is the
real, published monitoring.

## How to read the figures

**They are published figures, shown as published.** Programme figures that a VRU has already
published are exempt from the project's disclosure control (source `programme_figures`), so
they are neither suppressed nor rounded. That includes small numbers about individuals, such
as "4 of 122" young people with a repeat ED attendance or "11 under 18" among the women and
girls Empower the Invisible engaged: they are already public in the report, and they are
aggregates, not records. Tables on this page say which rule applied to them.
""")
code("""
nb.md(interventions.monitoring_overview(monitoring))
""")
md("""
**Monitoring counts activity, not impact.** Most figures are *outputs*: people contacted,
referrals, staff trained. Where a figure is a proportion ("x of n") we give a 95% interval
(Wilson's score method, which behaves well for small *n* and shares near 0% or 100%), but an
interval only describes the play of chance in *n* people. It says nothing about the two bigger
problems of a proportion with **no comparison group**:

* **no counterfactual**: we do not know what share of similar people would have had the same
  outcome without the programme;
* **selection into engagement**: the people who agree to engage, and stay engaged, differ from
  those who do not (in motivation, in need, in being reachable), so their outcomes would differ
  anyway.

Programmes also report over different periods ("to October 2020", "Q4 2020/21", "to report
date") and in different units, so their figures should not be ranked against each other.

## Reach of the programmes
""")
code("""
reach = interventions.reach_table(monitoring)
nb.figure(interventions.reach_figure(reach), "interventions-reach")
nb.table(interventions.reach_display(reach), name="interventions-reach",
         source="programme_figures", count_cols=["Number"],
         caption="Reach of each programme as published in the LVRN evaluation report (2021), "
                 "by unit; trauma-informed training adds its two published groups.")
""")
md("""
## Every "x of n" figure, with its interval

*Kind* says what the proportion describes: an **outcome** of the people engaged, a **process**
measure, or the **profile** of a group (who the programme reached). For profile shares the
interval is of limited use: it treats the group as a sample from the programme's wider intake.
""")
code("""
props = interventions.proportions(monitoring)
nb.table(interventions.proportions_display(props), name="interventions-proportions",
         source="programme_figures", count_cols=["x", "n"],
         caption="Published 'x of n' figures with Wilson 95% intervals. Box 1 percentages are "
                 "turned back into whole counts of 32; influencing factors are 'at least' "
                 "figures, so their x is a lower bound.")
""")

SECTIONS = {
    "ed_navigators": "ED Navigator scheme",
    "divert": "DIVERT Lancashire",
    "empower_the_invisible": "Empower the Invisible",
    "preston_united": "Preston United",
    "caring_dads": "Caring Dads Safer Children",
    "epec": "Empowering Parents Empowering Communities (EPEC)",
    "trauma_informed_training": "Trauma-informed practice training",
    "prisoners_families": "Prisoners and prisoners' families",
    "operation_encompass": "Operation Encompass",
    "exploitation": "Exploitation and family support",
}
assert set(SECTIONS) == set(PROGRAMMES), "every programme needs a section"
md("""
## The programmes

Each section gives what the programme is (paraphrased from the report), its published figures
and a **logic model**: inputs → activities → outputs → outcomes. The report's own logic models
(its Figures 3–5) are images that are not reproduced in its text, so these diagrams are our
reconstruction from the report's description; their outputs are filled in from the monitoring
table when the page is built.
""")
for pid, title in SECTIONS.items():
    md(f"### {title}")
    code(f"""
pid = "{pid}"
nb.md(interventions.programme_intro(pid))
nb.table(interventions.programme_figures(monitoring, pid), name=f"interventions-{{pid}}",
         source="programme_figures", count_cols=[],
         caption=interventions.figures_caption(pid))
nb.md(interventions.logic_model_markdown(monitoring, pid))
""")
    if pid == "ed_navigators":
        md("""
#### The repeat-attendance figure

The report's only figure for any programme that follows participants up after they engaged
(§5.3):
""")
        code("""
nb.md(interventions.proportion_sentence(monitoring))
""")
        md("""
What would the share have been without the scheme? Real ED records cannot be shipped with this
project, so the comparison below is made on the project's **synthetic** ED data (TIIG-style
records generated for Blackpool Victoria Hospital and the other Lancashire EDs): for people
aged 10–25, the share whose first assault attendance in a year was followed by another at the
same ED within 12 months. It shows the calculation a real evaluation would make; its numbers
are not findings.
""")
        code("""
repeats = interventions.ed_repeat_display(interventions.ed_repeat_followup(ed))
nb.table(repeats, name="interventions-ed-repeat-synthetic",
         source="ed_attendances",
         count_cols=["people aged 10-25", "with a repeat within 12 months"],
         derived_cols={c: ["with a repeat within 12 months", "people aged 10-25"]
                       for c in ("percent", "lower_ci", "upper_ci")},
         caption="SYNTHETIC DATA: people aged 10-25 attending Blackpool Victoria Hospital ED "
                 "after an assault, and those attending again within 12 months of their first "
                 "attendance in the year. Counts rounded to the nearest 5; shares and Wilson "
                 "95% intervals computed from the rounded counts.")
nb.md(interventions.ed_repeat_sentence(repeats, monitoring))
""")
md("""
### Working with communities: the Youth Commission
""")
code("""
nb.md(interventions.youth_commission_sentence(monitoring))
""")
md("""
## How the programmes link to the outcomes framework

The project's outcomes framework (a **proposal**, built from the Home Office Violence Reduction
Unit success measures and LVRN priorities; see the Impact page) lists the indicators on which
the LVRN's impact would be judged. Two kinds of link matter:

* **direct**: the indicator is measured on the programme's own participants, as in re-entry to
  custody after DIVERT. Only such indicators can show a programme's own effect, and only with
  a comparison group;
* **contributory**: the indicator counts a whole population (admissions, recorded crime), to
  which a programme reaching a few dozen people can contribute only a little, alongside
  everything else that moves violence.
""")
code("""
links = interventions.framework_links(framework)
nb.table(links, name="interventions-framework-links", source="outcomes_framework", count_cols=[],
         caption="Programme to outcomes-framework indicator (framework status: "
                 f"{framework.status}). 'none' marks a programme the framework cannot yet "
                 "follow.")
nb.md(interventions.framework_gap_sentence(links))
""")
md("""
## Discrepancies in the published figures

Checking each total against its parts, from the data rather than by eye:
""")
code("""
checks = interventions.consistency_checks(monitoring)
nb.table(checks, name="interventions-consistency-checks", source="programme_figures",
         count_cols=[],
         caption="Published totals against their parts, and ambiguities in the report's "
                 "figures, computed from the monitoring table.")
nb.md(interventions.consistency_sentence(checks))
""")
md("""
None of these changes the story, but they matter for anyone re-using the figures: a total that
is more than the sum of its listed parts needs a footnote saying what else it counts, and an "at
least" figure cannot be used as a numerator without saying so. Programme returns designed as
data (one row per measure, with definitions and periods) avoid most of them.

## What these figures can and cannot show

**They can** show that the programmes were delivered and reached people during a pandemic that
closed custody suites and moved ED work to the telephone (§5.4, §7.4): hundreds of young people
contacted in the ED, dozens in custody and on the streets of Preston, hundreds of staff and
schools trained. They can also show *who* was reached, and whether a programme reached its
intended group.

**They cannot** show impact. There is no comparison group for any figure, the periods are short
and differ, the one outcome figure ("4 of 122") has no stated follow-up period, and outcomes
such as DIVERT's "positive outcomes" are counts of activity that may include clients from
earlier quarters. The report says as much: "at this stage ... there is currently less
information around the individual impacts for the children/young people and communities" (§8),
and it recommends embedding programme monitoring and evaluation in every LVRN-funded activity
and using the outcomes framework to "narrate the short, and in due course long-term impacts"
(§8).

What would move these programmes from monitoring to evaluation, in order of effort:

1. **Define each figure**: its period, its denominator and what counts (e.g. what DIVERT calls a
   positive outcome, when a case is closed).
2. **Follow people up**: repeat ED attendance or re-entry to custody within a fixed window for
   *everyone* offered the programme, engaged or not.
3. **Find a comparison**: similar young people at another ED or custody suite, or before the
   programme started, with the comparison chosen before looking at the results. Population
   series (the Impact page) can add context but cannot attribute a change to one programme.

## Sources

* Liverpool John Moores University (2021). *Lancashire Violence Reduction Network: evaluation,
  final report* (June 2021): §2.3 (workstreams, Caring Dads Safer Children, EPEC, trauma-
  informed training, Operation Encompass, prisoners' families, exploitation work, Youth
  Commission; Figure 2), §3.2 (Operation Encompass, interviewee account), §4 (Empower the
  Invisible), §5 (ED Navigators, Box 1), §6 (Preston United), §7 (DIVERT), §8 (key learning).
  Programme figures are quoted from the report in the project's cited table
  (`reference/programmes/programme_monitoring.csv`).
* Outcomes framework: the project's proposal (`reference/outcomes_framework_lancashire.yml`),
  after Home Office (2020), *Violence Reduction Units: interim guidance and programme success
  measures*.
* Synthetic ED attendances: generated by `lvrn_analysis.sources.ed` in the TIIG format,
  calibrated to published facts (including Box 1). **Not real figures.**
* Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
  *Journal of the American Statistical Association* 22:209–212. Newcombe RG (1998). Two-sided
  confidence intervals for the single proportion: comparison of seven methods. *Statistics in
  Medicine* 17:857–872.
* Krug EG et al. (2002). *World report on violence and health*. Geneva: World Health
  Organization (the public-health approach).
""")

nbw.write("notebooks/04-interventions.ipynb")
