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

from lvrn_analysis.site.render import SiteError, find_quarto, render_site

ROOT = Path(__file__).resolve().parents[1]
CRIME_ID = re.compile(r"\b[0-9a-f]{64}\b")
STREET = re.compile(r"On or near [A-Z]\w+")


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


def _visible_text(page: Path) -> str:
    t = page.read_text(encoding="utf-8")
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", t, flags=re.S)
    t = re.sub(r"<[^>]+>", " ", t)
    return re.sub(r"\s+", " ", html.unescape(t))


def _render_list() -> list[str]:
    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return list(cfg["project"]["render"])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    nb_dir = ROOT / "notebooks"
    if not (nb_dir / "figures").is_dir() or not any((nb_dir / "figures").glob("*.png")):
        pytest.fail("notebooks/figures/ is missing or empty: the notebooks have not been "
                    "executed; run `lvrn build && lvrn site` (make site) first")
    if not (nb_dir / "tables").is_dir():
        pytest.fail("notebooks/tables/ is missing: the notebooks have not been executed; "
                    "run `lvrn build && lvrn site` (make site) first")
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "_quarto.yml", project / "_quarto.yml")
    folders = {"notebooks"} | {Path(src).parts[0] for src in _render_list()
                               if len(Path(src).parts) > 1}
    for top in ("index.qmd", *sorted(folders)):
        for f in [ROOT / top] if (ROOT / top).is_file() else sorted((ROOT / top).rglob("*")):
            rel = f.relative_to(ROOT)
            # regular files only: a running kernel leaves sockets next to the notebooks
            if f.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(rel.parts):
                (project / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, project / rel)
    out = render_site(project, execute=False, renderer="smalldocs")
    assert out == project / "_site"
    return out


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
    for page in pages:
        for ref in _parse(page).refs:
            path = unquote(urlparse(ref).path)
            if not path:
                continue
            target = (page.parent / path).resolve()
            assert target.exists(), f"{page.relative_to(site)} links to missing {ref}"
            kinds.add(target.suffix)
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
