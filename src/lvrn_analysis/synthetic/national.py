"""A national-scale synthetic data.police.uk archive, for measuring ingest at scale.

The Home Office and national evaluators compare VRU areas with the rest of England
and Wales, which means every force's street-level files. This module writes such an
archive — one ``YYYY-MM-<slug>-street.csv`` per force per month, in exactly the real
format (the 12-column header, unquoted fields, empty fields for missing values) —
together with a matching *national area*
(`lvrn_analysis.config.areas.MultiForceArea` YAML + authorities CSV), so that
``lvrn build`` can read it with the same rules as a VRU area. It is used by
``benchmarks/ingest.py`` and by the fast-path tests; the numbers are not meant for
analysis.

Geography (fake but well-formed)
--------------------------------
The 43 territorial forces of England and Wales keep their real ``Falls within``
names and file slugs (forces beyond 43 are named ``Synthetic Force NN Police``).
Each force gets LSOAs in proportion to an approximate relative crime volume
(an assumption), about 34,750 in all as in the 2011 geography; every 100 LSOAs make
one authority named ``"<Force stem> District <k>"``, and LSOA names follow the ONS
pattern ``"<authority> <nnn><letter>"``. LSOA codes are ``E01``/``W01`` plus six
digits and authority codes ``E07``/``W06`` plus six digits starting at 900001, so
they never clash with real authority codes. Each LSOA has six anonymised map
points (coordinates inside Great Britain and an ``On or near ...`` street), as
data.police.uk snaps every crime to such a point.

Rows
----
Rows per file are allocated so that the archive holds exactly the requested number
of data rows; forces are sized by their weight, months vary by ±10 %. Crime types
follow the shares of the real Lancashire December 2019 file; anti-social behaviour
has no Crime ID or outcome. Faults are injected at rates close to the real files
(`FAULT_RATES`): rows without LSOA (kept, ``no_lsoa``), rows in a neighbouring
force's LSOA (kept: the national area covers it), LSOAs named after an authority
outside the area, Crime IDs published twice, a few out-of-range coordinates, and a
truncated last line in about one file in a hundred.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lvrn_analysis.parallel import process_pool
from lvrn_analysis.sources import police

#: The 43 territorial forces: ``Falls within`` name, file slug, country, and an
#: approximate relative volume of recorded crime (an assumption, only used to size
#: the synthetic forces).
FORCES: tuple[tuple[str, str, str, float], ...] = (
    ("Avon and Somerset Constabulary", "avon-and-somerset", "E", 170),
    ("Bedfordshire Police", "bedfordshire", "E", 60),
    ("Cambridgeshire Constabulary", "cambridgeshire", "E", 70),
    ("Cheshire Constabulary", "cheshire", "E", 90),
    ("City of London Police", "city-of-london", "E", 8),
    ("Cleveland Police", "cleveland", "E", 80),
    ("Cumbria Constabulary", "cumbria", "E", 35),
    ("Derbyshire Constabulary", "derbyshire", "E", 80),
    ("Devon & Cornwall Police", "devon-and-cornwall", "E", 140),
    ("Dorset Police", "dorset", "E", 45),
    ("Durham Constabulary", "durham", "E", 60),
    ("Dyfed-Powys Police", "dyfed-powys", "W", 30),
    ("Essex Police", "essex", "E", 170),
    ("Gloucestershire Constabulary", "gloucestershire", "E", 40),
    ("Greater Manchester Police", "greater-manchester", "E", 400),
    ("Gwent Police", "gwent", "W", 50),
    ("Hampshire Constabulary", "hampshire", "E", 180),
    ("Hertfordshire Constabulary", "hertfordshire", "E", 90),
    ("Humberside Police", "humberside", "E", 100),
    ("Kent Police", "kent", "E", 190),
    ("Lancashire Constabulary", "lancashire", "E", 180),
    ("Leicestershire Police", "leicestershire", "E", 90),
    ("Lincolnshire Police", "lincolnshire", "E", 55),
    ("Merseyside Police", "merseyside", "E", 200),
    ("Metropolitan Police Service", "metropolitan", "E", 1000),
    ("Norfolk Constabulary", "norfolk", "E", 60),
    ("North Wales Police", "north-wales", "W", 50),
    ("North Yorkshire Police", "north-yorkshire", "E", 50),
    ("Northamptonshire Police", "northamptonshire", "E", 60),
    ("Northumbria Police", "northumbria", "E", 180),
    ("Nottinghamshire Police", "nottinghamshire", "E", 110),
    ("South Wales Police", "south-wales", "W", 130),
    ("South Yorkshire Police", "south-yorkshire", "E", 170),
    ("Staffordshire Police", "staffordshire", "E", 90),
    ("Suffolk Constabulary", "suffolk", "E", 45),
    ("Surrey Police", "surrey", "E", 70),
    ("Sussex Police", "sussex", "E", 140),
    ("Thames Valley Police", "thames-valley", "E", 220),
    ("Warwickshire Police", "warwickshire", "E", 40),
    ("West Mercia Police", "west-mercia", "E", 110),
    ("West Midlands Police", "west-midlands", "E", 330),
    ("West Yorkshire Police", "west-yorkshire", "E", 330),
    ("Wiltshire Police", "wiltshire", "E", 45),
)

#: LSOAs in England and Wales (2011 geography).
N_LSOAS = 34_753
#: LSOAs per synthetic authority.
LSOAS_PER_AUTHORITY = 100
#: Anonymised map points per LSOA.
POINTS_PER_LSOA = 6

#: Crime-type shares of the real Lancashire December 2019 file (14,748 rows).
CRIME_TYPE_SHARES: dict[str, float] = {
    "Violence and sexual offences": 0.3281, "Anti-social behaviour": 0.2577,
    "Criminal damage and arson": 0.0917, "Other theft": 0.0732, "Burglary": 0.0582,
    "Public order": 0.0515, "Vehicle crime": 0.0468, "Shoplifting": 0.0443,
    "Other crime": 0.0150, "Drugs": 0.0135, "Robbery": 0.0060,
    "Possession of weapons": 0.0054, "Theft from the person": 0.0052, "Bicycle theft": 0.0035,
}

#: Injected faults, as shares of rows (``malformed_file``: share of files whose last
#: line is truncated). Close to the real files: 1.9 % of Lancashire's December 2019
#: rows have no LSOA, 0.16 % name an LSOA outside the county (inside England), and
#: 0.03-0.04 % repeat a Crime ID.
FAULT_RATES: dict[str, float] = {
    "no_lsoa": 0.02, "neighbour_lsoa": 0.002, "outside_area": 0.0001,
    "duplicate": 0.0005, "bad_coordinates": 0.00001, "malformed_file": 0.01,
}

_OUTCOMES = (
    "Unable to prosecute suspect", "Investigation complete; no suspect identified",
    "Status update unavailable", "Court result unavailable",
    "Further investigation is not in the public interest", "Local resolution",
    "Offender given a caution", "Action to be taken by another organisation",
    "Awaiting court outcome", "Under investigation",
)
_OUTCOME_P = np.array([0.33, 0.24, 0.08, 0.06, 0.03, 0.02, 0.02, 0.01, 0.01, 0.20])
_STREETS = ("High Street", "Church Lane", "Station Road", "Park Road", "Mill Lane",
            "Victoria Street", "Queen Street", "Manor Road", "Green Lane", "King Street",
            "Shopping Area", "Supermarket", "Parking Area", "Petrol Station", "Nightclub",
            "Sports/Recreation Area", "Hospital", "Further/Higher Educational Building")


@dataclass(frozen=True)
class NationalGeography:
    """The synthetic national geography.

    Attributes
    ----------
    forces
        ``force``, ``slug``, ``country``, ``weight``, ``first_lsoa``, ``n_lsoa``.
    authorities
        ``la_code``, ``la_name``, ``force``.
    lsoas
        ``lsoa_code``, ``lsoa_name``, ``la_code``, ``force_index``, ``weight``.
    points
        Per LSOA × point: ``lon``, ``lat``, ``location`` (strings), row-major by LSOA.
    """

    forces: pd.DataFrame
    authorities: pd.DataFrame
    lsoas: pd.DataFrame
    points: pd.DataFrame


def force_list(n_forces: int) -> list[tuple[str, str, str, float]]:
    """Return ``n_forces`` forces: the real 43 first, then synthetic ones."""
    out = list(FORCES[:n_forces])
    median = float(np.median([w for *_, w in FORCES]))
    for i in range(len(FORCES), n_forces):
        out.append((f"Synthetic Force {i + 1:02d} Police", f"synthetic-force-{i + 1:02d}",
                    "E", median))
    return out


def national_geography(n_forces: int = 43, *, seed: int = 20240607) -> NationalGeography:
    """Build the synthetic geography for ``n_forces`` forces (deterministic).

    Parameters
    ----------
    n_forces
        Number of forces (the real 43 first).
    seed
        Seed of the geography.

    Returns
    -------
    NationalGeography
        Forces, authorities, LSOAs and map points.
    """
    rng = np.random.default_rng(seed)
    forces = force_list(n_forces)
    total_w = sum(w for *_, w in FORCES)
    frows, arows, lrows = [], [], []
    counters = {"E": 0, "W": 0}
    la_counters = {"E": 900000, "W": 900000}
    first = 0
    for fi, (name, slug, country, w) in enumerate(forces):
        n_lsoa = max(60, round(N_LSOAS * w / total_w))
        frows.append((name, slug, country, w, first, n_lsoa))
        stem = name.removesuffix(" Police").removesuffix(" Constabulary") \
            .removesuffix(" Police Service")
        n_la = max(1, round(n_lsoa / LSOAS_PER_AUTHORITY))
        la_of = np.minimum(np.arange(n_lsoa) * n_la // n_lsoa, n_la - 1)
        la_codes = []
        for k in range(n_la):
            la_counters[country] += 1
            code = f"{'E07' if country == 'E' else 'W06'}{la_counters[country]:06d}"
            la_codes.append(code)
            arows.append((code, f"{stem} District {k + 1}", name))
        weights = rng.lognormal(0.0, 0.8, n_lsoa)
        within = np.zeros(n_la, dtype=int)
        for j in range(n_lsoa):
            k = int(la_of[j])
            msoa, letter = divmod(int(within[k]), 5)
            within[k] += 1
            counters[country] += 1
            lrows.append((f"{country}01{counters[country]:06d}",
                          f"{stem} District {k + 1} {msoa + 1:03d}{'ABCDE'[letter]}",
                          la_codes[k], fi, weights[j]))
        first += n_lsoa
    fdf = pd.DataFrame(frows, columns=["force", "slug", "country", "weight", "first_lsoa",
                                       "n_lsoa"])
    adf = pd.DataFrame(arows, columns=["la_code", "la_name", "force"])
    ldf = pd.DataFrame(lrows, columns=["lsoa_code", "lsoa_name", "la_code", "force_index",
                                       "weight"])
    # force centres spread over England and Wales; points scattered around them
    n = len(ldf)
    centre_lon = rng.uniform(-4.8, 0.9, len(forces))[ldf["force_index"].to_numpy()]
    centre_lat = rng.uniform(50.5, 55.0, len(forces))[ldf["force_index"].to_numpy()]
    lon = np.repeat(centre_lon + rng.normal(0, 0.15, n), POINTS_PER_LSOA) \
        + rng.normal(0, 0.004, n * POINTS_PER_LSOA)
    lat = np.repeat(centre_lat + rng.normal(0, 0.1, n), POINTS_PER_LSOA) \
        + rng.normal(0, 0.003, n * POINTS_PER_LSOA)
    street = rng.integers(0, len(_STREETS), n * POINTS_PER_LSOA)
    pts = pd.DataFrame({
        "lon": [f"{v:.6f}" for v in lon], "lat": [f"{v:.6f}" for v in lat],
        "location": ["On or near " + _STREETS[s] for s in street],
    })
    return NationalGeography(fdf, adf, ldf, pts)


def allocate_rows(rows: int, weights: np.ndarray, n_months: int, seed: int) -> np.ndarray:
    """Split ``rows`` into a forces × months matrix of file sizes that sums to ``rows``.

    Parameters
    ----------
    rows
        Total data rows.
    weights
        Relative size of each force.
    n_months
        Number of months.
    seed
        Seed of the ±10 % month-to-month variation.

    Returns
    -------
    numpy.ndarray
        Integer rows per force (rows) and month (columns).
    """
    rng = np.random.default_rng(seed)
    share = np.outer(weights / weights.sum(), rng.uniform(0.9, 1.1, n_months))
    share /= share.sum()
    exact = share * rows
    out = np.floor(exact).astype(np.int64)
    short = rows - int(out.sum())
    if short:
        order = np.argsort(-(exact - out), axis=None, kind="stable")[:short]
        np.add.at(out.reshape(-1), order, 1)
    return out


def _months(start: str, n_months: int) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(start, periods=n_months, freq="M")]


class _Writer:
    """Writes the files of one archive (one per worker process)."""

    def __init__(self, geo: NationalGeography, out_dir: Path, seed: int,
                 rates: dict[str, float]) -> None:
        self.geo = geo
        self.out_dir = out_dir
        self.seed = seed
        self.rates = rates
        lsoas = geo.lsoas
        self.codes = pa.array(lsoas["lsoa_code"], pa.string())
        self.names = pa.array(lsoas["lsoa_name"], pa.string())
        self.lon = pa.array(geo.points["lon"], pa.string())
        self.lat = pa.array(geo.points["lat"], pa.string())
        self.loc = pa.array(list(geo.points["location"]) + ["No Location"], pa.string())
        self.types = pa.array(list(CRIME_TYPE_SHARES), pa.string())
        self.type_p = np.array(list(CRIME_TYPE_SHARES.values()))
        self.type_p /= self.type_p.sum()
        self.asb = list(CRIME_TYPE_SHARES).index(police.ASB)
        self.outcomes = pa.array(_OUTCOMES, pa.string())
        self.outcome_p = _OUTCOME_P / _OUTCOME_P.sum()
        self.cum = {}
        for fi, row in geo.forces.iterrows():
            w = lsoas["weight"].to_numpy()[row["first_lsoa"]:row["first_lsoa"] + row["n_lsoa"]]
            self.cum[fi] = np.cumsum(w) / w.sum()

    def write(self, job: tuple[int, int, str, int]) -> tuple[str, int, int]:
        """Write one force-month file; return (name, data rows, bytes)."""
        fi, mi, month, n_rows = job
        f = self.geo.forces.iloc[fi]
        rng = np.random.default_rng([self.seed, fi, mi])
        rates = self.rates
        malformed = 1 if (n_rows > 1 and rng.random() < rates["malformed_file"]) else 0
        n_dup = int(rng.binomial(max(n_rows - malformed, 0), rates["duplicate"])) \
            if n_rows > 2 else 0
        n = n_rows - malformed - n_dup
        lsoa = int(f["first_lsoa"]) + np.searchsorted(self.cum[fi], rng.random(n), "right")
        lsoa = np.minimum(lsoa, int(f["first_lsoa"] + f["n_lsoa"] - 1))
        n_forces = len(self.geo.forces)
        if n_forces > 1:  # a few crimes recorded in a neighbouring force's LSOA
            nb = rng.random(n) < rates["neighbour_lsoa"]
            other = self.geo.forces.iloc[(fi + 1) % n_forces]
            lsoa[nb] = int(other["first_lsoa"]) + rng.integers(0, int(other["n_lsoa"]),
                                                               int(nb.sum()))
        no_lsoa = rng.random(n) < rates["no_lsoa"]
        outside = ~no_lsoa & (rng.random(n) < rates["outside_area"])
        point = lsoa * POINTS_PER_LSOA + rng.integers(0, POINTS_PER_LSOA, n)
        ctype = rng.choice(len(self.type_p), n, p=self.type_p)
        is_asb = ctype == self.asb
        # data.police.uk lists a force's rows grouped by LSOA, rows without LSOA last
        order = np.lexsort((rng.random(n), np.where(no_lsoa, np.iinfo(np.int64).max, lsoa)))
        lsoa, no_lsoa, outside, point, ctype, is_asb = (
            a[order] for a in (lsoa, no_lsoa, outside, point, ctype, is_asb))
        li = pa.array(lsoa, mask=no_lsoa)
        pi = pa.array(point, mask=no_lsoa)
        code = self.codes.take(li)
        name = self.names.take(li)
        if outside.any():
            code = pc.if_else(pa.array(outside), pa.scalar("E01999999"), code)
            name = pc.if_else(pa.array(outside), pa.scalar("Elsewhere 001A"), name)
        lon = self.lon.take(pi)
        lat = self.lat.take(pi)
        bad = rng.random(n) < rates["bad_coordinates"]
        if bad.any():
            lat = pc.if_else(pa.array(bad & ~no_lsoa), pa.scalar("0.000000"), lat)
        loc = self.loc.take(pa.array(np.where(no_lsoa, len(self.loc) - 1, point)))
        ids = np.frombuffer(rng.bytes(32 * n).hex().encode("ascii"), dtype="S64")
        cid = pc.cast(pa.array(ids, pa.binary(64)), pa.string())
        cid = pc.if_else(pa.array(is_asb), pa.scalar(None, pa.string()), cid)
        outc = self.outcomes.take(pa.array(
            rng.choice(len(self.outcome_p), n, p=self.outcome_p), mask=is_asb))
        force = pa.scalar(str(f["force"]))
        table = pa.table({
            "Crime ID": cid, "Month": pa.repeat(pa.scalar(month), n),
            "Reported by": pa.repeat(force, n), "Falls within": pa.repeat(force, n),
            "Longitude": lon, "Latitude": lat, "Location": loc, "LSOA code": code,
            "LSOA name": name, "Crime type": self.types.take(pa.array(ctype)),
            "Last outcome category": outc, "Context": pa.nulls(n, pa.string()),
        })
        if n_dup:  # the same crime published twice, the copy further down the file
            crimes = np.flatnonzero(~is_asb)
            if crimes.size:
                src = np.sort(rng.choice(crimes, min(n_dup, crimes.size), replace=False))
                table = pa.concat_tables([table, table.take(pa.array(src))])
        name_out = f"{month}-{f['slug']}-street.csv"
        path = self.out_dir / name_out
        with open(path, "wb") as fh:
            fh.write((",".join(police.HEADER) + "\n").encode("utf-8"))
            pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(
                quoting_style="none", include_header=False))
            if malformed:  # a truncated last line, no newline, as a broken download
                fh.write(f"{'0' * 64},{month},{f['force']},{f['force']},-1.0".encode())
        return name_out, table.num_rows + malformed, path.stat().st_size


_WORKER: _Writer | None = None


def _init_worker(geo: NationalGeography, out_dir: Path, seed: int,
                 rates: dict[str, float]) -> None:
    global _WORKER
    _WORKER = _Writer(geo, out_dir, seed, rates)


def _write_job(job: tuple[int, int, str, int]) -> tuple[str, int, int]:
    assert _WORKER is not None
    return _WORKER.write(job)


@dataclass(frozen=True)
class NationalArchive:
    """What `write_national_archive()` wrote.

    Attributes
    ----------
    raw_dir
        Folder to pass as ``lvrn build --raw`` (files are in ``raw_dir/police/``).
    files
        The CSV files, sorted.
    rows
        Data rows written (header excluded), including duplicates and malformed lines.
    bytes
        Total size of the CSV files.
    area_yaml
        The national area configuration (read it with
        `lvrn_analysis.config.areas.load_multi_force_area()`).
    """

    raw_dir: Path
    files: list[Path]
    rows: int
    bytes: int
    area_yaml: Path


def write_national_area(geo: NationalGeography, out_dir: Path) -> Path:
    """Write the national area YAML and its authorities CSV; return the YAML path.

    Parameters
    ----------
    geo
        The geography.
    out_dir
        Folder for ``national.yml`` and ``national_authorities.csv``.

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    geo.authorities[["la_code", "la_name"]].to_csv(out_dir / "national_authorities.csv",
                                                   index=False)
    lines = [
        "# Synthetic national area: every generated force and its authorities.",
        "id: national-synthetic",
        "name: England and Wales (synthetic national benchmark)",
        "short_name: E&W",
        "police:",
        "  forces:",
    ]
    for force, slug in zip(geo.forces["force"], geo.forces["slug"], strict=True):
        lines += [f"    - force: \"{force}\"", f"      file_slug: {slug}"]
    lines.append("authorities_file: national_authorities.csv")
    path = out_dir / "national.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_national_archive(out_dir: str | Path, *, rows: int = 20_000_000, forces: int = 43,
                           months: int = 36, start: str = "2020-01", seed: int = 1,
                           faults: bool | dict[str, float] = True,
                           processes: int | None = None) -> NationalArchive:
    """Write a national street-level archive and its area configuration.

    Parameters
    ----------
    out_dir
        Folder; files go to ``out_dir/raw/police/`` and the area to ``out_dir/area/``.
    rows
        Total data rows across all files.
    forces
        Number of forces (the real 43 first).
    months
        Number of months from ``start``.
    start
        First month, ``YYYY-MM``.
    seed
        Seed (the same arguments give byte-identical files).
    faults
        Inject the faults of `FAULT_RATES` (``True``), none (``False``), or
        these rates (a dict with the keys of `FAULT_RATES`).
    processes
        Worker processes (default: the number of cores, at most 2).

    Returns
    -------
    NationalArchive
        Paths and sizes.
    """
    out_dir = Path(out_dir)
    raw = out_dir / "raw" / "police"
    raw.mkdir(parents=True, exist_ok=True)
    geo = national_geography(forces)
    sizes = allocate_rows(rows, geo.forces["weight"].to_numpy(float), months, seed)
    month_names = _months(start, months)
    jobs = [(fi, mi, m, int(sizes[fi, mi]))
            for mi, m in enumerate(month_names) for fi in range(forces)]
    rates = (dict(faults) if isinstance(faults, dict) else
             FAULT_RATES if faults else dict.fromkeys(FAULT_RATES, 0.0))
    procs = processes if processes is not None else min(2, os.cpu_count() or 1)
    if procs > 1 and len(jobs) > 8:
        with process_pool(procs, initializer=_init_worker,
                          initargs=(geo, raw, seed, rates)) as pool:
            done = list(pool.map(_write_job, jobs, chunksize=4))
    else:
        writer = _Writer(geo, raw, seed, rates)
        done = [writer.write(j) for j in jobs]
    area_yaml = write_national_area(geo, out_dir / "area")
    return NationalArchive(raw_dir=out_dir / "raw", files=sorted(raw / n for n, _, _ in done),
                           rows=sum(r for _, r, _ in done), bytes=sum(b for *_, b in done),
                           area_yaml=area_yaml)
