"""Statistics for published indicators: intervals, benchmarking, funnels, disclosure control.

* :mod:`lvrn_analysis.stats.indicators` — rates, proportions, DSRs, ISRs and means
  with their confidence intervals;
* :mod:`lvrn_analysis.stats.benchmarking` — Fingertips-style comparison with a benchmark;
* :mod:`lvrn_analysis.stats.funnels` — funnel-plot control limits;
* :mod:`lvrn_analysis.stats.disclosure` — the one path every published table goes through.
"""
