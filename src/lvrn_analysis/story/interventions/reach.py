"""How many people, staff and schools each programme reached, by unit.

`reach_table()` collects the reach figures named in `REACH` from
``programme_monitoring``; `reach_figure()` charts them in one panel per unit, each
with its own scale (periods and units differ, so the programmes are not ranked).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd

from lvrn_analysis.charts import plots
from lvrn_analysis.story.interventions.programmes import REPORT_SOURCE

#: Reach figures for the summary: (panel, programme_id, measure, breakdowns summed, label).
REACH: tuple[tuple[str, str, str, tuple[str | None, ...], str], ...] = (
    ("people", "ed_navigators", "contacts_children_young_people", (None,),
     "ED Navigators: children and young people contacted"),
    ("people", "divert", "referrals", (None,), "DIVERT: referrals"),
    ("people", "empower_the_invisible", "individuals_engaged", (None,),
     "Empower the Invisible: individuals engaged"),
    ("people", "engage_team", "children_young_people_engaged", (None,),
     "Engage team (Blackburn with Darwen): children and young people"),
    ("people", "blackpool_exploitation", "children_young_people_engaged", (None,),
     "Exploitation work (Blackpool): children and young people"),
    ("people", "caring_dads", "fathers_supported", (None,), "Caring Dads: fathers supported"),
    ("people", "youth_commission", "children_young_people_members", (None,),
     "Youth Commission: members"),
    ("people", "preston_united", "children_engaged", (None,), "Preston United: children"),
    ("people", "epec", "parents_certified", (None,), "EPEC: parents certified"),
    ("staff", "trauma_informed_training", "staff_trained",
     ("sector=children's social care", "sector=multi-agency"),
     "Trauma-informed training: staff trained"),
    ("staff", "prisoners_families", "practitioners_trained", (None,),
     "Prisoners' families: practitioners trained"),
    ("staff", "epec", "staff_trained", (None,), "EPEC: staff trained"),
    ("staff", "preston_united", "mentors", ("age=20+; sex=male",), "Preston United: mentors"),
    ("schools", "operation_encompass", "schools_in_scheme", (None,),
     "Operation Encompass: schools in the scheme"),
    ("schools", "prisoners_families", "schools_trained", (None,),
     "Prisoners' families: schools trained"),
)

#: Panel titles and axis units of the reach chart.
REACH_PANELS: Mapping[str, tuple[str, str]] = {
    "people": ("Children, young people and adults reached", "people"),
    "staff": ("Staff, practitioners and mentors trained", "people trained"),
    "schools": ("Schools", "schools"),
}


def reach_table(df: pd.DataFrame) -> pd.DataFrame:
    """Return the reach of each programme, by unit (people, staff, schools).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    pandas.DataFrame
        ``panel``, ``label``, ``period``, ``reach`` (int64), ``qualifier``
        ("at least" or ""), ``section``; in `REACH` order.
    """
    recs = []
    for panel, pid, measure, bds, label in REACH:
        rows = []
        for bd in bds:
            sel = df[(df["programme_id"] == pid) & (df["measure"] == measure)]
            sel = sel[sel["breakdown"].isna()] if bd is None else sel[sel["breakdown"] == bd]
            if len(sel) != 1:
                raise KeyError(f"reach figure {pid}/{measure}/{bd} not found exactly once")
            rows.append(sel.iloc[0])
        quals = {r["value_qualifier"] for r in rows if isinstance(r["value_qualifier"], str)}
        recs.append({
            "panel": panel, "label": label, "period": rows[0]["period_label"],
            "reach": int(sum(r["value"] for r in rows)),
            "qualifier": "at least" if quals & {"at least", "more than"} else "",
            "section": "§" + rows[0]["section"],
        })
    return pd.DataFrame(recs).astype({"reach": "int64"})


def reach_display(reach: pd.DataFrame) -> pd.DataFrame:
    """Shape `reach_table()` for publication.

    Parameters
    ----------
    reach
        Output of `reach_table()`.

    Returns
    -------
    pandas.DataFrame
        ``Unit``, ``Programme and measure``, ``Period``, ``Number``,
        ``Qualifier``, ``Section``.
    """
    return pd.DataFrame({
        "Unit": [REACH_PANELS[p][1] for p in reach["panel"]],
        "Programme and measure": reach["label"], "Period": reach["period"],
        "Number": reach["reach"], "Qualifier": reach["qualifier"],
        "Section": reach["section"],
    })


def reach_figure(reach: pd.DataFrame) -> object:
    """Bar chart of programme reach: one panel per unit, each with its own scale.

    Parameters
    ----------
    reach
        Output of `reach_table()`.

    Returns
    -------
    matplotlib.figure.Figure
        Finished with title, axis labels, source line (real data) and alt text.
    """
    import matplotlib.pyplot as plt

    plots.apply_house_style()
    panels = [p for p in REACH_PANELS if p in set(reach["panel"])]
    sizes = [int((reach["panel"] == p).sum()) for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.0, 1.6 + 0.42 * sum(sizes)),
                             gridspec_kw={"height_ratios": sizes})
    axes = np.atleast_1d(axes)
    for k, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        d = reach[reach["panel"] == panel].iloc[::-1]
        labels = [f"{lab}, {per}" for lab, per in zip(d["label"], d["period"], strict=True)]
        y = np.arange(len(d))
        ax.barh(y, d["reach"], color=plots.PALETTE[k], height=0.65)
        ax.set_yticks(y, labels, fontsize=8.5)
        top = float(d["reach"].max())
        for yi, v, q in zip(y, d["reach"], d["qualifier"], strict=True):
            ax.text(v + top * 0.01, yi, f"{v:,}" + ("+" if q else ""), va="center",
                    fontsize=8.5)
        ax.set_xlim(0, top * 1.15)
        ax.grid(axis="y", visible=False)
        title, unit = REACH_PANELS[panel]
        ax.set_xlabel(f"Number of {unit}" if not unit.startswith("people trained")
                      else "Number of people trained", fontsize=9)
        ax.set_title(title, fontsize=10, loc="left")
    biggest = reach.loc[reach["reach"].idxmax()]
    alt = (f"Horizontal bar charts of the reach of {len(reach)} LVRN-funded programmes as "
           "published in the 2021 evaluation report, in three panels with their own scales: "
           "people reached, staff trained and schools. "
           + "; ".join(f"{lab}: {v:,}{'+' if q else ''}" for lab, v, q in
                       zip(reach["label"], reach["reach"], reach["qualifier"], strict=True))
           + f". The largest figure is {biggest['label']} ({biggest['reach']:,}"
           + ("+" if biggest["qualifier"] else "") + ").")
    src = plots.source_line([REPORT_SOURCE + ", §2.3–7.1"], synthetic=False)
    fig = plots.finish(fig, title="Reach of LVRN programmes as published (periods and units "
                       "differ; not comparable between programmes)", source=src, alt=alt,
                       ax=axes[0])
    # finish() put the chart title on the first panel: move it above all panels
    axes[0].set_title(REACH_PANELS[panels[0]][0], fontsize=10, loc="left")
    fig.suptitle(textwrap.fill(fig.lvrn_title, 80),  # type: ignore[attr-defined]
                 x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
