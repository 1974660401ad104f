"""Coverage by simulation of the recommended ITS model.

Design (decided from the simulations reported in the ITS module docs): 600 monthly series,
36 months before and 24 after go-live, baseline 50 events a month, trend +3 % a year,
seasonal amplitude 0.15 on the log scale, negative-binomial over-dispersion alpha = 0.02
(Pearson dispersion about 2), true level change RR 0.85. Each series is analysed through
the public ``fit_its`` interface with the recommended model (quasi-Poisson, two Fourier
pairs, model-based SEs, t intervals).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from lvrn_analysis.its import RECOMMENDED, fit_its, simulate_series

N_SERIES = 600
TRUE_RR = 0.85


@pytest.mark.slow
def test_recommended_model_coverage_and_bias():
    t0 = time.perf_counter()
    df = simulate_series(36, 24, n_series=N_SERIES, baseline=50, effect=TRUE_RR, trend=0.03,
                         seasonal_amplitude=0.15, dispersion=0.02, seed=20240601)
    est, cover, warn = [], [], 0
    for _, g in df.groupby("series", sort=True):
        res = fit_its(g, date="month", outcome="count", interruptions=["2019-01-01"],
                      slope_change=False, **RECOMMENDED)
        e = res.effects.iloc[0]
        est.append(e["estimate"])
        cover.append(e["ci_low"] <= TRUE_RR <= e["ci_high"])
        warn += len(res.warnings)
    est = np.asarray(est)
    coverage = float(np.mean(cover))
    mean_rr = float(np.exp(est).mean())
    elapsed = time.perf_counter() - t0
    print(f"coverage {coverage:.3f}, mean RR {mean_rr:.4f} (true {TRUE_RR}), "
          f"geometric mean {np.exp(est.mean()):.4f}, {N_SERIES} series in {elapsed:.1f} s")
    assert 0.93 <= coverage <= 0.97
    assert abs(mean_rr / TRUE_RR - 1) < 0.05
    assert abs(np.exp(est.mean()) / TRUE_RR - 1) < 0.05
    assert warn == 0
