"""Write notebooks/03-causes.ipynb (cells only; `lvrn site` or site.execute_notebook runs it)."""

from nbgen import NotebookWriter

nbw = NotebookWriter(
    title="Causes of the causes: risk and protective factors",
    subtitle="WHO public-health approach, step 2: identify risk and protective factors",
)
md, code = nbw.md, nbw.code
md("""
This page asks: **which risk and protective factors go with violence in pan-Lancashire, and how
strongly?** The LVRN's needs assessment answered the first half with a profile of Fingertips
indicators; its "causes of the causes" finding named poor school attendance and attainment,
exclusions, poor emotional and mental health and high levels of young people not in education,
employment or training (NEET) (LVRN evaluation report 2021, §2.3, Table 1). Partners described
tackling the *"causes of the causes"* as the shared ambition of the network (§3.3), and the
report recommends identifying *"the underlying factors that contribute to exposure to
violence ('causes of the causes') and/or protect people from harm"* (§8).

The page has two parts: a **profile** of the curated indicators for each authority against
England, and a **model** of how strongly violence tracks a risk factor across the authorities.
Every number below is computed by the `lvrn_analysis` package from the data when the page is
built.
""")
code("""
import json

from lvrn_analysis import causes, plots, profile
from lvrn_analysis import notebook as nb
from lvrn_analysis.config import load_area
from lvrn_analysis.geography import local_authorities
from lvrn_analysis.processed import manifest, processed_dir, read_table
from lvrn_analysis.sources.fingertips import curated_indicators

nb.quiet()
area = load_area(manifest()["area"]["id"])
authorities = local_authorities(area)
fingertips = read_table("fingertips")
imd = read_table("imd2019")
ks4 = read_table("ks4_by_la")
counts = read_table("police_street")
months = read_table("police_street_months")
truth = json.loads((processed_dir() / "ground_truth.json").read_text(encoding="utf-8"))
nb.banner(["police_street", "imd2019", "fingertips", "ks4_by_la"])
""")
md("""
**What is real here.** The association model in part 2 uses **real** data: the data.police.uk
street-level crime for Lancashire, ONS populations and the published IMD 2019 scores. The
Fingertips profile in part 1 and the illustration at the end of part 2 use a **synthetic**
Fingertips export in the real format (only its IMD 2019 scores are real): the methods are the
ones to use on a real export, but those values are not findings about Lancashire.

## Which geography?

Models of risk factors should use the finest geography at which *both* the outcome and the risk
factors exist. Police records are placed in LSOAs (about 1,500 residents each), but in this
build the risk factors exist only for whole local authorities:
""")
code("""
nb.table(causes.geography_table(), name="causes-geography", source="data_inventory",
         count_cols=[], caption="Finest geography of each input in this build.")
""")
code("""
start, end = profile.latest_complete_window(months, n=12)
period = profile.fmt_period(start, end)
n_lsoas = causes.count_lsoas(counts, start, end)
nb.md(f"So the unit of analysis is the **local authority**: {len(authorities)} of them. With "
      "LSOA-level IMD scores and populations, the same model functions would fit at LSOA level "
      f"({n_lsoas:,} LSOAs have police records in {period}).")
""")
md("""

## Part 1. The profile: each authority against England

A **spine chart**, as in OHID's Public Health Profiles, shows one authority's value of each
indicator against England. For each indicator the spine is centred on England's value (black
line); the grey bar spans the range of the comparator areas, with their middle half (25th to
75th percentile) darker;
**worse values are always on the left, better on the right**, whichever way round the indicator
runs (Attainment 8 is a *protective* factor: higher is better). The dot is coloured by
Fingertips' comparison with England: *worse* or *better* when the authority's 95% confidence
interval lies wholly on one side of England's value, otherwise *similar*.
""")
code("""
values = causes.indicator_values(fingertips, curated_indicators(), authorities)
check = causes.interval_check(values)
filled = causes.fill_intervals(values)
compared = causes.compare_with_england(filled)
spine = causes.spine_data(compared)
nb.md(causes.interval_sentence(check, filled))
nb.md(f"The grey bars span {spine['range_basis'].iloc[0]}.")
""")
code("""
ft_source = plots.source_line(
    ["Fingertips (OHID) indicator export format with synthetic values; IMD 2019 scores real "
     "(MHCLG, OGL v3.0)"], synthetic=True)
for name in ["Blackpool", "Preston", "Ribble Valley"]:
    nb.figure(causes.spine_chart(spine, name, source=ft_source), f"causes-spine-{name}")
    nb.md(causes.spine_sentence(spine, name))
""")
md("""
### All authorities at a glance

The same comparisons for every authority: one row per authority (those worse than England on
most indicators first), one column per indicator, coloured as the spine-chart dots. The IMD
score has no confidence interval and is not compared.
""")
code("""
nb.figure(causes.comparison_grid_figure(
    spine, source=ft_source,
    title="Risk and protective factors by authority, compared with England"),
    "causes-comparison-grid")
nb.table(causes.comparison_table(spine, compared), name="causes-comparison-table",
         source="fingertips", count_cols=[],
         caption="Latest value of each indicator and its comparison with England at 95% "
                 "(SYNTHETIC Fingertips values; IMD 2019 scores real).")
""")
md("""
## Part 2. How strongly does violence track deprivation?

### The model

For each authority *i*, the number of violence and sexual offences recorded by the police in
the latest 12 complete months, *Y<sub>i</sub>*, is modelled by a **negative binomial
regression** with the authority's person-years as an offset:

log E[*Y<sub>i</sub>*] = log(person-years<sub>*i*</sub>) + *b*<sub>0</sub> +
*b*<sub>1</sub> *z<sub>i</sub>*, &nbsp; Var[*Y<sub>i</sub>*] = μ<sub>*i*</sub> +
α μ<sub>*i*</sub><sup>2</sup>

where *z<sub>i</sub>* is the risk factor standardised across the 14 authorities (mean 0, SD
1), so exp(*b*<sub>1</sub>) is the **rate ratio per 1 SD**. The dispersion α, estimated by
maximum likelihood with the coefficients, absorbs the between-authority variation that the
risk factor does not explain; a Poisson model, which assumes α = 0, would give intervals far
too narrow for counts in the thousands. With only 14 authorities each model carries **one
risk factor**, and each factor is shown separately.
""")
code("""
rates = profile.rates_by_authority(counts, months, area, start=start, end=end)
mid_year = int(rates["mid_year"].iloc[0])
model_data = causes.real_model_data(rates, imd)
fit = causes.fit_nb(model_data, count="count", exposure="person_years",
                    predictors=["imd_score"])
loo = causes.leave_one_out(model_data, count="count", exposure="person_years",
                           predictor="imd_score")
nb.md(causes.headline_sentence(fit, model_data, loo, period=period))
""")
code("""
nb.md(causes.coverage_sentence(causes.interval_coverage(model_data, fit, n_sims=200), fit))
""")
code("""
real_source = plots.source_line(
    ["data.police.uk street-level crime (OGL v3.0)", f"ONS mid-{mid_year} population "
     "estimates (OGL v3.0)", "English Indices of Deprivation 2019 (MHCLG, OGL v3.0)"],
    synthetic=False)
nb.figure(causes.scatter_figure(
    model_data, fit, source=real_source,
    title=f"Violence and sexual offences against deprivation, {fit.n} authorities, {period}"),
    "causes-violence-vs-imd")
""")
code("""
nb.table(causes.model_data_display(model_data), name="causes-model-data",
         source="data.police.uk", count_cols=["count"],
         derived_cols={"rate": "count", "lower_ci": "count", "upper_ci": "count"},
         caption=f"Model data: violence and sexual offences, {period}, person-years at risk "
                 f"(ONS mid-{mid_year}), rate per 1,000 per year with 95% interval (Byar's "
                 "method), and IMD 2019 average score; most deprived first.")
""")
md("""
### Which parts of deprivation?

The IMD 2019 score combines seven domains. Each is entered on its own (one model per domain).
The crime domain is left out on purpose: it is built partly from recorded violence, so it
would "explain" violence with itself.
""")
code("""
domains = causes.univariable_table(model_data, causes.DOMAINS, count="count",
                                   exposure="person_years")
nb.figure(causes.forest_figure(
    domains, source=real_source,
    title=f"Violence and sexual offences: rate ratio per 1 SD of each deprivation measure, "
          f"{period}"),
    "causes-forest-imd-domains")
nb.table(causes.model_table(domains), name="causes-imd-domains", source="data.police.uk",
         count_cols=[],
         caption="Univariable negative binomial models of police-recorded violence and sexual "
                 f"offences (real data), one per deprivation measure, {fit.n} authorities; 95% Wald "
                 "intervals. '1 SD =' is the standard deviation across the authorities in the "
                 "measure's own units.")
""")
code("""
nb.md(causes.domains_sentence(domains))
""")
md("""
### Where is violence higher or lower than deprivation predicts?

The model's expected count for each authority, given its deprivation, against what was
recorded:
""")
code("""
residuals = causes.residual_table(model_data, fit)
nb.table(causes.residual_display(residuals), name="causes-residuals", source="data.police.uk",
         count_cols=["observed"],
         caption=f"Violence and sexual offences, {period}: recorded against expected from the "
                 "IMD 2019 model (real data), highest ratio first.")
""")
md("""
### Illustration on synthetic data: does the method find a known association?
""")
code("""
ft_truth = causes.fingertips_truth(truth)
nb.md(causes.truth_sentence(ft_truth))
""")
md("""
The outcome here is the synthetic violence-offences count summed over its financial years; each
risk factor is the authority's mean over the years published. First, each factor alone:
""")
code("""
ft_data = causes.fingertips_model_data(fingertips, authorities, ks4)
ft_uni = causes.univariable_table(ft_data, causes.FINGERTIPS_FACTOR_LABELS, count="count",
                                  exposure="person_years")
nb.table(causes.model_table(ft_uni), name="causes-synthetic-univariable",
         source="fingertips", count_cols=[],
         caption="SYNTHETIC illustration: univariable negative binomial models of the "
                 "synthetic violence offences indicator (11202), one per risk factor, "
                 f"{len(ft_data)} authorities.")
""")
code("""
adjusted = causes.fit_nb(ft_data, count="count", exposure="person_years",
                         predictors=["imd_score", "neet"])
recovery = causes.recovery_table(adjusted, ft_truth)
uni_text, recovery_text = causes.synthetic_sentences(ft_uni, recovery)
nb.md(uni_text)
""")
md("""
Entering deprivation and NEET together (two predictors, the most that 14 units can carry)
should recover the two coefficients that were built into the data:
""")
code("""
nb.table(causes.recovery_display(recovery), name="causes-synthetic-recovery",
         source="fingertips", count_cols=[],
         caption="SYNTHETIC illustration: two-predictor negative binomial model against the "
                 "generator's true rate ratios per 1 SD (ground_truth.json).")
""")
code("""
nb.md(recovery_text)
""")
md("""
## Caveats: what ecological models can and cannot show
""")
code("""
nb.md(causes.caveats_markdown(fit, ft_data, n_lsoas=n_lsoas))
""")
md("""
## What this tells us
""")
code("""
nb.md(causes.narrative_markdown(fit, residuals, ft_uni, recovery, spine))
""")
md("""
### References

* Robinson WS (1950). Ecological correlations and the behavior of individuals. *American
  Sociological Review* 15(3):351-357.
* Morgenstern H (1995). Ecologic studies in epidemiology: concepts, principles, and methods.
  *Annual Review of Public Health* 16:61-81.
* Openshaw S (1984). *The modifiable areal unit problem*. Concepts and Techniques in Modern
  Geography 38. Norwich: Geo Books.
* Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd edition. Cambridge
  University Press (negative binomial NB2 model, §3.3).
* Eayres D (2008). *Technical Briefing 3: Commonly used public health statistics and their
  confidence intervals*. Association of Public Health Observatories (interval methods and the
  comparison with a benchmark).
* Public Health England / OHID. Fingertips Public Health Profiles: spine chart and
  benchmarking conventions (<https://fingertips.phe.org.uk/>).

## Sources

* Police street-level crime: [data.police.uk](https://data.police.uk/), Lancashire
  Constabulary, the latest 12 complete months of the shipped extract. Contains public sector
  information licensed under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
* English Indices of Deprivation 2019, local authority district summaries (average score and
  domain scores), Ministry of Housing, Communities and Local Government, OGL v3.0.
* Populations: ONS mid-year population estimates (Nomis dataset NM_2002_1), OGL v3.0.
* Fingertips indicators (OHID, formerly Public Health England): **synthetic** values in the
  real export format, generated by `lvrn_analysis.sources.fingertips` with the association
  recorded in the build's `ground_truth.json`; real Fingertips exports are © Crown copyright,
  OGL v3.0. Indicator IDs and names follow the project's curated list, to be checked against
  the Fingertips API.
* DfE key stage 4 school performance tables: **synthetic** values in the real format
  (real tables: OGL v3.0).
* Lancashire Violence Reduction Network evaluation, final report (June 2021): §2.3 (the
  strategic needs assessment and Table 1, "Causes of the causes: risk factors for serious
  violence"), §3.3 ("causes of the causes" as the network's shared ambition), §8
  (recommendation to identify the underlying factors).
""")

nbw.write("notebooks/03-causes.ipynb")
