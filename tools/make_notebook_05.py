"""Write notebooks/05-impact.ipynb (cells only; `lvrn site` or site.execute_notebook runs it)."""

from nbgen import NotebookWriter

nbw = NotebookWriter(
    title="Impact: interrupted time series against the outcomes framework",
    subtitle="WHO public-health approach, step 3: evaluate what was done",
)
md, code = nbw.md, nbw.code
md("""
This page asks: **after the LVRN went live, did recorded violence fall by more than it would
have done anyway?** It uses *interrupted time-series* (ITS) regression: a model learns each
series' level, trend and seasonal pattern before go-live, projects them forward as the
*counterfactual* (what would probably have happened without the intervention), and measures how
far the observed series departs from it. Every number below is computed by the `lvrn_analysis`
package from the data when the page is built.
""")
code("""
from lvrn_analysis import impact
from lvrn_analysis import notebook as nb
from lvrn_analysis.config import load_area
from lvrn_analysis.outcomes import load_framework
from lvrn_analysis.processed import manifest, read_table

nb.quiet()
area = load_area(manifest()["area"]["id"])
framework = load_framework()
truth = impact.load_ground_truth()
real = read_table("police_street")
real_months = read_table("police_street_months")
synthetic = read_table("police_street_synthetic")
synthetic_months = read_table("police_street_synthetic_months")
nb.banner(["police_street_synthetic"])
""")
md("""
## Why this page uses synthetic data

An ITS needs a long, unbroken run of months before go-live (ideally two years or more, so that
trend and season can be told apart) and enough months after it. The real data.police.uk
extract shipped with the project does not have that:
""")
code("""
nb.md(impact.real_series_refusal(real, real_months, area, truth, framework))
""")
md("""
So the methods are shown and tested on a **synthetic** street-level series in exactly the
data.police.uk format, calibrated to the real Lancashire months (level, crime mix, authority
shares, lockdown dips) and generated with a **known injected effect**:
""")
code("""
series = impact.build_framework_series(synthetic, synthetic_months, area, framework)
nb.md(impact.truth_description(series, truth, framework))
""")
md("""
Each series counts the offences placed in one authority; records without a location cannot be
placed and are left out. Rates use the ONS mid-year population estimate nearest to each month
(an offset in the model), so population change is not mistaken for a change in violence.
""")
md("""
## The outcomes framework

The shipped outcomes framework is a **proposal** (its go-live date, October 2019, is a
placeholder to be confirmed with the LVRN). It lists each outcome, the indicator that measures
it, the data source and the *polarity*: whether a fall is good news. Indicators whose data are
not in this build are listed as not evaluated rather than dropped.
""")
code("""
results = impact.attach_truth(impact.evaluate(series, framework), truth, framework)
nb.table(impact.indicator_overview(results, framework), name="impact-framework-indicators",
         source="outcomes_framework", count_cols=[],
         caption="Outcomes framework indicators and whether this build can evaluate them.")
""")
md("""
### Verdicts by authority

For each authority the model estimates the *level change* at go-live as a rate ratio (0.85 = a
15% fall). The verdict is polarity-aware: *improved* when the 95% interval lies wholly on the
good side of 1, *worsened* when it lies wholly on the bad side, otherwise *no detectable change*,
with the minimum detectable effect (MDE: the smallest change the series could have detected
with 80% power). The model is quasi-Poisson segmented regression with a level and a slope
change at go-live, two pairs of seasonal (Fourier) terms, the share of each month in a national
lockdown as covariates and a population offset (Lopez Bernal, Cummins & Gasparrini 2017). The
last two columns compare each verdict with the known truth.
""")
code("""
verdicts = impact.framework_table(results, framework)
nb.table(verdicts, name="impact-framework-verdicts",
         source=impact.SYNTHETIC_TABLE_SOURCE, count_cols=[],
         caption="Level change in violence and sexual offences at go-live, by authority "
                 f"(synthetic data). p (Holm) adjusts for testing {len(verdicts)} authorities. "
                 "Overdispersion is expected in police counts and is allowed for by the "
                 "quasi-Poisson model.")
""")
code("""
nb.md(impact.ground_truth_sentence(results))
""")
md("""
**A note on multiple testing.** Each authority is a separate test at the 5% level, so even if
nothing happened anywhere about one in twenty authorities would be flagged by chance. The
framework table therefore also shows Holm's adjusted p-values (Holm 1979), which keep the
chance of *any* false alarm across all the authorities at 5%. A single flagged authority among
many, with an adjusted p-value above 0.05, should be read as a prompt to look closer, not as a
finding.
""")
md("""
## Does the model matter? Three designs against the truth

We report three designs side by side rather than only the one that does best against the
truth: the framework's default (a level change only), the primary model above (level and slope
change), and a *controlled* ITS in which each authority is compared with the other authorities
(Lopez Bernal, Cummins & Gasparrini 2018).
""")
code("""
designs = impact.compare_designs(series, truth, framework)
nb.table(impact.design_table(designs), name="impact-design-comparison",
         source=impact.SYNTHETIC_TABLE_SOURCE, count_cols=[],
         caption="Three ITS designs checked against the injected truth (synthetic data).")
nb.figure(impact.design_figure(designs), "impact-designs-by-authority")
""")
code("""
nb.md(impact.design_sentence(designs))
""")
md("""
In the interest of candour: the level-and-slope model was made the primary model of this page
*after* the framework's level-only default was seen to fail against the truth. With real data
there is no truth to check against, which is why the choice of design has to be argued and
registered in advance, and its sensitivity reported.

## Counterfactuals and offences averted

Three series are shown in detail: the authority with the injected change, the pan-Lancashire
total, and the largest authority where nothing was injected. The grey dashed line is the
counterfactual without any change at go-live (neither the step nor the slope change); the
green dotted line removes only the step and keeps the slope change.
""")
code("""
keys = impact.key_series(series, truth, framework, area)
fits = {key: impact.fit_key(series, key) for key in keys}
for key, fit in fits.items():
    nb.figure(impact.counterfactual_figure(fit, key), f"impact-counterfactual-{key.slug}")
""")
code("""
nb.table(impact.averted_table(fits), name="impact-averted", source=impact.SYNTHETIC_TABLE_SOURCE,
         count_cols=["observed"],
         caption="Offences after go-live: observed, and averted (counterfactual minus fitted, "
                 "95% intervals from 2,000 coefficient draws) with and without the slope "
                 "change (synthetic data).")
nb.md(impact.averted_sentence(fits))
""")
md("""
The slope change soaks up everything that bent the trend after go-live, including the end of
the recording rise; projecting it forward for years can turn that into "averted" offences
where nothing happened (compare the untouched authority). Averted counts are only as good as
the counterfactual: the further it is projected, the more it rests on assumption.

## Robustness

### In-time placebo test

If the model is sound, pretending that the intervention started at some earlier date should
find nothing. Each placebo refits the model to the months before the real go-live with a
fake go-live date.
""")
code("""
treated = keys[0]
placebo = impact.placebo(series, treated)
nb.figure(impact.placebo_figure(placebo, treated), f"impact-placebo-{treated.slug}")
nb.md(impact.placebo_sentence(placebo, treated))
""")
md("""
### Sensitivity to seasonality and lockdowns

The same series refitted with 0 to 3 pairs of seasonal terms and with lockdown months ignored,
modelled as covariates, or left out of the fit.
""")
code("""
sens = impact.sensitivity_table(series, treated)
nb.table(impact.sensitivity_display(sens), name=f"impact-sensitivity-{treated.slug}",
         source=impact.SYNTHETIC_TABLE_SOURCE, count_cols=[],
         caption=f"{treated.name}: level change at go-live under 12 model variants "
                 "(synthetic data).")
nb.figure(impact.sensitivity_figure(sens, treated), f"impact-sensitivity-{treated.slug}")
nb.md(impact.sensitivity_sentence(sens, treated))
""")
md("""
## Power: how long until a fall is detectable?

Partners asked whether a year of data could show impact. In the words of one interviewee in
the LVRN evaluation report (2021, §3.4, *Promoting coherent short and long-term models of
narrating (and evaluating) impact*): *"Can you in 12-months judge the impact of a Violence
Reduction Unit on serious crime, well there may be this and that data that can help tell a
story but the reality is that this is something that will take a full 10, 20 years to ever
really judge what we want to achieve."*

The statistical part of that question can be answered by simulation. Series like Blackpool's
and like the pan-Lancashire total (their level, overdispersion and seasonality are estimated
from the fits above) are simulated 200 times with a 10% fall at go-live and analysed with a
level-change model; power is the share of simulations in which the fall is detected at the 5%
level. Adding a slope change to the model widens the interval of the step, so these are best
cases. Two baselines are compared: 12 months of history before go-live (about what the real
extract would give, had it no gaps) and the full history of the synthetic series (a length
that the data.police.uk archive can provide).
""")
code("""
inputs = {key.name: impact.power_inputs(fits[key]) for key in keys if key.role != "untouched"}
history = int(fits[treated].diagnostics["n_pre"])
power = impact.power_study(inputs, pre_periods=(12, history))
nb.table(impact.power_table(power), name="impact-power", source=impact.SYNTHETIC_TABLE_SOURCE,
         count_cols=[],
         caption="Power and minimum detectable fall, by series size and months of history "
                 "before go-live (200 simulated series per point; synthetic data).")
nb.figure(impact.power_figure(power), "impact-power")
nb.md(impact.power_sentence(power))
nb.md(impact.power_caveat(power, designs, next(k for k in keys if k.role == "total")))
""")
md("""
## What ITS can and cannot say

**It can** say whether a series moved at go-live by more than its own history predicts, by how
much, with an honest interval, and whether that result survives placebo dates and reasonable
changes to the model. With a long, unbroken baseline and large counts it can detect modest
sustained falls within a year or two (see the power section).

**It cannot**, on its own:

* **attribute the change.** Anything else that changed at the same time (a police operation,
  a change in crime recording, other funding, national policy) is credited to the
  intervention unless it is modelled or removed by a comparison series. A controlled ITS needs
  comparison areas untouched by the intervention (Lopez Bernal, Cummins & Gasparrini 2018;
  Bottomley, Scott & Isham 2019), and every force area in the project's reference set also
  received Violence Reduction Unit funding in 2019.
* **speak about people.** These are *ecological* counts for whole authorities: they cannot
  show that anyone who took part in a programme was less likely to be hurt or to offend. That
  needs person-level outcomes, such as the framework's re-entry to custody after DIVERT.
* **escape the pandemic.** National lockdowns began within six months of the assumed go-live
  and changed violence more than any programme could. Lockdown covariates and sensitivity
  checks help, but the post-go-live period is dominated by an unprecedented shock.
* **measure crime itself.** Police-recorded violence moves with reporting and recording
  practice, as the recording rise built into the synthetic data shows.
* **measure whole-system change** of the kind the LVRN's partners describe: trauma-informed
  practice, new partnerships and a long time horizon (evaluation report, §3.4). A null result
  in a police series after one or two years is not evidence that such work has failed.

Finally, **this page rests on synthetic data**: its numbers demonstrate and test the method
and are not findings about Lancashire. The framework is a proposal whose go-live dates must be
confirmed before any real evaluation.

### References

* Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series regression for the
  evaluation of public health interventions: a tutorial. *International Journal of
  Epidemiology* 46(1):348-355.
* Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in interrupted time
  series studies of public health interventions. *International Journal of Epidemiology*
  47(6):2082-2093.
* Bottomley C, Scott JAG, Isham V (2019). Analysing interrupted time series with a control.
  *Epidemiologic Methods* 8(1):20180010.
* Holm S (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
  Journal of Statistics* 6(2):65-70.
* Bloom HS (1995). Minimum detectable effects: a simple way to report the statistical power of
  experimental designs. *Evaluation Review* 19(5):547-556.

## Sources

* Police street-level crime: [data.police.uk](https://data.police.uk/), Lancashire
  Constabulary, monthly files November 2018 to October 2022 with gaps (used above only to show
  why the real series cannot yet be analysed). Contains public sector information licensed
  under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
* Synthetic series: generated by `lvrn_analysis.synthetic_police` in the data.police.uk format,
  calibrated to the real months above; the injected effect is recorded in the build's
  `ground_truth.json`. **Not real figures.**
* Populations: ONS mid-year population estimates (Nomis dataset NM_2002_1), OGL v3.0.
* Lancashire Violence Reduction Network evaluation, final report (June 2021), §3.4.
* Outcomes framework: the project's proposal (`reference/outcomes_framework_lancashire.yml`),
  after the Home Office Violence Reduction Unit programme success measures.
* Lockdown dates: Institute for Government, *Timeline of UK government coronavirus lockdowns
  and measures* (2022).
""")

nbw.write("notebooks/05-impact.ipynb")
