"""The LVRN serious-violence definition, and what each source can measure of it.

The LVRN defines serious violence as *homicide, knife crime, gun crime, assault
resulting in injury, rape, robbery, aggravated burglary, domestic abuse and
violence, and child exploitation (sexual and criminal)* (LVRN evaluation report
2021, §2.3, footnote 4). No single source measures all of it:

* `coverage()` / `coverage_matrix()` — which parts each source can
  measure (``yes`` / ``partly`` / ``no``, with a reason), from
  ``reference/serious_violence/coverage.csv``;
* `classify_csp_offence()`, `classify_police_street()`,
  `classify_ed()` — classify records of each source.

Every classifier returns a frame aligned with its input and one nullable boolean
column per component, ``sv_<component>``: ``True`` (the record counts towards
the component), ``False`` (it does not) or missing (the source cannot tell — e.g.
a data.police.uk "Violence and sexual offences" record *may* be a rape). Column
``sv_any`` is ``True`` if any component is ``True``, missing if none is ``True``
but some are missing, else ``False``. `to_long()` turns the result into one
row per record × component.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pandas as pd

from lvrn_analysis._resources import reference_file

#: Components of the LVRN definition, in the report's order, with labels.
COMPONENTS: dict[str, str] = {
    "homicide": "Homicide",
    "knife_crime": "Knife crime",
    "gun_crime": "Gun crime",
    "assault_with_injury": "Assault resulting in injury",
    "rape": "Rape",
    "robbery": "Robbery",
    "aggravated_burglary": "Aggravated burglary",
    "domestic_abuse": "Domestic abuse and violence",
    "child_exploitation": "Child exploitation (sexual and criminal)",
}
#: Sources in the coverage table, with labels.
SOURCES: dict[str, str] = {
    "police_street": "Police street-level crime (data.police.uk)",
    "csp_crime": "Police recorded crime by CSP (Home Office)",
    "ed": "ED assault attendances (ECDS/ISTV layout)",
    "fingertips": "Fingertips indicators (OHID)",
    "programmes": "Programme monitoring",
}
COVERAGE_LEVELS = ("yes", "partly", "no")

#: data.police.uk crime type -> components it may contain, and whether exactly.
POLICE_STREET_MAP: dict[str, tuple[tuple[str, ...], str]] = {
    "Violence and sexual offences": (("homicide", "assault_with_injury", "rape",
                                      "domestic_abuse", "knife_crime", "gun_crime",
                                      "child_exploitation"), "broader"),
    "Robbery": (("robbery",), "exact"),
    "Possession of weapons": (("knife_crime", "gun_crime"), "broader"),
    "Burglary": (("aggravated_burglary",), "broader"),
}


@functools.cache
def _coverage() -> pd.DataFrame:
    with reference_file("serious_violence/coverage.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def definition() -> pd.DataFrame:
    """Return the definition's components (``component``, ``label``, ``order``)."""
    return pd.DataFrame({"component": list(COMPONENTS), "label": list(COMPONENTS.values()),
                         "order": range(1, len(COMPONENTS) + 1)})


def coverage() -> pd.DataFrame:
    """Return the coverage table, tidy.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``source_label``, ``component``, ``component_label``,
        ``coverage`` (``yes``/``partly``/``no``), ``reason``; one row per source ×
        component, in `SOURCES` × `COMPONENTS` order.
    """
    df = _coverage().copy()
    df["source_label"] = df["source"].map(SOURCES)
    df["component_label"] = df["component"].map(COMPONENTS)
    so = {s: i for i, s in enumerate(SOURCES)}
    co = {c: i for i, c in enumerate(COMPONENTS)}
    df = df.assign(_s=df["source"].map(so), _c=df["component"].map(co))
    df = df.sort_values(["_s", "_c"]).drop(columns=["_s", "_c"]).reset_index(drop=True)
    return df[["source", "source_label", "component", "component_label", "coverage", "reason"]]


def coverage_matrix() -> pd.DataFrame:
    """Return coverage as a component × source table of ``yes``/``partly``/``no``."""
    df = coverage()
    m = df.pivot(index="component", columns="source", values="coverage")
    m = m.reindex(index=list(COMPONENTS), columns=list(SOURCES))
    m.index = pd.Index([COMPONENTS[c] for c in m.index], name="component")
    m.columns = pd.Index(list(m.columns), name="source")
    return m


def _as_series(x: pd.Series | Iterable[object] | str | None, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        return x.astype("str").rename(name)
    if x is None:
        return pd.Series([], dtype="str", name=name)
    if isinstance(x, str):
        x = [x]
    return pd.Series(list(x), dtype="str", name=name)


def _frame(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({f"sv_{c}": pd.Series(False, index=index, dtype="boolean")
                         for c in COMPONENTS}, index=index)


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    cols = [f"sv_{c}" for c in COMPONENTS]
    anyt = out[cols].eq(True).any(axis=1)
    anyna = out[cols].isna().any(axis=1)
    res = pd.Series(False, index=out.index, dtype="boolean")
    res = res.mask(anyna, pd.NA).mask(anyt, True)
    out["sv_any"] = res
    return out


def classify_csp_offence(offence_code: pd.Series | Iterable[str] | str) -> pd.DataFrame:
    """Classify Home Office offence codes against the LVRN definition.

    Parameters
    ----------
    offence_code
        Codes such as ``"8N"``, ``"4.10"``, ``"10D"`` (case and spaces ignored).

    Returns
    -------
    pandas.DataFrame
        Input index; ``offence_code``, ``offence_description``, ``sv_category``
        (the brief's grouping), ``lvrn_component``, ``weapon``, the
        ``sv_<component>`` columns (exact: never missing) and ``sv_any``.
        Knife and gun crime are ``True`` only for possession codes (10D/90,
        10A/10B/81): the offence code cannot show knife- or gun-enabled violence.
    """
    from lvrn_analysis.sources.crime_tables import offence_codes

    codes = _as_series(offence_code, "offence_code").str.strip().str.upper()
    ref = offence_codes().set_index("offence_code")
    out = _frame(codes.index)
    blank = lambda s: s.replace("", pd.NA)  # noqa: E731
    info = pd.DataFrame({
        "offence_code": codes,
        "offence_description": codes.map(ref["offence_description"]).astype("str"),
        "sv_category": codes.map(blank(ref["sv_category"])).astype("str"),
        "lvrn_component": codes.map(blank(ref["lvrn_component"])).astype("str"),
        "weapon": codes.map(blank(ref["weapon"])).astype("str"),
    }, index=codes.index)
    for c in COMPONENTS:
        out[f"sv_{c}"] = (info["lvrn_component"] == c).fillna(False).astype("boolean")
    return _finish(pd.concat([info, out], axis=1))


def classify_police_street(crime_type: pd.Series | Iterable[str] | str) -> pd.DataFrame:
    """Classify data.police.uk ``Crime type`` values against the LVRN definition.

    Parameters
    ----------
    crime_type
        Values such as ``"Violence and sexual offences"``, ``"Robbery"``.

    Returns
    -------
    pandas.DataFrame
        Input index; ``crime_type``, ``match`` (``exact``: the category *is* the
        component — only Robbery; ``broader``: the category contains the
        components but also other offences; ``none``), ``sv_candidates``
        (``|``-joined components the category may contain), the ``sv_<component>``
        columns (``True`` for exact matches, missing for "may contain", ``False``
        otherwise) and ``sv_any``.
    """
    ct = _as_series(crime_type, "crime_type").str.strip()
    out = _frame(ct.index)
    match = pd.Series("none", index=ct.index, dtype="str")
    cands = pd.Series(pd.NA, index=ct.index, dtype="str")
    for cat, (comps, how) in POLICE_STREET_MAP.items():
        m = ct == cat
        if not m.any():
            continue
        match = match.mask(m, how)
        cands = cands.mask(m, "|".join(comps))
        for c in comps:
            out.loc[m, f"sv_{c}"] = True if how == "exact" else pd.NA
    info = pd.DataFrame({"crime_type": ct, "match": match, "sv_candidates": cands},
                        index=ct.index)
    return _finish(pd.concat([info, out], axis=1))


def _discharge_groups() -> dict[str, str]:
    """Discharge destination code -> group, from the shipped ED code list."""
    from lvrn_analysis.sources.ed_mapping import code_list

    dl = code_list("discharge")
    return dict(zip(dl["code"].astype(str), dl["group"].astype(str), strict=True))


def classify_ed(
    means_of_assault: pd.Series | Iterable[str] | str,
    incident_location_type: pd.Series | Iterable[str] | str | None = None,
    discharge: pd.Series | Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """Classify ED assault attendances against the LVRN definition.

    Parameters
    ----------
    means_of_assault
        Codes of `lvrn_analysis.sources.ed` (``03`` knife/sharp object,
        ``04`` firearm, ``09`` or blank unknown).
    incident_location_type
        Optional codes (``01`` home): used for ``possible_domestic``.
    discharge
        Optional ECDS discharge destination codes (SNOMED CT, as strings), grouped by
        the shipped ED code list (`lvrn_analysis.sources.ed_mapping.code_list()`):
        group ``died`` (e.g. ``305398007``) counts as a death in the department.

    Returns
    -------
    pandas.DataFrame
        Input index; ``means_of_assault``, ``possible_domestic`` (incident at
        home: a proxy only), ``sv_assault_with_injury`` (always ``True``: every
        attendance is an assault injury), ``sv_knife_crime`` / ``sv_gun_crime``
        (``True`` for sharp object / firearm, missing when the means is unknown),
        ``sv_homicide`` (``True`` only if the patient died in the department,
        missing if admitted or transferred), ``sv_domestic_abuse`` and
        ``sv_child_exploitation`` (always missing: not recorded), robbery, rape
        and aggravated burglary ``False`` (not identifiable), and ``sv_any``.
    """
    moa = _as_series(means_of_assault, "means_of_assault").str.strip()
    idx = moa.index
    out = _frame(idx)
    unknown = moa.isna() | moa.isin(["", "09", "nan"])
    out["sv_assault_with_injury"] = pd.Series(True, index=idx, dtype="boolean")
    for col, code in (("sv_knife_crime", "03"), ("sv_gun_crime", "04")):
        v = pd.Series(moa == code, index=idx, dtype="boolean")
        out[col] = v.mask(unknown, pd.NA)
    out["sv_domestic_abuse"] = pd.Series(pd.NA, index=idx, dtype="boolean")
    out["sv_child_exploitation"] = pd.Series(pd.NA, index=idx, dtype="boolean")
    if discharge is not None:
        dis = _as_series(discharge, "discharge").set_axis(idx).str.strip()
        groups = _discharge_groups()
        grp = dis.map(groups)
        h = pd.Series(grp == "died", index=idx, dtype="boolean")
        # admitted or transferred: the outcome is not known from the ED record
        out["sv_homicide"] = h.mask(grp.isin(["admitted", "transferred"]), pd.NA)
    else:
        out["sv_homicide"] = pd.Series(pd.NA, index=idx, dtype="boolean")
    info = pd.DataFrame({"means_of_assault": moa}, index=idx)
    if incident_location_type is not None:
        loc = _as_series(incident_location_type, "incident_location_type").set_axis(idx)
        info["possible_domestic"] = (loc.str.strip() == "01").fillna(False).astype(bool)
    else:
        info["possible_domestic"] = pd.Series(False, index=idx, dtype=bool)
    return _finish(pd.concat([info, out], axis=1))


def to_long(classified: pd.DataFrame) -> pd.DataFrame:
    """Return classifier output as one row per record × component.

    Returns
    -------
    pandas.DataFrame
        ``record`` (the input index), ``component``, ``status``
        (``counts`` / ``does_not_count`` / ``cannot_tell``), in component order.
    """
    cols = [f"sv_{c}" for c in COMPONENTS]
    d = classified[cols].copy()
    d.columns = list(COMPONENTS)
    d.index = d.index.rename("record")
    long = d.reset_index().melt(id_vars="record", var_name="component", value_name="v")
    status = pd.Series("does_not_count", index=long.index, dtype="str")
    status = status.mask(long["v"].isna(), "cannot_tell").mask(long["v"].eq(True).fillna(False),
                                                                 "counts")
    long["status"] = status
    order = {c: i for i, c in enumerate(COMPONENTS)}
    long = long.assign(_o=long["component"].map(order)).sort_values(["record", "_o"])
    return long.drop(columns=["v", "_o"]).reset_index(drop=True)
