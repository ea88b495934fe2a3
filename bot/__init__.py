"""Rasa project (NLU data, domain, custom components). Imports nothing from the app."""
