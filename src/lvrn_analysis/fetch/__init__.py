"""``lvrn fetch``: real open data downloaded into ``data/raw/`` (online only).

Nothing else in the package imports this layer: ``lvrn build``, ``lvrn site`` and the
tests' default path never touch the network. Each fetcher writes complete files only
(temporary name, then rename), verifies what it received, and records the URL, size and
SHA-256 of every file in the destination folder's ``fetch-log.json``, which
``lvrn build`` copies into its manifest.

* `police` — data.police.uk monthly archives → one force's street files for a range
  of months, reading only the members needed where the server serves byte ranges;
* `fingertips` — Fingertips API CSV exports of indicators;
* `populations` — ONS mid-year estimates of the area's authorities from Nomis,
  which the geography layer then prefers to the shipped table;
* `http` — the client, errors, ranged reads and resumable downloads;
* `log` — the fetch log.
"""

from lvrn_analysis.fetch.http import FetchError
from lvrn_analysis.fetch.log import LOG_NAME, read_log

__all__ = ["LOG_NAME", "FetchError", "read_log"]
