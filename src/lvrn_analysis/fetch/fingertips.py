"""Fingertips (OHID) indicator exports from the Fingertips API → ``data/raw/fingertips/``.

The API's CSV of every value of an indicator, for one child area type and its parent
area type, is::

    {api_url}/all_data/csv/by_indicator_id?indicator_ids=ID
        &child_area_type_id=AREA_TYPE&parent_area_type_id=PARENT

which is the same 26/27-column layout the website exports and
`lvrn_analysis.sources.fingertips.load_fingertips()` reads. Fingertips area type ids
used here (the API's ``/api/area_types`` lists them all): ``501`` lower-tier local
authorities (districts and unitaries, from April 2023), ``502`` upper-tier local
authorities (counties and unitaries, from April 2023), ``401``/``402`` the same for
April 2021 – March 2023, ``101``/``102`` before April 2019; parent ``15`` is England
and ``6`` the regions. By default every indicator of the curated list
(`lvrn_analysis.sources.fingertips.curated_indicators()`) is fetched for ``501`` and
``502`` with England as parent: one file per indicator and area type,
``fingertips_<ID>_at<AREA_TYPE>.csv``, written under a temporary name and renamed once
its header is recognised. An indicator the API has no rows for at an area type is
reported and no file is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lvrn_analysis.fetch.http import FetchError, client, read_body, write_atomic
from lvrn_analysis.fetch.log import sha256_bytes, update_log
from lvrn_analysis.sources.fingertips import curated_indicators, sniff

#: The Fingertips API.
DEFAULT_API_URL = "https://fingertips.phe.org.uk/api"
#: Child area types fetched by default: lower- and upper-tier authorities (April 2023 on).
DEFAULT_AREA_TYPES: tuple[int, ...] = (501, 502)
#: Parent area type: England.
DEFAULT_PARENT_AREA_TYPE = 15


@dataclass
class FingertipsFetch:
    """What `fetch_fingertips()` did."""

    #: Files written (names in the destination folder).
    written: list[str] = field(default_factory=list)
    #: ``(indicator, area type)`` pairs the API returned no rows for.
    empty: list[tuple[int, int]] = field(default_factory=list)
    #: The fetch log written.
    log: Path | None = None


def default_indicators() -> list[int]:
    """Return the curated indicator ids, in the curated list's order."""
    return [int(i) for i in curated_indicators()["indicator_id"]]


def parse_ids(text: str, what: str = "indicator") -> list[int]:
    """Return the ids of a comma-separated list (``"11201,93203"``).

    Raises
    ------
    FetchError
        If an item is not a positive whole number.
    """
    ids = []
    for item in (t.strip() for t in text.split(",")):
        if not item.isdigit() or int(item) == 0:
            raise FetchError(f"{what} id {item!r} is not a positive whole number")
        ids.append(int(item))
    if not ids:
        raise FetchError(f"no {what} ids given")
    return ids


def indicator_url(api_url: str, indicator: int, area_type: int, parent: int) -> str:
    """Return the API URL of one indicator's CSV at one area type."""
    return (f"{api_url.rstrip('/')}/all_data/csv/by_indicator_id?indicator_ids={indicator}"
            f"&child_area_type_id={area_type}&parent_area_type_id={parent}")


def fetch_fingertips(indicators: Sequence[int] | None = None,
                     area_types: Sequence[int] = DEFAULT_AREA_TYPES, *,
                     parent_area_type: int = DEFAULT_PARENT_AREA_TYPE,
                     api_url: str = DEFAULT_API_URL,
                     dest: Path | str = "data/raw/fingertips",
                     http: httpx.Client | None = None,
                     echo: Callable[[str], None] | None = None) -> FingertipsFetch:
    """Fetch Fingertips CSV exports of indicators into ``dest``.

    Parameters
    ----------
    indicators
        Indicator ids (default: the curated list, `default_indicators()`).
    area_types
        Fingertips child area type ids (default ``501, 502``).
    parent_area_type
        Parent area type id (default ``15``, England).
    api_url
        The API's base URL.
    dest
        Destination folder (``data/raw/fingertips``); its fetch log records each file's
        URL, size and SHA-256.
    http
        HTTP client (default: `lvrn_analysis.fetch.http.client()`).
    echo
        Called with one line per file.

    Returns
    -------
    FingertipsFetch

    Raises
    ------
    FetchError
        An unreachable API, an HTTP error, an incomplete body, an HTML page, or a body
        whose header is not a Fingertips export. Files written before the error stay,
        complete and logged.
    """
    ids = list(indicators) if indicators else default_indicators()
    dest = Path(dest)
    say = echo or (lambda _line: None)
    own = http is None
    http = http or client()
    report = FingertipsFetch()
    records: dict[str, dict] = {}
    try:
        for ind in ids:
            for at in area_types:
                url = indicator_url(api_url, ind, at, parent_area_type)
                body = read_body(http, url)
                lines = body.decode("utf-8-sig", errors="replace").splitlines()
                if not lines or not sniff(lines[0]):
                    raise FetchError(f"{url}: not a Fingertips CSV export (first line "
                                     f"{(lines[0] if lines else '')[:60]!r})")
                if not any(line.strip() for line in lines[1:]):
                    report.empty.append((ind, at))
                    say(f"  indicator {ind}, area type {at}: no rows; nothing written")
                    continue
                name = f"fingertips_{ind}_at{at}.csv"
                write_atomic(dest / name, body)
                report.written.append(name)
                records[name] = {"url": url, "size": len(body), "sha256": sha256_bytes(body)}
                say(f"  {name}: {len(body):,} bytes from {url}")
    finally:
        if records:
            report.log = update_log(dest, records)
        if own:
            http.close()
    return report
