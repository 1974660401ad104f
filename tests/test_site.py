"""Rendering the website from the stored notebook outputs, and finding Quarto.

The project's ``_quarto.yml``, ``index.qmd`` and ``notebooks/`` (with their stored
outputs, ``figures/`` and ``tables/``) are copied to a temporary folder and
rendered offline with smalldocs, without executing anything.
"""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from lvrn_analysis.site.maths import mathml_page
from lvrn_analysis.site.reference import (
    build_reference,
    check_listing,
    docstring_sections,
    public_modules,
    signature_types,
    split_sections,
)
from lvrn_analysis.site.render import SiteError, find_quarto, render_site

ROOT = Path(__file__).resolve().parents[1]
CRIME_ID = re.compile(r"\b[0-9a-f]{64}\b")
STREET = re.compile(r"On or near [A-Z]\w+")


REST_ROLES = re.compile(r":(?:func|math|mod|class|meth|attr|data|ref):`|\.\. math::")


class _Refs(HTMLParser):
    """Collect ``<img>`` tags and local ``href``/``src`` references."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        for key in ("href", "src"):
            v = a.get(key)
            if v and not urlparse(v).scheme and not v.startswith(("#", "//", "mailto:")):
                self.refs.append(v)


def _parse(page: Path) -> _Refs:
    p = _Refs()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def _visible_text(page: Path, drop: tuple[str, ...] = ()) -> str:
    """The page's text; ``drop`` names further elements left out (e.g. ``code``)."""
    t = page.read_text(encoding="utf-8")
    for tag in ("script", "style", *drop):
        t = re.sub(rf"<{tag}\b.*?</{tag}>", " ", t, flags=re.S)
    t = re.sub(r"<[^>]+>", " ", t)
    return re.sub(r"\s+", " ", html.unescape(t))


class _Section(HTMLParser):
    """The HTML inside the element with a given id (a section or a heading's section)."""

    def __init__(self, anchor: str) -> None:
        super().__init__(convert_charrefs=False)
        self.anchor, self.depth, self.tag, self.parts = anchor, 0, "", []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag == self.tag
            self.parts.append(self.get_starttag_text() or "")
        elif dict(attrs).get("id") == self.anchor:
            self.depth, self.tag = 1, tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= tag == self.tag
            if self.depth:
                self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def _section(page: Path, anchor: str) -> str:
    """The HTML documenting ``anchor`` on a reference page.

    A member (function, class) is the section with that id; a module is the page's
    top, before its first member (the module's own anchor is on the page title).
    """
    text = page.read_text(encoding="utf-8")
    if page.stem == anchor.removeprefix("lvrn_analysis."):
        cut = text.find(f'id="{anchor}.')
        return text[:cut] if cut > 0 else text
    p = _Section(anchor)
    p.feed(text)
    assert p.tag, f"{page.name} has no element with id {anchor!r}"
    return "".join(p.parts)


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def _render_list() -> list[str]:
    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return list(cfg["project"]["render"])


@pytest.fixture(scope="module")
def site(fallback_site) -> Path:
    """The fallback render of a copy of the project (``conftest.fallback_site``)."""
    return fallback_site


@pytest.fixture(scope="module")
def pages(site) -> list[Path]:
    found = sorted(site.rglob("*.html"))
    assert found, "no HTML pages rendered"
    return found


def test_main_pages_rendered(site):
    assert (site / "index.html").is_file()
    assert (site / "notebooks" / "01-problem-profile.html").is_file()


def test_every_listed_page_is_rendered(site):
    listed = _render_list()
    assert "index.qmd" in listed
    assert "notebooks/01-problem-profile.ipynb" in listed
    project = site.parent
    for entry in listed:
        sources = sorted(project.glob(entry))
        assert sources, f"_quarto.yml lists {entry!r} but no such file exists"
        for src in sources:
            rel = src.relative_to(project)
            target = site / rel.with_suffix(".html")
            assert target.is_file(), f"{rel} was not rendered to {target}"
            assert target.stat().st_size > 1000


def test_every_image_has_alt_text(pages):
    n = 0
    for page in pages:
        for img in _parse(page).images:
            n += 1
            alt = (img.get("alt") or "").strip()
            assert alt, f"{page.name}: <img src={img.get('src')!r}> has no alt text"
    assert n >= 2, "the problem profile shows at least two figures"


def test_every_local_reference_exists(site, pages):
    kinds = set()
    ids: dict[Path, set[str]] = {}
    for page in pages:
        for ref in _parse(page).refs:
            url = urlparse(ref)
            path = unquote(url.path)
            if not path:
                continue
            target = (page.parent / path).resolve()
            assert target.exists(), f"{page.relative_to(site)} links to missing {ref}"
            kinds.add(target.suffix)
            if url.fragment and target.suffix == ".html":
                found = ids.setdefault(target, _ids(target))
                assert unquote(url.fragment) in found, \
                    f"{page.relative_to(site)} links to {ref}, which has no such anchor"
    assert {".png", ".csv"} <= kinds


def test_figures_and_tables_are_the_stored_outputs(site, pages):
    """Every figure/table a page links to is a byte copy of the notebook's stored file."""
    project = site.parent
    n = 0
    for page in pages:
        for ref in _parse(page).refs:
            path = unquote(urlparse(ref).path)
            if Path(path).suffix not in (".png", ".csv"):
                continue
            target = (page.parent / path).resolve()
            source = project / target.relative_to(site)
            assert source.is_file(), f"{page.name} shows {ref}, which no notebook wrote"
            assert target.read_bytes() == source.read_bytes(), ref
            n += 1
    assert n >= 4  # the problem profile alone shows two figures and two tables


def test_problem_profile_says_real_data_and_source(site):
    text = _visible_text(site / "notebooks" / "01-problem-profile.html")
    assert "Real data" in text
    assert "This page uses real published data: data.police.uk street-level crime (OGL v3.0)" \
        in text
    assert "Synthetic data on this page" in text  # the ED sections are synthetic
    assert "Sources" in text
    assert "Open Government Licence v3.0" in text


def test_no_record_level_police_fields(site):
    """No page or published table holds a Crime ID or a snapped street location."""
    story = {site / "index.html", *(site / "notebooks").rglob("*.html")}
    for page in [*site.rglob("*.html"), *site.rglob("*.json"),
                 *(site / "notebooks").rglob("*.csv")]:
        if "site_libs" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        assert not CRIME_ID.search(text), f"{page.name} holds a Crime ID"
        visible = _visible_text(page) if page.suffix == ".html" else text
        assert not STREET.search(visible), f"{page.name} holds a street location"
        if page in story:  # the story pages do not even quote the field
            assert "On or near" not in text, f"{page.name} mentions street locations"


# ------------------------------------------------------------------ package reference


def _page(obj: object) -> tuple[str, str]:
    """The reference page (under ``api/``) and anchor documenting a function or module."""
    module = getattr(obj, "__module__", None) or obj.__name__  # a module has no __module__
    if hasattr(obj, "__qualname__"):
        anchor = f"{module}.{obj.__qualname__}"
    else:
        anchor = module
    stem = module.removeprefix("lvrn_analysis.")
    return f"{stem}.html", anchor


def test_reference_page_for_every_public_module(site):
    missing = check_listing(ROOT)
    assert not missing, f"add to the quartodoc: section of _quarto.yml: {missing}"
    index = (site / "api" / "index.html").read_text(encoding="utf-8")
    modules = public_modules()
    assert "lvrn_analysis.stats.funnels" in modules and "lvrn_analysis._aliases" not in modules
    for name in modules:
        stem = name.removeprefix("lvrn_analysis.")
        page = site / "api" / f"{stem}.html"
        assert page.is_file(), f"no reference page for {name}"
        assert f'href="{stem}.html"' in index, f"the reference index does not link {name}"
    assert not (site / "api" / "_aliases.html").exists()


def test_reference_pages_have_no_rest_roles_or_raw_maths(site, pages):
    api = [p for p in pages if p.parent.name == "api"]
    assert len(api) > 40
    for page in pages:
        text = _visible_text(page)
        assert not REST_ROLES.search(text), f"{page.relative_to(site)} shows a reST role"
        prose = _visible_text(page, drop=("code", "pre", "math"))
        for raw in ("$", "\\(", "\\[", "\\frac"):
            assert raw not in prose, f"{page.relative_to(site)} shows raw maths ({raw!r})"
        loads = re.search(r"<(?:script|link)\b[^>]*katex", page.read_text(encoding="utf-8"))
        assert not loads, f"{page.relative_to(site)} loads KaTeX from the network"


def test_reference_formulas_are_mathml(site):
    from lvrn_analysis.its import design
    from lvrn_analysis.stats import funnels
    from lvrn_analysis.stats.indicators import byars_lower, byars_upper, dsr, wilson_interval

    # (object, display formulas at least, MathML elements the formula needs)
    cases = [
        (byars_lower, 1, ("<msqrt>", "<mfrac>", "<msup>")),
        (byars_upper, 1, ("<msqrt>", "<mfrac>", "<msup>")),
        (wilson_interval, 1, ("<msqrt>", "<mfrac>", "&#x02213;")),  # minus-or-plus
        (dsr, 2, ("<msqrt>", "<mfrac>", "&#x02211;")),  # a sum
        (funnels, 1, ("<mfrac>", "<msub>")),
        (design, 1, ("&#x02211;", "<msub>", "<mtext>")),
    ]
    for obj, n_display, needed in cases:
        name, anchor = _page(obj)
        html_ = _section(site / "api" / name, anchor)
        label = f"{name}#{anchor}"
        blocks = re.findall(r'<span class="math display"><math [^>]*display="block">.*?</math>',
                            html_, flags=re.S)
        assert len(blocks) >= n_display, f"{label}: {len(blocks)} display formulas"
        assert all(len(re.sub(r"<[^>]+>", "", b)) > 5 for b in blocks), f"{label}: empty formula"
        for element in needed:
            assert element in html_, f"{label}: no {element} in its maths"
    assert 'class="math inline"><math ' in _section(site / "api" / _page(funnels)[0],
                                                     _page(funnels)[1])


def test_reference_is_deterministic(site, tmp_path):
    shutil.copy(site.parent / "_quarto.yml", tmp_path / "_quarto.yml")
    pages = build_reference(tmp_path)
    assert pages[0].name == "index.qmd"
    first = sorted((site.parent / "api").glob("*.qmd"))
    assert [p.name for p in first] == sorted(p.name for p in pages)
    for p in first:
        assert (tmp_path / "api" / p.name).read_bytes() == p.read_bytes(), p.name


def test_check_listing_rejects_an_unknown_module(tmp_path):
    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    cfg["quartodoc"]["sections"][0]["contents"].append("no_such_module")
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    with pytest.raises(ValueError, match="lvrn_analysis.no_such_module"):
        check_listing(tmp_path)


def test_split_sections_ignores_code_fences():
    text = "Summary.\n\n```text\nNot a heading\n-------------\n```\n\nNotes\n-----\nBody."
    assert split_sections(text) == [
        (None, "Summary.\n\n```text\nNot a heading\n-------------\n```"), ("Notes", "Body.")]


def test_prose_under_a_methods_heading_stays_prose():
    import griffe

    code = ('r"""Module.\n\nMethods\n-------\n* **Exact**: $y_p = r_p / \\rho$.\n\n'
            'Limits are drawn.\n"""\n\n'
            'def f(a: int, b: str = "x") -> None:\n'
            '    """Do.\n\n    Parameters\n    ----------\n    a, b\n        Inputs.\n    """\n')
    with griffe.temporary_visited_module(code, docstring_parser="numpy") as mod:
        sections = docstring_sections(mod.docstring)
        assert [type(s).__name__ for s in sections] == ["DocstringSectionText",
                                                        "DocstringSectionAdmonition"]
        assert sections[1].title == "Methods"
        assert "$y_p = r_p / \\rho$" in sections[1].value.description
        assert "Limits are drawn." in sections[1].value.description
        params = mod["f"].docstring.parsed[1]
        signature_types(params, mod["f"])
        assert [(p.name, str(p.annotation), p.value) for p in params.value] == [
            ("a", "int", None), ("b", "str", "'x'")]


def test_mathml_page_converts_and_drops_katex():
    page = ('<html><head><link rel="stylesheet" href="https://cdn/katex.min.css">'
            '<script src="https://cdn/katex.min.js" defer></script></head><body>'
            '<p><span class="math inline">\\(x &lt; \\frac{1}{2}\\)</span></p>'
            '<p><span class="math display">\\[\\sqrt{x}\\]</span></p></body></html>')
    new, done, failures = mathml_page(page)
    assert (done, failures) == (2, [])
    assert "katex" not in new and 'id="lvrn-mathml"' in new
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in new
    assert "<mfrac>" in new and "<msqrt>" in new and "&#x0003C;" in new
    # TeX that cannot be converted stays TeX, and the page keeps KaTeX to draw it
    bad, done, failures = mathml_page(page.replace("\\sqrt{x}", "\\begin{nosuch}"))
    assert done == 1 and len(failures) == 1 and "katex.min.js" in bad


# ------------------------------------------------------------------ find_quarto


def test_find_quarto_bad_lvrn_quarto(monkeypatch, tmp_path):
    missing = tmp_path / "no" / "quarto"
    monkeypatch.setenv("LVRN_QUARTO", str(missing))
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    with pytest.raises(SiteError) as err:
        find_quarto()
    assert str(missing) in str(err.value)


def test_find_quarto_explicit_wins(monkeypatch, tmp_path):
    exe = tmp_path / "quarto"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setenv("LVRN_QUARTO", str(tmp_path / "missing"))
    assert find_quarto(str(exe)) == str(exe)
    monkeypatch.setenv("LVRN_QUARTO", str(exe))
    assert find_quarto() == str(exe)


def test_find_quarto_none_on_empty_path(monkeypatch, tmp_path):
    monkeypatch.delenv("LVRN_QUARTO", raising=False)
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_quarto() is None


def test_render_quarto_requested_but_absent(monkeypatch, tmp_path):
    monkeypatch.delenv("LVRN_QUARTO", raising=False)
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "_quarto.yml").write_text("project:\n  type: website\n", encoding="utf-8")
    with pytest.raises(SiteError, match="Quarto not found"):
        render_site(tmp_path, execute=False, renderer="quarto")


def test_render_without_quarto_yml(tmp_path):
    with pytest.raises(SiteError, match="_quarto.yml"):
        render_site(tmp_path, execute=False, renderer="smalldocs")


def test_quarto_warnings_are_shown_not_swallowed():
    from lvrn_analysis.site.render import quarto_warnings

    err = ("[1/56] index.qmd\nWARN (/x.qmd) Unable to resolve link target\n"
           "Output created: _site/index.html\nERROR: something\n")
    assert quarto_warnings(err) == ["WARN (/x.qmd) Unable to resolve link target",
                                    "ERROR: something"]
    assert quarto_warnings("[1/2] a.qmd\n[2/2] b.qmd\n") == []


# ------------------------------------------------------------------ offline and search


def test_theme_font_import_is_stripped_whole(tmp_path):
    """The Bootswatch web-font @import goes, with its ';'-laden URL, and nothing else."""
    import smalldocs

    from lvrn_analysis.site.offline import remote_assets, strip_remote_imports

    theme = Path(smalldocs.__file__).parent / "assets" / "vendor" / "bootswatch" / "cosmo.min.css"
    css = tmp_path / "site_libs" / "themes" / "cosmo.min.css"
    css.parent.mkdir(parents=True)
    shutil.copy(theme, css)
    assert remote_assets(tmp_path), "the shipped theme imports its font from the network"
    removed = strip_remote_imports(tmp_path)
    assert len(removed) == 1 and "fonts.googleapis.com" in removed[0][1]
    after = css.read_text(encoding="utf-8")
    assert "fonts.googleapis" not in after and "display=swap" not in after
    assert len(theme.read_text(encoding="utf-8")) - len(after) == len(removed[0][1])
    assert "*/:root,[data-bs-theme=light]{" in after
    assert remote_assets(tmp_path) == []


def test_remote_assets_lists_loads_not_links(tmp_path):
    from lvrn_analysis.site.offline import remote_assets

    (tmp_path / "p.html").write_text(
        '<html><head><link rel="stylesheet" href="//cdn.x/a.css">'
        '<link rel="canonical" href="https://site.x/p.html">'
        '<script src="https://cdn.x/b.js"></script>'
        "<script type=\"module\">import m from 'https://cdn.x/m.mjs';</script>"
        "<style>body{background:url('https://img.x/bg.png')}</style></head><body>"
        '<a href="https://data.police.uk/">data</a><img src="http://img.x/c.png" alt="c">'
        '<img src="figures/local.png" alt="d"></body></html>', encoding="utf-8")
    assert [u for _, u in remote_assets(tmp_path)] == [
        "//cdn.x/a.css", "http://img.x/c.png", "https://cdn.x/b.js", "https://cdn.x/m.mjs",
        "https://img.x/bg.png"]


def test_no_page_loads_anything_from_the_network(site):
    from lvrn_analysis.site.offline import remote_assets

    assert remote_assets(site) == []


def test_search_lists_story_pages_before_the_reference(site):
    import json

    from lvrn_analysis.site.offline import SCRIPT_ID

    entries = json.loads((site / "search.json").read_text(encoding="utf-8"))
    is_ref = [e["href"].startswith("api/") for e in entries]
    n_story = is_ref.index(True)
    assert n_story > 20 and all(is_ref[n_story:]), "reference entries are not all last"
    assert entries[0]["href"].startswith("index.html")
    order = [e["href"].split("#")[0] for e in entries[:n_story]]
    assert order.index("notebooks/01-problem-profile.html") < \
        order.index("notebooks/06-quickstart.html")
    script = (site / "site_libs" / "lvrn" / "search.js").read_text(encoding="utf-8")
    assert f"var STORY = {n_story};" in script
    index_js = (site / "site_libs" / "lvrn" / "search-index.js").read_text(encoding="utf-8")
    assert json.loads(index_js.removeprefix("window.lvrnSearchIndex = ").rstrip(";\n")) == entries
    for page in (site / "index.html", site / "notebooks" / "03-interventions.html",
                 site / "api" / "stats.funnels.html"):
        text = page.read_text(encoding="utf-8")
        assert text.count(f'id="{SCRIPT_ID}"') == 1, page.name
    assert 'src="../site_libs/lvrn/search.js"' in (site / "api" / "index.html").read_text(
        encoding="utf-8")
