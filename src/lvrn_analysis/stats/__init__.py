"""Statistics for published indicators: intervals, benchmarking, funnels, disclosure control.

* `lvrn_analysis.stats.indicators` — rates, proportions, DSRs, ISRs and means
  with their confidence intervals;
* `lvrn_analysis.stats.benchmarking` — Fingertips-style comparison with a benchmark;
* `lvrn_analysis.stats.funnels` — funnel-plot control limits;
* `lvrn_analysis.stats.disclosure` — the one path every published table goes through.
"""
