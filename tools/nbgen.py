"""Shared builder for the ``tools/make_notebook_NN.py`` scripts.

Each script describes one story page as a sequence of Markdown and code cells;
this module turns that into a notebook file (without outputs: ``lvrn site``
executes it and stores the outputs).
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf


class NotebookWriter:
    """Collect the cells of one page and write them as ``.ipynb``.

    Parameters
    ----------
    title, subtitle
        The page's YAML front matter (the first, raw cell).
    """

    def __init__(self, title: str, subtitle: str) -> None:
        front = f'---\ntitle: "{title}"\nsubtitle: "{subtitle}"\n---'
        self.cells = [nbf.v4.new_raw_cell(front)]

    def md(self, text: str) -> None:
        """Add a Markdown cell."""
        self.cells.append(nbf.v4.new_markdown_cell(text.strip()))

    def code(self, text: str, before: bool = False) -> None:
        """Add a code cell (``before``: right after the front matter)."""
        cell = nbf.v4.new_code_cell(text.strip())
        if before:
            self.cells.insert(1, cell)
        else:
            self.cells.append(cell)

    def write(self, path: str | Path) -> None:
        """Write the notebook (Python 3 kernel) to ``path``."""
        nb = nbf.v4.new_notebook()
        nb.cells = self.cells
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        nbf.write(nb, str(path))
