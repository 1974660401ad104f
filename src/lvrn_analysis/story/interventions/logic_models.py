"""Logic models of the Interventions page: drawn as images, or as Mermaid source.

`logic_model_figure()` draws a programme's logic model
(`lvrn_analysis.story.interventions.programmes.PROGRAMMES`) as four stage columns,
inputs → activities → outputs → outcomes, with the output phrases filled from the
monitoring figures (`lvrn_analysis.charts.logic_models.logic_model_chart()`). The
page publishes it like any chart (``nb.figure``): a PNG with alt text written when
the notebook runs, which both renderers show with no script and no network.

`logic_model_mermaid()` / `logic_model_markdown()` give the same model as a Mermaid
flowchart in a ```` ```{mermaid} ```` fence, for readers who want to edit the
diagram; the page no longer uses them, because the offline renderer draws Mermaid
with a script loaded from a CDN.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.charts.logic_models import logic_model_chart
from lvrn_analysis.story.interventions.monitoring import PLACEHOLDER, fill
from lvrn_analysis.story.interventions.programmes import PROGRAMMES, REPORT_SOURCE

#: (subgraph id, title, class, node-id prefix) of the four stages.
_STAGES = (("inputs", "Inputs", "stIn", "in"), ("activities", "Activities", "stAct", "ac"),
           ("outputs", "Outputs", "stOut", "op"), ("outcomes", "Outcomes", "stOc", "oc"))
#: Fill / border colours of the stages: light tints of the Okabe–Ito palette.
_STAGE_STYLE = {
    "stIn": "fill:#E6F0F8,stroke:#0072B2,color:#111111",
    "stAct": "fill:#FCF1DC,stroke:#E69F00,color:#111111",
    "stOut": "fill:#E0F3ED,stroke:#009E73,color:#111111",
    "stOc": "fill:#F6E9F1,stroke:#CC79A7,color:#111111",
    "fromData": "stroke:#D55E00,stroke-width:3px",
}


#: Mermaid entity codes for characters that would break a quoted node label.
_ENTITIES = {"#": "#35;", '"': "#quot;", ";": "#59;", "<": "#lt;", ">": "#gt;"}


def _mermaid_text(text: str, width: int = 30) -> str:
    """Escape a label for a quoted Mermaid node and wrap it with ``<br>``."""
    safe = re.sub(r'[#";<>]', lambda m: _ENTITIES[m.group()], text)
    return "<br>".join(textwrap.wrap(safe, width=width, break_long_words=False))


def _plain(text: str) -> str:
    """Return one line of plain text for ``accTitle``/``accDescr``."""
    text = text.replace("{", "(").replace("}", ")").replace(";", ",").replace("#", "")
    return re.sub(r"\s+", " ", text).strip()


def logic_model_mermaid(df: pd.DataFrame, programme_id: str, *, width: int = 26) -> str:
    """Return the programme's logic model as Mermaid flowchart source.

    Four stage boxes (inputs → activities → outputs → outcomes) laid out left
    to right; phrases carrying monitoring figures (filled by
    `lvrn_analysis.story.interventions.monitoring.fill()`) get
    the class ``fromData`` (a thick vermillion border). ``accTitle`` and
    ``accDescr`` give screen readers a title and a description.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.
    width
        Characters per label line.

    Returns
    -------
    str
        Mermaid source (no fences).
    """
    p = PROGRAMMES[programme_id]
    lm = p.logic_model
    stages = {
        "inputs": list(lm.inputs), "activities": list(lm.activities),
        "outputs": list(lm.outputs),
        "outcomes": [f"Short term: {t}" for t in lm.outcomes_short]
        + [f"Longer term: {t}" for t in lm.outcomes_long],
    }
    lines = ["flowchart LR",
             f"  accTitle: Logic model of {_plain(p.name)}",
             f"  accDescr: {_plain(logic_model_description(df, programme_id))}"]
    classes: dict[str, list[str]] = {"fromData": []}
    for sid, title, cls, prefix in _STAGES:
        lines.append(f'  subgraph {sid}["{title}"]')
        # a subgraph linked as a whole is laid out on its own, top-to-bottom by default,
        # which puts unconnected nodes side by side; LR stacks them in a column
        lines.append("    direction LR")
        ids = []
        for k, phrase in enumerate(stages[sid], start=1):
            nid = f"{prefix}{k}"
            text = fill(phrase, df, p.monitoring_ids)
            lines.append(f'    {nid}["{_mermaid_text(text, width)}"]')
            ids.append(nid)
            if PLACEHOLDER.search(phrase):
                classes["fromData"].append(nid)
        lines.append("  end")
        classes[cls] = ids
    lines.append("  " + " --> ".join(stage[0] for stage in _STAGES))
    for stage in _STAGES:
        lines.append(f"  style {stage[0]} fill:#FFFFFF,stroke:#BBBBBB")
    for cls, style in _STAGE_STYLE.items():
        lines.append(f"  classDef {cls} {style}")
    for cls, ids in classes.items():
        if ids and cls != "fromData":
            lines.append(f"  class {','.join(ids)} {cls}")
    if classes["fromData"]:
        lines.append(f"  class {','.join(classes['fromData'])} fromData")
    return "\n".join(lines)


def _stages(df: pd.DataFrame, programme_id: str) -> tuple[list[tuple[str, list[str]]],
                                                         set[tuple[int, int]]]:
    """Return the filled stages and the (stage, item) positions filled from data."""
    p = PROGRAMMES[programme_id]
    lm = p.logic_model
    raw = [("Inputs", list(lm.inputs)), ("Activities", list(lm.activities)),
           ("Outputs", list(lm.outputs)),
           ("Outcomes", [f"Short term: {t}" for t in lm.outcomes_short]
            + [f"Longer term: {t}" for t in lm.outcomes_long])]
    stages = [(head, [fill(t, df, p.monitoring_ids) for t in items]) for head, items in raw]
    marked = {(s, i) for s, (_, items) in enumerate(raw) for i, t in enumerate(items)
              if PLACEHOLDER.search(t)}
    return stages, marked


def logic_model_figure(df: pd.DataFrame, programme_id: str) -> object:
    """Draw the programme's logic model as a figure (four columns of boxes, arrows between).

    Phrases carrying monitoring figures (filled by
    `lvrn_analysis.story.interventions.monitoring.fill()`) get a thick vermillion
    border, explained under the diagram. The alt text reads the model out box by
    box (`logic_model_description()`).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    matplotlib.figure.Figure
        With title, source line (real data: the published report) and alt text,
        ready for ``nb.figure(..., sources=["programme_monitoring"])``.
    """
    p = PROGRAMMES[programme_id]
    stages, marked = _stages(df, programme_id)
    alt = (f"Logic model of {p.name}, drawn as four columns of boxes joined by arrows from "
           f"left to right. {logic_model_description(df, programme_id)}")
    return logic_model_chart(
        stages, title=f"Logic model: {p.name}",
        source=plots.source_line(f"{REPORT_SOURCE}; logic model reconstructed from its text",
                                 synthetic=False),
        alt=alt, highlight=marked)


def logic_model_description(df: pd.DataFrame, programme_id: str) -> str:
    """Describe the logic model in one paragraph of plain text (alt text, captions).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        "Inputs: …. Activities: …. Outputs: …. Outcomes: …."
    """
    p = PROGRAMMES[programme_id]
    lm = p.logic_model

    def part(items: Iterable[str]) -> str:
        return "; ".join(fill(t, df, p.monitoring_ids) for t in items)

    return (f"Inputs: {part(lm.inputs)}. Activities: {part(lm.activities)}. "
            f"Outputs: {part(lm.outputs)}. Short-term outcomes: {part(lm.outcomes_short)}. "
            f"Longer-term outcomes: {part(lm.outcomes_long)}.")


def mermaid_markdown(source: str, caption: str | None = None) -> str:
    """Wrap Mermaid source in a ```` ```{mermaid} ```` fence (plus an optional caption).

    ```` ```{mermaid} ```` is Quarto's diagram notation; the offline renderer
    smalldocs accepts it too (and plain ```` ```mermaid ````).

    Parameters
    ----------
    source
        Mermaid source from `logic_model_mermaid()`.
    caption
        Markdown shown under the diagram.

    Returns
    -------
    str
        Markdown.
    """
    text = "```{mermaid}\n" + source.rstrip() + "\n```"
    if caption:
        text += f"\n\n{caption}"
    return text


def logic_model_markdown(df: pd.DataFrame, programme_id: str) -> str:
    """Return the logic model diagram, fenced and ready for ``nb.md``.

    The caption (what the diagram is and where it comes from) is written in the
    notebook, under the diagram.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES`.

    Returns
    -------
    str
        Markdown: a ```` ```{mermaid} ```` block.
    """
    return mermaid_markdown(logic_model_mermaid(df, programme_id))
