"""Handing a conversation to a human officer: the queue, who holds a conversation (kept in the database), office
hours, and what the citizen is told."""
