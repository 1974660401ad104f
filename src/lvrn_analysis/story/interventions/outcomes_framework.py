"""Programme → outcomes-framework indicator, and what the framework cannot follow.

The links are data of `lvrn_analysis.story.interventions.programmes.PROGRAMMES`
(``framework`` and ``framework_gap``), checked against the framework
(`lvrn_analysis.config.outcomes`).
"""

from __future__ import annotations

import pandas as pd

from lvrn_analysis.story.interventions.programmes import NOT_PROGRAMMES, PROGRAMMES


def framework_links(framework: object) -> pd.DataFrame:
    """Programme → outcomes-framework indicator, with the kind of link.

    Parameters
    ----------
    framework
        An `lvrn_analysis.config.outcomes.OutcomesFramework`.

    Returns
    -------
    pandas.DataFrame
        ``Programme``, ``Indicator`` (id), ``Indicator name``, ``Data source``,
        ``Link`` and ``What is missing`` (on each programme's first row);
        programmes without an indicator get one row with ``Indicator`` "none".

    Raises
    ------
    KeyError
        If a programme names an indicator the framework does not have.
    """
    recs = []
    for p in PROGRAMMES.values():
        first = len(recs)
        for ind_id, how in p.framework:
            ind = framework.indicator(ind_id)  # type: ignore[attr-defined]
            src = framework.sources.get(ind.source, {})  # type: ignore[attr-defined]
            recs.append({"Programme": p.name, "Indicator": ind_id, "Indicator name": ind.name,
                         "Data source": src.get("name", ind.source), "Link": how,
                         "What is missing": ""})
        if not p.framework:
            recs.append({"Programme": p.name, "Indicator": "none", "Indicator name": "",
                         "Data source": "", "Link": "none", "What is missing": ""})
        recs[first]["What is missing"] = p.framework_gap
    return pd.DataFrame(recs)


def framework_gap_sentence(links: pd.DataFrame) -> str:
    """Summarise which programmes the framework cannot follow.

    Parameters
    ----------
    links
        Output of `framework_links()`.

    Returns
    -------
    str
        Markdown sentence.
    """
    gaps = links.loc[links["Indicator"] == "none", "Programme"].tolist()
    direct = links.loc[links["Link"].str.startswith("direct"), "Programme"].unique().tolist()
    n = links["Programme"].nunique()
    apart = "".join(f" ({short} is not counted: it is {why})"
                    for short, why in NOT_PROGRAMMES.values())
    return (f"**{len(gaps)} of the {n} programmes** this page follows{apart} have no "
            f"indicator in the framework ({', '.join(gaps)}); each needs at least a process "
            "measure. Only "
            f"{len(direct)} ({' and '.join(direct)}) have an indicator measured on their own "
            "participants, and using it needs participants linked to ED or custody records and "
            "a comparison group.")
