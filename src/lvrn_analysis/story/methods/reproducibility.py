"""Reproducibility: the pinned environment, the determinism guarantees and the output hashes.

`pinned_packages()` reads ``constraints.txt``, `reproducibility_markdown()` says
how many packages are pinned, which version built the data and with which seed,
and `output_hashes()` lists every output of the build with its SHA-256.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.processed.store import manifest, processed_dir
from lvrn_analysis.story.methods.build_manifest import short_sha


def project_root(directory: Path | str | None = None) -> Path:
    """Return the project folder (the parent of ``data/processed``)."""
    d = Path(directory) if directory is not None else processed_dir()
    return d.resolve().parents[1]


def pinned_packages(project: Path | str | None = None,
                    names: Sequence[str] = ("numpy", "pandas", "pyarrow", "scipy",
                                            "statsmodels", "matplotlib", "seaborn",
                                            "nbval")) -> tuple[int, dict[str, str]]:
    """Read ``constraints.txt``: how many packages are pinned, and some versions.

    Parameters
    ----------
    project
        Project folder (default: the one holding ``data/processed``).
    names
        Packages whose pinned version to return.

    Returns
    -------
    tuple
        ``(number of pins, {name: version})``.
    """
    root = Path(project) if project is not None else project_root()
    pins: dict[str, str] = {}
    for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return len(pins), {n: pins[n] for n in names if n in pins}


def reproducibility_markdown(project: Path | str | None = None,
                             m: Mapping | None = None) -> str:
    """Describe the pinned environment and the determinism guarantees of this build.

    Two bullets carrying the numbers of this build (packages pinned, versions, the
    package version and the synthetic seed); how to check a rebuild against the
    hashes is written in the notebook.

    Parameters
    ----------
    project
        Project folder.
    m
        Build manifest.

    Returns
    -------
    str
        Markdown.
    """
    m = manifest() if m is None else m
    n, versions = pinned_packages(project)
    pins = ", ".join(f"{k} {v}" for k, v in versions.items())
    try:
        seed = load_area(m["area"]["id"]).synthetic_seed
    except (FileNotFoundError, KeyError, ValueError):
        seed = None
    seed_text = f" (seed {seed} for area `{m['area']['id']}`)" if seed is not None else ""
    return (
        f"* **Environment.** `constraints.txt` pins **{n}** packages exactly ({pins}, …); "
        "`make` installs the package from it into `.venv/`. `environment.yml` gives the same "
        f"for conda. This build was made by `lvrn_analysis` {m['lvrn_analysis_version']}.\n"
        "* **Determinism.** The synthetic data are drawn from seeded generators"
        f"{seed_text}, so every build writes byte-identical inputs; processed tables are "
        "sorted and written without timestamps; the manifest holds no dates or absolute "
        "paths; figures are PNG without timestamp metadata; notebooks are executed without "
        "timing metadata and print only rounded numbers. nbval re-runs every notebook and "
        "fails on any change in its outputs.")


def output_hashes(m: Mapping | None = None) -> pd.DataFrame:
    """Every output of the build with its rows and SHA-256 (first characters).

    Parameters
    ----------
    m
        Build manifest.

    Returns
    -------
    pandas.DataFrame
        ``output`` (path relative to the project), ``rows``, ``sha256``.
    """
    m = manifest() if m is None else m
    return pd.DataFrame([{"output": k, "rows": int(v["rows"]), "sha256": short_sha(v["sha256"])}
                         for k, v in m["outputs"].items()])
