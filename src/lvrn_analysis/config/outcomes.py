"""The outcomes framework as data: outcome -> indicator -> source -> series -> polarity.

A framework file is YAML with this shape (see the shipped
``reference/outcomes_framework_lancashire.yml``)::

    schema_version: 1
    framework: {id, title, status: proposal|draft|adopted, description, citations: {key: text}}
    defaults: {intervention_start: YYYY-MM-DD, areas: [codes], comparison_areas: [codes],
               frequency: monthly|weekly}
    areas: {ONS code: name}                 # the areas the framework covers
    sources: {source id: {name, publisher, licence}}
    outcomes:
      - id, name, citations: [keys]
        indicators:
          - id, name
            source: <source id>
            series: {filter: {field: value, ...}, measure: count, denominator: population,
                     frequency: monthly}
            polarity: "lower is better" | "higher is better"
            intervention_start, areas, comparison_areas   # optional, else defaults
            citations: [keys], notes
    analysis_plan:                          # optional here; required to evaluate
      registered: YYYY-MM-DD
      note: text
      alpha: 0.05
      primary_effect: level
      secondary_effects: [slope]
      multiplicity: holm | bonferroni | none
      primary: {id, label, short, controlled: bool, model: {family, harmonics, se,
                ci_dist, slope_change, lockdowns}}
      sensitivity: [designs as primary]

The analysis plan registers the primary ITS design and its sensitivity designs in the
file, before any model is fitted: `OutcomesFramework.plan()` returns it and raises a
`FrameworkError` when the file has none.

`load_framework()` reads and validates a file and returns an
`OutcomesFramework`; every error names the file and the key path
(``outcomes[0].indicators[2].polarity``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lvrn_analysis._resources import reference_file

__all__ = [
    "AnalysisPlan",
    "Design",
    "FrameworkError",
    "Indicator",
    "OutcomesFramework",
    "POLARITIES",
    "load_framework",
    "parse_framework",
]

DEFAULT_FILE = "outcomes_framework_lancashire.yml"
POLARITIES = ("lower is better", "higher is better")
STATUSES = ("proposal", "draft", "adopted")
FREQUENCIES = ("monthly", "weekly")
_CODE = re.compile(r"^[EWSN]\d{8}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: Model options an analysis plan may set, with the values allowed (the ITS engine's
#: `fit_its()` arguments; `None` means any bool).
PLAN_MODEL_KEYS: dict[str, tuple[Any, ...] | None] = {
    "family": ("poisson", "quasipoisson", "negbin"),
    "harmonics": (0, 1, 2, 3, 4, 5, 6),
    "se": ("model", "hac"),
    "ci_dist": ("normal", "t"),
    "slope_change": None,
    "lockdowns": None,
}
MULTIPLICITY = ("holm", "bonferroni", "none")


class FrameworkError(ValueError):
    """An outcomes-framework file is malformed; the message names the file and key."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the framework, with defaults resolved.

    Attributes
    ----------
    id, name
        Identifier (used as ``indicator_id`` in series frames) and label.
    outcome_id, outcome_name
        The outcome it measures.
    source
        Source id (key of the framework's ``sources``).
    series
        Series definition: ``filter`` (dict), ``measure``, ``denominator``,
        ``frequency``.
    polarity
        ``"lower is better"`` or ``"higher is better"``.
    intervention_start
        Go-live date.
    areas, comparison_areas
        ONS codes.
    citations
        Citation keys.
    notes
        Free text.
    """

    id: str
    name: str
    outcome_id: str
    outcome_name: str
    source: str
    series: dict[str, Any]
    polarity: str
    intervention_start: pd.Timestamp
    areas: tuple[str, ...]
    comparison_areas: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    notes: str = ""

    @property
    def series_name(self) -> str:
        """Series named by source and filter, e.g. ``police_street[crime_type=...]``."""
        filt = self.series.get("filter") or {}
        inner = ";".join(f"{k}={v}" for k, v in sorted(filt.items()))
        return f"{self.source}[{inner}]" if inner else self.source

    @property
    def lower_is_better(self) -> bool:
        """Whether a fall in the indicator is an improvement."""
        return self.polarity == "lower is better"


@dataclass(frozen=True)
class Design:
    """One ITS design of an analysis plan.

    Attributes
    ----------
    id, label, short
        Identifier, label for tables and short label for chart legends.
    controlled
        Whether each area is fitted against the indicator's other areas (controlled ITS).
    model
        Keyword arguments of `lvrn_analysis.its.fit_its()` (keys of `PLAN_MODEL_KEYS`).
    """

    id: str
    label: str
    short: str
    controlled: bool
    model: dict[str, Any]


@dataclass(frozen=True)
class AnalysisPlan:
    """The analysis plan registered in the framework file before any fit.

    Attributes
    ----------
    registered
        Date the plan was written into the file.
    note
        What was known when it was registered.
    alpha
        Test level (two-sided).
    primary_effect, secondary_effects
        The effect the verdict rests on (``"level"``) and those reported beside it.
    multiplicity
        ``"holm"``, ``"bonferroni"`` or ``"none"``: adjustment over the evaluated areas
        of each indicator, separately for each effect.
    primary
        The primary design.
    sensitivity
        Designs reported beside it, in file order.
    """

    registered: pd.Timestamp
    note: str
    alpha: float
    primary_effect: str
    secondary_effects: tuple[str, ...]
    multiplicity: str
    primary: Design
    sensitivity: tuple[Design, ...]

    @property
    def designs(self) -> tuple[Design, ...]:
        """The primary design followed by the sensitivity designs."""
        return (self.primary, *self.sensitivity)

    @property
    def adjust(self) -> str | None:
        """The multiplicity method as `evaluate_framework()` takes it (``None`` for none)."""
        return None if self.multiplicity == "none" else self.multiplicity


@dataclass(frozen=True)
class OutcomesFramework:
    """A validated outcomes framework.

    Attributes
    ----------
    id, title, status, description
        Framework metadata (``status`` is ``proposal``, ``draft`` or ``adopted``).
    citations
        Citation key -> full reference.
    areas
        ONS code -> area name.
    sources
        Source id -> metadata.
    indicators
        All indicators, in file order.
    path
        The file it was read from (or ``"<dict>"``).
    analysis_plan
        The registered analysis plan, or ``None`` when the file has none.
    """

    id: str
    title: str
    status: str
    description: str
    citations: dict[str, str]
    areas: dict[str, str]
    sources: dict[str, dict[str, Any]]
    indicators: tuple[Indicator, ...]
    path: str = "<dict>"
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    analysis_plan: AnalysisPlan | None = None

    def plan(self) -> AnalysisPlan:
        """Return the registered analysis plan.

        Returns
        -------
        AnalysisPlan
            The plan read from the file's ``analysis_plan``.

        Raises
        ------
        FrameworkError
            If the file registers no plan (naming the file).
        """
        if self.analysis_plan is None:
            raise FrameworkError(
                f"{self.path}: analysis_plan: required key is missing: register the primary "
                "model and the sensitivity designs in the framework file before any fit")
        return self.analysis_plan

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator with this id (``KeyError`` if none)."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"{self.path}: no indicator {indicator_id!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: ids, names, source, series name, polarity, start, areas.

        Returns
        -------
        pandas.DataFrame
            Tidy overview of the framework.
        """
        return pd.DataFrame([{
            "outcome_id": i.outcome_id, "outcome": i.outcome_name, "indicator_id": i.id,
            "indicator": i.name, "source": i.source, "series": i.series_name,
            "polarity": i.polarity, "intervention_start": i.intervention_start,
            "n_areas": len(i.areas), "comparison_areas": ", ".join(i.comparison_areas),
            "citations": ", ".join(i.citations),
        } for i in self.indicators])


class _Ctx:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, msg: str) -> FrameworkError:
        return FrameworkError(f"{self.path}: {key}: {msg}")

    def get(self, obj: Mapping[str, Any], key: str, where: str, kind: type | tuple = object,
            required: bool = True, default: Any = None) -> Any:
        here = f"{where}.{key}" if where else key
        if key not in obj or obj[key] is None:
            if required:
                raise self.fail(here, "required key is missing")
            return default
        val = obj[key]
        if not isinstance(val, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(here, f"expected {names}, got {type(val).__name__} ({val!r})")
        return val

    def date(self, val: Any, where: str) -> pd.Timestamp:
        if isinstance(val, (_dt.date, _dt.datetime)):
            return pd.Timestamp(val)
        if isinstance(val, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", val):
            try:
                return pd.Timestamp(val)
            except ValueError:
                pass
        raise self.fail(where, f"expected an ISO date YYYY-MM-DD, got {val!r}")

    def codes(self, val: Any, where: str) -> tuple[str, ...]:
        if not isinstance(val, list):
            raise self.fail(where, f"expected a list of ONS area codes, got {val!r}")
        for j, c in enumerate(val):
            if not isinstance(c, str) or not _CODE.match(c):
                raise self.fail(f"{where}[{j}]", f"not an ONS area code (e.g. E07000123): {c!r}")
        if len(set(val)) != len(val):
            raise self.fail(where, "duplicate area codes")
        return tuple(val)

    def ident(self, val: Any, where: str) -> str:
        if not isinstance(val, str) or not _ID.match(val):
            raise self.fail(where, f"ids must be lower_snake_case, got {val!r}")
        return val


def parse_framework(data: Any, *, path: str = "<dict>") -> OutcomesFramework:
    """Validate a parsed framework document.

    Parameters
    ----------
    data
        The YAML document as Python objects.
    path
        Name used in error messages.

    Returns
    -------
    OutcomesFramework
        The validated framework with indicator defaults resolved.

    Raises
    ------
    FrameworkError
        Naming the file and the offending key.
    """
    c = _Ctx(path)
    if not isinstance(data, Mapping):
        raise c.fail("<root>", "the document must be a mapping")
    ver = c.get(data, "schema_version", "", int)
    if ver != 1:
        raise c.fail("schema_version", f"unsupported version {ver} (expected 1)")
    fw = c.get(data, "framework", "", Mapping)
    fid = c.ident(c.get(fw, "id", "framework", str), "framework.id")
    title = c.get(fw, "title", "framework", str)
    status = c.get(fw, "status", "framework", str)
    if status not in STATUSES:
        raise c.fail("framework.status", f"must be one of {STATUSES}, got {status!r}")
    desc = c.get(fw, "description", "framework", str, required=False, default="")
    cites = dict(c.get(fw, "citations", "framework", Mapping, required=False, default={}))
    for k, v in cites.items():
        if not isinstance(v, str) or not v.strip():
            raise c.fail(f"framework.citations.{k}", "citation text must be a non-empty string")
    areas_raw = c.get(data, "areas", "", Mapping)
    for code, name in areas_raw.items():
        if not isinstance(code, str) or not _CODE.match(code):
            raise c.fail(f"areas.{code}", "not an ONS area code")
        if not isinstance(name, str) or not name.strip():
            raise c.fail(f"areas.{code}", "area name must be a non-empty string")
    areas = {str(k): str(v) for k, v in areas_raw.items()}
    sources_raw = c.get(data, "sources", "", Mapping)
    sources: dict[str, dict[str, Any]] = {}
    for sid, meta in sources_raw.items():
        c.ident(sid, f"sources.{sid}")
        if not isinstance(meta, Mapping):
            raise c.fail(f"sources.{sid}", "expected a mapping with at least 'name'")
        c.get(meta, "name", f"sources.{sid}", str)
        sources[sid] = dict(meta)
    dflt = c.get(data, "defaults", "", Mapping, required=False, default={})
    d_start = dflt.get("intervention_start")
    d_areas = c.codes(dflt["areas"], "defaults.areas") if dflt.get("areas") is not None \
        else tuple(areas)
    d_comp = c.codes(dflt.get("comparison_areas") or [], "defaults.comparison_areas")
    d_freq = dflt.get("frequency", "monthly")
    outcomes = c.get(data, "outcomes", "", list)
    if not outcomes:
        raise c.fail("outcomes", "at least one outcome is needed")
    seen: set[str] = set()
    seen_out: set[str] = set()
    inds: list[Indicator] = []

    def check_cites(val: Any, where: str) -> tuple[str, ...]:
        if val is None:
            return ()
        if not isinstance(val, list):
            raise c.fail(where, f"expected a list of citation keys, got {val!r}")
        for k in val:
            if k not in cites:
                raise c.fail(where, f"unknown citation key {k!r} (define it under "
                                    "framework.citations)")
        return tuple(val)

    for i, out in enumerate(outcomes):
        w = f"outcomes[{i}]"
        if not isinstance(out, Mapping):
            raise c.fail(w, "expected a mapping")
        oid = c.ident(c.get(out, "id", w, str), f"{w}.id")
        if oid in seen_out:
            raise c.fail(f"{w}.id", f"duplicate outcome id {oid!r}")
        seen_out.add(oid)
        oname = c.get(out, "name", w, str)
        ocites = check_cites(out.get("citations"), f"{w}.citations")
        ilist = c.get(out, "indicators", w, list)
        if not ilist:
            raise c.fail(f"{w}.indicators", "at least one indicator is needed")
        for j, ind in enumerate(ilist):
            wi = f"{w}.indicators[{j}]"
            if not isinstance(ind, Mapping):
                raise c.fail(wi, "expected a mapping")
            iid = c.ident(c.get(ind, "id", wi, str), f"{wi}.id")
            if iid in seen:
                raise c.fail(f"{wi}.id", f"duplicate indicator id {iid!r}")
            seen.add(iid)
            name = c.get(ind, "name", wi, str)
            src = c.get(ind, "source", wi, str)
            if src not in sources:
                raise c.fail(f"{wi}.source", f"unknown source {src!r} (known: {sorted(sources)})")
            ser = dict(c.get(ind, "series", wi, Mapping))
            filt = ser.get("filter", {})
            if not isinstance(filt, Mapping):
                raise c.fail(f"{wi}.series.filter", "expected a mapping field -> value")
            ser["filter"] = dict(filt)
            ser.setdefault("measure", "count")
            freq = ser.setdefault("frequency", d_freq)
            if freq not in FREQUENCIES:
                raise c.fail(f"{wi}.series.frequency", f"must be one of {FREQUENCIES}, "
                                                       f"got {freq!r}")
            pol = c.get(ind, "polarity", wi, str)
            if pol not in POLARITIES:
                raise c.fail(f"{wi}.polarity", f"must be 'lower is better' or 'higher is "
                                               f"better', got {pol!r}")
            start_raw = ind.get("intervention_start", d_start)
            if start_raw is None:
                raise c.fail(f"{wi}.intervention_start", "required (no default given)")
            start = c.date(start_raw, f"{wi}.intervention_start")
            ia = c.codes(ind["areas"], f"{wi}.areas") if ind.get("areas") is not None \
                else d_areas
            for code in ia:
                if code not in areas:
                    raise c.fail(f"{wi}.areas", f"area {code!r} is not listed under 'areas'")
            comp = c.codes(ind["comparison_areas"], f"{wi}.comparison_areas") \
                if ind.get("comparison_areas") is not None else d_comp
            both = set(comp) & set(ia)
            if both:
                raise c.fail(f"{wi}.comparison_areas",
                             f"area(s) {sorted(both)} are both intervention and comparison")
            icites = check_cites(ind.get("citations"), f"{wi}.citations")
            inds.append(Indicator(
                id=iid, name=name, outcome_id=oid, outcome_name=oname, source=src, series=ser,
                polarity=pol, intervention_start=start, areas=ia, comparison_areas=comp,
                citations=icites or ocites, notes=str(ind.get("notes", "") or "").strip()))
    plan = (_parse_plan(c, data["analysis_plan"]) if data.get("analysis_plan") is not None
            else None)
    return OutcomesFramework(id=fid, title=title, status=status, description=desc.strip(),
                             citations=cites, areas=areas, sources=sources,
                             indicators=tuple(inds), path=path, raw=dict(data),
                             analysis_plan=plan)


def _parse_design(c: _Ctx, d: Any, where: str) -> Design:
    if not isinstance(d, Mapping):
        raise c.fail(where, "expected a mapping with id, label, controlled and model")
    did = c.ident(c.get(d, "id", where, str), f"{where}.id")
    label = c.get(d, "label", where, str)
    short = c.get(d, "short", where, str, required=False, default=label)
    controlled = c.get(d, "controlled", where, bool)
    model = dict(c.get(d, "model", where, Mapping))
    for key, val in model.items():
        if key not in PLAN_MODEL_KEYS:
            raise c.fail(f"{where}.model.{key}",
                         f"unknown model option (known: {sorted(PLAN_MODEL_KEYS)})")
        allowed = PLAN_MODEL_KEYS[key]
        ok = isinstance(val, bool) if allowed is None else (
            not isinstance(val, bool) and val in allowed)
        if not ok:
            want = "true or false" if allowed is None else f"one of {allowed}"
            raise c.fail(f"{where}.model.{key}", f"must be {want}, got {val!r}")
    missing = [k for k in ("family", "slope_change") if k not in model]
    if missing:
        raise c.fail(f"{where}.model", f"must state {missing}")
    return Design(id=did, label=label, short=short, controlled=controlled, model=model)


def _parse_plan(c: _Ctx, p: Any) -> AnalysisPlan:
    w = "analysis_plan"
    if not isinstance(p, Mapping):
        raise c.fail(w, "expected a mapping")
    registered = c.date(c.get(p, "registered", w, (str, _dt.date)), f"{w}.registered")
    alpha = c.get(p, "alpha", w, float)
    if not 0 < alpha < 0.5:
        raise c.fail(f"{w}.alpha", f"must be between 0 and 0.5, got {alpha!r}")
    primary_effect = c.get(p, "primary_effect", w, str)
    if primary_effect != "level":
        raise c.fail(f"{w}.primary_effect", f"only 'level' is supported, got {primary_effect!r}")
    secondary = c.get(p, "secondary_effects", w, list, required=False, default=[])
    if any(e != "slope" for e in secondary):
        raise c.fail(f"{w}.secondary_effects", f"only 'slope' is supported, got {secondary!r}")
    mult = c.get(p, "multiplicity", w, str)
    if mult not in MULTIPLICITY:
        raise c.fail(f"{w}.multiplicity", f"must be one of {MULTIPLICITY}, got {mult!r}")
    primary = _parse_design(c, c.get(p, "primary", w, Mapping), f"{w}.primary")
    if secondary and not primary.model.get("slope_change"):
        raise c.fail(f"{w}.primary.model.slope_change",
                     "must be true when 'slope' is a secondary effect")
    sens_raw = c.get(p, "sensitivity", w, list)
    sens = tuple(_parse_design(c, d, f"{w}.sensitivity[{i}]") for i, d in enumerate(sens_raw))
    ids = [d.id for d in (primary, *sens)]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise c.fail(f"{w}.sensitivity", f"duplicate design id(s) {dup}")
    note = str(c.get(p, "note", w, str, required=False, default="")).strip()
    return AnalysisPlan(registered=registered, note=note, alpha=float(alpha),
                        primary_effect=primary_effect, secondary_effects=tuple(secondary),
                        multiplicity=mult, primary=primary, sensitivity=sens)


def load_framework(path: str | Path | None = None) -> OutcomesFramework:
    """Read and validate an outcomes-framework YAML file.

    Parameters
    ----------
    path
        File to read; default the shipped proposal
        ``reference/outcomes_framework_lancashire.yml``.

    Returns
    -------
    OutcomesFramework
        The validated framework.

    Raises
    ------
    FrameworkError
        If the YAML is invalid or breaks the schema (the message names file and key).
    FileNotFoundError
        If the file does not exist.
    """
    if path is None:
        handle = reference_file(DEFAULT_FILE)
        name = f"lvrn_analysis/reference/{DEFAULT_FILE}"
        text = handle.read_text(encoding="utf-8")
    else:
        p = Path(path)
        name = str(p)
        text = p.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{name}: not valid YAML: {exc}") from exc
    return parse_framework(data, path=name)
