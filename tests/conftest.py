"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from lvrn_analysis.config.areas import load_area

ROOT = Path(__file__).resolve().parents[1]

#: Tables every page-level test may read.
PAGE_TABLES = ("police_street", "police_street_months", "police_street_synthetic",
               "police_street_synthetic_months", "fingertips", "imd2019", "ks4_by_la",
               "ed_attendances", "programme_monitoring")


@pytest.fixture(scope="session")
def processed(tmp_path_factory) -> Path:
    """The processed folder: data/processed if fully built, else one fresh build in tmp.

    `make test` runs `lvrn build` first, so the tests normally read data/processed;
    a bare `pytest` on a fresh clone builds once into a temporary folder.
    """
    from lvrn_analysis.processed.store import processed_dir

    try:
        d = processed_dir(ROOT)
        if all((d / f"{t}.parquet").is_file() for t in PAGE_TABLES) and \
                (d / "ground_truth.json").is_file():
            return d
    except FileNotFoundError:
        pass
    from lvrn_analysis.processed.build import build

    tmp = tmp_path_factory.mktemp("page_build")
    out = tmp / "processed"
    build(load_area(), raw_dir=tmp / "raw", out_dir=out, synthetic_dir=tmp / "synthetic",
          progress=False)
    return out
