"""The published monitoring figures: lookups, placeholders, labels and "x of n" intervals.

Works on the processed table ``programme_monitoring``
(`lvrn_analysis.sources.programmes`): figures quoted from the LVRN evaluation
report (Liverpool John Moores University, June 2021), one row per programme ×
period × measure × breakdown, each with a section citation.

* `value_of()` reads one figure; `fill()` fills the ``{measure}`` placeholders of a
  logic-model phrase (`lvrn_analysis.story.interventions.programmes`);
* `proportions()` gives every "x of n" figure its Wilson 95 % interval (Wilson
  1927; Newcombe 1998) through `lvrn_analysis.stats.indicators.proportion()`;
* `programme_figures()` is a programme's figures as a display table;
* `monitoring_overview()` and `youth_commission_sentence()` are the page's
  sentences about the table as a whole and about the Youth Commission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lvrn_analysis.stats.indicators.rates import proportion
from lvrn_analysis.story.interventions.programmes import PROGRAMMES, programme_scope

# --------------------------------------------------------------------------- lookups

#: A placeholder of a logic-model phrase, e.g. ``{measure[key=value]}``.
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
#: A "+" joining terms (not one inside a breakdown such as ``age=20+``).
_PLUS = re.compile(r"\+(?![^\[]*\])")
_TERM = re.compile(r"^\s*(?:(?P<pid>[a-z_]+):)?(?P<measure>[a-z0-9_]+)"
                   r"(?:\[(?P<breakdown>[^\]]*)\])?(?P<den>\.denominator)?\s*$")


def _rows(df: pd.DataFrame, programme_ids: Iterable[str]) -> pd.DataFrame:
    return df[df["programme_id"].isin(list(programme_ids))]


def value_of(df: pd.DataFrame, programme_id: str, measure: str,
             breakdown: str | None = None, *, denominator: bool = False) -> float:
    """Return one published figure (or its denominator).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id, measure
        Which figure.
    breakdown
        ``"key=value; …"`` or ``None`` for the total row.
    denominator
        Return the row's ``denominator`` (the *n* of "x of n") instead.

    Returns
    -------
    float
        The value.

    Raises
    ------
    KeyError
        If there is not exactly one such row, or it has no value.
    """
    rows = df[(df["programme_id"] == programme_id) & (df["measure"] == measure)]
    if breakdown is None:
        rows = rows[rows["breakdown"].isna()]
    else:
        rows = rows[rows["breakdown"] == breakdown]
    if len(rows) != 1:
        raise KeyError(f"{len(rows)} rows for {programme_id}/{measure}/{breakdown}; "
                       "expected exactly one")
    v = rows["denominator"].iloc[0] if denominator else rows["value"].iloc[0]
    if pd.isna(v):
        what = "denominator" if denominator else "value"
        raise KeyError(f"{programme_id}/{measure}/{breakdown} has no {what}")
    return float(v)


def fmt_number(v: float) -> str:
    """Format a figure as the report does: whole numbers without decimals, others with one."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def fill(template: str, df: pd.DataFrame, programme_ids: Sequence[str]) -> str:
    """Fill ``{measure}`` placeholders of a logic-model phrase from the figures.

    Placeholder forms: ``{measure}`` (total row), ``{measure[key=value; …]}``
    (a breakdown row), ``{programme_id:measure}`` (another programme),
    ``{measure.denominator}`` (the *n* of an "x of n" figure) and ``a+b`` (sum).
    Values carry their qualifier ("at least 600" is written "600+").

    Parameters
    ----------
    template
        The phrase.
    df
        The ``programme_monitoring`` table.
    programme_ids
        Default ``programme_id`` for terms without a ``programme_id:`` prefix
        (the first is used).

    Returns
    -------
    str
        The phrase with numbers.

    Raises
    ------
    KeyError
        If a placeholder names no single figure.
    """
    default = programme_ids[0]

    def one(term: str) -> tuple[float, bool]:
        m = _TERM.match(term)
        if not m:
            raise KeyError(f"cannot read placeholder term {term!r}")
        pid = m["pid"] or default
        bd = m["breakdown"]
        v = value_of(df, pid, m["measure"], bd, denominator=bool(m["den"]))
        rows = df[(df["programme_id"] == pid) & (df["measure"] == m["measure"])]
        rows = rows[rows["breakdown"].isna()] if bd is None else rows[rows["breakdown"] == bd]
        at_least = (not m["den"]) and rows["value_qualifier"].iloc[0] in ("at least",
                                                                           "more than")
        return v, at_least

    def sub(match: re.Match[str]) -> str:
        parts = [one(t) for t in _PLUS.split(match.group(1))]
        total = sum(v for v, _ in parts)
        return fmt_number(total) + ("+" if any(a for _, a in parts) else "")

    return PLACEHOLDER.sub(sub, template)


def round_half_up(x: float | np.ndarray | pd.Series, decimals: int = 1) -> np.ndarray:
    """Round halves away from zero for positive numbers (31.25 -> 31.3), as reports do."""
    f = 10.0 ** decimals
    return np.floor(np.asarray(x, dtype=float) * f + 0.5 + 1e-9) / f


def fmt_interval(value: float, lower: float, upper: float, *, decimals: int = 1) -> str:
    """Format a percentage and its interval, e.g. ``"3.3% (1.3% to 8.1%)"``.

    Values are rounded half up (`round_half_up()`), so 10 of 32 = 31.25 %
    is written 31.3 %, as in the report.
    """
    v, lo, up = (float(round_half_up(t, decimals)) for t in (value, lower, upper))
    return f"{v:.{decimals}f}% ({lo:.{decimals}f}% to {up:.{decimals}f}%)"


# --------------------------------------------------------------------------- labels

#: Display labels of the monitoring measures.
MEASURE_LABELS: Mapping[str, str] = {
    "contacts_children_young_people": "Contacts with children and young people",
    "eligible_age_min": "Youngest age supported",
    "eligible_age_max": "Oldest age supported",
    "navigator_hours_per_week": "Navigator hours",
    "lvrn_funded_hours": "Hours funded by the LVRN",
    "engaged_with_repeat_ed_attendance": "Engaged young people with a repeat ED attendance",
    "attendances": "Attendances in the navigators' caseload (Box 1 snapshot)",
    "percent_male": "Male",
    "percent_female": "Female",
    "percent_aged_18_30": "Aged 18–30",
    "percent_head_injury": "Head injury main presenting complaint",
    "percent_ambulance": "Brought in by ambulance",
    "percent_night": "Presented during the night",
    "busiest_weekday": "Busiest weekday",
    "contact_attempted": "Contact attempted",
    "influencing_factor_alcohol": "Influencing factor: alcohol",
    "influencing_factor_drugs": "Influencing factor: drugs",
    "influencing_factor_both": "Influencing factor: alcohol and drugs",
    "custody_suites": "Custody suites",
    "referrals": "Referrals",
    "information_advice_guidance": "Information, advice and guidance provided",
    "education": "Education",
    "training": "Training",
    "employment": "Employment",
    "supported_into_treatment": "Supported into treatment",
    "supported_into_housing": "Supported into housing",
    "supported_into_finance_benefits_advice": "Supported into finance/benefits advice",
    "supported_into_community_activities": "Supported into community-based activities",
    "positive_outcomes": "Positive outcomes",
    "individuals_engaged": "Individuals engaged",
    "knives_handed_in_or_retrieved": "Knives handed in or retrieved",
    "regularly_engaged": "Children and young adults engaged regularly",
    "engaged_at_any_time": "People engaged at any time",
    "children_engaged": "Children engaged",
    "mentors": "Mentors",
    "mentors_recruited": "Mentors recruited",
    "sessions_run": "Sessions run",
    "planned_duration": "Planned duration",
    "percent_completed": "Share of the programme completed",
    "fathers_supported": "Fathers supported",
    "programme_length": "Programme length",
    "staff_trained": "Staff trained",
    "parents_certified": "Parents certified",
    "schools_trained": "Schools trained",
    "practitioners_trained": "Practitioners trained",
    "books_requested": "Books of Mia's story requested",
    "schools_in_scheme": "Schools in the scheme",
    "compliance_some_schools": "Compliance in some schools",
    "children_young_people_engaged": "Children and young people engaged",
    "missing_from_home_episodes": "Missing-from-home episodes dealt with",
    "children_young_people_members": "Children and young people members",
    "meetings": "Meetings",
}

#: What kind of proportion each "x of n" figure is (default: "profile").
PROPORTION_KIND: Mapping[str, str] = {
    "engaged_with_repeat_ed_attendance": "outcome",
    "contact_attempted": "process",
}


def measure_label(measure: str) -> str:
    """Return the display label of a monitoring measure (`MEASURE_LABELS`)."""
    return MEASURE_LABELS.get(measure, measure.replace("_", " ").capitalize())


def breakdown_label(breakdown: object) -> str:
    """Return a breakdown's values for display (``"sex=male; age=18+"`` → ``"male, 18+"``)."""
    if not isinstance(breakdown, str) or not breakdown:
        return "all"
    parts = [p.partition("=")[2].strip() for p in breakdown.split(";")]
    return ", ".join(p for p in parts if p)


def _fmt_figure(row: pd.Series) -> str:
    unit, v, q = row["unit"], row["value"], row["value_qualifier"]
    if unit == "text":
        return str(row["value_text"])
    num = fmt_number(v)
    text = {"percent": f"{num}%", "hours per week": f"{num} hours per week",
            "weeks": f"{num} weeks", "years": f"{num} years",
            "million people": f"{num} million people",
            "GBP million": f"£{num} million"}.get(unit, num)
    if isinstance(q, str) and q and q != "between":
        text = f"{q} {text}"
    return text


def _display_note(note: object) -> str:
    """Return a data note for display (empty when there is none)."""
    if not isinstance(note, str):
        return ""
    return note


def _numerator(row: pd.Series) -> float:
    """Return the x of an "x of n" figure (a percentage is turned back into a count)."""
    if row["unit"] == "percent":
        return float(np.floor(row["value"] * row["denominator"] / 100 + 0.5))
    return float(row["value"])


def _x_of_n_rows(df: pd.DataFrame) -> pd.DataFrame:
    mask = df["denominator"].notna() & df["unit"].isin(["count", "percent"]) & \
        df["value"].notna()
    return df[mask]


# --------------------------------------------------------------------------- tables


def proportions(df: pd.DataFrame, programme_ids: Iterable[str] | None = None,
                confidence: float = 0.95) -> pd.DataFrame:
    r"""Return every "x of n" figure with a Wilson score interval.

    The interval is $\frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1-x/n)}}{2(n+z^2)}$
    (Wilson 1927; Newcombe 1998), computed by
    `lvrn_analysis.stats.indicators.proportion()`. A published percentage of a
    known *n* (Box 1) is turned back into its whole count first
    (``x = round(p n / 100)``).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_ids
        Restrict to these ``programme_id`` values (default: all).
    confidence
        Interval level.

    Returns
    -------
    pandas.DataFrame
        ``programme_id``, ``programme``, ``period``, ``measure``, ``group``,
        ``qualifier``, ``kind`` (outcome, process or profile), ``x``, ``n``,
        ``percent``, ``lower_ci``, ``upper_ci``, ``section``; ``x`` and ``n``
        are int64.
    """
    rows = _x_of_n_rows(df)
    if programme_ids is not None:
        rows = _rows(rows, programme_ids)
    out = pd.DataFrame({
        "programme_id": rows["programme_id"].to_numpy(),
        "programme": rows["programme"].to_numpy(),
        "period": rows["period_label"].to_numpy(),
        "measure": [measure_label(m) for m in rows["measure"]],
        "group": [breakdown_label(b) for b in rows["breakdown"]],
        "qualifier": rows["value_qualifier"].fillna("").to_numpy(),
        "kind": [PROPORTION_KIND.get(m, "profile") for m in rows["measure"]],
        "x": [int(_numerator(r)) for _, r in rows.iterrows()],
        "n": rows["denominator"].astype("int64").to_numpy(),
        "section": ("§" + rows["section"]).to_numpy(),
    })
    if out.empty:
        for c in ("percent", "lower_ci", "upper_ci"):
            out[c] = pd.Series(dtype="float64")
        return out
    p = proportion(out, "x", "n", multiplier=100, confidence=confidence)
    out["percent"] = p["value"].to_numpy()
    out["lower_ci"] = p["lower_ci"].to_numpy()
    out["upper_ci"] = p["upper_ci"].to_numpy()
    cols = ["programme_id", "programme", "period", "measure", "group", "qualifier", "kind",
            "x", "n", "percent", "lower_ci", "upper_ci", "section"]
    return out[cols].reset_index(drop=True)


def proportions_display(props: pd.DataFrame) -> pd.DataFrame:
    """Shape `proportions()` for publication (readable headers, rounded).

    Parameters
    ----------
    props
        Output of `proportions()`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Programme``, ``Period``, ``Measure``, ``Group``, ``Kind``,
        ``x``, ``n``, ``%``, ``95% CI lower``, ``95% CI upper``, ``Section``.
    """
    measure = [f"{m} ({q} x)" if q else m for m, q in zip(props["measure"],
                                                           props["qualifier"], strict=True)]
    return pd.DataFrame({
        "Programme": props["programme"], "Period": props["period"], "Measure": measure,
        "Group": props["group"], "Kind": props["kind"], "x": props["x"], "n": props["n"],
        "%": round_half_up(props["percent"]), "95% CI lower": round_half_up(props["lower_ci"]),
        "95% CI upper": round_half_up(props["upper_ci"]), "Section": props["section"],
    })


def programme_figures(df: pd.DataFrame, programme_id: str) -> pd.DataFrame:
    """Return a programme's published figures as a display table.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.
    programme_id
        Key of `PROGRAMMES` (its ``monitoring_ids`` are shown).

    Returns
    -------
    pandas.DataFrame
        ``Programme`` (only when several monitoring ids), ``Period``, ``Measure``,
        ``Group``, ``Figure`` (with its unit and qualifier), ``Out of`` (the *n*
        of an "x of n" figure), ``Share (95% CI)`` (for "x of n" figures, blank
        otherwise), ``Section``, ``Note``; in report-section order. A
        "between" pair (``bound=min``/``bound=max``) is shown as one row.
    """
    prog = PROGRAMMES[programme_id]
    rows = _rows(df, prog.monitoring_ids).copy()
    rows["_order"] = [prog.monitoring_ids.index(p) for p in rows["programme_id"]]
    rows["_section"] = [tuple(int(x) for x in t.split(".")) for t in rows["section"]]
    rows = rows.sort_values(["_order", "_section", "period_end", "measure", "breakdown"],
                            na_position="first", kind="stable")
    props = proportions(rows)
    share = {}
    for (_, r), (_, p) in zip(_x_of_n_rows(rows).iterrows(), props.iterrows(), strict=True):
        share[r.name] = fmt_interval(p["percent"], p["lower_ci"], p["upper_ci"])
    records = []
    seen_between: set[tuple[str, str, str]] = set()
    for idx, r in rows.iterrows():
        bd = r["breakdown"] if isinstance(r["breakdown"], str) else ""
        figure = _fmt_figure(r)
        group = breakdown_label(r["breakdown"])
        if bd.startswith("bound="):
            key = (r["programme_id"], r["period_label"], r["measure"])
            if key in seen_between:
                continue
            seen_between.add(key)
            pair = rows[(rows["programme_id"] == key[0]) & (rows["period_label"] == key[1])
                        & (rows["measure"] == key[2])]
            lo = pair.loc[pair["breakdown"] == "bound=min", "value"].iloc[0]
            hi = pair.loc[pair["breakdown"] == "bound=max", "value"].iloc[0]
            figure, group = f"between {fmt_number(lo)} and {fmt_number(hi)}", "all"
        records.append({
            "Programme": r["programme"], "Period": r["period_label"],
            "Measure": measure_label(r["measure"]), "Group": group, "Figure": figure,
            "Out of": "" if pd.isna(r["denominator"]) else f"{int(r['denominator']):,}",
            "Share (95% CI)": share.get(idx, ""), "Section": "§" + r["section"],
            "Note": _display_note(r["note"]),
        })
    out = pd.DataFrame(records)
    if len(prog.monitoring_ids) == 1:
        out = out.drop(columns="Programme")
    return out.reset_index(drop=True)


def monitoring_overview(df: pd.DataFrame) -> str:
    """Describe what the monitoring table holds, in one paragraph.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown: numbers of figures, of the report's programmes and pieces of
        work, and of report sections; how those entries become the page's
        programmes (`lvrn_analysis.story.interventions.programmes.programme_scope()`);
        and how many figures are "x of n".
    """
    progs = df[df["programme_id"] != "needs_assessment"]
    secs = sorted(progs["section"].unique(), key=lambda t: [int(x) for x in t.split(".")])
    n_x = len(_x_of_n_rows(progs))
    small = int(((progs["unit"] == "count") & progs["value"].between(1, 7)).sum())
    names = dict(progs[["programme_id", "programme"]].drop_duplicates("programme_id")
                 .itertuples(index=False, name=None))
    scope = programme_scope(names)
    clauses = scope["merged"] + scope["apart"]
    why = ("; ".join(clauses[:-1]) + ", and " + clauses[-1]) if len(clauses) > 1 else \
        "".join(clauses)
    text = (f"The monitoring table holds **{len(progs)} published figures** for the "
            f"report's **{len(names)} programmes and pieces of work**, which this page "
            f"follows as **{len(PROGRAMMES)} programmes**" + (f": {why}" if why else "")
            + f". The figures (and {len(df) - len(progs)} needs-assessment facts used on "
            f"other pages) are quoted from report sections "
            f"{', '.join('§' + t for t in secs)}. ")
    return text + (f"{n_x} of the figures are 'x of n' and get an interval below. {small} "
                   "counts are between 1 and 7; they are shown exactly as published.")


def youth_commission_sentence(df: pd.DataFrame) -> str:
    """Describe the Youth Commission's figures (§2.3).

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown sentence.
    """
    return fill("With the Police and Crime Commissioner, the LVRN formed a Youth Commission on "
                "Crime Reduction and Prevention: {children_young_people_members} children and "
                "young people, who had met {meetings} times by the time of the report "
                "(§2.3, *Working with and for communities*). It is a way of working with "
                "communities rather than an intervention with outcomes of its own, so it has "
                "no logic model here.", df, ["youth_commission"])
