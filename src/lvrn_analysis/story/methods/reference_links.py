"""Links from the page to the package reference: `resolve()` and `api_page()`.

The one place that knows how a function's dotted path becomes a page and anchor of
the package reference (used by the method catalogue,
`lvrn_analysis.story.methods.method_catalogue`).
"""

from __future__ import annotations

import importlib
from types import ModuleType


def resolve(dotted: str) -> tuple[ModuleType, object]:
    """Import the module of a dotted path and return it with the object named.

    Parameters
    ----------
    dotted
        E.g. ``"lvrn_analysis.its.results.ITSResults.averted"``.

    Returns
    -------
    tuple
        ``(module, obj)``; for a module path, ``obj`` is the module itself.

    Raises
    ------
    ImportError
        If no prefix of the path is a module.
    AttributeError
        If the object does not exist.
    """
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            mod = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        obj: object = mod
        for name in parts[i:]:
            obj = getattr(obj, name)
        return mod, obj
    raise ImportError(f"no module in {dotted!r}")


def api_page(dotted: str) -> str:
    """Return the package reference page and anchor of an object, relative to notebooks/.

    The reference is written by quartodoc (`lvrn_analysis.site.reference`): one page per
    module, ``api/<module without "lvrn_analysis.">.qmd``, and one anchor per documented
    object, its full dotted path in the module that *defines* it. A name re-exported by
    a package (``lvrn_analysis.stats.indicators.dsr``) therefore links to its defining
    module's page (``stats.indicators.standardised``); a method has its own anchor.

    Parameters
    ----------
    dotted
        Dotted path of a function, class, method or module.

    Returns
    -------
    str
        E.g. ``"../api/its.model.qmd#lvrn_analysis.its.model.fit_its"``; a module links
        to its page with no anchor.
    """
    _, obj = resolve(dotted)
    if isinstance(obj, ModuleType):
        module, qualname = obj.__name__, ""
    else:
        module, qualname = obj.__module__, obj.__qualname__
    stem = "lvrn_analysis" if module == "lvrn_analysis" else module.removeprefix("lvrn_analysis.")
    anchor = f"#{module}.{qualname}" if qualname else ""
    return f"../api/{stem}.qmd{anchor}"
