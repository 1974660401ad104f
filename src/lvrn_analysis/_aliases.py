"""Old flat module names kept as aliases of their new homes.

Until version 0.1 the package was flat (``lvrn_analysis.indicators``,
``lvrn_analysis.disclosure``, ...). The modules now live in sub-packages that follow
the data flow (see ``docs/architecture.md``). So that notebooks and scripts written
against the flat names keep working, importing an old name gives the *same module
object* as its new name (monkeypatching one patches the other). The package itself
always imports the new names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: Old module name (relative to ``lvrn_analysis``) -> new module name.
ALIASES: dict[str, str] = {
    "indicators": "stats.indicators",
    "benchmarking": "stats.benchmarking",
    "funnels": "stats.funnels",
    "disclosure": "stats.disclosure",
    "geography": "config.geography",
    "periods": "config.periods",
    "outcomes": "config.outcomes",
    "validation": "sources.validation",
    "build": "processed.build",
    "profile": "story.profile",
    "ed_profile": "story.ed_profile",
    "serious_violence": "story.serious_violence",
    "causes": "story.causes",
    "interventions": "story.interventions",
    "impact": "story.impact",
    "methods_page": "story.methods",
    "notebook": "story.notebook",
    "plots": "charts.plots",
    "profile_charts": "charts.profile",
    "ed_charts": "charts.ed",
    "tilemap": "charts.tilemap",
    "synthetic_police": "synthetic.police",
    "synthetic_national": "synthetic.national",
}


class _AliasLoader(importlib.abc.Loader):
    """Load an alias by importing its target and returning that module object."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the target module is already executed."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Find ``lvrn_analysis.<old>`` and hand back ``lvrn_analysis.<new>``."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        """Return a spec for an aliased name, ``None`` for every other name."""
        prefix, _, leaf = fullname.partition(".")
        if prefix != "lvrn_analysis" or leaf not in ALIASES:
            return None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(f"lvrn_analysis.{ALIASES[leaf]}"))


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
