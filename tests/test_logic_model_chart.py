"""Logic models drawn as images (charts.logic_models, story.interventions.logic_models)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from lvrn_analysis.charts import plots
from lvrn_analysis.charts.logic_models import MIN_LABEL_PT, MIN_SOURCE_PT, logic_model_chart
from lvrn_analysis.processed.lineage import Lineage
from lvrn_analysis.story.interventions import PROGRAMMES
from lvrn_analysis.story.interventions.logic_models import logic_model_figure

#: Width (px) at which the pages show a figure at 1366 px (measured in the fallback render).
SHOWN_PX = 760
#: Smallest text, in CSS pixels at that width, that is comfortable at 100 % zoom.
MIN_PX = 11


@pytest.fixture(scope="module")
def df(processed) -> pd.DataFrame:
    return pd.read_parquet(processed / "programme_monitoring.parquet")


def _texts(fig):
    return [t for t in fig.texts if t.get_text().strip()]


@pytest.mark.parametrize("pid", list(PROGRAMMES))
def test_every_logic_model_is_legible_and_nothing_overlaps(df, pid):
    fig = logic_model_figure(df, pid)
    width_px = fig.get_figwidth() * 110  # savefig.dpi of the house style
    for t in _texts(fig):
        size = t.get_fontsize()
        assert size >= MIN_SOURCE_PT, (t.get_text(), size)
        shown = size * 110 / 72 * min(1.0, SHOWN_PX / width_px)
        assert shown >= MIN_PX, (t.get_text(), shown)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in _texts(fig)]
    fw, fh = fig.bbox.width, fig.bbox.height
    for b in boxes:  # inside the figure
        assert b.x0 >= 0 and b.y0 >= 0 and b.x1 <= fw + 0.5 and b.y1 <= fh + 0.5
    for i, a in enumerate(boxes):  # no label runs into another
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    # each label sits inside its own box: text boxes are the rounded patches
    patches = [p.get_window_extent(renderer) for p in fig.artists
               if type(p).__name__ == "FancyBboxPatch"]
    for t, b in zip(_texts(fig), boxes, strict=True):
        if t.get_fontsize() == pytest.approx(9.5):
            assert any(p.x0 <= b.x0 and b.x1 <= p.x1 + 0.5 and p.y0 <= b.y0 + 0.5
                       and b.y1 <= p.y1 + 0.5 for p in patches), t.get_text()


def test_outputs_follow_the_data_and_are_marked(df):
    fig = logic_model_figure(df, "divert")
    assert any("59 referrals" in t.get_text().replace("\n", " ") for t in fig.texts)
    assert "59 referrals" in fig.lvrn_alt
    marked = [p for p in fig.artists if type(p).__name__ == "FancyBboxPatch"
              and p.get_linewidth() > 2]
    assert len(marked) >= 2  # at least one filled box, plus the key
    changed = df.copy()
    sel = (changed["programme_id"] == "divert") & (changed["measure"] == "referrals") \
        & changed["breakdown"].isna()
    changed.loc[sel, "value"] = 61
    assert "61 referrals" in logic_model_figure(changed, "divert").lvrn_alt


def test_logic_model_png_is_byte_identical_and_has_alt_text(df, tmp_path):
    digests = []
    for run in range(2):
        fig = logic_model_figure(df, "ed_navigators")
        md = plots.figure_markdown(fig, "logic-model-ed-navigators", directory=tmp_path / str(run),
                                   lineage=Lineage())
        assert 'fig-alt="Logic model of ED Navigator scheme' in md
        digests.append(hashlib.sha256(
            (tmp_path / str(run) / "logic-model-ed-navigators.png").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_source_line_is_tagged_and_real(df):
    fig = logic_model_figure(df, "epec")
    line = [t.get_text() for t in fig.texts if t.get_gid() == plots.SOURCE_LINE_GID]
    assert len(line) == 1 and "Real data" in line[0] and "SYNTHETIC" not in line[0]


def test_chart_rejects_what_it_cannot_draw():
    stages = [("Inputs", ["a"]), ("Outputs", ["b", "c"])]
    kw = {"title": "t", "source": "s", "alt": "a"}
    with pytest.raises(ValueError, match="names no box"):
        logic_model_chart(stages, highlight=[(1, 2)], **kw)
    with pytest.raises(ValueError, match="has no items"):
        logic_model_chart([("Inputs", [])], **kw)
    with pytest.raises(ValueError, match="too small"):
        logic_model_chart(stages, label_size=MIN_LABEL_PT - 1, **kw)
    with pytest.raises(ValueError, match="alt"):
        logic_model_chart(stages, title="t", source="s", alt=" ")


def test_long_words_and_many_items_still_fit():
    long = "Supercalifragilisticexpialidocious-interventions " * 3
    fig = logic_model_chart([("In", [long] * 6), ("Out", ["x"])], title="T", source="S",
                            alt="A")
    renderer = fig.canvas.get_renderer()
    for t in _texts(fig):
        b = t.get_window_extent(renderer)
        assert b.x1 <= fig.bbox.width + 0.5 and b.y0 >= 0
    assert fig.get_figheight() > 3
