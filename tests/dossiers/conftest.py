"""The dossier fixtures (tests/dossiers/fixtures.py) for every test in this folder."""
from tests.dossiers.fixtures import assistant, clock, store  # noqa: F401
