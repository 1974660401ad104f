"""An area-neutral story (issue 16, part 3).

Every area-specific word on a page comes from the area configuration; the LVRN's own
material is kept only for Lancashire; ``lvrn site --area leicestershire`` renders the whole
story for Leicester, Leicestershire and Rutland without naming Lancashire, except where a
page cites the LVRN evaluation report (or another Lancashire source) or describes the
comparator force's data that the model across two forces uses.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from lvrn_analysis.config.areas import ConfigError, load_area
from lvrn_analysis.site import area_site
from lvrn_analysis.site.offline import LIB_DIR, SCRIPT_ID, remote_assets
from lvrn_analysis.story import area as story_area

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

#: Citations of Lancashire sources, allowed on every page of every area.
CITATIONS = (
    "Lancashire Violence Reduction Network",      # the LVRN evaluation report (LJMU 2021)
    "TIIG Lancashire: Alcohol-related violence across Lancashire",   # Critchley et al. 2017
)
#: Pages that describe the comparator force's data (the model across two forces, the list
#: of datasets the package ships): the comparator's names are allowed there.
COMPARATOR_PAGES = ("02-causes", "05-data-and-methods")


def _allowed(page: str, area) -> tuple[str, ...]:
    from lvrn_analysis.config.areas import load_comparators
    from lvrn_analysis.config.geography import local_authorities

    out = list(CITATIONS)
    if page.startswith(COMPARATOR_PAGES):
        for comp in load_comparators(area):
            out += [comp.force, story_area.words(comp).place,
                    *local_authorities(comp)["la_name"]]
            if comp.id == "lancashire":  # its county's shipped school tables (LEA 888)
                out += ["Lancashire County", "LEA 888 Lancashire", "Lancashire (888)"]
    return tuple(sorted(set(out), key=len, reverse=True))


def stray_mentions(text: str, word: str, allowed: tuple[str, ...]) -> list[str]:
    """Return the contexts where ``word`` appears outside the allowed phrases."""
    text = re.sub(r"\s+", " ", html.unescape(text))
    for phrase in allowed:
        text = text.replace(phrase, "")
    return [text[max(0, m.start() - 60): m.end() + 60] for m in re.finditer(word, text)]


def _page_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)


# -- configuration ------------------------------------------------------------------------

def test_area_words_come_from_the_area_files():
    lancs, llr = load_area("lancashire"), load_area("leicestershire")
    w = story_area.words(lancs)
    assert (w.vru, w.short, w.place, w.force) == (
        "Lancashire Violence Reduction Network", "LVRN", "pan-Lancashire",
        "Lancashire Constabulary")
    assert w.n_authorities == 14 and w.go_live_text == "October 2019" and w.lvrn
    v = story_area.words(llr)
    assert v.place == "Leicester, Leicestershire and Rutland" and v.go_live is None
    assert v.population == 1_100_306 and not v.lvrn
    assert "Lancashire" not in story_area.area_sentence(llr)


def test_bad_story_fields_are_refused(tmp_path):
    text = (ROOT / "src/lvrn_analysis/areas/leicestershire.yml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(text + "go_live: October 2019\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="go_live"):
        load_area(bad)
    bad.write_text(text + "place: ''\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="place"):
        load_area(bad)


def test_current_area_follows_the_environment(monkeypatch, tmp_path):
    (tmp_path / "manifest.json").write_text(
        '{"area": {"id": "lancashire", "config": "areas/lancashire.yml"}, "origins": {}}',
        encoding="utf-8")
    monkeypatch.setenv("LVRN_PROCESSED", str(tmp_path))
    monkeypatch.delenv(story_area.AREA_ENV, raising=False)
    assert story_area.current_area().id == "lancashire"
    monkeypatch.setenv(story_area.AREA_ENV, "lancashire")
    assert story_area.current_area().id == "lancashire"
    monkeypatch.setenv(story_area.AREA_ENV, "leicestershire")
    with pytest.raises(ConfigError, match="lvrn build --area leicestershire"):
        story_area.current_area()


def test_framework_is_adapted_to_another_area():
    lancs = story_area.framework_for(load_area("lancashire"))
    llr = story_area.framework_for(load_area("leicestershire"))
    assert set(llr.areas) == set(load_area("leicestershire").authorities)
    assert "Lancashire" not in llr.title and "Lancashire" in lancs.title
    assert len(llr.indicators) == len(lancs.indicators)


def test_programme_note_only_for_areas_without_programmes():
    assert story_area.programme_note(load_area("lancashire"), {}) == ""
    note = story_area.programme_note(load_area("leicestershire"),
                                     {"programme_monitoring": "real (shipped reference data)"})
    assert "No programme data loaded" in note and "Lancashire" not in note


# -- the notebooks -------------------------------------------------------------------------

def test_title_templates_give_the_stored_lancashire_titles():
    lancs = load_area("lancashire")
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        tmpl = first.metadata.get("lvrn_title")
        if tmpl:
            stored = re.search(r'(?m)^title:\s*"(.*)"\s*$', first.source).group(1)
            assert story_area.fill(tmpl, lancs) == stored, path.name


def test_sources_name_lancashire_only_in_lvrn_cells_citations_or_comparator_data():
    llr = load_area("leicestershire")
    tags_seen = set()
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells[1:]:
            tags = [t for t in cell.metadata.get("tags", []) if t.startswith("area:")]
            tags_seen |= set(tags)
            if not area_site.keep_cell(cell, llr):
                continue
            stray = stray_mentions(cell.source, "Lancashire", _allowed(path.stem, llr))
            assert not stray, f"{path.name} cell {cell.id}: {stray}"
    assert tags_seen == {"area:lancashire"}


def test_area_copy_drops_lvrn_cells_and_fills_titles(tmp_path):
    llr, lancs = load_area("leicestershire"), load_area("lancashire")
    src = ROOT / "notebooks" / "03-interventions.ipynb"
    area_site.area_notebook(src, tmp_path / "llr.ipynb", llr)
    area_site.area_notebook(src, tmp_path / "lancs.ipynb", lancs)
    a = nbformat.read(tmp_path / "llr.ipynb", as_version=4)
    b = nbformat.read(tmp_path / "lancs.ipynb", as_version=4)
    orig = nbformat.read(src, as_version=4)
    assert len(b.cells) == len(orig.cells) > len(a.cells) >= 3
    assert 'title: "Interventions: what the LLR VRN funded' in a.cells[0].source
    assert a.cells[0].source.replace("LLR VRN", "LVRN") == orig.cells[0].source
    assert all(not c.get("outputs") for c in a.cells if c.cell_type == "code")


def test_default_lancashire_pages_still_name_lancashire():
    nb = nbformat.read(ROOT / "notebooks" / "01-problem-profile.ipynb", as_version=4)
    assert "pan-Lancashire" in nb.cells[0].source
    index = (ROOT / "index.qmd").read_text(encoding="utf-8")
    assert "Lancashire Violence Reduction Network" in index
    q = area_site.area_quarto(ROOT, load_area("lancashire"))
    assert "Lancashire Violence Reduction Network" in q["website"]["description"]


# -- the rendered site of another area ----------------------------------------------------

@pytest.mark.slow
def test_leicestershire_site_names_no_stray_lancashire(tmp_path):
    before = {p: p.read_bytes() for p in NOTEBOOKS}
    site = area_site.render_area_site(ROOT, "leicestershire", dest=tmp_path / "llr",
                                      renderer="smalldocs")
    llr = load_area("leicestershire")
    pages = [site / "index.html", *sorted((site / "notebooks").glob("*.html"))]
    assert len(pages) == 1 + len(NOTEBOOKS)
    problems = {}
    for page in pages:
        text = _page_text(page)
        stray = stray_mentions(text, "Lancashire", _allowed(page.stem, llr))
        if stray:
            problems[page.name] = stray[:3]
    assert not problems, problems
    profile = _page_text(site / "notebooks" / "01-problem-profile.html")
    assert "Leicester, Leicestershire and Rutland" in profile
    assert "Leicestershire Police" in profile
    assert "No programme data loaded" in _page_text(site / "notebooks" / "03-interventions.html")
    # made offline as the main site is: nothing loads from the network, search works
    assert remote_assets(site) == []
    assert (site / "site_libs" / LIB_DIR / "search-index.js").is_file()
    assert all(f'id="{SCRIPT_ID}"' in p.read_text(encoding="utf-8") for p in pages)
    # the tracked notebooks and their stored (Lancashire) outputs were not written
    assert {p: p.read_bytes() for p in NOTEBOOKS} == before


# -- the computations another area needs ---------------------------------------------------

def test_fit_nb_without_overdispersion_falls_back_to_poisson():
    import numpy as np
    import pandas as pd

    from lvrn_analysis.story import causes

    rng = np.random.default_rng(7)
    pop = rng.integers(40_000, 350_000, 9).astype(float)
    x = rng.normal(size=9)
    d = pd.DataFrame({"y": rng.poisson(pop * 0.03 * np.exp(0.2 * x)), "pop": pop, "x": x})
    fit = causes.fit_nb(d, count="y", exposure="pop", predictors=["x"])
    t = fit.term("x")
    assert np.isfinite([t["lower"], t["upper"], t["p_value"]]).all()
    truth = np.exp(0.2 * x.std())  # rate ratio per 1 (population) SD of x
    assert fit.alpha == 0.0 and np.isnan(fit.alpha_se)  # the Poisson boundary
    assert t["lower"] < truth < t["upper"]


def test_duplicates_sentence_without_a_publishing_fault():
    import pandas as pd

    from lvrn_analysis.story import duplicates

    by_month = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=3, freq="MS"),
                             "duplicates": [0, 2, 1], "publishing_fault": [False] * 3})
    assert not duplicates.has_publishing_fault(by_month)
    text = duplicates.duplicates_sentence(by_month, None)
    assert "No monthly file is a publishing fault" in text and "3 second copies" in text
