"""ONS mid-year population estimates for an area's authorities, from the Nomis API.

Nomis dataset ``NM_2002_1`` ("population estimates - local authority based by single
year of age") gives every mid-year estimate ONS has published, in the latest vintage
(earlier years revised to the latest census). The request is::

    {api_url}/dataset/NM_2002_1.data.csv?geography=CODE,CODE,…
        &date=latestMINUS{years-1}-latest&gender=0&c_age=200&measures=20100
        &select=date_name,geography_name,geography_code,obs_value

(``gender=0`` all persons, ``c_age=200`` all ages, ``measures=20100`` the count; Nomis
accepts ONS codes as geographies). The response is checked with
`lvrn_analysis.config.geography.read_nomis_populations()` and written, as received, to
``data/raw/populations/nomis_NM_2002_1_<area>.csv`` with its URL, size and SHA-256 in
that folder's fetch log. From then on `lvrn_analysis.config.geography.populations()` and
`lvrn_analysis.config.geography.monthly_populations()` use those estimates for the
authorities they cover, so denominators run to the latest mid-year published instead of
stopping at the shipped mid-2022.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd

from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import read_nomis_populations
from lvrn_analysis.fetch.http import FetchError, client, read_body, write_atomic
from lvrn_analysis.fetch.log import sha256_bytes, update_log

#: The Nomis API.
DEFAULT_API_URL = "https://www.nomisweb.co.uk/api/v01"
#: Nomis dataset of local-authority mid-year estimates.
DATASET = "NM_2002_1"
#: Mid-years asked for by default (the latest and the nine before).
DEFAULT_YEARS = 10


@dataclass
class PopulationsFetch:
    """What `fetch_populations()` did."""

    #: The file written.
    path: Path
    #: The estimates it holds (``la_code, mid_year, population, source``).
    estimates: pd.DataFrame
    #: Authorities of the area Nomis returned nothing for (the shipped table serves them).
    not_found: list[str] = field(default_factory=list)
    #: The fetch log written.
    log: Path | None = None


def nomis_url(api_url: str, codes: list[str], years: int) -> str:
    """Return the Nomis API URL of the all-ages estimates of ``codes`` for the last ``years``."""
    if years < 1:
        raise FetchError(f"--years must be at least 1, not {years}")
    date = "latest" if years == 1 else f"latestMINUS{years - 1}-latest"
    return (f"{api_url.rstrip('/')}/dataset/{DATASET}.data.csv?geography={','.join(codes)}"
            f"&date={date}&gender=0&c_age=200&measures=20100"
            "&select=date_name,geography_name,geography_code,obs_value")


def fetch_populations(area: AreaConfig, *, years: int = DEFAULT_YEARS,
                      api_url: str = DEFAULT_API_URL,
                      dest: Path | str = "data/raw/populations",
                      http: httpx.Client | None = None,
                      echo: Callable[[str], None] | None = None) -> PopulationsFetch:
    """Fetch the area's mid-year estimates from Nomis into ``dest``.

    Parameters
    ----------
    area
        The area (its ``authorities``).
    years
        How many mid-years, ending with the latest published.
    api_url
        The Nomis API's base URL.
    dest
        Destination folder (``data/raw/populations``).
    http
        HTTP client (default: `lvrn_analysis.fetch.http.client()`).
    echo
        Called with a line per step.

    Returns
    -------
    PopulationsFetch

    Raises
    ------
    FetchError
        An unreachable API, an HTTP error, an HTML page, a body that is not a Nomis
        CSV of estimates, or no estimate for any of the area's authorities. Nothing is
        written then.
    """
    codes = list(area.authorities)
    url = nomis_url(api_url, codes, years)
    dest = Path(dest)
    name = f"nomis_{DATASET}_{area.id}.csv"
    say = echo or (lambda _line: None)
    own = http is None
    http = http or client()
    try:
        body = read_body(http, url)
        try:
            est = read_nomis_populations(body, label=name)
        except ValueError as exc:
            raise FetchError(f"{url}: not the expected Nomis CSV: {exc}") from exc
        est = est[est["la_code"].isin(codes)]
        if est.empty:
            raise FetchError(f"{url}: no estimates for any authority of area {area.id}")
        path = dest / name
        write_atomic(path, body)
        log = update_log(dest, {name: {"url": url, "size": len(body),
                                       "sha256": sha256_bytes(body)}})
    finally:
        if own:
            http.close()
    missing = sorted(set(codes) - set(est["la_code"]))
    say(f"  {name}: {len(est)} estimates, mid-{est['mid_year'].min()} to "
        f"mid-{est['mid_year'].max()}, {est['la_code'].nunique()} authorities")
    return PopulationsFetch(path=path, estimates=est.reset_index(drop=True),
                            not_found=missing, log=log)
