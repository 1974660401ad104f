"""House-style figures: shared styling (`lvrn_analysis.charts.plots`) and page charts."""
