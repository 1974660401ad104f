"""Interventions page logic: intervals, logic models, Mermaid, checks and links."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.outcomes import load_framework
from lvrn_analysis.sources import programmes as pg
from lvrn_analysis.stats.disclosure import publish
from lvrn_analysis.story import interventions as iv
from lvrn_analysis.story.interventions.logic_models import _mermaid_text

REPORT = Path(__file__).resolve().parents[2] / "shared" / "context" / \
    "lvrn-evaluation-final-report-2021.txt"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    """The shipped monitoring table, loaded as the pipeline does (no build needed)."""
    area = load_area("lancashire")
    results = pg.load_programmes(pg.default_inputs(area)[0], area)
    return pg.processed_table(results, area)


# ----------------------------------------------------------------------- proportions


def test_repeat_attendance_interval_matches_the_brief(df):
    props = iv.proportions(df, ["ed_navigators"])
    row = props[props["kind"] == "outcome"].iloc[0]
    assert (row["x"], row["n"]) == (4, 122)
    assert row["percent"] == pytest.approx(3.28, abs=0.01)
    assert row["lower_ci"] == pytest.approx(1.28, abs=0.01)
    assert row["upper_ci"] == pytest.approx(8.13, abs=0.01)
    assert iv.fmt_interval(row["percent"], row["lower_ci"], row["upper_ci"]) == \
        "3.3% (1.3% to 8.1%)"


def test_wilson_limits_match_the_closed_form(df):
    props = iv.proportions(df)
    z = 1.959963984540054
    x, n = props["x"].to_numpy(float), props["n"].to_numpy(float)
    lo = (2 * x + z**2 - z * np.sqrt(z**2 + 4 * x * (1 - x / n))) / (2 * (n + z**2)) * 100
    np.testing.assert_allclose(props["lower_ci"], lo, rtol=1e-9)
    assert (props["lower_ci"] <= props["percent"]).all()
    assert (props["percent"] <= props["upper_ci"]).all()


def test_box1_percentages_become_whole_counts(df):
    props = iv.proportions(df, ["ed_navigators"]).set_index("measure")
    assert props.loc["Male", "x"] == 21 and props.loc["Female", "x"] == 11
    assert props.loc["Head injury main presenting complaint", "x"] == 10
    # every "x of n" row of the table appears once, and nothing else
    expected = df["denominator"].notna() & df["unit"].isin(["count", "percent"])
    assert len(iv.proportions(df)) == int(expected.sum())


def test_round_half_up_reports_like_the_report():
    assert iv.fmt_interval(31.25, 18.04, 48.6) == "31.3% (18.0% to 48.6%)"
    np.testing.assert_allclose(iv.round_half_up([0.05, 2.25, 9.95]), [0.1, 2.3, 10.0])


# ----------------------------------------------------------------------- programmes


def test_every_programme_row_belongs_to_a_section_or_the_summary(df):
    covered = {m for p in iv.PROGRAMMES.values() for m in p.monitoring_ids}
    assert covered <= set(df["programme_id"])
    rest = set(df["programme_id"]) - covered
    assert rest == {"needs_assessment", "youth_commission"}
    # the summary chart uses every remaining programme
    assert "youth_commission" in {r[1] for r in iv.REACH}


def test_programme_figures_show_every_row_once(df):
    for pid, prog in iv.PROGRAMMES.items():
        fig = iv.programme_figures(df, pid)
        rows = df[df["programme_id"].isin(prog.monitoring_ids)]
        between = rows["breakdown"].fillna("").str.startswith("bound=").sum()
        assert len(fig) == len(rows) - between // 2, pid
        assert fig["Section"].str.match(r"^§\d+(\.\d+)*$").all()
    ed = iv.programme_figures(df, "ed_navigators").set_index("Measure")
    assert ed.loc["Engaged young people with a repeat ED attendance", "Share (95% CI)"] == \
        "3.3% (1.3% to 8.1%)"
    assert ed.loc["Influencing factor: alcohol", "Figure"] == "at least 7"
    assert "between 30 and 50" in set(iv.programme_figures(df, "empower_the_invisible")["Figure"])


def test_published_figures_are_exempt_and_unchanged(df):
    fig = iv.programme_figures(df, "empower_the_invisible")
    pub = publish(fig, source=iv.PROGRAMME_SOURCE, count_cols=[])
    assert pub.frame.attrs["disclosure"]["policy"] == "exempt"
    assert 'data-lvrn-disclosure="exempt"' in pub.to_html()
    assert "11" in set(pub.frame["Figure"])  # small published counts stay as published


# ----------------------------------------------------------------------- templates


def test_fill_reads_breakdowns_sums_denominators_and_qualifiers(df):
    assert iv.fill("{mentors[age=20+; sex=male]} of {mentors_recruited}", df,
                   ["preston_united"]) == "3 of 4"
    assert iv.fill("{individuals_engaged[sex=female; age=under 18]+individuals_engaged"
                   "[sex=male; age=under 18]}", df, ["empower_the_invisible"]) == "36"
    assert iv.fill("{engaged_with_repeat_ed_attendance.denominator}", df,
                   ["ed_navigators"]) == "122"
    assert iv.fill("{schools_in_scheme}", df, ["operation_encompass"]) == "600+"
    assert iv.fill("{engage_team:missing_from_home_episodes}", df, ["x"]) == "58"
    with pytest.raises(KeyError):
        iv.fill("{no_such_measure}", df, ["divert"])
    with pytest.raises(KeyError):
        iv.fill("{individuals_engaged}", df, ["divert"])


def test_logic_model_outputs_follow_the_data(df):
    changed = df.copy()
    changed.loc[(changed["programme_id"] == "divert")
                & (changed["measure"] == "referrals"), "value"] = 61.0
    assert "59 referrals" in iv.logic_model_mermaid(df, "divert")
    assert "61 referrals" in iv.logic_model_mermaid(changed, "divert")


# ----------------------------------------------------------------------- Mermaid


def _labels(source: str) -> list[str]:
    return re.findall(r'^\s+\w+\["(.*)"\]\s*$', source, flags=re.MULTILINE)


@pytest.mark.parametrize("pid", list(iv.PROGRAMMES))
def test_mermaid_source_is_well_formed(df, pid):
    src = iv.logic_model_mermaid(df, pid)
    lines = src.splitlines()
    assert lines[0] == "flowchart LR"
    assert lines[1].startswith("  accTitle: ") and lines[2].startswith("  accDescr: ")
    assert sum(ln.strip().startswith("subgraph ") for ln in lines) == 4
    assert sum(ln.strip() == "end" for ln in lines) == 4
    assert "  inputs --> activities --> outputs --> outcomes" in lines
    ids = re.findall(r'^\s+(\w+)\["', src, flags=re.MULTILINE)
    nodes = [i for i in ids if i not in {"inputs", "activities", "outputs", "outcomes"}]
    assert len(nodes) == len(set(nodes))
    for label in _labels(src):
        assert '"' not in label and ";" not in label.replace("#59;", "").replace(
            "#quot;", "").replace("#35;", "").replace("#lt;", "").replace("#gt;", "")
    # every node is given exactly one stage class
    classed = [n for ln in lines if ln.startswith("  class ") and not ln.endswith("fromData")
               for n in ln.split()[1].split(",")]
    assert sorted(classed) == sorted(nodes)
    assert "{" not in "".join(_labels(src))  # every placeholder was filled


def test_mermaid_labels_escape_quotes_and_markup():
    txt = _mermaid_text('a "quoted" <b> #1; done', width=200)
    assert txt == "a #quot;quoted#quot; #lt;b#gt; #35;1#59; done"


def test_markdown_uses_quarto_fence_and_smalldocs_renders_it(df):
    md = iv.logic_model_markdown(df, "ed_navigators")
    assert md.startswith("```{mermaid}\nflowchart LR\n") and md.endswith("\n```")
    assert iv.mermaid_markdown("flowchart LR", "*Caption.*") == \
        "```{mermaid}\nflowchart LR\n```\n\n*Caption.*"
    pytest.importorskip("smalldocs")
    from smalldocs.markdown import render
    from smalldocs.notebook import output_html

    env: dict = {}
    html = render(output_html({"output_type": "display_data",
                               "data": {"text/markdown": md}}), env)
    assert '<pre class="mermaid">flowchart LR' in html
    assert env.get("mermaid") is True
    # and the markdown output is not mistaken for an unmarked pipe table by the guard
    from lvrn_analysis.stats.disclosure.guard import _MD_TABLE_RULE

    assert not _MD_TABLE_RULE.search(md)


# ----------------------------------------------------------------------- reach


def test_reach_table_sums_and_qualifiers(df):
    reach = iv.reach_table(df).set_index("label")
    assert reach.loc["Trauma-informed training: staff trained", "reach"] == 250
    assert reach.loc["Operation Encompass: schools in the scheme", "qualifier"] == "at least"
    assert reach.loc["ED Navigators: children and young people contacted", "reach"] == 416
    assert set(reach["panel"]) == set(iv.REACH_PANELS)


def test_reach_figure_has_alt_text_and_real_source(df):
    import matplotlib.pyplot as plt

    fig = iv.reach_figure(iv.reach_table(df))
    try:
        assert "416" in fig.lvrn_alt and "600+" in fig.lvrn_alt
        texts = [t.get_text() for t in fig.texts]
        assert any("LVRN evaluation report (2021)" in t and "Real data." in t for t in texts)
        assert len(fig.axes) == len(iv.REACH_PANELS)
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------- checks


def test_consistency_checks_find_the_known_discrepancies(df):
    checks = iv.consistency_checks(df).set_index("Check")
    divert = checks.loc["DIVERT: positive outcomes against the eight itemised lines"]
    assert divert["Consistent"] == "no" and divert["Computed from the data"].endswith("= 108")
    knives = checks[checks.index.str.startswith("Empower the Invisible: knives")].iloc[0]
    assert knives["Consistent"] == "no" and knives["Computed from the data"].endswith("= 10")
    box = checks.loc["ED Navigators Box 1: attendances with any influencing factor"]
    assert box["Consistent"] == "ambiguous" and "11 if" in box["Computed from the data"]
    assert "17 if separate" in box["Computed from the data"]
    sums = checks[checks.index.str.contains(r"\) by ")]
    assert len(sums) == 4 and (sums["Consistent"] == "yes").all()
    sentence = iv.consistency_sentence(checks.reset_index())
    assert "**2 are not**" in sentence


def test_breakdown_check_catches_a_changed_part(df):
    changed = df.copy()
    hit = (changed["programme_id"] == "preston_united") & (changed["breakdown"] == "sex=male")
    changed.loc[hit, "value"] = 8.0
    sums = iv.breakdown_sums(changed)
    row = sums[sums["programme_id"] == "preston_united"].iloc[0]
    assert (row["published"], row["sum_of_parts"]) == (12.0, 11.0)


@pytest.mark.skipif(not REPORT.exists(), reason="report text not available (../shared/context)")
def test_reported_breakdown_fragments_are_in_the_report():
    text = re.sub(r"\s+", " ", REPORT.read_text(encoding="utf-8")).casefold()
    for parts in iv.REPORTED_BREAKDOWNS.values():
        for _, _, fragment, _ in parts:
            assert fragment.casefold() in text, fragment


# ----------------------------------------------------------------------- framework


def test_framework_links_name_real_indicators_and_gaps():
    fw = load_framework()
    links = iv.framework_links(fw)
    ids = {i.id for i in fw.indicators}
    named = set(links["Indicator"]) - {"none"}
    assert named <= ids
    direct = links[links["Link"].str.startswith("direct")]
    assert set(direct["Indicator"]) == {"ed_repeat_assault_attendance", "divert_custody_reentry"}
    gaps = links.loc[links["Indicator"] == "none", "Programme"]
    assert "Exploitation and family support" in set(gaps)
    assert set(links["Programme"]) == {p.name for p in iv.PROGRAMMES.values()}
    # the gap note sits on each programme's first row only
    first = links.groupby("Programme", sort=False).head(1)
    assert (first["What is missing"] != "").sum() == sum(
        bool(p.framework_gap) for p in iv.PROGRAMMES.values())
    assert (links.drop(first.index)["What is missing"] == "").all()
    sentence = iv.framework_gap_sentence(links)
    n = len(iv.PROGRAMMES)
    assert f"**4 of the {n} programmes** this page follows" in sentence
    # the programme left out of the count is named, with the reason, in the same sentence
    assert "Youth Commission is not counted" in sentence.split(". ")[0]


def test_monitoring_overview_explains_how_report_entries_become_page_programmes(df):
    text = iv.monitoring_overview(df)
    entries = df.loc[df["programme_id"] != "needs_assessment", "programme_id"].nunique()
    first = text.split(". ")[0]
    # both counts, and why they differ, in one sentence
    assert f"**{entries} programmes and pieces of work**" in first
    assert f"follows as **{len(iv.PROGRAMMES)} programmes**" in first
    assert "Engage team (Blackburn with Darwen) are taken together as Exploitation" in first
    assert "Youth Commission on Crime Reduction and Prevention is described on its own" in first
    # every monitoring entry is either a page programme's or set apart with a reason
    names = dict(df[["programme_id", "programme"]].drop_duplicates().itertuples(index=False,
                                                                               name=None))
    names.pop("needs_assessment")
    scope = iv.programme_scope(names)
    assert scope["unplaced"] == []
    placed = sum(len(p.monitoring_ids) for p in iv.PROGRAMMES.values())
    assert placed + len(scope["apart"]) == entries


def test_no_internal_notes_in_displayed_figures(df):
    shown = pd.concat([iv.programme_figures(df, pid) for pid in iv.PROGRAMMES], ignore_index=True)
    checks = iv.consistency_checks(df)
    for text in list(shown["Note"]) + list(checks["Comment"]):
        for note in ("DESIGN.md", "design notes", "to be checked", "from memory"):
            assert note not in str(text)


# ----------------------------------------------------------------------- ED comparison


def _ed(rows: list[tuple[str, str, int]], site: str = "RXL01") -> pd.DataFrame:
    return pd.DataFrame({
        "patient_pseudo_id": [r[0] for r in rows],
        "arrival_datetime": pd.to_datetime([r[1] for r in rows]),
        "age": pd.array([r[2] for r in rows], dtype="Int64"),
        "ed_site": site,
    })


def test_ed_repeat_followup_counts_people_not_attendances():
    ed = _ed([
        ("A", "2020-05-01", 15), ("A", "2020-06-01", 15), ("A", "2020-07-01", 15),  # repeat
        ("B", "2020-05-01", 20), ("B", "2021-06-01", 21),  # second visit after 365 days
        ("C", "2020-09-01", 30),  # too old
        ("D", "2021-03-01", 12), ("D", "2021-04-15", 12),  # repeat after the period ends
        ("E", "2019-06-01", 18),
        ("Z", "2022-12-31", 40),  # makes follow-up complete
    ])
    out = iv.ed_repeat_followup(ed, periods=[("2020/21", "2020-04-01", "2021-03-31")])
    row = out.iloc[0]
    assert (row["people"], row["with_repeat"]) == (3, 2)
    assert bool(row["followup_complete"])
    with pytest.raises(ValueError):
        iv.ed_repeat_followup(ed, site="XXX")


def test_ed_repeat_display_rounds_and_recomputes(df):
    follow = pd.DataFrame({"period": ["p"], "people": [224], "with_repeat": [29],
                           "percent": [12.9], "lower_ci": [9.2], "upper_ci": [18.0],
                           "followup_complete": [True]})
    disp = iv.ed_repeat_display(follow)
    assert disp["people aged 10-25"].iloc[0] == 225
    assert disp["with a repeat within 12 months"].iloc[0] == 30
    assert disp["percent"].iloc[0] == pytest.approx(13.3)
    pub = publish(disp, source="ed_attendances",
                  count_cols=["people aged 10-25", "with a repeat within 12 months"],
                  derived_cols={"percent": ["with a repeat within 12 months",
                                            "people aged 10-25"]})
    assert pub.frame["percent"].iloc[0] == pytest.approx(13.3)  # already rounded: unchanged
    sentence = iv.ed_repeat_sentence(disp, df)
    assert "**synthetic**" in sentence and "13.3%" in sentence and "4 of 122" in sentence
    # the synthetic shares are called illustrative in the sentence that quotes them
    assert "illustrative" in sentence.split(". ")[0] and "13.3%" in sentence.split(". ")[0]
