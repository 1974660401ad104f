"""Which source has a synthetic twin, and the function that writes it.

A twin is written only when a source has neither files in ``data/raw/`` nor real
data shipped with the package (`default_inputs`).
Each writer has the signature ``write(out_dir, area) -> list[dict]``: it writes the
files in the source's exact real format into ``out_dir`` and returns the ground-truth
records of what it injected. Sources with no entry (IMD, programme monitoring) have
real data shipped and no twin.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from lvrn_analysis.config.areas import AreaConfig

Writer = Callable[[Path, AreaConfig], list[dict]]

#: Source name -> ``"module:function"`` of its twin's writer.
TWINS: dict[str, str] = {
    "police": "lvrn_analysis.synthetic.police:write_synthetic_police",
    "fingertips": "lvrn_analysis.synthetic.fingertips:synthesize",
    "ed": "lvrn_analysis.synthetic.ed:synthesize",
    "navigator": "lvrn_analysis.synthetic.navigator:synthesize",
    "crime_tables": "lvrn_analysis.synthetic.crime_tables:synthesize",
    "education": "lvrn_analysis.synthetic.education:synthesize",
}


def twin(source: str) -> Writer | None:
    """Return the writer of ``source``'s synthetic twin, or ``None`` if it has none.

    Parameters
    ----------
    source
        Source name as in `lvrn_analysis.sources.registry.sources()`.

    Returns
    -------
    callable or None
        ``write(out_dir, area) -> list[dict]`` (ground-truth records).
    """
    target = TWINS.get(source)
    if target is None:
        return None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
