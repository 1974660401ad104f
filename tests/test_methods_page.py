"""The Data and methods page logic (lvrn_analysis.story.methods)."""

from __future__ import annotations

import copy
import csv
import inspect
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import police
from lvrn_analysis.sources.registry import sources
from lvrn_analysis.stats.disclosure import SOURCE_POLICIES, publish
from lvrn_analysis.story import methods as mp
from lvrn_analysis.story.methods import dictionary

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
REFERENCE = ROOT / "src" / "lvrn_analysis" / "reference"
NOTEBOOK = ROOT / "notebooks" / "05-data-and-methods.ipynb"


@pytest.fixture(scope="module")
def processed() -> Path:
    """The built processed folder (``make test`` builds it first)."""
    from lvrn_analysis.processed.store import processed_dir

    try:
        return processed_dir(ROOT)
    except FileNotFoundError:
        pytest.skip("data/processed not built: run `lvrn build`")


@pytest.fixture(scope="module")
def man(processed):
    from lvrn_analysis.processed.store import manifest

    return manifest(processed)


# --------------------------------------------------------------------------- dictionary


def test_dictionary_describes_every_processed_column(processed):
    d = mp.data_dictionary(processed)
    specs = sources()
    assert list(d["source"].unique()) == list(specs)
    assert d["description"].str.len().gt(0).all()
    for name, spec in specs.items():
        part = d[d["source"] == name]
        cols = set(dictionary._table_columns(spec.processed_name, processed))
        in_table = set(part.loc[part["in processed table"] != "no", "column"])
        assert cols <= in_table, (name, cols - in_table)
    pol = d[d["source"] == "police"]
    assert list(pol["raw header"].iloc[:len(police.HEADER)]) == list(police.HEADER)
    # what never leaves the raw police file
    dropped = set(pol.loc[pol["in processed table"] == "no", "column"])
    assert {"crime_id", "location", "context", "last_outcome_category"} <= dropped
    assert set(police.AGG_KEYS) <= set(pol.loc[pol["raw header"] == "", "column"])


def test_sources_overview_flags_person_level(processed):
    ov = mp.sources_overview(processed)
    assert list(ov.loc[ov["person-level"] == "yes", "source"]) == ["ed", "navigator"]
    assert (ov["origin in this build"] != "not built").all()
    assert ov["raw folder"].str.match(r"^data/raw/\w+/$").all()


def test_schema_rows_accepts_each_shape():
    assert dictionary._schema_rows({"a": ("str", "A")}) == [("a", "str", "A")]
    assert dictionary._schema_rows({"a": "int64"}) == [("a", "int64", "")]
    assert dictionary._schema_rows({"a": {"dtype": "str", "description": "x"}}) == \
        [("a", "str", "x")]
    assert dictionary._schema_rows(("a", "b")) == [("a", "", ""), ("b", "", "")]
    with pytest.raises(TypeError):
        dictionary._schema_rows(42)


def test_police_columns_in_step_with_loader():
    assert tuple(mp.POLICE_COLUMNS) == police.COLUMNS
    assert set(police.AGG_KEYS) | {"count", "origin"} == set(mp.POLICE_DERIVED)


def test_coverage_matrix_has_every_component_and_source():
    from lvrn_analysis.story.serious_violence import COMPONENTS, SOURCES

    m = mp.coverage_matrix()
    assert list(m["component"]) == list(COMPONENTS.values())
    assert list(m.columns[1:]) == list(SOURCES.values())
    assert set(m.iloc[:, 1:].to_numpy().ravel()) <= {"yes", "partly", "no"}
    assert len(mp.coverage_table()) == len(COMPONENTS) * len(SOURCES)


# --------------------------------------------------------------------------- manifest


def test_accounting_holds_for_every_file(man):
    files = mp.manifest_files(man)
    assert len(files) == len(man["inputs"])
    chk = mp.accounting_check(files)
    assert chk["in_eq_kept_plus_rejected"].all() and chk["rejected_eq_sum_of_reasons"].all()
    assert mp.accounting_sentence(files).startswith("**Every row accounted for.**")
    by_table = mp.manifest_by_table(man)
    assert int(by_table["rows in"].sum()) == man["totals"]["rows_in"]
    assert int(by_table["rejected"].sum()) == man["totals"]["rows_rejected"]
    assert files["sha256"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_accounting_check_catches_a_broken_file(man):
    broken = copy.deepcopy(man)
    broken["inputs"][0]["rows_kept"] += 1
    files = mp.manifest_files(broken)
    chk = mp.accounting_check(files)
    assert not chk["in_eq_kept_plus_rejected"].iloc[0]
    assert chk["in_eq_kept_plus_rejected"].iloc[1:].all()
    assert mp.accounting_sentence(files).startswith("**Accounting failure.**")


def test_police_files_real(man):
    real = mp.police_files(man, "police_street")
    n_real = sum(r["table"] == "police_street" for r in man["inputs"])
    assert len(real) == n_real
    assert (real["rows in"] == real["kept"] + real["rejected"]).all()
    reasons = [c for c in real.columns if c.startswith("rejected: ")]
    assert (real[reasons].sum(axis=1) == real["rejected"]).all()
    assert real["month"].is_monotonic_increasing and real["month"].str.match(r"\d{4}-\d{2}").all()
    assert real["file"].str.endswith("-street.csv").all()


def test_month_ranges():
    months = [f"2019-{m:02d}" for m in range(3, 12)] + ["2020-06", "2020-08", "2020-09"]
    assert mp.month_ranges(months) == ["March to November 2019", "June 2020",
                                       "August to September 2020"]
    assert mp.month_ranges(["2020-01", "2019-12"]) == ["December 2019 to January 2020"]
    assert mp.month_ranges([]) == []


def test_files_for_csv_splits_person_level(man):
    files = mp.manifest_files(man)
    person = mp.files_for_csv(files, person_level=True)
    other = mp.files_for_csv(files, person_level=False)
    assert len(person) + len(other) == len(files)
    assert set(person["table"]) == {"ed_attendances", "navigator_contacts"}
    assert "person_level" not in other.columns


def test_file_notes_leave_out_person_level(man):
    notes = mp.file_notes(man)
    assert not any("ed_attendances" in n for n in notes)
    assert not any(n.startswith("`police_street") for n in notes)


# --------------------------------------------------------------------------- quality


def test_docstring_reason_parser():
    doc = """Loader.

Validation (first wins): ``bad_x`` (x is not (really) valid), ``dup_a`` / ``dup_b``
(second copy), ``plain``, and ``Not A Code`` or ``1.5E+3``.

Other text ``ignored_code`` (later).
"""
    got = mp.docstring_reasons(doc)
    assert got == {"bad_x": "x is not (really) valid", "dup_a": "second copy",
                   "dup_b": "second copy", "plain": ""}
    assert mp.docstring_reasons("No such paragraph.") == {}


def test_reason_catalogue_covers_police_and_every_source():
    cat = mp.reason_catalogue()
    assert set(cat["source"]) == set(sources())
    pol = cat[cat["source"] == "police"].set_index("reason")["meaning"]
    assert list(pol.index) == list(police.REASONS)
    assert cat["meaning"].str.len().gt(3).all()
    assert not cat.duplicated(["source", "reason"]).any()


def test_reason_catalogue_knows_every_reason_the_loaders_emit():
    """Load the bad-input corpus: every quarantine reason must be in the catalogue."""
    cat = mp.reason_catalogue()
    known = set(zip(cat["source"], cat["reason"], strict=True))
    specs = sources()
    area = load_area("lancashire")
    seen = set()
    rows = list(csv.DictReader((BAD / "expected.csv").open(encoding="utf-8", newline="")))
    for case in rows:
        if case["expected"] != "quarantine":
            continue
        for res in specs[case["source"]].load(BAD / case["file"], area):
            if len(res.rejected):
                seen |= {(case["source"], r) for r in res.rejected["reason"].astype(str)}
    assert len(seen) >= 20
    assert seen <= known, sorted(seen - known)


def test_quarantine_counts_match_manifest(processed, man):
    q = mp.quarantine_counts(processed)
    assert mp.quarantine_matches_manifest(q, man)
    assert int(q["rows"].sum()) == man["totals"]["rows_rejected"]
    off = q.copy()
    off.loc[0, "rows"] += 1
    assert not mp.quarantine_matches_manifest(off, man)
    assert "exactly the rejections" in mp.quality_sentence(q, man)


def test_quality_table_and_figure(processed):
    cat = mp.reason_catalogue()
    q = mp.quarantine_counts(processed)
    t = mp.quality_table(cat, q, person_level=False)
    cols = ["rows quarantined (real data)", "rows quarantined (synthetic data)"]
    assert int(t[cols].to_numpy().sum()) == int(q["rows"].sum())
    assert "ed" not in set(t["source"])
    fig = mp.quality_figure(q, cat)
    assert fig.lvrn_title and "quarantined" in fig.lvrn_alt
    bad = pd.DataFrame({"table": ["x"], "source": ["police"], "synthetic": [False],
                        "reason": ["no_such_reason"], "rows": [3]})
    with pytest.raises(ValueError, match="missing from the catalogue"):
        mp.quality_table(cat, bad, person_level=False)


# --------------------------------------------------------------------------- disclosure


def test_policy_table_generated_from_registry():
    t = mp.policy_table()
    assert set(SOURCE_POLICIES) | {"(any other)"} == set(t["source key"])
    assert t["source key"].iloc[-1] == "(any other)"
    controlled = t[t["policy"] == "controlled"]
    assert controlled["rule"].str.contains("1 to 7").all()
    assert controlled["rule"].str.contains("nearest 5").all()
    assert t.loc[t["source key"] == "ed_attendances", "policy"].item() == "controlled"


def _toy_ed(month_counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = []
    for month, counts in month_counts.items():
        for la, n in counts.items():
            inside = la != "outside"
            rows += [{"ed_site": "RXL01", "ed_site_name": "Blackpool Victoria Hospital",
                      "arrival_month": pd.Timestamp(month + "-01"),
                      "residence_la": la if inside else "E08000012",
                      "resident_in_area": inside}] * n
    return pd.DataFrame(rows)


def test_disclosure_example_picks_a_month_needing_secondary_suppression():
    area = load_area("lancashire")
    ed = _toy_ed({
        "2020-01": {"E06000009": 40, "E07000119": 20, "E07000128": 30, "outside": 12},
        # one small count: needs a second suppressed cell
        "2020-02": {"E06000009": 40, "E07000119": 3, "E07000128": 30, "outside": 12},
        # two small counts: no secondary suppression needed
        "2020-03": {"E06000009": 40, "E07000119": 3, "E07000128": 5, "outside": 12},
    })
    ex = mp.disclosure_example(ed, area)
    assert ex.month == pd.Timestamp("2020-02-01")
    f = ex.frame
    assert f["authority of residence"].iloc[-1] == "Total"
    assert f["attendances"].iloc[-1] == f["attendances"].iloc[:-1].sum() == 85
    pub = publish(f, **ex.publish_kwargs())
    assert int(pub.primary["attendances"].sum()) == 1
    assert int(pub.secondary["attendances"].sum()) == 1
    text = mp.disclosure_example_sentence(ex)
    assert "February 2020" in text and "2 are suppressed" in text
    # the prose never names a suppressed row nor shows a small count
    for label in f.loc[pub.suppressed["attendances"].to_numpy(), "authority of residence"]:
        assert label not in text
    shown = re.search(r"add up to ([\d,]+) and the published total is ([\d,]+)", text)
    assert shown and all(int(g.replace(",", "")) % 5 == 0 for g in shown.groups())
    ex3 = mp.disclosure_example(ed, area, month="2020-03")
    assert "no secondary suppression was needed" in mp.disclosure_example_sentence(ex3)


# --------------------------------------------------------------------------- methods

REQUIRED_METHODS = ("Byar", "Exact", "Wilson", "Dobson", "Indirectly", "Student", "benchmark",
                    "Funnel", "Negative binomial (NB2) association", "segmented regression",
                    "Quasi-Poisson", "Fourier", "Newey-West", "ARIMA", "Controlled", "placebo",
                    "Power by simulation")


def test_method_catalogue_covers_the_brief():
    names = " | ".join(m.method for m in mp.METHODS)
    for word in REQUIRED_METHODS:
        assert word.lower() in names.lower(), word
    cites = " ".join(m.citation for m in mp.METHODS)
    for author in ("Lopez Bernal", "Bottomley", "Spiegelhalter", "Dobson", "Newey", "Garwood",
                   "Cameron"):
        assert author in cites


@pytest.mark.parametrize("method", mp.METHODS, ids=[m.method for m in mp.METHODS])
def test_each_method_points_to_a_documented_function(method):
    mod, obj = mp.resolve(method.function)
    doc = (inspect.getdoc(obj) or "") + (mod.__doc__ or "")
    assert inspect.getdoc(obj), method.function
    assert method.doc_key.lower() in doc.lower(), (method.function, method.doc_key)
    page = mp.api_page(method.function)
    stem, anchor = page.removeprefix("../api/").split("#")
    # the page's module is one the package reference lists (quartodoc in _quarto.yml);
    # the rendered anchor itself is checked by tests/test_site.py on a rendered site
    listed = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["quartodoc"]
    modules = {c if isinstance(c, str) else c["name"] for s in listed["sections"]
               for c in s["contents"]}
    assert stem.removesuffix(".qmd") in modules, page
    assert anchor == f"{obj.__module__}.{obj.__qualname__}", page


def test_api_page_naming():
    assert mp.api_page("lvrn_analysis.its.model.fit_its") == \
        "../api/its.model.qmd#lvrn_analysis.its.model.fit_its"
    # a name re-exported by a package links to the module that defines it
    assert mp.api_page("lvrn_analysis.stats.indicators.dsr") == \
        "../api/stats.indicators.standardised.qmd#lvrn_analysis.stats.indicators.standardised.dsr"
    assert mp.api_page("lvrn_analysis.its.results.ITSResults.averted") == \
        "../api/its.results.qmd#lvrn_analysis.its.results.ITSResults.averted"
    assert mp.api_page("lvrn_analysis.its.model") == "../api/its.model.qmd"
    assert mp.api_page("lvrn_analysis") == "../api/lvrn_analysis.qmd"
    with pytest.raises(AttributeError):
        mp.resolve("lvrn_analysis.stats.indicators.no_such_function")


def test_methods_markdown_links_every_method():
    text = mp.methods_markdown()
    assert text.count("\n* ") + 1 == len(mp.METHODS)
    assert text.count("](../api/") == len(mp.METHODS)
    assert len(mp.methods_frame()) == len(mp.METHODS)


# --------------------------------------------------------------------------- reproducibility


#: The reference README (relative to ``lvrn_analysis/reference/``) that states the licence of
#: each dataset in the page's "Datasets and licences" table; empty when no shipped README
#: covers the dataset (its licence is then cited in the data file or the source module).
LICENCE_README = {
    "Street-level crime, Lancashire Constabulary (36 months) and Leicestershire Police "
    "(35 months)": "README.md",
    "Mid-year population estimates (mid-2019, mid-2020, mid-2022)": "README.md",
    "Local authority codes and names (2019)": "README.md",
    "English Indices of Deprivation 2019, local authority summaries (File 10)": "README.md",
    "LSOA lookup and police LSOA centroids": "ed/README.md",
    "LSOA (2011) boundaries (BSC), LSOA to local authority lookup and mid-2020 LSOA "
    "populations": "boundaries/README.md",
    "England's national COVID-19 lockdown dates": "README.md",
    "2013 European Standard Population": "",
    "Fingertips indicator data (formats: the website/API data CSV, fingertipsR's frame and the "
    "reduced fingertipsR extract) and curated indicator list": "fingertips/README.md",
    "Real risk-factor indicators for every English authority (Fingertips via fingertipsR, "
    "8 indicators; DfE NCCIS NEET 2021-2025)": "indicators_real/README.md",
    "Police recorded crime by Community Safety Partnership (published layout: `prc-csp-…` "
    "workbooks, one sheet per financial year)":
        "crime_tables/README.md",
    "Key stage 4 school performance tables, LEAs 888 and 855, 2017/18, 2018/19, 2021/22":
        "education/README.md",
    "ED assault attendances in the layout of NHS England's Emergency Care Data Set (ECDS) and "
    "the ISTV minimum data set; code lists partly verified (`reference/ed/`)": "ed/README.md",
    "Programme monitoring figures": "programmes/README.md",
    "Serious-violence coverage judgements and outcomes framework (proposal)":
        "serious_violence/README.md",
}


def _datasets_table() -> list[dict[str, str]]:
    """The Markdown table of the notebook's "Datasets and licences" section, as rows."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.startswith("### Datasets and licences"):
            lines = [ln.strip().strip("|") for ln in text.splitlines() if ln.startswith("|")]
            header = [h.strip() for h in lines[0].split("|")]
            assert set(lines[1].replace("|", "")) <= {"-", ":", " "}
            return [dict(zip(header, (v.strip() for v in ln.split("|")), strict=True))
                    for ln in lines[2:]]
    raise AssertionError(f"no 'Datasets and licences' table in {NOTEBOOK.name}")


def test_dataset_licences_match_the_reference_readmes():
    rows = _datasets_table()
    assert [r["dataset"] for r in rows] == list(LICENCE_README)
    for r in rows:
        readme = LICENCE_README[r["dataset"]]
        if not readme:
            continue
        text = (REFERENCE / readme).read_text(encoding="utf-8")
        if "OGL v3.0" in r["licence"] or "Open Government Licence v3.0" in r["licence"]:
            assert "OGL v3.0" in text or "Open Government Licence v3.0" in text, r["dataset"]
        if "MIT" in r["licence"]:
            assert "MIT" in text, r["dataset"]


def test_every_processed_table_has_a_dataset(man):
    used = " ".join(r["used as"] for r in _datasets_table())
    for table in man["origins"]:
        if table.endswith("_synthetic"):
            continue
        assert table in used, table


def test_pinned_packages(tmp_path):
    (tmp_path / "constraints.txt").write_text(
        "numpy==2.0.1\n# comment\npandas==3.0.0  # pinned\nsome_pkg==1.0\n-e .\n",
        encoding="utf-8")
    n, v = mp.pinned_packages(tmp_path, names=("numpy", "pandas", "some-pkg", "scipy"))
    assert n == 3
    assert v == {"numpy": "2.0.1", "pandas": "3.0.0", "some-pkg": "1.0"}
    n_real, v_real = mp.pinned_packages(ROOT)
    assert n_real > 20 and "statsmodels" in v_real


# --------------------------------------------------------------------------- assumptions


def test_shipped_assumptions_log():
    log = mp.read_assumptions(ROOT / "docs" / "assumptions.md")
    assert len(log) >= 20
    assert (log["Owner"] == "lvrn-analysis").all()
    summ = mp.assumptions_summary(log)
    assert set(summ["status"]) <= {"Open", "Accepted", "Closed"}
    assert set(summ["impact"]) <= {"Red", "Amber", "Green"}
    assert set(summ["quality"]) <= {"Red", "Amber", "Green"}
    text = " ".join(log["What is assumed"] + " " + log["Where"])
    for must in ("proposal", "crime_tables", "curated_indicators", "POSTCODE_DISTRICTS",
                 "monthly_population", "covid_restrictions", "ed_sites"):
        assert must in text, must
    n_a = int((log["kind"] == "assumption").sum())
    assert f"{n_a} assumptions and {len(log) - n_a} caveats" in mp.assumptions_sentence(log)


def test_assumptions_log_is_validated(tmp_path):
    entry = """### A01: Title
* **What is assumed**: x
  continued
* **Why**: y
* **Impact**: Red. z
* **Quality**: Green.
* **Owner**: lvrn-analysis
* **Status**: Open.
* **Where**: here
"""
    p = tmp_path / "log.md"
    p.write_text("# Log\n\n## Assumptions\n\n" + entry, encoding="utf-8")
    log = mp.read_assumptions(p)
    assert log.loc[0, "What is assumed"] == "x continued"
    assert mp.assumptions_summary(log).loc[0, "impact"] == "Red"
    p.write_text(entry + "\n" + entry, encoding="utf-8")
    with pytest.raises(ValueError, match="repeated"):
        mp.read_assumptions(p)
    p.write_text(entry.replace("* **Why**: y\n", ""), encoding="utf-8")
    with pytest.raises(ValueError, match="Why"):
        mp.read_assumptions(p)
