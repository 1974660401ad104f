"""The assumptions and caveats log (``docs/assumptions.md``), read and summarised.

`read_assumptions()` parses the log (each entry a ``### A01: title`` heading and its
`LOG_FIELDS` bullets), `assumptions_summary()` makes the compact table and
`assumptions_sentence()` counts the entries by kind, status and impact rating.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lvrn_analysis.story.methods.reproducibility import project_root

_ENTRY = re.compile(r"^###\s+(?P<id>[AC]\d{2}):\s*(?P<title>.+?)\s*$", re.M)
_FIELD = re.compile(r"^\*\s+\*\*(?P<key>[^*]+?)\*\*:\s*(?P<value>.*)$")
#: Fields every entry of the assumptions log must have.
LOG_FIELDS: tuple[str, ...] = ("What is assumed", "Why", "Impact", "Quality", "Owner",
                               "Status", "Where")


def read_assumptions(path: Path | str | None = None) -> pd.DataFrame:
    """Parse the assumptions and caveats log (``docs/assumptions.md``).

    Each entry is a level-3 heading ``### A01: title`` (``C`` for caveats) followed
    by bullets ``* **Field**: text`` (continuation lines indented); every field
    of `LOG_FIELDS` is required.

    Parameters
    ----------
    path
        The log (default: ``docs/assumptions.md`` of the project).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``kind`` (``assumption``/``caveat``), ``title`` and one column per
        field.

    Raises
    ------
    ValueError
        If an entry lacks a field or an id repeats.
    """
    p = Path(path) if path is not None else project_root() / "docs" / "assumptions.md"
    text = p.read_text(encoding="utf-8")
    heads = list(_ENTRY.finditer(text))
    rows = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[h.end():end].split("\n## ", 1)[0]
        fields: dict[str, str] = {}
        key = None
        for line in body.splitlines():
            fm = _FIELD.match(line)
            if fm:
                key = fm.group("key").strip()
                fields[key] = fm.group("value").strip()
            elif key and line.startswith("  ") and line.strip():
                fields[key] += " " + line.strip()
            elif not line.strip():
                key = None
        missing = [f for f in LOG_FIELDS if not fields.get(f)]
        if missing:
            raise ValueError(f"{p.name}: entry {h.group('id')} lacks {missing}")
        rows.append({"id": h.group("id"),
                     "kind": "assumption" if h.group("id")[0] == "A" else "caveat",
                     "title": h.group("title"), **{f: fields[f] for f in LOG_FIELDS}})
    out = pd.DataFrame(rows)
    if out.empty:
        raise ValueError(f"{p.name}: no entries")
    dup = out["id"][out["id"].duplicated()]
    if len(dup):
        raise ValueError(f"{p.name}: repeated ids {sorted(dup)}")
    return out


def assumptions_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Return the log as a compact table (id, title, quality, impact, status).

    Parameters
    ----------
    log
        Output of `read_assumptions()`.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``assumption or caveat``, ``quality``, ``impact``, ``status``; the
        impact is its RAG rating (the first word of the Impact field).
    """
    def rag(text: str) -> str:
        m = re.match(r"\s*(Red|Amber|Green|Open|Accepted|Closed)\b", text, re.I)
        return m.group(1).capitalize() if m else text.split(".", 1)[0].strip()

    return pd.DataFrame({"id": log["id"], "assumption or caveat": log["title"],
                         "quality": log["Quality"].map(rag), "impact": log["Impact"].map(rag),
                         "status": log["Status"].map(rag)})


def assumptions_sentence(log: pd.DataFrame) -> str:
    """Count the log's entries by kind, status and impact rating."""
    n_a = int((log["kind"] == "assumption").sum())
    n_c = int((log["kind"] == "caveat").sum())
    summ = assumptions_summary(log)
    by_status = summ["status"].value_counts().sort_index()
    red = int((summ["impact"].str.lower() == "red").sum())
    st = ", ".join(f"{int(v)} {k.lower()}" for k, v in by_status.items())
    return (f"The log holds **{n_a} assumptions and {n_c} caveats** ({st}); **{red}** have a "
            "red impact rating: outputs would be wrong or misleading if the assumption failed "
            "or the caveat were ignored.")
