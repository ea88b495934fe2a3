"""Web chat: JSON API and the embeddable widget."""
