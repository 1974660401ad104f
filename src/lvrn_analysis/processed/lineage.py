"""Lineage: which processed tables a published output rests on, and whether any is synthetic.

Every figure, table and CSV the pages publish names the processed tables it
rests on (``sources=[...]`` in `lvrn_analysis.story.notebook.table()` and
`lvrn_analysis.story.notebook.figure()`). Their origins come from the build
manifest (``data/processed/manifest.json``, key ``"origins"``): an origin
starting with ``"synthetic"`` marks a synthetic twin, as in
`lvrn_analysis.processed.store.is_synthetic()`.

A `Lineage` is one of

* ``"undeclared"`` — the call named no sources (``sources=None``); shown as
  such, never guessed;
* ``"none"`` — the output rests on no processed table (documentation, e.g. a
  data dictionary);
* ``"real"``, ``"synthetic"`` or ``"mixed"`` — from the origins of the tables
  named.

Anything resting on a synthetic table carries `MARK` (``"SYNTHETIC"``) in its
image, alt text, caption, CSV and metadata; ``tests/test_lineage_guard.py``
checks every published output for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lvrn_analysis.processed.store import manifest

__all__ = ["MARK", "Lineage", "LineageStatus", "is_synthetic_origin", "lineage"]

#: The word every output resting on synthetic data carries (upper case, so it cannot be missed).
MARK = "SYNTHETIC"

LineageStatus = Literal["undeclared", "none", "real", "synthetic", "mixed"]


def is_synthetic_origin(origin: str) -> bool:
    """Return whether a manifest origin (e.g. ``"synthetic"``) denotes synthetic data."""
    return origin.strip().lower().startswith("synthetic")


@dataclass(frozen=True)
class Lineage:
    """The processed tables an output rests on, with their manifest origins.

    Attributes
    ----------
    sources
        Processed table names, sorted; ``None`` when the caller declared none.
    origins
        ``{table: origin}`` from the build manifest, for the tables in ``sources``.
    """

    sources: tuple[str, ...] | None = None
    origins: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_origins(cls, sources: Iterable[str] | str | None,
                     origins: Mapping[str, str]) -> Lineage:
        """Build the lineage of an output from the tables it names.

        Parameters
        ----------
        sources
            Processed table names (a single name is taken as a list of one);
            ``None`` for an undeclared lineage, ``[]`` for an output resting on
            no processed table.
        origins
            The manifest's ``"origins"`` mapping.

        Returns
        -------
        Lineage

        Raises
        ------
        KeyError
            If a name is not a processed table of this build (named in the message).
        """
        if sources is None:
            return cls()
        names = [sources] if isinstance(sources, str) else list(sources)
        unknown = sorted({n for n in names if n not in origins})
        if unknown:
            raise KeyError(f"sources {unknown} are not processed tables of this build "
                           f"(manifest origins: {sorted(origins)})")
        chosen = tuple(sorted(set(names)))
        return cls(chosen, {n: str(origins[n]) for n in chosen})

    @property
    def synthetic_sources(self) -> list[str]:
        """The tables of `sources` whose origin is synthetic."""
        return [s for s in self.sources or () if is_synthetic_origin(self.origins[s])]

    @property
    def real_sources(self) -> list[str]:
        """The tables of `sources` whose origin is real."""
        return [s for s in self.sources or () if not is_synthetic_origin(self.origins[s])]

    @property
    def status(self) -> LineageStatus:
        """``"undeclared"``, ``"none"``, ``"real"``, ``"synthetic"`` or ``"mixed"``."""
        if self.sources is None:
            return "undeclared"
        if not self.sources:
            return "none"
        synth, real = self.synthetic_sources, self.real_sources
        if synth and real:
            return "mixed"
        return "synthetic" if synth else "real"

    @property
    def synthetic(self) -> bool | None:
        """Whether any source is synthetic (``None`` when undeclared)."""
        if self.sources is None:
            return None
        return bool(self.synthetic_sources)

    @property
    def mark(self) -> str:
        """``"SYNTHETIC DATA"``, ``"PARTLY SYNTHETIC DATA"`` or ``""`` (nothing synthetic)."""
        return {"synthetic": f"{MARK} DATA", "mixed": f"PARTLY {MARK} DATA"}.get(self.status, "")

    def marked(self, text: str | None, *, sep: str = ": ") -> str:
        """Return ``text`` with `mark` in front unless it already says `MARK` (upper case).

        Text of an output with nothing synthetic is returned unchanged (``""`` for ``None``).
        """
        text = text or ""
        if not self.synthetic or MARK in text:
            return text
        return f"{self.mark}{sep}{text}" if text else self.mark

    def sentence(self) -> str:
        """Return the visible lineage line, e.g. ``"SYNTHETIC DATA - illustrative ..."``."""
        status = self.status
        if status == "undeclared":
            return "Data sources not declared: this output may rest on synthetic data."
        if status == "none":
            return "Documentation: rests on no data table."
        real = ", ".join(self.real_sources)
        synth = ", ".join(self.synthetic_sources)
        if status == "real":
            return f"Real data (processed tables: {real})."
        if status == "synthetic":
            return (f"{self.mark} - illustrative, not real figures (synthetic processed "
                    f"tables: {synth}).")
        return (f"{self.mark} - what comes from the synthetic processed tables ({synth}) is "
                f"illustrative, not real figures; the rest is real ({real}).")

    def record(self) -> dict[str, Any]:
        """Return the machine-readable record (JSON-ready) stored with the output."""
        return {
            "status": self.status,
            "synthetic": self.synthetic,
            "sources": None if self.sources is None else list(self.sources),
            "origins": dict(self.origins),
        }


def lineage(sources: Iterable[str] | str | None,
            directory: Path | str | None = None) -> Lineage:
    """Return the lineage of an output resting on the named processed tables.

    Parameters
    ----------
    sources
        Processed table names (keys of the manifest's ``"origins"``); ``None``
        for undeclared, ``[]`` for documentation resting on no table.
    directory
        Processed folder (default: found automatically).

    Returns
    -------
    Lineage
    """
    if sources is None:
        return Lineage()
    return Lineage.from_origins(sources, manifest(directory)["origins"])
