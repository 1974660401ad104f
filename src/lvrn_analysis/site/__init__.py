"""The website: executing the notebooks and rendering them with Quarto or the fallback."""

from lvrn_analysis.site.render import (
    SiteError,
    execute_notebook,
    find_quarto,
    notebooks,
    render_site,
)

__all__ = ["SiteError", "execute_notebook", "find_quarto", "notebooks", "render_site"]
