"""Write notebooks/07-quickstart.ipynb (cells only; `lvrn site` executes it)."""

from nbgen import NotebookWriter

nbw = NotebookWriter(
    title="Quickstart for analysts",
    subtitle="Your own extracts, the build, and an interrupted time series in a few lines",
)
md, code = nbw.md, nbw.code
md("""
This page is for analysts at a VRU, a public-health team or a university who want to run the
package on their own data. Everything below runs in Jupyter as it does here.

## 1. Install and build

```bash
git clone <this repository> && cd lvrn-analysis
make site          # creates .venv, builds data/processed, executes notebooks, renders _site/
```

## 2. Drop in real extracts

Put files in `data/raw/<folder>/` (never committed: `data/raw/` is ignored by git) and run
`.venv/bin/lvrn build` again. Sources with no files fall back to the shipped real data or to
their synthetic twin, and every page says which. The sources the build knows:
""")
code("""
import pandas as pd

from lvrn_analysis import notebook as nb
from lvrn_analysis.sources.registry import sources

nb.quiet()
nb.banner(["police_street_synthetic"])
""", before=True)
code("""
rows = [{"source": s.name, "drop files in": f"data/raw/{s.raw_dir}/", "files": ", ".join(s.patterns),
         "person-level": "yes" if s.person_level else "no", "what": s.description}
        for s in sources().values()]
nb.table(pd.DataFrame(rows), name="quickstart-sources", source="documentation", count_cols=[],
         caption="Sources the build reads; person-level sources are only ever published as "
                 "disclosure-controlled aggregates.")
""")
md("""
Check a file before building — usable files exit 0 even with quarantined rows; unusable files
exit 1 with a one-line reason naming the file, row and column:

```bash
.venv/bin/lvrn validate data/raw/police/2022-10-lancashire-street.csv
.venv/bin/lvrn validate --by-crime-type police data/raw/police/2022-10.zip
```

After a build, `data/processed/manifest.json` accounts for every input row (rows in = kept +
rejected, by reason) and `data/processed/quarantine/` holds the rejected rows with their reasons.
The build behind this site:
""")
code("""
from lvrn_analysis.processed import manifest

m = manifest()
t = m["totals"]
nb.md(
    f"Area **{m['area']['name']}**: {len(m['inputs'])} input files, "
    f"{t['rows_in']:,} rows in = {t['rows_kept']:,} kept + {t['rows_rejected']:,} rejected."
)
""")
md("""
## 3. Another VRU

An area is a YAML file: the police force (as data.police.uk names it), the ONS codes of its
authorities, the population year. Two ship with the package (`lancashire`, `leicestershire`);
copy one and pass it to the build:

```bash
.venv/bin/lvrn build --area my-vru.yml
```

## 4. Rates with honest intervals

```python
from lvrn_analysis.config import load_area
from lvrn_analysis.processed import read_table
from lvrn_analysis import profile

area = load_area("lancashire")
rates = profile.rates_by_authority(read_table("police_street"), read_table("police_street_months"), area)
```

Lower-level statistics take any tidy frame: `indicators.crude_rate`, `proportion` (Wilson),
`dsr` (Dobson, 2013 European Standard Population), `isratio`, `mean_ci`; benchmark comparison
the Fingertips way in `benchmarking`, funnel plots in `funnels`.

## 5. An interrupted time series on your own series

Any monthly count series with a population works. Here: the synthetic Blackpool series, which
carries a known 15 % fall from October 2019 (see the Impact page).
""")
code("""
from lvrn_analysis import profile
from lvrn_analysis.config import load_area
from lvrn_analysis.impact import monthly_population
from lvrn_analysis.its import RECOMMENDED, fit_its
from lvrn_analysis.processed import read_table

area = load_area("lancashire")
series = profile.monthly_counts(read_table("police_street_synthetic"),
                                read_table("police_street_synthetic_months"), by_authority=True)
pop = monthly_population(area, series["month"].unique()).rename(columns={"date": "month"})
df = series[series["la_code"] == "E06000009"].merge(pop, on=["month", "la_code"])
res = fit_its(df, date="month", outcome="count", interruptions=["2019-10-01"],
              exposure="population", lockdowns=True, **RECOMMENDED)
""")
code("""
eff = res.effects[["interruption", "effect", "rate_ratio", "ci_low", "ci_high", "p_value"]].round(3)
nb.table(eff, name="quickstart-its-effects", source="its_model_output", count_cols=[],
         caption="Level (and slope) change at go-live: rate ratios with 95% intervals (synthetic data).")
""")
md("""
`res.summary()` prints the full model, `res.plot()` draws observed, fitted and counterfactual
series with lockdowns shaded, `res.averted()` gives averted counts with intervals. Robustness and
power live in `lvrn_analysis.its`: `placebo_test`, `sensitivity`, `power_analysis`,
`minimum_detectable_effect`; `evaluate_framework` runs the whole outcomes framework.

## Sources

* data.police.uk street-level crime, Open Government Licence v3.0 (the synthetic series is
  calibrated to it).
* Lopez Bernal J, Cummins S, Gasparrini A. Interrupted time series regression for the evaluation
  of public health interventions: a tutorial. *Int J Epidemiol* 2017;46(1):348–355.
""")

nbw.write("notebooks/07-quickstart.ipynb")
