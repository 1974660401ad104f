"""The computations and data-driven sentences behind each page of the story.

One module per page or topic; each reads processed tables and returns tidy frames,
figures and sentences that carry computed numbers (fixed prose lives in the notebooks):

* `lvrn_analysis.story.profile`, `lvrn_analysis.story.ed_profile`,
  `lvrn_analysis.story.serious_violence` — the problem profile;
* `lvrn_analysis.story.causes` — causes of the causes;
* `lvrn_analysis.story.interventions` — programme reach and logic models;
* `lvrn_analysis.story.impact` — interrupted time series against the framework;
* `lvrn_analysis.story.methods` — the data-and-methods page;
* `lvrn_analysis.story.notebook` — helpers that write tables, figures and banners.
"""
