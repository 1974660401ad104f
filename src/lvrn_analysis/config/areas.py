"""Area configuration: which force and local authorities make up a VRU area.

An area is defined by a small YAML file (see ``areas/lancashire.yml``), not by
code, so another Violence Reduction Unit is configured by writing one file.

Areas covering several forces (e.g. England and Wales, for a national comparison)
are `MultiForceArea` configurations (`load_multi_force_area()`): a YAML file whose
``police`` lists ``forces`` and whose authorities are read from a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lvrn_analysis._resources import area_file

_REQUIRED = ("id", "name", "police", "authorities")


class ConfigError(ValueError):
    """An area configuration file is missing a key or holds a bad value."""


@dataclass(frozen=True)
class AreaConfig:
    """A VRU area.

    Attributes
    ----------
    id
        Short identifier, e.g. ``"lancashire"``.
    name
        Display name.
    short_name
        Abbreviation used in titles (e.g. ``"LVRN"``).
    force
        data.police.uk ``Falls within`` value of the force, e.g.
        ``"Lancashire Constabulary"``.
    force_slug
        The force's slug in data.police.uk file names (``2020-01-<slug>-street.csv``).
    authorities
        ONS codes of the local authorities in the area.
    default_mid_year
        Mid-year population estimate used as denominator by default.
    embedded_police
        Reference file (inside the package) holding the embedded police aggregate,
        or ``None``.
    synthetic_start, synthetic_end
        First and last month (``YYYY-MM``) of the synthetic series.
    synthetic_seed
        Seed of the synthetic generator.
    source
        Where the configuration was read from.
    comparators
        Other areas whose real police data the build also processes, for models across
        areas (the area file's ``comparators`` key): shipped area names or paths to
        area files (relative paths are read next to this area's file). Loaded by
        `load_comparators()`.
    vru_name
        The VRU's own name as prose uses it (the ``vru_name`` key; default ``name``),
        e.g. ``"Lancashire Violence Reduction Network"``.
    place
        How prose names the area's territory (``place``; default ``name``), e.g.
        ``"pan-Lancashire"`` in "violence in pan-Lancashire".
    go_live
        The month (``YYYY-MM``) the VRU went live (``go_live``), or ``""`` when not
        configured; pages then say so rather than assume a date.
    programmes
        The VRU's programme-monitoring table (``programmes``): a reference file shipped
        in the package (e.g. ``programmes/programme_monitoring.csv``, the LVRN
        evaluation report's figures) or a path; ``None`` when the area has none, and the
        Interventions page says that no programme data are loaded.
    """

    id: str
    name: str
    short_name: str
    force: str
    force_slug: str
    authorities: tuple[str, ...]
    default_mid_year: int
    embedded_police: str | None
    synthetic_start: str
    synthetic_end: str
    synthetic_seed: int
    source: str = field(default="", compare=False)
    comparators: tuple[str, ...] = ()
    vru_name: str = ""
    place: str = ""
    go_live: str = ""
    programmes: str | None = None

    def __post_init__(self) -> None:
        # the prose names default to the display name
        for key in ("vru_name", "place"):
            if not getattr(self, key):
                object.__setattr__(self, key, self.name)


_GO_LIVE = r"^\d{4}-(0[1-9]|1[0-2])$"


def _story_fields(raw: dict[str, Any], src: str) -> dict[str, Any]:
    """Read the optional keys the pages use to name the area (see `AreaConfig`)."""
    import re

    out: dict[str, Any] = {}
    for key in ("vru_name", "place"):
        val = raw.get(key)
        if val is not None and (not isinstance(val, str) or not val.strip()):
            raise ConfigError(f"{src}: {key!r} must be a non-empty string")
        out[key] = (val or "").strip()
    go = raw.get("go_live")
    go = "" if go is None else str(go).strip()
    if go and not re.match(_GO_LIVE, go):
        raise ConfigError(f"{src}: 'go_live' must be a month YYYY-MM, not {go!r}")
    out["go_live"] = go
    prog = raw.get("programmes")
    if prog is not None and (not isinstance(prog, str) or not prog.strip()):
        raise ConfigError(f"{src}: 'programmes' must be a file name")
    out["programmes"] = prog.strip() if isinstance(prog, str) else None
    return out


def _get(d: dict[str, Any], key: str, src: str) -> Any:
    if key not in d or d[key] in (None, ""):
        raise ConfigError(f"{src}: area configuration has no {key!r}")
    return d[key]


def load_area(name_or_path: str | Path = "lancashire") -> AreaConfig:
    """Load an area configuration by shipped name or from a YAML file.

    Parameters
    ----------
    name_or_path
        ``"lancashire"`` or ``"leicestershire"`` (shipped), or a path to a YAML
        file with the same keys. A file whose ``police`` has ``forces`` (a list of
        ``{force, file_slug}``) and an ``authorities_file`` describes an area of
        several forces, e.g. for a national comparison (see
        `load_multi_force_area()`).

    Returns
    -------
    AreaConfig
        The validated configuration.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, lacks a required key, or names
        an authority code that is in neither the shipped reference geography nor the
        England table (`lvrn_analysis.config.geography.known_authority_codes()`).
    """
    from lvrn_analysis.config.geography import known_authority_codes

    p = Path(name_or_path)
    if p.suffix in {".yml", ".yaml"} or p.exists():
        if not p.is_file():
            raise ConfigError(f"{p}: area configuration file not found")
        text = p.read_text(encoding="utf-8")
        src = str(p)
    else:
        try:
            text = area_file(str(name_or_path)).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(
                f"unknown area {name_or_path!r}: use 'lancashire', 'leicestershire' or a "
                "path to a YAML file"
            ) from exc
        src = f"areas/{name_or_path}.yml"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{src}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping at the top level")
    if isinstance(raw.get("police"), dict) and "forces" in raw["police"]:
        # several forces (e.g. a national comparison): authorities come from a CSV
        return load_multi_force_area(p)
    for key in _REQUIRED:
        _get(raw, key, src)
    police = raw["police"]
    if not isinstance(police, dict):
        raise ConfigError(f"{src}: 'police' must be a mapping with 'force' and 'file_slug'")
    auths = raw["authorities"]
    if not isinstance(auths, list) or not auths:
        raise ConfigError(f"{src}: 'authorities' must be a non-empty list of ONS codes")
    known = known_authority_codes()
    unknown = [a for a in auths if a not in known]
    if unknown:
        raise ConfigError(
            f"{src}: authorities not in the reference geography: {', '.join(map(str, unknown))}"
            " (neither geography/local_authorities.csv nor the England table "
            "geography/england_ltla_mid2019.csv has them)"
        )
    synth = raw.get("synthetic") or {}
    return AreaConfig(
        id=str(raw["id"]),
        name=str(raw["name"]),
        short_name=str(raw.get("short_name") or raw["id"]),
        force=str(_get(police, "force", src + ": police")),
        force_slug=str(_get(police, "file_slug", src + ": police")),
        authorities=tuple(str(a) for a in auths),
        default_mid_year=int((raw.get("population") or {}).get("default_mid_year", 2019)),
        embedded_police=raw.get("embedded_police") or None,
        synthetic_start=str(synth.get("start", "2016-01")),
        synthetic_end=str(synth.get("end", "2022-10")),
        synthetic_seed=int(synth.get("seed", 1)),
        source=src,
        comparators=_comparator_names(raw, src),
        **_story_fields(raw, src),
    )


def _comparator_names(raw: dict[str, Any], src: str) -> tuple[str, ...]:
    """Read the optional ``comparators`` key: a list of distinct area names or paths."""
    comps = raw.get("comparators")
    if comps in (None, []):
        return ()
    if not isinstance(comps, list) or not all(isinstance(c, str) and c.strip()
                                              for c in comps):
        raise ConfigError(f"{src}: 'comparators' must be a list of area names or area files")
    names = tuple(c.strip() for c in comps)
    if len(set(names)) != len(names):
        raise ConfigError(f"{src}: 'comparators' names an area twice: {', '.join(names)}")
    if str(raw.get("id")) in names:
        raise ConfigError(f"{src}: 'comparators' names the area itself ({raw.get('id')!r})")
    return names


def load_comparators(area: AreaConfig) -> tuple[AreaConfig, ...]:
    """Load the comparator areas named by an area's ``comparators`` key.

    Parameters
    ----------
    area
        The configured area. A comparator given as a path is read relative to the
        folder of ``area.source`` when that is a file; a bare name is a shipped area.

    Returns
    -------
    tuple of AreaConfig
        The comparators, in the order configured (empty when there are none). Their
        own ``comparators`` are not followed.

    Raises
    ------
    ConfigError
        If a comparator cannot be loaded, or shares an authority or a force with the
        area or an earlier comparator (its rows would be counted twice).
    """
    out: list[AreaConfig] = []
    here = Path(area.source).parent if area.source and Path(area.source).is_file() else None
    seen = set(area.authorities)
    forces = set(area_forces(area))
    for name in area.comparators:
        target: str | Path = name
        if here is not None and Path(name).suffix in {".yml", ".yaml"} \
                and not Path(name).is_absolute():
            target = here / name
        try:
            comp = load_area(target)
        except ConfigError as exc:
            raise ConfigError(f"{area.source}: comparator {name!r}: {exc}") from exc
        shared = sorted(seen & set(comp.authorities))
        if shared:
            raise ConfigError(f"{area.source}: comparator {name!r} shares authorities with "
                              f"the area or an earlier comparator: {', '.join(shared)}")
        both = sorted(forces & set(area_forces(comp)))
        if both:
            raise ConfigError(f"{area.source}: comparator {name!r} shares a force with the "
                              f"area or an earlier comparator: {', '.join(both)}")
        seen |= set(comp.authorities)
        forces |= set(area_forces(comp))
        out.append(comp)
    return tuple(out)


@dataclass(frozen=True)
class MultiForceArea(AreaConfig):
    """An area covering several forces, e.g. England and Wales for a national comparison.

    A plain `AreaConfig` names one force and takes
    its authorities' names from the shipped reference geography; this extension
    adds the other forces and the names of its own authorities, so that the same
    rules apply unchanged: ``Falls within`` must be one of `forces`, and an
    LSOA is placed in the authority its name starts with.

    Attributes
    ----------
    forces
        ``Falls within`` values of every force (the first is also ``force``).
    force_slugs
        Their slugs in data.police.uk file names, in the same order.
    authority_names
        Names of the authorities in ``authorities`` (same order); empty to take
        them from the reference geography.
    """

    forces: tuple[str, ...] = ()
    force_slugs: tuple[str, ...] = ()
    authority_names: tuple[str, ...] = ()


def area_forces(area: AreaConfig) -> tuple[str, ...]:
    """Return the ``Falls within`` values an area accepts (one for a plain area)."""
    return tuple(getattr(area, "forces", ()) or (area.force,))


def area_slugs(area: AreaConfig) -> str | tuple[str, ...]:
    """Return the file-name slug (plain area) or slugs (`MultiForceArea`)."""
    slugs = tuple(getattr(area, "force_slugs", ()))
    return slugs if slugs else area.force_slug


def load_multi_force_area(path: str | Path) -> MultiForceArea:
    """Read a multi-force area configuration (YAML).

    The file has ``id``, ``name``, optional ``short_name``, ``police.forces`` (a
    list of ``{force: ..., file_slug: ...}``) and ``authorities_file``: a CSV with
    ``la_code`` and ``la_name`` columns (relative paths are read next to the YAML).

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    MultiForceArea
        The configuration.

    Raises
    ------
    ConfigError
        If a key is missing or the authorities file is unusable.
    """
    p = Path(path)
    src = str(p)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{src}: cannot read area configuration ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping at the top level")
    for key in ("id", "name", "police", "authorities_file"):
        if raw.get(key) in (None, ""):
            raise ConfigError(f"{src}: area configuration has no {key!r}")
    forces = (raw["police"] or {}).get("forces") if isinstance(raw["police"], dict) else None
    if not isinstance(forces, list) or not forces or not all(
            isinstance(f, dict) and f.get("force") and f.get("file_slug") for f in forces):
        raise ConfigError(f"{src}: 'police.forces' must be a list of {{force, file_slug}}")
    lap = Path(raw["authorities_file"])
    if not lap.is_absolute():
        lap = p.parent / lap
    try:
        las = pd.read_csv(lap, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{src}: cannot read authorities file {lap} ({exc})") from exc
    if list(las.columns[:2]) != ["la_code", "la_name"] or las.empty:
        raise ConfigError(f"{src}: {lap} must have columns la_code, la_name and rows")
    synth = raw.get("synthetic") or {}
    return MultiForceArea(
        id=str(raw["id"]), name=str(raw["name"]),
        short_name=str(raw.get("short_name") or raw["id"]),
        force=str(forces[0]["force"]), force_slug=str(forces[0]["file_slug"]),
        authorities=tuple(las["la_code"].astype(str)),
        default_mid_year=int((raw.get("population") or {}).get("default_mid_year", 2019)),
        embedded_police=None,
        synthetic_start=str(synth.get("start", "2016-01")),
        synthetic_end=str(synth.get("end", "2022-10")),
        synthetic_seed=int(synth.get("seed", 1)),
        source=src,
        **_story_fields(raw, src),
        forces=tuple(str(f["force"]) for f in forces),
        force_slugs=tuple(str(f["file_slug"]) for f in forces),
        authority_names=tuple(las["la_name"].astype(str)),
    )
