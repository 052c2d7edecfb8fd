"""Monosashi's domain: models, the DuckDB store, validity, queries, demo data and the CLI."""
