"""House-style figures: shared styling (:mod:`lvrn_analysis.charts.plots`) and page charts."""
