"""Logic models as Mermaid flowcharts, in the fenced form Quarto renders.

`logic_model_mermaid()` draws a programme's logic model
(`lvrn_analysis.story.interventions.programmes.PROGRAMMES`) as four stage boxes,
inputs → activities → outputs → outcomes, with the output phrases filled from the
monitoring figures; `logic_model_markdown()` wraps it in a ```` ```{mermaid} ````
fence (Quarto's diagram notation, which the offline renderer smalldocs renders
too).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

import pandas as pd

from lvrn_analysis.story.interventions.monitoring import PLACEHOLDER, fill
from lvrn_analysis.story.interventions.programmes import PROGRAMMES

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
