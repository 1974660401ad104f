"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from lvrn_analysis.config.areas import load_area

ROOT = Path(__file__).resolve().parents[1]

#: Tables every page-level test may read.
PAGE_TABLES = ("police_street", "police_street_months", "police_street_synthetic",
               "police_street_synthetic_months", "fingertips", "imd2019", "ks4_by_la",
               "ed_attendances", "programme_monitoring")


@pytest.fixture(scope="session")
def processed(tmp_path_factory) -> Path:
    """The processed folder: data/processed if fully built, else one fresh build in tmp.

    `make test` runs `lvrn build` first, so the tests normally read data/processed;
    a bare `pytest` on a fresh clone builds once into a temporary folder.
    """
    from lvrn_analysis.processed.store import processed_dir

    try:
        d = processed_dir(ROOT)
        if all((d / f"{t}.parquet").is_file() for t in PAGE_TABLES) and \
                (d / "ground_truth.json").is_file():
            return d
    except FileNotFoundError:
        pass
    from lvrn_analysis.processed.build import build

    tmp = tmp_path_factory.mktemp("page_build")
    out = tmp / "processed"
    build(load_area(), raw_dir=tmp / "raw", out_dir=out, synthetic_dir=tmp / "synthetic",
          progress=False)
    return out


# ------------------------------------------------------------------ the rendered site

#: Lines the real-browser test (tests/test_browser.py) reports, printed at the end of the run.
BROWSER_REPORT = pytest.StashKey[list]()


def _render_list() -> list[str]:
    import yaml

    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return list(cfg["project"]["render"])


@pytest.fixture(scope="session")
def fallback_site(tmp_path_factory) -> Path:
    """The site rendered by the fallback (smalldocs) from the notebooks' stored outputs.

    ``_quarto.yml``, the site's stylesheets, ``index.qmd`` and every folder the render
    list draws on (``notebooks/`` with its figures and tables, ``docs/``) are copied to a
    temporary project, which is rendered without executing anything. Shared by
    ``test_site.py`` and ``test_browser.py`` (one render per run).
    """
    import shutil

    import yaml

    from lvrn_analysis.site.render import render_site

    nb_dir = ROOT / "notebooks"
    if not (nb_dir / "figures").is_dir() or not any((nb_dir / "figures").glob("*.png")):
        pytest.fail("notebooks/figures/ is missing or empty: the notebooks have not been "
                    "executed; run `lvrn build && lvrn site` (make site) first")
    if not (nb_dir / "tables").is_dir():
        pytest.fail("notebooks/tables/ is missing: the notebooks have not been executed; "
                    "run `lvrn build && lvrn site` (make site) first")
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "_quarto.yml", project / "_quarto.yml")
    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    css = cfg["format"]["html"].get("css") or []
    for name in [css] if isinstance(css, str) else css:  # the site's own stylesheets
        shutil.copy(ROOT / name, project / name)
    folders = {"notebooks"} | {Path(src).parts[0] for src in _render_list()
                               if len(Path(src).parts) > 1}
    for top in ("index.qmd", *sorted(folders)):
        for f in [ROOT / top] if (ROOT / top).is_file() else sorted((ROOT / top).rglob("*")):
            rel = f.relative_to(ROOT)
            # regular files only: a running kernel leaves sockets next to the notebooks
            if f.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(rel.parts):
                (project / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, project / rel)
    return render_site(project, execute=False, renderer="smalldocs")


@pytest.fixture(scope="session")
def browser_report(request) -> list:
    """Lines for the end-of-run summary of the real-browser test."""
    return request.config.stash.setdefault(BROWSER_REPORT, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print what the real-browser test checked on each page (shown in CI logs too)."""
    lines = config.stash.get(BROWSER_REPORT, None)
    if lines:
        terminalreporter.section("real-browser checks, per page")
        for line in lines:
            terminalreporter.write_line(line)
