"""The website: executing the notebooks, the package reference, and rendering.

* `lvrn_analysis.site.render` — ``lvrn site``: execute, write the reference, render
  with Quarto or the offline fallback;
* `lvrn_analysis.site.reference` — the package reference, written by quartodoc;
* `lvrn_analysis.site.maths` — the fallback's maths as MathML, drawn with no network.
* `lvrn_analysis.site.offline` — either renderer's output made to work offline (no web
  font, search from ``file://``), with search ranked for the story pages.
"""

from lvrn_analysis.site.render import (
    SiteError,
    execute_notebook,
    find_quarto,
    notebooks,
    render_site,
)

__all__ = ["SiteError", "execute_notebook", "find_quarto", "notebooks", "render_site"]
