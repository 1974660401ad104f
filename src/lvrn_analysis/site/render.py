"""Execute the story notebooks and render the website.

Rendering uses real Quarto when one is found — ``$LVRN_QUARTO``, ``$QUARTO_PATH``
or ``quarto`` on ``PATH`` — and otherwise falls back, with a warning, to the
offline renderer [smalldocs](https://pypi.org/project/smalldocs/), which reads
the same ``_quarto.yml`` and the outputs stored in the notebooks. Neither path
touches the network. What differs in the fallback: no Pandoc (so no Pandoc
filters, citations processing or cross-references beyond smalldocs's own),
maths is converted to MathML when the site is built (`lvrn_analysis.site.maths`)
rather than drawn by Pandoc's math method, and Mermaid diagrams would be drawn in the
reader's browser by a script loaded from a CDN (the pages draw their diagrams as
images instead). After either renderer, `lvrn_analysis.site.offline` removes the
theme's web-font import, ranks the search with the story pages first and makes it
work from ``file://``.

Before rendering, the package reference (``api/``) is written by quartodoc from the
docstrings (`lvrn_analysis.site.reference`), as the ``quartodoc:`` section of
``_quarto.yml`` lays it out.

Notebook execution is deterministic: the working folder is the notebook's own,
timing metadata is not recorded, and cell outputs must not contain timestamps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

NOTEBOOK_TIMEOUT = 600


class SiteError(RuntimeError):
    """A notebook failed to execute or the renderer failed."""


def notebooks(project: Path) -> list[Path]:
    """Return the story notebooks in order (``notebooks/NN-*.ipynb``)."""
    return sorted((project / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def execute_notebook(path: Path, *, timeout: int = NOTEBOOK_TIMEOUT) -> None:
    """Execute a notebook in place with the current Python, storing its outputs.

    Parameters
    ----------
    path
        The ``.ipynb`` file.
    timeout
        Seconds allowed per cell.

    Raises
    ------
    SiteError
        If a cell raises; the message names the notebook and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        raise SiteError(f"{path}: a cell failed:\n{exc}") from exc
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)


def find_quarto(explicit: str | None = None) -> str | None:
    """Return the Quarto executable to use, or ``None`` if there is none."""
    for cand in (explicit, os.environ.get("LVRN_QUARTO"), os.environ.get("QUARTO_PATH")):
        if cand:
            if Path(cand).is_file() or shutil.which(cand):
                return cand
            raise SiteError(f"Quarto not found at {cand}")
    return shutil.which("quarto")


def write_reference(project: Path) -> None:
    """Write the package reference (``api/``) when ``_quarto.yml`` configures quartodoc.

    Raises
    ------
    SiteError
        If the ``quartodoc:`` listing names a module that does not exist.
    """
    import yaml

    from lvrn_analysis.site.reference import build_reference, check_listing

    if not (yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8")) or {}).get(
            "quartodoc"):
        return
    try:
        build_reference(project)  # checks the listing first
    except ValueError as exc:
        raise SiteError(str(exc)) from exc
    missing = check_listing(project)
    if missing:
        print("warning: these modules have no reference page; add them to the quartodoc: "
              f"section of _quarto.yml: {', '.join(missing)}", file=sys.stderr)


def offline_maths(site: Path) -> None:
    """Replace the fallback's CDN-drawn maths by MathML (see `lvrn_analysis.site.maths`)."""
    from lvrn_analysis.site.maths import mathml_site

    report = mathml_site(site)
    for page, tex, err in report.failures:
        print(f"warning: {page}: maths left as TeX ({err}): {tex}", file=sys.stderr)


def offline_site(project: Path, site: Path) -> None:
    """Make either renderer's output work offline and rank its search for the story.

    See `lvrn_analysis.site.offline.make_offline()`; what would still load from the
    network is printed as a warning (``tests/test_browser.py`` fails on it).
    """
    import yaml

    from lvrn_analysis.site.offline import make_offline

    cfg = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8")) or {}
    ref_dir = str((cfg.get("quartodoc") or {}).get("dir") or "api")
    order = [str(p) for p in (cfg.get("project") or {}).get("render") or []]
    report = make_offline(site, reference_dir=ref_dir, page_order=order)
    for page, url in report.remote:
        print(f"warning: {page} loads {url} from the network", file=sys.stderr)


def quarto_warnings(stderr: str) -> list[str]:
    """Return the lines of Quarto's output that warn, so a successful render shows them.

    Quarto prints progress to stderr as well; only lines with ``WARN`` or ``ERROR``
    (its log levels) are kept, so future warnings are seen rather than swallowed.

    Parameters
    ----------
    stderr
        What ``quarto render`` printed on standard error.

    Returns
    -------
    list of str
        The warning lines, in order, stripped.
    """
    return [ln.strip() for ln in stderr.splitlines()
            if "WARN" in ln.upper() or "ERROR" in ln.upper()]


def _check_tracked_area(project: Path) -> None:
    """Refuse to execute the tracked (Lancashire) notebooks on another area's build."""
    from lvrn_analysis.processed.store import manifest

    try:
        built = (manifest(project / "data" / "processed").get("area") or {}).get("id")
    except FileNotFoundError:
        return
    if built and built != "lancashire" and not os.environ.get("LVRN_PROCESSED"):
        raise SiteError(
            f"data/processed holds a build for area {built!r}; the tracked notebooks tell the "
            f"Lancashire story: run `lvrn site --area {built}` (renders into "
            f"_build/site-{built}/_site) or `lvrn build` first")


def render_site(project: Path | str = ".", *, execute: bool = True, renderer: str = "auto",
                quarto: str | None = None) -> Path:
    """Execute the notebooks (optionally), write the package reference, render into ``_site/``.

    Parameters
    ----------
    project
        Folder holding ``_quarto.yml``.
    execute
        Execute every notebook first (refreshing stored outputs and figures).
    renderer
        ``"auto"`` (Quarto if found, else smalldocs), ``"quarto"`` or ``"smalldocs"``.
    quarto
        Path to the Quarto executable.

    Returns
    -------
    Path
        The ``_site`` folder.

    Raises
    ------
    SiteError
        If a notebook fails, Quarto was requested but not found, or rendering fails.
    """
    project = Path(project).resolve()
    if not (project / "_quarto.yml").is_file():
        raise SiteError(f"{project} has no _quarto.yml")
    if execute:
        _check_tracked_area(project)
        for nb in notebooks(project):
            print(f"executing {nb.relative_to(project)}", file=sys.stderr)
            execute_notebook(nb)
    exe = choose_renderer(renderer, quarto)
    write_reference(project)
    return render_project(project, exe, renderer)


def choose_renderer(renderer: str, quarto: str | None = None) -> str | None:
    """Return the Quarto executable to render with, or ``None`` for the offline fallback.

    Raises
    ------
    SiteError
        If ``renderer`` is ``"quarto"`` and Quarto is not found.
    """
    exe = None if renderer == "smalldocs" else find_quarto(quarto)
    if renderer == "quarto" and exe is None:
        raise SiteError("Quarto not found: install it (see README) or use --renderer smalldocs")
    return exe


def render_project(project: Path, exe: str | None, renderer: str = "auto") -> Path:
    """Render an executed project with Quarto (``exe``) or smalldocs, then make it offline.

    Used by `render_site()` and by the site of another area
    (`lvrn_analysis.site.area_site.render_area_site()`), so that both print the
    renderer's warnings and get `offline_site()`.

    Returns
    -------
    Path
        The ``_site`` folder.

    Raises
    ------
    SiteError
        If rendering fails or gives no ``index.html``.
    """
    if exe is not None:
        proc = subprocess.run([exe, "render", str(project), "--no-execute"],
                              cwd=project, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SiteError(f"quarto render failed:\n{proc.stderr[-4000:]}")
        for line in quarto_warnings(proc.stderr):
            print(f"quarto: {line}", file=sys.stderr)
    else:
        if renderer == "auto":
            print("warning: Quarto not found; rendering with the offline renderer smalldocs "
                  "(see README: 'Rendering with real Quarto').", file=sys.stderr)
        from smalldocs.site import build as sd_build

        site = sd_build(project, quiet=True)
        # expected: notebooks are executed by lvrn site; quartodoc: is read by lvrn site;
        # the fallback's maths become MathML in offline_maths below, as html-math-method asks
        expected = ("execute.enabled", "unknown key quartodoc", "html-math-method")
        for w in site.warnings:
            if not any(e in w for e in expected):
                print(f"smalldocs: {w}", file=sys.stderr)
        offline_maths(project / "_site")
    out = project / "_site"
    if not (out / "index.html").is_file():
        raise SiteError(f"rendering produced no {out / 'index.html'}")
    offline_site(project, out)
    return out
