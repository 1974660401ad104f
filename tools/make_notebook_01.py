"""Write notebooks/01-problem-profile.ipynb (cells only; `lvrn site` executes it)."""

from nbgen import NotebookWriter

nbw = NotebookWriter(
    title="Problem profile: violence in pan-Lancashire",
    subtitle="WHO public-health approach, step 1: define the problem with data",
)
md, code = nbw.md, nbw.code
md("""
This page answers: **how much recorded violence is there, where is it highest relative to
population, and how has it moved month by month?** It uses the real street-level crime that
Lancashire Constabulary publishes on data.police.uk. It then compares the authorities with
benchmarks, profiles the **people, times, places and means** of assaults seen in emergency
departments (ED) and rebuilds the report's ED Navigator snapshot from records: those sections
run on **synthetic** data in the real formats, and say so. Every number below is computed by the
`lvrn_analysis` package from the data when the page is built.
""")
code("""
from lvrn_analysis import ed_charts, ed_profile, plots, profile, profile_charts, tilemap
from lvrn_analysis import notebook as nb
from lvrn_analysis.config import load_area
from lvrn_analysis.processed import manifest, read_table

nb.quiet()
area = load_area(manifest()["area"]["id"])
counts = read_table("police_street")
months = read_table("police_street_months")
quarantine = read_table("quarantine/police_street")
nb.banner(["police_street", "ed_attendances", "fingertips"])
""")
md("""
## What these data can and cannot measure

data.police.uk publishes crimes in 14 broad categories. The LVRN's serious-violence definition
(homicide, knife crime, gun crime, assault resulting in injury, rape, robbery, aggravated
burglary, domestic abuse and violence, child exploitation) does not map onto them one to one:

* **Violence and sexual offences** holds homicide, violence with and without injury, stalking
  and harassment, rape and other sexual offences together. It measures the *volume* of
  violence, not *serious* violence alone.
* **Robbery** is published on its own; **aggravated burglary** is inside *Burglary*;
  **Possession of weapons** counts possession, not use.
* Knife crime, gun crime, domestic abuse and child exploitation carry **no flag** in these
  files and cannot be counted from them; they need police recorded-crime tables, ED data or
  programme records (see "What each source can and cannot measure" below).
* Each crime is placed at a snapped location in an LSOA; some have no location at all and
  can be counted for the force but not placed in an authority.
""")
md("## Violence and sexual offences by local authority")
code("""
start, end = profile.latest_complete_window(months, n=12)
rates = profile.rates_by_authority(counts, months, area, start=start, end=end)
overall = profile.area_rate(rates)
unplaced = profile.unplaced_share(counts, start=start, end=end)
mid_year = int(rates["mid_year"].iloc[0])
nb.md(
    f"Over the latest 12 complete months, **{profile.fmt_period(start, end)}**, "
    f"{int(overall['count']):,} violence and sexual offences were placed in the "
    f"{len(rates)} authorities: **{overall['value']:.1f} per 1,000 residents per year** "
    f"(95% CI {overall['lower_ci']:.1f} to {overall['upper_ci']:.1f}), using ONS mid-{mid_year} "
    f"population estimates. A further {unplaced:.1%} of the force's records in the period had "
    "no location and cannot be placed in an authority."
)
""")
code("""
src = plots.source_line(["data.police.uk street-level crime (OGL v3.0)",
                         f"ONS mid-{mid_year} population estimates"], synthetic=False)
nb.figure(profile_charts.rates_chart(
    rates, overall=float(overall["value"]), source=src,
    title=f"Violence and sexual offences per 1,000 residents, {profile.fmt_period(start, end)}"),
    "rates-by-authority")
""")
code("""
nb.table(
    rates[["rank", "la_name", "count", "population", "rate", "lower_ci", "upper_ci", "method"]],
    name="violence-rates-by-authority", source="data.police.uk", count_cols=["count"],
    derived_cols={"rate": "count", "lower_ci": "count", "upper_ci": "count"},
    caption="Violence and sexual offences per 1,000 residents per year, "
            f"{profile.fmt_period(start, end)}; 95% intervals by Byar's method "
            "(exact Poisson below 10 events).",
)
""")
code("""
rates["rate_per_1000"] = rates["rate"]
nb.figure(tilemap.tile_map(
    rates, value="rate_per_1000", unit="per 1,000 residents per year", source=src,
    title=f"Violence and sexual offences per 1,000 residents: tile map, {profile.fmt_period(start, end)}"),
    "rates-tile-map")
""")
md("""
### Do the data agree with the needs assessment?

The LVRN evaluation report (2021, §1.2) names Blackpool, Burnley, Preston and Blackburn with
Darwen as the districts with the highest serious violence relative to population.
""")
code("""
nb.md(profile.ranking_sentence(profile.ranking_agreement(rates), rates))
""")
md("## Month by month")
code("""
series = profile.monthly_counts(counts, months, crime_type=profile.VIOLENCE)
first, last = series["month"].min(), series["month"].max()
nb.figure(profile_charts.trend_chart(
    series, source=src.replace(f"; ONS mid-{mid_year} population estimates", ""),
    title=f"Violence and sexual offences per month, Lancashire Constabulary, "
          f"{first:%b %Y} to {last:%b %Y}"),
    "violence-monthly-trend")
gaps = series.loc[series["status"] == "missing", "month"]
nb.md(
    f"The extract covers {len(series)} months, of which **{len(gaps)} are missing** "
    f"({', '.join(m.strftime('%b %Y') for m in gaps)}). Missing months are shown as gaps, "
    "never as zero. Shaded bands mark England's national lockdowns."
)
""")
md("""
### Seasonality

The usual seasonal shape, from the real months outside lockdowns (the extract is short, so each
calendar month rests on two to four months of data; n is shown on each bar).
""")
code("""
nb.figure(profile_charts.seasonal_chart(
    profile.seasonal_index(series), source=src.replace(f"; ONS mid-{mid_year} population estimates", ""),
    title="Violence and sexual offences: seasonal index by calendar month"),
    "violence-seasonal-index")
""")
md("""
## Where: concentration in a few neighbourhoods

Violence clusters in a small number of neighbourhoods (LSOAs, about 1,500 residents each). The
share of located violence and sexual offences in the top 5 %, 10 % and 20 % of the area's LSOAs:
""")
code("""
conc = profile.concentration(counts, area, start=start, end=end)
nb.figure(profile_charts.concentration_chart(
    conc, source=src.replace(f"; ONS mid-{mid_year} population estimates", ""),
    title=f"Share of violence in the most affected neighbourhoods, {profile.fmt_period(start, end)}"),
    "violence-concentration")
top5 = conc.iloc[0]
nb.md(
    f"The {int(top5['n_lsoas'])} LSOAs with most violence ({top5['top_share_of_lsoas']:.0%} of "
    f"{int(top5['total_lsoas'])}) hold **{top5['share_of_crime']:.0%}** of the located violence and "
    "sexual offences: place-based work can reach a large share of the problem in a small area. "
    "Snapped locations put some crimes at shared points (e.g. a police station or hospital), "
    "which inflates the top neighbourhoods a little."
)
""")
md("""
## Data quality: every row accounted for

For each monthly file: the violence and sexual offences rows it holds, how many have no location,
how many were kept, and how many were quarantined and why (a repeated Crime ID is the same crime
published twice; an LSOA outside the area is a crime recorded by Lancashire Constabulary but
located elsewhere, e.g. in Bolton or Bath).
""")
code("""
quality = profile.file_quality(counts, quarantine, crime_type=profile.VIOLENCE)
quality["month"] = quality["month"].dt.strftime("%Y-%m")
nb.table(quality, name="violence-rows-per-file", source="data.police.uk",
         count_cols=[c for c in quality.columns if c != "month"],
         caption="Violence and sexual offences rows per monthly file: in = kept + quarantined.")
""")

md("""
## Benchmarks: better, similar or worse?

Fingertips (OHID) colours an area *better*, *similar* or *worse* by asking whether its 95 %
confidence interval lies wholly below, across or wholly above a benchmark value; for violence,
lower is better. Two comparisons are made here, kept apart because they rest on different data:

* **real**: each authority's data.police.uk rate (above) against the **pan-Lancashire** rate
  from the same data;
* **synthetic**: the Fingertips indicator *violence offences per 1,000 population* (ID 11202)
  from the synthetic export in the real Fingertips format, against its **England** value and
  against the pan-Lancashire value recomputed from the authorities' counts.
""")
code("""
nb.banner(["fingertips"])
police_bench = ed_profile.police_benchmark(rates, overall)
ft_bench = ed_profile.fingertips_benchmark(read_table("fingertips"), area)
ft = ft_bench.attrs
grid = ed_profile.benchmark_grid(
    police_bench, ft_bench,
    police_label=f"Police: violence and sexual offences\\n(real, {start:%b %Y} to {end:%b %Y})",
    fingertips_label=f"Fingertips {ft['indicator_id']}: violence offences\\n(SYNTHETIC, {ft['period']})")
nb.figure(ed_charts.benchmark_grid_chart(
    grid, title="Better, similar or worse than the benchmark? Violence per 1,000 residents",
    source=plots.source_line(
        ["data.police.uk street-level crime, OGL v3.0 (real)", f"ONS mid-{mid_year} populations",
         f"Fingertips-format export, indicator {ft['indicator_id']} (synthetic)"], synthetic=True)),
    "profile-benchmark-grid")
nb.md(ed_profile.benchmark_text(police_bench, ft_bench))
""")
code("""
nb.table(
    police_bench.drop(columns="la_code"), name="profile-benchmark-police", source="data.police.uk",
    count_cols=["count"], derived_cols={"rate": "count", "lower_ci": "count", "upper_ci": "count"},
    caption=f"Real data. Violence and sexual offences per 1,000 residents per year, "
            f"{profile.fmt_period(start, end)}, against the pan-Lancashire rate: 95% interval "
            "wholly above = worse, wholly below = better, overlapping = similar.")
""")
code("""
nb.table(
    ft_bench.drop(columns="la_code"), name="profile-benchmark-fingertips", source="fingertips",
    count_cols=["count", "denominator"],
    derived_cols={"value": "count", "lower_ci": "count", "upper_ci": "count"},
    caption=f"SYNTHETIC data in the Fingertips export format. Indicator {ft['indicator_id']} "
            f"({ft['indicator_name']}), {ft['period']}, per 1,000 population, against England and "
            "the pan-Lancashire value; the last column is the export's own comparison with England.")
""")
md("""
## People, time, place and means: emergency-department assault attendances

Police data say little about *who* is hurt, *when*, *where* and *with what*. Emergency
departments record it for every assault attendance, and the Trauma and Injury Intelligence
Group (TIIG) shares it with the LVRN. These records are person-level health data: only
disclosure-controlled aggregates leave the package. Every table and chart below is published
through the project's rule (counts of 1 to 7 suppressed and shown as **[c]**, other counts
rounded to the nearest 5, and further cells suppressed where a total would reveal a small one);
charts are drawn from the published counts, never from the raw ones.
""")
code("""
nb.banner(["ed_attendances"])
ed_all = read_table("ed_attendances")
ed_start, ed_end = ed_profile.latest_months(ed_all, n=12)
ed_period = ed_profile.in_period(ed_all, ed_start, ed_end)
ed_when = profile.fmt_period(ed_start, ed_end)
ed_src = plots.source_line(["TIIG-format ED assault attendances, disclosure-controlled"],
                           synthetic=True)
nb.md(ed_profile.period_text(ed_period, ed_start, ed_end))
""")
md("### People: age and sex")
code("""
people, _ = ed_profile.age_sex_table(
    ed_period, caption=f"SYNTHETIC data. ED assault attendances by age band and sex, {ed_when}.")
nb.figure(ed_charts.age_sex_chart(
    people.published_counts(), source=ed_src,
    title=f"ED assault attendances by age and sex, {ed_when}"), "profile-ed-age-sex")
nb.md(ed_profile.people_text(people))
""")
code("""
nb.table(**people.table_kwargs(), name="profile-ed-age-sex")
""")
md("### Time: hour of arrival by day of the week")
code("""
when = ed_profile.hour_weekday_table(
    ed_period, caption=f"SYNTHETIC data. ED assault attendances by hour of arrival and weekday, {ed_when}.")
nb.figure(ed_charts.hour_weekday_chart(
    when.published_counts(), source=ed_src,
    title=f"ED assault attendances by hour of arrival and weekday, {ed_when}"),
    "profile-ed-hour-weekday")
nb.md(ed_profile.time_text(when))
""")
code("""
nb.table(**when.table_kwargs(), name="profile-ed-hour-weekday")
""")
md("### Place and means: where the assault happened and what with")
code("""
place = ed_profile.one_way_table(
    ed_period, "incident_location_group", field_name="incident_location_type",
    label="Incident location", caption=f"SYNTHETIC data. ED assault attendances by incident location type, {ed_when}.")
means = ed_profile.one_way_table(
    ed_period, "means_of_assault_group", field_name="means_of_assault",
    label="Means of assault", caption=f"SYNTHETIC data. ED assault attendances by means of assault (weapon), {ed_when}.")
nb.figure(ed_charts.category_chart(
    [(place.published_counts(), "Incident location", "Place: incident location"),
     (means.published_counts(), "Means of assault", "Means: weapon or method")],
    source=ed_src, title=f"Where and how: ED assault attendances, {ed_when}"),
    "profile-ed-place-means")
nb.md(ed_profile.place_means_text(place, means))
""")
code("""
nb.table(**place.table_kwargs(), name="profile-ed-incident-location")
""")
code("""
nb.table(**means.table_kwargs(), name="profile-ed-means-of-assault")
""")
md("### Alcohol and drugs")
code("""
subst = ed_profile.alcohol_drugs_table(
    ed_period, caption=f"SYNTHETIC data. ED assault attendances by alcohol (rows) and drug (columns) involvement as recorded, {ed_when}.")
shares = {name: ed_profile.recorded_share(subst.published_counts(), key)
          for name, key in (("Alcohol", "alcohol"), ("Drugs", "drugs"))}
nb.figure(ed_charts.alcohol_drugs_chart(
    shares, source=ed_src, title=f"Alcohol and drug involvement recorded at ED, {ed_when}"),
    "profile-ed-alcohol-drugs")
nb.md(ed_profile.alcohol_drugs_text(subst))
""")
code("""
nb.table(**subst.table_kwargs(), name="profile-ed-alcohol-drugs")
""")
md("### Repeat attendances")
code("""
from lvrn_analysis.impact import load_ground_truth

repeats = ed_profile.repeat_table(
    ed_all, ed_start, ed_end,
    caption=f"SYNTHETIC data. ED assault attendances and repeat attendances (same patient, same ED, previous 365 days) by ED site, {ed_when}.")
nb.md(ed_profile.repeat_text(repeats, truth=load_ground_truth()))
""")
code("""
nb.table(**repeats.table_kwargs(), name="profile-ed-repeat-attendances")
""")
md("""
## The navigator-site snapshot, rebuilt from records

The LVRN report (§5.2, Box 1) gives a one-month snapshot of assault attendances at Blackpool
Victoria Hospital, where the ED Navigators work: June 2020, 32 attendances, 65.6 % male, 46.9 %
aged 18-30, head injury the main presenting complaint (31.3 %), 37.5 % by ambulance, 40.6 % at
night, Monday the busiest day, contact attempted with 29, and at least 7 with alcohol, 7 with
drugs and 3 with both as influencing factors. The table sets the report's published figures
beside the same measures counted from the (synthetic) records, for that month and for the
navigators' first 12 months, after the project's disclosure control.
""")
code("""
box1 = ed_profile.box1_table(ed_all, read_table("programme_monitoring"))
nb.table(**box1.table_kwargs(), name="profile-box1-snapshot")
nb.md(ed_profile.box1_text(box1))
""")
md("""
## What each source can and cannot measure of serious violence

The LVRN defines serious violence as homicide, knife crime, gun crime, assault resulting in
injury, rape, robbery, aggravated burglary, domestic abuse and violence, and child exploitation
(LVRN evaluation report 2021, §2.3). Each source sees part of it: *yes* means the source counts
the component itself, *partly* that it counts a broader or narrower group that contains it, *no*
that it cannot count it at all. The labels say whether each source is real or synthetic in this
build.
""")
code("""
coverage = ed_profile.coverage_table(manifest()["origins"])
nb.figure(ed_charts.coverage_chart(
    coverage, title="What each source can measure of the LVRN serious-violence definition",
    source="Source: lvrn_analysis reference table serious_violence/coverage.csv (the project's "
           "reading of each source's format); definition from the LVRN evaluation report (2021), "
           "§2.3. Documentation, not data."),
    "profile-sv-coverage")
nb.md(ed_profile.coverage_text(coverage))
""")
code("""
nb.table(coverage, name="profile-sv-coverage", source="documentation", count_cols=[],
         caption="Coverage of the LVRN serious-violence definition by source: yes / partly / no.")
""")
code("""
nb.table(ed_profile.coverage_reasons("ed"), name="profile-sv-coverage-ed", source="documentation",
         count_cols=[], caption="What the ED assault attendances can and cannot count, and why.")
""")
md("""
## Sources

* Police street-level crime: [data.police.uk](https://data.police.uk/), Lancashire Constabulary,
  monthly files November 2018 to October 2022 with gaps. Contains public sector information
  licensed under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
* Populations: ONS mid-year population estimates (Nomis dataset NM_2002_1), OGL v3.0.
* Lancashire Violence Reduction Network evaluation, final report (June 2021): §1.2 (districts
  with the highest serious violence), §2.3 (serious-violence definition), §5.1-§5.3 (ED
  Navigators; Box 1 snapshot for June 2020 in §5.2, repeat attendances in §5.3). The Box 1
  figures are read from the project's programme-monitoring table, which cites them.
* Lockdown dates: Institute for Government, *Timeline of UK government coronavirus lockdowns
  and measures* (2022).
* **Synthetic** emergency-department assault attendances in the TIIG-style layout documented in
  `lvrn_analysis.sources.ed` (one row per attendance: site, arrival time, age, sex, home area,
  arrival mode, presenting complaint, injury, incident location type, means of assault, alcohol
  and drug involvement, referral, discharge). Generated deterministically and calibrated to the
  LVRN report's Box 1 (§5.2) and to TIIG's published Lancashire figures (about 400 assault
  attendances by residents a month, 14,427 from April 2013 to March 2016; alcohol involved in
  44 % where recorded; Trauma and Injury Intelligence Group, Liverpool John Moores University).
  Not real patients; published only through disclosure control (counts of 1 to 7 suppressed,
  others rounded to 5, as in OpenSAFELY's disclosure-control guidance; symbols as in the
  Government Analysis Function guidance *Symbols in tables, definitions and help*).
* **Synthetic** indicator export in the format of [Fingertips](https://fingertips.phe.org.uk/)
  (Office for Health Improvement and Disparities): indicator 11202, *Violent crime - violence
  offences per 1,000 population*, with England, North West region and the 14 authorities. Real
  Fingertips data are published under the Open Government Licence v3.0. Comparison method:
  Fingertips "confidence intervals overlapping reference value (95.0)", APHO Technical
  Briefing 3 (2008).
""")

nbw.write("notebooks/01-problem-profile.ipynb")
