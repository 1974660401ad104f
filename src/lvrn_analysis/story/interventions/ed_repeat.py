"""The ED Navigators' repeat-attendance figure, and its comparison with ED records.

`proportion_sentence()` gives the navigators' published "4 of 122" its Wilson
interval; `ed_repeat_followup()` computes the share of young ED attenders who
attend again within a year in the (synthetic) ED data, `ed_repeat_display()`
rounds it for publication and `ed_repeat_sentence()` compares the two honestly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lvrn_analysis.stats.disclosure.policies import ROUNDING_BASE
from lvrn_analysis.stats.disclosure.suppression import round_to_base
from lvrn_analysis.stats.indicators.rates import proportion
from lvrn_analysis.story.interventions.monitoring import (
    fmt_interval,
    fmt_number,
    round_half_up,
    value_of,
)


def ed_repeat_followup(ed: pd.DataFrame, *, site: str = "RXL01",
                       periods: Sequence[tuple[str, str, str]] = (
                           ("2019/20", "2019-04-01", "2020-03-31"),
                           ("2020/21", "2020-04-01", "2021-03-31")),
                       ages: tuple[int, int] = (10, 25), window_days: int = 365,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Share of young ED attenders who attend the same ED again within a window.

    For each period, the *index* attendance of each person (``patient_pseudo_id``)
    is their first at ``site`` in the period, aged within ``ages``; the person
    has a repeat when they attend the same site again within ``window_days``
    after it (the same rule as `lvrn_analysis.sources.ed.flag_repeats()`,
    looking forward from the index). Wilson intervals as in
    `lvrn_analysis.story.interventions.monitoring.proportions()`.

    Parameters
    ----------
    ed
        ``ed_attendances`` processed table.
    site
        ED site code (default Blackpool Victoria Hospital, RXL01).
    periods
        ``(label, first day, last day)``.
    ages
        Inclusive age range at the index attendance.
    window_days
        Follow-up window.
    confidence
        Interval level.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``people`` and ``with_repeat`` (int64), ``percent``,
        ``lower_ci``, ``upper_ci``, ``followup_complete`` (whether the data run
        to the end of every follow-up window).

    Raises
    ------
    ValueError
        If the site has no attendances.
    """
    d = ed[(ed["ed_site"] == site) & ed["patient_pseudo_id"].notna()]
    if d.empty:
        raise ValueError(f"no ED attendances at site {site!r}")
    d = d.sort_values(["patient_pseudo_id", "arrival_datetime"], kind="stable")
    last = ed["arrival_datetime"].max()
    recs = []
    for label, start, end in periods:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        w = d[(d["arrival_datetime"] >= t0) & (d["arrival_datetime"] < t1)]
        idx = w.groupby("patient_pseudo_id", sort=True).head(1)
        idx = idx[idx["age"].between(ages[0], ages[1])]
        later = d.merge(idx[["patient_pseudo_id", "arrival_datetime"]], on="patient_pseudo_id",
                        suffixes=("", "_index"))
        gap = later["arrival_datetime"] - later["arrival_datetime_index"]
        hit = later[(gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=window_days))]
        recs.append({"period": label, "people": len(idx),
                     "with_repeat": int(hit["patient_pseudo_id"].nunique()),
                     "followup_complete": bool(t1 + pd.Timedelta(days=window_days) <= last)})
    out = pd.DataFrame(recs).astype({"people": "int64", "with_repeat": "int64"})
    p = proportion(out, "with_repeat", "people", multiplier=100, confidence=confidence)
    out["percent"] = p["value"].to_numpy()
    out["lower_ci"] = p["lower_ci"].to_numpy()
    out["upper_ci"] = p["upper_ci"].to_numpy()
    return out[["period", "people", "with_repeat", "percent", "lower_ci", "upper_ci",
                "followup_complete"]]


def ed_repeat_display(followup: pd.DataFrame, rounding: int = ROUNDING_BASE) -> pd.DataFrame:
    """Round `ed_repeat_followup()` for publication and recompute its shares.

    The counts are rounded to the nearest ``rounding`` (the project's rule for
    ED data, `lvrn_analysis.stats.disclosure`), and the percentage and its
    Wilson interval are recomputed **from the rounded counts**, so that no
    exact count can be worked back from a published share (OpenSAFELY:
    derive statistics from rounded counts).

    Parameters
    ----------
    followup
        Output of `ed_repeat_followup()`.
    rounding
        Rounding base.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``people aged 10-25``, ``with a repeat within 12 months``
        (rounded, int64), ``percent``, ``lower_ci``, ``upper_ci`` (one decimal).
    """
    people = round_to_base(followup["people"].to_numpy(), rounding).astype("int64")
    reps = round_to_base(followup["with_repeat"].to_numpy(), rounding).astype("int64")
    p = proportion(pd.DataFrame({"x": reps, "n": np.maximum(people, 1)}), multiplier=100)
    return pd.DataFrame({
        "period": followup["period"].to_numpy(), "people aged 10-25": people,
        "with a repeat within 12 months": reps,
        "percent": round_half_up(p["value"]), "lower_ci": round_half_up(p["lower_ci"]),
        "upper_ci": round_half_up(p["upper_ci"]),
    })


def proportion_sentence(df: pd.DataFrame) -> str:
    """Write the ED Navigators' repeat-attendance figure with its interval, in words.

    Parameters
    ----------
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown sentence.
    """
    x = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance")
    n = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance", denominator=True)
    p = proportion(pd.DataFrame({"x": [x], "n": [n]}), multiplier=100)
    v, lo, up = (float(p[c].iloc[0]) for c in ("value", "lower_ci", "upper_ci"))
    return (f"**{fmt_number(x)} of {fmt_number(n)}** young people who engaged with the ED "
            f"Navigators had a repeat ED attendance afterwards (§5.3): "
            f"**{fmt_interval(v, lo, up)}**, Wilson 95% interval. With {fmt_number(n)} people "
            f"the data are consistent with a true share anywhere from {lo:.1f}% to {up:.1f}%; "
            "even a comparison group measured without error would have to lie outside that "
            "range for a difference to be clear.")


def ed_repeat_sentence(display: pd.DataFrame, df: pd.DataFrame) -> str:
    """Compare the synthetic ED repeat share with the navigators' figure, honestly.

    Parameters
    ----------
    display
        Output of `ed_repeat_display()` (rounded counts, shares recomputed
        from them), so that the sentence quotes what the table shows.
    df
        The ``programme_monitoring`` table.

    Returns
    -------
    str
        Markdown paragraph.
    """
    parts = [f"{per}: about {fmt_interval(v, lo, up)}" for per, v, lo, up in
             zip(display["period"], display["percent"], display["lower_ci"],
                 display["upper_ci"], strict=True)]
    x = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance")
    n = value_of(df, "ed_navigators", "engaged_with_repeat_ed_attendance", denominator=True)
    return ("In the **synthetic** ED data (illustrative, not real figures), the share of "
            "people aged 10–25 attending Blackpool Victoria after an assault who attended "
            "again within 12 months was "
            + "; ".join(parts) + f". The navigators' {fmt_number(x)} of {fmt_number(n)} "
            "(a real published figure) looks low beside these synthetic shares, but the "
            "comparison is not like for like: the synthetic "
            "data are invented (calibrated to published facts, with a fall in repeats built "
            "in from April 2020), they count every young attender rather than those who "
            "chose to engage, the navigators' follow-up period is not stated, and a real "
            "comparison would need the engaged cohort linked to ED records and a comparable "
            "group who were not seen.")
