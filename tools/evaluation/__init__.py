"""Retrieval evaluation: the question sets, their validator and the `make eval` report."""
