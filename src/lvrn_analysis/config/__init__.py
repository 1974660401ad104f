"""Configuration: the area (force and authorities), its geography, periods and outcomes.

Everything here is read from small files (area YAML, shipped reference tables), not
computed from the data, so every later layer can depend on it and it depends on none.

* `lvrn_analysis.config.areas` — `AreaConfig` and `load_area()`;
* `lvrn_analysis.config.geography` — authorities, populations, LSOA lookups;
* `lvrn_analysis.config.periods` — lockdown periods and month helpers;
* `lvrn_analysis.config.outcomes` — the outcomes framework.
"""

from lvrn_analysis.config.areas import AreaConfig, ConfigError, load_area, load_comparators

__all__ = ["AreaConfig", "ConfigError", "load_area", "load_comparators"]
