"""Readers and validators for each real data format the needs assessment used.

Each module handles one format, documents its schema, and returns
`lvrn_analysis.sources.validation.LoadResult` objects (clean rows + quarantined rows
with reasons). `lvrn_analysis.sources.registry` lists them for the build and
the ``lvrn validate`` command.
"""
