"""FastAPI gateway: every channel (web chat now; Zalo, Telegram later) enters here."""
