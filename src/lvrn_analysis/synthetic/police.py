"""Synthetic data.police.uk street-level files, calibrated to the real months.

The real Lancashire extract (November 2018 to October 2022) has only four months
before the LVRN's go-live (March to November 2019 are missing), so the time-series
pages need a longer series. This module writes one file per month
in **exactly** the real format (``YYYY-MM-<force>-street.csv``, the 12-column
header, ASB rows without Crime ID, rows without LSOA, a few LSOAs outside the
area, a few Crime IDs published twice), which the build then reads with the
same loader as real files.

Process (all draws from one seeded `numpy.random.Generator`)
------------------------------------------------------------------
For crime type *c*, authority *a* and month *t* the expected count is::

    mu[c,a,t] = base[c] * share[c,a] * pop[a,t] * trend[c,t] * season[c,t] * covid[c,t]
                * effect[c,a,t]

* ``base`` — mean monthly count of *c* over the real months outside lockdowns;
* ``share`` — the authority's share of *c* in the real months;
* ``pop`` — the authority's population in the month relative to June 2019
  (`POPULATION_REFERENCE`), from `lvrn_analysis.config.geography.monthly_populations()`:
  straight lines between the ONS mid-year estimates, the last carried forward and the
  first carried back. The models' offsets use the same populations, so the rate
  ``mu / population`` follows the other components exactly and the test bed has no
  denominator artefact;
* ``trend`` — a steady recording-practice rise in violence and sexual offences of
  +3 % a year over the whole period, log-linear and centred on June 2019 (an
  assumption in line with the ONS caution that police recorded violence rose
  through better recording); flat for other types. The trend has no break, so a
  segmented regression with a pre-period trend describes every untouched series;
  the rate is `VIOLENCE_TREND`;
* ``season`` — ``1 + A_c cos(2π(m - 7)/12)`` peaking in July (A = 0.08 for
  violence, 0.15 for anti-social behaviour, 0.05 otherwise: an assumption);
* ``covid`` — for each national lockdown *L*, ``1 + f_L(t)(r_{c,L} - 1)``
  where ``f_L(t)`` is the share of the month in *L* and ``r_{c,L}`` the ratio of
  the real lockdown months to the real baseline (so anti-social behaviour
  more than doubles in April 2020, as it did);
* ``effect`` — the **injected intervention effect**: a level change by the rate ratio
  from the start month on, no slope change. The ground truth records it in the terms the
  Impact page reports (`InjectedEffect.record()`): level ratio, slope ratio per year
  (1.0) and the implied number of offences averted after the start,
  ``sum_t mu[t] (1 / rate_ratio - 1)``, month by month and in total.

Counts are drawn from a gamma–Poisson (negative binomial) with dispersion
``alpha`` (variance ``mu + alpha mu²``) by `draw_counts()`, and allocated to LSOAs within the
authority by a multinomial on the real LSOA shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from lvrn_analysis._resources import reference_file
from lvrn_analysis.config.areas import AreaConfig
from lvrn_analysis.config.geography import (
    la_name_from_lsoa_name,
    local_authorities,
    monthly_populations,
)
from lvrn_analysis.config.periods import lockdown_fraction, lockdowns
from lvrn_analysis.sources import police
from lvrn_analysis.sources.validation import WEIGHT

VIOLENCE = "Violence and sexual offences"

#: Seasonal amplitude by crime type (assumption, see module docstring).
SEASONAL_AMPLITUDE: dict[str, float] = {VIOLENCE: 0.08, police.ASB: 0.15}
DEFAULT_AMPLITUDE = 0.05

#: Share of rows published with no LSOA, quarantined as outside the area, or with
#: a repeated Crime ID — measured on the 36 real Lancashire months (2018-11 to
#: 2022-10): 5.0 %, 0.19 % and 0.10 % of rows.
NO_LSOA_SHARE = 0.05
OUTSIDE_SHARE = 0.0019
DUPLICATE_SHARE = 0.0010

#: Yearly growth of recorded violence and sexual offences (recording practice).
VIOLENCE_TREND = 1.03

#: Overdispersion of monthly authority counts (variance = mu + alpha mu^2).
ALPHA = 0.004

#: Month whose population the calibrated level stands for (also the trend's centre).
POPULATION_REFERENCE = "2019-06"


@dataclass(frozen=True)
class InjectedEffect:
    """A known change written into the synthetic data (the ground truth).

    Attributes
    ----------
    crime_type
        data.police.uk crime type affected.
    la_code
        Authority affected.
    start
        First month (``YYYY-MM``) of the effect.
    rate_ratio
        Multiplicative level change from ``start`` on.
    description
        What the change stands for.
    """

    crime_type: str
    la_code: str
    start: str
    rate_ratio: float
    description: str

    def record(self, area: AreaConfig, expected: pd.DataFrame | None = None) -> dict:
        r"""Return the ground-truth record, in the terms the Impact page reports.

        Parameters
        ----------
        area
            The area configuration.
        expected
            The generator's expected counts (`expected_counts()`); when given, the
            implied counts from the start month to the last generated month are added.

        Returns
        -------
        dict
            ``source, series, crime_type, area_code, effect ("level"), start,
            rate_ratio, level_ratio`` (the same number), ``slope_ratio_per_year`` (1.0:
            no slope change was injected), ``description``, ``area``; with ``expected``
            also ``post_start, post_end, post_months``, ``expected_post`` (expected
            in-area offences with the effect), ``counterfactual_post`` (without it),
            ``averted_post`` (their difference, $\sum_t \mu_t (1/RR - 1)$),
            ``averted_by_month`` (``YYYY-MM -> averted``, so any post window can be
            summed) and ``area_total``: the same sums over all the area's authorities for
            the crime type and the implied level ratio of the area total
            (``expected_post / counterfactual_post``).
        """
        rec = {
            "source": "police_street",
            "series": f"{self.crime_type} in {self.la_code}",
            "crime_type": self.crime_type,
            "area_code": self.la_code,
            "effect": "level",
            "start": self.start,
            "rate_ratio": self.rate_ratio,
            "level_ratio": self.rate_ratio,
            "slope_ratio_per_year": 1.0,
            "description": self.description,
            "area": area.id,
        }
        if expected is not None:
            rec.update(self.implied_counts(expected))
        return rec

    def implied_counts(self, expected: pd.DataFrame) -> dict:
        """Return the expected, counterfactual and averted counts implied by the effect.

        Parameters
        ----------
        expected
            The generator's expected counts (`expected_counts()`, with this effect).

        Returns
        -------
        dict
            The ``post_*``, ``*_post``, ``averted_by_month`` and ``area_total`` entries of
            `record()` (sums rounded to 0.01, monthly values to 0.0001).
        """
        start = pd.Timestamp(self.start + "-01")
        typ = expected[(expected["crime_type"] == self.crime_type)
                       & (expected["month"] >= start)]
        if typ.empty:
            raise ValueError(f"no expected counts for {self.crime_type!r} from {self.start}")
        own = typ[typ["la_code"] == self.la_code].sort_values("month")
        mu = own["mu"].to_numpy(dtype=float)
        cf = mu / own["effect"].to_numpy(dtype=float)
        averted = cf - mu
        total_mu = float(typ["mu"].sum())
        total_cf = float((typ["mu"] / typ["effect"]).sum())
        return {
            "post_start": self.start,
            "post_end": own["month"].max().strftime("%Y-%m"),
            "post_months": len(own),
            "expected_post": round(float(mu.sum()), 2),
            "counterfactual_post": round(float(cf.sum()), 2),
            "averted_post": round(float(averted.sum()), 2),
            "averted_by_month": {m.strftime("%Y-%m"): round(float(a), 4)
                                 for m, a in zip(own["month"], averted, strict=True)},
            "area_total": {"expected_post": round(total_mu, 2),
                           "counterfactual_post": round(total_cf, 2),
                           "averted_post": round(total_cf - total_mu, 2),
                           "implied_level_ratio": round(total_mu / total_cf, 6)},
        }


def default_effects(area: AreaConfig) -> list[InjectedEffect]:
    """Return the injected effects for an area.

    Lancashire: a 15 % fall in violence and sexual offences in Blackpool from
    October 2019 (standing in for the ED navigator and wider LVRN work there);
    every other series is untouched. Other areas: the same change in their first
    configured authority.
    """
    target = "E06000009" if "E06000009" in area.authorities else area.authorities[0]
    return [InjectedEffect(VIOLENCE, target, "2019-10", 0.85,
                           "Synthetic intervention effect: 15% fall in violence and sexual "
                           "offences from October 2019 (level change)")]


def _centroids() -> pd.DataFrame:
    with reference_file("geography/lsoa_police_centroids.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"lsoa_code": str, "lsoa_name": str, "force": str})


def calibrate(kept: pd.DataFrame, area: AreaConfig) -> dict[str, pd.DataFrame]:
    """Derive the generator's parameters from clean real counts.

    Parameters
    ----------
    kept
        Clean aggregated police rows (`lvrn_analysis.sources.police.AGG_KEYS`
        + ``n_rows``), real data only.
    area
        The area configuration.

    Returns
    -------
    dict
        ``base`` (crime_type → mean monthly count outside lockdowns), ``la_share``
        (crime_type × la_code), ``lsoa_share`` (crime_type × la_code × lsoa_code),
        ``covid`` (crime_type × lockdown ratio).
    """
    k = kept[kept["force"] == area.force]
    if k.empty:
        raise ValueError(f"no real police rows for {area.force} to calibrate the generator")
    monthly = k.groupby(["crime_type", "month"])[WEIGHT].sum().unstack("month").fillna(0)
    months = pd.DatetimeIndex(monthly.columns)
    frac = lockdown_fraction(months)
    normal = (frac.sum(axis=1) == 0).to_numpy()
    if normal.sum() < 3:
        raise ValueError("need at least three real months outside lockdowns to calibrate")
    base = monthly.loc[:, normal].mean(axis=1)
    ratios = {}
    for lid in frac.columns:
        inside = (frac[lid] >= 0.8).to_numpy()
        if inside.any():
            ratios[lid] = monthly.loc[:, inside].mean(axis=1) / base
        else:
            ratios[lid] = pd.Series(1.0, index=base.index)
    covid = pd.DataFrame(ratios).fillna(1.0).clip(0.2, 5.0)
    located = k[k["geo_status"] == "in_area"]
    la = located.groupby(["crime_type", "la_code"])[WEIGHT].sum()
    la_share = (la / la.groupby(level=0).transform("sum")).rename("share").reset_index()
    ls = located.groupby(["crime_type", "la_code", "lsoa_code"])[WEIGHT].sum()
    lsoa_share = (ls / ls.groupby(level=[0, 1]).transform("sum")).rename("share").reset_index()
    return {"base": base.rename("base").reset_index(), "la_share": la_share,
            "lsoa_share": lsoa_share, "covid": covid.reset_index()}


def expected_counts(cal: dict[str, pd.DataFrame], area: AreaConfig, months: pd.DatetimeIndex,
                    effects: list[InjectedEffect]) -> pd.DataFrame:
    """Return the expected monthly count for every crime type × authority × month.

    Parameters
    ----------
    cal
        Output of `calibrate()`.
    area
        The area configuration.
    months
        Month-start dates.
    effects
        Injected effects.

    Returns
    -------
    pandas.DataFrame
        ``crime_type``, ``la_code``, ``month``, ``mu`` (in-area expected count) and
        the multiplicative components ``population`` (population relative to
        `POPULATION_REFERENCE`), ``trend``, ``season``, ``covid`` and ``effect``.
    """
    ref = pd.Timestamp(POPULATION_REFERENCE + "-01")
    pops = monthly_populations(area, months.append(pd.DatetimeIndex([ref])))
    pop = pops.pivot(index="date", columns="la_code", values="population")
    pop_ratio = (pop / pop.loc[ref]).reindex(months)
    base = cal["base"].set_index("crime_type")["base"]
    covid = cal["covid"].set_index("crime_type")
    frac = lockdown_fraction(months)
    rows = []
    moy = months.month.to_numpy()
    years = (months - pd.Timestamp("2019-06-01")).days.to_numpy() / 365.25
    for ct, b in base.items():
        amp = SEASONAL_AMPLITUDE.get(str(ct), DEFAULT_AMPLITUDE)
        season = 1 + amp * np.cos(2 * np.pi * (moy - 7) / 12)
        trend = VIOLENCE_TREND ** years if ct == VIOLENCE else np.ones(len(moy))
        cov = np.ones(len(moy))
        for lid in frac.columns:
            r = float(covid.loc[ct, lid]) if lid in covid.columns else 1.0
            cov *= 1 + frac[lid].to_numpy() * (r - 1)
        shares = cal["la_share"][cal["la_share"]["crime_type"] == ct]
        for la_code, share in zip(shares["la_code"], shares["share"], strict=True):
            eff = np.ones(len(moy))
            for e in effects:
                if e.crime_type == ct and e.la_code == la_code:
                    eff = np.where(months >= pd.Timestamp(e.start + "-01"), e.rate_ratio, eff)
            pr = pop_ratio[la_code].to_numpy(dtype=float)
            mu = b * share * (1 - NO_LSOA_SHARE) * pr * trend * season * cov * eff
            rows.append(pd.DataFrame({
                "crime_type": ct, "la_code": la_code, "month": months, "mu": mu,
                "population": pr, "trend": trend, "season": season, "covid": cov,
                "effect": eff}))
    return pd.concat(rows, ignore_index=True)


def draw_counts(mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw gamma–Poisson (negative binomial, NB2) counts around expected counts.

    ``lambda ~ Gamma(1/ALPHA, ALPHA mu)``, ``count ~ Poisson(lambda)``, so that the
    variance is ``mu + ALPHA mu²``. The generator draws every series this way; the
    test-bed simulations (`lvrn_analysis.story.impact.truth.truth_coverage()`) draw
    replicates of the violence series the same way.

    Parameters
    ----------
    mu
        Expected counts (any shape).
    rng
        Random generator (consumed: one gamma and one Poisson draw per count).

    Returns
    -------
    numpy.ndarray
        Integer counts, the shape of ``mu``.
    """
    shape = 1 / ALPHA
    lam = rng.gamma(shape, np.asarray(mu, dtype=float) / shape)
    return rng.poisson(lam)


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` random 64-character hex Crime IDs (like data.police.uk's)."""
    text = rng.bytes(32 * n).hex().encode("ascii")
    return np.frombuffer(text, dtype="S64").astype(str).astype(object)


_OUTCOMES = (
    ("Investigation complete; no suspect identified", 0.35),
    ("Unable to prosecute suspect", 0.35),
    ("Under investigation", 0.12),
    ("Local resolution", 0.06),
    ("Awaiting court outcome", 0.05),
    ("Offender given a caution", 0.04),
    ("Further investigation is not in the public interest", 0.03),
)


def write_synthetic_police(out_dir: Path, area: AreaConfig, *, kept: pd.DataFrame | None = None,
                           effects: list[InjectedEffect] | None = None) -> list[dict]:
    """Write synthetic street-level CSVs for every month of the area's synthetic period.

    Parameters
    ----------
    out_dir
        Folder to write ``YYYY-MM-<slug>-street.csv`` files into (created).
    area
        Area configuration (force, authorities, period, seed).
    kept
        Clean real counts to calibrate on; defaults to the area's embedded real
        aggregate.
    effects
        Injected effects; defaults to `default_effects()`.

    Returns
    -------
    list of dict
        Ground-truth records (one per injected effect, plus one stating that all
        other series are untouched).
    """
    if kept is None:
        kept = _embedded_kept(area)
    effects = default_effects(area) if effects is None else effects
    cal = calibrate(kept, area)
    months = pd.date_range(area.synthetic_start + "-01", area.synthetic_end + "-01", freq="MS")
    exp = expected_counts(cal, area, months, effects)
    rng = np.random.default_rng(area.synthetic_seed)
    exp["count"] = draw_counts(exp["mu"].to_numpy(), rng)
    cents = _centroids()
    cents = cents[cents["force"] == area.force]
    outside = cents[~la_name_from_lsoa_name(cents["lsoa_name"]).isin(
        local_authorities(area)["la_name"])].reset_index(drop=True)
    cent_idx = cents.set_index("lsoa_code")
    unplaced = sorted(set(cal["lsoa_share"]["lsoa_code"]) - set(cent_idx.index))
    if unplaced:  # the twin writes each LSOA's name and centroid: it needs them shipped
        raise ValueError(
            f"the synthetic twin cannot place {len(unplaced)} LSOA(s) of {area.force} "
            f"({', '.join(unplaced[:5])}{', ...' if len(unplaced) > 5 else ''}): "
            "reference/geography/lsoa_police_centroids.csv has no name and centroid for them "
            f"(it has {cents['lsoa_code'].nunique()} LSOAs of this force); add the force's "
            "rows (force, lsoa_code, lsoa_name, lon, lat) to that file")
    lsoa_groups = {k: (g["lsoa_code"].to_numpy(), g["share"].to_numpy() / g["share"].sum())
                   for k, g in cal["lsoa_share"].groupby(["crime_type", "la_code"], sort=True)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome_names = np.array([o for o, _ in _OUTCOMES], dtype=object)
    outcome_p = np.array([p for _, p in _OUTCOMES])
    outcome_p = outcome_p / outcome_p.sum()
    for month, g in exp.groupby("month", sort=True):
        types, codes = [], []
        for row in g.itertuples(index=False):
            if row.count == 0:
                continue
            lsoas, p = lsoa_groups[(row.crime_type, row.la_code)]
            codes.append(np.repeat(lsoas, rng.multinomial(row.count, p)))
            types.append(np.full(row.count, row.crime_type, dtype=object))
        located = pd.DataFrame({"crime_type": np.concatenate(types),
                                "lsoa_code": np.concatenate(codes)})
        n_loc = len(located)
        # rows without LSOA, in proportion to each type's located rows
        n_nolsoa = rng.binomial(n_loc, NO_LSOA_SHARE / (1 - NO_LSOA_SHARE))
        nol = located.sample(n=n_nolsoa, random_state=rng, replace=True)
        nol = nol.assign(lsoa_code=None)
        n_out = rng.binomial(n_loc, OUTSIDE_SHARE)
        out = located.sample(n=n_out, random_state=rng, replace=True).assign(
            lsoa_code=outside["lsoa_code"].to_numpy()[
                rng.integers(0, len(outside), n_out)] if len(outside) else None)
        rows = pd.concat([located, nol, out], ignore_index=True)
        rows = rows.sample(frac=1.0, random_state=rng).reset_index(drop=True)
        n = len(rows)
        is_asb = (rows["crime_type"] == police.ASB).to_numpy()
        ids = _hex_ids(rng, n)
        ids[is_asb] = ""
        has = rows["lsoa_code"].notna().to_numpy()
        lc = rows["lsoa_code"].fillna("").to_numpy()
        lon = np.full(n, "", dtype=object)
        lat = np.full(n, "", dtype=object)
        lname = np.full(n, "", dtype=object)
        if has.any():
            c = cent_idx.loc[lc[has]]
            jit = rng.normal(0, 0.002, size=(int(has.sum()), 2))
            lon[has] = np.char.mod("%.6f", c["lon"].to_numpy() + jit[:, 0])
            lat[has] = np.char.mod("%.6f", c["lat"].to_numpy() + jit[:, 1])
            lname[has] = c["lsoa_name"].to_numpy()
        location = np.where(has, "On or near Synthetic Street "
                            + (rng.integers(1, 400, n)).astype(str), "No Location")
        outcome = outcome_names[rng.choice(len(outcome_names), size=n, p=outcome_p)]
        outcome[is_asb] = ""
        df = pd.DataFrame({
            "Crime ID": ids, "Month": month.strftime("%Y-%m"),
            "Reported by": area.force, "Falls within": area.force,
            "Longitude": lon, "Latitude": lat, "Location": location,
            "LSOA code": lc, "LSOA name": lname, "Crime type": rows["crime_type"].to_numpy(),
            "Last outcome category": outcome, "Context": "",
        })
        # a few crimes published twice, as in the real files
        crimes = np.flatnonzero(~is_asb)
        n_dup = rng.binomial(len(crimes), DUPLICATE_SHARE)
        if n_dup:
            dup = df.iloc[np.sort(rng.choice(crimes, n_dup, replace=False))]
            df = pd.concat([df, dup], ignore_index=True)
        name = f"{month.strftime('%Y-%m')}-{area.force_slug}-street.csv"
        _write_csv(df, out_dir / name)
    truth = [e.record(area, exp) for e in effects]
    truth.append({
        "source": "police_street", "series": "all other crime type x authority series",
        "effect": "none", "area": area.id,
        "description": "No intervention effect was injected into any other police series.",
        "level_ratio": 1.0, "slope_ratio_per_year": 1.0, "averted_post": 0.0,
        "population": "ONS mid-year estimates interpolated monthly, the last carried forward "
                      "and the first carried back (lvrn_analysis.config.geography."
                      "monthly_populations), as in the models' offsets",
    })
    return truth


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write rows unquoted, like data.police.uk (no generated field holds a comma)."""
    table = pa.Table.from_pandas(df.replace("", None).astype("string"), preserve_index=False)
    with open(path, "wb") as fh:
        fh.write((",".join(police.HEADER) + "\n").encode("utf-8"))
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(
            quoting_style="none", include_header=False))


def _embedded_kept(area: AreaConfig) -> pd.DataFrame:
    if not area.embedded_police:
        raise ValueError(
            f"area {area.id!r} has no embedded police data to calibrate the synthetic "
            "generator; pass the clean real counts as `kept`"
        )
    return pd.concat([r.kept for r in police.read_embedded(area)], ignore_index=True)


def lockdown_table() -> pd.DataFrame:
    """Return the lockdown periods the generator uses (for documentation)."""
    return lockdowns()
