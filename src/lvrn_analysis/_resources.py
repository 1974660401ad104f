"""Access to the reference data and configuration files shipped in the package."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def reference_file(name: str) -> Traversable:
    """Return a handle on a file in the package's ``reference/`` folder.

    Parameters
    ----------
    name
        File name (may include a sub-folder, ``"a/b.csv"``).

    Returns
    -------
    importlib.abc.Traversable
        Open it with ``.open("rb")`` or ``.open("r", encoding="utf-8")``.

    Raises
    ------
    FileNotFoundError
        If the package ships no such file.
    """
    path = resources.files("lvrn_analysis").joinpath("reference", *name.split("/"))
    if not path.is_file():
        raise FileNotFoundError(f"lvrn_analysis ships no reference file {name!r}")
    return path


def area_file(name: str) -> Traversable:
    """Return a handle on a shipped area configuration (``areas/<name>.yml``)."""
    path = resources.files("lvrn_analysis").joinpath("areas", f"{name}.yml")
    if not path.is_file():
        raise FileNotFoundError(f"lvrn_analysis ships no area configuration {name!r}")
    return path
