"""Reading the processed tables written by ``lvrn build``.

Notebooks run from ``notebooks/`` and scripts from anywhere, so the processed
folder is found by looking for ``data/processed/manifest.json`` in the current
folder and its parents, unless ``$LVRN_PROCESSED`` names it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

#: File name of the build manifest inside the processed folder.
MANIFEST = "manifest.json"


def processed_dir(start: Path | str | None = None) -> Path:
    """Return the processed-data folder.

    Parameters
    ----------
    start
        Folder to start looking from (default: the current folder).

    Returns
    -------
    Path
        The folder holding ``manifest.json``.

    Raises
    ------
    FileNotFoundError
        If no build output is found; the message says to run ``lvrn build``.
    """
    env = os.environ.get("LVRN_PROCESSED")
    if env:
        p = Path(env)
        if (p / MANIFEST).is_file():
            return p
        raise FileNotFoundError(f"$LVRN_PROCESSED={env} holds no {MANIFEST}: run `lvrn build`")
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        cand = d / "data" / "processed"
        if (cand / MANIFEST).is_file():
            return cand
    raise FileNotFoundError(
        f"no data/processed/{MANIFEST} in {here} or its parents: run `lvrn build` first")


def read_table(name: str, directory: Path | str | None = None) -> pd.DataFrame:
    """Read one processed table (``<name>.parquet``).

    Parameters
    ----------
    name
        Table stem, e.g. ``"police_street"``.
    directory
        Processed folder (default: `processed_dir()`).

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    FileNotFoundError
        If the table was not built.
    """
    d = Path(directory) if directory is not None else processed_dir()
    p = d / f"{name}.parquet"
    if not p.is_file():
        raise FileNotFoundError(f"{p} not found: was it built? (run `lvrn build`)")
    return pd.read_parquet(p)


def manifest(directory: Path | str | None = None) -> dict:
    """Return the build manifest."""
    d = Path(directory) if directory is not None else processed_dir()
    return json.loads((d / MANIFEST).read_text(encoding="utf-8"))


def is_synthetic(table: str, directory: Path | str | None = None) -> bool:
    """Return whether a processed table rests on synthetic data."""
    return manifest(directory)["origins"].get(table, "synthetic").startswith("synthetic")
