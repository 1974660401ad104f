"""The area a page is about, and the words the pages use to name it.

Every area-specific word on a page — the VRU's name, its territory, the force, the
authorities, the population, the go-live month — comes from the area configuration
(`lvrn_analysis.config.areas`), read here. A page starts with `current_area()`, which
takes the area from ``$LVRN_AREA`` when set (``lvrn site --area NAME`` sets it while it
executes copies of the notebooks) and otherwise from the build manifest, so the same
notebook tells the story of whichever VRU the processed data were built for.

Material that belongs to the Lancashire Violence Reduction Network alone (its
evaluation report's programme figures, Box 1, case studies) is shown only when
`is_lvrn()` holds; `programme_note()` says what other areas see instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lvrn_analysis.config.areas import AreaConfig, ConfigError, load_area
from lvrn_analysis.config.geography import local_authorities, populations
from lvrn_analysis.config.outcomes import OutcomesFramework
from lvrn_analysis.processed.store import manifest

#: Environment variable naming the area of the pages (a shipped name or a YAML path).
AREA_ENV = "LVRN_AREA"

#: Id of the area whose VRU the shipped evaluation report describes.
LVRN_ID = "lancashire"


def current_area(directory: Path | str | None = None) -> AreaConfig:
    """Return the area the pages describe.

    Parameters
    ----------
    directory
        Processed folder (default: found automatically, see
        `lvrn_analysis.processed.store.processed_dir()`).

    Returns
    -------
    AreaConfig
        ``$LVRN_AREA`` when set, else the area the build manifest records.

    Raises
    ------
    lvrn_analysis.config.areas.ConfigError
        If ``$LVRN_AREA`` names an area other than the one the processed data were built
        for (the pages would mix two areas); the message says which build to run.
    """
    built = manifest(directory).get("area") or {}
    env = os.environ.get(AREA_ENV, "").strip()
    if env:
        area = load_area(env)
        if built.get("id") and built["id"] != area.id:
            raise ConfigError(
                f"${AREA_ENV}={env} but the processed data were built for area "
                f"{built['id']!r}: run `lvrn build --area {env}` (or `lvrn site --area {env}`)")
        return area
    config = str(built.get("config") or "")
    if config and not config.startswith("areas/") and Path(config).is_file():
        return load_area(config)
    return load_area(str(built.get("id") or LVRN_ID))


def is_lvrn(area: AreaConfig) -> bool:
    """Return whether the area is the LVRN's, whose evaluation report the package ships."""
    return area.id == LVRN_ID


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """Join names as prose: ``"A"``, ``"A and B"``, ``"A, B and C"``."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class AreaWords:
    """What the pages call an area and the facts they state about it.

    Attributes
    ----------
    vru
        The VRU's name, e.g. ``"Lancashire Violence Reduction Network"``.
    short
        Its abbreviation, e.g. ``"LVRN"``.
    place
        Its territory as prose names it, e.g. ``"pan-Lancashire"``.
    force
        The police force, e.g. ``"Lancashire Constabulary"``.
    authorities
        Names of the local authorities, in the configured order.
    population
        Sum of the authorities' populations in ``population_year``.
    population_year
        The mid-year estimate used (the area's default denominator year).
    go_live
        First day of the go-live month, or ``None`` when the area file gives none.
    lvrn
        Whether this is the LVRN (see `is_lvrn()`).
    """

    vru: str
    short: str
    place: str
    force: str
    authorities: tuple[str, ...]
    population: int
    population_year: int
    go_live: pd.Timestamp | None
    lvrn: bool

    @property
    def n_authorities(self) -> int:
        """Number of local authorities."""
        return len(self.authorities)

    @property
    def authority_list(self) -> str:
        """The authorities as prose (``"A, B and C"``)."""
        return join_names(self.authorities)

    @property
    def place_title(self) -> str:
        """``place`` with a capital first letter, for labels (``"Pan-Lancashire"``)."""
        return self.place[:1].upper() + self.place[1:]

    @property
    def go_live_text(self) -> str:
        """The go-live month as prose (``"October 2019"``), or a note that none is set."""
        if self.go_live is None:
            return "a go-live month not yet configured"
        return f"{self.go_live:%B %Y}"

    def as_dict(self) -> dict[str, object]:
        """Return the words as a mapping for `str.format` templates (see `fill()`)."""
        return {"vru": self.vru, "short": self.short, "place": self.place,
                "force": self.force, "n_authorities": self.n_authorities,
                "authorities": self.authority_list, "population": f"{self.population:,}",
                "population_year": self.population_year, "go_live": self.go_live_text}


def words(area: AreaConfig) -> AreaWords:
    """Return the words and facts the pages use to name an area.

    Parameters
    ----------
    area
        The configured area.

    Returns
    -------
    AreaWords
        Names from the area file; authority names and the population from the shipped
        reference geography (authority names from the area file for multi-force areas).
    """
    own = tuple(getattr(area, "authority_names", ()))
    names = own or tuple(local_authorities(area)["la_name"])
    try:
        pop = populations(area, area.default_mid_year)
        population = int(pd.to_numeric(pop["population"]).sum())
    except (KeyError, ValueError):
        population = 0
    go = pd.Timestamp(f"{area.go_live}-01") if area.go_live else None
    return AreaWords(vru=area.vru_name, short=area.short_name, place=area.place,
                     force=area.force, authorities=names, population=population,
                     population_year=area.default_mid_year, go_live=go, lvrn=is_lvrn(area))


def fill(template: str, area: AreaConfig) -> str:
    """Fill a ``str.format`` template with the area's words (keys of `AreaWords.as_dict`).

    Parameters
    ----------
    template
        E.g. ``"Problem profile: violence in {place}"``.
    area
        The configured area.

    Returns
    -------
    str
        The filled text.

    Raises
    ------
    KeyError
        If the template names a key that `AreaWords.as_dict` does not hold.
    """
    return template.format(**words(area).as_dict())


def area_sentence(area: AreaConfig) -> str:
    """One sentence naming the VRU, its force, authorities and population (Markdown)."""
    w = words(area)
    pop = (f", home to about {w.population:,} people (ONS mid-{w.population_year})"
           if w.population else "")
    return (f"The **{w.vru}** ({w.short}) covers {w.place}: the {w.n_authorities} local "
            f"authorities {w.authority_list}{pop}, policed by {w.force}.")


def forces_text(area: AreaConfig) -> str:
    """Name the area's force and its comparators' forces (``"A and B"``)."""
    from lvrn_analysis.config.areas import load_comparators

    return join_names([area.force, *(c.force for c in load_comparators(area))])


def comparator_sentence(area: AreaConfig) -> str:
    """Say which comparator areas the model across forces adds (Markdown).

    Parameters
    ----------
    area
        The configured area.

    Returns
    -------
    str
        The comparators' forces, territories and authority counts, and the total number
        of authorities; a note when the area file names no comparator.
    """
    from lvrn_analysis.config.areas import load_comparators

    comps = load_comparators(area)
    if not comps:
        return ("The area file names no comparator (`comparators:`), so the model below "
                "has only the area's own authorities.")
    parts = [f"{c.force}, whose area ({words(c).place}) has {len(c.authorities)} authorities"
             for c in comps]
    total = len(area.authorities) + sum(len(c.authorities) for c in comps)
    return (f"Here the comparator is {join_names(parts)}; with the {len(area.authorities)} "
            f"authorities of {words(area).place} that makes **{total} authorities**.")


def injected_authority(directory: Path | str | None = None) -> str:
    """Return the ONS code of the authority whose synthetic police series carries the effect.

    Parameters
    ----------
    directory
        Processed folder (default: found automatically).

    Returns
    -------
    str
        The ``area_code`` of the build's injected police effect (``ground_truth.json``).

    Raises
    ------
    ValueError
        If the build records no injected police effect.
    """
    import json

    from lvrn_analysis.processed.store import processed_dir

    d = Path(directory) if directory is not None else processed_dir()
    truth = json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))
    for entry in truth:
        if entry.get("source") == "police_street" and entry.get("area_code"):
            return str(entry["area_code"])
    raise ValueError(f"{d / 'ground_truth.json'} records no injected police effect")


def programme_note(area: AreaConfig, origins: dict[str, str] | None = None) -> str:
    """Say what the Interventions page can show for an area's programmes (Markdown).

    Parameters
    ----------
    area
        The configured area.
    origins
        The build manifest's ``"origins"`` (table -> origin); read when omitted.

    Returns
    -------
    str
        ``""`` when the area file names a programme-monitoring table (the LVRN's
        evaluation figures for Lancashire), else a callout saying that no programme
        data are loaded for this VRU and how to load its own.
    """
    if area.programmes:
        return ""
    origins = origins if origins is not None else manifest()["origins"]
    own = str(origins.get("programme_monitoring", ""))
    loaded = own.startswith("real") and "shipped" not in own
    w = words(area)
    if loaded:
        return ("::: {.callout-note}\n## Programme monitoring\n"
                f"The programme-monitoring figures below are the {w.short}'s own, read from "
                "`data/raw/programmes/`.\n:::")
    return ("::: {.callout-note}\n## No programme data loaded\n"
            f"No programme-monitoring data are loaded for the {w.vru}. The programme figures, "
            "logic models and case studies of the LVRN evaluation report belong to that VRU "
            "and are not shown for another area. To show this VRU's own programmes, put its "
            "monitoring table in `data/raw/programmes/` (the layout of "
            "`lvrn_analysis.sources.programmes`), name it with `programmes:` in the area file "
            "and rebuild.\n:::")


def _relabel(node: object, swaps: list[tuple[str, str]]) -> object:
    """Replace LVRN wording in every string of a parsed framework, except its citations."""
    if isinstance(node, dict):
        return {k: (v if k == "citations" else _relabel(v, swaps)) for k, v in node.items()}
    if isinstance(node, list):
        return [_relabel(v, swaps) for v in node]
    if isinstance(node, str):
        for old, new in swaps:
            node = node.replace(old, new)
        return node
    return node


def framework_for(area: AreaConfig) -> OutcomesFramework:
    """Return the outcomes framework the Impact page evaluates for an area.

    For the LVRN, the shipped proposal (`lvrn_analysis.config.outcomes.load_framework`).
    For another area, the same proposal adapted to it: its authorities replace the
    LVRN's, its ``go_live`` month (when configured) replaces the placeholder go-live, and
    the names of the LVRN, its force and its territory become the area's (the citations
    are left as they are). It is still a **proposal**, to be confirmed with that VRU.

    Parameters
    ----------
    area
        The configured area.

    Returns
    -------
    lvrn_analysis.config.outcomes.OutcomesFramework
        The validated framework.
    """
    import tempfile

    import yaml

    from lvrn_analysis._resources import reference_file
    from lvrn_analysis.config.outcomes import DEFAULT_FILE, load_framework

    if is_lvrn(area):
        return load_framework()
    raw = yaml.safe_load(reference_file(DEFAULT_FILE).read_text(encoding="utf-8"))
    w = words(area)
    place = w.place[:1].upper() + w.place[1:]
    swaps = [("Pan-Lancashire", place), ("pan-Lancashire", w.place),
             ("Lancashire Constabulary", w.force), ("Lancashire Police", w.force),
             ("Lancashire acute trusts", "the area's acute trusts"),
             ("Lancashire Violence Reduction Network", w.vru), ("LVRN", w.short),
             ("Lancashire", w.place)]
    out = _relabel(raw, swaps)
    assert isinstance(out, dict)
    lvrn_codes = set(out.get("areas") or {})
    out["areas"] = dict(zip(area.authorities, w.authorities, strict=True))
    out["framework"]["id"] = f"{area.id}_vru_outcomes_proposal"
    if area.go_live:
        out.setdefault("defaults", {})["intervention_start"] = f"{area.go_live}-01"
    for outcome in out.get("outcomes") or []:
        for ind in outcome.get("indicators") or []:
            for key in ("areas", "comparison_areas"):
                if set(ind.get(key) or []) & lvrn_codes:
                    ind.pop(key)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"outcomes_framework_{area.id}.yml"
        path.write_text(yaml.safe_dump(out, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        return load_framework(path)
