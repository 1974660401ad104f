"""The fetch log: what `lvrn fetch` wrote into a raw folder, where from, and its hash.

Each destination folder gets one ``fetch-log.json`` (`LOG_NAME`) with one record per
file written there, keyed by the file name::

    {"files": {"2020-01-lancashire-street.csv": {
        "url": "https://data.police.uk/data/archive/2022-10.zip",
        "member": "2020-01/2020-01-lancashire-street.csv",
        "archive_size": 1712345678, "size": 3456789, "crc32": "1a2b3c4d",
        "sha256": "…"}},
     "format": 1}

The content is deterministic: keys sorted, no dates or times, no absolute paths, so a
second fetch of the same files leaves the log byte-identical and `lvrn build`, which
copies every ``data/raw/*/fetch-log.json`` into its manifest, stays reproducible.
Records of files that are no longer in the folder are dropped when the log is written.
No source pattern of the build matches the name, so the log is never read as data.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lvrn_analysis.fetch.http import write_atomic

#: File name of the log in each destination folder.
LOG_NAME = "fetch-log.json"
#: Version of the log's layout.
FORMAT = 1


def sha256_bytes(data: bytes) -> str:
    """Return the hexadecimal SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    """Return the hexadecimal SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_log(folder: Path | str) -> dict[str, dict]:
    """Return the records of ``folder/fetch-log.json`` by file name (empty if none).

    Raises
    ------
    ValueError
        If the log exists but is not a fetch log (names the file).
    """
    path = Path(folder) / LOG_NAME
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = doc["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a fetch log ({exc})") from exc
    if not isinstance(files, dict):
        raise ValueError(f"{path}: 'files' must be a mapping of file name to record")
    return dict(files)


def update_log(folder: Path | str, records: dict[str, dict]) -> Path:
    """Add or replace records in ``folder``'s fetch log and write it atomically.

    Parameters
    ----------
    folder
        The destination folder.
    records
        New records by file name (a file in ``folder``).

    Returns
    -------
    pathlib.Path
        The log's path.
    """
    folder = Path(folder)
    merged = read_log(folder) | records
    merged = {k: merged[k] for k in sorted(merged) if (folder / k).is_file()}
    text = json.dumps({"format": FORMAT, "files": merged}, indent=2, sort_keys=True) + "\n"
    path = folder / LOG_NAME
    write_atomic(path, text.encode("utf-8"))
    return path
