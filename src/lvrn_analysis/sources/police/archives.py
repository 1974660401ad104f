"""Street-level files as they are downloaded: plain, gzipped, or inside a monthly archive."""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path

from lvrn_analysis.sources.police.format import slug_from_name
from lvrn_analysis.sources.validation import SourceError


def iter_members(path: str | Path, force_slug: str | Collection[str] | None = None
                 ) -> Iterator[tuple[str, bytes]]:
    """Yield ``(label, bytes)`` for each street-level CSV in ``path``.

    Parameters
    ----------
    path
        A ``.csv``, ``.csv.gz`` or monthly archive ``.zip``.
    force_slug
        For archives: only members for this force (``*-<slug>-street.csv``), or
        for any of these forces when a collection of slugs is given.

    Yields
    ------
    tuple of (str, bytes)
        The member label (``archive.zip!2020-01/2020-01-lancashire-street.csv``
        for archives) and its decompressed bytes.

    Raises
    ------
    SourceError
        If the file cannot be opened or decompressed.
    """
    path = Path(path)
    label = str(path)
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                names = sorted(n for n in zf.namelist() if n.endswith("-street.csv"))
                wanted = ({force_slug} if isinstance(force_slug, str)
                          else set(force_slug) if force_slug is not None else None)
                if wanted is not None:
                    names = [n for n in names if slug_from_name(n) in wanted]
                if not names:
                    which = ("" if not force_slug else f" for force '{force_slug}'"
                             if isinstance(force_slug, str)
                             else f" for forces {', '.join(sorted(wanted or ()))}")
                    raise SourceError(label, "archive holds no street-level CSV" + which)
                for n in names:
                    yield f"{label}!{n}", zf.read(n)
        elif path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                yield label, fh.read()
        else:
            yield label, path.read_bytes()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceError(label, f"cannot read file ({exc})") from exc
