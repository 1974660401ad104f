"""The processed layer: ``lvrn build`` writes it, every analysis reads it.

* `lvrn_analysis.processed.build` — raw (or default) inputs → parquet tables,
  quarantine and ``manifest.json``;
* `lvrn_analysis.processed.store` — finding and reading what the build wrote.
"""

from lvrn_analysis.processed.store import (
    MANIFEST,
    is_synthetic,
    manifest,
    processed_dir,
    read_table,
)

__all__ = ["MANIFEST", "is_synthetic", "manifest", "processed_dir", "read_table"]
