"""Ingestion: the raw portal catalogue parsed into typed procedure records (`models.Procedure`)."""
