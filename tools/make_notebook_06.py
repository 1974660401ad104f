"""Write notebooks/06-data-and-methods.ipynb (cells only; `lvrn site` or site.execute_notebook runs it)."""

from nbgen import NotebookWriter

nbw = NotebookWriter(
    title="Data and methods",
    subtitle="Data dictionary, build manifest, data quality, disclosure control and statistical methods",
)
md, code = nbw.md, nbw.code
md("""
This page documents **what data the project uses, what happened to every row, what is published
and how, and which statistical methods the numbers on the other pages come from**. Nothing on it
is typed in by hand: the tables are generated from the `lvrn_analysis` package (its source
registry, schemas, disclosure registry and method catalogue) and from the manifest that
`lvrn build` writes, when the page is built. The logic is in `lvrn_analysis.methods_page`.
""")
code("""
from lvrn_analysis import methods_page as mp
from lvrn_analysis import notebook as nb
from lvrn_analysis.config import load_area
from lvrn_analysis.processed import manifest, read_table

nb.quiet()
m = manifest()
area = load_area(m["area"]["id"])
nb.banner(list(m["origins"]))
""")
md("""
## 1. The data

### Sources

The LVRN's needs assessment drew on Fingertips indicators, police crime statistics and
emergency-department (A&E) assault data from the Trauma and Injury Intelligence Group (TIIG)
(LVRN evaluation report 2021, §2.3). The package reads each of these in its real format. Every
registered source, where its raw files are dropped, whether its rows are about individual people
(then only disclosure-controlled aggregates leave the package), and what the default build used:
""")
code("""
nb.table(mp.sources_overview(), name="methods-sources", source=mp.DOC_SOURCE, count_cols=[],
         caption="Registered sources (lvrn_analysis.sources.registry) and their processed tables.")
""")
md("""
### What each source can measure of serious violence

The LVRN defines serious violence as homicide, knife crime, gun crime, assault resulting in
injury, rape, robbery, aggravated burglary, domestic abuse and violence, and child exploitation
(sexual and criminal) (LVRN evaluation report 2021, §2.3, footnote 4). No single source measures
all of it: *yes* means the source identifies that part directly, *partly* that it is inside a
broader category or only partly visible, *no* that the source cannot measure it.
""")
code("""
nb.table(mp.coverage_matrix(), name="methods-sv-coverage", source=mp.DOC_SOURCE, count_cols=[],
         caption="Coverage of the LVRN serious-violence definition by source "
                 "(lvrn_analysis.serious_violence.coverage_matrix).")
nb.table(mp.coverage_table(), name="methods-sv-coverage-reasons", source=mp.DOC_SOURCE,
         count_cols=[], caption="Why: the judgement behind each cell of the coverage matrix.")
""")
md("""
### Data dictionary

For each source: the columns of its cleaned rows, from the source module's `SCHEMA` (for police,
the twelve columns of the data.police.uk files and what happens to each), and the columns of the
processed table in `data/processed/`, with their types as stored. *In processed table* says
whether a column reaches the processed table; columns that do not (for example police
locations, outcomes and free-text context, or school names and postcodes) are used for
checking and placing rows and then dropped.
""")
code("""
dictionary = mp.data_dictionary()
nb.md(mp.publish_csv(dictionary, name="methods-data-dictionary", source=mp.DOC_SOURCE,
                     count_cols=[], label="Download the whole data dictionary (CSV)"))
for source, part in dictionary.groupby("source", sort=False):
    table = part["table"].iloc[0]
    shown = part.drop(columns=["source", "table"])
    if not shown["raw header"].astype(bool).any():
        shown = shown.drop(columns="raw header")
    nb.md(f"#### `{source}` → `{table}`")
    nb.table(shown, name=f"methods-dictionary-{source}", source=mp.DOC_SOURCE, count_cols=[],
             caption=f"Columns of source {source!r} and processed table {table!r}.")
""")
md("""
## 2. The build manifest

`lvrn build` records, for every input file, its SHA-256 and how many rows it held, kept and
quarantined by reason, and for every output its SHA-256; rows are never dropped silently.
""")
code("""
files = mp.manifest_files(m)
nb.md(mp.accounting_sentence(files))
by_table = mp.manifest_by_table(m)
counts_shown = ["rows in", "kept", "rejected", "output rows"]
nb.table(by_table[~by_table["person_level"]].drop(columns="person_level"),
         name="methods-manifest-by-table", source=mp.MANIFEST_SOURCE, count_cols=counts_shown,
         caption="Build manifest by processed table (sources without person-level records). "
                 "Output rows can be fewer than kept rows where the table is aggregated "
                 "(police counts by month, LSOA and crime type; schools by district).",
         **mp.MANIFEST_RULE)
nb.table(by_table[by_table["person_level"]].drop(columns="person_level"),
         name="methods-manifest-person-level", source="ed_attendances", count_cols=counts_shown,
         caption="Build manifest of person-level sources, under their own disclosure rule.")
""")
md("""
Counts of rows in files of sources that hold no records about people are not statistics about
people: they are published exactly, except that counts of 1 to 7 are still suppressed, as for
any source not registered as exempt. Files of person-level sources are published under their own
source's rule (suppressed 1 to 7, rounded to 5), so their totals are shown rounded.
""")
code("""
nb.md(mp.origins_sentence(m))
nb.md(mp.missing_months_sentence(m))
""")
md("""
### The real police files

One row per real data.police.uk monthly file (shipped as a compact aggregate that replays the
cleaning rules exactly). *Rejected* splits into its reasons; rows without coordinates are kept
(they count towards force totals). The SHA-256 is that of the original CSV file.
""")
code("""
real_files = mp.police_files(m, "police_street")
nb.table(real_files, name="methods-manifest-police-real", source="data.police.uk",
         count_cols=mp.count_columns(real_files),
         caption="Real data.police.uk files: rows in = kept + rejected for every file.")
other = mp.files_for_csv(files[files["table"] != "police_street"], person_level=False)
person = mp.files_for_csv(files, person_level=True).drop(columns="notes")
nb.md("The other input files, one row each: " + mp.publish_csv(
    other, name="methods-manifest-files", source=mp.MANIFEST_SOURCE,
    count_cols=mp.count_columns(other), label=f"{len(other)} files (CSV)",
    **mp.MANIFEST_RULE) + " (the " + str(int((other["table"] == "police_street_synthetic").sum()))
    + " synthetic police months and every other non-person-level input); " + mp.publish_csv(
    person, name="methods-manifest-files-person-level", source="ed_attendances",
    count_cols=mp.count_columns(person), label=f"{len(person)} person-level file (CSV)")
    + " under the ED disclosure rule.")
notes = mp.file_notes(m)
nb.md("Notes the loaders recorded for the other inputs:\\n\\n" + "\\n".join(f"* {n}" for n in notes)
      if notes else "The loaders recorded no notes for the other inputs.")
""")
md("""
## 3. Data quality: what was quarantined and why

Every row that breaks a rule is written to `data/processed/quarantine/` with a reason code and
kept out of the analysis. The reason codes of each source, their meanings (from
`lvrn_analysis.sources.police.REASONS` and the other source modules' documentation) and how many
input rows each quarantined in this build:
""")
code("""
catalogue = mp.reason_catalogue()
quarantined = mp.quarantine_counts()
nb.md(mp.quality_sentence(quarantined, m))
nb.figure(mp.quality_figure(quarantined, catalogue), "methods-quarantine-by-reason")
""")
code("""
q_cols = ["rows quarantined (real data)", "rows quarantined (synthetic data)"]
nb.table(mp.quality_table(catalogue, quarantined, person_level=False),
         name="methods-quarantine-reasons", source=mp.MANIFEST_SOURCE, count_cols=q_cols,
         caption="Quarantine reasons of the sources without person-level records, with the "
                 "input rows each quarantined in this build.", **mp.MANIFEST_RULE)
nb.table(mp.quality_table(catalogue, quarantined, person_level=True),
         name="methods-quarantine-reasons-person-level", source="ed_attendances",
         count_cols=q_cols,
         caption="Quarantine reasons of person-level sources, under their disclosure rule.")
""")
md("""
The real Lancashire files hold two kinds of fault: a **Crime ID published twice** in the same
month (the same crime with a different outcome or location) and crimes recorded by Lancashire
Constabulary but located in an LSOA outside pan-Lancashire (Bolton, Bury and even Bath). The synthetic police files are generated with both faults at rates close to the real ones,
so that the cleaning is exercised on every build.

## 4. Disclosure control

Everything the project publishes (every table on this site and every downloadable CSV) goes
through one function, `lvrn_analysis.disclosure.publish`, which applies the data source's
registered policy. Person-level sources, and any source not registered, are **controlled**, as in
OpenSAFELY's disclosure control guidance; already-published aggregates are **exempt** but marked
as such with the reason. Suppressed cells use the ONS / Government Analysis Function symbol
`[c]` (confidential) and unavailable ones `[x]`. When a cell is suppressed and the table
publishes a total, a second cell is suppressed too (*secondary suppression*) so that the first
cannot be worked out by subtraction; rates and percentages derived from a suppressed count are
suppressed with it.
""")
code("""
nb.md(mp.policy_sentence())
nb.table(mp.policy_table(), name="methods-disclosure-policies", source=mp.DOC_SOURCE,
         count_cols=[], caption="Disclosure policy by source (lvrn_analysis.disclosure."
                                "SOURCE_POLICIES and Rule).")
""")
md("""
### A worked example

A small table of synthetic ED assault attendances by the patient's authority of residence at one
emergency department in one month, with a total, published under the ED rule. The month is the
latest one whose table needs secondary suppression, the case this example is meant to show.
""")
code("""
example = mp.disclosure_example(read_table("ed_attendances"), area)
nb.table(example.frame, name="methods-disclosure-example",
         caption=f"Assault attendances at {example.site_name}, {example.month:%B %Y}, by "
                 "authority of residence (synthetic data). Authorities with no attendances "
                 "are not listed.", **example.publish_kwargs())
nb.md(mp.disclosure_example_sentence(example))
""")
md("""
## 5. Statistical methods

The statistics on the other pages come from small functions of the package, each documenting its
formula and source in its docstring, in the manner of PHEindicatormethods; the indicator
functions are tested against the expected results published with PHEindicatormethods, and the
interrupted time-series engine against a reproduction of Lopez Bernal, Cummins & Gasparrini's
(2017) Sicily example and against simulated series with known effects. Each entry links to the
function's page in the [package reference](../api/index.qmd).
""")
code("""
nb.md(mp.methods_markdown())
nb.md(mp.publish_csv(mp.methods_frame(), name="methods-catalogue", source=mp.DOC_SOURCE,
                     count_cols=[], label="Download the method catalogue (CSV)"))
""")
md("""
## 6. Assumptions and caveats

Every assumption and caveat is kept in a versioned log next to the code,
[`docs/assumptions.md`](../docs/assumptions.md), in the style of the Government Analysis
Function's govcookiecutter: what is assumed, why, its impact and the quality of the evidence
(red / amber / green), the owner and whether it is still open.
""")
code("""
log = mp.read_assumptions()
nb.md(mp.assumptions_sentence(log))
nb.table(mp.assumptions_summary(log), name="methods-assumptions", source=mp.DOC_SOURCE,
         count_cols=[], caption="Assumptions (A) and caveats (C) log, docs/assumptions.md.")
""")
md("""
## 7. Reproducibility

Two commands rebuild everything from the shipped data:

```bash
make site    # create .venv from constraints.txt, lvrn build, execute the notebooks, render _site/
make test    # ruff, the unit tests, and nbval over every notebook's stored outputs
```
""")
code("""
nb.md(mp.reproducibility_markdown(m=m))
nb.table(mp.output_hashes(m).drop(columns="rows"), name="methods-output-hashes",
         source=mp.DOC_SOURCE, count_cols=[],
         caption="Outputs of the build and the first characters of their SHA-256.")
""")
md("""
### Datasets and licences

Every dataset the build uses, with its licence as stated in the reference READMEs shipped with
the package (`lvrn_analysis/reference/`):
""")
code("""
nb.table(mp.datasets_frame(), name="methods-datasets", source=mp.DOC_SOURCE, count_cols=[],
         caption="Datasets, their use in this build and their licences.")
""")
md("""
## Sources

* Police street-level crime: [data.police.uk](https://data.police.uk/), Lancashire Constabulary,
  monthly files November 2018 to October 2022 with gaps (and Leicestershire Police, December
  2019 to October 2022, for the second configured area). Contains public sector information
  licensed under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
* Populations: ONS mid-year population estimates, mid-2019, mid-2020 and mid-2022 (Nomis
  dataset NM_2002_1, via traffordDataLab/covid-19), OGL v3.0. Local authority codes: ONS
  Register of Geographic Codes, OGL v3.0.
* English Indices of Deprivation 2019, local authority district summaries (MHCLG File 10, via
  humaniverse/IMD), OGL v3.0.
* Fingertips (OHID): format and curated indicator list; the values in this build are
  **synthetic**, except the IMD 2019 scores. Fingertips data are Crown copyright, OGL v3.0.
* Home Office police recorded crime by Community Safety Partnership: layout assumed; values
  **synthetic**. Home Office statistics are Crown copyright, OGL v3.0.
* DfE key stage 4 school performance tables: format; values **synthetic**. OGL v3.0.
* TIIG-style emergency-department assault attendances: layout and code lists are this project's
  own; all rows **synthetic** (no person-level data are shipped).
* 2013 European Standard Population: Eurostat (2013), *Revision of the European Standard
  Population*, re-used with acknowledgement.
* Lockdown dates: Institute for Government, *Timeline of UK government coronavirus lockdowns and
  measures, March 2020 to December 2021* (2022); the Health Protection (Coronavirus,
  Restrictions) (England) (No. 4) Regulations 2020.
* Programme monitoring figures and the serious-violence definition: Quigg Z, Millings M, McCoy E,
  Harrison R, Bates R, Timpson H (2021). *Evaluation of the Lancashire Violence Reduction
  Network: final report* (June 2021), Liverpool John Moores University: §1.2 (local context),
  §2.3 (the needs assessment's data sources; the serious-violence definition, footnote 4), §3.4
  (narrating and evaluating impact), §5.2 (Box 1), Appendix 1 (methods).
* Disclosure control: OpenSAFELY, *Updated disclosure control guidance* (docs.opensafely.org);
  Government Analysis Function (2021), *Symbols in tables, definitions and help*.
* Method references are given with each method in section 5.
""")

nbw.write("notebooks/06-data-and-methods.ipynb")
