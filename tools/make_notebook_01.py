"""Write notebooks/01-problem-profile.ipynb (cells only; `lvrn site` executes it)."""

import nbformat as nbf

cells = []


def md(s):
    """Add a Markdown cell."""
    cells.append(nbf.v4.new_markdown_cell(s.strip()))


def code(s):
    """Add a code cell."""
    cells.append(nbf.v4.new_code_cell(s.strip()))


cells.append(nbf.v4.new_raw_cell("""---
title: "Problem profile: violence in pan-Lancashire"
subtitle: "WHO public-health approach, step 1: define the problem with data"
---"""))
md("""
This page answers: **how much recorded violence is there, where is it highest relative to
population, and how has it moved month by month?** It uses the real street-level crime that
Lancashire Constabulary publishes on data.police.uk. Every number below is computed by the
`lvrn_analysis` package from the data when the page is built.
""")
code("""
from lvrn_analysis import notebook as nb
from lvrn_analysis import plots, profile, profile_charts, tilemap
from lvrn_analysis.config import load_area
from lvrn_analysis.processed import manifest, read_table

nb.quiet()
area = load_area(manifest()["area"]["id"])
counts = read_table("police_street")
months = read_table("police_street_months")
quarantine = read_table("quarantine/police_street")
nb.banner(["police_street"])
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
  programme records (see the data-layer pages).
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
## Sources

* Police street-level crime: [data.police.uk](https://data.police.uk/), Lancashire Constabulary,
  monthly files November 2018 to October 2022 with gaps. Contains public sector information
  licensed under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
* Populations: ONS mid-year population estimates (Nomis dataset NM_2002_1), OGL v3.0.
* Lancashire Violence Reduction Network evaluation, final report (June 2021), §1.2.
* Lockdown dates: Institute for Government, *Timeline of UK government coronavirus lockdowns
  and measures* (2022).
""")

nb = nbf.v4.new_notebook()
nb.cells = cells
nb.metadata = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
nbf.write(nb, "notebooks/01-problem-profile.ipynb")
