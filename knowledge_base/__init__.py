"""Procedure catalogue: ingestion, structured records, hybrid search and answer composition.

This package knows no transport and no dialogue framework; any process may import it.
"""
