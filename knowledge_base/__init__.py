"""Procedure catalogue: ingestion (`catalogue/`), search (`search/`) and answer composition (`answers/`), behind the
`service.KnowledgeBase` facade.

This package knows no transport and no dialogue framework; any process may import it.
"""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"     # the catalogue, alias lexicon, example questions, phrases
