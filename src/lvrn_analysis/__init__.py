"""lvrn-analysis: violence-reduction analytics from raw data to an evaluated story.

The package cleans and validates the sources a Violence Reduction Unit's needs
assessment uses (data.police.uk street-level crime, Fingertips exports, TIIG-style
emergency-department assault attendances), computes indicator statistics with honest
intervals, fits interrupted time series against an outcomes framework, and applies
disclosure control to everything that is published.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
