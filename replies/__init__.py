"""The channel-neutral reply model: what every producer (knowledge base, dialogue, dossier status) says back,
as structure. Every channel renders it with its own limits (`channels/*/render.py`); `replies.text` is the
plain-text rendering they share."""
