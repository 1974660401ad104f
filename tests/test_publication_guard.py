"""Publication guard: no table leaves the project without disclosure control.

``test_real_notebooks_and_tables`` scans every executed notebook under
``notebooks/*.ipynb`` and every CSV under ``notebooks/tables/``. If there are no
notebooks yet it passes trivially; the crafted-notebook tests below prove that
the scanner (``lvrn_analysis.stats.disclosure.scan_notebook`` and friends) catches
unmarked tables and small counts from person-level sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lvrn_analysis.stats import disclosure as dc

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _notebook(tmp_path: Path, name: str, outputs: list[dict]) -> Path:
    cells = [new_markdown_cell("# Crafted notebook")]
    for i, data in enumerate(outputs):
        cell = new_code_cell(source="table", execution_count=i + 1)
        cell.outputs = [new_output("execute_result", data=data, execution_count=i + 1)]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _ed_table() -> pd.DataFrame:
    return pd.DataFrame({"district": ["Blackpool", "Fylde", "Wyre"],
                         "attendances": [3, 48, 112]})


def test_real_notebooks_and_tables():
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) if NOTEBOOKS.is_dir() else []
    findings = dc.scan_publications(NOTEBOOKS) if NOTEBOOKS.is_dir() else []
    report = "\n".join(str(f) for f in findings)
    assert not findings, (
        f"{len(findings)} publication problem(s) in {len(notebooks)} notebooks:\n{report}"
    )


def test_guard_catches_unmarked_table(tmp_path):
    path = _notebook(tmp_path, "bad_unmarked.ipynb",
                     [{"text/html": _ed_table().to_html(), "text/plain": "df"}])
    findings = dc.scan_notebook(path)
    assert [f.kind for f in findings] == ["unmarked-table"]
    assert "cell 1 output 0" in findings[0].where


def test_guard_catches_small_ed_count_in_marked_table(tmp_path):
    # Marked as controlled ED data but built by hand, so a count of 3 is visible.
    html = (
        '<table data-lvrn-disclosure="controlled" data-lvrn-source="ed_attendances">'
        "<thead><tr><th>district</th><th>attendances</th></tr></thead>"
        "<tbody><tr><td>Blackpool</td><td>3</td></tr>"
        "<tr><td>Fylde</td><td>48</td></tr></tbody></table>"
    )
    path = _notebook(tmp_path, "bad_small.ipynb", [{"text/html": html}])
    findings = dc.scan_notebook(path)
    assert [f.kind for f in findings] == ["small-count"]
    assert "'3'" in findings[0].message


def test_guard_catches_tampered_published_table(tmp_path):
    good = dc.publish(_ed_table(), source="ed_attendances", count_cols="attendances")
    tampered = good.to_html().replace(">[c]<", ">3<")
    path = _notebook(tmp_path, "tampered.ipynb", [{"text/html": tampered}])
    assert [f.kind for f in dc.scan_notebook(path)] == ["small-count"]


def test_guard_catches_false_exemption_and_markdown_tables(tmp_path):
    fake = dc.publish(_ed_table(), source="data.police.uk", count_cols="attendances")
    html = fake.to_html().replace('data-lvrn-source="data.police.uk"',
                                  'data-lvrn-source="ed_attendances"')
    markdown = "| district | n |\n|---|---|\n| Wyre | 3 |\n"
    path = _notebook(tmp_path, "bad_exempt.ipynb",
                     [{"text/html": html}, {"text/markdown": markdown}])
    kinds = [f.kind for f in dc.scan_notebook(path)]
    assert kinds == ["exempt-not-registered", "unmarked-table"]


def test_guard_passes_published_tables(tmp_path):
    controlled = dc.publish(_ed_table(), source="ed_attendances", count_cols="attendances")
    exempt = dc.publish(_ed_table(), source="data.police.uk", count_cols="attendances")
    path = _notebook(tmp_path, "good.ipynb", [
        {"text/html": controlled._repr_html_(), "text/plain": repr(controlled)},
        {"text/html": exempt._repr_html_()},
        {"text/markdown": "![chart](figures/x.png){fig-alt=\"A chart\"}"},
    ])
    assert dc.scan_notebook(path) == []


def test_scan_publications_over_a_project_tree(tmp_path):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    good = dc.publish(_ed_table(), source="ed_attendances", count_cols="attendances")
    _notebook(nb_dir, "01_good.ipynb", [{"text/html": good.to_html()}])
    good.to_csv(nb_dir / "tables" / "ed.csv")
    assert dc.scan_publications(nb_dir) == []

    _ed_table().to_csv(nb_dir / "tables" / "raw.csv", index=False)  # no sidecar
    tampered = nb_dir / "tables" / "ed2.csv"
    good.to_csv(tampered)
    tampered.write_text(tampered.read_text().replace("[c]", "3"))
    _notebook(nb_dir, "02_bad.ipynb", [{"text/html": _ed_table().to_html()}])
    findings = dc.scan_publications(nb_dir)
    kinds = sorted(f.kind for f in findings)
    assert kinds == ["small-count", "unmarked-csv", "unmarked-table"]


def test_unreadable_notebook_is_reported(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps({"not": "a notebook"}))
    assert [f.kind for f in dc.scan_notebook(path)] == ["unreadable"]
