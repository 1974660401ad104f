"""The whole story for another VRU area, without touching the tracked notebooks.

``lvrn site --area NAME`` (`render_area_site()`) builds the area's processed data into a
build folder, copies the pages there, executes the copies with ``$LVRN_PROCESSED`` and
``$LVRN_AREA`` pointing at that build (the pages read the area through
`lvrn_analysis.story.area.current_area()`), and renders them into the build folder's own
``_site/``. The tracked notebooks and their stored (Lancashire) outputs are never
written.

Two marks in the notebooks drive the copies:

* a cell tagged ``area:ID`` (e.g. ``area:lancashire``) is kept only when the area is
  ``ID``: the LVRN's own material (its evaluation report's programme figures, Box 1,
  case studies, readings of its files);
* the first (front-matter) cell's metadata ``lvrn_title`` holds the page title as a
  template (``"Problem profile: violence in {place}"``, keys of
  `lvrn_analysis.story.area.AreaWords.as_dict`), filled with the area's words.

The overview page of another area is written from the area's configuration
(`index_page()`); the package reference and the project documents are not part of an
area's site (they do not depend on the area: see the main site).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from lvrn_analysis.config.areas import AreaConfig, load_area
from lvrn_analysis.site.render import (
    SiteError,
    choose_renderer,
    execute_notebook,
    notebooks,
    render_project,
)
from lvrn_analysis.story.area import AREA_ENV, fill, is_lvrn, words

#: Prefix of the cell tag that keeps a cell for one area only.
AREA_TAG = "area:"

#: Project files copied beside the pages: the stylesheet and what the pages read.
PROJECT_FILES = ("styles.css", "docs/assumptions.md", "constraints.txt", "environment.yml",
                 "pyproject.toml")


def area_build_dir(project: Path, area: AreaConfig) -> Path:
    """Return the build folder of an area's site: ``_build/site-<id>/`` in the project."""
    return Path(project) / "_build" / f"site-{area.id}"


def keep_cell(cell: dict, area: AreaConfig) -> bool:
    """Return whether a notebook cell belongs on the area's page (see the ``area:`` tag)."""
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith(AREA_TAG)]
    return not tags or f"{AREA_TAG}{area.id}" in tags


def page_title(cell: dict, area: AreaConfig) -> str | None:
    """Return the page title filled for the area, or ``None`` when the cell has no template."""
    tmpl = cell.get("metadata", {}).get("lvrn_title")
    return fill(tmpl, area) if tmpl else None


def area_notebook(src: Path, dest: Path, area: AreaConfig) -> None:
    """Write the area's copy of a notebook: other areas' cells dropped, title filled, no outputs.

    Parameters
    ----------
    src
        The tracked notebook.
    dest
        Where the copy is written.
    area
        The area of the copy.
    """
    import nbformat

    nb = nbformat.read(src, as_version=4)
    nb.cells = [c for c in nb.cells if keep_cell(c, area)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        title = page_title(cell, area)
        if title is not None:
            line = "title: " + '"' + title.replace('"', '\\"') + '"'
            cell.source = re.sub(r"(?m)^title:.*$", line.replace("\\", "\\\\"), cell.source,
                                 count=1)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def index_page(area: AreaConfig) -> str:
    """Return the overview page (``index.qmd``) of an area other than the LVRN's."""
    w = words(area)
    pop = (f", about {w.population:,} residents (ONS mid-{w.population_year})"
           if w.population else "")
    go = (f"The VRU went live in {w.go_live_text}." if w.go_live is not None else
          "The area file gives no go-live month (`go_live:`), so the pages do not assume one.")
    return f"""---
title: "Violence reduction in {w.place}: an evaluated story"
---

The World Health Organization's public-health approach to violence asks four questions: what
the problem is, what causes it, what works, and whether it worked. This website takes the
**{w.vru} ({w.short})** through those four steps, with every number computed from data by the
open-source `lvrn_analysis` package.

The area: {w.n_authorities} local authorities ({w.authority_list}){pop}, policed by
{w.force}. {go}

1. [Problem profile](notebooks/01-problem-profile.ipynb): how much recorded violence, where and
   when.
2. [Causes](notebooks/02-causes.ipynb): which risk and protective factors go with it.
3. [Interventions](notebooks/03-interventions.ipynb): what the VRU funds and what its
   monitoring shows.
4. [Impact](notebooks/04-impact.ipynb): whether recorded violence changed after go-live.
5. [Data and methods](notebooks/05-data-and-methods.ipynb) and a
   [quickstart](notebooks/06-quickstart.ipynb).

Every page says which of its data are real and which are synthetic (generated in the real
formats where no real data are loaded). This site was written by `lvrn site --area {area.id}`
from the area file `{area.source}`.
"""


def area_quarto(project: Path, area: AreaConfig) -> dict:
    """Return the area site's ``_quarto.yml``: the story pages only, titled for the area."""
    cfg = yaml.safe_load((Path(project) / "_quarto.yml").read_text(encoding="utf-8"))
    cfg.pop("quartodoc", None)
    proj = cfg.setdefault("project", {})
    proj["render"] = ["index.qmd", *[f"notebooks/{p.name}" for p in notebooks(Path(project))]]
    site = cfg.setdefault("website", {})
    w = words(area)
    site["description"] = (f"{w.vru}: problem profile, causes of the causes, interventions "
                           "and impact.")
    nav = site.get("navbar", {})
    nav.pop("right", None)
    return cfg


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def prepare_area_project(project: Path | str, area: AreaConfig, dest: Path | str) -> Path:
    """Copy the story pages for an area into ``dest`` (see the module notes).

    Parameters
    ----------
    project
        The project folder (``_quarto.yml``, ``notebooks/``, ``index.qmd``).
    area
        The area.
    dest
        The area's build folder.

    Returns
    -------
    Path
        ``dest``.
    """
    project, dest = Path(project), Path(dest)
    (dest / "notebooks").mkdir(parents=True, exist_ok=True)
    for stale in (dest / "notebooks").glob("*.ipynb"):
        stale.unlink()
    for nb in notebooks(project):
        area_notebook(nb, dest / "notebooks" / nb.name, area)
    if is_lvrn(area):
        shutil.copyfile(project / "index.qmd", dest / "index.qmd")
    else:
        (dest / "index.qmd").write_text(index_page(area), encoding="utf-8")
    # files the pages read (the data-and-methods page quotes the assumptions and the pins)
    for extra in PROJECT_FILES:
        if (project / extra).is_file():
            (dest / extra).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project / extra, dest / extra)
    (dest / "_quarto.yml").write_text(
        yaml.safe_dump(area_quarto(project, area), sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    return dest


def render_area_site(project: Path | str = ".", area: str = "lancashire", *,
                     dest: Path | str | None = None, build: bool = True,
                     execute: bool = True, renderer: str = "auto",
                     quarto: str | None = None) -> Path:
    """Build, execute and render the whole story for one area into its build folder.

    Parameters
    ----------
    project
        The project folder.
    area
        Shipped area name or area file (as ``lvrn build --area``).
    dest
        Build folder (default `area_build_dir()`); the site goes to ``dest/_site``.
    build
        Run ``lvrn build`` for the area into ``dest/data/processed`` first (raw files
        from the project's ``data/raw/``).
    execute
        Execute the copied notebooks (else render them without outputs).
    renderer, quarto
        As `lvrn_analysis.site.render.render_site()`.

    Returns
    -------
    Path
        The rendered site folder.

    Raises
    ------
    SiteError
        If a page fails or rendering fails.
    """
    project = Path(project).resolve()
    cfg = load_area(area)
    out = Path(dest).resolve() if dest is not None else area_build_dir(project, cfg)
    processed = out / "data" / "processed"
    if build:
        from lvrn_analysis.processed.build import build as run_build

        print(f"building area {cfg.id} into {processed}", file=sys.stderr)
        run_build(cfg, raw_dir=project / "data" / "raw", out_dir=processed,
                  synthetic_dir=out / "data" / "synthetic", progress=False)
    if not (processed / "manifest.json").is_file():
        raise SiteError(f"{processed} holds no build: run without --no-build")
    prepare_area_project(project, cfg, out)
    area_ref = str(Path(area).resolve()) if Path(area).suffix in {".yml", ".yaml"} else area
    if execute:
        with _environment(LVRN_PROCESSED=str(processed), **{AREA_ENV: area_ref}):
            for nb in notebooks(out):
                print(f"executing {nb.relative_to(out)} for area {cfg.id}", file=sys.stderr)
                execute_notebook(nb)
    exe = choose_renderer(renderer, quarto)
    return render_project(out, exe, renderer)
