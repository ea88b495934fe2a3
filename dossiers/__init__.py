"""Dossier status: codes, store, verification, replies."""
