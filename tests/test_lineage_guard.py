"""Lineage guard: every published output says which data it rests on, and synthetic ones say so.

`scan_lineage()` walks every output of every page:

* the notebooks' stored outputs — HTML tables published by ``nb.table`` (lineage
  attribute, caption, lineage line) and Markdown figure blocks written by
  ``nb.figure`` (caption and alt text, and the PNG they show);
* ``notebooks/tables/*.csv`` with their ``-metadata.json`` sidecars (leading
  ``data_status`` column, ``lvrn:lineage``, ``lvrn:synthetic``, description, reason);
* ``notebooks/figures/*.png`` (the lineage and stamp text chunks that
  `lvrn_analysis.charts.plots.figure_markdown()` writes, since pixels cannot be
  searched; the stamp chunk is read from the stamp artist actually drawn).

It reports an output whose lineage is missing or undeclared, and any output
resting on a synthetic processed table (per the build manifest's origins) that
lacks ``SYNTHETIC`` in any of those places. ``test_guard_fails_when_a_mark_is_removed``
and ``test_guard_fails_on_a_mutated_copy_of_the_pages`` prove it fails when a
mark is taken out.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from lvrn_analysis.charts import plots
from lvrn_analysis.processed.lineage import MARK, Lineage, is_synthetic_origin, lineage
from lvrn_analysis.processed.store import manifest, processed_dir
from lvrn_analysis.stats import disclosure as dc
from lvrn_analysis.stats.disclosure.published import CSV_METADATA_SUFFIX, STATUS_COLUMN

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

_DIV = re.compile(r'<div class="lvrn-published"([^>]*)>(.*?)</div>', re.DOTALL)
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_CAPTION = re.compile(r"<caption>(.*?)</caption>", re.DOTALL)
_NOTE = re.compile(r'<p class="lvrn-lineage"[^>]*>(.*?)</p>', re.DOTALL)
_IMAGE = re.compile(r"!\[(?P<title>[^\]]*)\]\((?P<path>[^)\s]+\.png)\)"
                    r"(?:\{fig-alt=\"(?P<alt>[^\"]*)\"\})?")
_TAGS = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return html.unescape(_TAGS.sub("", fragment))


def _origins() -> dict[str, str] | None:
    try:
        return dict(manifest(processed_dir(ROOT))["origins"])
    except FileNotFoundError:
        return None


def _check_record(where: str, record: object, origins: dict[str, str] | None) -> list[str]:
    """Problems with a stored lineage record (`Lineage.record()`)."""
    if not isinstance(record, dict) or "status" not in record:
        return [f"{where}: no lineage record"]
    if record["status"] == "undeclared":
        return [f"{where}: lineage undeclared (pass sources=[...])"]
    found = []
    rec_origins = record.get("origins") or {}
    synth = any(is_synthetic_origin(o) for o in rec_origins.values())
    if bool(record.get("synthetic")) != synth:
        found.append(f"{where}: lineage says synthetic={record.get('synthetic')} but its "
                     f"origins are {rec_origins}")
    if origins is not None:
        stale = {s: o for s, o in rec_origins.items() if origins.get(s) != o}
        if stale:
            found.append(f"{where}: lineage origins {stale} differ from the build manifest "
                         "(re-run the page)")
    return found


def _synthetic(record: object) -> bool:
    return isinstance(record, dict) and bool(record.get("synthetic"))


def _check_png(path: Path, origins: dict[str, str] | None) -> tuple[list[str], dict]:
    if not path.is_file():
        return [f"{path}: figure file missing"], {}
    chunks = plots.read_png_metadata(path)
    try:
        record = json.loads(chunks[plots.PNG_LINEAGE_KEY])
    except (KeyError, ValueError):
        return [f"{path}: no {plots.PNG_LINEAGE_KEY} text chunk"], {}
    found = _check_record(str(path), record, origins)
    if _synthetic(record):
        if MARK not in chunks.get(plots.PNG_STAMP_KEY, ""):
            found.append(f"{path}: rests on synthetic data but the image has no {MARK} stamp")
        for key in ("Title", "Description"):
            if MARK not in chunks.get(key, ""):
                found.append(f"{path}: PNG {key} lacks {MARK}")
    return found, record


def scan_notebook(path: Path, origins: dict[str, str] | None) -> list[str]:
    """Lineage problems in one executed notebook's stored outputs."""
    found: list[str] = []
    nb = nbformat.read(path, as_version=4)
    for ci, cell in enumerate(nb.cells):
        for oi, out in enumerate(cell.get("outputs", [])):
            where = f"{path.name} cell {ci} ({cell.get('id')}) output {oi}"
            data = out.get("data", {})
            if "image/png" in data:
                found.append(f"{where}: inline image with no lineage (publish with nb.figure)")
            page_html = data.get("text/html", "")
            page_html = "".join(page_html) if isinstance(page_html, list) else page_html
            for div_attrs, body in _DIV.findall(page_html):
                attrs = dict(_ATTR.findall(div_attrs))
                status = attrs.get("data-lvrn-lineage")
                if status in (None, "undeclared"):
                    found.append(f"{where}: table lineage {status or 'missing'} "
                                 "(pass sources=[...] to nb.table)")
                    continue
                if status in ("synthetic", "mixed"):
                    cap = _CAPTION.search(body)
                    note = _NOTE.search(body)
                    if not cap or MARK not in _text(cap.group(1)):
                        found.append(f"{where}: synthetic table caption lacks {MARK}")
                    if not note or MARK not in _text(note.group(1)):
                        found.append(f"{where}: synthetic table has no {MARK} lineage line")
            text = data.get("text/markdown", "")
            text = "".join(text) if isinstance(text, list) else text
            for m in _IMAGE.finditer(text):
                title, rel, alt = m.group("title"), m.group("path"), m.group("alt")
                if alt is None:
                    found.append(f"{where}: figure {rel} has no alt text")
                    alt = ""
                problems, record = _check_png(path.parent / rel, origins)
                found += [f"{where}: {p}" for p in problems]
                if _synthetic(record):
                    if MARK not in title:
                        found.append(f"{where}: figure {rel} rests on synthetic data; caption "
                                     f"lacks {MARK}: {title!r}")
                    if MARK not in alt:
                        found.append(f"{where}: figure {rel} rests on synthetic data; alt text "
                                     f"lacks {MARK}")
    return found


def scan_csv(path: Path, origins: dict[str, str] | None) -> list[str]:
    """Lineage problems of one downloadable CSV and its sidecar."""
    meta_path = path.with_name(path.name + CSV_METADATA_SUFFIX)
    if not meta_path.is_file():
        return [f"{path}: no {meta_path.name}"]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    record = meta.get("lvrn:lineage")
    found = _check_record(str(meta_path), record, origins)
    if not _synthetic(record):
        if meta.get("lvrn:synthetic"):
            found.append(f"{meta_path}: lvrn:synthetic true but lineage real")
        return found
    if meta.get("lvrn:synthetic") is not True:
        found.append(f"{meta_path}: rests on synthetic data but lvrn:synthetic is "
                     f"{meta.get('lvrn:synthetic')!r}")
    for key in ("dc:title", "dc:description", "lvrn:reason"):
        if MARK not in str(meta.get(key, "")):
            found.append(f"{meta_path}: {key} lacks {MARK}")
    if record["status"] == "synthetic" and "already-published" in json.dumps(meta):
        found.append(f"{meta_path}: synthetic table described as already-published")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not len(table.columns) or table.columns[0] != STATUS_COLUMN:
        found.append(f"{path}: rests on synthetic data but has no leading {STATUS_COLUMN!r} "
                     "column")
    elif not table[STATUS_COLUMN].str.contains(MARK).all():
        found.append(f"{path}: {STATUS_COLUMN!r} lacks {MARK} on some rows")
    return found


def scan_lineage(notebooks_dir: Path, origins: dict[str, str] | None = None) -> list[str]:
    """Every lineage problem of the pages under ``notebooks_dir`` (empty: all marked)."""
    found: list[str] = []
    for nb_path in sorted(notebooks_dir.glob("*.ipynb")):
        found += scan_notebook(nb_path, origins)
    for csv in sorted((notebooks_dir / "tables").glob("*.csv")):
        found += scan_csv(csv, origins)
    for png in sorted((notebooks_dir / "figures").glob("*.png")):
        found += _check_png(png, origins)[0]
    return list(dict.fromkeys(found))


# -- the real pages ---------------------------------------------------------------------


def test_every_output_of_every_page_carries_its_lineage():
    assert NOTEBOOKS.is_dir()
    found = scan_lineage(NOTEBOOKS, _origins())
    report = "\n".join(found[:60])
    assert not found, f"{len(found)} lineage problem(s) in the published pages:\n{report}"


def test_pages_do_publish_synthetic_outputs_with_marks():
    """Not vacuous: in a build with synthetic sources, marked synthetic outputs exist."""
    origins = _origins()
    if origins is None or not any(is_synthetic_origin(o) for o in origins.values()):
        pytest.skip("no build, or no synthetic source in it")
    metas = [json.loads(p.read_text(encoding="utf-8"))
             for p in (NOTEBOOKS / "tables").glob(f"*.csv{CSV_METADATA_SUFFIX}")]
    assert any(m.get("lvrn:synthetic") is True for m in metas)
    pngs = [plots.read_png_metadata(p) for p in (NOTEBOOKS / "figures").glob("*.png")]
    assert any(MARK in c.get(plots.PNG_STAMP_KEY, "") for c in pngs)


# -- crafted pages: the guard passes marked outputs and fails when a mark is removed ------

ORIGINS = {"police_street": "real (embedded data.police.uk aggregate)",
           "fingertips": "synthetic", "ed_attendances": "synthetic"}


def _page(root: Path) -> Path:
    """Write a small page (notebook + CSVs + PNGs) the way nb.table / nb.figure do."""
    nb_dir = root / "notebooks"
    (nb_dir / "tables").mkdir(parents=True)
    df = pd.DataFrame({"area": ["A", "B", "C"], "count": [120, 45, 300],
                       "rate": [1.2, 0.45, 3.0]})
    outputs = []
    for name, sources, source in (("synth", ["fingertips"], "fingertips"),
                                  ("mixed", ["fingertips", "police_street"], "fingertips"),
                                  ("real", ["police_street"], "data.police.uk"),
                                  ("ed", ["ed_attendances"], "ed_attendances")):
        lin = Lineage.from_origins(sources, ORIGINS)
        pub = dc.publish(df, source=source, count_cols="count", derived_cols={"rate": "count"},
                         caption=f"Table {name}.", lineage=lin)
        pub.to_csv(nb_dir / "tables" / f"{name}.csv")
        outputs.append({"text/html": pub.to_html()})
        fig, ax = plots.new_figure()
        ax.bar(df["area"], df["count"])
        plots.finish(fig, title=f"Figure {name}", alt=f"Bars of three areas ({name}).",
                     source=plots.source_line(["test"], lineage=lin))
        md = plots.figure_markdown(fig, name, directory=nb_dir / "figures", lineage=lin)
        plt.close(fig)
        outputs.append({"text/markdown": md})
    cells = [new_markdown_cell("# Crafted page")]
    for i, data in enumerate(outputs):
        cell = new_code_cell(source="x", execution_count=i + 1)
        cell.outputs = [new_output("display_data", data=data)]
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), nb_dir / "01-page.ipynb")
    return nb_dir


def _rewrite_png(path: Path, **changes: str) -> None:
    with Image.open(path) as img:
        img.load()
        chunks = {**img.text, **changes}
        info = PngInfo()
        for k, v in chunks.items():
            info.add_text(k, v)
        img.save(path, pnginfo=info)


def _edit_notebook(nb_dir: Path, old: str, new: str, count: int = 1) -> None:
    path = nb_dir / "01-page.ipynb"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _edit_json(path: Path, key: str, value: object) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta[key] = value
    path.write_text(json.dumps(meta), encoding="utf-8")


def _drop_status_column(path: Path) -> None:
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=STATUS_COLUMN).to_csv(
        path, index=False)


MUTATIONS = {
    "html caption": lambda d: _edit_notebook(d, "SYNTHETIC DATA. Table synth.", "Table synth."),
    "html lineage line": lambda d: _edit_notebook(
        d, "SYNTHETIC DATA - illustrative, not real figures (synthetic processed tables: "
           "fingertips)", "Data: fingertips"),
    "html lineage attribute": lambda d: _edit_notebook(
        d, 'data-lvrn-lineage=\\"synthetic\\"', 'data-lvrn-lineage=\\"undeclared\\"'),
    "figure caption": lambda d: _edit_notebook(
        d, "![SYNTHETIC DATA: Figure synth]", "![Figure synth]"),
    "figure alt text": lambda d: _edit_notebook(
        d, 'fig-alt=\\"SYNTHETIC DATA, illustrative and not real figures: Bars of three '
           'areas (synth).', 'fig-alt=\\"Bars of three areas (synth).'),
    "png stamp": lambda d: _rewrite_png(d / "figures" / "synth.png",
                                        **{plots.PNG_STAMP_KEY: ""}),
    "png lineage record": lambda d: _rewrite_png(d / "figures" / "mixed.png",
                                                 **{plots.PNG_LINEAGE_KEY: "{}"}),
    "csv status column": lambda d: _drop_status_column(d / "tables" / "ed.csv"),
    "csv metadata flag": lambda d: _edit_json(d / "tables" / "synth.csv-metadata.json",
                                              "lvrn:synthetic", False),
    "csv metadata reason": lambda d: _edit_json(
        d / "tables" / "synth.csv-metadata.json", "lvrn:reason",
        dc.SOURCE_POLICIES["fingertips"].reason),
    "csv metadata description": lambda d: _edit_json(
        d / "tables" / "mixed.csv-metadata.json", "dc:description", "Exempt."),
}


def test_guard_passes_marked_pages(tmp_path):
    nb_dir = _page(tmp_path)
    assert scan_lineage(nb_dir, ORIGINS) == []
    meta = json.loads((nb_dir / "tables" / "synth.csv-metadata.json").read_text())
    assert meta["lvrn:synthetic"] is True and "already-published" not in json.dumps(meta)
    assert pd.read_csv(nb_dir / "tables" / "synth.csv")[STATUS_COLUMN].eq("SYNTHETIC").all()
    assert pd.read_csv(nb_dir / "tables" / "mixed.csv")[STATUS_COLUMN].eq(
        "PARTLY SYNTHETIC").all()
    assert STATUS_COLUMN not in pd.read_csv(nb_dir / "tables" / "real.csv").columns
    real_png = plots.read_png_metadata(nb_dir / "figures" / "real.png")
    assert real_png[plots.PNG_STAMP_KEY] == "" and json.loads(
        real_png[plots.PNG_LINEAGE_KEY])["status"] == "real"


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_guard_fails_when_a_mark_is_removed(tmp_path, mutation):
    nb_dir = _page(tmp_path)
    MUTATIONS[mutation](nb_dir)
    assert scan_lineage(nb_dir, ORIGINS), f"removing the {mutation} went unnoticed"


def test_guard_fails_on_undeclared_and_stale_lineage(tmp_path):
    nb_dir = _page(tmp_path)
    undeclared = dc.publish(pd.DataFrame({"count": [10]}), source="fingertips",
                            count_cols="count")
    undeclared.to_csv(nb_dir / "tables" / "undeclared.csv")
    assert any("undeclared" in f for f in scan_lineage(nb_dir, ORIGINS))
    moved = {**ORIGINS, "fingertips": "real (a real export)"}
    assert any("differ from the build manifest" in f for f in scan_lineage(nb_dir, moved))


def test_guard_fails_on_a_mutated_copy_of_the_pages(tmp_path):
    """Take one SYNTHETIC mark of each kind out of a copy of the real pages."""
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    origins = _origins()
    synth_csv = next((p for p in sorted((copy / "tables").glob("*.csv"))
                      if json.loads(p.with_name(p.name + CSV_METADATA_SUFFIX).read_text(
                          encoding="utf-8")).get("lvrn:synthetic") is True), None)
    synth_png = next((p for p in sorted((copy / "figures").glob("*.png"))
                      if MARK in plots.read_png_metadata(p).get(plots.PNG_STAMP_KEY, "")), None)
    assert synth_csv is not None and synth_png is not None, (
        "the pages publish no marked synthetic CSV or figure: declare sources=[...] and re-run")
    before = len(scan_lineage(copy, origins))
    _drop_status_column(synth_csv)
    _rewrite_png(synth_png, **{plots.PNG_STAMP_KEY: ""})
    after = scan_lineage(copy, origins)
    assert any(synth_csv.name in f for f in after)
    assert any(synth_png.name in f for f in after)
    assert len(after) >= before + 2


# -- the helpers ------------------------------------------------------------------------


def test_lineage_from_the_manifest_names_sources_and_fails_on_unknown_tables():
    lin = Lineage.from_origins(["police_street", "fingertips"], ORIGINS)
    assert lin.status == "mixed" and lin.mark == "PARTLY SYNTHETIC DATA"
    assert Lineage.from_origins("fingertips", ORIGINS).status == "synthetic"
    assert Lineage.from_origins([], ORIGINS).status == "none"
    assert Lineage().status == "undeclared" and Lineage().synthetic is None
    assert lineage(None).status == "undeclared"
    with pytest.raises(KeyError, match="police_street_months"):
        Lineage.from_origins(["police_street_months"], ORIGINS)
    assert lin.marked("SYNTHETIC data in a table") == "SYNTHETIC data in a table"
    assert Lineage.from_origins(["police_street"], ORIGINS).marked("Real") == "Real"


def test_figure_source_line_must_agree_with_lineage(tmp_path):
    synth = Lineage.from_origins(["fingertips"], ORIGINS)
    real = Lineage.from_origins(["police_street"], ORIGINS)
    with pytest.raises(ValueError, match="contradicts"):
        plots.source_line(["x"], synthetic=False, lineage=synth)
    assert "SYNTHETIC" in plots.source_line(["x"], lineage=synth)
    for lin, says in ((synth, False), (real, True)):
        fig, ax = plots.new_figure()
        plots.finish(fig, title="T", alt="A", source=plots.source_line(["x"], synthetic=says))
        with pytest.raises(ValueError, match="source line"):
            plots.figure_markdown(fig, "f", directory=tmp_path, lineage=lin)
        plt.close(fig)


def test_synthetic_png_is_deterministic(tmp_path):
    lin = Lineage.from_origins(["fingertips"], ORIGINS)
    out = []
    for i in range(2):
        fig, ax = plots.new_figure()
        ax.plot([1, 2, 3])
        plots.finish(fig, title="T", alt="A", source=plots.source_line(["x"], lineage=lin))
        plots.figure_markdown(fig, f"f{i}", directory=tmp_path, lineage=lin)
        plt.close(fig)
        out.append((tmp_path / f"f{i}.png").read_bytes())
    assert out[0] == out[1]
