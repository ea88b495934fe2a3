"""Rendering helpers shared by the per-channel renderers."""
