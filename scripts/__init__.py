"""Developer entry points (run the stack, helpers for make targets)."""
